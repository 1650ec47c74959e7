"""Nothing is lost when ``scr ingest`` is killed (issue 26): an ingest killed at any of its
writes, flushes, renames or removals leaves data/ as it was, or as the whole ingest leaves it,
once the next ``scr ingest --finish`` (or the next ``scr ingest``) has run; ``scr check``
passes, and no file of the killed run is left behind.

The ingest runs in a forked child that dies (``os._exit``, as SIGKILL would leave it: no
cleanup, no ``finally``) at its k-th such step; a write the child dies in is half written."""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import os
import shutil
import warnings
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.record import ingest
from scrlib.record.paths import data_dir

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

RELEASE = Path(__file__).parent / "fixtures" / "ees" / "sin-nature-2027-test-values.csv"
ADDRESS = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/test/csv"
DIED = 137  # what the child exits with where it is killed


def _args(folder: Path) -> list[str]:
    return ["ingest", str(RELEASE), "--dataset", "sin-nature", "--release",
            "Reporting year 2027", "--address", ADDRESS, "--published", "2027-07-01", "--accessed",
            "2027-07-02", "--data", str(folder)]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _quiet(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


def _steps(folder: Path, die_at: int | None):
    """Wrap each step an ingest takes on disk (write a file, flush the folder, rename, remove
    a file in ``folder``); at step ``die_at`` the process exits on the spot (a write, half
    done). Returns the counter of steps taken and a function that undoes the wrapping."""
    counter = itertools.count(1)
    real = {"write": ingest._write_durably, "flush": ingest._fsync_dir,
            "replace": os.replace, "unlink": os.unlink}

    def step() -> bool:
        return next(counter) == die_at

    def write(path, data):
        if step():
            Path(path).write_bytes(data[:len(data) // 2])
            os._exit(DIED)
        return real["write"](path, data)

    def flush(target):
        if step():
            os._exit(DIED)
        return real["flush"](target)

    def replace(src, dst, **kw):
        if step():
            os._exit(DIED)
        return real["replace"](src, dst, **kw)

    def unlink(path, **kw):
        if str(folder) in str(path) and step():
            os._exit(DIED)
        return real["unlink"](path, **kw)

    ingest._write_durably, ingest._fsync_dir = write, flush
    os.replace, os.unlink = replace, unlink

    def undo() -> None:
        ingest._write_durably, ingest._fsync_dir = real["write"], real["flush"]
        os.replace, os.unlink = real["replace"], real["unlink"]

    return counter, undo


def _killed_at(step: int, folder: Path) -> int:
    """Run the ingest in a forked child that dies at ``step``; the child's exit code."""
    with warnings.catch_warnings():  # newer Pythons warn of forking with threads running
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        code = 99
        try:
            _steps(folder, step)
            code = _quiet(_args(folder))
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_an_ingest_killed_at_any_step_loses_nothing(tmp_path):
    old = tmp_path / "old" / "data"
    shutil.copytree(data_dir(), old)
    full = tmp_path / "full" / "data"
    shutil.copytree(data_dir(), full)
    counter, undo = _steps(full, die_at=None)
    try:
        assert _quiet(_args(full)) == 0
    finally:
        undo()
    steps = next(counter) - 1
    assert steps >= 12  # four tables and a journal written, renamed, removed; flushes between
    states = {"old": _digest(old), "full": _digest(full)}
    assert states["old"] != states["full"]
    for step in range(1, steps + 1):
        folder = tmp_path / f"killed-at-{step}" / "data"
        shutil.copytree(data_dir(), folder)
        assert _killed_at(step, folder) == DIED, f"the ingest did not reach step {step}"
        if step % 2:  # the next --finish completes it, or drops what the killed run wrote
            assert _quiet(["ingest", "--finish", "--data", str(folder)]) == 0
            assert _digest(folder) in states.values(), f"killed at step {step}"
        else:  # the next ingest does the same first, then adds the release (once)
            assert _quiet(_args(folder)) == 0
            assert _digest(folder) == states["full"], f"killed at step {step}"
        assert _quiet(["check", "--data", str(folder)]) == 0
        assert not list(folder.glob(".*.ingest-*")) and not (folder / ingest.JOURNAL).exists()
