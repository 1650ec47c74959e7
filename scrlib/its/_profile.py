"""Profile-likelihood intervals and likelihood-ratio tests for a contrast of the coefficients.

For a contrast ``c . theta`` the model is refitted with that contrast held at each trial value
``b`` (the other coefficients, and NB2's alpha, re-estimated), as R's ``confint`` on a glm does.
With ``Q(b)`` the deviance (minus twice the log-likelihood for NB2), the signed root
``r(b) = sign(b - b_hat) * sqrt((Q(b) - Q(b_hat)) / phi)`` is compared with

* the normal quantile for poisson, binomial and negativebinomial (``phi = 1``, chi-squared 1);
* the t quantile with the residual df for quasipoisson (``phi`` the Pearson dispersion of the
  full fit, an F(1, df) test). R's ``confint`` compares the same statistic with a normal
  quantile; with the scale estimated from a few residual df the t quantile is the honest one,
  as in R's ``summary.glm`` and ``anova(..., test = "F")``.

The p-value is the matching test of ``c . theta = 0``, so an interval excludes 0 exactly when
p < 1 - level. All refits for one contrast are batched (:func:`scrlib.its._parts.fit_batch`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scrlib.its._parts import Parts, fit_batch

MAX_ROUNDS = 40  # secant rounds (each one batched fit for both ends)
TOLERANCE = 1e-7  # on the signed root


class ProfileError(RuntimeError):
    """The profile could not be computed: a constrained refit did not converge."""


@dataclass(frozen=True)
class Profile:
    """A contrast's profile interval and the matching test of ``contrast = 0``."""

    estimate: float
    low: float
    high: float
    statistic: float  # deviance drop (scaled by phi): chi2(1), or F(1, df) for quasipoisson
    p_value: float


@dataclass(frozen=True)
class ProfileModel:
    """What a refit needs: the data, the model's parts, the family and its dispersion."""

    y: np.ndarray
    parts: Parts
    family: str
    m: np.ndarray | None  # exposure (log families) or trials (binomial)
    phi: float  # Pearson dispersion for quasipoisson, else 1
    df: int  # residual df (the F test's denominator for quasipoisson)
    theta: np.ndarray  # the fitted coefficients
    alpha: float = 0.0  # NB2's fitted alpha: where each refit starts its search

    @property
    def reference(self):
        """The null distribution of the scaled deviance drop for one constraint."""
        from scipy import stats

        if self.family == "quasipoisson":
            return stats.f(1, self.df)
        return stats.chi2(1)

    def critical(self, level: float) -> float:
        """The signed-root cutoff: sqrt of the reference quantile at ``level``."""
        return float(np.sqrt(self.reference.ppf(level)))


def profile(model: ProfileModel, contrast, se: float, level: float = 0.95) -> Profile:
    """Profile interval for ``contrast . theta`` and the test that it is 0 (see module doc)."""
    c = np.asarray(contrast, dtype=float)
    j = int(np.argmax(np.abs(c)))
    A = np.eye(len(c))
    A[j] = c
    transformed = model.parts.transformed(np.linalg.inv(A))
    reduced, column = transformed.without(j)
    theta = A @ model.theta
    estimate = float(theta[j])
    start = np.delete(theta, j)

    def q(values: np.ndarray, starts=None) -> tuple[np.ndarray, np.ndarray]:
        """The objective with the contrast held at each value (NaN where the refit fails or is
        not identified),
        and the refitted coefficients; ``starts`` continue from nearby fits."""
        offsets = values[:, None, None] * column[None]
        fit = fit_batch(model.y, reduced.rows, reduced.weights, family=model.family, m=model.m,
                        part_offset=offsets, start=start if starts is None else starts,
                        alpha=None if model.family == "negativebinomial" else 0.0,
                        alpha_start=model.alpha or None)
        value = fit.objective if model.family == "negativebinomial" else fit.deviance
        return np.where(fit.usable, value, np.nan), fit.theta

    crit = model.critical(level)
    step = crit * se if np.isfinite(se) and se > 0 else crit
    first, _ = q(np.array([estimate, 0.0]))
    q_hat = float(first[0])
    if not np.isfinite(first).all():
        raise ProfileError("a constrained refit (at the estimate, or at no change) did not "
                           "converge")
    drop = max(float(first[1]) - q_hat, 0.0) / model.phi
    p_value = float(model.reference.sf(drop))
    if estimate == 0.0:
        p_value, drop = 1.0, 0.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        low, high = _ends(q, estimate, q_hat, model.phi, crit, step, start)
    return Profile(estimate, low, high, drop, p_value)


