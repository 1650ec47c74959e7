"""Specification curve: the same question answered under every defensible set of choices.

:func:`grid` crosses the choices into :class:`~scrlib.study.design.Specification` objects;
:func:`run` fits each one and records the step estimate for one policy event (or why it could
not be fitted), what that estimate is (``estimates``), which specifications are the same model
under another name (``distinct``: the first of each; a choice that changes nothing, such as the
date rule of an event whose sources agree, makes a duplicate), and whether the family passes
the project's own overdispersion check (:func:`passes_dispersion_check`). :func:`summarise`
counts each distinct model once and keeps failing families out of its shares (the curve still
draws them). :func:`joint_test` asks whether the whole curve is more than a curve of series with
no policy change would give, in the spirit of Simonsohn, Simmons and Nelson (2020).
"""

from __future__ import annotations

import hashlib
import itertools
import warnings

import numpy as np
import pandas as pd

from scrlib.study.design import Specification

CHOICES = ("series", "events", "conflict_rule", "event_rule", "transition", "family",
           "effects")
COLUMNS = [*CHOICES, "estimates", "status", "n", "k", "rate_ratio", "ci_low", "ci_high",
           "p_value", "excludes_null", "warnings", "dispersion", "passes_dispersion_check",
           "model", "distinct", "duplicates", "in_summary"]
OVERDISPERSED = 1.5  # as scrlib.its: Pearson chi2/df above this under the family's variance fails


def grid(base: Specification, **options) -> list[Specification]:
    """Every combination of the given options (each a list of values) applied to ``base``.

    Identical specifications are dropped, keeping the first, so the order is reproducible.
    """
    unknown = sorted(set(options) - set(CHOICES) - {"denominator"})
    if unknown:
        raise ValueError(f"unknown choices {unknown}; allowed: {', '.join(CHOICES)}")
    names = list(options)
    specs = [base.with_(**dict(zip(names, combo, strict=True)))
             for combo in itertools.product(*(options[n] for n in names))]
    return list(dict.fromkeys(specs))


def _estimates(dataset, spec: Specification, target: str) -> str:
    """What a specification's estimate is, in words."""
    label = dataset.event(target).label
    others = [dataset.event(e).label for e in spec.events if e != target]
    text = f"step at {label}"
    if others:
        text += f", with {', '.join(others)} also in the model"
    if spec.effects == "step+slope":
        text += "; trends may change"
    return text


def _fingerprint(result, family: str) -> str:
    """Identical data, design and family give identical estimates: a key for duplicates."""
    h = hashlib.sha256()
    for array in (result.y, result.parts.weights, result.parts.rows):
        h.update(np.round(np.asarray(array, dtype=float), 10).tobytes())
    h.update(family.encode())
    return h.hexdigest()[:16]


def run(dataset, specs: list[Specification], event: str | None = None) -> pd.DataFrame:
    """Fit every specification; one row each with the step estimate for ``event``.

    ``event=None`` takes each specification's last event (the policy whose date is varied). A
    specification whose events do not include ``event`` is an error; one that cannot be fitted
    (too few years, no convergence) is kept with ``status`` saying why.
    """
    rows = []
    frames: dict[tuple, pd.DataFrame] = {}  # many specifications model the same data
    done: dict[tuple, dict] = {}  # the same model under another name: fitted once
    seen: dict[str, int] = {}
    for spec in specs:
        target = spec.events[-1] if event is None else event
        if target not in spec.events:
            raise ValueError(f"specification {spec} does not include event {target!r}")
        row = spec.as_dict()
        row.pop("denominator")
        row.pop("breaks")
        row.pop("moved")
        row["estimates"] = _estimates(dataset, spec, target)
        key = (spec.series, spec.denominator, spec.conflict_rule)
        if key not in frames:
            frames[key] = spec.data(dataset)
        same = (key, tuple(sorted(spec.dates(dataset).items())), spec.transition, spec.family,
                spec.effects, spec.breaks, target)
        if same not in done:
            done[same] = _fit_one(dataset, spec, frames[key], target)
        found = done[same]
        if found["status"] != "fitted":
            rows.append({**row, **found})
            continue
        distinct = found["model"] not in seen
        seen.setdefault(found["model"], len(rows))
        rows.append({**row, **found, "distinct": distinct,
                     "in_summary": distinct and found["passes_dispersion_check"]})
    table = pd.DataFrame(rows, columns=COLUMNS)
    counts = table.loc[table["model"] != "", "model"].value_counts()
    table["duplicates"] = [int(counts.get(m, 1)) - 1 if d else 0
                           for m, d in zip(table["model"], table["distinct"], strict=True)]
    return table


