"""A report run sees one version of ``data/``, and a run killed at any step of its swap loses
nothing: the next run puts the last good report back and keeps its history."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from scrlib.publish import report
from scrlib.record import lock

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: make test-slow


def _notebook(folder: Path, name: str, *sources: str) -> Path:
    nb = new_notebook(cells=[new_markdown_cell(f"# {name}")])
    nb.cells.append(new_code_cell('output_dir = ""', metadata={"tags": ["parameters"]}))
    nb.cells += [new_code_cell(src) for src in sources]
    nb.metadata["kernelspec"] = {"name": "scrlib", "display_name": "Python (scrlib)",
                                 "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_report_reads_one_version_of_the_data_while_it_changes(tmp_path, data_copy,
                                                                   monkeypatch):
    monkeypatch.setenv("SCRLIB_DATA", str(data_copy))
    started, go = tmp_path / "started", tmp_path / "go"
    reads = _notebook(
        tmp_path / "nbs", "01-reads",
        "import time\nfrom pathlib import Path\nfrom scrlib.record.load import load\n"
        f"first = load().sources['title'].iloc[0]\nPath({str(started)!r}).write_text('1')",
        f"deadline = time.time() + 60\nwhile not Path({str(go)!r}).exists() and "
        "time.time() < deadline:\n    time.sleep(0.05)\n"
        "second = load().sources['title'].iloc[0]\nprint(repr(first), repr(second))")
    original = (data_copy / "sources.csv").read_bytes()
    version = report.data_version(data_copy)
    target = tmp_path / "latest"
    failure = []

    def run():
        try:
            report.build(target, notebooks=[reads], log=lambda *_: None)
        except Exception as exc:  # reported below
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 120
    while not started.exists() and time.time() < deadline and thread.is_alive():
        time.sleep(0.05)
    # an edit lands in data/ while the notebook runs: a title that says so
    title = next(csv.DictReader(io.StringIO(original.decode())))["title"]
    edited = original.decode().replace(title, "Edited while the report ran", 1)
    with lock.hold(data_copy, log=lambda *_: None):
        (data_copy / "sources.csv").write_text(edited, encoding="utf-8")
    go.write_text("1")
    thread.join(180)
    assert not failure, failure
    saved = nbformat.read(target / "01-reads.ipynb", as_version=4)
    printed = saved.cells[-1].outputs[0]["text"]
    assert "Edited while the report ran" not in printed and printed.count(title) == 2
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["data_version"] == version != report.data_version(data_copy)
    assert manifest["inputs"]["data/sources.csv"] == hashlib.sha256(original).hexdigest()
    assert not list(tmp_path.glob(".latest.partial-*"))  # the copy of the data is gone


def _tiny_report(tmp_path: Path) -> tuple[Path, Path]:
    nb = _notebook(tmp_path / "nbs", "01-tiny", "print(6 * 7)")
    target = tmp_path / "latest"
    report.build(target, notebooks=[nb], log=lambda *_: None)
    return nb, target


def test_a_report_lost_between_the_swap_renames_is_restored_and_keeps_its_history(tmp_path):
    nb, target = _tiny_report(tmp_path)
    before = _tree(target)
    os.replace(target, report.old_path(target))  # killed after moving the last good report aside
    said = []
    report.build(target, notebooks=[nb], log=said.append)
    assert any("restored the last good report" in line for line in said), said
    changes = json.loads((target / "changes.json").read_text())
    assert changes["summary"]["previous_report"] is True, changes
    assert changes["summary"]["nothing_new"] is True, changes
    assert not report.old_path(target).exists()
    after = _tree(target)
    assert after["01-tiny.ipynb"] == before["01-tiny.ipynb"]


KILLER = """
import os, shutil, sys
from pathlib import Path
from scrlib.publish import report

stop_at, calls = int(sys.argv[3]), [0]
def counted(original):
    def call(*args, **kwargs):
        if calls[0] == stop_at:
            os._exit(9)  # killed here: no clean-up, no finally
        calls[0] += 1
        return original(*args, **kwargs)
    return call
for name in ("replace", "unlink", "rmdir", "fsync"):
    setattr(os, name, counted(getattr(os, name)))
report._swap(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def _folder(path: Path, text: str) -> None:
    (path / "figures").mkdir(parents=True)
    for name in ("index.html", "manifest.json", "figures/a.csv"):
        (path / name).write_text(f"{text} {name}")


def test_a_swap_killed_at_any_rename_write_or_removal_loses_nothing(tmp_path):
    """Kill the swap at its k-th file operation, for every k, then do what the next run does
    first: the folder holds the old report or the new one, whole, and nothing else remains."""
    k, finished = 0, False
    while not finished:
        assert k < 200, "the swap never finished"
        case = tmp_path / f"k{k}"
        target, stage = case / "latest", case / f".latest.partial-{999999}"
        _folder(target, "old")
        _folder(stage, "new")
        old, new = _tree(target), _tree(stage)
        done = subprocess.run([sys.executable, "-c", KILLER, str(stage), str(target), str(k)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode in (0, 9), done.stderr
        finished = done.returncode == 0
        report.recover(target)  # what the next run does under the lock
        lock.remove_stale_partials(target, log=lambda *_: None)
        assert _tree(target) in (old, new), k
        assert sorted(p.name for p in case.iterdir()) == ["latest"], k
        k += 1
    assert k > 3  # the kill really landed between the renames and removals


def test_recover_does_nothing_when_no_swap_was_cut_off(tmp_path):
    target = tmp_path / "latest"
    _folder(target, "good")
    before = _tree(target)
    assert report.recover(target) == ""
    assert _tree(target) == before


@pytest.mark.parametrize("leftover", ["old-only", "both"])
def test_recover_says_what_it_did(tmp_path, leftover):
    target = tmp_path / "latest"
    _folder(report.old_path(target), "old")
    if leftover == "both":
        _folder(target, "new")
    said = report.recover(target)
    assert ("restored" in said) == (leftover == "old-only")
    assert target.is_dir() and not report.old_path(target).exists()
