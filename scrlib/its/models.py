"""Compare families, and test whether adding a change in slope improves the fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrlib.its._engine import ConvergenceError, IdentificationError
from scrlib.its._fit import fit

COUNTS = ("poisson", "quasipoisson", "negativebinomial")


@dataclass(frozen=True)
class ModelComparison:
    """``table``: one row per (family, effects); ``tests``: one slope test per family."""

    table: pd.DataFrame
    tests: pd.DataFrame

    def summary(self) -> str:
        """Both tables as text; AIC is "n/a" for quasi-likelihood fits."""
        lines = ["Model comparison (AIC only within families sharing a likelihood; lower is "
                 "better)"]
        for r in self.table.itertuples(index=False):
            aic = "n/a" if np.isnan(r.aic) else f"{r.aic:.2f}"
            lines.append(f"  {r.family:<17} {r.effects:<14} k={r.k:<3} df={r.df_resid:<3} "
                         f"AIC={aic:<9} dispersion={r.dispersion:.4g}"
                         + (f"  [{r.note}]" if r.note else ""))
        lines.append("Adding a change in slope:")
        for r in self.tests.itertuples(index=False):
            lines.append(f"  {r.family:<17} {r.test}: {r.statistic:.4g} on ({r.df1:g}"
                         + (f", {r.df2:g}" if r.test == "F" else "") + f") df, p = {r.p_value:.4g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def compare_models(data: pd.DataFrame, *, families=None, **common) -> ModelComparison:
    """Fit each family with the effects given minus and plus "slope"; AIC and a slope test.

    ``families`` defaults to poisson, quasipoisson and negativebinomial (binomial when
    ``trials`` is given). The test of adding the slope terms is a likelihood-ratio chi2 for
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
            rows.append(_row(family, label, fits[label]))
        if all(not isinstance(f, Exception) for f in fits.values()):
            tests.append(_slope_test(family, fits["without slope"], fits["with slope"]))
    return ModelComparison(pd.DataFrame(rows), pd.DataFrame(
        tests, columns=["family", "test", "statistic", "df1", "df2", "p_value"]))


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


def _row(family: str, label: str, result) -> dict:
    if isinstance(result, Exception):
        return {"family": family, "effects": label, "k": np.nan, "df_resid": np.nan,
                "llf": np.nan, "aic": np.nan, "dispersion": np.nan,
                "note": f"not fitted: {result}"}
    res = result.model_result
    quasi = family == "quasipoisson"
    llf = np.nan if quasi else float(res.llf)
    return {"family": family, "effects": label, "k": result.k, "df_resid": result.df_resid,
            "llf": llf, "aic": np.nan if quasi else 2 * result.k - 2 * llf,
            "dispersion": result.dispersion,
            "note": "quasi-likelihood: no AIC" if quasi else (
                "alpha at 0: Poisson fit" if result.nb_boundary else "")}


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