def _fit_one(dataset, spec: Specification, frame: pd.DataFrame, target: str) -> dict:
    """The target step of one specification, or why it could not be fitted."""
    from scrlib.its import ConvergenceError

    label = dataset.event(target).label
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = spec.fit(dataset, data=frame)
            step = result.effect(label, "step")
    except (ValueError, ConvergenceError) as err:  # IdentificationError is a ValueError
        return {"status": f"not fitted: {err}".split("\n")[0], "n": np.nan, "k": np.nan,
                "rate_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                "excludes_null": False, "warnings": 0, "dispersion": np.nan,
                "passes_dispersion_check": False, "model": "", "distinct": False,
                "duplicates": 0, "in_summary": False}
    null = 0.0 if spec.family == "gaussian" else 1.0
    dispersion = result.pearson_dispersion
    return {"status": "fitted", "n": result.n, "k": result.k,
            "rate_ratio": float(step["rate_ratio"]), "ci_low": float(step["ci_low"]),
            "ci_high": float(step["ci_high"]), "p_value": float(step["p_value"]),
            "excludes_null": not (step["ci_low"] <= null <= step["ci_high"]),
            "warnings": len(result.warnings), "dispersion": dispersion,
            "passes_dispersion_check": passes_dispersion_check(spec.family, dispersion),
            "model": _fingerprint(result, spec.family), "duplicates": 0}


def passes_dispersion_check(family: str, dispersion: float) -> bool:
    """False when the data vary more than the family allows: Pearson chi2/df under the
    family's own variance above 1.5 for poisson, binomial and negativebinomial (an NB2 alpha
    estimated near 0 from a few points leaves it Poisson in all but name). Quasipoisson and
    gaussian estimate the variation, so they pass."""
    if family in ("quasipoisson", "gaussian"):
        return True
    return not dispersion > OVERDISPERSED


def summarise(table: pd.DataFrame, joint=None) -> pd.DataFrame:
    """How the estimates spread over distinct models whose family passes the dispersion check:
    counts, median and range, the share whose interval excludes 1 (and the joint test)."""
    fitted = table[table["status"] == "fitted"]
    distinct = fitted[fitted["distinct"]]
    used = distinct[distinct["passes_dispersion_check"]]
    row = {
        "specifications": len(table),
        "fitted": len(fitted),
        "distinct models": len(distinct),
        "left out (family fails the dispersion check)": int(
            (~distinct["passes_dispersion_check"]).sum()),
        "in the summary": len(used),
        "median rate ratio": _round(used["rate_ratio"].median()),
        "lowest": _round(used["rate_ratio"].min()),
        "highest": _round(used["rate_ratio"].max()),
        "share whose interval excludes 1": _round(used["excludes_null"].mean()),
    }
    if joint is not None:
        row["joint test p (share excluding 1)"] = joint.p_values["share"]
        row["joint test p (median)"] = joint.p_values["median"]
    return pd.DataFrame([row])


def _round(value, digits: int = 3):
    return round(float(value), digits) if pd.notna(value) else np.nan


