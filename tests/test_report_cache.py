"""A run with nothing new reuses every executed notebook and writes the same bytes; a change to
any input (the notebook, its parameters, the data, scrlib's code, the packages) re-runs what
depends on it; ``--no-cache`` runs everything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from scrlib.cli import main
from scrlib.publish import cache, report

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: make test-slow


def _notebook(folder: Path, name: str, counter: Path, extra: str = "") -> Path:
    """A notebook that counts its runs in ``counter`` (outside the report), reads the data and
    writes a file into its output folder."""
    nb = new_notebook(cells=[new_markdown_cell(f"# {name}")])
    nb.cells.append(new_code_cell('output_dir = ""\nlabel = "a"',
                                  metadata={"tags": ["parameters"]}))
    nb.cells.append(new_code_cell(
        "from pathlib import Path\nfrom scrlib.record.load import load\n"
        f"with open({str(counter)!r}, 'a') as handle:\n    handle.write({name!r} + '\\n')\n"
        "sources = len(load().sources)\n"
        "if output_dir:\n"
        f"    Path(output_dir, {name + '-out.txt'!r}).write_text(f'{{label}} {{sources}}')\n"
        f"print(label, sources){extra}"))
    nb.metadata["kernelspec"] = {"name": "scrlib", "display_name": "Python (scrlib)",
                                 "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _runs(counter: Path) -> list[str]:
    return counter.read_text().split() if counter.exists() else []


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


TIMING = ("run_started", "duration_seconds", "notebook_seconds", "notebooks_reused")


def _without_timing(tree: dict) -> dict:
    out = dict(tree)
    manifest = json.loads(out.pop("manifest.json"))
    for key in TIMING:
        manifest.pop(key, None)
    out["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return out


@pytest.fixture
def setting(tmp_path, data_copy, monkeypatch):
    monkeypatch.setenv("SCRLIB_DATA", str(data_copy))
    counter = tmp_path / "runs.txt"
    nbs = [_notebook(tmp_path / "nbs", "01-one", counter),
           _notebook(tmp_path / "nbs", "02-two", counter)]
    return tmp_path / "out" / "latest", nbs, counter, data_copy


def test_a_run_reuses_what_no_input_changed_and_reruns_what_a_change_touches(setting):
    """One sequence (each step a report run): nothing new, then the notebook, a parameter and
    the data changed in turn."""
    target, nbs, counter, data = setting
    report.build(target, notebooks=nbs, log=lambda *_: None)
    assert sorted(_runs(counter)) == ["01-one", "02-two"]
    assert (target / "figures" / "01-one-out.txt").is_file()

    said = []
    report.build(target, notebooks=nbs, log=said.append)  # nothing new: from the cache
    assert sorted(_runs(counter)) == ["01-one", "02-two"]  # no kernel ran
    assert sum("reused" in line for line in said) == 2, said
    assert json.loads((target / "manifest.json").read_text())["notebooks_reused"] == [
        "01-one", "02-two"]
    reused = _tree(target)
    report.build(target, notebooks=nbs, cache=False, log=lambda *_: None)  # --no-cache
    assert _runs(counter).count("01-one") == 2 and _runs(counter).count("02-two") == 2
    assert json.loads((target / "manifest.json").read_text())["notebooks_reused"] == []
    assert _without_timing(_tree(target)) == _without_timing(reused)  # the same bytes

    _notebook(nbs[0].parent, "01-one", counter, extra="\nprint('changed')")
    report.build(target, notebooks=nbs, log=lambda *_: None)
    assert _runs(counter).count("01-one") == 3 and _runs(counter).count("02-two") == 2
    saved = nbformat.read(target / "01-one.ipynb", as_version=4)
    assert "changed" in saved.cells[-1].outputs[0]["text"]

    config = report.ReportConfig(notebooks={"02-two": {"label": "b"}})
    report.build(target, notebooks=nbs, config=config, log=lambda *_: None)
    assert _runs(counter).count("01-one") == 3 and _runs(counter).count("02-two") == 3
    assert (target / "figures" / "02-two-out.txt").read_text().startswith("b ")

    sources = data / "sources.csv"
    sources.write_text(sources.read_text().replace("Absence of Ofsted", "Absence of OFSTED", 1))
    report.build(target, notebooks=nbs, config=config, log=lambda *_: None)
    assert _runs(counter).count("01-one") == 4 and _runs(counter).count("02-two") == 4


def test_the_command_line_no_cache_option_reaches_the_build(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(report, "build", lambda *a, **k: seen.update(k))
    assert main(["report", "--no-cache", "--output", str(tmp_path / "o")]) == 0
    assert seen["cache"] is False
    assert main(["report", "--output", str(tmp_path / "o")]) == 0
    assert seen["cache"] is True


def test_every_input_moves_the_key(tmp_path, monkeypatch):
    nb = tmp_path / "01-a.ipynb"
    nb.write_text("{}")
    base = dict(data="d", code="c", packages="p")
    key = cache.Inputs.of(nb, {"x": 1}, **base).key()
    assert cache.Inputs.of(nb, {"x": 1}, **base).key() == key  # the same inputs, the same key
    assert cache.Inputs.of(nb, {"x": 2}, **base).key() != key
    for field in base:
        assert cache.Inputs.of(nb, {"x": 1}, **{**base, field: "other"}).key() != key, field
    nb.write_text("{ }")
    assert cache.Inputs.of(nb, {"x": 1}, **base).key() != key


def test_the_code_and_package_versions_follow_their_files(tmp_path, monkeypatch):
    code = tmp_path / "scrlib-copy"
    shutil.copytree(cache.CODE_DIR, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "CODE_DIR", code)
    before = cache.code_version()
    assert before == cache.code_version(cache.PACKAGE_DIR)  # a faithful copy hashes the same
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert cache.code_version() == before  # caches are not code
    with (code / "record" / "load.py").open("a") as handle:
        handle.write("\n# an edit\n")
    assert cache.code_version() != before
    lock_file = tmp_path / "requirements.lock"
    lock_file.write_text(cache.LOCK_FILE.read_text())
    monkeypatch.setattr(cache, "LOCK_FILE", lock_file)
    locked = cache.packages_version()
    lock_file.write_text(lock_file.read_text().replace("pandas==", "pandas==0.", 1))
    assert cache.packages_version() != locked


def test_a_broken_cache_is_set_aside_with_a_word_not_the_report(tmp_path):
    target = tmp_path / "latest"
    folder = cache.cache_path(target)
    folder.mkdir(parents=True)
    (folder / "global.db").write_bytes(b"not a database")
    said = []
    store = report._open_cache(target, said.append)
    assert said == ["scr report: the notebook cache could not be read (DatabaseError: "
                    "(sqlite3.DatabaseError) file is not a database); it was emptied, so every "
                    "notebook runs"]
    assert store is not None and not store.has("0" * 64)  # a fresh, working cache


def test_a_run_without_the_cache_still_fills_it_for_the_next(setting):
    """--no-cache runs every notebook and keeps what it ran, so the next scheduled run with
    nothing new starts no kernel."""
    target, nbs, counter, _ = setting
    report.build(target, notebooks=nbs, cache=False, log=lambda *_: None)  # --no-cache
    assert sorted(_runs(counter)) == ["01-one", "02-two"]
    said = []
    report.build(target, notebooks=nbs, log=said.append)
    assert sorted(_runs(counter)) == ["01-one", "02-two"]  # no kernel ran
    assert sum("reused" in line for line in said) == 2, said
