"""scrlib.its.fit: timing conventions, families, tables, predictions, warnings, bad input, plot."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrlib import its

SICILY = Path(__file__).parent / "data" / "sicily.csv"
FY = "Y-MAR"
# An illustrative synthetic annual series (financial years 2007-08 .. 2015-16), not real data.
ANNUAL = [60, 64, 59, 71, 80, 95, 101, 98, 110]


@pytest.fixture
def annual() -> pd.DataFrame:
    return pd.DataFrame({"year": pd.period_range("2008", periods=9, freq=FY), "scrs": ANNUAL})


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    return pd.read_csv(SICILY)


def fit_annual(frame, **kw):
    kw.setdefault("interventions", {"policy": pd.Period("2013", freq=FY)})
    return its.fit(frame, outcome="scrs", time="year", **kw)


def column(result, name):
    return result.design[:, result.names.index(name)]


# -- timing ------------------------------------------------------------------------------------
def test_period_start_gives_step_and_slope_counted_from_the_first_post_period(annual):
    result = fit_annual(annual, effects=("step", "slope"))
    assert list(column(result, "policy:step")) == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert list(column(result, "policy:slope")) == [0, 0, 0, 0, 0, 0, 1, 2, 3]
    assert list(column(result, "trend")) == list(range(9))


def test_date_inside_a_financial_year_counts_the_share_of_days_after_it(annual):
    result = fit_annual(annual, interventions={"policy": "2012-07-01"}, effects=("step", "slope"),
                        transition="fractional")
    share = 274 / 365  # 1 July 2012 .. 31 March 2013 inclusive, of FY2012-13's 365 days
    assert column(result, "policy:step") == pytest.approx([0, 0, 0, 0, 0, share, 1, 1, 1])
    assert list(column(result, "policy:slope")) == [0, 0, 0, 0, 0, 0, 1, 2, 3]
    assert "0.751 post-intervention" in result.notes[0]
    assert "2012-13" in result.summary()


def test_sum_of_parts_splits_the_transition_year_at_the_date(annual):
    result = fit_annual(annual, interventions={"policy": "2012-07-01"})
    share = 274 / 365
    assert result.parts.split and result.transition == "sum"
    assert result.parts.weights[5].tolist() == pytest.approx([1 - share, share])
    assert result.parts.rows[5, :, result.names.index("policy:step")].tolist() == [0.0, 1.0]
    # the expected count of 2012-13 is the days before at the old rate plus the days after
    b = result.params.set_index("term")["estimate"]
    old = np.exp(b["intercept"] + 5 * b["trend"])
    assert result.predict()["mean"][5] == pytest.approx(
        old * ((1 - share) + share * np.exp(b["policy:step"])))
    assert "sum of its parts" in result.notes[0]


@pytest.mark.parametrize(("date", "first"), [("2012-07-01", "2012-13"), ("2013-01-15", "2013-14"),
                                             ("2013-04-15", "2013-14"), ("2012-09-30", "2012-13"),
                                             ("2012-10-01", "2013-14")])
def test_whole_puts_a_year_on_the_side_where_most_of_its_days_fall(annual, date, first):
    result = fit_annual(annual, interventions={"policy": date}, transition="whole")
    steps = column(result, "policy:step")
    assert set(steps) == {0.0, 1.0}
    assert result.axis.show(result.axis.index[int(np.argmax(steps))]) == first
    assert "transition='whole'" in result.notes[0]


def test_a_date_on_a_period_start_is_that_period(annual):
    by_date = fit_annual(annual, interventions={"policy": "2012-04-01"})
    by_period = fit_annual(annual)
    np.testing.assert_array_equal(by_date.design, by_period.design)
    assert by_date.notes == []


def test_july_june_years_and_other_frequency_periods(annual):
    frame = annual.assign(year=pd.period_range("2008", periods=9, freq="Y-JUN"))
    result = fit_annual(frame, interventions={"policy": pd.Period("2012-07", freq="M")})
    # July 2012 starts the July-June year 2012-13 (Period "2013", Y-JUN): a whole period.
    assert list(column(result, "policy:step")) == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert result.axis.unit == "year (Jul-Jun)"


@pytest.mark.parametrize(("dates", "freq"), [
    (pd.date_range("2007-04-01", periods=9, freq="YS-APR"), "Y-MAR"),
    (pd.date_range("2008-03-31", periods=9, freq="YE-MAR"), "Y-MAR"),
    (pd.date_range("2010-01-01", periods=9, freq="QS"), "Q-DEC"),
    (pd.date_range("2010-01-31", periods=9, freq="ME"), "M"),
])
def test_timestamps_become_periods(annual, dates, freq):
    result = fit_annual(annual.assign(year=dates), interventions={"policy": dates[5]})
    assert result.axis.freq == freq
    assert list(column(result, "policy:step")) == [0, 0, 0, 0, 0, 1, 1, 1, 1]


def test_integer_time_with_a_gap(annual):
    frame = annual.assign(year=[1, 2, 3, 4, 6, 7, 8, 9, 10])
    result = fit_annual(frame, interventions={"policy": 5}, effects=("step", "slope"))
    assert list(column(result, "policy:step")) == [0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert list(column(result, "policy:slope")) == [0, 0, 0, 0, 1, 2, 3, 4, 5]
    assert list(column(result, "trend")) == [0, 1, 2, 3, 5, 6, 7, 8, 9]


def test_effects_per_intervention(annual):
    result = fit_annual(annual, interventions={"a": pd.Period("2011", freq=FY),
                                               "b": pd.Period("2014", freq=FY)},
                        effects={"a": "slope", "b": ("step", "slope")})
    assert result.names == ("intercept", "trend", "a:slope", "b:step", "b:slope")
    assert list(result.effects[["intervention", "effect"]].itertuples(index=False, name=None)) \
        == [("a", "slope"), ("b", "step"), ("b", "slope")]
    assert list(result.trend["segment"]) == ["before a", "after a", "after b"]


def test_seasonality_terms_use_the_integer_time_index(sicily):
    result = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                     seasonality=(2, 12))
    t = sicily["time"].to_numpy()
    assert column(result, "sin2") == pytest.approx(np.sin(2 * np.pi * 2 * t / 12))
    assert column(result, "cos1") == pytest.approx(np.cos(2 * np.pi * t / 12))


@settings(max_examples=40, deadline=None)
@given(day=st.integers(min_value=0, max_value=364))
def test_step_fraction_is_the_share_of_days_on_or_after_the_date(day):
    frame = pd.DataFrame({"year": pd.period_range("2008", periods=9, freq=FY), "scrs": ANNUAL})
    date = pd.Timestamp("2012-04-01") + pd.Timedelta(days=day)
    result = fit_annual(frame, interventions={"policy": date})
    step = column(result, "policy:step")
    assert step[5] == pytest.approx((365 - day) / 365)
    assert list(step[:5]) == [0] * 5 and list(step[6:]) == [1] * 3


# -- families and tables ---------------------------------------------------------------------
def test_tables_have_the_contract_columns(sicily):
    result = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                     offset="stdpop", family="quasipoisson", effects=("step", "slope"))
    assert list(result.effects.columns[:6]) == ["intervention", "effect", "rate_ratio",
                                                "ci_low", "ci_high", "p_value"]
    assert list(result.params["term"]) == ["intercept", "trend", "ban:step", "ban:slope"]
    for table in (result.effects, result.trend):
        assert (table["ci_low"] < table["rate_ratio"]).all()
        assert (table["rate_ratio"] < table["ci_high"]).all()
    p = result.params.set_index("term")
    assert result.trend.loc[0, "rate_ratio"] == pytest.approx(np.exp(p.loc["trend", "estimate"]))
    after = result.trend.loc[1]
    assert after["rate_ratio"] == pytest.approx(
        np.exp(p.loc["trend", "estimate"] + p.loc["ban:slope", "estimate"]))
    cov = np.asarray(result.model_result.cov_params())
    se = np.sqrt(cov[1, 1] + cov[3, 3] + 2 * cov[1, 3])
    assert after["std_err"] == pytest.approx(se)
    assert result.dispersion == pytest.approx(
        result.model_result.pearson_chi2 / result.model_result.df_resid)


def test_negative_binomial_estimates_alpha_by_maximum_likelihood(sicily):
    from scipy import optimize, special

    result = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                     offset="stdpop", family="negativebinomial", seasonality=(2, 12))
    y, X = result.y, result.design
    offset = np.log(sicily["stdpop"].to_numpy())

    def minus_loglike(theta):  # NB2 written out here, independent of statsmodels
        mu, size = np.exp(X @ theta[:-1] + offset), np.exp(-theta[-1])
        return -np.sum(special.gammaln(y + size) - special.gammaln(size) - special.gammaln(y + 1)
                       + size * np.log(size / (size + mu)) + y * np.log(mu / (size + mu)))

    start = np.r_[np.linalg.lstsq(X, np.log(y) - offset, rcond=None)[0], np.log(0.01)]
    direct = optimize.minimize(minus_loglike, start, method="BFGS",
                               options={"gtol": 1e-6, "maxiter": 10_000})
    assert result.model_result.llf >= -direct.fun - 1e-6
    np.testing.assert_allclose(result.model_result.params,
                               np.r_[direct.x[:-1], np.exp(direct.x[-1])], rtol=1e-3)
    assert result.dispersion == pytest.approx(result.params["estimate"].iloc[-1])
    assert result.params["term"].iloc[-1] == "alpha" and result.k == 8


def test_negative_binomial_at_the_boundary_reports_the_poisson_fit(annual):
    nb = fit_annual(annual, family="negativebinomial")
    poisson = fit_annual(annual)
    assert nb.nb_boundary and nb.dispersion == 0.0
    pd.testing.assert_frame_equal(nb.effects, poisson.effects)
    assert any("boundary 0" in w for w in nb.warnings)


def test_binomial_gives_odds_ratios(annual):
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    frame = annual.assign(published=[10, 12, 9, 14, 30, 41, 50, 47, 60])
    result = its.fit(frame, outcome="published", trials="scrs", time="year",
                     interventions={"policy": pd.Period("2013", freq=FY)}, family="binomial")
    y, n = frame["published"].to_numpy(), frame["scrs"].to_numpy()
    direct = GLM(np.column_stack([y, n - y]), result.design, family=families.Binomial()).fit()
    row = result.with_interval("wald").effects.iloc[0]
    assert row["measure"] == "odds ratio"
    assert row["rate_ratio"] == pytest.approx(np.exp(direct.params[2]))
    assert row["ci_low"] == pytest.approx(np.exp(direct.conf_int()[2, 0]))
    assert result.predict()["observed"].to_numpy() == pytest.approx(y / n)


def test_gaussian_is_segmented_least_squares_with_t_intervals(annual):
    from scipy import stats

    result = fit_annual(annual, family="gaussian", effects=("step", "slope"))
    X, y = result.design, annual["scrs"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    sigma2 = resid @ resid / (len(y) - X.shape[1])
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(X.T @ X)))
    row = result.effects.iloc[0]
    crit = stats.t.ppf(0.975, len(y) - X.shape[1])
    assert row["measure"] == "difference"
    assert row["rate_ratio"] == pytest.approx(beta[2])
    assert row["ci_high"] == pytest.approx(beta[2] + crit * se[2])
    assert result.dispersion == pytest.approx(sigma2)


def test_hac_uses_newey_west_with_the_documented_default_lags(sicily):
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    assert its.hac_lags_rule(59) == 3 and its.hac_lags_rule(9) == 2
    result = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                     offset="stdpop", family="quasipoisson", cov="hac")
    assert result.hac_lags == 3
    direct = GLM(result.y, result.design, family=families.Poisson(),
                 offset=np.log(sicily["stdpop"])).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    np.testing.assert_allclose(result.params["std_err"], direct.bse, rtol=1e-10)
    assert "Newey-West HAC covariance (3 lags)" in result.summary()
    other = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                    offset="stdpop", cov="hac", hac_lags=6)
    assert other.model_result.cov_kwds["maxlags"] == 6


# -- predictions ------------------------------------------------------------------------------
def test_predict_matches_statsmodels_and_counterfactual_removes_the_step(sicily):
    result = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                     offset="stdpop", family="quasipoisson", seasonality=(2, 12))
    offset = np.log(sicily["stdpop"].to_numpy())
    frame = result.model_result.get_prediction(result.design, offset=offset).summary_frame()
    pred = result.predict()
    assert list(pred.columns) == ["time", "observed", "mean", "ci_low", "ci_high"]
    np.testing.assert_allclose(pred["mean"], frame["mean"], rtol=1e-10)
    np.testing.assert_allclose(pred["ci_low"], frame["mean_ci_lower"], rtol=1e-10)
    np.testing.assert_allclose(pred["ci_high"], frame["mean_ci_upper"], rtol=1e-10)
    cf = result.counterfactual()
    ratio = result.effects.loc[0, "rate_ratio"]
    post = sicily["smokban"].to_numpy() == 1
    np.testing.assert_allclose(cf["mean"][~post], pred["mean"][~post])
    np.testing.assert_allclose(cf["mean"][post] * ratio, pred["mean"][post])
    rates = result.predict(per=1e5)
    np.testing.assert_allclose(rates["mean"], pred["mean"] / sicily["stdpop"] * 1e5)
    with pytest.raises(ValueError, match="no offset"):
        its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37}).predict(per=10)


# -- warnings ---------------------------------------------------------------------------------
def test_short_sides_and_too_many_parameters_warn(annual):
    result = fit_annual(annual, interventions={"late": pd.Period("2015", freq=FY)},
                        effects=("step", "slope"), family="quasipoisson")
    text = " | ".join(result.warnings)
    assert "only 2 time points from late" in text
    assert "estimated from only 5 residual degrees" not in text  # df = 9 - 4 = 5
    crowded = fit_annual(annual, interventions={"a": pd.Period("2011", freq=FY),
                                                "b": pd.Period("2014", freq=FY)},
                         effects=("step", "slope"), family="quasipoisson")
    text = " | ".join(crowded.warnings)
    assert "6 parameters for 9 time points" not in text
    assert "the quasi-Poisson scale is estimated from only 3 residual degrees" in text
    saturated = fit_annual(annual, interventions={"a": pd.Period("2010", freq=FY),
                                                  "b": pd.Period("2012", freq=FY),
                                                  "c": pd.Period("2014", freq=FY)},
                           effects=("step", "slope"))
    assert any("8 parameters for 9 time points (n - k = 1 < 2)" in w for w in saturated.warnings)
    assert "Warnings:" in saturated.summary() and "n - k = 1" in saturated.summary()


def test_definitional_breaks_warn_only_inside_the_data(annual):
    inside = fit_annual(annual, breaks=[pd.Period("2010", freq=FY)])
    assert any("definitional break at 2009-10" in w for w in inside.warnings)
    outside = fit_annual(annual, breaks=["2001-04-01"])
    assert not any("definitional" in w for w in outside.warnings)
    flagged = fit_annual(annual.assign(flag=[False] * 7 + [True, False]), breaks="flag")
    assert any("definitional break at 2014-15" in w for w in flagged.warnings)


def test_hac_on_a_short_series_warns(annual):
    result = fit_annual(annual, cov="hac")
    assert result.hac_lags == 2
    assert any("Newey-West" in w for w in result.warnings)


# -- bad input --------------------------------------------------------------------------------
def labelled(annual):
    return annual.set_index(pd.Index([f"r{i}" for i in range(9)]))


@pytest.mark.parametrize(("change", "kwargs", "pattern"), [
    (None, {"outcome": "scr"}, "unknown column 'scr'"),
    (None, {"offset": "pop"}, "unknown column 'pop'"),
    (lambda f: f.assign(scrs=[60, 64.5, 59, 71, 80, 95, 101, 98, 110]), {},
     r"'scrs'.*non-integer.*\['r1'\]"),
    (lambda f: f.assign(scrs=[60, 64, -59, 71, 80, 95, 101, 98, 110]), {},
     r"'scrs'.*negative.*\['r2'\]"),
    (lambda f: f.assign(scrs=[60, 64, 59, None, 80, 95, 101, 98, 110]), {},
     r"'scrs' has missing values in rows \['r3'\]"),
    (lambda f: f.assign(pop=[1.0] * 8 + [0.0]), {"offset": "pop"}, r"'pop'.*\['r8'\]"),
    (lambda f: f.assign(pop=[1.0] * 7 + [None, 1.0]), {"offset": "pop"},
     r"'pop' has missing values in rows \['r7'\]"),
    (lambda f: f.assign(year=[*f["year"].iloc[:4], f["year"].iloc[3], *f["year"].iloc[5:]]), {},
     r"'year' has duplicated time points in rows \['r3', 'r4'\]"),
    (lambda f: f.iloc[[0, 1, 3, 2, 4, 5, 6, 7, 8]], {}, r"'year' is not sorted.*\['r2'\]"),
    (lambda f: f.assign(year=[str(p) for p in f["year"]]), {}, r"'year'.*strings.*\['r0'"),
    (None, {"interventions": {"policy": pd.Period("2020", freq=FY)}},
     "'policy' starts at 2019-20.*outside the data's range 2007-08 .. 2015-16"),
    (None, {"interventions": {"policy": "2007-05-01"}}, "'policy'.*outside the data's range"),
    (None, {"interventions": {"policy": 5}}, "give a Period of the same frequency or a date"),
    (None, {"interventions": {"policy": "2013"}}, "'YYYY-MM-DD'.*a bare year or month"),
    (None, {"interventions": {"a": pd.Period("2012", freq=FY),
                              "b": pd.Period("2012", freq=FY)}},
     r"not identified: 4 coefficients .* from 9 time points; the design matrix has rank 3 of "
     r"4: 'a:step', 'b:step' cannot be told apart"),
    (None, {"family": "poison"}, "unknown family 'poison'"),
    (None, {"effects": ("jump",)}, r"unknown effect\(s\) \['jump'\]"),
    (None, {"seasonality": (6, 12)}, "at most 5 harmonic pair"),
    (None, {"cov": "robust"}, "unknown cov 'robust'"),
])
def test_bad_input_raises_value_error_naming_column_and_rows(annual, change, kwargs, pattern):
    frame = labelled(annual)
    frame = change(frame) if change else frame
    kwargs = {"outcome": "scrs", "time": "year",
              "interventions": {"policy": pd.Period("2013", freq=FY)}, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        its.fit(frame, **kwargs)


def test_trials_smaller_than_successes_are_rejected(annual):
    frame = labelled(annual).assign(trials=[200] * 8 + [50])
    with pytest.raises(ValueError, match=r"'trials'.*smaller than 'scrs'.*\['r8'\]"):
        its.fit(frame, outcome="scrs", trials="trials", time="year", family="binomial",
                interventions={"policy": pd.Period("2013", freq=FY)})
    with pytest.raises(ValueError, match="needs trials="):
        its.fit(frame, outcome="scrs", time="year", family="binomial",
                interventions={"policy": pd.Period("2013", freq=FY)})


def test_integer_time_rejects_dates_and_gaussian_accepts_non_counts():
    frame = pd.DataFrame({"t": range(1, 9), "y": [1.5, 2.0, 2.2, 2.9, 1.0, 1.1, 1.4, 1.2]})
    with pytest.raises(ValueError, match="holds integers"):
        its.fit(frame, outcome="y", time="t", interventions={"p": "2012-01-01"},
                family="gaussian")
    with pytest.raises(ValueError, match="non-integer"):
        its.fit(frame, outcome="y", time="t", interventions={"p": 5})
    result = its.fit(frame, outcome="y", time="t", interventions={"p": 5}, family="gaussian")
    assert result.effects.loc[0, "rate_ratio"] < 0


def test_families_that_estimate_a_scale_need_residual_degrees_of_freedom():
    frame = pd.DataFrame({"t": [1, 2, 3, 4], "y": [5, 9, 4, 12]})
    for family in ("quasipoisson", "gaussian"):
        with pytest.raises(ValueError, match="leave none after 4 coefficients"):
            its.fit(frame, outcome="y", time="t", interventions={"a": 3}, family=family,
                    effects=("step", "slope"))
    saturated = its.fit(frame, outcome="y", time="t", interventions={"a": 3},
                        effects=("step", "slope"))
    assert any("saturated" in w for w in saturated.warnings)
    assert not any("RuntimeWarning" in w for w in saturated.warnings)


@pytest.mark.parametrize("family", its.FAMILIES)
def test_every_family_with_hac_and_harmonics_runs_clean(sicily, family):
    frame = sicily.assign(events=sicily["aces"] * 3 + np.arange(59) % 7)
    extra = {"trials": "events"} if family == "binomial" else {}
    result = its.fit(frame, outcome="aces", time="time", interventions={"ban": 37},
                     family=family, cov="hac", seasonality=(2, 12), **extra)
    assert not any("statsmodels" in w for w in result.warnings)
    assert result.summary().count("Newey-West") == 1
    assert np.isfinite(result.predict()[["mean", "ci_low", "ci_high"]].to_numpy()).all()


def test_binomial_fitting_the_data_exactly_is_not_separation(sicily):
    frame = sicily.assign(events=sicily["aces"] * 3)  # every proportion exactly 1/3
    result = its.fit(frame, outcome="aces", trials="events", time="time",
                     interventions={"ban": 37}, family="binomial")
    assert result.effects.loc[0, "rate_ratio"] == pytest.approx(1.0)


# -- convergence ------------------------------------------------------------------------------
def test_non_convergence_raises_a_clear_error(annual):
    with pytest.raises(its.ConvergenceError, match="did not converge"):
        fit_annual(annual, maxiter=1)


def test_an_infinite_estimate_is_reported_not_returned(annual):
    zeros = annual.assign(scrs=[5, 7, 6, 8, 5, 0, 0, 0, 0])
    with pytest.raises(its.ConvergenceError, match="does not exist"):
        fit_annual(zeros)
    perfect = annual.assign(trials=[20] * 9, ok=[3, 4, 2, 3, 5, 20, 20, 20, 20])
    with pytest.raises(its.ConvergenceError, match="does not exist"):
        its.fit(perfect, outcome="ok", trials="trials", time="year", family="binomial",
                interventions={"policy": pd.Period("2013", freq=FY)})


# -- text and chart ---------------------------------------------------------------------------
def test_summary_names_the_model_and_sizes(sicily):
    result = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                     offset="stdpop", family="negativebinomial")
    text = result.summary()
    for part in ("negative binomial NB2", "offset log(stdpop)", "n = 59", "k = 4",
                 "residual df = 55", "Dispersion (alpha)", "ban step"):
        assert part in text
    assert str(result) == text and "ItsResult negativebinomial" in repr(result)


def test_plot_draws_every_element_without_pyplot(annual):
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    had_pyplot = "matplotlib.pyplot" in sys.modules
    result = fit_annual(annual, interventions={"policy": "2012-07-01"},
                        effects=("step", "slope"), source="illustrative")
    ax = result.plot()
    assert isinstance(ax, Axes)
    texts = [t.get_text() for t in ax.texts]
    assert "policy" in texts and "Source: illustrative" in texts
    styles = {line.get_linestyle() for line in ax.get_lines()}
    assert {"-", "--", "None"} <= styles  # fitted, counterfactual, observed markers
    assert ax.get_xlabel() == "Financial year (April-March)" and ax.get_ylabel() == "scrs"
    assert len(ax.collections) >= 1 and len(ax.patches) >= 1  # CI band, shaded post period
    assert ax.get_xticklabels()[0].get_text() == "2007-08"
    fig = Figure()
    other = fig.add_subplot()
    assert result.plot(ax=other, source="another") is other
    assert "Source: another" in [t.get_text() for t in other.texts]
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot
    ax.figure.canvas.draw()  # renders (the source line is laid out under the x label)


def test_plot_of_a_rate_uses_the_offset(sicily):
    result = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                     offset="stdpop")
    ax = result.plot(per=100000)
    assert ax.get_ylabel() == "aces per 100,000 stdpop"
    assert "Source: not stated" in [t.get_text() for t in ax.texts]


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(min_value=1e-3, max_value=1e3), shift=st.integers(-500, 500))
def test_effects_do_not_depend_on_exposure_units_or_time_origin(sicily, scale, shift):
    base = its.fit(sicily, outcome="aces", time="time", interventions={"ban": 37},
                   offset="stdpop", family="quasipoisson", seasonality=(2, 12),
                   effects=("step", "slope"))
    moved = its.fit(sicily.assign(stdpop=sicily["stdpop"] * scale, time=sicily["time"] + shift),
                    outcome="aces", time="time", interventions={"ban": 37 + shift},
                    offset="stdpop", family="quasipoisson", seasonality=(2, 12),
                    effects=("step", "slope"))
    pd.testing.assert_frame_equal(moved.effects, base.effects, rtol=1e-6)
    np.testing.assert_allclose(moved.predict()["mean"], base.predict()["mean"], rtol=1e-6)
