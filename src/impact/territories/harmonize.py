"""Re-coding commune codes of any year to the communes of COG 2025.

Communes merge, split, change département and are restored. A file from 2014
uses codes that no longer exist in 2025. :func:`harmonize` reads each code in
its vintage, follows INSEE's commune history (:mod:`impact.territories.history`)
to the 2025 commune(s), shares the counts of a code split between several
communes by their 2025 population, and sums the counts of merged communes.

The work is done on the distinct codes of the column (a few tens of thousands
at most); rows are then placed with array indexing, so a million rows take a
fraction of a second (``benchmarks/bench_harmonize.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from impact._options import check_options
from impact.errors import InputError, UnknownCodeError
from impact.territories import _reference as ref
from impact.territories import history
from impact.territories.codes import ANY_VINTAGE, ARRONDISSEMENTS, clean_codes

logger = logging.getLogger(__name__)

#: Name of the boolean column added by ``harmonize(..., split="flag")``.
SPLIT_FLAG_COLUMN = "split"


@check_options
def commune_mapping(*, arrondissements: Literal["keep", "commune"] = "commune") -> pd.Series:
    """Map every commune code of any vintage since 1943 to its current commune (one to one).

    Each code is read in the latest vintage in which it existed (INSEE's commune
    history); the communes déléguées and associées of COG 2025 map to their
    commune.

    Returns
    -------
    pandas.Series
        Index: any commune code (current, former, délégué, associé, arrondissement);
        values: the current commune code. Codes split between several current
        communes (:func:`~impact.territories.history.passage` with ``weight < 1``)
        are **not** in the mapping, which cannot share them: use
        :func:`harmonize` for counts.

    Examples
    --------
    >>> mapping = commune_mapping()
    >>> mapping.loc[["01172", "75101"]].tolist()  # Germagnat merged in 2017; Paris 1er
    ['01095', '75056']
    >>> "75101" in commune_mapping(arrondissements="keep").index
    True
    """
    latest = history.passage(None)
    single = latest[latest["weight"] == 1.0]
    mapping = pd.Series(single["code_2025"].to_numpy(), index=single["code"].to_numpy())
    t = ref.commune_table()
    sub = t[t["type"].isin(["COMD", "COMA"]) & t["parent"].notna()]
    # A commune déléguée may share its parent's code (e.g. Annecy 74010): the
    # history wins, which maps the code to the current commune either way.
    sub = sub[~sub["code"].isin(latest["code"])]
    parents = pd.Series(sub["parent"].to_numpy(), index=sub["code"].to_numpy())
    mapping = pd.concat([mapping, parents])
    if arrondissements == "commune":
        mapping = pd.concat([mapping, pd.Series(ARRONDISSEMENTS)])
    else:
        arm = pd.Series(list(ARRONDISSEMENTS), index=list(ARRONDISSEMENTS))
        mapping = pd.concat([mapping, arm])
    return mapping[~mapping.index.duplicated()].rename("current_code")


def _arrondissement_rows(arrondissements: str) -> pd.DataFrame:
    codes = list(ARRONDISSEMENTS)
    target = [ARRONDISSEMENTS[c] for c in codes] if arrondissements == "commune" else codes
    return pd.DataFrame({"code": codes, "code_2025": target, "weight": 1.0})


def _resolve(codes: np.ndarray, from_year: int | None, arrondissements: str
             ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Passage rows for the distinct normalised ``codes``; codes found in another vintage."""
    arm = _arrondissement_rows(arrondissements)
    wanted = pd.DataFrame({"code": codes, "u": np.arange(len(codes))})
    primary = pd.concat([history.passage(from_year)[["code", "code_2025", "weight"]], arm],
                        ignore_index=True)
    found = wanted.merge(primary, on="code", how="inner")
    other: dict[str, int] = {}
    if from_year is not None:
        # A code of another year in a file said to be of `from_year` (files mix
        # vintages): read it in the latest vintage in which it existed, and say so.
        rest = wanted[~wanted["u"].isin(found["u"])]
        latest = history.passage(None)
        late = rest.merge(latest, on="code", how="inner")
        other = dict(late[["code", "vintage_year"]].drop_duplicates("code")
                     .itertuples(index=False, name=None))
        other = {c: int(y) for c, y in other.items()}
        found = pd.concat([found, late[["code", "u", "code_2025", "weight"]]], ignore_index=True)
    return found.sort_values(["u", "code_2025"], ignore_index=True), other


