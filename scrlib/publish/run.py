"""Execute notebooks with papermill in this interpreter, and normalise them so reruns match.

A report run uses a kernel spec the project writes itself (``scrlib-report``, this Python, IPC
transport), so a user-level ``python3`` spec can never send a run to another interpreter, and no
TCP port is opened.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import importlib
import importlib.util
import json
import os
import signal
import sys
import threading
import time
import types
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path

from scrlib.record.paths import PROJECT_DIR

KERNEL_NAME = "scrlib-report"
_LIVE_KERNELS: weakref.WeakSet = weakref.WeakSet()
_VOLATILE_NB = ("papermill",)
_VOLATILE_CELL = ("papermill", "execution")


def defer_iri_grammar() -> None:
    """Put off a 2 s grammar build that importing papermill or nbformat triggers, until it is used.

    nbformat imports jsonschema, whose optional ``iri`` format check imports ``rfc3987_syntax``,
    which compiles a Lark grammar at import. No run checks that format, so a stand-in module
    imports the real one on first use, and then behaves exactly like it.
    """
    name = "rfc3987_syntax"
    if name in sys.modules or importlib.util.find_spec(name) is None:
        return
    stand_in = types.ModuleType(name, "stand-in: imports rfc3987_syntax on first use")

    def is_valid_syntax(*args, **kwargs):
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return importlib.import_module(name).is_valid_syntax(*args, **kwargs)

    stand_in.is_valid_syntax = is_valid_syntax
    sys.modules[name] = stand_in


@functools.cache
def _private_dir() -> Path:
    """A folder for this process's kernel spec and IPC sockets, removed when the process exits
    (or, if it is killed, by the next run: :mod:`scrlib.record.scratch`)."""
    from scrlib.record import scratch

    root = scratch.make("run")
    atexit.register(scratch.remove, root)
    return root


def kernel_spec_dir() -> Path:
    """Write (once per process) a kernel spec running this Python; put it first on JUPYTER_PATH."""
    root = _private_dir()
    spec = root / "kernels" / KERNEL_NAME
    if not (spec / "kernel.json").exists():
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": f"scrlib ({sys.executable})",
                    "language": "python",
                    "env": {
                        "PYTHONPATH": _pythonpath(),
                        "SOURCE_DATE_EPOCH": "0",
                        "MPLBACKEND": "Agg",
                        "PYTHONHASHSEED": "0",
                    },
                },
                indent=1,
            )
        )
    paths = os.environ.get("JUPYTER_PATH", "")
    if str(root) not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(root), paths) if p)
    return root


def _pythonpath() -> str:
    """The project folder first, so a checkout works without installing."""
    rest = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join(p for p in (str(PROJECT_DIR), rest) if p)


def ipc_kernel_manager():
    """A kernel manager class whose kernels talk over IPC sockets in a private temp folder."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            _LIVE_KERNELS.add(self)

        @default("transport")
        def _default_transport(self):
            return "ipc"

        @default("ip")
        def _default_ip(self):
            return str(_private_dir() / f"ipc-{uuid.uuid4().hex[:12]}")

    return IPCKernelManager


def kill_kernels() -> int:
    """Kill every kernel this process started that is still running; return how many."""
    killed = 0
    for manager in list(_LIVE_KERNELS):
        pid = getattr(getattr(manager, "provisioner", None), "pid", None)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


def declared_parameters(notebook: Path) -> list[str]:
    """The names a notebook's ``parameters`` cell assigns, in order: what papermill's
    ``inspect_notebook`` lists, read with ``ast`` so that a run with nothing to execute need not
    import papermill (about a second); papermill itself reads a cell ``ast`` cannot."""
    import ast

    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    cell = next((c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])),
                None)
    if cell is None:
        return []
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    try:
        tree = ast.parse(source)
    except SyntaxError:
        defer_iri_grammar()
        import papermill

        return list(papermill.inspect_notebook(str(notebook)))
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    return names


@dataclass
class NotebookRun:
    """One executed notebook: where it went, with which parameters, and its error if it failed."""

    name: str
    output: Path
    parameters: dict
    error: str | None = None
    cell: int | None = None
    seconds: float | None = None
    reused: bool = False  # taken from the cache: no kernel ran


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def normalise(path: Path) -> None:
    """Drop run timestamps and durations from an executed notebook, keeping outputs and counts;
    drop live widgets (their views and saved state carry random model ids, and a report or a
    committed notebook shows the static outputs instead)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for key in _VOLATILE_NB:
        meta = nb.metadata.get(key)
        if isinstance(meta, dict):
            nb.metadata[key] = {k: meta[k] for k in ("parameters",) if k in meta}
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if WIDGET_VIEW not in o.get("data", {})]
        for key in _VOLATILE_CELL:
            cell.metadata.pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id on every run
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def execute(
    notebook: Path,
    output: Path,
    parameters: dict,
    *,
    cwd: Path,
    timeout: float | None = 600,
) -> NotebookRun:
    """Run ``notebook`` into ``output`` with papermill; record (not raise) a cell's failure."""
    defer_iri_grammar()
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from scrlib.publish import timings

    kernel_spec_dir()
    run = NotebookRun(notebook.stem, output, dict(parameters))
    started = time.perf_counter()
    spent = timings.current()

    def kernel_ready(**_):  # nbclient calls it once the kernel answers, before the first cell
        spent.add(notebook.stem, "kernel start", time.perf_counter() - started)

    def cells_done(**_):
        spent.add(notebook.stem, "cells", time.perf_counter() - started
                  - spent.notebooks.get(notebook.stem, {}).get("kernel start", 0.0))

    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            # Not papermill's ``cwd``: that chdirs the whole process, so a notebook run in another
            # thread could start its kernel in the wrong folder. nbclient starts the kernel in
            # ``resources["metadata"]["path"]`` instead, for this notebook only.
            resources={"metadata": {"path": str(cwd)}},
            progress_bar=False,
            # written once, when the run ends (failed or not), not after every cell: the
            # notebooks run in threads of this one process, where each save is CPU they share
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            kernel_manager_class=ipc_kernel_manager(),
            on_notebook_start=kernel_ready,
            on_notebook_complete=cells_done,
        )
    except PapermillExecutionError as exc:
        run.error = f"{exc.ename}: {exc.evalue}"
        run.cell = exc.exec_count
    except Exception as exc:  # a timeout, a dead kernel: the run fails, loudly
        run.error = f"{type(exc).__name__}: {exc}"
    finally:
        _close_thread_loop()
        run.seconds = round(time.perf_counter() - started, 1)
    if output.exists():
        normalise(output)
    return run


def _close_thread_loop() -> None:
    """Close the event loop nbclient left in a worker thread (the main thread keeps its own)."""
    if threading.current_thread() is threading.main_thread():
        return
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)
