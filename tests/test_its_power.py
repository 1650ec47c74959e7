"""Minimum detectable effects (scrlib.its.power): the power at the answer is the target, checked
by simulation with the engine's own test and against closed forms written out here in numpy.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scrlib import its
from scrlib.its.power import mde_sentence, minimum_detectable_effect

FY = "Y-MAR"


def assume_dispersion(result: its.ItsResult, dispersion: float) -> its.ItsResult:
    """A copy of ``result`` whose dispersion is taken as known (the truth of a simulation)."""
    copy = dataclasses.replace(result)
    copy.dispersion = dispersion  # a cached property: the copy's value is set, not computed
    return copy


def irls(X, y):
    """Poisson MLE by plain IRLS; returns beta."""
    beta = np.linalg.lstsq(X, np.log(y + 0.5), rcond=None)[0]
    for _ in range(100):
        mu = np.exp(X @ beta)
        new = np.linalg.solve(X.T @ (mu[:, None] * X), X.T @ (mu * (X @ beta) + y - mu))
        if np.max(np.abs(new - beta)) < 1e-13:
            return new
        beta = new
    return beta


# -- (a) simulation: at the MDE the engine's own test rejects with the target probability -----
def test_simulated_power_at_the_mde_is_the_target():
    rng = np.random.default_rng(20240611)
    n, start, reps, target = 10, 5, 300, 0.8
    t = np.arange(n)
    kw = {"outcome": "y", "time": "t", "interventions": {"policy": start},
          "family": "quasipoisson", "interval": "wald"}
    mu = np.exp(np.log(40) + 0.03 * t)
    base = its.fit(pd.DataFrame({"t": t, "y": 2 * rng.poisson(mu / 2)}), **kw)
    # the truth of the simulation: the fit's no-policy means and variance = 2 x mean
    truth = assume_dispersion(base, 2.0)
    row = minimum_detectable_effect(truth, power=target).iloc[0]
    assert row["df"] == n - 3
    ratio = row["mde_increase"]
    assert 1 < ratio < 10
    means = truth.counterfactual()["mean"].to_numpy() * ratio ** (t >= start)
    rejected = 0
    for _ in range(reps):
        y = 2 * rng.poisson(means / 2)  # variance = 2 x mean
        p = its.fit(pd.DataFrame({"t": t, "y": y}), **kw).effects["p_value"].iloc[0]
        rejected += p < 0.05
    sd = math.sqrt(target * (1 - target) / reps)
    assert abs(rejected / reps - target) < 3.5 * sd, (rejected, reps, ratio)


# -- (b) more points or less noise: smaller detectable effects --------------------------------
def noisy(n: int, wobble: int) -> pd.DataFrame:
    """Counts of 50 a year, alternately +wobble and -wobble: the noise is the same pattern
    whatever the length."""
    y = 50 + wobble * np.where(np.arange(n) % 2 == 0, 1, -1)
    return pd.DataFrame({"year": pd.period_range("2004", periods=n, freq=FY), "n": y})


def mde(data: pd.DataFrame, family: str) -> pd.Series:
    n = len(data)
    result = its.fit(data, outcome="n", time="year", family=family,
                     interventions={"policy": data["year"].iloc[n // 2]})
    return minimum_detectable_effect(result).iloc[0]


@pytest.mark.parametrize("family", ["poisson", "quasipoisson", "negativebinomial", "gaussian"])
def test_mde_shrinks_when_the_series_is_longer(family):
    short, long = mde(noisy(8, 9), family), mde(noisy(16, 9), family)
    assert long["mde_increase"] < short["mde_increase"]
    assert long["mde_decrease"] > short["mde_decrease"]
    assert long["se_at_null"] < short["se_at_null"]


@pytest.mark.parametrize("family", ["quasipoisson", "negativebinomial", "gaussian"])
def test_mde_shrinks_when_the_noise_is_smaller(family):
    calm, wild = mde(noisy(10, 2), family), mde(noisy(10, 12), family)
    assert calm["mde_increase"] < wild["mde_increase"]
    assert calm["mde_decrease"] > wild["mde_decrease"]


def test_mde_shrinks_with_the_assumed_dispersion_alone():
    result = its.fit(noisy(10, 9), outcome="n", time="year", family="quasipoisson",
                     interventions={"policy": "2009-04-01"})
    rows = [minimum_detectable_effect(assume_dispersion(result, d)).iloc[0]
            for d in (0.5, 1.0, 2.0, 4.0)]
    assert np.all(np.diff([r["mde_increase"] for r in rows]) > 0)
    assert np.all(np.diff([r["mde_decrease"] for r in rows]) < 0)
    # the standard error scales with the square root of the dispersion
    assert rows[3]["se_at_null"] == pytest.approx(2 * rows[1]["se_at_null"], rel=1e-10)


# -- (c) bad arguments -----------------------------------------------------------------------
@pytest.mark.parametrize("argument", ["power", "level"])
@pytest.mark.parametrize("value", [0, 1, 1.0, -0.2, 1.5, float("nan"), "0.8", None, True])
def test_power_and_level_outside_zero_one_are_refused(argument, value):
    result = _small_fit()
    with pytest.raises(ValueError, match=f"^{argument} must be"):
        minimum_detectable_effect(result, **{argument: value})


def _small_fit() -> its.ItsResult:
    data = noisy(8, 3)
    return its.fit(data, outcome="n", time="year", family="poisson",
                   interventions={"policy": data["year"].iloc[4]})


# -- (d) Poisson: z test, closed form --------------------------------------------------------
def test_poisson_mde_solves_the_closed_form_z_power():
    rng = np.random.default_rng(7)
    n, start = 10, 4
    t = np.arange(n)
    y = rng.poisson(30 * np.exp(0.05 * t))
    data = pd.DataFrame({"t": t, "y": y})
    result = its.fit(data, outcome="y", time="t", interventions={"policy": start},
                     family="poisson", effects=("step", "slope"), interval="wald")
    level, target = 0.05, 0.9
    # the design and the fitted means, written out here: the effect under test moved, the
    # other held at its estimate (default) or set to 0 (others="absent", no-policy means)
    X = np.column_stack([np.ones(n), t, (t >= start) * 1.0, np.maximum(t - start, 0) * 1.0])
    beta = irls(X, y.astype(float))
    z = stats.norm.ppf(1 - level / 2)
    for others in ("estimated", "absent"):
        table = minimum_detectable_effect(result, power=target, level=level, others=others)
        held = beta.copy()
        if others == "absent":
            held[2:] = 0.0
        _check_closed_form(table, X, held, z, target, level)


def _check_closed_form(table, X, held, z, target, level):
    def se(delta, j):
        theta = held.copy()
        theta[j] = delta
        mu = np.exp(X @ theta)
        return math.sqrt(np.linalg.inv(X.T @ (mu[:, None] * X))[j, j])

    def power(delta, j):
        s = se(delta, j)
        return stats.norm.cdf(delta / s - z) + stats.norm.cdf(-delta / s - z)

    assert list(table["effect"]) == ["step", "slope"]
    for j, row in zip((2, 3), table.itertuples(index=False), strict=True):
        assert row.df == math.inf
        assert row.power == target and row.level == level
        assert row.note == ""
        assert row.se_at_null == pytest.approx(se(0.0, j), rel=1e-8)
        up, down = math.log(row.mde_increase), math.log(row.mde_decrease)
        assert up > 0 > down
        assert power(up, j) == pytest.approx(target, abs=1e-8)
        assert power(down, j) == pytest.approx(target, abs=1e-8)
        # the smallest such effect: a little less is not detected that often
        assert power(0.99 * up, j) < target and power(0.99 * down, j) < target
    assert list(table["measure"]) == ["rate ratio", "rate ratio per time unit"]


def test_gaussian_mde_is_a_difference_from_the_noncentral_t():
    rng = np.random.default_rng(3)
    n, start = 9, 5
    t = np.arange(n)
    data = pd.DataFrame({"t": t, "y": 20 + 0.5 * t + rng.normal(0, 2, n)})
    result = its.fit(data, outcome="y", time="t", interventions={"policy": start},
                     family="gaussian")
    row = minimum_detectable_effect(result).iloc[0]
    X = np.column_stack([np.ones(n), t, (t >= start) * 1.0])
    ssr = np.linalg.lstsq(X, data["y"].to_numpy(), rcond=None)[1]
    df = n - 3
    se = math.sqrt(ssr[0] / df * np.linalg.inv(X.T @ X)[2, 2])
    crit = stats.t.ppf(0.975, df)
    assert row["df"] == df
    assert row["se_at_null"] == pytest.approx(se, rel=1e-8)
    assert row["mde_decrease"] == pytest.approx(-row["mde_increase"], rel=1e-8)
    nc = row["mde_increase"] / se
    assert stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc) == pytest.approx(0.8,
                                                                                      abs=1e-8)


def test_a_fall_that_cannot_be_detected_is_nan_with_a_reason():
    # about one count a year: even a fall to nothing cannot be told from chance 80% of the time
    data = pd.DataFrame({"year": pd.period_range("2006", periods=8, freq=FY),
                         "n": [1, 0, 2, 1, 1, 0, 2, 1]})
    result = its.fit(data, outcome="n", time="year", family="poisson", interval="wald",
                     interventions={"policy": "2010-04-01"})
    row = minimum_detectable_effect(result).iloc[0]
    assert np.isnan(row["mde_decrease"])
    assert row["mde_increase"] > 1
    assert "no fall" in row["note"]
    sentence = mde_sentence(row)
    assert "no fall however large" in sentence


# -- plain words ------------------------------------------------------------------------------
def test_sentence_takes_every_number_from_the_row():
    row = {"intervention": "full publication", "effect": "step", "mde_increase": 2.87,
           "mde_decrease": 0.351, "measure": "rate ratio", "power": 0.8, "level": 0.05,
           "n_points": 8, "unit": "financial year (April-March)", "note": "", "df": 5.0,
           "se_at_null": 0.3}
    text = mde_sentence(row)
    assert text.startswith("With 8 yearly points and this much year-to-year noise")
    for part in ("80% of the time", "5% level", "at least 2.9 times", "at most 0.35 times",
                 "full publication", "go unseen"):
        assert part in text
    other = mde_sentence({**row, "n_points": 12, "mde_increase": 1.04, "power": 0.9,
                          "level": 0.01, "unit": "month"})
    for part in ("12 monthly points", "month-to-month", "90% of the time", "1% level",
                 "at least 1.04 times"):
        assert part in other
    assert text.endswith(".") and len(re.split(r"[.;]\s", text)) <= 2  # one or two sentences


def test_sentence_for_a_difference_and_from_a_table_row():
    data = pd.DataFrame({"t": np.arange(9), "y": [20, 23, 19, 24, 22, 30, 27, 31, 29]})
    result = its.fit(data, outcome="y", time="t", interventions={"policy": 5},
                     family="gaussian")
    table = minimum_detectable_effect(result)
    row = next(table.itertuples(index=False))
    text = mde_sentence(row)
    assert text == mde_sentence(table.iloc[0])
    assert "With 9 points" in text
    size = round(row.mde_increase, max(0, 1 - math.floor(math.log10(row.mde_increase))))
    assert f"of at least {size:g}" in text
    assert "times" not in text


# -- under the fitted model, checked by simulation (issue 24) ------------------------------------
@pytest.fixture(scope="module")
def initiated(dataset):
    from scrlib.study.design import Specification

    spec = Specification()  # notebook 02's design: steps at Full publication and Ofsted's end
    return spec, spec.fit(dataset)


def test_the_mde_holds_the_other_effects_at_their_estimates(initiated):
    """With Full publication's fall (0.34 times) kept in the means, as in the data, a rise at
    Ofsted's end must be larger to be detected than with no earlier fall."""
    _, result = initiated
    held = minimum_detectable_effect(result).set_index("intervention")
    absent = minimum_detectable_effect(result, others="absent").set_index("intervention")
    assert (held["others"] == "estimated").all() and (absent["others"] == "absent").all()
    later = "Ofsted evaluation ends"
    assert held.loc[later, "mde_increase"] > absent.loc[later, "mde_increase"] * 1.3
    assert held.loc[later, "mde_decrease"] < absent.loc[later, "mde_decrease"]
    assert "held at their estimates" in mde_sentence(held.reset_index().iloc[1])
    with pytest.raises(ValueError, match="others must be one of estimated, absent"):
        minimum_detectable_effect(result, others="zero")
    with pytest.raises(ValueError, match=r"replicates must be 0 .* or a whole number from 100"):
        minimum_detectable_effect(result, replicates=50)


