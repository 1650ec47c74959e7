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


OTHERS = ("estimated", "absent")


def minimum_detectable_effect(result: ItsResult, *, power: float = 0.8, level: float = 0.05,
                              others: str = "estimated", replicates: int = 0,
                              seed: int = 2024) -> pd.DataFrame:
    """The smallest rise and fall per effect that this design detects with probability ``power``.

    Promises one row per (intervention, effect) of ``result``: ``mde_increase``, the smallest
    rate ratio above 1 (odds ratio; for gaussian a difference above 0), and ``mde_decrease``,
    the largest below 1 (difference below 0), that a two-sided test at ``level`` rejects "no
    change" with probability ``power``; NaN, with the reason in ``note``, where no plausible
    effect (up to 1000 times, down to 1/1000; 10,000 standard errors for differences) gets
    there.

    Method: the means are the fitted model's, with the effect under test set to delta and, by
    default (``others="estimated"``), every other effect held at its estimate: a fall at an
    earlier policy date stays in the baseline, as in the data. ``others="absent"`` sets every
    other policy term to 0 (no-policy means), which overstates what a design with an earlier
    fall can detect. A year coded as the sum of its parts keeps its parts. The standard error
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

    That approximation can be off by much where an earlier fall leaves few counts (a Wald
    test is not the profile test the fit reports). With ``replicates`` > 0 (poisson,
    quasipoisson, negativebinomial) each value is then solved by simulation instead: the
    effect at which the fit's own test rejects in ``power`` of ``replicates`` series drawn
    from the fitted model (:func:`simulated_power`, the same uniform draws at every trial
    value, so the share rises with the effect), by bisection on the log scale from the
    approximation. A simulated series whose refit the data do not identify gives no test: it
    is left out of the rejection rate, and the share of such series at the reported value is
    ``not_identified_up`` / ``not_identified_down``. ``simulated_power_up`` / ``_down`` and
    ``power_se`` give the share at the reported value and its Monte Carlo standard error;
    ``method`` says which was used.

    Also returned: ``measure`` (as in ``result.effects``), ``df``, ``power``, ``level``,
    ``n_points``, ``unit`` and ``others`` (for :func:`mde_sentence`).
    """

    power = _fraction("power", power)
    level = _fraction("level", level)
    if others not in OTHERS:
        raise ValueError(f"others must be one of {', '.join(OTHERS)}, not {others!r}")
    simulate = _replicates(replicates) > 0
    if simulate and (result.interval != "profile" or result.cov != "model"):
        raise ValueError("replicates > 0 simulates the fit's profile test, but this fit reports "
                         f"{result.interval} intervals with cov={result.cov!r}; use "
                         "replicates=0, or refit with interval='profile' and cov='model'")
    if simulate and result.family not in SIMULATED:
        raise ValueError(f"replicates > 0 (a simulated MDE) covers {', '.join(SIMULATED)}, not "
                         f"{result.family!r}; use replicates=0")
    model = _Design(result, others)
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
               "unit": result.axis.unit, "note": "", "others": others,
               "n_effects": len(measures), "method": "Wald approximation",
               "simulated_power_up": np.nan, "simulated_power_down": np.nan, "power_se": np.nan,
               "not_identified_up": np.nan, "not_identified_down": np.nan}
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
                unreached = []
                for side, key in ((1.0, "mde_increase"), (-1.0, "mde_decrease")):
                    delta, best = curve.solve(side, power, se0)
                    if np.isnan(delta):
                        unreached.append(_unreached(result.family, side, power, best, se0))
                    else:
                        row[key] = delta if result.family == "gaussian" else math.exp(delta)
                if simulate:
                    row.update(_by_simulation(result, model, j, row, power, level,
                                              replicates, seed))
                    unreached = [f"no {way} up to {MAX_RATIO:g} times is detected with "
                                 f"probability {power:g} in the simulated series"
                                 for way, key in (("rise", "mde_increase"),
                                                  ("fall", "mde_decrease"))
                                 if np.isnan(row[key])]
                notes += unreached
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, "others", "n_effects", "method",
                                       "simulated_power_up", "simulated_power_down",
                                       "power_se", "not_identified_up", "not_identified_down"])


