"""URSSAF private-sector salaried employment (open.urssaf.fr), wide CSV.

Input layout
------------
The open.urssaf.fr datasets "Nombre d'établissements employeurs et effectifs
salariés du secteur privé, par commune x APE" (or "par département", "par
zone d'emploi", "par EPCI") export one row per territory (× sector) with
label and code columns (``Région``, ``Département``, ``Commune``…, ``Code
région``, ``Code département``, ``Code commune``, ``Code APE``…) and one
column per year, e.g. ``Nombre d'établissements 2016`` and ``Effectifs
salariés 2016`` (end-of-year figures). Files re-saved with Excel are
``;``-separated, Latin-1, with French numbers (``1 234``) and ``s`` for
values under statistical secrecy; all of that is handled. Quarterly exports
(``Effectifs salariés 2016T4``) are accepted: the fourth quarter is taken as
the end-of-year value (``annual=True``), or all quarters are kept.

Output indicator ``salaried_jobs``. Rows of several sectors of one territory
are summed; when one of them is secret, the total is secret too (NaN, status
``secret``) unless ``partial="sum"``, which sums the published parts and
marks the result ``estimated`` (a lower bound). Commune codes of an older
geography are harmonised to COG 2025 with the same rule.

Field: private sector, régime général, excluding agriculture; Mayotte is not
covered (see the dataset page).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd

from impact._options import check_options
from impact.errors import InputError
from impact.sources._common import (
    find_period,
    make_long,
    melt_wide,
    normalize_label,
    read_csv_table,
    report_duplicates,
)

if TYPE_CHECKING:
    from impact.territories.codes import Level

logger = logging.getLogger(__name__)

SOURCE = "urssaf"
LICENCE = "Open Database License (ODbL) 1.0"
INDICATOR = "salaried_jobs"

#: Code column name (normalised) → level, finest first.
_CODE_COLUMNS = (
    ("code commune", "commune"),
    ("code epci", "epci"),
    ("code zone d'emploi", "zone_emploi"),
    ("code departement", "departement"),
    ("code region", "region"),
)
#: More salaried jobs than in all of France in one row is a typing or unit error.
MAX_JOBS = 5e7
_JOBS = re.compile(r"^effectifs? salari", re.I)


@check_options
def read(
    path: str | Path,
    *,
    level: str | None = None,
    annual: bool = True,
    partial: Literal["secret", "sum"] = "secret",
    harmonize: bool = True,
    sep: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read an URSSAF wide CSV of salaried employment into the long format.

    Parameters
    ----------
    path
        CSV as exported from open.urssaf.fr or re-saved by Excel.
    level
        Which code column to use; default: the finest one present (commune,
        EPCI, zone d'emploi, département, région).
    annual
        Quarterly columns: keep only Q4 as the year's value (default) or keep
        every quarter (period ``2016Q4``).
    partial
        How to total rows of one territory when some are secret (see module doc).
    harmonize
        Re-code old commune codes to COG 2025 (summing merged communes).
    sep, encoding
        Force instead of detecting.

    Returns
    -------
    pandas.DataFrame
        Long format, indicator ``salaried_jobs``. ``df.attrs["unknown_codes"]``
        maps codes that could not be placed to their number of rows (dropped).

    Examples
    --------
    Salaried jobs of two retail and consulting lines in Annecy and one in Brest;
    one Annecy cell is secret in 2015:

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "urssaf.csv"
    >>> _ = path.write_text(
    ...     "Code commune;Intitulé commune;Code APE;Effectifs salariés 2015;"
    ...     "Effectifs salariés 2016\\n74010;Annecy;47.11B;1 234;1 301\\n"
    ...     "74010;Annecy;70.22Z;s;12\\n29019;Brest;47.11B;900;950\\n", encoding="utf-8")
    >>> read(path)[["territory_code", "period", "value", "status"]]
      territory_code period   value    status
    0          29019   2015   900.0  observed
    1          29019   2016   950.0  observed
    2          74010   2015     NaN    secret
    3          74010   2016  1313.0  observed
    >>> read(path, partial="sum")[["territory_code", "period", "value", "status"]].iloc[2:3]
      territory_code period   value     status
    2          74010   2015  1234.0  estimated
    """
    path = Path(path)
    df = read_csv_table(path, sep=sep, encoding=encoding)
    norm = {normalize_label(c): c for c in df.columns}
    found = [(norm[n], lvl) for n, lvl in _CODE_COLUMNS if n in norm]
    if level is not None:
        found = [(c, lvl) for c, lvl in found if lvl == level]
    if not found:
        wanted = [n for n, lvl in _CODE_COLUMNS if level in (None, lvl)]
        raise InputError(f"no territory code column (expected one of {wanted}, e.g. "
                         f"'Code commune'); columns found: "
                         f"{[c for c in df.columns if c != '_line']}", path=path,
                         column=wanted[0])
    code_col, lvl = found[0]
    jobs_cols = [c for c in df.columns if _JOBS.match(normalize_label(c)) and find_period(c)]
    if not jobs_cols:
        raise InputError("no 'Effectifs salariés <year>' column found; columns found: "
                         f"{[c for c in df.columns if c != '_line']}", path=path,
                         column="Effectifs salariés <year>")
    id_cols = [c for c in df.columns if c not in jobs_cols and c != "_line"
               and not find_period(c)]
    df = report_duplicates(df, id_cols, path=path, value_cols=jobs_cols)
    long = melt_wide(df, [code_col], jobs_cols, path=path, minimum=0, maximum=MAX_JOBS,
                     what="number of salaried jobs")
    if any("Q" in p for p in long["period"].unique()) and annual:
        long = long[long["period"].str.endswith("Q4")].copy()
        long["period"] = long["period"].str[:4]
    long = long.rename(columns={code_col: "raw"})
    out, unknown = _place(long, lvl, harmonize, path)
    out = _total(out, partial)
    out["level"] = lvl
    out["cog_year"] = 2025
    out["indicator"] = INDICATOR
    out["source"] = SOURCE
    result = make_long(out.sort_values(["territory_code", "period"]))
    result.attrs["unknown_codes"] = unknown
    return result