def by_choice(table: pd.DataFrame) -> pd.DataFrame:
    """Median estimate and share excluding no change for each value of each varied choice,
    over distinct models whose family passes the dispersion check."""
    used = table[(table["status"] == "fitted") & table["in_summary"]]
    rows = []
    for choice in CHOICES:
        if used[choice].nunique() < 2:
            continue
        for value, group in used.groupby(choice, sort=True):
            rows.append({"choice": choice, "value": str(value), "models": len(group),
                         "median rate ratio": round(float(group["rate_ratio"].median()), 3),
                         "share excluding 1": round(float(group["excludes_null"].mean()), 3)})
    return pd.DataFrame(rows, columns=["choice", "value", "models", "median rate ratio",
                                       "share excluding 1"])


# -- the joint test ------------------------------------------------------------------------------
STATISTICS = ("share", "median", "mean_z")
NOISE = {"after": "the noise left after all the policy terms",
         "null": "the noise left by the fit without the change under test"}


class JointTest:
    """The curve's statistics, their distribution in series with no policy change under each
    assumption about the noise (``simulated``: {noise: DataFrame}), and p-values per noise
    (``by_noise``). ``p_values`` are all from one assumption, ``assumption``: the one with the
    larger dispersion (the cautious one, stated), never mixed across statistics."""

    def __init__(self, observed: dict, simulated: dict, replicates: int, seed: int,
                 models: int, dispersions: dict, reason: str = ""):
        self.reason = reason  # why the test could not be made (no model in the summary)
        self.observed = observed
        self.simulated = simulated
        self.replicates = replicates
        self.seed = seed
        self.models = models
        self.dispersions = dispersions
        self.by_noise = {
            noise: {name: (1 + int(np.sum(frame[name].to_numpy() >= observed[name] - 1e-12)))
                    / (replicates + 1) for name in STATISTICS}
            for noise, frame in simulated.items()} if models else {}
        self.assumption = (max(self.by_noise, key=lambda k: (dispersions[k], k))
                           if self.by_noise else "")
        self.p_values = (dict(self.by_noise[self.assumption]) if self.assumption
                         else dict.fromkeys(STATISTICS, np.nan))

    @property
    def assumption_words(self) -> str:
        """The noise the reported p-values assume, in words, with its dispersion."""
        if not self.assumption:
            return ""
        return (f"{NOISE[self.assumption]} (dispersion "
                f"{self.dispersions[self.assumption]:.2f}, the larger of the two)")

    def monte_carlo_se(self, p: float) -> float:
        """The Monte Carlo standard error of a simulated p-value."""
        return float(np.sqrt(p * (1 - p) / self.replicates))

    @property
    def smallest_p(self) -> float:
        """The smallest p-value the simulations can give: 1 / (replicates + 1)."""
        return 1.0 / (self.replicates + 1)

    def table(self) -> pd.DataFrame:
        """The three statistics, observed and with no change, with p under each noise."""
        from scrlib.its import fmt

        if not self.models:
            return pd.DataFrame({"Statistic of the curve": [self.reason]})
        words = {"share": "share of models whose interval excludes 1 in the curve's dominant "
                          "direction",
                 "median": "median size of the estimate (|log rate ratio|)",
                 "mean_z": "average strength of evidence (mean z, dominant direction)"}
        columns = {"Statistic of the curve": [words[k] for k in words],
                   "Observed": [fmt.number(self.observed[k], 2) for k in words]}
        for noise, p in self.by_noise.items():
            label = f"{NOISE[noise]} (dispersion {self.dispersions[noise]:.2f})"
            columns[f"Typical with no change, {label}"] = [
                fmt.number(self.simulated[noise][k].median(), 2) for k in words]
            columns[f"p, {label}"] = [fmt.p(p[k], self.smallest_p) for k in words]
        return fmt.labelled(pd.DataFrame(columns))


