"""Internals of :mod:`impact.sources.melodi`: the streaming scan and the integer-coded sums.

Kept apart so that :mod:`impact.sources.melodi` holds the documented reader. Rows
of the data member are never held as strings: per block, the few distinct
values of each code column are looked up once (a table indexed by their
combination gives each row its indicator or -1), territories become ids into
the distinct (GEO_OBJECT, GEO) pairs, years int16, statuses a rank.
"""

from __future__ import annotations

import itertools
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.sources._common import LONG_COLUMNS

SOURCE = "insee_melodi"
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"

#: A10 sections published by commune (AZ, agriculture, is outside the SIDE field).
A10: tuple[str, ...] = ("AZ", "BE", "FZ", "GI", "JZ", "KZ", "LZ", "MN", "OQ", "RU")
#: Legal-form code of individual entrepreneurs (micro-entrepreneurs included).
LEGAL_FORM_EI = "10"
#: Columns that are not dimensions.
ATTRIBUTES: frozenset[str] = frozenset({
    "GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_FR",
    "CONF_STATUS", "UNIT_MULT", "UNIT_MEASURE", "DECIMALS", "FREQ", "OBS_FLAG",
})
_GEO_LEVEL = {"COM": "commune", "ARM": "commune", "DEP": "departement", "REG": "region",
              "FRANCE": "france"}
_SECRET_CONF = ("C", "D", "N", "S")
_SECRET_OBS = ("Q", "C", "S", "N")
_ESTIMATED_OBS = ("E", "P", "F", "I", "U", "V")
_STATUS_RANK = ("observed", "estimated", "missing", "secret")
_EI = "__creations_ei"  # internal: LEGAL_FORM=10, only used for creations_companies
_BLOCK = 1 << 20
#: Largest look-up table over the code columns' combinations (else: combinations present).
_LUT_MAX = 1_000_000


class MelodiFileError(InputError):
    """A Melodi ZIP cannot be read.

    Examples
    --------
    >>> issubclass(MelodiFileError, impact.errors.InputError)
    True
    """


class MissingMemberError(MelodiFileError):
    """The ZIP has no ``*_data.csv`` member (or several).

    Examples
    --------
    >>> import tempfile
    >>> import zipfile
    >>> from pathlib import Path
    >>> from impact.sources.melodi import members
    >>> path = Path(tempfile.mkdtemp()) / "DS_X_2025_CSV_FR.zip"
    >>> with zipfile.ZipFile(path, "w") as zf:
    ...     zf.writestr("notes.txt", "no data here")
    >>> members(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.sources._melodi_scan.MissingMemberError: ...
    """


class TruncatedZipError(MelodiFileError):
    """The ZIP is truncated or corrupt (interrupted download).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from impact.sources.melodi import members
    >>> path = Path(tempfile.mkdtemp()) / "DS_X_2025_CSV_FR.zip"
    >>> _ = path.write_bytes(b"PK\x03\x04 interrupted download")
    >>> members(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.sources._melodi_scan.TruncatedZipError: ...
    """


class UnknownMeasureError(MelodiFileError):
    """The file's measure column holds no measure the reader knows.

    Examples
    --------
    >>> issubclass(UnknownMeasureError, MelodiFileError)
    True
    """


@dataclass(frozen=True)
class _Rule:
    """Rows of the file that make one indicator: a measure and fixed dimension values."""

    indicator: str
    measure_col: str
    measure: str
    dims: dict[str, str] = field(default_factory=dict)


def _rules() -> list[_Rule]:
    rules = [
        _Rule("creations_total", "SIDE_MEASURE", "BURE", {"ACTIVITY": "_T", "LEGAL_FORM": "_T"}),
        _Rule(_EI, "SIDE_MEASURE", "BURE", {"ACTIVITY": "_T", "LEGAL_FORM": LEGAL_FORM_EI}),
        *(_Rule(f"creations_naf_{s}", "SIDE_MEASURE", "BURE", {"ACTIVITY": s, "LEGAL_FORM": "_T"})
          for s in A10),
        _Rule("legal_units_stock", "SIDE_MEASURE", "LEGAL_UNIT"),
        _Rule("population", "POPREF_MEASURE", "PMUN"),
    ]
    return rules


