"""Each notebook runs alone under the bare papermill CLI with other parameters and refuses a bad
one in its first cells (the full report: tests/test_full_report.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from scrlib.record.paths import notebooks_dir

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: make test-slow

# Non-default, valid parameters for each notebook (small grids keep the run short).
OTHER = {
    "01-sources": {"conflict_rule": "alternative", "events": "full-publication"},
    "02-initiated": {"family": "negativebinomial", "conflict_rule": "alternative",
                     "event_rule": "alternative", "transition": "whole", "compare_with": "",
                     "replicates": "19", "seed": "7", "power_replicates": "100",
                     "bayes_draws": "256", "undercount_years": "2012-13"},
    "03-publication": {"conflict_rule": "alternative", "ci_method": "beta"},
    "04-notifications": {"family": "quasipoisson", "before": "2012-13,2013-14",
                         "after": "2014-15,2015-16", "ci_method": "beta"},
    "05-sensitivity": {"policy_events": "working-together-2013", "families": "poisson",
                       "effects": "step", "conflict_rules": "recorded", "event_rules": "recorded",
                       "placebo_event": "working-together-2013", "joint_replicates": "19",
                       "sweep_event": "working-together-2013"},
    "06-explore": {"family": "negativebinomial", "leave_out": "2014-15",
                   "dates": "ofsted-evaluation-ends=2012-10-01"},
    "07-long-record": {"conflict_rule": "alternative", "family": "negativebinomial",
                       "min_years": "6", "ci_method": "wilson", "notifications": "sin-total",
                       "reviews": "scr-initiated,cspr-rapid-reviews"},
}
# One parameter outside what each notebook accepts.
BAD = {
    "01-sources": ("conflict_rule", "newest"),
    "02-initiated": ("family", "lognormal"),
    "03-publication": ("ci_method", "wald"),
    "04-notifications": ("denominator", "sin-everything"),
    "05-sensitivity": ("families", "poisson,banana"),
    "06-explore": ("dates", "ofsted-evaluation-ends=July 2012"),
    "07-long-record": ("family", "binomial"),
}
CHARTS = {
    "02-initiated": ["02-initiated-series", "02-initiated-breaks", "02-initiated-explanations",
                     "02-initiated-its"],
    "04-notifications": ["04-notifications-share", "04-notifications-long"],
    "05-sensitivity": ["05-sensitivity-curve"],
    "06-explore": ["06-explore-default"],
    "07-long-record": ["07-long-record", "07-long-record-index", "07-long-record-rates"],
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
