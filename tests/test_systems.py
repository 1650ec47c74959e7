"""The review systems as data: each dated by cited events, each series counting under one system
over a range of periods, and every slip in the two tables named by file, line and field."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from scrlib.record.load import load
from scrlib.record.problems import DataError
from scrlib.record.validate import read_dataset


def _edit(folder, name, change):
    path = folder / name
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _problems(folder):
    return read_dataset(folder)[1]


def test_each_system_is_dated_by_the_words_of_its_sources(dataset):
    systems = dataset.systems.set_index("system_id")
    events = dataset.events
    for system_id, row in systems.iterrows():
        for side in ("start", "end"):
            event_id = row[f"{side}_event_id"]
            if not event_id:
                assert pd.isna(row[side]), system_id  # still in force
                continue
            cited = events[(events["event_id"] == event_id)
                           & (events["source_id"] == row[f"{side}_source_id"])]
            assert list(cited["excerpt"]) == [row[f"{side}_excerpt"]], system_id
            assert row[f"{side}_date"] in set(cited["date"]), system_id
            assert dataset.source(row[f"{side}_source_id"]).url
        if row["end_event_id"]:
            assert row["start"] < row["end"], system_id


def test_the_2019_change_of_system_is_dated_29_september_2019(dataset):
    systems = dataset.systems.set_index("system_id")
    assert systems.loc["lcsprs", "start_date"] == "2019-09-29"
    assert systems.loc["scrs-under-lscbs", "end_date"] == "2019-09-29"
    assert systems.loc["cspr-panel", "start_date"] == "2018-06-29"
    assert pd.isna(systems.loc["lcsprs", "end"]) and pd.isna(systems.loc["cspr-panel", "end"])


def test_a_series_passing_from_one_system_to_another_breaks_there(dataset):
    """Notifications were counted by Ofsted under the SCR system, then by DfE under the Panel's:
    each figure carries the system that counts it, and the two never share one."""
    figures = dataset.figures[dataset.figures["series_id"] == "sin-total"]
    by_year = dict(zip(figures["period"], figures["system_id"], strict=False))
    assert by_year["FY2016-17"] == "scrs-under-lscbs"
    assert by_year["FY2019-20"] == "cspr-panel"
    assert dataset.system_of("sin-total", "FY2017-18") == "scrs-under-lscbs"
    assert dataset.system_of("sin-total", "FY2018-19") == "cspr-panel"
    mapped = set(dataset.series_systems["series_id"])
    for _, row in dataset.figures.iterrows():
        assert bool(row["system_id"]) == (row["series_id"] in mapped), row["figure_id"]


def test_a_system_dated_by_an_unknown_event_is_refused(data_copy):
    def change(rows):
        rows[0]["end_event_id"] = "no-such-event"
    _edit(data_copy, "systems.csv", change)
    [problem] = _problems(data_copy)
    assert (problem.path.endswith("systems.csv"), problem.line, problem.field) == (
        True, 2, "end_event_id")
    assert "unknown event 'no-such-event'" in problem.message
    with pytest.raises(DataError):
        load(data_copy)


def test_a_system_that_ends_before_it_starts_is_refused(data_copy):
    def change(rows):
        row = next(r for r in rows if r["system_id"] == "lcsprs")
        row["end_event_id"] = "lscbs-required"
    _edit(data_copy, "systems.csv", change)
    [problem] = _problems(data_copy)
    assert problem.field == "end_event_id" and "before scrs-replaced-by-lcsprs" in problem.message


def test_overlapping_ranges_and_a_figure_in_no_range_are_refused(data_copy):
    def overlap(rows):
        row = next(r for r in rows if r["series_id"] == "sin-total"
                   and r["system_id"] == "cspr-panel")
        row["first_period"] = "FY2016-17"
    _edit(data_copy, "series-systems.csv", overlap)
    [problem] = _problems(data_copy)
    assert problem.path.endswith("series-systems.csv") and problem.field == "first_period"
    assert "overlaps" in problem.message

    def gap(rows):
        row = next(r for r in rows if r["series_id"] == "sin-total"
                   and r["system_id"] == "cspr-panel")
        row["first_period"] = "FY2019-20"
    _edit(data_copy, "series-systems.csv", gap)
    problems = _problems(data_copy)
    assert {p.field for p in problems} == {"period"}
    assert all(p.path.endswith("figures.csv") for p in problems)
    assert any("FY2018-19 lies in no range of sin-total" in p.message for p in problems)


def test_a_mapping_names_known_series_and_systems(data_copy):
    def change(rows):
        rows.append({"series_id": "no-such-series", "system_id": "no-such-system",
                     "first_period": "", "last_period": "", "note": ""})
    _edit(data_copy, "series-systems.csv", change)
    fields = sorted(p.field for p in _problems(data_copy))
    assert fields == ["series_id", "system_id"]
