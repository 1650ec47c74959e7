"""The digits a result carries on every machine: keys for ordering and rounding for what is written.

A well-posed fit agrees between BLAS kernels and thread counts to about 12 significant digits, not
to the last bit (see :mod:`scrlib.its.identification`). So nothing a reader or a regression test
sees may depend on the last digits:

* orderings and tie-breaks use :func:`key`, the value to ``KEY_DIGITS`` significant digits, so
  that two estimates equal in theory sort by the next key rather than by rounding noise;
* tables and chart data written to files use :func:`rounded`, ``OUTPUT_DIGITS`` significant
  digits: far more than eight yearly counts support, far fewer than the kernels share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY_DIGITS = 9
OUTPUT_DIGITS = 6


def significant(values, digits: int):
    """``values`` rounded to ``digits`` significant digits (NaN and infinities kept)."""
    x = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        finite = np.isfinite(x) & (x != 0)
        scale = np.where(finite, np.floor(np.log10(np.abs(np.where(finite, x, 1.0)))), 0.0)
        factor = 10.0 ** (digits - 1 - scale)
        out = np.where(finite, np.round(x * factor) / factor, x)
    return out if out.shape else float(out)


def key(values):
    """A sort key equal for values that agree to ``KEY_DIGITS`` significant digits."""
    return significant(values, KEY_DIGITS)


def rounded(frame: pd.DataFrame, digits: int = OUTPUT_DIGITS) -> pd.DataFrame:
    """A copy of ``frame`` with every float column to ``digits`` significant digits."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = significant(out[column].to_numpy(dtype=float), digits)
    return out
