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


def annual_stepped(years=26, real="2012-07-01", seed=3):
    rng = np.random.default_rng(seed)
    periods = pd.period_range("1995", periods=years, freq="Y-MAR")
    after = np.asarray(periods.end_time >= pd.Timestamp(real), dtype=float)
    mu = 80 * np.exp(0.01 * np.arange(years) + np.log(0.5) * after)
    return pd.DataFrame({"year": periods, "y": rng.poisson(mu)})


def test_placebo_dates_are_the_real_date_moved_by_whole_years_and_coded_alike():
    frame = annual_stepped()
    result = its.placebo_in_time(frame, outcome="y", time="year",
                                 interventions={"p": "2012-07-01"})
    placebos = result.estimates[~result.estimates["actual"]]
    dates = pd.to_datetime(placebos["time"].astype(str))
    assert (dates.dt.month == 7).all() and (dates.dt.day == 1).all()
    kept = set(dates.dt.year)
    assert 2012 not in kept and {2011, 2013} - kept == {2011, 2013}  # within 12 months
    rank = result.ranks.iloc[0]
    assert rank["rank"] == 1 and rank["n_placebo"] == len(placebos) >= 19
    assert rank["share"] == pytest.approx(1 / (rank["n_placebo"] + 1))
    assert rank["smallest_share"] == rank["share"] and result.can_give_evidence
    # each placebo is coded as the real one: a date inside its year, summed over its parts
    one = its.fit(frame, outcome="y", time="year", interventions={"p": "2005-07-01"})
    assert one.parts.split and one.starts[0].fraction == pytest.approx(274 / 365)


def test_placebo_leaves_out_dates_near_a_dated_event_and_says_why():
    frame = annual_stepped()
    result = its.placebo_in_time(frame, outcome="y", time="year",
                                 interventions={"p": "2012-07-01"},
                                 exclude=["2005-09-01"], window_months=6)
    years = set(pd.to_datetime(result.estimates["time"].astype(str)).dt.year)
    assert 2005 not in years and 2004 in years and 2006 in years
    reasons = result.skipped.set_index("time")["reason"]
    assert "within 6 months of a dated event" in reasons[pd.Timestamp("2005-07-01").date()]


def test_a_short_series_cannot_give_evidence_and_says_so():
    frame = annual_stepped(years=9)
    result = its.placebo_in_time(frame, outcome="y", time="year",
                                 interventions={"p": "1999-07-01"})
    rank = result.ranks.iloc[0]
    assert rank["n_placebo"] < 19 and not result.can_give_evidence
    assert rank["smallest_share"] == pytest.approx(1 / (rank["n_placebo"] + 1))
    assert "cannot give evidence" in result.summary()
    assert "0%" not in result.summary()


def test_placebo_before_only_uses_the_pre_intervention_years():
    frame = annual_stepped()
    result = its.placebo_in_time(frame, outcome="y", time="year",
                                 interventions={"p": "2012-07-01"}, only_before=True)
    years = pd.to_datetime(result.estimates.loc[~result.estimates["actual"], "time"]
                           .astype(str)).dt.year
    assert years.max() < 2011 and "pre-intervention data only" in result.summary()


def test_placebo_needs_dates_and_a_named_intervention_when_there_are_several():
    frame = annual_stepped()
    with pytest.raises(ValueError, match="say which to move"):
        its.placebo_in_time(frame, outcome="y", time="year",
                            interventions={"a": "2003-07-01", "b": "2012-07-01"})
    result = its.placebo_in_time(frame, outcome="y", time="year",
                                 interventions={"a": "2003-07-01", "b": "2012-07-01"},
                                 intervention="b")
    years = set(pd.to_datetime(result.estimates["time"].astype(str)).dt.year)
    assert 2003 not in years and result.intervention == "b"
    integer = pd.DataFrame({"t": range(10), "y": [5, 6, 5, 7, 6, 12, 13, 12, 14, 13]})
    with pytest.raises(ValueError, match="dates or Periods"):
        its.placebo_in_time(integer, outcome="y", time="t", interventions={"p": 5})


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
    assert table.loc[table["family"] == "quasipoisson", "aicc"].isna().all()
    assert table.loc[table["family"] != "quasipoisson", "aicc"].notna().all()
    assert table.loc[table["family"] == "quasipoisson", "qaicc"].notna().all()
    assert "QAICc=" in comparison.summary() and "AICc=" in comparison.summary()
    # parameters counted alike: mean coefficients + 1 per estimated dispersion
    assert table["k"].tolist() == [7, 8, 8, 9, 8, 9]

    tests = comparison.tests.set_index("family")
    small = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                    offset="stdpop", seasonality=(2, 12))
    big = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                  offset="stdpop", seasonality=(2, 12), effects=("step", "slope"))
    offset = np.log(sicily["stdpop"])
    llf0 = GLM(small.y, small.design, family=families.Poisson(), offset=offset).fit().llf
    llf1 = GLM(big.y, big.design, family=families.Poisson(), offset=offset).fit().llf
    assert tests.loc["poisson", "statistic"] == pytest.approx(2 * (llf1 - llf0))
    n = len(sicily)
    assert table.loc[0, "aicc"] == pytest.approx(2 * 7 - 2 * llf0 + 2 * 7 * 8 / (n - 8))
    # QAICc: the Poisson log-likelihood over the dispersion of the model with the slope
    c_hat = np.sum((big.y - big.model_result.mu) ** 2 / big.model_result.mu) / 51
    assert table.loc[2, "qaicc"] == pytest.approx(
        -2 * llf0 / c_hat + 2 * 8 + 2 * 8 * 9 / (n - 9))
    assert table.loc[4, "nb_alpha"] > 0 and np.isnan(table.loc[0, "nb_alpha"])
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
    assert "not identified" in with_slope["note"]
    assert "'p:slope' cannot be told apart" in with_slope["note"]
    assert table[table["effects"] == "without slope"]["note"].iloc[0] == ""


def test_aicc_is_undefined_when_the_model_uses_nearly_every_point():
    frame = pd.DataFrame({"t": range(5), "y": [20, 22, 21, 30, 33]})
    table = its.compare_models(frame, families=("poisson", "negativebinomial"), outcome="y",
                               time="t", interventions={"p": 3}).table
    nb = table[table["family"] == "negativebinomial"].iloc[0]
    assert nb["k"] == 4 and np.isnan(nb["aicc"]) and "AICc undefined" in nb["note"]
    poisson = table[table["family"] == "poisson"].iloc[0]
    assert poisson["aicc"] == pytest.approx(-2 * poisson["llf"] + 6 + 2 * 3 * 4 / (5 - 4))
