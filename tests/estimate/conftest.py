"""Fixtures of the estimator tests: a simulated staggered panel and mpdta."""

from __future__ import annotations

import pandas as pd
import pytest
from did_sim import simulate_staggered

from references import read_reference


@pytest.fixture(scope="session")
def staggered():
    return simulate_staggered(seed=1, with_covariate=True)


@pytest.fixture(scope="session")
def mpdta() -> pd.DataFrame:
    """R did's mpdta, committed in tests/data/reference (never skipped)."""
    return read_reference("mpdta.csv")
