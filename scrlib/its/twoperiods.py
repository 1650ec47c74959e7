"""Exact comparison of two periods: rates (counts over exposure) or proportions.

For short series a before/after comparison with exact methods says more honestly what the data
can tell than a regression with more parameters than the data carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVEL = 0.95


@dataclass(frozen=True)
class PeriodComparison:
    """Before/after estimates and their contrast (after relative to before), as a tidy table."""

    kind: str  # "rate" or "proportion"
    table: pd.DataFrame
    methods: str

    @property
    def p_value(self) -> float:
        """The exact two-sided p-value of no change."""
        return float(self.table["p_value"].dropna().iloc[0])

    def summary(self) -> str:
        """The table as text, with the methods used."""
        lines = [f"Two-period comparison ({self.kind}s): after relative to before"]
        for row in self.table.itertuples(index=False):
            p = "" if np.isnan(row.p_value) else f"  p = {row.p_value:.4g}"
            lines.append(f"  {row.quantity:<22} {row.estimate:10.4g}  "
                         f"({row.ci_low:.4g} to {row.ci_high:.4g}){p}")
        lines.append(f"Methods: {self.methods}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _total(values, what: str) -> tuple[float, int]:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.size == 0 or not np.isfinite(arr).all():
        raise ValueError(f"{what} must be finite numbers (got {values!r})")
    return float(arr.sum()), arr.size


def _count(values, what: str) -> tuple[int, int]:
    total, size = _total(values, what)
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if (arr < 0).any() or (arr != np.round(arr)).any():
        bad = np.flatnonzero((arr < 0) | (arr != np.round(arr))).tolist()
        raise ValueError(f"{what} must be whole numbers >= 0; bad values at positions {bad}")
    return int(total), size


def compare_periods(before_counts, after_counts, *, before_exposure=None, after_exposure=None,
                    kind: str = "rate", before_trials=None, after_trials=None,
                    ci_method: str = "wilson") -> PeriodComparison:
    """Compare two periods exactly; counts (and exposures, trials) may be numbers or sequences.

    ``kind="rate"``: each period's rate = total count / total exposure (exposure defaults to
    the number of values given, i.e. a rate per time unit), exact Poisson (Garwood) intervals,
    the rate ratio after/before with the exact conditional test (statsmodels
    ``test_poisson_2indep(method="exact-cond")``) and the matching exact conditional interval
    (Clopper-Pearson for the binomial share of events after, transformed to a ratio).

    ``kind="proportion"``: successes out of ``before_trials``/``after_trials``, per-period
    ``ci_method`` intervals ("wilson" or "beta" = Clopper-Pearson), Fisher's exact test, the
    difference (Newcombe), the ratio (Koopman score) and the conditional-MLE odds ratio with
    its exact interval.
    """
    if kind == "rate":
        return _rates(before_counts, after_counts, before_exposure, after_exposure)
    if kind == "proportion":
        if before_trials is None or after_trials is None:
            raise ValueError("kind='proportion' needs before_trials= and after_trials=")
        if ci_method not in ("wilson", "beta"):
            raise ValueError(f"ci_method must be 'wilson' or 'beta', not {ci_method!r}")
        return _proportions(before_counts, after_counts, before_trials, after_trials, ci_method)
    raise ValueError(f"unknown kind {kind!r}; allowed: rate, proportion")


def _rates(before, after, before_exposure, after_exposure) -> PeriodComparison:
    from scipy import stats
    from statsmodels.stats.rates import confint_poisson, test_poisson_2indep

    c0, n0 = _count(before, "before_counts")
    c1, n1 = _count(after, "after_counts")
    e0 = float(n0) if before_exposure is None else _total(before_exposure, "before_exposure")[0]
    e1 = float(n1) if after_exposure is None else _total(after_exposure, "after_exposure")[0]
    if e0 <= 0 or e1 <= 0:
        raise ValueError("exposures must be > 0")
    if c0 + c1 == 0:
        raise ValueError("no events in either period: there is nothing to compare")
    rows = []
    for label, c, e in (("before rate", c0, e0), ("after rate", c1, e1)):
        low, high = confint_poisson(c, e, method="exact-c", alpha=1 - LEVEL)
        rows.append(_row(label, c / e, low, high, np.nan, c, e, "exact Poisson (Garwood)"))
    test = test_poisson_2indep(c1, e1, c0, e0, method="exact-cond")
    # Given the total N, events after ~ Binomial(N, pi) with pi = R e1 / (R e1 + e0).
    total, tail = c0 + c1, (1 - LEVEL) / 2
    pi_low = stats.beta.ppf(tail, c1, total - c1 + 1) if c1 > 0 else 0.0
    pi_high = stats.beta.ppf(1 - tail, c1 + 1, total - c1) if c0 > 0 else 1.0
    ratio = (c1 / e1) / (c0 / e0) if c0 > 0 else np.inf
    low = pi_low / (1 - pi_low) * e0 / e1
    high = pi_high / (1 - pi_high) * e0 / e1 if pi_high < 1 else np.inf
    rows.append(_row("rate ratio", ratio, low, high, float(test.pvalue), c1, e1,
                     "exact conditional (binomial) test and interval"))
    methods = ("exact Poisson intervals per period; exact conditional test (statsmodels "
               "test_poisson_2indep, method='exact-cond', two-sided minlike) and Clopper-Pearson "
               "interval for the conditional binomial, as a rate ratio")
    return PeriodComparison("rate", pd.DataFrame(rows), methods)


def _proportions(before, after, before_trials, after_trials, ci_method) -> PeriodComparison:
    from scipy.stats import fisher_exact
    from scipy.stats.contingency import odds_ratio
    from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

    s0, _ = _count(before, "before_counts")
    s1, _ = _count(after, "after_counts")
    n0, _ = _count(before_trials, "before_trials")
    n1, _ = _count(after_trials, "after_trials")
    for s, n, when in ((s0, n0, "before"), (s1, n1, "after")):
        if n == 0 or s > n:
            raise ValueError(f"{when}: successes ({s}) must be between 0 and trials ({n}), "
                             "trials > 0")
    name = {"wilson": "Wilson", "beta": "Clopper-Pearson"}[ci_method]
    rows = []
    for label, s, n in (("before proportion", s0, n0), ("after proportion", s1, n1)):
        low, high = proportion_confint(s, n, alpha=1 - LEVEL, method=ci_method)
        rows.append(_row(label, s / n, low, high, np.nan, s, n, name))
    table = [[s1, n1 - s1], [s0, n0 - s0]]
    p = float(fisher_exact(table).pvalue)
    low, high = confint_proportions_2indep(s1, n1, s0, n0, method="newcomb", compare="diff",
                                           alpha=1 - LEVEL)
    rows.append(_row("difference", s1 / n1 - s0 / n0, low, high, p, s1, n1, "Newcombe"))
    ratio = (s1 / n1) / (s0 / n0) if s0 > 0 else np.inf
    low, high = confint_proportions_2indep(s1, n1, s0, n0, method="score", compare="ratio",
                                           alpha=1 - LEVEL)
    rows.append(_row("ratio", ratio, low, high, p, s1, n1, "Koopman score"))
    odds = odds_ratio(table, kind="conditional")
    ci = odds.confidence_interval(confidence_level=LEVEL)
    rows.append(_row("odds ratio", float(odds.statistic), float(ci.low), float(ci.high), p, s1,
                     n1, "conditional MLE, exact interval"))
    methods = (f"{name} intervals per period; Fisher's exact test (two-sided) for every "
               "contrast; Newcombe (difference), Koopman score (ratio), exact conditional "
               "(odds ratio) intervals. The test and the difference/ratio intervals come from "
               "different methods and can disagree near the 5% boundary; the odds-ratio "
               "interval uses the same conditional distribution as Fisher's test")
    return PeriodComparison("proportion", pd.DataFrame(rows), methods)


def _row(quantity, estimate, low, high, p, count, denominator, method) -> dict:
    return {"quantity": quantity, "estimate": float(estimate), "ci_low": float(low),
            "ci_high": float(high), "p_value": p, "count": count,
            "denominator": denominator, "method": method}


@dataclass(frozen=True)
class ShareComparison:
    """Shares before and after with their year-to-year variation: a quasi-binomial comparison.

    ``dispersion`` is how many times more the yearly shares vary than binomial counts would
    (Pearson chi-squared over its df), ``df`` its degrees of freedom and ``source`` where it
    comes from ("these years", or the borrowed estimate's description). ``chi2`` and
    ``chi2_p`` test binomial variation in these years (NaN without residual df). The
    difference (after - before, proportions) and the odds ratio have intervals with t on
    ``df``; ``t`` and ``p_value`` test no change.
    """

    before: float
    after: float
    difference: float
    difference_low: float
    difference_high: float
    odds_ratio: float
    odds_ratio_low: float
    odds_ratio_high: float
    t: float
    p_value: float
    dispersion: float
    df: float
    chi2: float
    chi2_p: float
    source: str
    binomial_z: float  # the same comparison if the shares varied only as binomial counts
    binomial_p: float


def compare_shares(before_successes, before_trials, after_successes, after_trials, *,
                   dispersion: float | None = None, dispersion_df: float | None = None,
                   dispersion_source: str = "", level: float = LEVEL) -> ShareComparison:
    """Before/after shares allowing for year-to-year variation beyond binomial (quasi-binomial).

    Each year is one observation (successes out of trials); the model is a logistic
    regression on an after-indicator, as R's ``glm(cbind(y, n - y) ~ after, family =
    quasibinomial)``: the estimates are those of the binomial fit (the pooled shares), the
    variances are multiplied by the dispersion, Pearson chi-squared over the residual df
    (n years - 2), and intervals and tests use t on that df. With only one year on each side
    there is no df: give ``dispersion`` (with ``dispersion_df`` and ``dispersion_source``, say
    where it was estimated) or the comparison refuses. A dispersion below 1 is used as 1 (never
    narrower than binomial). ``dispersion`` may also be a pair (before, after): a multiple for
    each side, as where the extra variation grows with the denominator (beta-binomial-like);
    ``dispersion`` in the result is then the larger. The difference's interval is Newcombe's
    hybrid score interval with each side's trials divided by its dispersion (effective sizes)
    and the t quantile, so it stays within what shares can be.
    """
    from scipy import stats

    yb, nb_ = _pairs(before_successes, before_trials, "before")
    ya, na_ = _pairs(after_successes, after_trials, "after")
    pb, pa = yb.sum() / nb_.sum(), ya.sum() / na_.sum()
    if not (0 < pb < 1 and 0 < pa < 1):
        raise ValueError("a pooled share of 0 or 1 has no logit: use compare_periods "
                         "(exact methods) instead")
    fitted = np.r_[np.full(len(yb), pb), np.full(len(ya), pa)]
    y, n = np.r_[yb, ya], np.r_[nb_, na_]
    chi2 = float(np.sum((y - n * fitted) ** 2 / (n * fitted * (1 - fitted))))
    residual_df = len(y) - 2
    if dispersion is None:
        if residual_df < 1:
            raise ValueError("one year on each side leaves no df to estimate the year-to-year "
                             "variation: give dispersion= (and dispersion_df=, "
                             "dispersion_source=) estimated elsewhere")
        phi, df, source = chi2 / residual_df, float(residual_df), "these years"
    else:
        sides = np.atleast_1d(np.asarray(dispersion, dtype=float))
        if sides.size not in (1, 2) or not (np.isfinite(sides).all() and (sides > 0).all()):
            raise ValueError(f"dispersion must be a positive number (or a pair, before and "
                             f"after), not {dispersion!r}")
        dispersion = float(sides.max())
        if dispersion_df is None or not dispersion_df >= 1:
            raise ValueError("a borrowed dispersion needs dispersion_df= (its degrees of "
                             "freedom, at least 1)")
        phi, df = float(dispersion), float(dispersion_df)
        source = dispersion_source or "estimated elsewhere"
    if dispersion is not None and np.size(sides) == 2:
        phi_b, phi_a = (max(float(v), 1.0) for v in sides)  # never narrower than binomial
    else:
        phi_b = phi_a = max(phi, 1.0)
    var_b, var_a = 1 / (nb_.sum() * pb * (1 - pb)), 1 / (na_.sum() * pa * (1 - pa))
    logit_se = np.sqrt(var_b + var_a)
    scaled_se = np.sqrt(phi_b * var_b + phi_a * var_a)
    log_or = np.log(pa / (1 - pa)) - np.log(pb / (1 - pb))
    crit = stats.t.ppf(0.5 + level / 2, df)
    low, high = _newcombe(pb, nb_.sum() / phi_b, pa, na_.sum() / phi_a, crit)
    t = log_or / scaled_se
    z = log_or / logit_se
    return ShareComparison(
        before=float(pb), after=float(pa), difference=float(pa - pb),
        difference_low=float(low), difference_high=float(high),
        odds_ratio=float(np.exp(log_or)),
        odds_ratio_low=float(np.exp(log_or - crit * scaled_se)),
        odds_ratio_high=float(np.exp(log_or + crit * scaled_se)),
        t=float(t), p_value=float(2 * stats.t.sf(abs(t), df)), dispersion=float(phi),
        df=df, chi2=chi2 if residual_df >= 1 else float("nan"),
        chi2_p=float(stats.chi2.sf(chi2, residual_df)) if residual_df >= 1 else float("nan"),
        source=source, binomial_z=float(z), binomial_p=float(2 * stats.norm.sf(abs(z))))


def _wilson(p: float, n: float, crit: float) -> tuple[float, float]:
    """Wilson's score interval for a share ``p`` of ``n`` (which may be an effective size)."""
    centre = (p + crit**2 / (2 * n)) / (1 + crit**2 / n)
    half = crit * np.sqrt(p * (1 - p) / n + crit**2 / (4 * n**2)) / (1 + crit**2 / n)
    return centre - half, centre + half


def _newcombe(pb: float, nb: float, pa: float, na: float, crit: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``pa - pb`` (within -1 and 1 by construction)."""
    lb, ub = _wilson(pb, nb, crit)
    la, ua = _wilson(pa, na, crit)
    diff = pa - pb
    return (diff - np.sqrt((pa - la) ** 2 + (ub - pb) ** 2),
            diff + np.sqrt((ua - pa) ** 2 + (pb - lb) ** 2))


def _pairs(successes, trials, side: str) -> tuple[np.ndarray, np.ndarray]:
    y = np.atleast_1d(np.asarray(successes, dtype=float))
    n = np.atleast_1d(np.asarray(trials, dtype=float))
    if y.size == 0 or y.shape != n.shape:
        raise ValueError(f"{side}: successes and trials must be equally long and not empty")
    if (y < 0).any() or (n <= 0).any() or (y > n).any() or not np.isfinite(np.r_[y, n]).all():
        raise ValueError(f"{side}: successes must be between 0 and the trials, trials > 0")
    return y, n
