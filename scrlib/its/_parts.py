"""Count models whose yearly mean is the sum of its parts, fitted in batches by Fisher scoring.

A year that contains a policy date is the days before it at the old rate plus the days after it at
the new one. Each observation ``i`` is split into parts ``p`` with day shares ``w[i, p]`` (summing
to 1) and design rows ``x[i, p]``; its mean is

* log link (poisson, quasipoisson, negativebinomial): ``m_i * sum_p w_ip exp(x_ip . theta)``,
  ``m_i`` the exposure (1 without an offset);
* logit link (binomial): ``m_i * sum_p w_ip expit(x_ip . theta)``, ``m_i`` the trials (each trial
  falls in part ``p`` with probability ``w_ip``, so the yearly count is exactly binomial).

With one part per observation this is the ordinary GLM, and the fits agree with statsmodels. Every
function broadcasts over leading batch dimensions, so a scan over break dates, a bootstrap or a
profile fits many models in one call: ``y`` is ``(..., n)``, ``rows`` ``(..., n, P, k)``,
``weights`` ``(..., n, P)``, ``part_offset`` ``(..., n, P)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOG_FAMILIES = ("poisson", "quasipoisson", "negativebinomial")
MAX_ETA = 700.0


@dataclass(frozen=True)
class Parts:
    """Observations split into parts: day shares ``weights`` (n, P), design ``rows`` (n, P, k)."""

    weights: np.ndarray
    rows: np.ndarray

    @property
    def average(self) -> np.ndarray:
        """The share-weighted design (n, k): the 'fractional' coding of the same dates."""
        return np.einsum("np,npk->nk", self.weights, self.rows)

    @property
    def split(self) -> bool:
        """True when some observation has more than one part (a transition year)."""
        return bool(((self.weights > 0).sum(axis=1) > 1).any())

    @classmethod
    def whole(cls, design: np.ndarray) -> Parts:
        """One part per observation: the ordinary GLM with this design."""
        design = np.asarray(design, dtype=float)
        return cls(np.ones((design.shape[0], 1)), design[:, None, :])

    def transformed(self, inverse: np.ndarray) -> Parts:
        """The same model with parameters ``theta' = A theta`` (rows times ``A^-1``)."""
        return Parts(self.weights, self.rows @ inverse)

    def without(self, j: int) -> tuple[Parts, np.ndarray]:
        """Drop column j; return the reduced parts and column j (to move into an offset)."""
        keep = [c for c in range(self.rows.shape[-1]) if c != j]
        return Parts(self.weights, self.rows[..., keep]), self.rows[..., j]


@dataclass
class Batch:
    """Fitted models: ``theta`` (..., k), ``mu`` (..., n), ``deviance``, ``pearson``, ``info``.

    ``alpha`` is the NB2 dispersion (0 for other families and at the NB boundary); ``deviance``
    is the family's deviance at that alpha; ``objective`` is minus twice the log-likelihood.
    ``identified``: the data identify the fit at its estimate (the rule of
    :mod:`scrlib.its.identification`); ``usable`` = converged and identified.
    """

    theta: np.ndarray
    mu: np.ndarray
    deviance: np.ndarray
    pearson: np.ndarray
    info: np.ndarray
    converged: np.ndarray
    iterations: int
    alpha: np.ndarray | float = 0.0
    objective: np.ndarray | None = None
    jacobian: np.ndarray | None = None  # V^(-1/2) d mu / d theta (..., n, k), at the estimate

    @property
    def identified(self) -> np.ndarray:
        """True where the information at the estimate passes the identification rule."""
        from scrlib.its.identification import identified_information

        return identified_information(self.info)

    @property
    def usable(self) -> np.ndarray:
        """True where the fit converged and the data identify it."""
        return np.asarray(self.converged) & self.identified


