"""Data-quality summaries of the long table."""

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError
from impact.quality import (
    compare_with_published,
    coverage,
    national_series,
    published_totals,
    quality_table,
    sources_used,
    status_table,
)


@pytest.fixture
def long():
    rows = []
    for code in ["01001", "01002", "2A004"]:
        for year in (2014, 2015):
            rows.append((code, "commune", 2025, str(year), "creations_total", 10.0, "observed", "demo"))
            rows.append((code, "commune", 2025, str(year), "creations_tpe", 9.0, "observed", "demo"))
    rows.append(("74", "departement", 2025, "2015Q1", "unemployment_rate", np.nan, "secret", "insee"))
    rows.append(("74", "departement", 2025, "2015Q2", "unemployment_rate", 7.5, "observed", "insee"))
    return pd.DataFrame(rows, columns=["territory_code", "level", "cog_year", "period", "indicator",
                                       "value", "status", "source"])


def test_national_series_and_published_comparison(long, tmp_path):
    series = national_series(long, ["creations_total", "creations_tpe"])
    assert series.loc[2015, "creations_total"] == 30.0
    pub = tmp_path / "pub.csv"
    pub.write_text("year,indicator,value,source\n2015,creations_total,40,x\n2011,creations_total,5,y\n")
    cmp = compare_with_published(series, published_totals(pub))
    row = cmp.set_index("year").loc[2015]
    assert row["gap_pct"] == pytest.approx(-25.0)
    assert np.isnan(cmp.set_index("year").loc[2011, "panel"])


def test_published_totals_shipped_file_has_sources():
    pub = published_totals()
    assert {2011, 2014, 2015, 2020} <= set(pub["year"])
    assert pub.loc[(pub["year"] == 2015) & (pub["indicator"] == "creations_total"), "value"].item() == 525091
    assert pub["source"].str.len().gt(10).all()


def test_status_coverage_and_quality(long):
    st = status_table(long).loc["unemployment_rate"]
    assert st["secret"] == 1 and st["observed"] == 1 and st["share_not_observed"] == 0.5
    cov = coverage(long)
    assert cov.loc["creations_total", 2014] == 3
    assert cov.loc["unemployment_rate", 2015] == 1  # the secret value is not coverage
    q = quality_table(pd.concat([long, long.iloc[:1]])).set_index("indicator")
    assert q.loc["creations_total", "duplicated_rows"] == 2
    assert q.loc["creations_tpe", "duplicated_rows"] == 0
    src = sources_used(long).set_index("source")
    assert src.loc["demo", "rows"] == 12 and src.loc["insee", "levels"] == "departement"


def test_missing_indicator_is_a_clear_error(long):
    with pytest.raises(InputError, match="no \\['creations_ess'\\] rows"):
        national_series(long, ["creations_ess"])
