"""Where the project's data, notebooks and reports live, found relative to the package."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # scrlib/ (this module is in scrlib/record/)
PROJECT_DIR = PACKAGE_DIR.parent


def data_dir() -> Path:
    """The ``data/`` folder: ``$SCRLIB_DATA`` if set, else the one beside the package."""
    return Path(os.environ.get("SCRLIB_DATA", PROJECT_DIR / "data"))


def notebooks_dir() -> Path:
    """The ``notebooks/`` folder beside the package."""
    return Path(os.environ.get("SCRLIB_NOTEBOOKS", PROJECT_DIR / "notebooks"))


def default_report_dir() -> Path:
    """Where ``scr report`` writes unless told otherwise: ``reports/latest/``."""
    return PROJECT_DIR / "reports" / "latest"
