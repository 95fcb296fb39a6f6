"""The canonical long table and the wide estimation panel.

:func:`build_long` gathers whatever sources are available — the
demonstration files, real files found in a folder, or explicit paths — into
the canonical long format (:func:`impact.schema.long_schema`), reading every
file with the same readers (:mod:`impact.sources`). :func:`build_panel` turns
it into one row per territory × period at a chosen level and frequency:

* **outcomes** as counts summed from the communes, and **per 10,000
  inhabitants** re-derived from the aggregated count and population (never
  an average of communal rates);
* **treatment**: ``first_label_year`` (0 for never labelled, the ``group``
  convention of :func:`impact.estimate.att_gt`), ``ptce_count``, ``treated``
  and spending (``spending_eur``, ``spending_per_inhabitant``);
* **covariates**: population, salaried jobs (summed), the unemployment rate
  (as published at the panel level when it is, otherwise re-aggregated from
  département rates with population weights);
* names, région and département codes.

The panel is balanced (every territory × every period; territories without
population — Mayotte's communes in COG 2025 — are dropped and listed in
``panel.attrs["dropped"]``). :func:`write_outputs` writes both tables as
Parquet, all or nothing. See ``docs/data_dictionary.md`` for every column.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from impact._io import atomic_path
from impact.config import data_dir, processed_dir, raw_dir
from impact.errors import InputError
from impact.schema import FREQS, PANEL_LEVELS
from impact.sources._common import LONG_COLUMNS

logger = logging.getLogger(__name__)

#: Default outcomes of the panel (any ``creations_*`` indicator of the long table may be asked for).
COUNT_OUTCOMES: tuple[str, ...] = ("creations_total", "creations_tpe", "creations_ess")
#: Rates are per this many inhabitants.
PER = 10_000
#: The source keys :func:`build_long` understands.
SOURCE_KEYS: tuple[str, ...] = ("sirene_ul", "sirene_et", "urssaf", "unemployment")
#: File names looked for by ``build_long("real")`` in each searched folder.
REAL_PATTERNS: dict[str, list[str]] = {
    "sirene_ul": ["StockUniteLegale*.parquet", "StockUniteLegale*.zip", "StockUniteLegale*.csv"],
    "sirene_et": [
        "StockEtablissement*.parquet",
        "StockEtablissement*.zip",
        "StockEtablissement*.csv",
    ],
    "urssaf": ["*urssaf*.csv", "*effectifs*salari*.csv", "*effectifs*.csv"],
    "unemployment": ["chomage*.xlsx", "*chomage*.xlsx", "*txcho*.xlsx"],
}
#: PTCE call envelopes (FACTS.md): label year -> (euros, number of lauréats).
CALL_ENVELOPES: dict[int, tuple[float, int]] = {2014: (3_000_000.0, 23), 2016: (2_700_000.0, 14)}


# --------------------------------------------------------------------------- long table


def real_folders(raw_dir_: str | Path | None = None) -> list[Path]:
    """Folders searched by ``build_long("real")``: the one given, else ``data/real``,
    ``data/raw`` and the download cache of ``impact fetch``."""
    if raw_dir_ is not None:
        return [Path(raw_dir_)]
    folders = [data_dir() / "real", raw_dir()]
    try:
        from impact.config import cache_dir

        folders.append(cache_dir())
    except Exception:  # pooch missing or no cache: the other folders are still searched
        pass
    return folders


def find_real_files(folders: Iterable[Path]) -> dict[str, Path]:
    """The first file matching each of :data:`REAL_PATTERNS` in ``folders`` (in order)."""
    found: dict[str, Path] = {}
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        for key, patterns in REAL_PATTERNS.items():
            if key in found:
                continue
            for pat in patterns:
                hits = sorted(
                    p for p in Path(folder).glob(pat) if p.is_file() and not p.name.startswith(".")
                )
                if hits:
                    found[key] = hits[0]
                    break
    return found


def _union(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate long frames keeping text columns categorical (millions of rows, little memory)."""
    from pandas.api.types import union_categoricals

    out = {}
    for col in LONG_COLUMNS:
        series = [p[col] for p in parts]
        if col in ("value", "cog_year"):
            out[col] = np.concatenate(
                [s.to_numpy(dtype="float64" if col == "value" else "int64") for s in series]
            )
        else:
            cats = [
                s.astype("category") if not isinstance(s.dtype, pd.CategoricalDtype) else s
                for s in series
            ]
            cats = [c.cat.set_categories(c.cat.categories.astype(str)) for c in cats]
            out[col] = union_categoricals(cats, ignore_order=True)
    return pd.DataFrame(out)


