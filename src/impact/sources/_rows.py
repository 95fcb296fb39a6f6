"""Cells of a delimited file as strings, refusing rows that would shift columns.

Used by :func:`impact.sources._common.read_csv_table`; see :func:`read_cells`.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import re
from pathlib import Path
from typing import IO, Any

import pandas as pd

from impact.errors import InputError

logger = logging.getLogger(__name__)

_FIELDS_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_cells(src: str | Path | IO[str], *, encoding: str | None, sep: str, header_line: int,
               path: Path,
                enc_label: str) -> pd.DataFrame:
    """Cells as strings with the header row as column names, refusing shifted rows.

    pandas, given a data row with one field more than the header, silently takes
    the first column as the index and shifts every value one column left. Here
    the file is read without a header; a row wider than the header is an error
    naming its line and extra value, unless the extra fields are empty (Excel's
    trailing separators), which are dropped with a warning.

    Examples
    --------
    >>> import io
    >>> from pathlib import Path
    >>> text = io.StringIO("Titre\\ncode;Libellé;2016\\n29;Finistère;5 520\\n")
    >>> read_cells(text, encoding=None, sep=";", header_line=2, path=Path("t.csv"),
    ...            enc_label="utf-8")
      code    Libellé   2016
    0   29  Finistère  5 520
    """
    kw = dict(sep=sep, header=None, dtype=str, keep_default_na=False, na_filter=False,
              encoding=encoding, skiprows=header_line - 1, skip_blank_lines=False,
              engine="python" if len(sep) > 1 else "c", quotechar='"')
    names: list[int] | None = None
    for _ in range(20):
        if hasattr(src, "seek"):
            src.seek(0)
        try:
            raw = pd.read_csv(src, names=names, **kw)
            break
        except pd.errors.EmptyDataError as exc:
            raise InputError("the file has no header row", path=path) from exc
        except UnicodeDecodeError as exc:
            bad = exc.object[exc.start:exc.start + 4]
            raise InputError(f"the file is not entirely {enc_label} text (byte {bad!r} "
                             f"{_line_of_byte(path, exc)}); it mixes encodings: re-save it "
                             "as UTF-8",
                             path=path) from exc
        except pd.errors.ParserError as exc:
            m = _FIELDS_RE.search(str(exc))
            if not m:
                raise InputError(f"cannot parse as {sep!r}-separated text ({enc_label}): {exc}",
                                 path=path) from exc
            n_fields = int(m.group(3))
            names = list(range(n_fields if names is None else max(len(names) + 1, n_fields)))
    else:  # pragma: no cover - twenty ever wider rows
        raise InputError("rows have ever more fields than the header; is the separator right?",
                         path=path)
    if not len(raw):
        raise InputError("the file has no header row", path=path)
    header = [str(c).strip() for c in raw.iloc[0]]
    width = max((i + 1 for i, c in enumerate(header) if c), default=0)
    if width == 0:
        raise InputError("the header row is empty", path=path, line=header_line)
    data = raw.iloc[1:].reset_index(drop=True)
    if names is not None:
        # Some row is wider than the header: count each record's fields exactly (padding
        # hides the difference between "a,b," and "a,b"), only on this slow path.
        counts = _field_counts(src, encoding, sep, header_line)
        n_header, rows = counts[0], counts[1:]
        wider = [i for i, c in enumerate(rows) if c > n_header]
        extra_cells = data.iloc[:, n_header:].apply(lambda col: col.astype(str).str.strip())
        # Every data row (two at least: one row alone could be a shifted one) ending with the
        # same empty extra fields is a trailing separator, not a shift.
        systematic = (sum(1 for c in rows if c) >= 2 and len({c for c in rows if c}) == 1
                      and not (extra_cells != "").any().any())
        if wider and not systematic:
            i = wider[0]
            cells = [str(v) for v in data.iloc[i, :rows[i]]]
            extra_vals = [v for v in cells[n_header:] if v.strip()]
            shown = extra_vals[0] if extra_vals else sep.join(cells)
            raise InputError(
                f"this row has {rows[i]} fields but the header (line {header_line}) has "
                f"{n_header}, "
                f"so its values would shift columns (row: {sep.join(cells)[:200]!r}). A value "
                f"probably contains the separator {sep!r} without quotes (e.g. a French decimal "
                f"1{sep}5 in a {sep!r}-separated file): quote it (\"1{sep}5\") or remove the "
                "extra separator",
                path=path, line=header_line + 1 + i, column=header[min(n_header, width) - 1],
                value=shown)
    if data.shape[1] > width:
        extra = data.iloc[:, width:].apply(lambda col: col.astype(str).str.strip())
        if not (extra != "").any().any():
            logger.warning("%s: empty trailing field(s) after column %r ignored (trailing "
                           "separators)", path, header[width - 1])
            data = data.iloc[:, :width]
        else:
            width = data.shape[1]
            header = header + [""] * (width - len(header))
    cols: list[str] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(header[:width]):
        name = c or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        cols.append(name)
    data.columns = cols
    return data


def _field_counts(src: str | Path | IO[str], encoding: str | None, sep: str, header_line: int
                  ) -> list[int]:
    """Number of fields of each record from the header on (csv module, quotes honoured)."""
    fh: contextlib.AbstractContextManager[Any]
    if hasattr(src, "seek"):
        src.seek(0)
        fh = contextlib.nullcontext(src)
    else:
        fh = open(src, encoding=encoding, newline="")
    with fh as f:
        reader = csv.reader(f, delimiter=sep, quotechar='"')
        return [len(r) for k, r in enumerate(reader) if k >= header_line - 1]


def _line_of_byte(path: Path, exc: UnicodeDecodeError) -> str:
    """'on line N' for the first undecodable byte of a file (read again, only on failure)."""
    try:
        raw = path.read_bytes()
        raw.decode(exc.encoding)
    except UnicodeDecodeError as again:
        line = raw.count(b"\n", 0, again.start) + 1
        return f"on line {line}"
    except (OSError, AttributeError):
        pass
    return "in the file"
