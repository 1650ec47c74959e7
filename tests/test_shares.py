"""Shares with their year-to-year variation (issue 24, point 5): a quasi-binomial comparison,
checked against statsmodels' GLM (the estimator of R's glm(family = quasibinomial)) and against
the figures a statistician's review gave for notebooks 03 and 04."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from scrlib.its import compare_shares
from scrlib.study import analysis

# SCRs initiated out of serious incident notifications, 2012-13 | 2013-14 to 2015-16 (data/)
BEFORE = ([93], [231])
AFTER = ([143, 166, 134], [298, 385, 379])


def test_the_comparison_is_the_quasi_binomial_glm():
    """R: summary(glm(cbind(y, n - y) ~ after, family = quasibinomial)) (R is not reachable
    here: statsmodels' GLM on the proportions with the trials as variance weights and the
    Pearson scale is the same estimator, written apart; with a two-column response statsmodels
    0.15 reports another scale)."""
    import statsmodels.api as sm

    y = np.array(BEFORE[0] + AFTER[0], dtype=float)
    n = np.array(BEFORE[1] + AFTER[1], dtype=float)
    after = np.array([0, 1, 1, 1], dtype=float)
    fit = sm.GLM(y / n, sm.add_constant(after), family=sm.families.Binomial(),
                 var_weights=n).fit(scale="X2")
    found = compare_shares(*BEFORE, *AFTER)
    assert found.dispersion == pytest.approx(fit.scale, rel=1e-10)
    assert np.log(found.odds_ratio) == pytest.approx(fit.params[1], rel=1e-10)
    t = fit.params[1] / fit.bse[1]
    assert found.t == pytest.approx(t, rel=1e-10)
    assert found.p_value == pytest.approx(2 * stats.t.sf(abs(t), 2), rel=1e-10)
    low, high = fit.params[1] + np.array([-1, 1]) * stats.t.ppf(0.975, 2) * fit.bse[1]
    assert np.log([found.odds_ratio_low, found.odds_ratio_high]) == pytest.approx([low, high])
    # the difference: Newcombe's hybrid score interval on effective sizes (trials / dispersion),
    # here against statsmodels' with the normal quantile in place of t
    from statsmodels.stats.proportion import confint_proportions_2indep

    from scrlib.its.twoperiods import _newcombe

    nb, na = n[:1].sum() / found.dispersion, n[1:].sum() / found.dispersion
    low, high = _newcombe(found.before, nb, found.after, na, stats.norm.ppf(0.975))
    ref = confint_proportions_2indep(found.after * na, na, found.before * nb, nb,
                                     method="newcomb", compare="diff")
    assert (low, high) == pytest.approx(ref, rel=1e-9)
    assert -1 <= found.difference_low < found.difference < found.difference_high <= 1
    # the review's figures for notebook 04: chi-squared 11.4 on 2 df, p = 0.003, dispersion 5.7
    assert round(found.chi2, 1) == 11.4 and round(found.chi2_p, 3) == 0.003
    assert round(found.dispersion, 1) == 5.7 and found.df == 2


def test_notebook_03_borrows_the_dispersion_and_says_so(dataset):
    """With one year on each side there is no df: the comparison refuses unless a dispersion is
    given, and with notebook 04's the review's z of 4.69 falls to 1.96."""
    shares = analysis.paired(dataset, "scr-published", "scr-commissioned")
    with pytest.raises(ValueError, match="one year on each side leaves no df"):
        analysis.compare_share_years(shares, ["2011-12"], ["2013-14"])
    phi, df, source = analysis.borrowed_dispersion(dataset)
    assert df == 2 and "SCRs initiated" in source
    found = analysis.compare_share_years(shares, ["2011-12"], ["2013-14"], dispersion=phi,
                                         dispersion_df=df, source=source)
    assert round(found.binomial_z, 2) == 4.69 and round(found.t, 2) == 1.96
    assert found.p_value == pytest.approx(2 * stats.t.sf(found.t, 2))
    assert found.source == source and np.isnan(found.chi2)
    with pytest.raises(ValueError, match="dispersion_df="):
        analysis.compare_share_years(shares, ["2011-12"], ["2013-14"], dispersion=phi)


def test_bad_shares_are_refused_in_words():
    with pytest.raises(ValueError, match="before: successes must be between 0 and the trials"):
        compare_shares([60], [50], [10, 12], [40, 40])
    with pytest.raises(ValueError, match="a pooled share of 0 or 1 has no logit"):
        compare_shares([0], [50], [0, 0], [40, 40])


def test_the_rebound_is_set_against_notifications_in_words(dataset):
    """Issue 24, point 7: from 2012-13 to 2015-16 notifications rose 64% and SCRs initiated
    44% (computed here from the paired counts), so the answer may not call it boards reviewing
    more readily."""
    from scrlib.reader import answers

    paired = analysis.paired(dataset, "scr-initiated", "sin-total")
    first, last = paired.iloc[0], paired.iloc[-1]
    rise = round(100 * (last["trials"] / first["trials"] - 1))
    reviews = round(100 * (last["successes"] / first["successes"] - 1))
    assert (rise, reviews) == (64, 44)
    text = answers._set_against(paired, "Serious incident notifications", "SCRs initiated")
    assert f"also rose ({rise}% from 2012-13 to 2015-16, against {reviews}% for SCRs" in text
    assert "cannot be told from no change" in text and "p = 0.88" in text
    assert "no more than" not in text  # end years are a choice; the share's own test decides
    assert text.startswith("whether the rebound was more incidents notified or boards")
