"""PTCE points on a static map: markers by call, co-located poles spread, names placed.

The poles are drawn on their commune (the overseas ones in the insets, like
the choropleth underneath), coloured and shaped by call for the 2013 and 2015
calls; several poles of one commune are spread on a small ring; names are
placed greedily around their point without overlapping names, points, legends
or the figure's edge.

May import: :mod:`impact.maps.style`, :mod:`impact.maps.prepare`,
:mod:`impact.maps.drawing`, :mod:`impact.territories`, :mod:`impact.errors`,
matplotlib, shapely, numpy, pandas, geopandas. Not folium.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects as pe
from matplotlib.lines import Line2D

from impact.errors import InputError
from impact.maps.drawing import (
    _POINT_LEGEND_ANCHOR,
    _draw_background,
    _legend,
    _new_figure,
    _style_axes,
    legends,
)
from impact.maps.prepare import _ptce_layout
from impact.maps.style import TEXT_COLOR, _as_int, _category_style, _equals
from impact.territories import inset_frames

if TYPE_CHECKING:
    from matplotlib.axes import Axes

logger = logging.getLogger(__name__)


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

    Examples
    --------
    Over a map of four squares (``impact.ptce.load()`` gives the real poles):

    >>> import geopandas as gpd, shapely
    >>> import matplotlib.pyplot as plt
    >>> from impact.maps import choropleth
    >>> squares = gpd.GeoDataFrame(
    ...     {"code": ["A", "B", "C", "D"], "taux": [1.5, 2.0, 3.5, np.nan]},
    ...     geometry=[shapely.box(x, y, x + 1, y + 1)
    ...               for x, y in [(0, 46), (1, 47), (2, 46), (1, 45)]],
    ...     crs="EPSG:4326")
    >>> poles = gpd.GeoDataFrame(
    ...     {"name": ["Pôle A", "Pôle B"], "call": [2013, 2015], "departement": ["29", "35"]},
    ...     geometry=[shapely.Point(0.5, 46.5), shapely.Point(2.5, 46.5)], crs="EPSG:4326")
    >>> res = choropleth(squares, "taux", k=2, insets=False, borders=False)
    >>> ax = ptce_points(poles, ax=res.ax, insets=False)
    >>> sorted(c.get_gid() for c in ax.collections if "ptce" in str(c.get_gid()))
    ['ptce-2013', 'ptce-2015']
    >>> sorted(t.get_text() for t in ax.texts if t.get_gid() == "ptce-label")
    ['Pôle A', 'Pôle B']
    >>> plt.close(res.fig)
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
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg-like canvases
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
