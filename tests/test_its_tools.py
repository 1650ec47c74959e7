"""compare_periods (exact two-period comparisons), placebo_in_time and compare_models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scrlib import its

SICILY = Path(__file__).parent / "data" / "sicily.csv"


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    return pd.read_csv(SICILY)


# -- compare_periods: rates -------------------------------------------------------------------
def test_rate_ratio_exact_conditional_test_and_interval():
    result = its.compare_periods([137, 131, 136], [93, 143], kind="rate")
    table = result.table.set_index("quantity")
    c0, c1, e0, e1 = 404, 236, 3.0, 2.0  # exposure defaults to the number of values (years)
    assert table.loc["before rate", "estimate"] == pytest.approx(c0 / e0)
    ratio = table.loc["rate ratio"]
    assert ratio["estimate"] == pytest.approx((c1 / e1) / (c0 / e0))
    # Conditional on the total, events after ~ Binomial(N, e1 / (e0 + e1)) under no change.
    assert ratio["p_value"] == pytest.approx(
        stats.binomtest(c1, c0 + c1, e1 / (e0 + e1)).pvalue, rel=1e-9)
    assert result.p_value == ratio["p_value"]

    # The interval inverts the two one-sided exact tests at 2.5% each.
    def share(r):
        return r * e1 / (r * e1 + e0)

    assert stats.binom.sf(c1 - 1, c0 + c1, share(ratio["ci_low"])) == pytest.approx(0.025)
    assert stats.binom.cdf(c1, c0 + c1, share(ratio["ci_high"])) == pytest.approx(0.025)
    low = stats.chi2.ppf(0.025, 2 * c0) / 2 / e0
    high = stats.chi2.ppf(0.975, 2 * c0 + 2) / 2 / e0
    assert table.loc["before rate", ["ci_low", "ci_high"]].tolist() == pytest.approx([low, high])
    assert "exact conditional" in result.summary()


def test_rate_comparison_with_exposures_and_zero_counts():
    result = its.compare_periods(10, 0, before_exposure=5000.0, after_exposure=[2000, 2000])
    ratio = result.table.set_index("quantity").loc["rate ratio"]
    assert ratio["estimate"] == 0 and ratio["ci_low"] == 0 and np.isfinite(ratio["ci_high"])
    with pytest.raises(ValueError, match="no events in either period"):
        its.compare_periods(0, 0)
    with pytest.raises(ValueError, match="whole numbers >= 0"):
        its.compare_periods([3, -1], [4])
    with pytest.raises(ValueError, match="unknown kind"):
        its.compare_periods(3, 4, kind="odds")


# -- compare_periods: proportions --------------------------------------------------------------
def test_proportions_published_out_of_commissioned():
    # SCRs published out of commissioned, FY2011-12 (12 of 55) and FY2012-13 (31 of 81), as
    # reported by Children & Young People Now (data/figures.csv); used here as arithmetic only.
    result = its.compare_periods(12, 31, before_trials=55, after_trials=81, kind="proportion")
    table = result.table.set_index("quantity")
    z = stats.norm.ppf(0.975)
    p, n = 12 / 55, 55
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert table.loc["before proportion", ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [centre - half, centre + half])
    fisher = stats.fisher_exact([[31, 50], [12, 43]]).pvalue
    assert table["p_value"].dropna().tolist() == pytest.approx([fisher] * 3)
    assert table.loc["difference", "estimate"] == pytest.approx(31 / 81 - 12 / 55)
    assert table.loc["ratio", "estimate"] == pytest.approx((31 / 81) / (12 / 55))
    odds = stats.contingency.odds_ratio([[31, 50], [12, 43]], kind="conditional")
    assert table.loc["odds ratio", "estimate"] == pytest.approx(odds.statistic)
    exact = its.compare_periods(12, 31, before_trials=55, after_trials=81, kind="proportion",
                                ci_method="beta")
    low = stats.beta.ppf(0.025, 12, 55 - 12 + 1)
    assert exact.table.loc[0, "ci_low"] == pytest.approx(low)
    assert "Clopper-Pearson" in exact.summary()


def test_proportion_input_errors():
    with pytest.raises(ValueError, match="needs before_trials"):
        its.compare_periods(3, 4, kind="proportion")
    with pytest.raises(ValueError, match="between 0 and trials"):
        its.compare_periods(30, 4, before_trials=20, after_trials=10, kind="proportion")


# -- placebo_in_time --------------------------------------------------------------------------
def stepped_series(n=24, start=13, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    mu = 50 * np.exp(0.01 * t - 0.6 * (t >= start))
    return pd.DataFrame({"t": t, "y": rng.poisson(mu)}), start


def test_placebo_ranks_a_real_step_first():
    frame, start = stepped_series()
    result = its.placebo_in_time(frame, outcome="y", time="t", interventions={"p": start})
    est = result.estimates
    placebos = est[~est["actual"]]
    assert sorted(placebos["time"]) == [t for t in range(2, 25) if t != start]
    rank = result.ranks.iloc[0]
    assert rank["n_placebo"] == 22 and rank["rank"] == 1 and rank["share_as_extreme"] == 0
    assert est.loc[est["actual"], "rate_ratio"].iloc[0] < 0.7
    assert "rank 1 of 23" in result.summary()


def test_placebo_before_only_and_with_slope():
    frame, start = stepped_series()
    before = its.placebo_in_time(frame, outcome="y", time="t", interventions={"p": start},
                                 only_before=True, effects=("step", "slope"))
    placebos = before.estimates[~before.estimates["actual"]]
    # Pre-intervention data t = 1..12; with a slope term two points are needed on each side.
    assert sorted(placebos["time"].unique()) == list(range(3, 12))
    assert set(before.ranks["effect"]) == {"step", "slope"}
    assert "before the real start" in before.summary()


def test_placebo_needs_a_named_intervention_when_there_are_several():
    frame, _ = stepped_series()
    with pytest.raises(ValueError, match="say which to move"):
        its.placebo_in_time(frame, outcome="y", time="t", interventions={"a": 8, "b": 16})
    result = its.placebo_in_time(frame, outcome="y", time="t", interventions={"a": 8, "b": 16},
                                 intervention="b")
    assert 8 not in set(result.estimates["time"]) and result.intervention == "b"


# -- compare_models ---------------------------------------------------------------------------
def test_compare_models_on_the_tutorial_data(sicily):
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    comparison = its.compare_models(sicily, outcome="aces", time="time",
                                    interventions={"ban": 37}, offset="stdpop",
                                    seasonality=(2, 12))
    table = comparison.table
    assert list(table["family"]) == ["poisson"] * 2 + ["quasipoisson"] * 2 + [
        "negativebinomial"] * 2
    assert table.loc[table["family"] == "quasipoisson", "aic"].isna().all()
    assert table.loc[table["family"] != "quasipoisson", "aic"].notna().all()
    assert "AIC=n/a" in comparison.summary()

    tests = comparison.tests.set_index("family")
    small = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                    offset="stdpop", seasonality=(2, 12))
    big = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                  offset="stdpop", seasonality=(2, 12), effects=("step", "slope"))
    offset = np.log(sicily["stdpop"])
    llf0 = GLM(small.y, small.design, family=families.Poisson(), offset=offset).fit().llf
    llf1 = GLM(big.y, big.design, family=families.Poisson(), offset=offset).fit().llf
    assert tests.loc["poisson", "statistic"] == pytest.approx(2 * (llf1 - llf0))
    assert table.loc[0, "aic"] == pytest.approx(2 * 7 - 2 * llf0)
    # R: anova(model3, model4, test = "F"): deviance change / df over the larger model's
    # Pearson dispersion, on (1, 51) df.
    pearson = np.sum((big.y - big.model_result.mu) ** 2 / big.model_result.mu) / 51
    f = (small.model_result.deviance - big.model_result.deviance) / pearson
    assert tests.loc["quasipoisson", "statistic"] == pytest.approx(f)
    assert tests.loc["quasipoisson", "p_value"] == pytest.approx(stats.f.sf(f, 1, 51))
    assert tests.loc["negativebinomial", "test"] == "LR chi2"


def test_compare_models_binomial_and_gaussian():
    frame, start = stepped_series()
    frame["n"] = frame["y"] + 40
    binomial = its.compare_models(frame, outcome="y", trials="n", time="t",
                                  interventions={"p": start})
    assert list(binomial.table["family"]) == ["binomial", "binomial"]
    gaussian = its.compare_models(frame, families=("gaussian",), outcome="y", time="t",
                                  interventions={"p": start})
    small, big = (its.fit(frame, outcome="y", time="t", interventions={"p": start},
                          family="gaussian", effects=e) for e in (("step",), ("step", "slope")))
    f, p, _ = big.model_result.compare_f_test(small.model_result)
    row = gaussian.tests.iloc[0]
    assert row["statistic"] == pytest.approx(f) and row["p_value"] == pytest.approx(p)
    with pytest.raises(ValueError, match="families="):
        its.compare_models(frame, family="poisson", outcome="y", time="t",
                           interventions={"p": start})


def test_compare_models_reports_a_slope_the_data_cannot_identify():
    # One point after the intervention: a step is estimable, a step and a slope are not (the
    # slope is 0 at the first post point, so its column is all zeros).
    frame = pd.DataFrame({"t": range(5), "y": [20, 22, 21, 23, 40]})
    with pytest.raises(its.IdentificationError):
        its.fit(frame, outcome="y", time="t", interventions={"p": 4}, effects=("step", "slope"))
    table = its.compare_models(frame, families=("poisson",), outcome="y", time="t",
                               interventions={"p": 4}).table
    with_slope = table[table["effects"] == "with slope"].iloc[0]
    assert with_slope["note"].startswith("not fitted:")
    assert "cannot tell them apart" in with_slope["note"]
    assert table[table["effects"] == "without slope"]["note"].iloc[0] == ""
