"""The balanced estimation panel: one row per territory × period at a level.

May import: :mod:`impact.panel.periods`, :mod:`impact.panel.treatment`,
:mod:`impact.territories`, :mod:`impact.schema`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.panel.covariates import (
    PER,
    commune_population,
    indicator_rows,
    published_population,
    salaried_jobs_table,
    tpe_stock_rate,
    unemployment_table,
)
from impact.panel.periods import all_periods, time_index, to_freq
from impact.panel.treatment import (
    demo_folder_of,
    first_labels,
    ptce_placement,
    spending_table,
    uncertain_to_exclude,
)
from impact.schema import FREQS, PANEL_LEVELS
from impact.sources._common import LONG_COLUMNS

logger = logging.getLogger(__name__)


#: Default outcomes of the panel (any ``creations_*`` indicator of the long table may be asked for).
COUNT_OUTCOMES: tuple[str, ...] = ("creations_total", "creations_tpe", "creations_ess")
#: Sources whose creation counts are published tables (every cell present; a missing one is
#: secret or not published, never zero), as opposed to counts made from the SIRENE stock.
PUBLISHED_SOURCES: tuple[str, ...] = ("insee_side", "insee_melodi")
# --------------------------------------------------------------------------- panel


def _territories(level: str, region: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(commune table with the target code, one row per territory with names and parents)."""
    from impact.territories import commune_to, communes, names

    com = pd.DataFrame(communes().drop(columns="geometry"))
    if region is not None:
        com = com[com["region"] == str(region)]
        if com.empty:
            raise InputError(f"no commune in région {region!r}")
    com["target"] = com["code"] if level == "commune" else com["code"].map(commune_to(level))
    com = com[com["target"].notna()]
    # Parents of a territory: those of most of its communes (EPCI may span départements).
    parents = {}
    for parent in ("departement", "region"):
        if parent == level or (level == "region" and parent == "departement"):
            continue
        main = (
            com.groupby(["target", parent])
            .size()
            .reset_index(name="n")
            .sort_values(["target", "n", parent], ascending=[True, False, True])
            .drop_duplicates("target")
            .set_index("target")[parent]
        )
        parents[parent] = main
    terr = pd.DataFrame({"territory_code": np.sort(com["target"].unique())})
    terr["name"] = terr["territory_code"].map(names(level)).astype("string")
    terr["region"] = (
        terr["territory_code"]
        if level == "region"
        else terr["territory_code"].map(parents["region"])
    )
    terr["departement"] = (
        terr["territory_code"]
        if level == "departement"
        else terr["territory_code"].map(parents["departement"])
        if "departement" in parents
        else pd.NA
    )
    return com, terr


