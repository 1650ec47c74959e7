"""Benchmark scrlib.its.fit: one fit on a 60-point monthly series, and a sweep of many fits.

Run: ``python benchmarks/bench_its.py`` (or ``make bench``). Targets on a 2-core machine:
one fit (quasi-Poisson, step, two harmonic pairs, offset; Sicily data of Lopez Bernal et al.
2017, tests/data/sicily.csv) under 20 ms median; the sweep under 10 s per 1,000 fits. The
sweep fits every combination of intervention date (the first of each month from April 2008 to
March 2016), family (5) and effect set (step; slope; step + slope) on an annual series of nine
financial years: 96 x 5 x 3 = 1,440 fits, timed whole and reported per 1,000. Fits that end in
an error (a design the data cannot identify, a model that does not converge) count as fits.
Prints the times and PASS/FAIL; exits 1 if a target is missed.
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scrlib import its  # noqa: E402

ONE_FIT_MS = 20.0
SWEEP_S_PER_1000 = 10.0

# ILLUSTRATIVE ONLY: a synthetic annual series shaped like counts of Serious Case Reviews per
# financial year (2007-08 .. 2015-16) with a synthetic denominator for the binomial family.
# These are not real figures and must not be quoted.
ILLUSTRATIVE = pd.DataFrame({
    "year": pd.period_range("2008", periods=9, freq="Y-MAR"),
    "count": [96, 102, 99, 108, 117, 111, 129, 138, 133],
    "trials": [150, 155, 149, 160, 171, 166, 180, 192, 185],
})


def sicily() -> pd.DataFrame:
    path = PROJECT / "tests" / "data" / "sicily.csv"
    if path.exists():
        return pd.read_csv(path)
    rng = np.random.default_rng(1)  # a synthetic stand-in of the same shape
    t = np.arange(1, 60)
    stdpop = np.full(59, 380000.0)
    mu = stdpop * 2.1e-3 * np.exp(0.004 * t - 0.11 * (t >= 37))
    return pd.DataFrame({"time": t, "aces": rng.poisson(mu), "stdpop": stdpop})


def one_fit(frame: pd.DataFrame, repeats: int = 200) -> list[float]:
    def run():
        return its.fit(frame, outcome="aces", time="time", interventions={"ban": 37},
                       offset="stdpop", family="quasipoisson", seasonality=(2, 12)).effects

    for _ in range(10):
        run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def sweep() -> tuple[int, float, dict[str, int]]:
    dates = pd.date_range("2008-04-01", "2016-03-01", freq="MS")
    effect_sets = [("step",), ("slope",), ("step", "slope")]
    outcomes = {"fitted": 0, "ValueError": 0, "ConvergenceError": 0, "with warnings": 0}
    combos = list(itertools.product(dates, its.FAMILIES, effect_sets))
    started = time.perf_counter()
    for date, family, effects in combos:
        kwargs = {"trials": "trials"} if family == "binomial" else {}
        try:
            result = its.fit(ILLUSTRATIVE, outcome="count", time="year",
                             interventions={"policy": date}, family=family, effects=effects,
                             **kwargs)
            _ = result.effects  # build the table, as a notebook would
        except its.ConvergenceError:
            outcomes["ConvergenceError"] += 1
        except ValueError:
            outcomes["ValueError"] += 1
        else:
            outcomes["fitted"] += 1
            outcomes["with warnings"] += bool(result.warnings)
    return len(combos), time.perf_counter() - started, outcomes


def main() -> int:
    warnings.simplefilter("error")  # a warning escaping fit() would be a bug
    failures = []
    times = one_fit(sicily())
    median = statistics.median(times)
    ok = median < ONE_FIT_MS
    failures += [] if ok else ["one fit"]
    print(f"one fit (60-point monthly series, quasi-Poisson + harmonics): median "
          f"{median:.2f} ms, min {min(times):.2f} ms, max {max(times):.2f} ms over {len(times)} "
          f"runs; target < {ONE_FIT_MS:g} ms: {'PASS' if ok else 'FAIL'}")
    count, elapsed, outcomes = sweep()
    per_1000 = elapsed / count * 1000
    ok = per_1000 < SWEEP_S_PER_1000
    failures += [] if ok else ["sweep"]
    print(f"sweep: {count} fits in {elapsed:.2f} s = {per_1000:.2f} s per 1,000 fits "
          f"({outcomes}); target < {SWEEP_S_PER_1000:g} s per 1,000: {'PASS' if ok else 'FAIL'}")
    print("FAIL: " + ", ".join(failures) if failures else "all targets met")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
