"""The canonical long table and the wide estimation panel.

:func:`build_long` gathers whatever sources are available — the
demonstration files, real files found in a folder, or explicit paths — into
the canonical long format (:func:`impact.schema.long_schema`), reading every
file with the same readers (:mod:`impact.sources`). :func:`build_panel` turns
it into one row per territory × period at a chosen level and frequency:

* **outcomes** as counts summed from the communes, and **per 10,000
  inhabitants** re-derived from the aggregated count and population (never
  an average of communal rates);
* **treatment**: from a treatment table (``treatment=``: any programme, at any
  level; by default the PTCE registry, :func:`impact.ptce.treatment`):
  ``first_label_year`` (0 for never treated, the ``group`` convention of
  :func:`impact.estimate.att_gt`), ``intensity``, ``ptce_count``, ``treated``
  and spending (``spending_eur``, ``spending_per_inhabitant``);
* **covariates**: population, salaried jobs (summed), the unemployment rate
  (as published at the panel level when it is, otherwise re-aggregated from
  département rates with population weights);
* names, région and département codes.

The panel is balanced (every territory × every period; territories without
population — Mayotte's communes in COG 2025 — are dropped and listed in
``panel.attrs["dropped"]``). :func:`write_outputs` writes both tables as
Parquet, all or nothing. See ``docs/data_dictionary.md`` for every column.

The package holds one concept per module:

* :mod:`impact.panel.long` — :func:`build_long`, the canonical long table;
* :mod:`impact.panel.treatment` — PTCE placement, treatment and spending tables;
* :mod:`impact.panel.treatment_table` — a treatment given as data (any programme, any level);
* :mod:`impact.panel.estimation` — :func:`build_panel`, the balanced estimation panel;
* :mod:`impact.panel.periods` — period strings and the time index;
* :mod:`impact.panel.outputs` — :func:`write_outputs`, all-or-nothing Parquet.
"""

from impact.panel.estimation import COUNT_OUTCOMES, PER, build_panel, validate_panel
from impact.panel.long import (
    DATA_SOURCES,
    REAL_PATTERNS,
    SOURCE_KEYS,
    build_long,
    find_real_files,
    real_folders,
)
from impact.panel.outputs import output_paths, write_outputs
from impact.panel.treatment import (
    CALL_ENVELOPES,
    pole_grants,
    ptce_list,
    spending_table,
    spending_treatment,
    treatment_table,
)
from impact.panel.treatment_table import read_treatment, treatment_at_level

__all__ = [
    "CALL_ENVELOPES",
    "COUNT_OUTCOMES",
    "DATA_SOURCES",
    "PER",
    "REAL_PATTERNS",
    "SOURCE_KEYS",
    "build_long",
    "build_panel",
    "find_real_files",
    "output_paths",
    "pole_grants",
    "ptce_list",
    "read_treatment",
    "real_folders",
    "spending_table",
    "spending_treatment",
    "treatment_at_level",
    "treatment_table",
    "validate_panel",
    "write_outputs",
]
