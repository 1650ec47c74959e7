"""Releases are ordered by publication, not by when they were ingested (issue 31, item 4): a
value from an older release never supersedes a newer one, whatever order they arrive in; the
resolution says which release is used and why; and a release whose date is not known, or
cannot be ordered against the value in use, is refused asking for the date."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.record.load import load

FIXTURES = Path(__file__).parent / "fixtures" / "ees"
NEW = (FIXTURES / "sin-nature-2027-test-values.csv").read_text(encoding="utf-8")
ROW_2025 = "2025,Reporting year,Total,National,E92000001,England,Total,Total,Total,"
ADDRESS = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/test/csv"
RELEASES = {  # name -> (publication date, the 2024-25 total it gives; test values)
    "Reporting year 2027": ("2027-07-01", "339"),
    "Reporting year 2028": ("2028-07-01", "340"),
}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _ingest(tmp_path: Path, folder: Path, release: str, *, published: str | None = None,
            total: str | None = None) -> int:
    date, value = RELEASES.get(release, ("", "339"))
    path = tmp_path / f"{release}.csv"
    path.write_text(NEW.replace(ROW_2025 + "339", ROW_2025 + (total or value)), encoding="utf-8")
    dated = date if published is None else published
    return main(["ingest", str(path), "--dataset", "sin-nature", "--release", release,
                 "--address", ADDRESS, "--accessed", "2029-01-02", "--data", str(folder),
                 *(["--published", dated] if dated else [])])


def _in_use(folder: Path) -> float:
    resolved = load(folder).resolved(["sin-total"])
    return resolved.query("period == 'FY2024-25'")["value"].item()


def _resolution(folder: Path):
    rows = load(folder).resolutions.query("series_id == 'sin-total' and period == 'FY2024-25'")
    assert len(rows) == 1
    return rows.iloc[0]


def test_a_2027_release_ingested_after_a_2028_release_does_not_replace_its_value(
        tmp_path, data_copy, capsys):
    assert _ingest(tmp_path, data_copy, "Reporting year 2028") == 0
    assert _in_use(data_copy) == 340
    assert _ingest(tmp_path, data_copy, "Reporting year 2027") == 0, capsys.readouterr().err
    assert _in_use(data_copy) == 340  # the newer release's value stays in use
    row = _resolution(data_copy)
    assert row["chosen_source_id"] == "ees-sin-nature-reporting-year-2028"
    assert row["rule"] == "later-release"
    assert ("Reporting year 2027 of DfE's data set (published 2027-07-01) gives 339, but was "
            "published before 340 (ees-sin-nature-reporting-year-2028, published 2028-07-01), "
            "which stays in use") in row["reason"]
    # the older value is kept beside it, as a conflict the notebooks show and can run
    values = load(data_copy).figures.query("series_id == 'sin-total' and period == 'FY2024-25'")
    assert sorted(values["value"]) == [338, 339, 340]
    assert load(data_copy).resolved(["sin-total"], rule="alternative").query(
        "period == 'FY2024-25'")["value"].item() in (338, 339)


def test_the_order_of_ingestion_does_not_change_the_value_in_use(tmp_path, data_copy):
    other = tmp_path / "other"
    other.mkdir()
    import shutil

    shutil.copytree(data_copy, other / "data")
    for release in ("Reporting year 2027", "Reporting year 2028"):
        assert _ingest(tmp_path, data_copy, release) == 0
    for release in ("Reporting year 2028", "Reporting year 2027"):
        assert _ingest(tmp_path, other / "data", release) == 0
    assert _in_use(data_copy) == _in_use(other / "data") == 340
    assert _resolution(data_copy)["chosen_source_id"] == _resolution(other / "data")[
        "chosen_source_id"] == "ees-sin-nature-reporting-year-2028"
    reason = _resolution(data_copy)["reason"]
    assert ("Reporting year 2028 of DfE's data set (published 2028-07-01) gives 340; earlier: "
            "338 (ees-sins-2019-2025-nature, publication date not recorded; read 2026-11-23), "
            "339 (ees-sin-nature-reporting-year-2027, published 2027-07-01)") in reason


def test_a_release_without_a_publication_date_is_refused_asking_for_it(tmp_path, data_copy,
                                                                       capsys):
    before = _digest(data_copy)
    assert _ingest(tmp_path, data_copy, "Reporting year 2027", published="") == 4
    err = capsys.readouterr().err
    assert "--published: 'Reporting year 2027' gives 339 for sin-total in FY2024-25" in err
    assert "give --published YYYY-MM-DD" in err and "data/ is unchanged" in err
    assert _digest(data_copy) == before


def test_a_release_adding_values_without_a_date_is_refused_even_without_a_conflict(
        tmp_path, data_copy, capsys):
    """Every release written to data/ carries its date, so that the next can be ordered."""
    before = _digest(data_copy)
    assert _ingest(tmp_path, data_copy, "Reporting year 2027", published="",
                   total="338") == 4  # 338 is the value in use: only the 2027 rows are new
    err = capsys.readouterr().err
    assert "--published: when was 'Reporting year 2027' published?" in err
    assert _digest(data_copy) == before


@pytest.mark.parametrize(("published", "expected"), [
    # the value in use comes from a source with no date, read on 2026-11-23: a release dated
    # before that day may be older or newer
    ("2026-07-01", "which was published later cannot be told from the dates"),
    ("2026-11", "which was published later cannot be told from the dates"),
])
def test_a_release_that_cannot_be_ordered_against_the_value_in_use_is_refused(
        tmp_path, data_copy, capsys, published, expected):
    before = _digest(data_copy)
    assert _ingest(tmp_path, data_copy, "Reporting year 2026 revised", published=published) == 4
    err = capsys.readouterr().err
    assert expected in err and "ees-sins-2019-2025-nature" in err
    assert "record the date_published of ees-sins-2019-2025-nature in sources.csv" in err
    assert _digest(data_copy) == before


def test_two_releases_published_the_same_day_with_different_values_are_refused(
        tmp_path, data_copy, capsys):
    assert _ingest(tmp_path, data_copy, "Reporting year 2028") == 0
    before = _digest(data_copy)
    assert _ingest(tmp_path, data_copy, "Reporting year 2028 corrected", published="2028-07-01",
                   total="341") == 4
    err = capsys.readouterr().err
    assert "which was published later cannot be told" in err
    assert "340 (ees-sin-nature-reporting-year-2028, published 2028-07-01)" in err
    assert _digest(data_copy) == before


def test_a_release_published_after_it_was_read_is_a_usage_error(tmp_path, data_copy, capsys):
    assert _ingest(tmp_path, data_copy, "Reporting year 2030", published="2030-07-01") == 2
    assert "--published 2030-07-01 is after --accessed 2029-01-02" in capsys.readouterr().err
