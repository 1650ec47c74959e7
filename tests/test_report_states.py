"""Ingest, check, report and kills in any order, on a copy: data/ always passes ``scr check``
(or, while an ingest is cut off, its next run makes it whole), every report a reader can open
is byte for byte what a fresh run on the same data publishes (the manifest's timing and what
depends on the earlier report aside), and no value of an older release wins over a newer one.

A stand-in of two small notebooks that read the data keeps it quick. An ingest is killed in a
forked child that dies on the spot (``os._exit``, no clean-up, as SIGKILL) at its k-th step on
disk; a report is killed in this process at its k-th step on disk: from that step on, every
step in any of its threads fails with :class:`Killed` (not an Exception, so no ``except
Exception`` handler runs), and its kernels are killed as its own clean-up does.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from scrlib.cli import main
from scrlib.publish import report
from scrlib.record import ees
from scrlib.record.ingest import JOURNAL
from scrlib.record.load import load
from scrlib.record.paths import data_dir
from scrlib.record.validate import read_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "ees"
ADDRESS = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/test/csv"
SERIES = {"Total": "sin-total", "Child death": "sin-deaths", "Serious harm": "sin-serious-harm",
          "Other": "sin-other"}


def _release_2028() -> str:
    """Test values, not real figures: the 2027 test release revised (2025 and 2027 totals, 2027
    child deaths) and a 2028 year added."""
    text = (FIXTURES / "sin-nature-2027-test-values.csv").read_text(encoding="utf-8")
    row = "{},Reporting year,Total,National,E92000001,England,Total,Total,{},{}\n"
    for year, nature, was, now in ((2025, "Total", 339, 340), (2027, "Total", 300, 310),
                                   (2027, "Child death", 150, 152)):
        text = text.replace(row.format(year, nature, was), row.format(year, nature, now))
    return text + "".join(row.format(2028, nature, value) for nature, value in (
        ("Total", 290), ("Child death", 140), ("Serious harm", 130), ("Other", 20)))


RELEASES = {  # name -> (published, text): test releases, published before the day they are read
    "Reporting year 2027": ("2026-11-24",
                            (FIXTURES / "sin-nature-2027-test-values.csv").read_text("utf-8")),
    "Reporting year 2028": ("2026-11-25", _release_2028()),
}


def _values(text: str) -> dict[tuple[str, str], float]:
    """(series, period) -> value of a release's numeric national rows."""
    out = {}
    for line in text.splitlines()[1:]:
        cells = line.split(",")
        if cells[-1].isdigit():
            out[SERIES[cells[-2]], ees.financial_year(cells[0], cells[1])] = float(cells[-1])
    return out


def _source_id(release: str) -> str:
    return "ees-sin-nature-" + release.lower().replace(" ", "-")


