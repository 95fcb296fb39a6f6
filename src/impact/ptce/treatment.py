"""The PTCE registry as a provider of treatment tables.

:func:`treatment` turns the registry (or the demonstration's own PTCE) into the
table :func:`impact.panel.build_panel` takes as ``treatment``: one row per
territory of a level that holds a placed lauréat, with its first label year
and its number of lauréats as intensity. The lauréats placed only more
coarsely than the level make territories *uncertain*; those to leave out
under ``uncertain="exclude"`` are listed in ``attrs["excluded"]``.

May import: :mod:`impact.ptce.placement`, :mod:`impact.panel.treatment`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import pandas as pd

from impact._options import check_options

logger = logging.getLogger(__name__)

__all__ = ["treatment"]


@check_options
def treatment(
    level: Literal["commune", "epci", "departement", "region"],
    *,
    uncertain: Literal["exclude", "keep"] = "exclude",
    demo_folder: str | Path | None = None,
) -> pd.DataFrame:
    """The PTCE treatment table at ``level``: who holds a lauréat, from which year.

    Parameters
    ----------
    level
        Territory level of the panel.
    uncertain
        ``"exclude"``: list in ``attrs["excluded"]`` the territories that may
        hold a lauréat the registry places only more coarsely (a treated
        territory counted as a control biases the effect towards zero), unless
        a placed lauréat treats them no later; ``"keep"``: list none.
    demo_folder
        A demonstration folder (:func:`impact.demo.default_folder`): its own
        PTCE (all placed on a commune) instead of the registry.

    Returns
    -------
    pandas.DataFrame
        ``territory_code, first_treated, intensity`` (number of placed
        lauréats), one row per territory holding one. ``attrs``: ``origin``
        (``"ptce_registry"`` or ``"ptce_demo"``), ``excluded`` (codes),
        ``uncertain`` (the rule applied), ``ptce`` (lauréats in the registry,
        placed, placed more coarsely, unknown, missing) and ``poles`` (one
        record per placed lauréat: ``territory_code, label_year,
        grant_eur``, for the spending columns).

    Examples
    --------
    >>> t = treatment("region")
    >>> t.columns.tolist()
    ['territory_code', 'first_treated', 'intensity']
    >>> t.attrs["origin"], sorted(set(t["first_treated"]))
    ('ptce_registry', [2014, 2016])
    >>> int(t["intensity"].sum()) == t.attrs["ptce"]["placed"]
    True
    """
    from impact.panel.treatment import first_labels, ptce_placement, uncertain_to_exclude

    placement = ptce_placement(level, demo_folder=demo_folder)
    poles = placement.placed
    firsts = first_labels(poles)
    excluded = (uncertain_to_exclude(placement.uncertain, firsts)
                if uncertain == "exclude" else [])
    out = pd.DataFrame({
        "territory_code": firsts["territory_code"].astype(str).to_numpy(),
        "first_treated": firsts["first_label_year"].astype("int64").to_numpy(),
        "intensity": firsts["ptce_count"].astype("float64").to_numpy(),
    })
    cols = [c for c in ("ptce_id", "territory_code", "label_year", "grant_eur") if c in poles]
    records = poles[cols].astype({"territory_code": str}).to_dict("records")
    out.attrs = {
        "origin": "ptce_demo" if demo_folder is not None else "ptce_registry",
        "excluded": [str(c) for c in excluded],
        "uncertain": uncertain,
        "ptce": dict(placement.counts),
        "poles": records,
    }
    logger.info("PTCE treatment at %s level: %d territories, %d excluded as uncertain",
                level, len(out), len(excluded))
    return out
