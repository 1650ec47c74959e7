"""scrlib is laid out as its pipeline: one package per stage, and no stage imports a later one.

The imports are read from the source (every ``import`` and ``from ... import``, at any depth,
including those inside functions), so the layering cannot erode silently.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import scrlib

PACKAGE = Path(scrlib.__file__).resolve().parent
STAGES = ("record", "its", "study", "reader", "publish")  # the pipeline, in order
ON_TOP = {"__init__", "__main__", "cli"}  # the application: may use every stage


def _module(path: Path) -> str:
    return ".".join(("scrlib", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
        ".__init__")


def _imported(path: Path) -> set[str]:
    """The scrlib modules and packages that ``path`` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("scrlib")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "scrlib":
                found |= {f"scrlib.{a.name}" for a in node.names}
            elif node.module.startswith("scrlib."):
                found.add(node.module)
    return found


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_every_module_belongs_to_a_stage_or_is_the_application():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.stem not in ON_TOP]
    assert loose == []
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert folders == sorted(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_no_stage_imports_a_later_one(stage):
    later = set(STAGES[STAGES.index(stage) + 1:])
    wrong = {f"{_module(path)} imports {target}"
             for path in (PACKAGE / stage).rglob("*.py")
             for target in _imported(path) if _stage(target) in later}
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_in_one_line_what_it_promises(stage):
    doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
    assert doc and doc.splitlines()[0].endswith((".", ":")) and len(doc.splitlines()[0]) <= 96


def test_the_import_reader_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from scrlib.reader import plot\n"
                      "    import scrlib.publish.run\n")
    assert _imported(source) == {"scrlib.reader", "scrlib.publish.run"}
    assert _stage("scrlib.reader") == "reader" and _stage("scrlib.cli") is None
