"""Benchmark: the report (one process, notebooks run concurrently) against the bare papermill
CLI run once per notebook, one after another; plus the start-up time of ``scr --help`` and
``scr check``.

Run: ``python benchmarks/bench_report.py`` (or ``make bench``). Targets on a 2-core machine:
report time <= 0.6 x sequential CLI time; ``scr --help`` < 0.5 s; ``scr check`` < 2 s.
Prints the times and PASS/FAIL; exits 1 if a target is missed.
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
        report = timed([sys.executable, "-m", "scrlib", "report", "--output", str(tmp / "rep")])
        sequential = 0.0
        for nb in notebooks:
            (tmp / "cli").mkdir(exist_ok=True)
            sequential += timed(
                [str(BIN / "papermill"), str(nb), str(tmp / "cli" / nb.name),
                 "-p", "output_dir", str(tmp / "cli")],
                cwd=tmp,
            )
    ratio = report / sequential
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
    for name, seconds, target in rows:
        ok = seconds < target
        print(f"{name}: {seconds:.3f} s (target < {target} s) {'PASS' if ok else 'FAIL'}")
        if not ok:
            failures.append(name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
