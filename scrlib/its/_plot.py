"""The ITS chart: greyscale-readable, matplotlib object API only (no pyplot)."""

from __future__ import annotations

import textwrap

import numpy as np

LINESTYLES = [":", "-.", (0, (5, 2, 1, 2)), (0, (1, 3))]


def plot_result(result, ax=None, source=None, per=None, title=None):
    """Draw ``result`` on ``ax`` (a new Figure's Axes if None) and return the Axes."""
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(8, 4.5), layout="constrained").add_subplot()
    axis = result.axis
    x = axis.x()
    fit = result.predict(per)
    cf = result.counterfactual(per)
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
