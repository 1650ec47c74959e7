"""In a real browser: the project's JupyterLab runs every notebook, and the explorer's slider
moves the estimate to what scrlib computes.

Run with ``make ui-test`` (it makes sure Debian's chromium is there); these tests are marked
``ui`` and left out of ``make test``. JupyterLab serves a temporary copy of the notebooks, so
running them never touches the committed files. Screenshots go to ``reports/ui/`` (``make
screenshots`` copies the two the README shows into ``docs/``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui

PROJECT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("SCRLIB_SCREENSHOTS", PROJECT / "reports" / "ui"))
TOKEN = "scrlib-ui-test"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
NOTEBOOKS = sorted(p.stem for p in (PROJECT / "notebooks").glob("*.ipynb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The project's JupyterLab on a free local port, serving a copy of the notebooks."""
    root = tmp_path_factory.mktemp("lab")
    for path in (PROJECT / "notebooks").glob("*.ipynb"):
        shutil.copy(path, root / path.name)
    settings = root / ".settings" / "@jupyterlab"
    for extension, name, text in (
            ("apputils-extension", "notification", '{"fetchNews": "false"}'),
            ("notebook-extension", "tracker", '{"windowingMode": "none"}')):  # every cell drawn
        (settings / extension).mkdir(parents=True)
        (settings / extension / f"{name}.jupyterlab-settings").write_text(text)
    port = _free_port()
    args = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
            f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={TOKEN}",
            f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={root / '.workspaces'}"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings")}
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(args, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start: " + (root / "lab.log").read_text()[-2000:])
    yield url, root
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _run_all(page, url: str, name: str, timeout: float = 240) -> None:
    """Open a notebook, clear its outputs, run every cell and wait until all have run (each
    step checked: a missed click must not pass for a run)."""
    page.goto(f"{url}/lab/tree/{name}.ipynb?reset&token={TOKEN}")
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    page.wait_for_selector(f"{panel} .jp-Cell", state="attached", timeout=90_000)
    page.wait_for_selector(".jp-Toolbar-kernelName, .jp-KernelName", timeout=60_000)
    assert page.locator(".jp-Dialog").count() == 0, "a dialog (kernel choice?) opened"
    idle = "() => /Python \\(scrlib\\) \\| Idle/.test(document.body.innerText)"
    page.wait_for_function(idle, timeout=120_000)  # the kernel is up before anything runs
    outputs = page.locator(f"{panel} .jp-OutputArea-output")
    for _ in range(5):
        page.click(".lm-MenuBar >> text=Edit")
        page.click(".lm-Menu >> text=Clear Outputs of All Cells")
        try:
            page.wait_for_function(f"() => !document.querySelector('{panel} "
                                   ".jp-OutputArea-output')", timeout=5_000)
            break
        except Exception:  # the menu missed the click: try again
            continue
    assert outputs.count() == 0, f"{name}: outputs were not cleared"
    page.click(".lm-MenuBar >> text=Run")
    page.click(".lm-Menu >> text=Run All Cells")
    deadline, prompts, stalled = time.time() + timeout, [], 0
    while time.time() < deadline:
        prompts = page.locator(f"{panel} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        numbers = [int(m.group(1)) for p in prompts if (m := re.search(r"\[(\d+)\]", p))]
        if prompts and len(numbers) == len(prompts) and numbers == sorted(set(numbers)):
            return
        # Idle with cells left unrun and none queued ("[*]"): the run request was lost.
        queued = any("*" in p for p in prompts)
        stalled = stalled + 1 if page.evaluate(idle) and not queued else 0
        if stalled == 20:  # ten seconds: ask once more (cells already run run again, in order)
            page.click(".lm-MenuBar >> text=Run")
            page.click(".lm-Menu >> text=Run All Cells")
        time.sleep(0.5)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"failed-{name}.png"), full_page=True)
    pytest.fail(f"{name}: not every cell ran within {timeout:g} s (prompts {prompts}; errors "
                f"{_errors(page)}; screenshot reports/ui/failed-{name}.png)")


def _errors(page) -> list[str]:
    """Texts of error outputs (a traceback, or an exception name) in the open notebook."""
    texts = page.locator(".jp-OutputArea-output[data-mime-type="
                         "'application/vnd.jupyter.stderr']").all_inner_texts()
    return [t for t in texts if "Traceback" in t or re.search(r"\w+(Error|Exception)\b", t)]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_runs_in_jupyterlab_with_the_project_kernel(lab, browser, name):
    url, _ = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _run_all(page, url, name)
        kernel = page.locator(".jp-Toolbar-kernelName, .jp-KernelName").first.inner_text()
        assert kernel.strip() == "Python (scrlib)"
        assert _errors(page) == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"lab-{name}.png"))
    finally:
        page.close()


LABEL, EVENT = "Ofsted evaluation ends", "ofsted-evaluation-ends"


