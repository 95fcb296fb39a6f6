"""Robust reading shared by every source reader, and the canonical long format.

Files that researchers download from INSEE, URSSAF or data.gouv.fr are opened
in Excel, re-saved, renamed and trimmed before they reach the project. This
module absorbs what that does to them, and fails with a message that names the
file, the line and the value when it cannot.

The canonical long format
-------------------------
Every reader of :mod:`impact.sources` returns a frame with the columns
:data:`LONG_COLUMNS`:

``territory_code``
    Official zero-padded code (string): ``"01001"``, ``"2A"``, ``"84"``, ``"FR"``.
``level``
    One of :data:`LEVELS` (``commune``, ``epci``, ``departement``, ``region``,
    ``zone_emploi``, ``france``).
``cog_year``
    Vintage of the codes (int); 2025 once harmonised to the current geography.
``period``
    ``"2016"`` (year), ``"2016Q3"`` (quarter) or ``"2016-07"`` (month).
``indicator``, ``value`` (float, NaN when not published), ``status`` (one of
:data:`STATUS_VALUES`), ``source``.

Markers of unpublished values
-----------------------------
:func:`parse_numbers` maps the markers found in French statistical tables to
NaN with a status (comparison is case-insensitive, surrounding spaces ignored):

================================================  ==========
marker                                            status
================================================  ==========
``s``, ``secret``, ``c``, ``(s)``, ``-``, ``—``,  ``secret``
``–`` (statistical secrecy / not significant)
blank, ``nd``, ``n.d.``, ``n/d``, ``na``,         ``missing``
``n.a.``, ``..``, ``...``, ``NaN``
any number                                        ``observed``
================================================  ==========

The dash is treated as secret because INSEE and URSSAF tables use it for
"résultat non significatif / soumis au secret", never for zero (zero is written
``0``). Anything else that is not a number is an error naming file, line,
column and value.
"""

from __future__ import annotations

import codecs
import contextlib
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

from impact.errors import InputError, InvalidValueError
from impact.sources._numbers import (  # noqa: F401 - re-exported: the readers import them from here
    MISSING_MARKERS,
    SECRET_MARKERS,
    check_range,
    parse_number,
    parse_numbers,
)
from impact.sources._rows import read_cells

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- #
# Canonical long format
# --------------------------------------------------------------------------- #

#: Columns of every frame returned by a source reader, in this order.
LONG_COLUMNS: tuple[str, ...] = (
    "territory_code", "level", "cog_year", "period", "indicator", "value", "status", "source",
)
#: Allowed values of ``level``.
LEVELS: tuple[str, ...] = ("commune", "epci", "departement", "region", "zone_emploi", "france")
#: Allowed values of ``status``.
STATUS_VALUES: tuple[str, ...] = ("observed", "secret", "missing", "estimated")
#: Keys that identify one observation.
LONG_KEYS: tuple[str, ...] = ("territory_code", "level", "period", "indicator", "source")

_PERIOD_RE = re.compile(r"^\d{4}(?:Q[1-4]|-(?:0[1-9]|1[0-2]))?$")


