"""INSEE enterprise creations (SIDE), population and unemployment by département, 2012–2021.

Three small files shipped with the project in ``data/raw/insee/side_departements/``
(provenance, licences and caveats in that folder's ``README.md``), all
``;``-separated with one row per département and year:

``firm_creations_side.csv``
    ``dep_code;year;total_firm_creations;creations_individual;creations_sarl;
    creations_sas;creations_other_legal;creations_sector_industry;
    creations_sector_construction;creations_sector_trade;creations_sector_services``:
    new enterprises (legal units) of INSEE's SIDE system, dataset
    ``DS_SIDE_CREA_ENT_DEP_REG_NAT_CJ_2024``. The four legal-form columns and the
    four sector columns each add up to the total.
``population_insee.csv``
    ``dep_code;year;pop_jan1``: INSEE population estimates on 1 January.
``unemployment_insee.csv``
    ``dep_code;year;unemployment_rate;unemployment_rate_raw``: annual mean of the
    four quarterly localised unemployment rates (ILO, seasonally adjusted, %,
    vintage 2025 Q4); ``unemployment_rate`` is that mean rounded to 0.1.

Output indicators (canonical long format, level ``departement``, ``cog_year``
2025, period ``"2012"``…): see :data:`CREATION_INDICATORS`, plus
``creations_companies`` (SARL + SAS + other legal forms: the usual "excluding
micro-entrepreneurs" series, since the individual series includes
micro-entrepreneurs and follows the regime's 2014–2015 and 2018–2020 reforms),
``population`` and ``unemployment_rate``.

**Which unemployment column.** ``unemployment_rate`` is taken from
``unemployment_rate_raw``, the exact mean of the four published quarterly rates.
The rounded column adds a second rounding of up to 0.05 point, and its ties
(``7.35``, ``13.85``) are not rounded in one consistent direction, so the raw
mean carries strictly more information. A copy without the raw column is read
from the rounded one (said in ``attrs["unemployment_column"]``).

**Caveats.** SIDE is INSEE's restated series (every year higher than the
first-release figures): never splice it with first-release years. Metropolitan
France only (96 départements, no overseas).

Checksums: the files of the default folder are checked against
:data:`SHIPPED_SHA256` when read; a copy elsewhere is read without the checksum
but validated the same way (codes, years, numbers, duplicates, breakdowns).
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from impact._io import sha256
from impact.config import raw_dir
from impact.errors import InputError, UnknownCodeError
from impact.sources._common import make_long, parse_numbers, read_csv_table, report_duplicates

logger = logging.getLogger(__name__)

SOURCE_CREATIONS = "insee_side"
SOURCE_POPULATION = "insee_population"
SOURCE_UNEMPLOYMENT = "insee_tcl"
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"
ATTRIBUTION = "Source : Insee"
#: INSEE datasets the three files come from.
DATASETS: dict[str, str] = {
    "creations": "DS_SIDE_CREA_ENT_DEP_REG_NAT_CJ_2024 (SIDE, new legal units, 2024 edition)",
    "population": "Estimations de population au 1er janvier, par département",
    "unemployment": "Taux de chômage localisés (moyenne annuelle des taux trimestriels CVS), "
                    "millésime 2025T4",
}
COG_YEAR = 2025
LEVEL: Final = "departement"

#: File name of each of the three tables.
FILES: dict[str, str] = {
    "creations": "firm_creations_side.csv",
    "population": "population_insee.csv",
    "unemployment": "unemployment_insee.csv",
}
#: sha256 of the shipped files (also in the folder's ``SHA256SUMS``, for ``sha256sum -c``).
SHIPPED_SHA256: dict[str, str] = {
    "firm_creations_side.csv": "66bc7b88b7fab9038444451d1cf395d63ad6fc0e03d97748dae8490913cbf578",
    "population_insee.csv": "6d3e8851925087157d980d400cb3b772bda2bc6e78178524157a49cdc7473dd3",
    "unemployment_insee.csv": "49f39de89886594d0dccf35ccfb0e2a47e630c5acc2631618e93c7d61a89f046",
}
#: Folder of the shipped files (``data/raw`` follows ``$IMPACT_RAW_DIR``, read at import).
DEFAULT_FOLDER: Path = raw_dir() / "insee" / "side_departements"

_CODE, _YEAR = "dep_code", "year"
#: Column of the creations file -> indicator.
CREATION_INDICATORS: dict[str, str] = {
    "total_firm_creations": "creations_total",
    "creations_individual": "creations_legal_individual",
    "creations_sarl": "creations_legal_sarl",
    "creations_sas": "creations_legal_sas",
    "creations_other_legal": "creations_legal_other",
    "creations_sector_industry": "creations_naf_industry",
    "creations_sector_construction": "creations_naf_construction",
    "creations_sector_trade": "creations_naf_trade",
    "creations_sector_services": "creations_naf_services",
}
_TOTAL = "total_firm_creations"
#: Breakdowns that must add up to the total.
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "legal form": ("creations_individual", "creations_sarl", "creations_sas",
                   "creations_other_legal"),
    "sector": ("creations_sector_industry", "creations_sector_construction",
               "creations_sector_trade", "creations_sector_services"),
}
#: Legal forms whose sum is ``creations_companies`` (all but individual entrepreneurs).
COMPANY_FORMS: tuple[str, ...] = ("creations_sarl", "creations_sas", "creations_other_legal")
_POP, _RATE, _RATE_RAW = "pop_jan1", "unemployment_rate", "unemployment_rate_raw"
#: Years accepted; outside this range a year is a typo (``212``, ``20121``).
MIN_YEAR = 1950


def shipped_files(folder: str | Path | None = None) -> dict[str, Path]:
    """Paths of the three tables (``creations``, ``population``, ``unemployment``) in ``folder``.

    Parameters
    ----------
    folder
        Folder holding the files; default :data:`DEFAULT_FOLDER`.

    Examples
    --------
    >>> sorted(path.name for path in shipped_files().values())
    ['firm_creations_side.csv', 'population_insee.csv', 'unemployment_insee.csv']
    """
    base = Path(folder) if folder is not None else DEFAULT_FOLDER
    return {kind: base / name for kind, name in FILES.items()}


def verify_checksums(folder: str | Path | None = None) -> dict[str, str]:
    """Check the three tables of ``folder`` against :data:`SHIPPED_SHA256`.

    Returns
    -------
    dict
        File name → sha256 found (all equal to the expected ones).

    Raises
    ------
    InputError
        For the first file that is absent or whose sha256 differs, naming the
        file, the expected and the found sums and what to do.

    Examples
    --------
    >>> verify_checksums()["population_insee.csv"]
    '6d3e8851925087157d980d400cb3b772bda2bc6e78178524157a49cdc7473dd3'
    """
    return {p.name: _verify(p) for p in shipped_files(folder).values()}


def _verify(path: Path) -> str:
    expected = SHIPPED_SHA256.get(path.name)
    if expected is None:
        raise InputError(f"no shipped checksum for a file named {path.name!r}; shipped files "
                         f"are {sorted(SHIPPED_SHA256)}", path=path)
    if not path.is_file():
        raise InputError("shipped file not found: restore the folder "
                         "(git checkout -- data/raw/insee/side_departements)", path=path)
    found = sha256(path)
    if found != expected:
        raise InputError(
            f"sha256 mismatch for a shipped file: expected {expected}, found {found}. The file was "
            "modified or damaged: restore it (git checkout -- "
            f"data/raw/insee/side_departements/{path.name}); to analyse a modified copy, put it in "
            "another folder and read it from there (read(folder=...) or read_creations(path)), "
            "where it is validated without the checksum", path=path)
    return found


def _should_verify(path: Path, verify: bool | None) -> bool:
    if verify is not None:
        return verify
    try:
        return path.resolve() == (DEFAULT_FOLDER / path.name).resolve()
    except OSError:
        return False


# --------------------------------------------------------------------------- validation


def _refuse(df: pd.DataFrame, mask: pd.Series, column: str, text: pd.Series, path: Path,
            what: str) -> None:
    """Raise for the first row of ``mask``: file, line, column, value and what was expected."""
    if not mask.any():
        return
    first = mask.to_numpy().nonzero()[0][0]
    n = int(mask.sum())
    more = f" ({n} rows in all, lines {df.loc[mask, '_line'].head(10).tolist()})" if n > 1 else ""
    raise InputError(f"value {text.iloc[first]!r}: {what}{more}", path=path,
                     line=int(df["_line"].iloc[first]), column=column)


def _read_table(path: str | Path, kind: str, required: Sequence[str], optional: Sequence[str],
                verify: bool | None) -> tuple[pd.DataFrame, dict]:
    """Read one table: codes normalised, years checked, values parsed.

    Each value column ``c`` gets ``c__value`` (float) and ``c__status``.

    Returns the frame (one row per département-year, with ``_line``) and the attrs to report.
    """
    from impact.territories import normalize_code

    path = Path(path)
    verified = _should_verify(path, verify)
    if verified:
        _verify(path)
    df = read_csv_table(path, required=[_CODE, _YEAR, *required])
    attrs: dict = {"path": str(path), "checksum_verified": verified}
    extra = [c for c in df.columns if c not in {"_line", _CODE, _YEAR, *required, *optional}]
    if extra:
        logger.warning("%s: column(s) %s ignored (the %s table uses %s)", path, extra, kind,
                       [_CODE, _YEAR, *required, *optional])
        attrs["ignored_columns"] = extra

    # Codes: '1' -> '01' (a spreadsheet drops the zero); anything that is not a COG 2025
    # département is refused.
    flag = normalize_code(df[_CODE], LEVEL, errors="flag")
    bad = ~flag["valid"]
    if bad.any():
        rows = df.loc[bad, [_CODE, "_line"]]
        err = UnknownCodeError(rows[_CODE].tolist(), LEVEL, path=path,
                               line=int(rows["_line"].iloc[0]), column=_CODE)
        shown = zip(rows[_CODE].head(5), rows["_line"].head(5), flag.loc[bad, "reason"].head(5),
                    strict=True)
        detail = "; ".join(f"line {ln}: {c!r} ({r})" for c, ln, r in shown)
        err.args = (f"{err.args[0]}; {detail}. Expected a département code of COG 2025 "
                    "(01-95, 2A, 2B, 971-976)",)
        raise err
    df["territory_code"] = flag["code"].astype(str).to_numpy()

    # Years: whole numbers in a plausible range.
    year_text = df[_YEAR]
    year = pd.to_numeric(year_text.str.replace(r"\.0+$", "", regex=True), errors="coerce")
    _refuse(df, year.isna() | (year % 1 != 0), _YEAR, year_text, path,
            "not a year (expected a whole number such as 2016)")
    this_year = _dt.date.today().year
    _refuse(df, (year < MIN_YEAR) | (year > this_year), _YEAR, year_text, path,
            f"year outside {MIN_YEAR}-{this_year}")
    df["period"] = year.astype(int).astype(str).to_numpy()

    for col in [*required, *(c for c in optional if c in df.columns)]:
        value, status = parse_numbers(df[col], path=path, column=col, lines=df["_line"])
        _refuse(df, np.isinf(value), col, df[col], path, "not a finite number")
        df[f"{col}__value"] = value.to_numpy()
        df[f"{col}__status"] = status.to_numpy()
        unpublished = status.ne("observed")
        if unpublished.any():
            logger.warning("%s: %d cell(s) of %r not published (%s), kept as NaN (lines %s)",
                           path, int(unpublished.sum()), col,
                           ", ".join(sorted(set(status[unpublished]))),
                           df.loc[unpublished, "_line"].head(10).tolist())
            attrs.setdefault("not_published", {})[col] = df.loc[unpublished, "_line"].tolist()

    values = [f"{c}__value" for c in required]
    df = report_duplicates(df, ["territory_code", "period"], path=path, value_cols=values)
    if df.attrs.get("duplicates_dropped"):
        attrs["duplicates_dropped"] = df.attrs["duplicates_dropped"]
    attrs.update(_coverage(df, path))
    return df, attrs


def _coverage(df: pd.DataFrame, path: Path) -> dict:
    """Report (log + attrs) départements missing some years and metropolitan ones absent."""
    from impact.territories import departements

    out: dict = {}
    # One cell per département x year of the file: a 0 is a year that département lacks.
    grid = df.groupby(["territory_code", "period"]).size().unstack(fill_value=0)
    years = [str(y) for y in grid.columns]
    lacking = grid.eq(0)
    gaps = {str(code): [y for y, miss in zip(years, row, strict=True) if miss]
            for code, row in zip(grid.index, lacking.to_numpy(), strict=True) if row.any()}
    if gaps:
        logger.warning("%s: %d département(s) lack some of the years %s-%s: %s", path, len(gaps),
                       years[0], years[-1], dict(list(gaps.items())[:10]))
        out["missing_years"] = gaps
    metro = {c for c in departements()["departement"] if len(c) == 2}
    present = {str(c) for c in grid.index}
    absent = sorted(metro - present)
    if absent:
        logger.warning("%s: %d metropolitan département(s) absent: %s", path, len(absent), absent)
        out["absent_departements"] = absent
    overseas = sorted(present - metro)
    if overseas:
        logger.info("%s: overseas département(s) present: %s", path, overseas)
        out["overseas_departements"] = overseas
    out["years"] = years
    return out


def _long(df: pd.DataFrame, columns: Mapping[str, str], source: str, attrs: dict) -> pd.DataFrame:
    parts = []
    for col, indicator in columns.items():
        part = df[["territory_code", "period"]].copy()
        part["indicator"] = indicator
        part["value"] = df[f"{col}__value"].to_numpy()
        part["status"] = df[f"{col}__status"].to_numpy()
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["level"], out["cog_year"], out["source"] = LEVEL, COG_YEAR, source
    out = make_long(out.sort_values(["territory_code", "period", "indicator"], kind="stable"))
    out.attrs.update(attrs)
    return out


# --------------------------------------------------------------------------- readers


def read_creations(path: str | Path, *, verify: bool | None = None) -> pd.DataFrame:
    """Read the SIDE creations table into the long format (source ``insee_side``).

    Parameters
    ----------
    path
        ``firm_creations_side.csv`` or a copy in the same layout (see module doc).
    verify
        Check the sha256 against the shipped file's; default: only for the file
        of :data:`DEFAULT_FOLDER`.

    Returns
    -------
    pandas.DataFrame
        Indicators of :data:`CREATION_INDICATORS` and ``creations_companies``.
        ``attrs["breakdown_mismatches"]`` lists the rows (line, code, year,
        breakdown, total, sum) whose legal-form or sector columns do not add up
        to the total (logged as a warning; the values are kept as published).

    Raises
    ------
    InputError
        Missing columns (the columns found are listed), an unknown département,
        a year that is not one, a count that is not a number, negative,
        infinite or fractional, conflicting duplicate rows; with file, line,
        column and value.

    Examples
    --------
    >>> long = read_creations(shipped_files()["creations"])
    >>> long.query("territory_code == '29' and period == '2016'")[["indicator", "value"]].head(3)
                           indicator   value
    2740         creations_companies  1454.0
    2741  creations_legal_individual  4066.0
    2742       creations_legal_other   118.0
    """
    path = Path(path)
    df, attrs = _read_table(path, "creations", list(CREATION_INDICATORS), (), verify)
    for col in CREATION_INDICATORS:
        v = df[f"{col}__value"]
        _refuse(df, v < 0, col, df[col], path, "negative count (expected a number >= 0)")
        _refuse(df, v % 1 > 0, col, df[col], path,
                "not a whole number (expected a count of enterprises)")
    mismatches = []
    total = df[f"{_TOTAL}__value"]
    for name, parts in BREAKDOWNS.items():
        summed = df[[f"{c}__value" for c in parts]].sum(axis=1, min_count=len(parts))
        off = summed.notna() & total.notna() & (summed != total)
        for i in np.flatnonzero(off.to_numpy()):
            mismatches.append({"line": int(df["_line"].iloc[i]),
                               "territory_code": df["territory_code"].iloc[i],
                               "year": df["period"].iloc[i], "breakdown": name,
                               "total": float(total.iloc[i]), "sum": float(summed.iloc[i])})
    if mismatches:
        logger.warning("%s: %d row(s) whose breakdown does not add up to %r (kept as published): "
                       "%s", path, len(mismatches), _TOTAL, mismatches[:10])
    attrs["breakdown_mismatches"] = mismatches
    # Companies = the three company forms: unpublished if any of them is.
    forms = [f"{c}__value" for c in COMPANY_FORMS]
    df["creations_companies__value"] = df[forms].sum(axis=1, min_count=len(forms))
    stat = df[[f"{c}__status" for c in COMPANY_FORMS]]
    df["creations_companies__status"] = np.where(
        stat.eq("observed").all(axis=1), "observed",
        np.where(stat.eq("secret").any(axis=1), "secret", "missing"))
    columns = {**CREATION_INDICATORS, "creations_companies": "creations_companies"}
    return _long(df, columns, SOURCE_CREATIONS, attrs)


def read_population(path: str | Path, *, verify: bool | None = None) -> pd.DataFrame:
    """Read the population table (``dep_code;year;pop_jan1``) into the long format.

    Indicator ``population`` (INSEE estimate on 1 January of ``period``, status
    ``observed`` each year), source ``insee_population``. ``verify`` as in
    :func:`read_creations`.

    Raises
    ------
    InputError
        As :func:`read_creations`, and for a population that is not > 0.

    Examples
    --------
    >>> long = read_population(shipped_files()["population"])
    >>> long[["territory_code", "period", "indicator", "value"]].head(2)
      territory_code period   indicator     value
    0             01   2012  population  612191.0
    1             01   2013  population  619497.0
    """
    path = Path(path)
    df, attrs = _read_table(path, "population", [_POP], (), verify)
    v = df[f"{_POP}__value"]
    _refuse(df, v <= 0, _POP, df[_POP], path, "population must be > 0")
    return _long(df, {_POP: "population"}, SOURCE_POPULATION, attrs)


def read_unemployment(path: str | Path, *, verify: bool | None = None) -> pd.DataFrame:
    """Read the unemployment table into the long format (indicator ``unemployment_rate``, %).

    The value is ``unemployment_rate_raw`` (the unrounded annual mean; see the
    module doc) when the column exists, else ``unemployment_rate``;
    ``attrs["unemployment_column"]`` says which. Rows where the rounded rate is
    more than 0.05 point from the raw one are logged and listed in
    ``attrs["rounding_mismatches"]``. A row whose raw cell is not published
    but whose rounded rate is takes the rounded rate (lines in
    ``attrs["rounded_rate_lines"]``). Source ``insee_tcl``. ``verify`` as in
    :func:`read_creations`.

    Raises
    ------
    InputError
        As :func:`read_creations`, and for a rate outside 0–100.

    Examples
    --------
    >>> long = read_unemployment(shipped_files()["unemployment"])
    >>> long[["territory_code", "period", "indicator", "value"]].head(2)
      territory_code period          indicator  value
    0             01   2012  unemployment_rate   6.85
    1             01   2013  unemployment_rate   7.20
    """
    path = Path(path)
    df, attrs = _read_table(path, "unemployment", [_RATE], [_RATE_RAW], verify)
    cols = [c for c in (_RATE, _RATE_RAW) if f"{c}__value" in df.columns]
    for col in cols:
        v = df[f"{col}__value"]
        _refuse(df, (v < 0) | (v > 100), col, df[col], path,
                "an unemployment rate must be between 0 and 100 (percent)")
    used = _RATE_RAW if _RATE_RAW in cols else _RATE
    attrs["unemployment_column"] = used
    if used == _RATE:
        logger.info("%s: no %r column; the rounded %r is used", path, _RATE_RAW, _RATE)
    else:
        gap = (df[f"{_RATE}__value"] - df[f"{_RATE_RAW}__value"]).abs()
        off = gap > 0.05 + 1e-9
        mismatches = df.loc[off, ["_line", "territory_code", "period", _RATE, _RATE_RAW]]
        attrs["rounding_mismatches"] = mismatches.to_dict("records")
        if len(mismatches):
            logger.warning("%s: %d row(s) where %r is not %r rounded to 0.1 (the raw value is "
                           "used): lines %s", path, len(mismatches), _RATE, _RATE_RAW,
                           mismatches["_line"].head(10).tolist())
        # A raw cell left blank next to a published rounded rate: the rounded one is
        # better than nothing (at most 0.05 point off).
        fill = df[f"{_RATE_RAW}__status"].ne("observed") & df[f"{_RATE}__status"].eq("observed")
        if fill.any():
            df.loc[fill, f"{_RATE_RAW}__value"] = df.loc[fill, f"{_RATE}__value"]
            df.loc[fill, f"{_RATE_RAW}__status"] = "observed"
            logger.warning("%s: %d row(s) without %r: the rounded %r is used (lines %s)",
                           path, int(fill.sum()), _RATE_RAW, _RATE,
                           df.loc[fill, "_line"].head(10).tolist())
        attrs["rounded_rate_lines"] = df.loc[fill, "_line"].tolist()
    return _long(df, {used: "unemployment_rate"}, SOURCE_UNEMPLOYMENT, attrs)


def read(folder: str | Path | None = None, *, verify: bool | None = None) -> pd.DataFrame:
    """The three tables of ``folder`` as one long frame.

    Parameters
    ----------
    folder
        Folder holding the three files under their shipped names (:data:`FILES`);
        default :data:`DEFAULT_FOLDER`, whose files are checked against
        :data:`SHIPPED_SHA256`.
    verify
        Force (``True``) or skip (``False``) the checksum; default: only for the
        default folder.

    Returns
    -------
    pandas.DataFrame
        Canonical long format, level ``departement``, ``cog_year`` 2025; sources
        ``insee_side``, ``insee_population``, ``insee_tcl``. ``attrs``: ``folder``,
        ``checksum_verified``, ``files`` (the attrs of each table, by kind) and
        ``coverage_mismatch`` (département-years present in some tables only,
        also logged).

    Examples
    --------
    >>> long = read()
    >>> long.groupby("source").size().to_dict()
    {'insee_population': 960, 'insee_side': 9600, 'insee_tcl': 960}
    >>> long.query("territory_code == '29' and period == '2016' and indicator == 'creations_total'"
    ...            )[["indicator", "value", "source"]]
                indicator   value      source
    2749  creations_total  5520.0  insee_side
    """
    base = Path(folder) if folder is not None else DEFAULT_FOLDER
    paths = shipped_files(base)
    if verify is None:
        verify = _should_verify(paths["creations"], None)
    frames = {
        "creations": read_creations(paths["creations"], verify=verify),
        "population": read_population(paths["population"], verify=verify),
        "unemployment": read_unemployment(paths["unemployment"], verify=verify),
    }
    keys = {k: set(zip(f["territory_code"].to_numpy(object), f["period"].to_numpy(object),
                       strict=True)) for k, f in frames.items()}
    union = set().union(*keys.values())
    mismatch = {k: sorted(union - v) for k, v in keys.items() if union - v}
    if mismatch:
        logger.warning("%s: département-years absent from some tables: %s", base,
                       {k: v[:10] for k, v in mismatch.items()})
    out = make_long(pd.concat(list(frames.values()), ignore_index=True))
    out.attrs.update(folder=str(base), checksum_verified=bool(verify),
                     files={k: dict(f.attrs) for k, f in frames.items()},
                     coverage_mismatch=mismatch)
    return out
