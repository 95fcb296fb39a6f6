"""The canonical long format returned by every source reader.

Every reader of :mod:`impact.sources` returns a frame with the columns
:data:`LONG_COLUMNS`:

``territory_code``
    Official zero-padded code (string): ``"01001"``, ``"2A"``, ``"84"``, ``"FR"``.
``level``
    One of :data:`LEVELS` (``commune``, ``epci``, ``departement``, ``region``,
    ``zone_emploi``, ``france``).
``cog_year``
    Vintage of the codes (int); 2025 once harmonised to the current geography.
``period``
    ``"2016"`` (year), ``"2016Q3"`` (quarter) or ``"2016-07"`` (month).
``indicator``, ``value`` (float, NaN when not published), ``status`` (one of
:data:`STATUS_VALUES`), ``source``.

Re-exported by :mod:`impact.sources._common`.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import numpy as np
import pandas as pd

from impact.errors import InputError, InvalidValueError

#: Columns of every frame returned by a source reader, in this order.
LONG_COLUMNS: tuple[str, ...] = (
    "territory_code", "level", "cog_year", "period", "indicator", "value", "status", "source",
)
#: Allowed values of ``level``.
LEVELS: tuple[str, ...] = ("commune", "epci", "departement", "region", "zone_emploi", "france")
#: Allowed values of ``status``.
STATUS_VALUES: tuple[str, ...] = ("observed", "secret", "missing", "estimated")
#: Keys that identify one observation.
LONG_KEYS: tuple[str, ...] = ("territory_code", "level", "period", "indicator", "source")

_PERIOD_RE = re.compile(r"^\d{4}(?:Q[1-4]|-(?:0[1-9]|1[0-2]))?$")


def empty_long() -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes.

    Examples
    --------
    >>> empty_long().columns.tolist() == list(LONG_COLUMNS)
    True
    """
    return make_long(pd.DataFrame(columns=list(LONG_COLUMNS)))


def make_long(df: pd.DataFrame) -> pd.DataFrame:
    """Select :data:`LONG_COLUMNS` in order and give them their canonical dtypes.

    Examples
    --------
    >>> raw = pd.DataFrame({"territory_code": ["29"], "level": ["departement"], "cog_year": [2025],
    ...                     "period": ["2016"], "indicator": ["creations_total"],
    ...                     "value": ["5520"], "status": ["observed"], "source": ["insee_side"]})
    >>> long = make_long(raw)
    >>> long["value"].tolist(), long["cog_year"].tolist()
    ([5520.0], [2025])
    """
    missing = [c for c in LONG_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"long frame lacks column(s) {missing}; columns are {list(df.columns)}")
    out = df.loc[:, list(LONG_COLUMNS)].copy()
    for col in ("territory_code", "level", "period", "indicator", "status", "source"):
        out[col] = out[col].astype("string")
    out["cog_year"] = pd.to_numeric(out["cog_year"]).astype("int64")
    out["value"] = pd.to_numeric(out["value"], errors="raise").astype("float64")
    # Last line of defence: whatever a reader computed, an infinite value never leaves it.
    inf = np.isinf(out["value"].to_numpy())
    if inf.any():
        row = out.loc[inf].iloc[0]
        raise InvalidValueError(
            f"{int(inf.sum())} infinite value(s), e.g. {row['indicator']} of "
            f"{row['territory_code']} in {row['period']} (source {row['source']}); check the "
            "input file", value=row["value"])
    return out.reset_index(drop=True)


