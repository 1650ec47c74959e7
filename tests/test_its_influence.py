"""Leave-one-out refits (scrlib.its.influence): every refit is the direct fit without that row,
refits that cannot be done are kept, and the influence table names the right years.

The expected values are direct ``its.fit`` calls on the data without each row, and the choices
(largest move, side of "no change") are recomputed here from those fits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scrlib import its
from scrlib.its.influence import LeaveOneOut, leave_one_out

FY = "Y-MAR"
YEARS = pd.period_range("2006", periods=10, freq=FY)  # financial years 2005-06 .. 2014-15
SPIKE = 5  # 2010-11, the first year of the policy in the fragile series


def label(period: pd.Period) -> str:
    """A financial year as a reader writes it: Period('2011', 'Y-MAR') is 2010-11."""
    return f"{period.year - 1}-{period.year % 100:02d}"


def fragile() -> pd.DataFrame:
    """Flat Poisson counts around 100 with one high year at the start of the policy: the step
    rests on that year."""
    y = np.random.default_rng(5).poisson(100, len(YEARS))
    y[SPIKE] += 40
    return pd.DataFrame({"year": YEARS, "n": y}, index=range(100, 100 + len(YEARS)))


def robust() -> pd.DataFrame:
    """Counts that double from 2010-11 on, far beyond their noise."""
    mu = 60 * np.exp(0.02 * np.arange(len(YEARS))) * np.where(np.arange(len(YEARS)) >= 5, 2, 1)
    return pd.DataFrame({"year": YEARS, "n": np.random.default_rng(11).poisson(mu)})


def without(data: pd.DataFrame, i: int) -> pd.DataFrame:
    return data.drop(index=data.index[i])


def direct_effects(data: pd.DataFrame, kw: dict) -> list[pd.DataFrame]:
    return [its.fit(without(data, i), **kw).effects for i in range(len(data))]


def side(low: float, high: float, null: float) -> str:
    return "above" if low > null else "below" if high < null else "across"


@pytest.mark.parametrize("kw", [
    {"family": "poisson", "interventions": {"policy": "2010-04-01"}},  # profile intervals
    {"family": "quasipoisson", "interval": "wald", "interventions": {"policy": "2010-07-01"},
     "effects": ("step", "slope")},  # a date inside 2010-11: sum of parts
])
def test_each_refit_is_the_direct_fit_without_that_row(kw):
    data = fragile()
    kw = {"outcome": "n", "time": "year", **kw}
    loo = leave_one_out(data, **kw)
    assert isinstance(loo, LeaveOneOut)
    full = its.fit(data, **kw)
    pd.testing.assert_frame_equal(loo.full.effects, full.effects)
    assert loo.full.interval == full.interval == kw.get("interval", "profile")
    effects = list(full.effects[["intervention", "effect"]].itertuples(index=False, name=None))
    assert len(loo.table) == len(data) * len(effects)
    assert (loo.table["status"] == "fitted").all()
    for i, expected in enumerate(direct_effects(data, kw)):
        rows = loo.table[loo.table["left_out"] == label(YEARS[i])]
        assert list(rows[["intervention", "effect"]].itertuples(index=False, name=None)) == effects
        for column in ("rate_ratio", "ci_low", "ci_high", "p_value"):
            np.testing.assert_allclose(rows[column].to_numpy(), expected[column].to_numpy(),
                                       rtol=1e-10, err_msg=f"{column} without {YEARS[i]}")


@pytest.mark.parametrize(("interventions", "gone", "error"), [
    # the only point from the start on is left out: no point after the intervention
    ({"policy": "2014-04-01"}, 9, ValueError),
    # the only year between two starts is left out: their steps become the same column
    ({"first": "2010-04-01", "second": "2011-04-01"}, 5, its.IdentificationError),
])
def test_a_refit_that_cannot_be_done_is_kept_as_not_fitted(interventions, gone, error):
    data = fragile()
    kw = {"outcome": "n", "time": "year", "family": "poisson", "interval": "wald",
          "interventions": interventions}
    with pytest.raises(error) as raised:
        its.fit(without(data, gone), **kw)
    loo = leave_one_out(data, **kw)
    lost = loo.table[loo.table["left_out"] == label(YEARS[gone])]
    assert len(lost) == len(interventions)
    assert (lost["status"] == f"not fitted: {raised.value}").all()
    assert lost[["rate_ratio", "ci_low", "ci_high", "p_value"]].isna().all().all()
    kept = loo.table[loo.table["left_out"] != label(YEARS[gone])]
    assert (kept["status"] == "fitted").all()
    assert kept["rate_ratio"].notna().all()
    table = loo.influence()
    assert (table["n_not_fitted"] == 1).all()
    assert (table["n_fitted"] == len(data) - 1).all()
    assert f"without {label(YEARS[gone])}: {raised.value}" in loo.summary()


def test_influence_names_the_year_with_the_largest_move():
    data = fragile()
    kw = {"outcome": "n", "time": "year", "family": "poisson",
          "interventions": {"policy": "2010-04-01"}}
    loo = leave_one_out(data, **kw)
    full = float(its.fit(data, **kw).effects["rate_ratio"].iloc[0])
    ratios = np.array([float(e["rate_ratio"].iloc[0]) for e in direct_effects(data, kw)])
    moves = np.abs(np.log(ratios) - np.log(full))
    row = loo.influence().iloc[0]
    assert row["largest_move_left_out"] == label(YEARS[int(np.argmax(moves))])
    assert row["largest_move"] == pytest.approx(ratios[np.argmax(moves)] / full, rel=1e-10)
    assert row["lowest"] == pytest.approx(ratios.min(), rel=1e-10)
    assert row["lowest_left_out"] == label(YEARS[int(np.argmin(ratios))])
    assert row["highest"] == pytest.approx(ratios.max(), rel=1e-10)
    assert row["highest_left_out"] == label(YEARS[int(np.argmax(ratios))])
    assert row["full"] == pytest.approx(full, rel=1e-12)
    # by construction the high year at the start of the policy carries the step
    assert row["largest_move_left_out"] == label(YEARS[SPIKE])
    assert row["lowest_left_out"] == label(YEARS[SPIKE])
    assert f"largest move without {label(YEARS[SPIKE])}" in loo.summary()


@pytest.mark.parametrize(("make", "family"), [(fragile, "poisson"), (robust, "poisson"),
                                              (fragile, "gaussian")])
def test_flip_flag_matches_the_sides_of_no_change(make, family):
    data = make()
    kw = {"outcome": "n", "time": "year", "family": family,
          "interventions": {"policy": "2010-04-01"}}
    null = 0.0 if family == "gaussian" else 1.0
    full = its.fit(data, **kw).effects.iloc[0]
    full_side = side(full["ci_low"], full["ci_high"], null)
    flipped = [label(YEARS[i]) for i, e in enumerate(direct_effects(data, kw))
               if side(e["ci_low"].iloc[0], e["ci_high"].iloc[0], null) != full_side]
    row = leave_one_out(data, **kw).influence().iloc[0]
    assert row["flips"] == bool(flipped)
    assert row["flipped_by"] == ", ".join(flipped)


def test_flip_flag_on_constructed_series():
    kw = {"outcome": "n", "time": "year", "family": "poisson",
          "interventions": {"policy": "2010-04-01"}}
    fragile_loo = leave_one_out(fragile(), **kw)
    row = fragile_loo.influence().iloc[0]
    assert row["full_ci_low"] > 1  # a clear rise with every year in ...
    assert row["flips"]  # ... that is no longer clear without the high year
    assert label(YEARS[SPIKE]) in row["flipped_by"].split(", ")
    dropped = fragile_loo.table[fragile_loo.table["left_out"] == label(YEARS[SPIKE])].iloc[0]
    assert dropped["ci_low"] <= 1 <= dropped["ci_high"]
    assert f"another side of 1 without: {row['flipped_by']}" in fragile_loo.summary()
    row = leave_one_out(robust(), **kw).influence().iloc[0]
    assert row["full_ci_low"] > 1
    assert not row["flips"]
    assert row["flipped_by"] == ""