def joint_test(dataset, table: pd.DataFrame, specs: list[Specification], base: Specification,
               *, replicates: int = 999, seed: int = 2020,
               event: str | None = None) -> JointTest:
    """Is the curve more than series with no policy change would give?

    As in Simonsohn, Simmons and Nelson's procedure only the effect under test is removed:
    series are simulated from ``base`` fitted without its last event (the one under test, or
    ``event``) and with its other events (the controls, such as the fall at Full publication)
    kept at their estimates; variance phi * mean, negative binomial draws. Two assumptions
    about the noise: the Pearson dispersion left after all of ``base``'s terms, and that of the
    fit without the effect under test (which counts any real change as noise). Each is
    reported; ``p_values`` are all from the one with the larger dispersion, named in
    ``assumption``. A conflict rule that changes a figure shifts the simulated series by the
    same amount. Every distinct
    model in the summary is refitted to every simulated series (batched) and tested as the curve
    does (F or likelihood ratio, as its profile intervals). Statistics: the share of models
    whose interval excludes 1 in the dominant direction, the |median log rate ratio| and the
    mean z signed to the dominant direction; p = (1 + #{simulated >= observed}) /
    (replicates + 1).
    """
    from scrlib.its._parts import fit_batch
    from scrlib.its.breaks import _simulate

    used = table[(table["status"] == "fitted") & table["in_summary"]]
    if used.empty:
        return JointTest(dict.fromkeys(STATISTICS, np.nan), {}, replicates, seed, 0, {},
                         "no distinct model passes the dispersion check, so there is no curve "
                         "to test")
    frame = base.data(dataset)
    fit = base.fit(dataset, data=frame)
    y = frame["count"].to_numpy(dtype=float)
    tested = base.events[-1] if event is None else event
    controls = tuple(e for e in base.events if e != tested)
    if controls:
        null = base.with_(events=controls, family="quasipoisson", effects="step").fit(
            dataset, data=frame)
        null_mu = np.asarray(null.model_result.mu, dtype=float)
        null_phi = float(null.pearson_dispersion)
    else:  # nothing to keep: the level and trend alone
        no_policy = fit_batch(y, fit.design[:, None, :2], np.ones((len(y), 1)),
                              family="poisson")
        null_mu, null_phi = no_policy.mu, float(no_policy.pearson) / (len(y) - 2)
    dispersions = {"after": max(float(fit.pearson_dispersion), 1.0),
                   "null": max(null_phi, 1.0)}
    rng = np.random.default_rng(seed)
    years = list(frame["year"])
    simulated = {}
    for noise, phi in dispersions.items():
        ys = _simulate(rng, null_mu, phi, replicates)
        estimates, pvalues = [], []
        for i in used.index:
            spec = specs[i]
            target = spec.events[-1] if event is None else event
            est, p = _refit_batch(dataset, spec, target, ys, years)
            estimates.append(est)
            pvalues.append(p)
        simulated[noise] = pd.DataFrame(_curve_statistics(np.column_stack(estimates),
                                                          np.column_stack(pvalues)))
    observed = {k: float(v[0]) for k, v in _curve_statistics(
        np.log(used["rate_ratio"].to_numpy(dtype=float))[None],
        used["p_value"].to_numpy(dtype=float)[None]).items()}
    return JointTest(observed, simulated, replicates, seed, len(used), dispersions)


def _curve_statistics(est: np.ndarray, pv: np.ndarray) -> dict:
    from scipy import stats

    sign = np.sign(np.nanmedian(est, axis=1))
    sign = np.where(sign == 0, 1.0, sign)
    significant = (pv < 0.05) & (np.sign(est) == sign[:, None])
    z = stats.norm.isf(np.clip(pv, 1e-300, 1.0) / 2) * np.sign(est) * sign[:, None]
    return {"share": np.nanmean(significant, axis=1),
            "median": np.abs(np.nanmedian(est, axis=1)),
            "mean_z": np.nanmean(z, axis=1)}