def _replicates(value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not (
            value == 0 or 100 <= value <= 100_000):
        raise ValueError(f"replicates must be 0 (no simulation) or a whole number from 100 to "
                         f"100000, not {value!r}")
    return int(value)


def _by_simulation(result, model, j, row, power, level, replicates, seed) -> dict:
    """The row's two values solved by simulation (see :func:`minimum_detectable_effect`)."""
    draws = _Draws(result, model, j, replicates, seed)
    out = {"method": f"simulation of {replicates} series (seed {seed})"}
    used = []
    for key, side, share, missing in (
            ("mde_increase", 1.0, "simulated_power_up", "not_identified_up"),
            ("mde_decrease", -1.0, "simulated_power_down", "not_identified_down")):
        start = row[key]
        start = math.log(start) if np.isfinite(start) and start > 0 else side * math.log(3.0)
        found = _bisect(lambda d: draws.power(d, level), start, side, power)
        out[key] = math.exp(found) if np.isfinite(found) else np.nan
        rate, gone = draws.rates(found, level) if np.isfinite(found) else (np.nan, np.nan)
        out[share], out[missing] = rate, gone
        if np.isfinite(gone):
            used.append(replicates * (1 - gone))
    n = min(used) if used else replicates
    out["power_se"] = math.sqrt(power * (1 - power) / max(n, 1))
    return out


class _Draws:
    """Series from the fit's model with effect j at a trial value, from fixed uniform draws
    (common random numbers): the simulated power rises with the effect, without jitter."""

    def __init__(self, result, model, j, replicates, seed):
        self.result, self.model, self.j = result, model, j
        self.uniform = np.random.default_rng(seed).random((replicates, result.n))

    def counts(self, delta: float) -> np.ndarray:
        from scipy import stats

        mu = self.model.mean(np.array([delta]), self.j)[0][0]
        phi = self.model.dispersion
        if self.result.family == "negativebinomial" and phi > 0:
            size = np.full(mu.shape, 1.0 / phi)
        elif self.result.family == "quasipoisson" and phi > 1:
            size = mu / (phi - 1.0)
        else:
            return stats.poisson.ppf(self.uniform, mu)
        return stats.nbinom.ppf(self.uniform, size, size / (size + mu))

    def rates(self, delta: float, level: float) -> tuple[float, float]:
        """(the share of identified refits whose test rejects, the share not identified)."""
        p = _refit_pvalues(self.result.family, self.counts(delta), self.result.parts, self.j,
                           self.model.m)
        return _rejections(p, level)

    def power(self, delta: float, level: float) -> float:
        return self.rates(delta, level)[0]


def _rejections(p: np.ndarray, level: float) -> tuple[float, float]:
    """(share rejecting at ``level`` among the refits that are identified, share not
    identified): a refit the data do not identify gives no test, so it is left out of the
    rejection rate rather than counted as a miss (and reported apart)."""
    ok = np.isfinite(p)
    missing = float(1 - ok.mean()) if p.size else 0.0
    return (float(np.mean(p[ok] < level)) if ok.any() else float("nan")), missing


def _bisect(power_at, start: float, side: float, target: float, *, steps: int = 14) -> float:
    """The smallest |delta| on ``side`` whose simulated power reaches ``target``: from
    ``start`` (log-rate scale) step outwards by factors of 1.25 until it does (NaN if the power
    turns down first, as it does where the counts after a huge fall are mostly 0 and the fit is
    not identified, or beyond log(MAX_RATIO)), or inwards while it still does; then bisect."""
    cap = math.log(MAX_RATIO)
    size = min(max(abs(start), 1e-3), cap)
    here = power_at(side * size)
    if here >= target:
        low, high = 0.0, size
        while high > 1e-3:
            if power_at(side * high / 1.25) < target:
                low = high / 1.25
                break
            high /= 1.25
    else:
        low, high = size, size
        while here < target:
            low, high = high, high * 1.25
            if high > cap:
                return float("nan")
            before, here = here, power_at(side * high)
            if here < before:
                return float("nan")
    for _ in range(steps):
        middle = (low + high) / 2
        if power_at(side * middle) >= target:
            high = middle
        else:
            low = middle
    return side * high


def _fraction(argument: str, value) -> float:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not 0 < float(value) < 1):
        raise ValueError(f"{argument} must be a number strictly between 0 and 1, not {value!r}")
    return float(value)


