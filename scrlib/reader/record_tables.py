"""The cited record as reader tables: figures with their citations, conflicts with resolutions."""

from __future__ import annotations

import re

import pandas as pd

from scrlib.its.fmt import labelled
from scrlib.reader import words
from scrlib.reader.evidence import figure_anchor, single_figure_anchor
from scrlib.reader.notebook import with_links


def figure_table(dataset, series_ids=None) -> pd.DataFrame:
    """Every figure of ``series_ids`` (all if None) with its source and the words that state it."""
    from scrlib.record.periods import readable

    figs = dataset.figures
    if series_ids is not None:
        figs = figs[figs["series_id"].isin(list(series_ids))]
    figs = figs.sort_values(["series_id", "start", "source_id"])
    table = pd.DataFrame(
        {
            "Series": [dataset.series_info(s).name for s in figs["series_id"]],
            "Period": [readable(p) for p in figs["period"]],
            "As stated": figs["period_stated"].to_numpy(),
            "Value": figs["value"].map(words.figure).to_numpy(),
            "Source": [dataset.source(s).short for s in figs["source_id"]],
            "Excerpt": figs["excerpt"].to_numpy(),
        }
    ).pipe(labelled)
    return with_links(table, [(i, "Value", single_figure_anchor(f))
                              for i, f in enumerate(figs["figure_id"])])


def conflict_table(dataset, series_ids=None) -> pd.DataFrame:
    """Each value in conflict, its source, whether the recorded resolution chose it, and why."""
    from scrlib.record.periods import readable

    conf = dataset.conflicts()
    if series_ids is not None:
        conf = conf[conf["series_id"].isin(list(series_ids))]
    table = pd.DataFrame(
        {
            "Series": [dataset.series_info(s).name for s in conf["series_id"]],
            "Period": [readable(p) for p in conf["period"]],
            "Value": conf["value"].map(words.figure).to_numpy(),
            "Source": [dataset.source(s).short for s in conf["source_id"]],
            "Used": conf["chosen"].map({True: "yes", False: "no"}).to_numpy(),
            "Rule": [words.capitalised(words.rule(r)) for r in conf["rule"]],
            "Reason": conf["reason"].to_numpy(),
        }
    ).pipe(labelled)
    return with_links(table, [(i, "Value", single_figure_anchor(f))
                              for i, f in enumerate(conf["figure_id"])])


def resolved_table(resolved: pd.DataFrame, dataset) -> pd.DataFrame:
    """A resolved series as Series x Period with values (wide), for a quick read; periods in
    time order, written as a reader writes them."""
    from scrlib.record.periods import readable

    ordered = resolved.sort_values(["start", "end"], kind="mergesort")
    frame = ordered.assign(
        Series=[dataset.series_info(s).name for s in ordered["series_id"]],
        Period=[readable(p) for p in ordered["period"]],
    )
    wide = frame.pivot(index="Period", columns="Series", values="value")
    order = list(dict.fromkeys(frame["Period"]))
    return wide.reindex(order).rename_axis(columns=None)


# A data set's column named by its code, as a series' note cites it: "(column cin_31march,
# 'Number of children in need at 31 March')" reads "(the data set's column 'Number of ...')".
COLUMN_NAME = re.compile(r"\(column [a-z0-9_]+(?:, ('[^']*'))?\)")


def plain_ids(text: str, dataset) -> str:
    """``text`` with the record's event and series ids replaced by their labels and names,
    period codes as a reader writes them ('FY2016-17' -> '2016-17') and a data set's column
    by its label, not its code."""
    from scrlib.record.periods import readable_in

    if not isinstance(text, str) or not text:
        return text
    memo = getattr(dataset, "_memo", {})
    if "plain ids" not in memo:  # the names and their pattern, once per dataset
        names = {**{e: dataset.event(e).label for e in dataset.events["event_id"].unique()},
                 **{s: dataset.series_info(s).name for s in dataset.series["series_id"]}}
        pattern = re.compile(r"(?<![\w-])(" + "|".join(
            re.escape(k) for k in sorted(names, key=len, reverse=True)) + r")(?![\w-])")
        memo["plain ids"] = (names, pattern)
    names, pattern = memo["plain ids"]
    text = COLUMN_NAME.sub(lambda m: f"(the data set's column {m.group(1)})" if m.group(1)
                           else "(a column of the data set)", text)
    return readable_in(pattern.sub(lambda m: names[m.group(1)], text))


