"""What the estimator tests compare with: committed reference data and Python peers.

Imported by test modules (``from references import peer, read_reference``) and
re-exported by ``tests/conftest.py``. It is a module of its own because a
``conftest.py`` cannot be imported by name from the test modules of a subfolder
(pytest imports every ``conftest.py`` under the same module name).

- Reference data sets and the R outputs and published numbers the tests
  compare with live in ``tests/data/reference/`` (see its README for origin,
  version and licence of each file). They are part of the repository: a
  missing file is an error, never a reason to skip.
- Python peers (csdid, differences, pyfixest, moderndid, wildboottest,
  diff-diff) are installed by the ``test`` extra. Under ``CI=true`` a missing
  peer fails the test; outside CI the test skips and says how to install it.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

REFERENCE_DIR = Path(__file__).resolve().parent / "data" / "reference"

# Import name -> distribution name in the `test` extra of pyproject.toml.
PEERS = {
    "csdid": "csdid",
    "differences": "differences",
    "pyfixest": "pyfixest",
    "moderndid": "moderndid[didhonest]",
    "wildboottest": "wildboottest",
    "diff_diff": "diff-diff",
}


def in_ci() -> bool:
    """Whether the tests run in CI (``CI`` set to ``true``/``1``/``yes``)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def peer(module: str) -> ModuleType:
    """Import a Python peer the tests compare with; required in CI.

    Parameters
    ----------
    module
        Import path, e.g. ``"csdid.att_gt"`` or ``"wildboottest.wildboottest"``.
        Its top-level package must be one of :data:`PEERS`.

    Returns
    -------
    The imported module. When it cannot be imported, the calling test (or the
    whole test module, when called at module level) fails under ``CI=true`` and
    skips otherwise, with the reason and the install command.
    """
    top = module.split(".")[0]
    if top not in PEERS:
        raise ValueError(f"{top!r} is not a declared peer; expected one of {sorted(PEERS)}")
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        reason = (
            f"peer {module!r} cannot be imported ({exc}); it is in the test extra: "
            f"pip install -e '.[test]' (or pip install '{PEERS[top]}')"
        )
        if in_ci():
            pytest.fail(f"{reason}. CI=true requires every peer.", pytrace=False)
        pytest.skip(f"{reason}. Skipped outside CI only.", allow_module_level=True)


def reference_path(name: str) -> Path:
    """Path of a committed reference file; a missing file is an error, not a skip."""
    path = REFERENCE_DIR / name
    if not path.is_file():
        raise FileNotFoundError(
            f"reference file {path} is missing: it is committed with the tests "
            f"(see {REFERENCE_DIR / 'README.md'})"
        )
    return path


def read_reference(name: str, **read_csv: Any) -> pd.DataFrame:
    """Read a committed reference CSV (keyword arguments go to :func:`pandas.read_csv`)."""
    return pd.read_csv(reference_path(name), **read_csv)
