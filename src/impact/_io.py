"""Small I/O helpers shared by the library: atomic writes, checksums, inputs read.

Outputs are always written to a temporary file in the destination folder and
renamed into place, so an interrupted run never leaves a half-written file
that a later run would mistake for a complete one. Several files that belong
together (the long table and the panel) are committed together or not at all
(:func:`atomic_files`). Folders are created with the user's umask, like any
file the user writes, so that a shared report tree is readable by colleagues.

Temporary files and folders are hidden (``.name.partial-<pid>-<random>``); a
process that is killed cannot remove them, so :func:`clean_partials` removes
those whose process is gone.

Inputs read
-----------
Every reader of :mod:`impact.sources` calls :func:`record_input` on the files
it opens. The paths are kept in a per-process registry (:func:`inputs_read`)
and, when the environment variable ``IMPACT_INPUTS_LOG`` names a file (the
report runner sets it for the notebook kernels), appended to it as JSON lines,
so that the runner can record the checksums of what each run read. A relative
``IMPACT_INPUTS_LOG`` is resolved against the working directory at import
time, which for a report run is its own run folder.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from impact.errors import OutputError

logger = logging.getLogger(__name__)

#: Marker in the names of temporary files and folders (see :func:`clean_partials`).
PARTIAL = ".partial-"
INPUTS_LOG_ENV = "IMPACT_INPUTS_LOG"
_log_env = os.environ.get(INPUTS_LOG_ENV)
_INPUTS_LOG: Path | None = Path(_log_env).resolve() if _log_env else None
_INPUTS: dict[str, None] = {}


def current_umask() -> int:
    """The process umask (read without changing it for more than an instant).

    Examples
    --------
    >>> mask = current_umask()
    >>> 0 <= mask <= 0o777 and current_umask() == mask  # reading it leaves it as it was
    True
    """
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _partial_name(name: str) -> str:
    return f".{name}{PARTIAL}{os.getpid()}-{secrets.token_hex(4)}"


def _is_partial_of(candidate: str, name: str | None = None) -> bool:
    return candidate.startswith(".") and PARTIAL in candidate and (
        name is None or candidate.startswith(f".{name}{PARTIAL}"))


def check_writable(folder: str | Path, *, what: str = "output folder") -> Path:
    """Check that ``folder`` can be created and written to, before any computation.

    Nothing is left behind: a probe folder is created and removed in the
    folder, or in its nearest existing parent when it does not exist yet (the
    folder itself is created only when the outputs are written).

    Raises
    ------
    OutputError
        Naming the folder, what is wrong and how to fix it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = check_writable(Path(tmp) / "reports" / "2024")
    ...     print(folder.relative_to(tmp).as_posix(), folder.exists(), os.listdir(tmp))
    reports/2024 False []
    """
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == folder else f"is inside {existing}, which is a file"
        raise OutputError(f"cannot write to the {what}: it {where}, not a folder; give a folder "
                          "path", path=folder)
    try:
        probe = tempfile.mkdtemp(prefix=_partial_name("write-probe"), dir=existing)
        os.rmdir(probe)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise OutputError(
            f"cannot write to the {what} ({reason} in {existing}); choose a folder you can write "
            "to or change its permissions", path=folder) from exc
    return folder


@contextlib.contextmanager
def atomic_path(target: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it to ``target`` on success.

    On error the temporary file is removed and ``target`` is left untouched.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "panel.csv"
    ...     with atomic_path(target) as tmp:
    ...         _ = tmp.write_text("territory_code,year\\n29,2015\\n")
    ...         print(target.exists())  # not in place until the block ends
    ...     print(target.read_text().splitlines()[1])
    ...     try:
    ...         with atomic_path(target) as tmp:
    ...             _ = tmp.write_text("half a file")
    ...             raise OSError("disk full")
    ...     except OSError:
    ...         pass
    ...     print(target.read_text().splitlines()[1], os.listdir(folder))  # untouched
    False
    29,2015
    29,2015 ['panel.csv']
    """
    with atomic_files([target], suffixes=[suffix]) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_files(targets: Sequence[str | Path], *, suffixes: Sequence[str | None] | None = None
                 ) -> Iterator[list[Path]]:
    """Yield temporary paths for several files; put them all in place, or none.

    The files are written under hidden temporary names. On success every
    existing target is first moved aside, then each new file is renamed into
    place; if a rename fails (disk full, permissions, a file locked by
    another program), the files already renamed are removed and the former
    targets restored, so the folder holds either all the new files or all the
    old ones. On error inside the block nothing is renamed.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     targets = [Path(folder) / "long.csv", Path(folder) / "panel.csv"]
    ...     with atomic_files(targets) as (long_tmp, panel_tmp):
    ...         _ = long_tmp.write_text("long")
    ...         _ = panel_tmp.write_text("panel")
    ...     print(sorted(os.listdir(folder)), targets[1].read_text())
    ['long.csv', 'panel.csv'] panel
    """
    paths = [Path(t) for t in targets]
    suffixes = list(suffixes or [None] * len(paths))
    tmps: list[Path] = []
    try:
        for t, suf in zip(paths, suffixes, strict=True):
            t.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=_partial_name(t.name), suffix=suf or ".tmp",
                                        dir=t.parent)
            os.close(fd)
            tmps.append(Path(name))
        yield tmps
        mode = 0o666 & ~current_umask()  # mkstemp creates 0600 files
        for tmp in tmps:
            os.chmod(tmp, mode)
        _commit(list(zip(tmps, paths, strict=True)))
    except BaseException:
        for tmp in tmps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise


