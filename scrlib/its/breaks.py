"""Where do the data put the break? An exhaustive scan of break dates, with bootstrap inference.

:func:`scan` fits a count model with one or two break dates at every admissible placement on a
grid of dates (and at each candidate date given, such as the policy dates), and reports:

* the **profile**: the deviance at each placement, as the scaled drop from the best one,
  ``lr = (D(placement) - D(best)) / phi`` (``phi`` the Pearson dispersion of the best fit for
  quasipoisson, 1 for poisson);
* a **confidence set** of placements, by inverting a bootstrap test: a placement is in the set
  when its ``lr`` is at most the ``level`` quantile of the same statistic in series simulated
  with the break at that placement. With one date every placement is tested so. With two dates
  (hundreds of placements) the candidates (policy dates) are tested so, and the other
  placements use the quantile at the best placement, a plug-in calibration that
  benchmarks/sim_breaks.py measured at 92% to 95% coverage (column ``cutoff``);
* a **test that a break exists at all**, valid although the date was chosen by searching:
  ``F = (D0 - D(best)) / (q phi)`` (``q`` break coefficients; ``D0`` the no-break deviance) is
  compared with its distribution in series simulated from the no-break model, each scanned the
  same way (the sup-F statistic; p = (1 + #{F* >= F}) / (replicates + 1)).

Kinds of break (``breaks`` dates, ``kind``):

* ``breaks=1, kind="step"``: a permanent change of level from the date on;
* ``breaks=2, kind="dip"``: a temporary change between two dates, returning to the baseline;
* ``breaks=2, kind="step"``: two permanent changes, one at each date.

The baseline is a level and (``trend=True``) a log-linear trend. A period that contains a date
is the sum of its parts (days before at the old level, days after at the new one). Simulated
series have the fitted means and variance ``phi * mean`` (negative binomial draws with that
variance when ``phi > 1``, Poisson otherwise). Everything is reproducible from ``seed``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scrlib.its import _checks, digits
from scrlib.its._engine import IdentificationError
from scrlib.its._parts import _solve
from scrlib.its._timing import TimeAxis, time_axis
from scrlib.its.identification import identified_information

KINDS = ("step", "dip")
FAMILIES = ("poisson", "quasipoisson")
RESOLUTIONS = {"month": "MS", "quarter": "QS-JAN", "year": None}
MIN_REPLICATES = 19  # the fewest with which a 5% test can reject (1 / (19 + 1))
CHUNK = 2_000_000  # batch elements (replicates x placements x points x patterns) per call


@dataclass(frozen=True)
class Placement:
    """One set of break dates, and the label of the candidate it is (if any)."""

    dates: tuple[pd.Timestamp, ...]
    label: str = ""


@dataclass(frozen=True)
class BreakScan:
    """The result of :func:`scan`: the profile, the best placement, the confidence set and the
    test that a break exists. ``profile`` has one row per placement (``start``, ``end`` for two
    dates, ``deviance``, ``lr``, ``in_set``, ``candidate``, ``rate_ratio`` [and
    ``rate_ratio_2``])."""

    breaks: int
    kind: str
    family: str
    trend: bool
    resolution: str
    min_segment: float
    level: float
    replicates: int
    seed: int
    n: int
    axis: TimeAxis = field(repr=False)
    profile: pd.DataFrame = field(repr=False)
    null_deviance: float
    dispersion: float
    statistic: float
    p_value: float
    critical: float
    null_statistics: np.ndarray = field(repr=False)
    set_statistics: np.ndarray = field(repr=False)
    set_replicates: int = 0

    @property
    def q(self) -> int:
        """The number of break coefficients (2 for two permanent steps, else 1)."""
        return 2 if (self.breaks, self.kind) == (2, "step") else 1

    @property
    def best(self) -> pd.Series:
        """The best-fitting placement (lowest deviance; the earliest of ties, equal to
        ``digits.KEY_DIGITS`` significant digits)."""
        return self.profile.iloc[int(np.argmin(digits.key(self.profile["deviance"])))]

    @property
    def description(self) -> str:
        """What was scanned, in words."""
        return {(1, "step"): "one permanent change of level",
                (2, "dip"): "a temporary change between two dates (a dip or a bump, then a "
                            "return to the baseline)",
                (2, "step"): "two permanent changes of level"}[(self.breaks, self.kind)]

    @property
    def confidence_set(self) -> pd.DataFrame:
        """The placements in the confidence set."""
        return self.profile[self.profile["in_set"]]

    @property
    def set_size_range(self) -> tuple[int, int]:
        """How many placements the confidence set could hold given the Monte Carlo error of
        its cutoffs: (those surely in it, those possibly in it); the set's own size lies
        between them."""
        if "in_set_surely" not in self.profile:
            size = int(self.profile["in_set"].sum())
            return size, size
        return (int(self.profile["in_set_surely"].sum()),
                int(self.profile["in_set_possibly"].sum()))

    @property
    def candidates(self) -> pd.DataFrame:
        """The candidate placements (policy dates), with their ``lr`` and set membership."""
        return self.profile[self.profile["candidate"] != ""]

    @property
    def smallest_p(self) -> float:
        """The smallest p-value the bootstrap can give: 1 / (replicates + 1)."""
        return 1.0 / (self.replicates + 1)

    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Earliest and latest date in the confidence set (first dates for two breaks)."""
        starts = self.confidence_set["start"]
        return starts.min(), starts.max()

    def summary(self) -> str:
        """Readable text: what was scanned, the best placement, the set, the test."""
        best = self.best
        lines = [f"Break scan: {self.description}; {self.family}, "
                 f"{'level and trend' if self.trend else 'level'} baseline, n = {self.n}",
                 f"Placements: {len(self.profile)} ({self.resolution} grid and candidates), "
                 f"each segment at least {self.min_segment:g} period(s) of data",
                 f"Best: {_dates_text(best)}; rate ratio {_ratio_text(best)}",
                 f"{self.level:.0%} confidence set: {int(self.profile['in_set'].sum())} "
                 f"placement(s) whose scaled deviance above the best is within "
                 + ("each one's own bootstrap cutoff (the test inverted at every placement, "
                    if self.breaks == 1 else
                    f"{self.critical:.3g} (bootstrap at the best placement; the policy dates "
                    "tested at their own placements, ")
                 + f"{self.set_replicates} replicates)"]
        for row in self.candidates.itertuples(index=False):
            lines.append(f"  candidate {row.candidate}: {_dates_text(row)}, scaled deviance "
                         f"+{row.lr:.3g}, {'inside' if row.in_set else 'outside'} the set")
        test = "F" if self.family == "quasipoisson" else "LR"
        lines.append(f"A break exists at all: sup-{test} = {self.statistic:.3g}, bootstrap "
                     f"p = {_p_text(self.p_value, self.smallest_p)} ({self.replicates} "
                     f"replicates under the no-break model, seed {self.seed})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, ax=None, *, marks: dict | None = None, title: str | None = None):
        """The profile (one date: a line; two dates: a map of start x end), the confidence set
        and the candidate dates; ``marks`` {label: date} adds further vertical lines."""
        from scrlib.its._plot import plot_scan

        return plot_scan(self, ax=ax, marks=marks, title=title)


def profiles(*scans: BreakScan) -> pd.DataFrame:
    """The profiles of several scans in one table, with a column saying which scan."""
    return pd.concat([s.profile.assign(scan=s.description.split(" (")[0]) for s in scans],
                     ignore_index=True)


def _dates_text(row) -> str:
    start = pd.Timestamp(row.start if hasattr(row, "start") else row["start"])
    end = row.end if hasattr(row, "end") else row["end"]
    if pd.isna(end):
        return f"from {start:%d %b %Y}"
    return f"{pd.Timestamp(start):%d %b %Y} to {pd.Timestamp(end):%d %b %Y}"


def _ratio_text(row) -> str:
    second = row.get("rate_ratio_2") if hasattr(row, "get") else None
    text = f"{row['rate_ratio']:.3g}"
    return text if second is None or pd.isna(second) else f"{text} and {second:.3g}"


def _p_text(p: float, smallest: float) -> str:
    return f"<= {smallest:.2g}" if p <= smallest else f"{p:.2g}"


def scan(data: pd.DataFrame, *, outcome: str, time: str, breaks: int = 1, kind: str = "step",
         family: str = "quasipoisson", trend: bool = True, offset: str | None = None,
         resolution: str = "quarter", min_segment: float = 1.0, replicates: int = 999,
         seed: int = 2012, level: float = 0.95,
         candidates: dict[str, object] | None = None,
         set_replicates: int | None = None) -> BreakScan:
    """Scan every admissible placement of ``breaks`` dates (see the module docstring).

    ``replicates`` simulated series calibrate the existence test; ``set_replicates`` (default
    ``min(replicates, 499)``) calibrate the confidence set, at each placement for one date.
    ``replicates=0`` gives the profile alone (no bootstrap: no set, p-value or cutoff), fast
    enough to redraw while a date is dragged.

    ``candidates`` maps labels to dates (one date each; with ``breaks=2`` every ordered pair of
    candidate dates is a candidate placement). Bad arguments raise ValueError naming the
    argument and what is allowed.
    """
    profile_only = replicates == 0 and not isinstance(replicates, bool)
    if profile_only:
        replicates = set_replicates = MIN_REPLICATES  # checked, then not used
    _check_arguments(breaks, kind, family, resolution, replicates, seed, level, min_segment)
    if set_replicates is None:
        set_replicates = min(replicates, 499)
    _check_arguments(breaks, kind, family, resolution, set_replicates, seed, level, min_segment)
    _checks.require_columns(data, {"outcome": outcome, "time": time, "offset": offset})
    used = [c for c in (outcome, time, offset) if c is not None]
    _checks.require_complete(data, used)
    y = _checks.counts(data, outcome)
    m = None if offset is None else _checks.positive(data, offset, "exposure")
    axis = time_axis(data, time)
    if axis.periods is None:
        raise ValueError(f"time column {time!r} holds integers; the scan places dates, so give "
                         "pandas Periods or dates")
    n = len(y)
    base = 2 if trend else 1
    k = base + (2 if (breaks, kind) == (2, "step") else 1)
    segments = breaks + 1
    if n - k < 2:
        raise ValueError(f"breaks={breaks} (kind={kind!r}) needs {k} coefficients and at least "
                         f"{k + 2} points; the series has {n}: allowed breaks here: "
                         f"{'1' if n - base - 1 >= 2 else 'none'}")
    if min_segment * segments > n:
        raise ValueError(f"min_segment={min_segment:g} is longer than the data allow: "
                         f"{segments} segments of at least {min_segment:g} period(s) need "
                         f"{min_segment * segments:g}; the series has {n} (allowed: at most "
                         f"{n / segments:g})")

    starts = axis.periods.start_time
    ends = axis.periods.end_time.normalize()
    grid = _grid(axis, resolution)
    placements = _placements(grid, breaks, candidates, starts, ends, min_segment)
    if not placements:
        raise ValueError(f"no admissible placement: with min_segment={min_segment:g} no "
                         f"{breaks} date(s) leave enough data in every segment")
    patterns, segment_pattern = _patterns(breaks, kind)
    X = _base(axis, trend)
    shares = _shares_by_pattern(placements, segment_pattern, starts, ends)
    keys = [hash(a.round(12).tobytes()) for a in shares]
    unique = list(dict.fromkeys(keys))
    where = {key: i for i, key in enumerate(unique)}
    A = shares[[keys.index(key) for key in unique]]
    index = np.array([where[key] for key in keys])

    null = fit_patterns(y, X, *_no_break(n), m=m)
    if not bool(null.usable):
        raise IdentificationError("the scan's baseline (level" + (" and trend" if trend else "")
                                  + ") is not identified by these data at its estimate")
    fits = fit_patterns(y[None], X, A, patterns, m=m)
    deviance = np.where(fits.usable, fits.deviance, np.inf)
    if not np.isfinite(deviance).any():
        raise IdentificationError(f"no placement of {breaks} break(s) (kind={kind!r}) is "
                                  "identified by these data at its estimate")
    b = int(np.argmin(digits.key(deviance[index])))
    best_u = index[b]
    phi = (float(fits.pearson[best_u]) / (n - k)) if family == "quasipoisson" else 1.0
    phi = max(phi, 1e-12)
    q = k - base
    statistic = (float(null.deviance) - float(deviance[best_u])) / (q * phi)
    lr = (deviance[index] - deviance[best_u]) / phi

    if profile_only:
        nan = np.full(len(index), np.nan)
        profile = _profile_frame(placements, deviance[index], lr, nan,
                                 np.zeros(len(index), dtype=bool), np.exp(fits.theta[:, base:]),
                                 index, q)
        return BreakScan(breaks, kind, family, trend, resolution, float(min_segment), level, 0,
                         int(seed), n, axis, profile, float(null.deviance), phi, statistic,
                         np.nan, np.nan, np.array([]), np.array([]), 0)
    rng = np.random.default_rng(seed)
    phi_sim = max(phi, 1.0) if family == "quasipoisson" else 1.0
    model = (X, A, patterns, m, family, n, k)
    null_y = _simulate(rng, null.mu, phi_sim, replicates)
    null_stats = _sup_statistics(null_y, model, q, null.theta, fits.theta)
    set_y = _simulate(rng, fits.mu[best_u], phi_sim, set_replicates)
    set_stats = _set_statistics(set_y, model, best_u, fits.theta)
    critical, *band = _cutoff_band(set_stats, level)
    p_value = (1 + int(np.sum(null_stats >= statistic - 1e-9))) / (replicates + 1)
    # One date: invert the test at every placement (its own bootstrap cutoff). Two dates:
    # hundreds of placements, so only the candidates (the policy dates, about which the report
    # makes claims) are tested exactly; the rest use the cutoff at the best placement.
    exact = (range(len(A)) if breaks == 1 else
             sorted({index[i] for i, p in enumerate(placements) if p.label}))
    cutoffs = np.tile(np.array([critical, *band]), (len(A), 1))
    for u in exact:
        if u == best_u:
            continue
        phi_u = (max(float(fits.pearson[u]) / (n - k), 1.0) if family == "quasipoisson"
                 else 1.0)
        stats_u = _set_statistics(_simulate(rng, fits.mu[u], phi_u, set_replicates), model,
                                  u, fits.theta)
        cutoffs[u] = _cutoff_band(stats_u, level)
    cutoff = cutoffs[index]

    profile = _profile_frame(placements, deviance[index], lr, cutoff[:, 0],
                             lr <= cutoff[:, 0] + 1e-9, np.exp(fits.theta[:, base:]), index, q)
    # Monte Carlo error of each cutoff (a quantile of set_replicates simulations): placements
    # inside the set for the lowest plausible cutoff surely belong; those inside it only for the
    # highest plausible one may or may not, with more simulations
    profile["in_set_surely"] = lr <= cutoff[:, 1] + 1e-9
    profile["in_set_possibly"] = lr <= cutoff[:, 2] + 1e-9
    return BreakScan(breaks, kind, family, trend, resolution, float(min_segment), level,
                     replicates, int(seed), n, axis, profile, float(null.deviance), phi,
                     statistic, p_value, critical, null_stats, set_stats, set_replicates)


def _cutoff_band(statistics: np.ndarray, level: float) -> tuple[float, float, float]:
    """The bootstrap cutoff (the ``level`` quantile, 'higher') and a 95% band for it from
    the order statistics (distribution-free: ranks B level -/+ 1.96 sqrt(B level (1 - level)))."""
    ordered = np.sort(np.asarray(statistics, dtype=float))
    b = len(ordered)
    cutoff = float(np.quantile(ordered, level, method="higher"))
    spread = 1.96 * np.sqrt(b * level * (1 - level))
    low = int(np.clip(np.floor(b * level - spread), 1, b)) - 1
    high = int(np.clip(np.ceil(b * level + spread), 1, b)) - 1
    return cutoff, float(ordered[low]), float(ordered[high])


def _profile_frame(placements, deviance, lr, cutoff, in_set, ratio, index, q) -> pd.DataFrame:
    profile = pd.DataFrame({
        "start": [p.dates[0] for p in placements],
        "end": [p.dates[1] if len(p.dates) > 1 else pd.NaT for p in placements],
        "deviance": deviance,
        "lr": lr,
        "cutoff": cutoff,
        "in_set": in_set,
        "candidate": [p.label for p in placements],
        "rate_ratio": ratio[index, 0],
    })
    if q == 2:
        profile["rate_ratio_2"] = ratio[index, 1]
    return profile


def _check_arguments(breaks, kind, family, resolution, replicates, seed, level, min_segment):
    if isinstance(breaks, bool) or not isinstance(breaks, numbers.Integral) or breaks not in (1,
                                                                                             2):
        raise ValueError(f"breaks={breaks!r}: this scan places 1 or 2 break dates (allowed: 1, "
                         "2)")
    if kind not in KINDS or (breaks == 1 and kind != "step"):
        allowed = "'step'" if breaks == 1 else "'step' (two permanent changes) or 'dip'"
        raise ValueError(f"kind={kind!r} with breaks={breaks}: allowed {allowed}")
    if family not in FAMILIES:
        raise ValueError(f"family={family!r}: the scan fits {', '.join(FAMILIES)}")
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution={resolution!r}: allowed {', '.join(RESOLUTIONS)}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed={seed!r} must be an integer (it makes the bootstrap "
                         "reproducible)")
    if (isinstance(replicates, bool) or not isinstance(replicates, numbers.Integral)
            or replicates < MIN_REPLICATES):
        raise ValueError(f"replicates={replicates!r} must be an integer of at least "
                         f"{MIN_REPLICATES} (use 999 or more for reporting)")
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} must be between 0 and 1")
    if not (isinstance(min_segment, numbers.Real) and min_segment > 0):
        raise ValueError(f"min_segment={min_segment!r} must be a number of periods > 0")


