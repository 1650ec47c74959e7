"""Small-sample inference in scrlib.its: t where the scale is estimated, profile likelihood for
count families, the sum-of-parts coding of a transition year, and the batched engine.

Every reference is computed here with numpy and scipy (an IRLS, a likelihood written out and
maximised with scipy.optimize), not with scrlib or statsmodels, except where a test says it
checks the engine against statsmodels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special, stats

from scrlib import its
from scrlib.its._parts import Parts, fit_batch

FY = "Y-MAR"
# The eight financial years of SCRs initiated as the cited data give them (2011-12 missing);
# used here as a realistic short series, not as a check of the data.
COUNTS = [137, 131, 136, 72, 93, 143, 166, 134]
YEARS = ["2008", "2009", "2010", "2011", "2013", "2014", "2015", "2016"]
DATES = {"first": "2010-06-10", "second": "2012-07-01"}


@pytest.fixture
def short() -> pd.DataFrame:
    return pd.DataFrame({"year": pd.PeriodIndex(YEARS, freq=FY), "n": COUNTS})


def fit_short(frame, **kw):
    kw.setdefault("interventions", DATES)
    kw.setdefault("family", "quasipoisson")
    return its.fit(frame, outcome="n", time="year", **kw)


def irls(X, y, offset=None):
    """Poisson MLE by plain IRLS; returns (beta, mu)."""
    offset = np.zeros(len(y)) if offset is None else offset
    beta = np.linalg.lstsq(X, np.log(y + 0.5) - offset, rcond=None)[0]
    for _ in range(200):
        mu = np.exp(X @ beta + offset)
        z = X @ beta + (y - mu) / mu
        new = np.linalg.solve(X.T @ (mu[:, None] * X), X.T @ (mu * z))
        if np.max(np.abs(new - beta)) < 1e-14:
            beta = new
            break
        beta = new
    return beta, np.exp(X @ beta + offset)


def poisson_deviance(y, mu):
    return 2 * np.sum(special.xlogy(y, y / mu) - (y - mu))


# -- t with the residual df where the scale is estimated ---------------------------------------
def test_quasipoisson_wald_uses_t_with_the_residual_df(short):
    result = fit_short(short, transition="fractional", interval="wald")
    X, y = result.design, short["n"].to_numpy(float)
    beta, mu = irls(X, y)
    df = len(y) - X.shape[1]
    phi = np.sum((y - mu) ** 2 / mu) / df
    se = np.sqrt(np.diag(np.linalg.inv(X.T @ (mu[:, None] * X)) * phi))
    crit = stats.t.ppf(0.975, df)
    for j, row in zip((2, 3), result.effects.itertuples(), strict=True):
        assert row.rate_ratio == pytest.approx(np.exp(beta[j]), rel=1e-9)
        assert row.ci_low == pytest.approx(np.exp(beta[j] - crit * se[j]), rel=1e-7)
        assert row.ci_high == pytest.approx(np.exp(beta[j] + crit * se[j]), rel=1e-7)
        assert row.p_value == pytest.approx(2 * stats.t.sf(abs(beta[j] / se[j]), df), rel=1e-6)
    # the normal version is kept by name, and is narrower
    normal = result.with_interval("wald-normal").effects
    z = stats.norm.ppf(0.975)
    assert normal["ci_high"].iloc[1] == pytest.approx(np.exp(beta[3] + z * se[3]), rel=1e-7)
    assert (normal["p_value"] < result.effects["p_value"]).all()


def test_majority_side_coding_reproduces_r_summary_glm(short):
    """R 4.2.2, summary.glm(family = quasipoisson) and confint.default with t, on the same data
    and design (trend plus steps from 2010-11 and 2012-13), as recorded in the research
    brief's tooling notes (../shared/research/tooling.md): p = 0.054171 and 0.371406,
    intervals 0.206424-1.022676 and 0.541152-3.712487."""
    effects = fit_short(short, transition="whole", interval="wald").effects
    assert effects["p_value"].round(6).tolist() == [0.054171, 0.371406]
    assert effects["ci_low"].round(6).tolist() == [0.206424, 0.541152]
    assert effects["ci_high"].round(6).tolist() == [1.022676, 3.712487]


def test_gaussian_profile_is_the_exact_t_interval(short):
    frame = short.assign(n=np.log(short["n"]))
    fitted = fit_short(frame, family="gaussian")
    assert fitted.interval == "wald"
    pd.testing.assert_frame_equal(fitted.effects,
                                  fitted.with_interval("profile").effects)


# -- profile likelihood ---------------------------------------------------------------------------
def direct_profile(X, y, j, phi, crit, estimate, family="poisson"):
    """The interval {b : (D(b) - D_hat) / phi <= crit^2}, by scipy minimisation at each b and
    root finding on each side (no scrlib code)."""
    others = [c for c in range(X.shape[1]) if c != j]

    def dev(b):
        _, mu = irls(X[:, others], y, offset=b * X[:, j])
        return poisson_deviance(y, mu)

    d_hat = dev(estimate)
    f = lambda b: (dev(b) - d_hat) / phi - crit**2  # noqa: E731
    width = 1.0
    while f(estimate - width) < 0 or f(estimate + width) < 0:
        width *= 2
    low = optimize.brentq(f, estimate - width, estimate, xtol=1e-12)
    high = optimize.brentq(f, estimate, estimate + width, xtol=1e-12)
    return low, high, (dev(0.0) - d_hat) / phi


@pytest.mark.parametrize("family", ["poisson", "quasipoisson"])
def test_profile_interval_matches_a_direct_profile_of_the_likelihood(short, family):
    result = fit_short(short, family=family, transition="fractional")
    assert result.interval == "profile"
    X, y = result.design, short["n"].to_numpy(float)
    _, mu = irls(X, y)
    df = len(y) - X.shape[1]
    phi = np.sum((y - mu) ** 2 / mu) / df if family == "quasipoisson" else 1.0
    reference = stats.f(1, df) if family == "quasipoisson" else stats.chi2(1)
    crit = np.sqrt(reference.ppf(0.95))
    for j, row in zip((2, 3), result.effects.itertuples(), strict=True):
        low, high, drop = direct_profile(X, y, j, phi, crit, row.estimate)
        assert np.log(row.ci_low) == pytest.approx(low, abs=1e-6)
        assert np.log(row.ci_high) == pytest.approx(high, abs=1e-6)
        assert row.p_value == pytest.approx(reference.sf(drop), rel=1e-6)
        # the interval excludes 1 exactly when the matching test rejects at 5%
        assert (row.ci_low > 1 or row.ci_high < 1) == (row.p_value < 0.05)


def test_profile_of_a_contrast_is_the_profile_of_the_reparametrised_model(short):
    """Both steps together: the same as profiling the second step's coefficient after coding
    the first step as (step1 - step2)."""
    result = fit_short(short, transition="fractional")
    both = result.contrast({"first:step": 1, "second:step": 1})
    X = result.design.copy()
    X[:, 2] = X[:, 2] - X[:, 3]  # b2 * s1 + b3 * s2 = b2 * (s1 - s2) + (b2 + b3) * s2
    y = short["n"].to_numpy(float)
    _, mu = irls(X, y)
    phi = np.sum((y - mu) ** 2 / mu) / 4
    low, high, _ = direct_profile(X, y, 3, phi, np.sqrt(stats.f(1, 4).ppf(0.95)),
                                  both["estimate"])
    assert np.log(both["ci_low"]) == pytest.approx(low, abs=1e-6)
    assert np.log(both["ci_high"]) == pytest.approx(high, abs=1e-6)


def test_negative_binomial_profile_re_estimates_alpha(short):
    frame = short.assign(n=[137, 131, 136, 72, 93, 143, 166, 134 * 2])  # overdispersed
    result = fit_short(frame, family="negativebinomial", transition="fractional")
    assert not result.nb_boundary
    X, y = result.design, frame["n"].to_numpy(float)

    def minus_loglike(beta, log_alpha, offset=0.0):
        mu, size = np.exp(X @ beta + offset), np.exp(-log_alpha)
        return -np.sum(special.gammaln(y + size) - special.gammaln(size)
                       - special.gammaln(y + 1) + size * np.log(size / (size + mu))
                       + y * np.log(mu / (size + mu)))

    def profile_value(b, j):
        others = [c for c in range(X.shape[1]) if c != j]

        def f(theta):
            beta = np.zeros(X.shape[1])
            beta[others], beta[j] = theta[:-1], b
            return minus_loglike(beta, theta[-1])

        start = np.r_[np.delete(result.params["estimate"].to_numpy()[:-1], j), np.log(0.05)]
        return optimize.minimize(f, start, method="Nelder-Mead",
                                 options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40_000,
                                          "maxfev": 40_000}).fun

    row = result.effects.iloc[1]
    best = profile_value(row.estimate, 3)
    for end in (row.ci_low, row.ci_high):  # each end lies on the chi2(1) cutoff
        assert 2 * (profile_value(np.log(end), 3) - best) == pytest.approx(
            stats.chi2.ppf(0.95, 1), abs=2e-3)


def test_summary_and_result_say_which_interval_is_reported(short):
    result = fit_short(short)
    assert "profile-likelihood" in result.interval_text
    assert "F(1, 4)" in result.summary()
    assert "t quantiles" in result.with_interval("wald").summary()
    assert "normal quantiles" in result.with_interval("wald-normal").summary()
    with pytest.raises(ValueError, match="allowed: profile, wald, wald-normal"):
        result.with_interval("bootstrap")
    with pytest.raises(ValueError, match="cov='hac'"):
        fit_short(short, cov="hac", transition="whole", interval="profile")


# -- the sum of parts ---------------------------------------------------------------------------
def test_sum_of_parts_is_the_likelihood_of_days_before_plus_days_after(short):
    result = fit_short(short, family="poisson")
    y = short["n"].to_numpy(float)
    t = np.array([0, 1, 2, 3, 5, 6, 7, 8.0])
    f1 = 295 / 365  # 10 June 2010 .. 31 March 2011 of 2010-11
    f2 = 274 / 365  # 1 July 2012 .. 31 March 2013 of 2012-13

    def mean(theta):
        b0, b1, g1, g2 = theta
        level = np.ones(8)
        level[3] = (1 - f1) + f1 * np.exp(g1)
        level[4] = (1 - f2) * np.exp(g1) + f2 * np.exp(g1 + g2)
        level[5:] = np.exp(g1 + g2)
        return np.exp(b0 + b1 * t) * level

    found = optimize.minimize(lambda th: poisson_deviance(y, mean(th)), [5.0, 0.0, -0.5, 0.5],
                              method="Nelder-Mead",
                              options={"xatol": 1e-11, "fatol": 1e-12, "maxiter": 20_000})
    np.testing.assert_allclose(result.params["estimate"], found.x, rtol=1e-5, atol=1e-7)
    assert result.model_result.deviance == pytest.approx(found.fun, rel=1e-8)
    np.testing.assert_allclose(result.predict()["mean"], mean(found.x), rtol=1e-6)


def test_binomial_sum_of_parts_mixes_the_probabilities_of_the_parts():
    """Each trial falls in a part with the part's share of days, so a transition year's count is
    Binomial(trials, share-weighted mean of the parts' probabilities)."""
    trials = np.array([300, 310, 320, 330, 340, 350.0])
    y = np.array([90, 95, 99, 120, 140, 150.0])
    frame = pd.DataFrame({"t": pd.period_range("2010", periods=6, freq=FY), "y": y,
                          "n": trials})
    result = its.fit(frame, outcome="y", trials="n", time="t", family="binomial",
                     interventions={"p": "2012-10-01"})
    f = 182 / 365  # 1 October 2012 .. 31 March 2013 of 2012-13
    t = np.arange(6.0)

    def minus_loglike(theta):
        b0, b1, g = theta
        before = special.expit(b0 + b1 * t)
        after = special.expit(b0 + b1 * t + g)
        p = np.where(t < 3, before, np.where(t == 3, (1 - f) * before + f * after, after))
        return -np.sum(stats.binom.logpmf(y, trials, p))

    found = optimize.minimize(minus_loglike, [-1.0, 0.0, 0.3], method="Nelder-Mead",
                              options={"xatol": 1e-11, "fatol": 1e-12, "maxiter": 20_000})
    np.testing.assert_allclose(result.params["estimate"], found.x, rtol=1e-5, atol=1e-7)
    assert result.model_result.llf == pytest.approx(-found.fun, rel=1e-9)
    assert result.predict()["mean"][3] == pytest.approx(
        (1 - f) * special.expit(found.x[0] + 3 * found.x[1])
        + f * special.expit(found.x[0] + 3 * found.x[1] + found.x[2]), rel=1e-5)


def test_codings_agree_when_no_date_falls_inside_a_period(short):
    dates = {"first": "2010-04-01", "second": "2012-04-01"}
    effects = [fit_short(short, interventions=dates, transition=tr).effects
               for tr in ("sum", "fractional", "whole")]
    for other in effects[1:]:
        pd.testing.assert_frame_equal(effects[0], other, rtol=1e-7)


# -- the batched engine against statsmodels ----------------------------------------------------
@pytest.mark.parametrize("family", ["poisson", "binomial", "negativebinomial"])
def test_engine_matches_statsmodels_on_ordinary_glms(family):
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    rng = np.random.default_rng(7)
    X = np.column_stack([np.ones(30), np.arange(30) / 10, (np.arange(30) >= 15)])
    mu = np.exp(X @ [3.0, 0.1, -0.4])
    if family == "binomial":
        trials = rng.integers(80, 120, 30).astype(float)
        y = rng.binomial(trials.astype(int), 0.3).astype(float)
        ref = sm.GLM(np.c_[y, trials - y], X, family=sm.families.Binomial()).fit()
        fit = fit_batch(y, *reversed(astuple(Parts.whole(X))), family=family, m=trials)
    elif family == "negativebinomial":
        y = rng.negative_binomial(5, 5 / (5 + mu)).astype(float)
        ref = NegativeBinomial(y, X).fit(disp=0, maxiter=500)
        fit = fit_batch(y, *reversed(astuple(Parts.whole(X))), family=family, alpha=None)
        assert float(fit.alpha) == pytest.approx(ref.params[-1], rel=1e-4)
    else:
        y = rng.poisson(mu).astype(float)
        ref = sm.GLM(y, X, family=sm.families.Poisson()).fit()
        fit = fit_batch(y, *reversed(astuple(Parts.whole(X))), family=family)
        assert float(fit.deviance) == pytest.approx(ref.deviance, rel=1e-9)
    np.testing.assert_allclose(fit.theta, np.asarray(ref.params)[:3], rtol=1e-5)
    assert -float(fit.objective) / 2 == pytest.approx(ref.llf, rel=1e-8)


def astuple(parts: Parts):
    return parts.weights, parts.rows


def test_engine_fits_a_batch_like_one_at_a_time():
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(8), np.arange(8.0)])
    ys = rng.poisson(50, size=(5, 8)).astype(float)
    batch = fit_batch(ys, X[:, None, :], np.ones((8, 1)), family="poisson")
    for i in range(5):
        one = fit_batch(ys[i], X[:, None, :], np.ones((8, 1)), family="poisson")
        np.testing.assert_allclose(batch.theta[i], one.theta, rtol=1e-10)
    assert batch.converged.all()


