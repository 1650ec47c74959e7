"""A Bayesian cross-check: how probable is each explanation of a short count series, and how
large is each effect, in a reader's terms.

The model is the scan's and the explanations' (:mod:`scrlib.its.breaks`,
:mod:`scrlib.its.explanations`): a period's expected count is
``m * exp(level + trend * t) * sum over its parts of exp(effect of the part)`` (the days before
a date at the old level, the days after at the new), and the count is negative binomial with
that mean and variance ``mean + spread**2 * mean**2`` (``spread`` is the extra year-to-year
variation, as a share of the mean, beyond what chance in a count gives).

Priors (weakly informative; :class:`Priors` says them in words):

* level: normal on the log scale, centred on the log of the series' average, sd ``level_sd``;
* trend: normal, mean 0, sd ``trend_sd`` per period on the log scale;
* each effect (a log rate ratio): normal, mean 0, sd ``effect_sd``;
* spread: half-normal with scale ``spread_scale``;
* explanations: equal prior odds (``prior_odds`` to say otherwise); within an explanation whose
  dates the data place, every admissible placement on the scan's grid equally likely.

The explanations are those :func:`scrlib.its.explain` compares: no change; a permanent step at
each policy date; a temporary change between the first two policy dates; one permanent change
where the data put it; a temporary change where the data put it. A placed date is a parameter
on the scan's grid, marginalised exactly (a sum over every placement), so searching for a date is
paid for by averaging over all the dates it could have been.

The continuous parameters (level, trend, effects, spread) are integrated out at each placement
by importance sampling: a multivariate t proposal (5 df) fitted in two stages (at the maximum
likelihood estimate, then at the first stage's posterior moments), evaluated at the same
scrambled Sobol points for every placement (``seed``), so a result is the same on every run.
The effective sample size of each integral is reported; the tests check the integrals against
numerical integration written out, and ``benchmarks/bayes_pymc.py`` against PyMC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from scrlib.its._timing import time_axis
from scrlib.its.breaks import (
    RESOLUTIONS,
    Placement,
    _base,
    _grid,
    _no_break,
    _pattern_mean,
    _patterns,
    _placements,
    _shares_by_pattern,
    fit_patterns,
)

T_DF = 5.0  # degrees of freedom of the proposal
STAGES = 2  # small adaptive stages before the full set of points
STAGE_POINTS = 1024  # the fewest points a stage uses (a proposal's moments need them), unless
# fewer than half that many draws are asked for (a rough run: twice the draws then)
ROPE = (0.9, 1.1)  # rate ratios within 10% of no change count as practically none
GAMMA_RATIO_LIMIT = 1e5  # beyond this 1 / spread**2, the gamma ratio through the beta function
POISSON_LIMIT = 1e15  # above this 1 / spread**2 the negative binomial is the Poisson to 1e-15
ESS_WARN = 100  # an integral on fewer effective draws than this is flagged
REPLICATES = 8  # independent scrambles of the points for an explanation with one placement
BLOCKS = 8  # the draws of an explanation in this many blocks, for its Monte Carlo error
SE_WARN = 0.1  # nor may a log marginal likelihood's Monte Carlo standard error exceed this


@dataclass(frozen=True)
class Priors:
    """Weakly informative priors (see the module docstring); every scale must be a finite
    number above 0 (a proper prior)."""

    level_sd: float = 2.5
    trend_sd: float = 0.2
    effect_sd: float = 1.0
    spread_scale: float = 0.5
    label: str = "default"
    level_mean: float | None = None  # the level prior's centre (log scale); None: the series'

    def __post_init__(self):
        for name in ("level_sd", "trend_sd", "effect_sd", "spread_scale"):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value) or value <= 0):
                raise ValueError(f"{name}={value!r}: a prior must be proper, so its scale must be "
                                 "a finite number above 0")
        if self.level_mean is not None and (
                isinstance(self.level_mean, bool) or not isinstance(self.level_mean, int | float)
                or not math.isfinite(self.level_mean)):
            raise ValueError(f"level_mean={self.level_mean!r}: allowed: None (the log of the "
                             "series' average) or a finite number")

    def words(self) -> str:
        """The priors in plain words."""
        effect = math.exp(1.96 * self.effect_sd)
        trend = math.exp(1.96 * self.trend_sd)
        return (f"before seeing the data, each change is as likely to be a rise as a fall, and "
                f"95% likely to lie between {1 / effect:.2g} and {effect:.2g} times the level "
                f"before; the trend between {1 / trend:.2g} and {trend:.2g} times from one period "
                f"to the next; "
                f"the first year's level within a factor "
                f"{_factor(math.exp(1.96 * self.level_sd))} of "
                + ("the series' average (the one place the priors look at the data, to set a "
                   "scale)" if self.level_mean is None else
                   f"{math.exp(self.level_mean):.3g}")
                + "; and the extra "
                f"year-to-year variation 95% likely to be under "
                f"{100 * 1.96 * self.spread_scale:.0f}% of the level")


def _factor(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2g}"


PRIOR_SETS = {
    "default": Priors(),
    "wider": Priors(level_sd=5.0, trend_sd=0.5, effect_sd=2.0, spread_scale=1.0, label="wider"),
    "narrower": Priors(level_sd=1.5, trend_sd=0.1, effect_sd=0.5, spread_scale=0.25,
                       label="narrower"),
}


@dataclass
class _Explanation:
    name: str
    basis: str  # "fixed in advance", "suggested by the data (exploratory)", "placed by the data"
    placements: list  # Placement per row of shares
    shares: np.ndarray  # (P, n, S)
    patterns: np.ndarray  # (S, q)
    effects: tuple  # a name per effect term
    kind: str = ""  # "steps" or "temporary" at the policy dates (what ``suggested`` names)


@dataclass
class BayesResult:
    """Posterior probabilities of the explanations (``explanations``), effects as rate ratios
    (``effects``), the posterior of placed dates (``dates``), for one set of priors."""

    priors: Priors
    explanations: pd.DataFrame
    effects: pd.DataFrame
    dates: pd.DataFrame
    draws: int
    seed: int
    rope: tuple = ROPE
    _mixtures: dict = field(default_factory=dict, repr=False)  # name -> (log ratios, weights)
    warnings: list = field(default_factory=list)  # integrals too rough to trust, in words

    def probability(self, explanation: str, effect: str, above: float | None = None,
                    below: float | None = None) -> float:
        """Posterior probability, within ``explanation``, that ``effect`` (a rate ratio) is above
        ``above`` and/or below ``below``."""
        ratios, weights = self._mixtures[(explanation, effect)]
        keep = np.ones(len(ratios), dtype=bool)
        if above is not None:
            keep &= ratios > math.log(above)
        if below is not None:
            keep &= ratios < math.log(below)
        return float(np.sum(weights[keep]))

    @property
    def leading(self) -> pd.Series:
        """The most probable explanation's row."""
        return self.explanations.loc[self.explanations["probability"].idxmax()]

    def summary(self) -> str:
        lines = [f"Posterior probability of each explanation (priors: {self.priors.label}; "
                 "equal prior odds):"]
        for r in self.explanations.itertuples(index=False):
            lines.append(f"  {r.explanation:<60} {r.probability:6.3f}  ({r.basis})")
        lines.extend(f"  Warning: {w}" for w in self.warnings)
        lines.append("Effects (rate ratios, median and 95% credible interval):")
        for r in self.effects.itertuples(index=False):
            lines.append(f"  {r.explanation}: {r.effect}: {r.median:.3g} ({r.low:.3g} to "
                         f"{r.high:.3g}); P(rise) = {r.p_rise:.3f}; P(within "
                         f"{self.rope[0]:g}-{self.rope[1]:g}) = {r.p_rope:.3f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def posterior(data: pd.DataFrame, *, outcome: str, time: str, policy: dict,
              offset: str | None = None, trend: bool = True, priors: Priors | None = None,
              placed: tuple = ((1, "step"), (2, "dip")), resolution: str = "quarter",
              min_segment: float = 1.0, prior_odds: dict | None = None, draws: int = 4096,
              seed: int = 2012, rope: tuple = ROPE, suggested=(), same_reports=(),
              cache: dict | None = None, _keep: dict | None = None,
              _reuse: dict | None = None) -> BayesResult:
    """Posterior probabilities of the explanations and of the effects (module docstring).

    ``policy`` maps labels to dates (the steps at each; the temporary change between the first
    two). ``placed``: the data-placed explanations, as ``(breaks, kind)`` pairs of the scan
    (``(1, "step")``, ``(2, "dip")``; ``()`` for none), on the scan's grid (``resolution``,
    ``min_segment``). ``prior_odds`` maps explanation names to prior weights (default equal).
    ``draws`` (a power of 2, at least 256) points per integral. ``suggested`` names the
    explanations at the policy dates that the data suggested ("steps", "temporary", as for
    :func:`scrlib.its.explain`): they are labelled exploratory, since a posterior probability
    computed on the data that suggested the explanation overstates it; ``same_reports`` names
    those fixed in advance at dates taken from the same reports as the counts (``basis``
    holds each explanation's code: independent, same-reports, suggested, searched). Bad
    arguments raise
    ValueError naming the argument and what is allowed. ``cache``: a dict the caller keeps
    between calls; an integral over the same data, placements, priors and points is taken from
    it rather than computed again (the explorer moves a date without redoing the placed ones).
    """
    for argument, values in (("suggested", suggested), ("same_reports", same_reports)):
        unknown = [v for v in values if v not in ("steps", "temporary")]
        if unknown:
            raise ValueError(f"{argument} names {unknown}; allowed: steps, temporary")
    priors = priors or Priors()
    if not isinstance(priors, Priors):
        raise ValueError(f"priors={priors!r}: give a Priors (scrlib.its.bayes.Priors)")
    if (isinstance(draws, bool) or not isinstance(draws, int) or draws < 256
            or draws & (draws - 1)):
        raise ValueError(f"draws={draws!r}: allowed: a power of 2 from 256 (e.g. 4096)")
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution={resolution!r}; allowed: {', '.join(RESOLUTIONS)}")
    if len(rope) != 2 or not 0 < rope[0] < 1 < rope[1]:
        raise ValueError(f"rope={rope!r}: two rate ratios, one below 1 and one above")
    if not policy:
        raise ValueError("policy must name at least one policy date")
    y = data[outcome].to_numpy(dtype=float)
    if not np.all(np.isfinite(y)) or np.any(y < 0) or np.any(y != np.round(y)):
        raise ValueError(f"{outcome!r} must hold counts (whole numbers, 0 or more)")
    m = np.ones(len(y)) if offset is None else data[offset].to_numpy(dtype=float)
    axis = time_axis(data, time)
    if axis.periods is None:
        raise ValueError(f"time column {time!r} holds integers; give pandas Periods or dates")
    starts, ends = axis.periods.start_time, axis.periods.end_time.normalize()
    X = _base(axis, trend)
    n, kb = X.shape
    models = _explanations(policy, placed, axis, starts, ends, n, kb, resolution, min_segment,
                           cache)
    for model in models:
        if model.kind in suggested:
            model.basis = BASIS["suggested"]
        elif model.kind in same_reports:
            model.basis = BASIS["same-reports"]
    odds = _prior_odds(prior_odds, [e.name for e in models])
    # a column per parameter (level, trend, effects, spread) and one for the t proposal's
    # mixing; the adaptive stages use at least STAGE_POINTS
    effects_most = max(e.patterns.shape[1] for e in models)
    dims = kb + effects_most + 1 + 1
    points = _points(dims, max(draws, STAGE_POINTS), seed)
    extra = [_points(dims, draws, [int(seed), r]) for r in range(1, REPLICATES)]
    centre = (math.log(max(float(np.mean(y / m)), 0.5)) if priors.level_mean is None
              else float(priors.level_mean))

    def key_of(model):  # what the draws of an explanation rest on, whatever the priors
        return _cache_key(y, m, X, model, Priors(label=""), 0.0, draws, seed, ())

    rows, effect_rows, date_rows, mixtures = [], [], [], {}
    for model, prior_weight in zip(models, odds, strict=True):
        key = _cache_key(y, m, X, model, priors, centre, draws, seed, rope)
        base = None if _reuse is None else _reuse.get(key_of(model))
        if cache is not None and key in cache:
            row, effects, dates, mixed = cache[key]
        else:
            row, effects, dates, mixed, kept = _one_explanation(
                y, m, X, model, priors, centre, points, draws, rope, base, extra)
            if cache is not None:
                cache[key] = (row, effects, dates, mixed)
            if _keep is not None:
                _keep[key_of(model)] = kept
        rows.append({**row, "basis": model.basis, "prior": prior_weight})
        effect_rows.extend(effects)
        date_rows.extend(dates)
        mixtures.update(mixed)
    table = pd.DataFrame(rows, columns=["explanation", "basis", "placements", "prior",
                                        "log_evidence", "log_evidence_se", "min_ess",
                                        "draws"])
    with np.errstate(divide="ignore"):  # an explanation given no prior weight has none after
        log_post = np.log(table["prior"].to_numpy()) + table["log_evidence"].to_numpy()
    table["probability"] = _softmax(log_post)
    table["probability_se"] = _probability_se(table["probability"].to_numpy(),
                                              table["log_evidence_se"].to_numpy())
    result = BayesResult(priors, table, pd.DataFrame(effect_rows), pd.DataFrame(
        date_rows, columns=["explanation", "start", "end", "probability"]), draws, int(seed),
        tuple(rope))
    result._mixtures = mixtures
    result.warnings = [
        f"The probability of {r.explanation} rests on an integral with few effective draws "
        f"(at worst {r.min_ess:.0f} of {r.draws}; Monte Carlo error of its log marginal "
        f"likelihood up to {r.log_evidence_se:.2f}): treat it as rough, or run with more draws."
        for r in table.itertuples(index=False)
        if r.min_ess < ESS_WARN or r.log_evidence_se > SE_WARN]
    return result


