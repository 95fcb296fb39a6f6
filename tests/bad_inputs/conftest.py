"""The bad-input corpus: every case asserts the library's own error, its message (file, line,
column, value where they apply) and that nothing was written or replaced; or, for odd but
legitimate input, that the result is right and the oddity reported. Helpers: ``_corpus.py``."""

from __future__ import annotations

import sys
from pathlib import Path

# Under --doctest-modules this file would be collected a second time as a module named
# `conftest` and clash with the other conftest.py files: it holds no examples.
collect_ignore = ["conftest.py"]

# The estimator simulation helpers live with the estimator tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "estimate"))
