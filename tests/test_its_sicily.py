"""scrlib.its against an independent computation of the Lopez Bernal et al. (2017) models.

tests/data/sicily.csv is a byte copy of /work/shared/validation/sicily.csv: the monthly data of
the worked example in Lopez Bernal J, Cummins S, Gasparrini A. "Interrupted time series
regression for the evaluation of public health interventions: a tutorial". Int J Epidemiol
2017;46(1):348-355, doi:10.1093/ije/dyw098, as published by the authors with their R and Stata
code (GitHub repository gasparrini/2017_lopezbernal_IJE_codedata, file sicily.csv; identical
content). Columns: year, month, aces (acute coronary events), time (1..59), smokban (0/1, ban
from time 37 = January 2005), pop, stdpop; the tutorial's offset is log(stdpop).

The tutorial's Rcode.R (same repository) fits: model1 Poisson ``aces ~ offset(log(stdpop)) +
smokban + time``; model2 the same as quasi-Poisson; model3 adds ``harmonic(month, 2, 12)``;
model4 adds ``I(time - 36):smokban``. scrlib's slope is 0 at the first post-intervention point
(time 37), so its step is the tutorial's step plus one slope increment; the test below checks
that relation too. The reference here is a plain numpy IRLS written in this file (it does not
use statsmodels), with Wald intervals exp(b +/- 1.959964 se) as the tutorial reports them
(``interval="wald-normal"``); agreement is required to a relative 1e-6, far tighter than four
significant figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scrlib import its

DATA = Path(__file__).parent / "data" / "sicily.csv"
Z = 1.959963984540054  # standard normal 97.5% quantile


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    return pd.read_csv(DATA)


def irls_poisson(X, y, offset):
    """Poisson log-link MLE by iteratively reweighted least squares; returns (beta, mu, cov)."""
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(y.sum() / np.exp(offset).sum())
    for _ in range(100):
        eta = X @ beta + offset
        mu = np.exp(eta)
        z = eta - offset + (y - mu) / mu
        new = np.linalg.solve(X.T @ (mu[:, None] * X), X.T @ (mu * z))
        done = np.max(np.abs(new - beta)) < 1e-13
        beta = new
        if done:
            break
    mu = np.exp(X @ beta + offset)
    return beta, mu, np.linalg.inv(X.T @ (mu[:, None] * X))


def reference(frame, *, quasi, harmonics, slope_from=None):
    """Rate ratios and Wald intervals for the smoking-ban terms, computed by hand."""
    t = frame["time"].to_numpy(float)
    ban = frame["smokban"].to_numpy(float)
    columns = [np.ones(len(t)), ban, t]
    if harmonics:
        m = frame["month"].to_numpy(float)
        for k in (1, 2):
            columns += [np.sin(2 * np.pi * k * m / 12), np.cos(2 * np.pi * k * m / 12)]
    if slope_from is not None:
        columns.append((t - slope_from) * ban)
    X = np.column_stack(columns)
    y = frame["aces"].to_numpy(float)
    offset = np.log(frame["stdpop"].to_numpy(float))
    beta, mu, cov = irls_poisson(X, y, offset)
    if quasi:
        cov = cov * np.sum((y - mu) ** 2 / mu) / (len(y) - X.shape[1])
    se = np.sqrt(np.diag(cov))
    out = {"step": (beta[1], se[1])}
    if slope_from is not None:
        out["slope"] = (beta[-1], se[-1])
    return {k: np.exp([b, b - Z * s, b + Z * s]) for k, (b, s) in out.items()}, beta


MODELS = {
    "model1 poisson step": dict(family="poisson", seasonality=None, effects=("step",)),
    "model2 quasipoisson step": dict(family="quasipoisson", seasonality=None, effects=("step",)),
    "model3 + harmonics": dict(family="quasipoisson", seasonality=(2, 12), effects=("step",)),
    "model4 + slope": dict(family="quasipoisson", seasonality=(2, 12),
                           effects=("step", "slope")),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_tutorial_models_match_independent_irls(sicily, name):
    spec = MODELS[name]
    result = its.fit(sicily, outcome="aces", time="time", interventions={"smokban": 37},
                     offset="stdpop", interval="wald-normal", **spec)
    expected, _ = reference(sicily, quasi=spec["family"] == "quasipoisson",
                            harmonics=spec["seasonality"] is not None,
                            slope_from=37 if "slope" in spec["effects"] else None)
    got = result.effects.set_index("effect")
    for effect, values in expected.items():
        row = got.loc[effect]
        actual = [row["rate_ratio"], row["ci_low"], row["ci_high"]]
        np.testing.assert_allclose(actual, values, rtol=1e-6)
        assert [f"{v:.4g}" for v in actual] == [f"{v:.4g}" for v in values]
    assert result.warnings == [] or spec["family"] == "poisson"


def test_poisson_model_flags_the_overdispersion_the_tutorial_then_fixes(sicily):
    result = its.fit(sicily, outcome="aces", time="time", interventions={"smokban": 37},
                     offset="stdpop")
    assert result.dispersion > 1.5
    assert any("Pearson chi2/df" in w for w in result.warnings)


def test_slope_convention_relates_to_the_tutorial_coding(sicily):
    """Tutorial model4 codes the slope as (time - 36) * smokban; scrlib as (time - 37)."""
    ours = its.fit(sicily, outcome="aces", time="time", interventions={"smokban": 37},
                   offset="stdpop", family="quasipoisson", seasonality=(2, 12),
                   effects=("step", "slope")).params.set_index("term")["estimate"]
    _, theirs = reference(sicily, quasi=True, harmonics=True, slope_from=36)
    tutorial_step, tutorial_slope = theirs[1], theirs[-1]
    assert ours["smokban:slope"] == pytest.approx(tutorial_slope, rel=1e-6)
    assert ours["smokban:step"] == pytest.approx(tutorial_step + tutorial_slope, rel=1e-6)


def test_monthly_periods_and_dates_give_the_same_fit(sicily):
    frame = sicily.assign(month_period=pd.PeriodIndex(
        [pd.Period(year=y, month=m, freq="M") for y, m in zip(sicily.year, sicily.month,
                                                              strict=True)]))
    frame["first_day"] = frame["month_period"].dt.start_time
    base = its.fit(sicily, outcome="aces", time="time", interventions={"smokban": 37},
                   offset="stdpop", family="quasipoisson", seasonality=(2, 12))
    for column, start in (("month_period", pd.Period("2005-01", freq="M")),
                          ("first_day", "2005-01-01")):
        other = its.fit(frame, outcome="aces", time=column, interventions={"smokban": start},
                        offset="stdpop", family="quasipoisson", seasonality=(2, 12))
        pd.testing.assert_frame_equal(other.effects, base.effects, rtol=1e-9)
