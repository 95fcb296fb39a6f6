"""harmonize() through mergers and aggregate() with re-derived rates."""

import pandas as pd
import pytest

from impact import territories as T
from impact.errors import InputError, UnknownCodeError

# Annecy (74010) merged on 1 January 2017 with Annecy-le-Vieux, Cran-Gevrier,
# Meythet, Pringy and Seynod, which survive as communes déléguées.
ANNECY_FORMER = ["74011", "74093", "74182", "74217", "74268"]


def test_annecy_former_communes_map_to_annecy():
    mapping = T.commune_mapping()
    for code in ["74010", *ANNECY_FORMER]:
        assert mapping[code] == "74010"


def test_harmonize_sums_counts_of_merged_communes():
    df = pd.DataFrame({
        "territory_code": ["74010", "74011", 74093, "74182", "2A004", "75101", "75102"],
        "period": ["2014"] * 7,
        "creations": [10.0, 1.0, 2.0, 3.0, 5.0, 7.0, 8.0],
    })
    out = T.harmonize(df, "territory_code", counts=["creations"])
    got = out.set_index("territory_code")["creations"]
    assert got["74010"] == 16.0
    assert got["2A004"] == 5.0
    assert got["75056"] == 15.0  # arrondissements summed into Paris
    assert len(out) == 3
    assert out.attrs["harmonize"]["unplaced"] == {}


def test_harmonize_without_counts_only_recodes():
    df = pd.DataFrame({"code": ["74182", "01001"], "x": [1, 2]})
    out = T.harmonize(df, "code")
    assert out["code"].tolist() == ["74010", "01001"]
    assert out["x"].tolist() == [1, 2]


def test_harmonize_reports_unplaced_codes(caplog):
    df = pd.DataFrame({"code": ["74182", "99999", "99999"], "n": [1.0, 2.0, 3.0]})
    out = T.harmonize(df, "code", counts=["n"])
    assert "99999" in out["code"].tolist()  # kept, not silently dropped
    assert out.attrs["harmonize"]["unplaced"] == {"99999": 2}
    assert "'99999' (2 rows)" in caplog.text
    dropped = T.harmonize(df, "code", counts=["n"], errors="drop")
    assert dropped["code"].tolist() == ["74010"]
    with pytest.raises(UnknownCodeError, match="99999"):
        T.harmonize(df, "code", errors="raise")


def test_harmonize_keeps_missing_sums_missing():
    df = pd.DataFrame({"code": ["74182", "74011"], "n": [float("nan"), float("nan")]})
    out = T.harmonize(df, "code", counts=["n"])
    assert out["n"].isna().all()


def test_harmonize_bad_arguments():
    df = pd.DataFrame({"code": ["01001"]})
    with pytest.raises(InputError, match="only the current geography"):
        T.harmonize(df, "code", to=2014)
    with pytest.raises(InputError, match="column 'commune' not found"):
        T.harmonize(df, "commune")


def test_aggregate_rates_are_rederived_not_averaged():
    # Two communes of Haute-Savoie: a village and a town with different rates.
    df = pd.DataFrame({
        "territory_code": ["74010", "74001"],
        "creations": [900.0, 1.0],
        "population": [130_000.0, 1_000.0],
    })
    out = T.aggregate(df, "departement", counts=["creations", "population"],
                      rates={"rate": ("creations", "population")}, scale=10_000)
    row = out.set_index("territory_code").loc["74"]
    assert row["rate"] == pytest.approx(10_000 * 901 / 131_000)
    mean_of_rates = (10_000 * 900 / 130_000 + 10_000 * 1 / 1_000) / 2
    assert abs(row["rate"] - mean_of_rates) > 1
    assert (out["level"] == "departement").all()


def test_aggregate_to_every_level_preserves_totals():
    com = T.communes()[["code", "population"]].rename(columns={"code": "territory_code"})
    com["period"] = "2020"
    total = com["population"].sum()
    for level, n in [("epci", 1253), ("departement", 101), ("region", 18), ("france", 1)]:
        out = T.aggregate(com, level, counts=["population"], by=["period"])
        assert len(out) == n
        if level == "epci":  # the four island communes belong to no EPCI
            assert out["population"].sum() < total
        else:
            assert out["population"].sum() == pytest.approx(total)


def test_aggregate_refuses_old_codes():
    df = pd.DataFrame({"territory_code": ["74182"], "n": [1.0]})
    with pytest.raises(InputError, match="harmonise them first"):
        T.aggregate(df, "departement", counts=["n"])


def test_aggregate_zone_emploi_needs_mapping():
    df = pd.DataFrame({"territory_code": ["01001", "01002"], "n": [1.0, 2.0]})
    with pytest.raises(InputError, match="zone d'emploi"):
        T.aggregate(df, "zone_emploi", counts=["n"])
    mapping = pd.Series({"01001": "8401", "01002": "8401"})
    out = T.aggregate(df, "zone_emploi", counts=["n"], mapping=mapping)
    assert out["n"].tolist() == [3.0]


def test_aggregate_empty_frame():
    df = pd.DataFrame({"territory_code": pd.Series([], dtype="string"),
                       "n": pd.Series([], dtype=float)})
    out = T.aggregate(df, "region", counts=["n"])
    assert len(out) == 0 and list(out.columns) == ["territory_code", "level", "n"]
