"""Aggregating commune data to EPCI, département, région and France.

Counts are summed. Rates are never averaged: they are re-derived from the
summed numerator and denominator, which is what the rate of the larger
territory actually is (a mean of communal rates would give a village the
weight of a city).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from impact.errors import InputError
from impact.territories import _reference as ref
from impact.territories.codes import check_level

#: Levels reachable from a commune, in increasing size.
HIERARCHY = ("commune", "epci", "departement", "region", "france")


def commune_to(level: str) -> pd.Series:
    """Map current commune codes to their code at ``level`` (``"FR"`` for France).

    Examples
    --------
    >>> commune_to("departement").loc[["01001", "2A004", "97411"]].tolist()
    ['01', '2A', '974']
    >>> commune_to("france").loc["01001"]
    'FR'
    """
    check_level(level)
    t = ref.commune_table()
    t = t[t["type"] == "COM"]
    if level == "france":
        return pd.Series("FR", index=t["code"].to_numpy(), name="france")
    if level == "zone_emploi":
        raise InputError(
            "zone d'emploi: the commune → zone d'emploi table is not shipped offline; "
            "pass it as aggregate(..., mapping=<Series commune code → zone code>)"
        )
    return pd.Series(t[level].to_numpy(), index=t["code"].to_numpy(), name=level)


def aggregate(
    df: pd.DataFrame,
    to_level: str,
    *,
    code_col: str = "territory_code",
    counts: Sequence[str] = (),
    rates: Mapping[str, tuple[str, str]] | None = None,
    by: Sequence[str] = (),
    scale: float = 1.0,
    from_level: str = "commune",
    mapping: pd.Series | None = None,
) -> pd.DataFrame:
    """Aggregate commune rows to a higher level.

    Parameters
    ----------
    df
        Rows keyed by a current commune code (harmonise old vintages first with
        :func:`~impact.territories.harmonize`).
    to_level
        ``"epci"``, ``"departement"``, ``"region"`` or ``"france"`` (or any level
        when ``mapping`` is given, e.g. zones d'emploi).
    code_col
        Column holding the commune code; in the result it holds the code at
        ``to_level``.
    counts
        Columns to sum (``min_count=1``: all-missing stays missing).
    rates
        ``{rate_name: (numerator, denominator)}``: each rate is computed after
        summing as ``scale * sum(numerator) / sum(denominator)``. The numerator
        and denominator are summed even if not listed in ``counts``.
    by
        Other keys to keep (e.g. ``["period", "indicator"]``).
    scale
        Multiplier for rates (``10_000`` for "per 10,000 inhabitants").
    from_level
        Only ``"commune"`` is supported without ``mapping``.
    mapping
        Custom Series from the codes in ``code_col`` to the target codes.

    Returns
    -------
    pandas.DataFrame
        One row per target code and ``by`` keys, with a ``level`` column.

    Raises
    ------
    InputError
        If a column is missing, or codes are not current communes (the error
        lists them: harmonise first).

    Examples
    --------
    >>> df = pd.DataFrame({"territory_code": ["01001", "01004", "2A004"], "year": 2016,
    ...                    "creations": [3.0, 40.0, 12.0],
    ...                    "population": [800.0, 14000.0, 69000.0]})
    >>> aggregate(df, "departement", counts=["creations"], by=["year"],
    ...           rates={"rate": ("creations", "population")}, scale=10_000).round(2)
      territory_code        level  year  creations  population   rate
    0             01  departement  2016       43.0     14800.0  29.05
    1             2A  departement  2016       12.0     69000.0   1.74
    """
    rates = dict(rates or {})
    needed = {code_col, *counts, *by, *(c for pair in rates.values() for c in pair)}
    missing = sorted(needed - set(df.columns))
    if missing:
        raise InputError(f"column(s) {missing} not found; columns are {list(df.columns)}")
    if mapping is None:
        if from_level != "commune":
            raise InputError(
                "aggregate() maps from communes; pass mapping= for other source levels")
        mapping = commune_to(to_level)
    target = df[code_col].astype("string").map(mapping)
    unknown = df.loc[target.isna().to_numpy() & df[code_col].notna().to_numpy(), code_col]
    # The four island communes outside any EPCI legitimately have no EPCI code.
    if to_level == "epci":
        unknown = unknown[~unknown.isin(mapping[mapping.isna()].index)]
    if len(unknown):
        vals = unknown.astype(str).value_counts()
        raise InputError(
            f"{len(vals)} code(s) in column {code_col!r} are not current communes "
            "(harmonise them first): "
            + ", ".join(f"{v!r} ({n} rows)" for v, n in vals.head(15).items()),
            column=code_col,
        )
    sum_cols = list(dict.fromkeys([*counts, *(c for pair in rates.values() for c in pair)]))
    work = df[[*by, *sum_cols]].copy()
    work[code_col] = target.to_numpy()
    work = work[work[code_col].notna()]
    out = (
        work.groupby([code_col, *by], observed=True, sort=True, dropna=False)[sum_cols]
        .sum(min_count=1)
        .reset_index()
    )
    for name, (num, den) in rates.items():
        denom = out[den].where(out[den] != 0)
        out[name] = scale * out[num] / denom
    out.insert(1, "level", to_level)
    return out
