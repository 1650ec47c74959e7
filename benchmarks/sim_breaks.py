"""Simulation study: does the break scan's inference hold on series like the cited one?

Run: ``python benchmarks/sim_breaks.py [--series N] [--replicates R]`` (defaults 1000 and 99).
Writes ``benchmarks/results/sim_breaks.json`` and prints a table. The tests run a small version
(tests/test_its_breaks.py); this is the long one, whose recorded result README.md quotes.

The design is the cited series': the eight financial years of SCRs initiated (2011-12 missing),
a level-and-trend baseline, quasi-Poisson. Series are simulated with variance ``phi * mean``
(negative binomial draws), at the means and dispersion fitted to the cited data:

* **size**: under the fitted no-break model, how often the existence test (sup-F, bootstrap)
  rejects at 5%, for one permanent break and for a temporary change (dip);
* **coverage**: with the break placed at the fitted best placement (the best single break; the
  best dip), how often the 95% confidence set holds the true placement.

``--phi`` simulates another dispersion (e.g. 2.43, the Pearson dispersion of notebook 02's model
with steps at the policy dates, larger than the best break model's).

Every series has its own seed; the study is reproducible from ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scrlib.its.breaks import _simulate, scan  # noqa: E402
from scrlib.record.load import load  # noqa: E402
from scrlib.study import design  # noqa: E402

RESULTS = PROJECT / "benchmarks" / "results" / "sim_breaks.json"


def study(frame, breaks, kind, series, replicates, seed, phi=None) -> dict:
    """Size and coverage for one kind of break on the cited design (``phi``: the simulated
    dispersion; default that of the best break model, at least 1)."""
    fitted = scan(frame, outcome="count", time="fiscal_year", breaks=breaks, kind=kind,
                  replicates=replicates, seed=seed)
    best = fitted.best
    phi = max(fitted.dispersion, 1.0) if phi is None else float(phi)
    null_mu = _null_means(frame, fitted)
    rng = np.random.default_rng(seed)
    truth_mu = _best_means(frame, fitted)
    rejections = hits = 0
    started = time.perf_counter()
    for i in range(series):
        y0 = _simulate(rng, null_mu, phi, 1)[0]
        r0 = scan(frame.assign(count=y0), outcome="count", time="fiscal_year", breaks=breaks,
                  kind=kind, replicates=replicates, seed=seed + i)
        rejections += r0.p_value <= 0.05
        y1 = _simulate(rng, truth_mu, phi, 1)[0]
        r1 = scan(frame.assign(count=y1), outcome="count", time="fiscal_year", breaks=breaks,
                  kind=kind, replicates=replicates, seed=seed + i)
        same = r1.profile["start"] == best["start"]
        if breaks == 2:
            same &= r1.profile["end"] == best["end"]
        hits += bool(r1.profile.loc[same, "in_set"].iloc[0])
    size, coverage = rejections / series, hits / series
    return {"kind": kind, "breaks": breaks, "series": series, "replicates": replicates,
            "dispersion_simulated": phi, "size_at_5pct": size,
            "size_se": float(np.sqrt(0.05 * 0.95 / series)),
            "coverage_of_95pct_set": coverage,
            "coverage_se": float(np.sqrt(0.95 * 0.05 / series)),
            "true_placement": [str(best["start"].date())] + (
                [str(best["end"].date())] if breaks == 2 else []),
            "seconds": round(time.perf_counter() - started, 1)}


def _null_means(frame, fitted):
    from scrlib.its.breaks import _base, _no_break, fit_patterns

    base = _base(fitted.axis, fitted.trend)
    return fit_patterns(frame["count"].to_numpy(float), base, *_no_break(len(frame))).mu


def _best_means(frame, fitted):
    from scrlib.its.breaks import Placement, _base, _patterns, _shares_by_pattern, fit_patterns

    best = fitted.best
    dates = (best["start"],) if fitted.breaks == 1 else (best["start"], best["end"])
    patterns, segment = _patterns(fitted.breaks, fitted.kind)
    axis = fitted.axis
    shares = _shares_by_pattern([Placement(tuple(dates))], segment, axis.periods.start_time,
                                axis.periods.end_time.normalize())[0]
    base = _base(axis, fitted.trend)
    return fit_patterns(frame["count"].to_numpy(float), base, shares, patterns).mu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--replicates", type=int, default=99)
    parser.add_argument("--seed", type=int, default=20241)
    parser.add_argument("--kinds", default="step,dip", help="which scans: step, dip or both")
    parser.add_argument("--phi", type=float, default=None,
                        help="simulated dispersion (default: the best break model's)")
    args = parser.parse_args()
    frame = design.Specification().data(load())
    kinds = {"step": (1, "step"), "dip": (2, "dip")}
    rows = [study(frame, *kinds[k], args.series, args.replicates, args.seed, args.phi)
            for k in args.kinds.split(",")]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    kept = []
    if RESULTS.exists():  # keep the recorded result of a kind not re-run
        done = {(r["kind"], round(r["dispersion_simulated"], 2)) for r in rows}
        kept = [r for r in json.loads(RESULTS.read_text())["studies"]
                if (r["kind"], round(r["dispersion_simulated"], 2)) not in done]
    studies = sorted(kept + rows, key=lambda r: (r["breaks"], r["dispersion_simulated"]))
    RESULTS.write_text(json.dumps({"seed": args.seed, "studies": studies}, indent=2) + "\n",
                       encoding="utf-8")
    for r in studies:
        print(f"{r['kind']:<5} size {r['size_at_5pct']:.3f} (se {r['size_se']:.3f}); coverage "
              f"{r['coverage_of_95pct_set']:.3f} (se {r['coverage_se']:.3f}); {r['series']} "
              f"series x {r['replicates']} replicates; {r['seconds']} s")
    print(f"wrote {RESULTS.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
