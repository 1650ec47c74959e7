"""The ITS chart: greyscale-readable, matplotlib object API only (no pyplot)."""

from __future__ import annotations

import textwrap

import numpy as np

from scrlib.its import digits

LINESTYLES = [":", "-.", (0, (5, 2, 1, 2)), (0, (1, 3))]


def plot_result(result, ax=None, source=None, per=None, title=None):
    """Draw ``result`` on ``ax`` (a new Figure's Axes if None) and return the Axes."""
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(8, 4.5), layout="constrained").add_subplot()
    axis = result.axis
    x = axis.x()
    fit = digits.rounded(result.predict(per))  # what is drawn: the digits every machine shares
    cf = digits.rounded(result.counterfactual(per))
    segment = result.segments()
    ordered = sorted(result.starts, key=lambda s: (s.t0, -s.fraction))

    for s in ordered:
        ax.axvspan(axis.boundary_x(s.t0, s.fraction), axis.end_x(), facecolor="0.5", alpha=0.1,
                   linewidth=0, zorder=0)
    for j, value in enumerate(np.unique(segment)):
        mask = segment == value
        ax.fill_between(x[mask], fit["ci_low"].to_numpy()[mask], fit["ci_high"].to_numpy()[mask],
                        facecolor="0.6", alpha=0.45, linewidth=0,
                        label="95% CI of fit" if j == 0 else None, zorder=1)
        ax.plot(x[mask], fit["mean"].to_numpy()[mask], color="0.05", linewidth=1.8,
                linestyle="-", marker="_" if mask.sum() == 1 else None, markersize=14,
                label="Fitted" if j == 0 else None, zorder=3)
    post = np.flatnonzero(segment > 0)
    if len(post):
        idx = np.arange(max(post[0] - 1, 0), len(segment))
        ax.plot(x[idx], cf["mean"].to_numpy()[idx], color="0.3", linewidth=1.5, linestyle="--",
                label="Counterfactual (no intervention)", zorder=3)
    ax.plot(x, fit["observed"], linestyle="none", marker="o", markersize=5,
            markerfacecolor="white", markeredgecolor="0.05", label="Observed", zorder=4)
    for i, s in enumerate(ordered):
        where = axis.boundary_x(s.t0, s.fraction)
        ax.axvline(where, color="0.2", linewidth=1.0, linestyle=LINESTYLES[i % 4], zorder=2)
        ax.annotate(s.name, xy=(where, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -3 - 11 * (i % 3)), textcoords="offset points", va="top",
                    ha="left", fontsize=8, color="0.1")

    if axis.periods is None:
        ax.set_xlabel(result.time)
    else:
        ax.set_xlabel(axis.unit[0].upper() + axis.unit[1:])
        if axis.freq.startswith("Y") and result.n <= 30:
            ax.set_xticks(x, [axis.show(t) for t in axis.index])
    if result.family == "binomial":
        ylabel = f"{result.outcome} / {result.trials} (proportion)"
    elif per is not None:
        ylabel = f"{result.outcome} per {per:,g} {result.offset}"
    else:
        ylabel = result.outcome
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    ax.legend(loc="best", fontsize=8, frameon=False)
    text = source if source is not None else result.source
    width = int(ax.figure.get_figwidth() * 17)  # characters of 7.5 pt text across the figure
    ax.annotate(textwrap.fill(f"Source: {text if text else 'not stated'}", width), xy=(0.0, 0.0),
                xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -4),
                textcoords="offset points", va="top", ha="left", fontsize=7.5, color="0.2",
                annotation_clip=False, gid="its-source")
    return ax


