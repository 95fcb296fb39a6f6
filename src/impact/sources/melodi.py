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
is streamed through :func:`pyarrow.csv.open_csv` in blocks (never loaded whole),
filtered block by block, and the kept rows are summed with DuckDB.

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
import io
import logging
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.sources._common import LONG_COLUMNS, check_nonempty

logger = logging.getLogger(__name__)

SOURCE = "insee_melodi"
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"

#: A10 sections published by commune (AZ, agriculture, is outside the SIDE field).
A10: tuple[str, ...] = ("AZ", "BE", "FZ", "GI", "JZ", "KZ", "LZ", "MN", "OQ", "RU")
#: Legal-form code of individual entrepreneurs (micro-entrepreneurs included).
LEGAL_FORM_EI = "10"
#: Columns that are not dimensions.
ATTRIBUTES: frozenset[str] = frozenset({
    "GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_FR",
    "CONF_STATUS", "UNIT_MULT", "UNIT_MEASURE", "DECIMALS", "FREQ", "OBS_FLAG",
})
_REQUIRED = ("GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE")
_GEO_LEVEL = {"COM": "commune", "ARM": "commune", "DEP": "departement", "REG": "region",
              "FRANCE": "france"}
_SECRET_CONF = ("C", "D", "N", "S")
_SECRET_OBS = ("Q", "C", "S", "N")
_ESTIMATED_OBS = ("E", "P", "F", "I", "U", "V")
_STATUS_RANK = ("observed", "estimated", "missing", "secret")
_EI = "__creations_ei"  # internal: LEGAL_FORM=10, only used for creations_companies
_BLOCK = 8 << 20


class MelodiFileError(InputError):
    """A Melodi ZIP cannot be read."""


class MissingMemberError(MelodiFileError):
    """The ZIP has no ``*_data.csv`` member (or several)."""


class TruncatedZipError(MelodiFileError):
    """The ZIP is truncated or corrupt (interrupted download)."""


class UnknownMeasureError(MelodiFileError):
    """The file's measure column holds no measure the reader knows."""


@dataclass(frozen=True)
class _Rule:
    """Rows of the file that make one indicator: a measure and fixed dimension values."""

    indicator: str
    measure_col: str
    measure: str
    dims: dict[str, str] = field(default_factory=dict)


def _rules() -> list[_Rule]:
    rules = [
        _Rule("creations_total", "SIDE_MEASURE", "BURE", {"ACTIVITY": "_T", "LEGAL_FORM": "_T"}),
        _Rule(_EI, "SIDE_MEASURE", "BURE", {"ACTIVITY": "_T", "LEGAL_FORM": LEGAL_FORM_EI}),
        *(_Rule(f"creations_naf_{s}", "SIDE_MEASURE", "BURE", {"ACTIVITY": s, "LEGAL_FORM": "_T"})
          for s in A10),
        _Rule("legal_units_stock", "SIDE_MEASURE", "LEGAL_UNIT"),
        _Rule("population", "POPREF_MEASURE", "PMUN"),
    ]
    return rules


RULES: tuple[_Rule, ...] = tuple(_rules())
#: Indicators this reader can produce.
INDICATORS: tuple[str, ...] = (
    "creations_total", "creations_companies", *(f"creations_naf_{s}" for s in A10),
    "legal_units_stock", "population",
)


# --------------------------------------------------------------------------- #
# ZIP members and metadata
# --------------------------------------------------------------------------- #

def _open_zip(path: Path) -> zipfile.ZipFile:
    check_nonempty(path)
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise TruncatedZipError(
            f"not a complete ZIP archive ({exc}): the download was probably interrupted; "
            "run 'impact fetch' again (it resumes)", path=path) from exc


def members(path: str | Path) -> tuple[str, str | None]:
    """Names of the data and metadata members of a Melodi ZIP.

    Raises
    ------
    MissingMemberError
        No member, or more than one, ends with ``_data.csv``.
    TruncatedZipError
        The archive's central directory cannot be read.
    """
    path = Path(path)
    with _open_zip(path) as zf:
        names = zf.namelist()
    data = [n for n in names if n.lower().endswith("_data.csv")]
    meta = [n for n in names if n.lower().endswith("_metadata.csv")]
    if len(data) != 1:
        raise MissingMemberError(
            f"expected exactly one member named '*_data.csv' (Melodi layout), found "
            f"{len(data)}; members are {names}", path=path)
    return data[0], (meta[0] if len(meta) == 1 else None)


