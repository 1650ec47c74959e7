"""The report's own pages (index, figures page) built from the record, without running a
notebook: references, the figures page's order and its accounts of computed numbers."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from scrlib.publish import pages, report


@pytest.fixture
def chrome():
    return pages.Chrome("2026-12-05", "0123456789abcdef", (("02-initiated", "Initiated"),))


def _stage(tmp_path: Path) -> Path:
    (tmp_path / "figures").mkdir(parents=True, exist_ok=True)
    return tmp_path


def _index(tmp_path, dataset, chrome) -> str:
    return pages.index_page(_stage(tmp_path), [], report.ReportConfig(), dataset, None, chrome)


def test_the_index_lists_each_work_once_led_by_its_author(tmp_path, dataset, chrome):
    from scrlib.record.cite import works

    index = _index(tmp_path, dataset, chrome)
    refs = re.findall(r"<li>(.*?)</li>", index.split('<ol class="references">')[1]
                      .split("</ol>")[0], flags=re.S)
    found = works(dataset)
    assert len(refs) == len(found) < len(dataset.sources)
    for ref, work in zip(refs, found, strict=True):
        assert html.unescape(re.sub(r"<[^>]+>", "", ref)).startswith(f"{work.author} ("), ref
    for copy in dataset.sources[dataset.sources["mirror_of"] != ""].itertuples():
        original = dataset.source(copy.mirror_of)
        shown = [r for r in refs if copy.url in r]
        assert len(shown) == 1 and shown[0].index(f'href="{original.url}"') < shown[0].index(
            f'href="{copy.url}"')


def _figures(dataset, chrome, numbers=()) -> str:
    from scrlib.reader.answers import KeyMessage

    return pages.figures_page(dataset, chrome, [KeyMessage(("A sentence.",), "", (), numbers)])


def _text(page: str) -> str:
    """What a reader sees of a page: tags and addresses (link targets) removed."""
    body = page.split("<main", 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"https?://[^\s\"<]+", "", body)))


def test_the_figures_page_follows_the_story_with_contents(dataset, chrome):
    from scrlib.publish.figures_page import story_order

    page = _figures(dataset, chrome)
    groups = story_order(dataset)
    assert groups[0][1][0] == "scr-initiated"  # the key message's series comes first
    order = [s for _, ids in groups for s in ids]
    assert sorted(order) == sorted(set(dataset.figures["series_id"]))
    where = [page.index(f'<section id="series-{s}">') for s in order]
    assert where == sorted(where)
    contents = page.split('<nav class="contents"')[1].split("</nav>")[0]
    targets = re.findall(r'href="#([^"]+)"', contents)
    assert [t for t in targets if t.startswith("series-")] == [f"series-{s}" for s in order]
    for target in targets:
        assert f'id="{target}"' in page, target
    assert page.index("<nav class=\"contents\"") < page.index('<section id="series-')


def test_a_computed_number_shows_its_inputs_each_linked(dataset, chrome):
    from scrlib.reader.evidence import figure_anchor, number_anchor
    from scrlib.record.periods import readable

    number = {"text": "about 135 a year", "series": "scr-initiated", "how": "average",
              "periods": ["FY2007-08", "FY2008-09", "FY2009-10"]}
    page = _figures(dataset, chrome, (number,))
    entry = page.split(f'<li id="{number_anchor(number)}">')[1].split("</li>")[0]
    used = dataset.resolved(["scr-initiated"]).set_index("period")["value"]
    for period in number["periods"]:
        shown = f"{used[period]:g} ({readable(period)})"
        assert f'<a href="#{figure_anchor("scr-initiated", period)}">{shown}</a>' in entry
        assert f'id="{figure_anchor("scr-initiated", period)}"' in page
    assert "the average of" in entry


def test_where_sources_disagree_the_value_used_and_its_rule_are_said(dataset, chrome):
    from scrlib.reader.evidence import figure_anchor
    from scrlib.record.schema import RULES

    page = _figures(dataset, chrome)
    conflicts = dataset.conflicts()
    assert not conflicts.empty
    resolved = dataset.resolved().set_index(["series_id", "period"])["value"]
    for (series, period), rows in conflicts.groupby(["series_id", "period"]):
        block = page.split(f'id="{figure_anchor(series, period)}"')[1].split("<h4")[0]
        block = block.split("</section>")[0]
        used = re.findall(r"<strong>([\d,.]+)%?</strong> <span class=\"used\">", block)
        value = resolved[(series, period)]
        assert used == [f"{value:,g}"] * (rows["value"] == value).sum(), (series, period)
        assert block.count('class="not-used"') == (rows["value"] != value).sum()
        assert RULES[rows["rule"].iloc[0]] in html.unescape(block)
    for rule in RULES:
        assert rule not in _text(page), rule  # rule ids never shown


def test_the_figures_page_has_no_doubled_quotes_or_period_codes(dataset, chrome):
    page = _figures(dataset, chrome)
    assert page.count('<q class="excerpt">') == dataset.figures["excerpt"].ne("").sum()
    assert not re.search(r"(&ldquo;|&quot;|[\"\u201c'])\s*<q\b", page)
    assert not re.search(r"</q>\s*(&rdquo;|[\"\u201d])", page)
    text = _text(page)
    assert not re.search(r"\b(FY|PY|CY)\d{4}", text)
    assert not re.search(r"\d\.\.\d|\d{4}-\d{2}\.\.", text)


def test_each_terms_first_use_links_to_the_glossary_and_only_in_text():
    from scrlib.publish.terms import link_terms

    page = ("<html><head><title>SCRs</title></head><body><nav><a href='x'>SCR</a></nav>"
            "<main><h1>Serious Case Reviews</h1><p>An <a href='y'>SCR</a> here.</p>"
            '<p><img alt="SCRs in 2012"> <q>the SCR said</q> <cite>SCRs</cite> The LSCB '
            "held 3 SCRs; the LSCB and an SCR again, p = 0.05.</p></main></body></html>")
    linked = link_terms(page)
    assert linked.count('class="term"') == 3
    assert '<a class="term" href="index.html#term-scr">SCRs</a>;' in linked
    assert '<a class="term" href="index.html#term-lscb">LSCB</a>' in linked
    assert '<a class="term" href="index.html#term-p-value">p</a> = 0.05' in linked
    assert linked.count("term-lscb") == 1  # the first use only
    untouched = ("<title>SCRs</title>", "<h1>Serious Case Reviews</h1>", 'alt="SCRs in 2012"',
                 "<q>the SCR said</q>", "<cite>SCRs</cite>", "<a href='y'>SCR</a>")
    assert all(part in linked for part in untouched)
    assert link_terms(page, on_index=True).count('href="#term-') == 3
    assert link_terms(linked) == linked  # a second pass changes nothing


def test_the_index_has_a_glossary_every_page_links_into(tmp_path, dataset, chrome):
    from scrlib.publish.terms import link_pages
    from scrlib.reader.glossary import OFFICIAL, TERMS, record_words

    (tmp_path / "index.html").write_text(_index(tmp_path, dataset, chrome))
    (tmp_path / "figures.html").write_text(_figures(dataset, chrome))
    link_pages(tmp_path)
    index = (tmp_path / "index.html").read_text()
    ids = set(re.findall(r'\bid="([^"]+)"', index))
    glossary = index.split('<dl class="glossary glossary-terms">')[1].split("</dl>")[0]
    for term in TERMS:
        assert f'<dt id="{term.anchor}">' in glossary, term.name
    assert "LSCB (Local Safeguarding Children Board)" in _text(index)
    for term in OFFICIAL:  # official terms rest on the record's own words, quoted
        words = record_words(dataset, term)
        assert words, term.name
        entry = glossary.split(f'<dt id="{term.anchor}">')[1].split("<dt")[0]
        for said, source_id in words:
            if source_id:
                assert f"<q>{html.escape(said)}</q>" in entry
                assert f'href="#source-{source_id}"' in entry and f"source-{source_id}" in ids
    for page in ("index.html", "figures.html"):
        text = (tmp_path / page).read_text()
        links = re.findall(r'<a class="term" href="(?:index\.html)?#([^"]+)"', text)
        assert "term-scr" in links and len(links) == len(set(links)), page
        assert set(links) <= ids, page


def test_a_lab_only_cell_stays_out_of_the_report_page(tmp_path, chrome):
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    nb = new_notebook(cells=[new_markdown_cell("# A section"),
                             new_markdown_cell("Run this cell in JupyterLab.",
                                               metadata={"tags": [pages.LAB_ONLY]}),
                             new_markdown_cell("What a reader reads.")])
    nbformat.write(nb, tmp_path / "07-x.ipynb")
    pages.render_notebook(tmp_path / "07-x.ipynb", tmp_path / "07-x.html", chrome)
    page = (tmp_path / "07-x.html").read_text()
    assert "What a reader reads." in page and "Run this cell" not in page


def test_every_page_has_a_skip_link_to_its_content(tmp_path, dataset, chrome):
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    nbformat.write(new_notebook(cells=[new_markdown_cell("# A section")]), tmp_path / "x.ipynb")
    pages.render_notebook(tmp_path / "x.ipynb", tmp_path / "x.html", chrome)
    for page in (_index(tmp_path, dataset, chrome), _figures(dataset, chrome),
                 (tmp_path / "x.html").read_text()):
        body = page.split("<body", 1)[1].split(">", 1)[1].lstrip()
        assert body.startswith('<a class="skip-link" href="#main">'), body[:80]
        assert page.count('<main id="main">') == 1
