"""``scr ingest``: add an Explore Education Statistics release's values to ``data/`` as cited
figures, through the committed mapping ``data/ees-mapping.csv``.

Each value becomes a figure whose excerpt is its CSV row as published; a symbol (suppressed, not
available) goes to ``withheld.csv``, never into a number. A value that differs from one already in
``data/`` for the same series and period is added beside it, and the conflict is resolved by the
written rule ``later-release``. A value some source already gives is left alone, so a second run
on the same release adds nothing. The new tables are checked as ``scr check`` would before any file
is replaced; on any problem nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from scrlib.record import ees
from scrlib.record.ees import EesError

MAPPING_FILE = "ees-mapping.csv"
MAPPING_COLUMNS = ("dataset", "ees_dataset_id", "title", "publication", "geographic_level",
                   "filters", "indicator", "series_id", "note")
PUBLISHER = "Department for Education, Explore Education Statistics"
PRODUCER = "Department for Education"
RULE = "later-release"
EXIT_INGEST = 4
JOURNAL = ".ingest-journal.json"  # tables checked and ready to swap in (see finish_pending)


class IngestError(Exception):
    """Ingest stopped; the message names the file or address, the line and the field."""

    exit_code = EXIT_INGEST


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
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise IngestError(f"{path}:0: -: cannot read the mapping ({exc.strerror})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in MAPPING_COLUMNS if c not in (reader.fieldnames or ())]
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


def _rows(folder: Path, name: str) -> list[dict]:
    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def plan(table: ees.EesTable, mapping: list[MappingRow], release: Release,
         folder: Path, *, mapping_path: Path | None = None) -> Plan:
    """What ingesting ``table`` would change in ``folder`` (nothing is written)."""
    where_map = str(mapping_path or MAPPING_FILE)
    chosen = [m for m in mapping if m.dataset == release.dataset]
    if not chosen:
        known = sorted({m.dataset for m in mapping})
        raise IngestError(f"{where_map}:0: dataset: no mapping for {release.dataset!r}; "
                          f"mapped: {', '.join(known)}")
    series = {r["series_id"]: r for r in _rows(folder, "series.csv")}
    figures = _rows(folder, "figures.csv")
    resolutions = _rows(folder, "resolutions.csv")
    withheld = _rows(folder, "withheld.csv")
    sources = {r["source_id"] for r in _rows(folder, "sources.csv")}
    out = Plan(release)
    source_id = release.source_id
    if source_id not in sources:
        out.source = _source_row(release, chosen[0])
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
            period = ees.financial_year(row.cells["time_period"], row.cells["time_identifier"],
                                        where=table.where, line=row.line)
            if period in seen:
                raise IngestError(f"{table.where}:{row.line}: time_period: a second row for "
                                  f"{m.series_id} in {period} (first on line {seen[period]})")
            seen[period] = row.line
            _one(out, m, row, period, series[m.series_id], figures, resolutions, withheld,
                 table.where)
    return out


def _one(out: Plan, m: MappingRow, row: ees.EesRow, period: str, info: dict, figures, resolutions,
         withheld, where: str) -> None:
    source_id = out.release.source_id
    text = row.cells[m.indicator]
    stated = f"{row.cells['time_period']} {row.cells['time_identifier']}"
    if text in ees.SYMBOLS:
        if not any(w["series_id"] == m.series_id and w["period"] == period
                   and w["source_id"] == source_id for w in withheld):
            out.withheld.append({"series_id": m.series_id, "period": period,
                                 "source_id": source_id, "symbol": text, "excerpt": row.text,
                                 "note": f"{ees.SYMBOLS[text]}; {stated}"})
        else:
            out.unchanged.append((m.series_id, period))
        return
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise IngestError(f"{where}:{row.line}: {m.indicator}: {text!r} is neither a number nor "
                          f"a known symbol ({', '.join(ees.SYMBOLS)})")
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
    out.figures.append({
        "figure_id": f"{m.series_id}-{period.lower()}-{source_id}", "series_id": m.series_id,
        "period_stated": stated, "period": period, "value": text, "value_as_written": "",
        "unit": info["unit"], "source_id": source_id, "excerpt": row.text, "derived_from": "",
        "note": f"Line {row.line} of the data set's CSV ({m.geographic_level}"
                + (f"; {filters}" if filters else "") + f"; column {m.indicator}).",
        # DfE defines its time identifiers (a reporting year N ends on 31 March N): stated.
        "value_qualifier": "exact", "period_basis": "stated", "period_inference": ""})
    if same:
        earlier = ", ".join(sorted({f"{_plain(f['value'])} ({f['source_id']})" for f in same}))
        conflict_id = (existing["conflict_id"] if existing
                       else f"{m.series_id}-{period.lower()}")
        before = (f" It replaces a resolution by {existing['rule']}: {existing['reason']}"
                  if existing and existing["rule"] != RULE else "")
        out.resolutions[conflict_id] = {
            "conflict_id": conflict_id, "subject": "figure", "series_id": m.series_id,
            "period": period, "event_id": "", "chosen_source_id": source_id, "rule": RULE,
            "reason": f"{out.release.release} of DfE's data set gives {text}; earlier: "
                      f"{earlier}. A later release of the same official statistics supersedes "
                      f"an earlier one.{before}",
            "basis": "evidence"}

def _plain(value: str) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else value


def _source_row(release: Release, m: MappingRow) -> dict:
    return {
        "source_id": release.source_id, "publisher": PUBLISHER, "producer": PRODUCER,
        "title": f"{m.title} ({m.publication}, {release.release})" if m.publication
        else f"{m.title} ({release.release})",
        "url": release.address, "date_published": release.published,
        "date_note": ("the data set version's publication date, from the EES API"
                      if release.published else "not given in the data set"),
        "date_accessed": release.accessed, "kind": "official-statistics", "mirror_of": "",
        "note": "Added by scr ingest; each figure's excerpt is its row of the CSV as published.",
        "publication": m.publication, "release": release.release,
        "dataset_id": release.dataset_id or m.ees_dataset_id,
        "dataset_version": release.version}


def apply(result: Plan, folder: Path) -> list[Path]:
    """Write the plan into ``folder``: every changed table is written to a copy, the copy must
    pass ``scr check``, then each file is replaced; on any problem nothing is changed."""
    from scrlib.record.schema import TABLES
    from scrlib.record.validate import read_dataset

    if result.empty:
        return []
    columns = {t.filename: t.column_names for t in TABLES}
    with tempfile.TemporaryDirectory(prefix="scrlib-ingest-") as tmp:
        stage = Path(tmp)
        for table in TABLES:
            shutil.copyfile(folder / table.filename, stage / table.filename)
        changed = []
        if result.source:
            _append(stage / "sources.csv", columns["sources.csv"], [result.source])
            changed.append("sources.csv")
        if result.figures:
            _append(stage / "figures.csv", columns["figures.csv"], result.figures)
            changed.append("figures.csv")
        if result.withheld:
            _append(stage / "withheld.csv", columns["withheld.csv"], result.withheld)
            changed.append("withheld.csv")
        if result.resolutions:
            _upsert(stage / "resolutions.csv", columns["resolutions.csv"], result.resolutions)
            changed.append("resolutions.csv")
        _, problems = read_dataset(stage)
        if problems:
            shown = "\n".join(str(p).replace(str(stage), str(folder)) for p in problems[:10])
            raise IngestError(f"{folder}:0: -: the ingested data would fail scr check, so "
                              f"nothing was written:\n{shown}")
        written = []
        for name in changed:
            part = folder / f".{name}.ingest-{os.getpid()}"
            shutil.copyfile(stage / name, part)
            written.append((part, folder / name))
        # The checked tables are in place beside their targets; a journal names them before any
        # is swapped in, so a run cut off midway is finished by the next (finish_pending).
        journal = folder / JOURNAL
        partial = folder / f".{JOURNAL}.tmp"
        partial.write_text(json.dumps([[p.name, t.name] for p, t in written]), encoding="utf-8")
        os.replace(partial, journal)
        finish_pending(folder)
    return [target for _, target in written]


def _apply_locked(result: Plan, folder: Path) -> None:
    """:func:`apply` while holding ``data/``'s lock (one writer at a time)."""
    from scrlib.record import lock

    try:
        with lock.hold(folder, log=lambda *_: None):
            apply(result, folder)
    except lock.Busy as exc:
        raise IngestError(f"{folder}:0: -: {exc}") from None


