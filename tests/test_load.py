import csv

import pandas as pd
import pytest

from scrlib.record.load import CONFLICT_RULES, load
from scrlib.record.problems import DataError


def _csv_rows(folder, name):
    with open(folder / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_figures_load_with_typed_columns(dataset):
    figs = dataset.figures
    assert figs["value"].dtype == "float64"
    assert isinstance(figs["fiscal_year"].dtype, pd.PeriodDtype)
    assert figs["fiscal_year"].dtype == pd.PeriodDtype("Y-MAR")
    assert str(figs["start"].dtype).startswith("datetime64")
    fy = figs[figs["period_kind"] == "FY"]
    assert (fy["fiscal_year"].dt.start_time == fy["start"]).all()
    assert figs.loc[figs["period_kind"] != "FY", "fiscal_year"].isna().all()


def test_every_row_of_the_files_is_loaded_as_written(dataset):
    rows = _csv_rows(dataset.folder, "figures.csv")
    assert len(rows) == len(dataset.figures)
    by_id = dataset.figures.set_index("figure_id")
    for row in rows:
        assert by_id.loc[row["figure_id"], "value"] == float(row["value"])
        assert by_id.loc[row["figure_id"], "source_id"] == row["source_id"]


def test_seed_disagreement_is_kept_as_two_figures_and_resolved(dataset):
    conf = dataset.conflicts()
    seed = conf[(conf["series_id"] == "scr-published") & (conf["period"] == "FY2012-13")]
    assert sorted(seed["value"]) == [13.0, 31.0]
    chosen = seed[seed["chosen"]]
    assert list(chosen["source_id"]) == ["cypnow-absence-of-ofsted-evaluation"]
    assert (seed["rule"] == "primary-over-retelling").all()


def test_resolved_gives_one_value_per_series_and_period(dataset):
    for rule in CONFLICT_RULES:
        resolved = dataset.resolved(rule=rule)
        assert not resolved.duplicated(["series_id", "period"]).any()
        expected = dataset.figures.drop_duplicates(["series_id", "period"])
        assert len(resolved) == len(expected)


def test_a_series_resolves_the_same_alone_or_with_every_other(dataset):
    """Each (series, period) is resolved on its own figures: asking for one series, or for all
    of them at once, gives the same rows (value, sources, flags) in the same order."""
    columns = ["series_id", "period", "value", "figure_id", "source_ids", "conflict", "rule",
               "official", "press_only"]
    for rule in CONFLICT_RULES:
        together = dataset.resolved(rule=rule)
        for series_id in dataset.series["series_id"]:
            alone = dataset.resolved(series_id, rule=rule)
            rows = together[together["series_id"] == series_id]
            assert (alone[columns].values.tolist() if len(alone) else []) == \
                rows[columns].values.tolist()


def test_conflict_rules_pick_the_values_they_promise(dataset):
    conf = dataset.conflicts()
    for (series_id, period), group in conf.groupby(["series_id", "period"]):

        def value(rule, s=series_id, p=period):
            r = dataset.resolved(s, rule=rule)
            return r.loc[r["period"] == p, "value"].item()

        chosen = group.loc[group["chosen"], "value"].item()
        assert value("recorded") == chosen
        assert value("alternative") != chosen
        assert value("alternative") in set(group["value"])
        assert value("lowest") == group["value"].min()
        assert value("highest") == group["value"].max()


def test_agreeing_sources_are_listed_together(dataset):
    resolved = dataset.resolved("scr-commissioned")
    row = resolved[resolved["period"] == "FY2013-14"].iloc[0]
    assert set(row["source_ids"].split(";")) == {
        "cypnow-absence-of-ofsted-evaluation",
        "stowe-scrs-on-the-rise",
    }
    assert not row["conflict"]


def test_unknown_series_and_rule_are_refused(dataset):
    with pytest.raises(KeyError, match="unknown series"):
        dataset.resolved("no-such-series")
    with pytest.raises(ValueError, match="allowed: recorded"):
        dataset.resolved(rule="average")


def test_events_resolve_to_one_date_each(dataset):
    events = dataset.resolved_events()
    assert not events["event_id"].duplicated().any()
    assert set(events["event_id"]) == set(dataset.events["event_id"])
    ev = dataset.event("full-publication")
    assert ev.date == "2010-06-10" and ev.precision == "day"


@pytest.mark.parametrize(
    ("table", "mutate", "field"),
    [
        ("figures.csv", lambda t: t.replace(",excerpt,", ",words,", 1), "excerpt"),
        ("figures.csv", lambda t: t.replace(",81,,count,", ",8l,,count,", 1), "value"),
        (
            "figures.csv",
            lambda t: t.replace(",stowe-scrs-on-the-rise,", ",stowe-blog,", 1),
            "source_id",
        ),
        ("figures.csv", lambda t: t.replace(",FY2012-13,", ",FY2012/13,", 1), "period"),
    ],
    ids=["missing column", "non-numeric value", "unknown source", "unparseable period"],
)
def test_malformed_file_names_file_line_and_field_and_loads_nothing(
    data_copy, table, mutate, field
):
    path = data_copy / table
    text = path.read_text(encoding="utf-8")
    changed = mutate(text)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    with pytest.raises(DataError) as err:
        load(data_copy)
    problem = err.value.problems[0]
    assert problem.path == str(path)
    assert problem.field in (field, "words")
    assert f"{path}:{problem.line}: " in str(err.value)
    if field != "excerpt":
        line = changed.splitlines()[problem.line - 1]
        assert line != text.splitlines()[problem.line - 1] or problem.line == 1


@pytest.mark.parametrize(
    ("series_id", "period", "values", "chosen", "rule"),
    [
        ("scr-initiated", "FY2010-11", {71, 72}, 72, "later-revision"),
        ("scr-published", "FY2012-13", {13, 31}, 31, "primary-over-retelling"),
        ("sin-total", "FY2019-20", {448, 449}, 449, "arithmetic-typo"),
    ],
)
def test_known_disagreements_are_kept_and_resolved(dataset, series_id, period, values, chosen,
                                                   rule):
    conf = dataset.conflicts()
    rows = conf[(conf["series_id"] == series_id) & (conf["period"] == period)]
    assert set(rows["value"]) == values
    assert set(rows["rule"]) == {rule}
    assert rows.loc[rows["chosen"], "value"].tolist() == [chosen]
    resolved = dataset.resolved(series_id).set_index("period")
    assert resolved.loc[period, "value"] == chosen and resolved.loc[period, "conflict"]


def test_disputed_panel_date_keeps_both_candidates(dataset):
    conf = dataset.event_conflicts()
    panel = conf[conf["event_id"] == "national-panel-established"]
    assert set(panel["date"]) == {"2013-06", "2013-07"}
    recorded = dataset.resolved_events().set_index("event_id")
    other = dataset.resolved_events(rule="alternative").set_index("event_id")
    assert recorded.loc["national-panel-established", "date"] == "2013-06"
    assert other.loc["national-panel-established", "date"] == "2013-07"


def test_dates_of_different_precision_agree_when_one_contains_the_other(dataset):
    from scrlib.record.validate import dates_agree

    assert dates_agree(["2006-04", "2006-04-01", "2006"])
    assert not dates_agree(["2013-06", "2013-07"])
    assert not dates_agree(["2009-12", "2010-03-01"])
    # 'LSCBs required' is stated to the day and to the month: one event, the day kept
    assert "lscbs-required" not in set(dataset.event_conflicts()["event_id"])
    assert dataset.resolved_events().set_index("event_id").loc["lscbs-required", "date"] == (
        "2006-04-01"
    )


def test_resolved_views_are_fresh_copies_that_callers_may_change(dataset):
    first = dataset.resolved("scr-published")
    pristine = first.copy()
    first["value"] = -1.0
    first.loc[first.index[0], "source_id"] = "changed"
    again = dataset.resolved("scr-published")
    pd.testing.assert_frame_equal(again, pristine)
    events = dataset.resolved_events()
    events["date"] = "1900-01-01"
    assert dataset.event("full-publication").date == "2010-06-10"


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def _rewrite(path, columns, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_official_statistics_are_cited_first_and_a_press_only_value_says_so(data_copy):
    """Where a press report and official statistics agree, the resolved row is the official
    figure whatever the order of the file; once the official figure is gone, 'press only'."""
    columns, rows = _rows(data_copy / "figures.csv")
    official = next(r for r in rows if r["series_id"] == "sin-total" and r["period"] == "FY2021-22")
    assert load(data_copy).source(official["source_id"]).kind == "official-statistics"
    press = dict(official, figure_id="press-sin-total-fy2021-22",
                 source_id="communitycare-sharp-rise-child-deaths-covid",
                 excerpt="there were 442 notifications", value_qualifier="exact")
    _rewrite(data_copy / "figures.csv", columns, [press, *rows])  # the press row comes first
    row = load(data_copy).resolved("sin-total").set_index("period").loc["FY2021-22"]
    assert row["source_ids"].split(";") == [official["source_id"], press["source_id"]]
    assert row["figure_id"] == official["figure_id"]
    assert row["official"] and not row["press_only"]
    _rewrite(data_copy / "figures.csv", columns,
             [press, *(r for r in rows if r["figure_id"] != official["figure_id"])])
    row = load(data_copy).resolved("sin-total").set_index("period").loc["FY2021-22"]
    assert row["source_ids"] == press["source_id"] and row["press_only"] and not row["official"]


def test_the_scr_counts_before_2016_rest_on_the_press_alone(dataset):
    """No stored official page states Ofsted's counts of SCRs initiated; the record says so."""
    initiated = dataset.resolved("scr-initiated")
    kinds = {dataset.source(s).kind for ids in initiated["source_ids"] for s in ids.split(";")}
    assert initiated["press_only"].all() == kinds.issubset({"news", "blog"})
    assert not initiated["official"].any()
