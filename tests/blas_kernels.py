"""The OpenBLAS kernels and thread counts the numerical tests run under (``make numerics``).

numpy's OpenBLAS picks a kernel for the CPU at start-up; ``OPENBLAS_CORETYPE`` forces another, but
only one whose instructions the CPU has. ``make test`` runs under the machine's own choice, usually
the widest kernel its CPU supports, with several threads. ``make numerics`` adds two runs: the
next-widest AVX kernel the CPU supports (Haswell for AVX2 below AVX-512, else Sandybridge for
AVX; the widest where there is only one) single-threaded, and the 128-bit Prescott (SSE3) kernel
multi-threaded. So the numerical tests pass under at least two vector widths and both thread
settings, and on an AVX-512 machine under three kernels. Variables are set per command, never
globally: some machines set ``OPENBLAS_CORETYPE`` to avoid wrong results.

``python tests/blas_kernels.py`` prints one ``KERNEL:THREADS`` per line for the Makefile (an empty
kernel, on a CPU that is not x86-64: the one OpenBLAS picks).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

# Widest first: (kernel, the /proc/cpuinfo flag it needs).
BY_WIDTH = (("SkylakeX", "avx512f"), ("Haswell", "avx2"), ("Sandybridge", "avx"))
NARROW = "Prescott"  # SSE3: every x86-64 CPU OpenBLAS still supports has it
# What threadpoolctl reports for a forced kernel: numpy's OpenBLAS build serves Prescott with its
# generic SSE kernel, which it calls Katmai.
REPORTED = {"Prescott": ("Prescott", "Katmai")}


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The flags of the first processor in /proc/cpuinfo (empty where there is none)."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text() if path.exists() else ""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def runs(flags: set[str] | None = None, cores: int | None = None) -> list[tuple[str, int]]:
    """(kernel, threads) for each extra run: the next-widest supported AVX kernel (the widest
    if only one fits) on one thread, then Prescott on several; only Prescott (both thread
    settings) where no AVX kernel fits."""
    cores = (len(os.sched_getaffinity(0)) if cores is None else cores) or 1
    many = max(2, min(cores, 4))
    if flags is None and platform.machine() not in ("x86_64", "AMD64"):
        return [("", 1), ("", many)]  # another architecture: its own kernel, both thread counts
    flags = cpu_flags() if flags is None else flags
    fitting = [kernel for kernel, flag in BY_WIDTH if flag in flags]
    if not fitting:
        return [(NARROW, 1), (NARROW, many)]
    return [(fitting[1] if len(fitting) > 1 else fitting[0], 1), (NARROW, many)]


def in_use() -> tuple[str, int]:
    """The OpenBLAS kernel numpy is using and its thread count (threadpoolctl)."""
    import numpy  # noqa: F401  (loads OpenBLAS)
    from threadpoolctl import threadpool_info

    found = [i for i in threadpool_info() if i.get("internal_api") == "openblas"]
    if not found:
        return "", 0
    return str(found[0].get("architecture", "")), int(found[0]["num_threads"])


def check() -> str:
    """'' if numpy uses the kernel and threads OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS ask
    for (either may be unset), else what differs."""
    kernel, threads = in_use()
    asked = os.environ.get("OPENBLAS_CORETYPE", "")
    asked_threads = os.environ.get("OPENBLAS_NUM_THREADS", "")
    if asked and kernel not in REPORTED.get(asked, (asked,)):
        return f"OPENBLAS_CORETYPE={asked} asked for, but numpy's OpenBLAS uses {kernel!r}"
    if asked_threads and threads != int(asked_threads):
        return (f"OPENBLAS_NUM_THREADS={asked_threads} asked for, but numpy's OpenBLAS uses "
                f"{threads} thread(s)")
    return ""


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--check"]:
        problem = check()
        kernel, threads = in_use()
        print(problem or f"numpy's OpenBLAS: kernel {kernel}, {threads} thread(s)")
        sys.exit(1 if problem else 0)
    for kernel, threads in runs():
        print(f"{kernel}:{threads}")
