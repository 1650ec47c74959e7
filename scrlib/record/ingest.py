"""``scr ingest``: add an Explore Education Statistics release's values to ``data/`` as cited
figures, through the committed mapping ``data/ees-mapping.csv``.

Each value becomes a figure whose excerpt is its CSV row as published; a symbol (suppressed, not
available) goes to ``withheld.csv``, never into a number. A value that differs from one already in
``data/`` for the same series and period is added beside it, and the conflict is resolved by the
written rule ``later-release`` in publication order (``--published``, else the EES version's
date): the release published later is used, whichever was ingested last. A value some source
already gives is left alone, so a second run on the same release adds nothing.

Nothing harmful gets in, nothing is lost: a value with more than 15 digits or in other than ASCII
digits, a cell holding a control character, a row with a cell that begins as a spreadsheet
formula would (``=``, ``+``, ``-`` other than a negative number, ``@``, tab, carriage return) is
refused with the input's file, line and column; every new row is checked as ``scr check`` would
before anything is staged, and the staged tables again before any file is replaced (a problem
found there is named at the input row it came from). Reading ``data/``, planning and writing
happen while holding ``data/``'s lock, so a second run plans against what the first wrote. Each
table is written beside its target (``.<table>.ingest-<pid>``) and flushed to disk, a journal
names them, and only then are they renamed into place: a run cut off midway is finished by the
next (or ``--finish``), and the files of a run killed before its journal was in place are
removed by the next (``scr check`` warns of them meanwhile).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from scrlib.record import ees
from scrlib.record.ees import EesError
from scrlib.record.schema import FIGURES, SOURCES, TABLES, WITHHELD, Table
from scrlib.record.validate import (
    NUMBER,
    Row,
    check_figure_value,
    field_problem,
    number_problem,
    read_dataset,
    shown,
)

MAPPING_FILE = "ees-mapping.csv"
MAPPING_COLUMNS = ("dataset", "ees_dataset_id", "title", "publication", "geographic_level",
                   "filters", "indicator", "series_id", "note")
PUBLISHER = "Department for Education, Explore Education Statistics"
PRODUCER = "Department for Education"
RULE = "later-release"
EXIT_INGEST = 4
JOURNAL = ".ingest-journal.json"  # tables checked and ready to swap in (see finish_pending)
WRITES = ("sources.csv", "figures.csv", "withheld.csv", "resolutions.csv")  # tables ingest writes
PART = re.compile(r"^\.(?P<name>.+)\.ingest-(?P<pid>[0-9]{1,9})$")  # .<file>.ingest-<pid>
BUSY_HINT = "try again once it has finished"
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet reads a cell beginning so as a formula
SIGNED = re.compile(r"-[0-9]+(\.[0-9]+)?")  # a negative number: a spreadsheet's number, no formula


class IngestError(Exception):
    """Ingest stopped; the message names the file or address, the line and the field.
    ``unchanged`` is False only when checked tables wait in the journal (``--finish``)."""

    exit_code = EXIT_INGEST
    unchanged = True


def _cannot_write(exc: OSError, folder: Path) -> IngestError:
    """The IngestError for an OSError met while holding ``folder``'s lock (a read-only folder,
    a full disk, a lock path that is a folder): the path and the reason in one line, and
    whether ``folder`` is as it was or an ingest waits in its journal."""
    try:
        pending = (folder / JOURNAL).exists()
    except OSError:
        pending = False
    path = exc.filename or folder
    error = IngestError(
        f"{path}:0: -: cannot write it ({exc.strerror or exc})" + (
            "; the checked tables are named in the ingest journal, and scr ingest --finish "
            "swaps them in once the folder can be written" if pending else ""))
    error.unchanged = not pending
    return error


@dataclass(frozen=True)
class MappingRow:
    """One series a data set feeds: which rows (level, filters) and which column."""

    line: int
    dataset: str
    ees_dataset_id: str
    title: str
    publication: str
    geographic_level: str
    filters: tuple[tuple[str, str], ...]
    indicator: str
    series_id: str


def read_mapping(path: Path) -> list[MappingRow]:
    """The mapping file's rows; IngestError names the line and field of a malformed one."""
    from scrlib.record.inputs import InputError, read_file

    try:
        text = read_file(path, what="mapping file").decode("utf-8-sig")
    except InputError as exc:
        raise IngestError(f"{path}:0: -: cannot read the mapping ({exc.reason})") from None
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}:1: -: the mapping is not UTF-8 text ({exc.reason})") from None
    reader = csv.DictReader(io.StringIO(text))
    names = list(reader.fieldnames or ())
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise IngestError(f"{path}:1: {twice[0]}: column name duplicated")
    missing = [c for c in MAPPING_COLUMNS if c not in names]
    if missing:
        raise IngestError(f"{path}:1: {missing[0]}: missing column")
    rows = []
    for number, row in enumerate(reader, start=2):
        for name in ("dataset", "title", "geographic_level", "indicator", "series_id"):
            if not (row.get(name) or "").strip():
                raise IngestError(f"{path}:{number}: {name}: required")
        pairs = []
        for part in filter(None, (p.strip() for p in (row["filters"] or "").split(";"))):
            column, eq, value = part.partition("=")
            if not eq or not column.strip() or not value.strip():
                raise IngestError(f"{path}:{number}: filters: {part!r} is not column=value")
            pairs.append((column.strip(), value.strip()))
        rows.append(MappingRow(number, row["dataset"].strip(), row["ees_dataset_id"].strip(),
                               row["title"].strip(), row["publication"].strip(),
                               row["geographic_level"].strip(), tuple(pairs),
                               row["indicator"].strip(), row["series_id"].strip()))
    return rows


