"""The whole record, 2003 to 2026, across its review systems: what a chart of it may join, rates
per child with exact intervals, reviews per notification within a system, and a trend within a
system where its years allow one.

A series counts under one review system over a range of periods (``series-systems.csv``); a
change of system is a break in definition, never an effect. So nothing here joins, compares or
models figures across a change of system: a chart's line is cut there and at every missing year,
a share pairs two counts of the same system and year, and a trend is fitted within one system.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrlib.record.periods import fiscal_label, parse_period, readable

YEAR_KINDS = ("FY", "CY", "PY")  # whole years: drawn as points
LONGER = 12.5  # a period of more months than this is drawn as its yearly average
DRAWN, AVERAGE, NOT_DRAWN, NO_FIGURE = ("year", "yearly average", "not drawn", "no figure")
LEVEL = 0.95


# -- what the chart draws ------------------------------------------------------------------------
def pieces(dataset, series_ids, *, rule: str = "recorded") -> pd.DataFrame:
    """Every resolved figure of ``series_ids``, with how a chart of the whole record draws it
    and which line piece it belongs to.

    ``drawn``: ``year`` (a whole year, a point), ``yearly average`` (a period longer than a
    year, drawn over its months at its yearly average ``per_year``) or ``not drawn`` (a part of a
    year, a count on one day or a bound: listed, never drawn). ``piece`` numbers the line pieces
    of a series from 1: consecutive whole years of one kind counted under one system; a missing
    year, a change of system or of the kind of year starts a new piece (0: not on a line).
    """
    series_ids = list(series_ids)
    resolved = dataset.resolved(series_ids, rule=rule)
    rows = []
    for series_id in series_ids:
        mine = resolved[resolved["series_id"] == series_id].sort_values(["start", "end"])
        piece, last = 0, None
        for r in mine.itertuples(index=False):
            parsed = parse_period(r.period)
            system = dataset.system_of(series_id, r.period)
            months = parsed.months
            if r.value_qualifier != "exact" or (parsed.kind not in YEAR_KINDS
                                                and months <= LONGER):
                drawn, per_year, on = NOT_DRAWN, math.nan, 0
            elif parsed.kind in YEAR_KINDS:
                joined = (last is not None and last["drawn"] == DRAWN
                          and r.start - last["end"] <= pd.Timedelta(days=1)
                          and last["system_id"] == system and last["kind"] == parsed.kind)
                piece += 0 if joined else 1
                drawn, per_year, on = DRAWN, float(r.value), piece
            else:
                piece += 1
                drawn, per_year, on = AVERAGE, float(r.value) * 12 / months, piece
            row = {"series_id": series_id, "series": dataset.series_info(series_id).name,
                   "system_id": system, "system": _system_name(dataset, system),
                   "period": r.period, "period_text": readable(r.period), "kind": parsed.kind,
                   "start": r.start, "end": r.end, "months": months, "value": float(r.value),
                   "qualifier": r.value_qualifier, "drawn": drawn, "per_year": per_year,
                   "piece": on, "source_ids": r.source_ids, "official": bool(r.official),
                   "press_only": bool(r.press_only)}
            rows.append(row)
            if drawn != NOT_DRAWN:
                last = row
    return pd.DataFrame(rows, columns=COLUMNS)


COLUMNS = ["series_id", "series", "system_id", "system", "period", "period_text", "kind", "start",
           "end", "months", "value", "qualifier", "drawn", "per_year", "piece", "source_ids",
           "official", "press_only"]


def _system_name(dataset, system_id: str) -> str:
    if not system_id:
        return ""
    hit = dataset.systems[dataset.systems["system_id"] == system_id]
    return str(hit["name"].iloc[0]) if len(hit) else system_id


def financial_year(day: pd.Timestamp) -> pd.Period:
    """The financial year (April to March) that contains ``day``."""
    return pd.Period(pd.Timestamp(day), freq="Y-MAR")


def missing_years(dataset, table: pd.DataFrame) -> pd.DataFrame:
    """For each series of ``table`` (:func:`pieces`), each run of financial years that no drawn
    figure touches, from its first drawn figure to its last (and on to the last whole year of
    its system, where that system has ended): ``series_id``, ``first``, ``last`` (Periods),
    ``period_text`` ('2011-12', '2016-17 to 2018-19'), ``system_id``."""
    rows = []
    for series_id, mine in table.groupby("series_id", sort=False):
        drawn = mine[mine["drawn"] != NOT_DRAWN]
        if drawn.empty:
            continue
        first = financial_year(drawn["start"].min())
        last = financial_year(drawn["end"].max())
        final = drawn.sort_values("end").iloc[-1]
        ended = _system_end(dataset, final["system_id"])
        if ended is not None:
            through = financial_year(ended - pd.Timedelta(days=1))
            if through.end_time.normalize() >= ended:  # the system ends inside that year
                through -= 1
            last = max(last, through)
        run: list[pd.Period] = []
        for year in pd.period_range(first, last, freq="Y-MAR"):
            touched = ((drawn["start"] <= year.end_time) & (drawn["end"] >= year.start_time)).any()
            if not touched:
                run.append(year)
                continue
            if run:
                rows.append(_run(series_id, run, dataset))
                run = []
        if run:
            rows.append(_run(series_id, run, dataset))
    return pd.DataFrame(rows, columns=["series_id", "first", "last", "period_text", "system_id"])


def _run(series_id: str, run: list, dataset) -> dict:
    text = fiscal_label(run[0]) + ("" if len(run) == 1 else f" to {fiscal_label(run[-1])}")
    code = f"FY{fiscal_label(run[0])}"
    return {"series_id": series_id, "first": run[0], "last": run[-1], "period_text": text,
            "system_id": dataset.system_of(series_id, code)}


def _system_end(dataset, system_id: str):
    if not system_id:
        return None
    hit = dataset.systems[dataset.systems["system_id"] == system_id]
    if hit.empty or pd.isna(hit["end"].iloc[0]):
        return None
    return pd.Timestamp(hit["end"].iloc[0])


def chart_data(dataset, table: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """What the chart of the whole record shows, for readers (its CSV): one row per figure and
    per run of missing years, by series and time, with how each is drawn and its line piece
    (empty where nothing is joined)."""
    rows = []
    for r in table.itertuples(index=False):
        rows.append({"Series": r.series, "Counted under": r.system or "no one system",
                     "Period": r.period_text, "start": r.start, "Figure": r.value,
                     "Drawn as": {DRAWN: "a point", AVERAGE: "its yearly average",
                                  NOT_DRAWN: "not drawn (part of a year, one day or a bound)"
                                  }[r.drawn],
                     "Yearly figure drawn": r.per_year if r.drawn != NOT_DRAWN else math.nan,
                     "Line piece": r.piece if r.drawn == DRAWN else math.nan})
    for g in gaps.itertuples(index=False):
        rows.append({"Series": dataset.series_info(g.series_id).name,
                     "Counted under": _system_name(dataset, g.system_id) or "no one system",
                     "Period": g.period_text, "start": g.first.start_time, "Figure": math.nan,
                     "Drawn as": NO_FIGURE, "Yearly figure drawn": math.nan,
                     "Line piece": math.nan})
    order = {s: i for i, s in enumerate(dict.fromkeys(table["series"]))}
    frame = pd.DataFrame(rows)
    frame["_order"] = frame["Series"].map(order)
    frame = frame.sort_values(["_order", "start"], kind="mergesort")
    frame["Line piece"] = frame["Line piece"].astype("Int64")
    return frame.drop(columns=["_order", "start"]).reset_index(drop=True)


def system_spans(dataset, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """The review systems in force at some time from ``first`` to ``last``, clipped to it, in
    order of their start: ``system_id``, ``name``, ``start``, ``end`` (``last`` where still in
    force), ``clipped_start``, ``in_force``."""
    systems = dataset.systems.sort_values(["start", "system_id"], kind="mergesort")
    rows = []
    for s in systems.itertuples(index=False):
        end = last if pd.isna(s.end) else pd.Timestamp(s.end)
        if end < first or pd.Timestamp(s.start) > last:
            continue
        rows.append({"system_id": s.system_id, "name": s.name, "start": max(s.start, first),
                     "end": min(end, last), "clipped_start": s.start < first,
                     "in_force": pd.isna(s.end)})
    return pd.DataFrame(rows, columns=["system_id", "name", "start", "end", "clipped_start",
                                       "in_force"])


# -- rates per child -------------------------------------------------------------------------------
def day_before(year: pd.Period) -> str:
    """The period code of 31 March before financial year ``year`` starts (a count at that
    date: DfE pairs each reporting year with the children in need at 31 March before it)."""
    day = (year.start_time - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    return f"{day}..{day}"


PAIRING = {"same year": "the figure for the same year",
           "31 March before": "the count at 31 March before the year starts"}


def denominator_for(dataset, series_id: str, *, rule: str = "recorded") -> tuple[dict, str]:
    """``{financial year Period: (value, period code, source ids)}`` for a denominator, and how
    it pairs with a year: a yearly series by the same year; a count at 31 March by the day
    before the year starts (as DfE pairs children in need with a reporting year)."""
    rows = dataset.resolved(series_id, rule=rule)
    rows = rows[rows["value_qualifier"] == "exact"]
    out: dict = {}
    if len(rows) and (rows["period_kind"] == "FY").all():
        for r in rows.itertuples(index=False):
            out[r.fiscal_year] = (float(r.value), r.period, r.source_ids)
        return out, "same year"
    for r in rows.itertuples(index=False):
        parsed = parse_period(r.period)
        if parsed.start == parsed.end and parsed.start.month == 3 and parsed.start.day == 31:
            year = financial_year(parsed.start + pd.Timedelta(days=1))
            out[year] = (float(r.value), r.period, r.source_ids)
    return out, "31 March before"


def poisson_interval(count: float, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Garwood) interval of a Poisson mean given one ``count``."""
    from scipy import stats

    alpha = 1 - level
    low = 0.0 if count == 0 else stats.chi2.ppf(alpha / 2, 2 * count) / 2
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low), float(high)


