"""Treatment and spending at a territory level: who was labelled when, and how much was spent.

May import: :mod:`impact.ptce`, :mod:`impact.sources.spending`, :mod:`impact.territories`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact.config import raw_dir
from impact.errors import InputError

logger = logging.getLogger(__name__)


#: PTCE call envelopes (FACTS.md): label year -> (euros, number of lauréats).
CALL_ENVELOPES: dict[int, tuple[float, int]] = {2014: (3_000_000.0, 23), 2016: (2_700_000.0, 14)}


def demo_folder_of(
    long: pd.DataFrame, demo_folder: str | Path | None, *, demo: bool | None = None
) -> Path | None:
    """The demonstration folder: ``demo_folder``, else the long table's when it is a demonstration.

    Examples
    --------
    >>> long = pd.DataFrame()
    >>> long.attrs = {"demo": True, "demo_folder": "data/processed/demo/seed2014-scale1"}
    >>> demo_folder_of(long, None).name
    'seed2014-scale1'
    >>> demo_folder_of(long, None, demo=False) is None
    True
    """
    is_demo = bool(long.attrs.get("demo")) if demo is None else demo
    folder = demo_folder or (long.attrs.get("demo_folder") if is_demo else None)
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

    Examples
    --------
    >>> where = ptce_placement("region")
    >>> where.placed.columns[:3].tolist(), where.counts["laureates"]
    (['ptce_id', 'name', 'territory_code'], 37)
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

    Examples
    --------
    >>> where = ptce_placement("departement")
    >>> sorted(set(where.placed["label_year"]))
    [2014, 2016]
    >>> set(where.uncertain.columns) == {"territory_code", "ptce_id", "label_year"}
    True
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

    Examples
    --------
    A lauréat placed only in Bretagne (2014): Côtes-d'Armor (no placed lauréat) leaves, and
    so does Finistère, whose placed lauréat came later (2016); Ille-et-Vilaine (2014) stays.

    >>> unc = pd.DataFrame({"territory_code": ["22", "29", "35"], "ptce_id": "P1",
    ...                     "label_year": 2014})
    >>> treat = pd.DataFrame({"territory_code": ["29", "35"], "first_label_year": [2016, 2014]})
    >>> uncertain_to_exclude(unc, treat)
    ['22', '29']
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

    Examples
    --------
    >>> poles = ptce_list("region")
    >>> bool(poles[["territory_code", "label_year"]].notna().all().all())
    True
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

    Examples
    --------
    >>> t = treatment_table("region")
    >>> t.columns.tolist(), sorted(set(t["first_label_year"]))
    (['territory_code', 'first_label_year', 'ptce_count'], [2014, 2016])
    """
    return first_labels(ptce_list(level, demo_folder=demo_folder))


def first_labels(poles: pd.DataFrame) -> pd.DataFrame:
    """``territory_code, first_label_year, ptce_count`` from :func:`ptce_list` rows.

    Examples
    --------
    >>> poles = pd.DataFrame({"territory_code": ["29", "29", "35"],
    ...                       "label_year": [2016, 2014, 2016]})
    >>> first_labels(poles)
      territory_code  first_label_year  ptce_count
    0             29              2014           2
    1             35              2016           1
    """
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

    Examples
    --------
    Three 2014 lauréats, one with a published grant of 100,000 €: the other two get
    an even share of what is left of the 3 M€ envelope for the 22 other lauréats of the call.

    >>> poles = pd.DataFrame({"label_year": [2014, 2014, 2014],
    ...                       "grant_eur": [100_000.0, np.nan, np.nan]})
    >>> pole_grants(poles).round(0).tolist()
    [100000.0, 131818.0, 131818.0]
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

    Examples
    --------
    Without a spending table placeable at the level, each PTCE gets its grant in its
    label year:

    >>> poles = pd.DataFrame({"territory_code": ["29"], "label_year": [2016],
    ...                       "grant_eur": [50_000.0]})
    >>> spending_table("departement", poles, demo=True)
      territory_code  year    euros
    0             29  2016  50000.0
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




