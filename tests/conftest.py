"""Shared test configuration.

Tests never touch the user's ``data/processed``: unless ``IMPACT_DATA_DIR`` is
already set, every session writes its generated files (geography caches, demo
data, panels) under a fresh temporary folder.

What the estimator tests compare with comes from ``tests/references.py``
(re-exported here): ``peer("csdid")`` imports a Python peer of the test extra
(a missing peer fails under ``CI=true`` and skips, with the reason, elsewhere),
and ``read_reference("mpdta.csv")`` reads the reference data, R outputs and
published numbers committed in ``tests/data/reference/`` (never skipped).
Test modules import them with ``from references import peer, read_reference``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from references import REFERENCE_DIR, in_ci, peer, read_reference, reference_path

__all__ = ["REFERENCE_DIR", "in_ci", "peer", "read_reference", "reference_path"]

REPO_ROOT = Path(__file__).resolve().parents[1]

# IMPACT_DATA_DIR and MPLBACKEND are set by the root conftest.py (shared with the doctests).


def shared_data_dir() -> Path:
    """``../shared/data`` next to the checkout (or ``$IMPACT_SHARED_DATA``)."""
    env = os.environ.get("IMPACT_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder ``../shared/data`` (real French files staged for the sources tests); tests
    using it skip when it is absent. The estimator reference data are committed in
    ``tests/data/reference`` instead (``read_reference``)."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"reference data folder {path} is absent")
    return path


# Toy notebooks used by the report-runner tests are inputs, not notebooks to validate.
# conftest files configure tests: collected as doctest modules (--doctest-modules) they would
# clash by name. pytest reads the nearest conftest's list only, so the patterns live here.
collect_ignore_glob = [
    "reports/notebooks/*", "**/.ipynb_checkpoints/*", "conftest.py", "*/conftest.py",
]
