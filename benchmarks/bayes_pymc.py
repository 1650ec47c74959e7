"""The Bayesian cross-check against PyMC (issue 27, validation (i)).

On notebook 02's series (SCRs initiated, eight financial years, the policy dates of Full
publication and the end of Ofsted evaluation), the same model is built in PyMC from the same
design (the shares of each year under each pattern, from :mod:`scrlib.its.bayes`) and the same
priors, with the placement of a date the data put marginalised as in PyMC's change-point
examples (a log-sum-exp over the placements, each equally likely):

* NUTS samples each explanation's posterior; its effects (median, 95% credible interval,
  probability of a rise) and the posterior of the placed date are set against scrlib's;
* Sequential Monte Carlo estimates each explanation's marginal likelihood, so the posterior
  probabilities of the explanations are set against scrlib's; where an explanation has one
  placement and at most one effect, numerical integration on a grid gives the exact value too.

Agreement is judged against Monte Carlo error: the spread of SMC's estimates over independent
runs, and NUTS's effective sample size.

PyMC is an optional extra, not needed by the report or the tests (``pip install -e ".[bayes]"``;
``make bayes-check``). Run: ``python benchmarks/bayes_pymc.py`` (several minutes on 2 cores).
Writes ``benchmarks/results/bayes_pymc.json``.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scrlib.its import bayes  # noqa: E402
from scrlib.its._timing import time_axis  # noqa: E402
from scrlib.its.breaks import _base  # noqa: E402
from scrlib.record.load import load  # noqa: E402
from scrlib.study import design  # noqa: E402

SEED = 2012
SMC_RUNS = 4
SMC_DRAWS = 5000


def _design():
    spec = design.Specification()
    ds = load()
    frame, dates = spec.data(ds), spec.dates(ds)
    axis = time_axis(frame, "fiscal_year")
    starts, ends = axis.periods.start_time, axis.periods.end_time.normalize()
    X = _base(axis, True)
    models = bayes._explanations(dates, ((1, "step"), (2, "dip")), axis, starts, ends, len(frame),
                                 X.shape[1], "quarter", 1.0)
    for model in models:
        if model.kind in design.SUGGESTED_BY_DATA:
            model.basis = bayes.BASIS["suggested"]
    return frame, dates, X, models


def _pymc_model(y, X, model, priors, centre):
    """The explanation in PyMC: negative binomial counts, the same priors, the placements
    marginalised by a log-sum-exp (a Potential)."""
    import pymc as pm
    import pytensor.tensor as pt

    kb, q = X.shape[1], model.patterns.shape[1]
    with pm.Model() as m:
        level = pm.Normal("level", centre, priors.level_sd)
        trend = pm.Normal("trend", 0.0, priors.trend_sd, shape=kb - 1)
        effects = pm.Normal("effects", 0.0, priors.effect_sd, shape=q) if q else None
        spread = pm.HalfNormal("spread", priors.spread_scale)
        base = pt.exp(level + pt.dot(X[:, 1:], trend))  # (n,)
        factors = (pt.exp(pt.dot(model.patterns, effects)) if q
                   else pt.ones(model.patterns.shape[0]))  # (S,)
        mu = base[None, :] * pt.dot(model.shares, factors)  # (P, n)
        alpha = 1.0 / pt.maximum(spread**2, 1e-12)  # PyMC's alpha: variance mu + mu^2 / alpha
        loglik = pm.logp(pm.NegativeBinomial.dist(mu=mu, alpha=alpha), y[None, :]).sum(axis=1)
        pm.Deterministic("placement_loglik", loglik)
        pm.Potential("likelihood", pm.math.logsumexp(loglik) - math.log(len(model.shares)))
    return m


def _grid_log_evidence(y, X, model, priors, centre) -> float | None:
    """The log marginal likelihood by numerical integration on a tensor grid (level, trend, at
    most one effect, log spread): an exact reference for an explanation with one placement."""
    from scipy import special

    if len(model.shares) != 1 or model.patterns.shape[1] > 1 or X.shape[1] != 2:
        return None
    t, shares, q = X[:, 1], model.shares[0], model.patterns.shape[1]
    axes = [np.linspace(centre - 1.2, centre + 1.2, 41), np.linspace(-0.35, 0.35, 35),
            np.linspace(-3.0, 3.0, 81) if q else np.zeros(1), np.linspace(-10.0, 0.5, 41)]
    b0, b1, d, u = np.meshgrid(*axes, indexing="ij")
    factors = np.exp(d[..., None] * model.patterns[:, 0]) if q else np.ones(
        (*d.shape, model.patterns.shape[0]))
    mu = np.exp(b0[..., None] + b1[..., None] * t) * (factors @ shares.T)
    a = np.exp(2 * u)[..., None]
    ll = np.sum(special.gammaln(y + 1 / a) - special.gammaln(1 / a) - special.gammaln(y + 1)
                - np.log1p(a * mu) / a + special.xlogy(y, a * mu / (1 + a * mu)), axis=-1)

    def normal(x, m, sd):
        return -0.5 * ((x - m) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)

    lp = (normal(b0, centre, priors.level_sd) + normal(b1, 0, priors.trend_sd)
          + (normal(d, 0, priors.effect_sd) if q else 0.0) + math.log(2)
          + normal(np.exp(u), 0, priors.spread_scale) + u)
    total = ll + lp
    top = total.max()
    volume = np.prod([g[1] - g[0] for g in axes if len(g) > 1])
    return float(top + math.log(np.exp(total - top).sum() * volume))


def _logmeanexp(values) -> float:
    """The log of the mean of exp(values): SMC's marginal likelihood estimates are unbiased on
    their own scale, so independent runs are averaged there (their logarithm is biased low)."""
    values = np.asarray(values, dtype=float)
    return float(values.max() + np.log(np.mean(np.exp(values - values.max()))))


def _cdf_distance(nuts_ratios, scrlib_row) -> float:
    """The largest difference between NUTS's and scrlib's posterior distribution functions at
    scrlib's 2.5%, 50% and 97.5% quantiles (robust where a posterior has two modes)."""
    return float(max(abs(np.mean(nuts_ratios <= scrlib_row[k]) - p)
                     for k, p in (("low", 0.025), ("median", 0.5), ("high", 0.975))))


