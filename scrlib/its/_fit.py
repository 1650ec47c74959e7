"""``fit``: check the inputs, build the segmented-regression design, fit it, say what is weak."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from scrlib.its import _checks, identification
from scrlib.its._engine import (
    COUNT_FAMILIES,
    FAMILIES,
    IdentificationError,
    fit_model,
    hac_lags_rule,
)
from scrlib.its._parts import Parts
from scrlib.its._timing import TRANSITIONS, Start, TimeAxis, resolve_start, time_axis
from scrlib.its.result import INTERVALS, ItsResult

EFFECTS = ("step", "slope")
MIN_SIDE = 3  # fewer points than this on a side of an intervention -> warning
MIN_DISPERSION_DF = 5  # dispersion from fewer residual df than this -> warning
MIN_HAC_N = 30  # Newey-West with fewer points than this -> warning
OVERDISPERSED = 1.5  # Pearson chi2/df above this for poisson/binomial -> warning


def fit(
    data: pd.DataFrame,
    *,
    outcome: str,
    time: str,
    interventions: Mapping[str, object],
    family: str = "poisson",
    offset: str | None = None,
    trials: str | None = None,
    seasonality: tuple[int, float] | None = None,
    effects: Iterable[str] | str | Mapping[str, Iterable[str] | str] = ("step",),
    cov: str = "model",
    transition: str = "sum",
    interval: str | None = None,
    hac_lags: int | None = None,
    source: str | None = None,
    breaks: str | Iterable | None = None,
    maxiter: int = 100,
) -> ItsResult:
    """Fit a segmented regression of ``outcome`` on time around the interventions.

    The linear predictor is ``intercept + trend * (t - t_first) [+ Fourier terms]`` plus, per
    intervention, ``step`` (0 before, 1 from the start; a period containing the start is coded
    by ``transition``) and/or ``slope`` (periods since the start: 0 in the first
    post-intervention period). ``interval`` picks the reported intervals and p-values (default:
    ``"profile"`` for count families with model-based covariance, else ``"wald"``). See the
    package docstring for every argument.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if data.empty:
        raise ValueError("data has no rows")
    family = _choice("family", family, FAMILIES)
    cov = _choice("cov", cov, ("model", "hac"))
    transition = _choice("transition", transition, TRANSITIONS)
    if interval is None:
        interval = "profile" if cov == "model" and family != "gaussian" else "wald"
    interval = _choice("interval", interval, INTERVALS)
    if interval == "profile" and cov == "hac":
        raise ValueError("interval='profile' uses the model's likelihood, which Newey-West (HAC) "
                         "standard errors do not; with cov='hac' use interval='wald' or "
                         "'wald-normal'")
    _checks.require_columns(data, {"outcome": outcome, "time": time, "offset": offset,
                                   "trials": trials})
    if isinstance(breaks, str):
        _checks.require_columns(data, {"breaks": breaks})
    if family == "binomial" and trials is None:
        raise ValueError("family='binomial' needs trials= (the column of trials, e.g. reviews "
                         "commissioned, out of which the outcome counts successes)")
    if family != "binomial" and trials is not None:
        raise ValueError(f"trials= is only used with family='binomial', not {family!r}")
    if offset is not None and family in ("binomial", "gaussian"):
        raise ValueError(f"offset= is not supported with family={family!r} (binomial: the "
                         "trials are the denominator; gaussian: model the rate itself)")
    used = [c for c in (outcome, time, offset, trials) if c is not None]
    _checks.require_complete(data, used)

    if family in COUNT_FAMILIES:
        y = _checks.counts(data, outcome)
    else:
        y = _checks.numeric(data, outcome)
        if not np.isfinite(y).all():
            raise ValueError(f"column {outcome!r} has infinite values in rows "
                             f"{_checks.bad_rows(data, ~np.isfinite(y))}")
    n_trials = None
    if trials is not None:
        n_trials = _checks.counts(data, trials)
        short = n_trials < y
        if short.any():
            raise ValueError(f"column {trials!r} (trials) is smaller than {outcome!r} "
                             f"(successes) in rows {_checks.bad_rows(data, short)}")
        if (n_trials == 0).any():
            raise ValueError(f"column {trials!r} (trials) is 0 in rows "
                             f"{_checks.bad_rows(data, n_trials == 0)}: no proportion there")
    exposure = None if offset is None else _checks.positive(data, offset, "exposure")

    axis = time_axis(data, time)
    starts = _starts(axis, interventions, transition)
    chosen = _effects(effects, [s.name for s in starts])
    harmonics = _seasonality(seasonality)
    X, names = design(axis, starts, chosen, harmonics)
    _require(identification.check_design(X, names), X.shape[0], names)
    parts = (split_parts(axis, starts, chosen, X, names)
             if transition == "sum" and family != "gaussian" else Parts.whole(X))
    if parts.split and cov == "hac":
        raise ValueError("cov='hac' cannot be combined with transition='sum' when a date falls "
                         "inside a period (the sum of parts is fitted by its own likelihood); "
                         "use transition='fractional' or 'whole'")
    n = X.shape[0]
    if family in ("quasipoisson", "gaussian") and n <= X.shape[1]:
        raise ValueError(f"family={family!r} estimates its scale from the residuals, but "
                         f"{n} time points leave none after {X.shape[1]} coefficients; use "
                         "fewer effects or terms")
    lags = None
    if cov == "hac":
        lags = hac_lags_rule(n) if hac_lags is None else int(hac_lags)
        if lags < 0 or lags >= n:
            raise ValueError(f"hac_lags must be between 0 and n - 1 = {n - 1}, not {hac_lags}")
    log_exposure = None if exposure is None else np.log(exposure)
    result, sm_notes, nb_boundary = fit_model(family, y, X, offset=log_exposure,
                                              trials=n_trials, cov=cov, lags=lags,
                                              maxiter=maxiter, parts=parts, names=names)
    fitted = ItsResult(
        family=family, outcome=outcome, time=time, offset=offset, trials=trials,
        seasonality=harmonics, cov=cov, hac_lags=lags, axis=axis, starts=tuple(starts),
        effect_terms=chosen, names=tuple(names), design=X, y=y, log_exposure=log_exposure,
        n_trials=n_trials, model_result=result, nb_boundary=nb_boundary, source=source,
        warnings=[], notes=_timing_notes(axis, starts, transition, family),
        parts=parts, transition=transition, interval=interval,
    )
    if fitted.df_resid <= 0:  # already explained as a saturated model
        sm_notes = [m for m in sm_notes if "divide by zero" not in m]
    fitted.warnings.extend(_warnings(fitted, data, breaks, transition) + sm_notes)
    return fitted