@dataclass(frozen=True)
class Release:
    """Where the values came from: the mapping's data set name, the address read, the release
    as the publisher names it, the data set version and dates (what the source row records)."""

    dataset: str
    address: str
    release: str
    accessed: str
    version: str = ""
    published: str = ""
    dataset_id: str = ""
    published_from: str = ""  # how the date is known, for the source's date_note

    @property
    def source_id(self) -> str:
        text = f"ees-{self.dataset}-{self.release}" + (f"-v{self.version}" if self.version else "")
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Plan:
    """What a run would change: a new source, figures, withheld values and resolutions."""

    release: Release
    source: dict | None = None
    figures: list = field(default_factory=list)
    withheld: list = field(default_factory=list)
    resolutions: dict = field(default_factory=dict)  # conflict_id -> row (new or replacing)
    unchanged: list = field(default_factory=list)
    changes: list = field(default_factory=list)  # the publisher's change log, in words (API)
    # Where each new row came from, for messages: (table, index or conflict id) ->
    # (file or address, line, field).
    origins: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.figures or self.withheld or self.resolutions)

    def lines(self) -> list[str]:
        """What would be added or revised, one line each, for a person to read."""
        out = [f"the publisher's change log: {c}" for c in self.changes]
        for f in self.figures:
            out.append(f"add {f['series_id']} {f['period']} = {f['value']} ({f['source_id']})")
        for w in self.withheld:
            out.append(f"withheld {w['series_id']} {w['period']}: {w['symbol']} "
                       f"({ees.SYMBOLS[w['symbol']]})")
        for r in self.resolutions.values():
            out.append(f"revise {r['series_id']} {r['period']}: {r['reason']}")
        out.append(f"{len(self.unchanged)} value(s) already in data/, left as they are")
        return out


def _tables(folder: Path) -> dict[str, list[dict]]:
    """``data/``'s rows by table name; IngestError if it fails ``scr check`` (an ingest adds to
    a record that passes, and names its own problems, not those it found)."""
    raw, problems = read_dataset(folder)
    if problems:
        raise IngestError(f"{problems[0]} ({folder} fails scr check before this ingest, with "
                          f"{len(problems)} problem(s), so nothing was added; run scr check)")
    return {name: [row.values for row in rows] for name, rows in raw.rows.items()}


