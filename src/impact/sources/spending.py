"""Spending under the convention « Agir pour l'emploi et la création d'activités ».

The spending table is a small CSV that a user can replace with their own
(``data/raw/spending.csv`` by default). One row per territory, year and
programme:

============== ======== ==========================================================
column         required meaning
============== ======== ==========================================================
territory_code yes      official code at ``level`` (``FR`` for France); codes that
                        lost their leading zero are accepted (``1`` → ``01``)
level          yes      ``commune``, ``epci``, ``departement``, ``region`` or
                        ``france``
year           yes      calendar year the money is attributed to (four digits)
programme      yes      free text; the shipped table uses ``ptce_call_2013``,
                        ``ptce_call_2015`` and ``convention_total``; others such
                        as ``dla``, ``innovation_sociale``, ``cooperatives``
                        are welcome
euros          yes      amount in euros; French (``1 234,5``) or plain numbers;
                        ``s``/``nd``/blank are read as unknown (NaN) and the row
                        is kept with status ``secret``/``missing``
source         yes      where the figure was published (URL or reference)
notes          no       anything a reader should know (e.g. "annual average")
============== ======== ==========================================================

Rows at a level finer than the panel's are summed up to it by
:func:`impact.panel.spending_table`; national rows (``france``) describe
envelopes that cannot be placed on a territory and are reported, not spread.
The shipped default holds the published envelopes only (see the file's
``source`` column): it says how much was spent nationally, not where. Per-PTCE
grants, where published, live in the PTCE registry (``grant_eur``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from impact.errors import InputError, UnknownCodeError
from impact.sources._common import check_range, parse_numbers, read_csv_table, report_duplicates

logger = logging.getLogger(__name__)

REQUIRED = ("territory_code", "level", "year", "programme", "euros", "source")
LEVELS = ("commune", "epci", "departement", "region", "france")
COLUMNS = [*REQUIRED, "status", "notes"]
#: Largest credible amount of one row (100 billion euros, a fifth of the State's budget):
#: anything above is a typing or unit error (1e308, an amount in cents of cents...).
MAX_EUROS = 1e11


def read(path: str | Path, *, sep: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Read and validate a spending table.

    Parameters
    ----------
    path
        CSV file in the layout described in the module docstring (separator
        and encoding are detected: ``,`` or ``;``, UTF-8 with or without BOM,
        Latin-1).
    sep, encoding
        Force instead of detecting.

    Returns
    -------
    pandas.DataFrame
        ``territory_code, level, year, programme, euros, source, status, notes``
        with normalised codes (string; former communes re-coded to the
        commune they merged into, COG 2025), ``year`` int, ``euros`` float and
        ``status`` ``observed``/``secret``/``missing``.

    Raises
    ------
    InputError
        A missing column (the error lists those found), an unknown level, a
        year or amount that is not a number, a negative, infinite or
        implausibly large amount (over :data:`MAX_EUROS`), an empty
        source, duplicated (territory, level, year, programme) rows with
        different amounts — each naming the file, line and column.
    UnknownCodeError
        Territory codes absent from the reference geography (COG 2025), with
        the line of their first occurrence.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "spending.csv"
    >>> _ = path.write_text("territory_code,level,year,programme,euros,source\\n"
    ...                     "29,departement,2016,dla,12000,rapport CDC\\n"
    ...                     "35,departement,2016,dla,8000.5,rapport CDC\\n", encoding="utf-8")
    >>> read(path)[["territory_code", "year", "programme", "euros", "status"]]
      territory_code  year programme    euros    status
    0             29  2016       dla  12000.0  observed
    1             35  2016       dla   8000.5  observed
    """
    from impact.territories import normalize_code

    path = Path(path)
    df = read_csv_table(path, required=REQUIRED, sep=sep, encoding=encoding)
    lines = df["_line"]

    def refuse(bad: pd.Series, column: str, message: str) -> None:
        """Raise on the first flagged row, naming its line, column and value."""
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise InputError(message.format(value=df[column].iloc[i]), path=path,
                             line=int(lines.iloc[i]), column=column)

    level = df["level"].str.lower()
    refuse(~level.isin(LEVELS), "level",
           "unknown level {value!r}; expected one of " + ", ".join(LEVELS))
    year = pd.to_numeric(df["year"], errors="coerce")
    refuse(year.isna() | (year % 1 != 0) | ~year.between(1990, 2100), "year",
           "expected a four-digit year, found {value!r}")
    euros, status = parse_numbers(df["euros"], path=path, column="euros", lines=lines)
    check_range(euros, path=path, column="euros", lines=lines, raw=df["euros"], minimum=0,
                maximum=MAX_EUROS, what="amount", unit=" €")
    refuse(df["source"].eq(""), "source",
           "every row needs the public source of its figure (empty 'source')")

    codes = pd.Series(pd.NA, index=df.index, dtype="string")
    for lvl in level.unique():
        rows = level == lvl
        flags = normalize_code(
            df.loc[rows, "territory_code"], lvl, errors="flag", arrondissements="commune"
        )
        if not flags["valid"].all():
            bad_rows = flags.index[~flags["valid"]]
            first = bad_rows[0]
            shown = ", ".join(
                f"{df.loc[i, 'territory_code']!r} (line {int(lines[i])}: {flags.loc[i, 'reason']})"
                for i in bad_rows[:10]
            )
            err = UnknownCodeError(
                df.loc[bad_rows, "territory_code"],
                lvl,
                path=path,
                line=int(lines[first]),
                column="territory_code",
            )
            err.args = (f"{err.args[0]}: {shown}",)
            raise err
        codes[rows] = flags["code"]

    out = pd.DataFrame(
        {
            "territory_code": codes.astype(str),
            "level": level,
            "year": year.astype(int),
            "programme": df["programme"],
            "euros": euros,
            "source": df["source"],
            "status": status.astype(str),
            "notes": df["notes"] if "notes" in df.columns else "",
            "_line": lines,
        }
    )
    keys = ["territory_code", "level", "year", "programme"]
    out = report_duplicates(out, keys, path=path, value_cols=["euros"])
    # Former communes (merged since) are re-coded to their current commune; their rows are
    # kept apart, so two rows may now share a key (the panel sums them).
    com = out["level"] == "commune"
    if com.any():
        from impact.territories import commune_mapping

        current = out.loc[com, "territory_code"].map(commune_mapping())
        moved = current.ne(out.loc[com, "territory_code"])
        if moved.any():
            logger.info(
                "%s: %d row(s) of former communes re-coded to the current commune",
                path,
                int(moved.sum()),
            )
        out.loc[com, "territory_code"] = current
    logger.info(
        "%s: %d spending rows, %.0f € in all (%s)",
        path,
        len(out),
        out["euros"].sum(),
        ", ".join(f"{k}: {v}" for k, v in out["level"].value_counts().items()),
    )
    from impact.schema import validate_spending

    return validate_spending(out.drop(columns="_line").reset_index(drop=True)[COLUMNS])
