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


def test_an_explanation_the_data_suggested_is_exploratory_wherever_it_appears():
    from scipy import special

    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    result = run(data, suggested=("temporary",))
    dip = row(result, "a temporary change between")
    assert dip["basis"] == "suggested"
    assert row(result, "permanent steps")["basis"] == "independent"
    involved = result.tests["comparison"].str.contains("a temporary change between")
    assert result.tests.loc[involved, "exploratory"].all()
    assert (result.tests.loc[involved, "basis"] == "suggested").all()
    assert not result.tests.loc[~involved & ~result.tests["searched"], "exploratory"].any()
    # the weights without the small-sample penalty, from QAIC written out here
    y = data["n"].to_numpy(dtype=float)
    fixed = result.table[result.table["searched_dates"] == 0]
    qaic = []
    for r in fixed.itertuples(index=False):
        mu = result.fitted[r.explanation].to_numpy()
        llf = np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1))
        qaic.append(-2 * llf / result.c_hat + 2 * r.k)
    w = np.exp(-(np.array(qaic) - min(qaic)) / 2)
    np.testing.assert_allclose(fixed["weight_no_penalty"], w / w.sum(), rtol=1e-9)
    with pytest.raises(ValueError, match="suggested names \\['dip'\\]; allowed: steps"):
        run(data, suggested=("dip",))


def test_three_grades_of_basis_from_the_firmest_to_the_weakest():
    """Lasting steps at dates taken from the same reports as the counts are graded so, and a
    nested test takes the weaker basis of its two sides."""
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    result = run(data, suggested=("temporary",), same_reports=("steps",))
    assert row(result, "permanent steps")["basis"] == "same-reports"
    assert row(result, "no change")["basis"] == "independent"
    tests = result.tests.set_index("comparison")["basis"]
    steps = row(result, "permanent steps")["explanation"]
    dip = row(result, "a temporary change between")["explanation"]
    assert tests[f"{steps} vs no change"] == "same-reports"
    assert tests[f"{steps} vs {dip}"] == "suggested"
    with pytest.raises(ValueError, match="same_reports names \\['x'\\]"):
        run(data, same_reports=("x",))


def test_only_poisson_families_and_a_policy_date():
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    with pytest.raises(ValueError, match="family='gaussian'"):
        run(data, family="gaussian")
    with pytest.raises(ValueError, match="at least one policy date"):
        explain(data, outcome="n", time="year", policy={})
