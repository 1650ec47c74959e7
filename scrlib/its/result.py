"""``ItsResult``: one fitted interrupted time series, with tidy tables, text and a chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from scrlib.its._timing import Start, TimeAxis

LEVEL = 0.95
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

    Build it with :func:`scrlib.its.fit`. Intervals are 95% Wald intervals on the link scale
    (log, logit or identity), back-transformed; ``model_result`` is the statsmodels results.
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

    # -- sizes and scales -------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of time points."""
        return len(self.y)

    @property
    def k(self) -> int:
        """Number of estimated parameters (mean coefficients, plus alpha for NB)."""
        extra = 1 if self.family == "negativebinomial" and not self.nb_boundary else 0
        return self.design.shape[1] + extra

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
        from scipy import stats

        if getattr(self.model_result, "use_t", False):
            return stats.t(self.model_result.df_resid)
        return stats.norm()

    def _transform(self, value):
        return value if self.family == "gaussian" else np.exp(value)

    def _inverse_link(self, eta):
        if self.family == "binomial":
            return 1.0 / (1.0 + np.exp(-eta))
        return self._transform(eta)

    @cached_property
    def params(self) -> pd.DataFrame:
        """Every coefficient on the link scale: term, estimate, std_err, statistic, p_value, CI."""
        res = self.model_result
        terms = list(self.names)
        if self.family == "negativebinomial" and not self.nb_boundary:
            terms.append("alpha")
        ci = np.asarray(res.conf_int(alpha=1 - LEVEL), dtype=float)
        return pd.DataFrame({
            "term": terms,
            "estimate": np.asarray(res.params, dtype=float),
            "std_err": np.asarray(res.bse, dtype=float),
            "statistic": np.asarray(res.tvalues, dtype=float),
            "p_value": np.asarray(res.pvalues, dtype=float),
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
        })

    @cached_property
    def effects(self) -> pd.DataFrame:
        """One row per (intervention, effect): rate_ratio (odds ratio, difference), CI, p."""
        p = self.params.set_index("term")
        rows = []
        for s in self.starts:
            for effect in self.effect_terms[s.name]:
                row = p.loc[f"{s.name}:{effect}"]
                per = "" if effect == "step" else f" per {self.axis.unit}"
                rows.append({
                    "intervention": s.name,
                    "effect": effect,
                    "rate_ratio": self._transform(row["estimate"]),
                    "ci_low": self._transform(row["ci_low"]),
                    "ci_high": self._transform(row["ci_high"]),
                    "p_value": row["p_value"],
                    "measure": self.measure + per,
                    "estimate": row["estimate"],
                    "std_err": row["std_err"],
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
        rows = [self._combination(c, f"before {ordered[0].name}")]
        for s in ordered:
            if "slope" in self.effect_terms[s.name]:
                c = c.copy()
                c[self.names.index(f"{s.name}:slope")] = 1.0
                rows.append(self._combination(c, f"after {s.name}"))
        frame = pd.DataFrame(rows)
        frame.insert(5, "measure", f"{self.measure} per {self.axis.unit}")
        return frame

    def _combination(self, c: np.ndarray, segment: str) -> dict:
        estimate = float(c @ self._beta)
        se = float(np.sqrt(c @ self._vcov @ c))
        crit = self._dist.ppf(0.5 + LEVEL / 2)
        p = float(2 * self._dist.sf(abs(estimate / se))) if se > 0 else float("nan")
        return {
            "segment": segment,
            "rate_ratio": self._transform(estimate),
            "ci_low": self._transform(estimate - crit * se),
            "ci_high": self._transform(estimate + crit * se),
            "p_value": p,
            "estimate": estimate,
            "std_err": se,
        }

    # -- predictions ------------------------------------------------------------------------
    def _intervention_columns(self) -> list[int]:
        return [i for i, name in enumerate(self.names) if ":" in name]

    def _frame(self, X: np.ndarray, per: float | None) -> pd.DataFrame:
        eta = X @ self._beta
        if self.log_exposure is not None:
            eta = eta + self.log_exposure
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, self._vcov, X))
        crit = self._dist.ppf(0.5 + LEVEL / 2)
        observed = self.y / self.n_trials if self.family == "binomial" else self.y.copy()
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
        """Fitted mean and 95% CI per time point (counts; proportions for binomial).

        ``per`` gives rates per ``per`` units of exposure instead (offset fits only).
        """
        return self._frame(self.design, per)

    def counterfactual(self, per: float | None = None) -> pd.DataFrame:
        """As :meth:`predict`, with every intervention term set to zero (no policy)."""
        X = self.design.copy()
        X[:, self._intervention_columns()] = 0.0
        return self._frame(X, per)

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
        lines.append("Intervals: 95% Wald, " + (
            f"Newey-West HAC covariance ({self.hac_lags} lags)" if self.cov == "hac"
            else "model-based covariance"))
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
