"""French number formatting for legends, tooltips and chart axes.

``1234.5`` → ``"1 234,5"``: narrow no-break space between thousands, decimal
comma, typographic minus; and the choice of the fewest decimals that keep
class bounds distinct.

May import: numpy, pandas, matplotlib (the tick formatter). Nothing of :mod:`impact`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

#: Narrow no-break space: the French thousands separator (Imprimerie nationale, INSEE).
NNBSP = "\u202f"
#: Typographic minus sign, as matplotlib draws it on axes.
MINUS = "\u2212"


def format_fr(x: Any, decimals: int = 1) -> str:
    """Format a number the French way: ``1234.5`` → ``"1 234,5"``.

    Thousands are separated by a narrow no-break space (U+202F), the decimal
    mark is a comma and negative numbers get a typographic minus (U+2212).

    Parameters
    ----------
    x
        A number (int, float, NumPy scalar). Missing values give ``"nd"``
        (*non disponible*, as in INSEE tables).
    decimals
        Digits after the comma.

    Returns
    -------
    str

    Examples
    --------
    >>> format_fr(1234.5)
    '1\\u202f234,5'
    >>> format_fr(-0.04)
    '0,0'
    >>> format_fr(1234567.891, 2).replace("\\u202f", " ")
    '1 234 567,89'
    """
    if x is None or x is pd.NA:
        return "nd"
    if not isinstance(x, numbers.Real):
        raise TypeError(f"format_fr expects a number, got {type(x).__name__}")
    value = float(x)
    if math.isnan(value):
        return "nd"
    if math.isinf(value):
        return ("" if value > 0 else MINUS) + "∞"
    decimals = max(int(decimals), 0)
    text = f"{abs(value):,.{decimals}f}"
    # Python gives "1,234.5": swap the marks through a placeholder.
    text = text.replace(",", "\0").replace(".", ",").replace("\0", NNBSP)
    # No "−0,0": a value that rounds to zero has no sign.
    negative = value < 0 and any(c not in "0,\u202f" for c in text)
    return (MINUS if negative else "") + text


def fr_formatter(decimals: int = 1) -> FuncFormatter:
    """A matplotlib tick formatter using :func:`format_fr` (for charts in the notebooks).

    Examples
    --------
    >>> fmt = fr_formatter(2)
    >>> fmt(0.5, None), fmt(1234.5, None) == format_fr(1234.5, 2)
    ('0,50', True)

    On a chart: ``ax.yaxis.set_major_formatter(fr_formatter(0))``.
    """
    return FuncFormatter(lambda v, _pos: format_fr(v, decimals))


def _exact_decimals(values: Sequence[float], most: int = 4) -> int:
    """Fewest decimals (up to ``most``) that write every value exactly."""
    for d in range(most + 1):
        if all(math.isclose(round(v, d), v, rel_tol=0, abs_tol=1e-9) for v in values):
            return d
    return most


def _auto_decimals(edges: Sequence[float]) -> int:
    """Fewest decimals (0–4) that keep distinct class edges distinct once formatted."""
    finite = [float(e) for e in edges if np.isfinite(e)]
    if not finite:
        return 1
    top = max(abs(e) for e in finite)
    decimals = 0 if top >= 100 else 1 if top >= 1 else 2
    n_distinct = len(set(np.round(finite, 10)))
    while decimals < 4 and len({format_fr(e, decimals) for e in finite}) < n_distinct:
        decimals += 1
    return decimals