def _ends(q, estimate, q_hat, phi, crit, step, start) -> tuple[float, float]:
    """Both ends at once: |r(b)| = crit on each side of the estimate, by a safeguarded secant.

    Until a side is bracketed its trial point moves outwards by secant extrapolation (at most
    tripling the distance); once bracketed, by regula falsi (Illinois) inside the bracket. Each
    refit starts from the last refit on its side (a continuation: far from the estimate a cold
    start can stall on a false optimum and fake a crossing). A
    side whose profile never reaches the cutoff (within 10^4 standard errors), or where a refit
    fails before it does, is infinite: the data do not bound it there.
    """
    side = np.array([-1.0, 1.0])
    inner = np.zeros(2)  # distance from the estimate with |r| < crit (r = 0 at distance 0)
    r_inner = np.zeros(2)
    outer = np.full(2, np.nan)  # distance with |r| >= crit, once found
    r_outer = np.full(2, np.nan)
    trial = np.full(2, step)
    done = np.zeros(2, dtype=bool)
    result = np.full(2, np.nan)
    starts = np.vstack([start, start])
    for _ in range(MAX_ROUNDS):
        values, fitted = q(estimate + side * trial, starts)
        good = np.isfinite(values)
        starts = np.where(good[:, None], fitted, starts)
        r = np.abs(_signed_root(side * trial, values, 0.0, q_hat, phi))
        failed = ~np.isfinite(r) & ~done  # a refit that fails says nothing: leave it open
        result = np.where(failed, np.inf, result)
        done |= failed
        r = np.where(np.isfinite(r), r, 0.0)
        hit = np.abs(r - crit) < TOLERANCE * max(crit, 1.0)
        result = np.where(hit & ~done, trial, result)
        done |= hit
        above = r >= crit
        was_bracketed = np.isfinite(outer)
        outer = np.where(~done & above, trial, outer)
        r_outer = np.where(~done & above, r, r_outer)
        # Illinois: halve the retained end's excess when the same end is kept twice
        keep_inner = ~done & above & was_bracketed
        r_inner = np.where(keep_inner, crit + (r_inner - crit) / 2, r_inner)
        inner = np.where(~done & ~above, trial, inner)
        r_inner = np.where(~done & ~above, r, r_inner)
        if done.all():
            break
        bracketed = np.isfinite(outer)
        finite_outer = np.isfinite(r_outer)
        span = np.where(bracketed, outer - inner, 1.0)
        rise = np.where(bracketed & finite_outer, r_outer - r_inner, 1.0)
        inside = np.where(bracketed & finite_outer & (rise > 0),
                          inner + (crit - r_inner) * span / np.where(rise > 0, rise, 1.0),
                          inner + span / 2)
        slope = np.where(trial > 0, np.maximum(r, 1e-12) / trial, 1.0)
        outward = np.minimum(trial + (crit - r) / slope, 3 * trial)
        outward = np.maximum(outward, trial * 1.05)
        trial = np.where(bracketed, inside, outward)
        lost = ~bracketed & (trial > 1e4 * step)
        result = np.where(lost & ~done, np.inf, result)
        done |= lost
        if done.all():
            break
    unresolved = ~np.isfinite(result) & ~np.isinf(result)
    if unresolved.any():  # out of rounds: the bracket's interpolation is as good as it gets
        result = np.where(unresolved, np.where(np.isfinite(outer), (inner + outer) / 2, np.inf),
                          result)
    return estimate - result[0], estimate + result[1]


def _signed_root(b, values, estimate, q_hat, phi):
    drop = np.maximum(values - q_hat, 0.0) / phi
    return np.sign(b - estimate) * np.sqrt(drop)