def _commit(pairs: list[tuple[Path, Path]]) -> None:
    """Rename each temporary file onto its target, all or nothing."""
    backups: list[tuple[Path, Path]] = []  # (backup, target)
    done: list[Path] = []
    try:
        for _, target in pairs:
            if target.exists():
                backup = target.with_name(_partial_name(target.name) + ".old")
                os.replace(target, backup)
                backups.append((backup, target))
        for tmp, target in pairs:
            os.replace(tmp, target)
            done.append(target)
    except BaseException:
        for target in done:
            with contextlib.suppress(OSError):
                target.unlink()
        for backup, target in backups:
            with contextlib.suppress(OSError):
                os.replace(backup, target)
        raise
    for backup, _ in backups:
        with contextlib.suppress(OSError):
            backup.unlink()


def partial_dir(target: str | Path) -> Path:
    """A new hidden, empty folder next to ``target``, with the user's umask.

    Commit it with :func:`commit_dir`; if the process dies first,
    :func:`clean_partials` removes it later.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     tmp = partial_dir(Path(folder) / "run-1")
    ...     print(tmp.name.startswith(".run-1.partial-"), tmp.is_dir(), list(tmp.iterdir()))
    True True []
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_partial_name(target.name), dir=target.parent))
    # mkdtemp makes 0700 folders: a report tree shared with colleagues would be unreadable.
    os.chmod(tmp, 0o777 & ~current_umask())
    return tmp


def commit_dir(tmp: Path, target: str | Path, *, retries: int = 5) -> Path:
    """Rename the complete folder ``tmp`` to ``target``, replacing an existing one.

    When another process commits the same target at the same moment, the last
    complete folder wins and no "Directory not empty" error escapes.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "run-1"
    ...     for version in ("first", "second"):
    ...         tmp = partial_dir(target)
    ...         _ = (tmp / "report.html").write_text(version)
    ...         _ = commit_dir(tmp, target)
    ...     print((target / "report.html").read_text(), os.listdir(folder))
    second ['run-1']
    """
    target = Path(target)
    for attempt in range(retries):
        old = None
        try:
            if target.exists():
                old = target.with_name(_partial_name(target.name) + ".old")
                os.replace(target, old)
            os.replace(tmp, target)
        except FileNotFoundError:
            # Another process moved ``target`` away between exists() and replace().
            if attempt == retries - 1:
                raise
            continue
        except OSError as exc:
            # ENOTEMPTY/EEXIST: another process committed ``target`` in between.
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == retries - 1:
                if old is not None and not target.exists():
                    with contextlib.suppress(OSError):
                        os.replace(old, target)
                raise
            time.sleep(0.01 * (attempt + 1))
            continue
        finally:
            if old is not None and old.exists():
                shutil.rmtree(old, ignore_errors=True)
        return target
    return target  # pragma: no cover - the loop returns or raises


@contextlib.contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder next to ``target``; rename it to ``target`` on success.

    An existing ``target`` is replaced only once the new folder is complete
    (see :func:`partial_dir` and :func:`commit_dir`); on error it is left
    untouched and the temporary folder removed.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with atomic_dir(Path(folder) / "demo") as tmp:
    ...         _ = (tmp / "manifest.json").write_text("{}")
    ...     print(os.listdir(Path(folder) / "demo"))
    ['manifest.json']
    """
    tmp = partial_dir(target)
    try:
        yield tmp
        commit_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_partials(folder: str | Path, *, max_age: float = 24 * 3600) -> list[Path]:
    """Remove temporary files and folders left in ``folder`` by killed processes.

    A partial entry is removed when the process that created it (its id is in
    the name) no longer runs on this machine, or when it is older than
    ``max_age`` seconds (a process id may have been reused). Returns what was
    removed (each logged).

    Examples
    --------
    A partial file of this (running) process is kept unless it is too old:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     tmp = partial_dir(Path(folder) / "run-1")
    ...     kept = clean_partials(folder)
    ...     removed = clean_partials(folder, max_age=-1)
    ...     print(kept, removed == [tmp], tmp.exists())
    [] True False
    """
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for entry in folder.iterdir():
        if not _is_partial_of(entry.name):
            continue
        pid_text = entry.name.split(PARTIAL, 1)[1].split("-", 1)[0]
        try:
            alive = _pid_alive(int(pid_text))
            age = now - entry.lstat().st_mtime
        except (ValueError, OSError):
            continue
        if alive and age < max_age:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        logger.info("removed %s, left by an interrupted run", entry)
        removed.append(entry)
    return removed


