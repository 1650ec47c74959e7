"""Read the data files as text and find every problem, each with file, line and field.

``read_dataset`` never raises on bad data: it returns the rows it could read and the list of
problems. The loader refuses to build tables when that list is not empty; ``scr check`` prints it.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from scrlib.record.periods import PeriodError, parse_period, year_problem
from scrlib.record.problems import Problem
from scrlib.record.schema import FIGURES, TABLES, Column, Table

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
URL = re.compile(r"^https?://[^\s]+$")
# ASCII digits only: ``\d`` also matches fullwidth or Arabic-Indic digits (unreadable to load).
PARTIAL_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
DIGITS = frozenset("0123456789")
MAX_DIGITS = 15
"""The most digits a value may have in all: a float64 holds every number of 15 digits exactly."""
# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: never in a
# field (a NUL, a tab or a line break inside a cell is a damaged file, not a source's words).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    w: 10 * i
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)
}


def shown(value: str, limit: int = 24) -> str:
    """``value`` quoted for a message, cut short if it is long."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def control_problem(value: str) -> str | None:
    """What is wrong with a text holding a control character, or None."""
    found = CONTROL.search(value)
    if found is None:
        return None
    return (f"holds the control character U+{ord(found.group()):04X} at position "
            f"{found.start() + 1}; fields hold printable text only")


def number_problem(value: str) -> str | None:
    """What is wrong with the text of a value, or None: ASCII digits with an optional decimal
    point, at most :data:`MAX_DIGITS` digits, never negative."""
    if not NUMBER.match(value):
        if value.startswith("-") and NUMBER.match(value[1:]):
            return f"{shown(value)} is negative; counts and percents are never below 0"
        return (f"{shown(value)} is not a number (ASCII digits 0-9, optional decimal point, "
                "no separators)")
    digits = len(value) - value.count(".")
    if digits > MAX_DIGITS:
        return f"{shown(value)} has {digits} digits; a value has at most {MAX_DIGITS}"
    return None


def field_problem(col: Column, value: str) -> str | None:
    """What is wrong with a field's text, control characters included, or None."""
    return control_problem(value) or check_value(col, value)


def is_number(value: str) -> bool:
    """Whether ``value`` is a value the loader reads exactly (see :func:`number_problem`)."""
    return number_problem(value) is None


@dataclass
class Row:
    """One data row: the line it starts on and its values by column name (stripped text)."""

    line: int
    values: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class RawDataset:
    """The rows of every table, as text, with the files they came from."""

    folder: Path
    rows: dict[str, list[Row]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)


def read_table(path: Path, table: Table, problems: list[Problem]) -> list[Row]:
    """Read one CSV file; append a problem for a missing or unreadable file, a bad header, a
    malformed row or a field holding a control character."""
    from scrlib.record.inputs import InputError, read_file

    where = str(path)
    try:  # a regular file within the input limit: a FIFO or a device is never read
        text = read_file(path, what=f"file (the {table.name} table)").decode("utf-8-sig")
    except InputError as exc:
        reason = (f"missing file (the {table.name} table)" if not os.path.lexists(path)
                  else f"a folder, not a file (the {table.name} table)" if path.is_dir()
                  else exc.reason)
        problems.append(Problem(where, 0, "-", reason))
        return []
    except UnicodeDecodeError as exc:
        problems.append(Problem(where, 1, "-", f"not UTF-8 text ({exc.reason})"))
        return []
    lines = text.splitlines(keepends=True)
    if not lines:
        problems.append(Problem(where, 1, "-", "empty file: expected a header row"))
        return []
    reader = csv.reader(lines, strict=True)
    try:
        names = next(reader)
        header = [h.strip() for h in names]
    except csv.Error as exc:
        problems.append(Problem(where, 1, "-", f"unreadable header ({exc})"))
        return []
    expected = table.column_names
    for name in expected:
        if name not in header:
            problems.append(Problem(where, 1, name, "missing column"))
    for name in header:
        if name not in expected:
            problems.append(Problem(where, 1, name or "(blank)", "unexpected column"))
    for name in names:
        if control_problem(name):
            problems.append(Problem(where, 1, name.strip() or "(blank)",
                                    f"column name {control_problem(name)}"))
    if len(set(header)) != len(header):
        problems.append(Problem(where, 1, "-", "a column name appears twice"))
    if any(p.path == where and p.line == 1 for p in problems):
        return []
    rows: list[Row] = []
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(where, start, "-", f"malformed CSV ({exc}); truncated file?"))
            break
        if not record or all(not v.strip() for v in record):
            if record:
                problems.append(Problem(where, start, "-", "blank row"))
            start = reader.line_num + 1
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    where,
                    start,
                    "-",
                    f"{len(record)} fields where the header has {len(header)}"
                    + ("; truncated file?" if len(record) < len(header) else ""),
                )
            )
        else:
            for name, value in zip(header, record, strict=True):
                if control_problem(value):
                    problems.append(Problem(where, start, name, control_problem(value)))
            rows.append(Row(start, {h: v.strip() for h, v in zip(header, record, strict=True)}))
        start = reader.line_num + 1
    if not text.endswith(("\n", "\r")) and rows:
        problems.append(
            Problem(where, rows[-1].line, "-", "file does not end with a line break; truncated?")
        )
    return rows