def plan(table: ees.EesTable, mapping: list[MappingRow], release: Release,
         folder: Path, *, mapping_path: Path | None = None) -> Plan:
    """What ingesting ``table`` would change in ``folder`` (nothing is written). IngestError if
    ``folder`` fails ``scr check``, or for a value or row it would not take, naming the input's
    file, line and column. Call it holding ``folder``'s lock (see :func:`ingest`)."""
    where_map = str(mapping_path or MAPPING_FILE)
    chosen = [m for m in mapping if m.dataset == release.dataset]
    if not chosen:
        known = sorted({m.dataset for m in mapping})
        raise IngestError(f"{where_map}:0: dataset: no mapping for {release.dataset!r}; "
                          f"mapped: {', '.join(known)}")
    tables = _tables(folder)
    series = {r["series_id"]: r for r in tables["series"]}
    figures, resolutions = tables["figures"], tables["resolutions"]
    withheld = tables["withheld"]
    sources = {r["source_id"]: r for r in tables["sources"]}
    out = Plan(release)
    source_id = release.source_id
    if source_id not in sources:
        out.source = _source_row(release, chosen[0])
        _refuse(SOURCES, out.source, table.where, 0, SOURCE_FIELDS)
        out.origins[("sources", 0)] = (table.where, 0, "-")
    for m in chosen:
        if m.series_id not in series:
            raise IngestError(f"{where_map}:{m.line}: series_id: unknown series {m.series_id!r}")
        for column, _ in (*m.filters, (m.indicator, "")):
            if column not in table.header:
                what = "indicator" if column == m.indicator else "filters"
                raise IngestError(f"{where_map}:{m.line}: {what}: column {column!r} is not in "
                                  f"{table.where}")
        level = [r for r in table.rows if r.cells["geographic_level"] == m.geographic_level]
        if not level:
            raise IngestError(f"{where_map}:{m.line}: geographic_level: no "
                              f"{m.geographic_level!r} rows in {table.where}")
        for column, value in m.filters:
            if value not in {r.cells[column] for r in level}:
                raise IngestError(f"{where_map}:{m.line}: filters: {column}={value!r} does not "
                                  f"occur in the {m.geographic_level} rows of {table.where}")
        seen: dict[str, int] = {}
        for row in level:
            if any(row.cells[c] != v for c, v in m.filters):
                continue
            try:
                period = ees.financial_year(row.cells["time_period"],
                                            row.cells["time_identifier"], where=table.where,
                                            line=row.line)
            except EesError as exc:
                raise IngestError(str(exc)) from None
            if period in seen:
                raise IngestError(f"{table.where}:{row.line}: time_period: a second row for "
                                  f"{m.series_id} in {period} (first on line {seen[period]})")
            seen[period] = row.line
            _one(out, m, row, period, series[m.series_id], figures, resolutions, withheld,
                 table.where, sources)
    if out.source is not None and not out.empty and not release.published:
        raise IngestError(
            f"{table.where}:0: --published: when was {release.release!r} published? Releases "
            "are ordered by publication, so that a value from an older release never "
            "supersedes a newer one: give --published YYYY-MM-DD, the date the release's "
            "page gives (with --api, the version's own date is used)")
    return out


def _span(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day a partial date (YYYY, YYYY-MM or YYYY-MM-DD) can be."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        day = dt.date(*parts)
        return day, day
    if len(parts) == 2:
        year, month = parts
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)


def _dated(source: dict) -> tuple[tuple[dt.date, dt.date], str]:
    """When a source in data/ was published, as a span of days, and in words: its
    date_published, else 'on or before' the day it was read (it existed then)."""
    if source.get("date_published"):
        return _span(source["date_published"]), f"published {source['date_published']}"
    read = dt.date.fromisoformat(source["date_accessed"])
    return (dt.date.min, read), f"publication date not recorded; read {read.isoformat()}"


def _published_later(release: Release, sources: list[dict]) -> bool | dict | None:
    """True if ``release`` was published after every one of ``sources`` (rows of sources.csv);
    else the first of them published after it; None if neither can be told from the dates."""
    first, last = _span(release.published)
    if all(first > _dated(s)[0][1] for s in sources):
        return True
    return next((s for s in sources if last < _dated(s)[0][0]), None)


