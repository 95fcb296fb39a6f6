"""What a map draws: territories joined to their values, PTCE locations, the inset layout.

Turns the caller's data (GeoDataFrame, DataFrame of codes, Series) into the
territories to draw with a numeric ``value`` and their ``departement`` (so
that the overseas ones can be moved into insets), and the PTCE frame into
points. No drawing here.

May import: :mod:`impact.territories`, :mod:`impact.errors`, geopandas,
numpy, pandas. Not matplotlib nor folium.
"""

from __future__ import annotations

import functools
import logging
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.territories import (
    boundaries,
    boundary_cache_path,
    departement_of,
    inset_layout,
    normalize_code,
)
from impact.territories.boundaries import OVERSEAS_REGION_TO_DEPARTEMENT
from impact.territories.geography import LAMBERT93

#: Départements drawn in insets (those of :data:`OVERSEAS_REGION_TO_DEPARTEMENT`).
OVERSEAS_DEPARTEMENTS = tuple(OVERSEAS_REGION_TO_DEPARTEMENT.values())

logger = logging.getLogger(__name__)

#: Levels a map can draw (those of :data:`impact.territories.BOUNDARY_LEVELS`; a test
#: checks they agree), as a type checked by :func:`impact._options.check_options`.
MapLevel = Literal["commune", "epci", "departement", "region", "france"]


def _key_column(df: pd.DataFrame) -> str:
    for col in ("territory_code", "code"):
        if col in df.columns:
            return col
    raise InputError(
        "the data need a 'territory_code' or 'code' column (or a GeoDataFrame)",
        column="territory_code",
    )


def _departements_for(codes: pd.Series, level: str) -> pd.Series:
    """Département of each territory code, so that :func:`inset_layout` finds the overseas ones."""
    codes = codes.astype("string")
    if level == "commune":
        return departement_of(codes)
    if level == "departement":
        return codes
    if level == "region":
        return codes.map(OVERSEAS_REGION_TO_DEPARTEMENT).astype("string")
    if level == "epci":
        dep = boundaries("epci").set_index("code")["departement"]
        return codes.map(dep).astype("string")
    return pd.Series(pd.NA, index=codes.index, dtype="string")


def _prepare(
    data: pd.DataFrame | pd.Series | gpd.GeoDataFrame,
    column: str | None,
    level: MapLevel,
) -> gpd.GeoDataFrame:
    """The territories to draw (EPSG:4326) with ``value`` and a ``departement`` column."""
    if isinstance(data, pd.Series):
        column = column or data.name or "value"
        data = data.rename(column).rename_axis("code").reset_index()
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a DataFrame or GeoDataFrame, not {type(data).__name__}")
    if column is None:
        raise InputError("column= is needed: the numeric column to map")
    has_geometry = (
        isinstance(data, gpd.GeoDataFrame)
        and data._geometry_column_name in data.columns
        and data.geometry.notna().any()
    )
    if has_geometry:
        if data.crs is None:
            raise InputError("the GeoDataFrame has no CRS")
        gdf = data.copy()
        if "departement" not in gdf.columns:
            if "code" in gdf.columns:
                lvl = (
                    gdf["level"].astype("string")
                    if "level" in gdf.columns
                    else pd.Series(level, index=gdf.index)
                )
                gdf["departement"] = pd.concat(
                    [
                        _departements_for(gdf.loc[lvl == lv, "code"], str(lv))
                        for lv in pd.unique(lvl)
                    ]
                ).reindex(gdf.index)
            else:
                gdf["departement"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
                logger.warning(
                    "GeoDataFrame without 'code' or 'departement': overseas territories "
                    "cannot be moved into insets"
                )
    else:
        df = data.reset_index() if data.index.name in ("territory_code", "code") else data.copy()
        key = _key_column(df)
        df["code"] = (
            normalize_code(df[key], "commune" if level == "commune" else level, errors="coerce")
            if level != "france"
            else df[key].astype("string")
        )
        if key != "code":
            df = df.drop(columns=key)
        dup = df["code"].dropna()
        dup = dup[dup.duplicated()]
        if len(dup):
            raise InputError(
                f"{len(dup)} territory codes appear more than once, e.g. "
                f"{', '.join(pd.unique(dup).astype(str)[:5])}; one row per territory is needed",
                column=key,
            )
        df = df[df["code"].notna()]
        geo = boundaries(level)
        unknown = ~df["code"].isin(geo["code"])
        if unknown.any():
            logger.warning(
                "%d of %d codes are not %s codes of the current geography and are not drawn: %s",
                int(unknown.sum()),
                len(df),
                level,
                ", ".join(df.loc[unknown, "code"].astype(str)[:8]),
            )
        if level == "commune":
            logger.info("Commune level: %d territories to draw", len(geo))
        df = df.drop(columns=[c for c in ("name", "level", "geometry") if c in df.columns])
        if isinstance(df, gpd.GeoDataFrame):
            df = pd.DataFrame(df)
        gdf = geo.merge(df, on="code", how="left", suffixes=("_fond", ""))
        gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=geo.crs)
        if "departement" not in gdf.columns:
            gdf["departement"] = _departements_for(gdf["code"], level)
    if column not in gdf.columns:
        # (a boundary column such as "population" is accepted for plain DataFrames)
        raise InputError(
            f"column {column!r} is not in the data (columns: {', '.join(map(str, data.columns))})",
            column=column,
        )
    values = gdf[column]
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise InputError(f"column {column!r} must be numeric (dtype {values.dtype})", column=column)
    gdf["value"] = values.to_numpy(dtype=float, na_value=np.nan)
    return gdf


