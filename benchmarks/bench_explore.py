"""Benchmark the explorer: one refit and redraw, as when the date slider moves.

Run: ``python benchmarks/bench_explore.py`` (or ``make bench``). Target on a 2-core machine: the
median of 21 refits and redraws (the end of Ofsted evaluation moved to each month from January
2011 to September 2012, each one new; the fit with its profile intervals, the PNG the widget
shows and the Bayesian cross-check's probabilities of the explanations at the new date) under
200 ms, so dragging a slider feels live. The first view, which warms caches and fonts and
integrates the explanations whose dates the data place (they do not depend on the policy
dates, so they are kept), is not counted. Prints the times and PASS/FAIL; exits 1 if the
target is missed.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import pandas as pd  # noqa: E402

from scrlib.reader.explore import Choices, Explorer  # noqa: E402
from scrlib.record.load import load  # noqa: E402

TARGET_MS = 200.0


def main() -> int:
    explorer = Explorer(load())
    choices = Choices()
    first = explorer.view(choices)
    explorer.png(first, fast=True)  # warm up
    explorer.bayes_html(first)  # the integrals that do not depend on the dates, kept
    times = []
    for month in pd.date_range("2011-01-01", periods=21, freq="MS"):  # each month new
        moved = choices.moved("ofsted-evaluation-ends", month)
        started = time.perf_counter()
        view = explorer.view(moved)
        explorer.png(view, fast=True)
        explorer.bayes_html(view)
        times.append(1000 * (time.perf_counter() - started))
    median = statistics.median(times)
    ok = median < TARGET_MS
    print(f"refit and redraw: median {median:.0f} ms, min {min(times):.0f} ms, max "
          f"{max(times):.0f} ms over {len(times)} moves; target < {TARGET_MS:g} ms: "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
