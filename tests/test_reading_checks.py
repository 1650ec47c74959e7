"""The checks behind notebook 02's caveats (issue 32, item 9) and notebook 03's borrowed
dispersion (item 6), each recomputed here from the cited data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from scrlib.study import analysis
from scrlib.study.design import Specification

SPEC = Specification()


def test_the_part_year_figures_are_set_against_what_the_model_implies(dataset):
    """February and March 2011 lie wholly after Full publication: the model implies the
    fitted level of 2010-11 after it, for 59 of the year's 365 days."""
    result = SPEC.fit(dataset)
    check = analysis.part_year_check(dataset, SPEC, result).set_index("period")
    row = check.loc["February to March 2011"]
    b = result._beta
    per_year = math.exp(b[0] + b[1] * 3 + b[2])  # 2010-11 is the fourth year (trend 3)
    assert row["observed"] == 13
    assert row["expected"] == pytest.approx(per_year * 59 / 365, rel=1e-9)
    assert row["low"] <= row["expected"] <= row["high"] and 0 < row["p"] <= 1
    # the first ten months straddle the date: old level to 9 June, new level after
    first = check.loc["1 April 2010 to 31 January 2011"]
    before = math.exp(b[0] + b[1] * 3) * 70 / 365  # 1 April to 9 June 2010
    after = math.exp(b[0] + b[1] * 3 + b[2]) * (306 - 70) / 365
    assert first["expected"] == pytest.approx(before + after, rel=1e-9)


def test_holm_adjusts_the_policy_steps_for_testing_both(dataset):
    result = SPEC.fit(dataset)
    table = analysis.holm(result).set_index("intervention")
    p = table["p_value"].sort_values()
    expected = [min(1.0, 2 * p.iloc[0]), max(min(1.0, 2 * p.iloc[0]), p.iloc[1])]
    assert table.loc[p.index, "holm"].tolist() == pytest.approx(expected)


def test_set_against_notifications_over_every_end_year(dataset):
    paired = analysis.paired(dataset, "scr-initiated", "sin-total")
    changes = analysis.end_year_changes(paired)
    assert list(changes["year"]) == list(paired["year"].iloc[1:])
    last = paired.iloc[-1]
    assert changes["successes_change"].iloc[-1] == pytest.approx(
        100 * (last["successes"] / paired["successes"].iloc[0] - 1))
    faster = np.sign(changes["successes_change"] - changes["trials_change"])
    from scrlib.reader import sentences

    text = sentences.end_years_sentence(changes, "Serious incident notifications",
                                        "SCRs initiated")
    assert ("depends on the end year" in text) == (len(set(faster)) > 1)
    assert "serious incident notifications" in text  # a name inside a sentence


def test_the_counting_body_and_the_reports_that_date_an_event(dataset):
    """Ofsted counts the SCRs initiated and its role is what changed at the end of its
    evaluation; that date comes only from the publisher that reports the counts, while full
    publication is dated by others."""
    events = ["full-publication", "ofsted-evaluation-ends"]
    assert analysis.counted_by_an_actor(dataset, "scr-initiated", events) == [
        "ofsted-evaluation-ends"]
    assert analysis.dated_by_the_counts_reports(dataset, events, ["scr-initiated"]) == [
        "ofsted-evaluation-ends"]
    assert SPEC.same_reports(dataset) == ("steps",)
    assert Specification(events=("full-publication",)).same_reports(dataset) == ()


def test_the_borrowed_dispersion_under_both_forms(dataset):
    """Quasi-binomial: one multiple at every size. Beta-binomial-like: 1 + (n - 1) rho, with
    rho from the reference share's largest and smallest denominators; the test under it
    recomputed here."""
    shares = analysis.paired(dataset, "scr-published", "scr-commissioned")
    forms = analysis.dispersion_forms(dataset, shares, ["2011-12"], ["2013-14"])
    phi, df, _ = analysis.borrowed_dispersion(dataset)
    quasi = forms[forms["form"] == "quasi-binomial"].iloc[0]
    assert quasi["before"] == quasi["after"] == pytest.approx(phi)
    beta = forms[forms["form"] == "beta-binomial-like"]
    assert len(beta) == 2
    b = shares[shares["year"] == "2011-12"].iloc[0]
    a = shares[shares["year"] == "2013-14"].iloc[0]
    for r in beta.itertuples(index=False):
        rho = (r.before - 1) / (b["trials"] - 1)
        assert r.after == pytest.approx(1 + (a["trials"] - 1) * rho)
        pb, pa = b["successes"] / b["trials"], a["successes"] / a["trials"]
        se = math.sqrt(r.before / (b["trials"] * pb * (1 - pb))
                       + r.after / (a["trials"] * pa * (1 - pa)))
        t = (math.log(pa / (1 - pa)) - math.log(pb / (1 - pb))) / se
        assert r.p == pytest.approx(2 * stats.t.sf(abs(t), df))
    assert (beta["before"] < phi).all()  # smaller denominators: less extra variation


def test_the_conflict_rule_table_uses_the_main_comparison(dataset):
    """Item 6: one comparison method per table; with the borrowed dispersion the rule table
    is quasi-binomial throughout, as the notebook's main comparison."""
    phi, df, source = analysis.borrowed_dispersion(dataset)
    table = analysis.rule_sensitivity(dataset, "scr-published", "scr-commissioned",
                                      ["2011-12"], ["2013-14"], dispersion=phi,
                                      dispersion_df=df, source=source)
    column = next(c for c in table.columns if c.startswith("p (quasi-binomial"))
    shares = analysis.paired(dataset, "scr-published", "scr-commissioned")
    main = analysis.compare_share_years(shares, ["2011-12"], ["2013-14"], dispersion=phi,
                                        dispersion_df=df, source=source)
    from scrlib.its import fmt

    chosen = table[(table["rule"] == "recorded") & (table["which"] == "chosen years")]
    assert chosen[column].iloc[0] == fmt.p(main.p_value)
    assert not any("exact" in c for c in table.columns)