def _split_overseas(gdf: gpd.GeoDataFrame, insets: bool) -> gpd.GeoDataFrame:
    """Map coordinates: insets for the DROM, or metropolitan France only."""
    overseas = gdf["departement"].astype("string").isin(OVERSEAS_DEPARTEMENTS).fillna(False)
    if not overseas.any():
        # Nothing to move: inset_layout would still build the national boundaries to size
        # the insets (seconds on a cold cache), only to project to Lambert-93 like this.
        laid = gdf.to_crs(LAMBERT93)
        laid["inset"] = False
        return laid
    laid = inset_layout(gdf, departement_col="departement")
    if not insets:
        n = int(laid["inset"].sum())
        if n:
            logger.info("insets=False: %d overseas rows not drawn (metropolitan map)", n)
        laid = laid[~laid["inset"]]
    return laid


@functools.cache
def _layout_cached(level: str, cache_key: str) -> gpd.GeoDataFrame:
    return inset_layout(
        boundaries(level), departement_col="departement" if level in ("commune", "epci") else None
    )


def _layout(level: str) -> gpd.GeoDataFrame:
    """Boundaries of a level in inset map coordinates (memoised per cache file)."""
    return _layout_cached(level, str(boundary_cache_path(level)))


def _ptce_located(ptce: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The PTCE that have a location, each as a point (a commune polygon: a point inside it)."""
    if not isinstance(ptce, gpd.GeoDataFrame):
        raise InputError("ptce must be a GeoDataFrame of points (impact.ptce.load())")
    if ptce.crs is None:
        raise InputError("the PTCE GeoDataFrame has no CRS")
    pts = ptce[ptce.geometry.notna() & ~ptce.geometry.is_empty].copy()
    if len(pts) < len(ptce):
        logger.warning("%d PTCE without a location are not drawn", len(ptce) - len(pts))
    if not (pts.geom_type == "Point").all():
        pts = pts.set_geometry(pts.geometry.representative_point())
    return pts


def _ptce_layout(ptce: gpd.GeoDataFrame, insets: bool) -> gpd.GeoDataFrame:
    """PTCE points in map coordinates, the overseas ones in the insets of their département."""
    pts = _ptce_located(ptce)
    if "departement" not in pts.columns:
        if "commune_code" not in pts.columns:
            raise InputError(
                "PTCE need a 'departement' or 'commune_code' column to be placed in insets",
                column="departement",
            )
        pts["departement"] = departement_of(pts["commune_code"])
    pts["departement"] = pts["departement"].astype("string")
    return _split_overseas(pts, insets)