def plot_scan(scan, ax=None, marks=None, title=None):
    """Draw a break scan's profile: a line over break dates (one date) or a map over start and
    end dates (two), with the confidence set and the candidate (policy) dates; returns the Axes.
    """
    import pandas as pd

    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(8, 4.5), layout="constrained").add_subplot()
    prof = digits.rounded(scan.profile).sort_values(["start", "end"])
    grid = prof[prof["candidate"] == ""]
    named = prof[prof["candidate"] != ""]
    if scan.breaks == 1:
        ax.plot(grid["start"], grid["lr"], color="0.2", linewidth=1.2, marker="o",
                markersize=3, label="profile (grid of dates)", zorder=3)
        if scan.replicates:  # the profile alone (no bootstrap) has no set to draw
            inside = prof[prof["in_set"]]
            ax.plot(inside["start"], inside["lr"], linestyle="none", marker="o", markersize=6,
                    markerfacecolor="none", markeredgecolor="0.05",
                    label=f"in the {scan.level:.0%} confidence set", zorder=4)
            ax.plot(grid["start"], grid["cutoff"], color="0.4", linestyle="--", linewidth=0.9,
                    drawstyle="steps-mid", label="cutoff of the set at each date (bootstrap)")
        for i, row in enumerate(named.itertuples(index=False)):
            ax.plot([row.start], [row.lr], linestyle="none", marker="s", markersize=6,
                    color="0.05", zorder=5)
            ax.annotate(row.candidate, xy=(row.start, row.lr), xytext=(4, 6 + 9 * (i % 3)),
                        textcoords="offset points", fontsize=7.5, color="0.1")
        ax.set_ylabel("Fit worse than the best\n(scaled deviance; 0 = best)")
        ax.set_xlabel("Date of the break")
        ax.set_ylim(bottom=-0.05 * max(float(prof["lr"].replace(np.inf, np.nan).max()), 1.0))
    else:
        top = 3 * scan.critical if scan.replicates else float(np.nanquantile(
            grid["lr"].replace(np.inf, np.nan), 0.9))
        shown = np.minimum(grid["lr"].to_numpy(dtype=float), top)
        dots = ax.scatter(grid["start"], grid["end"], c=shown, cmap="Greys_r", vmin=0, vmax=top,
                          s=22, marker="s", linewidths=0, zorder=2)
        inside = prof[prof["in_set"]] if scan.replicates else prof.iloc[:0]
        ax.scatter(inside["start"], inside["end"], s=30, marker="s", facecolors="none",
                   edgecolors="0.05", linewidths=0.8, zorder=3,
                   label=f"in the {scan.level:.0%} confidence set")
        best = scan.best
        ax.plot([best["start"]], [best["end"]], marker="*", markersize=12, color="white",
                markeredgecolor="0.05", linestyle="none", zorder=5, label="best fit")
        for i, row in enumerate(named.itertuples(index=False)):
            ax.plot([row.start], [row.end], marker="X", markersize=8, color="0.05",
                    linestyle="none", zorder=4)
            ax.annotate(row.candidate, xy=(row.start, row.end), xytext=(5, -10 - 9 * (i % 3)),
                        textcoords="offset points", fontsize=7, color="0.1")
        bar = ax.figure.colorbar(dots, ax=ax, shrink=0.8)
        bar.set_label(f"Fit worse than the best (scaled deviance, capped at {top:.3g})",
                      fontsize=7.5)
        ax.set_xlabel("Start of the change")
        ax.set_ylabel("End of the change" if scan.kind == "dip" else "Second change")
    for i, (label, when) in enumerate((marks or {}).items()):
        when = pd.Timestamp(when)
        ax.axvline(when, color="0.5", linewidth=0.8, linestyle=LINESTYLES[i % 4], zorder=1)
        ax.annotate(label, xy=(when, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(2, -3 - 9 * (i % 4)), textcoords="offset points", va="top",
                    fontsize=7, color="0.3", rotation=0)
    ax.legend(loc="upper left" if scan.breaks == 1 else "lower right", fontsize=7.5,
              frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return ax


def plot_explanations(explanations, ax=None, title=None, marks=None):
    """Observed yearly counts with each explanation's fitted means (ranked, best first)."""
    import pandas as pd

    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(8, 4.5), layout="constrained").add_subplot()
    times = pd.PeriodIndex(explanations.observed["time"])
    x = times.start_time + (times.end_time - times.start_time) / 2
    styles = ["-", "--", "-.", ":", (0, (5, 2, 1, 2)), (0, (1, 3))]
    greys = ["0.05", "0.35", "0.55", "0.25", "0.45", "0.65"]
    gap = np.r_[False, np.diff(times.asi8) > 1]  # a missing period: break the line there
    drawn = explanations.table[explanations.table["explanation"].isin(explanations.fitted)]
    for i, row in enumerate(drawn.itertuples(index=False)):
        weight = "" if np.isnan(row.weight) else f" (weight {row.weight:.2f})"
        if getattr(row, "basis", "").startswith("suggested"):
            weight = " (exploratory" + (f", weight {row.weight:.2f})" if weight else ")")
        values = digits.significant(explanations.fitted[row.explanation], digits.OUTPUT_DIGITS)
        runs = np.split(np.arange(len(values)), np.flatnonzero(gap))
        for r, run in enumerate(runs):
            ax.plot(x[run], values[run], linestyle=styles[i % len(styles)],
                    color=greys[i % len(greys)], linewidth=1.6 if i == 0 else 1.1,
                    label=f"{row.explanation}{weight}" if r == 0 else None, zorder=3)
    ax.plot(x, explanations.observed["observed"], linestyle="none", marker="o", markersize=6,
            markerfacecolor="white", markeredgecolor="0.05", label="observed", zorder=4)
    for i, (label, when) in enumerate((marks or {}).items()):
        when = pd.Timestamp(when)
        ax.axvline(when, color="0.5", linewidth=0.8, linestyle=LINESTYLES[i % 4], zorder=1)
        ax.annotate(label, xy=(when, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(2, -3 - 9 * (i % 4)), textcoords="offset points", va="top",
                    fontsize=7, color="0.3")
    ax.set_xticks(x, [f"{p.end_time.year - 1}-{p.end_time.year % 100:02d}" for p in times])
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left", fontsize=7, frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return ax
