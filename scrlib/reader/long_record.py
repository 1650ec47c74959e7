"""The whole record, 2003 to 2026, for readers: its chart (each series cut at every change of
system and every missing year, the review systems shaded and labelled beneath), the chart of
rates per child, the reader tables, the plain answer and the index's few sentences.

Every number in the answer and the index's sentences is computed from the record, and each
leads to its evidence (a figure's words, or the entry saying how it was computed from them);
every word of strength comes from :mod:`scrlib.reader.phrasebook`.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from scrlib.its import fmt
from scrlib.reader import labels as chart_labels
from scrlib.reader import phrasebook
from scrlib.reader.answers import Answer, KeyMessage, _join, _numbers, mid_sentence
from scrlib.reader.evidence import figure_anchor
from scrlib.reader.notebook import with_links
from scrlib.reader.plot import STYLES, add_source_line, configure
from scrlib.record.cite import source_line
from scrlib.record.periods import fiscal_label, readable
from scrlib.study import long_record as lr

INDEX_FILE = "long-record.json"
LIMIT = 120  # words in the plain answer


# -- the chart of the whole record -----------------------------------------------------------------
def _mid(start, end) -> pd.Timestamp:
    return start + (end - start) / 2


def _series_line(ax, dataset, table: pd.DataFrame, gaps: pd.DataFrame, series_id: str,
                 style: dict) -> list:
    """Draw one series: each line piece (consecutive whole years under one system) as a line
    of its own, never joined to the next; each figure for a longer period as a bar at its
    yearly average; "no figure" over each run of missing years. Returns (handle, label) for
    the legend: the series once."""
    rows = table[table["series_id"] == series_id].sort_values("start")
    name = dataset.series_info(series_id).name
    years = rows[rows["drawn"] == lr.DRAWN]
    legend = []
    for _, piece in years.groupby("piece", sort=True):
        label = (f"{name}, {piece['period_text'].iloc[0]}" if len(piece) == 1 else
                 f"{name}, {piece['period_text'].iloc[0]} to {piece['period_text'].iloc[-1]}")
        (line,) = ax.plot(list(_mid(piece["start"], piece["end"])), list(piece["value"]),
                          label=label, markersize=5, linewidth=1.4, zorder=3, **style)
        if not legend:
            legend.append((line, name))
    for r in rows[rows["drawn"] == lr.AVERAGE].itertuples(index=False):
        (bar,) = ax.plot([r.start, r.end], [r.per_year, r.per_year], color=style["color"],
                         linewidth=4.5, alpha=0.5, solid_capstyle="butt", zorder=2,
                         label=f"{name}, yearly average over {r.period_text}")
        if not legend:
            legend.append((bar, name))
    drawn = rows[rows["drawn"] != lr.NOT_DRAWN].sort_values("start")
    for g in gaps[gaps["series_id"] == series_id].itertuples(index=False):
        start, end = g.first.start_time, g.last.end_time
        before = drawn[drawn["end"] < start]
        after = drawn[drawn["start"] > end]
        level = (before.iloc[-1]["per_year"] if len(before) else after.iloc[0]["per_year"])
        ax.annotate("no figure", (_mid(start, end), level), xytext=(0, 7),
                    textcoords="offset points", ha="center", fontsize=6.5, color="0.25",
                    style="italic", zorder=4)
    return legend


def _shade(ax, bounds: list) -> None:
    """Alternate light bands between the dates the systems of the drawn series start and end."""
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        if i % 2:
            ax.axvspan(a, b, color="0.93", zorder=0, linewidth=0)
    for day in bounds[1:-1]:
        ax.axvline(day, color="0.55", linewidth=0.7, linestyle=":", zorder=1)


def _strip(ax, systems: pd.DataFrame, last: pd.Timestamp) -> None:
    """The review systems as labelled bars, one row each, in order of their start; each name
    beside its bar, never across its edge: after the bar, or before it where the bar runs to the
    end of the record."""
    for i, s in enumerate(systems.itertuples(index=False)):
        ax.barh(i, s.end - s.start, left=s.start, height=0.72, color="0.82",
                edgecolor="0.35", linewidth=0.6)
        near_end = s.end >= last - pd.Timedelta(days=365 * 4)
        text = s.name + (" (began earlier)" if s.clipped_start else "") + (
            " (in force)" if s.in_force else "")
        ax.annotate(text, (s.start if near_end else s.end, i),
                    xytext=(-3 if near_end else 3, 0), textcoords="offset points",
                    ha="right" if near_end else "left", va="center", fontsize=6.8,
                    color="0.05")
    ax.set_ylim(len(systems) - 0.5, -0.5)
    ax.set_yticks([])
    ax.spines[["left", "top", "right"]].set_visible(False)
    ax.set_ylabel("Review\nsystems", rotation=0, ha="right", va="center", fontsize=8)


def _year_ticks(ax, first: pd.Timestamp, last: pd.Timestamp, step: int = 2) -> None:
    """Year boundaries as small ticks, every ``step``-th financial year labelled at its
    middle (where its point is drawn)."""
    years = pd.period_range(lr.financial_year(first), lr.financial_year(last), freq="Y-MAR")
    ax.set_xticks([y.start_time for y in years], minor=True)
    shown = years[::step]
    ax.set_xticks([_mid(y.start_time, y.end_time) for y in shown],
                  [fiscal_label(y) for y in shown], fontsize=7.5)
    ax.tick_params(axis="x", which="major", length=0)
    ax.tick_params(axis="x", which="minor", length=3)
    ax.set_xlim(first, last)


def styles_for(series_ids) -> dict:
    """One style per series (greyscale-readable: marker and line style differ), the same in
    every panel and chart of the record."""
    extra = [{"marker": "v", "linestyle": (0, (5, 1, 1, 1)), "color": "0.35"},
             {"marker": "P", "linestyle": (0, (1, 1)), "color": "0.5"}]
    every = [*STYLES, *extra]
    return {s: every[i % len(every)] for i, s in enumerate(dict.fromkeys(series_ids))}


def _bounds(dataset, table: pd.DataFrame, first, last) -> list:
    """The dates within ``first`` to ``last`` on which a system of the drawn series starts or
    ends, with the two ends."""
    systems = lr.system_spans(dataset, first, last)
    used = set(table.loc[table["drawn"] != lr.NOT_DRAWN, "system_id"]) - {""}
    return sorted({first, last, *(d for s in systems.itertuples(index=False)
                                  if s.system_id in used for d in (s.start, s.end))})


def plot_record(dataset, table: pd.DataFrame, gaps: pd.DataFrame, panels, *,
                title: str | None = None, width: float = 8.0, height: float = 3.0):
    """The whole record on one time axis: a panel per group of series (``panels``: ``(y
    label, series ids)``), each series its own line, cut at every change of system and every
    missing year ("no figure" written there), a figure for a longer period as a bar at its
    yearly average; the review systems beneath, shaded and labelled. Returns the Figure."""
    configure()
    first, last = lr.span_of(table)
    systems = lr.system_spans(dataset, first, last)
    strip = max(1.0, 0.3 * len(systems))
    fig = Figure(figsize=(width, height * len(panels) + strip + 0.9), layout="constrained")
    axes = fig.subplots(len(panels) + 1, 1, sharex=True,
                        gridspec_kw={"height_ratios": [height] * len(panels) + [strip]})
    bounds = _bounds(dataset, table, first, last)
    style = styles_for(s for _, ids in panels for s in ids)
    for ax, (label, ids) in zip(axes[:-1], panels, strict=True):
        _shade(ax, bounds)
        handles = []
        for series_id in ids:
            handles += _series_line(ax, dataset, table, gaps, series_id, style[series_id])
        handles, labels = [h for h, _ in handles], [lb for _, lb in handles]
        shown = table[table["series_id"].isin(list(ids))]
        top = shown["per_year"].max()
        many = len(handles) > 4  # a legend of three rows: room above the lines
        ax.set_ylim(0, (top if top == top else 1) * (1.8 if many else 1.3))
        ax.set_ylabel(label)
        ax.legend(handles, labels, loc="upper left", fontsize=7, frameon=False,
                  ncols=2 if len(handles) > 2 else 1)
        ax.grid(axis="y", color="0.88", linewidth=0.5)
    _strip(axes[-1], systems, last)
    _year_ticks(axes[-1], first, last)
    axes[-1].set_xlabel("Financial year (April to March). A thick bar: a figure for a longer "
                        "period, at its yearly average.\nThe shading changes, at a dotted line, "
                        "where a review system below starts or ends", fontsize=7.5)
    if title:
        axes[0].set_title(title, loc="left", fontsize=10)
    sources = [*table["source_ids"], *systems_sources(dataset, systems)]
    add_source_line(fig, source_line(dataset, sources))
    names = [dataset.series_info(s).name for _, ids in panels for s in ids]
    fig.scrlib_alt = (
        f"{title + ': ' if title else ''}{_join_names(names)}, each year from "
        f"{first:%Y} to {last:%Y} on an axis from zero; each line stops where the review "
        f"system changes or a year has no figure, and the {len(systems)} review systems are "
        "shaded and named beneath.")
    chart_labels.declutter(fig)
    return fig


def _join_names(names) -> str:
    names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def systems_sources(dataset, systems: pd.DataFrame) -> list[str]:
    """The sources that date the systems shown (their start and end events)."""
    rows = dataset.systems[dataset.systems["system_id"].isin(list(systems["system_id"]))]
    return [s for s in [*rows["start_source_id"], *rows["end_source_id"]] if s]


def plot_rates(dataset, frames, table: pd.DataFrame, *, title: str | None = None,
               width: float = 8.0):
    """Rates per child on one time axis, a panel per denominator (``frames``: ``(y label,
    rates table)`` from :func:`scrlib.study.long_record.rates`): each series a line cut at
    every change of system and missing year, each year with its exact 95% interval; the
    shading changes where a system of ``table``'s series (:func:`pieces`) starts or ends."""
    configure()
    frames = [(label, f) for label, f in frames if len(f)]
    fig = Figure(figsize=(width, 2.7 * len(frames) + 0.9), layout="constrained")
    axes = fig.subplots(len(frames), 1, sharex=True, squeeze=False)[:, 0]
    starts = [lr.financial_year(f"{y[:4]}-04-01") for _, f in frames for y in f["year"]]
    first, last = min(starts).start_time, max(starts).end_time.normalize()
    sources = []
    bounds = _bounds(dataset, table, *lr.span_of(table))  # the same shading as the record's
    styles = styles_for(table["series_id"])
    for ax, (label, frame) in zip(axes, frames, strict=True):
        _shade(ax, bounds)
        order = list(dict.fromkeys(frame["series_id"]))
        handles = []
        for series_id in order:
            rows = frame[frame["series_id"] == series_id]
            style = styles[series_id]
            name = dataset.series_info(series_id).name
            for _, piece in rows.groupby("piece", sort=True):
                x = [_mid(y.start_time, y.end_time) for y in
                     (lr.financial_year(f"{year[:4]}-04-01") for year in piece["year"])]
                shown = (f"{name}, {piece['year'].iloc[0]}" if len(piece) == 1 else
                         f"{name}, {piece['year'].iloc[0]} to {piece['year'].iloc[-1]}")
                (line,) = ax.plot(x, list(piece["rate"]), markersize=4.5, linewidth=1.3,
                                  label=shown, zorder=3, **style)
                ax.vlines(x, piece["ci_low"], piece["ci_high"], color=style["color"],
                          linewidth=1.0, zorder=2)
                if not any(lb == name for _, lb in handles):
                    handles.append((line, name))
        ax.set_ylim(0, frame["ci_high"].max() * 1.3)
        ax.set_ylabel(label)
        ax.legend([h for h, _ in handles], [lb for _, lb in handles], loc="upper left",
                  fontsize=7, frameon=False, ncols=2 if len(order) > 2 else 1)
        ax.grid(axis="y", color="0.88", linewidth=0.5)
        sources += list(frame["source_ids"])
    _year_ticks(axes[-1], first, last, step=1)
    for tick in axes[-1].get_xticklabels():
        tick.set_rotation(45)
        tick.set_ha("right")
    axes[-1].set_xlabel("Financial year (April to March). Lines: the exact 95% interval of each "
                        "year's count, the number of children taken as known.\nThe shading "
                        "changes where a review system starts or ends", fontsize=7.5)
    if title:
        axes[0].set_title(title, loc="left", fontsize=10)
    add_source_line(fig, source_line(dataset, sources))
    names = [dataset.series_info(s).name for _, f in frames for s in dict.fromkeys(f["series_id"])]
    fig.scrlib_alt = (
        f"{title + ': ' if title else ''}{_join_names(names)} "
        f"{' and '.join(label for label, _ in frames)}, each year from {first:%Y} to "
        f"{last:%Y} with its exact 95% interval, on an axis from zero; each line stops where "
        "the review system changes or a year has no figure.")
    chart_labels.declutter(fig)
    return fig