def sha256(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (files may be several GB).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "empty.txt"
    ...     path.touch()
    ...     print(sha256(path))
    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def record_input(path: str | Path) -> None:
    """Note that the library read ``path`` (see "Inputs read" in the module docstring).

    Examples
    --------
    >>> record_input("data/raw/ptce.csv")
    >>> str(Path("data/raw/ptce.csv").resolve()) in inputs_read()
    True
    """
    p = str(Path(path).resolve())
    if p in _INPUTS:
        return
    _INPUTS[p] = None
    if _INPUTS_LOG is not None:
        try:
            with open(_INPUTS_LOG, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"path": p}) + "\n")
        except OSError as exc:  # provenance must not break an analysis
            logger.warning("could not record input %s in %s: %s", p, _INPUTS_LOG, exc)


def inputs_read() -> list[str]:
    """Files read by the library in this process, in the order first read.

    Examples
    --------
    >>> from impact.sources import side
    >>> _ = side.read()
    >>> any("side" in Path(p).as_posix() for p in inputs_read())  # the shipped INSEE files
    True
    """
    return list(_INPUTS)


def read_inputs_log(path: str | Path) -> list[str]:
    """Paths listed in an inputs log written by :func:`record_input` (order kept, no repeats).

    Lines that are not such records are skipped; a missing log lists nothing.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     log = Path(folder) / ".impact-inputs.jsonl"
    ...     lines = ['{"path": "/a.csv"}', '{"path": "/b.csv"}', "not json", '{"path": "/a.csv"}']
    ...     _ = log.write_text("\\n".join(lines))
    ...     print(read_inputs_log(log), read_inputs_log(Path(folder) / "none.jsonl"))
    ['/a.csv', '/b.csv'] []
    """
    out: dict[str, None] = {}
    path = Path(path)
    if not path.exists():
        return []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            out[json.loads(line)["path"]] = None
    return list(out)