def build_panel(
    long: pd.DataFrame,
    *,
    level: str = "departement",
    freq: str = "year",
    outcomes: Sequence[str] | None = None,
    start: int | None = None,
    end: int | None = None,
    region: str | None = None,
    demo_folder: str | Path | None = None,
    spending_path: str | Path | None = None,
    uncertain: str | None = None,
) -> pd.DataFrame:
    """The balanced estimation panel at ``level`` and ``freq``.

    Parameters
    ----------
    long
        Output of :func:`build_long` (or the same columns read back from
        ``long.parquet``).
    level
        ``"commune"``, ``"epci"``, ``"departement"`` or ``"region"``. Counts
        are summed from the finest level the long table has: communes
        (SIRENE, the demonstration) or départements (the shipped INSEE files,
        which serve the ``departement`` and ``region`` levels).
    freq
        ``"year"``; ``"quarter"`` or ``"month"`` when the creations in ``long``
        are monthly (``build_long(freq="month")``).
    outcomes
        Creation count indicators to include (default: every ``creations_*``
        indicator of the long table); each gets a ``<outcome>_per10k`` column.
    start, end
        Years to keep (inclusive; default: the years of the creation counts).
    region
        Keep only the territories of one région (code, e.g. ``"84"``).
    demo_folder
        Demonstration folder whose PTCE define the treatment (default:
        ``long.attrs["demo_folder"]``); without one, the PTCE registry.
    spending_path
        Spending table (default: ``data/raw/spending.csv`` for real data; a table
        given here is used for demonstration data too).
    uncertain
        What to do with territories that may hold a PTCE lauréat the registry
        places only more coarsely than ``level`` (a lauréat known by its région
        only, at département level): ``"exclude"`` drops them from the panel
        (a treated territory counted as a control biases the effect towards
        zero), ``"keep"`` keeps them as they are. Default: ``"exclude"`` on real
        data, ``"keep"`` on the demonstration (its PTCE are all placed on a
        commune). A treated territory stays unless a coarser lauréat may have
        treated it earlier than its first placed one.

    Returns
    -------
    pandas.DataFrame
        One row per territory × period; columns described in
        ``docs/data_dictionary.md`` (:func:`impact.schema.panel_schema`).
        ``attrs``: ``level``, ``freq``, ``sources``, ``data_source``, ``demo``,
        ``count_level``, ``dropped`` (no population), ``not_covered``
        (territories the source does not cover), ``uncertain``,
        ``excluded_uncertain`` (codes) and ``ptce`` (lauréats placed at this
        level, placed more coarsely, unknown and missing from the registry).
    """

    if level not in PANEL_LEVELS:
        raise InputError(f"level={level!r}: expected one of {', '.join(PANEL_LEVELS)}")
    if freq not in FREQS:
        raise InputError(f"freq={freq!r}: expected one of {', '.join(FREQS)}")
    if uncertain not in (None, "exclude", "keep"):
        raise InputError(f"uncertain={uncertain!r}: expected 'exclude' or 'keep'")
    missing_cols = [c for c in LONG_COLUMNS if c not in long.columns]
    if missing_cols:
        raise InputError(f"the long table lacks column(s) {missing_cols}")
    # ---- creations: at the panel's level when the source publishes it there, else summed from
    # the finest level it has (communes for SIRENE, the demonstration and the INSEE commune
    # files; départements for the shipped INSEE files, which serve the régions)
    ind = long["indicator"].astype(str)
    creation_rows = long.loc[ind.str.startswith("creations_").to_numpy()]
    by_level = {
        lvl: sorted(pd.unique(g["indicator"].astype(str)))
        for lvl, g in creation_rows.groupby(creation_rows["level"].astype(str), observed=True)
    }
    if outcomes is not None:
        outcomes = list(outcomes)
        bad = [o for o in outcomes if not o.startswith("creations_") or o.endswith("_per10k")]
        if bad:
            raise InputError(
                f"outcomes {bad}: expected creation count indicators of the long table "
                f"(present: {_listing(by_level)})"
            )
    count_level = _count_level(by_level, outcomes, level)
    present = by_level[count_level]
    if outcomes is None:
        outcomes = [o for o in COUNT_OUTCOMES if o in present] + [
            o for o in present if o not in COUNT_OUTCOMES
        ]
    absent = [o for o in outcomes if o not in present]
    if absent:
        raise InputError(
            f"outcomes {absent} are not in the long table at {count_level} level; its creation "
            f"indicators are: {_listing(by_level)}"
        )
    cre = indicator_rows(long[long["level"].astype(str) == count_level], outcomes)
    cre_sources = set(pd.unique(creation_rows.loc[
        creation_rows["level"].astype(str) == count_level, "source"].astype(str)))
    # Counts made from the SIRENE stock (and the demonstration) are sparse: no row means no
    # creation. A published table has every cell: a missing or secret one stays missing.
    sparse = not (cre_sources & set(PUBLISHED_SOURCES))
    sub_annual = {p for p in pd.unique(cre["period"]) if len(p) > 4}
    if freq != "year" and not sub_annual:
        raise InputError(
            f"freq={freq!r} needs monthly creation counts: build the long table with "
            "build_long(..., freq='month') ('impact build --freq month' does it)"
        )
    cre["period"] = (
        [to_freq(p, freq) for p in cre["period"]]
        if len(cre) < 50_000
        else cre["period"].map({p: to_freq(p, freq) for p in pd.unique(cre["period"])})
    )
    years_all = sorted({int(p[:4]) for p in pd.unique(cre["period"])})
    start = years_all[0] if start is None else start
    end = years_all[-1] if end is None else end
    years = [y for y in range(start, end + 1)]
    if not [y for y in years_all if start <= y <= end]:
        raise InputError(
            f"no data between {start} and {end} (the creation counts cover "
            f"{years_all[0]}–{years_all[-1]})"
        )
    periods = all_periods(years, freq)

    com, terr = _territories(level, region)
    units = _count_units(com, level, count_level)
    not_covered: list[str] = []
    if not sparse:
        # A territory is covered when the source has every one of its départements: a
        # partial sum would look like a real (low) count.
        have = set(cre["territory_code"])
        parts = units.reset_index()
        complete = parts["unit"].isin(have).groupby(parts["target"]).all()
        covered = set(complete.index[complete.to_numpy()])
        not_covered = sorted(set(terr["territory_code"]) - covered)
        if not_covered:
            logger.info(
                "%d %s(s) not covered by the %s-level source (left out): %s",
                len(not_covered), level, count_level,
                ", ".join(not_covered[:12]) + (" …" if len(not_covered) > 12 else ""),
            )
        terr = terr[terr["territory_code"].isin(covered)].reset_index(drop=True)
    cre = cre[cre["territory_code"].isin(units.index)]
    cre["target"] = cre["territory_code"].map(units).to_numpy()
    g = cre.assign(gap=cre["value"].isna()).groupby(["target", "period", "indicator"], sort=False)
    total = g["value"].sum(min_count=1)
    if not sparse:
        # A territory with a secret or missing part has no total: a partial sum would look
        # like a real (low) count.
        gaps = g["gap"].sum()
        total = total.where(gaps == 0)
        if (gaps > 0).any():
            logger.warning(
                "%d territory-period-indicator cells have a secret or missing part and are "
                "left missing", int((gaps > 0).sum()))
    wide = total.unstack("indicator").reindex(columns=outcomes)
    logger.info("Panel %s × %s: %d territories × %d periods", level, freq, len(terr), len(periods))

    grid = pd.MultiIndex.from_product(
        [terr["territory_code"], periods], names=["territory_code", "period"]
    )
    panel = grid.to_frame(index=False)
    panel = panel.merge(terr, on="territory_code", how="left")
    panel.insert(
        panel.columns.get_loc("period") + 1, "year", panel["period"].str[:4].astype("int64")
    )
    panel.insert(panel.columns.get_loc("year") + 1, "time", time_index(panel["period"], freq))
    panel.insert(2, "level", level)
    counts = wide.reindex(pd.MultiIndex.from_frame(panel[["territory_code", "period"]]))
    for o in outcomes:
        col = counts[o].to_numpy(dtype=float)
        panel[o] = np.nan_to_num(col, nan=0.0) if sparse else col

    # ---- population (by year when the long table has it, else the territory layer)
    if count_level == "commune":
        pop = commune_population(long, com, years)
    else:
        pop = published_population(long, units, count_level, years)
    panel = panel.merge(pop, on=["territory_code", "year"], how="left")
    for o in outcomes:
        panel[f"{o}_per10k"] = PER * panel[o] / panel["population"].where(panel["population"] > 0)

    # ---- covariates
    panel = panel.merge(
        salaried_jobs_table(long, level, com, years), on=["territory_code", "year"], how="left"
    )
    panel = panel.merge(
        unemployment_table(long, level, com, freq, periods), on=["territory_code", "period"], how="left"
    )
    panel = panel.merge(tpe_stock_rate(level, panel, com), on="territory_code", how="left")

    # ---- treatment and spending
    # An explicit demo_folder means demonstration PTCE, even for a long table read from paths.
    folder = demo_folder_of(long, demo_folder)
    demo = bool(long.attrs.get("demo", False)) or _is_demo(long) or demo_folder is not None
    if demo and folder is None:
        raise InputError(
            "these are demonstration data but the demonstration folder is unknown: "
            "pass build_panel(..., demo_folder=impact.demo.default_folder(seed, scale))"
        )
    uncertain = uncertain or ("keep" if demo else "exclude")
    # The registry (or the demonstration's PTCE) is read once: treatment and spending.
    placement = ptce_placement(level, demo_folder=folder if demo else None)
    poles = placement.placed
    treat = first_labels(poles)
    panel = panel.merge(treat, on="territory_code", how="left")
    panel["first_label_year"] = panel["first_label_year"].fillna(0).astype("int64")
    panel["ptce_count"] = panel["ptce_count"].fillna(0).astype("int64")
    panel["treated"] = (
        (panel["first_label_year"] > 0) & (panel["year"] >= panel["first_label_year"])
    ).astype("int64")
    spend = spending_table(level, poles, demo=demo, path=spending_path)
    spend = spend.groupby(["territory_code", "year"], as_index=False)["euros"].sum()
    panel = panel.merge(
        spend.rename(columns={"euros": "spending_eur"}), on=["territory_code", "year"], how="left"
    )
    panel["spending_eur"] = panel["spending_eur"].fillna(0.0)
    panel["spending_per_inhabitant"] = (
        panel["spending_eur"] / panel["population"].where(panel["population"] > 0)
    ).fillna(0.0)

    # ---- territories that may hold a lauréat placed only more coarsely
    excluded: list[str] = []
    if uncertain == "exclude":
        excluded = uncertain_to_exclude(placement.uncertain, treat)
        excluded = sorted(set(excluded) & set(panel["territory_code"]))
        if excluded:
            logger.info(
                "uncertain='exclude': %d %s(s) may hold a PTCE placed only more coarsely and "
                "leave the panel: %s",
                len(excluded), level, ", ".join(excluded[:12]) + (" …" if len(excluded) > 12 else ""),
            )
            panel = panel[~panel["territory_code"].isin(excluded)]

    # ---- territories without population cannot have rates: drop them whole (keeps balance)
    no_pop = panel.loc[
        panel["population"].isna() | (panel["population"] <= 0), "territory_code"
    ].unique()
    if len(no_pop):
        logger.warning(
            "Dropping %d %s(s) without population (no per-inhabitant rates): %s",
            len(no_pop),
            level,
            ", ".join(map(str, no_pop[:10])) + (" …" if len(no_pop) > 10 else ""),
        )
        panel = panel[~panel["territory_code"].isin(no_pop)]
    for c in ("territory_code", "level", "period", "region", "departement"):
        panel[c] = panel[c].astype("string")
    order = [
        "territory_code",
        "name",
        "level",
        "region",
        "departement",
        "period",
        "year",
        "time",
        "population",
        *outcomes,
        *(f"{o}_per10k" for o in outcomes),
        "salaried_jobs",
        "unemployment_rate",
        "tpe_stock_2014_per10k",
        "first_label_year",
        "ptce_count",
        "treated",
        "spending_eur",
        "spending_per_inhabitant",
    ]
    panel = panel[order].sort_values(["territory_code", "time"]).reset_index(drop=True)
    validate_panel(panel, outcomes)
    kept = set(panel["territory_code"])
    panel.attrs.update(
        {
            "level": level,
            "freq": freq,
            "demo": demo,
            "data_source": long.attrs.get("data_source", "demo" if demo else "real"),
            "sources": list(long.attrs.get("sources", [])),
            "count_level": count_level,
            "dropped": [str(c) for c in no_pop],
            "not_covered": not_covered,
            "uncertain": uncertain,
            "excluded_uncertain": excluded,
            "ptce": {
                **placement.counts,
                "placed_in_panel": int(poles["territory_code"].isin(kept).sum()),
            },
            "demo_folder": str(folder) if folder else None,
        }
    )
    n_treated = int((panel.groupby("territory_code")["first_label_year"].first() > 0).sum())
    logger.info(
        "Panel: %s rows, %d territories (%d with a PTCE), periods %s–%s",
        f"{len(panel):,}",
        panel["territory_code"].nunique(),
        n_treated,
        periods[0],
        periods[-1],
    )
    return panel