def readable_resolved(resolved: pd.DataFrame, dataset) -> pd.DataFrame:
    """:func:`resolved_table` for readers: values as the sources give them, a dash where no
    source gives a figure for that series and period; each value leads to its figures."""
    from scrlib.its import fmt
    from scrlib.record.periods import readable

    bounded = resolved.assign(value=[
        v if q == "exact" else f"{q} {v:,g}"  # a bound reads as the source wrote it
        for v, q in zip(resolved["value"], resolved["value_qualifier"], strict=True)])
    wide = resolved_table(bounded, dataset)
    shown = wide.apply(lambda col: [fmt.DASH if fmt.missing(v) else
                                    v if isinstance(v, str) else f"{v:,g}" for v in col])
    shown = shown.rename_axis(index="Period")
    rows = {p: i for i, p in enumerate(shown.index)}
    return with_links(shown, [
        (rows[readable(p)], dataset.series_info(s).name, figure_anchor(s, str(p)))
        for s, p in zip(resolved["series_id"], resolved["period"], strict=True)])


def share_table(shares: pd.DataFrame, successes: str, trials: str, stated=()) -> pd.DataFrame:
    """A share per year with its 95% interval (from ``analysis.share_intervals``), for readers.

    ``successes`` and ``trials`` name the two counts; each frame in ``stated`` (``year`` and
    ``stated %`` columns, from ``analysis.annual(..., name="stated %")``) adds a stated share.
    """
    view = shares[["year", "successes", "trials", "share", "ci_low", "ci_high", "conflict"]].rename(
        columns={"successes": successes, "trials": trials, "share": "share %",
                 "ci_low": "95% low", "ci_high": "95% high", "conflict": "sources disagree"})
    for frame in stated:
        view = view.merge(frame[["year", "stated %"]], on="year", how="left")
    return view


def readable_shares(shares: pd.DataFrame, successes: str, trials: str, stated=(),
                    series=()) -> pd.DataFrame:
    """:func:`share_table` for readers: shares to one decimal with their interval, a dash where
    a source states no share; with ``series`` (the two counts' ids) each count leads to its
    figures."""
    from scrlib.its import fmt

    view = pd.DataFrame({
        "Year": shares["year"].to_numpy(),
        successes: [fmt.number(v) for v in shares["successes"]],
        trials: [fmt.number(v) for v in shares["trials"]],
        "Share %": [fmt.number(v, 1) for v in shares["share"]],
        "95% interval": [f"{fmt.number(lo, 1)} to {fmt.number(hi, 1)}"
                         for lo, hi in zip(shares["ci_low"], shares["ci_high"], strict=True)],
        "Sources disagree": ["yes" if v else "no" for v in shares["conflict"]],
    })
    for frame in stated:
        found = dict(zip(frame["year"], frame["stated %"], strict=True))
        view["Stated %"] = [fmt.number(found.get(y), 1) if y in found else fmt.DASH
                            for y in view["Year"]]
    table = labelled(view)
    if not series:
        return table
    return with_links(table, [(i, column, figure_anchor(sid, f"FY{year}"))
                              for column, sid in zip((successes, trials), series, strict=True)
                              for i, year in enumerate(shares["year"])])


def series_table(dataset, series_ids=None) -> pd.DataFrame:
    """Each series: what it counts, at which stage, by whom, its years and number of figures."""
    info = dataset.series
    if series_ids is not None:
        info = info[info["series_id"].isin(list(series_ids))]
    figs = dataset.figures
    rows = []
    for s in info.itertuples(index=False):
        mine = figs[figs["series_id"] == s.series_id]
        span = (f"{mine['start'].min():%b %Y} to {mine['end'].max():%b %Y}" if len(mine) else "")
        rows.append({"Series": s.name, "Stage": str(s.stage).replace("-", " "),
                     "Counted by": s.counted_by, "Unit": s.unit, "Figures": len(mine),
                     "Covers": span, "Definition": plain_ids(s.definition, dataset),
                     "Caveats": plain_ids(s.note, dataset)})
    return labelled(pd.DataFrame(rows))


