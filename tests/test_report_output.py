"""What ``scr report`` writes, and what it refuses to touch: ``--output`` only ever replaces a
report (never a folder of other files, never the data, by any spelling), and a folder it cannot
write is said in one line with its exit code, not a traceback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.publish import report, run


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def no_kernel(monkeypatch, data_copy):
    """The data copy is the data; starting any kernel fails the test."""
    monkeypatch.setenv("SCRLIB_DATA", str(data_copy))

    def refuse(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(run, "execute", refuse)
    return data_copy


def _notes(folder: Path) -> Path:
    (folder / "drafts").mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "drafts" / "one.md").write_text("# a draft\n")
    return folder


def test_a_folder_that_is_not_a_report_is_refused_naming_what_it_holds(tmp_path, no_kernel,
                                                                        capsys):
    notes = _notes(tmp_path / "notes")
    before = _tree(notes)
    assert main(["report", "--output", str(notes)]) == report.EXIT_CONFIG == 3
    err = capsys.readouterr().err
    assert f"--output {notes}: not a report folder (it holds drafts/, notes.txt" in err
    assert len(err.strip().splitlines()) == 1, err
    assert _tree(notes) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "notes"]  # nothing beside it


def test_a_folder_with_some_other_manifest_is_not_a_report(tmp_path, no_kernel, capsys):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"name": "a web app", "icons": []}))
    assert main(["report", "--output", str(folder)]) == 3
    assert "not a report folder (it holds manifest.json" in capsys.readouterr().err
    assert (folder / "manifest.json").is_file()


@pytest.mark.parametrize("spelling", ["the folder", "a symlink", "its parent", "inside it",
                                      "a copy"])
def test_the_data_is_never_an_output(tmp_path, no_kernel, capsys, spelling):
    data = no_kernel
    link = tmp_path / "link"
    link.symlink_to(data, target_is_directory=True)
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in data.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    output = {"the folder": data, "a symlink": link, "its parent": tmp_path,
              "inside it": data / "report", "a copy": copy}[spelling]
    before = _tree(tmp_path)
    assert main(["report", "--output", str(output)]) == 3
    err = capsys.readouterr().err
    assert f"--output {output}" in err and "a report never replaces the data" in err, err
    assert _tree(tmp_path) == before


def test_a_file_is_not_an_output(tmp_path, no_kernel, capsys):
    path = tmp_path / "report.html"
    path.write_text("<p>mine</p>")
    assert main(["report", "--output", str(path)]) == 3
    assert "is a file, not a folder" in capsys.readouterr().err
    assert path.read_text() == "<p>mine</p>"


def _tiny(tmp_path: Path) -> Path:
    from tests.test_report_recovery import _notebook

    return _notebook(tmp_path / "nbs", "01-tiny", "print(6 * 7)")


def test_an_empty_folder_and_an_earlier_report_are_outputs(tmp_path, data_copy, monkeypatch):
    monkeypatch.setenv("SCRLIB_DATA", str(data_copy))
    nb = _tiny(tmp_path)
    target = tmp_path / "empty"
    target.mkdir()
    report.build(target, notebooks=[nb], log=lambda *_: None)  # an empty folder: nothing lost
    assert (target / "manifest.json").is_file()
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    report.build(link, notebooks=[nb], log=lambda *_: None)  # the report, through a symlink
    assert link.is_symlink() and (target / "01-tiny.html").is_file()


# -- a folder the run cannot write: one line, its exit code, nothing lost ------------------------
def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _read_only(monkeypatch, folder: Path) -> None:
    """Make writing anything under ``folder`` fail as on a read-only disk (root may write any
    folder whatever its mode, so the system's refusal is stood in for)."""
    import errno
    import os

    def refused(path):
        return OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    real_open, real_mkdir = os.open, os.mkdir
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def opened(path, flags, *args, **kwargs):
        if flags & writes and Path(path).is_relative_to(folder):
            raise refused(path)
        return real_open(path, flags, *args, **kwargs)

    def made(path, *args, **kwargs):
        if Path(path).is_relative_to(folder):
            raise refused(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", opened)
    monkeypatch.setattr(os, "mkdir", made)


def _fake_report(folder: Path) -> Path:
    """A folder that carries a report's manifest (what a report run may replace)."""
    (folder / "figures").mkdir(parents=True)
    (folder / "index.html").write_text("<p>the last good report</p>")
    (folder / "manifest.json").write_text(json.dumps(
        {"git_commit": "x", "inputs": {}, "outputs": {"index.html": "y"}}))
    return folder


def test_a_read_only_output_folder_is_one_line_with_exit_7(tmp_path, no_kernel, monkeypatch,
                                                            capsys):
    place = tmp_path / "ro"
    place.mkdir()
    _read_only(monkeypatch, place)
    assert main(["report", "--output", str(place / "latest")]) == report.EXIT_STORAGE == 7
    line = _one_line(capsys.readouterr().err)
    assert f"the report folder's lock {place / '.latest.lock'} cannot be taken" in line
    assert "Read-only file system; the folder is read-only; no report was written" in line


def test_a_lock_path_that_is_a_folder_is_one_line_with_exit_7(tmp_path, no_kernel, capsys):
    target = _fake_report(tmp_path / "latest")
    before = _tree(target)
    (tmp_path / ".latest.lock").mkdir()
    assert main(["report", "--output", str(target)]) == 7
    line = _one_line(capsys.readouterr().err)
    assert f"lock {tmp_path / '.latest.lock'} cannot be taken" in line
    assert "a folder is in the way of a file: remove it" in line
    assert f"the last good report at {target} is as it was" in line
    assert _tree(target) == before


def test_a_full_disk_during_the_data_snapshot_is_one_line_and_leaves_no_copy(
        tmp_path, no_kernel, monkeypatch, capsys):
    import errno
    import os
    import shutil

    target = _fake_report(tmp_path / "out" / "latest")
    before = _tree(target)
    copy, copied = shutil.copy2, []

    def filling(source, destination, **kwargs):
        if len(copied) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        copied.append(source)
        return copy(source, destination, **kwargs)

    monkeypatch.setattr(shutil, "copy2", filling)
    assert main(["report", "--output", str(target)]) == 7
    line = _one_line(capsys.readouterr().err)
    assert "into the data snapshot" in line and "No space left on device" in line
    assert "the disk is full: free some space" in line
    assert f"the last good report at {target} is as it was" in line
    assert _tree(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == [".latest.lock", "latest"]


def _data_in(place: Path, monkeypatch) -> Path:
    """A copy of the data in ``place`` (which, with its lock file's place, may be made
    read-only), the data of this test."""
    import shutil

    from scrlib.record.paths import data_dir

    data = place / "data"
    shutil.copytree(data_dir(), data)
    monkeypatch.setenv("SCRLIB_DATA", str(data))
    return data


def test_read_only_data_without_a_lock_file_is_one_line_with_exit_7(tmp_path, no_kernel,
                                                                    monkeypatch, capsys):
    data = _data_in(tmp_path / "ro", monkeypatch)
    before = _tree(data)
    _read_only(monkeypatch, data.parent)  # data/ and the folder its lock file goes in
    output = tmp_path / "out" / "latest"
    assert main(["report", "--output", str(output)]) == 7
    line = _one_line(capsys.readouterr().err)
    assert f"the data snapshot of {data} could not be taken (its lock is " \
           f"{data.parent / '.data.lock'})" in line and "the folder is read-only" in line
    assert _tree(data) == before
    assert not list(output.parent.glob(".latest.partial-*"))


def test_read_only_data_with_its_lock_file_is_copied_under_that_lock(tmp_path, monkeypatch):
    from scrlib.record import lock

    data = _data_in(tmp_path / "ro", monkeypatch)
    with lock.hold(data):  # an ingest made the lock file once
        pass
    _read_only(monkeypatch, data.parent)
    snapshot = tmp_path / "out" / "snapshot"
    report.take_snapshot(data, snapshot, wait=0, log=lambda *_: None)
    assert _tree(snapshot) == {k: v for k, v in _tree(data).items() if "/" not in k}
