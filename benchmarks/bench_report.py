"""Benchmark: the report (one process, notebooks run concurrently) against the bare papermill
CLI run once per notebook, one after another; a second report with nothing new (every notebook
taken from the cache); plus the start-up time of ``scr --help`` and ``scr check``.

Run: ``python benchmarks/bench_report.py`` (or ``make bench``). Targets on a 2-core machine:
a full report (``--no-cache``) <= 0.6 x sequential CLI time; a report with nothing new < 0.1 x a
full report; ``scr --help`` < 0.5 s; ``scr check`` < 2 s. Prints the times and PASS/FAIL, writes
them to ``benchmarks/results/report.json`` and exits 1 if a target is missed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(cmd: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - started


def main() -> int:
    notebooks = sorted((PROJECT / "notebooks").glob("*.ipynb"))
    failures = []
    with tempfile.TemporaryDirectory(prefix="scrlib-bench-") as tmp:
        tmp = Path(tmp)
        help_times = [timed([sys.executable, "-m", "scrlib", "--help"]) for _ in range(5)]
        check_times = [timed([sys.executable, "-m", "scrlib", "check"]) for _ in range(5)]
        report = timed([sys.executable, "-m", "scrlib", "report", "--no-cache",
                        "--output", str(tmp / "rep")])
        nothing_new = timed([sys.executable, "-m", "scrlib", "report", "--output",
                             str(tmp / "rep")])
        sequential = 0.0
        for nb in notebooks:
            (tmp / "cli").mkdir(exist_ok=True)
            sequential += timed(
                [str(BIN / "papermill"), str(nb), str(tmp / "cli" / nb.name),
                 "-p", "output_dir", str(tmp / "cli")],
                cwd=tmp,
            )
    ratio = report / sequential
    cached_ratio = nothing_new / report
    rows = [
        ("scr --help (median of 5)", statistics.median(help_times), 0.5),
        ("scr check (median of 5)", statistics.median(check_times), 2.0),
    ]
    print(f"notebooks: {len(notebooks)}")
    print(f"report (scr report, concurrent, one process): {report:.1f} s")
    print(f"sequential papermill CLI, one process each:   {sequential:.1f} s")
    ok = ratio <= 0.6
    print(f"ratio report/sequential: {ratio:.2f} (target <= 0.60) {'PASS' if ok else 'FAIL'}")
    if not ok:
        failures.append("report ratio")
    cached_ok = cached_ratio < 0.1
    print(f"report with nothing new (cache): {nothing_new:.1f} s, {cached_ratio:.3f} of a full "
          f"run (target < 0.100) {'PASS' if cached_ok else 'FAIL'}")
    if not cached_ok:
        failures.append("nothing-new ratio")
    import json
    import os

    (PROJECT / "benchmarks" / "results" / "report.json").write_text(json.dumps({
        "cores": len(os.sched_getaffinity(0)), "notebooks": len(notebooks),
        "full_report_seconds": round(report, 1), "nothing_new_seconds": round(nothing_new, 1),
        "sequential_papermill_cli_seconds": round(sequential, 1),
        "full_over_sequential": round(ratio, 3), "target_full_over_sequential": 0.6,
        "nothing_new_over_full": round(cached_ratio, 3), "target_nothing_new_over_full": 0.1,
    }, indent=1) + "\n")
    for name, seconds, target in rows:
        ok = seconds < target
        print(f"{name}: {seconds:.3f} s (target < {target} s) {'PASS' if ok else 'FAIL'}")
        if not ok:
            failures.append(name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
