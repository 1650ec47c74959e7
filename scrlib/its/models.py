"""Compare families, and test whether adding a change in slope improves the fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrlib.its import criteria
from scrlib.its._engine import ConvergenceError, IdentificationError
from scrlib.its._fit import fit

COUNTS = ("poisson", "quasipoisson", "negativebinomial")


@dataclass(frozen=True)
class ModelComparison:
    """``table``: one row per (family, effects); ``tests``: one slope test per family."""

    table: pd.DataFrame
    tests: pd.DataFrame

    def summary(self) -> str:
        """Both tables as text: AICc (QAICc for quasipoisson), dispersion, alpha, slope tests."""
        lines = ["Model comparison: AICc for likelihood fits, QAICc for quasi-Poisson (Poisson "
                 "likelihood over the largest model's dispersion); parameters k = mean "
                 "coefficients + 1 per estimated dispersion; compare only within a family "
                 "(lower is better; a difference below 2 is no evidence either way)"]
        for r in self.table.itertuples(index=False):
            value = r.qaicc if r.family == "quasipoisson" else r.aicc
            name = "QAICc" if r.family == "quasipoisson" else "AICc"
            shown = "n/a" if np.isnan(value) else f"{value:.2f}"
            k = "?" if np.isnan(r.k) else f"{int(r.k)}"
            extra = "" if np.isnan(r.nb_alpha) else f" alpha={r.nb_alpha:.3g}"
            disp = "" if np.isnan(r.pearson_dispersion) else (
                f" Pearson chi2/df={r.pearson_dispersion:.3g}")
            lines.append(f"  {r.family:<17} {r.effects:<14} k={k:<2} {name}={shown:<8}"
                         f"{disp}{extra}" + (f"  [{r.note}]" if r.note else ""))
        lines.append("Adding a change in slope:")
        if self.tests.empty:
            lines.append("  no family could fit both models")
        for r in self.tests.itertuples(index=False):
            lines.append(f"  {r.family:<17} {r.test}: {r.statistic:.4g} on ({r.df1:g}"
                         + (f", {r.df2:g}" if r.test == "F" else "") + f") df, p = {r.p_value:.4g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def compare_models(data: pd.DataFrame, *, families=None, **common) -> ModelComparison:
    """Fit each family with the effects given minus and plus "slope"; AICc/QAICc, slope test.

    ``families`` defaults to poisson, quasipoisson and negativebinomial (binomial when
    ``trials`` is given). Criteria follow :mod:`scrlib.its.criteria`; QAICc's dispersion is the
    Pearson chi2/df of the quasi-Poisson model with the slope (without it, if that cannot be
    fitted). The test of adding the slope terms is a likelihood-ratio chi2 for
    likelihood fits, and an F test on the deviance difference scaled by the larger model's
    Pearson dispersion for quasipoisson (as R's ``anova(..., test="F")``) and on the residual
    sums of squares for gaussian.
    """
    if families is None:
        families = ("binomial",) if common.get("trials") is not None else COUNTS
    if "family" in common:
        raise ValueError("give families=(...) to compare_models, not family=")
    spec = common.pop("effects", ("step",))
    names = list(common["interventions"])
    reduced = _adjust(spec, names, drop=True)
    full = _adjust(spec, names, drop=False)
    rows, tests = [], []
    for family in families:
        fits = {}
        for label, effects in (("without slope", reduced), ("with slope", full)):
            try:
                fits[label] = fit(data, family=family, effects=effects, **common)
            except (ConvergenceError, IdentificationError) as err:
                fits[label] = err
        good = [f for f in (fits["with slope"], fits["without slope"])
                if not isinstance(f, Exception)]
        c_hat = good[0].dispersion if good else np.nan
        for label, result in fits.items():
            rows.append(_row(family, label, result, c_hat))
        if all(not isinstance(f, Exception) for f in fits.values()):
            tests.append(_slope_test(family, fits["without slope"], fits["with slope"]))
    return ModelComparison(pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(
        tests, columns=["family", "test", "statistic", "df1", "df2", "p_value"]))


COLUMNS = ["family", "effects", "n", "k", "df_resid", "llf", "aicc", "qaicc",
           "pearson_dispersion", "nb_alpha", "note"]


def _adjust(spec, names: list[str], *, drop: bool) -> dict[str, tuple[str, ...]]:
    if isinstance(spec, str):
        spec = (spec,)
    per = dict(spec) if isinstance(spec, dict) else dict.fromkeys(names, tuple(spec))
    out = {}
    for name in names:
        value = per.get(name, ("step",))
        value = (value,) if isinstance(value, str) else tuple(value)
        value = tuple(e for e in value if e != "slope")
        out[name] = value if drop else (*value, "slope")
    return out


def _row(family: str, label: str, result, c_hat: float) -> dict:
    if isinstance(result, Exception):
        return {"family": family, "effects": label, "n": np.nan, "k": np.nan,
                "df_resid": np.nan, "llf": np.nan, "aicc": np.nan, "qaicc": np.nan,
                "pearson_dispersion": np.nan, "nb_alpha": np.nan,
                "note": f"not fitted: {result}"}
    k, n = criteria.n_parameters(result), result.n
    llf = criteria.loglike(result)  # the Poisson log-likelihood for quasipoisson
    quasi = family == "quasipoisson"
    notes = []
    if n - k - 1 <= 0:
        notes.append(f"AICc undefined: n - k - 1 = {n - k - 1}")
    if result.nb_boundary:
        notes.append("alpha at 0: the Poisson fit, with alpha counted")
    return {"family": family, "effects": label, "n": n, "k": k, "df_resid": n - k,
            "llf": llf, "aicc": np.nan if quasi else criteria.aicc(llf, k, n),
            "qaicc": criteria.qaicc(llf, k, n, c_hat) if quasi else np.nan,
            "pearson_dispersion": result.pearson_dispersion if family != "gaussian" else np.nan,
            "nb_alpha": result.dispersion if family == "negativebinomial" else np.nan,
            "note": "; ".join(notes)}


def _slope_test(family: str, small, big) -> dict:
    from scipy import stats

    q = big.design.shape[1] - small.design.shape[1]
    if q <= 0:
        return {"family": family, "test": "none", "statistic": np.nan, "df1": q,
                "df2": np.nan, "p_value": np.nan}
    if family in ("quasipoisson", "gaussian"):
        df2 = big.n - big.design.shape[1]
        if family == "gaussian":
            ssr0, ssr1 = float(small.model_result.ssr), float(big.model_result.ssr)
            scale = ssr1 / df2
            stat = (ssr0 - ssr1) / q / scale
        else:
            dev0, dev1 = float(small.model_result.deviance), float(big.model_result.deviance)
            stat = (dev0 - dev1) / q / big.dispersion
        return {"family": family, "test": "F", "statistic": stat, "df1": q, "df2": df2,
                "p_value": float(stats.f.sf(stat, q, df2)) if df2 > 0 else np.nan}
    stat = 2 * (float(big.model_result.llf) - float(small.model_result.llf))
    return {"family": family, "test": "LR chi2", "statistic": stat, "df1": q, "df2": np.nan,
            "p_value": float(stats.chi2.sf(max(stat, 0.0), q))}
