"""Shared fixtures: a private copy of data/ that a test may break, and the loaded dataset."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from scrlib.record.load import load
from scrlib.record.paths import data_dir

# Property tests draw the same examples on every run: a failure can be repeated, and CI does not
# depend on an unset random seed.
settings.register_profile("scrlib", derandomize=True)
settings.load_profile("scrlib")

PROJECT = Path(__file__).resolve().parent.parent

# Report builds in the tests leave out the PDF (several seconds of layout each): the PDF has
# its own tests (tests/test_pdf.py), and the browser test builds the report with it.
os.environ["SCRLIB_REPORT_PDF"] = "0"


@pytest.fixture(scope="session")
def dataset():
    """The committed dataset, loaded once."""
    return load()


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A copy of the committed data/ folder in a temporary place."""
    target = tmp_path / "data"
    shutil.copytree(data_dir(), target)
    return target
