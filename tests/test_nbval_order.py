"""nbval the way its users run it: ``pytest --nbval notebooks/`` (or one notebook) keeps each
notebook's cells together and in file order, even with pytest-randomly installed and active
(it shuffles every other test; ``notebooks/conftest.py`` puts the cells back). ``make nbval``
runs every committed notebook so, pytest-randomly active; this test runs a small notebook whose
cells pass only in order, as one notebook's users would."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: make test-slow

PROJECT = Path(__file__).resolve().parent.parent
SEED = "1"  # pytest-randomly shuffles the cells under it (checked without the hook)


def _notebook(path: Path) -> None:
    """Four cells that pass only in order: each builds on the one before."""
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