@check_options
def harmonize(
    df: pd.DataFrame,
    code_col: str = "territory_code",
    to: str | int = "current",
    *,
    counts: Sequence[str] | None = None,
    by: Sequence[str] | None = None,
    errors: Literal["warn", "raise", "drop"] = "warn",
    arrondissements: Literal["keep", "commune"] = "commune",
    from_year: int | None = None,
    split: Literal["population", "flag"] = "population",
) -> pd.DataFrame:
    """Re-code commune codes of any vintage to the communes of COG 2025, summing counts.

    Parameters
    ----------
    df
        A frame with a column of commune codes (any form accepted by
        :func:`~impact.territories.normalize_code`: lost leading zeros, floats,
        Corsica's ``20xxx``…).
    code_col
        Name of that column; it is replaced by the 2025 code.
    to
        Target vintage. Only ``"current"`` (COG 2025) is available; ``2025`` is
        accepted as a synonym.
    counts
        Count columns to sum over merged communes and to share over split ones.
        When given, the result has one row per 2025 code and ``by`` keys (e.g.
        ``["period", "indicator"]``); when omitted, rows are only re-coded (no
        aggregation).
    by
        Other key columns to keep when summing. Default: every column that is
        neither ``code_col`` nor a count.
    errors
        Codes that cannot be placed (malformed, or valid in no year since 1943):
        ``"warn"`` keeps them unchanged and reports them; ``"drop"`` removes them
        (reported); ``"raise"`` raises :class:`~impact.errors.UnknownCodeError`
        naming them.
    arrondissements
        Map the arrondissements of Paris, Lyon and Marseille to their commune
        (default) or keep them.
    from_year
        Vintage of the codes: the year whose 1 January geography the file uses
        (1943–2025). A code that was not a commune that year but was in another
        is read in the latest vintage in which it existed, and reported. When
        omitted, **each code is read in the latest vintage in which it existed**:
        right for any code that was never reused, and for most that were; give
        the year when you know it, because a few codes changed meaning
        (85084 was Les Essarts until 2015, Essarts-en-Bocage with L'Oie and
        Sainte-Florence in 2016–2023, Les Essarts-en-Bocage without them since).
    split
        A code whose territory is now split between several 2025 communes
        (85084 of 2016–2023, 15141 of 2017–2024…): ``"population"`` (default)
        shares its ``counts`` by the pieces' 2025 population (one row per piece;
        weights in :func:`~impact.territories.history.passage`); ``"flag"``
        leaves it as one row under its old code, with a boolean column
        ``split`` set to True. Without ``counts`` there is nothing to share, so
        such rows keep their old code either way.

    Returns
    -------
    pandas.DataFrame
        The harmonised frame. ``result.attrs["harmonize"]`` holds
        ``recoded_rows`` (rows whose code changed), ``unplaced`` (code → rows),
        ``splits`` (old code → {2025 code: weight}), ``other_vintage`` (code →
        the vintage it was read in, when ``from_year`` did not know it),
        ``from_year`` and ``split``. Unplaced codes, splits and codes of another
        vintage are also reported together in **one** logged warning.

    Raises
    ------
    InputError
        Missing columns, a bad ``to``, ``from_year`` or ``split``.
    UnknownCodeError
        With ``errors="raise"``, naming every code that cannot be placed.

    Notes
    -----
    Sums use ``min_count=1``: a group whose values are all missing stays missing
    rather than becoming 0. Rates must not be harmonised by summing: harmonise
    their numerators and denominators and re-derive them (see
    :func:`~impact.territories.aggregate`).

    Examples
    --------
    >>> df = pd.DataFrame({"code": [1172, 1095], "n": [3.0, 4.0]})
    >>> harmonize(df, "code", counts=["n"], from_year=2014)[["code", "n"]].values.tolist()
    [['01095', 7.0]]
    """
    if str(to) not in ("current", "2025"):
        raise InputError(
            f"harmonize(to={to!r}): only the current geography (COG 2025) is available; "
            "pass to='current'"
        )
    if code_col not in df.columns:
        raise InputError(f"column {code_col!r} not found; columns are {list(df.columns)}")
    if from_year is not None:
        from_year = history._check_vintage(from_year)
    counts = list(counts or [])
    missing = [c for c in counts if c not in df.columns]
    if missing:
        raise InputError(f"count column(s) {missing} not found; columns are {list(df.columns)}")

    # 1. Distinct values of the column, normalised once each.
    idx, uniques = pd.factorize(df[code_col], use_na_sentinel=False)
    u_text, u_code, u_reason = clean_codes(
        pd.Series(uniques, dtype=object), "commune", arrondissements="keep",
        vintage=ANY_VINTAGE if from_year is None else from_year, check_known=False)
    ok = u_reason == ""
    rows, other = _resolve(np.where(ok, u_code, "\x00"), from_year, arrondissements)

    # 2. Per distinct code: its first passage row and number of pieces.
    n_u = len(uniques)
    n_pieces = np.bincount(rows["u"].to_numpy(), minlength=n_u)
    start = np.zeros(n_u, dtype=np.int64)
    start[1:] = np.cumsum(n_pieces)[:-1]
    unplaced_u = n_pieces == 0
    is_split = n_pieces > 1
    dest = rows["code_2025"].to_numpy(dtype=object)
    weight = rows["weight"].to_numpy(dtype=float)
    share = bool(counts) and split == "population"
    # Codes kept as one row: unplaced ones and (unless shared) split ones keep their code.
    keep_old = unplaced_u | (is_split & (not share))
    u_old = np.where(ok, u_code, u_text)
    first_dest = dest[np.minimum(start, len(dest) - 1)] if len(dest) else u_old
    u_new = np.where(keep_old, u_old, first_dest)
    # Integer ids into one sorted vocabulary of output codes: rows are placed and
    # grouped with array operations, and strings are built once at the end.
    ids, vocab = pd.factorize(np.concatenate([u_new, dest]).astype(object), sort=True)
    vocab = np.asarray(vocab, dtype=object)
    u_new_id, dest_id = ids[:n_u], ids[n_u:]

    # 3. Report: unplaced codes, splits, codes of another vintage — in one warning.
    used = np.bincount(idx, minlength=n_u) if len(idx) else np.zeros(n_u, dtype=np.int64)
    unplaced: dict[str, int] = {}
    for u in np.flatnonzero(unplaced_u):
        # 1001 and "1001" are distinct values of the column but one code to report.
        unplaced[str(u_text[u])] = unplaced.get(str(u_text[u]), 0) + int(used[u])
    unplaced = dict(sorted(unplaced.items(), key=lambda kv: (-kv[1], kv[0])))
    if unplaced and errors == "raise":
        raise UnknownCodeError(list(unplaced), "commune")
    splits: dict[str, dict[str, float]] = {}
    for u in np.flatnonzero(is_split):
        sl = slice(start[u], start[u] + n_pieces[u])
        splits[str(u_code[u])] = {str(c): float(x)
                                  for c, x in zip(dest[sl], weight[sl], strict=True)}
    _report(unplaced, splits, other, from_year, errors, share)
    recoded_u = (u_new != u_old) | (is_split & share)
    n_recoded = int(used[recoded_u].sum())

    # 4. Rows: one per piece (only split codes repeat), counts multiplied by weights.
    src = w = None
    if share and is_split[idx].any():
        row_pieces = np.where(keep_old, 1, n_pieces)[idx]
        src = np.repeat(np.arange(len(df)), row_pieces)
        offset = np.arange(len(src)) - np.repeat(np.cumsum(row_pieces) - row_pieces, row_pieces)
        pos = np.minimum(start[idx][src] + offset, max(len(dest) - 1, 0))
        multi = is_split[idx][src]
        code_id = np.where(multi, dest_id[pos] if len(dest) else 0, u_new_id[idx][src])
        w = np.where(multi, weight[pos] if len(dest) else 1.0, 1.0)
        row_u = idx[src]
    else:
        code_id = u_new_id[idx]
        row_u = idx
    keep = ~unplaced_u[row_u] if (errors == "drop" and unplaced) else None
    flag = is_split[row_u] if split == "flag" else None

    if counts:
        if by is not None:
            keys = list(by)
        else:
            keys = [c for c in df.columns if c not in counts and c != code_col]
        if flag is not None and SPLIT_FLAG_COLUMN not in keys:
            keys.append(SPLIT_FLAG_COLUMN)
        out = _sum_by(df, code_col, counts, keys, code_id, vocab, src, w, keep, flag)
    else:
        out = df.copy() if src is None else df.take(src).reset_index(drop=True)
        if flag is not None:
            out[SPLIT_FLAG_COLUMN] = flag
        out[code_col] = _strings(code_id, vocab)
        if keep is not None:
            out = out.loc[keep]
    logger.info("harmonize: %d rows re-coded to the current commune, %d codes unplaced, %d splits",
                n_recoded, len(unplaced), len(splits))
    out.attrs["harmonize"] = {"recoded_rows": n_recoded, "unplaced": unplaced, "splits": splits,
                              "other_vintage": other, "from_year": from_year, "split": split}
    return out


