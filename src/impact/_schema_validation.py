"""Running a schema and reporting what fails as an :class:`~impact.errors.InputError`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from impact._schema_checks import pa
from impact.errors import InputError


def validate(
    df: pd.DataFrame, schema: pa.DataFrameSchema, *, name: str | None = None
) -> pd.DataFrame:
    """Validate ``df`` against ``schema``; raise :class:`InputError` naming columns and rows.

    Every failed check is reported (pandera's lazy mode), each with the column,
    the check and up to five offending rows (their key columns and the value).

    Parameters
    ----------
    df
        Table to check.
    schema
        A pandera schema (:func:`impact.schema.long_schema`, …).
    name
        What the table is called in the message (default: the schema's name).

    Returns
    -------
    pandas.DataFrame
        ``df``, validated.

    Raises
    ------
    InputError
        One line per failed check.

    Examples
    --------
    >>> from impact.schema import long_schema
    >>> long = pd.DataFrame({
    ...     "territory_code": ["29", "2A"], "level": ["departement", "region"], "cog_year": 2025,
    ...     "period": ["2016", "2016Q5"], "indicator": "creations_total", "value": [310.0, 41.0],
    ...     "status": "observed", "source": "insee_sirene"})
    >>> validate(long, long_schema(), name="my long table")
    ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.InputError: my long table is invalid:
      - column 'period' fails 'does not match ...'; 1 row(s),
      e.g. [{'territory_code': '2A', 'level': 'region', 'period': '2016Q5', ...}]
      - the table fails 'territory_code is not a valid code for the row's level ...'; 1 row(s), ...
    """
    label = name or schema.name or "table"
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise InputError(_describe(exc, df, label)) from exc
    except pa.errors.SchemaError as exc:  # pragma: no cover - lazy mode raises SchemaErrors
        raise InputError(f"{label}: {exc}") from exc


def _rows_text(df: pd.DataFrame, idx: list[Any], col: str | None) -> str:
    keys = [
        c for c in ("territory_code", "level", "period", "indicator", "source") if c in df.columns
    ]
    if col and col in df.columns and col not in keys:
        keys.append(col)
    try:
        shown = df.loc[idx[:5], keys].astype(object).to_dict("records")
    except (KeyError, TypeError):
        return f"; rows {idx[:5]}"
    return f"; {len(idx)} row(s), e.g. {shown}"


def _describe(exc: pa.errors.SchemaErrors, df: pd.DataFrame, label: str) -> str:
    """One line per failed check: which column (or the whole table), which rule, which rows."""
    fc = exc.failure_cases
    lines = []
    for (context, col, check), part in fc.groupby(
        ["schema_context", "column", "check"], dropna=False, sort=False
    ):
        if (
            context == "DataFrameSchema"
            and col in df.columns
            and check not in ("column_in_dataframe", "column_in_schema")
        ):
            continue  # table-level checks are reported once below, not once per column
        idx = [i for i in pd.unique(part["index"]) if i is not None and not pd.isna(i)]
        col_txt = f"column {col!r}" if isinstance(col, str) and col != label else "the table"
        if idx:
            lines.append(f"{col_txt} fails '{check}'" + _rows_text(df, idx, col))
        else:
            vals = [v for v in part["failure_case"].head(5).tolist() if v is not None]
            lines.append(f"{col_txt} fails '{check}'" + (f"; found {vals}" if vals else ""))
    table = fc[
        (fc["schema_context"] == "DataFrameSchema")
        & fc["column"].isin(list(df.columns))
        & ~fc["check"].isin(["column_in_dataframe", "column_in_schema"])
    ]
    for check, part in table.groupby("check", sort=False):
        idx = [i for i in pd.unique(part["index"]) if i is not None and not pd.isna(i)]
        lines.append(f"the table fails '{check}'" + _rows_text(df, idx, None))
    return f"{label} is invalid:\n  - " + "\n  - ".join(lines)