def _one_explanation(y, m, X, model, priors, centre, points, draws, rope, base=None,
                     extra=()):
    """One explanation's evidence, effects, placed dates and effect draws (for
    :meth:`BayesResult.probability`), each with its Monte Carlo standard error, and what
    another prior can reuse.

    An explanation with one placement is integrated at ``REPLICATES`` independent scrambles of
    the points (``extra``), pooled; one whose dates the data place, at one scramble per
    placement. Either way the draws fall into ``BLOCKS`` blocks (the scrambles, or contiguous
    runs of the Sobol points, each a net of its own), and a quantity's Monte Carlo error is
    the spread of its value over the blocks over the square root of their number (for the
    runs of one scramble an overstatement: the whole set of points does better)."""
    extra = extra if len(model.placements) == 1 else ()
    logw, effects, kept = _integrate(y, m, X, model.shares, model.patterns, priors, centre,
                                     points, draws, base, extra)
    N = logw.shape[1]
    log_z = _logmeanexp(logw, axis=1)  # each placement's evidence
    within = _softmax(log_z)  # the placements' posterior, given the explanation
    ess = 1.0 / np.sum(_softmax_rows(logw) ** 2, axis=1)
    log_evidence = float(_logmeanexp(logw.ravel()))
    blocks = np.array_split(np.arange(N), BLOCKS)
    block_evidence = np.array([float(_logmeanexp(logw[:, b].ravel())) for b in blocks])
    relative = np.exp(block_evidence - log_evidence)
    row = {"explanation": model.name, "placements": len(model.placements),
           "log_evidence": log_evidence,
           "log_evidence_se": float(np.std(relative, ddof=1) / math.sqrt(len(blocks))),
           "min_ess": float(np.min(ess)), "draws": N}
    weights = _softmax(logw.ravel())  # every draw of every placement, weighted as one mixture
    effect_rows, date_rows, mixtures = [], [], {}
    for j, effect in enumerate(model.effects):
        ratios = effects[:, :, j]
        mixtures[(model.name, effect)] = (ratios.ravel(), weights)
        summary = _summarise(ratios.ravel(), weights, rope)
        by_block = [_summarise(ratios[:, b].ravel(), _softmax(logw[:, b].ravel()), rope)
                    for b in blocks]
        errors = {f"{key}_se": float(np.std([s[key] for s in by_block], ddof=1)
                                     / math.sqrt(len(blocks))) for key in summary}
        effect_rows.append({"explanation": model.name, "effect": effect, **summary,
                            **errors})
    if model.basis == BASIS["placed"]:
        for placement, p in zip(model.placements, within, strict=True):
            date_rows.append({"explanation": model.name, "start": placement.dates[0],
                              "end": placement.dates[-1] if len(placement.dates) > 1
                              else pd.NaT, "probability": float(p)})
    return row, effect_rows, date_rows, mixtures, kept