def _choice(argument: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {argument} {value!r}; allowed: {', '.join(allowed)}")
    return value


def _starts(axis: TimeAxis, interventions, transition: str) -> list[Start]:
    if not isinstance(interventions, Mapping):
        raise ValueError("interventions must be a mapping name -> start time ({} for a trend "
                         "alone)")
    t = axis.index
    starts = []
    for name, value in interventions.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"intervention names must be non-empty strings, not {name!r}")
        start = resolve_start(axis, name, value, transition=transition)
        if not ((t < start.t0).any() and (t >= start.t0).any()):
            raise ValueError(
                f"intervention {name!r} starts at {axis.show(start.t0)} (given {value!r}), "
                f"outside the data's range {axis.show(t[0])} .. {axis.show(t[-1])} in column "
                f"{axis.column!r}: it needs at least one time point before it and one from it on"
            )
        starts.append(start)
    return starts


def _effects(effects, names: list[str]) -> dict[str, tuple[str, ...]]:
    def clean(value, where: str) -> tuple[str, ...]:
        value = (value,) if isinstance(value, str) else tuple(value)
        unknown = [v for v in value if v not in EFFECTS]
        if unknown:
            raise ValueError(f"unknown effect(s) {unknown} {where}; allowed: step, slope")
        return tuple(e for e in EFFECTS if e in value)

    if isinstance(effects, Mapping):
        extra = [k for k in effects if k not in names]
        if extra:
            raise ValueError(f"effects= names interventions {extra} that are not in "
                             f"interventions= {names}")
        return {n: clean(effects.get(n, ("step",)), f"for {n!r}") for n in names}
    common = clean(effects, "in effects=")
    return dict.fromkeys(names, common)