def rates(dataset, table: pd.DataFrame, denominator: str, per: float, *,
          rule: str = "recorded") -> pd.DataFrame:
    """Each whole financial year of ``table`` (:func:`pieces`) with a figure of ``denominator``
    paired to it: the count per ``per`` of the denominator, with the exact Poisson interval of
    the count over the denominator taken as known. Columns: ``series_id``, ``series``,
    ``system_id``, ``system``, ``period``, ``year``, ``count``, ``denominator``,
    ``denominator_period``, ``rate``, ``ci_low``, ``ci_high``, ``piece``, ``source_ids``."""
    found, _ = denominator_for(dataset, denominator, rule=rule)
    rows = []
    for r in table[(table["drawn"] == DRAWN) & (table["kind"] == "FY")].itertuples(index=False):
        year = financial_year(r.start)
        if year not in found:
            continue
        value, period, sources = found[year]
        low, high = poisson_interval(r.value)
        rows.append({"series_id": r.series_id, "series": r.series, "system_id": r.system_id,
                     "system": r.system, "period": r.period, "year": fiscal_label(year),
                     "count": r.value, "denominator": value, "denominator_period": period,
                     "rate": per * r.value / value, "ci_low": per * low / value,
                     "ci_high": per * high / value, "source_ids": f"{r.source_ids};{sources}"})
    frame = pd.DataFrame(rows, columns=["series_id", "series", "system_id", "system", "period",
                                        "year", "count", "denominator", "denominator_period",
                                        "rate", "ci_low", "ci_high", "source_ids"])
    frame["piece"] = _rate_pieces(frame)
    return frame