def event_table(dataset, rule: str = "recorded") -> pd.DataFrame:
    """The policy timeline: each event's (resolved) date, precision, label and source."""
    from scrlib.record.records import human_date

    ev = dataset.resolved_events(rule=rule)
    counts = dataset.events.groupby("event_id")["source_id"].nunique()
    return pd.DataFrame({
        "Date": [human_date(str(d)) for d in ev["date"]],
        "Precision": ev["precision"].to_numpy(),
        "Event": ev["label"].to_numpy(),
        "What happened": ev["description"].to_numpy(),
        "Source": [dataset.source(s).short for s in ev["source_id"]],
        "Sources": [int(counts[e]) for e in ev["event_id"]],
    }).pipe(labelled)


def event_conflict_table(dataset) -> pd.DataFrame:
    """Each candidate date of a disputed event, its source, whether it is used, and why."""
    from scrlib.record.records import human_date

    conf = dataset.event_conflicts()
    return pd.DataFrame({
        "Event": [dataset.event(e).label for e in conf["event_id"]],
        "Date": [human_date(str(d)) for d in conf["date"]],
        "Source": [dataset.source(s).short for s in conf["source_id"]],
        "Excerpt": conf["excerpt"].to_numpy(),
        "Used": conf["chosen"].map({True: "yes", False: "no"}).to_numpy(),
        "Rule": [words.capitalised(words.rule(r)) for r in conf["rule"]],
        "Reason": conf["reason"].to_numpy(),
    }).pipe(labelled)


def copy_table(dataset) -> pd.DataFrame:
    """Each copy (mirror, reprint or document-sharing page): its original, registered or why
    not, what it is cited for, and how many of its series-periods rest on copies alone."""
    from scrlib.study import analysis

    alone = analysis.copy_only(dataset)
    alone_ids = [set(c.split(";")) for c in alone["copies"]]
    alone_events = [set(c.split(";")) for c in analysis.copy_only_events(dataset)["copies"]]
    rows = []
    for source_id in dataset.sources["source_id"]:
        source = dataset.source(source_id)
        if not source.is_copy:
            continue
        if source.mirror_of:
            original = dataset.source(source.mirror_of)
            named = f"{original.publisher}: {original.title}"
        else:
            named = source.original_note.split(". Original stored")[0].removeprefix("Original: ")
        figures = dataset.figures[dataset.figures["source_id"] == source_id]
        events = dataset.events[dataset.events["source_id"] == source_id]
        rows.append({
            "Copy": source.short,
            "Original": named,
            "Original registered": "yes" if source.mirror_of else "no",
            "Figures": len(figures),
            "Event dates": len(events),
            "Series-periods on copies alone": sum(source_id in ids for ids in alone_ids),
            "Event dates on copies alone": sum(source_id in ids for ids in alone_events),
        })
    return labelled(pd.DataFrame(rows))


def copy_only_table(dataset) -> pd.DataFrame:
    """The series-periods whose every figure cites a copy, for readers: series, period, values
    and the copies (by publisher)."""
    from scrlib.record.periods import readable
    from scrlib.study import analysis

    alone = analysis.copy_only(dataset)
    return labelled(pd.DataFrame({
        "Series": [dataset.series_info(s).name for s in alone["series_id"]],
        "Period": [readable(p) for p in alone["period"]],
        "Values": alone["values"].to_numpy(),
        "Read only on": ["; ".join(dataset.source(c).short for c in cs.split(";"))
                         for cs in alone["copies"]]}, columns=["Series", "Period", "Values",
                                                               "Read only on"]))


def copy_only_events_table(dataset) -> pd.DataFrame:
    """The event dates that rest on copies alone, for readers."""
    from scrlib.record.records import human_date
    from scrlib.study import analysis

    alone = analysis.copy_only_events(dataset)
    return labelled(pd.DataFrame({
        "Event": [dataset.event(e).label for e in alone["event_id"]],
        "Dates given": [", ".join(human_date(d) for d in str(v).split(", "))
                        for v in alone["dates"]],
        "Read only on": ["; ".join(dataset.source(c).short for c in cs.split(";"))
                         for cs in alone["copies"]]}, columns=["Event", "Dates given",
                                                               "Read only on"]))
