"""Where SIRENE creation counts go: streamed in Arrow batches to a table or a Parquet file,
with commune codes harmonised once per distinct code.

Used by :mod:`impact.sources.sirene`. May import: pyarrow, :mod:`impact.territories`.
"""


from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from impact.sources._common import (
    LONG_COLUMNS,
)

if TYPE_CHECKING:
    import pyarrow
from impact.sources._sirene_nomenclature import (
    INDICATORS,
    SOURCE,
)

logger = logging.getLogger(__name__)

#: Periods are encoded as integers from this year (month: 12 per year) inside the query.
_FIRST_YEAR, _LAST_YEAR = 1800, 2100
#: Indicator ids of the diagnostic rows of the counting query (never counts of creations):
#: extra copies of repeated legal units / head offices, units without a usable creation date.
_DIAGNOSTICS: dict[str, int] = {"duplicate_legal_units": 1001, "duplicate_establishments": 1002,
                                "no_date": 1003, "bad_date": 1004, "date_out_of_range": 1005}


def _all_periods(freq: str) -> list[str]:
    """Every period SIRENE creation dates can fall in (the register starts in the 1800s)."""
    years = range(_FIRST_YEAR, _LAST_YEAR + 1)
    if freq == "year":
        return [str(y) for y in years]
    return [f"{y:04d}-{m:02d}" for y in years for m in range(1, 13)]


def _stream(con, sql: str, sink, *, codes: Sequence[str], unplaced_raw: Sequence[str],
            periods: Sequence[str], batch_rows: int = 1 << 20) -> dict[str, float]:
    """Run ``sql`` (see :func:`_creations_sql`) and feed canonical long batches to ``sink``.

    Integer ids become dictionary-encoded columns (pandas categoricals): tens of
    millions of rows without one Python string each. Rows of codes that could
    not be placed are kept out and only counted.

    Returns
    -------
    dict
        Creations per unplaced raw code (``""``: no head-office commune).
    """
    import pyarrow as pa

    code_dict = pa.array(list(codes), pa.string())
    period_dict = pa.array(list(periods), pa.string())
    indicator_dict = pa.array(INDICATORS, pa.string())
    total_id = INDICATORS.index("creations_total")
    n_codes = len(codes)
    rel = con.sql(sql)
    reader = (rel.to_arrow_reader(batch_rows) if hasattr(rel, "to_arrow_reader")
              else rel.fetch_arrow_reader(batch_rows))
    unplaced: dict[str, float] = {}
    diag_names = {v: k for k, v in _DIAGNOSTICS.items()}
    for batch in reader:
        indicator = batch.column(2).to_numpy(zero_copy_only=False)
        n = batch.column(3).to_numpy(zero_copy_only=False).astype(np.float64)
        special = indicator >= min(_DIAGNOSTICS.values())
        if special.any():
            for i_d, v in zip(indicator[special], n[special], strict=True):
                if np.isfinite(v) and v > 0:
                    name = diag_names[int(i_d)]
                    sink.diagnostics[name] = sink.diagnostics.get(name, 0) + int(v)
            batch = batch.filter(pa.array(~special))
            indicator, n = indicator[~special], n[~special]
        commune = batch.column(0).to_numpy()
        period = batch.column(1).to_numpy()
        ok = (commune >= 0) & (commune < n_codes)
        if not ok.all():
            lost = ~ok & (indicator == total_id)
            ids, inverse = np.unique(commune[lost], return_inverse=True)
            sums = np.bincount(inverse, weights=n[lost], minlength=len(ids))
            for cid, value in zip(ids, sums, strict=True):
                raw = unplaced_raw[cid - n_codes] if cid >= n_codes else ""
                unplaced[raw] = unplaced.get(raw, 0.0) + float(value)
        sink.n_total += float(n[ok & (indicator == total_id)].sum())
        sink.add(pa.record_batch(
            [pa.DictionaryArray.from_arrays(pa.array(commune[ok]), code_dict),
             pa.DictionaryArray.from_arrays(pa.array(period[ok]), period_dict),
             pa.DictionaryArray.from_arrays(pa.array(indicator[ok]), indicator_dict),
             pa.array(n[ok])],
            names=["territory_code", "period", "indicator", "value"]))
    return unplaced


class _TableSink:
    """Collects Arrow batches for the DataFrame result."""

    def __init__(self) -> None:
        self.batches: list[pyarrow.RecordBatch] = []
        self.n_total = 0.0
        self.diagnostics: dict[str, int] = {}

    def add(self, batch: pyarrow.RecordBatch) -> None:
        self.batches.append(batch)

    def abort(self, exc: BaseException) -> None:
        self.batches = []

    def table(self) -> pyarrow.Table:
        import pyarrow as pa

        schema = self.batches[0].schema if self.batches else pa.schema([
            ("territory_code", pa.dictionary(pa.int32(), pa.string())),
            ("period", pa.dictionary(pa.int32(), pa.string())),
            ("indicator", pa.dictionary(pa.int32(), pa.string())), ("value", pa.float64())])
        return pa.Table.from_batches(self.batches, schema=schema)


