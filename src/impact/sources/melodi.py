"""INSEE Melodi files: SIDE creations and stocks by commune, reference populations.

Input layout
------------
INSEE's Melodi service publishes each data set as a ZIP
(``https://api.insee.fr/melodi/file/{DATASET}/{PRODUCT}``, see
:mod:`impact.sources.fetch`) holding two ``;``-separated UTF-8 CSV files:

``{PRODUCT}_data.csv``
    One observation per row, text fields in double quotes, numbers unquoted::

        "GEO";"GEO_OBJECT";"SIDE_MEASURE";"ACTIVITY";"LEGAL_FORM";"FREQ";"TIME_PERIOD";"OBS_VALUE";"OBS_STATUS"
        "01001";"COM";"BURE";"_T";"_T";"A";"2016";12;"A"

    ``GEO`` is the territory code, ``GEO_OBJECT`` its kind (``COM``, ``ARM``,
    ``DEP``, ``REG``, ``FRANCE``, ``EPCI``, ``ZE2020``, ``UU2020``…). One column
    ending in ``_MEASURE`` says what is counted; the other upper-case columns
    that are not attributes (:data:`ATTRIBUTES`) are dimensions whose total is
    coded ``_T``.
``{PRODUCT}_metadata.csv``
    The label of every code: columns ``COD_VAR``, ``LIB_VAR``, ``COD_MOD``,
    ``LIB_MOD``.

The ZIPs are written with data descriptors (member sizes after the data), so
they are read through the central directory (:mod:`zipfile`); the data member
is streamed through :func:`pyarrow.csv.open_csv` in 1 MB blocks (never loaded
whole, nor through pandas) and filtered block by block; the kept rows are held
as integer codes (territory id, year, indicator, status) and a float value, so
9 million rows are read in about 10 s of CPU and under 1 GB
(``benchmarks/bench_melodi.py``).

Indicators
----------
===========================  ====================================================
indicator                    rows of the file
===========================  ====================================================
``creations_total``          ``SIDE_MEASURE=BURE`` (new legal units), ``ACTIVITY=_T``,
                             ``LEGAL_FORM=_T``
``creations_companies``      ``LEGAL_FORM=_T`` minus ``LEGAL_FORM=10``
                             (``ACTIVITY=_T``): every legal form except the
                             individual entrepreneurs (code ``10``,
                             micro-entrepreneurs included), i.e. commercial
                             companies (SARL, SAS, SA…), civil companies and
                             other legal persons. Taken as a difference so that
                             it does not depend on the file's list of detailed
                             forms; a commune-year without a ``10`` row gets no
                             ``creations_companies`` row (counted in
                             ``attrs["companies_without_ei_row"]``).
``creations_naf_<A10>``      ``BURE``, ``LEGAL_FORM=_T``, ``ACTIVITY`` one of the
                             A10 sections :data:`A10` (``creations_naf_BE``…;
                             A21 is not published by commune).
``legal_units_stock``        ``SIDE_MEASURE=LEGAL_UNIT``, every dimension ``_T``.
``population``               ``POPREF_MEASURE=PMUN`` (municipal population),
                             every dimension ``_T``.
===========================  ====================================================

Any other dimension of the file is kept at its total ``_T``. Measures the
reader does not know are ignored and reported (``attrs["ignored_measures"]``);
a file with none it knows raises :class:`UnknownMeasureError`.

Territories
-----------
* ``COM`` rows are communes; their codes are normalised
  (:func:`impact.territories.normalize_code`) and harmonised to COG 2025
  (:func:`impact.territories.harmonize`): the counts of communes merged since
  the file's vintage are summed into the current commune.
* ``ARM`` rows (arrondissements of Paris, Lyon, Marseille) duplicate the
  ``COM`` row of their commune. With ``arrondissements="commune"`` (default)
  they are dropped, unless their commune has no ``COM`` row, in which case
  they are summed into it; with ``"keep"`` they replace the ``COM`` row of
  their commune (level ``commune``, codes ``75101``…), so sums stay right.
* ``DEP``, ``REG`` and ``FRANCE`` (``GEO=F``, France entière) rows are read
  only when asked for through ``levels``; every other ``GEO_OBJECT`` (EPCI of
  the file's vintage, zones d'emploi, unités urbaines, aires d'attraction,
  bassins de vie, ``FRANCE`` variants such as ``FM``…) is ignored and counted
  in ``attrs["ignored_geo_objects"]``: EPCI and higher levels are re-derived
  from communes in COG 2025 (:func:`impact.territories.aggregate`).

Use from the panel
------------------
:func:`available` says which files are in the ``impact fetch`` cache (disk
only); :func:`commune_long` reads every one present into one commune long
table (``None`` when there is none; ``attrs["missing"]`` lists the ``impact
fetch`` commands for the absent ones). :func:`read` reads one file.

Statuses
--------
``OBS_VALUE`` empty: ``secret`` when ``CONF_STATUS`` is ``C``/``D``/``N``/``S``
or ``OBS_STATUS`` is ``Q``/``C``/``S``/``N`` (statistical secrecy), else
``missing``. With a value: ``estimated`` when ``OBS_STATUS`` is ``E``, ``P``,
``F``, ``I``, ``U`` or ``V``, else ``observed`` (``A``; ``W``, "includes data
of another category", marks a commune nouvelle receiving its communes
déléguées and is counted in ``attrs["obs_status"]``). When merged communes are
summed the worst status wins (secret > missing > estimated > observed) and a
sum with a secret or missing part has no value.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from impact._options import check_options
from impact.errors import InputError
from impact.sources._melodi_files import (  # noqa: F401  (public names re-exported)
    _example_zip,
    _labels,
    _open_zip,
    members,
    read_metadata,
    vintage,
)
from impact.sources._melodi_scan import (  # noqa: F401  (public names re-exported)
    _EI,
    _GEO_LEVEL,
    A10,
    ATTRIBUTES,
    INDICATORS,
    LEGAL_FORM_EI,
    LICENCE,
    RULES,
    SOURCE,
    MelodiFileError,
    MissingMemberError,
    TruncatedZipError,
    UnknownMeasureError,
    _check_unique,
    _companies,
    _place,
    _Rule,
    _scan,
    _sum_merged,
    _to_long,
    france_check,
)

logger = logging.getLogger(__name__)

_REQUIRED = ("GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE")


# --------------------------------------------------------------------------- #
# Streaming scan
# --------------------------------------------------------------------------- #

def _header(zf: zipfile.ZipFile, member: str, path: Path) -> list[str]:
    with zf.open(member) as fh:
        first = fh.readline(1 << 16).decode("utf-8-sig", errors="replace")
    if not first.strip():
        raise MelodiFileError(f"member {member!r} is empty (no header row)", path=path)
    return [h.strip() for h in next(csv.reader([first], delimiter=";", quotechar='"'))]


# --------------------------------------------------------------------------- #
# Reader
# --------------------------------------------------------------------------- #

@check_options
def read(
    path: str | Path,
    *,
    indicators: Iterable[str] | None = None,
    levels: Sequence[str] = ("commune",),
    harmonize: bool = True,
    arrondissements: Literal["commune", "keep"] = "commune",
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Read a Melodi ZIP into the canonical long table.

    Parameters
    ----------
    path
        A Melodi ZIP (``DS_SIDE_CREA_ENT_COM_2025_CSV_FR.zip``…), as downloaded
        by ``impact fetch side_creations_communes`` (or by hand).
    indicators
        Indicators to keep (see the module docstring); default every indicator
        the file provides. One the file cannot provide is an error.
    levels
        Territory levels to read among ``commune`` (``COM``/``ARM`` rows),
        ``departement``, ``region`` and ``france``; default communes only.
    harmonize
        Re-code communes to COG 2025, summing merged communes (default). When
        ``False`` codes are only normalised and ``cog_year`` is the file's vintage.
    arrondissements
        ``"commune"`` (default): Paris, Lyon and Marseille as communes;
        ``"keep"``: as their arrondissements.
    years
        Keep only these years (default: all).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`impact.sources._common.LONG_COLUMNS`; ``territory_code``,
        ``level``, ``period``, ``indicator``, ``status`` and ``source`` are
        categoricals (millions of rows), rows in the order of the file.
        ``attrs``: ``path``, ``member``, ``vintage`` (year in the file name),
        ``geography_year`` (year of the geography of its codes, from the
        catalogue, when ``impact fetch`` recorded it), ``rows_read``, ``labels``
        (indicator → French label from the metadata), ``metadata`` (variable →
        code → label), ``ignored_geo_objects`` and ``ignored_measures`` (value →
        rows), ``obs_status`` (``OBS_STATUS`` → kept rows), ``unplaced`` (codes
        that could not be placed in COG 2025 → rows dropped),
        ``dropped_territories`` (arrondissements doubling their commune's row,
        or the reverse with ``"keep"``, and France variants other than ``F``),
        ``arm_rows_used``, ``companies_without_ei_row``, ``france_check`` (the
        commune sum against the file's France entière row per indicator and
        year, see :func:`impact.sources._melodi_scan.france_check`), ``licence``.

    Raises
    ------
    TruncatedZipError, MissingMemberError, UnknownMeasureError, MelodiFileError
        Subclasses of :class:`impact.errors.InputError`, naming the file, the
        member and the column or value at fault.

    Examples
    --------
    A tiny file in Melodi's layout: Châtillon-en-Michaille (01091) merged into
    Valserhône (01033) in 2019, so their creations are summed under 01033:

    >>> import tempfile
    >>> path = _example_zip(tempfile.mkdtemp())
    >>> long = read(path)
    >>> long[["territory_code", "period", "indicator", "value", "status"]]
      territory_code period            indicator  value    status
    0          01033   2016      creations_total   43.0  observed
    1          01033   2017      creations_total   43.0  observed
    2          01033   2016  creations_companies   16.0  observed
    3          01033   2017  creations_companies   16.0  observed
    >>> long.attrs["france_check"][0]["gap"]  # communes against the file's France row
    0.0
    >>> read(path, harmonize=False)[["territory_code", "cog_year", "period", "value"]].head(2)
      territory_code  cog_year period  value
    0          01033      2018   2016   40.0
    1          01091      2018   2016    3.0
    """
    path = Path(path)
    levels = tuple(levels)
    bad = [lv for lv in levels if lv not in ("commune", "departement", "region", "france")]
    if bad:
        raise InputError(f"levels {bad} cannot be read from a Melodi file; expected among "
                         "commune, departement, region, france (EPCI and above: aggregate "
                         "communes)")
    data_member, _ = members(path)
    meta = read_metadata(path)
    labels = _labels(meta)
    file_vintage = vintage(data_member) or vintage(path)
    geography_year = _geography_year(path)

    with _open_zip(path) as zf:
        try:
            columns = _header(zf, data_member, path)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise TruncatedZipError(f"member {data_member!r} is corrupt or truncated ({exc}); "
                                    "download the file again", path=path) from exc
        missing = [c for c in _REQUIRED if c not in columns]
        if missing:
            raise MelodiFileError(f"member {data_member!r} lacks column(s) {missing}; columns "
                                  f"are {columns}", path=path, column=missing[0])
        measure_cols = [c for c in columns if c.endswith("_MEASURE") and c != "UNIT_MEASURE"]
        if len(measure_cols) != 1:
            raise UnknownMeasureError(
                f"member {data_member!r}: expected one column ending in '_MEASURE' "
                f"(SIDE_MEASURE, POPREF_MEASURE), found {measure_cols}", path=path)
        measure_col = measure_cols[0]
        rules = [r for r in RULES if r.measure_col == measure_col
                 and all(d in columns for d in r.dims)]
        if not rules:
            raise UnknownMeasureError(
                f"member {data_member!r}: measure column {measure_col!r} is not one this reader "
                "knows (SIDE_MEASURE with ACTIVITY and LEGAL_FORM, or POPREF_MEASURE)",
                path=path, column=measure_col)
        dims = [c for c in columns if c not in ATTRIBUTES and c != measure_col]
        rule_dims = {d for r in rules for d in r.dims}
        fixed_total = []
        for d in dims:
            if d in rule_dims:
                continue
            mods = labels.get(d)
            if mods is None or "_T" in mods:
                fixed_total.append(d)
            else:
                logger.warning("%s: dimension %s has no total '_T' in the metadata; all its "
                               "values are summed", path, d)
        geo_objects = {"COM", "ARM"} if "commune" in levels else set()
        geo_objects |= {k for k, v in _GEO_LEVEL.items() if v in levels and k not in ("COM", "ARM")}
        # France entière is always scanned (a handful of rows) for the commune-sum check.
        scanned_objects = geo_objects | {"FRANCE"}
        # A rule fixes every dimension it uses; the file's other dimensions are at '_T'.
        all_dims = [d for d in dims if d in rule_dims or d in fixed_total]
        keep_cols = [c for c in columns if c in (*_REQUIRED, measure_col, "OBS_STATUS",
                                                  "CONF_STATUS", *all_dims)]
        if indicators is not None:
            wanted = list(indicators)
            unknown = [i for i in wanted if i not in INDICATORS]
            if unknown:
                raise InputError(f"unknown indicator(s) {unknown}; known: {list(INDICATORS)}",
                                 path=path)
            need = set(wanted) | ({"creations_total", _EI} if "creations_companies" in wanted
                                  else set())
            scan_rules = [r for r in rules if r.indicator in need] or rules
        else:
            scan_rules = rules
        year_set = None if years is None else {int(y) for y in years}
        sc = _scan(zf, data_member, path, keep_cols, measure_col, scan_rules, all_dims,
                   scanned_objects, year_set)

    # Measures: unknown ones are reported; a file with none we know is an error.
    known_measures = {r.measure for r in rules}
    seen = set(sc.measure_counts)
    if sc.n_rows and not (seen & known_measures):
        raise UnknownMeasureError(
            f"member {data_member!r}: column {measure_col!r} holds {sorted(seen)[:10]}, none of "
            f"the measures this reader knows ({sorted(known_measures)})",
            path=path, column=measure_col)
    ignored_measures = {k: v for k, v in sc.measure_counts.items() if k not in known_measures}
    available = _available(rules, seen)
    wanted = list(available) if indicators is None else list(indicators)
    not_here = [i for i in wanted if i not in available]
    if not_here:
        raise InputError(f"indicator(s) {not_here} not provided by this file; it provides "
                         f"{list(available)} (all indicators: {list(INDICATORS)})", path=path)
    ignored_geo = {k: v for k, v in sc.geo_counts.items() if k not in geo_objects}
    if ignored_geo:
        logger.info("%s: ignored GEO_OBJECT rows %s", path.name, ignored_geo)

    gid, year, rule, value, srank = sc.arrays()
    del sc.gid, sc.year, sc.rule, sc.value, sc.srank
    geo_list = list(sc.geo_ids)                       # position == territory id
    _check_unique(gid, year, rule, geo_list, scan_rules, data_member, path)
    out_of_gid, out_keys, unplaced_gids, dropped = _place(
        geo_list, levels, harmonize, arrondissements, geography_year or file_vintage)
    check = france_check(gid, year, rule, value, srank, geo_list, dropped,
                         [r.indicator for r in scan_rules])
    # France entière rows were scanned for the check only unless the level was asked for.
    auto_fr = np.array([o == "FRANCE" and "france" not in levels for o, _ in geo_list], bool)
    n_dropped = int((dropped & ~auto_fr).sum())
    gaps = [c for c in check if c["unpublished"] == 0 and abs(c["gap"]) > 0.5]
    if gaps:
        logger.warning("%s: the communes do not add up to the France entière row for %d "
                       "indicator-year(s), e.g. %s", path.name, len(gaps), gaps[0])
    rows_per_gid = np.bincount(gid, minlength=len(geo_list))
    unplaced = {geo_list[g][1]: int(rows_per_gid[g]) for g in unplaced_gids}
    arm_used = int(sum(rows_per_gid[g] for g, (o, _) in enumerate(geo_list)
                       if o == "ARM" and out_of_gid[g] >= 0))
    # Rows are never copied whole: a mask says which stay, and the few rows that
    # are summed (merged communes) or derived (companies) are appended as extras.
    out = out_of_gid[gid]
    del gid
    valid = out >= 0
    names = [r.indicator for r in scan_rules]
    extras = [_sum_merged(out, year, rule, value, srank, valid, out_of_gid, len(out_keys))]
    n_no_ei = 0
    if "creations_companies" in wanted:
        cols = [np.concatenate([a[valid], b]) for a, b in
                zip((out, year, rule, value, srank), extras[0], strict=True)]
        c_out, c_year, c_rule, c_value, c_srank = cols
        part, n_no_ei = _companies(c_out, c_year, c_rule, c_value, c_srank,
                                   names.index("creations_total"), names.index(_EI), len(names))
        del cols
        extras.append(part)
        names.append("creations_companies")
    keep_rule = np.array([n in wanted for n in names], dtype=bool)
    valid &= keep_rule[rule]
    cols = [np.concatenate([a[valid], *(e[i][keep_rule[e[2]]] for e in extras)])
            for i, a in enumerate((out, year, rule, value, srank))]
    del out, year, rule, value, srank, valid
    long = _to_long(cols[0], cols[1], cols[2], cols[3], cols[4], out_keys, names,
                    2025 if harmonize else (geography_year or file_vintage or 2025))
    del cols
    long.attrs.update({
        "path": str(path), "member": data_member, "vintage": file_vintage,
        "geography_year": geography_year, "source": SOURCE,
        "rows_read": sc.n_rows, "labels": _indicator_labels(wanted, labels, measure_col),
        "metadata": labels, "ignored_geo_objects": ignored_geo,
        "ignored_measures": ignored_measures, "obs_status": dict(sc.obs_counts),
        "unplaced": unplaced, "arm_rows_used": arm_used, "dropped_territories": n_dropped,
        "france_check": check,
        "companies_without_ei_row": int(n_no_ei), "licence": LICENCE,
    })
    if unplaced:
        logger.warning("%s: %d code(s) could not be placed in COG 2025 and were dropped: %s",
                       path.name, len(unplaced), ", ".join(list(unplaced)[:15]))
    logger.info("%s: %d rows read, %d long rows (%s)", path.name, sc.n_rows, len(long),
                ", ".join(wanted))
    return long


