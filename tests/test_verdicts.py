"""The reader's verdict on the competing explanations (scrlib.reader.verdicts): which leads, by
how much and on which criterion, every word of strength computed from its number."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scrlib.its import explain, fit, scan
from scrlib.its.explanations import Explanations
from scrlib.reader import answers, phrasebook, verdicts

FY = "Y-MAR"
POLICY = {"first": "2010-06-10", "second": "2012-07-01"}


def frame(counts) -> pd.DataFrame:
    return pd.DataFrame({"year": pd.period_range("2008", periods=len(counts), freq=FY),
                         "n": counts})


def run(data, **kw):
    return explain(data, outcome="n", time="year", policy=POLICY, **kw)


def _explanations(table, tests) -> Explanations:
    empty = pd.DataFrame()
    return Explanations(table, tests, "QAICc", 1.0, empty, empty, n=8)


def test_the_verdict_says_when_the_data_cannot_tell_explanations_apart():
    close = run(frame([120, 118, 123, 94, 98, 121, 119, 122, 120]))  # a shallow dip
    fixed = close.table[close.table["searched_dates"] == 0]
    assert (fixed["delta"] < 2).sum() >= 2  # the constructed case: two within 2 units
    assert "the data cannot tell apart" in verdicts.verdict(close)
    assert "fits best" not in verdicts.verdict(close)
    # a dip that fully returns: steps that cancel fit it as well, so no "fits best"
    returned = run(frame([140, 138, 141, 70, 70, 140, 139, 142, 141]))
    text = verdicts.verdict(returned)
    assert text.startswith("Among the explanations at the policy dates, the data cannot tell "
                           "apart a temporary change")
    none = returned.table.set_index("explanation").loc["no change"]
    assert (f"no change has {phrasebook.support_phrase(none['delta'])} a temporary change"
            in text)
    # a fall that stays: QAICc ranks the temporary change first (a trend takes the fall after
    # it), but the nested test prefers lasting steps: the two disagree, and it says so
    stays = run(frame([140, 138, 141, 70, 72, 74, 71, 73, 70]))
    assert "the criterion and the test disagree" in verdicts.verdict(stays)
    assert "fits best" not in verdicts.verdict(stays)


def test_fits_best_only_where_criterion_and_nested_tests_agree():
    table = pd.DataFrame({"explanation": ["a", "b", "c"], "searched_dates": [0, 0, 0],
                          "criterion": [10.0, 18.0, 30.0], "delta": [0.0, 8.0, 20.0],
                          "coefficients": [3, 4, 2]})
    tests = pd.DataFrame({"comparison": ["b vs a", "a vs c"], "p_value": [0.30, 0.001],
                          "test": ["F", "F"], "exploratory": [False, False],
                          "basis": ["independent", "independent"]})
    best, tied, disputed, rest = verdicts.leading(_explanations(table, tests))
    assert best["explanation"] == "a" and [r["explanation"] for r, _ in tied] == ["b"]
    assert disputed == [] and [r["explanation"] for r, _ in rest] == ["c"]
    tests.loc[0, "p_value"] = 0.01  # the larger model b is preferred by its test: disagreement
    best, tied, disputed, rest = verdicts.leading(_explanations(table, tests))
    assert tied == [] and [r["explanation"] for r, _ in disputed] == ["b"]
    table.loc[1, "coefficients"] = 2  # b smaller than a, and rejected against it: a fits best
    best, tied, disputed, rest = verdicts.leading(_explanations(table, tests))
    assert tied == disputed == [] and [r["explanation"] for r, _ in rest] == ["b", "c"]


@pytest.mark.parametrize(("gap", "phrase"), [
    (0.7, "about as much support as"), (5.0, "considerably less support than"),
    (11.0, "essentially no support beside")])
def test_a_test_against_the_criterion_says_by_how_much_from_the_gap(gap, phrase):
    """No change can have less support than an exploratory leader, yet lose a nested test to
    another leader while the criterion prefers it: the clause names the test's basis, its p in
    the language of evidence, and the criterion's gap with Burnham and Anderson's words."""
    rows = pd.DataFrame({"explanation": ["dip", "steps", "none"],
                         "criterion": [10.0, 17.3 + gap, 17.3], "coefficients": [3, 4, 2]})
    tests = pd.DataFrame({"comparison": ["steps vs none", "dip vs none"],
                          "p_value": [0.036, 0.007], "test": ["F", "F"],
                          "exploratory": [False, True],
                          "basis": ["same-reports", "suggested"]})
    clause = verdicts.against_others(_explanations(rows, tests), rows.iloc[2],
                                     [rows.iloc[0], rows.iloc[1]], lambda r: r["explanation"])
    ratio = phrasebook.about(math.exp(gap / 2))
    assert clause == ("a test at dates taken from the same reports as these counts prefers "
                      "steps to none (p = 0.036, moderate evidence), though QAICc gives steps "
                      f"{phrase} none ({gap:.1f} higher, evidence ratio about {ratio}): the "
                      "criterion and the test disagree")
    assert "slightly" not in clause and "confirmatory" not in clause


def test_the_verdict_judges_searched_dates_by_their_bootstrap_test():
    data = frame([140, 133, 138, 80, 85, 118, 139, 142, 137])
    dip = scan(data, outcome="n", time="year", breaks=2, kind="dip", replicates=19,
               candidates=POLICY)
    text = verdicts.verdict(run(data, dip_scan=dip))
    assert text.startswith("Allowing for the search over dates, a temporary change")
    assert text.index("Allowing for the search") < text.index("Among the explanations")
    assert f"p = {dip.p_value:.2g}, {phrasebook.evidence(dip.p_value)}" in text or (
        "p \u2264" in text)
    suggested = verdicts.verdict(run(data, suggested=("temporary",)))
    assert "(suggested by the data: exploratory)" in suggested


def test_the_answer_says_a_gap_of_eleven_as_no_support_and_the_penalty_beside_the_weights():
    """Item 1 of issue 32, on the SCR counts: the small-sample criterion puts lasting changes
    11 QAICc units above no change (an evidence ratio near 245), while the nested test prefers
    them (p = 0.036). The answer says the gap in Burnham and Anderson's words with its ratio
    (never "slightly"), and says the small-sample penalty beside weights of 0.97 and 0.00 for
    two explanations a direct test cannot tell apart."""
    years = pd.PeriodIndex([p for p in pd.period_range("2008", periods=9, freq=FY)
                            if p != pd.Period("2012", freq=FY)])
    counts = pd.DataFrame({"fiscal_year": years, "year": [f"{p.year - 1}-{p.year % 100:02d}"
                                                          for p in years],
                           "count": [137.0, 131, 136, 72, 93, 143, 166, 134]})
    dates = {"Full publication": pd.Timestamp("2010-06-10"),
             "Ofsted evaluation ends": pd.Timestamp("2012-07-01")}
    result = fit(counts, outcome="count", time="fiscal_year", interventions=dates,
                 family="quasipoisson")
    expl = explain(counts, outcome="count", time="fiscal_year", policy=dates,
                   suggested=("temporary",))
    table = expl.table.set_index("explanation")
    steps = "permanent steps at Full publication and Ofsted evaluation ends"
    gap = table.loc[steps, "criterion"] - table.loc["no change", "criterion"]
    assert 10 < gap < 12  # the case of the issue
    text = answers.initiated(counts, dates, result, expl).full_text
    assert "slightly" not in text
    assert (f"essentially no support beside no change at all ({gap:.1f} higher, evidence ratio "
            f"about {phrasebook.about(math.exp(gap / 2))})") in text
    penalty = 2 * 5 * 6 / (8 - 5 - 1)  # 5 parameters at 8 points
    assert f"the small-sample penalty at 8 points ({penalty:.0f} for 5 parameters" in text
    weights = [f"{table.loc[n, 'weight']:.2f}" for n in (
        "a temporary change between Full publication and Ofsted evaluation ends", steps)]
    assert f"gives them weights {weights[0]} and {weights[1]}" in text
    assert np.isfinite(gap)
