"""Normalised periods: parse codes such as ``FY2012-13`` into dates and pandas Periods.

The grammar is documented in ``data/README.md``. Financial years (April-March) become
``pd.Period(end_year, freq="Y-MAR")``, July-June years ``freq="Y-JUN"``, calendar years
``freq="Y-DEC"``; ranges (``A..B``) have a start and end date but no single Period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

FREQ = {"FY": "Y-MAR", "PY": "Y-JUN", "CY": "Y-DEC"}
KIND_NAMES = {
    "FY": "financial year (April-March)",
    "PY": "July-June year",
    "CY": "calendar year",
    "range": "date range",
}

# ASCII digits only: ``\d`` also matches fullwidth or Arabic-Indic digits (pandas cannot read them).
_SPLIT_YEAR = re.compile(r"^(FY|PY)([0-9]{4})-([0-9]{2})$")
_CAL_YEAR = re.compile(r"^CY([0-9]{4})$")
_DAY = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
FIRST_YEAR, LAST_YEAR = 1800, 2199
"""The years a period or date may lie in (pandas' timestamps cover them, with room to spare)."""


class PeriodError(ValueError):
    """A period code that does not follow the grammar."""


def year_problem(year: int, text: str) -> str | None:
    """What is wrong with the year of ``text``, or None: years from 1800 to 2199 only."""
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"{text!r}: the year {year} is outside {FIRST_YEAR} to {LAST_YEAR}"


def _check_year(year: int, text: str) -> None:
    problem = year_problem(year, text)
    if problem:
        raise PeriodError(problem)


@dataclass(frozen=True)
class ParsedPeriod:
    """A period code with its first and last day (inclusive) and, for whole years, a Period."""

    code: str
    kind: str  # "FY", "PY", "CY" or "range"
    start: pd.Timestamp
    end: pd.Timestamp
    period: pd.Period | None

    @property
    def months(self) -> float:
        """Length of the period in calendar months (fractions for part-months)."""
        s, e = self.start, self.end
        whole = (e.year - s.year) * 12 + (e.month - s.month)
        return whole + e.day / e.days_in_month - (s.day - 1) / s.days_in_month

    @property
    def mid(self) -> pd.Timestamp:
        """The midpoint of the period, for plotting."""
        return self.start + (self.end - self.start) / 2


def _year_period(code: str) -> ParsedPeriod | None:
    m = _SPLIT_YEAR.match(code)
    if m:
        prefix, first, second = m.group(1), int(m.group(2)), int(m.group(3))
        _check_year(first + 1, code)
        if (first + 1) % 100 != second:
            raise PeriodError(
                f"{code!r}: the second year must follow the first (e.g. {prefix}{first}-"
                f"{(first + 1) % 100:02d})"
            )
        period = pd.Period(str(first + 1), freq=FREQ[prefix])
    else:
        m = _CAL_YEAR.match(code)
        if not m:
            return None
        prefix = "CY"
        _check_year(int(m.group(1)), code)
        period = pd.Period(m.group(1), freq=FREQ["CY"])
    return ParsedPeriod(
        code=code,
        kind=prefix,
        start=period.start_time.normalize(),
        end=period.end_time.normalize(),
        period=period,
    )


def _bound(text: str, *, end: bool) -> pd.Timestamp:
    """The first (or last) day of one side of a range."""
    parsed = _year_period(text)
    if parsed is not None:
        return parsed.end if end else parsed.start
    m = _DAY.match(text) or _MONTH.match(text)
    if m:
        _check_year(int(m.group(1)), text)
    m = _DAY.match(text)
    if m:
        try:
            return pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as exc:
            raise PeriodError(f"{text!r} is not a real date") from exc
    m = _MONTH.match(text)
    if m:
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"{text!r} is not a real month")
        period = pd.Period(f"{m.group(1)}-{month:02d}", freq="M")
        return (period.end_time if end else period.start_time).normalize()
    raise PeriodError(
        f"{text!r} is not a period: use FYyyyy-yy, PYyyyy-yy, CYyyyy, YYYY-MM-DD or YYYY-MM"
    )