def read_metadata(path: str | Path) -> pd.DataFrame:
    """The metadata member of a Melodi ZIP: ``COD_VAR``, ``LIB_VAR``, ``COD_MOD``, ``LIB_MOD``.

    Returns an empty frame with those columns (and logs a warning) when the
    archive has no metadata member.
    """
    path = Path(path)
    _, meta = members(path)
    cols = ["COD_VAR", "LIB_VAR", "COD_MOD", "LIB_MOD"]
    if meta is None:
        logger.warning("%s: no '*_metadata.csv' member; codes will have no labels", path)
        return pd.DataFrame(columns=cols, dtype="string")
    with _open_zip(path) as zf:
        try:
            raw = zf.read(meta)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise TruncatedZipError(f"member {meta!r} is corrupt ({exc})", path=path) from exc
    text = raw.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text), delimiter=";", quotechar='"'))
    if not rows:
        raise MelodiFileError(f"member {meta!r} is empty", path=path)
    header = [h.strip() for h in rows[0]]
    missing = [c for c in ("COD_VAR", "COD_MOD", "LIB_MOD") if c not in header]
    if missing:
        raise MelodiFileError(f"member {meta!r} lacks column(s) {missing}; columns are {header}",
                              path=path, column=missing[0])
    df = pd.DataFrame([r for r in rows[1:] if any(c.strip() for c in r)], columns=header,
                      dtype="string") if len(rows) > 1 else pd.DataFrame(columns=header)
    if "LIB_VAR" not in df.columns:
        df["LIB_VAR"] = df["COD_VAR"]
    return df[cols]


def _labels(meta: pd.DataFrame) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for var, mod, lab in meta[["COD_VAR", "COD_MOD", "LIB_MOD"]].itertuples(index=False):
        out.setdefault(str(var), {})[str(mod)] = str(lab)
    return out


def vintage(path: str | Path) -> int | None:
    """Vintage (year) in a Melodi file or product name, e.g. 2025 for ``…_COM_2025_CSV_FR``."""
    m = re.findall(r"_((?:19|20)\d{2})(?=_|\.|$)", Path(path).name)
    return int(m[-1]) if m else None


# --------------------------------------------------------------------------- #
# Streaming scan
# --------------------------------------------------------------------------- #

def _header(zf: zipfile.ZipFile, member: str, path: Path) -> list[str]:
    with zf.open(member) as fh:
        first = fh.readline(1 << 16).decode("utf-8-sig", errors="replace")
    if not first.strip():
        raise MelodiFileError(f"member {member!r} is empty (no header row)", path=path)
    return [h.strip() for h in next(csv.reader([first], delimiter=";", quotechar='"'))]