def finish_pending(folder: Path) -> list[str]:
    """Swap in the tables of an ingest that was cut off after checking them (named in the
    journal), then remove the journal; return the tables swapped in."""
    journal = folder / JOURNAL
    if not journal.exists():
        return []
    done = []
    for part, target in json.loads(journal.read_text(encoding="utf-8")):
        if (folder / part).exists():
            os.replace(folder / part, folder / target)
            done.append(target)
    journal.unlink()
    return done


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
    ``published_at`` is the address a local file was downloaded from (what the source cites)."""
    url = published_at or address
    if not re.match(r"https?://", url):
        raise IngestError(f"{address}:0: -: a local file needs --address, the http(s) address "
                          "it was published at (the source cites it)")
    finish_pending(folder)
    try:
        table = ees.read_csv(address)
        mapping = read_mapping(mapping_path)
        result = plan(table, mapping, Release(dataset, url, release, accessed, version,
                                              published, dataset_id), folder,
                      mapping_path=mapping_path)
    except EesError as exc:
        raise IngestError(str(exc)) from None
    if not dry_run:
        _apply_locked(result, folder)
    return result


def _version_key(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in str(text).split("."))


def ingest_api(dataset_id: str, *, accessed: str, folder: Path, mapping_path: Path,
               version: str = "", base: str | None = None, dataset: str | None = None,
               release: str | None = None, dry_run: bool = False) -> Plan:
    """Read a version (default: the latest published) of an EES API data set and add its values.
    The mapping row is found by ``ees_dataset_id`` unless ``dataset`` names it."""
    finish_pending(folder)
    try:
        mapping = read_mapping(mapping_path)
        if dataset is None:
            named = sorted({m.dataset for m in mapping if m.ees_dataset_id == dataset_id})
            if len(named) != 1:
                raise IngestError(f"{mapping_path}:0: ees_dataset_id: {dataset_id} is mapped "
                                  f"{len(named)} times; name the mapping with --dataset")
            dataset = named[0]
        versions = ees.api_versions(dataset_id, base)
        published = [v for v in versions if v.get("status") == "Published"]
        if version:
            chosen = next((v for v in versions if v.get("version") == version), None)
            if chosen is None:
                raise IngestError(f"{dataset_id}:0: version: no version {version!r}; the API "
                                  f"lists {', '.join(str(v.get('version')) for v in versions)}")
        elif published:
            chosen = max(published, key=lambda v: _version_key(v.get("version", "")))
        else:
            raise IngestError(f"{dataset_id}:0: version: no published version")
        number = str(chosen["version"])
        address = ees.api_csv_address(dataset_id, number, base)
        table = ees.read_csv(address)
        title = release or (chosen.get("release") or {}).get("title") or f"version {number}"
        stamp = str(chosen.get("published") or "")[:10]
        result = plan(table, mapping, Release(dataset, address, title, accessed, number, stamp,
                                              dataset_id), folder, mapping_path=mapping_path)
        result.changes = ees.change_summary(ees.api_changes(dataset_id, number, base))
    except EesError as exc:
        raise IngestError(str(exc)) from None
    if not dry_run:
        _apply_locked(result, folder)
    return result