def _seasonality(seasonality) -> tuple[int, float] | None:
    if seasonality is None:
        return None
    try:
        harmonics, period = seasonality
        harmonics_ok = int(harmonics) == harmonics and harmonics >= 1
    except (TypeError, ValueError):
        raise ValueError("seasonality must be (harmonics, period), e.g. (2, 12)") from None
    if not harmonics_ok or not period > 0:
        raise ValueError(f"seasonality {seasonality!r}: harmonics must be a whole number >= 1 "
                         "and period > 0")
    if not 2 * harmonics < period:
        raise ValueError(f"seasonality {seasonality!r}: at most {int(np.ceil(period / 2)) - 1} "
                         f"harmonic pair(s) can be told apart with period {period}")
    return int(harmonics), float(period)


def design(axis: TimeAxis, starts: list[Start], effect_terms: dict[str, tuple[str, ...]],
           harmonics: tuple[int, float] | None) -> tuple[np.ndarray, list[str]]:
    """The design matrix (numpy) and its column names."""
    t = axis.index
    columns = [np.ones(len(t)), (t - t[0]).astype(float)]
    names = ["intercept", "trend"]
    if harmonics is not None:
        count, period = harmonics
        for k in range(1, count + 1):
            angle = 2 * np.pi * k * t / period
            columns += [np.sin(angle), np.cos(angle)]
            names += [f"sin{k}", f"cos{k}"]
    for start in starts:
        for effect in effect_terms[start.name]:
            columns.append(start.step(t) if effect == "step" else start.slope(t))
            names.append(f"{start.name}:{effect}")
    return np.column_stack(columns), names


def split_parts(axis: TimeAxis, starts: list[Start], effect_terms: dict[str, tuple[str, ...]],
                X: np.ndarray, names: list[str]) -> Parts:
    """Split each period that contains a start date into the parts between its dates.

    Part rows equal the period's row with each step inside the period set to 0 before its date
    and 1 from it; the part weights are the shares of days. Their weighted average is ``X``.
    """
    t = axis.index
    inside: dict[int, list[Start]] = {}
    for s in starts:
        if s.fraction < 1 and "step" in effect_terms[s.name]:
            where = np.flatnonzero(t == s.t0)
            if where.size:
                inside.setdefault(int(where[0]), []).append(s)
    if not inside:
        return Parts.whole(X)
    count = 1 + max(len(v) for v in inside.values())
    weights = np.zeros((X.shape[0], count))
    weights[:, 0] = 1.0
    rows = np.repeat(X[:, None, :], count, axis=1)
    for i, here in inside.items():
        here = sorted(here, key=lambda s: -s.fraction)  # earliest date first
        after = [s.fraction for s in here] + [0.0]
        weights[i, 0] = 1.0 - after[0]
        for part in range(len(here) + 1):
            if part:
                weights[i, part] = after[part - 1] - after[part]
            for j, s in enumerate(here):
                rows[i, part, names.index(f"{s.name}:step")] = 1.0 if part > j else 0.0
    return Parts(weights, rows)


def _require(verdict: identification.Identification, n: int, names: list[str]) -> None:
    """Raise IdentificationError (design, size, reason, what to drop) unless the data identify
    the model by the rule of :mod:`scrlib.its.identification`."""
    if not verdict.identified:
        raise IdentificationError(verdict.message(n, names))


def _timing_notes(axis: TimeAxis, starts: list[Start], transition: str,
                  family: str) -> list[str]:
    notes = []
    for s in starts:
        if s.date is None or s.date == pd.Period(ordinal=s.t0, freq=axis.freq).start_time:
            continue
        if s.fraction < 1 and transition == "sum" and family != "gaussian":
            notes.append(f"{s.name!r} starts on {s.date:%Y-%m-%d}, inside {axis.show(s.t0)}: "
                         f"that period's expected count is the sum of its parts, "
                         f"{1 - s.fraction:.3f} of its days at the old level and "
                         f"{s.fraction:.3f} at the new one; the slope is 0 there")
        elif s.fraction < 1:
            how = ("on the identity scale this equals the sum of its parts" if family == "gaussian"
                   else "mixed on the link scale")
            notes.append(f"{s.name!r} starts on {s.date:%Y-%m-%d}, inside {axis.show(s.t0)}: "
                         f"that period counts as {s.fraction:.3f} post-intervention (its share "
                         f"of days on or after the date, {how}); the slope is 0 there")
        else:
            side = "after" if pd.Period(s.date, freq=axis.freq).ordinal == s.t0 else "before"
            notes.append(f"{s.name!r} starts on {s.date:%Y-%m-%d}; with transition='whole' the "
                         f"period containing it counts wholly {side} the start (the side where "
                         f"most of its days fall), so the first post-intervention period is "
                         f"{axis.show(s.t0)}")
    return notes


