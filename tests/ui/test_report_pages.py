"""In a real browser: the report a reader opens (issues 25 and 34).

The index's first screen (1280 x 800) holds the key message and its chart; every number link
resolves to source words that state the number; no page asks the network for anything or logs
a console error; no page shows NaN, a bare row number or a code id; every page reads at 1280
and at 390 px without sideways scrolling, and axe-core finds no serious or critical problem on
it at either width; the skip link leads to the content; the PDF is there and linked. Screenshots
go to ``reports/ui/`` (``make screenshots`` copies ``report.png`` into ``docs/``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui

PROJECT = Path(__file__).resolve().parents[2]
SHOTS = PROJECT / "reports" / "ui"
FASTER = {"02-initiated": {"replicates": 49, "power_replicates": 200},
          "05-sensitivity": {"joint_replicates": 19}}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The report as make report builds it, PDF included."""
    from scrlib.publish import report

    out = tmp_path_factory.mktemp("report") / "latest"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCRLIB_REPORT_PDF", "1")
        report.build(out, config=report.ReportConfig(notebooks=FASTER), log=lambda *_: None)
    return out


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield launched
        launched.close()


def _open(browser, path: Path, width: int = 1280, height: int = 800):
    """A page at ``path`` with every request and console message it makes recorded."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.requests, page.messages = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: page.messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: page.messages.append(("error", str(e))))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


def test_the_first_screen_holds_the_key_message_and_its_chart(built, browser):
    page = _open(browser, built / "index.html")
    try:
        message = page.locator("p.key-message").bounding_box()
        chart = page.locator("figure.key-chart img").bounding_box()
        assert message and chart, "no key message or chart on the index"
        assert message["y"] + message["height"] <= 800, message
        assert chart["y"] + chart["height"] <= 800, chart
        assert page.evaluate("() => document.querySelector('figure.key-chart img')"
                             ".naturalWidth") > 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "report.png"))
    finally:
        page.close()


def test_every_number_link_leads_to_words_that_state_it(built, browser):
    found = []  # (page, words, href) for every number link on every page
    for path in _pages(built):
        page = _open(browser, path)
        try:
            links = page.locator("a.number")
            found += [(path.name, links.nth(i).inner_text(), links.nth(i).get_attribute("href"))
                      for i in range(links.count())]
        finally:
            page.close()
    pages_with_links = {name for name, _, _ in found}
    assert {"index.html", "01-sources.html", "02-initiated.html",
            "03-publication.html"} <= pages_with_links, pages_with_links
    figures = _open(browser, built / "figures.html")
    try:
        for name, text, href in found:
            anchor = href.split("#", 1)[1]
            target = figures.locator(f"[id='{anchor}']")
            assert target.count() == 1, (name, text, href)
            number = re.search(r"\d[\d,.]*", text).group(0).rstrip(".")
            if anchor.startswith("sp-"):  # every figure of a series and period
                excerpts = figures.locator(f"[id='{anchor}'] + ul q.excerpt").all_inner_texts()
            elif anchor.startswith("fig-"):  # one figure
                excerpts = target.locator("q.excerpt").all_inner_texts()
            else:  # a computed number: each figure it comes from is there, with its words
                inputs = target.locator("a:not(.term)").all()  # not a glossary word's link
                assert inputs, (name, text)
                for link in inputs:
                    ref = link.get_attribute("href").lstrip("#")
                    assert figures.locator(f"[id='{ref}'] + ul q.excerpt").count() >= 1, ref
                continue
            # the same digits: a page writes 11,886,910 where a data file's row has 11886910
            digits = number.replace(",", "")
            assert any(re.search(rf"(?<![\d.]){re.escape(digits)}(?![\d]|\.\d)",
                                 re.sub(r"(?<=\d),(?=\d{3}\b)", "", e))
                       for e in excerpts), (name, text, excerpts)
    finally:
        figures.close()


def _pages(built: Path) -> list[Path]:
    return sorted(built.glob("*.html"))


def test_no_page_asks_the_network_or_logs_an_error(built, browser):
    for path in _pages(built):
        page = _open(browser, path, 1280, 900)
        try:
            outside = [u for u in page.requests if not u.startswith(("file:", "data:"))]
            assert outside == [], (path.name, outside)
            errors = [m for m in page.messages if m[0] == "error"]
            assert errors == [], (path.name, errors)
        finally:
            page.close()


def test_no_page_shows_nan_a_row_number_or_a_code_id(built, browser):
    from scrlib.record.load import load

    dataset = load()
    codes = (set(dataset.events["event_id"]) | set(dataset.series["series_id"])
             | {"negativebinomial", "quasipoisson", "step+slope"})
    pattern = re.compile(r"(?<![\w/#.%-])(" + "|".join(
        re.escape(c) for c in sorted(codes, key=len, reverse=True)) + r")(?![\w/-])")
    for path in _pages(built):
        page = _open(browser, path, 1280, 900)
        try:
            text = page.evaluate("() => { const b = document.body.cloneNode(true);"
                                 " b.querySelectorAll('a[href^=\"http\"]').forEach(a =>"
                                 " a.remove()); return b.innerText; }")
            assert not re.search(r"\bNaN\b", text), path.name
            shown = sorted(set(pattern.findall(text)))
            assert shown == [], (path.name, shown)
            row_numbers = page.evaluate(
                "() => [...document.querySelectorAll('tbody th')]"
                ".map(t => t.innerText.trim()).filter(t => /^\\d{1,3}$/.test(t))")
            assert row_numbers == [], (path.name, row_numbers[:5])
        finally:
            page.close()


WIDTHS = (1280, 390)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_reads_without_sideways_scrolling(built, browser, width):
    wide = {}
    for path in _pages(built):
        page = _open(browser, path, width, 800)
        try:
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            if scroll > width:
                wide[path.name] = scroll
            if width == 390 and path.name == "index.html":
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "report-390.png"))
        finally:
            page.close()
    assert wide == {}, f"pages wider than {width} px: {wide}"


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_serious_or_critical_problem(built, browser, width):
    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), {}
    for path in _pages(built):
        page = _open(browser, path, width, 800)
        try:
            violations = axe.run(page).response["violations"]
        finally:
            page.close()
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
               for v in violations if v["impact"] in ("serious", "critical")]
        if bad:
            found[path.name] = bad
    assert found == {}, found


def test_the_skip_link_leads_to_the_content(built, browser):
    """On every page in the report's frame (its navigation bar): the first Tab reaches a link
    to the content, which is the page's one main landmark."""
    framed = [p for p in _pages(built) if 'class="scrlib-nav"' in p.read_text()]
    assert {"index.html", "figures.html", "02-initiated.html"} <= {p.name for p in framed}
    for path in framed:
        page = _open(browser, path)
        try:
            page.keyboard.press("Tab")
            first = page.evaluate("() => [document.activeElement.className,"
                                  " document.activeElement.getAttribute('href')]")
            assert first == ["skip-link", "#main"], (path.name, first)
            assert page.locator("main#main").count() == 1, path.name
        finally:
            page.close()


def test_the_pdf_of_the_whole_report_is_linked_and_there(built, browser):
    import json

    page = _open(browser, built / "index.html")
    try:
        assert page.locator("ul.downloads a[href='report.pdf']").count() == 1
        assert page.locator("footer a[href='report.pdf']").count() == 1
    finally:
        page.close()
    data = (built / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 100_000
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["outputs"]["report.pdf"] and manifest["pdf_inputs"]