def _notebook(folder: Path, name: str) -> Path:
    """A notebook that reads the data's figures (the run's copy) and writes an answer."""
    nb = new_notebook(cells=[new_markdown_cell(f"# {name}")])
    nb.cells.append(new_code_cell('output_dir = ""', metadata={"tags": ["parameters"]}))
    nb.cells.append(new_code_cell(
        "import csv, json, os\nfrom pathlib import Path\n"
        "with open(Path(os.environ['SCRLIB_DATA'], 'figures.csv'), encoding='utf-8') as f:\n"
        f"    rows = [r for r in csv.DictReader(f) if r['series_id'].startswith({name[3:]!r})]\n"
        "text = f'{len(rows)} figures: ' + ', '.join(r['value'] for r in rows)\n"
        "if output_dir:\n"
        f"    Path(output_dir, {name + '-answer.json'!r}).write_text(json.dumps(\n"
        f"        {{'notebook': {name!r}, 'question': 'How many?', 'sentences': [text]}}))\n"
        "print(text)"))
    nb.metadata["kernelspec"] = {"name": "scrlib", "display_name": "Python (scrlib)",
                                 "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder / f"{name}.ipynb"


TIMING = ("run_started", "duration_seconds", "notebook_seconds", "notebooks_reused", "changes")


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def comparable(folder: Path) -> dict[str, bytes]:
    """A report's files less what differs between two runs on the same data: the manifest's
    timing, and what depends on the report it replaced (the changes files, the index's line on
    them, and the manifest's summary of them)."""
    out = _tree(folder)
    manifest = json.loads(out.pop("manifest.json"))
    for key in TIMING:
        manifest.pop(key, None)
    for name in ("changes.html", "changes.json", "index.html"):
        manifest["outputs"].pop(name, None)
    out.pop("changes.html")
    out.pop("changes.json")
    out["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    out["index.html"] = re.sub(r'<p class="changes">.*?</p>', "", out["index.html"].decode(),
                               flags=re.S).encode()
    return out


def _quiet(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


def _ingest_args(release: str, data: Path, text_at: Path) -> list[str]:
    published, text = RELEASES[release]
    text_at.write_text(text, encoding="utf-8")
    return ["ingest", str(text_at), "--dataset", "sin-nature", "--release", release,
            "--address", ADDRESS, "--published", published, "--accessed", "2026-11-25",
            "--data", str(data)]


DIED = 137


def _ingest_killed_at(k: int | None, argv: list[str], journal: Path | None = None) -> int:
    """Run ``scr ingest`` in a forked child that dies on the spot (``os._exit``) at its k-th
    step on disk (a flush, a rename, a removal, a copy), or, with ``journal``, right after the
    step that put that journal in place; its exit code (DIED if it was killed)."""
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            steps = [0]

            def counted(original):
                def call(*args, **kwargs):
                    steps[0] += 1
                    if steps[0] == k:
                        os._exit(DIED)
                    done = original(*args, **kwargs)
                    if journal is not None and journal.exists():
                        os._exit(DIED)
                    return done
                return call

            for owner, name in ((os, "fsync"), (os, "replace"), (os, "unlink"),
                                (shutil, "copyfile")):
                setattr(owner, name, counted(getattr(owner, name)))
            code = _quiet(argv)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


class Killed(BaseException):
    """Stands for SIGKILL in this process: no ``except Exception`` clean-up runs."""


@contextlib.contextmanager
def _report_killed_at(k: int):
    """Within the block, the k-th step on disk (and every later one, in any thread) raises
    Killed; on leaving, wait for the run's worker threads, then put the steps back."""
    steps, fired, guard = [0], [False], threading.Lock()

    def counted(original):
        def call(*args, **kwargs):
            with guard:
                steps[0] += 1
                if fired[0] or steps[0] == k:
                    fired[0] = True
                    raise Killed(k)
            return original(*args, **kwargs)
        return call

    patched = [(os, "replace"), (os, "unlink"), (os, "fsync"), (shutil, "rmtree"),
               (shutil, "copy2"), (shutil, "copyfile"), (Path, "write_bytes"),
               (Path, "write_text"), (Path, "mkdir")]
    originals = [(owner, name, getattr(owner, name)) for owner, name in patched]
    for owner, name, original in originals:
        setattr(owner, name, counted(original))
    before = set(threading.enumerate())
    try:
        yield fired
    finally:
        for thread in set(threading.enumerate()) - before:  # the run's workers, winding down
            thread.join(120)
        for owner, name, original in originals:
            setattr(owner, name, original)


class Place:
    """What every example shares: the template (data, notebooks, a first report), the cache
    (handed from one example to the next) and fresh runs' files by data version (each computed
    once)."""

    root: Path
    notebooks: list[Path]
    fresh: dict[str, dict[str, bytes]]
    checked: set[str]  # data versions that passed the data invariants


def _fresh(data: Path) -> dict[str, bytes]:
    """What a fresh run (no cache, no earlier report) publishes on ``data``."""
    version = report.data_version(data)
    if version not in Place.fresh:
        target = Place.root / f"fresh-{version[:16]}" / "latest"
        report.build(target, notebooks=Place.notebooks, cache=False, log=lambda *_: None)
        Place.fresh[version] = comparable(target)
    return Place.fresh[version]


class Publishing(RuleBasedStateMachine):
    """One copy of the template: ingest, finish, check, report, and kills of ingest and report."""

    def __init__(self):
        super().__init__()
        self.root = Path(tempfile.mkdtemp(dir=Place.root, prefix="example-"))
        shutil.copytree(Place.root / "template", self.root, dirs_exist_ok=True, symlinks=True)
        self.data, self.target = self.root / "data", self.root / "out" / "latest"
        self.cache = self.root / "out" / ".latest.cache"
        shutil.copytree(Place.root / "cache", self.cache, symlinks=True)
        os.environ["SCRLIB_DATA"] = str(self.data)

    def teardown(self):
        # the next example starts with this one's cache, whatever kills left in it: what runs
        # once is reused (so the examples stay quick), and every reuse is checked again
        shutil.rmtree(Place.root / "cache")
        shutil.copytree(self.cache, Place.root / "cache", symlinks=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def _in_data(self) -> list[str]:
        """The releases whose source is in the data (in publication order)."""
        text = (self.data / "sources.csv").read_text(encoding="utf-8")
        return sorted((r for r in RELEASES if _source_id(r) in text),
                      key=lambda r: RELEASES[r][0])

    @initialize(release=st.sampled_from(sorted(RELEASES)))
    def first_release(self, release):
        """Every example starts with one release in the data (so a second is a revision)."""
        assert _quiet(_ingest_args(release, self.data, self.root / "release.csv")) == 0

    @rule(release=st.sampled_from(sorted(RELEASES)),
          kill=st.one_of(st.none(), st.integers(1, 24)))
    def ingest(self, release, kill):
        """``scr ingest`` of a release, whole or killed at its ``kill``-th step on disk: an
        older release after a newer one too (its values must never win)."""
        argv = _ingest_args(release, self.data, self.root / "release.csv")
        if kill is None:
            assert _quiet(argv) == 0
            return
        code = _ingest_killed_at(kill, argv)
        note(f"ingest of {release} killed at step {kill}: exit {code}")
        assert code in (0, DIED)

    @precondition(lambda self: (self.data / JOURNAL).exists())
    @rule()
    def finish(self):
        assert _quiet(["ingest", "--finish", "--data", str(self.data)]) == 0

    @rule(kill=st.one_of(st.none(), st.integers(1, 90)))
    def publish(self, kill):
        """``scr report``, whole or killed at its ``kill``-th step on disk."""
        before = _tree(self.target) if self.target.is_dir() else None
        if kill is not None:
            with _report_killed_at(kill) as fired:
                try:
                    report.build(self.target, notebooks=Place.notebooks, log=lambda *_: None)
                except (Killed, report.DataCheckError):
                    pass
            note(f"report killed at step {kill}: {'killed' if fired[0] else 'finished'}")
            return
        if (self.data / JOURNAL).exists():  # a cut-off ingest: no report from half the data
            with pytest.raises(report.DataCheckError, match="scr ingest --finish"):
                report.build(self.target, notebooks=Place.notebooks, log=lambda *_: None)
            assert (_tree(self.target) if self.target.is_dir() else None) == before
            return
        report.build(self.target, notebooks=Place.notebooks, log=lambda *_: None)
        manifest = json.loads((self.target / "manifest.json").read_text())
        if not manifest["notebooks_reused"]:  # every notebook ran: this is a fresh run's output
            Place.fresh.setdefault(manifest["data_version"], comparable(self.target))

    @invariant()
    def data_passes_check_and_no_older_release_wins(self):
        """(Checked once per version of the data: the same bytes, the same answer.)"""
        version = report.data_version(self.data) + str((self.data / JOURNAL).exists())
        if version in Place.checked:
            return
        _, problems = read_dataset(self.data)
        if (self.data / JOURNAL).exists():
            whole = self.root / "finished"  # what the next run makes of a cut-off ingest
            shutil.rmtree(whole, ignore_errors=True)
            shutil.copytree(self.data, whole)
            assert _quiet(["ingest", "--finish", "--data", str(whole)]) == 0
            assert read_dataset(whole)[1] == []
        else:
            assert problems == [], problems
            newest = {}
            for release in self._in_data():  # newer releases overwrite older ones
                newest.update(_values(RELEASES[release][1]))
            resolved = load(self.data).resolved(sorted(SERIES.values())).set_index(
                ["series_id", "period"])["value"]
            wrong = {key: (resolved[key], value) for key, value in newest.items()
                     if float(resolved[key]) != value}
            assert not wrong, f"older values win: {wrong}"
        Place.checked.add(version)

    @invariant()
    def a_published_report_is_what_a_fresh_run_publishes(self):
        if not self.target.is_dir():  # no report yet, or a swap cut off: the next run restores
            return
        manifest = json.loads((self.target / "manifest.json").read_text())
        if manifest["data_version"] != report.data_version(self.data):
            return  # published before the data last changed: checked when it was current
        assert comparable(self.target) == _fresh(self.data)


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    root = tmp_path_factory.mktemp("states")
    Place.root, Place.fresh, Place.checked = root, {}, set()
    Place.notebooks = [_notebook(root / "notebooks", name) for name in ("01-sin-total",
                                                                         "02-sin-deaths")]
    template = root / "template"
    shutil.copytree(data_dir(), template / "data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCRLIB_DATA", str(template / "data"))
        report.build(template / "out" / "latest", notebooks=Place.notebooks,
                     log=lambda *_: None)  # a report, and its cache, to start from
        shutil.move(template / "out" / ".latest.cache", root / "cache")
        Place.fresh[report.data_version(template / "data")] = comparable(
            template / "out" / "latest")
    return Place


def test_ingest_check_report_and_kills_in_any_order(place, monkeypatch):
    monkeypatch.setenv("SCRLIB_DATA", str(data_dir()))  # put back when the test ends
    run_state_machine_as_test(Publishing, settings=settings(
        max_examples=4, stateful_step_count=6, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]))


def test_a_report_never_copies_data_an_ingest_left_half_swapped(place, tmp_path, monkeypatch):
    """Killed once its journal was in place, before its tables were all swapped in: the report
    refuses (exit 4, saying how to complete it), copies and publishes nothing; once the ingest
    is finished, the data is copied whole."""
    assert report.JOURNAL == JOURNAL  # the report knows the ingest's journal by its name
    data = tmp_path / "data"
    shutil.copytree(Place.root / "template" / "data", data)
    monkeypatch.setenv("SCRLIB_DATA", str(data))
    argv = _ingest_args("Reporting year 2027", data, tmp_path / "release.csv")
    assert _ingest_killed_at(None, argv, journal=data / JOURNAL) == DIED
    assert (data / JOURNAL).exists()
    before = _tree(data)
    target = tmp_path / "latest"
    with pytest.raises(report.DataCheckError, match=r"scr ingest --finish completes it") as err:
        report.build(target, notebooks=Place.notebooks, log=lambda *_: None)
    assert err.value.exit_code == report.EXIT_DATA == 4
    assert not target.exists() and _tree(data) == before
    assert not list(tmp_path.glob(".latest.partial*"))
    assert _quiet(["ingest", "--finish", "--data", str(data)]) == 0  # then it can be copied
    report.take_snapshot(data, tmp_path / "snapshot", log=lambda *_: None)
    assert read_dataset(tmp_path / "snapshot")[1] == []
