"""Read Explore Education Statistics (EES) open-data CSVs: the DfE open-data standard's columns,
its time identifiers mapped to this project's periods, and its symbols for missing values.

Everything here reads; nothing writes. A problem is an :class:`EesError` that names the file or
address, the line and the field.
"""

from __future__ import annotations

import csv
import http.client
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from scrlib.record.periods import year_problem
from scrlib.record.validate import CONTROL

STANDARD_COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code",
                    "country_name")
# The DfE open data standard's symbols for a value that is not a number ("Data symbols");
# recorded as such, never as numbers. ":" and "~" are the standard's obsolete forms of x and low.
SYMBOLS = {
    "c": "confidential (suppressed)",
    "x": "unavailable",
    "z": "not applicable",
    "low": "rounds to 0, but is not 0",
    "k": "rounds to 0, but is not 0",
    "u": "low reliability",
    ":": "unavailable (obsolete form of x)",
    "~": "rounds to 0, but is not 0 (obsolete form of low)",
}


class EesError(Exception):
    """A problem in an EES file or response: ``where`` (file or address), ``line``, ``field``."""

    def __init__(self, where: str, line: int, field: str, message: str):
        super().__init__(f"{where}:{line}: {field}: {message}")
        self.where, self.line, self.field = where, line, field


def financial_year(time_period: str, time_identifier: str, *, where: str = "",
                   line: int = 0) -> str:
    """This project's period (``FY2023-24``) for an EES time period and identifier: a
    "Financial year" ``202324``, or a "Reporting year" ``2024`` (the year ending 31 March)."""
    if time_identifier == "Financial year":  # ASCII digits only: \d also matches others
        found = re.fullmatch(r"([0-9]{4})([0-9]{2})", time_period)
        if not found or (int(found.group(1)) + 1) % 100 != int(found.group(2)):
            raise EesError(where, line, "time_period",
                           f"{time_period[:24]!r} is not a financial year like 202324")
        start = int(found.group(1))
    elif time_identifier == "Reporting year":
        if not re.fullmatch(r"[0-9]{4}", time_period):
            raise EesError(where, line, "time_period",
                           f"{time_period[:24]!r} is not a reporting year like 2024")
        start = int(time_period) - 1
    else:
        raise EesError(where, line, "time_identifier",
                       f"unknown time identifier {time_identifier[:40]!r}; known: Financial "
                       "year, Reporting year")
    if year_problem(start + 1, time_period):
        raise EesError(where, line, "time_period", year_problem(start + 1, time_period))
    return f"FY{start}-{(start + 1) % 100:02d}"


@dataclass(frozen=True)
class EesRow:
    """One data row: its line in the file, its cells by column, and the line as published."""

    line: int
    cells: dict
    text: str


@dataclass(frozen=True)
class EesTable:
    """A parsed EES CSV: where it came from, its header and its rows."""

    where: str
    header: tuple[str, ...]
    rows: tuple[EesRow, ...]


def _refuse_control(value: str, where: str, line: int, field: str) -> None:
    found = CONTROL.search(value)
    if found:
        raise EesError(where, line, field, f"holds the control character "
                       f"U+{ord(found.group()):04X}; a cell holds printable text only")