def _geography_year(path: Path) -> int | None:
    """Year of the geography of the file's codes: the catalogue's ``spatialTemporal``
    that ``impact fetch`` records in the provenance sidecar (``None`` when unknown)."""
    sidecar = path.with_name(path.name + ".provenance.json")
    try:
        geo = json.loads(sidecar.read_text()).get("geography") if sidecar.exists() else None
    except (OSError, ValueError, AttributeError):
        return None
    m = re.match(r"((?:19|20)\d{2})", str(geo or ""))
    return int(m.group(1)) if m else None


def _available(rules: Sequence[_Rule], seen: set[str]) -> list[str]:
    have = [r.indicator for r in rules if r.measure in seen]
    out = [i for i in INDICATORS if i in have]
    if "creations_total" in have and _EI in have:
        out.insert(out.index("creations_total") + 1, "creations_companies")
    return out


def _indicator_labels(wanted: Sequence[str], labels: dict[str, dict[str, str]],
                      measure_col: str) -> dict[str, str]:
    meas = labels.get(measure_col, {})
    act = labels.get("ACTIVITY", {})
    out = {}
    for ind in wanted:
        if ind.startswith("creations_naf_"):
            s = ind.rsplit("_", 1)[1]
            out[ind] = f"{meas.get('BURE', 'Créations')} : {act.get(s, s)}"
        elif ind == "creations_companies":
            lf = labels.get("LEGAL_FORM", {}).get(LEGAL_FORM_EI, "entrepreneurs individuels")
            out[ind] = f"{meas.get('BURE', 'Créations')} hors « {lf} »"
        else:
            rule = next(r for r in RULES if r.indicator == ind)
            out[ind] = meas.get(rule.measure, ind)
    return out


