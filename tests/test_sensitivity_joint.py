"""The specification curve's joint test (issue 24, point 2): only the effect under test is
removed from the null, and every reported p-value comes from one stated noise assumption."""

from __future__ import annotations

import numpy as np
import pytest

from scrlib.study import sensitivity
from scrlib.study.design import Specification

BASE = Specification(events=("full-publication", "ofsted-evaluation-ends"))


@pytest.fixture(scope="module")
def curve(dataset):
    specs = sensitivity.grid(BASE, family=["quasipoisson"], transition=["sum", "whole"],
                             events=[("full-publication", "ofsted-evaluation-ends"),
                                     ("full-publication", "working-together-2013")])
    return specs, sensitivity.run(dataset, specs)


def test_the_null_keeps_the_controls_at_their_estimates(dataset, curve, monkeypatch):
    from scrlib.its import breaks

    specs, table = curve
    means = []
    real = breaks._simulate

    def spy(rng, mu, phi, replicates):
        means.append(np.asarray(mu, dtype=float).copy())
        return real(rng, mu, phi, replicates)

    monkeypatch.setattr(breaks, "_simulate", spy)
    joint = sensitivity.joint_test(dataset, table, specs, BASE, replicates=19, seed=1)
    assert joint.models and len(means) == 2 and np.array_equal(means[0], means[1])
    y = BASE.data(dataset)["count"].to_numpy(dtype=float)
    # the fall at Full publication (2010-11: 72 against about 135 a year before) stays in the
    # null; a level and trend alone would put 2010-11 near its neighbours
    assert means[0][3] < 0.75 * means[0][2]
    controls = BASE.with_(events=("full-publication",)).fit(dataset)
    np.testing.assert_allclose(means[0], np.asarray(controls.model_result.mu), rtol=1e-12)
    assert abs(means[0].sum() - y.sum()) < 1e-6 * y.sum()  # a Poisson-likelihood fit's total


def test_each_reported_p_comes_from_one_stated_noise_assumption(dataset, curve):
    specs, table = curve
    joint = sensitivity.joint_test(dataset, table, specs, BASE, replicates=19, seed=2)
    assert set(joint.by_noise) == {"after", "null"}
    cautious = max(joint.dispersions, key=joint.dispersions.get)
    assert joint.assumption == cautious
    assert joint.p_values == joint.by_noise[cautious]
    assert f"dispersion {joint.dispersions[cautious]:.2f}, the larger" in joint.assumption_words
    assert joint.monte_carlo_se(0.05) == pytest.approx(np.sqrt(0.05 * 0.95 / 19))


def test_tipping_points_are_the_smallest_undercount_that_changes_a_conclusion(dataset):
    """Issue 24, point 8: refitted here at the count found and one below it."""
    import hashlib

    from scrlib.record.paths import data_dir as folder

    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder().glob("*")}
    table = sensitivity.tipping_points(dataset, BASE, ["2012-13"])
    row = table[table["policy"] == "Ofsted evaluation ends"].iloc[0]
    assert row["recorded"] == 93 and not row["excludes_no_change"]
    frame = BASE.data(dataset)

    def excludes(count):
        moved = frame.assign(count=np.where(frame["year"] == "2012-13", count, frame["count"]))
        step = BASE.fit(dataset, data=moved).effect("Ofsted evaluation ends")
        return not step["ci_low"] <= 1.0 <= step["ci_high"]

    assert excludes(row["tipping_count"]) and not excludes(row["tipping_count"] - 1)
    assert row["tipping_share"] == pytest.approx(row["tipping_count"] / 93 - 1)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder().glob("*")}
    assert after == before  # a sensitivity analysis: nothing is written to data/
    assert sensitivity.largest_revision(dataset, "scr-initiated") == ("2010-11", 71.0, 72.0)
    with pytest.raises(ValueError, match="year '2011-12' is not in the series"):
        sensitivity.tipping_points(dataset, BASE, ["2011-12"])


def test_every_alternative_the_record_keeps_is_refitted_and_a_changed_verdict_is_said(dataset):
    """Item 3 of issue 32: with 71 for 2010-11 (the record's other value) the interval at
    Ofsted's end excludes no change; the alternative is refitted, the change of verdict is
    found, and the answer says it with its numbers."""
    from scrlib.its import fmt
    from scrlib.reader import answers

    table = sensitivity.alternatives(dataset, BASE)
    conflicts = dataset.conflicts()
    modelled = set(BASE.data(dataset)["year"])
    expected = {(r.period.removeprefix("FY"), float(r.value))
                for r in conflicts[(conflicts["series_id"] == BASE.series)
                                   & ~conflicts["chosen"]].itertuples(index=False)
                if r.period.removeprefix("FY") in modelled}
    assert set(zip(table["year"], table["alternative"], strict=True)) == expected
    row = table[(table["policy"] == "Ofsted evaluation ends")
                & (table["year"] == "2010-11")].iloc[0]
    assert (row["used"], row["alternative"]) == (72, 71)
    frame = BASE.data(dataset)
    moved = frame.assign(count=np.where(frame["year"] == "2010-11", 71, frame["count"]))
    step = BASE.fit(dataset, data=moved).effect("Ofsted evaluation ends")
    assert row["ci_low_alt"] == pytest.approx(step["ci_low"])
    assert row["p_value_alt"] == pytest.approx(step["p_value"])
    base = BASE.fit(dataset)
    before = base.effect("Ofsted evaluation ends")
    changed = ((before["ci_low"] <= 1 <= before["ci_high"])
               != (step["ci_low"] <= 1 <= step["ci_high"]))
    assert bool(row["changes"]) == changed and changed  # the verdict flips
    explanations = BASE.explain(dataset)
    answer = answers.initiated(frame, BASE.dates(dataset), base, explanations,
                               alternatives=table)
    text = answer.full_text
    # issue 34: the short answer says it too (the numbers are in its detail)
    assert ("with 71 for 2010-11, the record's other value, its interval would exclude no "
            "change") in answer.text
    assert (f"with 71 for 2010-11, the record's other value, its interval excludes no change "
            f"(rate ratio {fmt.ratio(step['rate_ratio'])}, 95% interval "
            f"{fmt.interval(step['ci_low'], step['ci_high'])}; "
            f"{fmt.p_phrase(step['p_value'])})") in text
    assert fmt.interval(step["ci_low"], step["ci_high"]).startswith("1.00")  # not "1.00 to"
    assert not fmt.interval(step["ci_low"], step["ci_high"]).startswith("1.00 ")


def test_the_tipping_analysis_lowers_a_count_as_well_as_raising_it(dataset):
    """Item 3 of issue 32: one review fewer in 2010-11 (71, the record's other value) already
    changes the verdict at Ofsted's end; the tipping analysis finds it by lowering."""
    table = sensitivity.tipping_points(dataset, BASE, ["2010-11"])
    assert set(table["direction"]) == {"more", "fewer"}
    row = table[(table["policy"] == "Ofsted evaluation ends")
                & (table["direction"] == "fewer")].iloc[0]
    frame = BASE.data(dataset)

    def excludes(count):
        moved = frame.assign(count=np.where(frame["year"] == "2010-11", count, frame["count"]))
        step = BASE.fit(dataset, data=moved).effect("Ofsted evaluation ends")
        return not step["ci_low"] <= 1.0 <= step["ci_high"]

    assert row["tipping_count"] == 71 and excludes(71) and not excludes(72)
    assert row["tipping_share"] == pytest.approx(1 / 72)
    words = sensitivity.tipping_sentence(table, None)
    assert "71 in 2010-11 (1.4% fewer)" in words
