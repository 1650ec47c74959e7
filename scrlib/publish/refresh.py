"""Re-execute the committed notebooks in place, so their stored outputs match the code and data.

Run after changing data, library code or a notebook (``scr refresh``); nbval then compares
fresh runs against these outputs.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from scrlib.publish.report import notebook_paths
from scrlib.publish.run import execute


def refresh(notebooks: list[Path] | None = None) -> int:
    """Execute each notebook with its default parameters and replace it only if it succeeded."""
    status = 0
    for path in notebooks or notebook_paths():
        path = Path(path).resolve()
        with tempfile.TemporaryDirectory(prefix="scrlib-refresh-") as tmp:
            out = Path(tmp) / path.name
            run = execute(path, out, {}, cwd=path.parent)
            if run.error:
                print(
                    f"scr refresh: {path.name} failed (cell {run.cell}): {run.error}",
                    file=sys.stderr,
                )
                status = 5
                continue
            _drop_injected(out)
            shutil.copyfile(out, path)
            print(f"scr refresh: {path.name} updated")
    return status


def _drop_injected(path: Path) -> None:
    """Remove papermill's empty injected-parameters cell and run metadata from a refreshed copy."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    nb.metadata.pop("papermill", None)
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
