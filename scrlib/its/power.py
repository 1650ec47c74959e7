"""Minimum detectable effect: how large a change a short series could have shown.

An interval that includes "no change" on eight yearly points says little unless the reader knows
what the design could have detected. :func:`minimum_detectable_effect` gives, for each effect of
a fit, the smallest rise and the smallest fall that the same design, means and noise would
detect with a given power; :func:`mde_sentence` says it in plain words.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from scrlib.its.result import SCALE_FAMILIES, ItsResult

MAX_RATIO = 1000.0  # rises beyond this many times (falls below its inverse) are not plausible
MAX_SE = 1e4  # gaussian: differences beyond this many standard errors are not plausible
GRID = 400  # candidate effects scanned on each side before the root is polished
COLUMNS = ["intervention", "effect", "mde_increase", "mde_decrease", "measure", "se_at_null",
           "df", "power", "level", "n_points", "unit", "note"]


def minimum_detectable_effect(result: ItsResult, *, power: float = 0.8,
                              level: float = 0.05) -> pd.DataFrame:
    """The smallest rise and fall per effect that this design detects with probability ``power``.

    Promises one row per (intervention, effect) of ``result``: ``mde_increase``, the smallest
    rate ratio above 1 (odds ratio; for gaussian a difference above 0), and ``mde_decrease``,
    the largest below 1 (difference below 0), that a two-sided test at ``level`` rejects "no
    change" with probability ``power``; NaN, with the reason in ``note``, where no plausible
    effect (up to 1000 times, down to 1/1000; 10,000 standard errors for differences) gets
    there.

    Method: for an effect delta on the link scale the means are the fit's no-policy means
    (:meth:`ItsResult.counterfactual`, every intervention term at 0) moved by delta times the
    effect's design column (log link: times exp(delta x_j); logit: on the log-odds; identity:
    plus delta x_j); a transition year coded as the sum of its parts uses the averaged column
    ``result.design[:, j]`` (the fractional coding), a close approximation. The standard error
    of delta is from the expected Fisher information of the whole design at those means, with
    the family's variance: poisson mu; quasipoisson dispersion x mu; negativebinomial
    mu + alpha mu^2; binomial n p (1 - p); gaussian the residual variance (constant). The power
    is that of the test the fit reports: where the scale is estimated (quasipoisson, gaussian;
    unless ``interval="wald-normal"``) a two-sided t test on the residual df, power from the
    noncentral t with noncentrality delta / se (the F(1, df) profile test of a quasipoisson
    fit is its likelihood-ratio counterpart); otherwise a two-sided z test (``df`` = inf).
    power(delta) = ``power`` is solved with :func:`scipy.optimize.brentq` from the first
    crossing on a grid. The model-based information is used even when the fit used HAC
    standard errors (said in ``note``). ``se_at_null`` is the standard error at delta = 0.

    Also returned: ``measure`` (as in ``result.effects``), ``df``, ``power``, ``level``,
    ``n_points`` and ``unit`` (for :func:`mde_sentence`).
    """

    power = _fraction("power", power)
    level = _fraction("level", level)
    model = _Design(result)
    use_t = result.family in SCALE_FAMILIES and result.interval != "wald-normal"
    df = float(result.df_resid) if use_t else math.inf
    measures = {(r.intervention, r.effect): r.measure
                for r in result.effects.itertuples(index=False)}
    rows = []
    for (name, effect), measure in measures.items():
        j = result.names.index(f"{name}:{effect}")
        row = {"intervention": name, "effect": effect, "mde_increase": np.nan,
               "mde_decrease": np.nan, "measure": measure, "se_at_null": np.nan, "df": df,
               "power": power, "level": level, "n_points": result.n,
               "unit": result.axis.unit, "note": ""}
        notes = []
        if power <= level:
            notes.append(f"the target power {power:g} is at or below the level {level:g}: a "
                         "test rejects that often even when nothing changed")
        if result.cov == "hac":
            notes.append("model-based information used (not the fit's HAC standard errors)")
        if use_t and df <= 0:
            notes.append(f"no residual degrees of freedom ({result.n} points, {result.k} "
                         "parameters): the scale cannot be estimated and no test is possible")
        else:
            se0 = float(model.se(np.array([0.0]), j)[0])
            row["se_at_null"] = se0
            if not (np.isfinite(se0) and se0 > 0):
                notes.append("the standard error at no change is not finite (the dispersion "
                             "or the information cannot be computed)")
            else:
                curve = _PowerCurve(model, j, df, level)
                for side, key in ((1.0, "mde_increase"), (-1.0, "mde_decrease")):
                    delta, best = curve.solve(side, power, se0)
                    if np.isnan(delta):
                        notes.append(_unreached(result.family, side, power, best, se0))
                    else:
                        row[key] = delta if result.family == "gaussian" else math.exp(delta)
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _fraction(argument: str, value) -> float:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not 0 < float(value) < 1):
        raise ValueError(f"{argument} must be a number strictly between 0 and 1, not {value!r}")
    return float(value)


class _Design:
    """The design, no-policy means and variance function of a fit, to get se(delta)."""

    def __init__(self, result: ItsResult):
        from scipy import special
        self.family = result.family
        self.X = np.asarray(result.design, dtype=float)
        base = result.counterfactual()["mean"].to_numpy(dtype=float)
        if self.family == "binomial":
            self.eta0 = special.logit(base)
            self.m = np.asarray(result.n_trials, dtype=float)
        elif self.family == "gaussian":
            self.eta0 = base
        else:
            self.eta0 = np.log(base)
        self.dispersion = float(result.dispersion)

    def weights(self, delta: np.ndarray, j: int) -> np.ndarray:
        """Fisher weights (d mu / d eta)^2 / Var(y), shape (len(delta), n)."""
        from scipy import special

        eta = self.eta0[None, :] + delta[:, None] * self.X[None, :, j]
        if self.family == "gaussian":
            return np.full(eta.shape, 1.0 / self.dispersion)
        if self.family == "binomial":
            p = special.expit(eta)
            return self.m * p * (1 - p)
        mu = np.exp(eta)
        if self.family == "quasipoisson":
            return mu / self.dispersion
        if self.family == "negativebinomial":
            return mu / (1 + self.dispersion * mu)
        return mu

    def se(self, delta: np.ndarray, j: int) -> np.ndarray:
        """Standard error of the coefficient of column j when its true value is delta."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            w = self.weights(delta, j)
            info = np.einsum("gn,nk,nl->gkl", w, self.X, self.X)
            out = np.full(len(delta), np.nan)
            ok = np.isfinite(info).all(axis=(1, 2))
            unit = np.zeros(self.X.shape[1])
            unit[j] = 1.0
            for g in np.flatnonzero(ok):
                try:
                    out[g] = math.sqrt(np.linalg.solve(info[g], unit)[j])
                except (np.linalg.LinAlgError, ValueError):
                    pass
        return out


