"""The whole report as one PDF: every page in reading order, links between pages kept inside the
PDF, the same bytes wherever it is built, and a last PDF reused only when verified."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zlib
from pathlib import Path

import pytest

from scrlib.publish import pages, pdf
from scrlib.record.paths import notebooks_dir

SECTION = "03-publication"  # the smallest committed notebook: one section is enough here


@pytest.fixture(scope="module")
def folder(tmp_path_factory, dataset) -> Path:
    """A report folder as a build leaves it before the PDF: the index, one section, the figures
    page, with the glossary's links."""
    from scrlib.publish import report
    from scrlib.publish.terms import link_pages

    out = tmp_path_factory.mktemp("report")
    (out / "figures").mkdir()
    chrome = pages.Chrome("2026-12-05", "0123456789abcdef", ((SECTION, "Publication"),),
                          pdf=True)
    pages.render_notebook(notebooks_dir() / f"{SECTION}.ipynb", out / f"{SECTION}.html", chrome)
    (out / "index.html").write_text(
        pages.index_page(out, [], report.ReportConfig(), dataset, None, chrome))
    (out / "figures.html").write_text(pages.figures_page(dataset, chrome))
    link_pages(out)
    return out


def test_every_page_is_in_the_pdf_in_order_with_its_links_inside_it(folder):
    combined = pdf.combined_html(folder)
    starts = [combined.index(f'id="{name}--top"') for name in ("index", SECTION, "figures")]
    assert starts == sorted(starts)
    ids = re.findall(r'\bid="([^"]+)"', combined)
    assert len(ids) == len(set(ids))  # each page's ids kept apart
    inside = re.findall(r'href="#([^"]+)"', combined)
    assert inside and set(inside) <= set(ids)
    assert any(i.startswith("figures--sp-") for i in inside)  # a number leads to its figures
    assert any(i.startswith("index--term-") for i in inside)  # a term leads to the glossary
    hrefs = re.findall(r'href="([^"#][^"]*)"', combined)
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)


def test_the_print_edition_leaves_out_the_pages_screen_styles(folder):
    """pandas writes its screen rules once per table inside the page; the PDF leaves them out
    (the print stylesheet sets its own), and the page's own styles stay in the head once."""
    page = (folder / f"{SECTION}.html").read_text(encoding="utf-8")
    main = page[page.index("<main"):]
    assert "<style" in main  # what the test is about: styles inside the page's content
    combined = pdf.combined_html(folder)
    head, body = combined.split("</head>", 1)
    assert "<style" not in body
    assert head.count("<style") == len(set(re.findall(r"<style\b[^>]*>.*?</style>", head,
                                                       re.S)))


def _streams(data: bytes) -> bytes:
    """The PDF's bytes with every compressed stream opened."""
    out = [data]
    for found in re.finditer(rb"stream\r?\n", data):
        try:
            out.append(zlib.decompressobj().decompress(data[found.end():found.end() + 2_000_000]))
        except zlib.error:
            continue
    return b"\n".join(out)


def test_the_pdf_is_the_same_bytes_wherever_it_is_built(folder, tmp_path):
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere" / "deeper"
    for where in (here, elsewhere):  # one section with its charts: fonts, images and links
        (where / "figures").mkdir(parents=True)
        shutil.copy(folder / f"{SECTION}.html", where)
    first, second = pdf.write_pdf(here), pdf.write_pdf(elsewhere)
    data = first.read_bytes()
    assert data.startswith(b"%PDF-") and data == second.read_bytes()
    opened = _streams(data)
    assert str(here).encode() not in opened and str(elsewhere).encode() not in opened
    assert b"CreationDate" not in opened and b"/ModDate" not in opened
    assert len(re.findall(rb"/Subtype\s*/Link", opened)) > 5  # links kept


def _manifest(previous: Path, inputs: str) -> None:
    digest = hashlib.sha256((previous / pdf.PDF).read_bytes()).hexdigest()
    (previous / "manifest.json").write_text(json.dumps(
        {"pdf_inputs": inputs, "outputs": {pdf.PDF: digest}}))


def test_a_last_pdf_is_reused_only_when_verified(folder, tmp_path, monkeypatch):
    stage, previous = tmp_path / "stage", tmp_path / "previous"
    shutil.copytree(folder, stage)
    shutil.copytree(folder, previous)
    rendered = []
    monkeypatch.setattr(pdf, "write_pdf", lambda where: rendered.append(where) or
                        (where / pdf.PDF).write_bytes(b"%PDF- rendered"))
    (previous / pdf.PDF).write_bytes(b"%PDF- last report's")
    _manifest(previous, pdf.inputs_digest(previous))
    assert pdf.publish(stage, previous) == pdf.inputs_digest(stage)
    assert rendered == [] and (stage / pdf.PDF).read_bytes() == b"%PDF- last report's"
    (previous / pdf.PDF).write_bytes(b"%PDF- changed since its manifest")  # not verified
    (stage / pdf.PDF).unlink()
    pdf.publish(stage, previous)
    assert rendered == [stage]
    _manifest(previous, pdf.inputs_digest(previous))
    page = stage / "figures.html"
    page.write_text(page.read_text().replace("Every figure", "Each figure"))  # new inputs
    pdf.publish(stage, previous)
    assert rendered == [stage, stage]


def test_a_run_with_nothing_new_reuses_the_pdf_whatever_its_changes_line_says(folder, tmp_path):
    """The index's line on what this run changed ("This is the first report", then "Nothing
    changed since the last report") is about the run: it is not printed, and it does not make
    the next run render the PDF again."""
    stage = tmp_path / "stage"
    shutil.copytree(folder, stage)
    index = stage / "index.html"
    text = index.read_text()
    if '<p class="changes">' not in text:
        text = text.replace("</h1>", '</h1>\n<p class="changes">This is the first report.</p>', 1)
        index.write_text(text)
    first = pdf.inputs_digest(stage)
    index.write_text(re.sub(r'<p class="changes">.*?</p>',
                            '<p class="changes">Nothing changed since the last report.</p>',
                            index.read_text(), flags=re.S))
    assert pdf.inputs_digest(stage) == first
    assert "Nothing changed since the last report" not in pdf.combined_html(stage)
    index.write_text(index.read_text().replace("</h1>", "</h1><p>A new sentence.</p>", 1))
    assert pdf.inputs_digest(stage) != first  # the report's own words still count