def _one(out: Plan, m: MappingRow, row: ees.EesRow, period: str, info: dict, figures, resolutions,
         withheld, where: str, sources: dict) -> None:
    source_id = out.release.source_id
    _refuse_formulas(row, where)
    text = row.cells[m.indicator]
    stated = f"{row.cells['time_period']} {row.cells['time_identifier']}"
    fields = {"value": m.indicator, "excerpt": m.indicator, "period": "time_period",
              "period_stated": "time_period"}
    if text in ees.SYMBOLS:
        if not any(w["series_id"] == m.series_id and w["period"] == period
                   and w["source_id"] == source_id for w in withheld):
            new = {"series_id": m.series_id, "period": period, "source_id": source_id,
                   "symbol": text, "excerpt": row.text, "note": f"{ees.SYMBOLS[text]}; {stated}"}
            _refuse(WITHHELD, new, where, row.line, fields)
            out.origins[("withheld", len(out.withheld))] = (where, row.line, m.indicator)
            out.withheld.append(new)
        else:
            out.unchanged.append((m.series_id, period))
        return
    problem = number_problem(text)
    if problem:
        if not NUMBER.match(text.removeprefix("-")):
            problem = (f"{shown(text)} is neither a number nor a known symbol (a number is "
                       f"ASCII digits with an optional decimal point; the symbols are "
                       f"{', '.join(ees.SYMBOLS)})")
        raise IngestError(f"{where}:{row.line}: {m.indicator}: {problem}")
    value = float(text)
    same = [f for f in figures if f["series_id"] == m.series_id and f["period"] == period]
    existing = next((r for r in resolutions if r["subject"] == "figure"
                     and r["series_id"] == m.series_id and r["period"] == period), None)
    chosen = [f for f in same if existing is None or f["source_id"] == existing["chosen_source_id"]]
    if any(f["source_id"] == source_id for f in same):
        if any(f["source_id"] == source_id and float(f["value"]) == value for f in same):
            out.unchanged.append((m.series_id, period))
            return
        raise IngestError(f"{where}:{row.line}: {m.indicator}: {source_id} is already recorded "
                          f"with another value for {m.series_id} in {period}")
    if chosen and all(float(f["value"]) == value for f in chosen):
        out.unchanged.append((m.series_id, period))  # the value in use already: nothing new
        return
    filters = "; ".join(f"{c} = {v}" for c, v in m.filters)
    new = {
        "figure_id": f"{m.series_id}-{period.lower()}-{source_id}", "series_id": m.series_id,
        "period_stated": stated, "period": period, "value": text, "value_as_written": "",
        "unit": info["unit"], "source_id": source_id, "excerpt": row.text, "derived_from": "",
        "note": f"Line {row.line} of the data set's CSV ({m.geographic_level}"
                + (f"; {filters}" if filters else "") + f"; column {m.indicator}).",
        # DfE defines its time identifiers (a reporting year N ends on 31 March N): stated.
        "value_qualifier": "exact", "period_basis": "stated", "period_inference": ""}
    _refuse(FIGURES, new, where, row.line, fields)
    out.origins[("figures", len(out.figures))] = (where, row.line, m.indicator)
    out.figures.append(new)
    if same:
        _resolve(out, m, row, period, text, same, chosen, existing, where, sources)


def _resolve(out: Plan, m: MappingRow, row: ees.EesRow, period: str, text: str, same: list,
             chosen: list, existing: dict | None, where: str, sources: dict) -> None:
    """The resolution of a new value that differs from the one in use (``chosen``, from the
    figures ``same`` of the series and period): the new release's value is used if it was
    published after every source of the value in use, and set aside (the value in use stays,
    and the resolution says why) if it was published before one of them; IngestError, asking
    for the dates, if that cannot be told."""
    release = out.release
    in_use = [sources[s] for s in dict.fromkeys(f["source_id"] for f in chosen)]
    later = _published_later(release, in_use) if release.published else None
    stated = f"{release.release} of DfE's data set (published {release.published})"
    if later is None:
        if not release.published:
            raise IngestError(
                f"{where}:{row.line}: --published: {release.release!r} gives {text} for "
                f"{m.series_id} in {period}, where data/ has {_values(chosen, sources)}; "
                "releases are ordered by publication (an older one never supersedes a newer "
                "one), so give --published YYYY-MM-DD, the date the release's page gives")
        raise IngestError(
            f"{where}:{row.line}: {m.indicator}: {stated} gives {text} for {m.series_id} in "
            f"{period}, where data/ has {_values(chosen, sources)}: which was published later "
            "cannot be told from the dates, so neither supersedes the other by rule "
            f"{RULE}; record the date_published of "
            f"{', '.join(s['source_id'] for s in in_use)} in sources.csv, or resolve it by hand")
    conflict_id = existing["conflict_id"] if existing else f"{m.series_id}-{period.lower()}"
    if later is True:
        earlier = _values(same, sources)
        before = (f" It replaces a resolution by {existing['rule']}: {existing['reason']}"
                  if existing and existing["rule"] != RULE else "")
        chosen_id, rule = release.source_id, RULE
        reason = (f"{stated} gives {text}; earlier: {earlier}. A later release of the same "
                  f"official statistics supersedes an earlier one.{before}")
    else:
        kept = _values([f for f in chosen if f["source_id"] == later["source_id"]], sources)
        chosen_id = later["source_id"]
        said = (f"{stated} gives {text}, but was published before {kept}, which stays in use: "
                "a later release supersedes an earlier one, never the reverse.")
        if existing:
            rule, reason = existing["rule"], f"{existing['reason']} {said}"
        else:
            rule, reason = RULE, said
    out.resolutions[conflict_id] = {
        "conflict_id": conflict_id, "subject": "figure", "series_id": m.series_id,
        "period": period, "event_id": "", "chosen_source_id": chosen_id, "rule": rule,
        "reason": reason, "basis": existing["basis"] if existing and rule != RULE
        else "evidence"}
    out.origins[("resolutions", conflict_id)] = (where, row.line, m.indicator)


