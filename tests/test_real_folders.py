"""One lock per real folder: a symlink and the folder it names are one folder to every lock (a
report folder's and the data folder's), whichever spelling each run was given."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.publish import report
from scrlib.record import lock

FIXTURES = Path(__file__).parent / "fixtures" / "ees"
ADDRESS = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/test/csv"


def _holder(folder: Path) -> subprocess.Popen:
    """Another process holding the lock of ``folder`` (as spelt) until it is killed."""
    code = ("import sys, time; from pathlib import Path; from scrlib.record import lock\n"
            "with lock.hold(Path(sys.argv[1])):\n"
            "    print('held', flush=True); time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()
    proc.stdout.close()


@pytest.fixture
def linked(tmp_path) -> tuple[Path, Path]:
    """A folder and a symlink to it, from another folder."""
    real = tmp_path / "real" / "latest"
    real.mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "link"
    link.symlink_to(real, target_is_directory=True)
    return real, link


@pytest.mark.parametrize("first", ["real", "link"])
def test_a_folder_and_a_symlink_to_it_share_one_lock(linked, first):
    real, link = linked
    held, other = (real, link) if first == "real" else (link, real)
    holder = _holder(held)
    try:
        with pytest.raises(lock.Busy, match=f"is writing {real}"), lock.hold(other):
            pass
        said = []
        with pytest.raises(lock.Busy, match=r"waited 0\.2 s"), lock.hold(
                other, wait=0.2, poll=0.05, log=said.append):
            pass
        assert said and "waiting up to 0.2 s" in said[0]  # the second one waited
    finally:
        _stop(holder)
    with lock.hold(other):  # free once the first is gone
        pass
    assert lock.lock_path(link) == lock.lock_path(real) == real.parent / ".latest.lock"


def test_an_ingest_through_a_symlink_waits_for_a_report_reading_the_real_folder(
        tmp_path, data_copy, capsys):
    link = tmp_path / "data-link"
    link.symlink_to(data_copy, target_is_directory=True)
    release = tmp_path / "release.csv"
    release.write_text((FIXTURES / "sin-nature-2027-test-values.csv").read_text())
    before = {p.name: p.read_bytes() for p in data_copy.iterdir()}
    holder = _holder(data_copy)  # e.g. a report taking its snapshot of the data
    try:
        code = main(["ingest", str(release), "--dataset", "sin-nature", "--release",
                     "Reporting year 2027", "--address", ADDRESS, "--published", "2026-07-01",
                     "--accessed", "2026-11-25", "--data", str(link)])
    finally:
        _stop(holder)
    err = capsys.readouterr().err
    assert code == 4, err
    assert f"is writing {data_copy}" in err
    assert {p.name: p.read_bytes() for p in data_copy.iterdir()} == before


def test_a_report_snapshot_through_a_symlink_waits_for_an_ingest_of_the_real_folder(
        tmp_path, data_copy):
    link = tmp_path / "data-link"
    link.symlink_to(data_copy, target_is_directory=True)
    holder = _holder(data_copy)  # e.g. an ingest writing the real folder
    try:
        with pytest.raises(report.OutputBusy, match=f"is writing {data_copy}"):
            report.take_snapshot(link, tmp_path / "snapshot", wait=0, log=lambda *_: None)
    finally:
        _stop(holder)
    assert not (tmp_path / "snapshot").exists()
