"""Originals first: a copy names its registered original, the figures it carries are stated
elsewhere where the stored pages allow, and what still rests on copies alone is computed."""

from __future__ import annotations

import csv

import pytest

from scrlib.reader import record_tables
from scrlib.record.load import load
from scrlib.record.problems import DataError
from scrlib.study import analysis


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


def test_every_copy_names_a_registered_original_or_says_why_not(dataset):
    ids = set(dataset.sources["source_id"])
    for source_id in dataset.sources["source_id"]:
        source = dataset.source(source_id)
        if source.mirror_of:
            assert source.mirror_of in ids, source_id
            assert not dataset.source(source.mirror_of).is_copy, source_id
        if source.is_copy and not source.mirror_of:
            assert source.original_note.startswith("Original: "), source_id
            assert "Original stored: no" in source.original_note, source_id


def test_an_inferred_address_is_labelled_and_never_stored_as_the_original(dataset):
    mirror = dataset.source("mirror-govuk-expert-panel-stronger-measures")
    assert mirror.mirror_of == ""
    assert "inferred from the mirror's path and not read" in mirror.original_note


def test_a_figure_on_a_copy_alone_is_listed_until_another_page_states_it(data_copy):
    """Taking away the independent sources of a value puts it back on the list of values that
    rest on copies alone; the copy table counts it against the copy."""
    key = ("scr-evaluated", "FY2008-09")
    before = load(data_copy)
    alone = analysis.copy_only(before)
    assert key not in set(zip(alone["series_id"], alone["period"], strict=True))

    def keep_only_copies(rows):
        rows[:] = [r for r in rows if not ((r["series_id"], r["period"]) == key
                                           and r["source_id"] == "bbc-news-8307406")]
    _edit(data_copy, "figures.csv", keep_only_copies)
    after = load(data_copy)
    alone = analysis.copy_only(after).set_index(["series_id", "period"])
    assert alone.loc[key, "values"] == "173"
    assert set(alone.loc[key, "copies"].split(";")) == {
        "wiredgov-ofsted-lessons-being-learnt", "bbc-mirror-ofsted-evaluation-2009"}
    column = "Series-periods on copies alone"
    table = record_tables.copy_table(after)  # labelled by the copy
    counts = table[column]
    # two copies now carry it alone (a series-period two copies carry counts for each)
    assert counts.sum() == record_tables.copy_table(before)[column].sum() + 2
    assert str(len(alone)) in analysis.copy_reliance_sentence(after)


def test_an_event_dated_only_by_copies_is_listed(dataset):
    events = analysis.copy_only_events(dataset).set_index("event_id")
    assert "lscb-regulations-made" in events.index  # the made date is only in the BAILII copy
    assert "working-together-2010" not in events.index  # DCSF's own page now dates it
    for copies in events["copies"]:
        assert all(dataset.source(s).is_copy for s in copies.split(";"))


def test_a_copy_whose_original_is_stored_is_read_there_too(dataset):
    """Where the stored pages hold the original (or the publisher's own page), a row cites it."""
    events = dataset.events
    wt = events[events["event_id"] == "working-together-2010"].set_index("source_id")
    assert wt.loc["nationalarchives-dcsf-working-together-2010", "date"] == "2010-03-17"
    used = dataset.resolved_events().set_index("event_id")
    assert used.loc["working-together-2010", "source_id"] == (
        "nationalarchives-dcsf-working-together-2010")
    resolved = dataset.resolved(["scr-evaluated"]).set_index("period")
    first = resolved.loc["FY2008-09", "source_ids"].split(";")[0]
    assert not dataset.source(first).is_copy  # the cited page states the period itself


def test_mirror_of_must_name_a_registered_source(data_copy):
    def to_address(rows):
        row = next(r for r in rows if r["source_id"] == "vdocuments-munro-final-report")
        row["mirror_of"] = "https://www.gov.uk/government/publications/munro-review"
    _edit(data_copy, "sources.csv", to_address)
    with pytest.raises(DataError) as caught:
        load(data_copy)
    text = str(caught.value)
    assert "sources.csv" in text and "mirror_of" in text and "not a registered source_id" in text
