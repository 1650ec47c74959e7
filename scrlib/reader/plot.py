"""Charts that cite: series by period, policy dates marked, a generated "Source:" line.

Charts are greyscale-readable (markers and line styles differ, not only colours; where colour
is used, the Okabe-Ito palette, which colour-blind readers can tell apart), draw every count
from zero, keep their labels apart (:mod:`scrlib.reader.labels`), say what they show in a
sentence or two of alt text, and are written byte-for-byte reproducibly (fixed SVG hash salt,
no dates or software names in file metadata). A chart's data file is a reader's table:
headers in words, periods as a reader writes them, counts as whole numbers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure

from scrlib.its import fmt
from scrlib.its._plot import LINESTYLES
from scrlib.reader import labels, words
from scrlib.record.cite import source_line

STYLES = [
    {"marker": "o", "linestyle": "-", "color": "0.1"},
    {"marker": "s", "linestyle": "--", "color": "0.45"},
    {"marker": "^", "linestyle": ":", "color": "0.25"},
    {"marker": "D", "linestyle": "-.", "color": "0.6"},
]
EVENT_STYLES = ["-", "--", "-.", ":"]
# Okabe and Ito's colours for colour-blind readers (black first), each with its own line style
# and marker, so the lines stay apart in grey too.
PALETTE = ["#000000", "#E69F00", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"]
FIT_STYLES = [{"linestyle": "-", "marker": None},
              {"linestyle": "--", "marker": "s"},
              {"linestyle": (0, (1, 1.5)), "marker": "^"},
              {"linestyle": "-.", "marker": "D"},
              {"linestyle": (0, (6, 2, 1, 2, 1, 2)), "marker": "v"},
              {"linestyle": (0, (3, 3)), "marker": "P"},
              {"linestyle": (0, (8, 2)), "marker": "X"}]
SOURCE_SIZE = 9.5  # points: about 9 pt on a page that shows the 8-inch chart 760 pixels wide
PAGE_WIDTH_PX = 760  # how wide a page shows a chart (its column, at 1280 pixels)
RC = {
    "svg.hashsalt": "scrlib",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
}


def configure() -> None:
    """Set the matplotlib settings that make charts look alike and save reproducibly."""
    mpl.rcParams.update(RC)


def new_figure(width: float = 8.0, height: float = 4.5) -> tuple[Figure, object]:
    """A Figure with one Axes, made without pyplot's global state."""
    configure()
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def add_source_line(fig: Figure, text: str) -> None:
    """Write ``text`` (a "Source: ..." line) under the axes, at the bottom left, at a size a
    reader can read on the page (``SOURCE_SIZE``)."""
    fig.get_layout_engine().set(h_pad=0.15)
    fig.supxlabel(text, x=0.01, ha="left", fontsize=SOURCE_SIZE, color="0.2", wrap=True)