def parse(text: str, where: str) -> EesTable:
    """Parse EES CSV text; EesError for a missing or duplicated column, a control character
    in a cell (a NUL, a tab, a line break inside quotes), a ragged or truncated row."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not lines:
        raise EesError(where, 1, "-", "empty file: expected a header row")
    if not text.endswith(("\n", "\r")):
        raise EesError(where, len(lines), "-", "the file does not end with a line break: "
                       "a truncated download?")
    reader = csv.reader(lines, strict=True)
    try:
        header = tuple(h.strip() for h in next(reader))
    except csv.Error as exc:
        raise EesError(where, 1, "-", f"unreadable header ({exc})") from None
    for number, name in enumerate(header, start=1):
        _refuse_control(name, where, 1, name or "-")
        if name in header[:number - 1]:
            raise EesError(where, 1, name or "-", f"column name duplicated (columns "
                           f"{header.index(name) + 1} and {number}): which one holds the "
                           "values cannot be told")
    for name in STANDARD_COLUMNS:
        if name not in header:
            raise EesError(where, 1, name, "missing: an EES open-data CSV starts with "
                           + ", ".join(STANDARD_COLUMNS))
    rows, start = [], reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise EesError(where, start, "-", f"malformed CSV ({exc}); truncated?") from None
        if record:
            if len(record) != len(header):
                raise EesError(where, start, "-", f"{len(record)} fields where the header has "
                               f"{len(header)}" + ("; truncated?" if len(record) < len(header)
                                                   else ""))
            for name, value in zip(header, record, strict=True):
                _refuse_control(value, where, start, name)
            raw = "".join(lines[start - 1:reader.line_num]).rstrip("\r\n")
            rows.append(EesRow(start, dict(zip(header, (v.strip() for v in record),
                                               strict=True)), raw))
        start = reader.line_num + 1
    return EesTable(where, header, tuple(rows))


def read_bytes(address: str, *, timeout: float = 60) -> bytes:
    """The bytes at a local path or an http(s) address, at most the input limit
    (``scrlib.record.inputs``: 50 MB unless ``SCRLIB_MAX_INPUT_MB`` says otherwise). EesError
    for a path that is not a regular file (a FIFO or a device is never opened for reading), an
    input over the limit (a download or a gzip body stops there), an HTTP error, a refused
    connection or a download shorter than its Content-Length."""
    from scrlib.record import inputs

    try:
        if not re.match(r"https?://", address):
            return inputs.read_file(address)
        return _download(address, timeout, inputs.limit_bytes())
    except inputs.InputError as exc:
        raise EesError(address, 0, "-", exc.reason) from None


def _download(address: str, timeout: float, limit: int) -> bytes:
    from scrlib.record import inputs

    request = urllib.request.Request(address, headers={
        "Accept": "text/csv, application/json", "Accept-Encoding": "gzip"})
    deadline = time.monotonic() + inputs.DOWNLOAD_SECONDS
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            encoding = response.headers.get("Content-Encoding", "")
            if expected is not None and re.fullmatch(r"[0-9]{1,18}", expected) and int(
                    expected) > limit:
                raise EesError(address, 0, "-", f"the server announces "
                               f"{inputs.size_words(int(expected))}: {inputs.too_large(limit)}; "
                               "nothing was read")
            body = inputs.read_capped(response.read, address, limit, deadline=deadline)
    except urllib.error.HTTPError as exc:
        raise EesError(address, 0, "-", f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise EesError(address, 0, "-", f"cannot fetch: {exc.reason}") from None
    except http.client.IncompleteRead as exc:
        raise EesError(address, 0, "-", f"truncated download: {len(exc.partial)} bytes "
                       "arrived before the connection closed") from None
    except (OSError, http.client.HTTPException) as exc:
        raise EesError(address, 0, "-", f"cannot fetch: {exc}") from None
    if expected is not None and re.fullmatch(r"[0-9]{1,18}", expected) and len(body) != int(
            expected):
        raise EesError(address, 0, "-", f"truncated download: {len(body)} of {expected} bytes")
    if encoding.lower() == "gzip":  # the EES API gzips its responses; urllib does not unpack
        body = inputs.gunzip(body, address, limit)  # stops at the limit, however it expands
    return body


def read_csv(address: str) -> EesTable:
    """Read and parse an EES CSV from a local path or an http(s) address."""
    body = read_bytes(address)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EesError(address, 1, "-", f"not UTF-8 text ({exc.reason})") from None
    return parse(text, address)


API_BASE = "https://api.education.gov.uk/statistics"
VERSION = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6}){0,3}")


API_MAX_PAGES = 50
"""The most pages of versions read (20 a page): no data set has had 1,000 versions."""
API_MAX_SECONDS = 300.0
"""How long reading the pages of versions may take in all."""


def api_versions(dataset_id: str, base: str | None = None) -> list[dict]:
    """The versions of an EES API data set (``GET /v1/data-sets/{id}/versions``), every page:
    each an object with a ``version``. EesError for any other shape, and when the API claims
    more than :data:`API_MAX_PAGES` pages or paging takes over :data:`API_MAX_SECONDS`."""
    base = (base or API_BASE).rstrip("/")
    out, page = [], 1
    deadline = time.monotonic() + API_MAX_SECONDS
    while True:
        address = f"{base}/v1/data-sets/{dataset_id}/versions?page={page}&pageSize=20"
        results, pages = _versions_page(address)
        out += results
        if pages > API_MAX_PAGES:
            raise EesError(address, 0, "paging", f"the API claims {pages} pages of versions; "
                           f"at most {API_MAX_PAGES} are read")
        if page >= pages:
            return out
        if time.monotonic() > deadline:
            raise EesError(address, 0, "paging", f"reading {pages} pages of versions took over "
                           f"{API_MAX_SECONDS:g} s; stopped after page {page}")
        page += 1


def _versions_page(address: str) -> tuple[list[dict], int]:
    """One page of versions and the number of pages the API claims."""
    data = read_json(address)
    try:
        results, pages = data["results"], data["paging"]["totalPages"]
    except (KeyError, TypeError):
        raise EesError(address, 0, "results", "not a list of versions (expected 'results' "
                       "and 'paging')") from None
    if not isinstance(pages, int) or isinstance(pages, bool) or pages < 1:
        raise EesError(address, 0, "paging", f"totalPages is {str(pages)[:24]!r}, not a whole "
                       "number of pages")
    if not isinstance(results, list):
        raise EesError(address, 0, "results", "not a list of versions")
    for number, item in enumerate(results, start=1):
        version = item.get("version") if isinstance(item, dict) else None
        if not isinstance(version, str) or not VERSION.fullmatch(version):
            raise EesError(address, 0, "results", f"item {number} is not a version (an object "
                           "whose 'version' is like 1.0)")
    return results, pages


def api_changes(dataset_id: str, version: str, base: str | None = None) -> dict:
    """What a version changed relative to the one before it (``.../changes``)."""
    base = (base or API_BASE).rstrip("/")
    return read_json(f"{base}/v1/data-sets/{dataset_id}/versions/{version}/changes")


def api_csv_address(dataset_id: str, version: str, base: str | None = None) -> str:
    """The address of a version's CSV (``GET /v1/data-sets/{id}/csv?dataSetVersion=...``)."""
    base = (base or API_BASE).rstrip("/")
    return f"{base}/v1/data-sets/{dataset_id}/csv?dataSetVersion={version}"


