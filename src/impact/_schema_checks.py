"""Building blocks of the table schemas: pandera checks and the code and period formats.

Checks that would be slow on millions of rows (code formats, period syntax)
are evaluated on the distinct values and mapped back (:func:`_on_unique`), so
validating the national long table takes about a second. The schemas are in
:mod:`impact.schema`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

try:  # pandera >= 0.24 moved the pandas API to pandera.pandas
    import pandera.pandas as pa
except ImportError:  # pragma: no cover - older pandera
    import pandera as pa  # type: ignore[no-redef]  # same API under its older name

#: Official code syntax per level (from the territory layer, plus France).
CODE_FORMATS: dict[str, str] = {
    "commune": r"^(?:\d{5}|2[AB]\d{3})$",
    "epci": r"^\d{9}$",
    "departement": r"^(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])$",
    "region": r"^\d{2}$",
    "zone_emploi": r"^\d{4}$",
    "france": r"^FR$",
}
_PERIOD_RE = r"^\d{4}(?:Q[1-4]|-(?:0[1-9]|1[0-2]))?$"


def _on_unique(series: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """Evaluate ``fn`` (value -> bool) once per distinct value and map back."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        ok = np.array([bool(fn(v)) for v in cats], dtype=bool)
        codes = series.cat.codes.to_numpy()
        out = np.where(codes >= 0, ok[np.clip(codes, 0, None)] if len(ok) else False, False)
        return pd.Series(out, index=series.index)
    uniq = pd.unique(series)
    lookup = {v: bool(fn(v)) for v in uniq if not (isinstance(v, float) and np.isnan(v))}
    return series.map(lookup).fillna(False).astype(bool)


def _string_like(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.categories.empty or pd.api.types.is_string_dtype(series.cat.categories)
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def _matcher(rx: re.Pattern[str]) -> Callable[[Any], bool]:
    """``value -> bool``: whether the value is text matching ``rx``."""
    return lambda v: isinstance(v, str) and rx.match(v) is not None


def _matches(pattern: str, description: str) -> pa.Check:
    match = _matcher(re.compile(pattern))
    return pa.Check(
        lambda s: _on_unique(s, match),
        name=f"matches {description}",
        error=f"does not match {pattern}",
    )


def _in(values: Sequence[str]) -> pa.Check:
    allowed = frozenset(values)
    return pa.Check(
        lambda s: _on_unique(s, lambda v: v in allowed),
        name=f"in {list(values)}",
        error=f"not one of {list(values)}",
    )


_STRING = pa.Check(
    _string_like, name="text column", error="must hold text (str, string or category)"
)
_NON_EMPTY = pa.Check(
    lambda s: _on_unique(s, lambda v: isinstance(v, str) and v.strip() != ""),
    name="non-empty text",
    error="empty or missing text",
)


def _code_format_check(code_col: str = "territory_code", level_col: str = "level") -> pa.Check:
    """Dataframe check: each code has the syntax of its row's level."""
    compiled = {lvl: re.compile(p) for lvl, p in CODE_FORMATS.items()}

    def check(df: pd.DataFrame) -> pd.Series:
        ok = pd.Series(False, index=df.index)
        lv = df[level_col].astype("string")
        for lvl, rx in compiled.items():
            sel = (lv == lvl).fillna(False).to_numpy()
            if sel.any():
                ok[sel] = _on_unique(df.loc[sel, code_col], _matcher(rx)).to_numpy()
        return ok

    return pa.Check(
        check,
        name="territory_code matches its level",
        error="territory_code is not a valid code for the row's level "
        "(commune 5 characters, EPCI 9 digits, département 01-95/2A/2B/971-976, "
        "région 2 digits)",
    )


def _observed_has_value(df: pd.DataFrame) -> pd.Series:
    observed = _on_unique(df["status"], lambda v: v == "observed").to_numpy()
    return pd.Series(~observed | df["value"].notna().to_numpy(), index=df.index)


def _balanced(df: pd.DataFrame) -> bool:
    n_t = df["territory_code"].nunique()
    n_p = df["period"].nunique()
    return len(df) == n_t * n_p


def _treated_consistent(df: pd.DataFrame) -> pd.Series:
    g = df["first_label_year"]
    expected = ((g > 0) & (df["year"] >= g)).astype("int64")
    return df["treated"] == expected
