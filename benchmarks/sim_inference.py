"""Simulation study: do the reported intervals cover on series like the cited one?

Run: ``python benchmarks/sim_inference.py [--series N]`` (default 2000). Writes
``benchmarks/results/sim_inference.json`` and prints a table; the tests run a small version
(tests/test_its_inference.py), this is the long one whose recorded result README.md quotes.

The truth is the quasi-Poisson model of notebook 02 fitted to the cited data: the eight financial
years of SCRs initiated (2011-12 missing), level and trend, a step at full publication (June
2010) and at the end of Ofsted evaluation (July 2012), each year containing a date the sum of its
parts. Series are simulated at those means with variance phi * mean (negative binomial draws,
phi the fitted Pearson dispersion), refitted with the same model, and the share of 95% intervals
holding the true rate ratio is counted for each interval method: profile likelihood (with the
F(1, df) cutoff), Wald with t on the residual df (as R's summary.glm), Wald with normal
quantiles. Fits that fail are counted and left out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scrlib import its  # noqa: E402
from scrlib.its.breaks import _simulate  # noqa: E402
from scrlib.record.load import load  # noqa: E402
from scrlib.study import design  # noqa: E402

RESULTS = PROJECT / "benchmarks" / "results" / "sim_inference.json"
METHODS = ("profile", "wald", "wald-normal")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20242)
    args = parser.parse_args()
    dataset = load()
    spec = design.Specification()
    frame = spec.data(dataset)
    truth = spec.fit(dataset, data=frame)
    mu = truth.predict()["mean"].to_numpy()
    phi = max(truth.dispersion, 1.0)
    true_ratios = truth.effects.set_index("intervention")["rate_ratio"]
    rng = np.random.default_rng(args.seed)
    hits = {(m, name): 0 for m in METHODS for name in true_ratios.index}
    widths = {m: [] for m in METHODS}
    fitted = failed = 0
    started = time.perf_counter()
    for _ in range(args.series):
        y = _simulate(rng, mu, phi, 1)[0]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = spec.fit(dataset, data=frame.assign(count=y))
                tables = {m: result.with_interval(m).effects.set_index("intervention")
                          for m in METHODS}
        except (ValueError, its.ConvergenceError):
            failed += 1
            continue
        fitted += 1
        for m, table in tables.items():
            for name, value in true_ratios.items():
                row = table.loc[name]
                hits[(m, name)] += bool(row["ci_low"] <= value <= row["ci_high"])
                with np.errstate(divide="ignore"):  # an open interval has infinite width
                    widths[m].append(np.log(row["ci_high"] / row["ci_low"]))
    coverage = {f"{m} | {name}": hits[(m, name)] / fitted for (m, name) in hits}
    out = {"series": args.series, "fitted": fitted, "failed": failed, "seed": args.seed,
           "dispersion_simulated": phi, "residual_df": truth.df_resid,
           "true_rate_ratios": {k: float(v) for k, v in true_ratios.items()},
           "coverage_of_95pct_intervals": coverage,
           "coverage_se": float(np.sqrt(0.95 * 0.05 / max(fitted, 1))),
           "median_log_width": {m: float(np.median(w)) for m, w in widths.items()},
           "seconds": round(time.perf_counter() - started, 1)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    for key, value in coverage.items():
        print(f"{key:<45} coverage {value:.3f}")
    print(f"{fitted} fitted, {failed} failed; se {out['coverage_se']:.3f}; {out['seconds']} s")
    print(f"wrote {RESULTS.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
