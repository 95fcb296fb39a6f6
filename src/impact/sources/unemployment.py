"""INSEE localised unemployment rates ("Taux de chômage localisés"), quarterly.

Input layout
------------
INSEE publishes the quarterly localised unemployment rates (seasonally
adjusted, in percent) as one Excel workbook (e.g.
``chomage-zone-t1-2003-t2-2025.xlsx``) with one sheet per geographic level
(régions, départements, zones d'emploi; sheet names vary between releases:
"Région", "Département", "txcho_reg", "txcho_dep", "Zone d'emploi"…). Each
sheet has a few title/notes rows, then a header row with ``Code``,
``Libellé`` and one column per quarter (``T1_2003``, ``2003-T1`` or ``T1
2003``), then one row per territory, then source/footnote rows. The latest
quarter is provisional; when its header carries a ``(p)``/``p``/``*`` mark or
"provisoire", its values get status ``estimated``.

The header row is detected (the first row of the first 40 with a ``Code``
cell and at least two quarter columns), never hard-coded, and the level is
read from the sheet name. Output indicator: ``unemployment_rate`` (percent).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd

from impact.errors import InputError
from impact.sources._common import (
    check_nonempty,
    check_range,
    check_zip,
    find_period,
    make_long,
    normalize_label,
    parse_numbers,
)

if TYPE_CHECKING:
    from impact.territories.codes import Level

logger = logging.getLogger(__name__)

SOURCE = "insee_tcl"
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"
INDICATOR = "unemployment_rate"
_PROVISIONAL = re.compile(r"\(p\)|\bp\b|\*|provisoire|(?<=\d)p$", re.I)


def sheet_level(name: str) -> str | None:
    """Territory level of a sheet from its name (``None`` for notes sheets).

    Examples
    --------
    >>> [sheet_level(n) for n in ["Département", "Région", "Zone d'emploi", "Présentation"]]
    ['departement', 'region', 'zone_emploi', None]
    """
    s = normalize_label(name)
    if re.search(r"\bze\b|zone", s):
        return "zone_emploi"
    if re.search(r"dep", s):
        return "departement"
    if re.search(r"reg", s):
        return "region"
    if re.search(r"france|nation|metro", s):
        return "france"
    return None


def _header_row(rows: list[tuple], max_rows: int = 40) -> int | None:
    for i, row in enumerate(rows[:max_rows]):
        cells = [normalize_label(c) for c in row if c is not None]
        has_code = any(c == "code" or c.startswith("code ") for c in cells)
        quarters = sum(1 for c in row if c is not None and _quarter(c) is not None)
        if has_code and quarters >= 2:
            return i
    return None


def _quarter(cell) -> str | None:
    p = find_period(str(cell))
    return p if p is not None and "Q" in p else None


def read(path: str | Path, *, sheets: Sequence[str] | None = None) -> pd.DataFrame:
    """Read the INSEE localised unemployment workbook into the long format.

    Parameters
    ----------
    path
        The ``.xlsx`` workbook.
    sheets
        Sheet names to read; default: every sheet whose name gives a level.
        A requested sheet whose header cannot be found is an error; an
        automatically selected one too (the layout has changed).

    Returns
    -------
    pandas.DataFrame
        Long format, indicator ``unemployment_rate`` (percent), period
        ``"2016Q3"``, level from the sheet name, ``cog_year`` 2025,
        ``df.attrs["unknown_codes"]`` lists codes absent from COG 2025 (dropped).

    Examples
    --------
    A workbook in INSEE's layout (title rows above the header, the last quarter
    provisional ``(p)``, ``nd`` for a missing value):

    >>> import tempfile
    >>> from pathlib import Path
    >>> import openpyxl
    >>> path = Path(tempfile.mkdtemp()) / "chomage-zone-t1-2016-t4-2016.xlsx"
    >>> wb = openpyxl.Workbook()
    >>> sheet = wb.active
    >>> sheet.title = "Département"
    >>> sheet.append(["Taux de chômage localisés par département"])
    >>> sheet.append([])
    >>> sheet.append(["Code", "Libellé", "T1_2016", "T2_2016", "T3_2016", "T4_2016 (p)"])
    >>> sheet.append([29, "Finistère", 8.1, 8.0, "7,9", 7.8])
    >>> sheet.append(["2A", "Corse-du-Sud", 9.9, 9.7, "nd", 9.4])
    >>> wb.save(path)
    >>> read(path)[["territory_code", "period", "value", "status"]]
      territory_code  period  value     status
    0             29  2016Q1    8.1   observed
    1             29  2016Q2    8.0   observed
    2             29  2016Q3    7.9   observed
    3             29  2016Q4    7.8  estimated
    4             2A  2016Q1    9.9   observed
    5             2A  2016Q2    9.7   observed
    6             2A  2016Q3    NaN    missing
    7             2A  2016Q4    9.4  estimated
    """
    import openpyxl

    path = Path(path)
    check_nonempty(path)
    check_zip(path)  # an .xlsx is a zip: a truncated download fails here, clearly
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises various errors on non-workbooks
        raise InputError(f"cannot open as an Excel workbook ({exc})", path=path) from exc
    try:
        names = list(sheets) if sheets else [n for n in wb.sheetnames if sheet_level(n)]
        if not names:
            raise InputError(f"no sheet named after a level (département, région, zone "
                             f"d'emploi); sheets are {wb.sheetnames}", path=path)
        frames, unknown = [], {}
        for name in names:
            if name not in wb.sheetnames:
                raise InputError(f"sheet {name!r} not found; sheets are {wb.sheetnames}", path=path)
            level = sheet_level(name)
            if level is None:
                raise InputError(f"cannot tell the territory level from sheet name {name!r}",
                                 path=path)
            frame, bad = _read_sheet(wb[name], name, level, path)
            frames.append(frame)
            unknown.update(bad)
    finally:
        wb.close()
    df = pd.concat(frames, ignore_index=True)
    out = make_long(df)
    out.attrs["unknown_codes"] = unknown
    return out


def _read_sheet(ws, name: str, level: str, path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    from impact.territories import normalize_code

    rows = list(ws.iter_rows(values_only=True))
    h = _header_row(rows)
    if h is None:
        raise InputError(
            f"sheet {name!r}: no header row found in the first 40 rows; expected a row with a "
            "'Code' cell, a 'Libellé' cell and quarter columns such as 'T1_2003' or '2003-T1' "
            "(has the layout changed?)", path=path)
    header = rows[h]
    code_col = next(j for j, c in enumerate(header)
                    if c is not None and normalize_label(c).startswith("code"))
    qcols = [(j, _quarter(c), bool(_PROVISIONAL.search(str(c).replace("_", " "))))
             for j, c in enumerate(header) if c is not None and _quarter(c) is not None]
    records = []
    for i in range(h + 1, len(rows)):
        row = rows[i]
        code = row[code_col] if code_col < len(row) else None
        if code is None or str(code).strip() == "":
            continue  # footnotes, source lines, blank separators
        text = str(code).strip()
        if normalize_label(text).startswith(("source", "note", "champ", "(")):
            continue
        for j, period, provisional in qcols:
            cell = row[j] if j < len(row) else None
            records.append((i + 1, text, period, provisional, "" if cell is None else str(cell),
                            str(header[j])))
    if not records:
        raise InputError(f"sheet {name!r}: header found on row {h + 1} but no data rows below it",
                         path=path)
    df = pd.DataFrame(records, columns=["_line", "raw", "period", "provisional", "cell", "column"])
    values, status = [], []
    for col, part in df.groupby("column", sort=False):
        v, s = parse_numbers(part["cell"], path=f"{path} [sheet {name}]", column=col,
                             lines=part["_line"])
        check_range(v, path=f"{path} [sheet {name}]", column=col, lines=part["_line"],
                    raw=part["cell"], minimum=0, maximum=100, what="unemployment rate", unit=" %")
        values.append(v.set_axis(part.index))
        status.append(s.set_axis(part.index))
    df["value"] = pd.concat(values).sort_index()
    df["status"] = pd.concat(status).sort_index()
    provisional = df["provisional"].to_numpy() & df["status"].eq("observed").to_numpy()
    df.loc[provisional, "status"] = "estimated"
    if level == "france":
        df["territory_code"] = "FR"
        unknown: dict[str, int] = {}
    else:
        flags = normalize_code(df["raw"], cast("Level", level), errors="flag")
        bad = ~flags["valid"]
        unknown = df.loc[bad.to_numpy(), "raw"].value_counts().to_dict()
        if unknown:
            logger.warning("%s [sheet %s]: %d %s code(s) not in COG 2025 dropped: %s", path, name,
                           len(unknown), level, ", ".join(f"{k!r} ({v} values)"
                                                          for k, v in list(unknown.items())[:10]))
        df["territory_code"] = flags["code"].to_numpy()
        df = df.loc[~bad.to_numpy()]
    dup = df.duplicated(["territory_code", "period"], keep=False)
    if dup.any():
        lines = sorted(df.loc[dup, "_line"].unique().tolist())[:10]
        raise InputError(f"sheet {name!r}: the same territory appears on several rows "
                         f"(rows {lines})", path=path, line=int(lines[0]))
    df["level"] = level
    df["cog_year"] = 2025
    df["indicator"] = INDICATOR
    df["source"] = SOURCE
    return df, {f"{level}:{k}": int(v) for k, v in unknown.items()}
