"""No code on a reader's page: the committed notebooks' outputs (what the report renders) hold
no period code, parameter or rule id, glued family name or doubled percent sign, their tables
one header row of capitalised headers, and every answer at most 120 words (issue 34).

The built report (every page, SVG and chart CSV) is scanned by the report's own tests; this
module reads the notebooks as committed (``make refresh`` writes them), so it is cheap."""

from __future__ import annotations

import html
import re

import nbformat
import pytest

from scrlib.reader import answers, words
from scrlib.record.paths import notebooks_dir

NOTEBOOKS = sorted(notebooks_dir().glob("[0-9]*.ipynb"))

# What a reader must never see (the name says why), searched in every output's text with its
# web addresses taken out (an address may hold anything).
CODE_LIKE = {
    "a period code": r"(?<![\w/-])(?:FY|PY|CY)[0-9]{4}",
    "a range of period codes": r"[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?\.\.",
    "a parameter name": r"(?<![\w/.#=&?-])[a-z]+_[a-z0-9_]+\b",
    "a family name as code": r"\b(?:negativebinomial|quasipoisson)\b",
    "a doubled percent sign": r"%%",
    "a missing value as code": r"\b(?:NaN|nan|None)\b",
    "a parameter set as code": r"\b[a-z_]+: (?:recorded|alternative|negativebinomial)\b",
}


def _rule_ids() -> list[str]:
    from scrlib.record.schema import RULES

    return list(RULES)


def outputs(notebook):
    """(cell index, what, text) of every output a reader sees: the rich form the report
    renders (HTML without its tags, else Markdown, else plain text) and each image's alt
    text."""
    nb = nbformat.read(notebook, as_version=4)
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", ()):
            data = output.get("data", {})
            for mime in ("text/html", "text/markdown", "text/plain"):
                if mime in data:
                    text = data[mime]
                    if mime == "text/html":
                        text = html.unescape(re.sub(r"<style.*?</style>|<[^>]+>", " ", text,
                                                    flags=re.S))
                    yield i, mime, text
                    break
            if output.get("output_type") == "stream":
                yield i, "console", output.get("text", "")
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            if alt:
                yield i, "alt text", alt


def found_code(text: str) -> list[str]:
    """What in ``text`` looks like code to a reader (none for plain words)."""
    text = re.sub(r"https?://\S+", " ", text)
    hits = [f"{why}: {m.group(0)!r}" for why, pattern in CODE_LIKE.items()
            for m in re.finditer(pattern, text)]
    hits += [f"a rule id: {rule!r}" for rule in _rule_ids()
             if re.search(rf"(?<![\w/-]){re.escape(rule)}(?![\w/-])", text)]
    return hits


def test_the_scan_finds_what_the_issue_found():
    """Each pattern the issue lists is caught, and plain words pass."""
    for text in ("2011-02..2011-03", "CY2020", "PY2013-14", "FY2016-17",
                 "conflict_rule: alternative", "family: negativebinomial",
                 "primary-over-retelling", "21.8%%", "output_dir: figures"):
        assert found_code(text), text
    assert not found_code("February to March 2011; 2016-17 (April to March); 21.8%; the "
                          "alternative figure where sources disagree; negative binomial; "
                          "https://example.org/a_b/FY2012-13")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_output_shows_code(notebook):
    found = [f"cell {i} ({what}): {hit}" for i, what, text in outputs(notebook)
             for hit in found_code(text)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_table_has_one_header_row_with_capitalised_headers(notebook):
    nb = nbformat.read(notebook, as_version=4)
    bad = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", ()):
            body = output.get("data", {}).get("text/html", "")
            head = re.search(r"<thead>(.*?)</thead>", body, re.S)
            if not head:
                continue
            rows = re.findall(r"<tr.*?</tr>", head.group(1), re.S)
            if len(rows) != 1:
                bad.append(f"cell {i}: {len(rows)} header rows")
            for cell_text in re.findall(r"<th[^>]*>(.*?)</th>", head.group(1), re.S):
                words = html.unescape(re.sub(r"<[^>]+>", "", cell_text)).strip()
                if words and words[0].islower() and not re.match(r"p\b", words):
                    bad.append(f"cell {i}: header {words!r}")
    assert not bad, "\n".join(bad)


def test_every_answer_is_at_most_120_words_and_links_its_numbers():
    """The brief answer on each page (and so on the index) is at most 120 words, followed by
    "How sure, in detail"; 02 to 05 name the evidence of their numbers."""
    briefs = {}
    for notebook in NOTEBOOKS:
        for _, what, text in outputs(notebook):
            if what == "text/markdown" and text.startswith("**In brief.**"):
                brief = text.split("\n\n**How sure, in detail.**")[0]
                briefs[notebook.stem] = (brief, "**How sure, in detail.**" in text)
    assert set(briefs) == {"02-initiated", "03-publication", "04-notifications",
                           "05-sensitivity", "07-long-record"}
    for name, (brief, detailed) in briefs.items():
        words = answers.word_count(brief.removeprefix("**In brief.** "))
        assert words <= answers.LIMIT, f"{name}: {words} words"
        assert detailed, name
        assert not re.search(r"\bp [=<]", brief), f"{name}: a p-value in the answer"
    for notebook in NOTEBOOKS:
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", ()):
                if output.get("data", {}).get("text/markdown", "").startswith("**In brief."):
                    links = output["metadata"]["text/markdown"]["scrlib_links"]
                    assert links, notebook.stem


@pytest.mark.parametrize(("value", "shown"), [
    (378030, "378,030"), (378030.0, "378,030"), (12183016, "12,183,016"), (72, "72"),
    (0.35, "0.35"), (346.4, "346.4"), (-3630, "-3,630")])
def test_a_figure_reads_as_a_reader_writes_it(value, shown):
    """A count in a table or on a chart has thousands separators and no exponent or '.0'."""
    assert words.figure(value) == shown
