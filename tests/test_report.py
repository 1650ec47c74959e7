"""``scr report``: atomic, loud, reproducible to the byte, escaped, with meaningful exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from scrlib.cli import main
from scrlib.publish import report
from scrlib.record.paths import notebooks_dir

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: make test-slow

SEED_NOTEBOOK = notebooks_dir() / "01-sources.ipynb"
# Two real notebooks run at once, so byte-identity is checked across concurrent runs too.
PAIR = [SEED_NOTEBOOK, notebooks_dir() / "03-publication.ipynb"]
TWO_AT_ONCE = report.ReportConfig(workers=2)


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _notebook(folder: Path, name: str, *sources: str) -> Path:
    nb = new_notebook(cells=[new_markdown_cell(f"# {name}")])
    nb.cells.append(new_code_cell('output_dir = ""', metadata={"tags": ["parameters"]}))
    nb.cells += [new_code_cell(src) for src in sources]
    nb.metadata["kernelspec"] = {
        "name": "scrlib",
        "display_name": "Python (scrlib)",
        "language": "python",
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def good_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "latest"
    report.build(out, notebooks=PAIR, config=TWO_AT_ONCE, log=lambda *_: None)
    return out


class _Checker(HTMLParser):
    VOID: frozenset = frozenset({
        "meta",
        "link",
        "img",
        "br",
        "hr",
        "input",
        "source",
        "col",
        "area",
        "base",
        "wbr",
        "path",
        "rect",
        "use",
        "circle",
        "line",
        "polyline",
        "stop",
        "ellipse",
        "polygon",
    })

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.images = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images += 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        else:
            self.errors.append(f"stray </{tag}>")


def test_report_writes_notebook_html_index_charts_data_and_manifest(good_report):
    files = set(_tree(good_report))
    for name in (
        "01-sources.ipynb",
        "01-sources.html",
        "index.html",
        "manifest.json",
        "data/figures.csv",
        "figures/01-sources-seed.png",
        "figures/01-sources-seed.svg",
        "figures/01-sources-seed.csv",
        "figures/01-sources-coverage.png",
    ):
        assert name in files
    manifest = json.loads((good_report / "manifest.json").read_text())
    assert manifest["parameters"] == {"01-sources": {"output_dir": "figures"},
                                      "03-publication": {"output_dir": "figures"}}
    assert "figures/03-publication.svg" in files and "03-publication.html" in files
    assert "data/figures.csv" in manifest["inputs"]
    assert manifest["packages"]["papermill"] != "not installed"
    assert "IPC" in manifest["kernel"] and manifest["python_executable"] == sys.executable


def test_report_html_is_well_formed_with_chart_and_references(good_report, dataset):
    page = (good_report / "01-sources.html").read_text()
    checker = _Checker()
    checker.feed(page)
    assert not checker.errors and checker.images >= 1
    assert "References" in page and "Stowe Family Law" in page
    assert "choose_many(" not in page  # code is hidden from readers
    index = (good_report / "index.html").read_text()
    from scrlib.record.cite import works

    references = index.split('<ol class="references">')[1].split("</ol>")[0]
    assert references.count("<li>") == len(works(dataset))
    assert 'href="01-sources.html"' in index


def test_two_runs_are_byte_identical_except_the_manifest_times(good_report, tmp_path):
    again = tmp_path / "again"
    report.build(again, notebooks=PAIR, config=TWO_AT_ONCE, cache=False, log=lambda *_: None)
    first, second = _tree(good_report), _tree(again)
    assert first.keys() == second.keys()
    differ = sorted(k for k in first if first[k] != second[k])
    assert differ == ["manifest.json"]
    m1, m2 = (json.loads((d / "manifest.json").read_text()) for d in (good_report, again))
    for m in (m1, m2):
        del m["run_started"], m["duration_seconds"], m["notebook_seconds"]
    assert m1 == m2


def test_failing_notebook_leaves_last_good_report_and_keeps_failed_run(good_report, tmp_path):
    target = tmp_path / "latest"
    import shutil

    shutil.copytree(good_report, target)
    before = _tree(target)
    broken = _notebook(tmp_path / "nbs", "99-broken", "x = 1", "raise RuntimeError('boom')")
    with pytest.raises(report.NotebookError) as err:
        report.build(target, notebooks=[SEED_NOTEBOOK, broken], log=lambda *_: None)
    message = str(err.value)
    assert "99-broken" in message and "(cell In[4])" in message and "boom" in message
    assert err.value.exit_code == report.EXIT_NOTEBOOK
    assert _tree(target) == before
    failed = tmp_path / "latest.failed"
    saved = nbformat.read(failed / "99-broken.ipynb", as_version=4)
    errors = [
        o
        for c in saved.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert errors and errors[0].evalue == "boom"
    assert not list(tmp_path.glob(".latest.partial-*"))


def test_bad_data_stops_the_run_before_any_kernel(tmp_path, data_copy, monkeypatch, capsys):
    figures = data_copy / "figures.csv"
    figures.write_text(figures.read_text().replace(",81,,count,", ",eighty,,count,", 1))
    monkeypatch.setenv("SCRLIB_DATA", str(data_copy))
    started = time.perf_counter()
    code = main(["report", "--output", str(tmp_path / "out")])
    assert code == report.EXIT_DATA == 4
    assert time.perf_counter() - started < 5
    err = capsys.readouterr().err
    assert "failed scr check" in err and "figures.csv:" in err and ": value: " in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour: blue\n", "unknown key(s) colour"),
        ("workers: 0\n", "workers: 0 must be a whole number"),
        ("timeout: -1\n", "timeout: -1 must be a number of seconds above 0"),
        ("timeout: .inf\n", "timeout: inf must be a number of seconds above 0"),
        ("timeout: .nan\n", "timeout: nan must be a number of seconds above 0"),
        ("parameters: [1, 2]\n", "expected a mapping"),
        ("parameters:\n  output_dir: /etc\n", "output_dir is set by the report run"),
        ("parameters:\n  x: !!python/object/apply:os.system ['echo hi']\n", "a tag"),
        ("notebooks:\n  nope: {}\n", "unknown notebook 'nope'"),
        ("parameters:\n  x: {a: 1}\n", "is not allowed"),
        ("parameters: [\n", "not valid YAML"),
    ],
)
def test_bad_config_is_refused_with_exit_code_3(tmp_path, capsys, text, expected):
    config = tmp_path / "report.yml"
    config.write_text(text)
    code = main(["report", "--config", str(config), "--output", str(tmp_path / "out")])
    assert code == report.EXIT_CONFIG == 3
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_wait_that_is_not_a_finite_number_of_seconds_is_refused(tmp_path, capsys):
    for option in ("nan", "inf", "-1"):
        code = main(["report", f"--wait={option}", "--output", str(tmp_path / "out")])
        assert code == report.EXIT_CONFIG, option
        assert "--wait" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["nan", "inf", "-inf", "1e300"])
def test_a_timeout_that_is_not_a_finite_number_of_seconds_is_refused_before_any_kernel(
        tmp_path, capsys, option):
    code = main(["report", f"--timeout={option}", "--output", str(tmp_path / "out")])
    assert code == report.EXIT_CONFIG
    assert "must be a number of seconds above 0 and at most 86400" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial-*"))


def test_a_config_that_is_a_folder_or_not_utf8_is_named_not_a_traceback(tmp_path, capsys):
    folder = tmp_path / "config.yml"
    folder.mkdir()
    assert main(["report", "--config", str(folder), "--output", str(tmp_path / "o")]) == 3
    assert "is a folder, not a configuration file" in capsys.readouterr().err
    latin = tmp_path / "latin.yml"
    latin.write_bytes("parameters:\n  conflict_rule: r\xe9corded\n".encode("latin-1"))
    assert main(["report", "--config", str(latin), "--output", str(tmp_path / "o")]) == 3
    err = capsys.readouterr().err
    assert "not UTF-8 text" in err and "Traceback" not in err


def test_config_parameters_reach_the_notebook(tmp_path):
    config = tmp_path / "report.yml"
    config.write_text("parameters:\n  conflict_rule: alternative\nworkers: 1\ntimeout: 120\n")
    loaded = report.load_config(config, ["01-sources"])
    assert loaded.workers == 1 and loaded.timeout == 120
    assert loaded.parameters_for("01-sources") == {"conflict_rule": "alternative"}


def test_data_strings_are_escaped_in_html_and_markdown(tmp_path, data_copy, monkeypatch):
    sources = data_copy / "sources.csv"
    evil = "<script>alert(1)</script> *bold* $x^2$ [link](http://x)"
    sources.write_text(
        sources.read_text().replace(
            "Serious case reviews on the rise after government ceases oversight", evil, 1
        )
    )
    monkeypatch.setenv("SCRLIB_DATA", str(data_copy))
    out = tmp_path / "out"
    report.build(out, notebooks=[SEED_NOTEBOOK], log=lambda *_: None)
    for page in ("index.html", "01-sources.html"):
        html = (out / page).read_text()
        assert "<script>alert(1)" not in html, page
        assert "alert(1)" in html, page  # shown as text
        assert "<em>bold</em>" not in html and "<strong>bold</strong>" not in html, page


def test_sigterm_keeps_last_good_report_and_kills_the_kernel(good_report, tmp_path):
    import shutil

    target = tmp_path / "latest"
    shutil.copytree(good_report, target)
    before = _tree(target)
    nbs = tmp_path / "nbs"
    started = tmp_path / "started"
    _notebook(nbs, "01-slow", f"import time\nfrom pathlib import Path\n"
                              f"Path({str(started)!r}).write_text('1')\ntime.sleep(120)")
    env = {**os.environ, "SCRLIB_NOTEBOOKS": str(nbs)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrlib", "report", "--output", str(target)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120  # the notebook is running (however loaded the machine)
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == report.EXIT_INTERRUPTED, err
    assert "interrupted" in err and "last good report kept" in err
    assert _tree(target) == before
    assert (tmp_path / "latest.failed").is_dir()


def test_a_hung_notebook_is_stopped_by_the_timeout(tmp_path):
    nb = _notebook(tmp_path / "nbs", "01-hang", "import time\ntime.sleep(300)")
    started = time.perf_counter()
    with pytest.raises(report.NotebookError, match="01-hang"):
        report.build(
            tmp_path / "out",
            notebooks=[nb],
            log=lambda *_: None,
            config=report.ReportConfig(timeout=5),
        )
    assert time.perf_counter() - started < 60
    assert not (tmp_path / "out").exists()


def test_shared_parameters_go_only_to_notebooks_that_declare_them(tmp_path):
    config = tmp_path / "report.yml"
    config.write_text("parameters:\n  conflict_rule: alternative\n  family: poisson\n"
                      "notebooks:\n  01-sources:\n    events: [full-publication]\n")
    loaded = report.load_config(config, ["01-sources"])
    declared = ["series", "conflict_rule", "events", "output_dir"]
    assert loaded.parameters_for("01-sources", declared) == {
        "conflict_rule": "alternative", "events": ["full-publication"]}
    with pytest.raises(report.ConfigError, match=r"unknown parameter.*family.*declares: series"):
        report.ReportConfig(notebooks={"01-sources": {"family": "x"}}).parameters_for(
            "01-sources", declared)


def test_an_undeclared_notebook_parameter_stops_the_run_with_exit_code_3(tmp_path, capsys):
    config = tmp_path / "report.yml"
    config.write_text("notebooks:\n  01-sources:\n    colour: red\n")
    code = main(["report", "--config", str(config), "--output", str(tmp_path / "out")])
    assert code == report.EXIT_CONFIG
    assert "unknown parameter(s) colour" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()



def test_a_notebook_runs_in_its_folder_without_changing_this_process_folder(tmp_path, monkeypatch):
    """Notebooks run in threads, so nothing may move the process to another folder (papermill's
    ``cwd`` does, which raced: a kernel could start in the wrong folder); the kernel alone starts
    in the run's folder."""
    from scrlib.publish import run as runner

    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    calls, real_chdir = [], os.chdir
    monkeypatch.setattr(os, "chdir", lambda path: (calls.append(str(path)), real_chdir(path)))
    nb = _notebook(tmp_path / "nbs", "01-here", "import os\nprint(os.getcwd())")
    (tmp_path / "run").mkdir()
    result = runner.execute(nb, tmp_path / "run" / "01-here.ipynb", {}, cwd=tmp_path / "run")
    assert result.error is None
    assert set(calls) <= {str(here)}  # papermill's file handler re-enters the same folder
    assert Path.cwd() == here
    printed = nbformat.read(tmp_path / "run" / "01-here.ipynb", as_version=4).cells[-1].outputs
    assert printed[0]["text"].strip() == str(tmp_path / "run")