def _scan(zf: zipfile.ZipFile, member: str, path: Path, columns: list[str], keep_cols: list[str],
          measure_col: str, rules: Sequence[_Rule], fixed_total: list[str], geo_objects: set[str]):
    """Stream the data member; return (kept rows as an Arrow table, counters)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    types = {c: pa.string() for c in keep_cols}
    types["OBS_VALUE"] = pa.float64()
    reader_opts = pacsv.ReadOptions(block_size=_BLOCK, use_threads=True)
    parse_opts = pacsv.ParseOptions(delimiter=";", quote_char='"', newlines_in_values=False)
    conv_opts = pacsv.ConvertOptions(
        include_columns=keep_cols, column_types=types, null_values=[""],
        strings_can_be_null=False, quoted_strings_can_be_null=False)
    measures = sorted({r.measure for r in rules})
    geo_counts: Counter[str] = Counter()
    measure_counts: Counter[str] = Counter()
    parts = []
    n_rows = 0
    rule_dims = sorted({d for r in rules for d in r.dims})
    dim_values = {d: sorted({r.dims[d] for r in rules if d in r.dims}) for d in rule_dims}
    try:
        with zf.open(member) as fh:
            reader = pacsv.open_csv(fh, read_options=reader_opts, parse_options=parse_opts,
                                    convert_options=conv_opts)
            for batch in reader:
                n_rows += batch.num_rows
                obj = batch.column("GEO_OBJECT")
                for v, n in zip(*_value_counts(obj), strict=True):
                    geo_counts[v] += n
                meas = batch.column(measure_col)
                for v, n in zip(*_value_counts(meas), strict=True):
                    measure_counts[v] += n
                mask = pc.and_(pc.is_in(obj, pa.array(sorted(geo_objects))),
                               pc.is_in(meas, pa.array(measures)))
                for d in fixed_total:
                    mask = pc.and_(mask, pc.equal(batch.column(d), "_T"))
                for d in rule_dims:
                    mask = pc.and_(mask, pc.is_in(batch.column(d), pa.array(dim_values[d])))
                kept = batch.filter(mask)
                if kept.num_rows:
                    parts.append(kept)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise TruncatedZipError(f"member {member!r} is corrupt or truncated ({exc}); "
                                "download the file again", path=path) from exc
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        col = "OBS_VALUE" if "double" in msg else None
        raise MelodiFileError(f"member {member!r}: cannot parse the data ({msg}); expected "
                              "';'-separated fields with numbers in OBS_VALUE",
                              path=path, column=col) from exc
    schema = pa.schema([(c, types[c]) for c in keep_cols])
    table = pa.Table.from_batches(parts, schema=schema) if parts else schema.empty_table()
    return table, n_rows, geo_counts, measure_counts


def _value_counts(arr) -> tuple[list[str], list[int]]:
    import pyarrow.compute as pc

    vc = pc.value_counts(arr)
    return vc.field("values").to_pylist(), vc.field("counts").to_pylist()


# --------------------------------------------------------------------------- #
# Codes
# --------------------------------------------------------------------------- #

def _code_table(geo: pd.DataFrame, harmonize: bool, arrondissements: str,
                file_vintage: int | None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Map distinct (level, GEO) to output codes; return the unplaced codes with their counts.

    Works on distinct codes only (tens of thousands), never on every row.
    """
    from impact.territories import normalize_code
    from impact.territories import harmonize as harmonize_codes

    out, unplaced = [], {}
    com = geo[geo["level"] == "commune"]
    if len(com):
        frame = pd.DataFrame({"territory_code": com["geo"].to_numpy(), "geo": com["geo"].to_numpy()})
        if harmonize:
            # The integrator: pass from_year=file_vintage here once harmonize() accepts it,
            # so that codes are read in the geography of the file's vintage.
            mapped = harmonize_codes(frame, "territory_code", errors="drop",
                                     arrondissements=arrondissements)
            unplaced.update({str(k): int(v) for k, v in
                             mapped.attrs.get("harmonize", {}).get("unplaced", {}).items()})
        else:
            flags = normalize_code(frame["geo"], "commune", errors="flag",
                                   arrondissements=arrondissements)
            ok = flags["valid"].to_numpy()
            unplaced.update({str(k): 1 for k in frame.loc[~ok, "geo"]})
            mapped = frame.assign(territory_code=flags["code"].to_numpy()).loc[ok]
        out.append(pd.DataFrame({"level": "commune", "geo": mapped["geo"].to_numpy(),
                                 "territory_code": mapped["territory_code"].astype(str).to_numpy()}))
    for level in ("departement", "region", "france"):
        sub = geo[geo["level"] == level]
        if not len(sub):
            continue
        raw = sub["geo"].replace({"F": "FR"}) if level == "france" else sub["geo"]
        flags = normalize_code(raw.reset_index(drop=True), level, errors="flag")
        ok = flags["valid"].to_numpy()
        unplaced.update({f"{level}:{g}": 1 for g in sub["geo"].to_numpy()[~ok]})
        out.append(pd.DataFrame({"level": level, "geo": sub["geo"].to_numpy()[ok],
                                 "territory_code": flags["code"].astype(str).to_numpy()[ok]}))
    cols = ["level", "geo", "territory_code"]
    table = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)
    return table[cols].astype(str), unplaced


