"""The columns of each table in ``data/``: names, whether required, and the kind of value.

This is the single description of the data format; the loader, ``scr check`` and
``datapackage.json`` are all derived from it (see ``data/README.md`` for the prose version).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_KINDS = (
    "parliamentary-answer",
    "official-statistics",
    "news",
    "blog",
    "report",
    "press-release",
    "guidance",
    "legislation",
    "web-page",
)
STAGES = (
    "initiated",
    "commissioned",
    "published",
    "received",
    "evaluated",
    "notified",
    "rapid-review",
    "analysed",
    "other",
    "context",  # a denominator (children in need, the population of children), not a review
)
UNITS = ("count", "percent")
# What the source's words say about a value: a count, or a bound on it ("more than 800").
QUALIFIERS = ("exact", "at least", "more than", "about", "at most")
PERIOD_BASES = ("stated", "inferred")
PRECISIONS = ("day", "month", "year")
SUBJECTS = ("figure", "event")
# What a resolution rests on: evidence (a later release, arithmetic, a primary source, the
# document itself) or a judgement the sources do not settle.
BASES = ("evidence", "judgement")
RULES = {
    "primary-over-retelling": (
        "prefer the source that reports the primary statement directly over a retelling of it"
    ),
    "later-revision": "prefer the later publication of the same producer's count",
    "arithmetic-typo": "the other value contradicts its own source's arithmetic",
    "own-account": "prefer a body's own report about itself over press reports",
    "official-over-secondary": "prefer official statistics over a secondary report of them",
    "document-date": "prefer the date printed on the document itself over another source's mention",
    "internal-evidence": (
        "the other value is contradicted by its own source's content (e.g. a page dated before "
        "the event it reports)"
    ),
    "later-release": (
        "a later release of the same official statistics supersedes an earlier one (releases "
        "revise earlier years)"
    ),
}
# DfE's symbols for a value a data set does not give as a number (see scrlib.record.ees).
WITHHELD_SYMBOLS = ("c", "x", "z", "low", "k", "u", ":", "~")


@dataclass(frozen=True)
class Column:
    """One column: its name, whether a value is required, its kind and allowed values."""

    name: str
    kind: str = "text"  # slug, text, url, date, partial-date, enum, number, period, slug-list
    required: bool = True
    choices: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Table:
    """One CSV file of the dataset."""

    name: str
    filename: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


SOURCES = Table(
    "sources",
    "sources.csv",
    (
        Column("source_id", "slug", description="identifier of the source"),
        Column("publisher", description="who published the page"),
        Column("producer", description="who produced the figures the page reports"),
        Column("title", description="title of the page or document"),
        Column("url", "url", description="the address read"),
        Column("date_published", "partial-date", False, description="YYYY-MM-DD, YYYY-MM or YYYY"),
        Column("date_note", required=False, description="how the date is known"),
        Column("date_accessed", "date", description="day the page was read"),
        Column("kind", "enum", choices=SOURCE_KINDS, description="kind of source"),
        Column("mirror_of", "slug", False,
               description="source_id of the registered original of a mirror or reprint"),
        Column("note", required=False),
        Column("publication", required=False, description="statistical publication (data sets)"),
        Column("release", required=False, description="release of the publication"),
        Column("dataset_id", required=False, description="EES data set id"),
        Column("dataset_version", required=False, description="EES data set version"),
        Column("copy", "enum", False, choices=("yes",),
               description="yes: a mirror or document-sharing copy of another publisher's page"),
        Column("original_note", required=False,
               description="for a copy whose original is not registered: what it is, and why"),
    ),
    ("source_id",),
    "Pages, answers, reports and data sets that state figures or dates.",
)

SERIES = Table(
    "series",
    "series.csv",
    (
        Column("series_id", "slug"),
        Column("name", description="short label for tables and legends"),
        Column("definition", description="what is counted, at which stage, by whom"),
        Column("stage", "enum", choices=STAGES),
        Column("counted_by", description="the body whose count it is"),
        Column("unit", "enum", choices=UNITS),
        Column("note", required=False),
        Column("part_of", "slug-list", False,
               description="series (separated by ';') this one counts a part of: for the same "
                           "period its value is never above theirs, and scr check refuses a "
                           "record where it is"),
    ),
    ("series_id",),
    "Things that are counted.",
)

FIGURES = Table(
    "figures",
    "figures.csv",
    (
        Column("figure_id", "slug"),
        Column("series_id", "slug"),
        Column("period_stated", description="the period as the source states it"),
        Column("period", "period", description="normalised period code"),
        Column("value", "number"),
        Column("value_as_written", required=False),
        Column("unit", "enum", choices=UNITS),
        Column("source_id", "slug"),
        Column("excerpt", required=False, description="verbatim words that state the value"),
        Column("derived_from", "slug-list", False),
        Column("note", required=False),
        Column("value_qualifier", "enum", choices=QUALIFIERS,
               description="exact, or the bound the source's words give (more than 800)"),
        Column("period_basis", "enum", choices=PERIOD_BASES,
               description="stated: the source states the period; inferred: read into it"),
        Column("period_inference", required=False,
               description="for an inferred period: what was inferred, and from what"),
    ),
    ("figure_id",),
    "Numbers stated by one source for one series and one period.",
)

EVENTS = Table(
    "events",
    "events.csv",
    (
        Column("event_id", "slug"),
        Column("label", description="short chart label"),
        Column("description"),
        Column("date", "partial-date"),
        Column("precision", "enum", choices=PRECISIONS),
        Column("source_id", "slug"),
        Column("excerpt"),
        Column("note", required=False),
        Column("evidence", "enum", choices=("primary", "secondary"),
               description="primary: the acting body's own statement (or a copy); "
                           "secondary: a report of it"),
        Column("not_before", "slug", False,
               description="an event whose date is the earliest this event's date can be, by "
                           "the sources (say why in note); the range sensitivity analyses vary"),
    ),
    ("event_id", "source_id"),
    "Dated claims about policy events; a disputed date has one row per source.",
)

RESOLUTIONS = Table(
    "resolutions",
    "resolutions.csv",
    (
        Column("conflict_id", "slug"),
        Column("subject", "enum", choices=SUBJECTS),
        Column("series_id", "slug", False),
        Column("period", "period", False),
        Column("event_id", "slug", False),
        Column("chosen_source_id", "slug"),
        Column("rule", "enum", choices=tuple(RULES)),
        Column("reason"),
        Column("basis", "enum", choices=BASES,
               description="evidence, or a judgement the sources do not settle"),
    ),
    ("conflict_id",),
    "Conflicts between sources and the rule that resolves each.",
)

WITHHELD = Table(
    "withheld",
    "withheld.csv",
    (
        Column("series_id", "slug"),
        Column("period", "period", description="normalised period code"),
        Column("source_id", "slug"),
        Column("symbol", "enum", choices=WITHHELD_SYMBOLS,
               description="the data set's symbol in place of a number"),
        Column("excerpt", description="the data set's row as published"),
        Column("note", required=False),
    ),
    ("series_id", "period", "source_id"),
    "Values a data set withholds (suppressed, not available, not applicable): never numbers.",
)

SYSTEMS = Table(
    "systems",
    "systems.csv",
    (
        Column("system_id", "slug"),
        Column("name", description="short label for charts and tables"),
        Column("description", description="one plain sentence: who reviews what, and when"),
        Column("start_event_id", "slug",
               description="the event (events.csv) whose date the system starts on"),
        Column("end_event_id", "slug", False,
               description="the event whose date it ends on; empty: still in force"),
        Column("note", required=False),
    ),
    ("system_id",),
    "The review systems, each dated by the events (and so the sources) that start and end it.",
)

SERIES_SYSTEMS = Table(
    "series_systems",
    "series-systems.csv",
    (
        Column("series_id", "slug"),
        Column("system_id", "slug"),
        Column("first_period", "period", False,
               description="the first period the series counts under the system; empty: from "
                           "its first figure"),
        Column("last_period", "period", False,
               description="the last period it counts under the system; empty: to its last"),
        Column("note", required=False),
    ),
    ("series_id", "system_id"),
    "Which review system each series counts under (a change of system is a break in definition).",
)

TABLES = (SOURCES, SERIES, FIGURES, EVENTS, RESOLUTIONS, WITHHELD, SYSTEMS, SERIES_SYSTEMS)
