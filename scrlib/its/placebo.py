"""In-time placebo: refit with the intervention moved to dates when nothing happened.

A placebo date is the real date moved by whole years (same month and day), so it falls at the
same point of its period and is coded exactly as the real one (the same transition coding).
A date is left out when a dated event lies within ``window_months`` calendar months of it
(inclusive) (``exclude``: the
project passes every event in data/events.csv), when it is within the window of the real date or
another intervention, or when the data cannot fit it. The real estimate's share is
``(1 + placebos at least as extreme) / (placebos + 1)``; the smallest share the check can give
is ``1 / (placebos + 1)``, so with fewer than 19 placebo dates it can never reach 5%, and the
result says that the check cannot give evidence rather than printing a share as if it were a
p-value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrlib.its._engine import ConvergenceError
from scrlib.its._fit import fit

LEVEL = 0.05  # the share a placebo check must be able to reach to give evidence


@dataclass(frozen=True)
class PlaceboResult:
    """Placebo estimates (one row per date and effect, the real one flagged), the real
    estimate's rank and share, and the dates left out with the reason."""

    intervention: str
    estimates: pd.DataFrame
    ranks: pd.DataFrame
    skipped: pd.DataFrame
    only_before: bool
    window_months: int

    @property
    def can_give_evidence(self) -> bool:
        """True when enough placebo dates qualify for the share to reach 5%."""
        return bool(len(self.ranks)) and bool(self.ranks["can_give_evidence"].all())

    def summary(self) -> str:
        """Ranks and shares as text, with the smallest share the check could give."""
        lines = [f"In-time placebo for {self.intervention!r}: the date moved by whole years, to "
                 f"dates with no dated event within {self.window_months} months"
                 + (" (pre-intervention data only)" if self.only_before else "")]
        for r in self.ranks.itertuples(index=False):
            if r.n_placebo == 0:
                lines.append(f"  {r.effect}: no placebo date qualifies; the check cannot be made")
                continue
            lines.append(f"  {r.effect}: real {r.rate_ratio:.3g}; rank {r.rank} of "
                         f"{r.n_placebo + 1} by size; share {r.share:.2f} (smallest possible "
                         f"{r.smallest_share:.2f})")
            if not r.can_give_evidence:
                lines.append(f"    with {r.n_placebo} placebo date(s) the share cannot fall "
                             f"below {r.smallest_share:.2f}, so this check cannot give "
                             "evidence at the 5% level either way")
        if len(self.skipped):
            lines.append(f"  {len(self.skipped)} date(s) left out (see .skipped): "
                         + "; ".join(f"{r.time}: {r.reason}"
                                     for r in self.skipped.head(4).itertuples(index=False)))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def placebo_in_time(data: pd.DataFrame, *, intervention: str | None = None,
                    only_before: bool = False, exclude=(), window_months: int = 12,
                    **fit_kwargs) -> PlaceboResult:
    """Refit with ``intervention`` moved to each qualifying placebo date; rank the real one.

    Interventions must be dates (or Periods). Other interventions stay where they are. With
    ``only_before=True`` the data are cut to the periods wholly before the real date and later
    interventions are dropped. ``exclude`` lists dates of events that rule out placebo dates
    within ``window_months``. "At least as extreme" compares |estimate| on the link scale.
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
    if actual.axis.periods is None:
        raise ValueError("placebo dates are moved by whole years, so the time column must hold "
                         "dates or Periods")
    if not isinstance(window_months, int) or window_months < 0:
        raise ValueError(f"window_months={window_months!r} must be a whole number >= 0")
    real = next(s for s in actual.starts if s.name == intervention)
    real_date = pd.Timestamp(real.date)
    others = {s.name: fit_kwargs["interventions"][s.name] for s in actual.starts
              if s.name != intervention and (not only_before or s.t0 < real.t0)}
    frame = data
    if only_before:
        keep = actual.axis.periods.end_time < real_date
        frame = data.loc[np.asarray(keep)]
    effect_spec = fit_kwargs.get("effects", ("step",))
    if isinstance(effect_spec, dict):
        effect_spec = {k: v for k, v in effect_spec.items() if k in others or k == intervention}
    blocked = [(pd.Timestamp(d), "a dated event") for d in exclude]
    blocked += [(real_date, "the real date")]
    blocked += [(pd.Timestamp(s.date), f"intervention {s.name!r}") for s in actual.starts
                if s.name != intervention and s.date is not None]
    periods = actual.axis.periods
    first, last = periods[0].start_time, periods[-1].end_time
    rows, skipped = [], []
    for shift in range(-(last.year - first.year) - 1, last.year - first.year + 2):
        if shift == 0:
            continue
        when = real_date + pd.DateOffset(years=shift)
        if not first < when <= last:
            continue
        window = pd.DateOffset(months=window_months)
        near = [why for d, why in blocked if d - window <= when <= d + window]
        if near:
            skipped.append({"time": when.date(), "reason": f"within {window_months} months of "
                            + ", ".join(sorted(set(near)))})
            continue
        kwargs = {**fit_kwargs, "effects": effect_spec,
                  "interventions": {**others, intervention: when}}
        try:
            placebo = fit(frame, **kwargs)
        except (ConvergenceError, ValueError) as err:
            skipped.append({"time": when.date(), "reason": str(err).split("\n")[0]})
            continue
        est = placebo.effects[placebo.effects["intervention"] == intervention]
        for r in est.itertuples(index=False):
            rows.append({"time": when.date(), "effect": r.effect, "rate_ratio": r.rate_ratio,
                         "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value,
                         "estimate": r.estimate, "actual": False})
    real_rows = actual.effects[actual.effects["intervention"] == intervention]
    for r in real_rows.itertuples(index=False):
        rows.append({"time": real_date.date(), "effect": r.effect, "rate_ratio": r.rate_ratio,
                     "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value,
                     "estimate": r.estimate, "actual": True})
    estimates = pd.DataFrame(rows, columns=["time", "effect", "rate_ratio", "ci_low", "ci_high",
                                            "p_value", "estimate", "actual"])
    ranks = []
    for effect, group in estimates.groupby("effect", sort=False):
        real_est = float(group.loc[group["actual"], "estimate"].iloc[0])
        placebos = np.abs(group.loc[~group["actual"], "estimate"].to_numpy(dtype=float))
        k = len(placebos)
        as_extreme = int((placebos >= abs(real_est)).sum())
        smallest = 1.0 / (k + 1)
        ranks.append({"effect": effect,
                      "rate_ratio": float(group.loc[group["actual"], "rate_ratio"].iloc[0]),
                      "n_placebo": k, "rank": 1 + int((placebos > abs(real_est)).sum()),
                      "share": (1 + as_extreme) / (k + 1), "smallest_share": smallest,
                      "can_give_evidence": smallest <= LEVEL})
    return PlaceboResult(intervention, estimates, pd.DataFrame(ranks, columns=[
        "effect", "rate_ratio", "n_placebo", "rank", "share", "smallest_share",
        "can_give_evidence"]), pd.DataFrame(skipped, columns=["time", "reason"]), only_before,
        window_months)
