"""Robust reading shared by every source reader, and the canonical long format.

Files that researchers download from INSEE, URSSAF or data.gouv.fr are opened
in Excel, re-saved, renamed and trimmed before they reach the project. The
readers absorb what that does to them, and fail with a message that names the
file, the line and the value when they cannot. This module gathers, under one
name that the readers import, the pieces that live in modules named after
their concept:

:mod:`impact.sources._long`
    The canonical long format (:func:`make_long`, :func:`validate_long`).
:mod:`impact.sources._files`
    Missing, empty, truncated or corrupt files (:func:`check_nonempty`,
    :func:`check_parquet`, :func:`check_zip`).
:mod:`impact.sources._text`
    Encoding, separator and header detection (:func:`read_csv_table`),
    required columns and duplicated rows.
:mod:`impact.sources._numbers`
    French numbers and markers of unpublished values (:func:`parse_numbers`).
:mod:`impact.sources._periods`
    Periods in labels (:func:`find_period`) and :func:`melt_wide`.

The canonical long format (columns, levels, periods, statuses) is described
once, in :mod:`impact.sources._long`.

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

from impact.sources._files import check_nonempty, check_parquet, check_zip
from impact.sources._long import (
    LEVELS,
    LONG_COLUMNS,
    LONG_KEYS,
    STATUS_VALUES,
    empty_long,
    long_schema,
    make_long,
    validate_long,
)
from impact.sources._numbers import (
    MISSING_MARKERS,
    SECRET_MARKERS,
    check_range,
    parse_number,
    parse_numbers,
)
from impact.sources._periods import find_period, melt_wide, parse_period
from impact.sources._text import (
    check_columns,
    decode_text,
    detect_encoding,
    detect_separator,
    normalize_label,
    read_csv_table,
    read_text_sample,
    report_duplicates,
)

__all__ = [
    "LEVELS", "LONG_COLUMNS", "LONG_KEYS", "MISSING_MARKERS", "SECRET_MARKERS", "STATUS_VALUES",
    "check_columns", "check_nonempty", "check_parquet", "check_range", "check_zip",
    "decode_text", "detect_encoding", "detect_separator", "empty_long", "find_period",
    "long_schema", "make_long", "melt_wide", "normalize_label", "parse_number", "parse_numbers",
    "parse_period", "read_csv_table", "read_text_sample", "report_duplicates", "validate_long",
]