def check_value(col: Column, value: str) -> str | None:
    """What is wrong with one field's text, by its column's kind, or None."""
    if not value:
        return "required value is blank" if col.required else None
    if col.kind == "slug" and not SLUG.match(value):
        return f"{shown(value)} is not an identifier (lower-case letters, digits and hyphens)"
    if col.kind == "url" and not URL.match(value):
        return f"{shown(value)} is not an http(s) URL"
    if col.kind in ("date", "partial-date"):
        return _check_date(value, partial=col.kind == "partial-date")
    if col.kind == "enum" and value not in col.choices:
        return f"{shown(value)} is not one of: {', '.join(col.choices)}"
    if col.kind == "number":
        return number_problem(value)
    if col.kind == "period":
        try:
            parse_period(value)
        except (PeriodError, ValueError, OverflowError) as exc:
            return str(exc)
    if col.kind == "slug-list":
        bad = [v for v in value.split(";") if not SLUG.match(v.strip())]
        if bad:
            return f"{shown(bad[0])} is not an identifier; separate identifiers with ';'"
    return None


def _check_date(value: str, *, partial: bool) -> str | None:
    m = PARTIAL_DATE.match(value)
    if not m or (not partial and m.group(3) is None):
        form = "YYYY-MM-DD, YYYY-MM or YYYY" if partial else "YYYY-MM-DD"
        return f"{shown(value)} is not a date of the form {form}"
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if year_problem(year, value):
        return year_problem(year, value)
    try:
        dt.date(year, int(month or 1), int(day or 1))
    except ValueError:
        return f"{value!r} is not a real date"
    return None


def date_precision(value: str) -> str:
    """``day``, ``month`` or ``year``: how precise a partial date is."""
    return {1: "year", 2: "month", 3: "day"}[len(value.split("-"))]


def words_to_number(text: str) -> int | None:
    """Read 'Thirty-six' or 'twelve' as a number (0-99), or None."""
    parts = re.split(r"[\s-]+", text.strip().lower())
    total = 0
    for part in parts:
        if part in _WORDS:
            total += _WORDS[part]
        elif part in _TENS:
            total += _TENS[part]
        else:
            return None
    return total


def written_number(text: str) -> float | None:
    """The number a written value states ('1,704', '35 per cent', 'Thirty-six'), or None."""
    m = re.search(r"[0-9][0-9,]*(?:\.[0-9]+)?", text)
    if m:
        return float(m.group(0).replace(",", ""))
    return words_to_number(re.sub(r"(per ?cent|%)", "", text, flags=re.I))


def _token_in(needle: str, text: str) -> bool:
    """Whether ``needle`` occurs in ``text`` not glued to other digits (13 is not in 2013)."""
    pattern = re.escape(needle)
    if needle[:1] in DIGITS:  # not the tail of 1,704 or 3.5 (a comma after a word is fine)
        # four digits or more after 'digit,' cannot continue a number (its groups have three):
        # in a CSV row '357,402400' the 402400 is a cell of its own
        cell = re.match(r"[0-9]{4}", needle) is not None
        pattern = r"(?<![0-9.])" + ("" if cell else r"(?<![0-9],)") + pattern
    if needle[-1:] in DIGITS:
        pattern += r"(?![0-9]|[.,][0-9])"
    return re.search(pattern, text, flags=re.I) is not None