def spending_treatment(level: str, *, path: str | Path | None = None) -> pd.DataFrame:
    """Spending as a treatment table: first year with euros spent, and the euros in all.

    The spending table (``path``, default ``data/raw/spending.csv``; layout in
    :mod:`impact.sources.spending`) summed to ``level`` as in
    :func:`spending_table`; a territory is treated from the first year it
    received a positive amount, with the total amount as intensity.

    Parameters
    ----------
    level
        Territory level of the panel.
    path
        The spending table.

    Returns
    -------
    pandas.DataFrame
        ``territory_code, first_treated, intensity`` (euros), one row per
        territory that received spending; ``attrs["origin"] = "spending"`` and
        ``attrs["spending_path"]``.

    Raises
    ------
    InputError
        The table is missing, or none of its rows is at ``level`` or finer
        (national envelopes cannot say which territory is treated).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "spending.csv").write_text(
    ...     "territory_code,level,year,programme,euros,source\\n"
    ...     "29,departement,2016,fonds,120000,convention\\n"
    ...     "29,departement,2017,fonds,80000,convention\\n"
    ...     "35238,commune,2017,fonds,50000,convention\\n")
    >>> spending_treatment("departement", path=folder / "spending.csv")
      territory_code  first_treated  intensity
    0             29           2016   200000.0
    1             35           2017    50000.0
    """
    use = Path(path) if path is not None else raw_dir() / "spending.csv"
    if not use.exists():
        raise InputError("spending table not found (see impact.sources.spending for its layout)",
                         path=use)
    none = pd.DataFrame({"territory_code": pd.Series(dtype=str),
                         "label_year": pd.Series(dtype="int64")})
    spend = spending_table(level, none, demo=False, path=use)
    spend = spend[spend["euros"] > 0]
    if spend.empty:
        raise InputError(
            f"no spending row can be placed at {level} level (rows at that level or finer are "
            "needed; national envelopes do not say which territory is treated)", path=use)
    out = (spend.groupby("territory_code")
           .agg(first_treated=("year", "min"), intensity=("euros", "sum"))
           .reset_index())
    out["territory_code"] = out["territory_code"].astype(str)
    out["first_treated"] = out["first_treated"].astype("int64")
    out["intensity"] = out["intensity"].astype("float64")
    out.attrs = {"origin": "spending", "spending_path": str(use)}
    return out


