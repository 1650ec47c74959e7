"""Each notebook runs alone under the bare papermill CLI with other parameters, refuses a bad one in
its first cells, and the full report holds every notebook's page, charts and data."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_report import _Checker

from scrlib.publish import pages, report
from scrlib.record.paths import notebooks_dir

# Non-default, valid parameters for each notebook (small grids keep the run short).
OTHER = {
    "01-sources": {"conflict_rule": "alternative", "events": "full-publication"},
    "02-initiated": {"family": "negativebinomial", "conflict_rule": "alternative",
                     "event_rule": "alternative", "transition": "whole", "compare_with": "",
                     "replicates": "19", "seed": "7", "power_replicates": "100",
                     "bayes_draws": "256"},
    "03-publication": {"conflict_rule": "alternative", "ci_method": "beta"},
    "04-notifications": {"family": "quasipoisson", "before": "2012-13,2013-14",
                         "after": "2014-15,2015-16", "ci_method": "beta"},
    "05-sensitivity": {"policy_events": "working-together-2013", "families": "poisson",
                       "effects": "step", "conflict_rules": "recorded", "event_rules": "recorded",
                       "placebo_event": "working-together-2013", "joint_replicates": "19",
                       "sweep_event": "working-together-2013"},
    "06-explore": {"family": "negativebinomial", "leave_out": "2014-15",
                   "dates": "ofsted-evaluation-ends=2012-10-01"},
}
# One parameter outside what each notebook accepts.
BAD = {
    "01-sources": ("conflict_rule", "newest"),
    "02-initiated": ("family", "lognormal"),
    "03-publication": ("ci_method", "wald"),
    "04-notifications": ("denominator", "sin-everything"),
    "05-sensitivity": ("families", "poisson,banana"),
    "06-explore": ("dates", "ofsted-evaluation-ends=July 2012"),
}
CHARTS = {
    "02-initiated": ["02-initiated-series", "02-initiated-breaks", "02-initiated-explanations",
                     "02-initiated-its"],
    "04-notifications": ["04-notifications-share", "04-notifications-long"],
    "05-sensitivity": ["05-sensitivity-curve"],
    "06-explore": ["06-explore-default"],
}


def test_every_committed_notebook_is_covered():
    names = {p.stem for p in notebooks_dir().glob("*.ipynb")}
    assert names == set(OTHER) == set(BAD)


def _papermill(name: str, out: Path, params: dict[str, str]) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "papermill", str(notebooks_dir() / f"{name}.ipynb"), str(out),
            "--cwd", str(notebooks_dir())]
    for key, value in params.items():
        args += ["-p", key, value]
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("name", sorted(OTHER))
def test_notebook_runs_under_bare_papermill_with_other_parameters(name, tmp_path):
    out = tmp_path / f"{name}.ipynb"
    run = _papermill(name, out, OTHER[name])
    assert run.returncode == 0, run.stderr[-2000:]
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_parameter_is_refused_by_the_cell_right_after_the_parameters(name):
    """Without a kernel: the cell tagged check-parameters comes straight after the parameters
    (so under papermill it is the first cell after the injected values) and refuses the value,
    saying what is allowed. scr report runs the same cell before any kernel starts."""
    from scrlib.study.params import CHECK_TAG, ParameterError, precheck

    code = [c for c in nbformat.read(notebooks_dir() / f"{name}.ipynb", as_version=4).cells
            if c.cell_type == "code"]
    tags = [c.metadata.get("tags", []) for c in code]
    assert "parameters" in tags[0] and CHECK_TAG in tags[1]
    key, value = BAD[name]
    with pytest.raises(ParameterError, match="allowed") as err:
        precheck(notebooks_dir() / f"{name}.ipynb", {key: value})
    assert key in str(err.value)


def test_bad_parameter_stops_a_bare_papermill_run_in_its_first_cells(tmp_path):
    """In a kernel, under bare papermill (one notebook: the cell is the same code in all)."""
    name = "03-publication"
    key, value = BAD[name]
    out = tmp_path / f"{name}.ipynb"
    run = _papermill(name, out, {key: value})
    assert run.returncode != 0
    nb = nbformat.read(out, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(code)
              if any(o.output_type == "error" for o in c.get("outputs", []))]
    # code cells: parameters, injected parameters, then the cell that checks them
    assert failed == [2], failed
    error = next(o for o in code[2].outputs if o.output_type == "error")
    assert error.ename == "ParameterError"
    assert "allowed" in error.evalue and key in error.evalue


def test_full_report_pages_index_and_charts(tmp_path):
    """One test (so one worker builds the report): every page, chart and dataset; the index
    opens with the answers and the headline chart; pages read like a publication. Smaller
    bootstraps than the defaults keep it short; the committed notebooks use the defaults."""
    full_report = tmp_path / "latest"
    config = report.ReportConfig(notebooks={"02-initiated": {"replicates": 49,
                                                             "power_replicates": 200,
                                                             "bayes_draws": 256},
                                            "05-sensitivity": {"joint_replicates": 19}})
    report.build(full_report, config=config, log=lambda *_: None)
    _every_page_chart_and_dataset(full_report)
    _index_opens_with_the_answers_and_the_headline_chart(full_report)
    _pages_read_like_a_publication(full_report)


def _every_page_chart_and_dataset(full_report):
    index = (full_report / "index.html").read_text()
    for name in OTHER:
        page = (full_report / f"{name}.html").read_text()
        checker = _Checker()
        checker.feed(page)
        assert not checker.errors and checker.images >= 1, name
        assert "References" in page and "choose_one(" not in page, name
        assert f'href="{name}.html"' in index
    for stems in CHARTS.values():
        for stem in stems:
            for suffix in (".png", ".svg"):
                assert (full_report / "figures" / f"{stem}{suffix}").is_file(), stem
            assert (full_report / "figures" / f"{stem}.csv").is_file(), stem


ANSWERING = ["02-initiated", "03-publication", "04-notifications", "05-sensitivity"]


def _index_opens_with_the_answers_and_the_headline_chart(full_report):
    index = (full_report / "index.html").read_text()
    first = index.index("<h2>Sections")
    key = json.loads((full_report / "figures" / "key-message.json").read_text())
    assert 2 <= len(key["sentences"]) <= 3
    lead = index[:index.index("The policy changes on the chart")]
    assert '<section class="key">' in lead and 'src="figures/02-initiated-headline.png"' in lead
    plain = re.sub(r"<[^>]+>", "", lead)
    assert html.escape(" ".join(key["sentences"])) in plain
    assert index.index("The answers in detail") < first
    for name in ANSWERING:
        answer = json.loads((full_report / "figures" / f"{name}-answer.json").read_text())
        assert 3 <= len(answer["sentences"]) <= 5, name
        assert html.escape(answer["question"]) in index[:first], name
        assert html.escape(" ".join(answer["sentences"])) in re.sub(r"<[^>]+>", "",
                                                                   index[:first]), name
    assert index.index("About this run") > index.index("<h2>References")
    params = index.split("About this run")[1].split("<footer")[0]
    assert "{" not in params  # parameters as text, not dicts
    assert "cdn" not in index.lower() and "<script" not in index


def _pages_read_like_a_publication(full_report):
    for name in OTHER:
        page = (full_report / f"{name}.html").read_text()
        text = re.sub(r"<[^>]+>", " ", re.sub(r"data:image/[^\"]+", "", page))
        assert not re.search(r"\bNaN\b", text), name
        assert "{'" not in text, name  # no raw parameter dicts
        assert not re.search(r"\d\.\d{6,}", text), name  # no unrounded numbers
        assert "No description has been provided" not in page, name  # alt text from the data
        assert "<script src=" not in page and "cdnjs" not in page, name  # nothing from the web
        assert f"<title>{html.escape(pages.notebook_title(full_report / f'{name}.ipynb'))}" \
            in page, name
        assert 'href="index.html"' in page and "Data as of " in page, name