class _Design:
    """A fit's model with one effect moved: its means, their Jacobian and the variance
    function, to get se(delta). Count families keep a transition year's parts."""

    def __init__(self, result: ItsResult, others: str = "estimated"):
        self.family = result.family
        self.X = np.asarray(result.design, dtype=float)
        self.parts = result.parts
        self.theta = np.asarray(result._beta, dtype=float).copy()
        if others == "absent":
            self.theta[result._intervention_columns()] = 0.0
        self.dispersion = float(result.dispersion)
        if self.family == "binomial":
            self.m = np.asarray(result.n_trials, dtype=float)
        else:
            self.m = (np.ones(result.n) if result.log_exposure is None
                      else np.exp(np.asarray(result.log_exposure, dtype=float)))

    def thetas(self, delta: np.ndarray, j: int) -> np.ndarray:
        """Coefficients (len(delta), k): the fit's (or 0 for absent policies), j at delta."""
        out = np.repeat(self.theta[None, :], len(delta), axis=0)
        out[:, j] = delta
        return out

    def mean(self, delta: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Means (len(delta), n) and their derivatives in theta (len(delta), n, k)."""
        from scrlib.its._parts import _mean

        theta = self.thetas(delta, j)
        if self.family == "gaussian":
            mu = theta @ self.X.T
            return mu, np.broadcast_to(self.X, (len(delta), *self.X.shape))
        link = "logit" if self.family == "binomial" else "log"
        return _mean(theta, self.parts.rows, self.parts.weights, None, self.m, link)

    def variance(self, mu: np.ndarray) -> np.ndarray:
        """Var(y) at the means, by family."""
        if self.family == "gaussian":
            return np.full(mu.shape, self.dispersion)
        if self.family == "binomial":
            p = mu / self.m
            return self.m * p * (1 - p)
        if self.family == "quasipoisson":
            return self.dispersion * mu
        if self.family == "negativebinomial":
            return mu + self.dispersion * mu**2
        return mu

    def se(self, delta: np.ndarray, j: int) -> np.ndarray:
        """Standard error of the coefficient of column j when its true value is delta."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            mu, d_mu = self.mean(np.asarray(delta, dtype=float), j)
            info = np.einsum("gnk,gn,gnl->gkl", d_mu, 1.0 / self.variance(mu), d_mu)
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


SIMULATED = ("poisson", "quasipoisson", "negativebinomial")


def simulated_power(result: ItsResult, intervention: str, effect: str, value: float, *,
                    replicates: int = 1000, seed: int = 2024, level: float = 0.05,
                    others: str = "estimated", details: bool = False):
    """(power, its Monte Carlo standard error): the share of series simulated from the fit's own
    model, with the effect at ``value`` (a rate ratio) and the others as ``others`` says, in
    which the fit's test rejects no change at ``level``.

    Each series is drawn with the fitted means (a transition year as the sum of its parts) and
    the family's noise: Poisson; quasipoisson as negative binomial counts with variance
    dispersion x mean (at least Poisson); negativebinomial with the fitted alpha. It is then
    refitted with and without the effect and tested as the fit tests it: the deviance drop over
    the series' own Pearson dispersion against F(1, df) for quasipoisson (the profile test),
    the likelihood-ratio chi-squared(1) otherwise. A series whose refit the data do not
    identify gives no test: it is left out of the share (``details=True`` returns a dict with
    ``power``, ``se``, ``not_identified``, the share left out, and ``identified``). The check
    of :func:`minimum_detectable_effect`.
    """
    if result.family not in SIMULATED:
        raise ValueError(f"simulated_power covers {', '.join(SIMULATED)}, not "
                         f"{result.family!r}")
    if others not in OTHERS:
        raise ValueError(f"others must be one of {', '.join(OTHERS)}, not {others!r}")
    if isinstance(value, bool) or not (isinstance(value, numbers.Real)
                                       and math.isfinite(value) and value > 0):
        raise ValueError(f"value must be a positive rate ratio, not {value!r}")
    j = result.names.index(f"{intervention}:{effect}")
    model = _Design(result, others)
    mu = model.mean(np.array([math.log(value)]), j)[0][0]
    rng = np.random.default_rng(seed)
    if result.family == "negativebinomial" and model.dispersion > 0:
        size = 1.0 / model.dispersion
        y = rng.negative_binomial(size, size / (size + mu), size=(replicates, len(mu)))
    elif result.family == "quasipoisson" and model.dispersion > 1:
        size = mu / (model.dispersion - 1.0)
        y = rng.negative_binomial(size, size / (size + mu), size=(replicates, len(mu)))
    else:
        y = rng.poisson(mu, size=(replicates, len(mu)))
    p = _refit_pvalues(result.family, y.astype(float), result.parts, j, model.m)
    share, missing = _rejections(p, level)
    used = max(round(replicates * (1 - missing)), 1)
    if details:
        return {"power": share, "se": math.sqrt(share * (1 - share) / used),
                "not_identified": missing, "identified": used}
    return share, math.sqrt(share * (1 - share) / used)


def pvalues_on(result: ItsResult, name: str, ys) -> np.ndarray:
    """The p-value of the fit's own test of coefficient ``name`` ("label:step") on each series
    in ``ys`` (rows, the fit's years): the same design, family, exposure and test (F with each
    series' own Pearson dispersion for quasipoisson, likelihood ratio otherwise), all refits in
    one batch; NaN where a refit is not identified. Families: ``SIMULATED``."""
    if result.family not in SIMULATED:
        raise ValueError(f"pvalues_on covers {', '.join(SIMULATED)}, not {result.family!r}")
    m = (np.ones(result.n) if result.log_exposure is None
         else np.exp(np.asarray(result.log_exposure, dtype=float)))
    ys = np.atleast_2d(np.asarray(ys, dtype=float))
    return _refit_pvalues(result.family, ys, result.parts, result.names.index(name), m)


def _refit_pvalues(family: str, y: np.ndarray, parts, j: int, m=None) -> np.ndarray:
    """The p-value of the test that coefficient j is 0, for every series in ``y`` (rows), by
    the fit's own test (F for quasipoisson, likelihood ratio otherwise); NaN where a refit is
    not usable (:mod:`scrlib.its.identification`)."""
    from scipy import stats

    from scrlib.its._parts import fit_batch

    n, k = y.shape[-1], parts.rows.shape[-1]
    likelihood = "negativebinomial" if family == "negativebinomial" else "poisson"
    alpha = None if likelihood == "negativebinomial" else 0.0
    reduced = np.delete(parts.rows, j, axis=-1)
    options = {"family": likelihood, "alpha": alpha, "m": m, "tol": 1e-8, "step_tol": 1e-6,
               "maxiter": 50, "polish": False}
    full = fit_batch(y, parts.rows, parts.weights, **options)
    null = fit_batch(y, reduced, parts.weights, **options)
    if likelihood == "negativebinomial":
        p = stats.chi2.sf(np.maximum(null.objective - full.objective, 0), 1)
    elif family == "quasipoisson":
        phi = full.pearson / (n - k)
        p = stats.f.sf(np.maximum(null.deviance - full.deviance, 0) / phi, 1, n - k)
    else:
        p = stats.chi2.sf(np.maximum(null.deviance - full.deviance, 0), 1)
    return np.where(full.usable & null.usable, p, np.nan)


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
    held = _held_words(row)
    head = f"With {points} and this much {between} noise{held}, the design would"
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


def _held_words(row) -> str:
    """", the other changes held at their estimates" where there are other changes."""
    others = _get(row, "others") if _has(row, "others") else "estimated"
    if not _has(row, "n_effects") or int(_get(row, "n_effects")) < 2:
        return ""
    if others == "estimated":
        return ", and the other changes in the model held at their estimates"
    return ", and no other change in the model"


def _has(row, key: str) -> bool:
    return key in row if isinstance(row, pd.Series | dict) else hasattr(row, key)


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