def value_forms(value: str, unit: str) -> list[str]:
    """The ways an excerpt may write ``value``: 1704, 1,704; for percents also 35%, 35 per cent."""
    whole, _, frac = value.partition(".")
    grouped = f"{int(whole):,}" + (f".{frac}" if frac else "")
    forms = list(dict.fromkeys([value, grouped]))
    if unit == "percent":
        forms = [f"{f}{suffix}" for f in forms for suffix in ("%", " per cent", " percent")]
    return forms


def check_figure_value(row: Row, *, table_row: bool = False) -> list[tuple[str, str]]:
    """(field, message) pairs for a figure whose value is out of range or not in its excerpt.
    With ``table_row`` (a figure from a data set release, whose excerpt is its CSV row as
    published) the value may also be one of the row's cells: ``...,300,65.2`` holds 300 in its
    own cell, beside another column's 65.2, though prose would read 300,65 as one number."""
    value, unit = row["value"], row["unit"]
    if not is_number(value) or unit not in ("count", "percent"):
        return []  # reported by the field checks
    out: list[tuple[str, str]] = []
    number = float(value)
    if unit == "count" and "." in value:
        out.append(("value", f"{value} is not a whole number, but the unit is count"))
    if unit == "percent" and number > 100:
        out.append(("value", f"{value} is over 100, but the unit is percent"))
    excerpt, written = row["excerpt"], row["value_as_written"]
    if not excerpt:
        if not row["derived_from"]:
            out.append(("excerpt", "required: the verbatim words that state the value"))
        return out
    if written:
        stated = written_number(written)
        if stated is None:
            out.append(("value_as_written", f"{written!r} cannot be read as a number"))
        elif stated != number:
            out.append(
                ("value_as_written", f"{written!r} states {stated:g}, not the value {value}")
            )
        if not _token_in(written, excerpt):
            out.append(("excerpt", f"does not contain the value as written ({written!r})"))
    elif table_row:  # a data set's cell holds a percent as a plain number
        forms = list(dict.fromkeys([*value_forms(value, "count"), *value_forms(value, unit)]))
        if not (_in_a_cell(forms, excerpt)
                or any(_token_in(form, excerpt) for form in value_forms(value, unit))):
            out.append(("excerpt", f"no cell of the data set's row holds the value {value} "
                        f"(looked for a cell {' or '.join(forms)}; the row as published: "
                        f"{shown(excerpt, 120)})"))
    elif not any(_token_in(form, excerpt) for form in value_forms(value, unit)):
        out.append(
            (
                "excerpt",
                f"does not contain the value {value} as written "
                f"(looked for {', '.join(value_forms(value, unit))}; "
                "use value_as_written if the source words it otherwise)",
            )
        )
    return out


def _in_a_cell(forms: list[str], excerpt: str) -> bool:
    """Whether a cell of ``excerpt`` read as a CSV row, or as a table row as a release's page
    shows it (cells between ``|``), is one of ``forms``."""
    try:
        cells = next(csv.reader([excerpt], strict=True), [])
    except csv.Error:
        cells = []
    cells = [*cells, *excerpt.split("|")]
    return any(cell.strip() in forms for cell in cells)


BOUND_WORDS = r"(?:more than|over|at least|almost|nearly|around|about|approximately|some|up to|fewer than|less than|under|at most)"  # noqa: E501


def bound_in_excerpt(row: Row) -> str:
    """The bound words right before the value in the excerpt ('more than 800'), or ''."""
    excerpt, value = row["excerpt"], row["value"]
    if not excerpt or not is_number(value or ""):
        return ""
    forms = [row["value_as_written"]] if row["value_as_written"] else value_forms(
        value, row["unit"] or "count")
    for form in filter(None, forms):
        found = re.search(rf"\b({BOUND_WORDS})\s+{re.escape(form)}(?![0-9]|[.,][0-9])", excerpt,
                          flags=re.I)
        if found:
            return found.group(0)
    return ""


