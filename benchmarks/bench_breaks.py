"""Benchmark the break scan on the cited series: both scans with a 999-replicate bootstrap.

Run: ``python benchmarks/bench_breaks.py`` (or ``make bench``). Target on a 2-core machine: the
full scan of the eight yearly counts of SCRs initiated (one permanent break and a temporary
change, each with 999 replicates for the existence test and 999 for the confidence set, the
policy dates as candidates) under 10 s. Prints the times and PASS/FAIL; exits 1 if missed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scrlib.its.breaks import scan  # noqa: E402
from scrlib.record.load import load  # noqa: E402
from scrlib.study import design  # noqa: E402

TARGET_S = 10.0


def main() -> int:
    dataset = load()
    spec = design.Specification()
    frame = spec.data(dataset)
    dates = {label: when for label, when in spec.dates(dataset).items()}
    started = time.perf_counter()
    for breaks, kind in ((1, "step"), (2, "dip")):
        t0 = time.perf_counter()
        result = scan(frame, outcome="count", time="fiscal_year", breaks=breaks, kind=kind,
                      candidates=dates, replicates=999, seed=2012)
        print(f"  {kind:<5} ({breaks} date(s)): {len(result.profile)} placements, "
              f"{time.perf_counter() - t0:.2f} s, p = {result.p_value:.3g}")
    total = time.perf_counter() - started
    ok = total < TARGET_S
    print(f"full scan (n = {len(frame)}, 2 x 999 replicates per scan): {total:.2f} s "
          f"(target {TARGET_S:g} s) {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
