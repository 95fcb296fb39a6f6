"""SIRENE stock files as DuckDB relations: Parquet, CSV or zipped CSV, read by column.

Used by :mod:`impact.sources.sirene`. May import: duckdb, pyarrow, :mod:`impact.sources._common`.
"""


from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from impact.errors import InputError
from impact.sources._common import (
    check_parquet,
    check_zip,
    detect_separator,
    read_text_sample,
)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- #
# Input relations
# --------------------------------------------------------------------------- #

def _kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet") or path.is_dir():
        return "parquet"
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".csv", ".csv.gz", ".txt")):
        return "csv"
    raise InputError("unsupported SIRENE file type: expected .parquet, .zip or .csv", path=path)


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _columns(con, path: Path) -> list[str]:
    """Column names of a SIRENE file without reading its data."""
    kind = _kind(path)
    if kind == "parquet":
        if path.is_file():
            check_parquet(path)
        else:
            from impact._io import record_input

            if not path.exists():
                raise InputError("file or folder not found", path=path)
            record_input(path)  # a folder of parts: its files are checksummed by the runner
        import pyarrow.parquet as pq

        try:
            if path.is_dir():
                import pyarrow.dataset as ds

                return list(ds.dataset(path, format="parquet").schema.names)
            return list(pq.read_schema(path).names)
        except Exception as exc:  # pyarrow raises ArrowInvalid/OSError on corrupt files
            raise InputError(f"cannot read the Parquet schema ({exc})", path=path) from exc
    if kind == "zip":
        members = check_zip(path)
        member = _zip_member(path, members)
        with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
            try:
                first = fh.readline().decode("utf-8-sig")
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise InputError(f"the zip archive is corrupt or truncated ({exc})",
                                 path=path) from exc
        sep = detect_separator([first], path)
        return [c.strip().strip('"') for c in first.rstrip("\r\n").split(sep)]
    sep = _csv_separator(path)
    _, lines = read_text_sample(path)
    return [c.strip().strip('"') for c in lines[0].split(sep)]


def _csv_separator(path: Path) -> str:
    """Separator of a plain SIRENE CSV; refuse encodings DuckDB would misread."""
    enc, lines = read_text_sample(path)
    if enc not in ("utf-8", "utf-8-sig"):
        raise InputError(f"the SIRENE CSV is not UTF-8 (it looks {enc}); INSEE publishes it in "
                         "UTF-8 (StockUniteLegale_utf8): download it again or re-save it as UTF-8",
                         path=path)
    return detect_separator(lines[:5], path)


def _zip_member(path: Path, members: Sequence[str]) -> str:
    csvs = [m for m in members if m.lower().endswith(".csv")]
    if not csvs:
        raise InputError(f"the zip archive holds no .csv file (members: {list(members)})",
                         path=path)
    return csvs[0]


def _zip_reader(path: Path, columns: Sequence[str]):
    """Stream the CSV inside a zip as Arrow record batches (never extracted to disk)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    member = _zip_member(path, check_zip(path))
    schema = pa.schema([(c, pa.string()) for c in columns])

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
                reader = pacsv.open_csv(
                    fh,
                    read_options=pacsv.ReadOptions(block_size=8 << 20),
                    parse_options=pacsv.ParseOptions(delimiter=","),
                    convert_options=pacsv.ConvertOptions(
                        include_columns=list(columns),
                        column_types={c: pa.string() for c in columns},
                        strings_can_be_null=True,
                    ),
                )
                for batch in reader:
                    yield batch.select(list(columns))
        except (zipfile.BadZipFile, EOFError, OSError, pa.ArrowInvalid) as exc:
            # A truncated archive fails here, mid-stream: name the file.
            raise InputError(f"the zip archive is corrupt or truncated while reading "
                             f"{member} ({exc}); download it again", path=path) from exc

    return pa.RecordBatchReader.from_batches(schema, batches())


def _relation(con, path: Path, wanted: Sequence[str], name: str) -> str:
    """SQL table expression reading only ``wanted`` columns of a SIRENE file."""
    kind = _kind(path)
    cols = ", ".join(f'"{c}"' for c in wanted)
    if kind == "parquet":
        src = path / "**" / "*.parquet" if path.is_dir() else path
        return f"(SELECT {cols} FROM read_parquet({_sql_str(src)}))"
    if kind == "zip":
        con.register(name, _zip_reader(path, wanted))
        return name
    sep = _csv_separator(path)
    return (f"(SELECT {cols} FROM read_csv({_sql_str(path)}, header=true, all_varchar=true, "
            f"delim={_sql_str(sep)}, quote='\"', escape='\"'))")


@contextlib.contextmanager
def _connect(memory_limit: str, threads: int | None, temp_directory: str | Path | None):
    import duckdb

    with contextlib.ExitStack() as stack:
        tmp = temp_directory or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="impact-duckdb-"))
        con = duckdb.connect(config={
            "memory_limit": memory_limit,
            "threads": int(threads or min(os.cpu_count() or 2, 4)),
            "temp_directory": str(tmp),
            # Order is irrelevant for an aggregation; not keeping it saves memory.
            "preserve_insertion_order": False,
        })
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.Error:
            # Inside a Jupyter kernel DuckDB wants ipywidgets to change this
            # setting; without it the bar is not shown anyway.
            pass
        try:
            yield con
        finally:
            con.close()


def _query_arrow(con, sql: str):
    """Arrow table of a query (duckdb 2.x: ``to_arrow_table``; 1.x: ``arrow``), without the
    extra copy a DB-API cursor makes."""
    rel = con.sql(sql)
    fn = getattr(rel, "to_arrow_table", None) or rel.arrow
    return fn()


def _bound(value, *, end: bool) -> str | None:
    """``2016``/``"2016-07"``/``"2016Q3"`` → an inclusive/exclusive ISO date bound."""
    if value is None:
        return None
    s = str(value).strip()
    ts = pd.Period(s.replace("Q", "Q"),
                   freq="Q" if "Q" in s.upper() else ("M" if "-" in s else "Y"))
    if end:
        ts = ts + 1
    return ts.start_time.strftime("%Y-%m-%d")