def save(fig: Figure, stem: Path | str, data: pd.DataFrame | None = None) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` with no dates or versions in their metadata, and
    ``data`` (the chart's numbers) as ``stem.csv``, floats to the digits every machine shares
    (:func:`scrlib.its.digits.rounded`); a named index is written as a column."""
    from scrlib.its import digits

    configure()
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    fig.savefig(png, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    written = [png, svg]
    if data is not None:
        csv = stem.with_suffix(".csv")
        named = any(name is not None for name in data.index.names)
        readable_data(digits.rounded(data)).to_csv(
            csv, index=named, lineterminator="\n", encoding="utf-8",
            float_format=f"%.{digits.OUTPUT_DIGITS}g")  # 22.0 reads "22"
        written.append(csv)
    meta = stem.with_suffix(".json")
    meta.write_text(json.dumps(about(fig, stem.name, data is not None), indent=1,
                               ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(meta)
    fig.scrlib_chart = stem.name  # read by notebook.show: the page links the chart's files
    fig.scrlib_chart_data = data is not None
    return written


def readable_data(data: pd.DataFrame) -> pd.DataFrame:
    """A chart's numbers as a reader's table: a column of whole numbers written as whole
    numbers ("137", not "137.0"), true and false as yes and no, every header capitalised."""
    out = data.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == bool:
            out[column] = values.map({True: "yes", False: "no"})
        elif pd.api.types.is_float_dtype(values):
            finite = values.dropna()
            if len(finite) and (finite == finite.round()).all() and finite.abs().max() < 2**53:
                out[column] = values.astype("Int64")
    out.columns = [words.capitalised(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.name is not None:
        out.index.name = words.capitalised(out.index.name)
    return out


def about(fig: Figure, name: str, with_data: bool) -> dict:
    """A chart's metadata, as Our World in Data serves beside its charts: title, unit (the
    axis), sources (the chart's own source line), a description from its data, the files."""
    axes = [ax for ax in fig.axes if ax.get_visible()]
    title = next((t for ax in axes if (t := ax.get_title(loc="left") or ax.get_title())), "")
    sources = next((t.get_text() for t in fig.texts if t.get_text().startswith("Source:")), "")
    if not sources and fig._supxlabel is not None:
        sources = fig._supxlabel.get_text()
    return {"chart": name, "title": title,
            "unit": next((ax.get_ylabel() for ax in axes if ax.get_ylabel()), ""),
            "sources": sources, "description": describe(fig),
            "files": {"image": f"{name}.png", "vector": f"{name}.svg",
                      **({"data": f"{name}.csv"} if with_data else {})}}


def describe(fig: Figure) -> str:
    """Alt text: a sentence or two saying what the chart shows (never its values one by one;
    they are in its data file). A chart that knows its own story sets ``fig.scrlib_alt``;
    otherwise the words come from its artists: the title, what is plotted against what, the
    lines it draws and the range of its main line."""
    own = getattr(fig, "scrlib_alt", "")
    if own:
        return own
    parts = []
    for ax in fig.axes:
        title = ax.get_title(loc="left") or ax.get_title()
        if not title and not ax.get_lines():
            continue
        what = ax.get_ylabel().replace("\n", " ") or "values"
        named = [line.get_label() for line in ax.get_lines()
                 if not line.get_label().startswith("_")]
        ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        span = f", {ticks[0]} to {ticks[-1]}" if len(ticks) >= 2 else ""
        text = (f"{title}: " if title else "") + f"{what[:1].lower() + what[1:]}{span}"
        if named:
            text += f", showing {_join(named[:5])}"
        parts.append(text + ".")
    return " ".join(parts[:2]) or "A chart."


def _join(items) -> str:
    items = [str(i) for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _range_words(values, whens, unit: str = "") -> str:
    """'from 72 (2010-11) to 166 (2014-15)': the lowest and highest values and when."""
    pairs = [(float(v), w) for v, w in zip(values, whens, strict=True) if v == v]
    if not pairs:
        return ""
    low, high = min(pairs, key=lambda p: p[0]), max(pairs, key=lambda p: p[0])
    return f"from {low[0]:,g}{unit} ({low[1]}) to {high[0]:,g}{unit} ({high[1]})"


def _mid(text: str) -> str:
    """A label as it reads inside a sentence ("Share" -> "share"; "SCRs ..." stays)."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _events_words(events) -> str:
    """'lines mark Full publication and Ofsted evaluation ends' ('' without events)."""
    if events is None or events.empty:
        return ""
    return "; lines mark " + _join([words.label(v) for v in events.sort_values("when")["label"]])


def mark_events(ax, events: pd.DataFrame) -> None:
    """Draw each policy event as a vertical line (month dates: at the month's start) labelled
    above the plot (:func:`scrlib.reader.labels.declutter` puts the labels in rows)."""
    for i, (_, ev) in enumerate(events.sort_values("when").iterrows()):
        when = pd.Timestamp(ev["when"])
        ax.axvline(when, color="0.35", linewidth=0.9, linestyle=EVENT_STYLES[i % 4], zorder=1)
        labels.event_label(ax, f"{words.label(ev['label'])} ({when:%b %Y})", when,
                           fontsize=8, color="0.15")


def _fy_ticks(ax, frame: pd.DataFrame) -> None:
    fy = frame.dropna(subset=["fiscal_year"]).drop_duplicates("period")
    if fy.empty:
        return
    fy = fy.sort_values("start")
    mids = [s + (e - s) / 2 for s, e in zip(fy["start"], fy["end"], strict=True)]
    ax.set_xticks(mids, [p for p in fy["period"].str.replace("FY", "")],
                  rotation=45 if len(mids) > 10 else 0, ha="right" if len(mids) > 10 else "center")


def _break_gaps(x: pd.Series, y: pd.Series, rows: pd.DataFrame) -> tuple[list, list]:
    """Insert a gap (NaN) between consecutive periods that do not touch, so lines never bridge
    a missing year."""
    xs, ys = [], []
    ends = list(rows["end"])
    starts = list(rows["start"])
    for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
        if i and starts[i] - ends[i - 1] > pd.Timedelta(days=1):
            xs.append(xi)
            ys.append(float("nan"))
        xs.append(xi)
        ys.append(yi)
    return xs, ys


def plot_series(
    dataset,
    table: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    alternatives: pd.DataFrame | None = None,
    ax=None,
    title: str | None = None,
    ylabel: str = "Number of SCRs",
):
    """Plot resolved series (rows of ``Dataset.resolved``) by period, one style per series.

    ``alternatives`` (rows of ``Dataset.conflicts()`` not chosen) are drawn as open markers with
    their source, so a disagreement between sources stays visible. Returns the Figure.
    """
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    sources = list(table["source_ids"])
    label_values = table["series_id"].nunique() <= 2  # more series: their labels would collide
    for i, (series_id, rows) in enumerate(table.groupby("series_id", sort=False)):
        style = STYLES[i % len(STYLES)]
        rows = rows.sort_values("start")
        x = rows["start"] + (rows["end"] - rows["start"]) / 2
        name = dataset.series_info(series_id).name
        ax.plot(*_break_gaps(x, rows["value"], rows), label=name, markersize=6, linewidth=1.4,
                **style)
        for xi, yi in zip(x, rows["value"], strict=True) if label_values else ():
            ax.annotate(
                words.figure(yi),
                (xi, yi),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    if alternatives is not None and not alternatives.empty:
        alt = alternatives.merge(
            dataset.figures[["figure_id", "start", "end"]], on="figure_id", how="left"
        )
        x = alt["start"] + (alt["end"] - alt["start"]) / 2
        ax.plot(
            x,
            alt["value"],
            linestyle="none",
            marker="o",
            markerfacecolor="white",
            markeredgecolor="0.1",
            markersize=7,
            label="Value given by another source",
        )
        for xi, yi, src in zip(x, alt["value"], alt["source_id"], strict=True):
            ax.annotate(
                f"{words.figure(yi)} ({dataset.source(src).publisher})",
                (xi, yi),
                xytext=(6, -3),
                textcoords="offset points",
                fontsize=7.5,
                style="italic",
            )
        sources += list(alt["source_id"])
    if events is not None and not events.empty:
        mark_events(ax, events)
        sources += list(events["source_id"])
    _fy_ticks(ax, table)
    ax.set_xlabel(
        "Financial year (April to March)" if table["fiscal_year"].notna().all() else "Period"
    )
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0, top=max(table["value"].max() * 1.25, 1))
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    add_source_line(fig, source_line(dataset, sources))
    names = [dataset.series_info(s).name for s in table["series_id"].unique()]
    periods = table.sort_values("start")["period"]
    from scrlib.record.periods import readable

    fig.scrlib_alt = (
        f"{title + ': ' if title else ''}{_join(names)} by "
        f"{'financial year' if table['fiscal_year'].notna().all() else 'period'}, "
        f"{readable(periods.iloc[0])} to {readable(periods.iloc[-1])}, on an axis from zero"
        + ("; open circles are values another source gives" if alternatives is not None
           and not alternatives.empty else "")
        + _events_words(events) + "."
        + (f" {names[0]} run {_range_words(*_values_when(table))}." if len(names) == 1 else ""))
    labels.declutter(fig)
    return fig


def _values_when(table: pd.DataFrame) -> tuple[list, list]:
    """A resolved series' values and their periods as a reader writes them."""
    from scrlib.record.periods import readable

    rows = table.sort_values("start")
    return list(rows["value"]), [readable(p) for p in rows["period"]]


def plot_shares(dataset, frame: pd.DataFrame, events: pd.DataFrame | None = None, *, ax=None,
                title: str | None = None, ylabel: str = "Share (%)", label: str = "Share"):
    """Plot yearly shares with their 95% intervals (rows of ``analysis.share_intervals``)."""
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    starts = frame["fiscal_year"].dt.start_time
    ends = frame["fiscal_year"].dt.end_time.dt.normalize()
    x = starts + (ends - starts) / 2
    err = [frame["share"] - frame["ci_low"], frame["ci_high"] - frame["share"]]
    ax.errorbar(x, frame["share"], yerr=err, label=f"{label} (95% interval)", capsize=4,
                **STYLES[0])
    for xi, yi in zip(x, frame["share"], strict=True):
        ax.annotate(f"{yi:.0f}%", (xi, yi), xytext=(8, 0), textcoords="offset points",
                    fontsize=8, va="center", ha="left")
    sources = list(frame["source_ids"])
    if events is not None and not events.empty:
        mark_events(ax, events)
        sources += list(events["source_id"])
    ax.set_xticks(x, frame["year"])
    ax.set_xlabel("Financial year (April to March)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    add_source_line(fig, source_line(dataset, sources))
    fig.scrlib_alt = (
        f"{title + ': ' if title else ''}{_mid(label)} each financial year "
        f"from {frame['year'].iloc[0]} to {frame['year'].iloc[-1]}, with its 95% interval, on "
        f"an axis from 0 to 100{_events_words(events)}. It runs "
        + _range_words([round(v) for v in frame["share"]], list(frame["year"]),
                       "%" if "%" in ylabel else "") + ".")
    labels.declutter(fig)
    return fig


KIND_MARKERS = {
    "parliamentary-answer": ("s", "0.05"),
    "official-statistics": ("D", "0.05"),
    "report": ("^", "0.35"),
    "press-release": ("v", "0.35"),
    "news": ("o", "0.55"),
    "blog": ("o", "white"),
    "guidance": ("P", "0.35"),
    "legislation": ("X", "0.35"),
    "web-page": ("h", "white"),
}


def plot_coverage(dataset, series_ids=None, *, title: str | None = None):
    """Which series have figures for which periods, and from which kind of source.

    One row per series; each figure is a bar over its period with a marker (by source kind) at
    its middle, so part-years, multi-year totals and gaps show at a glance.
    """
    figs = dataset.figures.merge(dataset.sources[["source_id", "kind"]], on="source_id")
    if series_ids is not None:
        figs = figs[figs["series_id"].isin(list(series_ids))]
    order = (figs.groupby("series_id")["start"].min().sort_values(kind="mergesort")
             .index.tolist())
    fig, ax = new_figure(8.0, max(3.0, 0.8 + 0.22 * len(order)))
    seen = set()
    gap = pd.Timedelta(days=12)
    for row, series_id in enumerate(order):
        rows = figs[figs["series_id"] == series_id].sort_values(["start", "end", "source_id"])
        rank = rows.groupby(["start", "end"]).cumcount().to_numpy()
        size = rows.groupby(["start", "end"])["source_id"].transform("size").to_numpy()
        for r, j, m in zip(rows.itertuples(index=False), rank, size, strict=True):
            y = row + (j - (m - 1) / 2) * 0.22
            ax.plot([r.start + gap, r.end - gap], [y, y], color="0.45", linewidth=2.0,
                    solid_capstyle="butt", zorder=1)
            marker, face = KIND_MARKERS[r.kind]
            ax.plot([r.start + (r.end - r.start) / 2], [y], linestyle="none", marker=marker,
                    markerfacecolor=face, markeredgecolor="0.05", markersize=5, zorder=2,
                    label=None if r.kind in seen else r.kind.replace("-", " "))
            seen.add(r.kind)
    ax.set_yticks(range(len(order)), [dataset.series_info(s).name for s in order], fontsize=7)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlabel("Period covered by each figure (bars; several sources for one period are "
                  "stacked); marker: kind of source")
    span = (figs["end"].max() - figs["start"].min()).days / 365.25 if len(figs) else 1
    ax.xaxis.set_major_locator(mdates.YearLocator(base=max(1, math.ceil(span / 12))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(axis="x", color="0.85", linewidth=0.6)
    handles, labels = ax.get_legend_handles_labels()
    ordered = sorted(zip(labels, handles, strict=True), key=lambda lh: list(KIND_MARKERS)
                     .index(lh[0].replace(" ", "-")))
    ax.legend([h for _, h in ordered], [lb for lb, _ in ordered], fontsize=7, frameon=False,
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    add_source_line(fig, source_line(dataset, figs["source_id"].unique()))
    fig.scrlib_alt = (
        f"{title + ': ' if title else ''}one row for each of {len(order)} series, with a bar "
        f"over the period of each of its {len(figs)} figures, from {figs['start'].min():%Y} to "
        f"{figs['end'].max():%Y}, and a marker for the kind of source that states it "
        f"({_join(sorted({k.replace('-', ' ') for k in figs['kind']}))}). Its data are the "
        "report's table of every figure.")
    return fig


def plot_scans(dataset, scans, *, marks=None, source_ids=(), title: str | None = None):
    """One panel per break scan (its profile, confidence set and policy dates), with a source
    line; returns the Figure."""
    configure()
    fig = Figure(figsize=(8, 4.2 * len(scans)), layout="constrained")
    axes = fig.subplots(len(scans), 1, squeeze=False)[:, 0]
    for ax, scan in zip(axes, scans, strict=True):
        panel = scan.description.split(" (")[0]
        scan.plot(ax, marks=marks if scan.breaks == 1 else None,
                  title=(f"{title}: {panel}" if title else panel[0].upper() + panel[1:]))
    add_source_line(fig, source_line(dataset, source_ids))
    kinds = [s.description.split(" (")[0] for s in scans]
    fig.scrlib_alt = (
        f"How well a break fits at each date, for {_join(kinds)}, one panel each: the lower "
        "the line or the darker the square, the better the fit; circled and outlined dates "
        "form the 95% confidence set, and the policy dates are marked.")
    labels.declutter(fig)
    return fig


def break_date_posterior(posterior) -> pd.DataFrame:
    """The posterior of each date the data place (``its.bayes``): per explanation, the
    probability of each grid date as the single change, or as the start or the end of the
    temporary change (their marginals), rounded to the digits every machine shares."""
    from scrlib.its import digits

    d = posterior.dates
    parts = []
    for name, rows in d.groupby("explanation", sort=False):
        two = rows["end"].notna().any()
        for which, column in (("start", "start"), ("end", "end")) if two else (("date",
                                                                                  "start"),):
            m = rows.groupby(column, sort=True)["probability"].sum().reset_index()
            parts.append(pd.DataFrame({"explanation": name, "which": which,
                                       "date": m[column], "probability": m["probability"]}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["explanation", "which", "date", "probability"])
    return digits.rounded(out, 4)


def plot_break_dates(dataset, scan, posterior, *, marks=None, source_ids=(),
                     title: str | None = None):
    """The scan's profile for one date (top) beside the posterior of the date the data place
    (bottom: the single change as bars, the temporary change's start and end as lines), on one
    date axis with the policy dates marked; returns the Figure."""
    configure()
    fig = Figure(figsize=(8, 7.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    scan.plot(top, marks=marks, title=title or "Where the data put the change: the scan "
              "(top) and the posterior (bottom)")
    top.set_xlabel("")
    table = break_date_posterior(posterior)
    single = table[table["which"] == "date"]
    if len(single):
        bottom.bar(single["date"], single["probability"], width=60, color="0.35",
                   label="one permanent change: its date")
    for which, style in (("start", "-"), ("end", "--")):
        rows = table[table["which"] == which]
        if len(rows):
            bottom.plot(rows["date"], rows["probability"], color="0.05", linestyle=style,
                        marker="o", markersize=2.5, linewidth=1.0,
                        label=f"temporary change: its {which}")
    for i, when in enumerate((marks or {}).values()):
        bottom.axvline(pd.Timestamp(when), color="0.5", linewidth=0.8,
                       linestyle=LINESTYLES[i % len(LINESTYLES)], zorder=1)
    bottom.set_ylabel("Posterior probability\nof the date")
    bottom.set_xlabel("Date of the change (quarter starts)")
    bottom.set_ylim(bottom=0)
    bottom.legend(loc="upper left", fontsize=7.5, frameon=False)
    add_source_line(fig, source_line(dataset, source_ids))
    fig.scrlib_alt = (
        "Where the data put the change, two ways on one date axis: at the top, how much worse "
        "a break fits at each date than at the best one (the scan); below, the posterior "
        "probability of each date, for one lasting change and for the start and end of a "
        "temporary change, with the policy dates marked.")
    labels.declutter(fig)
    return fig


def plot_explanations(dataset, explanations, *, marks=None, source_ids=(),
                      title: str | None = None, ylabel: str | None = None):
    """The observed counts with each competing explanation's fitted yearly means (best first),
    each in its own colour, line style and marker; the axis from zero; a source line."""
    import numpy as np

    from scrlib.its import digits

    configure()
    fig = Figure(figsize=(8.0, 6.0), layout="constrained")
    ax, key = fig.subplots(2, 1, height_ratios=[4.2, 1.3])
    key.axis("off")  # the legend's own panel, under the plot: it covers nothing there
    times = pd.PeriodIndex(explanations.observed["time"])
    x = times.start_time + (times.end_time - times.start_time) / 2
    gap = np.r_[False, np.diff(times.asi8) > 1]  # a missing period: break the line there
    drawn = explanations.table[explanations.table["explanation"].isin(explanations.fitted)]
    for i, row in enumerate(drawn.itertuples(index=False)):
        weight = "" if np.isnan(row.weight) else f" (weight {row.weight:.2f})"
        if getattr(row, "basis", "").startswith("suggested"):
            weight = " (exploratory" + (f", weight {row.weight:.2f})" if weight else ")")
        values = digits.significant(explanations.fitted[row.explanation], digits.OUTPUT_DIGITS)
        style = FIT_STYLES[i % len(FIT_STYLES)]
        for r, run in enumerate(np.split(np.arange(len(values)), np.flatnonzero(gap))):
            ax.plot(x[run], values[run], color=PALETTE[i % len(PALETTE)],
                    linestyle=style["linestyle"], marker=style["marker"], markersize=4,
                    linewidth=2.0 if i == 0 else 1.3,
                    label=f"{row.explanation}{weight}" if r == 0 else None, zorder=3)
    ax.plot(x, explanations.observed["observed"], linestyle="none", marker="o", markersize=7,
            markerfacecolor="white", markeredgecolor="0.05", markeredgewidth=1.3,
            label="observed", zorder=4)
    for i, (label, when) in enumerate((marks or {}).items()):
        when = pd.Timestamp(when)
        ax.axvline(when, color="0.5", linewidth=0.8, linestyle=LINESTYLES[i % 4], zorder=1)
        labels.event_label(ax, words.label(label), when, fontsize=7.5, color="0.3")
    from scrlib.record.periods import fiscal_label

    ax.set_xticks(x, [fiscal_label(p) for p in times])
    ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel or "Count per year")
    ax.set_xlabel("Financial year (April to March)")
    key.legend(*ax.get_legend_handles_labels(), loc="upper left", fontsize=8, frameon=False,
               borderaxespad=0)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    add_source_line(fig, source_line(dataset, source_ids))
    fig.scrlib_alt = (
        f"{title + ': ' if title else ''}the observed yearly counts as circles and, as lines, "
        f"what each of {len(drawn)} explanations fits to them ({_join(list(drawn['explanation']))}"
        "), on an axis from zero, with the policy dates marked.")
    labels.declutter(fig)
    return fig


def plot_curve(dataset, table: pd.DataFrame, *, source_ids, event: str | None = None,
               title: str | None = None):
    """The specification curve (:mod:`scrlib.study.sensitivity`): sorted step estimates of the
    distinct models with 95% intervals (top) and the choices behind each (bottom); families
    that fail the dispersion check drawn as crosses."""
    import numpy as np

    from scrlib.its import digits
    from scrlib.study.sensitivity import CHOICES

    configure()
    fitted = digits.rounded(table[(table["status"] == "fitted") & table["distinct"]])
    fitted = fitted.sort_values(["rate_ratio", *CHOICES], kind="mergesort").reset_index(drop=True)
    varied = [c for c in CHOICES if fitted[c].nunique() > 1]
    levels = [(c, str(v)) for c in varied for v in sorted(fitted[c].astype(str).unique())]
    fig = Figure(figsize=(8, 4.5 + 0.16 * len(levels)), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True,
                               gridspec_kw={"height_ratios": [3, max(1, 0.18 * len(levels))]})
    x = np.arange(len(fitted))
    excl = fitted["excludes_null"].to_numpy(dtype=bool)
    ok = fitted["passes_dispersion_check"].to_numpy(dtype=bool)
    top.vlines(x, fitted["ci_low"], fitted["ci_high"], color="0.6", linewidth=0.8,
               label="95% interval")
    top.plot(x[excl & ok], fitted["rate_ratio"][excl & ok], "o", color="0.05", markersize=3,
             label="interval excludes 1")
    top.plot(x[~excl & ok], fitted["rate_ratio"][~excl & ok], "o", markerfacecolor="white",
             markeredgecolor="0.05", markersize=3, label="interval includes 1")
    if (~ok).any():
        top.plot(x[~ok], fitted["rate_ratio"][~ok], "x", color="0.45", markersize=3.5,
                 label="family fails the dispersion check (not in the summary)")
    top.axhline(1.0, color="0.3", linestyle="--", linewidth=0.9)
    top.set_yscale("log")
    plain_log_ticks(top)
    at = dataset.event(event).label if event else "the policy date"
    top.set_ylabel(f"Rate ratio at {at}\n(step, log scale)")
    top.legend(fontsize=7.5, frameon=False, loc="upper left")
    top.set_xlabel("")
    if title:
        top.set_title(title, loc="left", fontsize=10)
    for row, (choice, value) in enumerate(levels):
        hit = fitted[choice].astype(str).to_numpy() == value
        bottom.plot(x[hit], np.full(hit.sum(), row), "|", color="0.1", markersize=5)
    bottom.set_yticks(range(len(levels)), [words.choice_label(c, v, dataset)
                                           for c, v in levels], fontsize=7)
    bottom.set_ylim(len(levels) - 0.5, -0.5)
    bottom.set_xlabel(f"Distinct models, sorted by estimate ({len(fitted)} of "
                      f"{len(table)} specifications)")
    add_source_line(fig, source_line(dataset, source_ids))
    kept = fitted[fitted["passes_dispersion_check"].astype(bool)]
    fig.scrlib_alt = (
        f"{title + ': ' if title else ''}the step at {at} estimated by each of {len(fitted)} "
        "distinct models, sorted from the smallest to the largest, each with its 95% interval "
        "on a log scale around no change (1), and below it the choices behind each model. "
        + (f"Among the {len(kept)} models whose family fits how much the counts vary, the "
           f"step runs from {fmt.ratio(kept['rate_ratio'].min())} to "
           f"{fmt.ratio(kept['rate_ratio'].max())} times the level before." if len(kept) else
           ""))
    labels.declutter(fig)
    return fig


def plain_log_ticks(ax) -> None:
    """A log scale's ticks as plain numbers (0.5, 1, 2, 5, 10, ...), never powers of ten."""
    import matplotlib.ticker as mticker

    ax.yaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(mticker.NullFormatter())


def plot_headline(dataset, frame: pd.DataFrame, events: pd.DataFrame, *, ylabel: str,
                  title: str | None = None):
    """The reader's chart: a yearly count from zero, every year of its span on the axis (a
    year no source gives is marked 'no figure'), each value labelled, and the policy dates as
    lines labelled at staggered heights so they do not overlap. ``frame``: ``fiscal_year``,
    ``count``, ``source_ids`` (``Specification.data``); ``events``: ``event_rows``."""
    from scrlib.record.periods import fiscal_label

    configure()
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    years = pd.PeriodIndex(frame["fiscal_year"])
    span = pd.period_range(years[0], years[-1], freq=years.freq)
    mids = {p: p.start_time + (p.end_time - p.start_time) / 2 for p in span}
    counts = dict(zip(years, frame["count"].astype(float), strict=True))
    x = [mids[p] for p in span]
    y = [counts.get(p, float("nan")) for p in span]
    ax.plot(x, y, color="0.1", linewidth=1.8, marker="o", markersize=6, zorder=3)
    top = max(v for v in y if v == v)
    for xi, yi, p in zip(x, y, span, strict=True):
        if yi == yi:
            ax.annotate(words.figure(yi), (xi, yi), xytext=(0, 7), textcoords="offset points",
                        ha="center", fontsize=9)
        else:
            ax.axvspan(p.start_time, p.end_time, color="0.92", zorder=0)
            ax.annotate("no figure", (xi, top * 0.08), ha="center", fontsize=8, color="0.3")
    ordered = events.sort_values("when")
    for i, (_, ev) in enumerate(ordered.iterrows()):
        when = pd.Timestamp(ev["when"])
        ax.axvline(when, color="0.4", linewidth=1.0, linestyle=EVENT_STYLES[i % 4], zorder=1)
        labels.event_label(ax, f"{words.label(ev['label'])} ({when:%b %Y})", when,
                           fontsize=8, color="0.15")
    ax.set_xticks(x, [fiscal_label(p) for p in span])
    ax.set_ylim(0, top * 1.2)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Financial year (April to March)")
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    sources = [*frame["source_ids"], *ordered["source_id"]]
    add_source_line(fig, source_line(dataset, sources))
    missing = [fiscal_label(p) for p, v in zip(span, y, strict=True) if v != v]
    fig.scrlib_alt = (
        f"{title + ': ' if title else ''}a line through each year's count from "
        f"{fiscal_label(span[0])} to {fiscal_label(span[-1])}, on an axis from zero, running "
        f"{_range_words(y, [fiscal_label(p) for p in span])}"
        + (f"; {_join(missing)} {'has' if len(missing) == 1 else 'have'} no figure"
           if missing else "")
        + _events_words(ordered) + ".")
    labels.declutter(fig)
    return fig


def plot_fit(dataset, result, *, title: str, ylabel: str, source_ids=()):
    """An interrupted time series' fit (:meth:`ItsResult.plot`: observed counts, the fit with
    its band, the counterfactual) for readers: the axis from zero, the policy dates labelled
    above the plot, one readable source line from ``source_ids``."""
    fig, ax = new_figure()
    result.plot(ax=ax, title=title)
    for text in list(ax.texts):
        if text.get_gid() == "its-source":
            text.remove()  # the figure's own source line, below, says it
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    add_source_line(fig, source_line(dataset, source_ids) if source_ids
                    else f"Source: {result.source or 'not stated'}")
    names = [s.name for s in sorted(result.starts, key=lambda s: (s.t0, -s.fraction))]
    fig.scrlib_alt = (
        f"{title}: the observed yearly counts, the model's fit with its 95% band, and the "
        "counterfactual the fit implies without the policy changes, on an axis from zero; "
        f"lines mark {_join(names)}.")
    labels.declutter(fig)
    return fig