def _values(figures: list, sources: dict) -> str:
    """'338 (ees-..., published 2026-07-02), ...': values with their sources and dates."""
    return ", ".join(sorted({f"{_plain(f['value'])} ({f['source_id']}, "
                             f"{_dated(sources[f['source_id']])[1]})" for f in figures}))


def _refuse_formulas(row: ees.EesRow, where: str) -> None:
    """IngestError naming the first cell of ``row`` that begins as a spreadsheet formula would
    (``=``, ``+``, ``-``, ``@``, tab, carriage return; a negative number is no formula): the row
    would be an excerpt, and an excerpt is quoted, never run."""
    for column, cell in row.cells.items():
        if cell.startswith(FORMULA) and not SIGNED.fullmatch(cell):
            raise IngestError(f"{where}:{row.line}: {column}: {shown(cell)} begins with "
                              f"{cell[0]!r}, as a spreadsheet formula does; such a row is not "
                              "taken into an excerpt")


SOURCE_FIELDS = {"date_accessed": "--accessed"}
"""The source row's values that come only from the command line, for messages (the others come
from the command line or the API: named by their column)."""


def _refuse(table: Table, values: dict, where: str, line: int, fields: dict) -> None:
    """IngestError if a new row of ``table`` would fail ``scr check``'s checks of one row,
    naming the input's file, line and field (``fields`` maps the table's columns to it)."""
    for col in table.columns:
        message = field_problem(col, values.get(col.name, ""))
        if message:
            named = fields.get(col.name, col.name)
            raise IngestError(f"{where}:{line}: {named}: {message} (as {table.filename} "
                              f"{col.name})")
    if table is FIGURES:
        for name, message in check_figure_value(Row(line, values), table_row=True):
            raise IngestError(f"{where}:{line}: {fields.get(name, name)}: {message} (as "
                              f"{table.filename} {name})")


def _plain(value: str) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else value


def _source_row(release: Release, m: MappingRow) -> dict:
    return {
        "source_id": release.source_id, "publisher": PUBLISHER, "producer": PRODUCER,
        "title": f"{m.title} ({m.publication}, {release.release})" if m.publication
        else f"{m.title} ({release.release})",
        "url": release.address, "date_published": release.published,
        "date_note": release.published_from if release.published else "not given",
        "date_accessed": release.accessed, "kind": "official-statistics", "mirror_of": "",
        "note": "Added by scr ingest; each figure's excerpt is its row of the CSV as published.",
        "publication": m.publication, "release": release.release,
        "dataset_id": release.dataset_id or m.ees_dataset_id,
        "dataset_version": release.version}


def apply(result: Plan, folder: Path, *, dry_run: bool = False) -> list[Path]:
    """Write the plan into ``folder``: every changed table is written to a copy, the copy must
    pass ``scr check``, then each file is replaced; on any problem nothing is changed. A problem
    in a row this run adds is reported at the input's file, line and column it came from. A
    dry run checks the copy and stops there. Call it holding ``folder``'s lock (see
    :func:`ingest`)."""
    if result.empty:
        return []
    from scrlib.record import scratch  # a killed ingest's folder is removed by the next run

    with scratch.folder("ingest") as stage:
        changed = _stage(result, folder, stage)
        _check_stage(result, stage, folder)
        return [] if dry_run else _swap_in(folder, stage, changed)


