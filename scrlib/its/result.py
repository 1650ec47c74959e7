"""``ItsResult``: one fitted interrupted time series, with tidy tables, text and a chart."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from scrlib.its._parts import Parts
from scrlib.its._timing import Start, TimeAxis

LEVEL = 0.95
INTERVALS = ("profile", "wald", "wald-normal")
SCALE_FAMILIES = ("quasipoisson", "gaussian")  # the scale is estimated from the residuals
MEASURES = {"binomial": "odds ratio", "gaussian": "difference"}
FAMILY_TEXT = {
    "poisson": "Poisson GLM (log link)",
    "quasipoisson": "quasi-Poisson GLM (log link, scale = Pearson chi2 / df)",
    "negativebinomial": "negative binomial NB2 (log link, alpha estimated by ML)",
    "binomial": "binomial GLM (logit link)",
    "gaussian": "least squares (identity link)",
}


@dataclass(eq=False)
class ItsResult:
    """A fitted segmented regression: effects, trend, predictions, warnings, summary, plot.

    Build it with :func:`scrlib.its.fit`. ``interval`` says how the 95% intervals and p-values
    of ``params``, ``effects`` and ``trend`` are computed (``interval_text`` in words):

    * ``"profile"``: profile likelihood with the matching likelihood-ratio test (F with the
      residual df where the scale is estimated); for least squares it is the exact t interval;
    * ``"wald"``: estimate +/- quantile x standard error, t with the residual df where the
      scale is estimated (quasipoisson, gaussian: as R's ``summary.glm``), normal otherwise;
    * ``"wald-normal"``: the large-sample normal version for every family.

    :meth:`with_interval` gives the same fit with another method. Intervals are on the link
    scale (log, logit or identity), back-transformed. ``model_result`` is the statsmodels
    results (or :class:`~scrlib.its._parts.PartsFit` for a sum-of-parts fit).
    """

    family: str
    outcome: str
    time: str
    offset: str | None
    trials: str | None
    seasonality: tuple[int, float] | None
    cov: str
    hac_lags: int | None
    axis: TimeAxis
    starts: tuple[Start, ...]
    effect_terms: dict[str, tuple[str, ...]]
    names: tuple[str, ...]
    design: np.ndarray
    y: np.ndarray
    log_exposure: np.ndarray | None
    n_trials: np.ndarray | None
    model_result: object
    nb_boundary: bool
    source: str | None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parts: Parts | None = None
    transition: str = "sum"
    interval: str = "profile"
    _profiles: dict = field(default_factory=dict, repr=False)  # shared by with_interval copies

    def __post_init__(self):
        if self.parts is None:
            self.parts = Parts.whole(self.design)

    def with_interval(self, interval: str) -> ItsResult:
        """The same fit reporting ``interval`` ("profile", "wald" or "wald-normal")."""
        if interval not in INTERVALS:
            raise ValueError(f"unknown interval {interval!r}; allowed: {', '.join(INTERVALS)}")
        if interval == "profile" and self.cov == "hac":
            raise ValueError("interval='profile' is not available with cov='hac'")
        return replace(self, interval=interval)

    @property
    def interval_text(self) -> str:
        """How the intervals and p-values are computed, in words."""
        scale = self.family in SCALE_FAMILIES
        if self.interval == "wald-normal":
            tail = (f"too narrow here: the scale is estimated from {self.df_resid} residual df)"
                    if scale else "as R's summary.glm)")
            return "95% Wald intervals with normal quantiles and z tests (large-sample; " + tail
        if self.interval == "wald" or self.family == "gaussian":
            what = ("exact under normal errors" if self.family == "gaussian"
                    else "as R's summary.glm")
            return (f"95% Wald intervals with t quantiles and t tests on {self.df_resid} "
                    f"residual df ({what})" if scale else
                    "95% Wald intervals with normal quantiles and z tests (as R's summary.glm)")
        if self.family == "quasipoisson":
            return (f"95% profile-likelihood intervals and F(1, {self.df_resid}) tests of the "
                    "deviance drop over the estimated dispersion (the t of R's summary.glm; "
                    "R's confint uses a normal quantile here)")
        return ("95% profile-likelihood intervals and likelihood-ratio (chi-squared 1) tests "
                "(as R's confint on a glm)")

    # -- sizes and scales -------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of time points."""
        return len(self.y)

    @property
    def k(self) -> int:
        """Number of estimated parameters: mean coefficients, plus alpha for NB (counted even
        when its estimate lands on the boundary 0, since it was estimated)."""
        return self.design.shape[1] + (1 if self.family == "negativebinomial" else 0)

    @property
    def df_resid(self) -> int:
        """Residual degrees of freedom, n - k."""
        return self.n - self.k

    @property
    def measure(self) -> str:
        """What the ``rate_ratio`` column holds: rate ratio, odds ratio or difference."""
        return MEASURES.get(self.family, "rate ratio")

    @cached_property
    def dispersion(self) -> float:
        """Pearson chi2/df (poisson, quasipoisson, binomial), alpha (NB), residual variance."""
        res = self.model_result
        if self.family == "negativebinomial":
            return 0.0 if self.nb_boundary else float(np.asarray(res.params)[-1])
        if self.family == "gaussian":
            return float(res.scale)
        df = self.n - self.design.shape[1]
        return float(res.pearson_chi2 / df) if df > 0 else float("nan")

    @cached_property
    def pearson_dispersion(self) -> float:
        """Pearson chi2 / residual df under the fitted variance (NB: mu + alpha mu^2), any
        count family; the residual variance for gaussian."""
        if self.family == "gaussian":
            return float(self.model_result.scale)
        resid = np.asarray(self.model_result.resid_pearson, dtype=float)
        df = self.n - self.k
        return float(resid @ resid / df) if df > 0 else float("nan")

    # -- coefficient tables -------------------------------------------------------------------
    @cached_property
    def _beta(self) -> np.ndarray:
        return np.asarray(self.model_result.params, dtype=float)[: self.design.shape[1]]

    @cached_property
    def _vcov(self) -> np.ndarray:
        k = self.design.shape[1]
        return np.asarray(self.model_result.cov_params(), dtype=float)[:k, :k]

    @cached_property
    def _dist(self):
        """The Wald reference distribution: t with the residual df where the scale is
        estimated (unless ``interval == "wald-normal"``), else normal."""
        from scipy import stats

        if self.family in SCALE_FAMILIES and self.interval != "wald-normal" and self.df_resid > 0:
            return stats.t(self.df_resid)
        return stats.norm()

    @cached_property
    def _profile_model(self):
        from scrlib.its._profile import ProfileModel

        m = self.n_trials if self.family == "binomial" else (
            None if self.log_exposure is None else np.exp(self.log_exposure))
        phi = self.dispersion if self.family == "quasipoisson" else 1.0
        alpha = self.dispersion if self.family == "negativebinomial" else 0.0
        return ProfileModel(self.y, self.parts, self.family, m, phi,
                            self.n - self.design.shape[1], self._beta, alpha)

    def _interval(self, c: np.ndarray) -> tuple[float, float, float, float]:
        """(estimate, low, high, p) for the contrast ``c`` of the mean coefficients."""
        estimate = float(c @ self._beta)
        se = float(np.sqrt(c @ self._vcov @ c))
        if self.interval == "profile" and self.family != "gaussian":
            key = tuple(np.round(c, 12))
            if key not in self._profiles:
                from scrlib.its._profile import ProfileError, profile

                try:
                    self._profiles[key] = profile(self._profile_model, c, se, LEVEL)
                except ProfileError as err:
                    self._profiles[key] = err
                self._profile_warning(c, self._profiles[key])
            found = self._profiles[key]
            if not isinstance(found, Exception):
                return estimate, found.low, found.high, found.p_value
        crit = self._dist.ppf(0.5 + LEVEL / 2)
        p = float(2 * self._dist.sf(abs(estimate / se))) if se > 0 else float("nan")
        return estimate, estimate - crit * se, estimate + crit * se, p

    def _profile_warning(self, c: np.ndarray, found) -> None:
        """Record, once, that a profile fell back to Wald or does not close on one side."""
        what = " + ".join(n for n, w in zip(self.names, c, strict=True) if w)
        if isinstance(found, Exception):
            text = (f"the profile likelihood of {what} could not be computed ({found}); its "
                    "Wald interval and test are shown instead")
        elif not (np.isfinite(found.low) and np.isfinite(found.high)):
            text = (f"the profile likelihood of {what} does not reach the cutoff on one side: "
                    "the data do not bound it there, so its interval is open")
        else:
            return
        if text not in self.warnings:
            self.warnings.append(text)

    def contrast(self, weights: dict[str, float], label: str = "") -> dict:
        """A combination of coefficients (``{"a:step": 1, "b:step": 1}``: both steps together),
        on the reported scale with its interval and p-value by ``interval``."""
        unknown = [t for t in weights if t not in self.names]
        if unknown:
            raise ValueError(f"unknown terms {unknown}; the model has {list(self.names)}")
        c = np.zeros(len(self.names))
        for term, w in weights.items():
            c[self.names.index(term)] = float(w)
        estimate, low, high, p = self._interval(c)
        return {"contrast": label or " + ".join(weights), "rate_ratio": self._transform(estimate),
                "ci_low": self._transform(low), "ci_high": self._transform(high), "p_value": p,
                "measure": self.measure, "estimate": estimate}

    def _transform(self, value):
        return value if self.family == "gaussian" else np.exp(value)

    def _inverse_link(self, eta):
        if self.family == "binomial":
            return 1.0 / (1.0 + np.exp(-eta))
        return self._transform(eta)

    @cached_property
    def params(self) -> pd.DataFrame:
        """Every coefficient on the link scale: term, estimate, std_err, statistic (estimate /
        std_err), p_value and CI by ``interval`` (NB alpha: Wald)."""
        res = self.model_result
        k = self.design.shape[1]
        estimates = np.asarray(res.params, dtype=float)
        errors = np.asarray(res.bse, dtype=float)
        rows = []
        for j, term in enumerate(self.names):
            c = np.zeros(k)
            c[j] = 1.0
            estimate, low, high, p = self._interval(c)
            rows.append({"term": term, "estimate": estimate, "std_err": errors[j],
                         "statistic": estimate / errors[j] if errors[j] > 0 else np.nan,
                         "p_value": p, "ci_low": low, "ci_high": high})
        if len(estimates) > k:  # NB alpha
            from scipy import stats

            a, se = estimates[k], errors[k]
            z = stats.norm.ppf(0.5 + LEVEL / 2)
            rows.append({"term": "alpha", "estimate": a, "std_err": se,
                         "statistic": a / se if se > 0 else np.nan,
                         "p_value": float(2 * stats.norm.sf(abs(a / se))) if se > 0 else np.nan,
                         "ci_low": a - z * se, "ci_high": a + z * se})
        return pd.DataFrame(rows, columns=["term", "estimate", "std_err", "statistic",
                                           "p_value", "ci_low", "ci_high"])

    def effect(self, intervention: str, effect: str = "step") -> dict:
        """One effect's row of :attr:`effects`, computing only its interval."""
        term = f"{intervention}:{effect}"
        if term not in self.names:
            raise ValueError(f"unknown effect {term!r}; the model has {list(self.names)}")
        c = np.zeros(len(self.names))
        c[self.names.index(term)] = 1.0
        estimate, low, high, p = self._interval(c)
        return {"intervention": intervention, "effect": effect,
                "rate_ratio": self._transform(estimate), "ci_low": self._transform(low),
                "ci_high": self._transform(high), "p_value": p, "estimate": estimate}

    @cached_property
    def effects(self) -> pd.DataFrame:
        """One row per (intervention, effect): rate_ratio (odds ratio, difference), CI and p by
        ``interval``."""
        rows = []
        for s in self.starts:
            for effect in self.effect_terms[s.name]:
                j = self.names.index(f"{s.name}:{effect}")
                c = np.zeros(len(self.names))
                c[j] = 1.0
                estimate, low, high, p = self._interval(c)
                per = "" if effect == "step" else f" per {self.axis.unit}"
                rows.append({
                    "intervention": s.name,
                    "effect": effect,
                    "rate_ratio": self._transform(estimate),
                    "ci_low": self._transform(low),
                    "ci_high": self._transform(high),
                    "p_value": p,
                    "measure": self.measure + per,
                    "estimate": estimate,
                    "std_err": float(np.sqrt(self._vcov[j, j])),
                })
        columns = ["intervention", "effect", "rate_ratio", "ci_low", "ci_high", "p_value",
                   "measure", "estimate", "std_err"]
        return pd.DataFrame(rows, columns=columns)

    @cached_property
    def trend(self) -> pd.DataFrame:
        """The trend per time unit before the first intervention and after each slope change."""
        ordered = sorted(self.starts, key=lambda s: (s.t0, -s.fraction))
        c = np.zeros(len(self.names))
        c[self.names.index("trend")] = 1.0
        rows = [self._combination(c, f"before {ordered[0].name}" if ordered else "whole series")]
        for s in ordered:
            if "slope" in self.effect_terms[s.name]:
                c = c.copy()
                c[self.names.index(f"{s.name}:slope")] = 1.0
                rows.append(self._combination(c, f"after {s.name}"))
        frame = pd.DataFrame(rows)
        frame.insert(5, "measure", f"{self.measure} per {self.axis.unit}")
        return frame

    def _combination(self, c: np.ndarray, segment: str) -> dict:
        estimate, low, high, p = self._interval(c)
        return {
            "segment": segment,
            "rate_ratio": self._transform(estimate),
            "ci_low": self._transform(low),
            "ci_high": self._transform(high),
            "p_value": p,
            "estimate": estimate,
            "std_err": float(np.sqrt(c @ self._vcov @ c)),
        }

    # -- predictions ------------------------------------------------------------------------
    def _intervention_columns(self) -> list[int]:
        return [i for i, name in enumerate(self.names) if ":" in name]

    def _frame(self, parts: Parts, per: float | None) -> pd.DataFrame:
        """Means and Wald bands (t where the scale is estimated) on the link scale."""
        crit = self._dist.ppf(0.5 + LEVEL / 2)
        observed = self.y / self.n_trials if self.family == "binomial" else self.y.copy()
        if self.family == "gaussian" or not parts.split:
            X = parts.average
            eta = X @ self._beta
            grad = X
        else:  # log (or logit) of the sum of parts, and its gradient
            part_eta = parts.rows @ self._beta
            if self.family == "binomial":
                h = 1.0 / (1.0 + np.exp(-part_eta))
                p = np.sum(parts.weights * h, axis=1)
                eta = np.log(p / (1 - p))
                d_p = np.einsum("np,npk->nk", parts.weights * h * (1 - h), parts.rows)
                grad = d_p / (p * (1 - p))[:, None]
            else:
                a = parts.weights * np.exp(part_eta)
                eta = np.log(a.sum(axis=1))
                grad = np.einsum("np,npk->nk", a, parts.rows) / a.sum(axis=1)[:, None]
        if self.log_exposure is not None:
            eta = eta + self.log_exposure
        se = np.sqrt(np.einsum("ij,jk,ik->i", grad, self._vcov, grad))
        scale = 1.0
        if per is not None:
            if self.log_exposure is None:
                raise ValueError("per= rescales to a rate per exposure; the fit has no offset")
            scale = per / np.exp(self.log_exposure)
        return pd.DataFrame({
            "time": self.axis.values.array,
            "observed": observed * scale,
            "mean": self._inverse_link(eta) * scale,
            "ci_low": self._inverse_link(eta - crit * se) * scale,
            "ci_high": self._inverse_link(eta + crit * se) * scale,
        })

    def predict(self, per: float | None = None) -> pd.DataFrame:
        """Fitted mean and 95% Wald band per time point (counts; proportions for binomial).

        ``per`` gives rates per ``per`` units of exposure instead (offset fits only).
        """
        return self._frame(self.parts, per)

    def counterfactual(self, per: float | None = None) -> pd.DataFrame:
        """As :meth:`predict`, with every intervention term set to zero (no policy)."""
        X = self.design.copy()
        X[:, self._intervention_columns()] = 0.0
        return self._frame(Parts.whole(X), per)

    def support(self, intervention: str) -> tuple[int, int]:
        """Time points before ``intervention`` (since the previous one) and from it (up to
        the next): what a change there is measured against."""
        ordered = sorted(self.starts, key=lambda s: (s.t0, -s.fraction))
        names = [s.name for s in ordered]
        if intervention not in names:
            raise ValueError(f"unknown intervention {intervention!r}; the fit has {names}")
        i = names.index(intervention)
        t = self.axis.index
        lo = ordered[i - 1].t0 if i else -np.inf
        hi = ordered[i + 1].t0 if i + 1 < len(ordered) else np.inf
        s = ordered[i]
        return int(((t >= lo) & (t < s.t0)).sum()), int(((t >= s.t0) & (t < hi)).sum())

    def points_before(self, intervention: str) -> int:
        """Time points wholly before ``intervention``'s start (a period containing the date
        is not wholly before it)."""
        start = next((s for s in self.starts if s.name == intervention), None)
        if start is None:
            raise ValueError(f"unknown intervention {intervention!r}; the fit has "
                             f"{[s.name for s in self.starts]}")
        return int((self.axis.index < start.t0).sum())

    def segments(self) -> np.ndarray:
        """For each time point, how many interventions have started (0 = pre-intervention)."""
        t = self.axis.index
        return np.sum([s.step(t) > 0 for s in self.starts], axis=0).astype(int)

    # -- diagnostics and text ---------------------------------------------------------------
    @cached_property
    def residual_autocorrelation(self) -> float:
        """Lag-1 autocorrelation of the Pearson residuals (in time order)."""
        res = self.model_result
        if self.family == "gaussian":
            e = np.asarray(res.resid, dtype=float)
        else:
            e = np.asarray(res.resid_pearson, dtype=float)
        e = e - e.mean()
        denom = float(e @ e)
        return float(e[1:] @ e[:-1] / denom) if denom > 0 else float("nan")

    def summary(self) -> str:
        """Readable text: model, n, k, df, effects, trend, dispersion, timing notes, warnings."""
        a = self.axis
        lines = [f"Interrupted time series: {self.outcome} by {self.time}"]
        model = FAMILY_TEXT[self.family]
        if self.offset:
            model += f", offset log({self.offset})"
        if self.trials:
            model += f", trials {self.trials}"
        lines.append(f"Model: {model}")
        lines.append(f"n = {self.n} time points ({a.show(a.index[0])} .. {a.show(a.index[-1])},"
                     f" unit: {a.unit}), k = {self.k} parameters, residual df = {self.df_resid}")
        if self.seasonality:
            lines.append(f"Seasonality: {self.seasonality[0]} sine/cosine pair(s), period "
                         f"{self.seasonality[1]:g}")
        lines.append("Intervals: " + self.interval_text + "; " + (
            f"Newey-West HAC covariance ({self.hac_lags} lags)" if self.cov == "hac"
            else "model-based covariance"))
        lines.append("Transition periods: " + {
            "sum": "sum of their parts (days before a date at the old level, after it at the "
                   "new one)",
            "fractional": "share of days after the date, mixed on the link scale",
            "whole": "counted wholly on the side where most of their days fall"}[self.transition])
        for s in self.starts:
            lines.append(f"Intervention {s.name!r}: given {s.given!s}, first post-intervention "
                         f"point {a.show(s.t0)}; effects {', '.join(self.effect_terms[s.name])}")
        lines.append("")
        lines.append(f"Effects ({self.measure}):")
        lines += _table(self.effects, ["intervention", "effect"])
        lines.append(f"Trend ({self.measure} per {a.unit}):")
        lines += _table(self.trend, ["segment"])
        label = {"negativebinomial": "alpha", "gaussian": "residual variance"}.get(
            self.family, "Pearson chi2/df")
        lines.append(f"Dispersion ({label}): {self.dispersion:.4g}")
        if self.family == "negativebinomial":
            lines.append(f"Pearson chi2/df under the NB variance: {self.pearson_dispersion:.4g}")
        lines.append(f"Lag-1 autocorrelation of residuals: {self.residual_autocorrelation:.3f}")
        if self.notes:
            lines.append("Timing:")
            lines += [f"  - {x}" for x in self.notes]
        lines.append("Warnings:" if self.warnings else "Warnings: none")
        lines += [f"  - {x}" for x in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        effects = "; ".join(
            f"{r.intervention}:{r.effect} {r.rate_ratio:.4g} ({r.ci_low:.4g}-{r.ci_high:.4g})"
            for r in self.effects.itertuples()
        )
        return (f"<ItsResult {self.family} n={self.n} k={self.k} {effects}"
                f"{f' warnings={len(self.warnings)}' if self.warnings else ''}>")

    def plot(self, ax=None, source: str | None = None, per: float | None = None,
             title: str | None = None):
        """Observed points, fit, dashed counterfactual, 95% band, policy dates; returns the Axes."""
        from scrlib.its._plot import plot_result

        return plot_result(self, ax=ax, source=source, per=per, title=title)


def _table(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    out = []
    for row in frame.itertuples(index=False):
        key = " ".join(str(getattr(row, k)) for k in keys)
        p = row.p_value
        ptext = "p < 0.0001" if p < 1e-4 else f"p = {p:.4f}"
        out.append(f"  {key:<28} {row.rate_ratio:10.4g}  ({row.ci_low:.4g} to {row.ci_high:.4g})"
                   f"  {ptext}")
    return out
