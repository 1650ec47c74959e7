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


def placebo_sentence(placebo, rank) -> str:
    """The in-time placebo in words, saying when it cannot give evidence."""
    if rank.n_placebo == 0:
        return (f"In-time placebo ({rank.effect}): no date qualifies (every other year has a "
                f"dated event within {placebo.window_months} months), so the check cannot be "
                "made.")
    text = (f"In-time placebo ({rank.effect}): {rank.n_placebo} date(s) with no dated event "
            f"within {placebo.window_months} months qualify; the real estimate ranks "
            f"{rank.rank} of {rank.n_placebo + 1} by size.")
    if not rank.can_give_evidence:
        return (text + f" With so few dates the share could not fall below "
                f"{rank.smallest_share:.2f}, so this check cannot give evidence either way.")
    return text + (f" Share of dates at least as extreme: {rank.share:.2f} (the smallest "
                   f"possible is {rank.smallest_share:.2f}).")


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
        lines += [f"- {placebo_sentence(placebo, r)}"
                  for r in placebo.ranks.itertuples(index=False)]
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