# -- a small coverage study (the long one is benchmarks/bench_inference.py) --------------------
@pytest.mark.slow
def test_short_quasipoisson_series_t_intervals_cover_and_normal_ones_do_not():
    """Eight yearly counts with variance 3x the mean, trend and one step (4 residual df):
    the t-based and profile intervals cover near 95%; the normal ones fall clearly short."""
    rng = np.random.default_rng(20121)
    t = np.arange(8)
    step = (t >= 4).astype(float)
    mu = np.exp(np.log(120) + 0.02 * t + np.log(0.7) * step)
    reps, hits = 300, {"profile": 0, "wald": 0, "wald-normal": 0}
    for _ in range(reps):
        y = 3 * rng.poisson(mu / 3)
        result = its.fit(pd.DataFrame({"t": t, "y": y}), outcome="y", time="t",
                         interventions={"p": 4}, family="quasipoisson")
        for method in hits:
            row = result.with_interval(method).effects.iloc[0]
            hits[method] += row.ci_low <= 0.7 <= row.ci_high
    rate = {k: v / reps for k, v in hits.items()}
    band = 3.5 * np.sqrt(0.95 * 0.05 / reps)
    assert abs(rate["wald"] - 0.95) <= band, rate
    assert abs(rate["profile"] - 0.95) <= band, rate
    assert rate["wald-normal"] < 0.95 - 0.03, rate


