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
    monkeypatch.setattr(pdf, "write_pdf", lambda where, **_: rendered.append(where) or
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


def _structure(path: Path) -> dict:
    """What a reader of the PDF follows: each page's links (where each leads: page and height),
    every named place, the bookmarks, the title and language."""
    import pikepdf

    with pikepdf.open(path) as doc:
        number = {page.objgen: n for n, page in enumerate(doc.pages)}
        places = {name: (number[dest[0].objgen], float(dest[3]))
                  for name, dest in pikepdf.NameTree(doc.Root.Names.Dests).items()}
        links = [[places.get(str(a.Dest), str(a.Dest)) if "/Dest" in a else str(a.A.URI)
                  for a in page.obj.get("/Annots", [])] for page in doc.pages]

        def marks(items):
            return [(i.title, number[i.destination[0].objgen], float(i.destination[3]),
                     marks(i.children)) for i in items]

        with doc.open_outline() as outline:
            bookmarks = marks(outline.root)
        return {"pages": len(doc.pages), "links": links, "places": places,
                "bookmarks": bookmarks, "info": {k: str(v) for k, v in doc.docinfo.items()},
                "lang": str(doc.Root.get("/Lang"))}


@pytest.fixture(scope="module")
def small(folder, tmp_path_factory) -> Path:
    """The index and the section, without the long figures page: two parts, quick to lay out,
    with links from each to the other (a term to the glossary, the index to the section)."""
    out = tmp_path_factory.mktemp("small")
    for name in ("index.html", f"{SECTION}.html"):
        shutil.copy(folder / name, out)
    shutil.copytree(folder / "figures", out / "figures")
    return out


@pytest.fixture(scope="module")
def joined(small, tmp_path_factory) -> Path:
    """That report's PDF as the build writes it: two parts side by side, joined."""
    return pdf.write_pdf(small, tmp_path_factory.mktemp("joined") / "joined.pdf", workers=2)


def test_the_two_parts_joined_read_as_the_one_document_would(small, joined, tmp_path):
    """The PDF is laid out in two parts side by side, then joined: every link (those from one
    part to the other too), named place and bookmark leads where the one document's would."""
    runs = pdf.parts(small)
    assert len(runs) == 2 and [p for run in runs for p in run] == pdf._order(small)
    whole = pdf.render_part(small, pdf._order(small), tmp_path / "whole.pdf")
    # what the test is about: links from one part to the other, which the join completes
    assert any(f'href="{pdf.ELSEWHERE}' in pdf.combined_html(small, run) for run in runs)
    expected, found = _structure(whole), _structure(joined)
    assert found == expected
    assert sum(map(len, found["links"])) > 10 and len(found["places"]) > 10
    assert not any(str(link).startswith(pdf.ELSEWHERE) for page in found["links"]
                   for link in page)


def test_every_page_says_its_number_of_all_at_the_right_margin(joined):
    import pikepdf

    from scrlib.publish.pdf_join import _helvetica

    with pikepdf.open(joined) as doc:
        total = len(doc.pages)
        assert total > 3
        for n, page in enumerate(doc.pages, start=1):
            drawn = page.obj.Contents[-1].read_bytes().decode("latin-1")
            assert drawn.count(f"({pdf.RUNNING_TITLE}) Tj") == 1
            found = re.search(r"([\d.]+) [\d.]+ Td \(Page (\d+) of (\d+)\) Tj", drawn)
            assert found and (int(found[2]), int(found[3])) == (n, total)
            words = f"Page {n} of {total}"
            end = float(found[1]) + _helvetica()(words) * pdf.FOOTER_PT / 1000
            right = float(page.mediabox[2]) - pdf.MARGIN_MM["side"] * pdf.MM
            assert abs(end - right) < 0.01


def test_the_pdf_is_the_same_bytes_on_one_core_or_two(small, joined, tmp_path):
    one = pdf.write_pdf(small, tmp_path / "one.pdf", workers=1)
    assert one.read_bytes() == joined.read_bytes()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_the_second_layout_process_ends_when_the_report_process_is_killed(small):
    import os
    import signal
    import subprocess
    import sys
    import time

    script = ("import sys; from pathlib import Path; from scrlib.publish import pdf; "
              "pdf.write_pdf(Path(sys.argv[1]), Path(sys.argv[2]), workers=2)")
    where = small.parent / f"killed-{os.getpid()}"
    where.mkdir()
    out = where / "report.pdf"
    run = subprocess.Popen([sys.executable, "-c", script, str(small), str(out)])
    try:
        deadline = time.monotonic() + 60
        while not (beside := _children(run.pid)) and time.monotonic() < deadline:
            assert run.poll() is None, "the PDF was written before its second process was seen"
            time.sleep(0.05)
        assert beside, "no second process was started"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    deadline = time.monotonic() + 60
    while any(Path(f"/proc/{pid}").exists() for pid in beside) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in beside)
    # it ended as its parent did, before laying out its part (which takes seconds), not after
    assert not list(where.glob("scrlib-pdf-*/part-*.pdf")) and not out.exists()


def test_what_stops_the_second_layout_is_raised_as_it_was(small, tmp_path):
    """The second part's process leaves its exception beside the part, for the report's
    process to raise (an OSError stays an OSError, with its own message and exit code)."""
    import os
    import pickle

    target = tmp_path / "part-1.pdf"
    target.mkdir()  # a part cannot be written where a folder is
    with pytest.raises(SystemExit):
        pdf._render_beside(small, pdf.parts(small)[1], target, os.getppid())
    raised = pickle.loads(target.with_suffix(".failed").read_bytes())
    assert isinstance(raised, IsADirectoryError)


def test_a_change_to_the_join_makes_the_pdf_again(folder, tmp_path, monkeypatch):
    """The last PDF is reused only if it was made the same way: the join's code counts."""
    from scrlib.publish import pdf_join

    before = pdf.inputs_digest(folder)
    changed = tmp_path / "pdf_join.py"
    changed.write_text(Path(pdf_join.__file__).read_text() + "\n# another join\n")
    monkeypatch.setattr(pdf_join, "__file__", str(changed))
    assert pdf.inputs_digest(folder) != before