def _rate_pieces(frame: pd.DataFrame) -> list[int]:
    """Line pieces of a rates table: consecutive years of one series under one system."""
    out, last = [], None
    piece = 0
    for r in frame.itertuples(index=False):
        year = pd.Period(f"{int(r.year[:4]) + 1}", freq="Y-MAR")
        joined = (last is not None and last[0] == r.series_id and last[1] == r.system_id
                  and last[2] + 1 == year)
        piece = piece if joined else (piece + 1 if last is not None and last[0] == r.series_id
                                      else 1)
        out.append(piece)
        last = (r.series_id, r.system_id, year)
    return out


def check_pairing(dataset, counts: str, beside: str, *, rule: str = "recorded") -> list[str]:
    """Where a data set shows a denominator beside each year (``beside``), whether pairing the
    counts of ``counts`` by :func:`denominator_for` gives the same value: a sentence for each
    year where it does not (none when the pairing is the publisher's)."""
    mine, _ = denominator_for(dataset, counts, rule=rule)
    theirs, _ = denominator_for(dataset, beside, rule=rule)
    return [f"{fiscal_label(year)}: {value:,.0f} beside the year, {mine[year][0]:,.0f} by the "
            "pairing used here" for year, (value, _, _) in sorted(theirs.items())
            if year in mine and mine[year][0] != value]