def build_long(
    sources: str | Mapping[str, str | Path] = "demo",
    *,
    seed: int = 2014,
    scale: float = 1.0,
    real_dir: str | Path | None = None,
    raw_dir: str | Path | None = None,
    freq: str = "year",
    start: int | None = None,
    end: int | None = None,
    population: bool = True,
    validate: bool = True,
) -> pd.DataFrame:
    """The canonical long table from the available sources.

    Parameters
    ----------
    sources
        ``"demo"``: the demonstration files (generated with ``seed`` and
        ``scale`` if absent, or read from ``raw_dir`` when it holds files made
        by ``impact demo --out``). ``"real"``: files found in ``raw_dir``
        (default: ``data/real/``, ``data/raw/`` and the ``impact fetch``
        cache) — SIRENE stocks, URSSAF CSV, unemployment workbook, each
        optional. A mapping: keys among :data:`SOURCE_KEYS` to paths.
    real_dir, raw_dir
        Folder of the files (``real_dir`` is the older name).
    freq
        ``"year"`` or ``"month"``: period of the SIRENE creation counts
        (monthly counts allow quarterly and monthly panels; the national
        stock by month is ~3 times slower to read).
    start, end
        Years of creation to keep (inclusive).
    population
        Add commune populations (territory layer, COG 2025, repeated for
        every year of the creation counts: status ``estimated`` except 2022).
    validate
        Check the result against :func:`impact.schema.long_schema`.

    Returns
    -------
    pandas.DataFrame
        The long table (text columns categorical). ``attrs``: ``sources``
        (names used), ``files`` (paths read), ``demo`` (bool) and, for the
        demonstration, ``demo_folder``.

    Raises
    ------
    InputError
        When no source is available: the message lists the files looked for
        and the folders searched.
    """
    from impact.sources import sirene, unemployment, urssaf

    if freq not in ("year", "month"):
        raise InputError(f"build_long(freq={freq!r}): expected 'year' or 'month'")
    folder_arg = raw_dir if raw_dir is not None else real_dir
    demo = isinstance(sources, str) and sources == "demo"
    demo_folder = None
    if demo:
        from impact.demo import DemoFiles, generate

        if folder_arg is not None:
            files = DemoFiles.in_folder(folder_arg)
            if not files.manifest.exists():
                raise InputError(
                    f"no demonstration data in {folder_arg} (no manifest.json); create "
                    f"them with 'impact demo --out {folder_arg}'"
                )
        else:
            files = generate(seed=seed, scale=scale)
        demo_folder = files.folder
        paths = files.source_paths()
    elif isinstance(sources, str) and sources == "real":
        folders = real_folders(folder_arg)
        paths = find_real_files(folders)
        if not paths:
            wanted = "; ".join(f"{k}: {' or '.join(v)}" for k, v in REAL_PATTERNS.items())
            raise InputError(
                f"no real source file found. Looked for {wanted} in {', '.join(str(f) for f in folders)}. "
                "Download them with 'impact fetch <source>' (see 'impact fetch --help'), put them "
                "in one of these folders, or use the demonstration data ('impact build --source demo')."
            )
    elif isinstance(sources, Mapping):
        paths = {k: Path(v) for k, v in sources.items() if v is not None}
        unknown = sorted(set(paths) - set(SOURCE_KEYS))
        if unknown:
            raise InputError(
                f"unknown source key(s) {unknown}; expected some of {list(SOURCE_KEYS)}"
            )
        missing = sorted(str(p) for p in paths.values() if not p.exists())
        if missing:
            raise InputError(f"source file(s) not found: {', '.join(missing)}")
    else:
        raise InputError(f"sources must be 'demo', 'real' or a mapping of paths, not {sources!r}")

    parts: list[pd.DataFrame] = []
    used: list[str] = []
    reference: list[str] = []  # always-available reference data (territory layer), not sources
    read_files: list[str] = []
    if ("sirene_ul" in paths) != ("sirene_et" in paths):
        have, lack = (
            ("sirene_ul", "sirene_et") if "sirene_ul" in paths else ("sirene_et", "sirene_ul")
        )
        logger.warning(
            "SIRENE: %s found (%s) but no %s file: creations cannot be counted without both stocks",
            have,
            paths[have],
            lack,
        )
    if "sirene_ul" in paths and "sirene_et" in paths:
        logger.info(
            "Reading SIRENE creations (%s) from %s and %s",
            freq,
            paths["sirene_ul"],
            paths["sirene_et"],
        )
        parts.append(
            sirene.creations(
                paths["sirene_ul"],
                paths["sirene_et"],
                freq=freq,
                start=start,
                end=None if end is None else end,
            )
        )
        used.append("sirene")
        read_files += [str(paths["sirene_ul"]), str(paths["sirene_et"])]
    for key, reader in (("urssaf", urssaf.read), ("unemployment", unemployment.read)):
        if key in paths:
            logger.info("Reading %s from %s", key, paths[key])
            parts.append(reader(paths[key]))
            used.append(key)
            read_files.append(str(paths[key]))
    if not parts:
        raise InputError(
            "none of the sources could be used: give both SIRENE stocks, an URSSAF "
            f"file or an unemployment workbook (found only: {sorted(paths) or 'nothing'})"
        )
    if demo:
        for p in parts:
            src = p["source"].astype("category")
            p["source"] = src.cat.rename_categories(lambda c: f"demo-{c}")
    if population:
        years = _years_of(parts[0] if used[0] == "sirene" else pd.concat(parts))
        if years:
            from impact.sources.population import population as pop_reader

            parts.append(pop_reader("commune", years))
            reference.append("population")
    long = _union(parts)
    if start is not None or end is not None:
        y = _period_years(long["period"])
        keep = np.ones(len(long), bool)
        if start is not None:
            keep &= y >= start
        if end is not None:
            keep &= y <= end
        long = long.loc[keep].reset_index(drop=True)
    if validate:
        from impact.schema import validate_long

        validate_long(long)
    long.attrs.update(
        {
            "sources": used,
            "reference": reference,
            "files": read_files,
            "demo": demo,
            "demo_folder": str(demo_folder) if demo_folder else None,
            "freq": freq,
        }
    )
    logger.info(
        "Long table: %s rows from %s%s",
        f"{len(long):,}",
        ", ".join(used + reference),
        " (demonstration data)" if demo else "",
    )
    return long


