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