def _stage(result: Plan, folder: Path, stage: Path) -> list[str]:
    """Copy ``folder``'s tables to ``stage`` and write the plan there; the tables changed."""
    columns = {t.filename: t.column_names for t in TABLES}
    for table in TABLES:
        shutil.copyfile(folder / table.filename, stage / table.filename)
    changed = []
    for name, rows in (("sources.csv", [result.source] if result.source else []),
                       ("figures.csv", result.figures), ("withheld.csv", result.withheld)):
        if rows:
            _append(stage / name, columns[name], rows)
            changed.append(name)
    if result.resolutions:
        _upsert(stage / "resolutions.csv", columns["resolutions.csv"], result.resolutions)
        changed.append("resolutions.csv")
    return changed


def _check_stage(result: Plan, stage: Path, folder: Path) -> None:
    """IngestError if the staged tables fail ``scr check``: a problem in a row this run adds
    named at the input's file, line and column it came from, any other at ``folder``'s table."""
    raw, problems = read_dataset(stage)
    if not problems:
        return
    origins = _origins(result, raw)
    lines = []
    for problem in problems[:10]:
        name = Path(problem.path).name
        origin = origins.get((name, problem.line))
        if origin:
            where, line, named = origin
            lines.append(f"{where}:{line}: {named}: {problem.message} (as {name} "
                         f"{problem.field})")
        else:
            lines.append(f"{folder / name}:{problem.line}: {problem.field}: {problem.message} "
                         "(once this release is added)")
    if len(problems) > 10:
        lines.append(f"... and {len(problems) - 10} more")
    raise IngestError("\n".join(lines))


def _origins(result: Plan, raw) -> dict[tuple[str, int], tuple[str, int, str]]:
    """(table file, staged line) -> (input, line, column) for every row this run adds."""
    out = {}
    for name, planned in (("sources", [result.source] if result.source else []),
                          ("figures", result.figures), ("withheld", result.withheld)):
        staged = raw.rows[name][len(raw.rows[name]) - len(planned):] if planned else []
        for index, row in enumerate(staged):
            origin = result.origins.get((name, index))
            if origin:
                out[(f"{name}.csv", row.line)] = origin
    for row in raw.rows["resolutions"]:
        origin = result.origins.get(("resolutions", row["conflict_id"]))
        if origin and row["conflict_id"] in result.resolutions:
            out[("resolutions.csv", row.line)] = origin
    return out


def _swap_in(folder: Path, stage: Path, changed: list[str]) -> list[Path]:
    """Put the checked tables in place. Each is written beside its target and flushed to disk,
    a journal naming them is put in place, and only then is each renamed over its target; a run
    cut off before the journal removes what it wrote (or, if killed, the next run does)."""
    pid = os.getpid()
    written, journal = [], folder / JOURNAL
    partial = folder / f".{JOURNAL}.ingest-{pid}"
    try:
        for name in changed:
            part = folder / f".{name}.ingest-{pid}"
            written.append((part, folder / name))
            _write_durably(part, (stage / name).read_bytes())
        _fsync_dir(folder)
        text = json.dumps([[p.name, t.name] for p, t in written])
        _write_durably(partial, text.encode("utf-8"))
        os.replace(partial, journal)
    except BaseException:
        for path in [partial, *(p for p, _ in written)]:
            path.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    finish_pending(folder)
    return [target for _, target in written]


def _write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and flush it to disk (before it is renamed into place)."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Flush ``folder``'s entries (renames, new and removed files) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _locked(folder: Path, make_plan, *, dry_run: bool) -> Plan:
    """While holding ``folder``'s lock: finish an ingest that was cut off, remove the files of
    one that was killed, plan against ``folder`` as it now is and, unless a dry run, apply."""
    from scrlib.record import lock

    _require_folder(folder)
    try:
        with lock.hold(folder, log=lambda *_: None, hint=BUSY_HINT):
            finish_pending(folder)
            remove_strays(folder)
            result = make_plan()
            apply(result, folder, dry_run=dry_run)  # a dry run checks what it would write
            return result
    except lock.Busy as exc:
        raise IngestError(f"{folder}:0: -: {exc}") from None
    except OSError as exc:
        raise _cannot_write(exc, folder) from None