@pytest.fixture(scope="module")
def solved(initiated):
    """Notebook 02's smallest detectable changes, solved with 400 simulated series."""
    return minimum_detectable_effect(initiated[1], replicates=400, seed=11)


def test_at_the_simulated_mde_an_independent_simulation_has_the_stated_power(initiated,
                                                                              solved):
    """Small version of benchmarks/sim_power.py: solved with 400 series, checked with 1,000
    others (another seed) against 0.80 within Monte Carlo error (4 standard errors of both)."""
    from scrlib.its.power import simulated_power

    _, result = initiated
    table = solved
    later = table[table["intervention"] == "Ofsted evaluation ends"].iloc[0]
    assert later["method"] == "simulation of 400 series (seed 11)"
    for value in (later["mde_increase"], later["mde_decrease"]):
        share, se = simulated_power(result, "Ofsted evaluation ends", "step", value,
                                    replicates=1000, seed=12)
        assert abs(share - 0.8) < 4 * math.hypot(se, later["power_se"]), (value, share)
    # the reported estimate (2.44 times) is below what the design detects 80% of the time,
    # as its p of about 0.05 says
    estimate = result.effect("Ofsted evaluation ends")["rate_ratio"]
    assert estimate < later["mde_increase"]
    share, _ = simulated_power(result, "Ofsted evaluation ends", "step", estimate,
                               replicates=1000, seed=13)
    assert 0.3 < share < 0.7


