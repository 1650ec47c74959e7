"""The review systems as data: checks of ``systems.csv`` and ``series-systems.csv`` against the
other tables, and which system counts a figure.

A system is dated by events (``events.csv``), so its start and end rest on cited words. A series
counts under one system over a range of periods; a series whose count passes from one system to
another (serious incident notifications: to Ofsted, then to the Panel) has one row per system,
and the change between them is a break in definition, never an effect.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from scrlib.record.periods import PeriodError, parse_period
from scrlib.record.problems import Problem


def span(first: str, last: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first and last day of a mapping row's range (None: open at that end); malformed
    periods count as open (they are reported on their own)."""
    def bound(code: str, end: bool):
        if not code:
            return None
        try:
            parsed = parse_period(code)
        except (PeriodError, ValueError, OverflowError):
            return None
        return parsed.end if end else parsed.start
    return bound(first, False), bound(last, True)


def within(start, end, lo, hi) -> bool:
    """Whether the days ``start`` to ``end`` lie inside the range ``lo`` to ``hi``."""
    return (lo is None or start >= lo) and (hi is None or end <= hi)


def system_problems(raw) -> list[Problem]:
    """Problems of the systems tables (a RawDataset's rows): unknown ids, an end event dated
    before the start, ranges of one series that overlap, and a figure of a mapped series that
    no range of its series holds (say which system counts it)."""
    out: list[Problem] = []
    path_systems = raw.paths.get("systems", "systems.csv")
    path_map = raw.paths.get("series_systems", "series-systems.csv")
    events: dict[str, list[str]] = defaultdict(list)
    for row in raw.rows.get("events", []):
        events[row["event_id"]].append(row["date"])
    systems = {r["system_id"] for r in raw.rows.get("systems", [])}
    series = {r["series_id"] for r in raw.rows.get("series", [])}
    seen: dict[str, int] = {}
    for row in raw.rows.get("systems", []):
        if row["system_id"] in seen:
            out.append(Problem(path_systems, row.line, "system_id",
                               f"duplicate system_id {row['system_id']!r} (first on line "
                               f"{seen[row['system_id']]})"))
        seen.setdefault(row["system_id"], row.line)
        for name in ("start_event_id", "end_event_id"):
            if row[name] and row[name] not in events:
                out.append(Problem(path_systems, row.line, name,
                                   f"unknown event {row[name]!r}: a system is dated by an event "
                                   "of events.csv"))
        start, end = row["start_event_id"], row["end_event_id"]
        if start in events and end in events:
            first, last = min(events[start]), max(events[end])
            if last[:len(first)] < first[:len(last)]:
                out.append(Problem(path_systems, row.line, "end_event_id",
                                   f"{end} is dated {last}, before {start} ({first})"))
    ranges: dict[str, list[tuple]] = defaultdict(list)
    pairs: dict[tuple[str, str], int] = {}
    for row in raw.rows.get("series_systems", []):
        key = (row["series_id"], row["system_id"])
        if key in pairs:
            out.append(Problem(path_map, row.line, "system_id",
                               f"duplicate series_id/system_id {key} (first on line "
                               f"{pairs[key]})"))
        pairs.setdefault(key, row.line)
        if row["series_id"] and row["series_id"] not in series:
            out.append(Problem(path_map, row.line, "series_id",
                               f"unknown series {row['series_id']!r}"))
        if row["system_id"] and row["system_id"] not in systems:
            out.append(Problem(path_map, row.line, "system_id",
                               f"unknown system {row['system_id']!r}"))
        lo, hi = span(row["first_period"], row["last_period"])
        if lo is not None and hi is not None and hi < lo:
            out.append(Problem(path_map, row.line, "last_period",
                               f"{row['last_period']} ends before {row['first_period']} starts"))
        for other_line, olo, ohi in ranges[row["series_id"]]:
            if (hi is None or olo is None or olo <= hi) and (ohi is None or lo is None
                                                            or lo <= ohi):
                out.append(Problem(path_map, row.line, "first_period",
                                   f"{row['series_id']}'s range overlaps the one on line "
                                   f"{other_line}: a period counts under one system"))
        ranges[row["series_id"]].append((row.line, lo, hi))
    for row in raw.rows.get("figures", []):
        rows = ranges.get(row["series_id"])
        if not rows:
            continue
        try:
            parsed = parse_period(row["period"])
        except (PeriodError, ValueError, OverflowError):
            continue
        if not any(within(parsed.start, parsed.end, lo, hi) for _, lo, hi in rows):
            out.append(Problem(raw.paths.get("figures", "figures.csv"), row.line, "period",
                               f"{row['period']} lies in no range of {row['series_id']} in "
                               "series-systems.csv: say which system counts it (a period across "
                               "a change of system belongs to neither)"))
    return out


def spans_of(mapping: pd.DataFrame) -> dict[str, list[tuple]]:
    """Each series' ranges from ``mapping`` (series-systems.csv's rows): series_id -> a list
    of (first day or None, last day or None, system_id)."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for series_id, system_id, first, last in zip(
            mapping["series_id"], mapping["system_id"], mapping["first_period"],
            mapping["last_period"], strict=True):
        out[series_id].append((*span(first, last), system_id))
    return dict(out)


def system_of(spans: dict[str, list[tuple]], series_id: str, start, end) -> str:
    """The system whose range of ``series_id`` (in ``spans``, from :func:`spans_of`) holds the
    days ``start`` to ``end``, or '' (no system: a denominator or a total across systems)."""
    for lo, hi, system_id in spans.get(series_id, ()):
        if within(start, end, lo, hi):
            return system_id
    return ""