def test_workers_default_to_the_cores_this_process_may_use(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(48)), raising=False)
    assert report.cores() == 48
    config = tmp_path / "report.yml"
    config.write_text("timeout: 100\n")  # a config that does not set workers keeps the default
    assert report.load_config(config).workers is None
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert report.cores() == 1


def test_a_page_that_fails_to_render_names_its_notebook(tmp_path, monkeypatch):
    def broken(notebook, target, chrome=None):
        if notebook.stem == "01-ok":
            raise RuntimeError("render broke")

    monkeypatch.setattr(report, "render_html", broken)
    nbs = [_notebook(tmp_path / "nbs", "01-ok", "1 + 1"),
           _notebook(tmp_path / "nbs", "02-bad", "1/0")]
    with pytest.raises(report.NotebookError) as err:
        report.build(tmp_path / "out", notebooks=nbs, log=lambda *_: None)
    message = str(err.value)
    assert "01-ok: HTML rendering failed: RuntimeError: render broke" in message
    assert "02-bad (cell In[" in message and "ZeroDivisionError" in message
    assert not (tmp_path / "out").exists() and (tmp_path / "out.failed").is_dir()


def test_numbers_in_reader_tables_lead_to_the_words_that_state_them(good_report, dataset):
    from scrlib.publish import pages

    page = (good_report / "01-sources.html").read_text()
    # each value of the seed articles' figures table links to that figure's entry
    assert ('<a class="number" href="figures.html#fig-stowe-published-fy2012-13">13</a>'
            in page)
    shares = (good_report / "03-publication.html").read_text()
    assert '<a class="number" href="figures.html#sp-scr-published-FY2012-13">31</a>' in shares
    figures = (good_report / "figures.html").read_text()
    assert 'id="fig-stowe-published-fy2012-13"' in figures
    assert pages.broken_number_links(good_report, dataset) == []


