"""The canonical long table and the wide estimation panel.

``build_long`` gathers whatever sources are available (the demonstration
files, or real files dropped in a folder) into the canonical long format of
:mod:`impact.sources._common`. ``build_panel`` turns it into one row per
territory × year at a chosen level, with outcomes as counts and per 10,000
inhabitants (re-derived from aggregated counts and population, never
averaged), treatment columns and covariates. ``write_outputs`` writes both as
Parquet atomically: a failed build leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from impact._io import atomic_path
from impact.config import data_dir, processed_dir, raw_dir
from impact.errors import InputError
from impact.sources._common import LONG_COLUMNS, validate_long

logger = logging.getLogger(__name__)

PANEL_LEVELS = ("commune", "epci", "departement", "region")
COUNT_OUTCOMES = ("creations_total", "creations_tpe", "creations_ess")
PER = 10_000

#: File names looked for in the "real" folder (``data/real/`` by default, or ``raw_dir=``).
REAL_PATTERNS = {
    "sirene_ul": ["StockUniteLegale*.parquet", "StockUniteLegale*.zip", "StockUniteLegale*.csv"],
    "sirene_et": ["StockEtablissement*.parquet", "StockEtablissement*.zip", "StockEtablissement*.csv"],
    "urssaf": ["*urssaf*.csv", "*effectifs*.csv"],
    "unemployment": ["*chomage*.xlsx", "*txcho*.xlsx"],
}


def _find_real(folder: Path) -> dict[str, Path]:
    found = {}
    for key, patterns in REAL_PATTERNS.items():
        for pat in patterns:
            hits = sorted(folder.glob(pat))
            if hits:
                found[key] = hits[0]
                break
    return found


def build_long(sources: str | Mapping[str, str | Path] = "demo", *, seed: int = 2014, scale: float = 1.0,
               real_dir: str | Path | None = None, start: int | None = None,
               end: int | None = None) -> pd.DataFrame:
    """The canonical long table from the available sources.

    Parameters
    ----------
    sources
        ``"demo"`` (generate or reuse the demonstration files), ``"real"``
        (files found in ``real_dir``, default ``data/real/``: SIRENE stocks,
        URSSAF CSV, unemployment workbook), or a mapping with keys
        ``sirene_ul``, ``sirene_et``, ``urssaf``, ``unemployment`` to paths.

    Returns
    -------
    pandas.DataFrame
        Long table; ``.attrs["sources"]`` lists the sources used and
        ``.attrs["demo"]`` says whether they are demonstration data.

    Raises
    ------
    InputError
        When no source is available (the message lists what was looked for).
    """
    from impact.sources import sirene, unemployment, urssaf

    demo = sources == "demo"
    if demo:
        from impact.demo import generate

        f = generate(seed=seed, scale=scale)
        paths = {"sirene_ul": f.unites_legales, "sirene_et": f.etablissements, "urssaf": f.urssaf,
                 "unemployment": f.unemployment}
    elif sources == "real":
        folder = Path(real_dir) if real_dir else data_dir() / "real"
        paths = _find_real(folder) if folder.is_dir() else {}
        if not paths:
            wanted = "; ".join(f"{k}: {', '.join(v)}" for k, v in REAL_PATTERNS.items())
            raise InputError(f"no real source file found in {folder}. Looked for {wanted}. "
                             "Download them with 'impact fetch' or use the demonstration data (source='demo').")
    elif isinstance(sources, Mapping):
        paths = {k: Path(v) for k, v in sources.items()}
        unknown = set(paths) - set(REAL_PATTERNS)
        if unknown:
            raise InputError(f"unknown source key(s) {sorted(unknown)}; expected {sorted(REAL_PATTERNS)}")
    else:
        raise InputError(f"sources must be 'demo', 'real' or a mapping of paths, not {sources!r}")

    parts, used = [], []
    if "sirene_ul" in paths and "sirene_et" in paths:
        logger.info("Reading SIRENE creations from %s", paths["sirene_ul"].parent)
        parts.append(sirene.creations(paths["sirene_ul"], paths["sirene_et"], freq="year", start=start, end=end))
        used.append("sirene")
    if "urssaf" in paths:
        parts.append(urssaf.read(paths["urssaf"]))
        used.append("urssaf")
    if "unemployment" in paths:
        parts.append(unemployment.read(paths["unemployment"]))
        used.append("unemployment")
    if not parts:
        raise InputError("none of the sources could be read: give SIRENE stocks, an URSSAF file or an "
                         "unemployment workbook")
    long = pd.concat([p[list(LONG_COLUMNS)] for p in parts], ignore_index=True)
    for col in ("level", "indicator", "status", "source"):
        long[col] = long[col].astype(str)
    if demo:
        long["source"] = "demo-" + long["source"]
    long = validate_long(long, name="long table")
    long.attrs["sources"] = used
    long.attrs["demo"] = demo
    logger.info("Long table: %d rows from %s", len(long), ", ".join(used))
    return long


def _years(period: pd.Series) -> pd.Series:
    return period.astype(str).str[:4].astype(int)


def treatment_table(level: str, *, demo_folder: Path | None = None) -> pd.DataFrame:
    """First PTCE label year and PTCE count per territory at ``level``."""
    from impact.territories import commune_to

    path = raw_dir() / "ptce.csv"
    if demo_folder is not None and (demo_folder / "ptce_treatment.csv").exists():
        t = pd.read_csv(demo_folder / "ptce_treatment.csv", dtype={"commune": str})
    elif path.exists():
        from impact import ptce

        poles = ptce.load(path)
        t = pd.DataFrame({"commune": poles["commune_code"].astype(str), "label_year": poles["label_year"]})
    else:
        raise InputError(f"no PTCE registry found at {path}")
    t["code"] = t["commune"].map(commune_to(level)) if level != "commune" else t["commune"]
    return (t.groupby("code").agg(first_label_year=("label_year", "min"), ptce_count=("label_year", "size"))
            .reset_index())


def spending_table(level: str, treatment: pd.DataFrame, demo: bool) -> pd.DataFrame:
    """Spending in euros per territory and year at ``level``.

    Uses ``data/raw/spending.csv`` when present at that level; otherwise (and
    always for the demonstration) allocates the published PTCE envelopes —
    3 M€ for the 23 lauréats of 2013, 2.7 M€ for the 14 of 2015 — equally
    among the PTCE of each call, in their label year.
    """
    path = raw_dir() / "spending.csv"
    if path.exists() and not demo:
        from impact.sources import spending as sp

        s = sp.read(path)
        s = s[s["level"] == level]
        if not s.empty:
            return s.groupby(["territory_code", "year"], as_index=False)["euros"].sum()
    rows = []
    per_pole = {2014: 3_000_000 / 23, 2016: 2_700_000 / 14}
    for _, r in treatment.iterrows():
        rows.append({"territory_code": r["code"], "year": int(r["first_label_year"]),
                     "euros": per_pole.get(int(r["first_label_year"]), 150_000.0) * r["ptce_count"]})
    return pd.DataFrame(rows, columns=["territory_code", "year", "euros"])


def build_panel(long: pd.DataFrame, *, level: str = "departement", freq: str = "year",
                start: int | None = None, end: int | None = None, region: str | None = None,
                demo_folder: Path | None = None) -> pd.DataFrame:
    """The balanced estimation panel at ``level`` (one row per territory × year).

    Columns: ``territory_code, name, region, year, population``, the counts in
    :data:`COUNT_OUTCOMES` and their ``*_per10k`` rates, ``salaried_jobs``,
    ``unemployment_rate`` (annual mean of quarters, population-weighted when
    aggregated), ``first_label_year`` (0 never treated), ``ptce_count``,
    ``treated`` (year >= first label year), ``spending_eur`` and
    ``spending_per_inhabitant``.
    """
    from impact.territories import aggregate, communes, names

    if level not in PANEL_LEVELS:
        raise InputError(f"level={level!r}: expected one of {', '.join(PANEL_LEVELS)}")
    if freq != "year":
        raise InputError("only annual panels (freq='year') are available")
    long = long.assign(year=_years(long["period"]))
    if start is not None:
        long = long[long["year"] >= start]
    if end is not None:
        long = long[long["year"] <= end]
    if long.empty:
        raise InputError(f"no data between start={start} and end={end}")

    com = pd.DataFrame(communes().drop(columns="geometry"))
    if region is not None:
        com = com[com["region"] == region]
        if com.empty:
            raise InputError(f"no commune in région {region!r}")
    years = sorted(long.loc[long["indicator"].isin(COUNT_OUTCOMES), "year"].unique())
    if not years:
        raise InputError("the long table has no creation counts (creations_total/tpe/ess)")

    # Creations: commune counts aggregated to the level (sparse rows mean zero creations).
    cre = long[(long["level"] == "commune") & long["indicator"].isin(COUNT_OUTCOMES)]
    cre = cre.pivot_table(index=["territory_code", "year"], columns="indicator", values="value",
                          aggfunc="sum", observed=True).reset_index()
    cre = cre[cre["territory_code"].isin(com["code"])]
    pop = com[["code", "population"]].rename(columns={"code": "territory_code"})
    if level == "commune":
        base = pop
        agg_cre = cre
    else:
        base = aggregate(pop, level, counts=["population"])
        agg_cre = aggregate(cre, level, counts=[c for c in COUNT_OUTCOMES if c in cre], by=["year"]) if len(cre) else cre
    base = base[["territory_code", "population"]]
    grid = pd.MultiIndex.from_product([base["territory_code"], years], names=["territory_code", "year"]).to_frame(index=False)
    panel = grid.merge(base, on="territory_code", how="left")
    panel = panel.merge(agg_cre.drop(columns=["level"], errors="ignore"), on=["territory_code", "year"], how="left")
    for c in COUNT_OUTCOMES:
        if c not in panel:
            panel[c] = np.nan
        panel[c] = panel[c].fillna(0.0)
        panel[f"{c}_per10k"] = PER * panel[c] / panel["population"].where(panel["population"] > 0)

    # Covariates published at département/région level.
    cov_levels = {"departement", "region"}
    for ind, col in (("salaried_jobs", "salaried_jobs"), ("unemployment_rate", "unemployment_rate")):
        sub = long[long["indicator"] == ind]
        if sub.empty:
            panel[col] = np.nan
            continue
        if level in cov_levels and (sub["level"] == level).any():
            s = sub[sub["level"] == level].groupby(["territory_code", "year"])["value"].mean().rename(col)
            panel = panel.merge(s.reset_index(), on=["territory_code", "year"], how="left")
        else:
            panel[col] = np.nan  # not published at this level

    # Treatment and spending.
    treat = treatment_table(level, demo_folder=demo_folder).rename(columns={"code": "territory_code"})
    panel = panel.merge(treat, on="territory_code", how="left")
    panel["first_label_year"] = panel["first_label_year"].fillna(0).astype(int)
    panel["ptce_count"] = panel["ptce_count"].fillna(0).astype(int)
    panel["treated"] = ((panel["first_label_year"] > 0) & (panel["year"] >= panel["first_label_year"])).astype(int)
    spend = spending_table(level, treat.rename(columns={"territory_code": "code"}), long.attrs.get("demo", False))
    panel = panel.merge(spend.rename(columns={"euros": "spending_eur"}), on=["territory_code", "year"], how="left")
    panel["spending_eur"] = panel["spending_eur"].fillna(0.0)
    panel["spending_per_inhabitant"] = panel["spending_eur"] / panel["population"].where(panel["population"] > 0)
    panel["spending_per_inhabitant"] = panel["spending_per_inhabitant"].fillna(0.0)
    panel.insert(1, "name", panel["territory_code"].map(names(level)))
    panel.insert(2, "level", level)
    # Territories without population (Mayotte in the source) cannot have rates.
    dropped = panel.loc[panel["population"].isna(), "territory_code"].unique()
    if len(dropped):
        logger.warning("dropping %d territories without population (no per-inhabitant rates): %s",
                       len(dropped), ", ".join(map(str, dropped[:10])))
        panel = panel[panel["population"].notna()]
    panel = panel.sort_values(["territory_code", "year"]).reset_index(drop=True)
    validate_panel(panel)
    panel.attrs["demo"] = long.attrs.get("demo", False)
    return panel


def validate_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Check the estimation panel: keys unique, balanced, counts non-negative."""
    required = ["territory_code", "year", "population", *COUNT_OUTCOMES, "first_label_year", "treated"]
    missing = [c for c in required if c not in panel.columns]
    if missing:
        raise InputError(f"panel column(s) {missing} missing; columns are {list(panel.columns)}")
    dup = panel.duplicated(["territory_code", "year"])
    if dup.any():
        raise InputError(f"{int(dup.sum())} duplicated territory-year rows in the panel")
    sizes = panel.groupby("territory_code").size()
    if sizes.nunique() > 1:
        raise InputError("the panel is unbalanced: territories have different numbers of years")
    neg = [c for c in COUNT_OUTCOMES if (panel[c] < 0).any()]
    if neg:
        raise InputError(f"negative counts in {neg}")
    return panel


def write_outputs(long: pd.DataFrame, panel: pd.DataFrame, out_dir: str | Path | None = None,
                  *, tag: str = "") -> dict[str, Path]:
    """Write ``long<tag>.parquet`` and ``panel_<level>_year<tag>.parquet`` atomically."""
    out = Path(out_dir) if out_dir else processed_dir()
    level = str(panel["level"].iloc[0]) if len(panel) else "empty"
    paths = {"long": out / f"long{tag}.parquet", "panel": out / f"panel_{level}_year{tag}.parquet"}
    with atomic_path(paths["long"], suffix=".parquet") as tmp:
        long.to_parquet(tmp, index=False)
    with atomic_path(paths["panel"], suffix=".parquet") as tmp:
        panel.to_parquet(tmp, index=False)
    return paths
