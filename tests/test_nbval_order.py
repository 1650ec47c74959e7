"""nbval the way its users run it: ``pytest --nbval notebooks/`` (or one notebook) keeps each
notebook's cells together and in file order, even with pytest-randomly installed and active
(it shuffles every other test; ``notebooks/conftest.py`` puts the cells back)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

PROJECT = Path(__file__).resolve().parent.parent
SEED = "1"  # pytest-randomly shuffles the cells under it (checked without the hook)


def _collected(*args: str, cwd: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "randomly",
         "-p", "no:cacheprovider", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::Cell " in line]


def _in_file_order(ids: list[str]) -> bool:
    """Each notebook's cells contiguous and numbered 0, 1, 2, ... in the order they run."""
    seen: list[str] = []
    for nodeid in ids:
        notebook, _, cell = nodeid.partition("::Cell ")
        if not seen or seen[-1] != notebook:
            if notebook in seen:
                return False  # the notebook's cells were split
            seen.append(notebook)
            expected = 0
        if int(cell) != expected:
            return False
        expected += 1
    return True


def test_the_documented_nbval_command_runs_cells_in_file_order():
    """``pytest --nbval notebooks/`` loads notebooks/conftest.py (as it does for one notebook,
    ``pytest --nbval notebooks/02-initiated.ipynb``: the conftest of an argument's folder), and
    every notebook's cells come together and in file order under pytest-randomly."""
    ids = _collected("--nbval", "notebooks/", f"--randomly-seed={SEED}", cwd=PROJECT)
    assert len({i.partition("::")[0] for i in ids}) == len(list(PROJECT.glob("notebooks/*.ipynb")))
    assert _in_file_order(ids), ids[:20]


def _notebook(path: Path) -> None:
    """Three cells that pass only in order: each builds on the one before."""
    cells = []
    for number, (source, shown) in enumerate(
            [("x = 1", None), ("x = x * 10 + 2", None), ("x = x * 10 + 3", None),
             ("print(x)", "123\n")], start=1):
        cell = nbformat.v4.new_code_cell(source, execution_count=number)
        if shown:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=shown)]
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def test_a_notebook_passes_under_pytest_randomly_with_the_projects_conftest(tmp_path):
    shutil.copyfile(PROJECT / "notebooks" / "conftest.py", tmp_path / "conftest.py")
    _notebook(tmp_path / "order.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "randomly", "-p", "no:cacheprovider", "-v",
         f"--randomly-seed={SEED}", "--nbval", "--nbval-current-env", "order.ipynb"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [int(n) for n in re.findall(r"::Cell ([0-9]+) PASSED", done.stdout)]
    assert ran == [0, 1, 2, 3], done.stdout