def _period_years(period: pd.Series) -> np.ndarray:
    """Years of a (possibly categorical) period column, computed once per distinct value."""
    return _map_values(period, lambda p: int(str(p)[:4])).astype(int)


def _map_values(series: pd.Series, fn) -> np.ndarray:
    """Apply ``fn`` per distinct value of a (categorical) column and map back."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        mapped = np.array([fn(c) for c in cats], dtype=object)
        return mapped[series.cat.codes.to_numpy()] if len(cats) else np.array([], dtype=object)
    uniq = pd.unique(series)
    lookup = {u: fn(u) for u in uniq}
    return (
        np.array([lookup[v] for v in series.to_numpy()], dtype=object)
        if len(series) < 1000
        else series.map(lookup).to_numpy()
    )


def _years_of(df: pd.DataFrame) -> list[int]:
    if df.empty:
        return []
    return sorted({int(str(p)[:4]) for p in pd.unique(df["period"].astype(str))})


# --------------------------------------------------------------------------- periods


def _to_freq(period: str, freq: str) -> str:
    """Convert a period to a coarser-or-equal frequency (``2016-07`` -> ``2016Q3`` -> ``2016``)."""
    p = str(period)
    if freq == "year":
        return p[:4]
    if freq == "quarter":
        if "Q" in p:
            return p
        if "-" in p:
            return f"{p[:4]}Q{(int(p[5:7]) - 1) // 3 + 1}"
    if freq == "month" and "-" in p:
        return p
    raise InputError(f"cannot express period {p!r} at frequency {freq!r}")


def _all_periods(years: Sequence[int], freq: str) -> list[str]:
    if freq == "year":
        return [str(y) for y in years]
    if freq == "quarter":
        return [f"{y}Q{q}" for y in years for q in range(1, 5)]
    return [f"{y}-{m:02d}" for y in years for m in range(1, 13)]


def _time_index(period: pd.Series, freq: str) -> np.ndarray:
    def fn(p: str) -> int:
        y = int(p[:4])
        if freq == "year":
            return y
        if freq == "quarter":
            return 4 * y + int(p[5]) - 1
        return 12 * y + int(p[5:7]) - 1

    return np.array([fn(p) for p in period], dtype="int64")


# --------------------------------------------------------------------------- treatment and spending


def _demo_folder_of(long: pd.DataFrame, demo_folder: str | Path | None) -> Path | None:
    folder = demo_folder or (long.attrs.get("demo_folder") if long.attrs.get("demo") else None)
    return Path(folder) if folder else None


def ptce_list(level: str, *, demo_folder: str | Path | None = None) -> pd.DataFrame:
    """One row per labelled PTCE at ``level``.

    From the demonstration's own PTCE (``ptce_treatment.csv``) when
    ``demo_folder`` is given, otherwise from the registry (:func:`impact.ptce.load`).

    Returns
    -------
    pandas.DataFrame
        ``commune_code, label_year, grant_eur, territory_code`` (``grant_eur``
        NaN where no grant was published, and always for the demonstration).
    """
    from impact.territories import commune_to

    if demo_folder is not None:
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
    else:
        from impact import ptce

        try:
            poles = ptce.load()
        except InputError as exc:
            raise InputError(
                f"no PTCE registry for the treatment columns ({exc}). Add data/raw/ptce.csv "
                "(see impact.ptce) or build from the demonstration data."
            ) from exc
        t = pd.DataFrame(
            {
                "commune_code": poles["commune_code"].astype(str).to_numpy(),
                "label_year": poles["label_year"].astype(int).to_numpy(),
                "grant_eur": pd.to_numeric(poles["grant_eur"], errors="coerce").to_numpy(),
            }
        )
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
    return _first_labels(ptce_list(level, demo_folder=demo_folder))


def _first_labels(poles: pd.DataFrame) -> pd.DataFrame:
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


def _indicator(long: pd.DataFrame, names_: Sequence[str]) -> pd.DataFrame:
    sel = long["indicator"].isin(list(names_)).to_numpy()
    sub = long.loc[sel, ["territory_code", "level", "period", "indicator", "value"]]
    return pd.DataFrame(
        {
            c: (sub[c].astype(str).to_numpy() if c != "value" else sub[c].to_numpy())
            for c in sub.columns
        }
    )


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
) -> pd.DataFrame:
    """The balanced estimation panel at ``level`` and ``freq``.

    Parameters
    ----------
    long
        Output of :func:`build_long` (or the same columns read back from
        ``long.parquet``).
    level
        ``"commune"``, ``"epci"``, ``"departement"`` or ``"region"``.
    freq
        ``"year"``; ``"quarter"`` or ``"month"`` when the creations in ``long``
        are monthly (``build_long(freq="month")``).
    outcomes
        Creation indicators to include (default :data:`COUNT_OUTCOMES`); each
        gets a ``<outcome>_per10k`` column.
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

    Returns
    -------
    pandas.DataFrame
        One row per territory × period; columns described in
        ``docs/data_dictionary.md`` (:func:`impact.schema.panel_schema`).
        ``attrs``: ``level``, ``freq``, ``sources``, ``demo``, ``dropped``.
    """

    if level not in PANEL_LEVELS:
        raise InputError(f"level={level!r}: expected one of {', '.join(PANEL_LEVELS)}")
    if freq not in FREQS:
        raise InputError(f"freq={freq!r}: expected one of {', '.join(FREQS)}")
    outcomes = list(outcomes) if outcomes is not None else list(COUNT_OUTCOMES)
    bad = [o for o in outcomes if not o.startswith("creations_") or o.endswith("_per10k")]
    if bad:
        raise InputError(
            f"outcomes {bad}: expected creation count indicators such as "
            f"{', '.join(COUNT_OUTCOMES)}"
        )
    missing_cols = [c for c in LONG_COLUMNS if c not in long.columns]
    if missing_cols:
        raise InputError(f"the long table lacks column(s) {missing_cols}")

    # ---- creations (commune counts; sparse rows mean zero)
    cre = _indicator(long[long["level"].astype(str) == "commune"], outcomes)
    if cre.empty:
        raise InputError(
            f"the long table has no commune-level creation counts for {outcomes}; "
            "was SIRENE among the sources? (indicators present: "
            f"{sorted(pd.unique(long['indicator'].astype(str)))[:12]})"
        )
    sub_annual = {p for p in pd.unique(cre["period"]) if len(p) > 4}
    if freq != "year" and not sub_annual:
        raise InputError(
            f"freq={freq!r} needs monthly creation counts: build the long table with "
            "build_long(..., freq='month') ('impact build --freq month' does it)"
        )
    cre["period"] = (
        [_to_freq(p, freq) for p in cre["period"]]
        if len(cre) < 50_000
        else cre["period"].map({p: _to_freq(p, freq) for p in pd.unique(cre["period"])})
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
    periods = _all_periods(years, freq)

    com, terr = _territories(level, region)
    target = com.set_index("code")["target"]
    cre = cre[cre["territory_code"].isin(target.index)]
    cre["target"] = cre["territory_code"].map(target).to_numpy()
    wide = (
        cre.groupby(["target", "period", "indicator"], sort=False)["value"]
        .sum()
        .unstack("indicator")
    )
    wide = wide.reindex(columns=outcomes)
    logger.info("Panel %s × %s: %d territories × %d periods", level, freq, len(terr), len(periods))

    grid = pd.MultiIndex.from_product(
        [terr["territory_code"], periods], names=["territory_code", "period"]
    )
    panel = grid.to_frame(index=False)
    panel = panel.merge(terr, on="territory_code", how="left")
    panel.insert(
        panel.columns.get_loc("period") + 1, "year", panel["period"].str[:4].astype("int64")
    )
    panel.insert(panel.columns.get_loc("year") + 1, "time", _time_index(panel["period"], freq))
    panel.insert(2, "level", level)
    counts = wide.reindex(pd.MultiIndex.from_frame(panel[["territory_code", "period"]]))
    for o in outcomes:
        panel[o] = counts[o].fillna(0.0).to_numpy(dtype=float)

    # ---- population (by year when the long table has it, else the territory layer)
    pop = _population(long, com, years)
    panel = panel.merge(pop, on=["territory_code", "year"], how="left")
    for o in outcomes:
        panel[f"{o}_per10k"] = PER * panel[o] / panel["population"].where(panel["population"] > 0)

    # ---- covariates
    panel = panel.merge(
        _salaried_jobs(long, level, com, years), on=["territory_code", "year"], how="left"
    )
    panel = panel.merge(
        _unemployment(long, level, com, freq, periods), on=["territory_code", "period"], how="left"
    )

    # ---- treatment and spending
    # An explicit demo_folder means demonstration PTCE, even for a long table read from paths.
    folder = _demo_folder_of(long, demo_folder)
    demo = bool(long.attrs.get("demo", False)) or _is_demo(long) or demo_folder is not None
    if demo and folder is None:
        raise InputError(
            "these are demonstration data but the demonstration folder is unknown: "
            "pass build_panel(..., demo_folder=impact.demo.default_folder(seed, scale))"
        )
    # The registry (or the demonstration's PTCE) is read once: treatment and spending.
    poles = ptce_list(level, demo_folder=folder if demo else None)
    treat = _first_labels(poles)
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
        "first_label_year",
        "ptce_count",
        "treated",
        "spending_eur",
        "spending_per_inhabitant",
    ]
    panel = panel[order].sort_values(["territory_code", "time"]).reset_index(drop=True)
    validate_panel(panel, outcomes)
    panel.attrs.update(
        {
            "level": level,
            "freq": freq,
            "demo": demo,
            "sources": list(long.attrs.get("sources", [])),
            "dropped": [str(c) for c in no_pop],
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


def _is_demo(long: pd.DataFrame) -> bool:
    src = long["source"]
    cats = (
        src.cat.categories
        if isinstance(src.dtype, pd.CategoricalDtype)
        else pd.unique(src.astype(str))
    )
    return any(str(s).startswith("demo-") for s in cats)


def _population(long: pd.DataFrame, com: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Population per target territory and year (long table's commune rows, else COG 2025)."""
    base = com[["code", "target", "population"]]
    rows = _indicator(long[long["level"].astype(str) == "commune"], ["population"])
    frames = []
    by_year = {}
    if not rows.empty:
        rows["year"] = rows["period"].str[:4].astype(int)
        by_year = {y: g.set_index("territory_code")["value"] for y, g in rows.groupby("year")}
    for y in years:
        p = base["population"]
        if y in by_year:
            p = base["code"].map(by_year[y]).fillna(base["population"])
        frames.append(
            pd.DataFrame(
                {
                    "territory_code": base["target"].to_numpy(),
                    "year": y,
                    "population": p.to_numpy(dtype=float),
                }
            )
        )
    f = pd.concat(frames)
    # Communes without population in COG 2025 (Mayotte's, and Hauts-Talican created in 2024)
    # are left out of their territory's sum; a territory made only of them has none.
    partial = f.loc[f["population"].isna(), "territory_code"].unique()
    out = f.groupby(["territory_code", "year"], as_index=False)["population"].sum(min_count=1)
    partial = [
        c for c in partial if out.loc[out["territory_code"] == c, "population"].notna().any()
    ]
    if partial:
        logger.info(
            "Population of %s excludes communes without population in COG 2025",
            ", ".join(map(str, partial[:10])),
        )
    return out


