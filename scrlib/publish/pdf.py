"""The whole report as one PDF (WeasyPrint, which pip installs; its Pango libraries come with the
system): the index, each section and the figures page, one after another, with a print
stylesheet, links between pages turned into links inside the PDF, and page numbers.

WeasyPrint lays out one document on one core, so the pages are laid out in two parts, side by
side, and joined (pikepdf): links from one part to the other, the bookmarks and the running
footer ("Page 12 of 153") are made whole in the join. The parts are always the same two, however
many cores do the work, so the PDF is the same bytes for the same pages and the same fonts: it
carries no date, no file identifier drawn at random and no address of the folder it was built in
(a link to one of the report's files, which a PDF cannot open beside it, is left as its words).
"""

from __future__ import annotations

import html
import logging
import os
import re
import warnings
from pathlib import Path

from scrlib.publish.downloads import PDF

RUNNING_TITLE = "Serious Case Reviews in England"
"""The footer's words on the left of every page; its right says "Page X of Y"."""

MARGIN_MM = {"top": 18, "side": 16, "bottom": 20}
FOOTER_PT = 8  # the footer's size, in Helvetica (Arial's metrics) and grey #555
MM = 72 / 25.4  # points in a millimetre

PAGE_CSS = ("@page {{ size: A4; margin: {top}mm {side}mm {bottom}mm; }}".format(**MARGIN_MM))
PRINT_CSS = PAGE_CSS + """
html { font-size: 10pt; }
body { margin: 0; }
nav.scrlib-nav, a.skip-link, footer.scrlib-footer details, p.chart-links { display: none; }
section.report-page { break-before: page; }
section.report-page:first-of-type { break-before: auto; }
main { max-width: none !important; padding: 0 !important; }
section.key { display: block; }
h1, h2, h3, h4 { break-after: avoid; }
figure, img, svg, tr, li { break-inside: avoid; }
img, svg { max-width: 100% !important; height: auto; }
/* Tables are laid out in equal columns that wrap at spaces (fixed layout, no hyphenation): an
   automatic layout measures every word of every cell, hyphenation point by hyphenation point,
   which took two thirds of the time of the whole PDF and broke numbers mid-digit anyway. */
table, .jp-RenderedHTMLCommon table { font-size: 7.5pt !important; width: 100%;
  table-layout: fixed !important; }
th, td, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon td { overflow-wrap: break-word;
  hyphens: manual !important; text-align: left !important; padding: 0.15rem 0.3rem !important; }
a.anchor-link { display: none; }
a:not([href]) { color: inherit; }
.table-wrap, .jp-RenderedHTMLCommon { overflow: visible !important; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 7.5pt; }
a { color: #1d3f6e; text-decoration: none; }
"""

_ID = re.compile(r'\bid="([^"]*)"')
_HREF = re.compile(r'\bhref="([^"]*)"')
_BODY = re.compile(r"<main\b[^>]*>(.*)</main>", re.S)
_STYLES = re.compile(r"<style\b[^>]*>.*?</style>", re.S)


def _order(folder: Path) -> list[Path]:
    """The pages in reading order: the index, the sections by name, then the figures page."""
    sections = sorted(p for p in folder.glob("*.html")
                      if p.name not in ("index.html", "figures.html", "changes.html"))
    return [p for p in (folder / "index.html", *sections, folder / "figures.html")
            if p.is_file()]


ELSEWHERE = "https://pdf.invalid/#"
"""How a part of the PDF links to a place in the other part, until the join makes it a link
inside the PDF (``.invalid`` is a name reserved never to resolve)."""


def _rewrite(body: str, name: str, pages: set[str], here: set[str]) -> str:
    """One page's content for the combined document: its ids made unique (``<page>--<id>``),
    links to the report's pages made links inside the PDF (to a page in another part, an
    address the join turns into one), links to its other files left as their words, and links
    to the web kept."""
    body = _ID.sub(lambda m: f'id="{name}--{m.group(1)}"', body)

    def href(match: re.Match) -> str:
        url = html.unescape(match.group(1))
        if url.startswith(("http://", "https://", "mailto:")):
            return match.group(0)
        target, _, anchor = url.partition("#")
        page = Path(target).stem if target else name
        if (target and target.endswith(".html") and page in pages) or not target:
            where = "#" if page in here else ELSEWHERE
            return f'href="{where}{html.escape(page)}--{html.escape(anchor or "top")}"'
        return 'data-file="' + html.escape(url) + '"'  # a file beside the report: words only

    return _HREF.sub(href, body)


