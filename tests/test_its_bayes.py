"""The Bayesian cross-check (scrlib.its.bayes): its integrals agree with numerical integration
written out here, its posteriors are calibrated (a small simulation-based calibration), they
approach the maximum-likelihood estimates on long series, and bad arguments are named."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special, stats

from scrlib.its import bayes

YEARS = pd.period_range("2008", periods=8, freq="Y-MAR")
COUNTS = [137, 131, 136, 72, 93, 143, 166, 134]
POLICY = {"first": "2010-06-10", "second": "2012-07-01"}


def _frame(counts, periods=YEARS):
    return pd.DataFrame({"year": periods, "count": np.asarray(counts, dtype=float)})


def _normal(x, mean, sd):
    return -0.5 * ((x - mean) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)


def _grid_posterior(y, t, inside, priors, centre, effect=(-1.6, 1.6)):
    """A model with one effect (level, trend, the effect, spread) integrated on a tensor grid,
    written out with scipy: log evidence and the posterior mean of the effect. ``inside``: each
    year's share of days at the changed level (0/1 for a step at a year's start)."""
    b0 = np.linspace(centre - 1.0, centre + 1.0, 31)
    b1 = np.linspace(-0.3, 0.3, 25)
    d = np.linspace(*effect, 31)
    u = np.linspace(-10.0, 0.5, 31)
    B0, B1, D, U = np.meshgrid(b0, b1, d, u, indexing="ij")
    mu = np.exp(B0[..., None] + B1[..., None] * t) * (1 - inside + inside * np.exp(D[..., None]))
    a = np.exp(2 * U)[..., None]
    r = 1 / a
    ll = np.sum(special.gammaln(y + r) - special.gammaln(r) - special.gammaln(y + 1)
                - r * np.log1p(a * mu) + special.xlogy(y, a * mu / (1 + a * mu)), axis=-1)
    lp = (_normal(B0, centre, priors.level_sd) + _normal(B1, 0, priors.trend_sd)
          + _normal(D, 0, priors.effect_sd) + math.log(2)
          + _normal(np.exp(U), 0, priors.spread_scale) + U)
    total = ll + lp
    top = total.max()
    volume = np.prod([g[1] - g[0] for g in (b0, b1, d, u)])
    weights = np.exp(total - top)
    return top + math.log(weights.sum() * volume), float((weights * D).sum() / weights.sum())


def test_the_integral_agrees_with_numerical_integration_for_a_fixed_placement():
    """One policy date at the start of a year (no part-year), so the step is a 0/1 column."""
    frame = _frame(COUNTS)
    found = bayes.posterior(frame, outcome="count", time="year", policy={"one": "2011-04-01"},
                            placed=())
    y = frame["count"].to_numpy()
    t = np.arange(8.0)
    step = np.asarray(YEARS.start_time >= pd.Timestamp("2011-04-01"), dtype=float)
    assert step.sum() == 4  # the years from April 2011
    evidence, mean_step = _grid_posterior(y, t, step, bayes.Priors(), math.log(y.mean()))
    row = found.explanations.set_index("explanation").loc["permanent steps at one"]
    assert row["log_evidence"] == pytest.approx(evidence, abs=0.02)
    effect = found.effects.set_index("effect").loc["step at one"]
    assert effect["mean_log"] == pytest.approx(mean_step, abs=0.02)
    assert row["min_ess"] > 500  # the integral rests on many effective draws


def test_a_temporary_change_with_part_years_agrees_with_numerical_integration():
    """The temporary change between the policy dates (each inside a year: the sum of its
    parts), against a grid with each year's share of days between the dates counted here."""
    frame = _frame(COUNTS)
    found = bayes.posterior(frame, outcome="count", time="year", policy=POLICY, placed=())
    first, second = (pd.Timestamp(v) for v in POLICY.values())
    inside = []
    for year in YEARS:
        days = pd.date_range(year.start_time, year.end_time.normalize(), freq="D")
        inside.append(float(np.mean((days >= first) & (days < second))))
    inside = np.asarray(inside)
    assert 0 < inside[3] < 1 and 0 < inside[5] < 1 and inside[4] == 1  # two part-years
    y = frame["count"].to_numpy()
    evidence, mean_effect = _grid_posterior(y, np.arange(8.0), inside, bayes.Priors(),
                                            math.log(y.mean()), effect=(-2.6, 1.0))
    name = "a temporary change between first and second"
    row = found.explanations.set_index("explanation").loc[name]
    assert row["log_evidence"] == pytest.approx(evidence, abs=0.02)
    effect = found.effects.set_index("explanation").loc[name]
    assert effect["mean_log"] == pytest.approx(mean_effect, abs=0.02)