def _probability_se(probability: np.ndarray, log_evidence_se: np.ndarray) -> np.ndarray:
    """The Monte Carlo error of each explanation's posterior probability from the errors of
    the log evidences (independent; delta method)."""
    p, s = np.asarray(probability, dtype=float), np.asarray(log_evidence_se, dtype=float)
    total = np.sum(p**2 * s**2)
    return np.sqrt(np.maximum(p**2 * ((1 - p) ** 2 * s**2 + total - p**2 * s**2), 0.0))


BASIS = {"fixed": "independent", "same-reports": "same-reports", "suggested": "suggested",
         "placed": "searched"}


def _explanations(policy, placed, axis, starts, ends, n, kb, resolution, min_segment,
                  cache=None):
    """The explanations, each with its placements and shares (see the module docstring); those
    placed by the data are kept in ``cache`` (they do not depend on the policy dates)."""
    dates = sorted((pd.Timestamp(v).normalize(), str(k)) for k, v in policy.items())
    none_shares, none_patterns = _no_break(n)
    out = [_Explanation("no change", BASIS["fixed"], [Placement(())], none_shares[None],
                        none_patterns, ())]
    step_shares = np.zeros((n, len(dates) + 1))
    step_patterns = np.tril(np.ones((len(dates) + 1, len(dates))), -1)
    edges = [np.zeros(n)] + [_before(d, starts, ends) for d, _ in dates] + [np.ones(n)]
    for s in range(len(dates) + 1):
        step_shares[:, s] = edges[s + 1] - edges[s]
    names = " and ".join(label for _, label in dates)
    out.append(_Explanation(f"permanent steps at {names}", BASIS["fixed"],
                            [Placement(tuple(d for d, _ in dates))], step_shares[None],
                            step_patterns, tuple(f"step at {label}" for _, label in dates),
                            "steps"))
    if len(dates) >= 2:
        patterns, segment = _patterns(2, "dip")
        shares = _shares_by_pattern([Placement((dates[0][0], dates[1][0]))], segment, starts,
                                    ends)
        out.append(_Explanation(f"a temporary change between {dates[0][1]} and {dates[1][1]}",
                                BASIS["fixed"], [Placement((dates[0][0], dates[1][0]))], shares,
                                patterns, ("temporary change",), "temporary"))
    grid = _grid(axis, resolution)
    for item in placed:
        breaks, kind = item
        if (breaks, kind) not in ((1, "step"), (2, "dip")):
            raise ValueError(f"placed={placed!r}: allowed items (1, 'step') and (2, 'dip')")
        needed = kb + 1 + 2
        if n < needed:
            raise ValueError(f"placed: {breaks} break(s) need at least {needed} points; the "
                             f"series has {n}: allowed here: ()")
        kept = ("placed", breaks, kind, tuple(starts), tuple(ends), resolution, min_segment)
        if cache is not None and kept in cache:
            out.append(replace(cache[kept]))
            continue
        placements = _placements(grid, breaks, None, starts, ends, min_segment)
        if not placements:
            raise ValueError(f"min_segment={min_segment:g}: no admissible placement of "
                             f"{breaks} date(s) on the {resolution} grid; allowed: a shorter "
                             f"min_segment (at most {n / (breaks + 1):g}) or a finer grid")
        patterns, segment = _patterns(breaks, kind)
        shares = _shares_by_pattern(placements, segment, starts, ends)
        if breaks == 1:
            model = _Explanation("one permanent change where the data put it", BASIS["placed"],
                                 placements, shares, patterns,
                                 ("change at the date the data put it",))
        else:
            model = _Explanation("a temporary change where the data put it", BASIS["placed"],
                                 placements, shares, patterns, ("temporary change",))
        if cache is not None:
            cache[kept] = model
        out.append(replace(model))
    return out


