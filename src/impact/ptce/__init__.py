"""The PTCE registry: Pôles territoriaux de coopération économique and where each one is.

The registry is a small CSV that belongs to the project (``data/raw/ptce.csv``)
with one row per lauréat of the State calls for projects and the public
source of each row:

``ptce_id, name, precision, commune_code, commune_name, departement, region,
call, label_year, grant_eur, source_url, notes``

``precision`` says how finely a public source places the lauréat:

===============  ==========================  ========================================
precision        place column required       meaning
===============  ==========================  ========================================
``commune``      ``commune_code``            the commune is known (COG code, a
                                             former commune is harmonised to 2025)
``departement``  ``departement``             only the département is known
``region``       ``region``                  only the région is known
``unknown``      none                        a lauréat whose place no source gives
===============  ==========================  ========================================

``call`` is the call for projects (2013 or 2015), ``label_year`` the year of
the label (2014 for the 2013 call, 2016 for the 2015 call); ``grant_eur`` may
be empty, and when given lies in its call's published range (72,000–290,000 €
for the 2013 call, 26,000–290,000 € for the 2015 call). A registry without a
``precision`` column (the layout before 2026) is read as all-commune.

Entry points
------------
:func:`read_registry`
    Every row validated; ``departement``, ``region`` and ``epci`` filled from the
    finest place known.
:func:`load`
    PTCE points on their commune (for maps); rows without a commune are left out
    and counted.
:func:`placement`
    The lauréats placed at an analysis level, and the territories of that level
    that may hold a lauréat placed only more coarsely (``uncertain``).
:func:`treatment`
    The registry as a treatment table for :func:`impact.panel.build_panel`
    (``territory_code, first_treated, intensity``), the uncertain territories
    to leave out in its ``attrs``.
"""

from impact.ptce.placement import Placement, placement
from impact.ptce.registry import (
    CALLS,
    COLUMNS,
    GRANT_RANGE,
    LAUREATES,
    PLACEMENT_LEVELS,
    PRECISIONS,
    REQUIRED,
    demo_registry,
    load,
    read_registry,
)
from impact.ptce.treatment import treatment

__all__ = [
    "CALLS",
    "COLUMNS",
    "GRANT_RANGE",
    "LAUREATES",
    "PLACEMENT_LEVELS",
    "PRECISIONS",
    "REQUIRED",
    "Placement",
    "demo_registry",
    "load",
    "placement",
    "read_registry",
    "treatment",
]