def _listing(by_level: dict[str, list[str]]) -> str:
    return "; ".join(f"{lvl}: {', '.join(v)}" for lvl, v in sorted(by_level.items())) or "none"


def _count_level(by_level: dict[str, list[str]], outcomes: Sequence[str] | None, level: str) -> str:
    """The level of the long table's counts that serves a panel at ``level``.

    The panel's own level when the source publishes the outcomes there, else communes
    (summed to any level), else départements (summed to régions).
    """
    wanted = set(outcomes or [])
    usable = [lvl for lvl, inds in by_level.items() if wanted <= set(inds)]
    if level in usable:
        return level
    if "commune" in usable:
        return "commune"
    if "departement" in usable and level == "region":
        return "departement"
    if "departement" in usable:
        raise InputError(
            f"level={level!r}: the creation counts of this long table are published by "
            "département (the shipped INSEE files), which serve the 'departement' and 'region' "
            "levels only. For communes and EPCI, fetch INSEE's commune files "
            "('impact fetch side_creations_communes', then build again with source 'insee') "
            "or use the demonstration data (source 'demo')."
        )
    if not by_level:
        raise InputError(
            "the long table has no creation counts (no commune-level creation counts from "
            "SIRENE or the demonstration, no département-level counts from the INSEE files). "
            "Was a creation source among the sources?"
        )
    raise InputError(
        f"no level of the long table has every outcome {sorted(wanted)} for a {level} panel; "
        f"creation indicators by level: {_listing(by_level)}"
    )


