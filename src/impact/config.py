"""Where the library reads and writes: data folders and caches.

The defaults follow the project layout (``data/raw``, ``data/processed`` under
the current working directory's project root). Each can be overridden with an
environment variable, which is how tests and scheduled runs isolate their
outputs:

``IMPACT_DATA_DIR``
    Folder holding ``raw/`` and ``processed/`` (default: ``<project>/data``).
``IMPACT_CACHE_DIR``
    Download cache for :func:`impact.sources` ``fetch()`` (default: the
    operating system's user cache folder, via :mod:`pooch`).
"""

from __future__ import annotations

import os
from pathlib import Path

#: Root of the source checkout when the package is installed in editable mode.
PACKAGE_ROOT = Path(__file__).resolve().parent
_CHECKOUT_ROOT = PACKAGE_ROOT.parent.parent


def project_root() -> Path:
    """The project folder: the checkout when it exists, else the working directory.

    Examples
    --------
    >>> (project_root() / "pyproject.toml").exists()
    True
    """
    if (_CHECKOUT_ROOT / "pyproject.toml").exists() and (_CHECKOUT_ROOT / "data").is_dir():
        return _CHECKOUT_ROOT
    return Path.cwd()


def data_dir() -> Path:
    """Folder with ``raw/`` and ``processed/``; ``$IMPACT_DATA_DIR`` overrides it.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"IMPACT_DATA_DIR": "/srv/impact-data"}):
    ...     print(data_dir().as_posix())
    /srv/impact-data
    """
    env = os.environ.get("IMPACT_DATA_DIR")
    return Path(env) if env else project_root() / "data"


def raw_dir() -> Path:
    """Small inputs that belong to the project (PTCE registry, spending table).

    ``$IMPACT_RAW_DIR`` overrides it; ``$IMPACT_DATA_DIR`` does not (the shipped
    registry stays readable when outputs are redirected).

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"IMPACT_DATA_DIR": "/elsewhere"}):
    ...     os.environ.pop("IMPACT_RAW_DIR", None)  # doctest: +ELLIPSIS
    ...     (raw_dir() / "ptce.csv").exists()
    ...
    True
    """
    # The shipped registry lives in the checkout even when outputs are redirected.
    env = os.environ.get("IMPACT_RAW_DIR")
    return Path(env) if env else project_root() / "data" / "raw"


def processed_dir() -> Path:
    """Generated files (panels, cached boundaries); never committed. Created if missing.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with mock.patch.dict(os.environ, {"IMPACT_DATA_DIR": tmp}):
    ...         folder = processed_dir()
    ...     print(folder.relative_to(tmp).as_posix(), folder.is_dir())
    processed True
    """
    path = data_dir() / "processed"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Download cache; ``$IMPACT_CACHE_DIR`` overrides the per-user default.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"IMPACT_CACHE_DIR": "/tmp/impact-cache"}):
    ...     print(cache_dir().as_posix())
    /tmp/impact-cache
    """
    env = os.environ.get("IMPACT_CACHE_DIR")
    if env:
        return Path(env)
    import pooch

    return Path(pooch.os_cache("impact"))
