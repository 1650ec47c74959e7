"""Benchmark the explorer: one refit and redraw, as when the date slider moves.

Run: ``python benchmarks/bench_explore.py`` (or ``make bench``). Target on a 2-core machine: the
median of 21 refits and redraws (the end of Ofsted evaluation moved over July to September 2012;
the fit with its profile intervals and the PNG the widget shows) under 200 ms, so dragging a
slider feels live. The first view, which warms caches and fonts, is not counted. Prints the
times and PASS/FAIL; exits 1 if the target is missed.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scrlib.reader.explore import Choices, Explorer  # noqa: E402
from scrlib.record.load import load  # noqa: E402

TARGET_MS = 200.0


def main() -> int:
    explorer = Explorer(load())
    choices = Choices()
    explorer.png(explorer.view(choices), fast=True)  # warm up
    times = []
    for i in range(21):
        moved = choices.moved("ofsted-evaluation-ends", f"2012-{7 + i % 3:02d}-01")
        started = time.perf_counter()
        explorer.png(explorer.view(moved), fast=True)
        times.append(1000 * (time.perf_counter() - started))
    median = statistics.median(times)
    ok = median < TARGET_MS
    print(f"refit and redraw: median {median:.0f} ms, min {min(times):.0f} ms, max "
          f"{max(times):.0f} ms over {len(times)} moves; target < {TARGET_MS:g} ms: "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