def _salaried_jobs(
    long: pd.DataFrame, level: str, com: pd.DataFrame, years: Sequence[int]
) -> pd.DataFrame:
    """Salaried jobs per territory and year, summed from the finest published level."""
    rows = _indicator(long, ["salaried_jobs"])
    empty = pd.DataFrame(
        {
            "territory_code": pd.Series(dtype=str),
            "year": pd.Series(dtype="int64"),
            "salaried_jobs": pd.Series(dtype=float),
        }
    )
    if rows.empty:
        return empty
    rows = rows[rows["period"].str.len() == 4]
    rows["year"] = rows["period"].astype(int)
    at = set(rows["level"])
    if level in at:
        out = rows[rows["level"] == level]
        return out[["territory_code", "year"]].assign(salaried_jobs=out["value"].to_numpy())
    # Sum a finer level: communes to anything, départements to régions.
    if "commune" in at:
        src = rows[rows["level"] == "commune"]
        mapping = com.set_index("code")["target"]
    elif level == "region" and "departement" in at:
        src = rows[rows["level"] == "departement"]
        mapping = com.drop_duplicates("departement").set_index("departement")["region"]
    else:
        logger.info("salaried_jobs: published at %s level only; NaN at %s level", sorted(at), level)
        return empty
    src = src.assign(target=src["territory_code"].map(mapping)).dropna(subset=["target"])
    # Units expected per target: a target with a missing part gets NaN (a sum would understate).
    if "commune" in at:
        expected = com.groupby("target").size()
    else:
        expected = com.drop_duplicates("departement").groupby("region").size()
    g = src.groupby(["target", "year"])["value"]
    out = pd.DataFrame({"sum": g.sum(min_count=1), "n": g.count()}).reset_index()
    if "commune" not in at:
        out["sum"] = out["sum"].where(out["n"] == out["target"].map(expected))
    return pd.DataFrame(
        {
            "territory_code": out["target"],
            "year": out["year"].astype("int64"),
            "salaried_jobs": out["sum"],
        }
    )


