"""Fixtures for the source-reader tests: paths to the sample files in their official layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def sirene_csv() -> tuple[Path, Path]:
    return DATA / "StockUniteLegale_sample.csv", DATA / "StockEtablissement_sample.csv"