# --------------------------------------------------------------------------- #
# Cache look-up (for the panel's ``insee`` source)
# --------------------------------------------------------------------------- #

#: The Melodi sources of :mod:`impact.sources.registry` and what each gives.
CACHED_SOURCES: tuple[str, ...] = ("side_creations_communes", "side_stocks_communes",
                                   "populations_reference")


def cached(name: str, cache_dir: str | Path | None = None) -> Path | None:
    """The newest downloaded ZIP of Melodi source ``name`` in the cache, or ``None``.

    Looks only at the disk (no network): files ``{DATASET}_<year>_CSV_FR.zip``
    (or ``{DATASET}_CSV_FR.zip``) with their provenance sidecar written by
    ``impact fetch``; the newest vintage wins.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> cache = Path(tempfile.mkdtemp())
    >>> cached("side_creations_communes", cache) is None
    True
    >>> path = _example_zip(cache)
    >>> _ = path.with_name(path.name + ".provenance.json").write_text("{}")  # as fetch leaves it
    >>> cached("side_creations_communes", cache).name
    'DS_SIDE_CREA_ENT_COM_2018_CSV_FR.zip'
    """
    from impact.config import cache_dir as default_cache
    from impact.sources.registry import get

    src = get(name)
    if not src.melodi_dataset:
        raise InputError(f"{name!r} is not a Melodi source; Melodi sources: {CACHED_SOURCES}")
    folder = Path(cache_dir) if cache_dir is not None else default_cache()
    if not folder.is_dir():
        return None
    pattern = re.escape(src.melodi_dataset) + r"(?:_\d{4})?_CSV_[A-Z]{2}\.zip"
    found = [p for p in folder.glob(f"{src.melodi_dataset}_*.zip")
             if re.fullmatch(pattern, p.name) and p.with_name(p.name + ".provenance.json").exists()]
    if not found:
        return None
    return max(found, key=lambda p: (vintage(p) or 0, p.stat().st_mtime))