def _grid(axis: TimeAxis, resolution: str) -> list[pd.Timestamp]:
    """Candidate dates strictly inside the data's span, on the chosen grid."""
    periods = axis.periods
    first, last = periods[0].start_time, periods[-1].end_time.normalize()
    if RESOLUTIONS[resolution] is None:
        every = pd.period_range(periods[0], periods[-1], freq=periods.freq).start_time
        dates = list(every)
    else:
        dates = list(pd.date_range(first, last, freq=RESOLUTIONS[resolution]))
    return [pd.Timestamp(d) for d in dates if first < d <= last]


def _shares(dates, starts, ends) -> np.ndarray:
    """For each date, the share of each period's days before it (0 before the period, 1
    after)."""
    out = np.empty((len(dates), len(starts)))
    days = np.asarray((ends - starts).days + 1, dtype=float)
    for i, d in enumerate(dates):
        before = np.asarray((d - starts).days, dtype=float)
        out[i] = np.clip(before / days, 0.0, 1.0)
    return out


def _placements(grid, breaks, candidates, starts, ends, min_segment) -> list[Placement]:
    named = {}
    for label, value in (candidates or {}).items():
        named[pd.Timestamp(value).normalize()] = str(label)
    dates = sorted(set(grid) | set(named))
    shares = _shares(dates, starts, ends)  # share of each period before each date
    size_before = shares.sum(axis=1)  # periods' worth of data before each date
    total = float(len(starts))
    out = []
    if breaks == 1:
        for i, d in enumerate(dates):
            if size_before[i] >= min_segment and total - size_before[i] >= min_segment:
                out.append(Placement((d,), named.get(d, "")))
        return out
    for i, d1 in enumerate(dates):
        if size_before[i] < min_segment:
            continue
        for j in range(i + 1, len(dates)):
            d2 = dates[j]
            middle = size_before[j] - size_before[i]
            if middle >= min_segment and total - size_before[j] >= min_segment:
                both = d1 in named and d2 in named
                label = f"{named[d1]} to {named[d2]}" if both else ""
                out.append(Placement((d1, d2), label))
    return out


