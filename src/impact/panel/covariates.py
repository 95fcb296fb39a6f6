"""Covariates and denominators of the estimation panel, per territory and period.

Population (of each year when the source publishes it), salaried jobs summed from the
finest published level, the unemployment rate (as published, or re-aggregated from
départements with population weights) and the baseline stock of TPE establishments.

May import: :mod:`impact.territories`, :mod:`impact.sources.establishments`,
:mod:`impact.panel.periods`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.panel.periods import to_freq
from impact.schema import RATE_INDICATORS

logger = logging.getLogger(__name__)

#: Rates are per this many inhabitants.
PER = 10_000


def indicator_rows(long: pd.DataFrame, names_: Sequence[str]) -> pd.DataFrame:
    """Rows of the long table for some indicators, text columns as plain strings.

    Examples
    --------
    >>> long = pd.DataFrame({"territory_code": ["29", "35", "29"], "level": "departement",
    ...                      "period": ["2016", "2016", "2017"],
    ...                      "indicator": ["population", "population", "salaried_jobs"],
    ...                      "value": [915_000.0, 1_080_000.0, 250_000.0]})
    >>> indicator_rows(long, ["population"])
      territory_code        level period   indicator      value
    0             29  departement   2016  population   915000.0
    1             35  departement   2016  population  1080000.0
    """
    sel = long["indicator"].isin(list(names_)).to_numpy()
    sub = long.loc[sel, ["territory_code", "level", "period", "indicator", "value"]]
    return pd.DataFrame(
        {
            c: (sub[c].astype(str).to_numpy() if c != "value" else sub[c].to_numpy())
            for c in sub.columns
        }
    )


def published_population(
    long: pd.DataFrame, units: pd.Series, count_level: str, years: Sequence[int]
) -> pd.DataFrame:
    """Population of each year as published at ``count_level``, summed to the territories.

    Examples
    --------
    >>> long = pd.DataFrame({"territory_code": ["29", "35", "29"], "level": "departement",
    ...                      "period": ["2016", "2016", "2017"],
    ...                      "indicator": ["population", "population", "salaried_jobs"],
    ...                      "value": [915_000.0, 1_080_000.0, 250_000.0]})
    >>> units = pd.Series({"29": "53", "35": "53"}, name="target")
    >>> published_population(long, units, "departement", [2016])
      territory_code  year  population
    0             53  2016   1995000.0
    """
    rows = indicator_rows(long[long["level"].astype(str) == count_level], ["population"])
    rows = rows[rows["territory_code"].isin(units.index)]
    rows["year"] = rows["period"].str[:4].astype(int)
    rows = rows[rows["year"].isin(list(years))]
    rows["territory_code"] = rows["territory_code"].map(units).to_numpy()
    need = units.reset_index().groupby("target").size()
    g = rows.groupby(["territory_code", "year"])["value"]
    out = pd.DataFrame({"population": g.sum(min_count=1), "n": g.count()}).reset_index()
    # A territory missing the population of one of its parts gets none (no understated rate).
    out["population"] = out["population"].where(out["n"] == out["territory_code"].map(need))
    return out[["territory_code", "year", "population"]]


def commune_population(long: pd.DataFrame, com: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Population per target territory and year (long table's commune rows, else COG 2025).

    Examples
    --------
    Without commune rows in the long table, the COG 2025 population of each commune:

    >>> com = pd.DataFrame({"code": ["29019", "29232"], "target": ["29", "29"],
    ...                     "population": [139_000.0, 63_000.0]})
    >>> empty = pd.DataFrame(columns=["territory_code", "level", "period", "indicator", "value"])
    >>> commune_population(empty, com, [2016])
      territory_code  year  population
    0             29  2016    202000.0
    """
    base = com[["code", "target", "population"]]
    rows = indicator_rows(long[long["level"].astype(str) == "commune"], ["population"])
    frames = []
    by_year = {}
    if not rows.empty:
        rows["year"] = rows["period"].str[:4].astype(int)
        by_year = {y: g.set_index("territory_code")["value"] for y, g in rows.groupby("year")}
    for y in years:
        p = base["population"]
        if y in by_year:
            p = base["code"].map(by_year[y]).fillna(base["population"])
        frames.append(
            pd.DataFrame(
                {
                    "territory_code": base["target"].to_numpy(),
                    "year": y,
                    "population": p.to_numpy(dtype=float),
                }
            )
        )
    f = pd.concat(frames)
    # Communes without population in COG 2025 (Mayotte's, and Hauts-Talican created in 2024)
    # are left out of their territory's sum; a territory made only of them has none.
    partial = f.loc[f["population"].isna(), "territory_code"].unique()
    out = f.groupby(["territory_code", "year"], as_index=False)["population"].sum(min_count=1)
    partial = [
        c for c in partial if out.loc[out["territory_code"] == c, "population"].notna().any()
    ]
    if partial:
        logger.info(
            "Population of %s excludes communes without population in COG 2025",
            ", ".join(map(str, partial[:10])),
        )
    return out