def _refit_batch(dataset, spec: Specification, target: str, ys: np.ndarray, years: list):
    """The target step's estimate and test p-value of ``spec`` on every simulated series."""
    from scipy import stats

    from scrlib.its._parts import fit_batch

    frame = spec.data(dataset)
    result = spec.fit(dataset, data=frame)
    label = dataset.event(target).label
    j = result.names.index(f"{label}:step")
    recorded = spec.with_(conflict_rule="recorded").data(dataset)
    shift = (frame.set_index("year")["count"] - recorded.set_index("year")["count"]).reindex(
        years).fillna(0.0).to_numpy()
    keep = np.isin(years, list(frame["year"]))
    y = np.clip(ys[:, keep] + shift[keep], 0, None)
    parts = result.parts
    reduced_rows = np.delete(parts.rows, j, axis=-1)
    n, k = result.n, parts.rows.shape[-1]
    family = "negativebinomial" if spec.family == "negativebinomial" else "poisson"
    alpha = None if family == "negativebinomial" else 0.0
    m = None if result.log_exposure is None else np.exp(result.log_exposure)
    full = fit_batch(y, parts.rows, parts.weights, family=family, alpha=alpha, m=m,
                     tol=1e-8, step_tol=1e-6, maxiter=50)
    null = fit_batch(y, reduced_rows, parts.weights, family=family, alpha=alpha, m=m,
                     tol=1e-8, step_tol=1e-6, maxiter=50)
    if family == "negativebinomial":
        drop = null.objective - full.objective
        p = stats.chi2.sf(np.maximum(drop, 0), 1)
    elif spec.family == "quasipoisson":
        phi = full.pearson / (n - k)
        p = stats.f.sf(np.maximum(null.deviance - full.deviance, 0) / phi, 1, n - k)
    else:
        p = stats.chi2.sf(np.maximum(null.deviance - full.deviance, 0), 1)
    ok = full.usable & null.usable
    return np.where(ok, full.theta[:, j], np.nan), np.where(ok, p, np.nan)


def sweep_start(dataset, event_id: str, sweep_from: str = "") -> tuple[str, pd.Timestamp]:
    """The event whose date starts ``event_id``'s sweep, and that date: ``sweep_from`` if given
    (ParameterError unless it is a known event dated no later), else ``event_id``'s
    ``not_before``, else ``event_id`` itself (its recorded date alone: no sweep)."""
    from scrlib.study import params
    from scrlib.study.design import dataset_date, date_floor

    if sweep_from:
        sweep_from = params.choose_one("sweep_from", sweep_from,
                                       dataset.events["event_id"].unique())
    else:
        sweep_from = (date_floor(dataset, event_id) or (event_id,))[0]
    earliest = dataset_date(dataset, sweep_from, "recorded")
    if earliest > dataset_date(dataset, event_id, "recorded"):
        raise params.ParameterError(f"parameter 'sweep_from' = {sweep_from!r} is dated after "
                                    f"{event_id}; allowed values: an event dated before it")
    return sweep_from, earliest


def date_sweep(dataset, base: Specification, event_id: str, earliest) -> pd.DataFrame:
    """The base model refitted with ``event_id`` dated at ``earliest`` and at the first of each
    month after it, up to the event's recorded date: the range its sources allow. One row per
    date: the step's rate ratio, its 95% interval and p (``p`` from the reported interval's
    test)."""
    from scrlib.study.design import dataset_date

    earliest = pd.Timestamp(earliest)
    latest = dataset_date(dataset, event_id, base.event_rule)
    if latest < earliest:
        raise ValueError(f"{event_id} is dated {latest:%d %B %Y}, before {earliest:%d %B %Y}")
    months = pd.period_range(earliest, latest, freq="M").start_time[1:]
    label = dataset.event(event_id).label
    rows = []
    for when in [earliest, *months]:
        spec = base.with_(moved=((event_id, f"{when:%Y-%m-%d}"),))
        effects = spec.fit(dataset).effects
        step = effects[(effects["intervention"] == label) & (effects["effect"] == "step")].iloc[0]
        rows.append({"date": when, "rate_ratio": float(step["rate_ratio"]),
                     "ci_low": float(step["ci_low"]), "ci_high": float(step["ci_high"]),
                     "p_value": float(step["p_value"]),
                     "excludes_null": not step["ci_low"] <= 1.0 <= step["ci_high"]})
    return pd.DataFrame(rows)


