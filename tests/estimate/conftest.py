"""Fixtures of the estimator tests: a simulated staggered panel and mpdta."""

from __future__ import annotations

import pandas as pd
import pytest
from did_sim import simulate_staggered


@pytest.fixture(scope="session")
def staggered():
    return simulate_staggered(seed=1, with_covariate=True)


@pytest.fixture(scope="session")
def mpdta(shared_data):
    path = shared_data / "mpdta.csv"
    if not path.exists():
        pytest.skip("mpdta.csv is absent from the shared reference data")
    return pd.read_csv(path)
