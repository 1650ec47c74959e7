"""The time axis of a series and when each intervention starts on it.

Every time point becomes an integer index ``t``: integers are used as given; pandas Periods use
their ordinal (periods since 1970 in their frequency); Timestamps are first turned into the
monthly, quarterly or annual Periods they start (or end). An intervention starts at index ``t0``
with a ``fraction`` in (0, 1]: the share of period ``t0`` that lies on or after the start date.
A date inside a period (a *transition* period) is coded by ``transition``:

* ``"sum"``: the period's expected count is the sum of its parts, the days before the date at
  the old rate and the days from it at the new one (:func:`split_parts`);
* ``"fractional"``: the step is the share of days after the date, mixed on the link scale;
* ``"whole"``: the period counts wholly on the side where most of its days fall (from the date
  on when at least half its days do), so ``fraction`` is 1.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrlib.its._checks import bad_rows

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_UNITS = {"M": "month", "Q": "quarter", "Y": "year", "D": "day", "W": "week"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class TimeAxis:
    """The series' time points: an integer index ``t`` and the original values for display."""

    column: str
    kind: str  # "integer" or "period"
    index: np.ndarray  # int64, strictly increasing
    values: pd.Index  # the time column as given (ints, Periods or Timestamps)
    periods: pd.PeriodIndex | None  # for kind == "period"

    @property
    def freq(self) -> str | None:
        """The pandas Period frequency (e.g. ``"Y-MAR"``), or None for integer time."""
        return None if self.periods is None else self.periods.freqstr

    @property
    def unit(self) -> str:
        """The time unit in words: ``"month"``, ``"financial year (April-March)"``, ..."""
        if self.periods is None:
            return "time unit"
        freq = self.freq
        if freq.startswith("Y-") and freq != "Y-DEC":
            if freq == "Y-MAR":
                return "financial year (April-March)"
            first = _MONTHS[_MONTHS.index(freq[2:]) - 11].capitalize()
            return f"year ({first}-{freq[2:].capitalize()})"
        return _UNITS.get(freq[0], freq)

    def x(self) -> np.ndarray | pd.DatetimeIndex:
        """Positions for plotting: integers as floats, periods at their midpoints."""
        if self.periods is None:
            return self.index.astype(float)
        start = self.periods.start_time
        return start + (self.periods.end_time - start) / 2

    def boundary_x(self, t0: int, fraction: float):
        """Where a start at (t0, fraction) is drawn: between points, or at the date."""
        if self.periods is None:
            return t0 - 0.5 + (1.0 - fraction)
        period = pd.Period(ordinal=int(t0), freq=self.freq)
        start = period.start_time
        return start + (period.end_time - start) * (1.0 - fraction)

    def end_x(self):
        """The right edge of the last time point (for shading to the end)."""
        if self.periods is None:
            return float(self.index[-1]) + 0.5
        return self.periods[-1].end_time

    def show(self, t: int) -> str:
        """A time index as a reader would write it (``37``, ``2012-13``, ``2005-01``)."""
        if self.periods is None:
            return str(int(t))
        period = pd.Period(ordinal=int(t), freq=self.freq)
        if self.freq.startswith("Y-") and self.freq != "Y-DEC":
            end = period.end_time.year
            return f"{end - 1}-{end % 100:02d}"
        return str(period)


@dataclass(frozen=True)
class Start:
    """When an intervention starts: period index ``t0``, share ``fraction`` of it that is post."""

    name: str
    t0: int
    fraction: float
    given: object  # the value the caller passed
    date: pd.Timestamp | None

    def step(self, t: np.ndarray) -> np.ndarray:
        """0 before, ``fraction`` in period t0, 1 afterwards."""
        return np.where(t > self.t0, 1.0, np.where(t == self.t0, self.fraction, 0.0))

    def slope(self, t: np.ndarray) -> np.ndarray:
        """Periods since t0 (0 at t0 and before)."""
        return np.maximum(t - self.t0, 0).astype(float)


def time_axis(frame: pd.DataFrame, column: str) -> TimeAxis:
    """Read the time column (integers, Periods or Timestamps); it must be strictly increasing."""
    raw = frame[column]
    if isinstance(raw.dtype, pd.PeriodDtype):
        periods = pd.PeriodIndex(raw)
    elif pd.api.types.is_datetime64_any_dtype(raw):
        periods = _dates_to_periods(frame, column, pd.DatetimeIndex(raw))
    elif pd.api.types.is_bool_dtype(raw):
        raise ValueError(f"time column {column!r} is boolean; give integers, dates or Periods")
    elif pd.api.types.is_integer_dtype(raw):
        periods = None
    elif pd.api.types.is_float_dtype(raw):
        values = raw.to_numpy(dtype=float)
        fractional = values != np.round(values)
        if fractional.any():
            raise ValueError(f"time column {column!r} must hold whole numbers, dates or Periods; "
                             f"non-integer values in rows {bad_rows(frame, fractional)}")
        periods = None
    else:
        periods = _object_times(frame, column)
    if periods is None:
        index = raw.to_numpy().astype(np.int64)
        kind = "integer"
    else:
        index = periods.asi8.astype(np.int64)
        kind = "period"
    steps = np.diff(index)
    if (steps == 0).any():
        dup = np.zeros(len(index), dtype=bool)
        dup[1:] = steps == 0
        dup[:-1] |= steps == 0
        raise ValueError(f"time column {column!r} has duplicated time points in rows "
                         f"{bad_rows(frame, dup)}")
    if (steps < 0).any():
        back = np.zeros(len(index), dtype=bool)
        back[1:] = steps < 0
        raise ValueError(f"time column {column!r} is not sorted ascending: rows "
                         f"{bad_rows(frame, back)} come before an earlier row's time; sort first")
    return TimeAxis(column, kind, index, pd.Index(raw), periods)