def read_dataset(folder: Path) -> tuple[RawDataset, list[Problem]]:
    """Read and check every table in ``folder``; return the rows and all problems found."""
    folder = Path(folder)
    problems: list[Problem] = []
    raw = RawDataset(folder)
    if not folder.is_dir():
        what = "a file" if folder.exists() else "no such folder"
        names = ", ".join(t.filename for t in TABLES)
        return raw, [Problem(str(folder), 0, "-", f"not a data folder ({what}); it holds {names}")]
    for table in TABLES:
        path = folder / table.filename
        raw.paths[table.name] = str(path)
        rows = read_table(path, table, problems)
        found = {(p.line, p.field) for p in problems if p.path == str(path)}
        for row in rows:
            for col in table.columns:
                if (row.line, col.name) in found:  # a control character, reported once
                    continue
                message = check_value(col, row[col.name])
                if message:
                    problems.append(Problem(str(path), row.line, col.name, message))
        raw.rows[table.name] = rows
    problems.extend(_cross_checks(raw))
    journal = folder / ".ingest-journal.json"
    if journal.exists():
        problems.append(Problem(str(journal), 0, "-", "an ingest was cut off before all its "
                                "checked tables were swapped in; scr ingest --finish completes "
                                "it (or says why it cannot)"))
    return raw, problems


def _cross_checks(raw: RawDataset) -> list[Problem]:
    out: list[Problem] = []
    p = raw.paths

    def bad(table: str, row: Row, name: str, message: str) -> None:
        out.append(Problem(p[table], row.line, name, message))

    def unique(table: str, key: tuple[str, ...]) -> None:
        seen: dict[tuple[str, ...], int] = {}
        for row in raw.rows[table]:
            k = tuple(row[c] for c in key)
            if all(k) and k in seen:
                bad(table, row, key[-1], f"duplicate {'/'.join(key)} {k} (first on line {seen[k]})")
            seen.setdefault(k, row.line)

    unique("sources", ("source_id",))
    unique("series", ("series_id",))
    unique("figures", ("figure_id",))
    unique("figures", ("series_id", "period", "source_id"))
    unique("events", ("event_id", "source_id"))
    unique("resolutions", ("conflict_id",))

    sources = {r["source_id"] for r in raw.rows["sources"]}
    series = {r["series_id"]: r for r in raw.rows["series"]}
    figure_ids = {r["figure_id"] for r in raw.rows["figures"]}
    releases = {r["source_id"] for r in raw.rows["sources"] if r["release"]}  # data sets

    for row in raw.rows["sources"]:
        mirror = row["mirror_of"]
        if mirror and mirror not in sources:
            bad("sources", row, "mirror_of",
                f"{mirror!r} is not a registered source_id: register the original as a source "
                "(read on its own page), or leave mirror_of empty and say in original_note what "
                "the original is and, if its address was not read, that it is inferred")
        if mirror and mirror == row["source_id"]:
            bad("sources", row, "mirror_of", "a source cannot be a mirror of itself")
        if row["copy"] == "yes" and not mirror and not row["original_note"]:
            bad("sources", row, "mirror_of", "a copy needs its original (a source id) in "
                "mirror_of, or original_note saying what the original is and why it is not "
                "registered")

    for row in raw.rows["figures"]:
        if row["source_id"] and row["source_id"] not in sources:
            bad("figures", row, "source_id", f"unknown source {row['source_id']!r}")
        s = series.get(row["series_id"])
        if row["series_id"] and s is None:
            bad("figures", row, "series_id", f"unknown series {row['series_id']!r}")
        elif s is not None and row["unit"] and s["unit"] and row["unit"] != s["unit"]:
            bad(
                "figures",
                row,
                "unit",
                f"{row['unit']!r} but series {s['series_id']} is {s['unit']}",
            )
        for name in filter(None, (d.strip() for d in row["derived_from"].split(";"))):
            if name not in figure_ids:
                bad("figures", row, "derived_from", f"unknown figure {name!r}")
        for name, message in check_figure_value(row, table_row=row["source_id"] in releases):
            bad("figures", row, name, message)
        if row["period_basis"] == "inferred" and not row["period_inference"]:
            bad("figures", row, "period_inference",
                "required when period_basis is inferred: say what was inferred, and from what")
        bound = bound_in_excerpt(row)
        if bound and row["value_qualifier"] == "exact":
            bad("figures", row, "value_qualifier",
                f"exact, but the excerpt says {bound!r}: a bound, not an exact count")

    for row in raw.rows["events"]:
        if row["source_id"] and row["source_id"] not in sources:
            bad("events", row, "source_id", f"unknown source {row['source_id']!r}")
        date, precision = row["date"], row["precision"]
        if PARTIAL_DATE.match(date) and precision in ("day", "month", "year"):
            if date_precision(date) != precision:
                bad(
                    "events",
                    row,
                    "precision",
                    f"{precision!r} but the date {date} is to the {date_precision(date)}",
                )

    event_dates: dict[str, list[str]] = defaultdict(list)
    for row in raw.rows["events"]:
        event_dates[row["event_id"]].append(row["date"])
    for row in raw.rows["events"]:
        floor = row["not_before"]
        if not floor:
            continue
        if floor not in event_dates:
            bad("events", row, "not_before", f"unknown event {floor!r}")
        elif floor == row["event_id"]:
            bad("events", row, "not_before", "an event cannot bound itself")
        elif all(PARTIAL_DATE.match(d) for d in [*event_dates[floor], row["date"]]):
            earliest = min(event_dates[floor])
            if earliest[:len(row["date"])] > row["date"]:
                bad("events", row, "not_before",
                    f"{floor} is dated {earliest}, after this row's date {row['date']}")

    for row in raw.rows["withheld"]:
        if row["source_id"] and row["source_id"] not in sources:
            bad("withheld", row, "source_id", f"unknown source {row['source_id']!r}")
        if row["series_id"] and row["series_id"] not in series:
            bad("withheld", row, "series_id", f"unknown series {row['series_id']!r}")
        cells = [c.strip() for c in next(csv.reader([row["excerpt"]]), [])]
        if row["symbol"] and row["symbol"] not in cells:
            bad("withheld", row, "excerpt",
                f"has no cell holding the symbol {row['symbol']!r} (the row as published)")
    unique("withheld", ("series_id", "period", "source_id"))

    out.extend(_conflict_checks(raw, sources))
    out.extend(_part_checks(raw, series))
    from scrlib.record.systems import system_problems  # the review systems (systems.py)

    out.extend(system_problems(raw))
    return out


