"""Shared fixtures: a private copy of data/ that a test may break, and the loaded dataset."""

from __future__ import annotations

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