def validate_long(df: pd.DataFrame, *, name: str = "frame") -> pd.DataFrame:
    """Check that ``df`` follows the canonical long format; return it unchanged.

    Checks columns, allowed ``level`` and ``status`` values, period syntax,
    code syntax per level, that ``value`` is float, that ``observed`` rows have
    a value, and that keys are unique.

    Raises
    ------
    InputError
        Naming the first problem found and a few offending rows.

    Examples
    --------
    >>> long = make_long(pd.DataFrame({
    ...     "territory_code": ["29"], "level": ["departement"], "cog_year": [2025],
    ...     "period": ["2016"], "indicator": ["creations_total"], "value": [5520.0],
    ...     "status": ["observed"], "source": ["insee_side"]}))
    >>> validate_long(long) is long
    True
    >>> validate_long(long.assign(period="T3 2016"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: frame: 1 row(s) with a period not like '2016', '2016Q3' ...
    """
    missing = [c for c in LONG_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {missing}; columns are {list(df.columns)}")

    def _fail(what: str, mask: pd.Series) -> None:
        rows = df.loc[mask, list(LONG_COLUMNS)].head(5).to_dict("records")
        raise InputError(f"{name}: {int(mask.sum())} row(s) with {what}, e.g. {rows}")

    for col, allowed in (("level", LEVELS), ("status", STATUS_VALUES)):
        bad = ~df[col].isin(allowed)
        if bad.any():
            _fail(f"{col} not in {allowed}", bad)
    for col in ("territory_code", "period", "indicator", "source"):
        bad = df[col].isna() | (df[col].astype("string").str.len() == 0)
        if bad.any():
            _fail(f"empty {col}", bad)
    bad = ~df["period"].astype("string").str.match(_PERIOD_RE).fillna(False).astype(bool)
    if bad.any():
        _fail("a period not like '2016', '2016Q3' or '2016-07'", bad)
    if not pd.api.types.is_float_dtype(df["value"]):
        raise InputError(f"{name}: column 'value' must be float, not {df['value'].dtype}")
    if not pd.api.types.is_integer_dtype(df["cog_year"]):
        raise InputError(f"{name}: column 'cog_year' must be integer, not {df['cog_year'].dtype}")
    bad = df["status"].eq("observed") & df["value"].isna()
    if bad.any():
        _fail("status 'observed' but no value", bad)
    code = df["territory_code"].astype("string")
    from impact.territories.codes import _FORMATS  # syntax only: no reference lookup here

    for level, pattern in _FORMATS.items():
        sel = df["level"].eq(level)
        if level == "commune":
            # Municipal arrondissements (75101...) match the commune pattern too.
            pass
        if sel.any():
            bad = sel & ~code.str.match(pattern).fillna(False).astype(bool)
            if bad.any():
                _fail(f"a territory_code that is not a {level} code", bad)
    dup = df.duplicated(list(LONG_KEYS), keep=False)
    if dup.any():
        _fail("duplicated keys " + ", ".join(LONG_KEYS), dup)
    return df


def long_schema() -> Any:
    """A :mod:`pandera` schema of the long format (for users who validate with pandera).

    :func:`validate_long` is the check the library itself runs; this schema
    expresses the same column-level rules declaratively.

    Examples
    --------
    >>> long = make_long(pd.DataFrame({
    ...     "territory_code": ["29"], "level": ["departement"], "cog_year": [2025],
    ...     "period": ["2016"], "indicator": ["creations_total"], "value": [5520.0],
    ...     "status": ["observed"], "source": ["insee_side"]}))
    >>> long_schema().validate(long).shape
    (1, 8)
    """
    try:
        pa = importlib.import_module("pandera.pandas")
    except ImportError:  # pandera < 0.24
        pa = importlib.import_module("pandera")
    return pa.DataFrameSchema(
        {
            "territory_code": pa.Column("string", nullable=False),
            "level": pa.Column("string", pa.Check.isin(LEVELS)),
            "cog_year": pa.Column("int64", pa.Check.in_range(1943, 2100)),
            "period": pa.Column("string", pa.Check.str_matches(_PERIOD_RE.pattern)),
            "indicator": pa.Column("string", nullable=False),
            "value": pa.Column("float64", nullable=True),
            "status": pa.Column("string", pa.Check.isin(STATUS_VALUES)),
            "source": pa.Column("string", nullable=False),
        },
        unique=list(LONG_KEYS),
        strict=True,
        ordered=True,
    )
