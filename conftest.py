"""Configuration shared by the test suite and the docstring examples.

Examples in ``src/impact`` run under ``pytest --doctest-modules`` (see
``pyproject.toml``); they see ``np``, ``pd`` and ``impact`` already imported,
and, like the tests, never write to the user's ``data/processed``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

if "IMPACT_DATA_DIR" not in os.environ:
    # Made once by the process that starts pytest; xdist workers and kernels inherit it.
    os.environ["IMPACT_DATA_DIR"] = tempfile.mkdtemp(prefix="impact-tests-")
    atexit.register(shutil.rmtree, os.environ["IMPACT_DATA_DIR"], ignore_errors=True)
# Matplotlib must not try to open windows in CI.
os.environ.setdefault("MPLBACKEND", "Agg")
if "IPYTHONDIR" not in os.environ:
    # The kernels started by nbval, papermill and JupyterLab (several at once under
    # pytest-xdist) keep their history in memory, in a profile of their own, instead of
    # contending for the user's ~/.ipython/profile_default/history.sqlite.
    _ipython = tempfile.mkdtemp(prefix="impact-ipython-")
    os.makedirs(os.path.join(_ipython, "profile_default"))
    with open(os.path.join(_ipython, "profile_default", "ipython_kernel_config.py"), "w") as _f:
        _f.write('c.HistoryManager.hist_file = ":memory:"\n')
    os.environ["IPYTHONDIR"] = _ipython
    atexit.register(shutil.rmtree, _ipython, ignore_errors=True)

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