def _place(long: pd.DataFrame, level: str, harmonize: bool, path: Path
           ) -> tuple[pd.DataFrame, dict[str, int]]:
    from impact.territories import commune_mapping, normalize_code

    raw = long["raw"].astype(str)
    uniq = pd.Series(pd.unique(raw))
    flags = normalize_code(uniq, cast("Level", level), errors="flag", arrondissements="keep")
    code = flags["code"].astype(object)
    ok = flags["valid"].to_numpy()
    if level == "commune" and harmonize:
        code = code.map(commune_mapping(arrondissements="commune"))
        ok = ok & code.notna().to_numpy()
    lookup = dict(zip(uniq[ok], code[ok], strict=True))
    long = long.assign(territory_code=raw.map(lookup))
    bad = long["territory_code"].isna()
    unknown = long.loc[bad, "raw"].astype(str).value_counts().to_dict()
    if unknown:
        logger.warning("%s: %d %s code(s) could not be placed and were dropped: %s", path,
                       len(unknown), level,
                       ", ".join(f"{k!r} ({v} values)" for k, v in list(unknown.items())[:10]))
    return long.loc[~bad], {k: int(v) for k, v in unknown.items()}


def _total(long: pd.DataFrame, partial: str) -> pd.DataFrame:
    """Sum rows of one territory and period (sectors, merged communes) with the secret rule."""
    g = long.groupby(["territory_code", "period"], sort=False)
    total = g["value"].sum(min_count=1)
    n_secret = g["status"].agg(lambda s: int((s == "secret").sum()))
    n_missing = g["status"].agg(lambda s: int((s == "missing").sum()))
    n = g["status"].size()
    out = total.rename("value").to_frame()
    out["status"] = "observed"
    any_secret = n_secret > 0
    if partial == "secret":
        out.loc[any_secret, "value"] = np.nan
        out.loc[any_secret, "status"] = "secret"
    else:
        some = any_secret & out["value"].notna()
        out.loc[some, "status"] = "estimated"
        out.loc[any_secret & out["value"].isna(), "status"] = "secret"
    all_missing = (n_missing == n)
    out.loc[all_missing, "status"] = "missing"
    out.loc[all_missing, "value"] = np.nan
    return out.reset_index()
