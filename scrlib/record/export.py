"""Tidy exports: every figure with its citation columns, as one CSV."""

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


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write a CSV with fixed formatting (UTF-8, '\\n' line ends, shortest float repr)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path
