"""A treatment given as data: who was treated, from when, how much, at any level.

A *treatment table* has one row per treated place::

    territory_code, first_treated, intensity[, precision]

``first_treated`` is the first year of treatment (``0`` or empty: listed but
never treated), ``intensity`` a non-negative amount (euros, euros per
inhabitant, a number of projects…) summed when several rows fall in one
territory, and ``precision`` (optional) the level of each row's code:
``commune``, ``epci``, ``departement`` or ``region``. Without ``precision``,
codes of five characters are communes, of nine digits EPCI, and codes of two
or three characters départements — for a région panel, régions when every one
is a région code (``44`` is both Loire-Atlantique and Grand Est: give
``precision`` when in doubt).

:func:`read_treatment` validates a table (a CSV file or a frame) and names the
file, line, column and value of every problem; :func:`treatment_at_level`
places it on the territories of a panel level: finer rows are aggregated up
(earliest ``first_treated``, summed ``intensity``), rows coarser than the
level are refused unless they carry ``precision``, in which case every
territory inside their place is *uncertain* and the ``uncertain`` rule of
:func:`impact.panel.build_panel` applies (as for PTCE lauréats the registry
places only by région).

The PTCE registry (:func:`impact.ptce.treatment`) and the spending table
(:func:`impact.panel.spending_treatment`) are two providers of such tables.

May import: :mod:`impact.territories`, :mod:`impact.ptce.placement`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from impact._options import check_options
from impact.errors import InputError

logger = logging.getLogger(__name__)

__all__ = [
    "TREATMENT_COLUMNS",
    "TREATMENT_PRECISIONS",
    "PlacedTreatment",
    "read_treatment",
    "treatment_at_level",
    "treatment_digest",
]

#: Required columns of a treatment table (``precision`` is optional).
TREATMENT_COLUMNS: tuple[str, ...] = ("territory_code", "first_treated", "intensity")
#: Levels a row's code may be given at, finest first.
TREATMENT_PRECISIONS: tuple[str, ...] = ("commune", "epci", "departement", "region")
_RANK = {p: i for i, p in enumerate(TREATMENT_PRECISIONS)}
#: Years a ``first_treated`` value may take (a typo such as 216 or 20016 is refused).
_YEARS = (1900, 2100)


def _where(source: str | Path | None, pos: int) -> dict[str, Any]:
    """Location of row ``pos`` (0-based) for an InputError: file line, or frame row."""
    if source is not None:
        return {"path": source, "line": pos + 2}  # line 1 is the header
    return {"line": None}


def _show(value: Any) -> str:
    """A value as the user wrote it (numpy scalars shown as plain numbers)."""
    return repr(value.item() if hasattr(value, "item") else value)


def _row_text(source: str | Path | None, pos: int) -> str:
    return "" if source is not None else f"row {pos} of the treatment table: "


def read_treatment(table: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Read and validate a treatment table.

    Parameters
    ----------
    table
        A frame, or the path of a CSV file (comma or semicolon separated,
        UTF-8), with columns ``territory_code, first_treated, intensity`` and
        optionally ``precision``; other columns (names, notes) are kept.

    Returns
    -------
    pandas.DataFrame
        ``territory_code`` (string), ``first_treated`` (int64, 0 for never),
        ``intensity`` (float64), ``precision`` (string or missing), in the
        order of the input. ``attrs``: ``origin`` (kept from the input frame,
        else ``"table"``), ``digest`` (:func:`treatment_digest`) and ``path``
        (when read from a file).

    Raises
    ------
    InputError
        A missing column, a code given twice, a ``first_treated`` that is not a
        year, a negative or non-numeric ``intensity``, an unknown ``precision``;
        the message names the file and line (or the row), the column and the value.

    Examples
    --------
    >>> from impact.datasets import example_treatment
    >>> t = read_treatment(example_treatment())
    >>> t
      territory_code  first_treated  intensity
    0             29           2016        4.0
    1             35           2016        2.5
    2             44           2017        3.0
    3             56           2017        1.5
    >>> t.attrs["origin"], len(t.attrs["digest"])
    ('table', 12)
    >>> bad = pd.DataFrame({"territory_code": ["29", "29"], "first_treated": [2016, 2017],
    ...                     "intensity": [1.0, 1.0]})
    >>> read_treatment(bad)
    Traceback (most recent call last):
    ...
    impact.errors.InputError: ...column 'territory_code': code '29' is given twice (rows 0 and 1)...
    """
    source: Path | None = None
    if isinstance(table, str | Path):
        source = Path(table)
        if not source.is_file():
            raise InputError("treatment table not found (a CSV with columns "
                             "territory_code, first_treated, intensity[, precision])", path=source)
        try:
            df = pd.read_csv(source, sep=None, engine="python", dtype=str, keep_default_na=False,
                             encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputError(f"cannot read the treatment table as a UTF-8 CSV: {exc}",
                             path=source) from exc
        origin = "table"
    elif isinstance(table, pd.DataFrame):
        df = table.copy()
        origin = str(table.attrs.get("origin", "table"))
    else:
        raise InputError(f"treatment must be a DataFrame or the path of a CSV file, "
                         f"not {type(table).__name__}", value=table)
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in TREATMENT_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"the treatment table lacks column(s) {missing}; expected territory_code, "
            f"first_treated, intensity[, precision], found {list(df.columns)}",
            path=source, column=missing[0])
    df = df.reset_index(drop=True)
    code = df["territory_code"].astype("string").str.strip()
    empty = np.flatnonzero(code.isna().to_numpy() | (code.fillna("") == "").to_numpy())
    if len(empty):
        pos = int(empty[0])
        raise InputError(f"{_row_text(source, pos)}empty territory code; expected a COG code",
                         column="territory_code", **_where(source, pos))
    dup = code.duplicated(keep=False)
    if dup.any():
        first_dup = code[dup].iloc[0]
        at = [int(i) for i in np.flatnonzero((code == first_dup).to_numpy())]
        where = (f"lines {at[0] + 2} and {at[1] + 2}" if source is not None
                 else f"rows {at[0]} and {at[1]}")
        raise InputError(f"code {first_dup!r} is given twice ({where}); give one row per "
                         "territory (its first year and total intensity)",
                         path=source, column="territory_code", value=first_dup)
    first = _years(df["first_treated"], source)
    raw_int = df["intensity"]
    intensity = pd.to_numeric(raw_int.replace("", np.nan), errors="coerce")
    bad = intensity.isna() & raw_int.notna() & (raw_int.astype("string").str.strip() != "")
    bad |= intensity < 0
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{_row_text(source, pos)}intensity {_show(raw_int.iloc[pos])} is not a "
                         "number >= 0", column="intensity", value=raw_int.iloc[pos],
                         **_where(source, pos))
    out = df.copy()
    out["territory_code"] = code
    out["first_treated"] = first
    out["intensity"] = intensity.fillna(0.0).astype("float64")
    if "precision" in df.columns:
        prec = df["precision"].astype("string").str.strip().str.lower().replace("", pd.NA)
        unknown = prec.notna() & ~prec.isin(TREATMENT_PRECISIONS)
        if unknown.any():
            pos = int(np.flatnonzero(unknown.to_numpy())[0])
            shown = _show(df["precision"].iloc[pos])
            raise InputError(f"{_row_text(source, pos)}precision {shown} "
                             f"is not one of {', '.join(TREATMENT_PRECISIONS)}",
                             column="precision", value=df["precision"].iloc[pos],
                             **_where(source, pos))
        out["precision"] = prec
    # A provider's notes (excluded territories, PTCE counts, spending path) travel along.
    out.attrs = {**(table.attrs if isinstance(table, pd.DataFrame) else {}),
                 "origin": origin, "digest": treatment_digest(out)}
    if source is not None:
        out.attrs["path"] = str(source)
    return out