def _move_date(page, label: str, event: str, presses: int) -> tuple[str, float, float]:
    """Free the event's date, press ArrowRight on its slider, and wait until the estimate shown
    equals what scrlib computes for the month the slider reads; return (month, before, after)."""
    from scrlib.reader.explore import Choices, Explorer
    from scrlib.record.load import load

    live = f'.jupyter-widgets .scr-estimate[data-policy="{label}"]'  # not the static copy
    estimate = page.locator(live)
    try:
        estimate.wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path=str(SHOTS / "failed-explorer.png"), full_page=True)
        raise
    before = float(estimate.get_attribute("data-value"))
    row = page.locator(f".widget-hbox:has(> .scr-date:has-text('{label}'))")
    row.locator("input[type=checkbox]").check()  # free: the whole series
    handle = page.locator(f".scr-date:has-text('{label}') .noUi-handle").first
    page.wait_for_function(  # the slider is rebuilt over the whole series
        "(label) => [...document.querySelectorAll('.scr-date')].some(s =>"
        " s.textContent.includes(label) && Number(s.querySelector('.noUi-handle')"
        "?.getAttribute('aria-valuemax')) > 12)", arg=label, timeout=30_000)
    handle.focus()
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
    explorer, expected = Explorer(load()), {}
    readout = page.locator(f".scr-date:has-text('{label}') .widget-readout")
    deadline, shown, after = time.time() + 60, "", before
    while time.time() < deadline:  # each key press refits; wait until the widget settles
        shown = readout.inner_text().strip()
        after = float(estimate.get_attribute("data-value"))
        if shown not in expected:
            when = time.strptime(shown, "%b %Y")
            expected[shown] = explorer.view(Choices(free=(event,)).moved(
                event, f"{when.tm_year}-{when.tm_mon:02d}-01")).estimate(label)
        if after != before and after == pytest.approx(expected[shown], rel=1e-5):
            break
        time.sleep(0.5)
    assert after == pytest.approx(expected[shown], rel=1e-5), (shown, after, expected)
    return shown, before, after


def _bayes_matches(page, shown: str) -> None:
    """The live explorer's probability of each explanation (``tr.scr-bayes``) is what scrlib
    computes for the month the slider reads."""
    from scrlib.reader.explore import Choices, Explorer
    from scrlib.record.load import load

    when = time.strptime(shown, "%b %Y")
    view = Explorer(load()).view(Choices(free=(EVENT,)).moved(
        EVENT, f"{when.tm_year}-{when.tm_mon:02d}-01"))
    expected = dict(zip(view.bayes.explanations["explanation"],
                        view.bayes.explanations["probability"], strict=True))
    rows = page.locator(".jupyter-widgets tr.scr-bayes")
    deadline, got = time.time() + 30, {}
    while time.time() < deadline:
        got = {r.get_attribute("data-explanation"): float(r.get_attribute("data-probability"))
               for r in rows.all()}
        if got.keys() == expected.keys() and all(
                got[k] == pytest.approx(v, rel=1e-5) for k, v in expected.items()):
            return
        time.sleep(0.5)
    raise AssertionError(f"shown {got}, scrlib computes {expected} for {shown}")


def test_moving_the_date_slider_changes_the_estimate_to_what_scrlib_computes(lab, browser):
    url, _ = lab
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    try:
        _run_all(page, url, "06-explore")
        shown, before, after = _move_date(page, LABEL, EVENT, presses=2)
        assert shown != "Jul 2012" and after != before
        _bayes_matches(page, shown)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".scr-explorer").screenshot(path=str(SHOTS / "explorer.png"))
    finally:
        page.close()


def test_a_notebook_used_and_saved_in_lab_refreshes_to_the_committed_bytes(lab, browser,
                                                                            tmp_path):
    """What an analyst leaves behind (live widget state, a moved slider, Lab's metadata) is
    gone after ``make refresh``: git diff shows nothing."""
    from scrlib.publish.refresh import refresh

    url, root = lab
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    saved = root / "06-explore.ipynb"
    try:
        _run_all(page, url, "06-explore")
        _move_date(page, LABEL, EVENT, presses=1)
        stamp = saved.stat().st_mtime_ns
        page.click(".lm-MenuBar >> text=File")
        page.click(".lm-Menu >> text=Save Notebook")
        deadline = time.time() + 30
        while saved.stat().st_mtime_ns == stamp and time.time() < deadline:
            time.sleep(0.2)
        assert saved.stat().st_mtime_ns != stamp, "Lab did not save the notebook"
    finally:
        page.close()
    committed = (PROJECT / "notebooks" / "06-explore.ipynb").read_bytes()
    assert saved.read_bytes() != committed  # the analyst's run did leave its traces
    copy = tmp_path / "06-explore.ipynb"
    shutil.copy(saved, copy)
    assert refresh([copy]) == 0
    assert copy.read_bytes() == committed


def test_a_refused_choice_marks_the_results_on_screen_as_stale(lab, browser):
    """Leaving out 2010-11 cannot be fitted: the message says so and the results kept on
    screen are greyed as the last good choice's, until a good choice clears them."""
    url, _ = lab
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    try:
        _run_all(page, url, "06-explore")
        page.locator(".jupyter-widgets .scr-estimate").first.wait_for(timeout=60_000)
        leave = page.locator(".widget-dropdown:has-text('Leave out') select")
        leave.select_option(label="2010-11")
        page.wait_for_selector(".scr-stale", timeout=60_000)
        message = page.locator(".scr-message").inner_text()
        assert "last choices that could be fitted" in message
        leave.select_option(label="none")
        page.wait_for_function("() => !document.querySelector('.scr-stale')", timeout=60_000)
    finally:
        page.close()