def _report(unplaced: dict[str, int], splits: dict[str, dict[str, float]], other: dict[str, int],
            from_year: int | None, errors: str, share: bool) -> None:
    """One warning for everything the user should know about the re-coding."""
    parts = []
    if unplaced:
        parts.append(
            f"{len(unplaced)} commune code(s) in {sum(unplaced.values())} rows could not be placed "
            "in the current geography ("
            + ("dropped" if errors == "drop" else "kept unchanged") + "): "
            + ", ".join(f"{c!r} ({n} rows)" for c, n in list(unplaced.items())[:15]))
    if splits:
        how = "counts shared by 2025 population" if share else "left as one row under the old code"
        parts.append(f"{len(splits)} code(s) now split between several communes, {how}: "
                     + ", ".join(f"{c!r} → {'/'.join(d)}" for c, d in list(splits.items())[:10]))
    if other:
        parts.append(f"{len(other)} code(s) not valid on 1 January {from_year}, read in the "
                     "latest vintage in which they existed: "
                     + ", ".join(f"{c!r} ({y})" for c, y in list(other.items())[:10]))
    if parts:
        logger.warning("harmonize: %s", "; ".join(parts))


def _strings(ids: np.ndarray, vocab: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``vocab[ids]`` as a pandas string array, built by Arrow (no Python object per row)."""
    import pyarrow as pa

    # "" is a missing input code: keep it missing.
    words = pa.array([str(v) or None for v in vocab], type=pa.string())
    arr = pa.DictionaryArray.from_arrays(pa.array(np.asarray(ids, dtype=np.int32)), words)
    out = pd.arrays.ArrowStringArray(arr.cast(pa.string()))
    return out if out.dtype == pd.StringDtype() else pd.array(out, dtype="string")


def _group(gid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted groups of integer keys: (first row of each group, group of each row).

    Same result as ``np.unique(gid, return_index=True, return_inverse=True)``; when
    the keys are dense (codes × periods, the usual case) a counting pass replaces
    the sort.
    """
    if gid.size == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    top = int(gid.max())
    if top > 4 * gid.size + 1_000_000:
        _, first, inv = np.unique(gid, return_index=True, return_inverse=True)
        return first, inv.ravel()
    present = np.bincount(gid, minlength=top + 1) > 0
    group_of_key = np.cumsum(present) - 1
    inv = group_of_key[gid]
    first = np.empty(int(present.sum()), dtype=np.int64)
    # Later writes win: writing rows in reverse leaves each group's first row.
    first[inv[::-1]] = np.arange(gid.size - 1, -1, -1)
    return first, inv


def _is_plain_number(s: pd.Series) -> bool:
    return isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf"


def _sum_by(df: pd.DataFrame, code_col: str, counts: list[str], keys: list[str],
            code_id: np.ndarray, vocab: np.ndarray, src: np.ndarray | None, w: np.ndarray | None,
            keep: np.ndarray | None, flag: np.ndarray | None) -> pd.DataFrame:
    """Sum ``counts`` by output code and ``keys`` (sorted, NaN keys kept, all-NaN stays NaN)."""
    rows = np.arange(len(df)) if src is None else src
    sel = np.arange(len(rows)) if keep is None else np.flatnonzero(keep)
    rows = rows[sel]
    missing = [k for k in keys if k not in df.columns and k != SPLIT_FLAG_COLUMN]
    if missing:
        raise InputError(f"key column(s) {missing} not found; columns are {list(df.columns)}")
    if not all(_is_plain_number(df[c]) for c in counts):
        # Extension dtypes (nullable integers...): pandas' groupby keeps their semantics.
        out = df.take(rows).reset_index(drop=True)
        if w is not None:
            for c in counts:
                out[c] = out[c].astype("float64") * w[sel]
        if flag is not None:
            out[SPLIT_FLAG_COLUMN] = flag[sel]
        out[code_col] = _strings(code_id[sel], vocab)
        return (out.groupby([code_col, *keys], dropna=False, observed=True, sort=True)[counts]
                .sum(min_count=1).reset_index())
    gid = code_id[sel].astype(np.int64)
    key_values = {}
    for k in keys:
        if k == SPLIT_FLAG_COLUMN:
            assert flag is not None  # the key exists only when split="flag" made the flags
            values = pd.Series(flag[sel])
        else:
            values = df[k]
        k_codes, k_uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
        if k != SPLIT_FLAG_COLUMN:
            k_codes = k_codes[rows]
        gid = gid * max(len(k_uniques), 1) + k_codes
        if gid.size and gid.max() > 2**52:  # keep the combined key small
            gid = np.unique(gid, return_inverse=True)[1].astype(np.int64)
        key_values[k] = values
    first, inv = _group(gid)
    n_groups = len(first)
    res: dict[str, object] = {code_col: _strings(code_id[sel][first], vocab)}
    for k, values in key_values.items():
        taken = values.iloc[first] if k == SPLIT_FLAG_COLUMN else values.iloc[rows[first]]
        res[k] = taken.reset_index(drop=True)
    for c in counts:
        v = df[c].to_numpy(dtype=float)[rows]
        if w is not None:
            v = v * w[sel]
        valid = ~np.isnan(v)
        total = np.bincount(inv, weights=np.where(valid, v, 0.0),
                            minlength=n_groups).astype("float64")
        n = np.bincount(inv, weights=valid.astype("float64"), minlength=n_groups)
        total[n == 0] = np.nan  # min_count=1: all missing stays missing
        if w is None and df[c].dtype.kind in "biu" and not np.isnan(total).any():
            total = total.astype(df[c].dtype if df[c].dtype.kind != "b" else np.int64)
        res[c] = total
    return pd.DataFrame(res)