def salaried_jobs_table(
    long: pd.DataFrame, level: str, com: pd.DataFrame, years: Sequence[int]
) -> pd.DataFrame:
    """Salaried jobs per territory and year, summed from the finest published level.

    Examples
    --------
    >>> long = pd.DataFrame({"territory_code": ["29", "35", "29"], "level": "departement",
    ...                      "period": ["2016", "2016", "2017"],
    ...                      "indicator": ["population", "population", "salaried_jobs"],
    ...                      "value": [915_000.0, 1_080_000.0, 250_000.0]})
    >>> com = pd.DataFrame({"code": ["29019"], "target": ["29"], "departement": ["29"],
    ...                     "region": ["53"]})
    >>> salaried_jobs_table(long, "departement", com, [2017])
      territory_code  year  salaried_jobs
    0             29  2017       250000.0
    """
    rows = indicator_rows(long, ["salaried_jobs"])
    empty = pd.DataFrame(
        {
            "territory_code": pd.Series(dtype=str),
            "year": pd.Series(dtype="int64"),
            "salaried_jobs": pd.Series(dtype=float),
        }
    )
    if rows.empty:
        return empty
    rows = rows[rows["period"].str.len() == 4]
    rows["year"] = rows["period"].astype(int)
    at = set(rows["level"])
    if level in at:
        out = rows[rows["level"] == level]
        return out[["territory_code", "year"]].assign(salaried_jobs=out["value"].to_numpy())
    # Sum a finer level: communes to anything, départements to régions.
    if "commune" in at:
        src = rows[rows["level"] == "commune"]
        mapping = com.set_index("code")["target"]
    elif level == "region" and "departement" in at:
        src = rows[rows["level"] == "departement"]
        mapping = com.drop_duplicates("departement").set_index("departement")["region"]
    else:
        logger.info("salaried_jobs: published at %s level only; NaN at %s level", sorted(at), level)
        return empty
    src = src.assign(target=src["territory_code"].map(mapping)).dropna(subset=["target"])
    # Units expected per target: a target with a missing part gets NaN (a sum would understate).
    if "commune" in at:
        expected = com.groupby("target").size()
    else:
        expected = com.drop_duplicates("departement").groupby("region").size()
    g = src.groupby(["target", "year"])["value"]
    out = pd.DataFrame({"sum": g.sum(min_count=1), "n": g.count()}).reset_index()
    if "commune" not in at:
        out["sum"] = out["sum"].where(out["n"] == out["target"].map(expected))
    return pd.DataFrame(
        {
            "territory_code": out["target"],
            "year": out["year"].astype("int64"),
            "salaried_jobs": out["sum"],
        }
    )