def test_a_profile_that_cannot_be_computed_falls_back_to_wald_and_says_so(short):
    """Leaving out 2009-10 with a step and a slope at the second date leaves 2 residual df; the
    constrained refits of that step fail, so its profile is not reported as p = 0."""
    frame = short.drop(index=2)
    result = fit_short(frame, effects={"first": ("step",), "second": ("step", "slope")})
    row = result.effects.set_index(["intervention", "effect"]).loc[("second", "step")]
    wald = result.with_interval("wald").effects.set_index(["intervention", "effect"])
    assert row["p_value"] == pytest.approx(wald.loc[("second", "step"), "p_value"])
    assert row["p_value"] > 0.05
    assert any("could not be computed" in w and "Wald" in w for w in result.warnings)


def test_an_unbounded_profile_is_an_open_interval_with_a_warning(short):
    frame = short.drop(index=0)
    result = fit_short(frame, effects={"first": ("step",), "second": ("step", "slope")})
    row = result.effects.set_index(["intervention", "effect"]).loc[("second", "step")]
    assert row["ci_low"] == 0.0 or np.isinf(row["ci_high"])
    assert any("does not reach the cutoff" in w for w in result.warnings)


def test_a_profile_that_levels_off_below_the_cutoff_is_open_not_a_false_crossing(short):
    """Without 2009-10 the first step's profile flattens below the F cutoff as the step goes to
    0: the interval has no lower limit (a cold refit far out once faked a crossing)."""
    result = fit_short(short.drop(index=2))
    row = result.effects.set_index("intervention").loc["first"]
    assert row["ci_low"] == 0.0 and row["ci_high"] < 2
    assert any("first:step does not reach the cutoff" in w for w in result.warnings)
