"""Specification curve: the same question answered under every defensible set of choices.

:func:`grid` crosses the choices into :class:`~scrlib.design.Specification` objects, :func:`run`
fits each one and records the estimate for one policy event (or why it could not be fitted), and
:func:`plot_curve` draws the sorted estimates above a panel showing which choices made each one.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd

from scrlib.design import Specification

CHOICES = ("series", "events", "conflict_rule", "event_rule", "transition", "family",
           "effects")
COLUMNS = [*CHOICES, "status", "n", "k", "rate_ratio", "ci_low", "ci_high", "p_value",
           "excludes_null", "warnings"]


def grid(base: Specification, **options) -> list[Specification]:
    """Every combination of the given options (each a list of values) applied to ``base``.

    Duplicates are dropped, keeping the first, so the order of the result is reproducible.
    """
    unknown = sorted(set(options) - set(CHOICES) - {"denominator"})
    if unknown:
        raise ValueError(f"unknown choices {unknown}; allowed: {', '.join(CHOICES)}")
    names = list(options)
    specs = [base.with_(**dict(zip(names, combo, strict=True)))
             for combo in itertools.product(*(options[n] for n in names))]
    return list(dict.fromkeys(specs))


def run(dataset, specs: list[Specification], event: str | None = None) -> pd.DataFrame:
    """Fit every specification; one row each with the step estimate for ``event``.

    ``event=None`` takes each specification's last event (the policy whose date is varied). A
    specification whose events do not include ``event`` is an error; one that cannot be fitted
    (too few years, no convergence) is kept with ``status`` saying why.
    """
    from scrlib.its import ConvergenceError

    rows = []
    frames: dict[tuple, pd.DataFrame] = {}  # many specifications model the same data
    for spec in specs:
        target = spec.events[-1] if event is None else event
        if target not in spec.events:
            raise ValueError(f"specification {spec} does not include event {target!r}")
        row = spec.as_dict()
        row.pop("denominator")
        row.pop("breaks")
        label = dataset.event(target).label
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                key = (spec.series, spec.denominator, spec.conflict_rule)
                if key not in frames:
                    frames[key] = spec.data(dataset)
                result = spec.fit(dataset, data=frames[key])
        except (ValueError, ConvergenceError) as err:  # IdentificationError is a ValueError
            rows.append({**row, "status": f"not fitted: {err}".split("\n")[0], "n": np.nan,
                         "k": np.nan, "rate_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "p_value": np.nan, "excludes_null": False, "warnings": 0})
            continue
        eff = result.effects
        step = eff[(eff["intervention"] == label) & (eff["effect"] == "step")].iloc[0]
        null = 0.0 if spec.family == "gaussian" else 1.0
        rows.append({**row, "status": "fitted", "n": result.n, "k": result.k,
                     "rate_ratio": float(step["rate_ratio"]), "ci_low": float(step["ci_low"]),
                     "ci_high": float(step["ci_high"]), "p_value": float(step["p_value"]),
                     "excludes_null": not (step["ci_low"] <= null <= step["ci_high"]),
                     "warnings": len(result.warnings)})
    return pd.DataFrame(rows, columns=COLUMNS)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """How the estimates spread: count, median and range, and the share excluding no change."""
    fitted = table[table["status"] == "fitted"]
    return pd.DataFrame([{
        "specifications": len(table),
        "fitted": len(fitted),
        "median rate ratio": round(float(fitted["rate_ratio"].median()), 3) if len(fitted)
        else np.nan,
        "lowest": round(float(fitted["rate_ratio"].min()), 3) if len(fitted) else np.nan,
        "highest": round(float(fitted["rate_ratio"].max()), 3) if len(fitted) else np.nan,
        "share whose interval excludes 1": round(float(fitted["excludes_null"].mean()), 3)
        if len(fitted) else np.nan,
    }])


def by_choice(table: pd.DataFrame) -> pd.DataFrame:
    """Median estimate and share excluding no change for each value of each varied choice."""
    fitted = table[table["status"] == "fitted"]
    rows = []
    for choice in CHOICES:
        if fitted[choice].nunique() < 2:
            continue
        for value, group in fitted.groupby(choice, sort=True):
            rows.append({"choice": choice, "value": str(value), "fits": len(group),
                         "median rate ratio": round(float(group["rate_ratio"].median()), 3),
                         "share excluding 1": round(float(group["excludes_null"].mean()), 3)})
    return pd.DataFrame(rows, columns=["choice", "value", "fits", "median rate ratio",
                                       "share excluding 1"])


def plot_curve(dataset, table: pd.DataFrame, *, source_ids, event: str | None = None,
               title: str | None = None):
    """Sorted step estimates with 95% intervals (top) and the choices behind each (bottom)."""
    from scrlib import plot
    from scrlib.cite import source_line

    plot.configure()
    from matplotlib.figure import Figure

    fitted = table[table["status"] == "fitted"].sort_values(
        ["rate_ratio", *CHOICES], kind="mergesort").reset_index(drop=True)
    varied = [c for c in CHOICES if fitted[c].nunique() > 1]
    levels = [(c, str(v)) for c in varied for v in sorted(fitted[c].astype(str).unique())]
    fig = Figure(figsize=(8, 4.5 + 0.16 * len(levels)), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True,
                               gridspec_kw={"height_ratios": [3, max(1, 0.18 * len(levels))]})
    x = np.arange(len(fitted))
    excl = fitted["excludes_null"].to_numpy(dtype=bool)
    top.vlines(x, fitted["ci_low"], fitted["ci_high"], color="0.6", linewidth=0.8,
               label="95% interval")
    top.plot(x[excl], fitted["rate_ratio"][excl], "o", color="0.05", markersize=3,
             label="interval excludes 1")
    top.plot(x[~excl], fitted["rate_ratio"][~excl], "o", markerfacecolor="white",
             markeredgecolor="0.05", markersize=3, label="interval includes 1")
    top.axhline(1.0, color="0.3", linestyle="--", linewidth=0.9)
    top.set_yscale("log")
    at = dataset.event(event).label if event else "the policy date"
    top.set_ylabel(f"Rate ratio at {at}\n(step, log scale)")
    top.legend(fontsize=7.5, frameon=False, loc="upper left")
    if title:
        top.set_title(title, loc="left", fontsize=10)
    for row, (choice, value) in enumerate(levels):
        hit = fitted[choice].astype(str).to_numpy() == value
        bottom.plot(x[hit], np.full(hit.sum(), row), "|", color="0.1", markersize=5)
    bottom.set_yticks(range(len(levels)), [f"{c}: {v}" for c, v in levels], fontsize=6.5)
    bottom.set_ylim(len(levels) - 0.5, -0.5)
    bottom.set_xlabel(f"Specification, sorted by estimate ({len(fitted)} fitted of "
                      f"{len(table)})")
    plot.add_source_line(fig, source_line(dataset, source_ids))
    return fig
