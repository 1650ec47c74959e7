"""In-time placebo: move one intervention to every other admissible time and refit.

If the real estimate is no more extreme than estimates at dates when nothing happened, the data
cannot tell the policy's effect apart from the series' ordinary ups and downs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrlib.its._engine import ConvergenceError
from scrlib.its._fit import fit


@dataclass(frozen=True)
class PlaceboResult:
    """Placebo estimates (one row per placebo time and effect) and where the real one ranks."""

    intervention: str
    estimates: pd.DataFrame
    ranks: pd.DataFrame
    skipped: pd.DataFrame
    only_before: bool

    def summary(self) -> str:
        """Ranks as text, with what the placebo set was."""
        where = ("times before the real start, on the pre-intervention data only"
                 if self.only_before else "every other admissible time (placebos after the real "
                 "start include its effect)")
        lines = [f"In-time placebo for {self.intervention!r}: moved to {where}"]
        for r in self.ranks.itertuples(index=False):
            lines.append(f"  {r.effect}: real {r.rate_ratio:.4g}; rank {r.rank} of "
                         f"{r.n_placebo + 1} by |estimate| (1 = most extreme); share of "
                         f"placebos at least as extreme = {r.share_as_extreme:.3f}")
        if len(self.skipped):
            lines.append(f"  {len(self.skipped)} placebo time(s) could not be fitted "
                         "(see .skipped)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def placebo_in_time(data: pd.DataFrame, *, intervention: str | None = None,
                    only_before: bool = False, **fit_kwargs) -> PlaceboResult:
    """Refit with ``intervention`` moved to each other admissible time; rank the real estimate.

    Admissible: an observed time point leaving at least one point before it and one from it
    onwards (two each when the intervention has a slope term), not the real start nor another
    intervention's start. Other interventions stay where they are. With ``only_before=True`` the
    data are cut to the points before the real start (later interventions dropped) so no
    placebo overlaps the real effect. "At least as extreme" compares |estimate| on the link
    scale (|log rate ratio|, |log odds ratio| or |difference|).
    """
    actual = fit(data, **fit_kwargs)
    names = [s.name for s in actual.starts]
    if intervention is None:
        if len(names) > 1:
            raise ValueError(f"several interventions {names}: say which to move with "
                             "intervention=")
        intervention = names[0]
    if intervention not in names:
        raise ValueError(f"unknown intervention {intervention!r}; the fit has {names}")
    real = next(s for s in actual.starts if s.name == intervention)
    others = {k: v for k, v in fit_kwargs["interventions"].items() if k != intervention}
    t = actual.axis.index
    frame = data
    if only_before:
        keep = t < real.t0
        frame = data.loc[keep]
        t = t[keep]
        others = {s.name: fit_kwargs["interventions"][s.name] for s in actual.starts
                  if s.name != intervention and s.t0 < real.t0}
    side = 2 if "slope" in actual.effect_terms[real.name] else 1
    taken = {real.t0} | {s.t0 for s in actual.starts if s.name in others}
    effect_spec = fit_kwargs.get("effects", ("step",))
    if isinstance(effect_spec, dict):
        effect_spec = {k: v for k, v in effect_spec.items() if k in others or k == intervention}
    time_values = list(frame[fit_kwargs["time"]])
    rows, skipped = [], []
    for i in range(side, len(t) - side + 1):
        if t[i] in taken:
            continue
        kwargs = {**fit_kwargs, "effects": effect_spec,
                  "interventions": {**others, intervention: time_values[i]}}
        try:
            placebo = fit(frame, **kwargs)
        except (ConvergenceError, ValueError) as err:
            skipped.append({"time": time_values[i], "reason": str(err)})
            continue
        est = placebo.effects[placebo.effects["intervention"] == intervention]
        for r in est.itertuples(index=False):
            rows.append({"time": time_values[i], "effect": r.effect, "rate_ratio": r.rate_ratio,
                         "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value,
                         "estimate": r.estimate, "actual": False})
    real_rows = actual.effects[actual.effects["intervention"] == intervention]
    for r in real_rows.itertuples(index=False):
        rows.append({"time": real.given, "effect": r.effect, "rate_ratio": r.rate_ratio,
                     "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value,
                     "estimate": r.estimate, "actual": True})
    estimates = pd.DataFrame(rows, columns=["time", "effect", "rate_ratio", "ci_low", "ci_high",
                                            "p_value", "estimate", "actual"])
    ranks = []
    for effect, group in estimates.groupby("effect", sort=False):
        real_est = float(group.loc[group["actual"], "estimate"].iloc[0])
        placebos = np.abs(group.loc[~group["actual"], "estimate"].to_numpy(dtype=float))
        as_extreme = int((placebos >= abs(real_est)).sum())
        ranks.append({"effect": effect,
                      "rate_ratio": float(group.loc[group["actual"], "rate_ratio"].iloc[0]),
                      "n_placebo": len(placebos), "rank": 1 + int((placebos > abs(real_est)).sum()),
                      "share_as_extreme": as_extreme / len(placebos) if len(placebos) else np.nan})
    return PlaceboResult(intervention, estimates, pd.DataFrame(ranks),
                         pd.DataFrame(skipped, columns=["time", "reason"]), only_before)