def test_probabilities_add_up_and_follow_the_prior_odds():
    frame = _frame(COUNTS)
    even = bayes.posterior(frame, outcome="count", time="year", policy=POLICY, placed=(),
                           draws=1024)
    assert even.explanations["probability"].sum() == pytest.approx(1.0)
    names = list(even.explanations["explanation"])
    odds = {names[0]: 1.0, names[1]: 1.0, names[2]: 0.0}
    skewed = bayes.posterior(frame, outcome="count", time="year", policy=POLICY, placed=(),
                             draws=1024, prior_odds=odds)
    p = skewed.explanations.set_index("explanation")["probability"]
    assert p[names[2]] == 0.0
    e = even.explanations.set_index("explanation")["probability"]
    assert p[names[0]] / p[names[1]] == pytest.approx(e[names[0]] / e[names[1]])


def test_a_placed_date_is_marginalised_over_every_placement_on_the_grid():
    frame = _frame(COUNTS)
    found = bayes.posterior(frame, outcome="count", time="year", policy=POLICY,
                            placed=((1, "step"),), draws=1024, resolution="year")
    dates = found.dates
    assert dates["probability"].sum() == pytest.approx(1.0)
    # on a yearly grid one date can fall at the start of each year but the first
    assert len(dates) == len(YEARS) - 1
    row = found.explanations.set_index("explanation").loc[
        "one permanent change where the data put it"]
    assert row["placements"] == len(dates)


def test_the_same_seed_gives_the_same_answer_and_the_result_is_in_words():
    frame = _frame(COUNTS)
    one = bayes.posterior(frame, outcome="count", time="year", policy=POLICY, draws=512,
                          resolution="year")
    two = bayes.posterior(frame, outcome="count", time="year", policy=POLICY, draws=512,
                          resolution="year")
    pd.testing.assert_frame_equal(one.explanations, two.explanations)
    assert "credible interval" in one.summary()
    p = one.probability("permanent steps at first and second", "step at second", above=1.2)
    row = one.effects.set_index("effect").loc["step at second"]
    assert p == pytest.approx(row["p_up_20"])


@pytest.mark.slow
def test_simulation_based_calibration_small():
    """Posterior ranks of the true step, for series drawn from the priors, are uniform (a small
    version of benchmarks/sim_bayes.py)."""
    priors = bayes.Priors()
    rng = np.random.default_rng(7)
    t = np.arange(8.0)
    step = np.asarray(YEARS.start_time >= pd.Timestamp("2011-04-01"), dtype=float)
    ranks = []
    for _ in range(120):
        level = rng.normal(math.log(100), 0.3)
        trend = rng.normal(0, priors.trend_sd)
        effect = rng.normal(0, priors.effect_sd)
        spread = abs(rng.normal(0, priors.spread_scale))
        mu = np.exp(level + trend * t + effect * step)
        size = 1 / max(spread**2, 1e-8)
        y = rng.negative_binomial(size, size / (size + mu)).astype(float)
        found = bayes.posterior(_frame(y), outcome="count", time="year",
                                policy={"one": "2011-04-01"}, placed=(), draws=512,
                                priors=bayes.Priors(level_sd=0.3, level_mean=math.log(100)),
                                seed=int(rng.integers(1e6)))
        ranks.append(found.probability("permanent steps at one", "step at one",
                                       below=math.exp(effect)))
    assert stats.kstest(ranks, "uniform").pvalue > 0.01, sorted(ranks)