def test_a_figure_whose_words_no_longer_state_its_number_is_named_with_its_page(
        good_report, dataset):
    from copy import copy

    from scrlib.publish import pages

    edited = copy(dataset)
    figures = dataset.figures.copy()
    row = figures["figure_id"] == "stowe-published-fy2012-13"
    figures.loc[row, "excerpt"] = "a number of reviews were published"
    edited.figures = figures
    problems = pages.broken_number_links(good_report, edited)
    assert problems == ["01-sources.html: the number '13' links to stowe-published-fy2012-13, "
                        "whose words do not state it"]


def test_a_number_that_would_lead_nowhere_or_to_other_words_stops_the_report(tmp_path):
    linked = ("from scrlib.reader.notebook import LinkedMarkdown\n"
              "LinkedMarkdown('In 2010-11 there were 999 reviews, and 5 more.', "
              "[{'text': '999', 'anchor': 'sp-scr-initiated-FY2010-11'}, "
              "{'text': '5', 'anchor': 'sp-no-such-series-FY1999-00'}])")
    nbs = [_notebook(tmp_path / "nbs", "01-claims", linked)]
    target = tmp_path / "out"
    with pytest.raises(report.EvidenceLinkError) as err:
        report.build(target, notebooks=nbs, log=lambda *_: None)
    message = str(err.value)
    assert ("01-claims.html: the number '999' links to "
            "scr-initiated-fy2010-11-cypnow-scrs-instigated-plummets, "
            "scr-initiated-fy2010-11-cypnow-steep-rise-in-scrs, whose words do not state it"
            ) in message
    assert ("01-claims.html: the number '5' links to #sp-no-such-series-FY1999-00, which the "
            "figures page does not have") in message
    assert err.value.exit_code == report.EXIT_DATA
    assert not target.exists() and (tmp_path / "out.failed").is_dir()


def test_deferred_iri_grammar_still_checks_iris_when_used():
    """The report puts off importing rfc3987_syntax; jsonschema's iri check must work unchanged."""
    code = (
        "import sys\n"
        "from scrlib.publish import run\n"
        "run.defer_iri_grammar()\n"
        "import papermill, jsonschema\n"
        "assert 'syntax_helpers' not in str(sorted(sys.modules))\n"
        "checker = jsonschema.FormatChecker()\n"
        "assert checker.conforms('http://example.org/\\u00e4', 'iri')\n"
        "assert not checker.conforms('no scheme here', 'iri')\n"
        "assert 'rfc3987_syntax.syntax_helpers' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
