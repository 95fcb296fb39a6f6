"""Melodi ZIP files: their members, their metadata file and the vintage they hold.

The reader (:mod:`impact.sources.melodi`) scans the data member these functions find.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
import zlib
from pathlib import Path

import pandas as pd

from impact.sources._common import check_nonempty
from impact.sources._melodi_scan import MelodiFileError, MissingMemberError, TruncatedZipError

# Records keep the reader's logger name: users filter on `impact.sources.melodi`.
logger = logging.getLogger("impact.sources.melodi")

# --------------------------------------------------------------------------- #
# ZIP members and metadata
# --------------------------------------------------------------------------- #

def _example_zip(folder: str | Path, product: str = "DS_SIDE_CREA_ENT_COM_2018_CSV_FR") -> Path:
    """Write a tiny Melodi ZIP of firm creations into ``folder``, for the docstring examples.

    Two communes of Ain in the 2018 geography: Valserhône (01033) and Châtillon-en-Michaille
    (01091, merged into it in 2019), a France entière row, years 2016 and 2017, and the
    metadata member. The text follows Melodi's layout (``;``, quoted text, bare numbers).
    """
    cols = ["GEO", "GEO_OBJECT", "SIDE_MEASURE", "ACTIVITY", "LEGAL_FORM", "FREQ",
            "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS"]
    rows = [(geo, obj, year, legal, value)
            for year in (2016, 2017)
            for geo, obj, legal, value in (("01033", "COM", "_T", 40), ("01033", "COM", "10", 25),
                                           ("01091", "COM", "_T", 3), ("01091", "COM", "10", 2),
                                           ("F", "FRANCE", "_T", 43), ("F", "FRANCE", "10", 27))]
    lines = [";".join(f'"{c}"' for c in cols)]
    lines += [f'"{geo}";"{obj}";"BURE";"_T";"{legal}";"A";"{year}";{value};"A"'
              for geo, obj, year, legal, value in rows]
    meta = ['"COD_VAR";"LIB_VAR";"COD_MOD";"LIB_MOD"',
            '"SIDE_MEASURE";"Mesure";"BURE";"Créations d\'entreprises"',
            '"LEGAL_FORM";"Catégorie juridique";"_T";"Total"',
            '"LEGAL_FORM";"Catégorie juridique";"10";"Entrepreneur individuel"']
    path = Path(folder) / f"{product}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{product}_data.csv", "\n".join(lines) + "\n")
        zf.writestr(f"{product}_metadata.csv", "\n".join(meta) + "\n")
    return path


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

    Examples
    --------
    >>> import tempfile
    >>> path = _example_zip(tempfile.mkdtemp())  # a tiny file in Melodi's layout
    >>> members(path)  # doctest: +NORMALIZE_WHITESPACE
    ('DS_SIDE_CREA_ENT_COM_2018_CSV_FR_data.csv',
     'DS_SIDE_CREA_ENT_COM_2018_CSV_FR_metadata.csv')
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

    Examples
    --------
    >>> import tempfile
    >>> read_metadata(_example_zip(tempfile.mkdtemp()))
            COD_VAR              LIB_VAR COD_MOD                  LIB_MOD
    0  SIDE_MEASURE               Mesure    BURE  Créations d'entreprises
    1    LEGAL_FORM  Catégorie juridique      _T                    Total
    2    LEGAL_FORM  Catégorie juridique      10  Entrepreneur individuel
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
    """Vintage (year) in a Melodi file or product name, e.g. 2025 for ``…_COM_2025_CSV_FR``.

    Examples
    --------
    >>> vintage("DS_SIDE_CREA_ENT_COM_2024_CSV_FR.zip")
    2024
    >>> vintage("creations.zip") is None
    True
    """
    m = re.findall(r"_((?:19|20)\d{2})(?=_|\.|$)", Path(path).name)
    return int(m[-1]) if m else None