class _PowerCurve:
    """Power of the two-sided test of effect j at true values delta."""

    def __init__(self, model: _Design, j: int, df: float, level: float):
        from scipy import stats
        self.model, self.j, self.df = model, j, df
        self.crit = (stats.norm.isf(level / 2) if math.isinf(df)
                     else stats.t.isf(level / 2, df))
        self.ratio = model.family != "gaussian"

    def __call__(self, delta: np.ndarray) -> np.ndarray:
        from scipy import stats
        delta = np.atleast_1d(np.asarray(delta, dtype=float))
        nc = delta / self.model.se(delta, self.j)
        if math.isinf(self.df):
            return stats.norm.sf(self.crit - nc) + stats.norm.cdf(-self.crit - nc)
        out = np.full(nc.shape, np.nan)
        ok = np.isfinite(nc)
        out[ok] = (stats.nct.sf(self.crit, self.df, nc[ok])
                   + stats.nct.cdf(-self.crit, self.df, nc[ok]))
        return out

    def solve(self, side: float, target: float, se0: float) -> tuple[float, float]:
        """(delta on this side where the power first reaches target, or NaN; the best power
        seen on the grid)."""
        from scipy import optimize

        cap = math.log(MAX_RATIO) if self.ratio else MAX_SE * se0
        grid = side * np.geomspace(min(1e-3 * se0, 1e-3 * cap), cap, GRID)
        powers = self(grid)
        best = float(np.nanmax(powers)) if np.isfinite(powers).any() else float("nan")
        reached = np.flatnonzero(powers >= target)
        if not reached.size:
            return float("nan"), best
        i = int(reached[0])
        if i == 0:
            # the target is at or below the power at almost no effect (the level)
            if float(self(np.array([0.0]))[0]) >= target:
                return 0.0, best
            lo = 0.0
        else:
            lo = float(grid[i - 1])
        root = optimize.brentq(lambda d: float(self(np.array([d]))[0]) - target, lo,
                               float(grid[i]), xtol=1e-12, rtol=1e-12)
        return float(root), best