def finish(folder: Path) -> tuple[list[str], list[str]]:
    """``scr ingest --finish``: holding ``folder``'s lock, swap in the tables of an ingest that
    was cut off and remove the files of one that was killed; the tables swapped in and the
    files removed."""
    from scrlib.record import lock

    _require_folder(folder)
    try:
        with lock.hold(folder, log=lambda *_: None, hint=BUSY_HINT):
            return finish_pending(folder), remove_strays(folder)
    except lock.Busy as exc:
        raise IngestError(f"{folder}:0: -: {exc}") from None
    except OSError as exc:
        raise _cannot_write(exc, folder) from None


def _require_folder(folder: Path) -> None:
    if not folder.is_dir():
        what = "a file" if folder.exists() else "no such folder"
        raise IngestError(f"{folder}:0: -: not a data folder ({what})")


def finish_pending(folder: Path) -> list[str]:
    """Swap in the tables of an ingest that was cut off after checking them (named in the
    journal), then remove the journal; return the tables swapped in. IngestError if the journal
    is not one this program writes (nothing is swapped in). Call it holding the lock."""
    pairs = _journal(folder)
    if pairs is None:
        return []
    done = []
    for part, target in pairs:
        if (folder / part).exists():
            os.replace(folder / part, folder / target)
            done.append(target)
    _fsync_dir(folder)
    (folder / JOURNAL).unlink()
    _fsync_dir(folder)
    return done


def _journal(folder: Path) -> list[tuple[str, str]] | None:
    """The (file beside a table, table) pairs the journal names; None if there is no journal."""
    path = folder / JOURNAL
    advice = ("nothing was swapped in; see what scr check says of the tables, then delete the "
              "journal")
    from scrlib.record.inputs import InputError, read_file

    if not os.path.lexists(path):
        return None
    try:  # a regular file within the input limit: a FIFO there cannot hang the ingest
        text = read_file(path, what="ingest journal").decode("utf-8")
    except (InputError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}:0: -: cannot read the ingest journal ({exc}); "
                          f"{advice}") from None
    try:
        pairs = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        line = getattr(exc, "lineno", 1)
        raise IngestError(f"{path}:{line}: -: not an ingest journal (not JSON: "
                          f"{getattr(exc, 'msg', exc)}); {advice}") from None
    if not isinstance(pairs, list) or not all(_journal_entry(e) for e in pairs):
        raise IngestError(f"{path}:1: -: not an ingest journal (expected a list of "
                          f"[\".<table>.ingest-<pid>\", \"<table>\"] pairs, the tables one of "
                          f"{', '.join(WRITES)}); {advice}")
    return [(part, target) for part, target in pairs]


def _journal_entry(entry) -> bool:
    if not (isinstance(entry, list) and len(entry) == 2
            and all(isinstance(x, str) for x in entry)):
        return False
    part, target = entry
    found = PART.match(part)
    return target in WRITES and found is not None and found["name"] == target


def stray_files(folder: Path) -> list[Path]:
    """Files an ingest wrote beside ``folder``'s tables (``.<file>.ingest-<pid>``) that no
    journal names, whose process is gone (or is this one): left by an ingest killed before its
    journal was in place. They are not part of the data and no table is missing anything, so
    ``scr check`` warns of them (exit code unchanged) and the next ``scr ingest`` (or
    ``--finish``) removes them. None while the journal cannot be read."""
    from scrlib.record import lock

    try:
        named = {part for part, _ in _journal(folder) or []}
    except IngestError:
        return []
    out = []
    for path in sorted(folder.glob(".*.ingest-*")):
        found = PART.match(path.name)
        if found is None or path.name in named or not path.is_file():
            continue
        pid = int(found["pid"])
        if pid == os.getpid() or not lock.alive(pid):
            out.append(path)
    return out


def remove_strays(folder: Path) -> list[str]:
    """Remove :func:`stray_files`; return their names. Call it holding the lock."""
    removed = []
    for path in stray_files(folder):
        path.unlink(missing_ok=True)
        removed.append(path.name)
    if removed:
        _fsync_dir(folder)
    return removed


def _append(path: Path, columns, rows) -> None:
    text = path.read_text(encoding="utf-8")
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writerows(rows)
    path.write_text(text + ("" if text.endswith("\n") else "\n") + out.getvalue(),
                    encoding="utf-8")