# --------------------------------------------------------------------------- #
# Reader
# --------------------------------------------------------------------------- #

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
        categoricals (millions of rows). ``attrs``: ``path``, ``member``,
        ``vintage``, ``rows_read``, ``labels`` (indicator → French label from
        the metadata), ``metadata`` (variable → code → label),
        ``ignored_geo_objects``, ``ignored_measures``, ``obs_status``,
        ``unplaced`` (codes that could not be placed, with their row counts),
        ``arm_rows_used``, ``companies_without_ei_row``.

    Raises
    ------
    TruncatedZipError, MissingMemberError, UnknownMeasureError, MelodiFileError
        Subclasses of :class:`impact.errors.InputError`, naming the file, the
        member and the column or value at fault.
    """
    import duckdb
    import pyarrow as pa

    path = Path(path)
    levels = tuple(levels)
    bad = [lv for lv in levels if lv not in ("commune", "departement", "region", "france")]
    if bad:
        raise InputError(f"levels {bad} cannot be read from a Melodi file; expected among "
                         "commune, departement, region, france (EPCI and above: aggregate communes)")
    data_member, _ = members(path)
    meta = read_metadata(path)
    labels = _labels(meta)
    file_vintage = vintage(data_member) or vintage(path)

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
        keep_cols = [c for c in columns if c in (*_REQUIRED, measure_col, "OBS_STATUS",
                                                  "CONF_STATUS", *rule_dims, *fixed_total)]
        table, n_rows, geo_counts, measure_counts = _scan(
            zf, data_member, path, columns, keep_cols, measure_col, rules, fixed_total,
            geo_objects)

    # Measures: unknown ones are reported; a file with none we know is an error.
    known_measures = {r.measure for r in rules}
    seen = set(measure_counts)
    if n_rows and not (seen & known_measures):
        raise UnknownMeasureError(
            f"member {data_member!r}: column {measure_col!r} holds {sorted(seen)[:10]}, none of "
            f"the measures this reader knows ({sorted(known_measures)})",
            path=path, column=measure_col)
    ignored_measures = {k: v for k, v in measure_counts.items() if k not in known_measures}
    available = _available(rules, seen)
    wanted = list(available) if indicators is None else list(indicators)
    not_here = [i for i in wanted if i not in available]
    if not_here:
        raise InputError(f"indicator(s) {not_here} not provided by this file; it provides "
                  f"{list(available)} (all indicators: {list(INDICATORS)})", path=path)
    need = set(wanted)
    if "creations_companies" in need:
        need |= {"creations_total", _EI}
    rules = [r for r in rules if r.indicator in need]
    ignored_geo = {k: v for k, v in geo_counts.items() if k not in geo_objects}
    if ignored_geo:
        logger.info("%s: ignored GEO_OBJECT rows %s", path.name, ignored_geo)

    con = duckdb.connect()
    try:
        con.register("raw", table)
        # A rule fixes every dimension it uses; the file's other dimensions are at '_T'.
        all_dims = sorted(rule_dims | set(fixed_total))
        rule_case = " ".join(
            f"WHEN {_q(measure_col)} = '{r.measure}' "
            + "".join(f"AND {_q(d)} = '{r.dims.get(d, '_T')}' " for d in all_dims)
            + f"THEN '{r.indicator}'" for r in rules)
        has = set(table.column_names)
        conf = "coalesce(CONF_STATUS, '')" if "CONF_STATUS" in has else "''"
        obs = "coalesce(OBS_STATUS, '')" if "OBS_STATUS" in has else "''"
        status = (f"CASE WHEN OBS_VALUE IS NULL THEN (CASE WHEN {conf} IN {_in(_SECRET_CONF)} "
                  f"OR {obs} IN {_in(_SECRET_OBS)} THEN 3 ELSE 2 END) "
                  f"WHEN {obs} IN {_in(_ESTIMATED_OBS)} THEN 1 ELSE 0 END")
        year_filter = ""
        if years is not None:
            yrs = sorted({int(y) for y in years})
            year_filter = f"AND substr(TIME_PERIOD, 1, 4) IN {_in([str(y) for y in yrs])}"
        con.execute(f"""
            CREATE TEMP TABLE rows AS
            SELECT GEO_OBJECT AS obj, GEO AS geo, TIME_PERIOD AS tp,
                   CASE {rule_case} END AS indicator, OBS_VALUE AS value, {status} AS srank,
                   {obs} AS obs_status
            FROM raw WHERE TRUE {year_filter}""")
        con.execute("DELETE FROM rows WHERE indicator IS NULL")
        bad_tp = con.execute(
            "SELECT tp FROM rows WHERE NOT regexp_matches(tp, '^\\d{4}(-\\d{2}(-\\d{2})?)?$') "
            "LIMIT 1").fetchall()
        if bad_tp:
            raise MelodiFileError(f"member {data_member!r}: TIME_PERIOD {bad_tp[0][0]!r} is not a "
                                  "year (expected e.g. 2016)", path=path, column="TIME_PERIOD")
        dup = con.execute("""SELECT obj, geo, tp, indicator, count(*) n FROM rows
                             GROUP BY ALL HAVING n > 1 LIMIT 3""").fetchall()
        if dup:
            raise MelodiFileError(f"member {data_member!r}: duplicated observations (GEO_OBJECT, "
                                  f"GEO, TIME_PERIOD, indicator): {dup}", path=path)
        obs_counts = dict(con.execute(
            "SELECT obs_status, count(*) FROM rows GROUP BY ALL").fetchall())

        # Arrondissements: drop those whose commune has its own row (or the commune row).
        arm_parent = _arm_parent_sql()
        if arrondissements == "commune":
            con.execute(f"""DELETE FROM rows WHERE obj = 'ARM' AND {arm_parent} IN
                            (SELECT geo FROM rows WHERE obj = 'COM')""")
        else:
            con.execute(f"""DELETE FROM rows WHERE obj = 'COM' AND geo IN
                            (SELECT {arm_parent} FROM rows WHERE obj = 'ARM')""")
        arm_used = con.execute("SELECT count(*) FROM rows WHERE obj = 'ARM'").fetchall()[0][0]

        geo = con.execute("SELECT DISTINCT obj, geo FROM rows").df()
        geo["level"] = geo["obj"].map(_GEO_LEVEL)
        if "france" in levels:
            # 'F' is France entière (Mayotte included); other France variants are not kept.
            drop_fr = (geo["level"] == "france") & (geo["geo"] != "F")
            geo = geo[~drop_fr]
        geo = geo.drop_duplicates(["level", "geo"])
        codes, unplaced = _code_table(geo, harmonize, arrondissements, file_vintage)
        con.register("codes", pa.Table.from_pandas(codes, preserve_index=False))
        con.execute(f"""
            CREATE TEMP TABLE agg AS
            SELECT c.territory_code, c.level, substr(r.tp, 1, 4) AS period, r.indicator,
                   max(r.srank) AS srank,
                   CASE WHEN max(r.srank) <= 1 THEN sum(r.value) END AS value
            FROM rows r JOIN codes c
              ON c.geo = r.geo AND c.level = (CASE r.obj {_level_case()} END)
            GROUP BY ALL""")
        n_no_ei = 0
        if "creations_companies" in wanted:
            con.execute(f"""
                INSERT INTO agg
                SELECT t.territory_code, t.level, t.period, 'creations_companies',
                       greatest(t.srank, e.srank),
                       CASE WHEN greatest(t.srank, e.srank) <= 1 THEN t.value - e.value END
                FROM agg t JOIN agg e USING (territory_code, level, period)
                WHERE t.indicator = 'creations_total' AND e.indicator = '{_EI}'""")
            n_no_ei = con.execute(f"""
                SELECT count(*) FROM agg t WHERE t.indicator = 'creations_total' AND NOT EXISTS
                (SELECT 1 FROM agg e WHERE e.indicator = '{_EI}' AND e.territory_code =
                 t.territory_code AND e.level = t.level AND e.period = t.period)""").fetchall()[0][0]
        result = con.sql(f"""
            SELECT territory_code, level, period, indicator, value, srank FROM agg
            WHERE indicator IN {_in(wanted)}
            ORDER BY level, territory_code, indicator, period""").to_arrow_table()
    finally:
        con.close()

    out = _to_long(result, 2025 if harmonize else (file_vintage or 2025))
    out.attrs.update({
        "path": str(path), "member": data_member, "vintage": file_vintage, "source": SOURCE,
        "rows_read": n_rows, "labels": _indicator_labels(wanted, labels, measure_col),
        "metadata": labels, "ignored_geo_objects": ignored_geo,
        "ignored_measures": ignored_measures, "obs_status": obs_counts, "unplaced": unplaced,
        "arm_rows_used": int(arm_used), "companies_without_ei_row": int(n_no_ei),
        "licence": LICENCE,
    })
    if unplaced:
        logger.warning("%s: %d code(s) could not be placed in COG 2025 and were dropped: %s",
                       path.name, len(unplaced), ", ".join(list(unplaced)[:15]))
    logger.info("%s: %d rows read, %d long rows (%s)", path.name, n_rows, len(out),
                ", ".join(wanted))
    return out


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


def _to_long(table, cog_year: int) -> pd.DataFrame:
    import pyarrow.compute as pc

    n = table.num_rows

    def cat(name: str) -> pd.Series:
        return pc.dictionary_encode(table[name]).to_pandas()

    srank = table["srank"].to_numpy(zero_copy_only=False).astype(np.int64) if n else np.zeros(0, int)
    status = pd.Categorical.from_codes(srank, categories=list(_STATUS_RANK)) if n else \
        pd.Categorical([], categories=list(_STATUS_RANK))
    value = table["value"].to_numpy(zero_copy_only=False) if n else np.zeros(0)
    df = pd.DataFrame({
        "territory_code": cat("territory_code").astype("category") if n else pd.Categorical([]),
        "level": cat("level").astype("category") if n else pd.Categorical([]),
        "cog_year": np.full(n, cog_year, dtype="int64"),
        "period": cat("period").astype("category") if n else pd.Categorical([]),
        "indicator": cat("indicator").astype("category") if n else pd.Categorical([]),
        "value": np.asarray(value, dtype="float64"),
        "status": status,
        "source": pd.Categorical(np.repeat(SOURCE, n)),
    })
    return df[list(LONG_COLUMNS)]


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def _in(values: Iterable[str]) -> str:
    vals = [str(v).replace("'", "''") for v in values]
    return "(" + ", ".join(f"'{v}'" for v in vals) + ")" if vals else "('')"


def _level_case() -> str:
    return " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _GEO_LEVEL.items())


def _arm_parent_sql() -> str:
    from impact.territories import ARRONDISSEMENTS

    parents = sorted(set(ARRONDISSEMENTS.values()))
    return ("(CASE " + " ".join(
        f"WHEN geo IN {_in(k for k, v in ARRONDISSEMENTS.items() if v == p)} THEN '{p}'"
        for p in parents) + " END)")


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
    """
    from impact.config import cache_dir as default_cache
    from impact.sources.registry import get

    src = get(name)
    if not src.melodi_dataset:
        raise InputError(f"{name!r} is not a Melodi source; Melodi sources: {CACHED_SOURCES}")
    folder = Path(cache_dir) if cache_dir is not None else default_cache()
    if not folder.is_dir():
        return None
    found = [p for p in folder.glob(f"{src.melodi_dataset}_*.zip")
             if re.fullmatch(re.escape(src.melodi_dataset) + r"(?:_\d{4})?_CSV_[A-Z]{2}\.zip", p.name)
             and p.with_name(p.name + ".provenance.json").exists()]
    if not found:
        return None
    return max(found, key=lambda p: (vintage(p) or 0, p.stat().st_mtime))


def commune_long(cache_dir: str | Path | None = None, *,
                 indicators: Iterable[str] | None = None,
                 arrondissements: Literal["commune", "keep"] = "commune") -> pd.DataFrame | None:
    """Commune long table from every Melodi file in the cache; ``None`` when none is there.

    Reads the newest ``side_creations_communes``, ``side_stocks_communes`` and
    ``populations_reference`` files present (each optional), harmonised to
    COG 2025. ``attrs["files"]`` lists the files read and ``attrs["missing"]``
    the sources absent from the cache (with the ``impact fetch`` command).
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
    cats = ["territory_code", "level", "period", "indicator", "status", "source"]
    out = pd.concat([f.astype({c: str for c in cats}) for f in frames], ignore_index=True)
    out = out.astype({c: "category" for c in cats})
    out.attrs.update({"files": files, "missing": missing, "source": SOURCE})
    return out


_PROVIDES = {
    "side_creations_communes": ["creations_total", "creations_companies",
                                *(f"creations_naf_{s}" for s in A10)],
    "side_stocks_communes": ["legal_units_stock"],
    "populations_reference": ["population"],
}
