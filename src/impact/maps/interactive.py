"""Interactive Leaflet map (folium) that works offline, as one self-contained HTML file.

The map keeps the true geography (no insets): classed territories with the
same classes, colours and French legend as the static maps, and the PTCE as
markers with a popup each.

Offline by design: folium's pages load Leaflet, jQuery, Bootstrap and Font
Awesome from public CDNs, so without network (as in many public
administrations) they show a blank page. Here folium still builds the map
(its API, its GeoJSON and tooltip code), but its CDN links are dropped and
the vendored Leaflet (``vendor/leaflet``, BSD-2-Clause) is inlined instead;
popups are bound with Leaflet alone, so jQuery and Bootstrap are not needed.
Background tiles are off by default (no request leaves the machine) and on
with ``tiles=True`` or a tile name for readers who are online.

May import: :mod:`impact.maps.style`, :mod:`impact.maps.formatting`,
:mod:`impact.maps.classes`, :mod:`impact.maps.prepare`, :mod:`impact._io`,
:mod:`impact.errors`, folium and jinja2 (inside functions only: importing
:mod:`impact.maps` must not import folium), shapely, numpy, pandas. Not matplotlib's pyplot.
"""

from __future__ import annotations

import base64
import functools
import html
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from impact._io import atomic_path
from impact._options import check_options
from impact.errors import InputError
from impact.maps.classes import _class_colors, class_labels, classify
from impact.maps.formatting import _auto_decimals, format_fr
from impact.maps.prepare import MapLevel, _prepare, _ptce_located
from impact.maps.style import BASEMAP_CREDIT, MISSING_FACE, _category_style, _equals

if TYPE_CHECKING:  # folium is only needed for interactive maps
    import folium
    from branca.element import Figure

logger = logging.getLogger(__name__)

#: Version of the vendored Leaflet (see ``vendor/README.md``).
LEAFLET_VERSION = "1.9.4"
_VENDOR = Path(__file__).with_name("vendor") / "leaflet"

#: Tile layer used by ``tiles=True``.
DEFAULT_TILES = "OpenStreetMap"

#: Background of the map when there are no tiles: a pale blue-grey "sea".
_NO_TILES_BACKGROUND = "#eef2f5"

#: Decimals of the longitudes and latitudes written in the page (1e-5 degree: about 1 m).
_COORD_DECIMALS = 5

#: Class names given to the drawn SVG paths, so that a page (or a test) can tell
#: territories from PTCE markers; Leaflet adds its own ``leaflet-interactive``.
TERRITORY_CLASS = "impact-territory"
PTCE_CLASS = "impact-ptce"


# --------------------------------------------------------------------------- offline assets


