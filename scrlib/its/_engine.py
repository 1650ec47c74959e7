"""Fit one design matrix with statsmodels, turning its warnings into errors or recorded notes.

statsmodels is imported lazily so that ``import scrlib.its`` stays cheap.
"""

from __future__ import annotations

import warnings

import numpy as np

FAMILIES = ("poisson", "quasipoisson", "negativebinomial", "binomial", "gaussian")
COUNT_FAMILIES = ("poisson", "quasipoisson", "negativebinomial", "binomial")


class IdentificationError(ValueError):
    """The model has terms the data cannot tell apart (e.g. a slope with one point after it)."""


class ConvergenceError(RuntimeError):
    """The model could not be fitted: the optimiser did not converge or no estimate exists."""


def hac_lags_rule(n: int) -> int:
    """Newey-West's rule of thumb, floor(4 * (n / 100) ** (2 / 9)), at least 1."""
    return max(1, int(np.floor(4 * (n / 100) ** (2 / 9))))


def _cov_options(cov: str, lags: int | None) -> dict:
    if cov == "hac":
        return {"cov_type": "HAC", "cov_kwds": {"maxlags": int(lags)}}
    return {}


def _messages(caught) -> list[str]:
    out = []
    for w in caught:
        text = f"statsmodels {w.category.__name__}: {w.message}"
        if text not in out:
            out.append(text)
    return out


def fit_model(family: str, y, X, *, offset=None, trials=None, cov="model", lags=None,
              maxiter: int = 100, parts=None, names=None):
    """Fit ``family`` to (y, X); returns (results, notes, NB boundary flag).

    The results are statsmodels' own, or a :class:`~scrlib.its._parts.PartsFit` when ``parts``
    splits a transition period into its parts (a model statsmodels cannot fit). Where the scale
    is estimated (quasipoisson, gaussian) p-values and intervals use t with the residual df.
    A fit the data do not identify (:mod:`scrlib.its.identification`, at the estimate) raises
    IdentificationError naming ``names``, the columns of ``X``.
    """
    names = [f"x{j}" for j in range(X.shape[1])] if names is None else list(names)
    if parts is not None and parts.split and family != "gaussian":
        return _fit_parts(family, y, parts, offset=offset, trials=trials, maxiter=maxiter,
                          names=names)
    if family == "negativebinomial" and cov == "model":
        # the project's own scoring engine, not statsmodels' optimisers: whether their Newton or
        # BFGS run reaches alpha depends on the BLAS kernel when alpha is near its boundary
        from scrlib.its._parts import Parts

        return _fit_parts(family, y, Parts.whole(X), offset=offset, trials=trials,
                          maxiter=maxiter, names=names)
    if family == "negativebinomial":
        return _fit_negbin(y, X, offset=offset, cov=cov, lags=lags, maxiter=maxiter,
                           names=names)
    options = _cov_options(cov, lags)
    if family == "quasipoisson":
        options["use_t"] = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if family == "gaussian":
            from statsmodels.regression.linear_model import OLS

            result = OLS(y, X).fit(**options)
        else:
            result = _glm(family, y, X, offset, trials).fit(
                maxiter=maxiter, scale="X2" if family == "quasipoisson" else None, **options
            )
        _touch(result)
    notes = _messages(caught)
    _check(family, result, y, trials, names, _jacobian(family, result, X, trials))
    return result, [n for n in notes if "PerfectSeparation" not in n], False


def _touch(result) -> None:
    """Compute the lazily cached statistics now, so their warnings are caught here."""
    for name in ("bse", "tvalues", "pvalues", "llf", "pearson_chi2", "resid_pearson", "mu",
                 "scale", "ssr", "deviance"):
        try:
            getattr(result, name)
        except (AttributeError, NotImplementedError):
            pass


def _glm(family: str, y, X, offset, trials):
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    if family == "binomial":
        return GLM(np.column_stack([y, trials - y]), X, family=families.Binomial())
    return GLM(y, X, family=families.Poisson(), offset=offset)


def _jacobian(family: str, result, X, trials) -> np.ndarray:
    """The variance-weighted Jacobian of the mean at the estimate, ``V^(-1/2) d mu / d theta``
    (= sqrt(W) X with W = (d mu / d eta)^2 / V(mu), the family's own weights)."""
    X = np.asarray(X, dtype=float)
    if family == "gaussian":
        return X
    mu = _mean(family, result)
    if family == "binomial":
        w = np.asarray(trials, dtype=float) * mu * (1 - mu)  # statsmodels' mu: proportions
    elif family == "negativebinomial":
        alpha = float(np.asarray(result.params)[-1])
        w = mu / (1 + alpha * mu)
    else:
        w = mu
    return np.sqrt(np.clip(w, 0.0, None))[:, None] * X


