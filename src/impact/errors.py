"""Exceptions raised by :mod:`impact`.

Every error about user input names *where* the problem is (file, line or
column) and *what* was expected, so that an analyst can fix the file without
reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


class ImpactError(Exception):
    """Base class of every error raised on purpose by the library.

    Examples
    --------
    >>> issubclass(InputError, ImpactError), issubclass(MissingDependencyError, ImpactError)
    (True, True)
    """


class InputError(ImpactError, ValueError):
    """A file or a frame given by the user does not have the expected form.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    path
        The file concerned, if any.
    line
        1-based line number in the file (header is line 1), if known.
    column
        Column name, if relevant.
    value
        The offending value, if any (kept as an attribute; the message shows it).

    Examples
    --------
    >>> err = InputError("expected a number of euros", path="spending.csv", line=12,
    ...                  column="euros", value="12k")
    >>> print(err)
    spending.csv, line 12, column 'euros': expected a number of euros
    >>> err.line, err.value
    (12, '12k')
    >>> isinstance(err, ValueError)  # code catching ValueError keeps working
    True
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.column = column
        self.value = value
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnknownCodeError(InputError):
    """Territory codes that do not exist in the reference geography.

    Examples
    --------
    >>> err = UnknownCodeError(["99", "2C", "99"], "departement", column="territory_code")
    >>> print(err)
    column 'territory_code': 2 unknown departement code(s): '2C', '99'
    >>> err.codes
    ['2C', '99']
    """

    def __init__(self, codes: Iterable[str], level: str, **kwargs: Any) -> None:
        unique = sorted({str(c) for c in codes})
        self.codes = unique
        self.level = level
        shown = ", ".join(repr(c) for c in unique[:20])
        more = f" (and {len(unique) - 20} more)" if len(unique) > 20 else ""
        super().__init__(f"{len(unique)} unknown {level} code(s): {shown}{more}", **kwargs)


class InvalidValueError(InputError):
    """A value that cannot be right: not finite, negative, or outside its range.

    Raised by the readers with file, line, column and the value, so that a
    wrong number never reaches a panel or an estimate.

    Examples
    --------
    >>> raise InvalidValueError("negative count", path="creations.csv", line=3,
    ...                         column="value", value=-2.0)
    Traceback (most recent call last):
    ...
    impact.errors.InvalidValueError: creations.csv, line 3, column 'value': negative count
    """


class GridError(InputError):
    """A report grid file (YAML/TOML) or grid option of the wrong shape.

    ``key`` names the place in the file (``parameters``, ``runs[2].level``).

    Examples
    --------
    >>> err = GridError("the list of values is empty", path="grid.yaml", line=4,
    ...                 key="parameters.level")
    >>> print(err)
    grid.yaml, line 4, key 'parameters.level': the list of values is empty
    """

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None,
                 key: str | None = None, value: object = None) -> None:
        super().__init__(message, path=path, line=line, value=value)
        self.key = key
        if key is not None:
            where = [str(self.path)] if self.path is not None else []
            where += [f"line {line}"] if line is not None else []
            where.append(f"key {key!r}")
            self.args = (f"{', '.join(where)}: {message}",)


class OutputError(InputError):
    """An output location that cannot be written (checked before any computation).

    Examples
    --------
    >>> import tempfile
    >>> from impact._io import check_writable
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     check_writable(f.name)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.OutputError: ...: cannot write to the output folder: it is a file,
    not a folder; give a folder path
    """


class NothingToEstimateError(InputError):
    """The data leave nothing to estimate (no post-treatment period, no permutation...).

    Examples
    --------
    >>> try:
    ...     raise NothingToEstimateError("no treated territory is observed after 2017")
    ... except InputError as exc:  # the estimators' callers catch input errors as a whole
    ...     print(type(exc).__name__, "-", exc)
    NothingToEstimateError - no treated territory is observed after 2017
    """


class MissingDependencyError(ImpactError, ImportError):
    """An optional package needed for this feature is not installed.

    Examples
    --------
    >>> try:
    ...     raise MissingDependencyError("interactive maps need folium: pip install folium")
    ... except ImportError as exc:
    ...     print(exc)
    interactive maps need folium: pip install folium
    """
