"""French and English numbers, markers of unpublished values, and range checks.

Part of the robust reading shared by the source readers (re-exported by
:mod:`impact.sources._common`, whose docstring lists the markers).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import InputError, InvalidValueError

# --------------------------------------------------------------------------- #
# Numbers and markers
# --------------------------------------------------------------------------- #

SECRET_MARKERS = frozenset({"s", "secret", "c", "(s)", "-", "\u2014", "\u2013", "so"})
MISSING_MARKERS = frozenset({"", "nd", "n.d.", "n.d", "n/d", "na", "n.a.", "n/a", "..", "...",
                             "nan", "null", "none", "#n/a", "nc", "n.c."})
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007']")
_THOUSANDS_DOT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")


def parse_number(text: str) -> float | None:
    """Parse one French- or English-formatted number; ``None`` when it is not one.

    ``"1 234,5"`` (spaces, no-break and narrow no-break spaces) → 1234.5;
    ``"1.234,5"`` and ``"1.234.567"`` → thousands dots; ``"1,234.5"`` → 1234.5;
    ``"12,5 %"`` → 12.5. A lone dot is a decimal point (``"1.5"`` → 1.5).

    Examples
    --------
    >>> parse_number("1 234,5"), parse_number("1.234"), parse_number("s")
    (1234.5, 1.234, None)
    """
    s = _SPACES.sub("", text.strip()).rstrip("%")
    if not s:
        return None
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        if s.count(",") > 1:
            return None
        s = s.replace(",", ".")
    elif _THOUSANDS_DOT.match(s) and s.count(".") > 1:
        s = s.replace(".", "")
    try:
        return float(s)
    except ValueError:
        return None


def parse_numbers(
    values: pd.Series,
    *,
    path: str | Path | None = None,
    column: str | None = None,
    lines: pd.Series | Sequence[int] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Convert a column of text to floats and statuses.

    Returns
    -------
    (value, status)
        ``value`` float Series (NaN for markers), ``status`` string Series
        (``observed``, ``secret`` or ``missing``; see the module docstring).

    Raises
    ------
    InputError
        For the first cell that is neither a number nor a known marker, with
        file, line (from ``lines``), column and the offending value.

    Examples
    --------
    >>> value, status = parse_numbers(pd.Series(["1 234,5", "s", "", "12"]))
    >>> value.tolist()
    [1234.5, nan, nan, 12.0]
    >>> status.tolist()
    ['observed', 'secret', 'missing', 'observed']
    """
    text = values.astype("string").fillna("").str.strip()
    uniq = pd.unique(text.to_numpy(dtype=object))
    parsed: dict[str, tuple[float, str]] = {}
    for u in uniq:
        key = u.lower()
        if key in SECRET_MARKERS:
            parsed[u] = (np.nan, "secret")
        elif key in MISSING_MARKERS:
            parsed[u] = (np.nan, "missing")
        else:
            num = parse_number(u)
            if num is None:
                pos = int(np.flatnonzero(text.to_numpy(dtype=object) == u)[0])
                line = None
                if lines is not None:
                    line = int(pd.Series(lines).iloc[pos])
                raise InputError(
                    f"value {u!r} is not a number (nor a marker of secret or missing data "
                    f"such as 's', 'nd' or blank)", path=path, line=line, column=column,
                )
            if not math.isfinite(num):
                pos = int(np.flatnonzero(text.to_numpy(dtype=object) == u)[0])
                line = int(pd.Series(lines).iloc[pos]) if lines is not None else None
                raise InvalidValueError(
                    f"value {u!r} is not a finite number (infinite, or too large to represent); "
                    "correct the cell, or write 'nd' or leave it blank if it is unknown",
                    path=path, line=line, column=column, value=u)
            parsed[u] = (num, "observed")
    value = text.map(lambda u: parsed[u][0]).astype("float64")
    status = text.map(lambda u: parsed[u][1]).astype("string")
    return value, status


def check_range(
    values: pd.Series,
    *,
    path: str | Path | None = None,
    column: str | None = None,
    lines: pd.Series | Sequence[int] | None = None,
    raw: pd.Series | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    what: str = "value",
    unit: str = "",
) -> None:
    """Refuse values outside ``[minimum, maximum]`` or not finite (NaN is allowed: unknown).

    The error is an :class:`~impact.errors.InvalidValueError` naming the file,
    the line (from ``lines``), the column and the value as written (``raw``),
    with the expected range. Sums are checked too: values that are each finite
    but add up to infinity are refused.

    Examples
    --------
    >>> check_range(pd.Series([1.0, 2.5]), minimum=0)  # in range: nothing happens
    >>> check_range(pd.Series([1.0, -5.0]), minimum=0, what="amount", column="euros")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InvalidValueError: column 'euros': amount -5.0 is negative: expected a number ...
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64").reset_index(drop=True)
    bad = np.isinf(v.to_numpy())
    if minimum is not None:
        bad |= (v < minimum).to_numpy()
    if maximum is not None:
        bad |= (v > maximum).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        # A number read from the file is shown as a plain float (numpy 2 reprs np.float64(…)).
        shown = raw.iloc[i] if raw is not None else float(v.iloc[i])
        line = int(pd.Series(lines).iloc[i]) if lines is not None else None
        lo = "" if minimum is None else f"{minimum:g}"
        hi = "" if maximum is None else f"{maximum:g}"
        rng = (f"between {lo} and {hi}{unit}" if lo and hi else
               f"at least {lo}{unit}" if lo else f"at most {hi}{unit}")
        n = int(bad.sum())
        more = f" ({n} such values in all)" if n > 1 else ""
        x = v.iloc[i]
        kind = ("is infinite" if np.isinf(x) else
                "is negative" if minimum == 0 and x < 0 else
                "is too small" if minimum is not None and x < minimum else "is too large")
        raise InvalidValueError(f"{what} {shown!r} {kind}: expected a number {rng}{more}",
                                path=path, line=line, column=column, value=shown)
    finite = v[np.isfinite(v.to_numpy())]
    with np.errstate(over="ignore"):
        total = float(finite.abs().sum())
    if not math.isfinite(total):
        i = int(finite.abs().idxmax())
        line = int(pd.Series(lines).iloc[i]) if lines is not None else None
        shown = raw.iloc[i] if raw is not None else float(v.iloc[i])
        raise InvalidValueError(f"{what}s add up to infinity (e.g. {shown!r}): a value is far too "
                                "large to be right", path=path, line=line, column=column,
                                value=shown)
