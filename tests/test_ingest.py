"""``scr ingest``: EES releases become cited figures; symbols are never numbers; revisions are
resolved by the later-release rule; bad input stops with file, line and field, exit 4, and data/
byte-identical. Everything is served from tests/fixtures by a local server, never the network."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.record import ees, ingest
from scrlib.record.load import load
from scrlib.record.validate import read_dataset
from tests.ees_server import Server

FIXTURES = Path(__file__).parent / "fixtures" / "ees"
CITED = (FIXTURES / "sin-nature-2026.csv").read_text(encoding="utf-8")
NEW = (FIXTURES / "sin-nature-2027-test-values.csv").read_text(encoding="utf-8")
FINANCIAL = (FIXTURES / "sin-national-fy2022-23.csv").read_text(encoding="utf-8")
ADDRESS = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/test/csv"
API_ID = "00000000-0000-4000-8000-000000000001"  # a test id, not a real data set


@pytest.fixture(scope="module")
def server():
    running = Server()
    yield running
    running.close()


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _run(*args: str, published: str = "2027-07-01", accessed: str = "2027-07-02") -> int:
    """``scr ingest`` with ``--published`` (the test release's date; not with --api, whose
    versions carry their own) and ``--accessed``."""
    dated = () if "--api" in args else ("--published", published)
    return main(["ingest", *args, *dated, "--accessed", accessed])


def test_both_time_bases_map_to_the_same_financial_year():
    assert ees.financial_year("202223", "Financial year") == "FY2022-23"
    assert ees.financial_year("2023", "Reporting year") == "FY2022-23"
    with pytest.raises(ees.EesError, match="time_period"):
        ees.financial_year("202224", "Financial year")


@pytest.mark.parametrize(("name", "text", "dataset"), [
    ("reporting year", CITED, "sin-nature"), ("financial year", FINANCIAL, "sin-national-fy")])
def test_a_release_of_values_already_cited_adds_nothing(tmp_path, data_copy, name, text,
                                                        dataset, capsys):
    path = tmp_path / "release.csv"
    path.write_text(text, encoding="utf-8")
    before = _digest(data_copy)
    code = _run(str(path), "--dataset", dataset, "--release", "Test release", "--address",
                ADDRESS, "--data", str(data_copy))
    assert code == 0
    out = capsys.readouterr().out
    assert "nothing new in this release" in out and "already in data/" in out
    assert _digest(data_copy) == before


def test_a_new_release_adds_figures_withheld_values_and_resolves_a_revision(
        server, data_copy, capsys):
    url = server.serve("/releases/2027.csv", NEW)
    before = load(data_copy)
    code = _run(url, "--dataset", "sin-nature", "--release", "Reporting year 2027",
                "--data", str(data_copy))
    assert code == 0, capsys.readouterr().err
    _, problems = read_dataset(data_copy)
    assert problems == []
    after = load(data_copy)
    source_id = "ees-sin-nature-reporting-year-2027"
    source = after.source(source_id)
    assert (source.url, source.publication, source.release, source.date_accessed) == (
        url, "Serious incident notifications", "Reporting year 2027", "2027-07-02")
    added = after.figures[after.figures["source_id"] == source_id]
    assert sorted(zip(added["series_id"], added["period"], added["value"], strict=True)) == [
        ("sin-deaths", "FY2026-27", 150), ("sin-total", "FY2024-25", 339),
        ("sin-total", "FY2026-27", 300)]
    rows = {line.split(",")[0] + line.split(",")[-2]: line for line in NEW.splitlines()}
    total = added[added["period"] == "FY2026-27"].query("series_id == 'sin-total'").iloc[0]
    assert total["excerpt"] == rows["2027Total"]  # the CSV row as published
    assert len(after.figures) == len(before.figures) + 3
    # The symbols are recorded as such, never as numbers.
    withheld = read_dataset(data_copy)[0].rows["withheld"]
    assert sorted((w["series_id"], w["period"], w["symbol"]) for w in withheld) == [
        ("sin-other", "FY2026-27", "c"), ("sin-serious-harm", "FY2026-27", "x")]
    assert not ((after.figures["period"] == "FY2026-27")
                & after.figures["series_id"].isin(["sin-other", "sin-serious-harm"])).any()
    # The revision: both values kept, the later release chosen by the written rule.
    resolution = after.resolutions.query("series_id == 'sin-total' and period == 'FY2024-25'")
    assert resolution["rule"].tolist() == ["later-release"]
    assert resolution["chosen_source_id"].tolist() == [source_id]
    assert set(after.figures.query("series_id == 'sin-total' and period == 'FY2024-25'")[
        "value"]) == {338, 339}
    resolved = after.resolved(["sin-total"])
    assert resolved.query("period == 'FY2024-25'")["value"].tolist() == [339]
    from scrlib.reader import record_tables

    shown = record_tables.conflict_table(after, ["sin-total"])  # what notebook 01 shows
    rows = shown[shown["Period"] == "2024-25"].set_index("Value")
    assert rows.loc["339", "Used"] == "yes" and rows.loc["338", "Used"] == "no"
    from scrlib.reader import words

    assert set(rows["Rule"]) == {words.capitalised(words.rule("later-release"))}  # not its id
    assert "later-release" not in words.rule("later-release")


def test_a_second_run_on_the_same_release_adds_nothing(server, data_copy, capsys):
    url = server.serve("/releases/again.csv", NEW)
    args = (url, "--dataset", "sin-nature", "--release", "Reporting year 2027", "--data",
            str(data_copy))
    assert _run(*args) == 0
    once = _digest(data_copy)
    capsys.readouterr()
    assert _run(*args) == 0
    assert "nothing new in this release" in capsys.readouterr().out
    assert _digest(data_copy) == once


def test_a_dry_run_says_what_would_change_and_changes_nothing(server, data_copy, capsys):
    url = server.serve("/releases/dry.csv", NEW)
    before = _digest(data_copy)
    assert _run(url, "--dataset", "sin-nature", "--release", "Reporting year 2027", "--data",
                str(data_copy), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "add sin-total FY2026-27 = 300" in out
    assert "withheld sin-other FY2026-27: c (confidential (suppressed))" in out
    assert "revise sin-total FY2024-25" in out and "dry run; nothing was written" in out
    assert _digest(data_copy) == before


@pytest.mark.parametrize(("case", "edit", "expected"), [
    ("no standard columns", lambda t: t.replace("country_code,", "", 1).replace(
        "E92000001,", ""), ":1: country_code: missing"),
    ("unknown time identifier", lambda t: t.replace("2024,Reporting year", "2024,Calendar year",
                                                    1), ":6: time_identifier: unknown"),
    ("duplicate row", lambda t: t + t.splitlines()[1] + "\n",
     ":18: time_period: a second row for sin-total in FY2022-23 (first on line 2)"),
    ("non-numeric value", lambda t: t.replace(",Other,9", ",Other,n/a", 1),
     ":13: number_notifications: 'n/a' is neither a number nor a known symbol"),
    ("truncated file", lambda t: t[:-12], "does not end with a line break"),
])
def test_bad_csv_stops_with_file_line_and_field_and_leaves_data_unchanged(
        server, data_copy, capsys, case, edit, expected):
    url = server.serve(f"/bad/{case.replace(' ', '-')}.csv", edit(CITED))
    before = _digest(data_copy)
    code = _run(url, "--dataset", "sin-nature", "--release", "Test", "--data", str(data_copy))
    err = capsys.readouterr().err
    assert code == ingest.EXIT_INGEST == 4
    assert url in err and expected in err and "data/ is unchanged" in err
    assert _digest(data_copy) == before


def test_a_mapping_naming_a_missing_filter_value_is_refused(server, data_copy, capsys):
    mapping = data_copy / "ees-mapping.csv"
    mapping.write_text(mapping.read_text().replace("nature_of_notification=Child death",
                                                   "nature_of_notification=Child deaths"))
    url = server.serve("/releases/mapping.csv", CITED)
    before = _digest(data_copy)
    assert _run(url, "--dataset", "sin-nature", "--release", "Test", "--data",
                str(data_copy)) == 4
    err = capsys.readouterr().err
    assert f"{mapping}:3: filters: nature_of_notification='Child deaths' does not occur" in err
    assert _digest(data_copy) == before


@pytest.mark.parametrize(("status", "cut", "expected"), [
    (500, False, "HTTP 500"), (200, True, "truncated download")])
def test_an_http_error_or_a_cut_off_download_stops_with_exit_4(server, data_copy, capsys,
                                                                 status, cut, expected):
    url = server.serve(f"/broken/{status}-{cut}.csv", CITED, status=status, cut=cut)
    before = _digest(data_copy)
    assert _run(url, "--dataset", "sin-nature", "--release", "Test", "--data",
                str(data_copy)) == 4
    err = capsys.readouterr().err
    assert f"{url}:0: -: {expected}" in err
    assert _digest(data_copy) == before


def test_a_local_file_needs_the_address_it_was_published_at(tmp_path, data_copy, capsys):
    path = tmp_path / "release.csv"
    path.write_text(NEW, encoding="utf-8")
    assert _run(str(path), "--dataset", "sin-nature", "--release", "Test", "--data",
                str(data_copy)) == 4
    assert "needs --address" in capsys.readouterr().err


def _api(server: Server, versions: list[dict]) -> None:
    base = f"/v1/data-sets/{API_ID}"
    server.serve(f"{base}/versions?page=1&pageSize=20", json.dumps({
        "paging": {"page": 1, "pageSize": 20, "totalResults": len(versions), "totalPages": 1},
        "results": versions}), kind="application/json")
    for v, text in (("1.0", CITED), ("1.1", NEW)):
        server.serve(f"{base}/csv?dataSetVersion={v}", gzip.compress(text.encode(), mtime=0),
                     headers={"Content-Encoding": "gzip"})
    server.serve(f"{base}/versions/1.1/changes", json.dumps({
        "versionNumber": "1.1", "notes": "Test change log.", "majorChanges": {},
        "minorChanges": {"timePeriods": [
            {"currentState": {"code": "RY", "period": "2027", "label": "2027"},
             "previousState": None}]}}), kind="application/json")


def _version(number: str, title: str) -> dict:
    return {"version": number, "type": "Minor", "status": "Published",
            "published": "2027-07-01T09:30:00+00:00", "withdrawn": None, "notes": "",
            "totalResults": 20, "file": {"id": "f"}, "release": {"title": title, "slug": "s"},
            "timePeriods": {"start": "2023", "end": "2027"}, "geographicLevels": ["National"],
            "filters": ["Nature of serious incident notification"],
            "indicators": ["Number of serious incident notifications"]}


def test_the_api_route_reads_the_latest_published_version_gzipped(server, data_copy, capsys):
    _api(server, [_version("1.0", "Reporting year 2026"), _version("1.1", "Reporting year 2027")])
    code = _run("--api", API_ID, "--api-base", server.url, "--dataset", "sin-nature", "--data",
                str(data_copy))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "minor change to timePeriods: 1 added" in out
    source = load(data_copy).source("ees-sin-nature-reporting-year-2027-v1-1")
    assert source.url == f"{server.url}/v1/data-sets/{API_ID}/csv?dataSetVersion=1.1"
    assert (source.dataset_id, source.dataset_version, source.date_published) == (
        API_ID, "1.1", "2027-07-01")


def test_an_ingest_cut_off_midway_is_named_by_scr_check_and_finished(server, data_copy,
                                                                     monkeypatch, capsys):
    import os

    url = server.serve("/releases/cut.csv", NEW)
    real, calls = os.replace, []

    def dies_on_the_second_table(src, dst):
        calls.append(dst)
        if str(dst).endswith(".csv") and len([c for c in calls if str(c).endswith(".csv")]) == 2:
            raise KeyboardInterrupt("killed")
        return real(src, dst)

    monkeypatch.setattr(ingest.os, "replace", dies_on_the_second_table)
    assert _run(url, "--dataset", "sin-nature", "--release", "Reporting year 2027", "--data",
                str(data_copy)) == 130  # killed between two tables
    assert (data_copy / ingest.JOURNAL).exists()
    monkeypatch.setattr(ingest.os, "replace", real)
    assert main(["check", "--data", str(data_copy)]) == 4
    assert "scr ingest --finish completes it" in capsys.readouterr().out
    assert main(["ingest", "--finish", "--data", str(data_copy)]) == 0
    assert read_dataset(data_copy)[1] == []
    assert "ees-sin-nature-reporting-year-2027" in set(load(data_copy).figures["source_id"])


def test_a_release_matching_a_value_not_in_use_makes_it_the_one_in_use(server, data_copy):
    """The new release agrees with the value a resolution set aside: it now wins, by rule."""
    text = NEW.replace("2025,Reporting year,Total,National,E92000001,England,Total,Total,Total,339",
                       "2025,Reporting year,Total,National,E92000001,England,Total,Total,Total,338")
    first = server.serve("/releases/first.csv", NEW)
    again = server.serve("/releases/second.csv", text)
    assert _run(first, "--dataset", "sin-nature", "--release", "Reporting year 2027",
                "--data", str(data_copy)) == 0
    assert _run(again, "--dataset", "sin-nature", "--release", "Reporting year 2028",
                "--data", str(data_copy), published="2028-07-01", accessed="2028-07-02") == 0
    after = load(data_copy)
    assert after.resolved(["sin-total"]).query("period == 'FY2024-25'")["value"].tolist() == [338]
    reason = after.resolutions.query("series_id == 'sin-total' and period == 'FY2024-25'")
    assert reason["chosen_source_id"].tolist() == ["ees-sin-nature-reporting-year-2028"]


# -- one writer at a time, planning included (issue 26) -------------------------------------

def test_a_second_ingest_plans_against_what_the_first_wrote(server, data_copy, monkeypatch,
                                                            capsys):
    """Run B has read its release; before B takes data/'s lock, run A ingests the same release
    in full. B plans under the lock, against A's tables, so it adds nothing (planning before
    the lock, it re-added A's figures)."""
    from contextlib import contextmanager

    from scrlib.record import lock

    url = server.serve("/releases/race.csv", NEW)
    args = (url, "--dataset", "sin-nature", "--release", "Reporting year 2027", "--data",
            str(data_copy))
    real_hold, after_first = lock.hold, {}

    @contextmanager
    def first_run_comes_in_between(target, **options):
        if not after_first:
            after_first["digest"] = None
            assert _run(*args) == 0  # run A, from start to end
            after_first["digest"] = _digest(data_copy)
        with real_hold(target, **options):
            yield

    monkeypatch.setattr(lock, "hold", first_run_comes_in_between)
    capsys.readouterr()
    assert _run(*args) == 0
    out = capsys.readouterr().out
    assert after_first["digest"] is not None
    assert "nothing new in this release" in out.splitlines()[-1]
    assert _digest(data_copy) == after_first["digest"]
    assert read_dataset(data_copy)[1] == []