def date_sweep_sentence(sweep: pd.DataFrame, label: str) -> str:
    """The sweep in one plain sentence: the range of estimates and how many intervals exclude
    no change."""
    from scrlib.its import fmt

    first, last = sweep["date"].iloc[0], sweep["date"].iloc[-1]
    clear = int(sweep["excludes_null"].sum())
    return (f"Dating {label} anywhere from {first:%-d %B %Y} to {last:%B %Y} (the range its "
            f"sources allow, {len(sweep)} dates) gives a step of "
            f"{fmt.ratio(sweep['rate_ratio'].min())} to {fmt.ratio(sweep['rate_ratio'].max())} "
            f"times the level before; {clear} of the {len(sweep)} intervals exclude no change.")


# -- how large a miscount would change the answer -----------------------------------------------
MAX_UNDERCOUNT = 1.0  # search up to a true count twice the recorded one
MAX_OVERCOUNT = 0.5  # and down to half of it
DIRECTIONS = ("more", "fewer")


def tipping_points(dataset, spec: Specification, years, directions=DIRECTIONS) -> pd.DataFrame:
    """For each year in ``years``, each policy step of ``spec`` and each direction: the smallest
    miscount of that year at which the step's conclusion changes, i.e. its 95% interval starts
    or stops excluding no change. "more": the true count higher than recorded (an undercount,
    up to ``MAX_UNDERCOUNT`` more); "fewer": lower (down to ``MAX_OVERCOUNT`` less).

    A sensitivity analysis, not data: nothing is written to ``data/``. Each trial count is the
    recorded one plus (or minus) 1, 2, 3, ... reviews; the fit's own test is run on every trial
    at once (its interval excludes no change exactly when that test's p is below 0.05), and the
    first trial that changes the conclusion is refitted with the specification's own model to
    confirm it and give the interval there. NaN where the conclusion never changes. One row per
    (year, policy, direction): recorded count, the conclusion as recorded, the tipping share
    (of the recorded count, unsigned) and count, and the estimate and interval there.
    """
    frame = spec.data(dataset)
    labels = {dataset.event(e).label: e for e in spec.events}
    unknown = [d for d in directions if d not in DIRECTIONS]
    if unknown:
        raise ValueError(f"directions {unknown}; allowed: {', '.join(DIRECTIONS)}")
    base_fit = _fit_quietly(dataset, spec, frame)
    base = _steps_of(base_fit)
    rows = []
    for year in years:
        if year not in set(frame["year"]):
            raise ValueError(f"year {year!r} is not in the series {spec.series!r}; allowed: "
                             f"{', '.join(frame['year'])}")
        recorded = float(frame.loc[frame["year"] == year, "count"].iloc[0])
        for direction in directions:
            found = _first_flips(dataset, spec, frame, base_fit, base, year, recorded,
                                 direction)
            for label, (ratio, low, high) in base.items():
                hit = found.get(label)
                rows.append({"year": year, "policy": label, "event_id": labels[label],
                             "direction": direction, "recorded": recorded,
                             "excludes_no_change": _excludes(low, high),
                             "estimate": ratio, "ci_low": low, "ci_high": high,
                             "tipping_count": np.nan if hit is None else hit[0],
                             "tipping_share": np.nan if hit is None
                             else abs(hit[0] / recorded - 1),
                             "estimate_there": np.nan if hit is None else hit[1],
                             "ci_low_there": np.nan if hit is None else hit[2],
                             "ci_high_there": np.nan if hit is None else hit[3]})
    return pd.DataFrame(rows)


def _trials(recorded: float, direction: str) -> np.ndarray:
    if direction == "more":
        return np.arange(recorded + 1, np.floor(recorded * (1 + MAX_UNDERCOUNT)) + 1)
    return np.arange(recorded - 1, np.ceil(recorded * (1 - MAX_OVERCOUNT)) - 1, -1)