def _object_times(frame: pd.DataFrame, column: str) -> pd.PeriodIndex:
    values = list(frame[column])
    if all(isinstance(v, pd.Period) for v in values):
        freqs = {v.freqstr for v in values}
        if len(freqs) > 1:
            raise ValueError(f"time column {column!r} mixes Period frequencies {sorted(freqs)}")
        return pd.PeriodIndex(values)
    if all(isinstance(v, dt.date | np.datetime64) for v in values):
        return _dates_to_periods(frame, column, pd.DatetimeIndex(pd.to_datetime(values)))
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        raise ValueError(f"time column {column!r} holds Python ints in an object column; "
                         "convert it with .astype('int64')")
    bad = np.array([not isinstance(v, pd.Period | dt.date) for v in values])
    raise ValueError(f"time column {column!r} must hold integers, dates (Timestamps) or pandas "
                     f"Periods; other values (e.g. strings) in rows {bad_rows(frame, bad)} "
                     "(convert with pd.to_datetime or pd.PeriodIndex)")


def _dates_to_periods(frame: pd.DataFrame, column: str, dates: pd.DatetimeIndex) -> pd.PeriodIndex:
    """Monthly, quarterly or annual Periods whose first (or last) day each date is."""
    dates = dates.tz_localize(None) if dates.tz is not None else dates
    dates = dates.normalize()
    if len(dates) < 2:
        raise ValueError(f"time column {column!r}: cannot tell the frequency of one date; "
                         "pass pandas Periods instead")
    months = np.asarray(dates.year * 12 + dates.month - 1)
    gaps = np.diff(months)
    step = int(np.gcd.reduce(gaps[gaps > 0])) if (gaps > 0).any() else 0
    at_start = bool((dates.day == 1).all())
    at_end = bool(dates.is_month_end.all())
    if step not in (1, 3, 12) or not (at_start or at_end) or (gaps == 0).any():
        raise ValueError(
            f"time column {column!r}: dates must be evenly monthly, quarterly or yearly, each on "
            "the first (or last) day of its period; pass pandas Periods for other series "
            "(e.g. pd.PeriodIndex or Series.dt.to_period)"
        )
    if step == 1:
        freq = "M"
    else:
        first_month = int(dates[0].month)  # 1..12
        last_month = (first_month + step - 2) % 12 + 1 if at_start else first_month
        if step == 3:  # name quarters by the anchor pandas uses by default (Q-DEC etc.)
            last_month += 3 * ((12 - last_month) // 3)
        freq = ("Q-" if step == 3 else "Y-") + _MONTHS[last_month - 1]
    periods = dates.to_period(freq)
    edge = periods.start_time.normalize() if at_start else periods.end_time.normalize()
    off = np.asarray(edge != dates)
    if off.any():
        raise ValueError(f"time column {column!r}: dates in rows {bad_rows(frame, off)} are not "
                         f"at the {'start' if at_start else 'end'} of a {freq} period")
    return periods


TRANSITIONS = ("sum", "fractional", "whole")


def resolve_start(axis: TimeAxis, name: str, value, *, transition: str = "sum") -> Start:
    """Where intervention ``name`` starts on ``axis`` (see the module docstring)."""
    if axis.periods is None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != int(value):
            raise ValueError(
                f"intervention {name!r}: time column {axis.column!r} holds integers, so give "
                f"the start as an integer time point, not {value!r}"
            )
        return Start(name, int(value), 1.0, value, None)
    freq = axis.periods.freq
    if isinstance(value, pd.Period) and value.freq == freq:
        return Start(name, int(value.ordinal), 1.0, value, value.start_time)
    date = _as_date(name, value)
    if isinstance(axis.values, pd.DatetimeIndex) and date in axis.values:
        # A Timestamp of the time column itself names that period (e.g. a period-end label).
        t0 = int(axis.index[axis.values.get_loc(date)])
        return Start(name, t0, 1.0, value, pd.Period(ordinal=t0, freq=freq).start_time)
    period = date.to_period(freq)
    start = period.start_time.normalize()
    if date == start:
        return Start(name, int(period.ordinal), 1.0, value, date)
    last = period.end_time.normalize()
    fraction = ((last - date).days + 1) / ((last - start).days + 1)
    if transition == "whole":
        first = int(period.ordinal) if fraction >= 0.5 else int(period.ordinal) + 1
        return Start(name, first, 1.0, value, date)
    return Start(name, int(period.ordinal), float(fraction), value, date)


def _as_date(name: str, value) -> pd.Timestamp:
    if isinstance(value, pd.Period):
        return value.start_time.normalize()
    if isinstance(value, str) and not _DAY.match(value.strip()):
        raise ValueError(f"intervention {name!r}: give a date as 'YYYY-MM-DD' (or a Period), not "
                         f"{value!r}: a bare year or month is ambiguous")
    if isinstance(value, str | dt.date | np.datetime64):
        try:
            return pd.Timestamp(value).normalize()
        except ValueError as err:
            raise ValueError(f"intervention {name!r}: {value!r} is not a date "
                             "('YYYY-MM-DD')") from err
    raise ValueError(
        f"intervention {name!r}: the time column holds periods, so give a Period of the same "
        f"frequency or a date ('YYYY-MM-DD' or Timestamp), not {value!r}"
    )
