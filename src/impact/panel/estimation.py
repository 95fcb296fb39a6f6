"""The balanced estimation panel: one row per territory × period at a level.

May import: :mod:`impact.panel.periods`, :mod:`impact.panel.treatment`,
:mod:`impact.territories`, :mod:`impact.schema`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from impact._options import check_options
from impact.errors import InputError
from impact.panel.covariates import (
    PER,
    commune_population,
    indicator_rows,
    other_outcome,
    published_population,
    salaried_jobs_table,
    tpe_stock_rate,
    unemployment_table,
)
from impact.panel.periods import all_periods, time_index, to_freq
from impact.panel.treatment import assign_treatment, demo_folder_of
from impact.panel.treatment_table import read_treatment
from impact.schema import RATE_INDICATORS
from impact.sources._common import LONG_COLUMNS

logger = logging.getLogger(__name__)


#: Options of :func:`build_panel` (the CLI and the notebooks cast checked strings to them;
#: the signature spells them out for :func:`impact._options.check_options`).
PanelLevel = Literal["commune", "epci", "departement", "region"]
PanelFreq = Literal["year", "quarter", "month"]
DataKind = Literal["real", "demo"]
UncertainRule = Literal["exclude", "keep"]

#: Default outcomes of the panel (any ``creations_*`` indicator of the long table may be asked for).
COUNT_OUTCOMES: tuple[str, ...] = ("creations_total", "creations_tpe", "creations_ess")
#: Sources whose creation counts are published tables (every cell present; a missing one is
#: secret or not published, never zero), as opposed to counts made from the SIRENE stock.
PUBLISHED_SOURCES: tuple[str, ...] = ("insee_side", "insee_melodi")
# Indicators the panel always carries as covariates (an outcome among them is not repeated).
_COVARIATES = ("salaried_jobs", "unemployment_rate")
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


@check_options
def build_panel(
    long: pd.DataFrame,
    *,
    # Literal written out: check_options reads these annotations (an alias would hide them).
    level: Literal["commune", "epci", "departement", "region"] = "departement",
    freq: Literal["year", "quarter", "month"] = "year",
    treatment: pd.DataFrame | str | Path | None = None,
    outcomes: Sequence[str] | None = None,
    data_kind: Literal["real", "demo"],
    start: int | None = None,
    end: int | None = None,
    region: str | None = None,
    demo_folder: str | Path | None = None,
    spending_path: str | Path | None = None,
    uncertain: Literal["exclude", "keep"] | None = None,
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
    treatment
        Who is treated from when: a treatment table ``territory_code,
        first_treated, intensity[, precision]`` at any level (a frame or the
        path of a CSV; see :mod:`impact.panel.treatment_table`), e.g.
        :func:`impact.ptce.treatment` or :func:`impact.panel.spending_treatment`.
        Default ``None``: the PTCE registry (or, on demonstration data, the
        demonstration's own PTCE).
    outcomes
        Indicators of the long table to include (default: every ``creations_*``
        indicator). A count (anything but a rate of
        :data:`impact.schema.RATE_INDICATORS`) is summed to the level and gets a
        ``<outcome>_per10k`` column; a rate (``unemployment_rate``) is kept as
        it is.
    data_kind
        ``"real"`` or ``"demo"`` (required): whether the long table holds real
        or demonstration data, recorded in ``attrs["data_kind"]``. It is never
        guessed; a value the long table contradicts (demonstration rows or
        ``long.attrs["demo"]`` against ``"real"``, none of them against
        ``"demo"``) is an :class:`~impact.errors.InputError`.
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
        ``attrs``: ``level``, ``freq``, ``sources``, ``data_source``,
        ``data_kind``, ``demo``, ``count_level``, ``outcomes``, ``dropped`` (no
        population), ``not_covered`` (territories the source does not cover),
        ``uncertain``, ``excluded_uncertain`` (codes), ``treatment`` (its
        ``origin``: ``"ptce_registry"``, ``"ptce_demo"``, ``"spending"`` or
        ``"table"``, its ``digest``, treated territories, those treated before
        the first or after the last period) and ``ptce`` (lauréats placed at
        this level, placed more coarsely, unknown and missing from the
        registry; empty for another treatment).

    Examples
    --------
    A second programme on the shipped INSEE data (départements, 2012–2021):

    >>> from impact.datasets import example_treatment
    >>> long = impact.panel.build_long("insee")
    >>> panel = build_panel(long, level="departement", data_kind="real",
    ...                     treatment=example_treatment(),
    ...                     outcomes=["creations_companies", "unemployment_rate"])
    >>> panel.attrs["treatment"]["origin"], panel.attrs["data_kind"]
    ('table', 'real')
    >>> treated = panel.loc[panel["first_label_year"] > 0].drop_duplicates("territory_code")
    >>> print(treated[["territory_code", "name", "first_label_year", "intensity"]]
    ...       .to_string(index=False))
    territory_code             name  first_label_year  intensity
                29        Finistère              2016        4.0
                35  Ille-et-Vilaine              2016        2.5
                44 Loire-Atlantique              2017        3.0
                56         Morbihan              2017        1.5
    >>> "creations_companies_per10k" in panel, "unemployment_rate_per10k" in panel
    (True, False)
    """

    missing_cols = [c for c in LONG_COLUMNS if c not in long.columns]
    if missing_cols:
        raise InputError(f"the long table lacks column(s) {missing_cols}")
    _check_data_kind(long, data_kind, demo_folder)
    # ---- creations: at the panel's level when the source publishes it there, else summed from
    # the finest level it has (communes for SIRENE, the demonstration and the INSEE commune
    # files; départements for the shipped INSEE files, which serve the régions)
    ind = long["indicator"].astype(str)
    creation_rows = long.loc[ind.str.startswith("creations_").to_numpy()]
    by_level = {
        lvl: sorted(pd.unique(g["indicator"].astype(str)))
        for lvl, g in creation_rows.groupby(creation_rows["level"].astype(str), observed=True)
    }
    all_indicators = set(pd.unique(ind))
    requested = None if outcomes is None else list(dict.fromkeys(outcomes))
    if requested is not None:
        bad = [o for o in requested if o not in all_indicators or o == "population"
               or o.endswith("_per10k")]
        if bad:
            raise InputError(
                f"outcomes {bad}: expected indicators of the long table other than population "
                f"(present: {', '.join(sorted(all_indicators - {'population'}))})"
            )
    # Creation counts are the backbone of the panel (they set its years, its coverage and
    # whether a missing cell is a zero); other indicators are added to it.
    other_outcomes = [o for o in (requested or []) if not o.startswith("creations_")]
    outcomes = [o for o in (requested or []) if o.startswith("creations_")] or None
    count_level = _count_level(by_level, outcomes, level)
    present = by_level[count_level]
    keep_creations = outcomes is not None or requested is None
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
        unemployment_table(long, level, com, freq, periods), on=["territory_code", "period"],
        how="left"
    )
    panel = panel.merge(tpe_stock_rate(level, panel, com), on="territory_code", how="left")

    # ---- other outcomes: covariates already on the panel, or any indicator of the long table
    rate_outcomes: list[str] = []
    count_others: list[str] = []
    for o in other_outcomes:
        if o not in panel.columns:
            panel = panel.merge(other_outcome(long, o, level, com, freq),
                                on=["territory_code", "period"], how="left")
        if o in RATE_INDICATORS:
            rate_outcomes.append(o)
        else:
            count_others.append(o)
            panel[f"{o}_per10k"] = (
                PER * panel[o] / panel["population"].where(panel["population"] > 0))

    # ---- treatment and spending
    demo = data_kind == "demo"
    # An explicit demo_folder means demonstration PTCE, even for a long table read from paths.
    folder = demo_folder_of(long, demo_folder, demo=demo)
    if treatment is None and demo and folder is None:
        raise InputError(
            "these are demonstration data but the demonstration folder is unknown: "
            "pass build_panel(..., demo_folder=impact.demo.default_folder(seed, scale)) "
            "or a treatment table (treatment=...)"
        )
    uncertain = uncertain or ("keep" if demo else "exclude")
    if treatment is None:
        from impact import ptce

        try:
            treatment = ptce.treatment(level, uncertain=uncertain,
                                       demo_folder=folder if demo else None)
        except InputError as exc:
            if demo:
                raise
            raise InputError(
                f"no usable PTCE registry for the treatment columns ({exc}). Fix or add "
                "data/raw/ptce.csv (see impact.ptce), pass a treatment table "
                "(treatment=...), or build from the demonstration data."
            ) from exc
    panel, treat_info, excluded = assign_treatment(
        panel, read_treatment(treatment), level=level, uncertain=uncertain, demo=demo,
        spending_path=spending_path)
    if excluded:
        logger.info(
            "uncertain='exclude': %d %s(s) may hold a treated place known only more coarsely "
            "and leave the panel: %s",
            len(excluded), level, ", ".join(excluded[:12]) + (" …" if len(excluded) > 12 else ""),
        )

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
    # Creation counts asked for (all by default; none when only other indicators were asked).
    shown = outcomes if keep_creations else []
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
        *shown,
        *(f"{o}_per10k" for o in shown),
        *(o for o in other_outcomes if o not in _COVARIATES),
        *(f"{o}_per10k" for o in count_others),
        "salaried_jobs",
        "unemployment_rate",
        "tpe_stock_2014_per10k",
        "first_label_year",
        "ptce_count",
        "intensity",
        "treated",
        "spending_eur",
        "spending_per_inhabitant",
    ]
    panel = panel[order].sort_values(["territory_code", "time"]).reset_index(drop=True)
    validate_panel(panel, shown)
    kept = set(panel["territory_code"])
    panel.attrs.update(
        {
            "level": level,
            "freq": freq,
            "demo": demo,
            "data_kind": "demo" if demo else "real",
            "data_source": long.attrs.get("data_source", "demo" if demo else "real"),
            "outcomes": [*shown, *other_outcomes],
            "sources": list(long.attrs.get("sources", [])),
            "count_level": count_level,
            "dropped": [str(c) for c in no_pop],
            "not_covered": not_covered,
            "uncertain": uncertain,
            "excluded_uncertain": excluded,
            "treatment": {
                **treat_info,
                "treated": sorted(set(panel.loc[panel["first_label_year"] > 0, "territory_code"])),
            },
            "ptce": _ptce_counts(treat_info, kept),
            "demo_folder": str(folder) if folder and demo else None,
        }
    )
    n_treated = int((panel.groupby("territory_code")["first_label_year"].first() > 0).sum())
    logger.info(
        "Panel: %s rows, %d territories (%d treated), periods %s–%s",
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


def _check_data_kind(
    long: pd.DataFrame, data_kind: str, demo_folder: str | Path | None
) -> None:
    """Refuse a ``data_kind`` the long table contradicts: demonstration numbers must
    never be labelled real, nor real ones demonstration."""
    marks = []
    if long.attrs.get("demo"):
        marks.append('long.attrs["demo"] is True')
    if "source" in long.columns and _is_demo(long):
        marks.append("its source column has demo-* rows")
    if data_kind == "real" and (marks or demo_folder is not None):
        why = "; ".join(marks) if marks else "a demonstration folder (demo_folder) was given"
        raise InputError(f"build_panel: data_kind='real' but the long table is a demonstration "
                         f"({why}); pass data_kind='demo' (impact build --data-kind demo)")
    if data_kind == "demo" and not marks and demo_folder is None:
        raise InputError("build_panel: data_kind='demo' but the long table has no demonstration "
                         "rows (no demo-* source, long.attrs['demo'] not set) and no demo_folder "
                         "was given; pass data_kind='real' (impact build --data-kind real)")


def _ptce_counts(info: dict[str, Any], kept: set[str]) -> dict[str, Any]:
    """The PTCE counts of the panel's attrs (empty for another treatment)."""
    codes = info.pop("pole_codes", None)
    counts = info.pop("ptce", None)
    if counts is None:
        return {}
    return {**counts, "placed_in_panel": sum(c in kept for c in codes or [])}


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

    Examples
    --------
    >>> dup = pd.DataFrame({"territory_code": ["29", "29"], "year": [2016, 2016]})
    >>> validate_panel(dup)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: 2 duplicated territory-year rows in the panel ...
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


