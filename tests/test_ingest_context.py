"""``scr ingest`` maps the notification data sets' contextual columns (children in need at 31
March, the ONS mid-year population) to their series, from files made only of rows read on the
stored pages (tests/fixtures/ees/sin-subnational-*.csv)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.record.load import load
from scrlib.record.validate import read_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "ees"
CONTEXT = ("sin-cin-31-march", "sin-population")
RELEASES = (("sin-subnational-2024.csv", "Reporting year 2024"),
            ("sin-subnational-2026.csv", "Reporting year 2026"))
# The stored pages show no publication date for these releases; ingest needs one to order them,
# so the test gives each a date in its own reporting year's order (test input, not a record).
PUBLISHED = {"Reporting year 2024": "2024-12-01", "Reporting year 2026": "2026-12-01"}


def _without_context(folder: Path) -> None:
    """Take the contextual figures out of a copy of data/, as for a user who has the files but
    whose record lacks the values."""
    path = folder / "figures.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in rows if r["series_id"] not in CONTEXT)


def _ingest(folder: Path, name: str, release: str) -> int:
    return main(["ingest", str(FIXTURES / name), "--dataset", "sin-subnational", "--release",
                 release, "--address", "https://explore-education-statistics.service.gov.uk/"
                 "data-catalogue/data-set/test/csv", "--accessed", "2026-12-06",
                 "--published", PUBLISHED[release],
                 "--data", str(folder)])


def _values(dataset, source_ids=None):
    figures = dataset.figures[dataset.figures["series_id"].isin(CONTEXT)]
    if source_ids is not None:
        figures = figures[figures["source_id"].isin(source_ids)]
    return {(s, p): v for s, p, v in zip(figures["series_id"], figures["period"],
                                          figures["value"], strict=True)}


def test_the_england_rows_give_children_in_need_and_population(data_copy, dataset, capsys):
    cited = _values(dataset, {"ees-sins-2024-regional-la", "ees-sins-2026-subnational"})
    _without_context(data_copy)
    assert _values(load(data_copy)) == {}
    for name, release in RELEASES:
        assert _ingest(data_copy, name, release) == 0, capsys.readouterr().err
    assert read_dataset(data_copy)[1] == []
    after = load(data_copy)
    added = _values(after)
    assert added == cited  # the values the stored pages show, cited in data/
    assert set(added) == {(s, p) for s in CONTEXT for p in ("FY2023-24", "FY2025-26")}
    regional = {24470.0, 542710.0, 62450.0, 1627558.0}  # the fixture's North East and West
    assert not regional & set(added.values())  # only the England row is read
    figures = after.figures[after.figures["series_id"].isin(CONTEXT)]
    for excerpt, value in zip(figures["excerpt"], figures["value"], strict=True):
        assert excerpt.startswith(("2024,Reporting year,National", "2026,Reporting year,National"))
        assert f",{value:.0f}," in f"{excerpt}," or excerpt.endswith(f",{value:.0f}")
    assert set(figures["system_id"]) == {""}  # denominators belong to no review system


@pytest.mark.parametrize(("name", "release"), RELEASES)
def test_a_release_whose_context_is_cited_adds_nothing(data_copy, name, release, capsys):
    before = {p.name: p.read_bytes() for p in data_copy.iterdir()}
    assert _ingest(data_copy, name, release) == 0
    assert "nothing new in this release" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in data_copy.iterdir()} == before
