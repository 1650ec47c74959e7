"""Input checks that fail with a ValueError naming the column and the offending rows."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

MAX_ROWS_SHOWN = 10


def rows_text(labels: Iterable) -> str:
    """``[3, 7, 9]`` (at most ten labels, then how many more)."""
    labels = list(labels)
    shown = ", ".join(repr(x.item() if isinstance(x, np.generic) else x)
                      for x in labels[:MAX_ROWS_SHOWN])
    more = len(labels) - MAX_ROWS_SHOWN
    return f"[{shown}{f', ... ({more} more)' if more > 0 else ''}]"


def bad_rows(frame: pd.DataFrame, mask: np.ndarray) -> str:
    """The row labels of ``frame`` where ``mask`` is true, as text."""
    return rows_text(frame.index[np.asarray(mask, dtype=bool)])


def require_columns(frame: pd.DataFrame, columns: dict[str, str | None]) -> None:
    """Each named column (argument -> column) must exist in ``frame``."""
    for argument, column in columns.items():
        if column is not None and column not in frame.columns:
            raise ValueError(
                f"unknown column {column!r} (given as {argument}=); the data has columns "
                f"{list(frame.columns)}"
            )


def require_complete(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """No missing values in the named columns."""
    for column in columns:
        missing = frame[column].isna().to_numpy()
        if missing.any():
            raise ValueError(
                f"column {column!r} has missing values in rows {bad_rows(frame, missing)}; "
                "drop or fill them before fitting (a gap in time is allowed)"
            )


def numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    """The column as float64, or a ValueError naming the rows that are not numbers."""
    values = frame[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        converted = pd.to_numeric(values, errors="coerce")
        bad = converted.isna().to_numpy() | values.map(lambda v: isinstance(v, bool)).to_numpy()
        if bad.any() or pd.api.types.is_bool_dtype(values):
            rows = bad_rows(frame, bad) if bad.any() else "(the whole column is boolean)"
            raise ValueError(f"column {column!r} must hold numbers; not numbers in rows {rows}")
        values = converted
    return values.to_numpy(dtype=float)


def counts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Non-negative whole numbers (as float64), or a ValueError naming the bad rows."""
    values = numeric(frame, column)
    not_finite = ~np.isfinite(values)
    if not_finite.any():
        raise ValueError(f"column {column!r} has infinite values in rows "
                         f"{bad_rows(frame, not_finite)}")
    fractional = values != np.round(values)
    if fractional.any():
        raise ValueError(f"column {column!r} must hold whole-number counts; non-integer values "
                         f"in rows {bad_rows(frame, fractional)}")
    negative = values < 0
    if negative.any():
        raise ValueError(f"column {column!r} must hold counts >= 0; negative values in rows "
                         f"{bad_rows(frame, negative)}")
    return values


def positive(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """Finite values > 0 (an exposure), or a ValueError naming the bad rows."""
    values = numeric(frame, column)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise ValueError(f"column {column!r} ({what}) must be finite and > 0; bad values in rows "
                         f"{bad_rows(frame, bad)}")
    return values