def _mean(theta, rows, weights, part_offset, m, link):
    """Mean (..., n) and its derivative in theta (..., n, k); loops over the few parts for speed."""
    from scipy import special

    parts = rows.shape[-2]
    eta = np.stack([np.matmul(rows[..., p, :], theta[..., :, None])[..., 0]
                    for p in range(parts)], axis=-1)
    if part_offset is not None:
        eta = eta + part_offset
    eta = np.minimum(eta, MAX_ETA)
    if link == "log":
        a = weights * np.exp(eta)
        slope = a
    else:
        h = special.expit(eta)
        a = weights * h
        slope = a * (1.0 - h)
    mu = m * a.sum(axis=-1)
    d_mu = slope[..., 0, None] * rows[..., 0, :]
    for p in range(1, parts):
        d_mu = d_mu + slope[..., p, None] * rows[..., p, :]
    return mu, m[..., None] * d_mu


def _information(d_mu, var):
    """Fisher information sum_i d_i d_i' / V_i, batched (..., k, k)."""
    return np.matmul(np.swapaxes(d_mu, -1, -2), d_mu / var[..., None])


def _variance(mu, family, m, alpha):
    if family == "binomial":
        p = np.clip(mu / m, 1e-300, 1 - 1e-15)
        return m * p * (1 - p)
    if family == "negativebinomial":
        return mu + np.asarray(alpha)[..., None] * mu**2
    return mu


def _xlogy_ratio(y, mu):
    """y * log(y / mu) with 0 log 0 = 0."""
    from scipy import special

    return special.xlogy(y, y) - special.xlogy(y, mu)


def deviance(y, mu, family, m=None, alpha=0.0):
    """The model deviance (NB2 with alpha held fixed)."""
    if family == "binomial":
        return 2 * np.sum(_xlogy_ratio(y, mu) + _xlogy_ratio(m - y, m - mu), axis=-1)
    poisson = 2 * np.sum(_xlogy_ratio(y, mu) - (y - mu), axis=-1)
    if family == "negativebinomial" and np.any(np.asarray(alpha) > 0):
        zero = np.asarray(alpha) <= 0
        a = np.where(zero, 1.0, alpha)[..., None]
        tail = (y + 1 / a) * (np.log1p(a * y) - np.log1p(a * mu))
        return np.where(zero, poisson, 2 * np.sum(_xlogy_ratio(y, mu) - tail, axis=-1))
    return poisson


def loglike(y, mu, family, m=None, alpha=0.0):
    """The full log-likelihood (Poisson for quasipoisson, as statsmodels reports it)."""
    from scipy import special

    if family == "binomial":
        return np.sum(special.gammaln(m + 1) - special.gammaln(y + 1) - special.gammaln(m - y + 1)
                      + special.xlogy(y, mu / m) + special.xlogy(m - y, 1 - mu / m), axis=-1)
    poisson = np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1), axis=-1)
    if family == "negativebinomial" and np.any(np.asarray(alpha) > 0):
        zero = np.asarray(alpha) <= 0
        a = np.where(zero, 1.0, alpha)[..., None]
        size = 1.0 / a
        nb = np.sum(special.gammaln(y + size) - special.gammaln(size) - special.gammaln(y + 1)
                    + special.xlogy(y, a * mu) - (y + size) * np.log1p(a * mu), axis=-1)
        return np.where(zero, poisson, nb)
    return poisson


def _objective(y, mu, family, m, alpha):
    """Minus twice the log-likelihood, up to terms free of the mean (for step-halving)."""
    from scipy import special

    if family == "binomial":
        p = np.clip(mu / m, 1e-300, 1 - 1e-15)
        return -2 * np.sum(special.xlogy(y, p) + special.xlogy(m - y, 1 - p), axis=-1)
    poisson = 2 * np.sum(mu - special.xlogy(y, mu), axis=-1)
    if family == "negativebinomial" and np.any(np.asarray(alpha) > 0):
        zero = np.asarray(alpha) <= 0
        a = np.where(zero, 1.0, alpha)[..., None]
        nb = -2 * np.sum(special.xlogy(y, mu) - (y + 1 / a) * np.log1p(a * mu), axis=-1)
        return np.where(zero, poisson, nb)
    return poisson


