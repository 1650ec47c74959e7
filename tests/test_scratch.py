"""Temporary folders of a killed run (``scrlib-run-*``, ``scrlib-cache-*``, ``scrlib-ingest-*``)
are removed by the next run; a live run's, and folders this program cannot tell are its own,
are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.record import scratch

MAKER = """
import os, signal, sys
from scrlib.publish import run
from scrlib.record import scratch

run.kernel_spec_dir()  # what every report run makes first: its kernel spec and sockets
made = [run._private_dir(), scratch.make("cache"), scratch.make("ingest")]
print(" ".join(map(str, made)), flush=True)
if sys.argv[1] == "killed":
    os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, no atexit
sys.stdin.read()  # alive until told
"""


def _maker(tmp: Path, how: str) -> tuple[subprocess.Popen, list[Path]]:
    proc = subprocess.Popen([sys.executable, "-c", MAKER, how], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmp)})
    made = [Path(p) for p in proc.stdout.readline().split()]
    if how == "killed":
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()
    return proc, made


@pytest.fixture
def tmp(tmp_path, monkeypatch) -> Path:
    """A temporary folder of its own, for this process and those it starts."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def test_the_next_run_removes_a_killed_runs_temporary_folders_and_only_those(tmp, tmp_path,
                                                                             capsys):
    live, alive = _maker(tmp, "alive")
    killed, dead = _maker(tmp, "killed")  # (made after: a new folder sweeps the old first)
    older = tmp / "scrlib-run-abc123"  # no owner file: not one this program can tell is its own
    older.mkdir()
    try:
        assert killed.returncode == -9 and len(dead) == 3 and all(p.is_dir() for p in dead)
        assert sorted(p.name.split("-")[1] for p in dead) == ["cache", "ingest", "run"]
        notes = tmp_path / "notes"
        notes.mkdir()
        (notes / "a.txt").write_text("mine")
        assert main(["report", "--output", str(notes)]) == 3  # refused, yet it tidies first
        out = capsys.readouterr().out
        assert not any(p.exists() for p in dead), out
        assert all(p.is_dir() for p in alive) and older.is_dir()
        assert all(f"removed {p}, left by a run (pid {killed.pid}) that was killed" in out
                   for p in dead), out
    finally:
        live.communicate("")
    (own,) = [p for p in alive if p.name.startswith("scrlib-run-")]
    assert not own.exists()  # removed as its process ended
    # the two it ended without removing are its process's no longer: the next run removes them
    assert sorted(scratch.sweep()) == sorted(p for p in alive if p != own)


def test_a_folder_made_here_is_removed_with_its_block_and_never_swept_while_held(tmp):
    with scratch.folder("cache") as held:
        assert held.parent == tmp and held.name.startswith(f"scrlib-cache-{os.getpid()}-")
        assert scratch.sweep() == [] and held.is_dir()
    assert not held.exists()
