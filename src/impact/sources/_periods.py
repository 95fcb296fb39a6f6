"""Periods in column labels (``T3 2016``, ``juil. 2016``...) and wide-to-long melting.

Re-exported by :mod:`impact.sources._common`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from impact.errors import InputError
from impact.sources._numbers import check_range, parse_numbers
from impact.sources._text import _norm

_FR_MONTHS = {
    "janv": 1, "jan": 1, "janvier": 1, "fevr": 2, "fev": 2, "fevrier": 2, "feb": 2,
    "mars": 3, "mar": 3, "avr": 4, "avril": 4, "apr": 4, "mai": 5, "may": 5,
    "juin": 6, "jun": 6, "juil": 7, "juillet": 7, "jul": 7, "aout": 8, "aug": 8,
    "sept": 9, "sep": 9, "septembre": 9, "oct": 10, "octobre": 10, "nov": 11,
    "novembre": 11, "dec": 12, "decembre": 12,
}
_PERIOD_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<!\d)(\d{4})\s*[-_ ]?\s*[TQ]([1-4])(?!\d)", re.I), "yq"),   # 2016-T3, 2016Q3
    (re.compile(r"(?<![A-Za-z\d])[TQ]([1-4])\s*[-_ ]?\s*(\d{4})(?!\d)", re.I), "qy"),  # T3 2016
    (re.compile(r"([1-4])(?:er|e|ème|eme)\s+trimestre\s+(\d{4})", re.I), "qy"),
    (re.compile(r"(?<!\d)(\d{4})\s*[-/M]\s*(0[1-9]|1[0-2])(?!\d)"), "ym"),       # 2016-07, 2016M07
    (re.compile(r"(?<!\d)(0[1-9]|1[0-2])\s*/\s*(\d{4})(?!\d)"), "my"),            # 07/2016
    (re.compile(r"([a-zéûè]{3,9})\.?\s+(\d{4})(?!\d)", re.I), "namey"),          # juil. 2016
    (re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)"), "y"),                            # 2016
]


def find_period(text: Any) -> str | None:
    """Find a period in a label and return it canonically, or ``None``.

    Recognises ``2016``, ``T3 2016``, ``T3_2016``, ``2016-T3``, ``2016T3``,
    ``2016Q3``, ``3e trimestre 2016``, ``2016-07``, ``2016M07``, ``07/2016``,
    ``juil. 2016``, ``juillet 2016``, also inside longer labels such as
    ``"Effectifs salariés 2016"``.

    Examples
    --------
    >>> [find_period(x) for x in ["2016", "T3_2016", "2016-T3", "juil. 2016", "x"]]
    ['2016', '2016Q3', '2016Q3', '2016-07', None]
    """
    s = str(text).strip()
    for pattern, kind in _PERIOD_PATTERNS:
        m = pattern.search(s)
        if not m:
            continue
        if kind == "yq":
            return f"{m.group(1)}Q{m.group(2)}"
        if kind == "qy":
            return f"{m.group(2)}Q{m.group(1)}"
        if kind == "ym":
            return f"{m.group(1)}-{m.group(2)}"
        if kind == "my":
            return f"{m.group(2)}-{m.group(1)}"
        if kind == "namey":
            month = _FR_MONTHS.get(_norm(m.group(1)).rstrip("."))
            if month is None:
                continue
            return f"{m.group(2)}-{month:02d}"
        return m.group(1)
    return None


def parse_period(text: Any, *, path: str | Path | None = None, column: str | None = None) -> str:
    """Like :func:`find_period` but raise a clear error when no period is found.

    Examples
    --------
    >>> parse_period("juil. 2016")
    '2016-07'
    >>> parse_period("total")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: 'total' is not a period (expected e.g. 2016, T3 2016, ...)
    """
    p = find_period(text)
    if p is None:
        raise InputError(f"{text!r} is not a period (expected e.g. 2016, T3 2016, 2016-T3, "
                         "2016Q3, 2016-07, juil. 2016)", path=path, column=column)
    return p


def melt_wide(
    df: pd.DataFrame,
    id_cols: Sequence[str],
    value_cols: Sequence[str] | None = None,
    *,
    path: str | Path | None = None,
    period_of: dict[str, str] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    what: str = "value",
) -> pd.DataFrame:
    """Melt one-column-per-period data to long rows with ``period``, ``value``, ``status``.

    Parameters
    ----------
    df
        Frame of strings as returned by :func:`read_csv_table` (with ``_line``).
    id_cols
        Columns kept as identifiers.
    value_cols
        Period columns; default: every column whose name contains a period.
    period_of
        Explicit column → period mapping (overrides detection).
    minimum, maximum, what
        Range of a valid value (see :func:`check_range`); infinite values are
        always refused.

    Returns
    -------
    pandas.DataFrame
        ``id_cols``, ``_line``, ``column``, ``period``, ``value``, ``status``.
        Numbers are parsed with :func:`parse_numbers` (errors name the line).

    Examples
    --------
    >>> wide = pd.DataFrame({"code": ["29", "35"], "2015": ["1 000", "s"],
    ...                      "2016": ["1 100", "900"], "_line": [2, 3]})
    >>> melt_wide(wide, ["code"])
      code  _line column period   value    status
    0   29      2   2015   2015  1000.0  observed
    1   35      3   2015   2015     NaN    secret
    2   29      2   2016   2016  1100.0  observed
    3   35      3   2016   2016   900.0  observed
    """
    if value_cols is None:
        value_cols = [c for c in df.columns if c not in id_cols and c != "_line"
                      and find_period(c) is not None]
    if not value_cols:
        raise InputError("no column named after a period (e.g. '2016', 'T3_2016') found; "
                         f"columns found: {[c for c in df.columns if c != '_line']}", path=path)
    periods = dict(period_of or {})
    for c in value_cols:
        periods.setdefault(c, parse_period(c, path=path, column=c))
    keep = [*id_cols, "_line"] if "_line" in df.columns else list(id_cols)
    parts = []
    for c in value_cols:
        value, status = parse_numbers(df[c], path=path, column=c,
                                      lines=df["_line"] if "_line" in df else None)
        check_range(value, path=path, column=c, lines=df["_line"] if "_line" in df else None,
                    raw=df[c], minimum=minimum, maximum=maximum, what=what)
        part = df[keep].copy()
        part["column"] = c
        part["period"] = periods[c]
        part["value"] = value.to_numpy()
        part["status"] = status.to_numpy()
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