# What a figure's qualifier says of the count: the count is at least the value (a lower bound
# holds), or at most it (an upper bound holds); "about" says neither.
_AT_LEAST = ("exact", "at least", "more than")
_AT_MOST = ("exact", "at most")


def part_of(series: dict[str, Row]) -> dict[str, set[str]]:
    """Each series -> every series it counts a part of (``part_of``, followed through: a part
    of a part is a part)."""
    direct = {sid: {p.strip() for p in row["part_of"].split(";") if p.strip()}
              for sid, row in series.items()}
    out: dict[str, set[str]] = {}
    for sid in direct:
        seen, todo = set(), list(direct[sid])
        while todo:
            whole = todo.pop()
            if whole not in seen and whole in direct:
                seen.add(whole)
                todo.extend(direct[whole])
        out[sid] = seen
    return out


def _part_checks(raw: RawDataset, series: dict[str, Row]) -> list[Problem]:
    """A ``part_of`` that names no series, or the series itself (or makes a loop); and a figure
    of a part above a figure of its whole for the same period (whichever of the two comes later
    in figures.csv is named, with the other's line: a notebook that reads one as a share of the
    other, or a subset of it, could not use the record)."""
    out: list[Problem] = []
    path = raw.paths["series"]
    for row in raw.rows["series"]:
        for name in filter(None, (p.strip() for p in row["part_of"].split(";"))):
            if name not in series:
                out.append(Problem(path, row.line, "part_of", f"unknown series {name!r}"))
    wholes = part_of(series)
    for sid, row in series.items():
        if sid in wholes[sid]:
            out.append(Problem(path, row.line, "part_of", f"{sid} would be a part of itself "
                               "(through part_of); a part is smaller than its whole"))
    by_period: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in raw.rows["figures"]:
        if is_number(row["value"]) and row["series_id"] in series:
            by_period[(row["series_id"], row["period"])].append(row)
    where = Path(raw.paths["figures"]).name
    for (sid, period), parts in by_period.items():
        for whole_id in sorted(wholes.get(sid, ()) - {sid}):
            for part in parts:
                for whole in by_period.get((whole_id, period), []):
                    if not (part["value_qualifier"] in _AT_LEAST
                            and whole["value_qualifier"] in _AT_MOST
                            and float(part["value"]) > float(whole["value"])):
                        continue
                    said = (f"{_named(part, series)} and {_named(whole, series)}: "
                            f"{series[sid]['name']} counts a part of "
                            f"{series[whole_id]['name']} (series.csv part_of), so it cannot "
                            "be the larger; one of the two figures is wrong")
                    later, other = (part, whole) if part.line > whole.line else (whole, part)
                    out.append(Problem(raw.paths["figures"], later.line, "value",
                                       f"contradicts {where} line {other.line}: {said}"))
    return out


