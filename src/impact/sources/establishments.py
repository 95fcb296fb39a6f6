"""INSEE's establishments by commune and salaried-headcount band, 2014.

The file (``base_etablissement_par_tranche_effectif.csv``; shipped compressed in
``data/raw/insee/etablissements_2014/`` with its provenance) counts the
establishments of each commune of the 2014 geography, in total (``E14TST``) and
by band of salaried headcount: ``E14TS0ND`` (0 or unknown), ``E14TS1`` (1–5),
``E14TS6`` (6–9), ``E14TS10``, ``E14TS20``, ``E14TS50``, ``E14TS100``,
``E14TS200``, ``E14TS500``.

Quirks handled, as in real INSEE files: ``CODGEO`` and ``DEP`` lost their
leading zeros (``5061`` is 05061), ``REG`` holds the régions before 2016 (not
used: the région comes from the territory layer), and the commune codes are
those of 1 January 2014. :func:`read` checks each code against the communes of
2014 in INSEE's history and harmonises them to COG 2025 (mergers summed, the
few split communes shared by 2025 population).

Indicators: ``establishments_total`` and ``establishments_tpe`` (TPE: 0 to 9
salaried, ``E14TS0ND + E14TS1 + E14TS6``). :func:`tpe_stock` gives the TPE
stock per territory at any level, the numerator of the panel covariate
``tpe_stock_2014_per10k``.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from impact.config import raw_dir
from impact.errors import InputError
from impact.sources._common import check_nonempty, make_long

logger = logging.getLogger(__name__)

SOURCE = "insee_etablissements_2014"
PERIOD = "2014"
#: Vintage of the file's commune codes.
FILE_VINTAGE = 2014
FILE_NAME = "base_etablissement_par_tranche_effectif.csv.xz"
#: Salaried-headcount bands, in order; their sum is ``E14TST``.
BANDS: tuple[str, ...] = ("E14TS0ND", "E14TS1", "E14TS6", "E14TS10", "E14TS20", "E14TS50",
                          "E14TS100", "E14TS200", "E14TS500")
#: Bands of the TPE (très petites entreprises): 0 to 9 salaried.
TPE_BANDS: tuple[str, ...] = ("E14TS0ND", "E14TS1", "E14TS6")
TOTAL = "E14TST"
INDICATORS: dict[str, tuple[str, ...]] = {
    "establishments_total": (TOTAL,),
    "establishments_tpe": TPE_BANDS,
}
_REQUIRED = ("CODGEO", "DEP", TOTAL, *BANDS)


def default_path() -> Path:
    """The shipped copy: ``data/raw/insee/etablissements_2014/`` of the project.

    Examples
    --------
    >>> default_path().name
    'base_etablissement_par_tranche_effectif.csv.xz'
    """
    return raw_dir() / "insee" / "etablissements_2014" / FILE_NAME


def _read_raw(path: Path) -> pd.DataFrame:
    check_nonempty(path)
    try:
        df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        # INSEE's own downloads are often Windows-1252; a re-save may be UTF-8.
        logger.info("%s is not UTF-8; reading it as Windows-1252", path)
        df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="cp1252")
    except (pd.errors.ParserError, EOFError, OSError) as exc:
        raise InputError(f"cannot be read as a ';'-separated table ({exc})", path=path) from exc
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected the INSEE layout "
                         f"CODGEO;LIBGEO;REG;DEP;{TOTAL};{';'.join(BANDS)}; "
                         f"found {list(df.columns)}",
                         path=path, column=missing[0])
    return df


def _fail_rows(path: Path, df: pd.DataFrame, mask: np.ndarray, column: str, what: str) -> None:
    first = int(np.flatnonzero(mask)[0])
    n = int(mask.sum())
    more = f" ({n - 1} more row(s) like it)" if n > 1 else ""
    raise InputError(f"value {df[column].iloc[first]!r}: {what}{more}", path=path,
                     line=first + 2, column=column)


def _counts(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    """Band and total columns as floats; blank cells missing; anything else an error."""
    out = {}
    for col in (TOTAL, *BANDS):
        text = df[col].str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "")
        num = pd.to_numeric(text, errors="coerce")
        bad = (num.isna() & text.ne("")) | (num < 0) | (num.notna() & (num % 1 != 0))
        if bad.any():
            _fail_rows(path, df, bad.to_numpy(), col,
                       "expected a non-negative whole number of establishments")
        out[col] = num.astype("float64")
    return pd.DataFrame(out, index=df.index)


def _codes(path: Path, df: pd.DataFrame) -> pd.Series:
    """``CODGEO`` as 2014 commune codes, checked against the communes of 2014 and ``DEP``."""
    from impact.territories.codes import clean_codes, departement_of

    _, code, reason = clean_codes(df["CODGEO"], "commune", arrondissements="keep",
                                  vintage=FILE_VINTAGE)
    bad = reason != ""
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        unknown = sorted(set(code[bad]))
        raise InputError(f"value {df['CODGEO'].iloc[first]!r}: {reason[first]}; "
                         f"{len(unknown)} such code(s): {', '.join(unknown[:10])}",
                         path=path, line=first + 2, column="CODGEO")
    code = pd.Series(code, index=df.index, dtype="string")
    dep = df["DEP"].str.strip().str.upper()
    dep = dep.where(~dep.str.fullmatch(r"\d"), dep.str.zfill(2))
    mismatch = (dep != departement_of(code)).to_numpy()
    if mismatch.any():
        first = int(np.flatnonzero(mismatch)[0])
        raise InputError(f"value {df['DEP'].iloc[first]!r}: département does not match commune "
                         f"{code.iloc[first]} (expected {departement_of(code).iloc[first]})",
                         path=path, line=first + 2, column="DEP")
    dup = code.duplicated(keep=False).to_numpy()
    if dup.any():
        lines = (np.flatnonzero(dup) + 2)[:5].tolist()
        _fail_rows(path, df.assign(CODGEO=code), dup, "CODGEO",
                   f"commune listed more than once (lines {lines})")
    return code


def read(path: str | Path | None = None, *, harmonize: bool = True) -> pd.DataFrame:
    """Read INSEE's 2014 establishments file into the canonical long format.

    Parameters
    ----------
    path
        The ``;``-separated file (plain or compressed: ``.gz``, ``.xz``, ``.zip``,
        ``.bz2``). Default: the shipped copy (:func:`default_path`).
    harmonize
        Land the 2014 codes on the communes of COG 2025 (default; ``cog_year``
        2025) with :func:`impact.territories.harmonize` (``from_year=2014``:
        mergers summed, split communes shared by 2025 population). ``False``
        keeps the 2014 codes (``cog_year`` 2014).

    Returns
    -------
    pandas.DataFrame
        Long format (:data:`impact.sources._common.LONG_COLUMNS`): level
        ``commune``, period ``"2014"``, indicators ``establishments_total`` and
        ``establishments_tpe``, source ``insee_etablissements_2014``; status
        ``observed`` (``missing`` for a blank cell). ``attrs["harmonize"]``
        reports the re-coding, ``attrs["band_mismatch"]`` the communes whose bands
        do not sum to the total (none in INSEE's file).

    Raises
    ------
    InputError
        Missing columns; a code that is not a commune of 1 January 2014; a
        département that does not match its commune; a commune listed twice; a
        count that is not a non-negative whole number — naming file, line, column
        and value.

    Examples
    --------
    A file in INSEE's layout, with Germagnat (01172), merged into 01095 in 2017:

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "etablissements.csv"
    >>> _ = path.write_text(
    ...     "CODGEO;LIBGEO;REG;DEP;E14TST;E14TS0ND;E14TS1;E14TS6;E14TS10;E14TS20;E14TS50;"
    ...     "E14TS100;E14TS200;E14TS500\\n"
    ...     "1172;Germagnat;82;1;5;4;1;0;0;0;0;0;0;0\\n"
    ...     "1095;Nivigne et Suran;82;1;40;30;6;2;1;1;0;0;0;0\\n", encoding="utf-8")
    >>> read(path)[["territory_code", "cog_year", "indicator", "value"]]
      territory_code  cog_year             indicator  value
    0          01095      2025  establishments_total   45.0
    1          01095      2025    establishments_tpe   43.0
    """
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        raise InputError("file not found (the project ships it in "
                         "data/raw/insee/etablissements_2014/)", path=path)
    df = _read_raw(path)
    code = _codes(path, df)
    num = _counts(path, df)
    blank = num.isna()
    if blank.any().any():
        logger.warning("%s: %d blank count cell(s), read as missing", path, int(blank.sum().sum()))
    band_sum = num[list(BANDS)].sum(axis=1, min_count=len(BANDS))
    mismatch = band_sum.notna() & num[TOTAL].notna() & (band_sum != num[TOTAL])
    if mismatch.any():
        logger.warning("%s: %d commune(s) whose bands do not sum to %s (e.g. line %d); both kept "
                       "as published", path, int(mismatch.sum()), TOTAL,
                       int(np.flatnonzero(mismatch.to_numpy())[0]) + 2)
    parts = []
    for indicator, cols in INDICATORS.items():
        value = num[list(cols)].sum(axis=1, min_count=len(cols))
        parts.append(pd.DataFrame({"territory_code": code.to_numpy(), "indicator": indicator,
                                   "value": value.to_numpy()}))
    long = pd.concat(parts, ignore_index=True)
    attrs: dict = {"path": str(path),
                   "band_mismatch": code[mismatch].tolist()}
    cog_year = FILE_VINTAGE
    if harmonize:
        from impact.territories import harmonize as _harmonize

        long = _harmonize(long, "territory_code", counts=["value"], by=["indicator"],
                          from_year=FILE_VINTAGE, errors="raise")
        attrs["harmonize"] = long.attrs["harmonize"]
        cog_year = 2025
    long["level"] = "commune"
    long["cog_year"] = cog_year
    long["period"] = PERIOD
    long["status"] = np.where(long["value"].isna(), "missing", "observed")
    long["source"] = SOURCE
    out = make_long(long.sort_values(["indicator", "territory_code"]))
    out.attrs.update(attrs)
    return out


@functools.lru_cache(maxsize=4)
def _tpe_communes(path: str, mtime_ns: int) -> pd.DataFrame:
    long = read(path)
    return long.loc[long["indicator"] == "establishments_tpe", ["territory_code", "value"]]


def tpe_stock(level: str = "commune", path: str | Path | None = None) -> pd.DataFrame:
    """Stock of TPE establishments (0 to 9 salaried) in 2014 per territory, COG 2025.

    Parameters
    ----------
    level
        ``commune``, ``epci``, ``departement``, ``region`` or ``france``.
    path
        The establishments file (default: the shipped copy).

    Returns
    -------
    pandas.DataFrame
        ``territory_code, tpe_stock_2014``: one row per territory of the level
        reached by the file. At commune level that is every commune of 2025 but
        Culey (55138): restored on 1 January 2014, it is still counted within
        Loisey (55298) in INSEE's file. The one 2014 commune split since then
        (76676, shared with 76601 by 2025 population) makes two values
        non-integer. Divide
        by the population and multiply by 10,000 for ``tpe_stock_2014_per10k``.
        At EPCI level the four island communes outside any EPCI are left out.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "etablissements.csv"
    >>> _ = path.write_text(
    ...     "CODGEO;LIBGEO;REG;DEP;E14TST;E14TS0ND;E14TS1;E14TS6;E14TS10;E14TS20;E14TS50;"
    ...     "E14TS100;E14TS200;E14TS500\\n"
    ...     "1095;Nivigne et Suran;82;1;40;30;6;2;1;1;0;0;0;0\\n"
    ...     "29019;Brest;53;29;7445;4500;2331;300;150;100;40;14;6;4\\n", encoding="utf-8")
    >>> tpe_stock("departement", path=path)
      territory_code  tpe_stock_2014
    0             01            38.0
    1             29          7131.0
    """
    from impact.territories import aggregate, check_level

    check_level(level)
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        raise InputError("file not found (the project ships it in "
                         "data/raw/insee/etablissements_2014/)", path=path)
    # The panel asks for every level in turn: read and harmonise the file once.
    tpe = _tpe_communes(str(path.resolve()), path.stat().st_mtime_ns)
    if level != "commune":
        tpe = aggregate(tpe, level, counts=["value"])
    out = tpe[["territory_code", "value"]].rename(columns={"value": "tpe_stock_2014"}).copy()
    out["territory_code"] = out["territory_code"].astype("string")
    return out.sort_values("territory_code", ignore_index=True)