def _effects_from_nuts(idata, model) -> list[dict]:
    out = []
    if not model.effects:
        return out
    draws = idata.posterior["effects"].stack(s=("chain", "draw")).values  # (q, N)
    for j, name in enumerate(model.effects):
        r = np.exp(draws[j])
        out.append({"effect": name, "ratios": r, "median": float(np.median(r)),
                    "low": float(np.quantile(r, 0.025)), "high": float(np.quantile(r, 0.975)),
                    "p_rise": float(np.mean(r > 1))})
    return out


def main() -> int:
    import arviz as az
    import pymc as pm

    started = time.perf_counter()
    frame, dates, X, models = _design()
    y = frame["count"].to_numpy(dtype=float)
    priors = bayes.Priors()
    centre = math.log(float(np.mean(y)))
    ours = bayes.posterior(frame, outcome="count", time="fiscal_year", policy=dates,
                           draws=16384, seed=SEED, suggested=design.SUGGESTED_BY_DATA)
    rows = []
    for i, model in enumerate(models):
        m = _pymc_model(y, X, model, priors, centre)
        with m:
            idata = pm.sample(draws=2000, tune=2000, chains=2, cores=1, target_accept=0.95,
                              random_seed=SEED + i, progressbar=False)
            smc = [pm.sample_smc(draws=SMC_DRAWS, chains=1, cores=1,
                                 random_seed=SEED + 100 * r + i,
                                 progressbar=False) for r in range(SMC_RUNS)]
        log_ml = [float(np.asarray(s.sample_stats["log_marginal_likelihood"].values[0][-1]))
                  if np.ndim(s.sample_stats["log_marginal_likelihood"].values[0]) else
                  float(s.sample_stats["log_marginal_likelihood"].values[0])
                  for s in smc]
        grid = _grid_log_evidence(y, X, model, priors, centre)
        row = {"explanation": model.name, "placements": len(model.shares),
               "grid_log_marginal_likelihood": None if grid is None else round(grid, 4),
               "smc_log_marginal_likelihood": [round(v, 4) for v in log_ml],
               "nuts_min_ess": float(az.ess(idata).to_array().min()),
               "nuts_max_rhat": float(az.rhat(idata).to_array().max()),
               "nuts_divergences": int(idata.sample_stats["diverging"].sum()),
               "nuts_effects": _effects_from_nuts(idata, model)}
        if len(model.shares) > 1:
            ll = idata.posterior["placement_loglik"].stack(s=("chain", "draw")).values  # (P, N)
            w = np.exp(ll - ll.max(axis=0))
            p = (w / w.sum(axis=0)).mean(axis=1)
            ours_dates = ours.dates[ours.dates["explanation"] == model.name]["probability"]
            row["date_posterior_max_abs_difference"] = round(
                float(np.max(np.abs(p - ours_dates.to_numpy()))), 4)
        rows.append(row)
    # posterior probabilities of the explanations from SMC's evidence (mean over runs)
    log_ml = np.array([_logmeanexp(r["smc_log_marginal_likelihood"]) for r in rows])
    p_smc = np.exp(log_ml - log_ml.max())
    p_smc /= p_smc.sum()
    runs = np.array([r["smc_log_marginal_likelihood"] for r in rows])  # (E, runs)
    per_run = np.exp(runs - runs.max(axis=0))
    per_run /= per_run.sum(axis=0)
    table = ours.explanations.set_index("explanation")
    agree = True
    for r, p, spread in zip(rows, p_smc, per_run.std(axis=1, ddof=1), strict=True):
        mine = table.loc[r["explanation"]]
        r["scrlib_log_evidence"] = round(float(mine["log_evidence"]), 4)
        if r["grid_log_marginal_likelihood"] is not None:
            r["scrlib_within_0.02_of_grid"] = bool(
                abs(r["grid_log_marginal_likelihood"] - mine["log_evidence"]) < 0.02)
            agree &= r["scrlib_within_0.02_of_grid"]
        r["scrlib_probability"] = round(float(mine["probability"]), 4)
        r["smc_probability"] = round(float(p), 4)
        r["smc_probability_sd_over_runs"] = round(float(spread), 4)
        se = float(spread) / math.sqrt(SMC_RUNS)
        r["probability_within_3_se_or_0.02"] = bool(abs(p - mine["probability"])
                                                    <= max(3 * se, 0.02))
        agree &= r["probability_within_3_se_or_0.02"]
        effects = ours.effects[ours.effects["explanation"] == r["explanation"]]
        for e in r["nuts_effects"]:
            m = effects[effects["effect"] == e["effect"]].iloc[0]
            e["scrlib_median"] = round(float(m["median"]), 4)
            e["scrlib_low"], e["scrlib_high"] = round(float(m["low"]), 4), round(float(m["high"]),
                                                                                4)
            e["scrlib_p_rise"] = round(float(m["p_rise"]), 4)
            e["median_relative_difference"] = round(abs(e["median"] / m["median"] - 1), 4)
            e["cdf_distance"] = round(_cdf_distance(e.pop("ratios"), m), 4)
            # NUTS's Monte Carlo error of a probability near 0.5, at its effective sample size
            e["cdf_tolerance"] = round(3 * math.sqrt(0.25 / r["nuts_min_ess"]) + 0.005, 4)
            agree &= e["cdf_distance"] <= e["cdf_tolerance"]
            for k in ("median", "low", "high", "p_rise"):
                e[k] = round(e[k], 4)
    out = {"series": "SCRs initiated, notebook 02", "priors": priors.words(),
           "pymc": pm.__version__, "scrlib_draws": 16384, "smc_runs": SMC_RUNS,
           "smc_draws": SMC_DRAWS,
           "explanations": rows, "agree": bool(agree),
           "seconds": round(time.perf_counter() - started, 1)}
    path = PROJECT / "benchmarks" / "results" / "bayes_pymc.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
