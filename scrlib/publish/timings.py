"""Where a report run's seconds go: each step's wall time, and each notebook's (kernel start,
cells, page, cache), for ``benchmarks/bench_report.py``.

Nothing here reaches the report (whose bytes never depend on the clock): with
``SCRLIB_TIMINGS=<file>`` in the environment, ``scr report`` writes the breakdown there as JSON.
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ENV = "SCRLIB_TIMINGS"


class Timings:
    """Seconds by step (summed over repeats) and by notebook, from the run's start."""

    def __init__(self):
        self.started = time.perf_counter()
        self.steps: dict[str, float] = {}
        self.notebooks: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def step(self, name: str):
        began = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - began

    @contextmanager
    def notebook(self, notebook: str, part: str):
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(notebook, part, time.perf_counter() - began, began)

    def add(self, notebook: str, part: str, seconds: float, began: float | None = None) -> None:
        with self._lock:
            parts = self.notebooks.setdefault(notebook, {})
            parts[part] = parts.get(part, 0.0) + seconds
            if began is not None:  # when the notebook's first part began, from the run's start
                parts.setdefault("began_at", began - self.started)

    def as_dict(self) -> dict:
        return {"total_seconds": round(time.perf_counter() - self.started, 3),
                "steps": {k: round(v, 3) for k, v in self.steps.items()},
                "notebooks": {n: {k: round(v, 3) for k, v in parts.items()}
                              for n, parts in sorted(self.notebooks.items())}}

    def write(self) -> None:
        """Write the breakdown where ``$SCRLIB_TIMINGS`` says (nothing if it is unset)."""
        path = os.environ.get(ENV)
        if path:
            Path(path).write_text(json.dumps(self.as_dict(), indent=1) + "\n", encoding="utf-8")


_current = Timings()


def current() -> Timings:
    """The running report's timings (a fresh one for each :func:`start`)."""
    return _current


def start() -> Timings:
    global _current
    _current = Timings()
    return _current