def _png_data_uri(name: str) -> str:
    data = base64.b64encode((_VENDOR / "images" / name).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


@functools.cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS, ready to inline (``<script>`` and ``<style>`` bodies).

    The CSS's ``url(images/…)`` become ``data:`` URIs and the script ends by
    pointing Leaflet's default marker icon at them, so the page needs no file
    beside it; the ``sourceMappingURL`` comment is dropped (no map file is shipped).

    Returns
    -------
    tuple of str
        ``(javascript, css)``.

    Examples
    --------
    >>> js, css = leaflet_assets()
    >>> "url(images/" in css, css.count("data:image/png;base64")  # the three marker images
    (False, 3)
    """
    js = (_VENDOR / "leaflet.js").read_text(encoding="utf-8")
    css = (_VENDOR / "leaflet.css").read_text(encoding="utf-8")
    js = re.sub(r"^//# sourceMappingURL=.*$", "", js, flags=re.MULTILINE).rstrip()
    css = re.sub(r"url\(images/([\w.-]+\.png)\)", lambda mo: f"url({_png_data_uri(mo[1])})", css)
    # Default icons (a folium.Marker added by the caller): Leaflet guesses their folder
    # from the CSS, which a data: URI defeats, so the URLs are given explicitly.
    js += (
        "\nL.Icon.Default.imagePath = '';\nL.Icon.Default.mergeOptions({"
        f"iconUrl: '{_png_data_uri('marker-icon.png')}', "
        f"iconRetinaUrl: '{_png_data_uri('marker-icon-2x.png')}', "
        f"shadowUrl: '{_png_data_uri('marker-shadow.png')}'}});\n"
    )
    # Inlined text must not close its own element early.
    if re.search(r"</script", js, re.IGNORECASE) or re.search(r"</style", css, re.IGNORECASE):
        raise RuntimeError(f"vendored Leaflet in {_VENDOR} cannot be inlined (closing tag)")
    return js, css


def _raw_element(text: str) -> Any:
    """A branca element that writes ``text`` as is.

    ``Element(text)`` would parse the text as a Jinja template: braces in a
    legend label or ``{#`` in a script would be interpreted or dropped.
    """
    from folium import Element

    element = Element("{{ this.text }}")
    element.text = text  # type: ignore[attr-defined]  # template variables are attributes
    return element


def _make_offline(m: folium.Map) -> None:
    """Replace folium's CDN links by the inlined Leaflet (instance attributes, folium untouched)."""
    # JSCSSMixin.render adds a <script src>/<link href> per entry of these lists:
    # emptied on this instance only, other folium maps keep their defaults.
    m.default_js = []
    m.default_css = []
    js, css = leaflet_assets()
    header = cast("Figure", m.get_root()).header
    header.add_child(
        _raw_element(
            f"<style>{css}\n.leaflet-container{{background:{_NO_TILES_BACKGROUND}}}"
            # folium sets the container's font to 1rem, too big for the scale bar's box.
            ".leaflet-control-scale-line{font-size:11px}</style>"
        ),
        name="leaflet_css",
    )
    header.add_child(_raw_element(f"<script>{js}</script>"), name="leaflet")


def _tile_name(tiles: bool | str | None) -> str | None:
    """folium's ``tiles`` argument: ``None`` (no tiles) unless asked for."""
    if tiles is None or tiles is False:
        return None
    if tiles is True:
        return DEFAULT_TILES
    if isinstance(tiles, str) and tiles.strip():
        return tiles
    raise InputError(f"tiles={tiles!r}: expected False, True or a tile layer name")


def _bind_popup(marker: Any, content: str, max_width: int = 320) -> None:
    """Bind an HTML popup to a folium layer with Leaflet alone.

    folium's ``Popup`` parses its content with jQuery (``$(`…`)[0]``), which
    this offline page does not load; Leaflet's ``bindPopup`` takes the HTML string.
    """
    from folium import MacroElement
    from jinja2 import Template  # folium depends on jinja2 and builds its templates with it

    popup = MacroElement()
    # jinja's tojson escapes <, >, & and ' so the content cannot end the <script>.
    popup._template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindPopup({{ this.content|tojson }}, "
        "{maxWidth: {{ this.max_width|int }}});"
        "{% endmacro %}"
    )
    popup.content = content  # type: ignore[attr-defined]  # template variables are attributes
    popup.max_width = max_width  # type: ignore[attr-defined]
    marker.add_child(popup)


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


def _html_legend(
    title: str | None,
    entries: list[tuple[str, str]],
    points: list[tuple[str, str]] | None = None,
    note: str | None = None,
) -> str:
    """Fixed legend box (bottom right): the classes (square swatches), the PTCE (dots), a note."""
    items = "".join(
        f"<li><span class='sw' style='background:{color}'></span>{html.escape(label)}</li>"
        for label, color in entries
    )
    dots = "".join(
        f"<li><span class='pt' style='background:{color}'></span>{html.escape(label)}</li>"
        for label, color in points or []
    )
    head = (
        f"<div style='font-weight:bold;margin-bottom:4px'>{html.escape(title)}</div>"
        if title and entries
        else ""
    )
    return (
        "<div class='impact-legend' style=\"position:fixed;bottom:28px;right:12px;z-index:1000;"
        "background:rgba(255,255,255,.9);padding:6px 10px;border-radius:4px;"
        'font:12px sans-serif;color:#262626;box-shadow:0 0 4px rgba(0,0,0,.3)">'
        + head
        + (f"<ul style='list-style:none;margin:0;padding:0'>{items}</ul>" if entries else "")
        + (
            f"<ul style='list-style:none;margin:{6 if entries else 0}px 0 0;padding:0'>{dots}</ul>"
            if dots
            else ""
        )
        + (
            f"<div style='margin-top:4px;font-size:10px;color:#595959'>{html.escape(note)}</div>"
            if note
            else ""
        )
        + "</div>"
        "<style>.impact-legend .sw,.impact-legend .pt{display:inline-block;width:14px;height:14px;"
        "margin-right:6px;vertical-align:middle;border:1px solid #bbb}"
        ".impact-legend .pt{width:10px;height:10px;margin:0 8px 0 2px;border-radius:50%;"
        "border-color:#fff;box-shadow:0 0 0 1px #999}</style>"
    )


def _ptce_groups(ptce: gpd.GeoDataFrame) -> list[tuple[gpd.GeoDataFrame, str, str]]:
    """PTCE in EPSG:4326 split by call: ``(points, colour, label)``, as on the static maps."""
    pts = _ptce_located(ptce).to_crs("EPSG:4326")
    if "call" not in pts.columns:
        return [(pts, "#d7301f", "PTCE")]
    groups = [
        (pts[_equals(pts["call"], value)], color, label)
        for value, (color, _marker, label) in _category_style(pts["call"]).items()
    ]
    groups.append((pts[pts["call"].isna().to_numpy(dtype=bool)], "#7f7f7f", "Non renseigné"))
    return [g for g in groups if len(g[0])]


@check_options
def interactive_map(
    data: pd.DataFrame | gpd.GeoDataFrame | pd.Series | None,
    column: str | None,
    ptce: gpd.GeoDataFrame | None = None,
    *,
    level: MapLevel = "departement",
    path: str | Path | None = None,
    tooltip: Sequence[str] | bool | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlGnBu",
    legend_title: str | None = None,
    missing_label: str = "Donnée manquante",
    title: str | None = None,
    tiles: bool | str | None = False,
    simplify: float | None = None,
) -> folium.Map:
    """Interactive Leaflet map (folium): classed territories and PTCE markers, offline.

    True geography (no insets): pan to the overseas départements. The classes
    are those of :func:`classify` with the same French legend labels and
    colours as the static maps. The page is self-contained: Leaflet is inlined
    (no CDN), so it draws without network.

    Parameters
    ----------
    data, column, level
        As in :func:`choropleth`; ``data=None`` draws only the PTCE.
    ptce
        PTCE points; each marker has a popup with name, commune, call and grant.
    path
        Write a standalone HTML file (atomically) that needs no network.
    tooltip
        Columns shown on hover (default: name, code and the formatted value).
    scheme, k, bins, cmap, legend_title, missing_label
        Classification and legend.
    title
        Shown at the top of the map.
    tiles
        Background tiles: ``False`` (default) draws none, so no request leaves
        the machine; ``True`` uses OpenStreetMap, a string is a folium tile name
        (both need network when the page is opened).
    simplify
        Simplification tolerance in degrees (default 0.002, ~200 m: invisible
        at national zoom and divides the file size; ``0`` keeps the polygons).

    Returns
    -------
    folium.Map
        Rendered with :meth:`folium.Map.save` or ``get_root().render()``; the
        territories are SVG paths of class ``impact-territory``, the PTCE of
        class ``impact-ptce``.

    Examples
    --------
    Four squares in place of territories and two poles:

    >>> import re
    >>> import geopandas as gpd, shapely
    >>> squares = gpd.GeoDataFrame(
    ...     {"code": ["A", "B", "C", "D"], "taux": [1.5, 2.0, 3.5, np.nan]},
    ...     geometry=[shapely.box(x, y, x + 1, y + 1)
    ...               for x, y in [(0, 46), (1, 47), (2, 46), (1, 45)]],
    ...     crs="EPSG:4326")
    >>> poles = gpd.GeoDataFrame(
    ...     {"name": ["Pôle A", "Pôle B"], "call": [2013, 2015], "departement": ["29", "35"]},
    ...     geometry=[shapely.Point(0.5, 46.5), shapely.Point(2.5, 46.5)], crs="EPSG:4326")
    >>> page = interactive_map(squares, "taux", poles, k=2).get_root().render()
    >>> page.count("impact-ptce"), re.findall(r'<script src="([^"]+)"', page)  # no CDN
    (2, [])
    """
    import folium

    tile_name = _tile_name(tiles)
    m = folium.Map(location=[46.6, 2.4], zoom_start=6, tiles=tile_name, control_scale=True)
    _make_offline(m)
    if tile_name is not None:
        logger.info("Background tiles %r: the page requests them when opened (network)", tile_name)
    entries: list[tuple[str, str]] = []
    shown = None
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
        geoms = gdf.geometry.to_numpy()
        if simplify:
            geoms = shapely.simplify(geoms, simplify, preserve_topology=True)
        # Coordinates to 1e-5 degree (about 1 m): folium writes every float with
        # 15-17 digits, and these digits are half of the file.
        gdf["geometry"] = shapely.transform(geoms, lambda xy: np.round(xy, _COORD_DECIMALS))
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
                "className": TERRITORY_CLASS,
            },
            name=shown,
            highlight=True,
        )
        entries = list(zip(labels, colors, strict=True))[::-1]
        if (cls < 0).any():
            entries.append((missing_label, MISSING_FACE))
    points: list[tuple[str, str]] = []
    if ptce is not None:
        for part, color, label in _ptce_groups(ptce):
            group = folium.FeatureGroup(name=f"PTCE – {label}", show=True)
            for _, row in part.iterrows():
                marker = folium.CircleMarker(
                    location=[row.geometry.y, row.geometry.x],
                    radius=6,
                    color="white",
                    weight=1.2,
                    fill=True,
                    fill_color=color,
                    fill_opacity=0.95,
                    tooltip=html.escape(str(row.get("name", ""))),
                    className=PTCE_CLASS,
                )
                _bind_popup(marker, _popup_html(row))
                marker.add_to(group)
            group.add_to(m)
            points.append((label, color))
    if entries or points:
        note = BASEMAP_CREDIT[0].upper() + BASEMAP_CREDIT[1:] if entries else None
        cast("Figure", m.get_root()).html.add_child(
            _raw_element(_html_legend(shown, entries, points, note)), name="impact_legend"
        )
    if title:
        cast("Figure", m.get_root()).html.add_child(
            _raw_element(
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