def _upsert(path: Path, columns, rows: dict) -> None:
    """Replace the rows whose conflict_id is in ``rows`` (in place), append the others."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out, done = [lines[0]], set()
    for line in lines[1:]:
        record = next(csv.reader([line]), [])
        key = record[0] if record else ""
        if key in rows:
            out.append(_line(columns, rows[key]))
            done.add(key)
        else:
            out.append(line)
    out += [_line(columns, row) for key, row in rows.items() if key not in done]
    path.write_text("".join(out), encoding="utf-8")


def _line(columns, row: dict) -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, columns, lineterminator="\n").writerow(row)
    return buffer.getvalue()


def ingest(address: str, *, dataset: str, release: str, accessed: str, folder: Path,
           mapping_path: Path, published_at: str = "", version: str = "", published: str = "",
           dataset_id: str = "", dry_run: bool = False) -> Plan:
    """Read an EES CSV (local file or http(s) address) and add its values to ``folder``.
    ``published_at`` is the address a local file was downloaded from (what the source cites).
    The input is read first; reading ``folder``, planning and writing happen under its lock."""
    url = published_at or address
    if not re.match(r"https?://", url):
        raise IngestError(f"{address}:0: -: a local file needs --address, the http(s) address "
                          "it was published at (the source cites it)")
    try:
        table = ees.read_csv(address)
        mapping = read_mapping(mapping_path)
    except EesError as exc:
        raise IngestError(str(exc)) from None
    chosen = Release(dataset, url, release, accessed, version, published, dataset_id,
                     "as given with --published (the release's page)" if published else "")
    return _locked(folder, lambda: plan(table, mapping, chosen, folder,
                                        mapping_path=mapping_path), dry_run=dry_run)


def _version_key(text: str) -> tuple:
    return tuple(int(p) if re.fullmatch(r"[0-9]{1,9}", p) else -1 for p in str(text).split("."))


def ingest_api(dataset_id: str, *, accessed: str, folder: Path, mapping_path: Path,
               version: str = "", base: str | None = None, dataset: str | None = None,
               release: str | None = None, published: str = "", dry_run: bool = False) -> Plan:
    """Read a version (default: the latest published) of an EES API data set and add its values.
    The mapping row is found by ``ees_dataset_id`` unless ``dataset`` names it; ``published``
    (else the version's own publication date) orders it among releases. The API is read
    first; reading ``folder``, planning and writing happen under its lock."""
    try:
        mapping = read_mapping(mapping_path)
        if dataset is None:
            named = sorted({m.dataset for m in mapping if m.ees_dataset_id == dataset_id})
            if len(named) != 1:
                raise IngestError(f"{mapping_path}:0: ees_dataset_id: {dataset_id} is mapped "
                                  f"{len(named)} times; name the mapping with --dataset")
            dataset = named[0]
        versions = ees.api_versions(dataset_id, base)  # each a dict with a 'version' string
        released = [v for v in versions if v.get("status") == "Published"]
        if version:
            chosen = next((v for v in versions if v["version"] == version), None)
            if chosen is None:
                raise IngestError(f"{dataset_id}:0: version: no version {version!r}; the API "
                                  f"lists {', '.join(v['version'] for v in versions)}")
        elif released:
            chosen = max(released, key=lambda v: _version_key(v["version"]))
        else:
            raise IngestError(f"{dataset_id}:0: version: no published version")
        number = chosen["version"]
        address = ees.api_csv_address(dataset_id, number, base)
        table = ees.read_csv(address)
        title = release or _text(chosen.get("release"), "title") or f"version {number}"
        stamp = str(chosen.get("published") or "")[:10]
        changes = ees.change_summary(ees.api_changes(dataset_id, number, base))
    except EesError as exc:
        raise IngestError(str(exc)) from None
    from_api = "the data set version's publication date, from the EES API"
    chosen_release = Release(dataset, address, title, accessed, number, published or stamp,
                             dataset_id, "as given with --published (the release's page)"
                             if published else from_api if stamp else "")

    def make_plan() -> Plan:
        result = plan(table, mapping, chosen_release, folder, mapping_path=mapping_path)
        result.changes = changes
        return result

    return _locked(folder, make_plan, dry_run=dry_run)


def _text(obj, key: str) -> str:
    """``obj[key]`` if ``obj`` is an object whose ``key`` is text, else ''."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else ""