def change_summary(changes) -> list[str]:
    """The publisher's change log in words: how many additions, deletions and updates of each
    kind of facet, major and minor (empty if there are none, or the log is not of that shape)."""
    out = []
    for weight in ("majorChanges", "minorChanges"):
        facets = changes.get(weight) if isinstance(changes, dict) else None
        for facet, items in sorted((facets if isinstance(facets, dict) else {}).items()):
            counts = {"added": 0, "deleted": 0, "updated": 0}
            for item in items if isinstance(items, list) else []:
                options = item.get("options", [item]) if isinstance(item, dict) else []
                for change in options if isinstance(options, list) else []:
                    if not isinstance(change, dict):
                        continue
                    before, after = change.get("previousState"), change.get("currentState")
                    counts["added" if before is None else "deleted" if after is None
                           else "updated"] += 1
            shown = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
            if shown:
                out.append(f"{weight[:5]} change to {str(facet)[:60]}: {shown}")
    return out


def read_json(address: str):
    """A JSON document from an http(s) address (the EES API)."""
    body = read_bytes(address)
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EesError(address, 0, "-", f"not a JSON document ({exc})") from None
    except RecursionError:  # arrays or objects nested thousands deep
        raise EesError(address, 0, "-", "not a JSON document this program reads (nested too "
                       "deep)") from None

