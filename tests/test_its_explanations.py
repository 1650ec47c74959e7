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
    assert "fits best" not in result.verdict
    # a dip that fully returns: steps that cancel fit it as well, so no "fits best"
    returned = run(frame([140, 138, 141, 70, 70, 140, 139, 142, 141]))
    assert returned.verdict.startswith("Among the explanations at the policy dates, the data "
                                       "cannot tell apart a temporary change")
    assert "no change has much less support" in returned.verdict
    # a fall that stays: QAICc ranks the temporary change first (a trend takes the fall after
    # it), but the nested test prefers lasting steps: the two disagree, and it says so
    stays = run(frame([140, 138, 141, 70, 72, 74, 71, 73, 70]))
    test = stays.tests[stays.tests["comparison"].str.startswith("permanent steps")
                       & stays.tests["comparison"].str.contains("vs a temporary")]
    assert test["p_value"].iloc[0] < 0.05
    assert "the criterion and the test disagree" in stays.verdict
    assert "fits best" not in stays.verdict


def test_fits_best_only_where_criterion_and_nested_tests_agree():
    from scrlib.its.explanations import leading

    table = pd.DataFrame({"explanation": ["a", "b", "c"], "searched_dates": [0, 0, 0],
                          "criterion": [10.0, 18.0, 30.0], "delta": [0.0, 8.0, 20.0],
                          "coefficients": [3, 4, 2]})
    tests = pd.DataFrame({"comparison": ["b vs a", "a vs c"], "p_value": [0.30, 0.001],
                          "test": ["F", "F"], "exploratory": [False, False]})
    best, tied, disputed, rest = leading(table, tests)
    assert best["explanation"] == "a" and [r["explanation"] for r, _ in tied] == ["b"]
    assert disputed == [] and [r["explanation"] for r, _ in rest] == ["c"]
    tests.loc[0, "p_value"] = 0.01  # the larger model b is preferred by its test: disagreement
    best, tied, disputed, rest = leading(table, tests)
    assert tied == [] and [r["explanation"] for r, _ in disputed] == ["b"]
    table.loc[1, "coefficients"] = 2  # b smaller than a, and rejected against it: a fits best
    best, tied, disputed, rest = leading(table, tests)
    assert tied == disputed == [] and [r["explanation"] for r, _ in rest] == ["b", "c"]


def test_a_weaker_explanation_is_set_against_every_leading_one():
    """No change can have less support than an exploratory leader, yet lose a confirmatory test
    to another leader while the criterion prefers it: the clause says both."""
    from scrlib.its.explanations import against_others

    rows = pd.DataFrame({"explanation": ["dip", "steps", "none"], "criterion": [10.0, 18.0, 17.3],
                         "coefficients": [3, 4, 2]})
    tests = pd.DataFrame({"comparison": ["steps vs none", "dip vs none"],
                          "p_value": [0.036, 0.007], "test": ["F", "F"],
                          "exploratory": [False, True]})
    clause = against_others(rows.iloc[2], [rows.iloc[0], rows.iloc[1]], tests,
                            lambda r: r["explanation"])
    assert clause == ("a confirmatory test prefers steps to none (p = 0.036), though the "
                      "small-sample criterion slightly prefers the latter")


def test_verdict_judges_searched_dates_by_their_bootstrap_test():
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    dip = scan(data, outcome="n", time="year", breaks=2, kind="dip", replicates=19,
               candidates=POLICY)
    verdict = run(data, dip_scan=dip).verdict
    assert verdict.startswith("Allowing for the search over dates, a temporary change")
    assert verdict.index("Allowing for the search") < verdict.index("Among the explanations")
    assert f"p = {dip.p_value:.2g}" in verdict or "p \u2264" in verdict


def test_an_explanation_the_data_suggested_is_exploratory_wherever_it_appears():
    from scipy import special

    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    result = run(data, suggested=("temporary",))
    dip = row(result, "a temporary change between")
    assert dip["basis"] == "suggested by the data (exploratory)"
    assert row(result, "permanent steps")["basis"] == "fixed in advance"
    involved = result.tests["comparison"].str.contains("a temporary change between")
    assert result.tests.loc[involved, "exploratory"].all()
    assert not result.tests.loc[~involved & ~result.tests["searched"], "exploratory"].any()
    assert "(suggested by the data: exploratory)" in result.verdict
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


def test_only_poisson_families_and_a_policy_date():
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    with pytest.raises(ValueError, match="family='gaussian'"):
        run(data, family="gaussian")
    with pytest.raises(ValueError, match="at least one policy date"):
        explain(data, outcome="n", time="year", policy={})
