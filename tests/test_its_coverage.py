"""Coverage of the 95% intervals on simulated series with known parameters, per family.

Each test simulates REPS series from a seeded numpy Generator, fits them with scrlib.its.fit and
counts how often the interval contains the true value. With exact 95% intervals the count is
Binomial(REPS, 0.95); the test allows 3.5 binomial standard deviations (about +/- 0.044 at 300
replications) plus 0.01 for the known finite-sample shortfall of Wald intervals (with 2,000
replications these designs gave 0.940 for the Poisson step, 0.944 for its slope, 0.938 for
quasi-Poisson), so a correct method passes and one badly too narrow or too wide fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scrlib import its

REPS = 300
N, START = 48, 25  # 48 monthly points, policy from the 25th
T = np.arange(1, N + 1)
POST = (T >= START).astype(float)
SINCE = np.maximum(T - START, 0).astype(float)
LOG_STEP, LOG_SLOPE, TREND = np.log(0.8), 0.01, 0.005
TOLERANCE = 3.5 * np.sqrt(0.95 * 0.05 / REPS) + 0.01


def log_mean(base: float, slope: bool = False) -> np.ndarray:
    return base + TREND * (T - 1) + LOG_STEP * POST + (LOG_SLOPE * SINCE if slope else 0)


def coverage(simulate, truth: dict[str, float], reps: int = REPS,
             **fit_kwargs) -> dict[str, float]:
    rng = np.random.default_rng(20240601)
    hits = dict.fromkeys(truth, 0)
    for _ in range(reps):
        frame = pd.DataFrame({"t": T, **simulate(rng)})
        result = its.fit(frame, time="t", interventions={"policy": START}, **fit_kwargs)
        table = result.effects.set_index("effect")
        for effect, value in truth.items():
            hits[effect] += table.loc[effect, "ci_low"] <= value <= table.loc[effect, "ci_high"]
    return {effect: count / reps for effect, count in hits.items()}


def assert_near_95(rates: dict[str, float], reps: int = REPS) -> None:
    tolerance = 3.5 * np.sqrt(0.95 * 0.05 / reps) + 0.01
    for effect, rate in rates.items():
        assert abs(rate - 0.95) <= tolerance, f"{effect}: coverage {rate:.3f}"


@pytest.mark.slow
def test_poisson_step_and_slope():
    mu = np.exp(log_mean(np.log(40), slope=True))
    rates = coverage(lambda rng: {"y": rng.poisson(mu)},
                     {"step": np.exp(LOG_STEP), "slope": np.exp(LOG_SLOPE)},
                     outcome="y", family="poisson", effects=("step", "slope"))
    assert_near_95(rates)


@pytest.mark.slow
def test_quasipoisson_with_variance_twice_the_mean():
    mu = np.exp(log_mean(np.log(60)))
    # 2 * Poisson(mu / 2): mean mu, variance 2 mu, exactly the quasi-Poisson assumption.
    rates = coverage(lambda rng: {"y": 2 * rng.poisson(mu / 2)}, {"step": np.exp(LOG_STEP)},
                     outcome="y", family="quasipoisson")
    assert_near_95(rates)


def test_poisson_intervals_are_too_narrow_for_overdispersed_data():
    """The reason quasi-Poisson exists: the same data make Poisson under-cover, and warn."""
    mu = np.exp(log_mean(np.log(60)))
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"t": T, "y": 3 * rng.poisson(mu / 3)})
    result = its.fit(frame, outcome="y", time="t", interventions={"policy": START})
    assert any("Pearson chi2/df" in w for w in result.warnings)
    rates = coverage(lambda rng: {"y": 3 * rng.poisson(mu / 3)}, {"step": np.exp(LOG_STEP)},
                     outcome="y", family="poisson")
    assert rates["step"] < 0.95 - TOLERANCE


@pytest.mark.slow
def test_negative_binomial_with_exposure():
    """Fewer series (each NB fit estimates alpha at every profile step), a wider tolerance."""
    alpha = 0.04
    exposure = np.linspace(9000, 11000, N)
    mu = np.exp(log_mean(np.log(40 / 10000))) * exposure

    def simulate(rng):
        return {"y": rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)), "pop": exposure}

    rates = coverage(simulate, {"step": np.exp(LOG_STEP)}, reps=200, outcome="y", offset="pop",
                     family="negativebinomial")
    assert_near_95(rates, reps=200)


@pytest.mark.slow
def test_binomial_odds_ratio():
    trials = np.full(N, 120)
    logit = -1.0 + TREND * (T - 1) + LOG_STEP * POST
    p = 1 / (1 + np.exp(-logit))
    rates = coverage(lambda rng: {"y": rng.binomial(trials, p), "n": trials},
                     {"step": np.exp(LOG_STEP)}, outcome="y", trials="n", family="binomial")
    assert_near_95(rates)


@pytest.mark.parametrize("n_points", [12, 48])
def test_gaussian_difference_with_t_intervals(n_points):
    t = np.arange(1, n_points + 1)
    start = n_points // 2 + 1
    mean = 100 + 0.5 * (t - 1) - 8 * (t >= start)

    def run(rng):
        frame = pd.DataFrame({"t": t, "y": mean + rng.normal(0, 5, n_points)})
        row = its.fit(frame, outcome="y", time="t", interventions={"p": start},
                      family="gaussian").effects.iloc[0]
        return row["ci_low"] <= -8 <= row["ci_high"]

    rng = np.random.default_rng(11)
    rate = np.mean([run(rng) for _ in range(REPS)])
    assert abs(rate - 0.95) <= TOLERANCE