def _years(raw: pd.Series, source: Path | None) -> pd.Series:
    """``first_treated`` as int64 years, 0 for never treated (empty, 0)."""
    text = raw.astype("string").str.strip().fillna("")
    num = pd.to_numeric(text.replace("", "0"), errors="coerce")
    ok = num.notna() & (num == num.round()) & ((num == 0) | num.between(*_YEARS))
    if not ok.all():
        pos = int(np.flatnonzero(~ok.to_numpy())[0])
        raise InputError(
            f"{_row_text(source, pos)}first_treated {_show(raw.iloc[pos])} is not a year "
            f"({_YEARS[0]}–{_YEARS[1]}; 0 or empty for never treated)",
            column="first_treated", value=raw.iloc[pos], **_where(source, pos))
    return num.astype("int64")


def treatment_digest(table: pd.DataFrame) -> str:
    """A short digest of a treatment table's rows (its identity in panel metadata).

    Examples
    --------
    >>> from impact.datasets import example_treatment
    >>> t = example_treatment()
    >>> treatment_digest(t) == treatment_digest(t.iloc[::-1])   # row order does not matter
    True
    >>> len(treatment_digest(t))
    12
    """
    cols = [c for c in (*TREATMENT_COLUMNS, "precision") if c in table.columns]
    rows = sorted(
        "|".join(str(v) for v in r) for r in table[cols].itertuples(index=False, name=None)
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class PlacedTreatment:
    """A treatment table placed on the territories of one level.

    Attributes
    ----------
    table
        One row per treated territory of the level: ``territory_code,
        first_label_year`` (earliest year, 0 when never), ``n_rows`` (rows of the
        input in the territory) and ``intensity`` (summed).
    excluded
        Territories to leave out under ``uncertain="exclude"`` (they may hold a
        row placed only more coarsely; see
        :func:`impact.panel.treatment.uncertain_to_exclude`).
    uncertain
        ``territory_code, label_year``: every territory inside the place of a
        coarser row.

    Examples
    --------
    >>> t = read_treatment(pd.DataFrame({"territory_code": ["29019"], "first_treated": [2016],
    ...                                  "intensity": [2.0]}))
    >>> treatment_at_level(t, "departement").table.to_dict("records")
    [{'territory_code': '29', 'first_label_year': 2016, 'n_rows': 1, 'intensity': 2.0}]
    """

    table: pd.DataFrame
    excluded: list[str] = field(default_factory=list)
    uncertain: pd.DataFrame = field(default_factory=pd.DataFrame)


def _known_codes(level: str) -> set[str]:
    from impact.territories import commune_to

    if level == "commune":
        return set(commune_to("departement").index.astype(str))
    return set(commune_to(level).dropna().astype(str))


def _row_precision(code: str, short: str) -> str:
    """Level of a code without ``precision``: by its form; ``short`` for 2–3 characters."""
    if len(code) == 5:
        return "commune"
    if len(code) == 9 and code.isdigit():
        return "epci"
    return short


def _short_codes_level(codes: pd.Series, table: pd.DataFrame, level: str) -> str:
    """Level of the two- or three-character codes that carry no ``precision``.

    Département and région codes overlap (``44`` is Loire-Atlantique and Grand Est). For a
    département panel (or finer) they are départements. For a région panel they are régions
    when every one is a région code, else départements when every one is a département code
    (a table of départements summed to régions); a mix must say its ``precision``.
    """
    if level != "region":
        return "departement"
    no_prec = (table["precision"].isna() | (table["precision"].astype("string") == "")
               if "precision" in table.columns else pd.Series(True, index=table.index))
    short = set(codes[no_prec.to_numpy() & (codes.str.len() <= 3).to_numpy()])
    if not short or short <= _known_codes("region"):
        return "region"
    if short <= _known_codes("departement"):
        logger.info("treatment: codes %s are not all régions; read as départements",
                    ", ".join(sorted(short)[:8]))
        return "departement"
    return "region"


@check_options
def treatment_at_level(
    table: pd.DataFrame,
    level: Literal["commune", "epci", "departement", "region"],
    *,
    uncertain: Literal["exclude", "keep"] = "exclude",
) -> PlacedTreatment:
    """Place a validated treatment table (:func:`read_treatment`) on the territories of ``level``.

    Rows finer than ``level`` are aggregated up: a territory's first year is
    the earliest of its rows (never-treated rows aside) and its intensity the
    sum. A row coarser than ``level`` needs ``precision``: the territories of
    ``level`` inside its place are uncertain (they may or may not be treated)
    and, under ``uncertain="exclude"``, those that are not treated earlier by
    a placed row are listed in ``excluded``.

    Parameters
    ----------
    table
        Output of :func:`read_treatment`.
    level
        The panel's level.
    uncertain
        ``"exclude"`` or ``"keep"`` the territories that may hold a coarser row.

    Returns
    -------
    PlacedTreatment

    Raises
    ------
    InputError
        A code unknown at its level (naming the line or row), or a row coarser
        than ``level`` without ``precision``.

    Examples
    --------
    >>> t = read_treatment(pd.DataFrame({
    ...     "territory_code": ["29019", "29232", "35238"],
    ...     "first_treated": [2017, 2016, 2018], "intensity": [1.0, 2.0, 0.5]}))
    >>> treatment_at_level(t, "departement").table
      territory_code  first_label_year  n_rows  intensity
    0             29              2016       2        3.0
    1             35              2018       1        0.5
    >>> treatment_at_level(t, "commune").table["territory_code"].tolist()
    ['29019', '29232', '35238']
    """
    from impact.panel.treatment import uncertain_to_exclude
    from impact.ptce.placement import members

    source = table.attrs.get("path")
    codes = table["territory_code"].astype(str)
    short = _short_codes_level(codes, table, level)
    given = (table["precision"].astype("string").fillna("") if "precision" in table.columns
             else pd.Series("", index=table.index))
    prec = pd.Series(
        [p if p else _row_precision(c, short) for p, c in zip(given, codes, strict=True)],
        index=table.index)
    has_precision = "precision" in table.columns and table["precision"].notna().any()
    known: dict[str, set[str]] = {}
    for pos, (code, p) in enumerate(zip(codes, prec, strict=True)):
        stated = has_precision and pd.notna(table["precision"].iloc[pos])
        if _RANK[p] > _RANK[level] and not stated:
            raise InputError(
                f"{_row_text(source, pos)}code {code!r} is a département or région code but the "
                f"panel is by {level}: a table coarser than the panel cannot say which {level} is "
                "treated. Give finer codes, or a 'precision' column (departement or region) so "
                "that the territories inside are handled as uncertain (the 'uncertain' option)",
                column="territory_code", value=code, **_where(source, pos))
        if p not in known:
            known[p] = _known_codes(p)
        if code not in known[p]:
            hint = "" if p != level else f" (read as a {level} code; add a 'precision' column " \
                                         "if it is at another level)"
            raise InputError(
                f"{_row_text(source, pos)}territory code {code!r} is not a {p} of the 2025 "
                f"geography (COG){hint}", column="territory_code", value=code,
                **_where(source, pos))
    first = table["first_treated"].astype("int64")
    fine = prec.map(_RANK) <= _RANK[level]
    placed = table.loc[fine.to_numpy(), ["territory_code", "intensity"]].copy()
    placed["first"] = first[fine].to_numpy()
    placed["precision"] = prec[fine].to_numpy()
    placed["target"] = _to_level(placed["territory_code"].astype(str), placed["precision"], level)
    lost = placed["target"].isna()
    if lost.any():
        logger.warning("%d treatment row(s) have no %s (commune outside any): %s", int(lost.sum()),
                       level, ", ".join(placed.loc[lost, "territory_code"].astype(str)))
        placed = placed[~lost]
    placed["first"] = placed["first"].where(placed["first"] > 0)
    per = (placed.groupby("target", sort=True)
           .agg(first_label_year=("first", "min"), n_rows=("first", "size"),
                intensity=("intensity", "sum"))
           .reset_index().rename(columns={"target": "territory_code"}))
    per["first_label_year"] = per["first_label_year"].fillna(0).astype("int64")
    per["territory_code"] = per["territory_code"].astype(str)
    coarse = table.loc[(~fine).to_numpy()]
    rows = []
    for code, p, year in zip(coarse["territory_code"].astype(str), prec[~fine],
                             first[~fine], strict=True):
        if year <= 0:
            continue
        rows += [{"territory_code": t, "label_year": int(year)} for t in members(level, p, code)]
    unc = pd.DataFrame(rows, columns=["territory_code", "label_year"])
    excluded: list[str] = []
    if uncertain == "exclude" and not unc.empty:
        treat = per.loc[per["first_label_year"] > 0, ["territory_code", "first_label_year"]]
        excluded = uncertain_to_exclude(unc, treat)
    if len(coarse):
        logger.info("treatment: %d row(s) coarser than %s make %d territories uncertain (%s)",
                    len(coarse), level, unc["territory_code"].nunique(), uncertain)
    return PlacedTreatment(per, excluded, unc)


def _to_level(codes: pd.Series, precision: pd.Series, level: str) -> pd.Series:
    """Each code (at its precision, finer than or at ``level``) mapped to its ``level`` code."""
    from impact.territories import commune_to

    out = pd.Series(pd.NA, index=codes.index, dtype="object")
    for p in pd.unique(precision):
        sel = (precision == p).to_numpy()
        if p == level:
            out[sel] = codes[sel]
        elif p == "commune":
            out[sel] = codes[sel].map(commune_to(level))
        elif p == "epci":
            # An EPCI belongs to the département or région of most of its communes.
            c2e = commune_to("epci")
            up = commune_to(level)
            main = (pd.DataFrame({"epci": c2e, "up": up.reindex(c2e.index)}).dropna()
                    .groupby(["epci", "up"]).size().reset_index(name="n")
                    .sort_values(["epci", "n"], ascending=[True, False])
                    .drop_duplicates("epci").set_index("epci")["up"])
            out[sel] = codes[sel].map(main)
        else:  # départements to régions
            out[sel] = codes[sel].map(_dep_to_region())
    return out


def _dep_to_region() -> pd.Series:
    from impact.territories import departements

    return departements().set_index("departement")["region"].astype(str)
