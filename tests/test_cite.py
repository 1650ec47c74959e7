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


def test_reference_list_has_one_entry_per_work_in_every_style(dataset):
    """An original and the copies of it that were read are one entry; every source is in one."""
    from scrlib.record.cite import works

    ids = list(dataset.sources["source_id"])
    copies_of_registered = dataset.sources["mirror_of"].isin(ids).sum()
    assert copies_of_registered > 0  # the record has copies whose original was read too
    n_works = len(ids) - copies_of_registered
    assert sorted(s.source_id for w in works(dataset) for s in w.sources) == sorted(ids)
    text = reference_list(dataset, style="text")
    assert len(text.splitlines()) == n_works
    items = json.loads(reference_list(dataset, style="csl-json"))
    assert len(items) == n_works == len({i["id"] for i in items})
    assert all(i["type"] and i["URL"] and i["accessed"]["date-parts"] for i in items)
    bib = reference_list(dataset, style="bibtex")
    assert bib.count("@misc{") == n_works
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
    assert text == reference_list(dataset, [copy.source_id, original.source_id])  # one entry
    assert text.startswith(f"{original.publisher} (") and "Read at a copy on" in text
    assert text.index(original.url) < text.index(copy.url)
    markdown = reference_list(dataset, [copy.source_id], style="markdown")
    assert markdown.index(f"<{original.url}>") < markdown.index("Read at a copy on")


def _hosts(dataset):
    """The hosts of the record's copies (mirrors, proxies and document-sharing sites)."""
    from urllib.parse import urlsplit

    copies = dataset.sources[dataset.sources["copy"] == "yes"]
    return {urlsplit(u).hostname for u in copies["url"]}


def test_no_reference_is_led_by_a_mirror_or_proxy_host(dataset):
    """An entry starts with the work's author or publisher, never the copy's site; the
    original's address comes before any copy's."""
    from scrlib.record.cite import works

    hosts = _hosts(dataset)
    assert {"247215.ittrading-hk.tech", "fly1.wordsworth.site", "bbctodays.pages.dev"} <= hosts
    for line in reference_list(dataset, style="text").splitlines():
        lead = line.split(" (")[0]
        assert not any(h in lead or h.removeprefix("www.") in lead.lower() for h in hosts), line
        assert "mirror at" not in lead and "document copy" not in lead, line
    for work in works(dataset):
        text = reference_list(dataset, [s.source_id for s in work.sources])
        address = work.original.url if work.original is not None else work.address
        for copy in work.copies:
            if address:
                assert text.index(address) < text.index(copy.url), text


def test_a_copy_whose_original_was_not_read_names_the_work_not_the_host(dataset):
    from scrlib.record.cite import work_html, works

    by_key = {w.key: w for w in works(dataset)}
    govuk = by_key["mirror-govuk-expert-panel-stronger-measures"]
    assert govuk.author == "GOV.UK"
    assert govuk.address.startswith("https://www.gov.uk/government/news/")
    shown = work_html(govuk)
    assert shown.index(f'<a href="{govuk.address}">') < shown.index("fly1.wordsworth.site")
    bbc = by_key["bbc-mirror-ofsted-evaluation-2009"]
    assert bbc.author == "BBC News" and bbc.address == ""
    assert "address is not known" in work_html(bbc)
    docest = by_key["docest-ages-of-concern"]
    assert docest.author == "Ofsted" and "Original stored" not in work_html(docest)


def test_references_are_sorted_by_author_then_date(dataset):
    from scrlib.record.cite import works

    found = works(dataset)
    keys = [(w.author.casefold(), w.date) for w in found]
    assert keys == sorted(keys)


def test_every_address_in_a_reference_is_a_link(dataset):
    import re

    from scrlib.record.cite import work_html, works

    for work in works(dataset):
        shown = work_html(work)
        text = re.sub(r"<a href=\"[^\"]*\">[^<]*</a>", "", shown)
        assert not re.search(r"https?://", text), shown


def test_each_reference_anchor_is_on_one_entry_only(dataset):
    import re

    from scrlib.record.cite import work_html, works

    ids = [i for w in works(dataset) for i in re.findall(r'\bid="([^"]+)"', work_html(w))]
    assert len(ids) == len(set(ids)) == len(dataset.sources)  # each source once, none twice


def test_a_chart_source_line_names_the_work_never_a_copys_site(dataset):
    """A chart citing a copy names the work's author (and year), never the copy's host."""
    from scrlib.record.cite import short_reference, works

    copies = dataset.sources[dataset.sources["copy"] == "yes"]
    line = source_line(dataset, list(copies["source_id"]))
    for host in ("docslib.org", "247215.ittrading-hk.tech", "fly1.wordsworth.site",
                 "bbctodays.pages.dev", "mirror at", "document copy"):
        assert host not in line, (host, line)
    named = [w.author for w in works(dataset, list(copies["source_id"]))]
    assert all(author in line for author in named)
    panel = dataset.source("docslib-scr-panel-first-report")
    assert short_reference(dataset, panel).startswith("National panel of independent experts")