def _mean(family: str, result) -> np.ndarray:
    """The fitted means (proportions for binomial, as statsmodels reports them)."""
    if family == "negativebinomial" and not hasattr(result, "info"):  # statsmodels' discrete NB
        return np.asarray(result.predict(), dtype=float)
    return np.asarray(result.mu, dtype=float)


def _check(family: str, result, y, trials, names, jacobian) -> None:
    """Raise ConvergenceError if no finite estimate was reached (or the maximum likelihood
    estimate does not exist), IdentificationError if the data do not identify the fit at its
    estimate (the weighted Jacobian of the mean, then the standard errors before any dispersion
    scaling; :mod:`scrlib.its.identification`)."""
    from scrlib.its import identification

    params = np.asarray(result.params)[: len(names)]
    if not np.isfinite(params).all():
        raise ConvergenceError(f"the {family} fit gave non-finite estimates ({len(y)} points, "
                               f"{len(names)} coefficients); the data cannot identify this "
                               "model")
    if family != "gaussian":
        mu = _mean(family, result)
        if family == "binomial":
            edge = (mu < 1e-8) | (mu > 1 - 1e-8)
            what = "fitted proportions reach 0 or 1"
        else:
            edge = mu < 1e-8 * max(1.0, float(np.max(y)))
            what = "fitted means reach 0 where the counts are all 0"
        if edge.any():
            rows = np.flatnonzero(edge).tolist()
            raise ConvergenceError(
                f"the maximum likelihood estimate does not exist for this {family} model: "
                f"{what} (positions {rows[:10]}), so an effect is infinite; compare the periods "
                "with scrlib.its.compare_periods (exact methods) instead")
    verdict = identification.check_jacobian(jacobian, names)
    if not verdict.identified:
        raise IdentificationError(verdict.message(len(y), names))
    retvals = getattr(result, "mle_retvals", None) or {}
    converged = retvals.get("converged", getattr(result, "converged", True))
    if family != "gaussian" and not converged:
        history = getattr(result, "fit_history", None) or {}
        raise ConvergenceError(
            f"the {family} model did not converge (stopped after "
            f"{history.get('iteration', '?')} iterations); the series may be too "
            "short or too sparse for this model"
        )
    with np.errstate(invalid="ignore"):
        bse = np.asarray(result.bse, dtype=float)[: len(names)]
        if family == "quasipoisson":  # the bound is on precision, not on overdispersion
            bse = bse / np.sqrt(max(float(result.scale), 1e-300))
    verdict = identification.check_standard_errors(bse, names,
                                                   link_scale=family != "gaussian")
    if not verdict.identified:
        raise IdentificationError(verdict.message(len(y), names))


def _fit_negbin(y, X, *, offset, cov, lags, maxiter, names):
    """NB2 with Newey-West (HAC) covariance: the estimate is the project's scoring engine's (as
    for every NB fit), statsmodels' discrete NegativeBinomial gives only the HAC covariance at
    that estimate (no iterations of its own); alpha = 0 at the boundary (the Poisson fit)."""
    from statsmodels.discrete.discrete_model import NegativeBinomial

    from scrlib.its._parts import Parts

    engine, _, boundary = _fit_parts("negativebinomial", y, Parts.whole(X), offset=offset,
                                     trials=None, maxiter=maxiter, names=names)
    if boundary:
        return _boundary(y, X, offset, cov, lags, maxiter, names)
    model = NegativeBinomial(y, X, loglike_method="nb2", offset=offset)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(start_params=np.asarray(engine.params), method="newton", maxiter=0,
                           disp=0, **_cov_options(cov, lags))
        _touch(result)
    result.mle_retvals["converged"] = engine.converged  # the engine's, not a zero-step run's
    _check("negativebinomial", result, y, None, names,
           _jacobian("negativebinomial", result, X, None))
    kept = [m for m in _messages(caught)
            if "RuntimeWarning" not in m and "ConvergenceWarning" not in m]
    return result, kept, False


def _fit_parts(family, y, parts, *, offset, trials, maxiter, names):
    """The sum-of-parts model by the batched Fisher-scoring engine."""
    from scrlib.its._parts import PartsFit, fit_batch

    m = trials if family == "binomial" else (None if offset is None else np.exp(offset))
    batch = fit_batch(y, parts.rows, parts.weights, family=family, m=m,
                      alpha=None if family == "negativebinomial" else 0.0, maxiter=maxiter)
    result = PartsFit(batch, family, y, m, maxiter)
    _check(family, result, y, trials, names, batch.jacobian)
    return result, [], family == "negativebinomial" and float(batch.alpha) == 0.0


def _boundary(y, X, offset, cov, lags, maxiter, names):
    result, notes, _ = fit_model("poisson", y, X, offset=offset, cov=cov, lags=lags,
                                 maxiter=maxiter, names=names)
    return result, notes, True
