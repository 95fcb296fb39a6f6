"""Opening files safely: missing, empty, unreadable, truncated Parquet and corrupt zip files.

Every reader calls :func:`check_nonempty` first on each file it opens (which also
records the file for provenance). Re-exported by :mod:`impact.sources._common`.
"""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path

from impact.errors import InputError


def check_nonempty(path: Path) -> None:
    """Raise a clear error for a missing or empty file; record it as an input read.

    Every reader calls this first on each file it opens, so it is also where
    the files read are recorded for provenance (:func:`impact._io.record_input`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> check_nonempty(Path(tempfile.mkdtemp()) / "creations.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: .../creations.csv: file not found
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


def check_parquet(path: str | Path) -> None:
    """Raise a clear error when ``path`` is not a complete Parquet file.

    A complete Parquet file starts and ends with the magic bytes ``PAR1``; an
    interrupted download lacks the footer.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "counts.parquet"
    >>> pd.DataFrame({"n": [1, 2]}).to_parquet(path)
    >>> check_parquet(path)  # complete: nothing happens
    >>> _ = path.write_bytes(path.read_bytes()[:-10])  # an interrupted download
    >>> check_parquet(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: .../counts.parquet: the Parquet file is truncated (no footer): ...
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
    """Return the member names of a zip archive; raise a clear error when it is corrupt.

    Examples
    --------
    >>> import tempfile
    >>> import zipfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "archive.zip"
    >>> with zipfile.ZipFile(path, "w") as zf:
    ...     zf.writestr("data.csv", "a;b\\n1;2\\n")
    >>> check_zip(path)
    ['data.csv']
    """
    path = Path(path)
    check_nonempty(path)
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError(f"the zip archive is corrupt or truncated ({exc}); download it again",
                         path=path) from exc