def _warnings(res: ItsResult, data: pd.DataFrame, breaks, transition: str) -> list[str]:
    out = []
    t, axis = res.axis.index, res.axis
    ordered = sorted(res.starts, key=lambda s: (s.t0, -s.fraction))
    for i, s in enumerate(ordered):
        hi = ordered[i + 1].t0 if i + 1 < len(ordered) else np.inf
        before, after = res.support(s.name)
        for side, count in (("before", before), ("from", after)):
            if count < MIN_SIDE:
                span = "" if side == "before" and i == 0 else (
                    " (up to the next intervention)" if side == "from" and hi < np.inf else
                    " (since the previous intervention)" if side == "before" else "")
                points = "time point" if count == 1 else "time points"
                out.append(f"only {count} {points} {side} {s.name}{span}: fewer than "
                           f"{MIN_SIDE} cannot separate a change at {s.name} from noise")
    n, k = res.n, res.k
    if k >= n:
        out.append(f"{k} parameters for {n} time points: the model is saturated and the data "
                   "cannot test it")
    elif n - k < 2:
        out.append(f"{k} parameters for {n} time points (n - k = {n - k} < 2): the model uses "
                   "nearly all the information in the data")
    df = n - k
    if res.family in ("quasipoisson", "negativebinomial", "gaussian") and df < MIN_DISPERSION_DF:
        what = {"quasipoisson": "the quasi-Poisson scale", "negativebinomial": "alpha",
                "gaussian": "the residual variance"}[res.family]
        consequence = {
            "gaussian": "the t intervals are wide and rest on normally distributed errors",
            "quasipoisson": "the intervals and tests use t (or F) with those df to allow for "
                            "it, and are wide for that reason" if res.interval != "wald-normal"
                            else "normal-based intervals ignore that and are too narrow",
            "negativebinomial": "the likelihood-ratio and Wald cutoffs are large-sample ones "
                                "and may be too narrow"}[res.family]
        degrees = "degree" if df == 1 else "degrees"
        out.append(f"{what} is estimated from only {df} residual {degrees} of freedom "
                   f"(< {MIN_DISPERSION_DF}): it is very uncertain and {consequence}")
    if res.family in ("poisson", "binomial") and df > 0 and res.dispersion > OVERDISPERSED:
        out.append(f"Pearson chi2/df = {res.dispersion:.2f} > {OVERDISPERSED}: the data vary "
                   f"more than {res.family} allows, so its intervals are too narrow; consider "
                   "quasipoisson or negativebinomial")
    if res.nb_boundary:
        out.append("negative binomial alpha is at its boundary 0 (no overdispersion beyond "
                   "Poisson): the fit reported is the Poisson fit")
    if res.cov == "hac" and n < MIN_HAC_N:
        out.append(f"Newey-West (HAC) standard errors with only {n} time points are unreliable "
                   f"(they need roughly {MIN_HAC_N} or more)")
    for when in _break_times(data, axis, breaks, transition):
        if t[0] < when <= t[-1]:
            out.append(f"definitional break at {axis.show(when)} lies inside the data "
                       f"({axis.show(t[0])} .. {axis.show(t[-1])}): counts before and after it "
                       "may not measure the same thing, and a change there looks like an effect")
    return out


def _break_times(data: pd.DataFrame, axis: TimeAxis, breaks, transition: str) -> list[int]:
    if breaks is None:
        return []
    if isinstance(breaks, str):
        flags = np.array([bool(v) and not pd.isna(v) for v in data[breaks]], dtype=bool)
        return [int(x) for x in axis.index[flags]]
    times = []
    for value in breaks:
        start = resolve_start(axis, f"break {value!r}", value, transition=transition)
        times.append(start.t0)
    return times
