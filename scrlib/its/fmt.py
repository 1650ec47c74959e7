"""Numbers as a reader should see them: rounded to what the data support, a dash for missing.

Every reader table and every number in generated prose goes through these functions, so a
p-value never shows nine digits and a missing value never shows as ``NaN``.
"""

from __future__ import annotations

import math

import pandas as pd

DASH = "\u2013"  # an en dash: "no value here"


def missing(value) -> bool:
    """True for None, NaN and NaT."""
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def p(value, smallest: float | None = None) -> str:
    """A p-value: "< 0.001", else two significant figures ("0.053", "0.59"); a dash if none.
    ``smallest``: the least a simulation could give; at it, "≤" says so."""
    if missing(value):
        return DASH
    value = float(value)
    if smallest is not None and value <= smallest * (1 + 1e-9):
        return "\u2264 " + (f"{smallest:.2g}" if smallest >= 0.001 else "0.001")
    if value < 0.001:
        return "< 0.001"
    if value >= 0.995:
        return "1.0"
    return f"{value:.2g}" if value < 0.1 else f"{value:.2f}"


def p_phrase(value, smallest: float | None = None) -> str:
    """A p-value inside a sentence: "p < 0.001", "p ≤ 0.005" or "p = 0.053"."""
    text = p(value, smallest)
    return f"p {text}" if text[0] in "<\u2264" else f"p = {text}"


def ratio(value, digits: int = 2) -> str:
    """A rate or odds ratio to two decimals (two significant figures below 0.1)."""
    if missing(value):
        return DASH
    value = float(value)
    if math.isinf(value):
        return "unbounded"
    if value == 0:
        return "0"
    if 0 < value < 0.001:
        return "< 0.001"
    if value > 1000:
        return "> 1000"
    if abs(value) < 0.1:
        return f"{value:.2g}"
    return f"{value:.{digits}f}"


WIDE = 50.0  # a ratio interval whose ends are further apart than this many times tells nothing


def interval(low, high, digits: int = 2) -> str:
    """ "0.07 to 0.80"; an open end says so ("0.65 to no upper limit"), and a ratio interval
    whose ends are more than ``WIDE`` times apart says it is too wide to tell anything."""
    if missing(low) or missing(high):
        return DASH
    lo = "no lower limit" if math.isinf(float(low)) else ratio(low, digits)
    hi = "no upper limit" if math.isinf(float(high)) else ratio(high, digits)
    text = f"{lo} to {hi}"
    if 0 < float(low) and math.isfinite(float(high)) and float(high) / float(low) > WIDE:
        text += " (too wide to tell anything)"
    return text


def probability(value) -> str:
    """A probability to two decimals, "< 0.01" and "> 0.99" at the ends (a Monte Carlo
    estimate carries no more); a dash if none."""
    if missing(value):
        return DASH
    value = float(value)
    if value < 0.005:
        return "< 0.01"
    if value > 0.995:
        return "> 0.99"
    return f"{value:.2f}"


def number(value, digits: int = 0) -> str:
    """A count or mean with thousands separators and ``digits`` decimals."""
    if missing(value):
        return DASH
    return f"{float(value):,.{digits}f}"


def percent(value, digits: int = 0) -> str:
    """A percentage given as a percent (48.0 -> "48%")."""
    if missing(value):
        return DASH
    return f"{float(value):.{digits}f}%"


def times(value) -> str:
    """A ratio in words: 0.52 -> "about half", 2.4 -> "2.4 times"."""
    if missing(value):
        return DASH
    value = float(value)
    if 0.45 <= value <= 0.55:
        return "about half"
    if 0.95 <= value <= 1.05:
        return "about the same"
    return f"{value:.2g} times"


def readable(frame: pd.DataFrame, formats: dict | None = None) -> pd.DataFrame:
    """A copy with each column in ``formats`` passed through its formatter, and every other
    missing value shown as a dash (so no reader table shows ``NaN``)."""
    out = frame.copy()
    for column, formatter in (formats or {}).items():
        out[column] = [formatter(v) for v in out[column]]
    for column in out.columns:
        if column not in (formats or {}):
            if out[column].isna().any():
                out[column] = [DASH if missing(v) else v for v in out[column]]
    return out


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The first column as the row labels, so a reader table shows no row numbers."""
    if frame.empty:
        return frame
    return frame.set_index(frame.columns[0])
