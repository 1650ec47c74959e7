"""What ``scr report --output`` may replace: only a report this program wrote, never the data.

A report run replaces its output folder whole. So the folder, as it resolves (a symlink is the
folder it names), must be new, empty, or a report: a folder whose ``manifest.json`` is the
project's report manifest. The data folder, a folder inside it or above it, or any folder that
holds the record's tables, is never an output. Both tests run before any notebook does.
"""

from __future__ import annotations

import json
from pathlib import Path

from scrlib.record.lock import real

MANIFEST = "manifest.json"
MANIFEST_KEYS = ("git_commit", "inputs", "outputs")  # what every report's manifest has
SHOWN = 5  # entries named when a folder is refused


def is_report(folder: Path) -> bool:
    """Whether ``folder`` (resolved) carries the project's report manifest: a regular file (not
    a symlink) holding a JSON object with the keys every report's manifest has."""
    manifest = real(folder) / MANIFEST
    if manifest.is_symlink() or not manifest.is_file():
        return False
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(data, dict) and all(k in data for k in MANIFEST_KEYS)
            and isinstance(data["outputs"], dict))


def holds_data(folder: Path, data: Path) -> bool:
    """Whether ``folder`` is the data folder, inside it, above it (replacing it would remove the
    data), or a folder holding the record's tables (a copy of the data): all by resolved path."""
    from scrlib.record.schema import TABLES

    folder, data = real(folder), real(data)
    if folder == data or data.is_relative_to(folder) or folder.is_relative_to(data):
        return True
    tables = [t.filename for t in TABLES]
    return folder.is_dir() and all((folder / name).is_file() for name in tables[:3])


def contents(folder: Path) -> str:
    """What a folder holds, for a message: a few names (folders end in /) and how many more."""
    try:
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in Path(folder).iterdir())
    except OSError as exc:
        return f"what it holds cannot be read: {exc.strerror or exc}"
    if not names:
        return "nothing"
    shown = ", ".join(names[:SHOWN])
    more = len(names) - SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def refusal(target: Path, data: Path) -> str:
    """Why ``target`` may not be a report's output folder, or "" if it may (new, empty, or a
    report this program wrote)."""
    resolved = real(target)
    spelt = f"{target}" + (f" (that is {resolved})" if Path(target).absolute() != resolved
                            else "")
    if holds_data(resolved, data):
        return (f"--output {spelt}: this folder is, holds or lies inside the data "
                f"({real(data)}); a report never replaces the data: give another folder")
    if not resolved.exists():
        return ""
    if not resolved.is_dir():
        return f"--output {spelt}: is a file, not a folder; give a folder for the report"
    if is_report(resolved):
        return ""
    held = contents(resolved)
    if held == "nothing":
        return ""
    return (f"--output {spelt}: not a report folder (it holds {held}, and no report "
            f"{MANIFEST}); scr report only replaces a report it wrote, so nothing was changed: "
            "give a new or empty folder, or an earlier report's folder")