RULES: tuple[_Rule, ...] = tuple(_rules())
#: Indicators this reader can produce.
INDICATORS: tuple[str, ...] = (
    "creations_total", "creations_companies", *(f"creations_naf_{s}" for s in A10),
    "legal_units_stock", "population",
)


class _Scan:
    """What one pass over the data member keeps: integer-coded columns of the kept rows.

    Rows are never held as strings: the territory is an id into ``geo_obj``/``geo_code``
    (distinct (GEO_OBJECT, GEO) pairs), the year an int16, the indicator an index into
    the rules, the status a rank into :data:`_STATUS_RANK`.
    """

    def __init__(self) -> None:
        self.n_rows = 0
        self.geo_counts: Counter[str] = Counter()
        self.measure_counts: Counter[str] = Counter()
        self.obs_counts: Counter[str] = Counter()
        self.geo_ids: dict[tuple[str, str], int] = {}
        self.gid: list[np.ndarray] = []
        self.year: list[np.ndarray] = []
        self.rule: list[np.ndarray] = []
        self.value: list[np.ndarray] = []
        self.srank: list[np.ndarray] = []

    def arrays(self) -> tuple[np.ndarray, ...]:
        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
        return (cat(self.gid, np.int32), cat(self.year, np.int16), cat(self.rule, np.int8),
                cat(self.value, np.float64), cat(self.srank, np.int8))


def _encode(arr) -> tuple[np.ndarray, list[str]]:
    """Dictionary-encode an Arrow string array: (int32 indices, distinct values)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    enc = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    return enc.indices.to_numpy(zero_copy_only=False), enc.dictionary.to_pylist()


def _scan(zf: zipfile.ZipFile, member: str, path: Path, keep_cols: list[str], measure_col: str,
          rules: Sequence[_Rule], dims: list[str], geo_objects: set[str],
          years: set[int] | None) -> _Scan:
    """Stream the data member in blocks; keep the rows that make an indicator.

    Filtering and the rule of each row are decided on the few distinct values of
    each block's code columns (a look-up table indexed by their combination), so
    no per-row string comparison is made.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    # Code columns have a handful of values: let the parser dictionary-encode them.
    types = {c: pa.dictionary(pa.int32(), pa.string()) for c in keep_cols}
    types["GEO"] = pa.string()
    types["OBS_VALUE"] = pa.float64()
    reader_opts = pacsv.ReadOptions(block_size=_BLOCK, use_threads=False)
    parse_opts = pacsv.ParseOptions(delimiter=";", quote_char='"', newlines_in_values=False)
    conv_opts = pacsv.ConvertOptions(
        include_columns=keep_cols, column_types=types, null_values=[""],
        strings_can_be_null=False, quoted_strings_can_be_null=False)
    out = _Scan()
    code_cols = ["GEO_OBJECT", measure_col, *dims]
    # Rule of a combination (GEO_OBJECT, measure, dims...): the first rule matching it.
    rule_keys = {(r.measure, *(r.dims.get(d, "_T") for d in dims)): i for i, r in enumerate(rules)}
    try:
        with zf.open(member) as fh:
            reader = pacsv.open_csv(fh, read_options=reader_opts, parse_options=parse_opts,
                                    convert_options=conv_opts)
            for batch in reader:
                _scan_batch(batch, out, code_cols, rule_keys, geo_objects, years, member, path)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise TruncatedZipError(f"member {member!r} is corrupt or truncated ({exc}); "
                                "download the file again", path=path) from exc
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        col = "OBS_VALUE" if "double" in msg else None
        raise MelodiFileError(f"member {member!r}: cannot parse the data ({msg}); expected "
                              "';'-separated fields with numbers in OBS_VALUE",
                              path=path, column=col) from exc
    return out


