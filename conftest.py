"""Configuration shared by the test suite and the docstring examples.

Examples in ``src/impact`` run under ``pytest --doctest-modules`` (see
``pyproject.toml``); they see ``np``, ``pd`` and ``impact`` already imported,
and, like the tests, never write to the user's ``data/processed``.
"""

from __future__ import annotations

import os
import tempfile

import pytest

if "IMPACT_DATA_DIR" not in os.environ:
    os.environ["IMPACT_DATA_DIR"] = tempfile.mkdtemp(prefix="impact-tests-")
# Matplotlib must not try to open windows in CI.
os.environ.setdefault("MPLBACKEND", "Agg")

# The jupytext twins of the notebooks are scripts, not modules with examples: importing
# one would run the whole notebook. The notebooks themselves are collected by nbval.
collect_ignore_glob = ["notebooks/*.py", "benchmarks/*", "scripts/*", "docs/*"]


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace: dict) -> None:
    import numpy as np
    import pandas as pd

    import impact

    doctest_namespace.update(np=np, pd=pd, impact=impact)
    # Wide frames print on one line, as a reader of the docs sees them in a notebook.
    pd.set_option("display.width", 100)