def _count_units(com: pd.DataFrame, level: str, count_level: str) -> pd.Series:
    """Map from the code of a counting unit (commune or département) to its territory."""
    if count_level == level:
        codes = pd.unique(com["target"])
        units = pd.Series(codes, index=codes)
    elif count_level == "commune":
        units = com.set_index("code")["target"]
    else:
        # Départements nest in régions: each commune's département maps to its target.
        units = com.drop_duplicates("departement").set_index("departement")["target"]
    units.index.name = "unit"
    return units.rename("target")


def _is_demo(long: pd.DataFrame) -> bool:
    src = long["source"]
    cats = (
        src.cat.categories
        if isinstance(src.dtype, pd.CategoricalDtype)
        else pd.unique(src.astype(str))
    )
    return any(str(s).startswith("demo-") for s in cats)


def validate_panel(panel: pd.DataFrame, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
    """Check an estimation panel against :func:`impact.schema.panel_schema`.

    Duplicated keys are reported first, in plain words (they make every other
    check misleading).
    """
    from impact.schema import validate_panel as _validate

    time_key = "period" if "period" in panel.columns else "year"
    if "territory_code" in panel.columns and time_key in panel.columns:
        dup = panel.duplicated(["territory_code", time_key], keep=False)
        if dup.any():
            rows = panel.loc[dup, ["territory_code", time_key]].drop_duplicates().head(5)
            raise InputError(
                f"{int(dup.sum())} duplicated territory-year rows in the panel "
                f"(keys territory_code, {time_key}), e.g. {rows.to_dict('records')}"
            )
    if outcomes is None:
        outcomes = [
            c for c in panel.columns if c.startswith("creations_") and not c.endswith("_per10k")
        ]
    return _validate(panel, outcomes)