def tpe_stock_rate(level: str, panel: pd.DataFrame, com: pd.DataFrame) -> pd.DataFrame:
    """``tpe_stock_2014_per10k`` per territory: TPE establishments of 2014 per 10,000 inhabitants.

    The population is the panel's population of 2014 when the panel covers that year (the
    year's estimate for the INSEE source), else the territory layer's (COG 2025).

    Examples
    --------
    >>> panel = pd.DataFrame({"territory_code": ["29"], "year": [2014], "population": [1e6]})
    >>> rate = tpe_stock_rate("departement", panel, pd.DataFrame())
    >>> rate.columns.tolist(), bool(rate["tpe_stock_2014_per10k"].iloc[0] > 0)
    (['territory_code', 'tpe_stock_2014_per10k'], True)
    """
    from impact.sources.establishments import default_path, tpe_stock

    codes = pd.Index(panel["territory_code"].unique())
    if not Path(default_path()).exists():
        logger.warning("tpe_stock_2014_per10k: %s is absent (raw data folder moved?); NaN",
                       default_path())
        return pd.DataFrame({"territory_code": codes, "tpe_stock_2014_per10k": np.nan})
    stock = tpe_stock(level).set_index("territory_code")["tpe_stock_2014"]
    pop = panel.loc[panel["year"] == 2014].groupby("territory_code")["population"].first()
    if pop.empty:
        pop = com.groupby("target")["population"].sum(min_count=1)
        logger.info(
            "tpe_stock_2014_per10k: the panel does not cover 2014; COG 2025 population used")
    rate = PER * stock.reindex(codes) / pop.reindex(codes).where(pop.reindex(codes) > 0)
    return pd.DataFrame({"territory_code": codes, "tpe_stock_2014_per10k": rate.to_numpy(float)})


def unemployment_table(
    long: pd.DataFrame, level: str, com: pd.DataFrame, freq: str, periods: Sequence[str]
) -> pd.DataFrame:
    """Unemployment rate per territory and period (see the module and data dictionary).

    Examples
    --------
    >>> long = pd.DataFrame({"territory_code": ["29", "35"], "level": "departement",
    ...                      "period": "2016", "indicator": "unemployment_rate",
    ...                      "value": [8.1, 7.2]})
    >>> unemployment_table(long, "departement", pd.DataFrame(), "year", ["2016"])
      territory_code period  unemployment_rate
    0             29   2016                8.1
    1             35   2016                7.2
    """
    rows = indicator_rows(long, ["unemployment_rate"])
    empty = pd.DataFrame(
        {
            "territory_code": pd.Series(dtype=str),
            "period": pd.Series(dtype=str),
            "unemployment_rate": pd.Series(dtype=float),
        }
    )
    if rows.empty:
        return empty
    quarterly = rows["period"].str.contains("Q")
    if quarterly.any():
        rows = rows[quarterly]
        if freq == "year":
            rows["period"] = rows["period"].str[:4]
            rows = rows.groupby(["territory_code", "level", "period"], as_index=False)[
                "value"
            ].mean()
    elif freq != "year":
        # Annual means (the shipped INSEE file) cannot be split into quarters or months.
        logger.info("unemployment_rate: annual rates only; NaN at frequency %s", freq)
        return empty
    else:
        rows = rows[rows["period"].str.len() == 4]
    wanted = set(periods) if freq != "month" else {to_freq(p, "quarter") for p in periods}
    rows = rows[rows["period"].isin(wanted)]
    if level in set(rows["level"]):
        out = rows[rows["level"] == level][["territory_code", "period", "value"]]
    elif "departement" in set(rows["level"]):
        dep = rows[rows["level"] == "departement"][["territory_code", "period", "value"]]
        dep = dep.rename(columns={"territory_code": "departement"})
        # Population weights: each commune carries its département's rate.
        w = com[["departement", "target", "population"]].dropna(subset=["population"])
        w = w.groupby(["target", "departement"], as_index=False)["population"].sum()
        m = w.merge(dep, on="departement")
        m["wv"] = m["value"] * m["population"]
        g = m.groupby(["target", "period"])
        out = pd.DataFrame({"value": g["wv"].sum() / g["population"].sum()}).reset_index()
        out = out.rename(columns={"target": "territory_code"})
    else:
        logger.info("unemployment_rate: no département or %s rates; NaN", level)
        return empty
    out = out.rename(columns={"value": "unemployment_rate"})
    if freq == "month":
        q = pd.DataFrame({"period": list(periods)})
        q["quarter"] = [to_freq(p, "quarter") for p in q["period"]]
        out = (
            out.rename(columns={"period": "quarter"}).merge(q, on="quarter").drop(columns="quarter")
        )
    return out[["territory_code", "period", "unemployment_rate"]]