def _start(y, rows, weights, part_offset, m, link):
    """Least squares on the linearised response, with the share-weighted design."""
    from scipy import special

    X = np.einsum("...np,...npk->...nk", weights, rows)
    if link == "log":
        z = np.log((y + 0.5) / m)
    else:
        z = special.logit((y + 0.5) / (m + 1.0))
    if part_offset is not None:
        z = z - np.einsum("...np,...np->...n", weights, part_offset)
    X, z = np.broadcast_arrays(X, z[..., None])
    z = z[..., 0]
    gram = np.einsum("...nk,...nl->...kl", X, X)
    right = np.einsum("...nk,...n->...k", X, z)
    return _solve(gram, right)


def _solve(a, b):
    """Batched solve that tolerates singular systems (their result is NaN)."""
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        flat_a = a.reshape(-1, *a.shape[-2:])
        flat_b = np.broadcast_to(b, a.shape[:-1]).reshape(-1, b.shape[-1])
        flat_out = out.reshape(-1, b.shape[-1])
        for i in range(flat_a.shape[0]):
            try:
                flat_out[i] = np.linalg.solve(flat_a[i], flat_b[i])
            except np.linalg.LinAlgError:
                pass
        return out


def fit_batch(y, rows, weights, *, family: str, m=None, part_offset=None, alpha=0.0,
              start=None, maxiter: int = 100, tol: float = 1e-10,
              step_tol: float = 1e-9, alpha_start=None, polish: bool = True) -> Batch:
    """Maximum likelihood for every model in the batch.

    Fisher scoring with step-halving; converged when the relative change in deviance is below
    ``tol`` (R's glm criterion) and no coefficient moves by more than ``step_tol``. For
    ``negativebinomial``, ``alpha=None`` estimates alpha by maximum likelihood (see
    :func:`_fit_negbin`, starting from ``alpha_start`` if given, its last digits polished
    unless ``polish=False``, as simulations may); a number holds it fixed. A model whose
    estimate does not exist ends unconverged.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # trial steps may overflow; a non-finite objective is rejected by step-halving
        return _fit_batch(y, rows, weights, family, m, part_offset, alpha, start, maxiter, tol,
                          step_tol, alpha_start, polish)


def _fit_batch(y, rows, weights, family, m, part_offset, alpha, start, maxiter, tol,
               step_tol, alpha_start=None, polish=True) -> Batch:
    y = np.asarray(y, dtype=float)
    rows = np.asarray(rows, dtype=float)
    weights = np.asarray(weights, dtype=float)
    m = np.ones(y.shape[-1]) if m is None else np.asarray(m, dtype=float)
    if family == "negativebinomial" and alpha is None:
        return _fit_negbin(y, rows, weights, m, part_offset, start, maxiter, tol, step_tol,
                           alpha_start, polish)
    model = _Model(y, rows, weights, m, part_offset, family)
    shape = model.shape(np.shape(alpha))
    theta = model.start(shape, start)
    state = model.state(theta, alpha)
    converged = np.zeros(shape, dtype=bool)
    iteration = 0
    for iteration in range(1, maxiter + 1):  # noqa: B007 (the count is reported)
        new = model.step(state, alpha)
        change = np.abs(state.objective - new.objective) / (np.abs(new.objective) + 0.1)
        moved = np.max(np.abs(new.theta - state.theta), axis=-1)
        state = state.where(converged, new)
        converged = converged | ((change < tol) & (moved < step_tol))
        if converged.all():
            break
    return model.batch(state, alpha, converged, iteration)


@dataclass
class _State:
    theta: np.ndarray
    mu: np.ndarray
    d_mu: np.ndarray
    objective: np.ndarray

    def where(self, keep: np.ndarray, other: _State) -> _State:
        """This state where ``keep``, else ``other``."""
        return _State(np.where(keep[..., None], self.theta, other.theta),
                      np.where(keep[..., None], self.mu, other.mu),
                      np.where(keep[..., None, None], self.d_mu, other.d_mu),
                      np.where(keep, self.objective, other.objective))


class _Model:
    """One batch of data and designs; scoring steps at a given alpha."""

    def __init__(self, y, rows, weights, m, part_offset, family):
        self.y, self.rows, self.weights, self.m = y, rows, weights, m
        self.part_offset, self.family = part_offset, family
        self.link = "logit" if family == "binomial" else "log"

    def shape(self, *extra) -> tuple:
        return np.broadcast_shapes(self.y.shape[:-1], self.rows.shape[:-3],
                                   self.weights.shape[:-2],
                                   () if self.part_offset is None
                                   else np.shape(self.part_offset)[:-2], *extra)

    def start(self, shape, start) -> np.ndarray:
        theta = (_start(self.y, self.rows, self.weights, self.part_offset, self.m, self.link)
                 if start is None else np.array(start, dtype=float))
        theta = np.broadcast_to(theta, (*shape, self.rows.shape[-1])).copy()
        return np.where(np.isfinite(theta), theta, 0.0)

    def state(self, theta, alpha) -> _State:
        mu, d_mu = _mean(theta, self.rows, self.weights, self.part_offset, self.m, self.link)
        return _State(theta, mu, d_mu, _objective(self.y, mu, self.family, self.m, alpha))

    def step(self, state: _State, alpha) -> _State:
        """One Fisher-scoring step, halved until minus twice the log-likelihood does not rise."""
        var = _variance(state.mu, self.family, self.m, alpha)
        info = _information(state.d_mu, var)
        score = np.einsum("...n,...nk->...k", (self.y - state.mu) / var, state.d_mu)
        step = _solve(info, score)
        step = np.where(np.isfinite(step), step, 0.0)
        factor = np.ones(state.objective.shape)
        for _ in range(30):
            trial = self.state(state.theta + factor[..., None] * step, alpha)
            worse = ~np.isfinite(trial.objective) | (
                trial.objective > state.objective + 1e-12 * (1 + np.abs(state.objective)))
            if not worse.any():
                break
            factor = np.where(worse, factor / 2, factor)
        return state.where(worse, trial)

    def batch(self, state: _State, alpha, converged, iterations) -> Batch:
        var = _variance(state.mu, self.family, self.m, alpha)
        dev = deviance(self.y, state.mu, self.family, self.m, alpha)
        pearson = np.sum((self.y - state.mu) ** 2 / var, axis=-1)
        finite = np.isfinite(state.theta).all(axis=-1) & np.isfinite(dev)
        return Batch(state.theta, state.mu, dev, pearson, _information(state.d_mu, var),
                     converged & finite, iterations, alpha,
                     -2 * loglike(self.y, state.mu, self.family, self.m, alpha),
                     state.d_mu / np.sqrt(var)[..., None])


MIN_ALPHA = 1e-10  # NB2 alpha below this is its boundary 0 (the Poisson fit)


def _alpha_derivatives(y, mu, log_alpha):
    """First and second derivatives of the NB2 log-likelihood in log(alpha), summed over n."""
    from scipy import special

    r = np.exp(-log_alpha)[..., None]
    d1 = special.digamma(y + r) - special.digamma(r) + np.log(r / (r + mu)) + (mu - y) / (r + mu)
    d2 = (special.polygamma(1, y + r) - special.polygamma(1, r) + 1 / r - 1 / (r + mu)
          - (mu - y) / (r + mu) ** 2)
    d1, d2 = d1.sum(axis=-1), d2.sum(axis=-1)
    r = r[..., 0]
    return -r * d1, r**2 * d2 + r * d1


def _fit_negbin(y, rows, weights, m, part_offset, start, maxiter, tol, step_tol,
                alpha_start=None, polish=True) -> Batch:
    """NB2 with alpha by maximum likelihood: scoring steps for theta alternate with Newton steps
    for log(alpha). Where the likelihood falls as alpha leaves 0, alpha = 0 and the Poisson fit
    is returned (the boundary)."""
    poisson = fit_batch(y, rows, weights, family="poisson", m=m, part_offset=part_offset,
                        start=start, maxiter=maxiter, tol=tol, step_tol=step_tol)
    model = _Model(y, rows, weights, m, part_offset, "negativebinomial")
    shape = poisson.theta.shape[:-1]
    mu = poisson.mu
    excess = np.sum((y - mu) ** 2 - y, axis=-1)
    boundary = 0.5 * excess <= 0
    df = max(y.shape[-1] - rows.shape[-1], 1)
    if alpha_start is not None and float(alpha_start) > 0:
        log_alpha = np.full(shape, np.log(float(alpha_start)))
    else:
        log_alpha = np.log(np.clip(np.sum(((y - mu) ** 2 - y) / mu**2, axis=-1) / df, 1e-3,
                                   10.0))
    log_alpha = np.broadcast_to(log_alpha, shape).copy()
    state = model.state(poisson.theta, np.exp(log_alpha))
    converged = boundary.copy()
    iteration = 0
    for iteration in range(1, maxiter + 1):  # noqa: B007 (the count is reported)
        alpha = np.exp(log_alpha)
        state = model.state(state.theta, alpha)  # the objective at the current alpha
        new = model.step(state, alpha)
        g, h = _alpha_derivatives(y, new.mu, log_alpha)
        newton = np.where(h < 0, -g / np.where(h < 0, h, -1.0), np.sign(g))
        newton = np.clip(np.where(np.isfinite(newton), newton, 0.0), -2.0, 2.0)
        trial, after, _ = _alpha_line_search(y, new.mu, m, log_alpha, newton)
        old = -2 * loglike(y, state.mu, "negativebinomial", m, alpha)
        change = np.abs(old - after) / (np.abs(after) + 0.1)
        # log(alpha)'s move in units of its standard error: near the boundary the likelihood
        # is so flat in alpha that kernels' rounding moves it by more than step_tol for ever
        precision = np.sqrt(np.where(h < 0, -h, 1.0))
        moved = np.maximum(np.max(np.abs(new.theta - state.theta), axis=-1),
                           np.abs(trial - log_alpha) * np.minimum(precision, 1.0))
        state = state.where(converged, new)
        log_alpha = np.where(converged, log_alpha, np.maximum(trial, np.log(MIN_ALPHA) - 1))
        converged = (converged | ((change < tol) & (moved < step_tol))
                     | (log_alpha < np.log(MIN_ALPHA)))
        if converged.all():
            break
    if polish:
        state, log_alpha = _polish_alpha(model, y, state, log_alpha,
                                         ~boundary & (log_alpha >= np.log(MIN_ALPHA)))
    boundary = boundary | (log_alpha < np.log(MIN_ALPHA))
    alpha = np.where(boundary, 0.0, np.exp(log_alpha))
    state = model.state(np.where(boundary[..., None], poisson.theta, state.theta), alpha)
    fitted = model.batch(state, alpha, converged, iteration)
    fitted.converged = np.where(boundary, poisson.converged, fitted.converged)
    return fitted


POLISH_STEPS = 12  # Newton steps on alpha's score after the search has converged
POLISH_TOL = 1e-11  # in log(alpha)


def _polish_alpha(model, y, state, log_alpha, active):
    """Newton steps on the score of log(alpha), theta re-scored at each alpha, with no line
    search: near the optimum the likelihood is flat in alpha to within rounding (so the search
    stops wherever a kernel's rounding leaves it), but its score still points at the root.
    This fixes alpha, and so every output, to far more digits than the search alone."""
    for _ in range(POLISH_STEPS):
        if not active.any():
            break
        alpha = np.exp(log_alpha)
        new = model.step(model.state(state.theta, alpha), alpha)
        g, h = _alpha_derivatives(y, new.mu, log_alpha)
        newton = np.where(h < 0, -g / np.where(h < 0, h, -1.0), 0.0)
        newton = np.clip(np.where(np.isfinite(newton) & active, newton, 0.0), -0.5, 0.5)
        state = state.where(~active, new)
        log_alpha = log_alpha + newton
        active = active & (np.abs(newton) > POLISH_TOL)
    return state, log_alpha


def _alpha_line_search(y, mu, m, log_alpha, newton):
    """Newton steps in log(alpha), halved until minus twice the NB2 log-likelihood does not
    rise; only the fits still halving are re-evaluated. Returns (log alpha, -2 llf, before)."""
    shape, n = log_alpha.shape, mu.shape[-1]
    ys = np.broadcast_to(y, (*shape, n)).reshape(-1, n)
    mus = mu.reshape(-1, n)
    ms = None if m is None else np.broadcast_to(m, (*shape, n)).reshape(-1, n)
    start, step = log_alpha.reshape(-1), newton.reshape(-1)

    def value(rows, la):
        return -2 * loglike(ys[rows], mus[rows], "negativebinomial",
                            None if ms is None else ms[rows], np.exp(la))

    everything = np.arange(len(start))
    before = value(everything, start)
    trial = start + step
    after = value(everything, trial)
    factor = np.ones(len(start))
    worse = ~np.isfinite(after) | (after > before + 1e-12 * (1 + np.abs(before)))
    for _ in range(30):
        rows = np.flatnonzero(worse)
        if not rows.size:
            break
        factor[rows] /= 2
        trial[rows] = start[rows] + factor[rows] * step[rows]
        after[rows] = value(rows, trial[rows])
        worse[rows] = ~np.isfinite(after[rows]) | (
            after[rows] > before[rows] + 1e-12 * (1 + np.abs(before[rows])))
    trial = np.where(worse, start, trial)
    after = np.where(worse, before, after)
    return trial.reshape(shape), after.reshape(shape), before.reshape(shape)


def negbin_alpha_at_zero(y, mu) -> bool:
    """True when the NB2 likelihood falls as alpha leaves 0 (score <= 0): the MLE is alpha = 0."""
    return bool(0.5 * np.sum((y - mu) ** 2 - y) <= 0)


class PartsFit:
    """One sum-of-parts fit, with the attributes of a statsmodels results object that
    :class:`~scrlib.its.ItsResult` reads (params, bse, cov_params, llf, deviance, ...).

    The covariance is the inverse Fisher information, times the Pearson dispersion for
    quasipoisson (which then uses t with the residual df). For NB2 the information of log(alpha)
    is taken apart from the mean's (the two are orthogonal) and alpha follows the coefficients.
    """

    def __init__(self, batch: Batch, family: str, y, m, maxiter: int):
        k = batch.theta.shape[-1]
        n = len(y)
        self.family = family
        counts = np.asarray(batch.mu, dtype=float)
        # statsmodels' binomial GLM reports fitted proportions as mu
        self.mu = counts / m if family == "binomial" else counts
        self.fittedvalues = self.mu
        self.deviance = float(batch.deviance)
        self.pearson_chi2 = float(batch.pearson)
        self.alpha = float(np.asarray(batch.alpha))
        with_alpha = family == "negativebinomial" and self.alpha > 0
        self.df_resid = n - k - (1 if family == "negativebinomial" else 0)
        self.scale = self.pearson_chi2 / (n - k) if family == "quasipoisson" and n > k else 1.0
        self.use_t = family == "quasipoisson"
        self.converged = bool(batch.converged)
        self.fit_history = {"iteration": batch.iterations}
        self.mle_retvals = {"converged": self.converged}
        fam = "poisson" if family == "quasipoisson" else family
        self.llf = float(loglike(y, counts, fam, m, self.alpha))
        var = _variance(counts, family, np.ones(n) if m is None else m, self.alpha)
        self.resid_pearson = (y - counts) / np.sqrt(var)
        try:
            cov = np.linalg.inv(batch.info) * self.scale
        except np.linalg.LinAlgError:
            cov = np.full((k, k), np.nan)
        params = np.asarray(batch.theta, dtype=float)
        if with_alpha:
            _, h = _alpha_derivatives(y, self.mu, np.log(self.alpha))
            var_alpha = self.alpha**2 / -h if h < 0 else np.nan
            cov = np.block([[cov, np.zeros((k, 1))], [np.zeros((1, k)), np.full((1, 1),
                                                                                var_alpha)]])
            params = np.r_[params, self.alpha]
        self.params = params
        self.info = batch.info  # the Fisher information of the mean coefficients (unscaled)
        self.jacobian = batch.jacobian
        self._cov = cov
        with np.errstate(invalid="ignore"):  # an unidentified fit: refused by its caller
            self.bse = np.sqrt(np.diag(cov))

    def cov_params(self) -> np.ndarray:
        """The covariance of the estimates."""
        return self._cov