_RUN_LINE = re.compile(r'<p class="changes">.*?</p>', re.S)


def _page_text(path: Path) -> str:
    """A page as the PDF prints it: without the index's line on what this run changed since
    the last report (about the run, not the report, so a run with nothing new reuses the PDF)."""
    text = path.read_text(encoding="utf-8")
    return _RUN_LINE.sub("", text) if path.name == "index.html" else text


def combined_html(folder: Path, part: list[Path] | None = None) -> str:
    """Every page of the report in ``folder`` (or the pages of one ``part`` of it) as one HTML
    document for print."""
    from scrlib.publish.downloads import citation
    from scrlib.publish.pages import TITLE

    cite = citation("", "", TITLE)
    order = _order(folder)
    names = {p.stem for p in order}
    shown = order if part is None else part
    here = {p.stem for p in shown}
    styles, parts = {}, []
    for path in order:
        page = _page_text(path)
        for style in _STYLES.findall(page.split("</head>")[0]):
            if "--jp-" not in style:  # JupyterLab's own screen styles: slow to match, not needed
                styles.setdefault(style, None)
        if path not in shown:
            continue  # its styles still count, so every part reads the same stylesheets
        found = _BODY.search(page)
        # pandas' screen rules, one copy per table: the print stylesheet sets its own
        body = _STYLES.sub("", found.group(1) if found else page)
        body = re.sub(r'<footer class="scrlib-footer">.*?</footer>', "", body, flags=re.S,
                      count=0) if path.stem != "index" else body
        parts.append(f'<section class="report-page" id="{path.stem}--top">'
                     f"{_rewrite(body, path.stem, names, here)}</section>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(cite.title)}</title>"
            f'<meta name="author" content="{html.escape(cite.authors)}">'
            f"{''.join(styles)}</head>"
            f'<body class="scrlib-index"><main>{"".join(parts)}</main></body></html>')


def _weight(path: Path) -> int:
    """About how much layout a page asks for: its words and its elements."""
    found = _BODY.search(_page_text(path))
    body = _STYLES.sub("", found.group(1)) if found else ""
    return len(re.sub(r"<[^>]*>", "", body)) + 25 * body.count("<")


def parts(folder: Path) -> list[list[Path]]:
    """The report's pages in two runs, in reading order, of about equal layout work (by their
    words and elements, never by the machine): the two parts of the PDF."""
    order = _order(folder)
    if len(order) < 2:
        return [order]
    weights = [_weight(p) for p in order]
    split = min(range(1, len(order)),
                key=lambda i: (max(sum(weights[:i]), sum(weights[i:])), i))
    return [order[:split], order[split:]]


BASE = "file:///scrlib-report/"
"""The address the combined document is read from, whatever folder holds the report: where
WeasyPrint names an image after its address, the name is the same on every machine."""


def _weasyprint():
    """WeasyPrint, imported without its warning that a later version will need HarfBuzz's font
    subsetter (which this machine may not have: fontTools subsets the fonts instead)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
        import weasyprint
        import weasyprint.urls
    return weasyprint


def _fetcher(folder: Path):
    """A URL fetcher that reads the report's own files (and data: addresses), nothing else."""
    import mimetypes
    from urllib.parse import unquote

    urls = _weasyprint().urls
    URLFetcher, URLFetcherResponse = urls.URLFetcher, urls.URLFetcherResponse
    root = folder.resolve()

    class ReportFiles(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if not url.startswith(BASE):
                raise ValueError(f"the PDF reads only the report's own files, not {url}")
            path = (root / unquote(url[len(BASE):].split("#")[0])).resolve()
            if not path.is_relative_to(root):
                raise ValueError(f"{url} is outside the report")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    return ReportFiles()


def render_part(folder: Path, part: list[Path], target: Path) -> Path:
    """Lay out one part of the report's PDF and write it to ``target`` (without the footer,
    which the join writes)."""
    weasyprint = _weasyprint()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # unsupported screen CSS, said once
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=combined_html(folder, part), base_url=BASE,
                               url_fetcher=_fetcher(folder))
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"  # fontTools dates each font it subsets: not the clock
    try:
        document.write_pdf(target, stylesheets=[weasyprint.CSS(string=PRINT_CSS)],
                           pdf_identifier=False)
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
    return target


