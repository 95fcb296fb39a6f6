"""Data-quality summaries of the canonical long table, for notebook 01 and reports.

All functions take the canonical long format (``territory_code, level,
cog_year, period, indicator, value, status, source``) and return small tidy
tables, so the notebook only displays them. The examples use the long table
of the INSEE files shipped with the package (:func:`impact.sources.side.read`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from impact.config import raw_dir
from impact.errors import InputError

LONG_KEYS = ["territory_code", "level", "period", "indicator"]


def _year(period: pd.Series) -> pd.Series:
    return period.astype(str).str[:4].astype(int)


def sources_used(long: pd.DataFrame) -> pd.DataFrame:
    """Rows, indicators, levels and years covered by each source.

    Examples
    --------
    >>> from impact.sources import side
    >>> sources_used(side.read())
                 source  rows  indicators       levels  first_year  last_year
    0  insee_population   960           1  departement        2012       2021
    1        insee_side  9600          10  departement        2012       2021
    2         insee_tcl   960           1  departement        2012       2021
    """
    y = _year(long["period"])
    return (
        long.assign(year=y)
        .groupby("source", observed=True)
        .agg(
            rows=("value", "size"),
            indicators=("indicator", "nunique"),
            levels=("level", lambda s: ", ".join(sorted(map(str, s.unique())))),
            first_year=("year", "min"),
            last_year=("year", "max"),
        )
        .reset_index()
    )


def coverage(long: pd.DataFrame) -> pd.DataFrame:
    """Number of territories with a published value, by indicator and year.

    Examples
    --------
    >>> from impact.sources import side
    >>> coverage(side.read()).loc[["creations_total", "unemployment_rate"], [2012, 2021]]
    ... # doctest: +NORMALIZE_WHITESPACE
    year               2012  2021
    indicator
    creations_total      96    96
    unemployment_rate    96    96
    """
    ok = long[long["value"].notna()]
    out = (
        ok.assign(year=_year(ok["period"]))
        .groupby(["indicator", "year"], observed=True)["territory_code"]
        .nunique()
        .unstack("year", fill_value=0)
    )
    out.columns.name = "year"
    return out


def status_table(long: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares of observed, secret, missing and estimated values by indicator.

    Examples
    --------
    >>> from impact.sources import side
    >>> table = status_table(side.read())
    >>> list(table.columns)
    ['observed', 'secret', 'missing', 'estimated', 'share_not_observed']
    >>> table.loc["creations_total"].tolist()
    [960.0, 0.0, 0.0, 0.0, 0.0]
    """
    counts = (
        long.groupby(["indicator", "status"], observed=True).size().unstack("status", fill_value=0)
    )
    for s in ("observed", "secret", "missing", "estimated"):
        if s not in counts.columns:
            counts[s] = 0
    counts = counts[["observed", "secret", "missing", "estimated"]]
    counts["share_not_observed"] = 1 - counts["observed"] / counts.sum(axis=1)
    return counts


def national_series(
    long: pd.DataFrame, indicators: list[str], level: str = "commune"
) -> pd.DataFrame:
    """Annual national totals of count indicators (summed over territories of one level).

    Raises
    ------
    InputError
        If the long table has no row of these indicators at this level.

    Examples
    --------
    >>> from impact.sources import side
    >>> series = national_series(side.read(), ["creations_total"], level="departement")
    >>> series.loc[2014:2016, "creations_total"].tolist()
    [564290.0, 546880.0, 585303.0]
    """
    sub = long[long["indicator"].isin(indicators) & (long["level"] == level)]
    if sub.empty:
        raise InputError(f"no {indicators} rows at level {level!r} in the long table")
    return (
        sub.assign(year=_year(sub["period"]))
        .groupby(["year", "indicator"], observed=True)["value"]
        .sum(min_count=1)
        .unstack("indicator")
    )


def published_totals(path: str | Path | None = None) -> pd.DataFrame:
    """National creation totals published by INSEE/APCE (``data/raw/national_creations.csv``).

    Raises
    ------
    InputError
        If the file lacks one of the columns ``year, indicator, value, source``.

    Examples
    --------
    >>> published_totals()[["year", "indicator", "value"]].head(3)
       year        indicator   value
    0  2011  creations_total  549805
    1  2014  creations_total  550733
    2  2015  creations_total  525091
    """
    path = Path(path) if path else raw_dir() / "national_creations.csv"
    df = pd.read_csv(path)
    missing = {"year", "indicator", "value", "source"} - set(df.columns)
    if missing:
        raise InputError(
            f"missing column(s) {sorted(missing)}; found {list(df.columns)}", path=path
        )
    return df


def compare_with_published(series: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Our national totals next to the published ones, with the relative gap (in %).

    Examples
    --------
    The shipped départements' creations summed to France, against the published totals
    (2011 is before the shipped years: no panel value):

    >>> from impact.sources import side
    >>> series = national_series(side.read(), ["creations_total"], level="departement")
    >>> table = compare_with_published(series, published_totals())
    >>> totals = table[table["indicator"] == "creations_total"]
    >>> totals[["year", "published", "panel", "gap_pct"]].round(1)
       year  published     panel  gap_pct
    0  2011   549805.0       NaN      NaN
    1  2014   550733.0  564290.0      2.5
    2  2015   525091.0  546880.0      4.1
    4  2020   848164.0  875896.0      3.3
    """
    rows = []
    for _, r in published.iterrows():
        ours = series[r["indicator"]].get(int(r["year"])) if r["indicator"] in series else None
        rows.append(
            {
                "year": int(r["year"]),
                "indicator": r["indicator"],
                "published": float(r["value"]),
                "panel": float(ours) if ours is not None and pd.notna(ours) else float("nan"),
                "source": r["source"],
            }
        )
    out = pd.DataFrame(rows)
    out["gap_pct"] = 100 * (out["panel"] / out["published"] - 1)
    return out


def quality_table(long: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: level, years, territories, share not observed, duplicates, negatives.

    Examples
    --------
    >>> from impact.sources import side
    >>> table = quality_table(side.read()).set_index("indicator")
    >>> table.loc["creations_total"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'level': 'departement', 'first_year': 2012, 'last_year': 2021, 'territories': 96,
     'not_observed': 0.0, 'negative': 0, 'duplicated_rows': 0}
    """
    g = long.assign(year=_year(long["period"])).groupby("indicator", observed=True)
    out = g.agg(
        level=("level", lambda s: ", ".join(sorted(map(str, s.unique())))),
        first_year=("year", "min"),
        last_year=("year", "max"),
        territories=("territory_code", "nunique"),
        not_observed=("status", lambda s: float((s != "observed").mean())),
        negative=("value", lambda s: int((s < 0).sum())),
    )
    dup = long.duplicated(LONG_KEYS, keep=False).groupby(long["indicator"], observed=True).sum()
    out["duplicated_rows"] = dup.reindex(out.index, fill_value=0).astype(int)
    return out.reset_index()
