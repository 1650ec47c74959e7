"""What readers see: numbers rounded, a dash for missing, plain answers generated from results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from scrlib.its import explain, fit, fmt, leave_one_out, minimum_detectable_effect, scan
from scrlib.reader import answers, result_tables

FY = "Y-MAR"


@pytest.mark.parametrize(("value", "text"), [
    (0.000182979, "< 0.001"), (0.0533, "0.053"), (0.0069, "0.0069"), (0.59, "0.59"),
    (0.996, "1.0"), (np.nan, fmt.DASH), (None, fmt.DASH)])
def test_p_values_are_rounded_for_readers(value, text):
    assert fmt.p(value) == text
    if not fmt.missing(value):
        assert fmt.p_phrase(value) in (f"p {text}", f"p = {text}")


def test_ratios_intervals_and_tables():
    assert fmt.ratio(2.4434) == "2.44" and fmt.ratio(0.0716) == "0.072"
    assert fmt.ratio(2.4e-11) == "< 0.001" and fmt.ratio(np.inf) == "unbounded"
    assert fmt.interval(0.65, np.inf) == "0.65 to no upper limit"
    table = fmt.readable(pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]}),
                         {"a": lambda v: fmt.number(v, 1)})
    assert table["a"].tolist() == ["1.0", fmt.DASH] and table["b"].tolist() == ["x", fmt.DASH]
    assert fmt.labelled(pd.DataFrame({"k": ["r"], "v": [1]})).index.tolist() == ["r"]


@pytest.fixture(scope="module")
def dip() -> pd.DataFrame:
    return pd.DataFrame({"fiscal_year": pd.period_range("2008", periods=9, freq=FY),
                         "year": [f"{y}-{(y + 1) % 100:02d}" for y in range(2007, 2016)],
                         "count": [140, 133, 138, 80, 78, 96, 139, 142, 137]})


@pytest.fixture(scope="module")
def analysis(dip):
    dates = {"first": pd.Timestamp("2010-06-10"), "second": pd.Timestamp("2012-07-01")}
    result = fit(dip, outcome="count", time="fiscal_year", interventions=dates,
                 family="quasipoisson")
    step = scan(dip, outcome="count", time="fiscal_year", replicates=19, resolution="year",
                candidates=dates)
    two = scan(dip, outcome="count", time="fiscal_year", breaks=2, kind="dip", replicates=19,
               resolution="year", candidates=dates)
    expl = explain(dip, outcome="count", time="fiscal_year", policy=dates, step_scan=step,
                   dip_scan=two)
    return dates, result, step, two, expl


def test_reader_tables_have_no_missing_values_or_long_decimals(analysis, dip):
    dates, result, step, two, expl = analysis
    loo = leave_one_out(dip, outcome="count", time="fiscal_year", interventions=dates,
                        family="quasipoisson")
    shown = [result_tables.effects(result), result_tables.facts(result),
             result_tables.scans(step, two), result_tables.scan_candidates(two),
             result_tables.explanations(expl), result_tables.nested_tests(expl),
             result_tables.leave_one_out(loo),
             result_tables.detectable(minimum_detectable_effect(result))]
    for table in shown:
        text = table.to_string()
        assert "NaN" not in text and "nan" not in text.lower().split(), text
        assert not any(len(w.split(".")[-1]) > 4 and w.replace(".", "").isdigit()
                       for w in text.split()), text
        assert not isinstance(table.index, pd.RangeIndex)  # labelled rows, no row numbers


def test_the_plain_answer_takes_its_numbers_from_the_results(analysis, dip, tmp_path):
    dates, result, step, two, expl = analysis
    mde = minimum_detectable_effect(result)
    answer = answers.initiated(dip, dates, result, expl, step_scan=step, dip_scan=two,
                               detectable=mde, nearby=["Other event"], chart="c")
    text = answer.text
    assert 3 <= len(answer.sentences) <= 5
    assert "about 137 a year from 2007-08 to 2009-10" in text  # mean of 140, 133, 138
    assert "80 in 2010-11" in text and "78 in 2011-12" in text
    assert fmt.ratio(mde[mde["intervention"] == "second"]["mde_increase"].iloc[0]) in text
    best = expl.table.iloc[0]["explanation"]
    assert answers.plain_label(best) in text
    used = two if "temporary" in best else step
    assert fmt.p_phrase(used.p_value, used.smallest_p) in text
    assert "What the data cannot say" in text and "Other event" in text
    written = json.loads(answer.write(tmp_path).read_text())
    assert written["sentences"] == list(answer.sentences) and written["chart"] == "c"
    assert answers.read(tmp_path) == [answer]
    assert answer.write("") is None


def test_the_answer_changes_its_words_with_the_evidence(dip):
    dates = {"first": pd.Timestamp("2010-06-10"), "second": pd.Timestamp("2012-07-01")}
    flat = dip.assign(count=[130, 128, 133, 129, 131, 127, 132, 130, 129])
    result = fit(flat, outcome="count", time="fiscal_year", interventions=dates,
                 family="quasipoisson")
    expl = explain(flat, outcome="count", time="fiscal_year", policy=dates)
    text = answers.initiated(flat, dates, result, expl).text
    assert "which includes no change" in text
    assert "is clear on its own" not in text


def test_a_table_names_its_numbers_evidence_and_the_page_links_only_the_cells_still_holding_them():
    import pandas as pd

    from scrlib.its.fmt import DASH
    from scrlib.publish.pages import _link_table
    from scrlib.reader.notebook import LINKS, table_html, with_links

    table = with_links(pd.DataFrame({"Value": ["72", DASH], "Note": ["a", "b"]},
                                    index=pd.Index(["2010-11", "2011-12"], name="Year")),
                       [(0, "Value", "sp-x-FY2010-11"), (1, "Value", "sp-x-FY2011-12")])
    body, meta = table_html(table)
    assert meta == {LINKS: [{"row": 0, "column": 0, "text": "72", "anchor": "sp-x-FY2010-11"}]}
    linked = _link_table(body, meta[LINKS])
    assert '<td><a class="number" href="figures.html#sp-x-FY2010-11">72</a></td>' in linked
    assert linked.count("<a ") == 1  # the dash is not a number and links nowhere
    moved = [{**meta[LINKS][0], "row": 1}]  # a link whose cell holds other words is not made
    assert _link_table(body, moved) == body
    assert table_html(pd.DataFrame({"a": [1]})) == pd.DataFrame({"a": [1]})._repr_html_()


@pytest.fixture(scope="module")
def bayesian():
    """The Bayesian cross-check of eight yearly counts under each prior set (no placed dates,
    for speed), with the temporary change marked as suggested by the data."""
    from scrlib.its import bayes

    frame = pd.DataFrame({"year": pd.period_range("2008", periods=8, freq=FY),
                          "count": [137.0, 131, 136, 72, 93, 143, 166, 134]})
    return bayes.sensitivity(frame, outcome="count", time="year", draws=512, placed=(),
                             policy={"first": "2010-06-10", "second": "2012-07-01"},
                             suggested=("temporary",))


def test_the_bayesian_answer_puts_the_exploratory_explanation_aside_with_numbers(bayesian):
    """Where the most probable explanation is the one the data suggested, the answer also
    ranks the rest on their own, with their probabilities renormalised."""
    from scrlib.reader import sentences

    default = bayesian["default"]
    table = default.explanations.set_index("explanation")["probability"]
    text = sentences.bayes_sentences(bayesian)
    lead = default.leading
    if lead["basis"] == "suggested":
        rest = table.drop(lead["explanation"])
        best = rest.idxmax()
        assert "Leaving it out, the most probable is" in text
        assert f"**{best}** (probability {fmt.probability(rest[best] / rest.sum())})" in text
    else:
        assert "Leaving it out" not in text
    assert f"(probability {fmt.probability(lead['probability'])})" in text
    assert "within this set of explanations" in text


def test_an_interval_end_near_one_is_not_called_either_way(bayesian):
    from scrlib.reader import sentences

    default = bayesian["default"]
    rows = default.effects[default.effects["explanation"].str.startswith("permanent")]
    lines = sentences._bayes_effect_sentences(default, None)
    assert len(lines) == len(rows)
    shifted = default.effects.copy()
    shifted.loc[rows.index, ["low", "high"]] = [[0.97, 2.0]] * len(rows)

    class Result:  # a frequentist fit whose intervals are far from 1
        effects = pd.DataFrame({"intervention": ["first", "second"], "effect": ["step"] * 2,
                                "rate_ratio": [0.3, 3.0], "ci_low": [0.1, 2.0],
                                "ci_high": [0.6, 5.0]})

    near = sentences._bayes_effect_sentences(
        type(default)(default.priors, default.explanations, shifted, default.dates,
                      default.draws, default.seed, default.rope), Result())
    assert all("too close to 1 to say" in line for line in near)
    assert not any("both intervals" in line for line in near)


def test_the_sensitivity_answer_counts_add_up_with_the_unfitted_included():
    """Item 8 of issue 32: every specification is accounted for once (not fitted, a repeat,
    a family the dispersion check rejects, or in the summary), and the counts said add up."""
    import re

    rows = ([{"status": "not fitted: not identified", "distinct": False,
              "passes_dispersion_check": False, "excludes_null": False, "rate_ratio": np.nan}]
            * 3
            + [{"status": "fitted", "distinct": False, "passes_dispersion_check": True,
                "excludes_null": False, "rate_ratio": 1.5}] * 5
            + [{"status": "fitted", "distinct": True, "passes_dispersion_check": False,
                "excludes_null": True, "rate_ratio": 2.0}] * 4
            + [{"status": "fitted", "distinct": True, "passes_dispersion_check": True,
                "excludes_null": r % 2 == 0, "rate_ratio": 1.0 + r / 10} for r in range(6)])
    table = pd.DataFrame(rows)
    choices = pd.DataFrame(columns=["choice", "value", "models", "median rate ratio",
                                    "share excluding 1"])
    first = answers.sensitivity(table, choices, None).sentences[0]
    numbers = [int(n) for n in re.findall(r"\b\d+\b", first.split(";")[0] + first.split(
        "remaining")[1].split("distinct")[0])]
    total, *parts = numbers
    assert total == len(table) == 18
    assert parts == [3, 5, 4, 6] and sum(parts) == total, first
    assert "could not be fitted" in first



def test_the_key_message_gives_both_readings_each_tied_to_what_it_assumes(analysis, dip):
    """Item 10 of issue 32: the frequentist reading (what series with no change would give)
    and the Bayesian one (the probability of no change among the explanations fixed in
    advance, equally likely beforehand, and its Bayes factor in Kass and Raftery's words) in
    one sentence, each with its words from the phrasebook."""
    from scrlib.its import bayes
    from scrlib.reader import phrasebook

    dates, result, step, two, expl = analysis
    found = bayes.posterior(dip, outcome="count", time="fiscal_year", draws=512, placed=(),
                            policy=dates, suggested=("temporary",))
    key = answers.key_message(dip, dates, scan=two, bayes=found)
    table = found.explanations[found.explanations["basis"] != "suggested"]
    p = float(table.set_index("explanation").loc["no change", "probability"]
              / table["probability"].sum())
    factor = phrasebook.posterior_odds_factor(p, 1 / len(table))
    sentence = next(s for s in key.sentences if "weighed the Bayesian way" in s)
    assert "equally likely beforehand" in sentence and "not suggested by these counts" in sentence
    assert f"a Bayes factor of about {phrasebook.about(factor)}" in sentence or (
        "a Bayes factor of about" in sentence)
    assert phrasebook.bayes_factor(factor).words in sentence
    if not phrasebook.beyond_chance(two.p_value):
        assert "if nothing had changed" in sentence
        assert f"{phrasebook.evidence(two.p_value)} against no change" in sentence
    answer = answers.initiated(dip, dates, result, expl, step_scan=step, dip_scan=two,
                               bayes=found)
    assert sum("weighed the Bayesian way" in s for s in answer.sentences) == 1