def available(cache_dir: str | Path | None = None) -> dict[str, Path | None]:
    """Which Melodi files are in the cache: source name → newest ZIP, or ``None``.

    Disk only (no network, nothing read). For a missing one, the message to
    show is ``impact fetch <name>``.

    Examples
    --------
    >>> import tempfile
    >>> cache = tempfile.mkdtemp()
    >>> available(cache)  # doctest: +NORMALIZE_WHITESPACE
    {'side_creations_communes': None, 'side_stocks_communes': None,
     'populations_reference': None}
    """
    return {name: cached(name, cache_dir) for name in CACHED_SOURCES}


@check_options
def commune_long(cache_dir: str | Path | None = None, *,
                 indicators: Iterable[str] | None = None,
                 arrondissements: Literal["commune", "keep"] = "commune") -> pd.DataFrame | None:
    """Commune long table from every Melodi file in the cache; ``None`` when none is there.

    Reads the newest ``side_creations_communes``, ``side_stocks_communes`` and
    ``populations_reference`` files present (each optional), harmonised to
    COG 2025. ``attrs["files"]`` lists the files read and ``attrs["missing"]``
    the sources absent from the cache (with the ``impact fetch`` command).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> cache = Path(tempfile.mkdtemp())
    >>> commune_long(cache) is None
    True
    >>> path = _example_zip(cache)
    >>> _ = path.with_name(path.name + ".provenance.json").write_text("{}")
    >>> long = commune_long(cache, indicators=["creations_total"])
    >>> long[["territory_code", "period", "indicator", "value"]]
      territory_code period        indicator  value
    0          01033   2016  creations_total   43.0
    1          01033   2017  creations_total   43.0
    >>> long.attrs["missing"]
    ['impact fetch side_stocks_communes', 'impact fetch populations_reference']
    """
    wanted = None if indicators is None else set(indicators)
    frames, files, missing = [], [], []
    for name in CACHED_SOURCES:
        path = cached(name, cache_dir)
        if path is None:
            missing.append(f"impact fetch {name}")
            continue
        inds = None
        if wanted is not None:
            avail = _PROVIDES[name]
            inds = [i for i in avail if i in wanted]
            if not inds:
                continue
        frames.append(read(path, indicators=inds, arrondissements=arrondissements))
        files.append(str(path))
    if not frames:
        return None
    from pandas.api.types import union_categoricals

    from impact.sources._common import LONG_COLUMNS

    # Categoricals are united, not turned into millions of Python strings.
    out = pd.DataFrame({
        c: (union_categoricals([f[c] for f in frames])
            if isinstance(frames[0][c].dtype, pd.CategoricalDtype)
            else np.concatenate([f[c].to_numpy() for f in frames]))
        for c in LONG_COLUMNS})
    out.attrs.update({"files": files, "missing": missing, "source": SOURCE})
    return out


_PROVIDES = {
    "side_creations_communes": ["creations_total", "creations_companies",
                                *(f"creations_naf_{s}" for s in A10)],
    "side_stocks_communes": ["legal_units_stock"],
    "populations_reference": ["population"],
}