def _scan_batch(batch, out: _Scan, code_cols: list[str], rule_keys: dict, geo_objects: set[str],
                years: set[int] | None, member: str, path: Path) -> None:
    import pyarrow.compute as pc

    n = batch.num_rows
    out.n_rows += n
    idx, values = zip(*(_encode(batch.column(c)) for c in code_cols), strict=True)
    for counter, i, v in ((out.geo_counts, idx[0], values[0]),
                          (out.measure_counts, idx[1], values[1])):
        for k, cnt in zip(v, np.bincount(i, minlength=len(v)), strict=True):
            counter[k] += int(cnt)
    # Mixed-radix combination of the code columns, and its rule (-1: row not kept).
    sizes = [len(v) for v in values]
    if int(np.prod(sizes, dtype=np.float64)) <= _LUT_MAX:
        combo = np.zeros(n, dtype=np.int64)
        for i, size in zip(idx, sizes, strict=True):
            combo = combo * size + i
        lut = np.full(int(np.prod(sizes)), -1, dtype=np.int8)
        for flat, key in enumerate(itertools.product(*values)):
            if key[0] in geo_objects:
                lut[flat] = rule_keys.get(key[1:], -1)
        rule = lut[combo]
    else:  # many dimension values: decide on the combinations present only
        uniq, inv = np.unique(np.stack(idx, axis=1), axis=0, return_inverse=True)
        lut = np.array([rule_keys.get(tuple(values[c][k] for c, k in enumerate(row))[1:], -1)
                        if values[0][row[0]] in geo_objects else -1 for row in uniq],
                       dtype=np.int8)
        rule = lut[inv.reshape(-1)]
    keep = rule >= 0
    if not keep.any():
        return
    tp_idx, tp_values = _encode(batch.column("TIME_PERIOD"))
    year_of = np.zeros(len(tp_values), dtype=np.int16)
    for t in np.unique(tp_idx[keep]):  # only the periods of kept rows must be years
        year_of[t] = _year(tp_values[t], member, path)
    year = year_of[tp_idx]
    if years is not None:
        keep &= np.isin(year, np.fromiter(years, dtype=np.int16))
    if not keep.any():
        return
    rows = np.flatnonzero(keep)
    sub = batch.take(rows)
    # Territory ids: per GEO_OBJECT, the distinct GEO of the block mapped to global ids.
    obj_idx = idx[0][rows]
    geo_idx, geo_values = _encode(sub.column("GEO"))
    gid = np.empty(len(rows), dtype=np.int32)
    for o, obj in enumerate(values[0]):
        sel = obj_idx == o
        if not sel.any():
            continue
        used = np.unique(geo_idx[sel])
        local = np.zeros(len(geo_values), dtype=np.int32)
        for u in used:
            local[u] = out.geo_ids.setdefault((obj, geo_values[u]), len(out.geo_ids))
        gid[sel] = local[geo_idx[sel]]
    value = sub.column("OBS_VALUE").to_numpy(zero_copy_only=False)
    missing = pc.is_null(sub.column("OBS_VALUE")).to_numpy(zero_copy_only=False)
    secret = np.zeros(len(rows), dtype=bool)
    estimated = np.zeros(len(rows), dtype=bool)
    for col, secret_codes, est_codes in (("OBS_STATUS", _SECRET_OBS, _ESTIMATED_OBS),
                                         ("CONF_STATUS", _SECRET_CONF, ())):
        if col not in sub.schema.names:
            continue
        s_idx, s_values = _encode(sub.column(col))
        secret |= np.isin(s_idx, [i for i, v in enumerate(s_values) if v in secret_codes])
        estimated |= np.isin(s_idx, [i for i, v in enumerate(s_values) if v in est_codes])
        if col == "OBS_STATUS":
            for k, cnt in zip(s_values, np.bincount(s_idx, minlength=len(s_values)), strict=True):
                out.obs_counts[k] += int(cnt)
    srank = np.where(missing, np.where(secret, 3, 2), np.where(estimated, 1, 0)).astype(np.int8)
    out.gid.append(gid)
    out.year.append(year[rows])
    out.rule.append(rule[rows])
    out.value.append(np.where(missing, np.nan, value))
    out.srank.append(srank)


