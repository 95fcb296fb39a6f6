"""Reading delimited text files as researchers save them.

Files downloaded from INSEE, URSSAF or data.gouv.fr are opened in Excel,
re-saved, renamed and trimmed before they reach the project: this module
detects their encoding, separator and header row, and fails with a message
that names the file, the line and the value when it cannot read them.
Re-exported by :mod:`impact.sources._common`.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.sources._files import check_nonempty
from impact.sources._rows import read_cells

logger = logging.getLogger(__name__)

_SAMPLE_BYTES = 1 << 20
_SEPARATORS = (";", ",", "\t", "|")


def detect_encoding(raw: bytes, path: Path | None = None) -> str:
    """Return ``"utf-8-sig"``, ``"utf-8"`` or ``"cp1252"`` for a byte sample.

    Tries UTF-8 (a BOM selects ``utf-8-sig``), then Windows-1252, the Excel
    "CSV (séparateur: point-virgule)" encoding that is a superset of Latin-1's
    printable characters. A sample with NUL bytes (UTF-16, binary, a zip saved
    as .csv) is neither, and is an error naming the file.

    Examples
    --------
    >>> detect_encoding("Créations".encode("cp1252")), detect_encoding("Créations".encode("utf-8"))
    ('cp1252', 'utf-8')
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError("the file is UTF-16 encoded; save it as UTF-8 or Latin-1 CSV", path=path)
    if b"\x00" in raw:
        kind = "a zip archive" if raw.startswith(b"PK\x03\x04") else "binary or UTF-16"
        raise InputError(f"cannot read as text: the file looks {kind}, not a UTF-8 or "
                         "Latin-1 CSV", path=path)
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a sample cut in the middle of a multi-byte character is fine.
        dec.decode(raw, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        # Bytes undefined in cp1252 (0x81, 0x8D...) only exist in true Latin-1.
        return "latin-1"


def detect_separator(lines: Sequence[str], path: Path | None = None,
                     candidates: Sequence[str] = _SEPARATORS) -> str:
    """Pick the separator that splits the sample lines into the most, consistent columns.

    Quotes are honoured (``"1 234,5"`` does not count as a comma). Raises when
    every candidate leaves a single column.

    Examples
    --------
    >>> detect_separator(["code;valeur;année", '29;"5,5";2016'])
    ';'
    """
    lines = [ln for ln in lines if ln.strip()][:50]
    if not lines:
        raise InputError("no text lines to detect the separator from", path=path)
    best, best_score = None, (0, 0.0)
    for sep in candidates:
        widths = [len(row) for row in csv.reader(lines, delimiter=sep)]
        if not widths or max(widths) < 2:
            continue
        # The widest row count that most lines agree on (title rows are shorter).
        counts = pd.Series(widths).value_counts()
        mode_width = int(counts.index[0])
        share = float(counts.iloc[0]) / len(widths)
        score = (mode_width if share >= 0.5 else 1, share)
        if score > best_score:
            best, best_score = sep, score
    if best is None or best_score[0] < 2:
        raise InputError(
            "could not detect the column separator: every line is a single column with "
            f"{', '.join(repr(c) for c in candidates)}; first line is {lines[0][:120]!r}",
            path=path,
        )
    return best


def read_text_sample(path: Path, encoding: str | None = None, n_bytes: int = _SAMPLE_BYTES
                     ) -> tuple[str, list[str]]:
    """Return (encoding, first lines) of a text file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "table.csv"
    >>> _ = path.write_bytes("code;Libellé\\n29;Finistère\\n".encode("cp1252"))
    >>> read_text_sample(path)
    ('cp1252', ['code;Libellé', '29;Finistère'])
    """
    check_nonempty(path)
    with open(path, "rb") as fh:
        raw = fh.read(n_bytes)
    enc = encoding or detect_encoding(raw, path)
    text = raw.decode(enc, errors="replace")
    return enc, text.splitlines()[:200]


# --------------------------------------------------------------------------- #
# Reading delimited files
# --------------------------------------------------------------------------- #

def _norm(text: Any) -> str:
    """Lower-case, accent-free, single-spaced version of a label (for matching headers)."""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", s).strip().lower()


def read_csv_table(
    path: str | Path,
    *,
    required: Iterable[str] = (),
    sep: str | None = None,
    encoding: str | None = None,
    header_line: int | None = None,
    find_header: Iterable[str] | None = None,
    max_header_search: int = 30,
) -> pd.DataFrame:
    """Read a delimited text file as strings, detecting encoding, separator and header row.

    Parameters
    ----------
    path
        CSV/TSV file (``.csv``, ``.txt``; a ``.zip`` holding one CSV is opened too).
    required
        Columns that must be present (compared after stripping spaces; accents
        and case must match exactly). The error names the missing ones and lists
        the columns found.
    sep, encoding
        Force the separator or encoding instead of detecting them.
    header_line
        1-based line of the header when title rows precede it.
    find_header
        Labels (case/accent-insensitive) that identify the header row; the first
        of the first ``max_header_search`` lines containing all of them is used.

    Returns
    -------
    pandas.DataFrame
        All cells as stripped strings (blank cells are ``""``). Column ``_line``
        holds each row's line number in the file (header = its own line, so the
        first data row of a file without title rows is line 2). ``df.attrs``
        records ``path``, ``encoding``, ``sep`` and ``header_line``.

    Examples
    --------
    A file saved by Excel in Windows-1252, with a title above the header:

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "table.csv"
    >>> _ = path.write_bytes("Titre du tableau\\n\\ncode;Libellé;2016\\n29;Finistère;5 520\\n"
    ...                      "35;Ille-et-Vilaine;6 080\\n".encode("cp1252"))
    >>> table = read_csv_table(path, find_header=["code", "libelle"], required=["code"])
    >>> table
      code          Libellé   2016  _line
    0   29        Finistère  5 520      4
    1   35  Ille-et-Vilaine  6 080      5
    >>> table.attrs["encoding"], table.attrs["sep"], table.attrs["header_line"]
    ('cp1252', ';', 3)
    """
    path = Path(path)
    check_nonempty(path)
    if path.suffix.lower() == ".zip":
        text, member = _read_zip_text(path, encoding)
        enc = "from zip"
        lines = text.splitlines()
        source_desc = f"{path}!{member}"
    else:
        enc, lines = read_text_sample(path, encoding)
        source_desc = str(path)
        text = None
    if not any(ln.strip() for ln in lines):
        raise InputError("the file has no text lines (blank file)", path=path)

    if header_line is None and find_header:
        wanted = [_norm(w) for w in find_header]
        for i, ln in enumerate(lines[:max_header_search]):
            cells = [_norm(c) for c in next(csv.reader([ln], delimiter=sep or _guess_sep(ln)))]
            if all(any(w == c or w in c for c in cells) for w in wanted):
                header_line = i + 1
                break
        else:
            raise InputError(
                f"no header row with {list(find_header)} in the first {max_header_search} lines",
                path=path,
            )
    header_line = header_line or 1
    if sep is None:
        sep = detect_separator(lines[header_line - 1:], path)

    df = read_cells(io.StringIO(text) if text is not None else path,
                     encoding=None if text is not None else enc, sep=sep, header_line=header_line,
                     path=path, enc_label=enc)
    df["_line"] = np.arange(len(df)) + header_line + 1
    # Blank lines (all cells empty) carry no data: drop them after numbering lines.
    data_cols = [c for c in df.columns if c != "_line"]
    for c in data_cols:
        df[c] = df[c].astype(str).str.strip()
    if len(df):
        blank = (df[data_cols] == "").all(axis=1)
        df = df.loc[~blank].reset_index(drop=True)
    if not len(df):
        raise InputError("the file has a header but no data rows", path=path)
    check_columns(df, required, path=path, sep=sep)
    df.attrs.update(path=source_desc, encoding=enc, sep=sep, header_line=header_line)
    logger.debug("read %s: %d rows, encoding %s, separator %r, header line %d",
                 source_desc, len(df), enc, sep, header_line)
    return df


def _guess_sep(line: str) -> str:
    counts = {s: line.count(s) for s in _SEPARATORS}
    return max(counts, key=counts.__getitem__)


def _read_zip_text(path: Path, encoding: str | None) -> tuple[str, str]:
    """Text of the single CSV member of a (small) zip archive."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if n.lower().endswith((".csv", ".txt"))]
            if not members:
                raise InputError(f"the zip archive holds no .csv file ({zf.namelist()})", path=path)
            raw = zf.read(members[0])
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError(f"the zip archive is corrupt or truncated ({exc}); download it again",
                         path=path) from exc
    enc = encoding or detect_encoding(raw[:_SAMPLE_BYTES], path)
    return decode_text(raw, enc, path), members[0]


def decode_text(raw: bytes, encoding: str, path: str | Path | None = None) -> str:
    """Decode a whole file; an undecodable byte is an error naming its line.

    The encoding is detected on the first megabyte: a file that switches
    encoding further down (two exports pasted together) fails here, clearly.

    Examples
    --------
    >>> decode_text("Évian".encode("cp1252"), "cp1252")
    'Évian'
    >>> decode_text(b"ok\\n\\xc9vian", "utf-8")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: line 2: byte b'\\xc9' is not utf-8 text although ...
    """
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start:exc.start + 1]
        raise InputError(f"byte {bad!r} is not {encoding} text although the "
                         "start of the file is: the file mixes encodings; re-save it as UTF-8",
                         path=path, line=line) from exc


def check_columns(df: pd.DataFrame, required: Iterable[str], *, path: str | Path | None = None,
                  sep: str | None = None, where: str = "") -> None:
    """Raise when required columns are missing; the error lists the columns found.

    Examples
    --------
    >>> table = pd.DataFrame({"code": ["29"], "Libellé": ["Finistère"]})
    >>> check_columns(table, ["code"])  # present: nothing happens
    >>> check_columns(table, ["code", "annee"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: column 'annee': required column(s) ['annee'] not found; ...
    """
    required = list(required)
    found = [c for c in df.columns if c != "_line"]
    missing = [c for c in required if c not in found]
    if missing:
        hint = ""
        if len(found) == 1 and any(s in found[0] for s in _SEPARATORS if s != sep):
            hint = (f" (a single column was found: the separator is probably not {sep!r};"
                    " let it be detected or pass the right one)")
        raise InputError(
            f"{where}required column(s) {missing} not found; columns found: {found}{hint}",
            path=path, column=missing[0],
        )


def report_duplicates(df: pd.DataFrame, keys: Sequence[str], *, path: str | Path | None = None,
                      value_cols: Sequence[str] = ()) -> pd.DataFrame:
    """Drop exact duplicate rows (logged); raise on conflicting duplicates of ``keys``.

    Exact repeats are a copy-paste accident and harmless once dropped; two rows
    with the same keys but different values cannot be resolved without the
    analyst, so the error lists their line numbers.

    Examples
    --------
    >>> rows = pd.DataFrame({"code": ["29", "29", "35"], "v": ["1", "1", "2"], "_line": [2, 3, 4]})
    >>> report_duplicates(rows, ["code"], value_cols=["v"])  # the exact repeat is dropped
      code  v  _line
    0   29  1      2
    2   35  2      4
    >>> report_duplicates(rows.assign(v=["1", "9", "2"]), ["code"], value_cols=["v"])
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: line 2: 2 rows share the same ['code'] with different values ...
    """
    cols = [*keys, *value_cols]
    exact = df.duplicated(cols, keep="first")
    if exact.any():
        lines = df.loc[exact, "_line"].tolist() if "_line" in df else []
        logger.warning("%s: %d exact duplicate row(s) dropped (lines %s)",
                       path or "input", int(exact.sum()), lines[:20])
        df = df.loc[~exact].copy()
        df.attrs.setdefault("duplicates_dropped", 0)
        df.attrs["duplicates_dropped"] = int(exact.sum())
    clash = df.duplicated(list(keys), keep=False)
    if clash.any():
        sample = df.loc[clash].head(6)
        lines = sample["_line"].tolist() if "_line" in sample else []
        keyvals = sample[list(keys)].drop_duplicates().head(3).to_dict("records")
        raise InputError(
            f"{int(clash.sum())} rows share the same {list(keys)} with different values "
            f"(lines {lines}, keys {keyvals}); keep one of them",
            path=path, line=int(lines[0]) if lines else None,
        )
    return df


def normalize_label(text: Any) -> str:
    """Public alias of the label normaliser used for header matching.

    Examples
    --------
    >>> normalize_label("  Libellé  de la Commune ")
    'libelle de la commune'
    """
    return _norm(text)