def _cache_key(y, m, X, model, priors, centre, draws, seed, rope) -> str:
    """What one explanation's result depends on, as one hash."""
    import hashlib

    digest = hashlib.sha256()
    for array in (y, m, X, model.shares, model.patterns):
        a = np.ascontiguousarray(array, dtype=float)
        digest.update(repr(a.shape).encode())
        digest.update(a.tobytes())
    digest.update(repr((model.name, model.basis, model.effects, priors.level_sd,
                        priors.trend_sd, priors.effect_sd, priors.spread_scale, centre, draws,
                        seed, tuple(rope))).encode())
    return digest.hexdigest()


def _before(date, starts, ends) -> np.ndarray:
    days = np.asarray((ends - starts).days + 1, dtype=float)
    return np.clip(np.asarray((date - starts).days, dtype=float) / days, 0.0, 1.0)


def _prior_odds(prior_odds, names) -> list[float]:
    if prior_odds is None:
        return [1.0 / len(names)] * len(names)
    unknown = sorted(set(prior_odds) - set(names))
    if unknown:
        raise ValueError(f"prior_odds names {unknown}; allowed: {', '.join(names)}")
    values = [prior_odds.get(name, 0.0) for name in names]
    if any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
        raise ValueError("prior_odds: weights must be finite, 0 or more, and not all 0")
    return [v / sum(values) for v in values]


