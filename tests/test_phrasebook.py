"""The phrasebook (scrlib.reader.phrasebook): every word of strength comes from a number, by a
cited table, and no other module of scrlib types such a word."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import scrlib
from scrlib.reader import phrasebook as pb

PACKAGE = Path(scrlib.__file__).resolve().parent


@pytest.mark.parametrize(("delta", "words"), [
    (0.0, "substantial support"), (2.0, "substantial support"), (2.01, "less support"),
    (4.0, "less support"), (4.01, "considerably less support"),
    (7.0, "considerably less support"), (7.01, "much less support"),
    (10.0, "much less support"), (10.01, "essentially no support"),
    (11.0, "essentially no support")])
def test_gaps_read_as_burnham_and_anderson_say(delta, words):
    """Burnham and Anderson (2002, p. 70): at most 2 substantial support, 4 to 7 considerably
    less, above 10 essentially none; the bands they leave unnamed lie between."""
    assert pb.gap(delta).words == words
    assert pb.evidence_ratio(delta) == pytest.approx(math.exp(delta / 2))


def test_a_gap_of_eleven_is_not_a_slight_preference():
    """Item 1 of issue 32: a QAICc gap of 11 (an evidence ratio of about 245) is essentially no
    support, and the ratio is said with it."""
    clause = pb.support_against(11.0, "lasting changes", "no change")
    assert clause == "lasting changes has essentially no support beside no change"
    assert pb.about(pb.evidence_ratio(11.0)) == "240"
    assert pb.support_phrase(1.2) == "about as much support as"
    assert pb.support_phrase(5.0) == "considerably less support than"
    with pytest.raises(ValueError, match="0 or more"):
        pb.gap(-1.0)


@pytest.mark.parametrize(("factor", "words"), [
    (1.0, "not worth more than a bare mention"), (2.99, "not worth more than a bare mention"),
    (3.0, "positive"), (19.9, "positive"), (20.0, "strong"), (149.0, "strong"),
    (150.0, "very strong"), (1e4, "very strong"), (1 / 25, "strong")])
def test_bayes_factors_read_as_kass_and_raftery_say(factor, words):
    assert pb.bayes_factor(factor).words == words


def test_a_bayes_factor_from_posterior_and_prior_probabilities():
    # prior 0.2 (one of five), posterior 0.035: odds against 27.6 after, 4 before
    factor = pb.posterior_odds_factor(0.035, 0.2)
    assert factor == pytest.approx((0.965 / 0.035) / 4)
    assert pb.bayes_factor_words(factor) == "positive evidence"
    assert pb.bayes_factor_words(1.5) == "evidence not worth more than a bare mention"
    # a factor whose Monte Carlo error reaches across a boundary is said to be at the edge
    assert pb.bayes_factor_words(2.99, 0.01) == (
        "at the edge between evidence not worth more than a bare mention and positive evidence")
    assert pb.bayes_factor_words(2.9, 0.01) == "evidence not worth more than a bare mention"


@pytest.mark.parametrize(("p", "words"), [
    (0.0002, "very strong evidence"), (0.001, "strong evidence"), (0.0069, "strong evidence"),
    (0.01, "moderate evidence"), (0.036, "moderate evidence"), (0.05, "weak evidence"),
    (0.053, "weak evidence"), (0.1, "little or no evidence"), (0.59, "little or no evidence")])
def test_p_values_in_the_language_of_evidence(p, words):
    """Muff and others (2022): below 0.001 very strong, to 0.01 strong, to 0.05 moderate, to
    0.1 weak, above little or no evidence."""
    assert pb.evidence(p) == words


def test_chance_and_simulated_p_values_against_the_level():
    assert pb.chance_words(0.05) == "more than chance"
    assert pb.chance_words(0.0501) == "not clearly more than chance"
    assert pb.simulated_p(0.02, 0.01) == "below"
    assert pb.simulated_p(0.045, 0.015) == pb.EDGE
    assert pb.simulated_p(0.09, 0.015) == "above"
    assert pb.simulated_together([(0.02, 0.01), (0.09, 0.015)]) == pb.EDGE
    assert pb.simulated_together([(0.02, 0.01), (0.01, 0.005)]) == "below"


@pytest.mark.parametrize(("low", "high", "where", "clear"), [
    (1.06, 3.0, "excludes", "clear"), (1.04, 3.0, pb.EDGE, pb.EDGE),
    (0.98, 9.42, pb.EDGE, pb.EDGE), (0.94, 3.0, "includes", "not clear"),
    (0.072, 0.80, "excludes", "clear"), (0.5, 0.96, pb.EDGE, pb.EDGE),
    (0.5, 0.95, "excludes", "clear")])
def test_an_interval_end_within_five_percent_of_no_change_is_at_the_edge(low, high, where,
                                                                         clear):
    assert pb.interval(low, high) == where
    assert pb.clear_words(low, high) == clear
    assert pb.clearly(low, high) == ("clearly" if clear == "clear" else "not clearly")


def test_the_basis_of_a_test_is_confirmatory_only_when_independent_of_the_data():
    assert pb.confirmatory("independent") == "yes"
    for code in ("same-reports", "suggested", "searched"):
        assert pb.confirmatory(code).startswith("no: ")
        assert "confirmatory" not in pb.test_basis(code)
    assert pb.test_basis("independent") == "a confirmatory test"


@pytest.mark.parametrize(("se", "step", "value", "text"), [
    (0.03, 0.1, 4.0199, "4.0"), (0.004, 0.01, 0.9574, "0.96"), (0.0004, 0.001, 0.0132, "0.013"),
    (0.002, 0.01, 0.0132, "0.01"), (0.3, 1.0, 4.02, "4")])
def test_monte_carlo_digits_follow_the_error(se, step, value, text):
    from scrlib.its import fmt

    assert fmt.mc_step(se) == pytest.approx(step)
    assert fmt.with_error(value, se) == text


def _vocabulary() -> list[str]:
    return sorted(set(pb.VOCABULARY), key=len, reverse=True)


def _texts(path: Path):
    """(line, text) of every string a module writes: string constants and the literal parts
    of f-strings, docstrings left out (they describe code, a reader never sees them)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value,
                                                                     ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            yield node.lineno, node.value


