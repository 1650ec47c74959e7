"""``data/datapackage.json``: a Frictionless Data Package made from :mod:`scrlib.record.schema`."""

from __future__ import annotations

import json
from pathlib import Path

from scrlib.record.schema import TABLES, Column, Table

_TYPES = {"number": "number", "date": "date"}
_PATTERNS = {
    "slug": r"[a-z0-9][a-z0-9-]*",
    "partial-date": r"\d{4}(-\d{2}(-\d{2})?)?",
    "url": r"https?://\S+",
    "slug-list": r"[a-z0-9][a-z0-9-]*(;[a-z0-9][a-z0-9-]*)*",
}
_FOREIGN = {  # a resource of "" is the table itself (a copy's registered original)
    "sources": [("mirror_of", "", "source_id")],
    "figures": [("source_id", "sources", "source_id"), ("series_id", "series", "series_id")],
    "events": [("source_id", "sources", "source_id")],
    "withheld": [("source_id", "sources", "source_id"), ("series_id", "series", "series_id")],
}


def _field(col: Column) -> dict:
    field = {"name": col.name, "type": _TYPES.get(col.kind, "string")}
    if col.description:
        field["description"] = col.description
    constraints = {}
    if col.required:
        constraints["required"] = True
    if col.choices:
        constraints["enum"] = list(col.choices)
    if col.kind in _PATTERNS:
        constraints["pattern"] = _PATTERNS[col.kind]
    if col.kind == "number":
        constraints["minimum"] = 0
    if constraints:
        field["constraints"] = constraints
    return field


def _resource(table: Table) -> dict:
    schema = {"fields": [_field(c) for c in table.columns], "missingValues": [""]}
    schema["primaryKey"] = list(table.key)
    if table.name in _FOREIGN:
        schema["foreignKeys"] = [
            {"fields": f, "reference": {"resource": r, "fields": rf}}
            for f, r, rf in _FOREIGN[table.name]
        ]
    return {
        "name": table.name,
        "path": table.filename,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": table.description,
        "schema": schema,
    }


def descriptor(dataset) -> dict:
    """The package descriptor: every table and field, and every source as a package source."""
    return {
        "name": "scr-england",
        "title": "Serious Case Reviews in England: cited public figures",
        "description": "Public figures on Serious Case Reviews and related counts in England, "
        "each with its source and the verbatim words that state it. See README.md.",
        "profile": "tabular-data-package",
        "licenses": [
            {
                "name": "other-at",
                "title": "Figures are facts quoted from the sources "
                "listed; excerpts are short quotations for citation",
            }
        ],
        "sources": [
            {"title": f"{row.publisher}: {row.title}", "path": row.url}
            for row in dataset.sources.sort_values("source_id").itertuples()
        ],
        "resources": [_resource(t) for t in TABLES],
    }


def write(dataset, path: Path | None = None) -> Path:
    """Write ``datapackage.json`` beside the data (sorted, indented, ending in a newline)."""
    path = path or Path(dataset.folder) / "datapackage.json"
    path.write_text(
        json.dumps(descriptor(dataset), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path