def test_two_ingests_at_once_add_the_release_once(tmp_path, data_copy):
    """Two processes ingest the same release at the same moment: each adds it, finds it there
    or finds data/ busy (exit 4, nothing written); the release is in data/ once, and it passes
    scr check."""
    import subprocess
    import sys

    release = tmp_path / "release.csv"
    release.write_text(NEW, encoding="utf-8")
    command = [sys.executable, "-m", "scrlib", "ingest", str(release), "--dataset",
               "sin-nature", "--release", "Reporting year 2027", "--address", ADDRESS,
               "--published", "2027-07-01", "--accessed", "2027-07-02", "--data",
               str(data_copy)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [(run.communicate()[1], run.returncode) for run in runs]
    for err, code in results:
        assert code in (0, 4), err
        assert "Traceback" not in err
        if code == 4:
            assert "did not start (try again once it has finished)" in err
    assert any(code == 0 for _, code in results)
    assert read_dataset(data_copy)[1] == []
    figures = load(data_copy).figures
    added = figures[figures["source_id"] == "ees-sin-nature-reporting-year-2027"]
    assert len(added) == 3  # once, not twice


# -- what a killed ingest leaves, and flushing to disk (issue 26) -----------------------------

def _dead_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_files_of_a_killed_ingest_are_flagged_by_check_and_removed_by_the_next(
        tmp_path, data_copy, capsys):
    dead = _dead_pid()
    strays = [data_copy / f".figures.csv.ingest-{dead}",
              data_copy / f".{ingest.JOURNAL}.ingest-{dead}"]
    for path in strays:
        path.write_text("half a table", encoding="utf-8")
    running = data_copy / ".figures.csv.ingest-1"  # pid 1 is alive: an ingest still running
    running.write_text("a table being written", encoding="utf-8")
    assert main(["check", "--data", str(data_copy)]) == 0  # the data are whole
    err = capsys.readouterr().err
    for path in strays:
        assert f"scr check: warning: {path} was left by an ingest" in err
    assert f"{running} was left" not in err
    release = tmp_path / "release.csv"
    release.write_text(CITED, encoding="utf-8")
    assert _run(str(release), "--dataset", "sin-nature", "--release", "Test", "--address",
                ADDRESS, "--data", str(data_copy)) == 0
    assert not any(path.exists() for path in strays) and running.exists()
    capsys.readouterr()
    assert main(["check", "--data", str(data_copy)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_finish_removes_the_files_of_a_killed_ingest(data_copy, capsys):
    stray = data_copy / f".withheld.csv.ingest-{_dead_pid()}"
    stray.write_text("half a table", encoding="utf-8")
    assert main(["ingest", "--finish", "--data", str(data_copy)]) == 0
    assert f"removed {stray.name}" in capsys.readouterr().out
    assert not stray.exists()


def test_each_table_is_on_disk_before_it_is_renamed_into_place(server, data_copy, monkeypatch):
    import os

    events, real_fsync, real_replace = [], os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", str(src), str(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    url = server.serve("/releases/fsync.csv", NEW)
    assert _run(url, "--dataset", "sin-nature", "--release", "Reporting year 2027", "--data",
                str(data_copy)) == 0
    folder = str(data_copy.resolve())
    renames = [(i, e[1], e[2]) for i, e in enumerate(events)
               if e[0] == "replace" and e[2].startswith(str(data_copy))]  # not the scratch's
    assert len(renames) == 5  # the journal, then four tables
    for index, source, _ in renames:
        assert ("fsync", source) in events[:index], f"{source} renamed before it was flushed"
    tables = [i for i, _, target in renames if target.endswith(".csv")]
    assert ("fsync", folder) in events[tables[-1]:]  # the renames themselves are flushed
    journal = next(i for i, _, target in renames if target.endswith(ingest.JOURNAL))
    assert ("fsync", folder) in events[:journal]  # the new files' entries before the journal
    assert not list(data_copy.glob(".*.ingest-*"))


# -- the EES API: answers of another shape, and paging that never ends (issue 26) -------------

def _serve_versions(server: Server, dataset_id: str, body: dict, page: int = 1) -> None:
    server.serve(f"/v1/data-sets/{dataset_id}/versions?page={page}&pageSize=20",
                 json.dumps(body), kind="application/json")


@pytest.mark.parametrize(("name", "results", "expected"), [
    ("strings", ["1.0", "1.1"], "results: item 1 is not a version"),
    ("no version", [{"status": "Published"}], "results: item 1 is not a version"),
    ("a version that is a number", [{"version": 1.1, "status": "Published"}],
     "results: item 1 is not a version"),
    ("not a list", {"version": "1.0"}, "results: not a list of versions"),
])
def test_api_versions_of_another_shape_are_refused(server, data_copy, capsys, name, results,
                                                   expected):
    dataset_id = f"shape-{name.replace(' ', '-')}"
    _serve_versions(server, dataset_id, {"paging": {"totalPages": 1}, "results": results})
    before = _digest(data_copy)
    assert _run("--api", dataset_id, "--api-base", server.url, "--dataset", "sin-nature",
                "--data", str(data_copy)) == 4
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 2  # one line, and 'data/ is unchanged'
    assert _digest(data_copy) == before


def test_api_paging_stops_at_its_bound_of_pages(server, data_copy, capsys):
    dataset_id = "endless-pages"
    _serve_versions(server, dataset_id, {"paging": {"totalPages": 1000000},
                                         "results": [_version("1.0", "Reporting year 2026")]})
    assert _run("--api", dataset_id, "--api-base", server.url, "--dataset", "sin-nature",
                "--data", str(data_copy)) == 4
    err = capsys.readouterr().err
    assert f"paging: the API claims 1000000 pages of versions; at most {ees.API_MAX_PAGES}" in err
    assert [r for r in server.requests if dataset_id in r] == [
        f"/v1/data-sets/{dataset_id}/versions?page=1&pageSize=20"]


def test_api_paging_stops_at_its_bound_of_time(server, data_copy, capsys, monkeypatch):
    dataset_id = "slow-pages"
    for page in (1, 2, 3):
        _serve_versions(server, dataset_id, {"paging": {"totalPages": 3}, "results": [
            _version(f"1.{page}", "Reporting year 2026")]}, page)
    monkeypatch.setattr(ees, "API_MAX_SECONDS", -1.0)  # the time is up once the first page is in
    assert _run("--api", dataset_id, "--api-base", server.url, "--dataset", "sin-nature",
                "--data", str(data_copy)) == 4
    assert "paging: reading 3 pages of versions took over -1 s" in capsys.readouterr().err
    assert len([r for r in server.requests if dataset_id in r]) == 1
