import json

import pytest

from scrlib.record.cite import (
    bibtex,
    citation,
    csl_item,
    escape_markdown,
    reference,
    reference_list,
    source_line,
)


def test_citation_of_a_figure_quotes_its_excerpt_and_source(dataset):
    row = dataset.figures.iloc[0]
    c = citation(dataset, row["figure_id"])
    assert c.source.source_id == row["source_id"]
    assert c.figure.excerpt == row["excerpt"]
    text = c.text()
    assert row["excerpt"] in text and c.source.url in text and "accessed" in text


def test_unknown_figure_is_a_key_error(dataset):
    with pytest.raises(KeyError, match="unknown figure"):
        citation(dataset, "no-such-figure")


def test_reference_list_covers_every_source_in_every_style(dataset):
    ids = list(dataset.sources["source_id"])
    text = reference_list(dataset, style="text")
    assert len(text.splitlines()) == len(ids)
    items = json.loads(reference_list(dataset, style="csl-json"))
    assert sorted(i["id"] for i in items) == sorted(ids)
    assert all(i["type"] and i["URL"] and i["accessed"]["date-parts"] for i in items)
    bib = reference_list(dataset, style="bibtex")
    assert bib.count("@misc{") == len(ids)
    with pytest.raises(ValueError, match="allowed: text"):
        reference_list(dataset, style="apa")


def test_reference_shows_date_or_nd_and_mirror(dataset):
    stowe = dataset.source("stowe-scrs-on-the-rise")
    assert reference(stowe).startswith("Stowe Family Law (22 April 2014).")
    assert "(n.d.)" in reference(dataset.source("cypnow-absence-of-ofsted-evaluation"))
    item = csl_item(stowe)
    assert item["issued"] == {"date-parts": [[2014, 4, 22]]}
    assert "year = {2014}" in bibtex(stowe) and "month = {4}" in bibtex(stowe)


def test_source_line_names_each_source_once_in_stable_order(dataset):
    ids = ["stowe-scrs-on-the-rise", "cypnow-absence-of-ofsted-evaluation;stowe-scrs-on-the-rise"]
    line = source_line(dataset, ids)
    assert line == "Source: Children & Young People Now (n.d.); Stowe Family Law (2014)."


def test_markdown_escaping_neutralises_markup():
    out = escape_markdown("<script>alert(1)</script> *bold* [x](y) $x$ _i_")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert r"\*bold\*" in out and r"\[x\]\(y\)" in out and r"\$x\$" in out


def test_a_copy_is_cited_original_first_then_read_at_the_copy(dataset):
    from scrlib.record.cite import reference, reference_list

    copy = dataset.source("vdocuments-munro-final-report")
    original = dataset.source(copy.mirror_of)
    text = reference_list(dataset, [copy.source_id])
    assert text == reference(copy, original)
    assert text.startswith(reference(original)) and f"Read at: {copy.publisher}" in text
    assert text.index(original.url) < text.index(copy.url)
    markdown = reference_list(dataset, [copy.source_id], style="markdown")
    assert "Read at:" in markdown