def _patterns(breaks: int, kind: str) -> tuple[np.ndarray, list[int]]:
    """The 0/1 break terms of each pattern (S, q), and the pattern of each segment."""
    if breaks == 1:
        return np.array([[0.0], [1.0]]), [0, 1]
    if kind == "dip":
        return np.array([[0.0], [1.0]]), [0, 1, 0]
    return np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]), [0, 1, 2]


def _base(axis: TimeAxis, trend: bool) -> np.ndarray:
    t = (axis.index - axis.index[0]).astype(float)
    return np.column_stack([np.ones(len(t))] + ([t] if trend else []))


def _shares_by_pattern(placements, segment_pattern, starts, ends) -> np.ndarray:
    """(B, n, S): each period's share of days under each pattern, per placement."""
    n, count = len(starts), max(segment_pattern) + 1
    out = np.zeros((len(placements), n, count))
    for b, placement in enumerate(placements):
        before = _shares(placement.dates, starts, ends)
        edges = np.vstack([np.zeros(n), before, np.ones(n)])
        for segment, share in enumerate(np.diff(edges, axis=0)):
            out[b, :, segment_pattern[segment]] += share
    return out


def _simulate(rng, mu, phi, replicates) -> np.ndarray:
    """Counts with mean ``mu`` and variance ``phi * mu`` (negative binomial; Poisson if 1)."""
    mu = np.asarray(mu, dtype=float)
    if phi <= 1.0 + 1e-12:
        return rng.poisson(mu, size=(replicates, len(mu))).astype(float)
    size = mu / (phi - 1.0)
    return rng.negative_binomial(size, size / (size + mu),
                                 size=(replicates, len(mu))).astype(float)


