"""Interrupted time series (segmented regression) for short count series, with honest warnings.

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
    family
        ``"poisson"``; ``"quasipoisson"`` (Poisson GLM, scale = Pearson chi2/df);
        ``"negativebinomial"`` (NB2, alpha by maximum likelihood; if the data show no
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
    whole_periods
        A date inside a period (July 2012 inside financial year 2012-13): by default that
        period's step is the share of its days on or after the date (slope 0 there, 1 in the
        next period). With ``whole_periods=True`` the policy starts at the first period that
        begins on or after the date; the period containing the date counts as pre-intervention.
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

Intervals are 95% Wald intervals on the link scale, back-transformed (normal quantiles; t with
the residual df for model-based gaussian fits). Bad input raises ValueError naming the column
and rows; a model that cannot be fitted raises :class:`ConvergenceError`. Warnings about what
the data cannot support are in ``ItsResult.warnings`` and ``ItsResult.summary()``.

Also: :func:`compare_periods` (exact two-period comparisons), :func:`placebo_in_time`
(intervention moved to every other admissible time) and :func:`compare_models` (families,
AIC and a test for adding a slope).
"""

from scrlib.its._engine import FAMILIES, ConvergenceError, IdentificationError, hac_lags_rule
from scrlib.its._fit import fit
from scrlib.its.models import ModelComparison, compare_models
from scrlib.its.placebo import PlaceboResult, placebo_in_time
from scrlib.its.result import ItsResult
from scrlib.its.twoperiods import PeriodComparison, compare_periods

__all__ = [
    "FAMILIES",
    "ConvergenceError",
    "IdentificationError",
    "ItsResult",
    "ModelComparison",
    "PeriodComparison",
    "PlaceboResult",
    "compare_models",
    "compare_periods",
    "fit",
    "hac_lags_rule",
    "placebo_in_time",
]
