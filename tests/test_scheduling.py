"""A scheduled ``scr report``: refused parameters stop it before any kernel, one run per output
at a time, no partial folder left for ever, typed parameters, honest failure messages."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill
import pytest

from scrlib.cli import main
from scrlib.publish import report
from scrlib.record import lock
from scrlib.record.paths import notebooks_dir
from scrlib.study.params import ParameterError, precheck

NOTEBOOKS = report.notebook_paths()


def _no_kernel(monkeypatch):
    from scrlib.publish import run

    def refuse(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(run, "execute", refuse)


@pytest.mark.parametrize(
    ("config", "notebook", "parameter", "allowed"),
    [
        ("parameters:\n  conflict_rule: sideways\n", "01-sources", "conflict_rule",
         "recorded, alternative, lowest, highest"),
        ("notebooks:\n  02-initiated:\n    family: binomial\n", "02-initiated", "family",
         "poisson, quasipoisson, negativebinomial, gaussian"),
        ("notebooks:\n  05-sensitivity:\n    transitions: sum,sideways\n", "05-sensitivity",
         "transitions", "sum, fractional, whole"),
    ],
)
@pytest.mark.slow
def test_a_value_a_notebook_would_refuse_stops_the_run_before_any_kernel(
        tmp_path, monkeypatch, capsys, config, notebook, parameter, allowed):
    _no_kernel(monkeypatch)
    path = tmp_path / "report.yml"
    path.write_text(config)
    code = main(["report", "--config", str(path), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == report.EXIT_CONFIG == 3
    assert f"{notebook}: parameter '{parameter}'" in err and allowed in err
    assert "no notebook was run" in err and "KeyboardInterrupt" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_precheck_accepts_every_notebook_with_its_defaults():
    for notebook in NOTEBOOKS:
        precheck(notebook, {})  # raises if a default were refused


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_precheck_refuses_what_the_notebook_refuses(notebook):
    declared = papermill.inspect_notebook(str(notebook))
    name = "conflict_rule" if "conflict_rule" in declared else "conflict_rules"
    with pytest.raises(ParameterError, match=rf"^{notebook.stem}: parameter '{name}'"):
        precheck(notebook, {name: "sideways"})


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameter_has_a_type_for_papermill_help(notebook):
    import re

    import nbformat

    declared = papermill.inspect_notebook(str(notebook))
    cell = next(c for c in nbformat.read(notebook, as_version=4).cells
                if "parameters" in c.metadata.get("tags", []))
    assigned = re.findall(r"^(\w+)\s*[:=]", cell.source, flags=re.M)
    assert list(declared) == assigned  # papermill reads every one of them
    untyped = [n for n, p in declared.items()
               if p["inferred_type_name"] not in ("str", "int", "float", "bool")]
    assert untyped == []


def _holder(target: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the report's lock for ``seconds``."""
    code = ("import sys, time; from pathlib import Path; from scrlib.record import lock\n"
            "with lock.hold(Path(sys.argv[1])):\n"
            "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_run_into_the_same_output_stops_with_exit_6_naming_the_first(
        tmp_path, monkeypatch, capsys):
    _no_kernel(monkeypatch)
    target = tmp_path / "latest"
    holder = _holder(target, 60)
    try:
        code = main(["report", "--output", str(target)])
        err = capsys.readouterr().err
        assert code == report.EXIT_BUSY == 6
        assert f"another run (pid {holder.pid}) is writing {target.resolve()}" in err
        assert "--wait" in err
    finally:
        holder.kill()  # SIGKILL: no clean-up runs in the holder
        holder.wait()
        holder.stdout.close()
    with lock.hold(target):  # the killed holder did not leave the lock stuck
        pass


def test_a_run_told_to_wait_starts_when_the_other_finishes(tmp_path):
    target = tmp_path / "latest"
    holder = _holder(target, 1.0)
    said = []
    started = time.perf_counter()
    with lock.hold(target, wait=30, poll=0.1, log=said.append):
        waited = time.perf_counter() - started
    holder.wait()
    holder.stdout.close()
    assert 0.3 < waited < 30
    assert said and "waiting up to 30 s" in said[0]
    with lock.hold(target), pytest.raises(lock.Busy, match=r"waited 0\.2 s"):
        with lock.hold(target, wait=0.2, poll=0.05):  # a second holder, even in one process
            pass


def test_partial_folders_of_runs_that_are_gone_are_removed(tmp_path, monkeypatch, capsys):
    _no_kernel(monkeypatch)
    target = tmp_path / "latest"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f".latest.partial-{gone.stdout.strip()}"
    alive = tmp_path / f".latest.partial-{os.getppid()}"
    for folder in (dead, alive):
        (folder / "figures").mkdir(parents=True)
    config = tmp_path / "report.yml"
    config.write_text("parameters:\n  conflict_rule: sideways\n")  # stops before any kernel
    assert main(["report", "--config", str(config), "--output", str(target)]) == 3
    assert not dead.exists() and alive.is_dir()
    assert f"removed {dead.name}" in capsys.readouterr().out


@pytest.mark.slow
def test_a_failed_first_run_does_not_claim_a_kept_report(tmp_path):
    from tests.test_report import _notebook

    nb = _notebook(tmp_path / "nbs", "01-broken", "raise ValueError('boom')")
    with pytest.raises(report.NotebookError) as err:
        report.build(tmp_path / "latest", notebooks=[nb], log=lambda *_: None)
    assert "last good report kept" not in str(err.value)
    assert f"no earlier report at {(tmp_path / 'latest').resolve()}" in str(err.value)
    assert not (tmp_path / "latest").exists()



def test_a_combination_the_explorer_cannot_fit_is_refused_before_any_kernel():
    values = {"effects": "step+slope", "events": "full-publication,ofsted-evaluation-ends,"
              "working-together-2013,national-panel-established"}
    with pytest.raises(ParameterError, match=r"^06-explore: .*cannot be fitted"):
        precheck(notebooks_dir() / "06-explore.ipynb", values)


def test_the_declared_parameters_are_what_papermill_reads(tmp_path):
    """A run reads the parameter names with ``ast`` (no papermill import when nothing runs):
    the same names, in the same order, as papermill's own inspection, for every notebook and
    for a cell with annotations, a multi-line value and a comment."""
    from nbformat.v4 import new_code_cell, new_notebook

    from scrlib.publish import run

    odd = new_notebook(cells=[new_code_cell(
        'series: str = "scr-initiated"  # the series\nyears = [\n  2010,\n  2011,\n]\n'
        "# a comment\nseed = 7", metadata={"tags": ["parameters"]})])
    odd.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    path = tmp_path / "odd.ipynb"
    nbformat.write(odd, path)
    for notebook in [*NOTEBOOKS, path]:
        assert run.declared_parameters(notebook) == list(
            papermill.inspect_notebook(str(notebook))), notebook.name
    assert run.declared_parameters(path) == ["series", "years", "seed"]