@dataclass
class _Fit:
    """Batched fits of the scan's models: coefficients, means, deviance, Pearson chi2;
    ``identified`` by the rule of :mod:`scrlib.its.identification` at the estimate."""

    theta: np.ndarray
    mu: np.ndarray
    deviance: np.ndarray
    pearson: np.ndarray
    converged: np.ndarray
    identified: np.ndarray

    @property
    def usable(self) -> np.ndarray:
        """True where the fit converged and the data identify it."""
        return self.converged & self.identified


def fit_patterns(y, base, shares, patterns, *, m=None, start=None, maxiter: int = 50,
                 tol: float = 1e-10, step_tol: float = 1e-8) -> _Fit:
    """Poisson fits of ``mu_i = m_i exp(base_i . beta) sum_s shares_is exp(patterns_s . gamma)``.

    ``base`` (n, kb) is shared by every model; ``shares`` (..., n, S) are the shares of each
    period's days under each pattern of break terms (``patterns`` (S, q), row 0 all zeros).
    This is the sum-of-parts model of :mod:`scrlib.its._parts` for designs whose parts differ
    only in 0/1 break terms, fitted by the same Fisher scoring without the per-part design,
    which makes a bootstrap over many placements fast. Broadcasts over leading dimensions.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _fit_patterns(y, base, shares, patterns, m, start, maxiter, tol, step_tol)


def _pattern_mean(theta, base, shares, patterns, m, kb):
    beta, gamma = theta[..., :kb], theta[..., kb:]
    level = np.exp(np.minimum(beta @ base.T, 700.0)) * m  # (..., n)
    factors = np.exp(np.minimum(gamma @ patterns.T, 700.0))  # (..., S)
    parts = shares * factors[..., None, :]  # (..., n, S)
    h = parts.sum(axis=-1)
    mu = level * h
    d_gamma = level[..., None] * (parts @ patterns)  # (..., n, q)
    d_mu = np.concatenate([mu[..., None] * base, d_gamma], axis=-1)
    return mu, d_mu


def _fit_patterns(y, base, shares, patterns, m, start, maxiter, tol, step_tol) -> _Fit:
    y = np.asarray(y, dtype=float)
    n, kb = base.shape
    q = patterns.shape[1]
    m = np.ones(n) if m is None else np.asarray(m, dtype=float)
    shape = np.broadcast_shapes(y.shape[:-1], shares.shape[:-2])
    size = int(np.prod(shape))
    Y = np.broadcast_to(y, (*shape, n)).reshape(size, n)
    S = np.broadcast_to(shares, (*shape, *shares.shape[-2:])).reshape(size, n, -1)
    if start is None:
        z = np.log((Y + 0.5) / m)
        beta = np.linalg.lstsq(base, z.T, rcond=None)[0].T
        theta = np.concatenate([beta, np.zeros((size, q))], axis=-1)
    else:
        theta = np.broadcast_to(start, (*shape, kb + q)).reshape(size, kb + q).copy()

    def objective(y, mu):
        return 2 * np.sum(mu - special_xlogy(y, mu), axis=-1)

    mu, d_mu = _pattern_mean(theta, base, S, patterns, m, kb)
    obj = objective(Y, mu)
    converged = np.zeros(size, dtype=bool)
    for _ in range(maxiter):
        act = np.flatnonzero(~converged)  # iterate only the fits still moving
        if not act.size:
            break
        y_a, s_a, th, mu_a, d_a, obj_a = Y[act], S[act], theta[act], mu[act], d_mu[act], obj[act]
        weighted = d_a / mu_a[:, :, None]
        info = np.swapaxes(weighted, -1, -2) @ d_a
        score = np.sum((y_a - mu_a)[:, :, None] * weighted, axis=-2)
        step = _solve(info, score)
        step = np.where(np.isfinite(step), step, 0.0)
        factor = np.ones(len(act))
        for _ in range(20):
            trial = th + factor[:, None] * step
            mu_t, d_t = _pattern_mean(trial, base, s_a, patterns, m, kb)
            obj_t = objective(y_a, mu_t)
            worse = ~np.isfinite(obj_t) | (obj_t > obj_a + 1e-12 * (1 + np.abs(obj_a)))
            if not worse.any():
                break
            factor = np.where(worse, factor / 2, factor)
        change = np.abs(obj_a - obj_t) / (np.abs(obj_t) + 0.1)
        moved = np.max(np.abs(factor[:, None] * step), axis=-1) if q + kb else np.zeros(len(act))
        good = ~worse
        theta[act[good]] = trial[good]
        mu[act[good]] = mu_t[good]
        d_mu[act[good]] = d_t[good]
        obj[act[good]] = obj_t[good]
        stuck = worse & (factor < 1e-5)  # no decrease along the step: at the optimum
        converged[act] = ((change < tol) & (moved < step_tol)) | stuck
    dev = 2 * np.sum(special_xlogy(Y, Y / mu) - (Y - mu), axis=-1)
    pearson = np.sum((Y - mu) ** 2 / mu, axis=-1)
    ok = np.isfinite(dev) & np.isfinite(theta).all(axis=-1)
    info = np.swapaxes(d_mu / mu[:, :, None], -1, -2) @ d_mu
    return _Fit(theta.reshape(*shape, kb + q), mu.reshape(*shape, n), dev.reshape(shape),
                pearson.reshape(shape), (converged & ok).reshape(shape),
                identified_information(info).reshape(shape))


def special_xlogy(x, y):
    """x * log(y) with 0 log 0 = 0."""
    from scipy.special import xlogy

    return xlogy(x, y)


def _chunks(replicates: int, per_replicate: int):
    step = max(1, CHUNK // max(per_replicate, 1))
    for lo in range(0, replicates, step):
        yield slice(lo, min(replicates, lo + step))


def _best_of_placements(y, model, theta):
    """Every placement fitted to each simulated series: (deviances, best deviance, the best
    fit's dispersion; 1 for poisson)."""
    X, A, patterns, m, family, n, k = model
    fits = fit_patterns(y[:, None, :], X, A[None], patterns, m=m, start=theta[None], **FAST)
    dev = np.where(fits.usable, fits.deviance, np.inf)
    best = np.argmin(digits.key(dev), axis=1)
    rows = np.arange(len(best))
    phi = (fits.pearson[rows, best] / (n - k) if family == "quasipoisson"
           else np.ones(len(best)))
    return dev, dev[rows, best], np.maximum(phi, 1e-12)


def _sup_statistics(ys, model, q, null_theta, theta) -> np.ndarray:
    """The sup-F (sup-LR) statistic of each simulated series, scanned like the data."""
    X, A, _, m, _, n, _ = model
    out = np.empty(len(ys))
    for part in _chunks(len(ys), A.size):
        null = fit_patterns(ys[part], X, *_no_break(n), m=m, start=null_theta, **FAST)
        _, best, phi = _best_of_placements(ys[part], model, theta)
        out[part] = (null.deviance - best) / (q * phi)
    return out


def _set_statistics(ys, model, truth, theta) -> np.ndarray:
    """For series simulated with the break at ``truth``: its scaled deviance above the best."""
    out = np.empty(len(ys))
    for part in _chunks(len(ys), model[1].size):
        dev, best, phi = _best_of_placements(ys[part], model, theta)
        out[part] = (dev[:, truth] - best) / phi
    return out


def _no_break(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Shares and patterns of the model without a break (one pattern, no break terms)."""
    return np.ones((n, 1)), np.zeros((1, 0))


FAST = {"maxiter": 30, "tol": 1e-9, "step_tol": np.inf}  # bootstrap fits: deviance to ~1e-8
