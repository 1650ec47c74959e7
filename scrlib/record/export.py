"""Tidy exports: every figure with its citation columns, as one CSV.

``scr export`` writes cells a spreadsheet cannot run: as OWASP recommends against CSV (formula)
injection, a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a single quote in front (``'=1+2``), which a spreadsheet shows as text and does not
evaluate (:func:`spreadsheet_safe`). ``scr export --raw`` writes the cells as they are, for a
program that reads the CSV. Numbers are never changed (``scr check`` allows no negative value).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

EXPORT_COLUMNS = [
    "figure_id",
    "series_id",
    "series_name",
    "period",
    "period_kind",
    "period_stated",
    "period_basis",
    "period_inference",
    "start",
    "end",
    "value",
    "value_qualifier",
    "unit",
    "source_id",
    "publisher",
    "producer",
    "title",
    "url",
    "date_published",
    "date_accessed",
    "source_kind",
    "mirror_of",
    "excerpt",
    "derived_from",
    "in_conflict",
    "used_when_resolved",
]


def tidy_figures(dataset) -> pd.DataFrame:
    """All figures, one row each, with series name, citation columns and conflict flags."""
    figs = dataset.figures.merge(
        dataset.series[["series_id", "name"]].rename(columns={"name": "series_name"}),
        on="series_id",
    ).merge(
        dataset.sources[
            [
                "source_id",
                "publisher",
                "producer",
                "title",
                "url",
                "date_published",
                "date_accessed",
                "kind",
                "mirror_of",
            ]
        ].rename(columns={"kind": "source_kind"}),
        on="source_id",
    )
    conflicts = dataset.conflicts()
    figs["in_conflict"] = figs["figure_id"].isin(conflicts["figure_id"])
    resolved = dataset.resolved()
    used = {
        (s, p, v)
        for s, p, v in zip(
            resolved["series_id"], resolved["period"], resolved["value"], strict=True
        )
    }
    figs["used_when_resolved"] = [
        (s, p, v) in used
        for s, p, v in zip(figs["series_id"], figs["period"], figs["value"], strict=True)
    ]
    figs["start"] = figs["start"].dt.strftime("%Y-%m-%d")
    figs["end"] = figs["end"].dt.strftime("%Y-%m-%d")
    return figs.sort_values(["series_id", "start", "end", "source_id"])[EXPORT_COLUMNS].reset_index(
        drop=True
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP, CSV injection)."""


def safe_cell(value):
    """``value`` with a single quote in front if it is text a spreadsheet would read as a
    formula (it begins with one of :data:`FORMULA_START`); anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells a spreadsheet will not run (see :func:`safe_cell`)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(safe_cell).astype(out[column].dtype)
    return out


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write a CSV with fixed formatting (UTF-8, '\\n' line ends, shortest float repr)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path
