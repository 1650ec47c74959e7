"""The project's own promises: dependency lists in step, README commands, CI, notebook hygiene."""

import json
import re
import tomllib
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    meta = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in meta["dependencies"]}
    wanted |= {_name(r) for group in meta["optional-dependencies"].values() for r in group}
    env = yaml.safe_load((PROJECT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == wanted


def test_environment_yml_bounds_match_pyproject():
    meta = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + [r for g in meta["optional-dependencies"].values() for r in g]
    env = yaml.safe_load((PROJECT / "environment.yml").read_text())
    conda = {_name(d): d.replace(" ", "") for d in env["dependencies"] if isinstance(d, str)}
    for req in reqs:
        assert conda[_name(req)] == req.replace(" ", ""), req


def test_readme_gives_the_two_commands_first_and_ci_runs_the_test_one():
    readme = (PROJECT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make report" in first_block and "make test" in first_block
    assert "make test" in (PROJECT / ".ci" / "run").read_text()


def test_committed_notebooks_have_parameters_kernel_counts_and_no_errors():
    for path in sorted((PROJECT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "scrlib", path.name
        tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
        assert sum("parameters" in t for t in tags) == 1, path.name
        assert not any("injected-parameters" in t for t in tags), path.name
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            assert cell["execution_count"] is not None, f"{path.name}: unexecuted cell"
            assert all(o["output_type"] != "error" for o in cell["outputs"]), path.name
            assert "papermill" not in cell.get("metadata", {}), path.name
            assert "execution" not in cell.get("metadata", {}), path.name


def test_the_data_folders_lock_file_is_ignored_by_git():
    """``scr ingest`` locks data/ with a file beside it (issue 26): git must not offer it."""
    from fnmatch import fnmatch

    from scrlib.record.lock import lock_path
    from scrlib.record.paths import PROJECT_DIR

    lock = lock_path(PROJECT_DIR / "data")
    assert lock.parent == PROJECT
    patterns = [
        line.strip().lstrip("/")
        for line in (PROJECT / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    assert any(fnmatch(lock.name, p) for p in patterns), f"{lock.name} is not in .gitignore"