# -- reader tables ---------------------------------------------------------------------------------
def stated_by(row) -> str:
    """Who states a resolved value, in words: official statistics (or Parliament), the press
    only, or other reports."""
    if row["official"]:
        return "official statistics or Parliament"
    if row["press_only"]:
        return "press only"
    return "reports"


def record_table(dataset, table: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """Every figure of the chart and every run of missing years, series by series, with how
    the chart draws it and who states it; each figure leads to its evidence."""
    rows = []
    for r in table.itertuples(index=False):
        rows.append({"Series": r.series, "Counted under": r.system or "no one system",
                     "Period": r.period_text, "Figure": f"{r.value:,g}" if r.qualifier ==
                     "exact" else f"{r.qualifier} {r.value:,g}",
                     "Drawn": {lr.DRAWN: "a point", lr.AVERAGE:
                               f"{fmt.number(r.per_year)} a year over the period",
                               lr.NOT_DRAWN: "listed only"}[r.drawn],
                     "Stated by": stated_by(r._asdict()), "_start": r.start,
                     "_anchor": figure_anchor(r.series_id, r.period)})
    for g in gaps.itertuples(index=False):
        rows.append({"Series": dataset.series_info(g.series_id).name,
                     "Counted under": lr._system_name(dataset, g.system_id) or "no one system",
                     "Period": g.period_text, "Figure": fmt.DASH, "Drawn": "no figure",
                     "Stated by": "no source found", "_start": g.first.start_time,
                     "_anchor": ""})
    frame = pd.DataFrame(rows)
    order = {s: i for i, s in enumerate(dict.fromkeys(frame["Series"]))}
    frame = frame.assign(_order=frame["Series"].map(order)).sort_values(
        ["_order", "_start"], kind="mergesort").reset_index(drop=True)
    anchors = list(frame["_anchor"])
    shown = fmt.labelled(frame.drop(columns=["_order", "_start", "_anchor"]))
    return with_links(shown, [(i, "Figure", a) for i, a in enumerate(anchors) if a])


def per_words(per: float, denominator: str, dataset) -> str:
    """'per 1,000 children in need at 31 March' (the denominator's name, as it reads)."""
    return f"per {per:,.0f} {mid_sentence(plain_denominator(dataset, denominator))}"


def plain_denominator(dataset, series_id: str) -> str:
    """A denominator's name without the note of where it is shown or of the day it is counted
    on ('Population of children (beside notifications)' -> 'Population of children';
    'Children in need at 31 March' -> 'Children in need')."""
    return dataset.series_info(series_id).name.split(" (")[0].split(" at ")[0]


def rates_table(dataset, frame: pd.DataFrame, denominator: str, per: float) -> pd.DataFrame:
    """Each rate with its count, its denominator (each leading to its figures) and the exact
    95% interval; years under different systems are not comparable, and the table says which
    system counts each."""
    digits = _rate_digits(frame["rate"]) if len(frame) else 2
    shown = pd.DataFrame({
        "Series": frame["series"].to_numpy(),
        "Counted under": frame["system"].to_numpy(),
        "Year": frame["year"].to_numpy(),
        "Count": [fmt.number(v) for v in frame["count"]],
        plain_denominator(dataset, denominator): [fmt.number(v) for v in frame["denominator"]],
        f"Rate {per_words(per, denominator, dataset)}":
            [fmt.number(v, digits) for v in frame["rate"]],
        "95% interval": [f"{fmt.number(a, digits)} to {fmt.number(b, digits)}"
                         for a, b in zip(frame["ci_low"], frame["ci_high"], strict=True)],
    })
    links = []
    for i, r in enumerate(frame.itertuples(index=False)):
        links.append((i, "Count", figure_anchor(r.series_id, r.period)))
        links.append((i, plain_denominator(dataset, denominator),
                      figure_anchor(denominator, r.denominator_period)))
    return with_links(fmt.labelled(shown), links)


def _rate_digits(values) -> int:
    """Decimals for rates: two significant figures for the smallest."""
    smallest = min(abs(float(v)) for v in values if float(v) > 0) if len(values) else 1
    return max(0, 1 - math.floor(math.log10(smallest)))


def per_notification_table(dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """Reviews per 100 notifications within each system, with the 95% interval of the share;
    each count leads to its figures."""
    shown = pd.DataFrame({
        "Counted under": frame["system"].to_numpy(),
        "Year": frame["year"].to_numpy(),
        "Reviews": [dataset.series_info(s).name for s in frame["review"]],
        "Number": [fmt.number(v) for v in frame["successes"]],
        "Notifications": [dataset.series_info(s).name for s in frame["notification"]],
        "Notified": [fmt.number(v) for v in frame["trials"]],
        "Per 100 notifications": [fmt.number(v, 1) for v in frame["share"]],
        "95% interval": [f"{fmt.number(a, 1)} to {fmt.number(b, 1)}"
                         for a, b in zip(frame["ci_low"], frame["ci_high"], strict=True)],
    })
    links = []
    for i, r in enumerate(frame.itertuples(index=False)):
        links.append((i, "Number", figure_anchor(r.review, r.period)))
        links.append((i, "Notified", figure_anchor(r.notification, r.period)))
    return with_links(fmt.labelled(shown), links)


def trends_table(dataset, found) -> pd.DataFrame:
    """Each trend within a system: the change a year with its 95% interval and p, in words by
    the phrasebook; or why none was fitted."""
    rows = []
    for t in found:
        ratio = t.ratio
        row = {"Series": dataset.series_info(t.series_id).name, "Counted under": t.system,
               "Measured": _relative(dataset, t.exposure),
               "Years": (f"{t.years[0]} to {t.years[-1]} ({len(t.years)})" if t.years
                         else fmt.DASH)}
        if ratio is None:
            row.update({"Change a year": fmt.DASH, "95% interval": fmt.DASH, "p": fmt.DASH,
                        "Reading": f"not fitted: {t.reason}", "Evidence": fmt.DASH,
                        "The model warns": fmt.DASH})
        else:
            row.update({"Change a year": _signed(lr.trend_percent(ratio["rate_ratio"])),
                        "95% interval": f"{_signed(lr.trend_percent(ratio['ci_low']))} to "
                                        f"{_signed(lr.trend_percent(ratio['ci_high']))}",
                        "p": fmt.p(ratio["p_value"]),
                        "Reading": phrasebook.trend_words(ratio["ci_low"], ratio["ci_high"],
                                                          ratio["rate_ratio"], len(t.years)),
                        "Evidence": f"{phrasebook.evidence(ratio['p_value'])} of a trend",
                        "The model warns": "; ".join(t.result.warnings) or "nothing"})
        rows.append(row)
    return fmt.labelled(pd.DataFrame(rows))


def _signed(percent: float) -> str:
    digits = 1 if abs(percent) < 10 else 0
    text = fmt.number(abs(percent), digits)
    return ("+" if percent > 0 else "\u2212" if float(text.replace(",", "")) else "") + text + "%"


def _unsigned(percent: float) -> str:
    return fmt.number(abs(percent), 1 if abs(percent) < 10 else 0) + "%"


# -- the plain answer ------------------------------------------------------------------------------
def _number(text: str, series: str, periods, how: str = "", words: str = "",
            over: tuple | None = None) -> dict:
    """A number in prose and where it leads: a figure as cited (``how`` empty), or a number
    computed from figures (``how``; ``words`` say how, ``over`` names the other series and
    periods it is computed with)."""
    out = {"text": text, "series": series, "periods": list(periods), "how": how}
    if words:
        out["words"] = words
    if over is not None:
        out["over"] = {"series": over[0], "periods": list(over[1])}
    return out


def _month(day) -> str:
    return f"{pd.Timestamp(day):%B %Y}"


def _system(dataset, system_id: str, column: str = "name"):
    return dataset.systems.set_index("system_id").loc[system_id, column]


def _best_trend(found, series_id: str, system_id: str):
    """The fitted trend of a series within a system, with the first denominator that allowed
    one (in the order the trends were asked for), else the counts alone (None if none)."""
    mine = [t for t in found if t.series_id == series_id and t.system_id == system_id
            and t.result is not None]
    return ([t for t in mine if t.exposure] or mine or [None])[0]


def _relative(dataset, exposure: str) -> str:
    """'relative to children in need', 'relative to the population of children', or 'in the
    counts alone' (no denominator)."""
    if not exposure:
        return "in the counts alone"
    name = mid_sentence(plain_denominator(dataset, exposure))
    return f"relative to {'the ' if name.startswith('population') else ''}{name}"


def trend_numbers(dataset, trend) -> tuple[str, str, dict]:
    """A fitted trend as words ("a clear fall"), its size a year ("5.2%", signed where the
    interval includes no change) and the number entry that leads to its evidence."""
    ratio = trend.ratio
    reading = phrasebook.trend_words(ratio["ci_low"], ratio["ci_high"], ratio["rate_ratio"],
                                     len(trend.years))
    pct = lr.trend_percent(ratio["rate_ratio"])
    size = _signed(pct) if reading.startswith("no ") else _unsigned(pct)
    family = {"quasipoisson": "quasi-Poisson"}.get(trend.result.family, trend.result.family)
    how = (f"the yearly change ({family} model, {_relative(dataset, trend.exposure)}, "
           "within one system) fitted to the figures for")
    over = (trend.exposure, _exposure_periods(dataset, trend)) if trend.exposure else None
    return reading, size, _number(size, trend.series_id,
                                  [f"FY{y}" for y in trend.years],
                                  f"trend-{trend.exposure or 'counts'}", words=how, over=over)


def _exposure_periods(dataset, trend) -> list[str]:
    found, _ = lr.denominator_for(dataset, trend.exposure)
    return [found[pd.Period(str(int(y[:4]) + 1), freq="Y-MAR")][1] for y in trend.years]


def answer(dataset, table: pd.DataFrame, gaps: pd.DataFrame, *, notifications: str,
           reviews, shares: pd.DataFrame, found, notebook: str = "07-long-record",
           chart: str = "") -> Answer:
    """What rose, what fell and what cannot be compared across a change of system, in at most
    :data:`LIMIT` words; every number computed from ``table`` (:func:`pieces`), ``shares``
    (reviews per notification within a system) and ``found`` (the trends within systems), and
    each linked to its evidence. Where the words run over, the details least needed go first:
    the reviews per notification, then the years no review figure was found for."""
    first, last = lr.span_of(table)
    question = f"What does the record from {first.year} to {last.year} say?"
    for lean in range(3):
        numbers: list[dict] = []
        sentences = [_notification_sentence(dataset, table, notifications, found, numbers),
                     *_reviews_sentences(dataset, table, gaps, reviews, shares, numbers, lean),
                     break_sentence(dataset, table)]
        sentences = [s for s in sentences if s]
        if words(" ".join(sentences)) <= LIMIT:
            break
    estimates = []
    for t in found:
        if t.result is not None:
            what = (f"{dataset.series_info(t.series_id).name} under "
                    f"{_system(dataset, t.system_id)}, {_relative(dataset, t.exposure)}")
            estimates += [(f"{what}: yearly rate ratio", t.ratio["rate_ratio"]),
                          (f"{what}: 95% low", t.ratio["ci_low"]),
                          (f"{what}: 95% high", t.ratio["ci_high"])]
    return Answer(notebook, question, tuple(sentences), chart, _numbers(estimates),
                  tuple(numbers), detail=tuple(trend_detail(dataset, found)))


def trend_detail(dataset, found) -> list[str]:
    """'How sure, in detail': each trend fitted within one system, its yearly change with its
    95% interval and p-value, the years it rests on, and what the model assumes."""
    out = []
    for t in found:
        if t.result is None:
            continue
        r = t.ratio
        pct = [lr.trend_percent(r[k]) for k in ("rate_ratio", "ci_low", "ci_high")]
        out.append(
            f"{dataset.series_info(t.series_id).name}, {_relative(dataset, t.exposure)}, "
            f"under {_system(dataset, t.system_id)} ({t.years[0]} to {t.years[-1]}, "
            f"{len(t.years)} years): {_signed(pct[0])} a year (95% interval {_signed(pct[1])} "
            f"to {_signed(pct[2])}), p = {fmt.p(r['p_value'])}; "
            f"{phrasebook.evidence(r['p_value'])} of a trend.")
    families = {t.result.family for t in found if t.result is not None}
    if out:
        from scrlib.reader.words import FAMILY

        out.append("Each trend is a log-linear model of the yearly counts within one system ("
                   + " and ".join(FAMILY.get(f, f) for f in sorted(families))
                   + "); on so few years an interval is wide and a p-value is no finding on its "
                   "own. The rates' intervals are exact Poisson intervals with the number of "
                   "children taken as known.")
    return out


def _ends(dataset, table, series_id: str, system_id: str, numbers) -> tuple | None:
    """The first and last whole years of a series within a system, as "231 in 2012-13" texts
    (their numbers added to ``numbers``), and the direction ("rose", "fell")."""
    ends = lr.first_last(table, series_id, system_id)
    if ends is None:
        return None
    a, b = ends
    texts = [f"{fmt.number(r['value'])} in {r['period_text']}" for r in (a, b)]
    numbers += [_number(texts[0], series_id, [a["period"]]),
                _number(texts[1], series_id, [b["period"]])]
    went = ("rose" if b["value"] > a["value"] else "fell" if b["value"] < a["value"]
            else "were the same")
    return texts, went


def _notification_sentence(dataset, table, series_id: str, found, numbers) -> str:
    """The notifications from the first to the last year of each system that counts them
    ("after the change of system in June 2018" between two), then each system's trend where
    one was fitted within it: its reading and size a year."""
    rows = table[(table["series_id"] == series_id) & (table["drawn"] == lr.DRAWN)]
    spans, readings, exposures = [], [], []
    for system_id in (s for s in dict.fromkeys(rows["system_id"]) if s):
        ends = _ends(dataset, table, series_id, system_id, numbers)
        if ends is None:
            continue
        (a, b), went = ends
        when = ("" if not spans else
                f"after the change of system in {_month(_system(dataset, system_id, 'start'))}, ")
        spans.append(f"{when}{went} from {a} to {b}")
        trend = _best_trend(found, series_id, system_id)
        if trend is not None:
            reading, size, number = trend_numbers(dataset, trend)
            numbers.append(number)
            readings.append(f"{reading} of {size}")
            exposures.append(trend.exposure)
    if not spans:
        return ""
    text = f"{dataset.series_info(series_id).name} {_join(spans, ', then, ')}"
    if readings:
        same = len(set(exposures)) == 1
        text += (f"; {_relative(dataset, exposures[0])}, " if same else "; ") + _join(
            readings) + " a year"
    return text + "."


def _reviews_sentences(dataset, table, gaps, reviews, shares, numbers, lean: int = 0
                       ) -> list[str]:
    """The reviews of an ended system with the most whole years (their first and last, and,
    unless ``lean`` >= 2, the years after for which none was found), and the reviews of the
    systems in force in their latest year (unless ``lean`` >= 1, per 100 notifications where a
    count of the same system and year exists)."""
    out = []
    ended, current = [], []
    for series_id in reviews:
        rows = table[(table["series_id"] == series_id)
                     & (table["drawn"] == lr.DRAWN)].sort_values("start")
        if rows.empty:
            continue
        system_id = rows.iloc[-1]["system_id"]
        if system_id and pd.isna(_system(dataset, system_id, "end")):
            current.append((series_id, rows.iloc[-1]))
        elif len(rows) >= 2:
            ended.append((len(rows), series_id, system_id))
    if ended:
        _, series_id, system_id = max(ended)
        (a, b), _ = _ends(dataset, table, series_id, system_id, numbers)
        last = table[(table["series_id"] == series_id) & (table["drawn"] == lr.DRAWN)]["start"]
        after = gaps[(gaps["series_id"] == series_id)
                     & (gaps["first"] > lr.financial_year(last.max()))]
        tail = (f"; none was found for {after.iloc[-1]['period_text']}"
                if len(after) and lean < 2 else "")
        out.append(f"{dataset.series_info(series_id).name} were {a} and {b}{tail}.")
    if current:
        latest = max(r["start"] for _, r in current)
        parts = []
        for series_id, r in current:
            if r["start"] != latest:
                continue
            text = f"{fmt.number(r['value'])} {mid_sentence(dataset.series_info(series_id).name)}"
            numbers.append(_number(text, series_id, [r["period"]]))
            hit = shares[(shares["review"] == series_id) & (shares["period"] == r["period"])]
            if len(hit) and lean < 1:
                h = hit.iloc[0]
                share = f"{fmt.number(h['share'])} per 100"
                numbers.append(_number(share, series_id, [h["period"]],
                                       f"per-100-{h['notification']}",
                                       words="per 100 of the other count: the figure for",
                                       over=(h["notification"], [h["period"]])))
                text += (f" ({share} "
                         f"{mid_sentence(dataset.series_info(h['notification']).name)})")
            parts.append(text)
        period = next(r["period"] for _, r in current if r["start"] == latest)
        out.append(f"In {readable(period)} there were {_join(parts)}.")
    return out


def replacement(dataset, table: pd.DataFrame):
    """The latest change of review system within the record's years (one system ending on the
    day another starts): (date, old system name, new system name), or None."""
    first, last = lr.span_of(table)
    systems = list(dataset.systems.itertuples(index=False))
    changes = [(old.end, old.name, new.name) for old in systems
               if not pd.isna(old.end) and first <= old.end <= last
               for new in systems if new.start == old.end and new.system_id != old.system_id]
    return max(changes) if changes else None


def break_sentence(dataset, table: pd.DataFrame) -> str:
    """What cannot be compared, and why: the latest change of review system in the record."""
    change = replacement(dataset, table)
    if change is None:
        return ""
    return (f"{change[2]} replaced {change[1]} in {_month(change[0])}, changing who decides "
            "and what is counted, so no figure compares across it: a jump there is a break in "
            "definition, not an effect.")


# -- the index's few sentences ---------------------------------------------------------------------
def index_message(dataset, table: pd.DataFrame, *, notifications: str,
                  chart: str) -> KeyMessage:
    """Two or three sentences for the report's front page: the review systems of the series
    shown, the notifications at the ends of each system's years, and the latest change of
    system in words a board member reads; each number leads to its figures."""
    first, last = lr.span_of(table)
    used = set(table.loc[table["drawn"] != lr.NOT_DRAWN, "system_id"]) - {""}
    systems = lr.system_spans(dataset, first, last)
    systems = systems[systems["system_id"].isin(used)]
    names = [s.name + ("" if s.clipped_start else f" (from {_month(s.start)})")
             for s in systems.itertuples(index=False)]
    count = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}.get(len(names), len(names))
    sentences = [f"The record from {first.year} to {last.year} spans {count} review "
                 f"systems: {_join(names)}."]
    numbers: list[dict] = []
    rows = table[(table["series_id"] == notifications) & (table["drawn"] == lr.DRAWN)]
    parts = []
    for system_id in [s for s in dict.fromkeys(rows["system_id"]) if s]:
        ends = _ends(dataset, table, notifications, system_id, numbers)
        if ends is not None:
            (a, b), went = ends
            when = ("" if not parts else "after the change of system in "
                    f"{_month(_system(dataset, system_id, 'start'))} they ")
            parts.append(f"{when}{went} from {a} to {b}")
    if parts:
        name = dataset.series_info(notifications).name
        sentences.append(f"{name} {_join(parts, '; ')}.")
    change = replacement(dataset, table)
    if change is not None:
        sentences.append(f"In {_month(change[0])} {change[2]} replaced {change[1]}: another "
                         "body now decides on another kind of review, so counts before and "
                         "after the change measure different things and are never compared.")
    return KeyMessage(tuple(sentences), chart, (), tuple(numbers))


def write_index(message: KeyMessage, folder, *, alt: str = "") -> Path | None:
    """Save the index's sentences as ``<folder>/long-record.json`` (none if no folder)."""
    if not folder:
        return None
    path = Path(folder) / INDEX_FILE
    path.write_text(json.dumps({**asdict(message), "alt": alt}, indent=1, ensure_ascii=False)
                    + "\n", encoding="utf-8")
    return path


def read_index(folder) -> KeyMessage | None:
    """The index's sentences on the whole record saved in ``folder``, if any (``alt``: the
    chart's alt text, as an attribute)."""
    path = Path(folder) / INDEX_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return KeyMessage(tuple(data["sentences"]), data.get("chart", ""),
                      tuple(data.get("events", [])), tuple(data.get("numbers", [])))


def read_alt(folder) -> str:
    """The alt text saved with the index's sentences ('' if none)."""
    path = Path(folder) / INDEX_FILE
    if not path.is_file():
        return ""
    return json.loads(path.read_text(encoding="utf-8")).get("alt", "")


def words(text: str) -> int:
    """The number of words in ``text`` (as a reader counts them: runs between spaces)."""
    return len(text.split())


# -- sentences beside the evidence -----------------------------------------------------------------
def systems_table(dataset, table: pd.DataFrame) -> pd.DataFrame:
    """Each review system the record's years touch: what it is, from and to when (as its dating
    events give it) and on whose word."""
    from scrlib.record.records import human_date

    first, last = lr.span_of(table)
    shown = lr.system_spans(dataset, first, last)
    rows = dataset.systems.set_index("system_id").loc[list(shown["system_id"])]
    return fmt.labelled(pd.DataFrame({
        "System": rows["name"].to_numpy(),
        "What it is": rows["description"].to_numpy(),
        "From": [human_date(d) for d in rows["start_date"]],
        "To": [human_date(d) if d else "in force" for d in rows["end_date"]],
        "Dated by": ["; ".join(dict.fromkeys(dataset.source(x).publisher for x in (a, b) if x))
                     for a, b in zip(rows["start_source_id"], rows["end_source_id"],
                                     strict=True)],
    }))


def pairing_sentence(dataset, counts: str, beside: str, problems) -> str:
    """How a count at 31 March is paired with a financial year, and whether the publisher's own
    pairing (the denominator its data sets show beside each year) agrees."""
    theirs, _ = lr.denominator_for(dataset, beside)
    years = [fiscal_label(y) for y in sorted(theirs)]
    text = (f"Each year is set against {mid_sentence(plain_denominator(dataset, counts))} at "
            "31 March before it starts, as the Department for Education's notification data "
            "sets pair them")
    if not years:
        return text + "."
    if problems:
        return text + f"; where those data sets show the count beside a year it differs: " \
                      f"{_join(problems)}."
    return (text + f"; where they show the count beside a year ({_join(years)}), it is the "
            "same figure.")


def coverage_sentence(dataset, frame: pd.DataFrame, denominator: str, per: float) -> str:
    """Which years a rate can be computed for, in words (the denominator's years that have a
    count beside them)."""
    name = mid_sentence(plain_denominator(dataset, denominator))
    if frame.empty:
        return f"The record holds no year with both a count and the {name}."
    years = sorted(set(frame["year"]))
    span = years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"
    return (f"Rates {per_words(per, denominator, dataset)} can be computed for {span} only: the "
            f"record holds the {name} beside a count for {len(years)} "
            f"{'year' if len(years) == 1 else 'years'}.")


def apart_sentence(dataset, pairs) -> str:
    """The review and notification counts that share a year but not a system: never divided."""
    if not pairs:
        return ""
    named = [f"{dataset.series_info(a).name} and {mid_sentence(dataset.series_info(b).name)}"
             for a, b in pairs]
    return (f"Not divided, because in the years both have they are counted under different "
            f"systems: {_join(named, '; ')}.")


def rates_csv(dataset, frames) -> pd.DataFrame:
    """The rates chart's data for readers: ``frames`` as ``(denominator, per, rates table)``;
    one row per year and series, its count, denominator, rate, interval and line piece."""
    parts = []
    for denominator, per, frame in frames:
        parts.append(pd.DataFrame({
            "Series": frame["series"].to_numpy(), "Counted under": frame["system"].to_numpy(),
            "Year": frame["year"].to_numpy(), "Count": frame["count"].to_numpy(),
            "Per": per_words(per, denominator, dataset),
            "Denominator": frame["denominator"].to_numpy(),
            "Rate": frame["rate"].to_numpy(), "95% low": frame["ci_low"].to_numpy(),
            "95% high": frame["ci_high"].to_numpy(), "Line piece": frame["piece"].to_numpy()}))
    return pd.concat(parts, ignore_index=True)