def _unemployment(
    long: pd.DataFrame, level: str, com: pd.DataFrame, freq: str, periods: Sequence[str]
) -> pd.DataFrame:
    """Unemployment rate per territory and period (see the module and data dictionary)."""
    rows = _indicator(long, ["unemployment_rate"])
    empty = pd.DataFrame(
        {
            "territory_code": pd.Series(dtype=str),
            "period": pd.Series(dtype=str),
            "unemployment_rate": pd.Series(dtype=float),
        }
    )
    if rows.empty:
        return empty
    rows = rows[rows["period"].str.contains("Q")]
    if freq == "year":
        rows["period"] = rows["period"].str[:4]
        rows = rows.groupby(["territory_code", "level", "period"], as_index=False)["value"].mean()
    wanted = set(periods) if freq != "month" else {_to_freq(p, "quarter") for p in periods}
    rows = rows[rows["period"].isin(wanted)]
    if level in set(rows["level"]):
        out = rows[rows["level"] == level][["territory_code", "period", "value"]]
    elif "departement" in set(rows["level"]):
        dep = rows[rows["level"] == "departement"][["territory_code", "period", "value"]]
        dep = dep.rename(columns={"territory_code": "departement"})
        # Population weights: each commune carries its département's rate.
        w = com[["departement", "target", "population"]].dropna(subset=["population"])
        w = w.groupby(["target", "departement"], as_index=False)["population"].sum()
        m = w.merge(dep, on="departement")
        m["wv"] = m["value"] * m["population"]
        g = m.groupby(["target", "period"])
        out = pd.DataFrame({"value": g["wv"].sum() / g["population"].sum()}).reset_index()
        out = out.rename(columns={"target": "territory_code"})
    else:
        logger.info("unemployment_rate: no département or %s rates; NaN", level)
        return empty
    out = out.rename(columns={"value": "unemployment_rate"})
    if freq == "month":
        q = pd.DataFrame({"period": list(periods)})
        q["quarter"] = [_to_freq(p, "quarter") for p in q["period"]]
        out = (
            out.rename(columns={"period": "quarter"}).merge(q, on="quarter").drop(columns="quarter")
        )
    return out[["territory_code", "period", "unemployment_rate"]]


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