def _named(row: Row, series: dict[str, Row]) -> str:
    return (f"{row['value']} {series[row['series_id']]['name']} ({row['series_id']}) in "
            f"{row['period']} from {row['source_id']} (line {row.line})")


def figure_conflicts(rows: list[Row]) -> dict[tuple[str, str], list[Row]]:
    """Figures grouped by (series_id, period) where the sources give different values."""
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        if is_number(row["value"]):  # a malformed value is reported on its own
            groups[(row["series_id"], row["period"])].append(row)
    return {k: g for k, g in groups.items() if len({_num(r["value"]) for r in g}) > 1}


def dates_agree(dates) -> bool:
    """Whether partial dates can be the same day (2006-04 agrees with 2006-04-01, not 2006-05)."""
    dates = sorted(set(dates), key=len)
    return all(later.startswith(d) for i, d in enumerate(dates) for later in dates[i + 1:])


def event_conflicts(rows: list[Row]) -> dict[str, list[Row]]:
    """Event rows grouped by event_id where the sources give dates that cannot agree."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row["event_id"]].append(row)
    return {k: g for k, g in groups.items() if not dates_agree(r["date"] for r in g)}


def _num(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _conflict_checks(raw: RawDataset, sources: set[str]) -> list[Problem]:
    out: list[Problem] = []
    path = raw.paths["resolutions"]
    fig_conflicts = figure_conflicts(raw.rows["figures"])
    ev_conflicts = event_conflicts(raw.rows["events"])
    resolved: dict[tuple, int] = {}
    for row in raw.rows["resolutions"]:
        subject = row["subject"]
        if subject == "figure":
            key: tuple = ("figure", row["series_id"], row["period"])
            group = fig_conflicts.get(key[1:])
            for name in ("series_id", "period"):
                if not row[name]:
                    out.append(Problem(path, row.line, name, "required for a figure conflict"))
            what = f"series {row['series_id']} in {row['period']}"
        elif subject == "event":
            key = ("event", row["event_id"])
            group = ev_conflicts.get(row["event_id"])
            if not row["event_id"]:
                out.append(Problem(path, row.line, "event_id", "required for an event conflict"))
            what = f"event {row['event_id']}"
        else:
            continue
        if key in resolved:
            out.append(
                Problem(
                    path,
                    row.line,
                    "conflict_id",
                    f"a second resolution for {what} (first on line {resolved[key]})",
                )
            )
        resolved.setdefault(key, row.line)
        if group is None:
            out.append(
                Problem(
                    path,
                    row.line,
                    "conflict_id",
                    f"no conflict to resolve: the sources agree on {what} "
                    "or it has fewer than two rows",
                )
            )
            continue
        chosen = row["chosen_source_id"]
        if chosen and chosen not in {r["source_id"] for r in group}:
            out.append(
                Problem(
                    path,
                    row.line,
                    "chosen_source_id",
                    f"{chosen!r} is not one of the sources in conflict: "
                    + ", ".join(sorted({r["source_id"] for r in group})),
                )
            )
    for (series_id, period), group in fig_conflicts.items():
        if ("figure", series_id, period) not in resolved:
            values = ", ".join(f"{r['value']} ({r['source_id']})" for r in group)
            for r in group:
                out.append(
                    Problem(
                        raw.paths["figures"],
                        r.line,
                        "value",
                        f"conflict without a resolution for {series_id} in {period}: "
                        f"{values}; add a row to resolutions.csv",
                    )
                )
    for event_id, group in ev_conflicts.items():
        if ("event", event_id) not in resolved:
            dates = ", ".join(f"{r['date']} ({r['source_id']})" for r in group)
            for r in group:
                out.append(
                    Problem(
                        raw.paths["events"],
                        r.line,
                        "date",
                        f"conflicting dates without a resolution for {event_id}: "
                        f"{dates}; add a row to resolutions.csv",
                    )
                )
    return out


__all__ = ["FIGURES", "RawDataset", "Row", "read_dataset"]
