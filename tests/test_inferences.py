"""Inferences as data: a bound is not a count, and an inferred period says what was inferred."""

from __future__ import annotations

import csv

from scrlib.reader import record_tables
from scrlib.record.export import tidy_figures
from scrlib.record.load import load
from scrlib.study import analysis

BOUND = "scr-database-2003-04-2011-03-uea-new-learning-from-scrs"  # "more than 800"


def test_the_lower_bounds_are_recorded_as_bounds(dataset):
    figures = dataset.figures.set_index("figure_id")
    assert figures.loc[BOUND, "value_qualifier"] == "more than"
    assert "more than 800" in figures.loc[BOUND, "excerpt"]
    exported = tidy_figures(dataset).set_index("figure_id")
    assert exported.loc[BOUND, "value_qualifier"] == "more than"
    assert {"period_basis", "period_inference"} <= set(exported.columns)


def test_an_inferred_period_always_says_what_was_inferred(dataset):
    inferred = dataset.figures[dataset.figures["period_basis"] == "inferred"]
    assert len(inferred) > 30  # the ambiguous years, "the previous year", ends from dates
    assert (inferred["period_inference"].str.len() > 20).all()
    between = inferred.set_index("figure_id").loc["cypnow-commissioned-fy2011-12"]
    assert "Between 2011 and 2012" in between["period_inference"]


def test_a_bound_is_kept_out_of_the_yearly_series_and_read_as_written(data_copy):
    """A financial-year count turned into a bound (a test edit) leaves the model's series and
    shows in tables as the source words it."""
    path = data_copy / "figures.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    target = next(r for r in rows if r["series_id"] == "scr-commissioned"
                  and r["period"] == "FY2012-13" and r["source_id"].startswith("cypnow"))
    others = [r for r in rows if r["series_id"] == "scr-commissioned"
              and r["period"] == "FY2012-13" and r is not target]
    for r in [target, *others]:
        r["value_qualifier"] = "at least"
        r["excerpt"] = r["excerpt"].replace("81", "at least 81")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    edited = load(data_copy)
    years = analysis.annual(edited, "scr-commissioned")["year"].tolist()
    assert "2012-13" not in years and "2011-12" in years
    shown = record_tables.readable_resolved(edited.resolved(["scr-commissioned"]), edited)
    assert shown.loc["2012-13"].iloc[0] == "at least 81"


def test_judgement_calls_are_flagged_with_both_values(dataset):
    from scrlib.reader import sentences

    res = dataset.resolutions.set_index("conflict_id")
    assert res.loc["published-fy2012-13", "basis"] == "judgement"
    assert res.loc["initiated-fy2010-11", "basis"] == "judgement"
    assert res.loc["sin-total-fy2019-20", "basis"] == "evidence"  # 498 - 49 = 449
    text = sentences.judgement_calls(dataset, ["scr-published"], where="here")
    assert "value used (31," in text and "other value (13) goes through here" in text
    assert sentences.judgement_calls(dataset, ["sin-total"]) == ""


def test_the_date_sweep_runs_the_event_over_the_range_its_sources_allow(dataset):
    import pandas as pd

    from scrlib.study import design, sensitivity

    base = design.Specification(series="scr-initiated",
                                events=("full-publication", "ofsted-evaluation-ends"))
    earliest = design.dataset_date(dataset, "ofsted-streamlined-evaluation", "recorded")
    sweep = sensitivity.date_sweep(dataset, base, "ofsted-evaluation-ends", earliest)
    assert sweep["date"].iloc[0] == pd.Timestamp("2012-01-03")
    assert sweep["date"].iloc[-1] == pd.Timestamp("2012-07-01")  # the recorded month
    assert len(sweep) == 7
    recorded = base.fit(dataset).effects.set_index("intervention")
    assert sweep["rate_ratio"].iloc[-1] == recorded.loc["Ofsted evaluation ends", "rate_ratio"]
    assert sweep["rate_ratio"].nunique() > 1  # the date matters
    text = sensitivity.date_sweep_sentence(sweep, "Ofsted evaluation ends")
    assert "from 3 January 2012 to July 2012" in text


def test_the_sweep_starts_at_the_bound_the_data_give_or_the_one_asked_for(dataset):
    import pytest

    from scrlib.study import sensitivity
    from scrlib.study.params import ParameterError

    event, when = sensitivity.sweep_start(dataset, "ofsted-evaluation-ends")
    assert event == "ofsted-streamlined-evaluation"  # its not_before in events.csv
    assert when == dataset.events.set_index("event_id").loc[event, "when"]
    event, when = sensitivity.sweep_start(dataset, "working-together-2013")  # no bound
    assert event == "working-together-2013"
    assert sensitivity.sweep_start(dataset, "ofsted-evaluation-ends", "full-publication")[0] == (
        "full-publication")
    with pytest.raises(ParameterError, match="dated after"):
        sensitivity.sweep_start(dataset, "ofsted-evaluation-ends", "working-together-2013")
    with pytest.raises(ParameterError, match="allowed values"):
        sensitivity.sweep_start(dataset, "ofsted-evaluation-ends", "no-such-event")


def test_each_event_says_how_many_independent_sources_date_it_and_of_what_kind(dataset):
    from scrlib.study import analysis

    table = analysis.event_evidence(
        dataset, ["ofsted-evaluation-ends", "national-panel-established"]).set_index("Event")
    ofsted = table.loc["Ofsted evaluation ends"]
    assert (ofsted["Independent sources"], ofsted["Primary"], ofsted["Secondary"]) == (1, 0, 1)
    panel = table.loc["National panel"]
    assert panel["Independent sources"] == 2 and panel["Dates the sources give"] == (
        "June 2013, July 2013")  # as a reader writes them, not "2013-06"
