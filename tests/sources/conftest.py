"""Fixtures for the source-reader tests: paths to the sample files in their official layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

# Under --doctest-modules this file would be collected a second time as a module named
# `conftest` and clash with the other conftest.py files: it holds no examples.
collect_ignore = ["conftest.py"]

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def sirene_csv() -> tuple[Path, Path]:
    return DATA / "StockUniteLegale_sample.csv", DATA / "StockEtablissement_sample.csv"
