"""Treatment and spending at a territory level: who was labelled when, and how much was spent.

May import: :mod:`impact.ptce`, :mod:`impact.sources.spending`, :mod:`impact.territories`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.config import raw_dir
from impact.errors import InputError

logger = logging.getLogger(__name__)


#: PTCE call envelopes (FACTS.md): label year -> (euros, number of lauréats).
CALL_ENVELOPES: dict[int, tuple[float, int]] = {2014: (3_000_000.0, 23), 2016: (2_700_000.0, 14)}


def demo_folder_of(long: pd.DataFrame, demo_folder: str | Path | None) -> Path | None:
    folder = demo_folder or (long.attrs.get("demo_folder") if long.attrs.get("demo") else None)
    return Path(folder) if folder else None


@dataclass(frozen=True)
class TreatmentPlacement:
    """The PTCE lauréats as a panel at one level sees them.

    Attributes
    ----------
    placed
        One row per lauréat placed at the level or finer: ``ptce_id,
        territory_code, label_year, grant_eur`` (and ``commune_code`` where
        known).
    uncertain
        Territories that may hold a lauréat placed only more coarsely:
        ``territory_code, ptce_id, label_year``.
    counts
        Lauréats in the registry, placed at this level, placed only more
        coarsely, not placed at all, and missing from the registry.
    """

    placed: pd.DataFrame
    uncertain: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def ptce_placement(level: str, *, demo_folder: str | Path | None = None) -> TreatmentPlacement:
    """The lauréats placed at ``level``, and the territories that may hold others.

    From the demonstration's own PTCE (``ptce_treatment.csv``, all placed on a
    commune) when ``demo_folder`` is given, otherwise from the registry
    (:func:`impact.ptce.placement`, which knows each lauréat to a precision:
    commune, département, région or unknown).
    """
    from impact import ptce

    if demo_folder is None:
        try:
            where = ptce.placement(level)
        except InputError as exc:
            raise InputError(
                f"no usable PTCE registry for the treatment columns ({exc}). Fix or add "
                "data/raw/ptce.csv (see impact.ptce) or build from the demonstration data."
            ) from exc
        placed = where.placed.copy()
        placed["label_year"] = placed["label_year"].astype(int)
        placed["grant_eur"] = pd.to_numeric(placed["grant_eur"], errors="coerce")
        return TreatmentPlacement(placed.reset_index(drop=True),
                                  where.uncertain[["territory_code", "ptce_id", "label_year"]],
                                  dict(where.counts))
    placed = ptce_list(level, demo_folder=demo_folder)
    empty = pd.DataFrame({"territory_code": pd.Series(dtype=str), "ptce_id": pd.Series(dtype=str),
                          "label_year": pd.Series(dtype="Int64")})
    return TreatmentPlacement(placed, empty, {"registry": len(placed), "placed": len(placed)})


def uncertain_to_exclude(uncertain: pd.DataFrame, treat: pd.DataFrame) -> list[str]:
    """Territories to leave out under ``uncertain="exclude"``.

    An untreated territory that may hold a coarsely placed lauréat could be a
    treated one counted as a control: it leaves. A treated territory stays
    when its first placed label year is no later than the coarse lauréat's
    (its adoption date cannot move earlier); otherwise its date is uncertain
    and it leaves too.
    """
    if uncertain.empty:
        return []
    first = treat.set_index("territory_code")["first_label_year"]
    u = uncertain.assign(first=uncertain["territory_code"].map(first))
    out = u["first"].isna() | (u["label_year"].astype(float) < u["first"])
    return sorted(set(u.loc[out, "territory_code"].astype(str)))


def ptce_list(level: str, *, demo_folder: str | Path | None = None) -> pd.DataFrame:
    """One row per labelled PTCE placed at ``level`` (or finer).

    From the demonstration's own PTCE (``ptce_treatment.csv``) when
    ``demo_folder`` is given, otherwise from the registry
    (:func:`impact.ptce.placement`: lauréats known to a commune, and at
    département or région level those known to that place).

    Returns
    -------
    pandas.DataFrame
        ``label_year, grant_eur, territory_code`` and, where known,
        ``commune_code`` and ``ptce_id`` (``grant_eur`` NaN where no grant was
        published, and always for the demonstration).
    """
    from impact.territories import commune_to

    if demo_folder is None:
        return ptce_placement(level).placed
    path = Path(demo_folder) / "ptce_treatment.csv"
    if not path.exists():
        raise InputError(
            "the demonstration folder has no ptce_treatment.csv: regenerate it "
            "with 'impact demo --force'",
            path=demo_folder,
        )
    t = pd.read_csv(path, dtype={"commune": str})
    t = t.rename(columns={"commune": "commune_code"})[["commune_code", "label_year"]]
    t["grant_eur"] = np.nan
    if level == "commune":
        t["territory_code"] = t["commune_code"]
    else:
        t["territory_code"] = t["commune_code"].map(commune_to(level))
    lost = t["territory_code"].isna()
    if lost.any():
        logger.warning(
            "%d PTCE have no %s (commune outside any): %s",
            int(lost.sum()),
            level,
            ", ".join(t.loc[lost, "commune_code"]),
        )
    return t[~lost].reset_index(drop=True)


def treatment_table(level: str, *, demo_folder: str | Path | None = None) -> pd.DataFrame:
    """First PTCE label year and number of PTCE per territory at ``level``.

    From the demonstration's PTCE when ``demo_folder`` is given, otherwise
    from the registry (:func:`impact.ptce.load`).

    Returns
    -------
    pandas.DataFrame
        ``territory_code, first_label_year, ptce_count`` (treated territories only).
    """
    return first_labels(ptce_list(level, demo_folder=demo_folder))


def first_labels(poles: pd.DataFrame) -> pd.DataFrame:
    """``territory_code, first_label_year, ptce_count`` from :func:`ptce_list` rows."""
    return (
        poles.groupby("territory_code")
        .agg(first_label_year=("label_year", "min"), ptce_count=("label_year", "size"))
        .reset_index()
    )


def pole_grants(poles: pd.DataFrame) -> pd.Series:
    """Grant in euros of each PTCE: the published one, else an even share of the rest.

    A PTCE whose grant is not published gets its call's envelope, less the
    grants published for that call, divided by the number of lauréats of the
    call whose grant is not published (:data:`CALL_ENVELOPES`: 3 M€ for 23
    lauréats labelled in 2014, 2.7 M€ for 14 in 2016). The share counts every
    lauréat of the call, not only those in the registry, so a partial registry
    does not inflate the estimate.

    Parameters
    ----------
    poles
        ``label_year`` and, optionally, ``grant_eur`` (NaN when unknown).

    Returns
    -------
    pandas.Series
        Euros per PTCE, aligned on ``poles``; 0 for a label year without a
        known envelope.
    """
    known = pd.to_numeric(poles.get("grant_eur", pd.Series(np.nan, index=poles.index)),
                          errors="coerce")
    share = {}
    for year, (envelope, n_laureats) in CALL_ENVELOPES.items():
        in_call = poles["label_year"] == year
        published = known[in_call].dropna()
        rest = n_laureats - len(published)
        if rest <= 0 or published.sum() > envelope:
            logger.warning(
                "PTCE labelled in %d: %d published grants (%.0f €) for an envelope of %.0f € "
                "and %d lauréats; unpublished grants set to 0",
                year, len(published), published.sum(), envelope, n_laureats,
            )
            share[year] = 0.0
        else:
            share[year] = (envelope - published.sum()) / rest
    return known.fillna(poles["label_year"].map(share)).fillna(0.0)


def spending_table(
    level: str, poles: pd.DataFrame, *, demo: bool, path: str | Path | None = None
) -> pd.DataFrame:
    """Spending in euros per territory and year at ``level``.

    The spending table ``path`` when given, else for real data
    ``data/raw/spending.csv`` (read by :func:`impact.sources.spending.read`);
    rows at the panel level are used
    as they are, rows at a finer level (commune, EPCI, département) are summed
    up to it, coarser rows (région when the panel is départemental, France)
    cannot be placed and are left out (logged). When no row can be placed
    (the shipped table holds national envelopes only), and for the
    demonstration data, each PTCE gets its grant in its label year
    (:func:`pole_grants`: the published grant, else an even share of what is
    left of its call's envelope).

    Returns
    -------
    pandas.DataFrame
        ``territory_code, year, euros``.
    """
    from impact.sources import spending as sp
    from impact.territories import commune_to, departements

    if path is not None and not Path(path).exists():
        raise InputError("spending table not found (see impact.sources.spending for its layout)",
                         path=path)
    # An explicit table is always used; the shipped one only with real data (the
    # demonstration's spending follows its own PTCE).
    use = Path(path) if path is not None else (None if demo else raw_dir() / "spending.csv")
    if use is not None and use.exists():
        s = sp.read(use)
        finer = {
            "commune": ["commune"],
            "epci": ["commune", "epci"],
            "departement": ["commune", "departement"],
            "region": ["commune", "departement", "region"],
        }[level]
        rows = []
        for lvl in finer:
            part = s[s["level"] == lvl]
            if part.empty:
                continue
            if lvl == level:
                code = part["territory_code"]
            elif lvl == "commune":
                code = part["territory_code"].map(commune_to(level))
            else:  # départements to régions
                code = part["territory_code"].map(departements().set_index("departement")["region"])
            rows.append(
                pd.DataFrame(
                    {"territory_code": code.to_numpy(), "year": part["year"].to_numpy(),
                     "euros": part["euros"].to_numpy(dtype=float)}
                )
            )
        left = s[~s["level"].isin(finer)]
        if len(left):
            logger.info(
                "spending: %d row(s) at level(s) %s (%.0f €) cannot be placed at %s level",
                len(left),
                sorted(left["level"].unique()),
                left["euros"].sum(),
                level,
            )
        if rows:
            out = pd.concat(rows).dropna(subset=["territory_code"])
            return out.groupby(["territory_code", "year"], as_index=False)["euros"].sum()
    out = pd.DataFrame(
        {
            "territory_code": poles["territory_code"].to_numpy(),
            "year": poles["label_year"].astype(int).to_numpy(),
            "euros": pole_grants(poles).to_numpy(dtype=float),
        }
    )
    return out.groupby(["territory_code", "year"], as_index=False)["euros"].sum()


