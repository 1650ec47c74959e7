"""Written or ordered results carry only the digits every BLAS kernel shares (its.digits)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scrlib.its import digits
from scrlib.reader import plot


def test_frames_are_rounded_to_significant_digits():
    frame = pd.DataFrame({"x": [1.23456789012, np.inf, np.nan, -0.000123456789], "n": [1, 2, 3, 4]})
    out = digits.rounded(frame)
    assert out["x"].iloc[0] == 1.23457 and np.isinf(out["x"].iloc[1])
    assert np.isnan(out["x"].iloc[2]) and out["x"].iloc[3] == -0.000123457
    assert out["n"].tolist() == [1, 2, 3, 4]
    assert frame["x"].iloc[0] == 1.23456789012  # the input is left alone


def test_keys_tie_values_that_differ_only_in_the_last_digits():
    a, b = 2.0000000000001, 1.9999999999999
    assert digits.key(a) == digits.key(b) and digits.key(2.01) != digits.key(2.0)
    values = np.array([3.0 + 1e-14, 1.0, 3.0 - 1e-14])
    order = pd.DataFrame({"key": digits.key(values), "name": ["b", "c", "a"]}).sort_values(
        ["key", "name"], kind="mergesort")["name"].tolist()
    assert order == ["c", "a", "b"]  # the tie goes to the name, not to rounding noise


def test_a_chart_is_saved_with_its_data_rounded(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure()
    fig.subplots().plot([0, 1], [0.1234567891, 2])
    data = pd.DataFrame({"value": [0.1234567891, 2.0]},
                        index=pd.Index(["2012-13", "2013-14"], name="Period"))
    written = plot.save(fig, tmp_path / "chart", data=data)
    assert [p.suffix for p in written] == [".png", ".svg", ".csv", ".json"]
    assert (tmp_path / "chart.csv").read_text() == "Period,Value\n2012-13,0.123457\n2013-14,2\n"
    plot.save(fig, tmp_path / "plain", data=data.reset_index(drop=True))
    assert (tmp_path / "plain.csv").read_text() == "Value\n0.123457\n2\n"
