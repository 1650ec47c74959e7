"""The statistics: interrupted time series for short count series, identified by rule, honest.

Segmented regression with small-sample inference and warnings about what the data cannot carry.

``fit(data, *, outcome, time, interventions, ...)`` returns an :class:`ItsResult`.

Arguments of :func:`fit`
    data, outcome, time
        A DataFrame, its count column and its time column: integers, pandas Periods (financial
        year 2012-13 is ``pd.Period("2013", freq="Y-MAR")``; July-June years ``"Y-JUN"``) or
        Timestamps on the first (or last) day of evenly spaced months, quarters or years
        (turned into Periods). Time must be strictly increasing; gaps are allowed.
    interventions
        Mapping name -> start: an integer time point, a Period of the series' frequency, or a
        date (``"YYYY-MM-DD"``, Timestamp, or a Period of another frequency = its first day).
        An empty mapping fits a level and trend alone (``ItsResult.trend``: "whole series").
    family
        ``"poisson"``; ``"quasipoisson"`` (Poisson GLM, scale = Pearson chi2/df);
        ``"negativebinomial"`` (NB2, alpha by maximum likelihood with the project's own
        scoring engine on every machine; Wald standard errors from the expected information of
        the mean coefficients, alpha apart, as R's ``MASS::glm.nb``; if the data show no
        overdispersion alpha sits at its boundary 0 and the Poisson fit is reported, with a
        warning); ``"binomial"`` (``trials`` column; effects are odds ratios); ``"gaussian"``
        (least squares; effects are differences).
    offset
        Column of exposure (population, notifications), entered as log(exposure).
    seasonality
        ``(harmonics, period)``: sin(2 pi k t / period) and cos(...) for k = 1..harmonics, with
        t the integer time index (integers as given; Periods: pandas ordinal).
    effects
        ``"step"`` and/or ``"slope"``, for all interventions or as a mapping name -> effects
        (names left out get ``("step",)``). ``step`` is 0 before the start and 1 from it;
        ``slope`` counts periods since the start, 0 in the first post-intervention period, so
        the step is the immediate level change there.
    transition
        A date inside a period (July 2012 inside financial year 2012-13). ``"sum"`` (default):
        the period's expected count is the sum of its parts, the days before the date at the
        old level and the days from it at the new one (for gaussian this equals "fractional").
        ``"fractional"``: the step is the share of days on or after the date, mixed on the
        link scale. ``"whole"``: the period counts wholly on the side where most of its days
        fall. The slope is 0 in the period containing the date either way.
    interval
        ``"profile"`` (default for count families with model-based covariance): profile
        likelihood intervals and the matching likelihood-ratio tests, F(1, df) with the
        estimated dispersion for quasipoisson; ``"wald"``: t with the residual df where the
        scale is estimated (quasipoisson, gaussian: as R's summary.glm), normal otherwise
        (default for gaussian and HAC); ``"wald-normal"``: normal quantiles for every family.
    cov, hac_lags
        ``"model"`` or ``"hac"`` (Newey-West, Bartlett kernel, ``hac_lags`` lags; default
        floor(4 * (n / 100) ** (2 / 9)), at least 1).
    source
        Text for the chart's "Source: ..." line.
    breaks
        Times of definitional breaks in the series (same kinds as interventions), or the name
        of a boolean column flagging the first point after each break; a break inside the data
        gives a warning.
    maxiter
        Iteration limit for the fit; a fit that does not converge raises ConvergenceError.

Intervals are 95% and on the link scale, back-transformed; ``ItsResult.interval_text`` and
``summary()`` say which kind is reported. Bad input raises ValueError naming the column and
rows; a model that cannot be fitted raises :class:`ConvergenceError`. Warnings about what the
data cannot support are in ``ItsResult.warnings`` and ``ItsResult.summary()``.

Also: :func:`compare_periods` (exact two-period comparisons), :func:`placebo_in_time`
(intervention moved by whole years to dates with no dated event nearby), :func:`compare_models`
(families, AICc/QAICc and a test for adding a slope), :func:`scan` (where the data put one or
two break dates, with a bootstrap confidence set and existence test), :func:`explain`
(competing explanations on one footing), :func:`leave_one_out` and
:func:`minimum_detectable_effect`.
"""

from scrlib.its._engine import FAMILIES, ConvergenceError, IdentificationError, hac_lags_rule
from scrlib.its._fit import fit
from scrlib.its._timing import TRANSITIONS
from scrlib.its.bayes import PRIOR_SETS, BayesResult, Priors, posterior
from scrlib.its.breaks import BreakScan, scan
from scrlib.its.explanations import Explanations, explain
from scrlib.its.influence import LeaveOneOut, leave_one_out
from scrlib.its.models import ModelComparison, compare_models
from scrlib.its.placebo import PlaceboResult, placebo_in_time
from scrlib.its.power import mde_sentence, minimum_detectable_effect
from scrlib.its.result import INTERVALS, ItsResult
from scrlib.its.twoperiods import PeriodComparison, ShareComparison, compare_periods, compare_shares

__all__ = [
    "FAMILIES",
    "INTERVALS",
    "PRIOR_SETS",
    "TRANSITIONS",
    "BayesResult",
    "BreakScan",
    "ConvergenceError",
    "Explanations",
    "IdentificationError",
    "ItsResult",
    "LeaveOneOut",
    "ModelComparison",
    "PeriodComparison",
    "PlaceboResult",
    "Priors",
    "ShareComparison",
    "compare_models",
    "compare_periods",
    "compare_shares",
    "explain",
    "fit",
    "hac_lags_rule",
    "leave_one_out",
    "mde_sentence",
    "minimum_detectable_effect",
    "placebo_in_time",
    "posterior",
    "scan",
]