def _first_flips(dataset, spec, frame, base_fit, base, year, recorded, direction) -> dict:
    """{policy: (count, rate ratio, low, high)} at the first trial count (in ``direction``)
    whose conclusion differs from the recorded one."""
    from scrlib.its.power import SIMULATED, pvalues_on

    trials = _trials(recorded, direction)
    where = (frame["year"] == year).to_numpy()
    ys = np.repeat(frame["count"].to_numpy(dtype=float)[None], len(trials), axis=0)
    ys[:, where] = trials[:, None]
    found: dict[str, tuple] = {}
    for label, (_, low, high) in base.items():
        name = f"{label}:step"
        if spec.family in SIMULATED and base_fit.interval == "profile":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = pvalues_on(base_fit, name, ys)
            changed = np.flatnonzero(np.isfinite(p) & ((p < 0.05) != _excludes(low, high)))
            order = changed if len(changed) else np.array([], dtype=int)
        else:
            order = np.arange(len(trials))
        for i in order:  # confirmed by the specification's own fit (the first that holds)
            moved = frame.assign(count=np.where(where, trials[i], frame["count"]))
            try:
                steps = _steps(dataset, spec, moved)
            except ValueError:  # not identified (or not fitted) at this count: no verdict
                continue
            ratio, lo, hi = steps[label]
            if _excludes(lo, hi) != _excludes(low, high):
                found[label] = (float(trials[i]), ratio, lo, hi)
                break
    return found


