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