# --------------------------------------------------------------------------- outputs


def output_paths(level: str, freq: str, out_dir: str | Path | None = None) -> dict[str, Path]:
    """Where :func:`write_outputs` writes: ``long.parquet`` and ``panel_<level>_<freq>.parquet``."""
    out = Path(out_dir) if out_dir else processed_dir()
    return {"long": out / "long.parquet", "panel": out / f"panel_{level}_{freq}.parquet"}


def write_outputs(
    long: pd.DataFrame, panel: pd.DataFrame, out_dir: str | Path | None = None
) -> dict[str, Path]:
    """Write the long table and the panel as Parquet, all or nothing.

    Both files are first written to hidden temporary files in ``out_dir``
    (default ``data/processed``); only when both are complete are they put in
    place (:func:`impact._io.atomic_files`): if the second rename fails, the
    first is undone and the former files restored, so the folder never holds
    a new long table with an old panel. If anything fails, the temporary files
    are removed and existing outputs are left untouched.

    Returns
    -------
    dict
        ``{"long": path, "panel": path}``.

    Raises
    ------
    OutputError
        ``out_dir`` cannot be written (checked before anything is serialised).
    """
    from impact._io import atomic_files, check_writable

    level = panel.attrs.get("level") or (str(panel["level"].iloc[0]) if len(panel) else None)
    freq = panel.attrs.get("freq", "year")
    if level is None:
        raise InputError("write_outputs: the panel is empty")
    missing = [c for c in LONG_COLUMNS if c not in long.columns]
    if missing:
        raise InputError(f"write_outputs: the long table lacks column(s) {missing}")
    validate_panel(
        panel,
        [c for c in panel.columns if c.startswith("creations_") and not c.endswith("_per10k")],
    )
    paths = output_paths(level, freq, out_dir)
    check_writable(paths["long"].parent, what="output folder (--out)")
    with atomic_files([paths["long"], paths["panel"]], suffixes=[".parquet", ".parquet"]) as (
        tmp_long,
        tmp_panel,
    ):
        long.to_parquet(tmp_long, index=False)
        panel.to_parquet(tmp_panel, index=False)
        logger.info("Writing %s and %s", paths["long"], paths["panel"])
    return paths