def _points(dims: int, draws: int, seed) -> np.ndarray:
    """Scrambled Sobol points in (0, 1), the same for a given ``seed`` on every machine."""
    from scipy.stats import qmc

    sobol = qmc.Sobol(dims, scramble=True, seed=np.random.default_rng(seed))
    return np.clip(sobol.random_base2(int(math.log2(draws))), 1e-12, 1 - 1e-12)


def _integrate(y, m, X, shares, patterns, priors, centre, points, final, base=None,
               extra=()):
    """For each placement: the log importance weights of the draws (P, N), the effects' draws
    (log rate ratios) and what another prior can reuse (the draws, their proposal density and
    likelihood). With ``base`` (that, from the same data under other priors) the draws are
    reweighted to these priors, not drawn again; ``extra``: more scrambles of the points, drawn
    through the same proposal and pooled."""
    kb = X.shape[1]
    k = kb + patterns.shape[1]
    if base is None:
        draws, logq, loglik = _draw_and_weigh(y, m, X, shares, patterns, priors, centre, points,
                                              final, extra)
    else:
        draws, logq, loglik = base
    logw = _total(loglik, _log_prior(draws, priors, centre, kb)) - logq
    return logw, draws[:, :, kb:k], (draws, logq, loglik)


def _draw_and_weigh(y, m, X, shares, patterns, priors, centre, points, final, extra=()):
    """Draws from a proposal adapted to the posterior under ``priors``, with the proposal's
    log density and the log likelihood at each (the ``final`` points, then ``final`` of each
    set in ``extra``)."""
    n, kb = X.shape
    q = patterns.shape[1]
    k = kb + q
    fits = fit_patterns(y[None], X, shares, patterns, m=m)
    theta = np.asarray(fits.theta, dtype=float).reshape(len(shares), k)
    null = fit_patterns(y, X, *_no_break(n), m=m)
    fallback = np.concatenate([np.asarray(null.theta, dtype=float)[:kb], np.zeros(q)])
    bad = ~np.isfinite(theta).all(axis=1) | (np.abs(theta) > 50).any(axis=1)
    theta[bad] = fallback
    phi = np.maximum(np.asarray(fits.pearson, dtype=float).reshape(-1) / max(n - k, 1), 1.0)
    phi = np.where(np.isfinite(phi), phi, 1.0)
    mean_mu = np.maximum(np.mean(y), 0.5)
    spread = np.clip(np.sqrt(np.maximum(phi - 1.0, 1e-3) / mean_mu), 1e-3, 3.0)
    precision = np.diag([1 / priors.level_sd**2] + [1 / priors.trend_sd**2] * (kb - 1)
                        + [1 / priors.effect_sd**2] * q)
    mu, d_mu = _pattern_mean(theta, X, shares, patterns, m, kb)
    info = np.swapaxes(d_mu / mu[..., None], -1, -2) @ d_mu / phi[:, None, None]
    cov = np.linalg.inv(info + precision)
    # the likelihood's normal approximation at the estimate, combined with the normal prior
    prior_mean = np.zeros(k)
    prior_mean[0] = centre
    combined = (cov @ (info @ theta[..., None] + (precision @ prior_mean)[:, None]))[..., 0]
    P = len(shares)
    scale = np.zeros((P, k + 1, k + 1))
    scale[:, :k, :k] = cov * 1.5**2
    scale[:, k, k] = 1.5**2
    few = points[: max(min(STAGE_POINTS, 2 * final), final // 4)]  # fewer only for rough runs
    # start where the prior and the likelihood's normal approximation meet or, where that
    # fits the target worse, at the estimate itself
    starts = [np.concatenate([c, np.log(spread)[:, None]], axis=1) for c in (combined, theta)]
    fits_ = [_stage(start, scale, few, y, m, X, shares, patterns, priors, centre, kb)
             for start in starts]
    better = fits_[1][2] > fits_[0][2]
    chosen = [np.where(better.reshape((-1,) + (1,) * (a.ndim - 1)), b, a)
              for a, b in zip(fits_[0], fits_[1], strict=True)]
    loc, scale = _moved(scale, *chosen, k + 1)
    # adaptive importance sampling: small stages that move the proposal to the weighted
    # moments of the last, then the full set of points
    for _ in range(STAGES):
        loc, scale = _moved(scale, *_stage(loc, scale, few, y, m, X, shares, patterns,
                                                 priors, centre, kb), k + 1)
    sets = [_t_draws(loc, scale, more[:final], k + 1) for more in (points, *extra)]
    draws = np.concatenate([d for d, _ in sets], axis=1)
    logq = np.concatenate([q for _, q in sets], axis=1)
    return draws, logq, _log_likelihood(draws, y, m, X, shares, patterns, kb)


def _stage(loc, scale, points, y, m, X, shares, patterns, priors, centre, kb):
    """One adaptive stage: the weighted mean and covariance of the draws, and the effective
    sample size, per placement."""
    dims = loc.shape[-1]
    draws, logq = _t_draws(loc, scale, points, dims)
    w = _softmax_rows(_log_target(draws, y, m, X, shares, patterns, priors, centre, kb) - logq)
    mean = np.einsum("pn,pnd->pd", w, draws)
    centred = draws - mean[:, None, :]
    return mean, np.einsum("pn,pnd,pne->pde", w, centred, centred), 1.0 / np.sum(w**2, axis=1)


def _moved(scale, mean, second, ess, dims):
    """The proposal moved to a stage's moments: its centre always, its shape where the stage
    rests on enough effective draws to estimate one."""
    usable = ess >= 2 * dims
    return mean, np.where(usable[:, None, None], second * 1.2**2 + 1e-9 * np.eye(dims), scale)


def _t_draws(loc, scale, points, dims):
    """Multivariate t (``T_DF``) draws at ``points`` and their log density, per placement."""
    from scipy import special, stats

    z = special.ndtri(points[:, :dims])  # (N, d)
    mix = stats.chi2.ppf(points[:, -1], T_DF) / T_DF  # (N,)
    chol = np.linalg.cholesky(scale)  # (P, d, d)
    draws = loc[:, None, :] + np.einsum("pde,ne->pnd", chol, z) / np.sqrt(mix)[None, :, None]
    solved = np.linalg.solve(chol, np.swapaxes(draws - loc[:, None, :], 1, 2))  # (P, d, N)
    maha = np.sum(solved**2, axis=1)  # (P, N)
    logdet = 2 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
    logq = (special.gammaln((T_DF + dims) / 2) - special.gammaln(T_DF / 2)
            - dims / 2 * math.log(T_DF * math.pi) - logdet[:, None] / 2
            - (T_DF + dims) / 2 * np.log1p(maha / T_DF))
    return draws, logq


def _log_target(draws, y, m, X, shares, patterns, priors, centre, kb):
    """Log prior plus negative binomial log likelihood at each draw (P, N)."""
    return _total(_log_likelihood(draws, y, m, X, shares, patterns, kb),
                  _log_prior(draws, priors, centre, kb))


def _total(loglik, logprior):
    with np.errstate(invalid="ignore"):
        total = loglik + logprior
    return np.where(np.isfinite(total), total, -np.inf)


def _log_likelihood(draws, y, m, X, shares, patterns, kb):
    """The negative binomial log likelihood at each draw (P, N)."""
    k = draws.shape[-1] - 1
    theta, u = draws[..., :k], draws[..., k]
    P, N = u.shape
    out = np.empty((P, N))
    chunk = max(1, 2_000_000 // (N * len(y)))
    for lo in range(0, P, chunk):
        hi = min(P, lo + chunk)
        out[lo:hi] = _nb_loglik(y, _mean(theta[lo:hi], X, shares[lo:hi], patterns, m, kb),
                                np.exp(2 * u[lo:hi]))
    return out


def _log_prior(draws, priors, centre, kb):
    """The log prior density at each draw (P, N), on the scale of ``u = log(spread)``."""
    k = draws.shape[-1] - 1
    theta, u = draws[..., :k], draws[..., k]
    lp = _normal_logpdf(theta[..., 0], centre, priors.level_sd)
    for j in range(1, kb):
        lp = lp + _normal_logpdf(theta[..., j], 0.0, priors.trend_sd)
    for j in range(kb, k):
        lp = lp + _normal_logpdf(theta[..., j], 0.0, priors.effect_sd)
    spread = np.exp(u)  # half-normal on the spread, with the Jacobian of u = log(spread)
    return lp + math.log(2.0) + _normal_logpdf(spread, 0.0, priors.spread_scale) + u


def _mean(theta, X, shares, patterns, m, kb):
    """Expected counts (P, N, n) at draws ``theta`` (P, N, k) for placements ``shares``."""
    with np.errstate(over="ignore"):
        level = np.exp(np.minimum(theta[..., :kb] @ X.T, 700.0)) * m  # (P, N, n)
        factors = np.exp(np.minimum(theta[..., kb:] @ patterns.T, 700.0))  # (P, N, S)
    return level * (factors @ np.swapaxes(shares, 1, 2))  # (P, N, S) @ (P, S, n)


def _nb_loglik(y, mu, alpha):
    """Sum over points of the negative binomial (NB2) log density; ``alpha`` (P, N). Close to
    the Poisson (``GAMMA_RATIO_LIMIT``) the ratio of gamma functions is taken through the beta
    function, which keeps its digits; beyond ``POISSON_LIMIT`` the Poisson density is used."""
    from scipy import special

    mu = np.maximum(mu, 1e-300)
    a = alpha[..., None]
    lgy = special.gammaln(y + 1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        r = 1.0 / a
        ratio = special.gammaln(y + r) - special.gammaln(r)
        far = r[..., 0] > GAMMA_RATIO_LIMIT  # where that difference loses digits (rare)
        if far.any():
            positive = y > 0
            safe_y = np.where(positive, y, 1.0)
            ratio[far] = np.where(positive, special.gammaln(safe_y)
                                  - special.betaln(safe_y, r[far]), 0.0)
        out = ratio - lgy - r * np.log1p(a * mu) + special.xlogy(y, a * mu / (1 + a * mu))
    poisson = np.broadcast_to(r > POISSON_LIMIT, out.shape)
    if poisson.any():
        out = np.where(poisson, special.xlogy(y, mu) - mu - lgy, out)
    return np.sum(out, axis=-1)


def _normal_logpdf(x, mean, sd):
    return -0.5 * ((x - mean) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)


def _softmax(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    top = np.max(values)
    out = np.exp(values - top)
    return out / out.sum()


def _softmax_rows(values) -> np.ndarray:
    top = np.max(values, axis=1, keepdims=True)
    out = np.exp(values - top)
    return out / out.sum(axis=1, keepdims=True)


def _logmeanexp(values, axis=None):
    values = np.asarray(values, dtype=float)
    top = np.max(values, axis=axis, keepdims=True)
    out = np.log(np.mean(np.exp(values - top), axis=axis, keepdims=True)) + top
    return out.squeeze() if axis is None else np.squeeze(out, axis=axis)


def _summarise(log_ratios, weights, rope) -> dict:
    """Median, 95% credible interval, and probabilities of a rise and of practically none."""
    order = np.argsort(log_ratios, kind="stable")
    sorted_ratios, cumulative = log_ratios[order], np.cumsum(weights[order])

    def quantile(p):
        return float(np.exp(sorted_ratios[min(np.searchsorted(cumulative, p), len(order) - 1)]))

    mean = float(np.sum(weights * log_ratios))
    return {"median": quantile(0.5), "low": quantile(0.025), "high": quantile(0.975),
            "mean_log": mean,
            "p_rise": float(np.sum(weights[log_ratios > 0])),
            "p_rope": float(np.sum(weights[(log_ratios > math.log(rope[0]))
                                           & (log_ratios < math.log(rope[1]))])),
            "p_up_20": float(np.sum(weights[log_ratios > math.log(1.2)])),
            "p_down_20": float(np.sum(weights[log_ratios < math.log(1 / 1.2)]))}


def sensitivity(data: pd.DataFrame, *, prior_sets: dict | None = None, **arguments) -> dict:
    """:func:`posterior` under each prior set (default ``PRIOR_SETS``): ``{label: result}``.
    The first set's draws are reweighted to each other set (importance reweighting: the
    likelihood at each draw is kept, only the prior changes), so the others cost little; where
    a reweighted integral rests on few effective draws, its result says so (``warnings``)."""
    prior_sets = prior_sets or PRIOR_SETS
    kept: dict = {}
    out = {}
    for i, (label, p) in enumerate(prior_sets.items()):
        out[label] = posterior(data, priors=replace(p, label=label), **arguments,
                               _keep=kept if i == 0 else None, _reuse=kept if i else None)
    return out


def depends_on_prior(results: dict) -> list[dict]:
    """What changes between prior sets, as relations (empty if nothing does): ``{"what":
    "leader", "by_prior": {label: explanation}}`` where the most probable explanation differs,
    and ``{"what": "effect", "effect", "explanation", "excludes": [labels], "includes":
    [labels]}`` for an effect whose 95% credible interval excludes no change under some prior
    sets and not others. The reader says them in words."""
    out = []
    leaders = {label: r.leading["explanation"] for label, r in results.items()}
    if len(set(leaders.values())) > 1:
        out.append({"what": "leader", "by_prior": leaders})
    first = next(iter(results.values()))
    for row in first.effects.itertuples(index=False):
        verdicts = {}
        for label, r in results.items():
            hit = r.effects[(r.effects["explanation"] == row.explanation)
                            & (r.effects["effect"] == row.effect)]
            if len(hit):
                h = hit.iloc[0]
                verdicts[label] = bool(h["low"] > 1 or h["high"] < 1)
        if len(set(verdicts.values())) > 1:
            out.append({"what": "effect", "effect": row.effect,
                        "explanation": row.explanation,
                        "excludes": [label for label, v in verdicts.items() if v],
                        "includes": [label for label, v in verdicts.items() if not v]})
    return out
