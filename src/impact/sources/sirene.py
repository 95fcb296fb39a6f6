"""Enterprise creations from the SIRENE stock files (INSEE, Licence Ouverte 2.0).

Input files
-----------
INSEE publishes the SIRENE register monthly on data.gouv.fr ("Base Sirene des
entreprises et de leurs établissements (SIREN, SIRET)"), as zipped CSV
(``StockUniteLegale_utf8.zip``, ``StockEtablissement_utf8.zip``, comma
separated, UTF-8, one header row) and as Parquet
(``StockUniteLegale_utf8.parquet``, ``StockEtablissement_utf8.parquet``). The
column names are those of INSEE's "Description des fichiers du stock SIRENE";
this module uses:

* legal units: ``siren``, ``dateCreationUniteLegale`` (``YYYY-MM-DD``),
  ``trancheEffectifsUniteLegale`` (``NN`` non-employer, ``00`` 0 employee,
  ``01`` 1–2, ``02`` 3–5, ``03`` 6–9, ``11`` 10–19, ``12`` 20–49, ``21`` …
  ``53`` 10 000+), ``categorieJuridiqueUniteLegale`` (4-digit code of the
  nomenclature des catégories juridiques), ``activitePrincipaleUniteLegale``
  (NAF rév. 2 code such as ``62.01Z``), ``economieSocialeSolidaireUniteLegale``
  (``O``/``N``), ``nicSiegeUniteLegale``, and when present
  ``nomenclatureActivitePrincipaleUniteLegale`` and ``statutDiffusionUniteLegale``;
* establishments: ``siren``, ``nic``, ``codeCommuneEtablissement``, and when
  present ``etablissementSiege`` (``true``/``false``).

What is counted
---------------
:func:`creations` counts legal units (enterprises) by month or year of
``dateCreationUniteLegale`` and commune of their **current head office**: the
establishment ``siren + nicSiegeUniteLegale`` (restricted to rows flagged
``etablissementSiege`` when the column exists; SIRET is unique, so a unit is
never counted twice).

Caveats (read before interpreting the counts)
---------------------------------------------
* **Current head office, not head office at creation**: a firm created in Lyon
  in 2014 that moved to Annecy in 2019 is counted in Annecy.
* **Current size band, not at creation**: ``creations_tpe`` uses today's
  ``trancheEffectifsUniteLegale``; a firm that grew beyond 9 employees is no
  longer counted as a TPE creation. A missing band is treated like ``NN``.
* **Survivorship**: the stock keeps ceased units, but units ceased long ago may
  have been purged (``unitePurgeeUniteLegale``); old cohorts are under-counted.
* **Diffusion restrictions**: units with ``statutDiffusion`` ``P`` (partially
  diffusible, e.g. individual entrepreneurs who opted out) are in the stock but
  some fields may be masked (``[ND]``); their commune may be missing. Such
  creations cannot be placed and are reported, not silently dropped.
* **Activity nomenclature**: NAF sections are derived only from NAF rév. 2
  codes (units ceased before 2008 may carry NAF rév. 1 codes); those units are
  counted in the totals but in no ``creations_naf_*`` indicator.
* Communes outside the 101 départements (Saint-Pierre-et-Miquelon, Polynesia…)
  and foreign head offices are reported as unplaced.

Output is sparse: a commune × period absent from the result had no creation,
and indicator rows equal to zero are omitted (``creations_total`` is always
present for a commune × period that appears).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from impact._options import check_options
from impact.errors import InputError
from impact.sources._common import (
    check_columns,
    check_nonempty,
)
from impact.sources._sirene_files import (
    _bound,
    _columns,
    _connect,
    _kind,
    _query_arrow,
    _relation,
)
from impact.sources._sirene_nomenclature import COOPERATIVE_CODES as COOPERATIVE_CODES
from impact.sources._sirene_nomenclature import ET_OPTIONAL as ET_OPTIONAL
from impact.sources._sirene_nomenclature import ET_REQUIRED as ET_REQUIRED
from impact.sources._sirene_nomenclature import INDICATORS as INDICATORS
from impact.sources._sirene_nomenclature import LEGAL_GROUPS as LEGAL_GROUPS
from impact.sources._sirene_nomenclature import LICENCE as LICENCE
from impact.sources._sirene_nomenclature import NAF_SECTIONS as NAF_SECTIONS
from impact.sources._sirene_nomenclature import SOURCE as SOURCE
from impact.sources._sirene_nomenclature import TPE_BANDS as TPE_BANDS
from impact.sources._sirene_nomenclature import UL_OPTIONAL as UL_OPTIONAL
from impact.sources._sirene_nomenclature import UL_REQUIRED as UL_REQUIRED
from impact.sources._sirene_sinks import (
    _DIAGNOSTICS,
    _FIRST_YEAR,
    _LAST_YEAR,
    _all_periods,
    _arrow_long,
    _commune_mapping,
    _log_unplaced,
    _ParquetSink,
    _stream,
    _TableSink,
)

logger = logging.getLogger(__name__)


def naf_section(code: str | None) -> str | None:
    """NAF rév. 2 section of an activity code (``"62.01Z"`` → ``"J"``); ``None`` if unknown.

    Examples
    --------
    >>> naf_section("62.01Z"), naf_section("0111Z"), naf_section("52.4Z")
    ('J', 'A', None)
    """
    if not isinstance(code, str):
        return None
    s = code.replace(".", "").strip().upper()
    if len(s) != 5 or not s[:4].isdigit() or not s[4].isalpha():
        return None
    div = int(s[:2])
    for section, (lo, hi) in NAF_SECTIONS.items():
        if lo <= div <= hi:
            return section
    return None


def legal_group(code: str | None) -> str:
    """Group of a catégorie juridique: individual, company, association, cooperative, other.

    Examples
    --------
    >>> [legal_group(c) for c in ["1000", "5499", "9220", "5191", "7210", None]]
    ['individual', 'company', 'association', 'cooperative', 'other', 'other']
    """
    s = str(code or "").strip()
    if s.endswith(".0"):
        s = s[:-2]
    if s in COOPERATIVE_CODES:
        return "cooperative"
    if s.startswith("1"):
        return "individual"
    if s.startswith("92"):
        return "association"
    if s[:1] in ("5", "6"):
        return "company"
    return "other"


# --------------------------------------------------------------------------- #
# Public API
# --------------------------------------------------------------------------- #

def read(path: str | Path, columns: Sequence[str] | None = None, *, limit: int | None = None
         ) -> pd.DataFrame:
    """Read a (small) SIRENE stock file into pandas, projected on ``columns``.

    For the full national stock use :func:`creations`, which never loads the
    files into memory.

    Parameters
    ----------
    path
        ``.parquet``, ``.zip`` (holding the CSV) or ``.csv`` file.
    columns
        Official column names to keep (default: all).
    limit
        Read at most this many rows.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "StockUniteLegale.csv"
    >>> _ = path.write_text("siren,dateCreationUniteLegale,categorieJuridiqueUniteLegale\\n"
    ...                     "301000011,2016-07-04,1000\\n301000029,2016-07-19,5499\\n",
    ...                     encoding="utf-8")
    >>> read(path, ["siren", "categorieJuridiqueUniteLegale"])
           siren categorieJuridiqueUniteLegale
    0  301000011                          1000
    1  301000029                          5499
    """
    path = Path(path)
    check_nonempty(path)
    with _connect("1GB", 2, None) as con:
        found = _columns(con, path)
        cols = list(columns or found)
        check_columns(pd.DataFrame(columns=found), cols, path=path)
        rel = _relation(con, path, cols, "sirene_read")
        sql = f"SELECT * FROM {rel}" + (f" LIMIT {int(limit)}" if limit else "")
        try:
            table = _query_arrow(con, sql)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"cannot read the SIRENE file ({exc})", path=path) from exc
    return table.to_pandas()


#: Key combining the territory id and the period id in one BIGINT (one hash per group).
_PERIOD_SPAN = 10_000


#: One group per siren: the integer key when it parses, else a hash of the text (so that
#: malformed sirens are still told apart, and their repeats still collapsed).
_UNIT = ("coalesce(TRY_CAST(siren AS BIGINT), "
         "-1 - CAST(hash(CAST(siren AS VARCHAR)) >> 2 AS BIGINT))")
_KEY = "TRY_CAST(siren AS BIGINT) * 100000 + TRY_CAST({nic} AS BIGINT)"


def _siege_filter(et_cols: Sequence[str], alias: str = "") -> str:
    if "etablissementSiege" not in et_cols:
        return ""
    return (f"WHERE lower(CAST({alias}etablissementSiege AS VARCHAR)) "
            "IN ('true', 't', '1', 'o', 'oui')")


def _has_repeats(con, ul_rel: str, et_rel: str, et_cols: Sequence[str]) -> tuple[bool, bool]:
    """Whether some legal unit, or some head office, is listed more than once.

    One cheap column scan of each file (about 5 % of the counting query): the
    counting query then collapses repeats only where there are some, since
    that grouping is what costs most.
    """
    ul = con.execute(f"SELECT count(*) - count(DISTINCT {_UNIT}) FROM {ul_rel}").fetchall()[0][0]
    et = con.execute(f"SELECT count(k) - count(DISTINCT k) FROM (SELECT {_KEY.format(nic='nic')} "
                     f"AS k FROM {et_rel} {_siege_filter(et_cols)})").fetchall()[0][0]
    return bool(ul), bool(et)


def _creations_sql(ul_rel: str, et_rel: str, *, ul_cols: Sequence[str], et_cols: Sequence[str],
                   freq: str, start: str | None, end: str | None, dedupe_ul: bool = True,
                   dedupe_et: bool = True) -> str:
    """Count creations by commune, period and indicator in one scan of each file.

    Returns rows ``commune`` (id in ``code_map``; -1 when the head office has
    no commune), ``period`` (id in :func:`_all_periods`), ``indicator`` (index
    in :data:`INDICATORS`) and ``n`` (creations; zero counts are absent).

    Why it is shaped this way (measured on 25 M legal units / 30 M
    establishments, 2 threads): everything that is grouped or joined is an
    integer (siren × 10⁵ + nic as one BIGINT join key, commune and period
    packed in one BIGINT group key), and the joined units are counted by five
    single-count aggregations (total, TPE, ESS, legal group, NAF section)
    instead of thirty conditional counts in one aggregation, which was twice
    as slow.

    The integer join key relies on the official formats (SIREN 9 digits, NIC 5
    digits): a unit whose ``siren`` or NIC is not a number finds no head office
    and is reported as such.

    Each legal unit and each head office is counted once: repeated rows of a
    ``siren`` (or of a ``siren + nic``) are collapsed (the smallest value of
    each field is kept, so the result does not depend on row order) and their
    extra copies are counted in diagnostic rows (indicator ids of
    :data:`_DIAGNOSTICS`), as are the units whose creation date is empty,
    does not parse, or lies outside 1800–2100 (none of them is counted).
    """
    date = "date"
    where = [f"{date} IS NOT NULL", f"year({date}) BETWEEN {_FIRST_YEAR} AND {_LAST_YEAR}"]
    if start:
        where.append(f"{date} >= DATE '{start}'")
    if end:
        where.append(f"{date} < DATE '{end}'")
    period = (f"(year({date}) - {_FIRST_YEAR}) * 12 + month({date}) - 1" if freq == "month"
              else f"year({date}) - {_FIRST_YEAR}")
    counted = " AND ".join(where)
    d = _DIAGNOSTICS
    coop = ", ".join(f"'{c}'" for c in sorted(COOPERATIVE_CODES))
    tpe = ", ".join(f"'{b}'" for b in TPE_BANDS)
    naf = "replace(CAST(activitePrincipaleUniteLegale AS VARCHAR), '.', '')"
    naf_ok = f"(length({naf}) = 5 AND TRY_CAST(substr({naf}, 1, 4) AS INTEGER) IS NOT NULL)"
    if "nomenclatureActivitePrincipaleUniteLegale" in ul_cols:
        naf_ok = (f"({naf_ok} AND coalesce("
                  "CAST(nomenclatureActivitePrincipaleUniteLegale AS VARCHAR),"
                  " 'NAFRev2') = 'NAFRev2')")
    section_cases = " ".join(
        f"WHEN div BETWEEN {lo} AND {hi} THEN {i}"
        for i, (lo, hi) in enumerate(NAF_SECTIONS.values())
    )
    cj = "regexp_replace(CAST(categorieJuridiqueUniteLegale AS VARCHAR), '\\.0$', '')"
    siege = ""
    if "etablissementSiege" in et_cols:
        siege = "WHERE lower(CAST(etablissementSiege AS VARCHAR)) IN ('true', 't', '1', 'o', 'oui')"
    g = {name: i for i, name in enumerate(LEGAL_GROUPS)}
    ind = {name: i for i, name in enumerate(INDICATORS)}
    legal0 = ind[f"creations_legal_{LEGAL_GROUPS[0]}"]
    naf0 = ind[f"creations_naf_{next(iter(NAF_SECTIONS))}"]
    key = "TRY_CAST(siren AS BIGINT) * 100000 + TRY_CAST({nic} AS BIGINT)"
    raw_date = "NULLIF(trim(CAST(dateCreationUniteLegale AS VARCHAR)), '')"
    # One group per siren: the integer key when it parses, else a hash of the text (so that
    # malformed sirens are still told apart, and their repeats still collapsed).
    unit = _UNIT
    # Diagnostic columns and rows only where repeats were found: every column of the
    # materialised join costs memory and time on tens of millions of rows.
    extra_cols = (", copies" if dedupe_ul else "") + (
        ", coalesce(et.et_copies, 1) AS et_copies" if dedupe_et else "")
    extra_unions = "\n".join(
        ([f"UNION ALL SELECT 0, {_DIAGNOSTICS['duplicate_legal_units']}, sum(copies - 1) FROM j0"]
         if dedupe_ul else []) +
        ([f"UNION ALL SELECT 0, {_DIAGNOSTICS['duplicate_establishments']}, sum(et_copies - 1) "
          "FROM j0 WHERE cp IS NOT NULL"] if dedupe_et else []))
    if dedupe_ul:
        ul1 = """
        -- Repeated rows of a unit count once (min: independent of row order).
        SELECT u, min(k) AS k, min(raw_date) AS raw_date, min(date) AS date, bool_or(tpe) AS tpe,
               bool_or(ess) AS ess, min(cj) AS cj, min(div) AS div, count(*) AS copies
        FROM ul00 GROUP BY u"""
    else:
        ul1 = "SELECT u, k, raw_date, date, tpe, ess, cj, div, 1 AS copies FROM ul00"
    et_join = f"""FROM {et_rel} AS et0
        LEFT JOIN code_map
            ON NULLIF(trim(CAST(et0.codeCommuneEtablissement AS VARCHAR)), '') = code_map.raw
        {siege.replace("etablissementSiege", "et0.etablissementSiege")}"""
    if dedupe_et:
        et = f"""
        -- A head office listed twice counts once (its smallest commune id; its copies reported).
        SELECT {key.format(nic="nic")} AS k, min(coalesce(code_map.id, -1)) AS commune,
               count(*) AS et_copies
        {et_join}
        GROUP BY 1"""
    else:
        et = f"""SELECT {key.format(nic="nic")} AS k, coalesce(code_map.id, -1) AS commune,
               1 AS et_copies
        {et_join}"""
    return f"""
    WITH ul00 AS (
        SELECT
            {unit} AS u,
            {key.format(nic="nicSiegeUniteLegale")} AS k,
            {raw_date} AS raw_date,
            TRY_CAST({raw_date} AS DATE) AS date,
            coalesce(CAST(trancheEffectifsUniteLegale AS VARCHAR), 'NN') IN ({tpe}) AS tpe,
            upper(coalesce(CAST(economieSocialeSolidaireUniteLegale AS VARCHAR), '')) = 'O' AS ess,
            {cj} AS cj,
            CASE WHEN {naf_ok} THEN TRY_CAST(substr({naf}, 1, 2) AS INTEGER) END AS div
        FROM {ul_rel}
    ), ul1 AS (
        {ul1}
    ), ul0 AS (
        SELECT k, CASE WHEN {counted} THEN {period} END AS period, tpe, ess, cj, div, copies,
               CAST(CASE WHEN raw_date IS NULL THEN {d["no_date"]}
                    WHEN date IS NULL THEN {d["bad_date"]}
                    WHEN year(date) NOT BETWEEN {_FIRST_YEAR} AND {_LAST_YEAR}
                        THEN {d["date_out_of_range"]}
                    END AS INTEGER) AS date_issue
        FROM ul1
    ), ul AS (
        SELECT k, period, tpe, ess, copies, date_issue,
            CAST(CASE WHEN cj IN ({coop}) THEN {g["cooperative"]}
                 WHEN cj LIKE '1%' THEN {g["individual"]}
                 WHEN cj LIKE '92%' THEN {g["association"]}
                 WHEN cj LIKE '5%' OR cj LIKE '6%' THEN {g["company"]}
                 ELSE {g["other"]} END AS TINYINT) AS grp,
            CAST(CASE {section_cases} END AS TINYINT) AS section
        FROM ul0
    ), et AS (
        -- Every raw code has an id in code_map (placed or not); no code at all: -1.
        {et}
    ), j0 AS MATERIALIZED (
        SELECT CASE WHEN ul.period IS NOT NULL THEN
                    (CAST(coalesce(et.commune, -1) AS BIGINT) + 1) * {_PERIOD_SPAN}
                    + ul.period END AS cp,
               tpe, ess, grp, section, date_issue{extra_cols}
        FROM ul LEFT JOIN et ON ul.k = et.k AND ul.k IS NOT NULL
    ), j AS (
        SELECT cp, tpe, ess, grp, section FROM j0 WHERE cp IS NOT NULL
    )
    SELECT CAST(cp // {_PERIOD_SPAN} - 1 AS INTEGER) AS commune,
           CAST(cp % {_PERIOD_SPAN} AS INTEGER) AS period,
           CAST(ind AS INTEGER) AS indicator, n
    FROM (
        SELECT cp, {ind["creations_total"]} AS ind, count(*) AS n FROM j GROUP BY cp
        UNION ALL SELECT cp, {ind["creations_tpe"]}, count(*) FROM j WHERE tpe GROUP BY cp
        UNION ALL SELECT cp, {ind["creations_ess"]}, count(*) FROM j WHERE ess GROUP BY cp
        UNION ALL SELECT cp, {legal0} + grp, count(*) FROM j GROUP BY cp, grp
        UNION ALL SELECT cp, {naf0} + section, count(*) FROM j
            WHERE section IS NOT NULL GROUP BY cp, section
        {extra_unions}
        UNION ALL SELECT 0, date_issue, count(*) FROM j0 WHERE date_issue IS NOT NULL
            GROUP BY date_issue
    )
    """


def _codes_sql(et_rel: str, et_cols: Sequence[str]) -> str:
    """Distinct commune codes of the head offices (one cheap column scan)."""
    siege = ""
    if "etablissementSiege" in et_cols:
        siege = "WHERE lower(CAST(etablissementSiege AS VARCHAR)) IN ('true', 't', '1', 'o', 'oui')"
    return (f"SELECT DISTINCT NULLIF(trim(CAST(codeCommuneEtablissement AS VARCHAR)), '') AS raw "
            f"FROM {et_rel} {siege}")


@check_options
def creations(
    unites_legales: str | Path,
    etablissements: str | Path,
    *,
    freq: Literal["month", "year"] = "month",
    start: str | int | None = None,
    end: str | int | None = None,
    harmonize: bool = True,
    memory_limit: str = "1GB",
    threads: int | None = None,
    temp_directory: str | Path | None = None,
    out: str | Path | None = None,
) -> pd.DataFrame | Path:
    """Enterprise creations by commune of the current head office and month (or year).

    Parameters
    ----------
    unites_legales, etablissements
        ``StockUniteLegale`` and ``StockEtablissement`` files: Parquet (file or
        folder of parts), zipped CSV as published, or plain CSV.
    freq
        ``"month"`` (period ``"2016-07"``) or ``"year"`` (``"2016"``).
    start, end
        Inclusive bounds on the creation date: ``2014``, ``"2014-03"`` or ``"2014Q2"``.
    harmonize
        Re-code commune codes to the current geography (COG 2025), summing the
        counts of merged communes; arrondissements of Paris, Lyon and Marseille
        are mapped to their commune.
    memory_limit, threads, temp_directory
        DuckDB settings: the files are scanned by DuckDB with column projection
        and filters pushed down and aggregated in SQL, spilling to
        ``temp_directory`` beyond ``memory_limit``; nothing is loaded whole.
    out
        Write the result to this Parquet file (atomically, straight from
        DuckDB) and return its path instead of a DataFrame. For the national
        stock by month the long result has tens of millions of rows: writing it
        keeps memory flat, and the panel can read back only what it needs.
        The unplaced report is then written next to it as ``<out>.unplaced.json``.

    Returns
    -------
    pandas.DataFrame or pathlib.Path
        Long format (see :mod:`impact.sources._common`) with indicators
        :data:`INDICATORS`: ``creations_total``, ``creations_tpe`` (size band
        in :data:`TPE_BANDS`), ``creations_ess`` (ESS flag ``O``),
        ``creations_legal_<individual|company|association|cooperative|other>``
        and ``creations_naf_<A…U>``. Sparse: zero counts are omitted. Low
        cardinality columns are pandas categoricals to keep the frame small.
        ``df.attrs["unplaced"]`` maps each code (or reason) that could not be
        placed in a current commune to its number of creations (also logged);
        ``df.attrs["n_units"]`` is the number of legal units counted.

    Notes
    -----
    See the module docstring for the caveats (current head office and size
    band, purged units, diffusion restrictions).

    Examples
    --------
    Three legal units and their head offices: a sole trader and an SAS in
    Annecy (the second in Annecy-le-Vieux, 74011, merged into Annecy in 2017)
    and an association in Brest:

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "ul.csv").write_text(
    ...     "siren,dateCreationUniteLegale,trancheEffectifsUniteLegale,"
    ...     "categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,"
    ...     "economieSocialeSolidaireUniteLegale,nicSiegeUniteLegale\\n"
    ...     "301000011,2016-07-04,NN,1000,62.01Z,N,00011\\n"
    ...     "301000029,2016-07-19,00,5499,62.02A,N,00015\\n"
    ...     "301000037,2017-02-01,11,9220,88.99B,O,00017\\n", encoding="utf-8")
    >>> _ = (folder / "et.csv").write_text(
    ...     "siren,nic,codeCommuneEtablissement\\n301000011,00011,74010\\n"
    ...     "301000029,00015,74011\\n301000037,00017,29019\\n", encoding="utf-8")
    >>> long = creations(folder / "ul.csv", folder / "et.csv", freq="year")
    >>> rows = long[["territory_code", "period", "indicator", "value"]]
    >>> main = ["creations_total", "creations_tpe", "creations_ess"]
    >>> rows = rows[rows["value"].gt(0) & rows["indicator"].isin(main)]
    >>> # Rows come in streaming order (DuckDB, in parallel): sort them to compare.
    >>> print(rows.sort_values(["indicator", "territory_code"]).to_string(index=False))
    territory_code period       indicator  value
             29019   2017 creations_total    1.0
             74010   2016 creations_total    2.0
             74010   2016   creations_tpe    2.0
             29019   2017   creations_ess    1.0
    >>> long.attrs["n_units"]
    3
    """
    import duckdb

    ul_path, et_path = Path(unites_legales), Path(etablissements)
    lo, hi = _bound(start, end=False), _bound(end, end=True)
    with _connect(memory_limit, threads, temp_directory) as con:
        ul_found = _columns(con, ul_path)
        et_found = _columns(con, et_path)
        check_columns(pd.DataFrame(columns=ul_found), UL_REQUIRED, path=ul_path,
                      where="StockUniteLegale: ")
        check_columns(pd.DataFrame(columns=et_found), ET_REQUIRED, path=et_path,
                      where="StockEtablissement: ")
        ul_cols = [*UL_REQUIRED, *(c for c in UL_OPTIONAL if c in ul_found)]
        et_cols = [*ET_REQUIRED, *(c for c in ET_OPTIONAL if c in et_found)]
        ul_rel = _relation(con, ul_path, ul_cols, "sirene_ul")
        et_rel = _relation(con, et_path, et_cols, "sirene_et")
        try:
            raw_codes = con.execute(_codes_sql(et_rel, et_cols)).df()["raw"]
            if _kind(et_path) == "zip":
                # A registered Arrow stream can be read once: register it again.
                et_rel = _relation(con, et_path, et_cols, "sirene_et2")
            mapping, reasons = _commune_mapping(raw_codes, harmonize)
            # Integer ids for the join and the grouping: placed raw codes get the id of
            # their output commune, the others ids after those (reported, not counted).
            codes = sorted(set(mapping["code"]))
            unplaced_raw = sorted(reasons)
            ids = {c: i for i, c in enumerate(codes)}
            code_map = pd.DataFrame({
                "raw": [*mapping["raw"], *unplaced_raw],
                "id": np.r_[mapping["code"].map(ids).to_numpy(dtype=np.int64),
                            len(codes) + np.arange(len(unplaced_raw))].astype(np.int32),
            })
            con.register("code_map", code_map)
            # A zipped CSV is a stream read once: collapse repeats without looking first.
            repeats = ((True, True) if "zip" in (_kind(ul_path), _kind(et_path))
                       else _has_repeats(con, ul_rel, et_rel, et_cols))
            sql = _creations_sql(ul_rel, et_rel, ul_cols=ul_cols, et_cols=et_cols,
                                 freq=freq, start=lo, end=hi, dedupe_ul=repeats[0],
                                 dedupe_et=repeats[1])
            sink = _ParquetSink(Path(out)) if out is not None else _TableSink()
            try:
                unplaced_counts = _stream(con, sql, sink, codes=codes, unplaced_raw=unplaced_raw,
                                          periods=_all_periods(freq))
            except BaseException as exc:
                sink.abort(exc)
                raise
        except duckdb.Error as exc:
            # DuckDB wraps errors raised inside the zip stream; keep their text.
            raise InputError(f"reading the SIRENE files failed: {exc}",
                             path=f"{ul_path} + {et_path}") from exc
    unplaced = {}
    for raw, n in sorted(unplaced_counts.items(), key=lambda kv: -kv[1]):
        key = (f"{raw} ({reasons.get(raw, 'no current commune')})" if raw else
               "<no head office commune (foreign, masked or no matching establishment)>")
        unplaced[key] = int(n)
    n_units = int(sink.n_total + sum(unplaced.values()))
    _log_unplaced(unplaced, n_units)
    try:
        quality = _quality(sink.diagnostics, ul_path, et_path, ul_cols, memory_limit, threads,
                           temp_directory)
    except BaseException as exc:
        sink.abort(exc)  # nothing half-written is left behind
        raise
    if isinstance(sink, _ParquetSink):
        return sink.close(unplaced, n_units, quality)
    df = _arrow_long(sink.table())
    df.attrs.update(quality)
    df.attrs["unplaced"] = unplaced
    df.attrs["n_units"] = n_units
    df.attrs["source_files"] = [str(ul_path), str(et_path)]
    return df


def _quality(diag: dict[str, int], ul_path: Path, et_path: Path, ul_cols: Sequence[str],
             memory_limit: str, threads: int | None, temp_directory) -> dict:
    """Report repeated rows and unusable creation dates (logged; returned for ``attrs``).

    Examples of unparseable dates are read again only when there are some.
    """
    dup_ul = int(diag.get("duplicate_legal_units", 0))
    dup_et = int(diag.get("duplicate_establishments", 0))
    if dup_ul or dup_et:
        logger.warning("SIRENE: repeated rows counted once: %d extra row(s) of legal units already "
                       "listed (%s), %d extra row(s) of head offices (%s)", dup_ul, ul_path, dup_et,
                       et_path)
    dates = {"unparseable": int(diag.get("bad_date", 0)), "empty": int(diag.get("no_date", 0)),
             "out_of_range": int(diag.get("date_out_of_range", 0)), "examples": []}
    if dates["unparseable"] or dates["out_of_range"]:
        with _connect(memory_limit, threads, temp_directory) as con:
            rel = _relation(con, ul_path, ["siren", "dateCreationUniteLegale"], "sirene_dates")
            raw = "NULLIF(trim(CAST(dateCreationUniteLegale AS VARCHAR)), '')"
            sql = (f"SELECT DISTINCT {raw} AS d FROM {rel} WHERE {raw} IS NOT NULL AND "
                   f"(TRY_CAST({raw} AS DATE) IS NULL OR year(TRY_CAST({raw} AS DATE)) NOT BETWEEN "
                   f"{_FIRST_YEAR} AND {_LAST_YEAR}) LIMIT 5")
            dates["examples"] = sorted(str(x) for x in con.execute(sql).df()["d"])
        logger.warning("SIRENE %s: %d legal unit(s) with a creation date that is not a date "
                       "(expected YYYY-MM-DD) and %d outside %d-%d are not counted, e.g. %s",
                       ul_path, dates["unparseable"], dates["out_of_range"], _FIRST_YEAR,
                       _LAST_YEAR,
                       dates["examples"])
    if dates["empty"]:
        logger.info("SIRENE %s: %d legal unit(s) without a creation date are not counted", ul_path,
                    dates["empty"])
    return {"duplicates": {"legal_units": dup_ul, "establishments": dup_et}, "dates": dates}


