"""Placement of the PTCE lauréats at an analysis level.

An analysis at a level uses the lauréats placed at that level or finer; the
territories that may hold a lauréat placed only more coarsely are *uncertain*
(a comparison group should leave them out, or keep them and say so).

May import: :mod:`impact.ptce.registry`, :mod:`impact.territories`.
"""


from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impact.errors import InputError
from impact.ptce.registry import (
    _PLACE_COLUMN,
    _RANK,
    LAUREATES,
    PLACEMENT_LEVELS,
    read_registry,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Placement:
    """The lauréats placed at one analysis level, and the territories left uncertain.

    Attributes
    ----------
    level
        The analysis level (``commune``, ``epci``, ``departement``, ``region``).
    placed
        ``ptce_id, name, territory_code, label_year, grant_eur, precision``:
        the lauréats placed at ``level`` or finer, on their territory of
        ``level`` (``grant_eur`` NaN when not published).
    uncertain
        ``territory_code, ptce_id, label_year, reason``: every territory of ``level``
        inside the coarser place of a lauréat placed only more coarsely (it
        may hold that lauréat). A territory may appear several times (one row
        per lauréat) and may also be in ``placed``. Lauréats of ``unknown``
        place exclude nothing: they are only counted.
    counts
        ``laureates`` (37), ``in_registry``, ``placed``, ``coarser`` (placed
        only more coarsely), ``unknown`` (in the registry, place unknown),
        ``not_in_registry`` (lauréats of the calls missing from the registry),
        ``uncertain_territories`` (distinct territories in ``uncertain``), and
        ``by_call``: the same counts (without the last) for each call.

    Examples
    --------
    >>> where = placement("departement")
    >>> where.level, where.counts["laureates"]
    ('departement', 37)
    """

    level: str
    placed: pd.DataFrame
    uncertain: pd.DataFrame
    counts: dict = field(default_factory=dict)

    def describe(self) -> str:
        """One French sentence for a report: lauréats placed, territories uncertain.

        Examples
        --------
        >>> placement("region").describe()  # doctest: +ELLIPSIS
        'Niveau region : ... lauréats placés sur 37 (...'
        """
        c = self.counts
        return (
            f"Niveau {self.level} : {c['placed']} lauréats placés sur {c['laureates']} "
            f"({c['coarser']} localisés seulement à un niveau plus large, "
            f"{c['unknown']} sans localisation, "
            f"{c['not_in_registry']} absents du registre) ; "
            f"{c['uncertain_territories']} territoires "
            "peuvent abriter un lauréat non placé à ce niveau."
        )


def members(level: str, precision: str, code: str) -> list[str]:
    """Territories of ``level`` inside (or meeting) the place ``code`` of ``precision``.

    ``precision`` is coarser than ``level`` (a région for départements, a
    département or région for communes and EPCI). An EPCI meets a place when
    one of its communes is inside.

    Examples
    --------
    >>> from impact.ptce.placement import members
    >>> members("departement", "region", "53")
    ['22', '29', '35', '56']
    """
    from impact.territories import commune_to, departements

    if level == "departement":  # precision is region
        d = departements()
        return sorted(d.loc[d["region"] == code, "departement"].astype(str))
    com_to_up = commune_to(precision)
    inside = com_to_up.index[com_to_up.to_numpy() == code]
    if level == "commune":
        return sorted(inside.astype(str))
    # EPCI: every EPCI with at least one commune in the place (an EPCI may straddle
    # a département line, and may then hold the lauréat).
    epci = commune_to("epci").reindex(inside).dropna()
    return sorted(set(epci.astype(str)))


def placement(level: str, *, path: str | Path | None = None) -> Placement:
    """The lauréats placed at an analysis level, and the territories that may hold the others.

    A lauréat is placed at ``level`` when its precision is ``level`` or finer:
    ``commune`` level uses the commune rows; ``epci`` the commune rows mapped
    to their EPCI; ``departement`` the commune and département rows;
    ``region`` the commune, département and région rows. A lauréat placed
    only more coarsely makes every territory of ``level`` inside its place
    *uncertain* (a comparison group should leave them out, or keep them and
    say so); a lauréat of unknown place, or missing from the registry, cannot
    exclude anything and is only counted.

    Parameters
    ----------
    level
        ``"commune"``, ``"epci"``, ``"departement"`` or ``"region"``.
    path
        The registry; ``data/raw/ptce.csv`` by default.

    Returns
    -------
    Placement

    Raises
    ------
    InputError
        An unknown level, or a registry error (see :func:`read_registry`).

    Examples
    --------
    >>> where = placement("departement")
    >>> c = where.counts
    >>> c["placed"] + c["coarser"] + c["unknown"] == c["in_registry"]
    True
    """
    from impact.territories import commune_to

    if level not in PLACEMENT_LEVELS:
        raise InputError(f"placement level must be one of {list(PLACEMENT_LEVELS)}, not {level!r}")
    reg = read_registry(path)
    rank = reg["precision"].map(_RANK)
    placed_mask = rank <= _RANK[level]
    if level == "epci":
        placed_mask = reg["precision"].eq("commune")
    placed = reg.loc[placed_mask].copy()
    if level == "commune":
        placed["territory_code"] = placed["commune_code"]
    elif level == "epci":
        placed["territory_code"] = placed["commune_code"].map(commune_to("epci"))
        no_epci = placed["territory_code"].isna()
        if no_epci.any():
            logger.warning(
                "%d lauréat(s) on a commune outside any EPCI cannot be placed at EPCI level: %s",
                int(no_epci.sum()),
                placed.loc[no_epci, "ptce_id"].tolist(),
            )
            placed = placed.loc[~no_epci]
    else:
        placed["territory_code"] = placed[level]
    placed = placed[["ptce_id", "name", "territory_code", "label_year", "grant_eur", "precision"]]
    placed["territory_code"] = placed["territory_code"].astype("string")
    placed = placed.reset_index(drop=True)

    coarser = reg.loc[(rank > _RANK[level]) & reg["precision"].ne("unknown")]
    rows = []
    for _, r in coarser.iterrows():
        code = str(r[_PLACE_COLUMN[r["precision"]]])
        reason = f"{r['ptce_id']} ({r['name']}) placé seulement au niveau {r['precision']} {code}"
        rows += [
            {"territory_code": t, "ptce_id": r["ptce_id"], "label_year": int(r["label_year"]),
             "reason": reason}
            for t in members(level, r["precision"], code)
        ]
    uncertain = pd.DataFrame(
        rows, columns=["territory_code", "ptce_id", "label_year", "reason"]
    ).astype({"territory_code": "string", "ptce_id": "string", "label_year": "Int64",
              "reason": "string"})

    def _counts(sel: pd.Series, n_laureates: int) -> dict:
        n_reg = int(sel.sum())
        return {
            "laureates": n_laureates,
            "in_registry": n_reg,
            "placed": int(placed["ptce_id"].isin(reg.loc[sel, "ptce_id"]).sum()),
            "coarser": int(coarser["ptce_id"].isin(reg.loc[sel, "ptce_id"]).sum()),
            "unknown": int((sel & reg["precision"].eq("unknown")).sum()),
            "not_in_registry": max(n_laureates - n_reg, 0),
        }

    by_call = {call: _counts(reg["call"].eq(call), n) for call, n in LAUREATES.items()}
    total = _counts(pd.Series(True, index=reg.index), sum(LAUREATES.values()))
    total["not_in_registry"] = sum(c["not_in_registry"] for c in by_call.values())
    total["uncertain_territories"] = int(uncertain["territory_code"].nunique())
    total["by_call"] = by_call
    result = Placement(level=level, placed=placed, uncertain=uncertain, counts=total)
    logger.info("%s", result.describe())
    return result


# --------------------------------------------------------------------------- #
# Demonstration
# --------------------------------------------------------------------------- #