def other_outcome(
    long: pd.DataFrame, indicator: str, level: str, com: pd.DataFrame, freq: str
) -> pd.DataFrame:
    """A non-creation indicator of the long table at ``level``: ``territory_code, period, <name>``.

    Taken as published at ``level`` when the long table has it there; otherwise a
    count is summed from communes (or from départements for régions), a territory
    with a missing part staying missing. A rate
    (:data:`impact.schema.RATE_INDICATORS`) cannot be summed: it must be published
    at the panel's level. Annual values are repeated in every sub-annual period.

    Examples
    --------
    >>> long = pd.DataFrame({"territory_code": ["29019", "29232"], "level": "commune",
    ...                      "period": "2016", "indicator": "salaried_jobs",
    ...                      "value": [60_000.0, 30_000.0]})
    >>> com = pd.DataFrame({"code": ["29019", "29232"], "target": ["29", "29"]})
    >>> other_outcome(long, "salaried_jobs", "departement", com, "year")
      territory_code period  salaried_jobs
    0             29   2016        90000.0
    """
    rows = indicator_rows(long, [indicator])
    have = set(rows["level"])
    if level in have:
        rows = rows[rows["level"] == level]
        target = rows["territory_code"]
    elif indicator in RATE_INDICATORS:
        raise InputError(
            f"outcome {indicator!r} is a rate published at level(s) {sorted(have)}, not by "
            f"{level}: a rate cannot be summed; build the panel at a level where it is published"
        )
    elif "commune" in have:
        rows = rows[rows["level"] == "commune"]
        target = rows["territory_code"].map(com.set_index("code")["target"])
    elif "departement" in have and level == "region":
        rows = rows[rows["level"] == "departement"]
        dep = com.drop_duplicates("departement").set_index("departement")["target"]
        target = rows["territory_code"].map(dep)
    else:
        raise InputError(
            f"outcome {indicator!r} is published at level(s) {sorted(have)}, which cannot be "
            f"summed to {level}"
        )
    df = pd.DataFrame({"territory_code": target.to_numpy(), "period": rows["period"].to_numpy(),
                       "value": rows["value"].to_numpy(dtype=float)}).dropna(
                           subset=["territory_code"])
    annual = df["period"].str.len() == 4
    df["period"] = [p if a else to_freq(p, freq) for p, a in zip(df["period"], annual, strict=True)]
    out = (df.groupby(["territory_code", "period"], sort=False)["value"]
           .agg(lambda v: v.sum() if v.notna().all() else np.nan).reset_index())
    if freq != "year" and bool(annual.any()):
        # Annual figures are repeated in each period of their year.
        sub = [to_freq(f"{y}-{m:02d}", freq) for y in sorted(set(out["period"]))
               for m in range(1, 13)]
        expand = pd.DataFrame({"period": sorted(set(sub)),
                               "year_": [p[:4] for p in sorted(set(sub))]})
        out = out.rename(columns={"period": "year_"}).merge(expand, on="year_").drop(
            columns="year_")
    return out.rename(columns={"value": indicator})[["territory_code", "period", indicator]]
