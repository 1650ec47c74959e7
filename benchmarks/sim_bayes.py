"""Simulation-based calibration of the Bayesian cross-check (issue 27, validation (ii)).

Series are drawn from the model's own priors on notebook 02's design (8 financial years, the
policy dates of Full publication and the end of Ofsted evaluation) and the posterior computed as
the report computes it. If the computation is right:

* the posterior rank of the true step (the posterior probability that the step is below the
  value drawn) is uniform on (0, 1), for a lasting step at a fixed date;
* the posterior probability of each explanation is calibrated: across series drawn with every
  explanation equally likely (a placed date drawn uniformly from the scan's grid), an
  explanation given probability p is the true one a share p of the time, and each
  explanation's probabilities average 1 / (number of explanations).

Run: ``python benchmarks/sim_bayes.py`` (a few minutes on 2 cores; ``make simulate`` runs it with
the others). Writes ``benchmarks/results/sim_bayes.json``. The tests run a small version.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scrlib.its import bayes  # noqa: E402
from scrlib.its._timing import time_axis  # noqa: E402

YEARS = pd.period_range("2008", periods=8, freq="Y-MAR")
POLICY = {"Full publication": "2010-06-10", "Ofsted evaluation ends": "2012-07-01"}
PRIORS = bayes.Priors(level_sd=0.3, level_mean=math.log(100), label="simulation")
RANKS = 2000
EXPLAINED = 1200
DRAWS = 1024


def _frame(y) -> pd.DataFrame:
    return pd.DataFrame({"year": YEARS, "count": np.asarray(y, dtype=float)})


def _draw(rng, X, shares, patterns):
    """One series from the priors, given one placement's shares and the effects' patterns."""
    theta = np.concatenate([[rng.normal(PRIORS.level_mean, PRIORS.level_sd)],
                            rng.normal(0, PRIORS.trend_sd, X.shape[1] - 1),
                            rng.normal(0, PRIORS.effect_sd, patterns.shape[1])])
    spread = abs(rng.normal(0, PRIORS.spread_scale))
    mu = (np.exp(X @ theta[: X.shape[1]])
          * (shares @ np.exp(patterns @ theta[X.shape[1]:])))
    size = 1 / max(spread**2, 1e-8)
    return rng.negative_binomial(size, size / (size + mu)).astype(float), theta


def ranks_of_the_step(rng) -> dict:
    """Posterior ranks of the true step at Full publication (a lasting step at a fixed date)."""
    policy = {"one": POLICY["Full publication"]}
    models = _models(policy, placed=())
    step = models[1]
    ranks = []
    for _ in range(RANKS):
        y, theta = _draw(rng, _X(), step.shares[0], step.patterns)
        found = bayes.posterior(_frame(y), outcome="count", time="year", policy=policy,
                                placed=(), draws=DRAWS, priors=PRIORS,
                                seed=int(rng.integers(1_000_000)))
        ranks.append(found.probability(step.name, step.effects[0],
                                       below=math.exp(theta[-1])))
    counts = np.histogram(ranks, bins=10, range=(0, 1))[0]
    return {"series": RANKS, "ks_pvalue": round(float(stats.kstest(ranks, "uniform").pvalue), 4),
            "chi2_pvalue_10_bins": round(float(stats.chisquare(counts).pvalue), 4),
            "counts_by_tenth": counts.tolist()}


def calibration_of_explanations(rng) -> dict:
    """Posterior probabilities of the explanations against how often each was the true one."""
    models = _models(POLICY, placed=((1, "step"), (2, "dip")))
    names = [m.name for m in models]
    probabilities, truth = [], []
    for _ in range(EXPLAINED):
        which = int(rng.integers(len(models)))
        model = models[which]
        shares = model.shares[int(rng.integers(len(model.shares)))]
        y, _ = _draw(rng, _X(), shares, model.patterns)
        found = bayes.posterior(_frame(y), outcome="count", time="year", policy=POLICY,
                                draws=DRAWS, priors=PRIORS, seed=int(rng.integers(1_000_000)))
        p = found.explanations.set_index("explanation")["probability"]
        probabilities.append([float(p[n]) for n in names])
        truth.append(which)
    P = np.asarray(probabilities)
    hit = np.zeros_like(P)
    hit[np.arange(len(truth)), truth] = 1.0
    bins = np.linspace(0, 1, 6)
    reliability = []
    for lo, hi in itertools.pairwise(bins):
        inside = (P >= lo) & (P < hi if hi < 1 else P <= hi)
        if inside.sum():
            share, mean = float(hit[inside].mean()), float(P[inside].mean())
            se = math.sqrt(max(mean * (1 - mean), 1e-12) / inside.sum())
            reliability.append({"probability_from": round(float(lo), 1), "to": round(float(hi), 1),
                                "count": int(inside.sum()), "mean_probability": round(mean, 4),
                                "share_true": round(share, 4), "se": round(se, 4)})
    average = P.mean(axis=0)
    return {"series": EXPLAINED, "explanations": names,
            "mean_probability": [round(float(v), 4) for v in average],
            "share_true": [round(float(v), 4) for v in hit.mean(axis=0)],
            "expected": round(1 / len(names), 4),
            "brier": round(float(np.mean(np.sum((P - hit) ** 2, axis=1))), 4),
            "reliability": reliability,
            "calibrated_within_3_se": all(
                abs(r["share_true"] - r["mean_probability"]) < 3 * r["se"] + 0.01
                for r in reliability)}


def _X():
    t = np.arange(len(YEARS), dtype=float)
    return np.column_stack([np.ones(len(t)), t])


def _models(policy, placed):
    axis = time_axis(_frame(np.ones(len(YEARS))), "year")
    starts, ends = axis.periods.start_time, axis.periods.end_time.normalize()
    return bayes._explanations(policy, placed, axis, starts, ends, len(YEARS), 2, "quarter",
                               1.0)


def main() -> int:
    started = time.perf_counter()
    rng = np.random.default_rng(2012)
    ranks = ranks_of_the_step(rng)
    explained = calibration_of_explanations(rng)
    out = {"design": "8 financial years from 2007-08; policy dates of notebook 02",
           "priors": PRIORS.words(), "draws_per_integral": DRAWS,
           "ranks_of_the_step": ranks, "explanations": explained,
           "uniform_ranks": ranks["ks_pvalue"] > 0.01 and ranks["chi2_pvalue_10_bins"] > 0.01,
           "seconds": round(time.perf_counter() - started, 1)}
    path = PROJECT / "benchmarks" / "results" / "sim_bayes.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0 if out["uniform_ranks"] and explained["calibrated_within_3_se"] else 1


if __name__ == "__main__":
    sys.exit(main())
