"""Matplotlib building blocks of the static maps: polygons, borders, insets, layout, texts, legends.

Fills and outlines are drawn as single collections built with vectorised
shapely (fast even for 35,000 communes); the figure is laid out with the
title block above the map and the source line below it; the overseas insets
get their frames, names and « non à l'échelle » note; legends are anchored in
map coordinates so that several can coexist.

May import: :mod:`impact.maps.style`, :mod:`impact.maps.prepare`,
:mod:`impact.territories`, matplotlib, shapely, numpy. Not folium.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any, cast

import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.legend import Legend
from matplotlib.path import Path as MplPath

from impact.maps.prepare import _layout
from impact.maps.style import (
    BASEMAP_CREDIT,
    BORDER_COLOR,
    DEMO_NOTE,
    FRAME_COLOR,
    INSET_NOTE,
    NATIONAL_EXTENT,
    NOTE_COLOR,
    REGION_BORDER_COLOR,
    TEXT_COLOR,
)
from impact.territories import inset_frames

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Figure layout when the functions create the figure (inches): the map is
# centred with the title block above it and the source line below it.
_SIDE_MARGIN = 0.15
_TOP_MARGIN = 0.12
_TITLE_H = 0.42
_SUBTITLE_H = 0.28
_SOURCE_H = 0.3


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
    fig = cast("Figure", ax.figure)
    fw, fh = fig.get_size_inches()
    top = _TOP_MARGIN + (_TITLE_H if title else 0.0) + (_SUBTITLE_H if subtitle else 0.0)
    bottom = _SOURCE_H
    avail_w, avail_h = fw - 2 * _SIDE_MARGIN, fh - top - bottom - 2 * _TOP_MARGIN
    aspect = (xmax - xmin) / (ymax - ymin)
    w, h = (
        (avail_w, avail_w / aspect) if avail_w / avail_h < aspect else (avail_h * aspect, avail_h)
    )
    y0 = (fh - (top + h + bottom)) / 2 + bottom
    ax.set_position(((fw - w) / 2 / fw, y0 / fh, w / fw, h / fh))


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
        loc=cast(Any, loc),  # one of matplotlib's location strings, checked by Legend
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
    """The legends this module added to ``ax`` (classes first, then PTCE).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> import matplotlib.pyplot as plt
    >>> from impact.maps import choropleth
    >>> squares = gpd.GeoDataFrame(
    ...     {"code": ["A", "B", "C", "D"], "taux": [1.5, 2.0, 3.5, np.nan]},
    ...     geometry=[shapely.box(x, y, x + 1, y + 1)
    ...               for x, y in [(0, 46), (1, 47), (2, 46), (1, 45)]],
    ...     crs="EPSG:4326")
    >>> res = choropleth(squares, "taux", k=2, insets=False, borders=False,
    ...                  legend_title="Pour 100 entreprises")
    >>> [legend.get_title().get_text() for legend in legends(res.ax)]
    ['Pour 100 entreprises']
    >>> plt.close(res.fig)
    """
    return [a for a in ax.get_children() if isinstance(a, Legend)]


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
