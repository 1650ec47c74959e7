"""scrlib.its.explanations: competing explanations fitted alike and ranked by QAICc."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from scrlib import its
from scrlib.its.breaks import scan
from scrlib.its.explanations import explain

FY = "Y-MAR"
POLICY = {"first": "2010-06-10", "second": "2012-07-01"}


def frame(counts) -> pd.DataFrame:
    return pd.DataFrame({"year": pd.period_range("2008", periods=len(counts), freq=FY),
                         "n": counts})


def run(data, **kw):
    return explain(data, outcome="n", time="year", policy=POLICY, **kw)


def row(result, start: str) -> pd.Series:
    return result.table[result.table["explanation"].str.startswith(start)].iloc[0]


def test_policy_steps_are_the_its_model_with_the_same_coding():
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    result = run(data)
    steps = row(result, "permanent steps")
    direct = its.fit(data, outcome="n", time="year", interventions=POLICY, family="poisson")
    assert steps["deviance"] == pytest.approx(direct.model_result.deviance, rel=1e-8)
    ratios = direct.effects["rate_ratio"].round(2).tolist()
    assert steps["estimate"].startswith(f"rate ratios {ratios[0]:.2f}, {ratios[1]:.2f}")


def test_qaicc_uses_one_dispersion_and_counts_searched_dates():
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    step = scan(data, outcome="n", time="year", replicates=19)
    dip = scan(data, outcome="n", time="year", breaks=2, kind="dip", replicates=19)
    result = run(data, step_scan=step, dip_scan=dip)
    steps = row(result, "permanent steps")
    n, y = len(data), data["n"].to_numpy(float)
    c = steps["pearson_dispersion"]  # the model with the most coefficients (4)
    assert result.c_hat == pytest.approx(max(c, 1.0))
    # recompute one QAICc by hand from the fitted means
    mu = result.fitted[steps["explanation"]].to_numpy()
    llf = np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1))
    k = 4 + 1  # level, trend, two steps; the dispersion
    assert steps["criterion"] == pytest.approx(-2 * llf / result.c_hat + 2 * k
                                               + 2 * k * (k + 1) / (n - k - 1))
    fixed = result.table[result.table["searched_dates"] == 0]
    assert fixed["weight"].sum() == pytest.approx(1.0)
    assert (np.diff(fixed["criterion"]) >= 0).all()
    # dates found by searching get no QAICc: they are judged by their search-adjusted test
    found = row(result, "a temporary change where the data put it")
    assert found["k"] == 3 + 2 + 1 and np.isnan(found["criterion"])
    assert found["search_p"] == dip.p_value
    assert list(result.table["searched_dates"]) == sorted(result.table["searched_dates"])


def test_nested_f_test_of_steps_against_the_temporary_change():
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    result = run(data)
    steps, dip = row(result, "permanent steps"), row(result, "a temporary change between")
    test = result.tests[result.tests["comparison"].str.startswith("permanent steps")
                        & result.tests["comparison"].str.contains("vs a temporary")].iloc[0]
    df2 = len(data) - 4
    f = (dip["deviance"] - steps["deviance"]) / steps["pearson_dispersion"]
    assert test["statistic"] == pytest.approx(f)
    assert test["p_value"] == pytest.approx(stats.f.sf(f, 1, df2))


def test_verdict_says_when_the_data_cannot_tell_explanations_apart():
    close = frame([120, 118, 123, 94, 98, 121, 119, 122, 120])  # a shallow dip
    result = run(close)
    fixed = result.table[result.table["searched_dates"] == 0]
    assert (fixed["delta"] < 2).sum() >= 2  # the constructed case: two within 2 units
    assert "the data cannot tell apart" in result.verdict
    clear = frame([140, 138, 141, 70, 70, 140, 139, 142, 141])
    verdict = run(clear).verdict
    assert verdict.startswith("Among the explanations fixed in advance, the data favour a "
                              "temporary change between first and second; the next")
    assert "much less support" in verdict


def test_verdict_judges_searched_dates_by_their_bootstrap_test():
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    dip = scan(data, outcome="n", time="year", breaks=2, kind="dip", replicates=19,
               candidates=POLICY)
    verdict = run(data, dip_scan=dip).verdict
    assert "once the search over dates is allowed for" in verdict or (
        "allowing for the search" in verdict)
    assert f"p = {dip.p_value:.2g}" in verdict or "p \u2264" in verdict


def test_only_poisson_families_and_a_policy_date():
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    with pytest.raises(ValueError, match="family='gaussian'"):
        run(data, family="gaussian")
    with pytest.raises(ValueError, match="at least one policy date"):
        explain(data, outcome="n", time="year", policy={})