def _unreached(family: str, side: float, power: float, best: float, se0: float) -> str:
    way = "rise" if side > 0 else "fall"
    if family == "gaussian":
        size = f"of up to {MAX_SE * se0:.4g}"
    else:
        size = (f"up to {MAX_RATIO:g} times" if side > 0
                else f"down to 1/{MAX_RATIO:g}")
    best_text = "" if np.isnan(best) else f" (at most {best:.2f})"
    return (f"no {way} {size} is detected with probability {power:g}: the power stays "
            f"below it{best_text}")


# -- plain words ------------------------------------------------------------------------------
_UNIT_WORDS = {"year": ("yearly", "year-to-year", "year"),
               "month": ("monthly", "month-to-month", "month"),
               "quarter": ("quarterly", "quarter-to-quarter", "quarter"),
               "week": ("weekly", "week-to-week", "week"),
               "day": ("daily", "day-to-day", "day")}


def _get(row, key: str):
    if isinstance(row, pd.Series | dict):
        return row[key]
    return getattr(row, key)


def _number(x: float, ratio: bool) -> str:
    """Two significant digits, without exponent; a ratio keeps enough to differ from 1."""
    x = float(x)
    if not math.isfinite(x) or x == 0:
        return f"{x:g}"
    digits = max(0, 1 - math.floor(math.log10(abs(x))))
    if ratio and x != 1:
        digits = max(digits, -math.floor(math.log10(abs(x - 1))))
    return f"{x:.{digits}f}"


def _percent(x: float) -> str:
    return f"{100 * float(x):.3g}%"


def mde_sentence(row) -> str:
    """One row of :func:`minimum_detectable_effect` (Series, dict or itertuples row) in plain
    words for a non-statistician: what rise or fall the design would detect, and that smaller
    changes could go unseen. Every number comes from the row."""
    unit = str(_get(row, "unit"))
    adjective, between, per = next(
        (words for key, words in _UNIT_WORDS.items() if key in unit),
        ("", "point-to-point", "time point"))
    n = int(_get(row, "n_points"))
    points = f"{n} {adjective} points" if adjective else f"{n} points"
    how = (f"({_percent(_get(row, 'power'))} of the time, at the "
           f"{_percent(_get(row, 'level'))} level)")
    head = f"With {points} and this much {between} noise, the design would"
    at = f"at {_get(row, 'intervention')}"
    up, down = float(_get(row, "mde_increase")), float(_get(row, "mde_decrease"))
    if np.isnan(up) and np.isnan(down):
        return (f"{head} not detect {how} a change {at} of any plausible size; even large "
                "changes could be there and go unseen.")
    rise, fall, fall_alone = _phrases(str(_get(row, "measure")), _get(row, "effect") == "slope",
                                      up, down, at, per)
    if np.isnan(down):
        body = f"only {rise}, and no fall however large"
    elif np.isnan(up):
        body = f"only {fall_alone}, and no rise however large"
    else:
        body = f"only {rise} or {fall}"
    return f"{head} detect {how} {body}; smaller changes could be there and go unseen."


def _phrases(measure: str, slope: bool, up: float, down: float, at: str,
             per: str) -> tuple[str, str, str]:
    """(rise, fall after a rise, fall on its own) in words."""
    if measure.startswith("difference"):
        u, d = _number(up, ratio=False), _number(abs(down), ratio=False)
        if slope:
            return (f"a rise in the trend {at} of at least {u} per {per}",
                    f"a fall of at least {d} per {per}",
                    f"a fall in the trend {at} of at least {d} per {per}")
        return (f"a rise {at} of at least {u}", f"a fall of at least {d}",
                f"a fall {at} of at least {d}")
    u, d = _number(up, ratio=True), _number(down, ratio=True)
    what = "the odds" if measure.startswith("odds") else "the level"
    if slope:
        return (f"an added rise {at} to at least {u} times {what} per {per}",
                f"an added fall to at most {d} times per {per}",
                f"an added fall {at} to at most {d} times {what} per {per}")
    return (f"a rise {at} to at least {u} times {what}", f"a fall to at most {d} times",
            f"a fall {at} to at most {d} times {what}")