class _ParquetSink:
    """Writes batches to ``out`` (atomically) with the canonical columns."""

    def __init__(self, out: Path) -> None:
        from impact._io import atomic_files

        self.out = out
        # The counts and their report are put in place together, or neither.
        self._ctx = atomic_files([out, out.with_name(out.name + ".unplaced.json")],
                                 suffixes=[".parquet", ".json"])
        self._tmp, self._tmp_report = self._ctx.__enter__()
        self._writer: Any = None  # a pyarrow.parquet.ParquetWriter once the first batch came
        self.n_total = 0.0
        self.diagnostics: dict[str, int] = {}

    def add(self, batch: pyarrow.RecordBatch) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        n = batch.num_rows
        table = pa.table({
            "territory_code": batch.column(0), "level": _constant("commune", n),
            "cog_year": pa.array(np.full(n, 2025, dtype="int64")), "period": batch.column(1),
            "indicator": batch.column(2), "value": batch.column(3),
            "status": _constant("observed", n), "source": _constant(SOURCE, n),
        })
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._tmp, table.schema, compression="zstd")
        self._writer.write_table(table)

    def abort(self, exc: BaseException) -> None:
        """Remove the partial file: nothing half-written is left behind."""
        if self._writer is not None:
            self._writer.close()
        self._ctx.__exit__(type(exc), exc, exc.__traceback__)

    def close(self, unplaced: dict[str, int], n_units: int, quality: dict | None = None) -> Path:
        import json

        if self._writer is None:
            self.add(_empty_batch())
        self._writer.close()
        self._tmp_report.write_text(json.dumps(
            {"n_units": n_units, "unplaced": unplaced, **(quality or {})}, indent=1,
            ensure_ascii=False))
        self._ctx.__exit__(None, None, None)
        return self.out


def _empty_batch():
    import pyarrow as pa

    d = pa.dictionary(pa.int32(), pa.string())
    return pa.record_batch([pa.array([], d), pa.array([], d), pa.array([], d),
                            pa.array([], pa.float64())],
                           names=["territory_code", "period", "indicator", "value"])


def _constant(value: str, n: int):
    """A dictionary-encoded column repeating ``value`` (no Python string per row)."""
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([value]))


def _log_unplaced(unplaced: dict[str, int], n_units: int) -> None:
    if unplaced:
        logger.warning(
            "SIRENE: %d of %d creations could not be placed in a current commune: %s",
            sum(unplaced.values()), n_units,
            ", ".join(f"{k!r} ({v})" for k, v in list(unplaced.items())[:15]),
        )


def _commune_mapping(raw: pd.Series, harmonize: bool) -> tuple[pd.DataFrame, dict[str, str]]:
    """Map distinct raw commune codes to output codes; return the reasons for the others."""
    from impact.territories import commune_mapping, normalize_code

    raw_p = raw.dropna().astype(str).reset_index(drop=True)
    flags = normalize_code(raw_p, "commune", errors="flag", arrondissements="keep")
    code = flags["code"].astype(object)
    ok = flags["valid"].to_numpy()
    if harmonize:
        code = code.map(commune_mapping(arrondissements="commune"))
        ok = ok & code.notna().to_numpy()
    reasons = {r: (reason or "no current commune")
               for r, good, reason in zip(raw_p, ok, flags["reason"], strict=True) if not good}
    mapping = pd.DataFrame({"raw": raw_p.to_numpy()[ok], "code": code.to_numpy()[ok]})
    return mapping.astype({"raw": str, "code": str}), reasons


def _arrow_long(table) -> pd.DataFrame:
    """Canonical long frame from an Arrow table of code, period, indicator, value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows

    def cat(values: pa.ChunkedArray) -> pd.Series:
        if not pa.types.is_dictionary(values.type):
            values = pc.dictionary_encode(values)
        # The dictionaries list every possible code and period: keep the ones present.
        return values.to_pandas().cat.remove_unused_categories()

    df = pd.DataFrame({
        "territory_code": cat(table["territory_code"]),
        "level": pd.Categorical(np.repeat("commune", n)),
        "cog_year": np.full(n, 2025, dtype="int64"),
        "period": cat(table["period"]),
        "indicator": cat(table["indicator"]),
        "value": table["value"].to_numpy(),
        "status": pd.Categorical(np.repeat("observed", n)),
        "source": pd.Categorical(np.repeat(SOURCE, n)),
    })
    return df[list(LONG_COLUMNS)]