def test_on_a_long_series_the_posterior_mean_approaches_the_maximum_likelihood_estimate():
    periods = pd.period_range("1820", periods=200, freq="Y-MAR")
    rng = np.random.default_rng(11)
    t = np.arange(200.0)
    step = np.asarray(periods.start_time >= pd.Timestamp("1919-04-01"), dtype=float)
    assert step.sum() == 100
    mu = np.exp(math.log(150) + 0.001 * t + 0.3 * step)
    y = rng.negative_binomial(50, 50 / (50 + mu)).astype(float)
    found = bayes.posterior(_frame(y, periods), outcome="count", time="year",
                            policy={"one": "1919-04-01"}, placed=(), draws=1024)
    X = np.column_stack([np.ones(200), t / 100, step])  # scaled: the step is unchanged
    mle = sm.NegativeBinomial(y, X).fit(maxiter=200, disp=0)  # the same likelihood (NB2)
    effect = found.effects.set_index("effect").loc["step at one"]
    posterior_sd = (math.log(effect["high"]) - math.log(effect["low"])) / (2 * 1.96)
    assert abs(effect["mean_log"] - float(mle.params[2])) < 0.1 * posterior_sd
    assert posterior_sd == pytest.approx(float(mle.bse[2]), rel=0.15)


@pytest.mark.parametrize(("arguments", "named"), [
    ({"priors": "flat"}, "priors="),
    ({"draws": 1000}, "draws=1000"),
    ({"rope": (1.1, 1.2)}, "rope="),
    ({"placed": ((3, "step"),)}, "placed="),
    ({"min_segment": 4.5, "placed": ((2, "dip"),)}, "min_segment=4.5"),
    ({"prior_odds": {"nothing": 1}}, "prior_odds"),
    ({"suggested": ("everything",)}, "suggested"),
])
def test_bad_arguments_are_named_with_what_is_allowed(arguments, named):
    with pytest.raises(ValueError, match=named.replace("(", r"\(")):
        bayes.posterior(_frame(COUNTS), outcome="count", time="year", policy=POLICY,
                        **arguments)


@pytest.mark.parametrize("name", ["level_sd", "trend_sd", "effect_sd", "spread_scale"])
@pytest.mark.parametrize("value", [0, -1.0, math.inf, math.nan])
def test_a_prior_that_is_not_proper_is_refused(name, value):
    with pytest.raises(ValueError, match=f"{name}=.*a prior must be proper"):
        bayes.Priors(**{name: value})


def test_more_breaks_than_the_series_can_carry_are_refused():
    short = _frame(COUNTS[:4], YEARS[:4])
    with pytest.raises(ValueError, match="need at least 5 points; the series has 4"):
        bayes.posterior(short, outcome="count", time="year", policy={"one": "2010-06-10"},
                        placed=((1, "step"),))


def test_prior_sensitivity_says_whether_the_conclusion_depends_on_the_choice():
    """Nothing is said where every prior set agrees; a verdict one set flips, or another most
    probable explanation, is said naming the sets on each side."""
    import copy

    frame = _frame(COUNTS)
    results = bayes.sensitivity(frame, outcome="count", time="year", policy=POLICY,
                                placed=(), draws=512)
    assert set(results) == set(bayes.PRIOR_SETS)
    same = {label: results["default"] for label in ("default", "wider", "narrower")}
    assert bayes.depends_on_prior(same) == []
    from scrlib.reader.sentences import prior_dependence

    flipped = copy.copy(results["default"])
    flipped.effects = results["default"].effects.copy()
    row = flipped.effects.index[0]
    was_clear = bool(flipped.effects.loc[row, "low"] > 1 or flipped.effects.loc[row, "high"] < 1)
    flipped.effects.loc[row, ["low", "high"]] = [0.5, 2.0] if was_clear else [1.5, 3.0]
    flipped.explanations = results["default"].explanations.copy()
    flipped.explanations["probability"] = flipped.explanations["probability"].to_numpy()[::-1]
    relations = bayes.depends_on_prior({"default": results["default"], "narrower": flipped})
    words = prior_dependence(relations)
    effect = flipped.effects.loc[row, "effect"]
    assert any(effect in w and ("under the default priors, not under the narrower" in w
                                if was_clear else
                                "under the narrower priors, not under the default" in w)
               for w in words), words
    if flipped.leading["explanation"] != results["default"].leading["explanation"]:
        assert any(w.startswith("which explanation is most probable (default priors: ")
                   for w in words), words