def empty_long() -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes."""
    return make_long(pd.DataFrame(columns=list(LONG_COLUMNS)))


def make_long(df: pd.DataFrame) -> pd.DataFrame:
    """Select :data:`LONG_COLUMNS` in order and give them their canonical dtypes."""
    missing = [c for c in LONG_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"long frame lacks column(s) {missing}; columns are {list(df.columns)}")
    out = df.loc[:, list(LONG_COLUMNS)].copy()
    for col in ("territory_code", "level", "period", "indicator", "status", "source"):
        out[col] = out[col].astype("string")
    out["cog_year"] = pd.to_numeric(out["cog_year"]).astype("int64")
    out["value"] = pd.to_numeric(out["value"], errors="raise").astype("float64")
    # Last line of defence: whatever a reader computed, an infinite value never leaves it.
    inf = np.isinf(out["value"].to_numpy())
    if inf.any():
        row = out.loc[inf].iloc[0]
        raise InvalidValueError(
            f"{int(inf.sum())} infinite value(s), e.g. {row['indicator']} of "
            f"{row['territory_code']} in {row['period']} (source {row['source']}); check the "
            "input file", value=row["value"])
    return out.reset_index(drop=True)


def validate_long(df: pd.DataFrame, *, name: str = "frame") -> pd.DataFrame:
    """Check that ``df`` follows the canonical long format; return it unchanged.

    Checks columns, allowed ``level`` and ``status`` values, period syntax,
    code syntax per level, that ``value`` is float, that ``observed`` rows have
    a value, and that keys are unique.

    Raises
    ------
    InputError
        Naming the first problem found and a few offending rows.
    """
    missing = [c for c in LONG_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {missing}; columns are {list(df.columns)}")

    def _fail(what: str, mask: pd.Series) -> None:
        rows = df.loc[mask, list(LONG_COLUMNS)].head(5).to_dict("records")
        raise InputError(f"{name}: {int(mask.sum())} row(s) with {what}, e.g. {rows}")

    for col, allowed in (("level", LEVELS), ("status", STATUS_VALUES)):
        bad = ~df[col].isin(allowed)
        if bad.any():
            _fail(f"{col} not in {allowed}", bad)
    for col in ("territory_code", "period", "indicator", "source"):
        bad = df[col].isna() | (df[col].astype("string").str.len() == 0)
        if bad.any():
            _fail(f"empty {col}", bad)
    bad = ~df["period"].astype("string").str.match(_PERIOD_RE).fillna(False).astype(bool)
    if bad.any():
        _fail("a period not like '2016', '2016Q3' or '2016-07'", bad)
    if not pd.api.types.is_float_dtype(df["value"]):
        raise InputError(f"{name}: column 'value' must be float, not {df['value'].dtype}")
    if not pd.api.types.is_integer_dtype(df["cog_year"]):
        raise InputError(f"{name}: column 'cog_year' must be integer, not {df['cog_year'].dtype}")
    bad = df["status"].eq("observed") & df["value"].isna()
    if bad.any():
        _fail("status 'observed' but no value", bad)
    code = df["territory_code"].astype("string")
    from impact.territories.codes import _FORMATS  # syntax only: no reference lookup here

    for level, pattern in _FORMATS.items():
        sel = df["level"].eq(level)
        if level == "commune":
            # Municipal arrondissements (75101...) match the commune pattern too.
            pass
        if sel.any():
            bad = sel & ~code.str.match(pattern).fillna(False).astype(bool)
            if bad.any():
                _fail(f"a territory_code that is not a {level} code", bad)
    dup = df.duplicated(list(LONG_KEYS), keep=False)
    if dup.any():
        _fail("duplicated keys " + ", ".join(LONG_KEYS), dup)
    return df


def long_schema():
    """A :mod:`pandera` schema of the long format (for users who validate with pandera).

    :func:`validate_long` is the check the library itself runs; this schema
    expresses the same column-level rules declaratively.
    """
    try:
        import pandera.pandas as pa
    except ImportError:  # pandera < 0.24
        import pandera as pa
    return pa.DataFrameSchema(
        {
            "territory_code": pa.Column("string", nullable=False),
            "level": pa.Column("string", pa.Check.isin(LEVELS)),
            "cog_year": pa.Column("int64", pa.Check.in_range(1943, 2100)),
            "period": pa.Column("string", pa.Check.str_matches(_PERIOD_RE.pattern)),
            "indicator": pa.Column("string", nullable=False),
            "value": pa.Column("float64", nullable=True),
            "status": pa.Column("string", pa.Check.isin(STATUS_VALUES)),
            "source": pa.Column("string", nullable=False),
        },
        unique=list(LONG_KEYS),
        strict=True,
        ordered=True,
    )


# --------------------------------------------------------------------------- #
# Encoding and separator detection
# --------------------------------------------------------------------------- #

_SAMPLE_BYTES = 1 << 20
_SEPARATORS = (";", ",", "\t", "|")


def check_nonempty(path: Path) -> None:
    """Raise a clear error for a missing or empty file; record it as an input read.

    Every reader calls this first on each file it opens, so it is also where
    the files read are recorded for provenance (:func:`impact._io.record_input`).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_file() and path.stat().st_size == 0:
        raise InputError("the file is empty (0 bytes): was the download interrupted?", path=path)
    try:
        with open(path, "rb") if path.is_file() else contextlib.nullcontext():
            pass
    except OSError as exc:
        raise InputError(f"cannot open the file ({exc.strerror}); check its permissions",
                         path=path) from exc
    from impact._io import record_input

    record_input(path)