def _hits(text: str, words) -> list[str]:
    text = text.lower()
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


# A word of the vocabulary that another module writes without judging a number: (module,
# word) -> why it is allowed there.
ALLOWED: dict[tuple[str, str], str] = {
    ("reader/glossary.py", "more than chance"):
        "the glossary defines overdispersion ('counts that vary more than chance alone would "
        "make them'), judging no number",
}


def test_no_other_module_types_a_word_of_strength():
    """The phrasebook is the only place in scrlib/ that writes a word of strength: every
    phrase of its vocabulary is searched for (as whole words) in every string every other
    module writes (string constants and the literal parts of f-strings)."""
    words = _vocabulary()
    assert {"slightly", "clearly", "about as well", "at the edge", "suggestive",
            "essentially no support", "confirmatory", "moderate evidence",
            "positive evidence", "more than chance"} <= set(words)
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "reader/phrasebook.py":
            continue
        for line, text in _texts(path):
            found += [f"{rel}:{line}: {w!r}" for w in _hits(text, words)
                      if (rel, w) not in ALLOWED]
    assert not found, "\n".join(found)


def test_the_search_finds_a_typed_word_and_skips_docstrings(tmp_path):
    """The search of the test above catches a word typed beside a number, in a plain string
    or in an f-string, and leaves docstrings and names alone."""
    source = tmp_path / "m.py"
    source.write_text('def f(p, clear):\n    """Says whether it is clear."""\n'
                      '    return f"the criterion slightly prefers it (p = {p})"\n')
    texts = list(_texts(source))
    assert {line for line, _ in texts} == {3}  # the docstring on line 2 is left out
    assert [w for _, t in texts for w in _hits(t, _vocabulary())] == ["slightly"]