def _year(text: str, member: str, path: Path) -> int:
    m = re.fullmatch(r"(\d{4})(?:-\d{2}(?:-\d{2})?)?", text.strip())
    if not m:
        raise MelodiFileError(f"member {member!r}: TIME_PERIOD {text!r} is not a year (expected "
                              "e.g. 2016)", path=path, column="TIME_PERIOD")
    return int(m.group(1))


# --------------------------------------------------------------------------- #
# Codes
# --------------------------------------------------------------------------- #

def _code_table(geo: pd.DataFrame, harmonize: bool,
                arrondissements: Literal["keep", "commune"], file_vintage: int | None
                ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Map distinct (level, GEO) to output codes; return the unplaced codes with their counts.

    Works on distinct codes only (tens of thousands), never on every row.
    """
    from impact.territories import harmonize as harmonize_codes
    from impact.territories import normalize_code

    out, unplaced = [], {}
    com = geo[geo["level"] == "commune"]
    if len(com):
        raw = com["geo"].to_numpy()
        frame = pd.DataFrame({"territory_code": raw, "geo": raw})
        if harmonize:
            # Codes are read in the geography of the file (the catalogue's spatialTemporal
            # year when fetch recorded it, else the year in the file name).
            mapped = harmonize_codes(frame, "territory_code", errors="drop",
                                     arrondissements=arrondissements, from_year=file_vintage)
            unplaced.update({str(k): int(v) for k, v in
                             mapped.attrs.get("harmonize", {}).get("unplaced", {}).items()})
        else:
            flags = normalize_code(frame["geo"], "commune", errors="flag",
                                   arrondissements=arrondissements)
            ok = flags["valid"].to_numpy()
            unplaced.update({str(k): 1 for k in frame.loc[~ok, "geo"]})
            mapped = frame.assign(territory_code=flags["code"].to_numpy()).loc[ok]
        out.append(pd.DataFrame({
            "level": "commune", "geo": mapped["geo"].to_numpy(),
            "territory_code": mapped["territory_code"].astype(str).to_numpy()}))
    for level in ("departement", "region", "france"):
        sub = geo[geo["level"] == level]
        if not len(sub):
            continue
        raw = sub["geo"].replace({"F": "FR"}) if level == "france" else sub["geo"]
        flags = normalize_code(raw.reset_index(drop=True), level, errors="flag")
        ok = flags["valid"].to_numpy()
        unplaced.update({f"{level}:{g}": 1 for g in sub["geo"].to_numpy()[~ok]})
        out.append(pd.DataFrame({"level": level, "geo": sub["geo"].to_numpy()[ok],
                                 "territory_code": flags["code"].astype(str).to_numpy()[ok]}))
    cols = ["level", "geo", "territory_code"]
    table = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)
    return table[cols].astype(str), unplaced


def _check_unique(gid, year, rule, geo_list, rules, member: str, path: Path) -> None:
    """A valid file has one row per (GEO_OBJECT, GEO, TIME_PERIOD, cell): check it on ints."""
    if not len(gid):
        return
    y0 = int(year.min())
    span = int(year.max()) - y0 + 1
    n_rules = len(rules)
    key = (gid.astype(np.int64) * span + (year - y0)) * n_rules + rule
    key.sort()
    dup = np.flatnonzero(key[1:] == key[:-1])
    if len(dup):
        k = int(key[dup[0]])
        r, k = k % n_rules, k // n_rules
        obj, geo = geo_list[k // span]
        cell = {"measure": rules[r].measure, **rules[r].dims}
        raise MelodiFileError(
            f"member {member!r}: {len(dup)} duplicated observation(s), e.g. GEO_OBJECT={obj}, "
            f"GEO={geo}, TIME_PERIOD={k % span + y0}, {cell}", path=path)


def _place(geo_list: list[tuple[str, str]], levels: Sequence[str], harmonize: bool,
           arrondissements: Literal["keep", "commune"], file_vintage: int | None):
    """Output territory of each (GEO_OBJECT, GEO): (id per geo, (level, code) per id, unplaced).

    Arrondissements whose commune has its own row are dropped (``"commune"``), or the
    commune row is dropped when its arrondissements are kept (``"keep"``); ``FRANCE``
    rows other than ``F`` (France entière) are dropped, and ``F`` too unless the
    ``france`` level is asked for (it is always scanned for :func:`france_check`).
    """
    from impact.territories import ARRONDISSEMENTS

    n = len(geo_list)
    obj = np.array([o for o, _ in geo_list], dtype=object)
    code = np.array([g for _, g in geo_list], dtype=object)
    drop = np.zeros(n, dtype=bool)
    if arrondissements == "commune":
        com = set(code[obj == "COM"])
        drop |= (obj == "ARM") & np.array([ARRONDISSEMENTS.get(c) in com for c in code], bool)
    else:
        parents = {ARRONDISSEMENTS.get(c) for c in code[obj == "ARM"]}
        drop |= (obj == "COM") & np.isin(code, [p for p in parents if p is not None])
    drop |= (obj == "FRANCE") & ((code != "F") | ("france" not in levels))
    level = np.array([_GEO_LEVEL.get(o, "") for o in obj], dtype=object)
    geo = pd.DataFrame({"gid": np.arange(n), "level": level, "geo": code})[~drop]
    codes, _ = _code_table(geo[["level", "geo"]].drop_duplicates(), harmonize, arrondissements,
                           file_vintage)
    placed = geo.merge(codes, on=["level", "geo"], how="left")
    ok = placed["territory_code"].notna().to_numpy()
    keys = pd.MultiIndex.from_arrays([placed["level"], placed["territory_code"]])
    out_id, uniques = pd.factorize(keys[ok])
    out_of_gid = np.full(n, -1, dtype=np.int32)
    out_of_gid[placed["gid"].to_numpy()[ok]] = out_id
    unplaced = placed["gid"].to_numpy()[~ok].tolist()
    return out_of_gid, list(uniques), unplaced, drop


def _sum_merged(out, year, rule, value, srank, valid, out_of_gid, n_out):
    """Sum the rows of territories that several file codes map to (merged communes).

    Only those rows (a few percent) are grouped; they are removed from ``valid``
    (in place) and returned summed. The worst status wins and a sum with a secret
    or missing part has no value.
    """
    cnt = np.bincount(out_of_gid[out_of_gid >= 0], minlength=max(n_out, 1))
    merged = valid & (cnt[np.where(valid, out, 0)] > 1)
    m = pd.DataFrame({"out": out[merged], "year": year[merged], "rule": rule[merged],
                      "value": value[merged], "srank": srank[merged]})
    valid &= ~merged
    g = (m.groupby(["out", "year", "rule"], sort=False)
         .agg(value=("value", "sum"), srank=("srank", "max")).reset_index())
    g.loc[g["srank"] >= 2, "value"] = np.nan
    return (g["out"].to_numpy(np.int32), g["year"].to_numpy(np.int16),
            g["rule"].to_numpy(np.int8), g["value"].to_numpy(np.float64),
            g["srank"].to_numpy(np.int8))


def _companies(out, year, rule, value, srank, i_total: int, i_ei: int, i_new: int):
    """Append ``creations_companies`` = total - individual entrepreneurs, per territory-year."""
    def frame(i: int) -> pd.DataFrame:
        sel = rule == i
        return pd.DataFrame({"out": out[sel], "year": year[sel], "v": value[sel],
                             "s": srank[sel]})

    t, e = frame(i_total), frame(i_ei)
    both = t.merge(e, on=["out", "year"], suffixes=("_t", "_e"))
    s = np.maximum(both["s_t"].to_numpy(), both["s_e"].to_numpy()).astype(np.int8)
    v = np.where(s >= 2, np.nan, both["v_t"].to_numpy() - both["v_e"].to_numpy())
    part = (both["out"].to_numpy(np.int32), both["year"].to_numpy(np.int16),
            np.full(len(both), i_new, np.int8), v.astype(np.float64), s)
    return part, len(t) - len(both)


def _to_long(out, year, rule, value, srank, out_keys, names, cog_year: int) -> pd.DataFrame:
    """Canonical long frame from integer-coded rows: categoricals, no string per row.

    Rows come in the order of the file (merged communes and ``creations_companies``
    last); sort them if an order matters.
    """
    n = len(out)
    codes = sorted({c for _, c in out_keys})
    code_pos = {c: i for i, c in enumerate(codes)}
    lv_names = [lv for lv in ("commune", "departement", "region", "france")
                if any(k[0] == lv for k in out_keys)]
    code_of = np.array([code_pos[c] for _, c in out_keys] or [0], dtype=np.int32)
    level_of = np.array([lv_names.index(lv) for lv, _ in out_keys] or [0], dtype=np.int8)
    periods = np.unique(year)
    present = np.unique(rule)
    ind_cats = sorted(names[i] for i in present)
    ind_of = np.zeros(len(names), dtype=np.int8)
    for i in present:
        ind_of[i] = ind_cats.index(names[i])
    df = pd.DataFrame({
        "territory_code": pd.Categorical.from_codes(code_of[out], categories=codes),
        "level": pd.Categorical.from_codes(level_of[out], categories=lv_names),
        "cog_year": np.full(n, cog_year, dtype="int64"),
        "period": pd.Categorical.from_codes(np.searchsorted(periods, year).astype(np.int16),
                                            categories=[str(y) for y in periods]),
        "indicator": pd.Categorical.from_codes(ind_of[rule], categories=ind_cats),
        "value": value.astype("float64", copy=False),
        "status": pd.Categorical.from_codes(srank, categories=list(_STATUS_RANK)),
        "source": pd.Categorical.from_codes(np.zeros(n, np.int8), categories=[SOURCE]),
    })
    return df[list(LONG_COLUMNS)]


#: Indicators whose commune sum is compared with the France entière row.
_CHECKED = ("creations_total", "legal_units_stock", "population")


def france_check(gid: np.ndarray, year: np.ndarray, rule: np.ndarray, value: np.ndarray,
                 srank: np.ndarray, geo_list: Sequence[tuple[str, str]], drop: np.ndarray,
                 names: Sequence[str]) -> list[dict]:
    """Sum of the commune rows against the file's own France entière (``F``) row.

    One dict per checked indicator and year: ``communes`` (sum of the published
    commune values, arrondissements counted once), ``france``, ``gap``
    (france - communes) and ``unpublished`` (commune rows secret or missing,
    which explain a positive gap). An independent check of a real file: INSEE
    publishes the commune sum equal to the France total.

    Examples
    --------
    Called by :func:`impact.sources.melodi.read`, which keeps its result in
    ``attrs["france_check"]``:

    >>> import tempfile
    >>> from impact.sources.melodi import _example_zip, read
    >>> long = read(_example_zip(tempfile.mkdtemp()))
    >>> long.attrs["france_check"][0]  # doctest: +NORMALIZE_WHITESPACE
    {'indicator': 'creations_total', 'period': '2016', 'communes': 43.0, 'france': 43.0,
     'gap': 0.0, 'unpublished': 0}
    """
    if not len(gid):
        return []
    obj = np.array([o for o, _ in geo_list], dtype=object)
    code = np.array([g for _, g in geo_list], dtype=object)
    com_gid = np.isin(obj, ["COM", "ARM"]) & ~drop
    fr_gid = (obj == "FRANCE") & (code == "F")
    # Without commune rows (levels without "commune") there is no sum to compare: a gap of the
    # whole France total would be reported for a file that is fine.
    if not fr_gid.any() or not com_gid.any():
        return []
    y0 = int(year.min())
    out = []
    for i, name in enumerate(names):
        if name not in _CHECKED:
            continue
        sel = rule == i
        fr = sel & fr_gid[gid]
        if not fr.any():
            continue
        cm = sel & com_gid[gid]
        yy = (year[cm] - y0).astype(np.int64)
        published = srank[cm] <= 1
        sums = np.bincount(yy, weights=np.where(published, value[cm], 0.0))
        hidden = np.bincount(yy, weights=(~published).astype(float))
        for y, v in sorted(zip(year[fr].tolist(), value[fr].tolist(), strict=True)):
            k = y - y0
            c = float(sums[k]) if k < len(sums) else 0.0
            out.append({"indicator": name, "period": str(y), "communes": c, "france": v,
                        "gap": v - c, "unpublished": int(hidden[k]) if k < len(hidden) else 0})
    return out

