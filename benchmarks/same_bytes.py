"""Reproducibility check: ``scr report`` under the machine's own OpenBLAS kernel and under each
kernel and thread count of ``make numerics`` writes the same bytes.

Every file of the report folder must be byte-identical across the runs (notebooks, pages,
charts, chart data, answers, data, what changed); in ``manifest.json`` only the timing fields
(``run_started``, ``duration_seconds``, ``notebook_seconds``) may differ.

Run: ``make same-bytes`` (about 30 s per run on 2 cores). Writes
``benchmarks/results/same_bytes.json`` and exits 1 if any file differs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tests.blas_kernels import in_use, runs  # noqa: E402

TIMING = ("run_started", "duration_seconds", "notebook_seconds")


def _report(folder: Path, kernel: str | None, threads: int | None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    if kernel:
        env["OPENBLAS_CORETYPE"] = kernel
    if threads:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    subprocess.run([str(Path(sys.executable).parent / "scr"), "report", "--no-cache",
                    "--output", str(folder)],
                   cwd=PROJECT, env=env, check=True, capture_output=True)
    used = subprocess.run([sys.executable, "-c", "from tests.blas_kernels import in_use; "
                           "print(*in_use())"], cwd=PROJECT, env=env, check=True,
                          capture_output=True, text=True).stdout.split()
    return f"{used[0]} kernel, {used[1]} thread(s)"


def _contents(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == "manifest.json":
            manifest = json.loads(data)
            for key in TIMING:
                manifest.pop(key, None)
            data = json.dumps(manifest, sort_keys=True).encode()
        out[str(path.relative_to(folder))] = data
    return out


def main() -> int:
    configurations = [(None, None), *runs()]
    with tempfile.TemporaryDirectory() as tmp:
        built = {}
        for i, (kernel, threads) in enumerate(configurations):
            folder = Path(tmp) / f"run{i}"
            label = _report(folder, kernel, threads)
            built[label] = _contents(folder)
    labels = list(built)
    first = built[labels[0]]
    differ = {label: sorted(name for name in set(first) | set(files)
                            if first.get(name) != files.get(name))
              for label, files in built.items() if label != labels[0]}
    result = {"runs": labels, "files": len(first), "differing": differ,
              "machine_default": " ".join(map(str, in_use()))}
    (PROJECT / "benchmarks" / "results").mkdir(exist_ok=True)
    (PROJECT / "benchmarks" / "results" / "same_bytes.json").write_text(
        json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for label in labels[1:]:
        print(f"{labels[0]} vs {label}: {len(differ[label])} of {len(first)} files differ"
              + (f" ({', '.join(differ[label][:5])})" if differ[label] else ""))
    return 1 if any(differ.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