def test_three_policy_dates_give_a_stable_integral():
    """Each parameter has its own column of points: with three dates (three steps) the
    integral is the same, within its Monte Carlo error, whatever the seed."""
    policy = {"one": "2009-04-01", "two": "2011-04-01", "three": "2013-04-01"}
    results = [bayes.posterior(_frame(COUNTS), outcome="count", time="year", policy=policy,
                               placed=(), draws=2048, seed=seed) for seed in (1, 2)]
    rows = [r.explanations.set_index("explanation").loc["permanent steps at one and two and "
                                                        "three"] for r in results]
    assert rows[0]["min_ess"] > 500 and rows[1]["min_ess"] > 500
    assert rows[0]["log_evidence"] == pytest.approx(rows[1]["log_evidence"], abs=0.03)
    assert not results[0].warnings


def test_the_likelihood_keeps_its_digits_close_to_poisson():
    """Never above a probability of 1, however large the mean or small the spread; at a tiny
    spread the negative binomial is the Poisson, with the ratio of gamma functions summed
    exactly here."""
    y = np.array([0.0, 7.0, 31.0])
    mu = np.array([[[2.0, 5.0, 40.0]]])
    for alpha in (1e-6, 1e-9, 1e-12, 1e-14, 1e-20):
        found = float(bayes._nb_loglik(y, mu, np.array([[alpha]]))[0, 0])
        r = 1 / alpha
        exact = sum(math.fsum(math.log(r + k) for k in range(int(v))) - math.lgamma(v + 1)
                    - r * math.log1p(alpha * m) + v * math.log(alpha * m / (1 + alpha * m))
                    for v, m in zip(y, mu[0, 0], strict=True))
        assert found == pytest.approx(exact, abs=1e-8)
        assert found == pytest.approx(stats.poisson.logpmf(y, mu[0, 0]).sum(),
                                      abs=100 * alpha * 40**2)
    huge = np.array([1e10 + 3e5, 2e10])
    for alpha in (1e-8, 1e-10, 1e-14):
        value = bayes._nb_loglik(huge, np.array([[[1e10, 2e10 - 1e5]]]), np.array([[alpha]]))
        assert np.isfinite(value).all() and (value <= 0).all()


def test_a_placed_date_sums_the_evidence_of_each_date_as_a_fixed_one():
    """One change placed on the yearly grid: its log evidence is the log of the mean of the
    evidence of a permanent step fixed at each year's start, computed one by one (within the
    Monte Carlo error of both; the log of the largest or of the sum would be off by log 7)."""
    frame = _frame(COUNTS)
    placed = bayes.posterior(frame, outcome="count", time="year", policy=POLICY,
                             placed=((1, "step"),), resolution="year", draws=1024)
    one_by_one = []
    for start in placed.dates["start"]:
        fixed = bayes.posterior(frame, outcome="count", time="year",
                                policy={"one": f"{start:%Y-%m-%d}"}, placed=(), draws=1024)
        one_by_one.append(fixed.explanations.set_index("explanation").loc[
            "permanent steps at one", "log_evidence"])
    top = max(one_by_one)
    expected = top + math.log(np.mean(np.exp(np.asarray(one_by_one) - top)))
    row = placed.explanations.set_index("explanation").loc[
        "one permanent change where the data put it"]
    assert row["log_evidence"] == pytest.approx(expected, abs=3 * row["log_evidence_se"] + 0.01)
    weights = np.exp(np.asarray(one_by_one) - top)
    assert list(placed.dates["probability"]) == pytest.approx(list(weights / weights.sum()),
                                                              abs=0.01)