def detect_encoding(raw: bytes, path: Path | None = None) -> str:
    """Return ``"utf-8-sig"``, ``"utf-8"`` or ``"cp1252"`` for a byte sample.

    Tries UTF-8 (a BOM selects ``utf-8-sig``), then Windows-1252, the Excel
    "CSV (séparateur: point-virgule)" encoding that is a superset of Latin-1's
    printable characters. A sample with NUL bytes (UTF-16, binary, a zip saved
    as .csv) is neither, and is an error naming the file.
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
    """Return (encoding, first lines) of a text file."""
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
    return max(counts, key=counts.get)


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
    """Raise when required columns are missing; the error lists the columns found."""
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


# --------------------------------------------------------------------------- #
# Periods
# --------------------------------------------------------------------------- #

_FR_MONTHS = {
    "janv": 1, "jan": 1, "janvier": 1, "fevr": 2, "fev": 2, "fevrier": 2, "feb": 2,
    "mars": 3, "mar": 3, "avr": 4, "avril": 4, "apr": 4, "mai": 5, "may": 5,
    "juin": 6, "jun": 6, "juil": 7, "juillet": 7, "jul": 7, "aout": 8, "aug": 8,
    "sept": 9, "sep": 9, "septembre": 9, "oct": 10, "octobre": 10, "nov": 11,
    "novembre": 11, "dec": 12, "decembre": 12,
}
_PERIOD_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<!\d)(\d{4})\s*[-_ ]?\s*[TQ]([1-4])(?!\d)", re.I), "yq"),   # 2016-T3, 2016Q3
    (re.compile(r"(?<![A-Za-z\d])[TQ]([1-4])\s*[-_ ]?\s*(\d{4})(?!\d)", re.I), "qy"),  # T3 2016
    (re.compile(r"([1-4])(?:er|e|ème|eme)\s+trimestre\s+(\d{4})", re.I), "qy"),
    (re.compile(r"(?<!\d)(\d{4})\s*[-/M]\s*(0[1-9]|1[0-2])(?!\d)"), "ym"),       # 2016-07, 2016M07
    (re.compile(r"(?<!\d)(0[1-9]|1[0-2])\s*/\s*(\d{4})(?!\d)"), "my"),            # 07/2016
    (re.compile(r"([a-zéûè]{3,9})\.?\s+(\d{4})(?!\d)", re.I), "namey"),          # juil. 2016
    (re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)"), "y"),                            # 2016
]


def find_period(text: Any) -> str | None:
    """Find a period in a label and return it canonically, or ``None``.

    Recognises ``2016``, ``T3 2016``, ``T3_2016``, ``2016-T3``, ``2016T3``,
    ``2016Q3``, ``3e trimestre 2016``, ``2016-07``, ``2016M07``, ``07/2016``,
    ``juil. 2016``, ``juillet 2016``, also inside longer labels such as
    ``"Effectifs salariés 2016"``.

    Examples
    --------
    >>> [find_period(x) for x in ["2016", "T3_2016", "2016-T3", "juil. 2016", "x"]]
    ['2016', '2016Q3', '2016Q3', '2016-07', None]
    """
    s = str(text).strip()
    for pattern, kind in _PERIOD_PATTERNS:
        m = pattern.search(s)
        if not m:
            continue
        if kind == "yq":
            return f"{m.group(1)}Q{m.group(2)}"
        if kind == "qy":
            return f"{m.group(2)}Q{m.group(1)}"
        if kind == "ym":
            return f"{m.group(1)}-{m.group(2)}"
        if kind == "my":
            return f"{m.group(2)}-{m.group(1)}"
        if kind == "namey":
            month = _FR_MONTHS.get(_norm(m.group(1)).rstrip("."))
            if month is None:
                continue
            return f"{m.group(2)}-{month:02d}"
        return m.group(1)
    return None


def parse_period(text: Any, *, path: str | Path | None = None, column: str | None = None) -> str:
    """Like :func:`find_period` but raise a clear error when no period is found."""
    p = find_period(text)
    if p is None:
        raise InputError(f"{text!r} is not a period (expected e.g. 2016, T3 2016, 2016-T3, "
                         "2016Q3, 2016-07, juil. 2016)", path=path, column=column)
    return p


def melt_wide(
    df: pd.DataFrame,
    id_cols: Sequence[str],
    value_cols: Sequence[str] | None = None,
    *,
    path: str | Path | None = None,
    period_of: dict[str, str] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    what: str = "value",
) -> pd.DataFrame:
    """Melt one-column-per-period data to long rows with ``period``, ``value``, ``status``.

    Parameters
    ----------
    df
        Frame of strings as returned by :func:`read_csv_table` (with ``_line``).
    id_cols
        Columns kept as identifiers.
    value_cols
        Period columns; default: every column whose name contains a period.
    period_of
        Explicit column → period mapping (overrides detection).
    minimum, maximum, what
        Range of a valid value (see :func:`check_range`); infinite values are
        always refused.

    Returns
    -------
    pandas.DataFrame
        ``id_cols``, ``_line``, ``column``, ``period``, ``value``, ``status``.
        Numbers are parsed with :func:`parse_numbers` (errors name the line).
    """
    if value_cols is None:
        value_cols = [c for c in df.columns if c not in id_cols and c != "_line"
                      and find_period(c) is not None]
    if not value_cols:
        raise InputError("no column named after a period (e.g. '2016', 'T3_2016') found; "
                         f"columns found: {[c for c in df.columns if c != '_line']}", path=path)
    periods = dict(period_of or {})
    for c in value_cols:
        periods.setdefault(c, parse_period(c, path=path, column=c))
    keep = [*id_cols, "_line"] if "_line" in df.columns else list(id_cols)
    parts = []
    for c in value_cols:
        value, status = parse_numbers(df[c], path=path, column=c,
                                      lines=df["_line"] if "_line" in df else None)
        check_range(value, path=path, column=c, lines=df["_line"] if "_line" in df else None,
                    raw=df[c], minimum=minimum, maximum=maximum, what=what)
        part = df[keep].copy()
        part["column"] = c
        part["period"] = periods[c]
        part["value"] = value.to_numpy()
        part["status"] = status.to_numpy()
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- #
# Binary containers
# --------------------------------------------------------------------------- #

def check_parquet(path: str | Path) -> None:
    """Raise a clear error when ``path`` is not a complete Parquet file.

    A complete Parquet file starts and ends with the magic bytes ``PAR1``; an
    interrupted download lacks the footer.
    """
    path = Path(path)
    check_nonempty(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(max(size - 4, 0))
        tail = fh.read(4)
    if head != b"PAR1":
        raise InputError("not a Parquet file (no 'PAR1' magic at the start)", path=path)
    if size < 12 or tail != b"PAR1":
        raise InputError("the Parquet file is truncated (no footer): was the download "
                         "interrupted? Download it again", path=path)


def check_zip(path: str | Path) -> list[str]:
    """Return the member names of a zip archive; raise a clear error when it is corrupt."""
    path = Path(path)
    check_nonempty(path)
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError(f"the zip archive is corrupt or truncated ({exc}); download it again",
                         path=path) from exc


def normalize_label(text: Any) -> str:
    """Public alias of the label normaliser used for header matching."""
    return _norm(text)
