"""pytest settings for the notebooks' regression tests (``pytest --nbval notebooks/``).

nbval runs a notebook's cells as pytest items, one after another in one kernel, so they must
run in the notebook's order. A plugin that reorders items (pytest-randomly shuffles every test
run) would run them out of order and fail them; this hook runs after every reordering plugin
and puts each notebook's cells back together, in file order, where the first of them stood.
"""

from __future__ import annotations

import pytest


def _notebook_cell(item) -> tuple[str, int] | None:
    """(notebook path, cell number) for an nbval item, else None."""
    number = getattr(item, "cell_num", None)
    if not isinstance(number, int) or not str(item.path).endswith(".ipynb"):
        return None
    return str(item.path), number


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Each notebook's cells together and in file order (other items keep their order)."""
    cells: dict[str, list] = {}
    out: list = []
    for item in items:
        key = _notebook_cell(item)
        if key is None:
            out.append(item)
            continue
        if key[0] not in cells:
            cells[key[0]] = []
            out.append(key[0])  # the notebook's place: where its first cell stood
        cells[key[0]].append(item)
    items[:] = [thing for entry in out
                for thing in (sorted(cells[entry], key=lambda i: i.cell_num)
                              if isinstance(entry, str) else [entry])]