@lru_cache(maxsize=8192)
def parse_period(code: str) -> ParsedPeriod:
    """Parse one period code; raise ``PeriodError`` saying what is allowed if it is malformed.
    (Cached: a ParsedPeriod is immutable, and the record parses each code many times.)"""
    if not isinstance(code, str) or not code.strip():
        raise PeriodError("empty period: use FYyyyy-yy, PYyyyy-yy, CYyyyy or A..B")
    code = code.strip()
    parsed = _year_period(code)
    if parsed is not None:
        return parsed
    if ".." in code:
        left, _, right = code.partition("..")
        start, end = _bound(left, end=False), _bound(right, end=True)
        if end < start:
            raise PeriodError(f"{code!r}: the range ends before it starts")
        return ParsedPeriod(code=code, kind="range", start=start, end=end, period=None)
    raise PeriodError(
        f"{code!r} is not a period: use FYyyyy-yy (April-March), PYyyyy-yy (July-June), "
        "CYyyyy, or a range A..B"
    )


def fiscal_year(label: str | int) -> pd.Period:
    """The financial year Period for ``'2012-13'``, ``'FY2012-13'`` or the ending year ``2013``."""
    if isinstance(label, int):
        return pd.Period(str(label), freq=FREQ["FY"])
    text = label if label.startswith("FY") else f"FY{label}"
    parsed = parse_period(text)
    if parsed.kind != "FY":
        raise PeriodError(f"{label!r} is not a financial year such as 2012-13")
    return parsed.period


def fiscal_label(period: pd.Period) -> str:
    """The label ``'2012-13'`` for the financial year Period ending in March 2013."""
    end = period.end_time.year
    return f"{end - 1}-{end % 100:02d}"


_YEAR_MONTHS = {"FY": "April to March", "PY": "July to June"}


def readable(code, months: bool = False) -> str:
    """A period code as a reader writes it: 'FY2012-13' -> '2012-13' (with ``months``: '2012-13
    (April to March)'), 'PY2013-14' -> '2013-14 (July to June)', 'CY2020' -> '2020',
    '2011-02..2011-03' -> 'February to March 2011', '2010-04-01..2011-01-31' -> '1 April 2010 to
    31 January 2011', 'FY2011-12..FY2013-14' -> '2011-12 to 2013-14'. Text that is not a period
    code is returned as it is."""
    from scrlib.record.records import human_date

    if isinstance(code, pd.Period):  # a yearly Period reads as its code would
        code = _period_code(code)
    code = str(code).strip()
    if ".." in code:
        first, last = code.split("..", 1)
        if first == last:  # a single day: a count at a date ('31 March 2020')
            return readable(first, months=months)
        left, right = readable(first), readable(last, months=months)
        if first[:2] == last[:2] == "PY":
            left = first[2:]  # '2013-14 to 2015-16 (July to June)'
        same_year = (_MONTH.match(first) or _DAY.match(first)) and (
            _MONTH.match(last) or _DAY.match(last)) and first[:4] == last[:4]
        if same_year and left.endswith(" " + first[:4]):
            left = left.removesuffix(" " + first[:4])  # 'February to March 2011'
        return f"{left} to {right}"
    m = _SPLIT_YEAR.match(code)
    if m:
        years = code[2:]
        if m.group(1) == "PY" or months:
            return f"{years} ({_YEAR_MONTHS[m.group(1)]})"
        return years
    if _CAL_YEAR.match(code):
        return code[2:]
    if _DAY.match(code) or _MONTH.match(code):
        return human_date(code)
    return code


_CODE_IN_TEXT = re.compile(
    r"(?<![\w.-])((?:FY|PY)[0-9]{4}-[0-9]{2}|CY[0-9]{4}|[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?)"
    r"(?:\.\.((?:FY|PY)[0-9]{4}-[0-9]{2}|CY[0-9]{4}|[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?))?"
    r"(?![\w-])")


def readable_in(text: str) -> str:
    """Free text (a note, a definition) with each period code in it written as a reader writes
    it: 'Figures for FY2016-17 to FY2018-19' -> 'Figures for 2016-17 to 2018-19'. A plain
    'YYYY-MM' or date is left alone unless it is one end of a range ('A..B')."""
    def words(m: re.Match) -> str:
        first, last = m.group(1), m.group(2)
        if last is None and not first.startswith(("FY", "PY", "CY")):
            return m.group(0)  # '2012-13' or a date on its own: already words
        try:
            return readable(m.group(0))
        except (PeriodError, ValueError):
            return m.group(0)

    return _CODE_IN_TEXT.sub(words, text) if isinstance(text, str) else text


def _period_code(period: pd.Period) -> str:
    """The code of a yearly Period ('FY2012-13', 'PY2013-14', 'CY2020'); str() of any other."""
    prefix = {v: k for k, v in FREQ.items()}.get(period.freqstr)
    if prefix is None:
        return str(period)
    end = period.end_time.year
    return f"CY{end}" if prefix == "CY" else f"{prefix}{end - 1}-{end % 100:02d}"
