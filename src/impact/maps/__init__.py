"""Maps for the notebooks and reports: classed choropleths, PTCE points, interactive maps.

The static maps follow the conventions of INSEE and IGN national maps:
metropolitan France in Lambert-93, the five overseas départements (DROM) in
boxes west of Brittany (not to scale), light grey borders, a classed legend
with French number formatting, the title at the top and the source line at the
bottom. The interactive map keeps the true geography (no insets) and works
offline (Leaflet inlined, no background tiles unless asked for).

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

Modules, each importing only those above it
-------------------------------------------
:mod:`~impact.maps.style`
    Colours, marker shapes, French notes, PTCE categories.
:mod:`~impact.maps.formatting`
    French numbers.
:mod:`~impact.maps.classes`
    Classification, legend labels, class colours.
:mod:`~impact.maps.prepare`
    Territories joined to their values, PTCE locations, inset layout.
:mod:`~impact.maps.drawing`
    Matplotlib building blocks: polygons, borders, insets, layout, texts, legends.
:mod:`~impact.maps.points`
    PTCE points and label placement.
:mod:`~impact.maps.static`
    Choropleths, PTCE maps, saving figures.
:mod:`~impact.maps.interactive`
    The offline Leaflet map (imports folium only when called).

This package only re-exports their public names.

Examples
--------
With real data, ``rates`` a table of département codes and values and
``ptce = impact.ptce.load()``: ``maps.choropleth(rates, "tpe_per_10k")``,
``maps.ptce_map(ptce, background=rates, column="tpe_per_10k")``. Here four
squares stand for the territories:

>>> import tempfile
>>> from pathlib import Path
>>> import geopandas as gpd, shapely
>>> import matplotlib.pyplot as plt
>>> from impact import maps
>>> squares = gpd.GeoDataFrame(
...     {"code": ["A", "B", "C", "D"], "taux": [1.5, 2.0, 3.5, 0.5]},
...     geometry=[shapely.box(x, y, x + 1, y + 1)
...               for x, y in [(0, 46), (1, 47), (2, 46), (1, 45)]],
...     crs="EPSG:4326")
>>> res = maps.choropleth(squares, "taux", k=2, insets=False, borders=False,
...                       title="Créations pour 100 entreprises")
>>> with tempfile.TemporaryDirectory() as folder:
...     print(maps.save_figure(res.fig, Path(folder) / "carte").name)
carte.png
>>> plt.close(res.fig)
"""

from __future__ import annotations

# Every public name of the former single module stays importable from here.
from impact.maps.classes import SCHEMES, ZERO_CLASS_SHARE, class_labels, classify
from impact.maps.drawing import legends
from impact.maps.formatting import MINUS, NNBSP, format_fr, fr_formatter
from impact.maps.interactive import interactive_map
from impact.maps.points import ptce_points
from impact.maps.static import MapResult, choropleth, ptce_map, save_figure
from impact.maps.style import (
    BASEMAP_CREDIT,
    BORDER_COLOR,
    CALL_COLORS,
    CALL_LABELS,
    CALL_MARKERS,
    DEMO_NOTE,
    FRAME_COLOR,
    INSET_NOTE,
    MISSING_FACE,
    MISSING_HATCH,
    MISSING_HATCH_COLOR,
    NATIONAL_EXTENT,
    NOTE_COLOR,
    REGION_BORDER_COLOR,
    TEXT_COLOR,
)

__all__ = [
    "BASEMAP_CREDIT",
    "BORDER_COLOR",
    "CALL_COLORS",
    "CALL_LABELS",
    "CALL_MARKERS",
    "DEMO_NOTE",
    "FRAME_COLOR",
    "INSET_NOTE",
    "MINUS",
    "MISSING_FACE",
    "MISSING_HATCH",
    "MISSING_HATCH_COLOR",
    "MapResult",
    "NATIONAL_EXTENT",
    "NNBSP",
    "NOTE_COLOR",
    "REGION_BORDER_COLOR",
    "SCHEMES",
    "TEXT_COLOR",
    "ZERO_CLASS_SHARE",
    "choropleth",
    "class_labels",
    "classify",
    "format_fr",
    "fr_formatter",
    "interactive_map",
    "legends",
    "ptce_map",
    "ptce_points",
    "save_figure",
]

# The package's doctests (doctest.testmod(impact.maps)) are those of the modules.
__test__ = {"format_fr": format_fr}
