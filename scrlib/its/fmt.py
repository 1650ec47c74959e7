"""Numbers as a reader should see them: rounded to what the data support, a dash for missing.

Every reader table and every number in generated prose goes through these functions, so a
p-value never shows nine digits and a missing value never shows as ``NaN``.
"""

from __future__ import annotations

import math

import pandas as pd

DASH = "\u2013"  # an en dash: "no value here"
LEVEL = 0.05  # a p-value that rounds to it keeps one more digit, to show its side


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
    text = f"{value:.2g}" if value < 0.1 else f"{value:.2f}"
    if float(text) == LEVEL and value != LEVEL:  # 0.0496 is not "0.05": say which side
        text = f"{value:.3g}"
    return text


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
    text = f"{value:.{digits}f}"
    while float(text) == 1 and value != 1 and digits < 4:  # 1.003 is not "1.00": say its side
        digits += 1
        text = f"{value:.{digits}f}"
    return text


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


def mc_step(se) -> float:
    """The rounding step a Monte Carlo standard error ``se`` supports: the power of ten at or
    above twice the error, so no printed digit is simulation noise (0 where there is no
    error to go by)."""
    if missing(se) or not math.isfinite(float(se)) or float(se) <= 0:
        return 0.0
    return 10.0 ** math.ceil(math.log10(2 * float(se)) - 1e-12)


def with_error(value, se) -> str:
    """``value`` to the digits its Monte Carlo standard error ``se`` supports (``mc_step``);
    three significant figures where there is no error to go by; a dash if none."""
    if missing(value):
        return DASH
    value, step = float(value), mc_step(se)
    if not step:
        return f"{value:.3g}"
    decimals = max(0, -round(math.log10(step)))
    return f"{round(value / step) * step:.{decimals}f}"


def mc_ratio(value, se) -> str:
    """A rate ratio estimated by simulation: as :func:`ratio`, or coarser where its Monte Carlo
    error ``se`` does not support two decimals (never finer than :func:`ratio`)."""
    if missing(value):
        return DASH
    if mc_step(se) <= 0.01 or not 0.1 <= abs(float(value)) <= 1000:
        return ratio(value)
    return with_error(value, se)


def mc_interval(low, high, low_se, high_se) -> str:
    """An interval whose ends are estimated by simulation, each end to the digits its Monte
    Carlo error supports (:func:`mc_ratio`)."""
    if missing(low) or missing(high):
        return DASH
    return f"{mc_ratio(low, low_se)} to {mc_ratio(high, high_se)}"


def mc_probability(value, se) -> str:
    """A probability estimated by simulation: as :func:`probability`, or coarser where its
    Monte Carlo error ``se`` does not support two decimals ("< 0.1" and "> 0.9" at the ends
    then)."""
    if missing(value):
        return DASH
    step = mc_step(se)
    if step <= 0.01:
        return probability(value)
    text = with_error(value, se)
    if float(text) <= 0:
        return f"< {with_error(step, se)}"
    if float(text) >= 1:
        return f"> {with_error(1 - step, se)}"
    return text


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
