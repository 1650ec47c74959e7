"""Leave-one-out: refit an interrupted time series without each time point in turn.

With eight or ten yearly points a single year can carry an effect. :func:`leave_one_out` refits
the model once without each row and :meth:`LeaveOneOut.influence` says, per effect, how far the
estimate moves, which year moves it most and whether leaving a year out changes the conclusion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrlib.its import digits
from scrlib.its._engine import ConvergenceError
from scrlib.its._fit import fit
from scrlib.its.result import ItsResult

FITTED = "fitted"
TABLE_COLUMNS = ["left_out", "intervention", "effect", "rate_ratio", "ci_low", "ci_high",
                 "p_value", "status"]
INFLUENCE_COLUMNS = ["intervention", "effect", "measure", "full", "full_ci_low", "full_ci_high",
                     "lowest", "lowest_left_out", "highest", "highest_left_out",
                     "largest_move_left_out", "largest_move", "flips", "flipped_by",
                     "n_fitted", "n_not_fitted"]


@dataclass(frozen=True)
class LeaveOneOut:
    """The full fit and one refit per left-out time point.

    ``table`` has one row per (left-out point, intervention, effect): ``left_out`` (the time as
    a reader writes it, e.g. ``2012-13``), ``rate_ratio`` (odds ratio, difference: the full
    fit's measure), ``ci_low``, ``ci_high``, ``p_value`` (by the full fit's ``interval``) and
    ``status``: ``"fitted"`` or ``"not fitted: <reason>"`` (then the numbers are NaN).
    """

    full: ItsResult
    table: pd.DataFrame

    def _null(self) -> float:
        return 0.0 if self.full.family == "gaussian" else 1.0

    def _link(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if self.full.family == "gaussian":
            return values
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(values)

    def influence(self) -> pd.DataFrame:
        """Per (intervention, effect): the full estimate and interval, the lowest and highest
        leave-one-out estimates and the point left out for each, the point whose removal moves
        the estimate most on the link scale (``largest_move``: leave-one-out over full for
        ratios, leave-one-out minus full for differences), and ``flips``: True when some
        leave-one-out interval lies on another side of "no change" (1; 0 for differences) than
        the full one, the sides being wholly above, wholly below, or across it; ``flipped_by``
        lists the points whose removal does that."""
        null = self._null()
        rows = []
        for e in self.full.effects.itertuples(index=False):
            mine = self.table[(self.table["intervention"] == e.intervention)
                              & (self.table["effect"] == e.effect)]
            ok = mine[mine["status"] == FITTED]
            row = {"intervention": e.intervention, "effect": e.effect, "measure": e.measure,
                   "full": e.rate_ratio, "full_ci_low": e.ci_low, "full_ci_high": e.ci_high,
                   "lowest": np.nan, "lowest_left_out": None, "highest": np.nan,
                   "highest_left_out": None, "largest_move_left_out": None,
                   "largest_move": np.nan, "flips": False, "flipped_by": "",
                   "n_fitted": len(ok), "n_not_fitted": len(mine) - len(ok)}
            if len(ok):
                values = ok["rate_ratio"].to_numpy(dtype=float)
                labels = ok["left_out"].to_numpy(dtype=object)
                low, high = int(np.argmin(digits.key(values))), int(np.argmax(digits.key(values)))
                move = self._link(values) - float(self._link(e.rate_ratio))
                big = int(np.argmax(digits.key(np.abs(move))))
                full_side = _side(e.ci_low, e.ci_high, null)
                sides = [_side(lo, hi, null) for lo, hi in
                         zip(ok["ci_low"], ok["ci_high"], strict=True)]
                flipped = [str(lab) for lab, s in zip(labels, sides, strict=True)
                           if s != full_side]
                row.update({
                    "lowest": values[low], "lowest_left_out": labels[low],
                    "highest": values[high], "highest_left_out": labels[high],
                    "largest_move_left_out": labels[big],
                    "largest_move": (move[big] if self.full.family == "gaussian"
                                     else float(np.exp(move[big]))),
                    "flips": bool(flipped), "flipped_by": ", ".join(flipped),
                })
            rows.append(row)
        return pd.DataFrame(rows, columns=INFLUENCE_COLUMNS)

    def summary(self) -> str:
        """Readable text: how many refits, the range of each effect and what moves it."""
        full = self.full
        points = self.table.drop_duplicates("left_out")
        failed = points[points["status"] != FITTED]
        lines = [f"Leave-one-out: {full.outcome} refitted {full.n} times, each without one "
                 f"{full.axis.unit}; {len(failed)} of the refits could not be fitted",
                 f"Intervals: {full.interval_text}"]
        null = "0" if full.family == "gaussian" else "1"
        for r in self.influence().itertuples(index=False):
            head = (f"  {r.intervention}:{r.effect} ({r.measure}): full {r.full:.4g} "
                    f"({r.full_ci_low:.4g} to {r.full_ci_high:.4g})")
            if not r.n_fitted:
                lines.append(head + "; no leave-one-out fit")
                continue
            lines.append(head + f"; leave-one-out {r.lowest:.4g} (without {r.lowest_left_out})"
                         f" to {r.highest:.4g} (without {r.highest_left_out}); largest move "
                         f"without {r.largest_move_left_out}")
            if r.flips:
                lines.append(f"    the interval moves to another side of {null} without: "
                             f"{r.flipped_by}")
            else:
                lines.append(f"    the interval stays on the same side of {null} whichever "
                             "point is left out")
        if len(failed):
            lines.append("Not fitted:")
            lines += [f"  without {r.left_out}: {r.status.removeprefix('not fitted: ')}"
                      for r in failed.itertuples(index=False)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _side(low: float, high: float, null: float) -> str:
    if low > null:
        return "above"
    if high < null:
        return "below"
    return "across"


def leave_one_out(data: pd.DataFrame, **fit_kwargs) -> LeaveOneOut:
    """Fit ``its.fit(data, **fit_kwargs)``, then once more without each row (same arguments).

    Promises: one refit per row, in time order, with the full fit's arguments (so the same
    family, effects and ``interval`` method); a refit that cannot be done (ValueError,
    :class:`~scrlib.its.ConvergenceError`, :class:`~scrlib.its.IdentificationError`, e.g. an
    intervention left with no point on one side) is kept as rows with status
    ``"not fitted: <reason>"`` and is never raised. Errors of the full fit are raised.
    """
    full = fit(data, **fit_kwargs)
    axis = full.axis
    keys = [(e.intervention, e.effect) for e in full.effects.itertuples(index=False)]
    rows = []
    for i in range(len(data)):
        label = axis.show(axis.index[i])
        keep = np.ones(len(data), dtype=bool)
        keep[i] = False
        try:
            refit = fit(data.iloc[keep], **fit_kwargs)
            found = {(e.intervention, e.effect): e
                     for e in refit.effects.itertuples(index=False)}
        except (ValueError, ConvergenceError) as err:
            status = f"not fitted: {err}"
            rows += [{"left_out": label, "intervention": name, "effect": effect,
                      "rate_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                      "p_value": np.nan, "status": status} for name, effect in keys]
            continue
        for name, effect in keys:
            e = found[(name, effect)]
            rows.append({"left_out": label, "intervention": name, "effect": effect,
                         "rate_ratio": e.rate_ratio, "ci_low": e.ci_low, "ci_high": e.ci_high,
                         "p_value": e.p_value, "status": FITTED})
    return LeaveOneOut(full, pd.DataFrame(rows, columns=TABLE_COLUMNS))
