"""A cache that proves what it reuses: every kept file is checked against the manifest written
last when it was kept; an entry edited, truncated, replaced by a symlink, half-written or given
an extra file is set aside (moved out of the store, not deleted), its notebook runs afresh, the
log and the changes page say so, and the published report is byte for byte what a fresh run
publishes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from scrlib.publish import cache, changes, report
from scrlib.record.paths import data_dir

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: make test-slow

TIMING = ("run_started", "duration_seconds", "notebook_seconds", "notebooks_reused")


def _notebook(folder: Path, name: str) -> Path:
    """A cheap notebook (no scrlib import) that writes an answer, a chart's data and its SVG."""
    nb = new_notebook(cells=[new_markdown_cell(f"# {name}")])
    nb.cells.append(new_code_cell('output_dir = ""\nlabel = "a"',
                                  metadata={"tags": ["parameters"]}))
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><title>72</title></svg>'
    nb.cells.append(new_code_cell(
        "import json\nfrom pathlib import Path\n"
        f"answer = {{'notebook': {name!r}, 'question': 'Did it change?', 'sentences': "
        "['The change is not clear: p = 0.31.'], 'estimates': [['step', 1.5]]}\n"
        "if output_dir:\n"
        f"    Path(output_dir, {name + '-answer.json'!r}).write_text(json.dumps(answer))\n"
        f"    Path(output_dir, {name + '-chart.csv'!r}).write_text('year,value\\n2010,72\\n')\n"
        f"    Path(output_dir, {name + '-chart.svg'!r}).write_text({svg!r})\n"
        "print(answer['sentences'][0])"))
    nb.metadata["kernelspec"] = {"name": "scrlib", "display_name": "Python (scrlib)",
                                 "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def comparable(tree: dict[str, bytes]) -> dict[str, bytes]:
    """A report's files without what differs between two runs of the same inputs: the
    manifest's timing fields, and the changes page's note of cached runs set aside (with the
    hashes of the two changes files in the manifest)."""
    out = dict(tree)
    manifest = json.loads(out.pop("manifest.json"))
    for key in TIMING:
        manifest.pop(key, None)
    for name in ("changes.html", "changes.json"):
        manifest["outputs"].pop(name, None)
    out["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    page = out["changes.html"].decode()
    out["changes.html"] = re.sub(re.escape(changes.SET_ASIDE_START) + ".*?"
                                 + re.escape(changes.SET_ASIDE_END) + "\n", "", page,
                                 flags=re.S).encode()
    data = json.loads(out["changes.json"])
    data.pop("cache_set_aside", None)
    out["changes.json"] = json.dumps(data, sort_keys=True).encode()
    return out


NAMES = ("01-one", "02-two")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A report run twice (the second with --no-cache: a fresh run that has an earlier report),
    its cache holding both notebooks; and that fresh run's files."""
    root = tmp_path_factory.mktemp("cached")
    shutil.copytree(data_dir(), root / "data")
    nbs = [_notebook(root / "nbs", name) for name in NAMES]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCRLIB_DATA", str(root / "data"))
        report.build(root / "out" / "latest", notebooks=nbs, log=lambda *_: None)
        report.build(root / "out" / "latest", notebooks=nbs, cache=False, log=lambda *_: None)
    return root, comparable(_tree(root / "out" / "latest"))


@pytest.fixture
def case(base, tmp_path, monkeypatch):
    """A copy of the base, its data the data."""
    root, fresh = base
    copy = tmp_path / "case"
    shutil.copytree(root, copy, symlinks=True)
    monkeypatch.setenv("SCRLIB_DATA", str(copy / "data"))
    return copy, fresh


def _entry(root: Path, name: str) -> Path:
    """The stored artifacts of notebook ``name``'s cached run."""
    (found,) = [p.parent.parent for p in
                (root / "out" / ".latest.cache").glob(f"executed/*/artifacts/files/{name}-*.csv")]
    return found


def _build(root: Path) -> tuple[list[str], dict[str, bytes]]:
    said = []
    report.build(root / "out" / "latest", notebooks=sorted((root / "nbs").glob("*.ipynb")),
                 log=said.append)
    return said, _tree(root / "out" / "latest")


def _ran(said: list[str]) -> list[str]:
    return sorted(line.split()[1] for line in said if line.startswith("  ok "))


def _set_aside(root: Path) -> list[Path]:
    return sorted((root / "out" / ".latest.cache-set-aside").glob("*"))


def test_a_reused_run_is_verified_and_publishes_what_a_fresh_run_publishes(case):
    root, fresh = case
    said, tree = _build(root)
    assert _ran(said) == [] and comparable(tree) == fresh  # all reused, the same bytes
    assert json.loads(tree["changes.json"])["cache_set_aside"] == []
    assert changes.SET_ASIDE_START not in tree["changes.html"].decode()
    index, page = tree["index.html"].decode(), tree["changes.html"].decode()
    footer = index[index.index("<footer"):index.index("</footer>")]  # data date and commit
    assert footer in page and "<main" in page and 'name="viewport"' in page

    def links(text):
        return re.findall(r'<li><a href="([^"]+)"', text[:text.index("</nav>")])

    assert links(page) == links(index) == ["index.html", "figures.html", "01-one.html",
                                           "02-two.html"]


def test_an_edited_answer_and_a_truncated_page_are_set_aside_and_run_afresh(case):
    root, fresh = case
    answer = _entry(root, "01-one") / "files" / "01-one-answer.json"
    edited = answer.read_text().replace("not clear: p = 0.31", "is real!: p = 0.001")
    assert len(edited) == len(answer.read_text())  # the same size: only the hash can tell
    answer.write_text(edited)
    page = _entry(root, "02-two") / "page.html"
    page.write_bytes(page.read_bytes()[:200])
    said, tree = _build(root)
    assert _ran(said) == ["01-one", "02-two"]
    assert comparable(tree) == fresh
    assert b"p = 0.001" not in tree["index.html"]
    notes = [line for line in said if "did not verify" in line]
    assert len(notes) == 2 and "01-one-answer.json differs from what was kept" in notes[0]
    assert "page.html has 200 bytes" in notes[1], notes
    page_text = tree["changes.html"].decode()
    assert "Nothing changed since the last report" in page_text  # the outputs are the same
    assert "01-one: files/01-one-answer.json differs from what was kept" in page_text
    kept = _set_aside(root)  # moved out of the store, with the bytes found there
    assert len(kept) == 2
    assert b"p = 0.001" in (kept[0] / "artifacts" / "files" / "01-one-answer.json").read_bytes()
    said, tree = _build(root)  # kept afresh, and now reused
    assert _ran(said) == [] and comparable(tree) == fresh


def test_a_symlinked_chart_and_a_truncated_notebook_without_its_page_run_afresh(case, tmp_path):
    root, fresh = case
    chart = _entry(root, "01-one") / "files" / "01-one-chart.svg"
    elsewhere = tmp_path / "elsewhere.svg"
    elsewhere.write_bytes(chart.read_bytes())  # the same bytes, through a symlink
    chart.unlink()
    chart.symlink_to(elsewhere)
    entry = _entry(root, "02-two")
    notebook = entry / "executed.ipynb"
    notebook.write_bytes(notebook.read_bytes()[: len(notebook.read_bytes()) // 2])
    (entry / "page.html").unlink()
    (entry / "page.key").unlink()
    said, tree = _build(root)
    assert _ran(said) == ["01-one", "02-two"]
    assert comparable(tree) == fresh
    notes = " ".join(line for line in said if "did not verify" in line)
    assert "files/01-one-chart.svg is a symlink" in notes
    assert "page.html, page.key missing" in notes


def test_a_half_written_entry_and_an_extra_file_are_never_reused(case):
    root, fresh = case
    entry = _entry(root, "01-one")
    (entry / cache.MANIFEST).unlink()  # what a kill before the manifest leaves
    svg = entry / "files" / "01-one-chart.svg"
    svg.write_bytes(svg.read_bytes()[:10])
    extra = _entry(root, "02-two") / "files" / "02-two-extra.html"
    extra.write_text("<script>alert(1)</script>")
    said, tree = _build(root)
    assert _ran(said) == ["01-one", "02-two"]
    assert comparable(tree) == fresh
    assert "figures/02-two-extra.html" not in tree
    notes = " ".join(line for line in said if "did not verify" in line)
    assert "it has no manifest" in notes
    assert "files/02-two-extra.html not in its manifest" in notes


class Killed(BaseException):
    """Stands for SIGKILL: not an Exception, so no ``except Exception`` clean-up runs."""


def _kill_at(monkeypatch, k: int, store: Path) -> None:
    """Raise Killed at the k-th step from now that changes ``store``: a file written, a folder
    made, a rename, a removal, or a commit of its database."""
    import os

    from sqlalchemy.orm import Session

    calls = [0]

    def counted(original, on_path=True):
        def call(*args, **kwargs):
            if not on_path or str(args[0]).startswith(str(store)):
                if calls[0] == k:
                    raise Killed(k)
                calls[0] += 1
            return original(*args, **kwargs)
        return call

    for owner, name in ((Path, "write_bytes"), (Path, "write_text"), (Path, "mkdir"),
                        (os, "replace"), (shutil, "rmtree")):
        monkeypatch.setattr(owner, name, counted(getattr(owner, name)))
    monkeypatch.setattr(Session, "commit", counted(Session.commit, on_path=False))


@pytest.fixture
def quick_database():
    """jupyter-cache's database without waiting for the disk at each commit (a simulated kill
    needs no durability; this only makes the many runs below quick)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def unsynced(connection, _):
        connection.execute("PRAGMA synchronous = OFF")

    event.listen(Engine, "connect", unsynced)
    yield
    event.remove(Engine, "connect", unsynced)


def test_a_run_killed_at_any_step_of_replacing_an_entry_never_stops_it_being_kept(
        tmp_path, quick_database):
    """Kill the replacement of a kept run at its k-th step, for every k: what is left is never
    reused unless it verifies, and the next run keeps its own run (no FileExistsError ever)."""
    made = tmp_path / "made"
    made.mkdir()
    (made / "nb.ipynb").write_text('{"cells": []}\n')
    (made / "page.html").write_text("<p>page</p>")
    (made / "a.csv").write_text("x\n1\n")
    key = "k" * 64

    def keep(store, text):
        (made / "page.html").write_text(text)
        store.store(key, "chrome", made / "nb.ipynb", {"a.csv": made / "a.csv"},
                    made / "page.html", uri=str(made / "02-two.ipynb"))

    kept = cache.NotebookCache(tmp_path / "kept" / ".latest.cache")
    keep(kept, "<p>old</p>")
    k, finished = 0, False
    while not finished:
        assert k < 200, "the replacement never finished"
        shutil.copytree(kept.folder, tmp_path / f"k{k}" / ".latest.cache")
        store = cache.NotebookCache(tmp_path / f"k{k}" / ".latest.cache")
        with pytest.MonkeyPatch.context() as patch:
            _kill_at(patch, k, store.folder)
            try:
                keep(store, "<p>new</p>")
                finished = True
            except Killed:
                pass
        store = cache.NotebookCache(store.folder)  # the next run
        found = store.find(key, "02-two")
        if isinstance(found, cache.Hit):
            assert found.page in (b"<p>old</p>", b"<p>new</p>"), k
        keep(store, "<p>again</p>")
        found = store.find(key, "02-two")
        assert isinstance(found, cache.Hit) and found.page == b"<p>again</p>", (k, found)
        k += 1
    assert k > 5  # the kill really landed inside the replacement