def test_an_integral_on_few_effective_draws_is_flagged(monkeypatch):
    monkeypatch.setattr(bayes, "ESS_WARN", 1e12)
    found = bayes.posterior(_frame(COUNTS), outcome="count", time="year", policy=POLICY,
                            placed=(), draws=512)
    assert len(found.warnings) == len(found.explanations)
    assert all("few effective draws" in w for w in found.warnings)
    assert "Warning:" in found.summary()


def test_other_priors_reweight_the_first_sets_draws_to_what_drawing_anew_gives():
    """Prior sensitivity reweights the default prior's draws: the probabilities agree with a
    posterior computed afresh under each other prior set, within Monte Carlo error."""
    frame = _frame(COUNTS)
    arguments = {"outcome": "count", "time": "year", "policy": POLICY, "placed": (),
                 "draws": 2048}
    results = bayes.sensitivity(frame, **arguments)
    for label in ("wider", "narrower"):
        fresh = bayes.posterior(frame, priors=bayes.PRIOR_SETS[label], **arguments)
        got = results[label].explanations.set_index("explanation")
        want = fresh.explanations.set_index("explanation")
        assert got["log_evidence"].to_numpy() == pytest.approx(
            want["log_evidence"].to_numpy(), abs=0.05)
        assert got["probability"].to_numpy() == pytest.approx(
            want["probability"].to_numpy(), abs=0.02)


def _notebook_default(name: str):
    """A parameter's default in notebook 02's parameters cell."""
    import json
    import re
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "notebooks" / "02-initiated.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells
                  if "parameters" in c.get("metadata", {}).get("tags", []))
    return int(re.search(rf"^{name}: int = (\d+)", source, re.M).group(1))


def _printed(text: str) -> tuple[float, float]:
    """A printed number and half its last digit's step."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text), 0.5 * 10.0 ** -decimals


def test_printed_bayesian_digits_agree_with_a_converged_run(dataset):
    """Item 4 of issue 32: on notebook 02's data, at its default draws, every printed effect
    quantity (the interval ends, the median and the tail probabilities of the steps) carries
    only the digits its Monte Carlo error supports, so it agrees with a run on 4 times as many
    points per scramble to within half its last printed digit (and that run's own error)."""
    from scrlib.reader import result_tables
    from scrlib.study.design import Specification

    spec = Specification()
    frame = spec.data(dataset)
    arguments = {"outcome": "count", "time": "fiscal_year", "policy": spec.dates(dataset),
                 "placed": (), "seed": 2012}
    draws = _notebook_default("bayes_draws")
    default = bayes.posterior(frame, draws=draws, **arguments)
    converged = bayes.posterior(frame, draws=4 * draws, **arguments)
    table = result_tables.bayes_effects(default)
    truth = converged.effects.set_index("effect")
    checked = 0
    for r in table.itertuples():
        want = truth.loc[r.Effect]
        low, high = r[table.columns.get_loc("95% credible interval") + 1].split(" to ")
        cells = [(low, "low"), (high, "high"),
                 (r[table.columns.get_loc("Rate ratio (posterior median)") + 1], "median"),
                 (r[table.columns.get_loc("Probability of a rise") + 1], "p_rise")]
        for text, key in cells:
            if text.startswith(("<", ">")):
                continue
            value, half = _printed(text)
            assert abs(want[key] - value) <= half + 3 * want[f"{key}_se"], (r.Effect, key,
                                                                             text, want[key])
            checked += 1
    assert checked >= 10
    # the interval at Ofsted's end: 0.98 to 4.02 printed at two decimals before, against a
    # converged 0.96 to 4.06: its error now says how many digits it carries
    ofsted = default.effects.set_index("effect").loc["step at Ofsted evaluation ends"]
    assert ofsted["low_se"] > 0 and ofsted["high_se"] > 0
