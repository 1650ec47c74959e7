"""Domain records: a Source, a Series definition, a Figure and a PolicyEvent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def human_date(value: str) -> str:
    """'2014-04-22' -> '22 April 2014'; '2012-07' -> 'July 2012'; '2013' -> '2013'."""
    parts = value.split("-")
    if len(parts) == 3:
        return f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return value


@dataclass(frozen=True)
class Source:
    """What a citation records about a page: who, what, when, where, and when it was read."""

    source_id: str
    publisher: str
    producer: str
    title: str
    url: str
    date_published: str
    date_note: str
    date_accessed: str
    kind: str
    mirror_of: str
    note: str
    publication: str = ""  # for a data set: its publication, release, EES id and version
    release: str = ""
    dataset_id: str = ""
    dataset_version: str = ""
    copy: str = ""  # "yes": a mirror or document-sharing copy of another publisher's page
    original_note: str = ""  # for a copy whose original is not registered: what it is, and why

    @classmethod
    def from_row(cls, row) -> Source:
        return cls(**{f: str(row[f]) for f in cls.__dataclass_fields__})

    @property
    def is_copy(self) -> bool:
        return self.copy == "yes"

    @property
    def year(self) -> str:
        """The year published, or 'n.d.' (no date shown)."""
        return self.date_published[:4] if self.date_published else "n.d."

    @property
    def short(self) -> str:
        """A short attribution for chart source lines: 'Stowe Family Law (2014)'."""
        return f"{self.publisher} ({self.year})"

    @property
    def accessed(self) -> dt.date:
        return dt.date.fromisoformat(self.date_accessed)


@dataclass(frozen=True)
class Series:
    """A thing that is counted: its name and written definition."""

    series_id: str
    name: str
    definition: str
    stage: str
    counted_by: str
    unit: str
    note: str

    @classmethod
    def from_row(cls, row) -> Series:
        return cls(**{f: str(row[f]) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Figure:
    """One number stated by one source for one series and period, with the words that state it."""

    figure_id: str
    series_id: str
    period_stated: str
    period: str
    value: float
    unit: str
    source_id: str
    excerpt: str
    note: str

    @classmethod
    def from_row(cls, row) -> Figure:
        values = {f: row[f] for f in cls.__dataclass_fields__}
        values["value"] = float(values["value"])
        return cls(**{k: (v if k == "value" else str(v)) for k, v in values.items()})


@dataclass(frozen=True)
class PolicyEvent:
    """A dated policy event, with how precise the date is and who says so."""

    event_id: str
    label: str
    description: str
    date: str
    precision: str
    source_id: str
    excerpt: str

    @classmethod
    def from_row(cls, row) -> PolicyEvent:
        return cls(**{f: str(row[f]) for f in cls.__dataclass_fields__})

    @property
    def when(self) -> dt.date:
        """The first day the date can mean (the 1st of a month given to the month)."""
        parts = [int(p) for p in self.date.split("-")] + [1, 1]
        return dt.date(*parts[:3])
