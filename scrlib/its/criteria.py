"""Information criteria for short series: AICc, and QAICc for quasi-likelihood fits.

Parameters are counted the same way for every family: the mean coefficients plus one for each
estimated dispersion parameter (NB2's alpha, even when its estimate is 0; the quasi-Poisson
scale; the residual variance of least squares). With n yearly points AIC's penalty is far too
small, so only the small-sample versions are reported:

* ``AICc = -2 llf + 2k + 2k(k + 1) / (n - k - 1)``, undefined (NaN) when ``n - k - 1 <= 0``;
* ``QAICc = -2 llf / c + 2k + 2k(k + 1) / (n - k - 1)`` with ``llf`` the Poisson
  log-likelihood and ``c`` the dispersion of the most general model compared (at least 1),
  itself counted in ``k`` (Burnham and Anderson 2002, section 2.5).

Criteria compare models of the same data under the same likelihood: AICc within Poisson, NB2
and least squares separately, QAICc among quasi-Poisson fits sharing one ``c``. A difference
below 2 is no evidence either way.
"""

from __future__ import annotations

import numpy as np

DISPERSION_FAMILIES = ("negativebinomial", "quasipoisson", "gaussian")


def loglike(result) -> float:
    """The fit's log-likelihood; for quasipoisson the Poisson one at the fitted means
    (statsmodels divides it by the estimated scale)."""
    if result.family != "quasipoisson":
        return float(result.model_result.llf)
    from scipy import special

    mu = np.asarray(result.model_result.mu, dtype=float)
    y = result.y
    return float(np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1)))


def n_parameters(result) -> int:
    """Mean coefficients plus one for an estimated dispersion parameter."""
    return result.design.shape[1] + (1 if result.family in DISPERSION_FAMILIES else 0)


def small_sample_penalty(k: int, n: int) -> float:
    """2k(k + 1) / (n - k - 1), or NaN when n - k - 1 <= 0."""
    return 2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else float("nan")


def aicc(llf: float, k: int, n: int) -> float:
    """AIC with the small-sample correction."""
    return -2 * llf + 2 * k + small_sample_penalty(k, n)


def qaicc(llf: float, k: int, n: int, c_hat: float) -> float:
    """Quasi-AICc: the Poisson log-likelihood over the dispersion ``c_hat`` (floored at 1)."""
    return -2 * llf / max(float(c_hat), 1.0) + 2 * k + small_sample_penalty(k, n)


def akaike_weights(values) -> np.ndarray:
    """exp(-delta / 2) normalised over the finite values (NaN elsewhere)."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    out = np.full(values.shape, np.nan)
    if finite.any():
        delta = values[finite] - values[finite].min()
        w = np.exp(-delta / 2)
        out[finite] = w / w.sum()
    return out
