"""Plain-language statements generated from results, so the prose never drifts from the numbers.

Each function returns Markdown text (data-derived strings escaped) for a notebook to display.
"""

from __future__ import annotations

import math

from scrlib.cite import escape_markdown


def _interval(low: float, high: float) -> str:
    return f"{low:.2f} to {high:.2f}"


def effect_sentences(result) -> list[str]:
    """One sentence per estimated effect: estimate, 95% interval and what the interval includes."""
    null = 0.0 if result.family == "gaussian" else 1.0
    out = []
    for r in result.effects.itertuples(index=False):
        what = "step (immediate change in level)" if r.effect == "step" else "change in trend"
        covers = r.ci_low <= null <= r.ci_high
        verdict = (f"the interval includes {null:g} (no change), so these data cannot rule out "
                   "no change" if covers else
                   f"the interval excludes {null:g}, so a change of this direction is consistent "
                   "with the data, but the model's assumptions (below) carry that conclusion")
        out.append(f"**{escape_markdown(r.intervention)}**, {what}: {r.measure} "
                   f"{r.rate_ratio:.2f} (95% interval {_interval(r.ci_low, r.ci_high)}); "
                   f"{verdict}.")
    return out


def what_the_data_show(result, *, placebo=None, comparisons=None) -> str:
    """A short Markdown account of what a fit (and optional placebo and exact comparisons) show."""
    lines = [
        f"- The model uses **{result.n} yearly points** and **{result.k} parameters** "
        f"({result.df_resid} residual degrees of freedom), family *{result.family}*"
        + (f", dispersion {result.dispersion:.2f}" if not math.isnan(result.dispersion) else "")
        + "."
    ]
    lines += [f"- {s}" for s in effect_sentences(result)]
    if placebo is not None:
        for r in placebo.ranks.itertuples(index=False):
            lines.append(
                f"- In-time placebo ({r.effect}): the real estimate ranks {r.rank} of "
                f"{r.n_placebo + 1} by size; {r.share_as_extreme:.0%} of the placebo dates, when "
                "no policy changed, give an estimate at least as large."
                if r.n_placebo else f"- In-time placebo ({r.effect}): no admissible placebo date."
            )
    if comparisons is not None and len(comparisons):
        for r in comparisons.to_dict("records"):
            lines.append(
                f"- Exact comparison of yearly counts, {escape_markdown(r['to'])} "
                f"({r['years after']}) vs {escape_markdown(r['from'])} ({r['years before']}): "
                f"rate ratio {r['rate ratio']:.2f} (95% interval {r['95% interval']}, "
                f"exact p {r['exact p']})."
            )
    if result.warnings:
        lines.append("- What the data cannot support (warnings from the model):")
        lines += [f"  - {escape_markdown(w)}" for w in result.warnings]
    lines.append(
        "- Always: a yearly count is a few noisy points, the policy dates are close together "
        "(so their effects cannot be told apart), and other things changed at the same time. "
        "An interval that excludes no change is evidence of a change around the date, not proof "
        "that the policy caused it."
    )
    return "\n".join(lines)