def assign_treatment(
    panel: pd.DataFrame,
    table: pd.DataFrame,
    *,
    level: str,
    uncertain: str,
    demo: bool,
    spending_path: str | Path | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """Add the treatment and spending columns of a treatment table to a panel.

    Used by :func:`impact.panel.build_panel`. The table (from
    :func:`impact.panel.treatment_table.read_treatment`) is placed at ``level``
    (:func:`impact.panel.treatment_table.treatment_at_level`); territories
    that may hold a coarsely placed treated row leave the panel under
    ``uncertain="exclude"``; a territory treated in or before the panel's first
    year has no untreated period (no pre-period, and it cannot be a control):
    it stays (the estimators leave it out and say so), listed in
    ``always_treated``; one first treated after
    the last year is not treated within the panel (``first_label_year`` 0, as
    R ``did`` does), listed in ``treated_after_end``.

    Returns
    -------
    (panel, info, excluded)
        ``info``: ``origin``, ``digest``, ``path`` (a table read from a file),
        ``always_treated``, ``treated_after_end`` and, for the PTCE, ``ptce``
        (counts) and ``pole_codes`` (territory of each placed lauréat).

    Examples
    --------
    >>> from impact.panel.treatment_table import read_treatment
    >>> grid = pd.DataFrame({"territory_code": ["29", "29", "35", "35", "22", "22"],
    ...                      "year": [2016, 2017] * 3, "population": [1e6] * 6})
    >>> table = read_treatment(pd.DataFrame({"territory_code": ["29", "35"],
    ...                                      "first_treated": [2017, 2016],
    ...                                      "intensity": [2.0, 1.0]}))
    >>> out, info, excluded = assign_treatment(grid, table, level="departement",
    ...                                        uncertain="exclude", demo=False)
    >>> out[["territory_code", "year", "first_label_year", "treated"]]
      territory_code  year  first_label_year  treated
    0             29  2016              2017        0
    1             29  2017              2017        1
    2             35  2016              2016        1
    3             35  2017              2016        1
    4             22  2016                 0        0
    5             22  2017                 0        0
    >>> info["always_treated"]
    ['35']
    """
    from impact.panel.treatment_table import treatment_at_level

    origin = str(table.attrs.get("origin", "table"))
    placed = treatment_at_level(table, level, uncertain=uncertain)  # type: ignore[arg-type]
    codes = set(panel["territory_code"].astype(str))
    provider_excluded = list(table.attrs.get("excluded", [])) if uncertain == "exclude" else []
    excluded = sorted((set(placed.excluded) | set(provider_excluded)) & codes)
    panel = panel[~panel["territory_code"].isin(excluded)]
    treat = placed.table
    years = sorted(pd.unique(panel["year"]))
    always: list[str] = []
    after: list[str] = []
    if years:
        first_year, last_year = int(years[0]), int(years[-1])
        in_panel = treat["territory_code"].isin(codes)
        g = treat["first_label_year"]
        early = in_panel & (g > 0) & (g <= first_year)
        always = sorted(treat.loc[early, "territory_code"].astype(str))
        late = in_panel & (treat["first_label_year"] > last_year)
        after = sorted(treat.loc[late, "territory_code"].astype(str))
        if always:
            # Kept (a descriptive panel of one year needs them); the estimators drop units
            # without an untreated period themselves and say so.
            logger.info(
                "%d territory(ies) first treated in or before %d, the panel's first year, have "
                "no untreated period (estimators leave them out): %s", len(always), first_year,
                ", ".join(always[:12]))
        if after:
            logger.info(
                "%d territory(ies) first treated after %d, the panel's last year, are untreated "
                "within it (first_label_year 0): %s", len(after), last_year, ", ".join(after[:12]))
            treat = treat.assign(first_label_year=treat["first_label_year"].where(~late, 0))
    panel = panel.merge(treat[["territory_code", "first_label_year", "intensity"]],
                        on="territory_code", how="left")
    panel["first_label_year"] = panel["first_label_year"].fillna(0).astype("int64")
    panel["intensity"] = panel["intensity"].fillna(0.0).astype("float64")
    ptce = origin.startswith("ptce")
    panel["ptce_count"] = (panel["intensity"].round().astype("int64") if ptce
                           else pd.Series(0, index=panel.index, dtype="int64"))
    panel["treated"] = (
        (panel["first_label_year"] > 0) & (panel["year"] >= panel["first_label_year"])
    ).astype("int64")

    none = pd.DataFrame({"territory_code": pd.Series(dtype=str),
                         "label_year": pd.Series(dtype="int64")})
    if ptce:
        poles = pd.DataFrame(table.attrs.get("poles", []))
        if poles.empty:
            poles = none
        spend = spending_table(level, poles, demo=demo, path=spending_path)
    elif origin == "spending":
        spend = spending_table(level, none, demo=False,
                               path=spending_path or table.attrs.get("spending_path"))
    else:
        # Another programme: only an explicit spending table gives euros (demo=True keeps the
        # PTCE envelopes of data/raw/spending.csv out of it).
        spend = spending_table(level, none, demo=True, path=spending_path)
    spend = spend.groupby(["territory_code", "year"], as_index=False)["euros"].sum()
    panel = panel.merge(
        spend.rename(columns={"euros": "spending_eur"}), on=["territory_code", "year"], how="left"
    )
    panel["spending_eur"] = panel["spending_eur"].fillna(0.0)
    panel["spending_per_inhabitant"] = (
        panel["spending_eur"] / panel["population"].where(panel["population"] > 0)
    ).fillna(0.0)
    info: dict[str, Any] = {
        "origin": origin,
        "digest": str(table.attrs.get("digest", "")),
        "always_treated": always,
        "treated_after_end": after,
    }
    for key in ("path", "spending_path"):
        if table.attrs.get(key):
            info[key] = str(table.attrs[key])
    if ptce:
        info["ptce"] = dict(table.attrs.get("ptce", {}))
        info["pole_codes"] = [str(p["territory_code"]) for p in table.attrs.get("poles", [])]
    return panel, info, excluded
