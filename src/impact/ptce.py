"""The PTCE registry: Pôles territoriaux de coopération économique, located on their commune.

The registry is a small CSV that belongs to the project (``data/raw/ptce.csv``)
with one row per PTCE and the public source of each row:

``ptce_id, name, commune_code, commune_name, departement, call, label_year,
grant_eur, source_url, notes``

``call`` is the call for projects (2013 or 2015), ``label_year`` the year
of the label (2014 for the 2013 call, 2016 for the 2015 call); ``grant_eur``
may be empty. :func:`load` validates it (errors name the file, line, column
and value), checks every commune code against the territory layer and returns
points on the communes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from impact.config import raw_dir
from impact.errors import InputError, UnknownCodeError

logger = logging.getLogger(__name__)

COLUMNS = ["ptce_id", "name", "commune_code", "commune_name", "departement", "call", "label_year",
           "grant_eur", "source_url", "notes"]
REQUIRED = ["ptce_id", "name", "commune_code", "call", "label_year", "source_url"]
CALLS = {2013: 2014, 2015: 2016}


def _validate(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; columns found: {list(df.columns)}", path=path)
    if df.empty:
        raise InputError("the registry has no row", path=path)
    for col in ("call", "label_year", "grant_eur"):
        if col not in df.columns:
            continue
        num = pd.to_numeric(df[col].replace("", pd.NA), errors="coerce")
        bad = df[col].notna() & (df[col].astype(str).str.strip() != "") & num.isna()
        if bad.any():
            i = int(bad.idxmax())
            raise InputError(f"expected a number, found {df.loc[i, col]!r}", path=path, line=i + 2, column=col)
        df[col] = num
    for i, (c, y) in enumerate(zip(df["call"], df["label_year"], strict=True)):
        if c not in CALLS:
            raise InputError(f"call must be 2013 or 2015, found {c!r}", path=path, line=i + 2, column="call")
        if y != CALLS[c]:
            raise InputError(f"label_year {y!r} does not match call {int(c)} (expected {CALLS[c]})",
                             path=path, line=i + 2, column="label_year")
    dup = df["ptce_id"].duplicated(keep=False)
    if dup.any():
        raise InputError(f"duplicated ptce_id: {sorted(df.loc[dup, 'ptce_id'].astype(str).unique())}", path=path,
                         column="ptce_id")
    return df


def load(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Read and validate the registry; return PTCE points on their commune (EPSG:4326).

    Columns added from the territory layer: ``departement``, ``region``,
    ``epci`` and the commune's ``commune_name`` when blank. The point is the
    commune polygon's representative point.

    Raises
    ------
    InputError
        Missing columns, a non-numeric call, year or grant (with file, line,
        column and value), a call other than 2013/2015, an inconsistent label
        year, duplicated identifiers.
    UnknownCodeError
        Commune codes absent from the current geography (listed).
    """
    from impact.territories import communes, normalize_code

    path = Path(path) if path else raw_dir() / "ptce.csv"
    if not path.exists():
        raise InputError(f"PTCE registry not found at {path}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = _validate(df, path)
    flags = normalize_code(df["commune_code"], "commune", errors="flag", arrondissements="commune")
    if not flags["valid"].all():
        raise UnknownCodeError(flags.loc[~flags["valid"], "input"].astype(str), "commune", path=path,
                               column="commune_code")
    df["commune_code"] = flags["code"].astype(str).to_numpy()
    com = communes().set_index("code")
    missing = ~df["commune_code"].isin(com.index)
    if missing.any():  # former communes: harmonise to the current one
        from impact.territories import commune_mapping

        df.loc[missing, "commune_code"] = df.loc[missing, "commune_code"].map(commune_mapping())
    geo = com.loc[df["commune_code"]]
    out = gpd.GeoDataFrame(
        df.assign(departement=geo["departement"].to_numpy(), region=geo["region"].to_numpy(),
                  epci=geo["epci"].to_numpy(),
                  commune_name=[n or c for n, c in zip(df.get("commune_name", [""] * len(df)), geo["name"], strict=True)]),
        geometry=geo.geometry.representative_point().to_numpy(), crs="EPSG:4326",
    )
    out["call"] = out["call"].astype(int)
    out["label_year"] = out["label_year"].astype(int)
    return out


def demo_registry(folder: str | Path) -> gpd.GeoDataFrame:
    """The PTCE of the demonstration data (``ptce_treatment.csv`` written by :mod:`impact.demo`).

    When the demonstration was generated from the real registry, the registry
    itself is returned (real names and sources; only the outcomes around them
    are simulated). When the registry was absent, these are seeded draws of
    communes, named "PTCE fictif n" so they are never mistaken for real poles.
    """
    t = pd.read_csv(Path(folder) / "ptce_treatment.csv", dtype={"commune": str})
    if len(t) and (t["origin"] == "registry").all():
        try:
            real = load()
        except InputError as exc:
            logger.warning("PTCE registry unreadable (%s): the demonstration's PTCE are unnamed", exc)
        else:
            if sorted(real["commune_code"]) == sorted(t["commune"]):
                return real
            logger.warning("the PTCE registry changed since the demonstration was generated: "
                           "regenerate it with 'impact demo --force' to use the new one")
    from impact.territories import communes

    com = communes().set_index("code")
    geo = com.loc[t["commune"]]
    return gpd.GeoDataFrame(
        {"ptce_id": [f"demo-{i + 1}" for i in range(len(t))],
         "name": [f"PTCE fictif {i + 1}" if o != "registry" else f"PTCE {i + 1}" for i, o in enumerate(t["origin"])],
         "commune_code": t["commune"].to_numpy(), "commune_name": geo["name"].to_numpy(),
         "departement": geo["departement"].to_numpy(), "region": geo["region"].to_numpy(),
         "call": t["label_year"].map({2014: 2013, 2016: 2015}).to_numpy(),
         "label_year": t["label_year"].to_numpy(),
         "grant_eur": t["label_year"].map({2014: 3_000_000 / 23, 2016: 2_700_000 / 14}).to_numpy()},
        geometry=geo.geometry.representative_point().to_numpy(), crs="EPSG:4326")
