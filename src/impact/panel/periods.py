"""Periods of the panel: years, quarters and months as strings, and a time index.

May import: nothing of :mod:`impact` but errors.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from impact.errors import InputError

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- periods


def to_freq(period: str, freq: str) -> str:
    """Convert a period to a coarser-or-equal frequency (``2016-07`` -> ``2016Q3`` -> ``2016``).

    Examples
    --------
    >>> to_freq("2016-07", "quarter"), to_freq("2016Q3", "year")
    ('2016Q3', '2016')
    """
    p = str(period)
    if freq == "year":
        return p[:4]
    if freq == "quarter":
        if "Q" in p:
            return p
        if "-" in p:
            return f"{p[:4]}Q{(int(p[5:7]) - 1) // 3 + 1}"
    if freq == "month" and "-" in p:
        return p
    raise InputError(f"cannot express period {p!r} at frequency {freq!r}")


def all_periods(years: Sequence[int], freq: str) -> list[str]:
    """Every period of ``years`` at ``freq``, in order.

    Examples
    --------
    >>> all_periods([2016, 2017], "quarter")[:3]
    ['2016Q1', '2016Q2', '2016Q3']
    """
    if freq == "year":
        return [str(y) for y in years]
    if freq == "quarter":
        return [f"{y}Q{q}" for y in years for q in range(1, 5)]
    return [f"{y}-{m:02d}" for y in years for m in range(1, 13)]


def time_index(period: pd.Series, freq: str) -> np.ndarray:
    """Integer time of each period: the year, ``4 × year + quarter − 1``, ``12 × year + month − 1``.

    Examples
    --------
    >>> time_index(pd.Series(["2016-01", "2016-12"]), "month").tolist()
    [24192, 24203]
    """
    def fn(p: str) -> int:
        y = int(p[:4])
        if freq == "year":
            return y
        if freq == "quarter":
            return 4 * y + int(p[5]) - 1
        return 12 * y + int(p[5:7]) - 1

    return np.array([fn(p) for p in period], dtype="int64")