def _fit_quietly(dataset, spec: Specification, frame: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spec.fit(dataset, data=frame)


def _steps_of(result) -> dict:
    effects = result.effects
    steps = effects[effects["effect"] == "step"]
    return {r.intervention: (float(r.rate_ratio), float(r.ci_low), float(r.ci_high))
            for r in steps.itertuples(index=False)}


def _steps(dataset, spec: Specification, frame: pd.DataFrame) -> dict:
    """{policy label: (rate ratio, 95% low, 95% high)} of each step of ``spec`` on ``frame``."""
    return _steps_of(_fit_quietly(dataset, spec, frame))


def _excludes(low: float, high: float) -> bool:
    return not low <= 1.0 <= high


def largest_revision(dataset, series: str) -> tuple[str, float, float] | None:
    """The largest relative difference between two cited values for one year of ``series``
    (year, smaller, larger): how much the record itself has moved; None if no year has two."""
    conflicts = dataset.conflicts()
    mine = conflicts[conflicts["series_id"] == series]
    best = None
    for period, group in mine.groupby("period"):
        low, high = float(group["value"].min()), float(group["value"].max())
        if low > 0 and (best is None or high / low > best[2] / best[1]):
            best = (str(period).removeprefix("FY"), low, high)
    return best


def tipping_sentence(table: pd.DataFrame, revision) -> str:
    """The tipping points in plain words, policy by policy, set beside the largest revision in
    the record."""
    from scrlib.its import fmt

    parts = []
    span = (f"from {fmt.number(100 * MAX_OVERCOUNT)}% fewer to "
            f"{fmt.number(100 * MAX_UNDERCOUNT)}% more")
    for policy, rows in table.groupby("policy", sort=False):
        first = rows.iloc[0]
        now = "excludes" if first["excludes_no_change"] else "includes"
        hits = rows[rows["tipping_count"].notna()].sort_values("tipping_share", kind="stable")
        years = list(dict.fromkeys(rows["year"]))
        if hits.empty:
            parts.append(f"no count of {_and(years)} {span} changes whether the interval at "
                         f"{policy} {now} no change")
            continue
        verb = "stop" if first["excludes_no_change"] else "start"
        at = _and([f"{fmt.number(r.tipping_count)} in {r.year} ({_share(r.tipping_share)} "
                   f"{r.direction})" for r in hits.itertuples(index=False)])
        parts.append(f"the interval at {policy} ({now} no change as recorded) would {verb} "
                     f"excluding it at {at}")
    text = (f"A sensitivity analysis, not data (each year's count tried {span}): "
            + "; ".join(parts) + ".")
    if revision is not None:
        year, low, high = revision
        text += (f" For scale, the largest revision the cited record shows is {year}: "
                 f"{fmt.number(low)} or {fmt.number(high)} "
                 f"({fmt.number(100 * (high / low - 1), 1)}%).")
    return text


def _share(share: float) -> str:
    from scrlib.its import fmt

    points = 100 * float(share)
    return f"{fmt.number(points, 1 if points < 10 else 0)}%"


def _and(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- the record's own alternatives ---------------------------------------------------------------
def alternatives(dataset, spec: Specification) -> pd.DataFrame:
    """Every value the record keeps as an alternative (``data/resolutions.csv``: a conflict the
    rule resolved the other way) for a year ``spec`` models, refitted one at a time in place of
    the value used. One row per (alternative value, policy step): ``series``, ``year``,
    ``used``, ``alternative`` and its ``source_id``; the step as recorded (``estimate``,
    ``ci_low``, ``ci_high``, ``p_value``) and with the alternative (the same with ``_alt``);
    ``changes``: the conclusion changes (the interval starts or stops excluding no change, or p
    crosses 0.05). Empty when no modelled year has an alternative; ``status`` says why a refit
    could not be made."""
    frame = spec.data(dataset)
    base = _fit_quietly(dataset, spec, frame)
    series = {spec.series: "count"}
    if spec.denominator:
        series[spec.denominator] = "exposure"
    conflicts = dataset.conflicts()
    conflicts = conflicts[conflicts["series_id"].isin(list(series))
                          & conflicts["period"].astype(str).str.startswith("FY")]
    columns = ["series", "year", "used", "alternative", "source_id", "policy", "estimate",
               "ci_low", "ci_high", "p_value", "estimate_alt", "ci_low_alt", "ci_high_alt",
               "p_value_alt", "changes", "status"]
    rows = []
    for (series_id, period), group in conflicts.groupby(["series_id", "period"], sort=True):
        year = str(period).removeprefix("FY")
        if year not in set(frame["year"]):
            continue
        column = series[series_id]
        used = float(frame.loc[frame["year"] == year, column].iloc[0])
        others = group[~group["chosen"] & (group["value"].astype(float) != used)]
        for value, source in dict(zip(others["value"].astype(float), others["source_id"],
                                      strict=True)).items():
            moved = frame.assign(**{column: np.where(frame["year"] == year, value,
                                                     frame[column])})
            try:
                fitted = _fit_quietly(dataset, spec, moved)
                status = "fitted"
            except ValueError as err:  # not identified with this value
                fitted, status = None, f"not fitted: {err}".split("\n")[0]
            for r in base.effects[base.effects["effect"] == "step"].itertuples(index=False):
                row = {"series": series_id, "year": year, "used": used, "alternative": value,
                       "source_id": source, "policy": r.intervention,
                       "estimate": float(r.rate_ratio), "ci_low": float(r.ci_low),
                       "ci_high": float(r.ci_high), "p_value": float(r.p_value),
                       "status": status}
                if fitted is None:
                    rows.append({**row, "estimate_alt": np.nan, "ci_low_alt": np.nan,
                                 "ci_high_alt": np.nan, "p_value_alt": np.nan,
                                 "changes": False})
                    continue
                alt = fitted.effect(r.intervention, "step")
                row.update({"estimate_alt": float(alt["rate_ratio"]),
                            "ci_low_alt": float(alt["ci_low"]),
                            "ci_high_alt": float(alt["ci_high"]),
                            "p_value_alt": float(alt["p_value"])})
                row["changes"] = bool(
                    _excludes(row["ci_low"], row["ci_high"])
                    != _excludes(row["ci_low_alt"], row["ci_high_alt"])
                    or (row["p_value"] <= 0.05) != (row["p_value_alt"] <= 0.05))
                rows.append(row)
    return pd.DataFrame(rows, columns=columns)
