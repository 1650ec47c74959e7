"""Specifications, regimes, narrative and the specification curve, on a small synthetic dataset.

The synthetic series has a known doubling of the yearly count from financial year 2013-14, so
the tests can check that the estimates recover it, not only that code runs.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from scrlib.reader import plot, record_tables, sentences
from scrlib.record.load import load
from scrlib.study import analysis, sensitivity
from scrlib.study.design import Specification, allowed_series, events_inside
from scrlib.study.params import ParameterError

YEARS = list(range(2004, 2016))  # FY2004-05 .. FY2015-16


def _count(start_year: int) -> int:
    level = 100 * math.exp(0.03 * (start_year - 2004))
    return round(level * (2.0 if start_year >= 2013 else 1.0))


def _write(folder, name, header, rows):
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    _write(folder, "sources", ["source_id", "publisher", "producer", "title", "url",
                               "date_published", "date_note", "date_accessed", "kind",
                               "mirror_of", "note", "publication", "release", "dataset_id",
                               "dataset_version", "copy", "original_note"],
           [["syn-a", "Synthetic <b>Press</b>", "Nobody", "Made-up counts", "https://example.org/a",
             "2020-01-01", "", "2026-11-23", "official-statistics", "", "", "", "", "", "", "", ""],
            ["syn-b", "Other Press", "Nobody", "A retelling", "https://example.org/b", "", "",
             "2026-11-23", "news", "", "", "", "", "", "", "", ""]])
    _write(folder, "withheld", ["series_id", "period", "source_id", "symbol", "excerpt", "note"],
           [])
    _write(folder, "systems", ["system_id", "name", "description", "start_event_id",
                               "end_event_id", "note"], [])
    _write(folder, "series-systems", ["series_id", "system_id", "first_period", "last_period",
                                      "note"], [])
    _write(folder, "series", ["series_id", "name", "definition", "stage", "counted_by", "unit",
                              "note", "part_of"],
           [["syn-count", "Synthetic count", "A made-up yearly count.", "initiated", "Nobody",
             "count", "", ""],
            ["syn-den", "Synthetic denominator", "A made-up denominator.", "notified", "Nobody",
             "count", "", ""],
            ["syn-short", "Short series", "Three years only.", "other", "Nobody", "count", "",
             ""]])
    figures = []
    for y in YEARS:
        fy = f"FY{y}-{(y + 1) % 100:02d}"
        n = _count(y)
        figures.append([f"a-{y}", "syn-count", f"{y}/{y + 1}", fy, n, "", "count", "syn-a",
                        f"in {y} there were {n} reviews", "", ""])
        figures.append([f"d-{y}", "syn-den", f"{y}/{y + 1}", fy, 4 * n, "", "count", "syn-a",
                        f"and {4 * n} notifications", "", ""])
    figures.append(["b-2008", "syn-count", "2008/09", "FY2008-09", 150, "", "count", "syn-b",
                    "there were 150 reviews", "", ""])
    for y in (2013, 2014, 2015):
        figures.append([f"s-{y}", "syn-short", str(y), f"FY{y}-{(y + 1) % 100:02d}", 5, "",
                        "count", "syn-a", "just 5 of them", "", ""])
    _write(folder, "figures", ["figure_id", "series_id", "period_stated", "period", "value",
                               "value_as_written", "unit", "source_id", "excerpt",
                               "derived_from", "note", "value_qualifier", "period_basis",
                               "period_inference"],
           [[*row, "exact", "stated", ""] for row in figures])
    _write(folder, "events", ["event_id", "label", "description", "date", "precision",
                              "source_id", "excerpt", "note", "evidence", "not_before"],
           [["early", "Early change", "Something early.", "2008-06-10", "day", "syn-a",
             "on 10 June 2008", "", "primary", ""],
            ["doubling", "Doubling", "The count doubles.", "2013-04-01", "day", "syn-a",
             "from 1 April 2013", "", "primary", ""],
            ["doubling", "Doubling", "The count doubles.", "2013-07", "month", "syn-b",
             "in July 2013", "", "secondary", ""],
            ["late", "Late", "After the data.", "2030-01-01", "day", "syn-a",
             "on 1 January 2030", "", "primary", ""]])
    _write(folder, "resolutions", ["conflict_id", "subject", "series_id", "period", "event_id",
                                   "chosen_source_id", "rule", "reason", "basis"],
           [["c1", "figure", "syn-count", "FY2008-09", "", "syn-a", "primary-over-retelling",
             "made up", "judgement"],
            ["c2", "event", "", "", "doubling", "syn-a", "own-account", "made up", "evidence"]])
    return load(folder)


BASE = Specification(series="syn-count", events=("doubling",), family="quasipoisson")


def test_specification_recovers_a_known_doubling(synthetic):
    result = BASE.fit(synthetic)
    step = result.effects.iloc[0]
    assert step["intervention"] == "Doubling"
    assert step["rate_ratio"] == pytest.approx(2.0, rel=0.02)
    assert step["ci_low"] < 2.0 < step["ci_high"] or step["rate_ratio"] == pytest.approx(2.0)
    assert "Made-up counts" in result.source or "Synthetic" in result.source


def test_conflict_and_event_rules_change_what_is_fitted(synthetic):
    recorded = BASE.data(synthetic).set_index("year")["count"]
    alternative = BASE.with_(conflict_rule="alternative").data(synthetic).set_index("year")
    assert recorded["2008-09"] != 150 and alternative.loc["2008-09", "count"] == 150
    assert BASE.dates(synthetic)["Doubling"] == pd.Timestamp("2013-04-01")
    assert BASE.with_(event_rule="alternative").dates(synthetic)["Doubling"] == pd.Timestamp(
        "2013-07-01")


def test_denominator_as_offset_and_as_trials(synthetic):
    offset = BASE.with_(denominator="syn-den").fit(synthetic)
    trials = BASE.with_(denominator="syn-den", family="binomial").fit(synthetic)
    # the count is a quarter of the denominator every year: no change in the rate or share
    assert offset.effects["rate_ratio"].iloc[0] == pytest.approx(1.0, abs=0.02)
    assert trials.effects["rate_ratio"].iloc[0] == pytest.approx(1.0, abs=0.02)
    assert trials.family == "binomial" and offset.offset == "exposure"
    with pytest.raises(ValueError, match="denominator"):
        BASE.with_(family="binomial").fit(synthetic)


def test_check_names_what_is_allowed(synthetic):
    BASE.check(synthetic)
    with pytest.raises(ParameterError, match=r"3 annual figure.*needs at least"):
        BASE.with_(series="syn-short", effects="step+slope").check(synthetic)
    with pytest.raises(ParameterError, match=r"\['late'\].*allowed events: early, doubling"):
        BASE.with_(events=("doubling", "late")).check(synthetic)
    assert allowed_series(synthetic) == ["syn-count", "syn-den"]
    assert events_inside(synthetic, pd.Timestamp("2004-04-01"), pd.Timestamp("2015-04-01"),
                         "recorded") == ["early", "doubling"]


def test_regimes_mark_transition_years(synthetic):
    frame = BASE.data(synthetic)
    dates = {"Early change": pd.Timestamp("2008-06-10"), "Doubling": pd.Timestamp("2013-04-01")}
    labelled = analysis.regimes(frame, dates).set_index("year")
    assert labelled.loc["2008-09", "regime"] == "transition (Early change)"
    assert labelled.loc["2004-05", "regime"] == "before Early change"
    assert labelled.loc["2012-13", "regime"] == "after Early change"
    # a date on the first day of a year starts the regime with that year
    assert labelled.loc["2013-14", "regime"] == "after Doubling"
    table = analysis.regime_comparisons(frame, dates)
    assert list(table["from"]) == ["before Early change", "after Early change"]
    after = frame[frame["year"].isin(["2013-14", "2014-15", "2015-16"])]["count"].mean()
    before = frame[frame["year"].isin(["2009-10", "2010-11", "2011-12", "2012-13"])][
        "count"].mean()
    assert table["rate ratio"].iloc[1] == pytest.approx(after / before, abs=5e-3)
    assert table["exact p"].iloc[1] == "< 0.001"  # rounded for readers


def test_narrative_reports_intervals_and_warnings(synthetic):
    result = BASE.with_(series="syn-count", events=("early", "doubling"),
                        effects="step+slope").fit(synthetic)
    text = sentences.what_the_data_show(result)
    assert f"**{result.n} yearly points**" in text
    assert "Doubling" in text and "change in trend" in text
    for warning in result.warnings:
        assert warning.split()[0] in text
    assert "not proof" in text


def test_grid_crosses_choices_and_drops_duplicates(synthetic):
    specs = sensitivity.grid(BASE, family=["poisson", "quasipoisson", "poisson"],
                             effects=["step", "step+slope"])
    assert len(specs) == 4
    assert {s.family for s in specs} == {"poisson", "quasipoisson"}
    with pytest.raises(ValueError, match="unknown choices"):
        sensitivity.grid(BASE, colour=["red"])


def test_run_keeps_specifications_that_cannot_be_fitted(synthetic):
    specs = sensitivity.grid(BASE, series=["syn-count", "syn-short"],
                             effects=["step", "step+slope"], family=["poisson", "gaussian"])
    table = sensitivity.run(synthetic, specs, "doubling")
    assert len(table) == 8
    fitted = table[table["status"] == "fitted"]
    assert (fitted["series"] == "syn-count").all()
    assert table.loc[table["series"] == "syn-short", "status"].str.startswith("not fitted").all()
    counts = fitted[fitted["family"] == "poisson"]
    assert np.allclose(counts["rate_ratio"], 2.0, rtol=0.05)
    summary = sensitivity.summarise(table)
    assert summary["fitted"].iloc[0] == len(fitted)
    choices = sensitivity.by_choice(table)
    assert set(choices["choice"]) == {"family", "effects"}
    with pytest.raises(ValueError, match="does not include"):
        sensitivity.run(synthetic, [BASE.with_(events=("early",))], "doubling")


def test_curve_and_coverage_charts_cite_their_sources(synthetic):
    specs = sensitivity.grid(BASE, family=["poisson", "quasipoisson"])
    table = sensitivity.run(synthetic, specs, "doubling")
    fig = plot.plot_curve(synthetic, table, event="doubling", source_ids=["syn-a"])
    assert fig._supxlabel.get_text().startswith("Source: Synthetic <b>Press</b>")
    cov = plot.plot_coverage(synthetic)
    ax = cov.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Synthetic count", "Synthetic denominator", "Short series"]
    assert "Other Press" in cov._supxlabel.get_text()


def test_reader_tables(synthetic):
    series = record_tables.series_table(synthetic)
    assert list(series["Figures"]) == [13, 12, 3]
    assert series["Covers"].iloc[0] == "Apr 2004 to Mar 2016"
    assert "Id" not in series.columns and series.index.name == "Series"  # no code ids
    events = record_tables.event_table(synthetic).reset_index()
    assert list(events["Event"]) == ["Early change", "Doubling", "Late"]
    assert events.set_index("Event").loc["Doubling", "Sources"] == 2
    conflicts = record_tables.event_conflict_table(synthetic).reset_index()
    assert list(conflicts["Used"]) == ["yes", "no"]


def test_placebo_ranks_the_real_doubling_first_and_models_compare(synthetic):
    placebo = BASE.with_(family="poisson").placebo(synthetic, "doubling")
    rank = placebo.ranks.iloc[0]
    assert rank["rank"] == 1 and rank["n_placebo"] >= 5
    comparison = BASE.compare_models(synthetic)
    assert set(comparison.table["family"]) == {"poisson", "quasipoisson", "negativebinomial"}
    assert len(comparison.tests) == 3


def test_breaks_warn_about_a_definitional_change(synthetic):
    plain = BASE.fit(synthetic)
    broken = BASE.with_(breaks=("early",)).fit(synthetic)
    assert len(broken.warnings) == len(plain.warnings) + 1
    assert any("break" in w for w in broken.warnings)
    assert BASE.with_(breaks=("early",)).as_dict()["breaks"] == "early"


def test_run_without_event_takes_each_specifications_last_event(synthetic):
    specs = sensitivity.grid(BASE, events=[("doubling",), ("doubling", "early")])
    table = sensitivity.run(synthetic, specs)
    assert list(table["events"]) == ["doubling", "doubling,early"]
    # the 'early' change has no effect in the synthetic data; 'doubling' doubles the count
    assert table["rate_ratio"].iloc[0] == pytest.approx(2.0, rel=0.02)
    assert table["rate_ratio"].iloc[1] == pytest.approx(1.0, abs=0.05)


def test_share_table_labels_counts_and_adds_stated_shares_by_year(synthetic):
    shares = analysis.share_intervals(analysis.paired(synthetic, BASE.series, "syn-den"))
    first = shares["year"].iloc[0]
    stated = pd.DataFrame({"year": [first], "stated %": [12.5], "source_ids": ["x"]})
    table = record_tables.share_table(shares, "reviews", "notifications", stated=[stated])
    assert list(table.columns) == ["year", "reviews", "notifications", "share %", "95% low",
                                   "95% high", "sources disagree", "stated %"]
    assert (table["reviews"] == shares["successes"]).all()
    assert (table["95% low"] <= table["share %"]).all()
    assert (table["share %"] <= table["95% high"]).all()
    assert table.loc[0, "stated %"] == 12.5 and table["stated %"].iloc[1:].isna().all()