def _watch(parent: int) -> None:
    """End this process as soon as ``parent`` is gone (killed, say): no layout outlives its
    report run."""
    import threading
    import time

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _render_beside(folder: Path, part: list[Path], target: Path, parent: int) -> None:
    """:func:`render_part` in a second process; what stops it is left beside ``target``."""
    import pickle

    _watch(parent)
    try:
        render_part(folder, part, target)
    except BaseException as exc:
        try:
            failure = pickle.dumps(exc)
        except Exception:
            failure = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
        target.with_suffix(".failed").write_bytes(failure)
        raise SystemExit(1) from None


def write_pdf(folder: Path, target: Path | None = None, *, workers: int | None = None) -> Path:
    """Write the report in ``folder`` as one PDF (``report.pdf`` beside its pages): its two
    parts laid out side by side (the second in a process of its own, when ``workers`` > 1),
    then joined. The bytes do not depend on ``workers``."""
    import multiprocessing
    import pickle
    import tempfile

    from scrlib.publish import pdf_join

    target = target or folder / PDF
    if workers is None:
        from scrlib.publish.report import cores

        workers = cores()
    runs = parts(folder)
    with tempfile.TemporaryDirectory(prefix="scrlib-pdf-", dir=target.parent) as tmp:
        files = [Path(tmp) / f"part-{n}.pdf" for n in range(len(runs))]
        if workers > 1 and len(runs) == 2:
            # a new interpreter, not a fork: the report's process runs threads (nbclient's)
            beside = multiprocessing.get_context("spawn").Process(
                target=_render_beside, args=(folder, runs[1], files[1], os.getpid()),
                daemon=True)
            beside.start()
            try:
                render_part(folder, runs[0], files[0])
                beside.join()
            finally:
                if beside.is_alive():  # this process was stopped: so is the other
                    beside.kill()
                    beside.join()
            if beside.exitcode != 0:
                failed = files[1].with_suffix(".failed")
                if failed.is_file():
                    raise pickle.loads(failed.read_bytes())
                raise RuntimeError(f"the PDF's second part was not laid out (its process "
                                   f"ended with code {beside.exitcode})")
        else:
            for run, file in zip(runs, files, strict=True):
                render_part(folder, run, file)
        pdf_join.join(files, target, RUNNING_TITLE, size=FOOTER_PT,
                      margins=(MARGIN_MM["side"] * MM, MARGIN_MM["bottom"] * MM),
                      elsewhere=ELSEWHERE)
    return target


def inputs_digest(folder: Path) -> str:
    """One hash of everything the PDF is made from: its pages, the files they show, the print
    stylesheet, this module and the join's, and the versions of WeasyPrint and pikepdf."""
    import hashlib
    from importlib import metadata

    from scrlib.publish import pdf_join

    digest = hashlib.sha256()
    for module in (__file__, pdf_join.__file__):
        digest.update(Path(module).read_bytes())
    for package in ("weasyprint", "pikepdf"):
        digest.update(metadata.version(package).encode())
    for path in [*_order(folder), *sorted((folder / "figures").glob("*.png"))]:
        if path.is_file():
            digest.update(f"{path.relative_to(folder).as_posix()}\n".encode())
            data = (_page_text(path).encode("utf-8") if path.suffix == ".html"
                    else path.read_bytes())
            digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def publish(stage: Path, previous: Path | None = None, *, workers: int | None = None) -> str:
    """Write ``report.pdf`` into ``stage`` (its parts laid out by up to ``workers`` processes,
    at most two); return the hash of its inputs (for the manifest).
    The last report's PDF is reused, not rendered again, only when its manifest says it was
    made from the same inputs and the file is still the bytes that manifest lists."""
    import hashlib
    import json
    import shutil

    wanted = inputs_digest(stage)
    if previous is not None and (previous / PDF).is_file():
        try:
            manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        old = previous / PDF
        if (manifest.get("pdf_inputs") == wanted and manifest.get("outputs", {}).get(PDF)
                == hashlib.sha256(old.read_bytes()).hexdigest()):
            shutil.copyfile(old, stage / PDF)
            return wanted
    write_pdf(stage, workers=workers)
    return wanted