# -- reviews per notification, within a system ---------------------------------------------------
def per_notification(dataset, table: pd.DataFrame, reviews, notifications, *,
                     method: str = "beta") -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Reviews per notification in each financial year where a review series and a notification
    series both have a whole-year figure counted under the same system, with the share's 95%
    interval (``analysis.share_intervals``: ``beta``, exact, or ``wilson``); and the pairs of
    series that have years in common but count them under different systems (never
    divided)."""
    from scrlib.study.analysis import share_intervals

    years = table[(table["drawn"] == DRAWN) & (table["kind"] == "FY")]
    rows, apart = [], []
    for review in reviews:
        for notified in notifications:
            a = years[years["series_id"] == review].set_index("period")
            b = years[years["series_id"] == notified].set_index("period")
            common = [p for p in a.index if p in b.index]
            both = [p for p in common
                    if a.loc[p, "system_id"] and a.loc[p, "system_id"] == b.loc[p, "system_id"]]
            if common and not both:
                apart.append((review, notified))
            for period in both:
                year = financial_year(a.loc[period, "start"])
                rows.append({"review": review, "notification": notified,
                             "system_id": a.loc[period, "system_id"],
                             "system": a.loc[period, "system"], "period": period,
                             "fiscal_year": year, "year": fiscal_label(year),
                             "successes": a.loc[period, "value"],
                             "trials": b.loc[period, "value"],
                             "source_ids": f"{a.loc[period, 'source_ids']};"
                                           f"{b.loc[period, 'source_ids']}",
                             "conflict": False})
    frame = pd.DataFrame(rows, columns=["review", "notification", "system_id", "system", "period",
                                        "fiscal_year", "year", "successes", "trials",
                                        "source_ids", "conflict"])
    frame["share"] = 100 * frame["successes"] / frame["trials"]
    if len(frame):
        frame = share_intervals(frame, method=method)
    else:
        frame = frame.assign(ci_low=pd.Series(dtype=float), ci_high=pd.Series(dtype=float))
    return frame, apart


# -- a trend within one system -----------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    """A trend fitted within one system, or why none was: ``result`` (an ItsResult, or None),
    the years it rests on and, when ``result`` is None, ``reason`` in words."""

    series_id: str
    system_id: str
    system: str
    exposure: str  # the denominator series ('' for the counts alone)
    years: tuple[str, ...]
    result: object = None
    reason: str = ""

    @property
    def ratio(self) -> dict | None:
        """The yearly rate ratio with its 95% interval and p (``ItsResult.trend``)."""
        if self.result is None:
            return None
        row = self.result.trend.iloc[0]
        return {"rate_ratio": float(row["rate_ratio"]), "ci_low": float(row["ci_low"]),
                "ci_high": float(row["ci_high"]), "p_value": float(row["p_value"])}


def trends(dataset, table: pd.DataFrame, series_id: str, exposures, *, family: str,
           min_years: int, rule: str = "recorded") -> list[Trend]:
    """For each system that counts ``series_id`` and each exposure (a denominator series, or
    '' for none): a log-linear trend in the whole years counted under that system alone
    (:func:`scrlib.its.fit` with no intervention, the exposure as a log offset), where at least
    ``min_years`` years have both figures; otherwise why not. Never across systems."""
    from scrlib import its

    years = table[(table["series_id"] == series_id) & (table["drawn"] == DRAWN)
                  & (table["kind"] == "FY")]
    out = []
    for system_id, rows in years.groupby("system_id", sort=False):
        for exposure in exposures:
            found = denominator_for(dataset, exposure, rule=rule)[0] if exposure else None
            data = pd.DataFrame({"year": [financial_year(s) for s in rows["start"]],
                                 "count": rows["value"].to_numpy()})
            if found is not None:
                data["exposure"] = [found.get(y, (math.nan,))[0] for y in data["year"]]
                data = data.dropna(subset=["exposure"])
            labels = tuple(fiscal_label(y) for y in data["year"])
            common = {"series_id": series_id, "system_id": system_id,
                      "system": _system_name(dataset, system_id), "exposure": exposure,
                      "years": labels}
            if len(data) < min_years:
                out.append(Trend(**common, reason=_too_few(len(data), min_years, exposure,
                                                           dataset)))
                continue
            try:
                result = its.fit(data.reset_index(drop=True), outcome="count", time="year",
                                 interventions={}, family=family,
                                 offset="exposure" if exposure else None)
            except (its.IdentificationError, its.ConvergenceError, ValueError) as err:
                out.append(Trend(**common, reason=f"the years do not identify a trend ({err})"))
                continue
            out.append(Trend(**common, result=result))
    return out


def _too_few(n: int, needed: int, exposure: str, dataset) -> str:
    what = (f"with {dataset.series_info(exposure).name.split(' (')[0].lower()} beside it"
            if exposure else "with a figure")
    count = "no year" if n == 0 else "only 1 year" if n == 1 else f"only {n} years"
    return f"{count} {what}; a trend here needs at least {needed}"


def trend_percent(ratio: float) -> float:
    """A yearly rate ratio as a percentage change a year (0.95 -> -5.0)."""
    return 100 * (float(ratio) - 1)


def first_last(table: pd.DataFrame, series_id: str, system_id: str) -> tuple | None:
    """The first and last whole-year rows of ``series_id`` under ``system_id`` (None if fewer
    than two)."""
    rows = table[(table["series_id"] == series_id) & (table["system_id"] == system_id)
                 & (table["drawn"] == DRAWN)].sort_values("start")
    if len(rows) < 2:
        return None
    return rows.iloc[0], rows.iloc[-1]


def span_of(table: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last day the drawn figures of ``table`` cover, widened to whole financial
    years."""
    drawn = table[table["drawn"] != NOT_DRAWN]
    return (financial_year(drawn["start"].min()).start_time.normalize(),
            financial_year(drawn["end"].max()).end_time.normalize())


def segments(xs, ys) -> list[list[tuple]]:
    """The pieces of a plotted line: runs of points between NaNs (what a reader sees joined)."""
    out, run = [], []
    for x, y in zip(xs, ys, strict=True):
        if y is None or (isinstance(y, float) and math.isnan(y)) or np.isnan(float(y)):
            if run:
                out.append(run)
            run = []
        else:
            run.append((x, float(y)))
    if run:
        out.append(run)
    return out