def test_refits_the_data_do_not_identify_are_left_out_of_the_rejection_rate(initiated, solved):
    """Item 5 of issue 32: a simulated series whose refit is not identified gives no test; it is
    reported apart and left out of the rejection rate, not counted as a miss. At the smallest
    fall found at Ofsted's end some refits are not identified, and the rate among the others
    (counted here from the refits' own p-values) is the one reported."""
    import numpy as np

    from scrlib.its.power import _Design, _Draws, pvalues_on, simulated_power

    _, result = initiated
    table = solved
    later = table[table["intervention"] == "Ofsted evaluation ends"].iloc[0]
    fall = later["mde_decrease"]
    j = result.names.index("Ofsted evaluation ends:step")
    draws = _Draws(result, _Design(result), j, 400, 11)
    p = pvalues_on(result, "Ofsted evaluation ends:step", draws.counts(math.log(fall)))
    missing = ~np.isfinite(p)
    assert missing.any()  # the case of the issue: some refits are not identified
    assert later["not_identified_down"] == pytest.approx(missing.mean())
    assert later["simulated_power_down"] == pytest.approx(np.mean(p[~missing] < 0.05))
    assert later["simulated_power_down"] >= 0.8 > np.mean(np.nan_to_num(p, nan=1.0) < 0.05)
    # an independent draw at the value found has the stated power among identified refits
    found = simulated_power(result, "Ofsted evaluation ends", "step", fall, replicates=1000,
                            seed=12, details=True)
    assert found["not_identified"] > 0 and found["identified"] < 1000
    assert abs(found["power"] - 0.8) < 4 * math.hypot(found["se"], later["power_se"])
    # said in words beside the table
    from scrlib.reader import result_tables, sentences

    assert "left out of the rate, not counted as misses" in result_tables.detectable(
        table).to_string()
    assert "left out of the 80% rather than counted as misses" in (
        sentences.detectable_sentences(table))
