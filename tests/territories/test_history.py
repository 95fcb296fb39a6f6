"""INSEE's commune history: the table of passage, and harmonize/normalize_code by vintage.

Every code below is taken from INSEE's events table (v_mvt_commune_2025) and
checked against what that table says happened, not against this code's output.
"""

import logging

import numpy as np
import pandas as pd
import pytest

from impact import territories as T
from impact.errors import InputError, UnknownCodeError
from impact.territories import history as H

# INSEE's published number of communes on 1 January (France, 101 départements).
INSEE_COMMUNE_COUNTS = {
    2015: 36_658, 2016: 35_885, 2017: 35_416, 2018: 35_357, 2019: 34_970, 2020: 34_968,
    2021: 34_965, 2022: 34_955, 2023: 34_945, 2024: 34_935, 2025: 34_875,
}


def dest(code: str, vintage: int | None) -> dict[str, float]:
    p = H.passage(vintage)
    rows = p[p["code"] == code]
    return dict(zip(rows["code_2025"], rows["weight"], strict=True))


@pytest.mark.parametrize(("year", "n"), sorted(INSEE_COMMUNE_COUNTS.items()))
def test_codes_per_vintage_match_insee_counts(year, n):
    assert len(H.codes_valid(year)) == n


def test_table_is_consistent():
    t = H.passage_table()
    com2025 = set(T.communes()["code"])
    assert set(t["code_2025"]) <= com2025
    # Weights of one code and interval sum to one.
    sums = t.groupby(["code", "first_year"])["weight"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    assert (t["first_year"] <= t["last_year"]).all()
    p2025 = H.passage(2025)
    assert (p2025["code"] == p2025["code_2025"]).all() and set(p2025["code"]) == com2025


def test_merger_commune_nouvelle_mod32():
    # Germagnat (01172) joined Nivigne et Suran (01095) on 2017-01-01.
    assert dest("01172", 2014) == {"01095": 1.0}
    assert dest("01172", 2016) == {"01095": 1.0}
    assert "01172" not in H.codes_valid(2017)


def test_fusion_simple_mod31_and_association_mod33_mod34():
    # Source-Seine (21084) absorbed Saint-Germain-Source-Seine (21551) on 2009-01-01.
    assert dest("21551", 2008) == {"21084": 1.0}
    # Fort-Mardyck (59248) associated to Dunkerque (59183) on 2010-12-09.
    assert dest("59248", 2010) == {"59183": 1.0}
    assert "59248" not in H.codes_valid(2011)
    # 80712 associated to Crouy-Saint-Pierre in 1972, fusion simple (MOD 34) in 2025.
    assert dest("80712", 1970) == {"80229": 1.0}


def test_change_of_departement_mod41():
    # Gernicourt moved from the Aisne (02344) to the Marne (51664) on 2016-12-31,
    # and joined Cormicy (51171) the next day: 51664 was never a commune on a 1 January.
    assert "02344" in H.codes_valid(2016) and "02344" not in H.codes_valid(2017)
    assert H.vintages_of("51664") == []
    assert dest("02344", 2016) == {"51171": 1.0}
    # Han-devant-Pierrepont moved from the Meuse (55227) to Meurthe-et-Moselle (54602) in 1997.
    assert dest("55227", 1996) == {"54602": 1.0}
    assert dest("54602", 1997) == {"54602": 1.0}
    # Malakoff was 75047 in the Seine until 1968; 75047 now means nothing.
    assert dest("75047", 1967) == {"92046": 1.0}
    assert H.vintages_of("75047")[-1] == 1967


def test_chain_of_events_on_one_date():
    # Pont-Farcy 14513 -> 50649 (change of département) -> Tessy-Bocage 50592, both
    # on 2018-01-01: 50649 was never a commune on a 1 January.
    assert dest("14513", 2017) == {"50592": 1.0}
    assert H.vintages_of("50649") == []
    assert H.vintages_of("14513") == list(range(1943, 2018))


def test_retablissement_resolves_to_itself_mod21():
    # L'Oie (85165) joined Essarts-en-Bocage (85084) in 2016 and was restored in 2024.
    assert dest("85165", 2015) == {"85165": 1.0}
    assert dest("85165", 2024) == {"85165": 1.0}
    assert "85165" not in H.codes_valid(2016)
    assert dest("85084", 2015) == {"85084": 1.0}  # Les Essarts before the merger
    assert dest("85084", 2024) == {"85084": 1.0}


def test_split_weights_are_population_shares():
    # Essarts-en-Bocage of 2016-2023 is today 85084, 85165 and 85212.
    pop = T.communes().set_index("code")["population"]
    for year in (2016, 2023):
        d = dest("85084", year)
        assert set(d) == {"85084", "85165", "85212"}
        total = pop[list(d)].sum()
        for code, w in d.items():
            assert w == pytest.approx(pop[code] / total)
    # Neussargues en Pinatelle (15141, 2017-2024) split into five on 2025-01-01.
    d = dest("15141", 2020)
    assert set(d) == {"15031", "15035", "15047", "15141", "15171"}
    assert dest("15141", 2025) == {"15141": 1.0}
    assert dest("15031", 2016) == {"15031": 1.0}  # a member before the merger: restored


def test_creation_mod20_and_suppression_mod30_are_splits():
    # Chamrousse (38567) was created on 1989-02-15 from parts of 38422, 38478, 38529.
    assert set(dest("38422", 1989)) == {"38422", "38567"}
    assert dest("38422", 1990) == {"38422": 1.0}
    # Verdey (51606) was suppressed on 1966-12-12 and shared between three communes.
    assert set(dest("51606", 1966)) == {"51235", "51313", "51369"}


def test_corsica_before_1976():
    assert dest("20004", 1975) == {"2A004": 1.0}
    assert "20004" not in H.codes_valid(1976)
    assert T.normalize_code(["20004"], "commune", vintage=1970).tolist() == ["20004"]
    assert T.normalize_code([20004], "commune", vintage=2014).tolist() == ["2A004"]
    assert T.normalize_code([20004], "commune").tolist() == ["2A004"]  # as before
    df = pd.DataFrame({"c": [20004, "20033", "2B033"], "n": [1.0, 2.0, 3.0]})
    for year in (None, 1970, 2014):
        out = T.harmonize(df, "c", counts=["n"], from_year=year)
        assert out.set_index("c")["n"].to_dict() == {"2A004": 1.0, "2B033": 5.0}
        assert out.attrs["harmonize"]["unplaced"] == {}


def test_normalize_code_accepts_codes_of_their_vintage():
    with pytest.raises(UnknownCodeError, match="1172"):
        T.normalize_code([1172], "commune")  # not a code of COG 2025
    assert T.normalize_code([1172, "75101"], "commune", vintage=2014).tolist() == ["01172", "75101"]
    with pytest.raises(UnknownCodeError, match="not valid on 1 January 2017"):
        T.normalize_code([1172], "commune", vintage=2017)
    with pytest.raises(InputError, match="outside the commune history"):
        T.normalize_code([1172], "commune", vintage=1900)
    with pytest.raises(InputError, match="commune codes only"):
        T.normalize_code(["01"], "departement", vintage=2014)


def test_code_absent_from_every_vintage_is_a_clear_error():
    df = pd.DataFrame({"code": ["01172", "99999"], "n": [1.0, 2.0]})
    with pytest.raises(UnknownCodeError, match="'99999'"):
        T.harmonize(df, "code", counts=["n"], from_year=2014, errors="raise")
    with pytest.raises(UnknownCodeError, match="valid in no year since 1943"):
        T.normalize_code(["99999"], "commune", vintage="any")


def test_harmonize_from_year_merges_and_shares():
    df = pd.DataFrame({
        "code": [1172, "01095", "85084", "75101", "14513"],
        "n": [1.0, 2.0, 100.0, 5.0, 7.0],
    })
    out = T.harmonize(df, "code", counts=["n"], from_year=2017)
    got = out.set_index("code")["n"]
    w = dest("85084", 2017)
    assert got["01095"] == 3.0
    assert got["85165"] == pytest.approx(100 * w["85165"])
    assert got["85084"] == pytest.approx(100 * w["85084"])
    assert got["75056"] == 5.0
    assert got["50592"] == 7.0
    assert out["n"].sum() == pytest.approx(df["n"].sum())
    assert set(out.attrs["harmonize"]["splits"]) == {"85084"}


def test_harmonize_without_from_year_reads_latest_vintage():
    df = pd.DataFrame({"code": ["85084", "01172", "15141"], "n": [10.0, 1.0, 4.0]})
    out = T.harmonize(df, "code", counts=["n"])
    # 85084 and 15141 exist in 2025: read as 2025 codes, no split.
    assert out.set_index("code")["n"].to_dict() == {"01095": 1.0, "15141": 4.0, "85084": 10.0}
    assert out.attrs["harmonize"]["splits"] == {}


def test_harmonize_split_flag_keeps_one_row():
    df = pd.DataFrame({"code": ["85084", "01001"], "n": [10.0, 1.0]})
    out = T.harmonize(df, "code", counts=["n"], from_year=2020, split="flag")
    assert out.set_index("code")["n"].to_dict() == {"01001": 1.0, "85084": 10.0}
    assert out.set_index("code")["split"].to_dict() == {"01001": False, "85084": True}
    assert set(out.attrs["harmonize"]["splits"]["85084"]) == {"85084", "85165", "85212"}
    with_by = T.harmonize(df.assign(period="2020"), "code", counts=["n"], by=["period"],
                          from_year=2020, split="flag")
    assert with_by.set_index("code")["split"].to_dict() == {"01001": False, "85084": True}


def test_harmonize_reports_everything_in_one_warning(caplog):
    df = pd.DataFrame({"code": ["85084", "99999", "85165"], "n": [10.0, 1.0, 2.0]})
    with caplog.at_level(logging.WARNING, logger="impact.territories.harmonize"):
        out = T.harmonize(df, "code", counts=["n"], from_year=2020)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    msg = warnings[0].getMessage()
    assert "'99999' (1 rows)" in msg and "'85084'" in msg and "'85165' (2025)" in msg
    # Nothing dropped silently: the unknown code stays, counts add up.
    assert "99999" in out["code"].tolist()
    assert out["n"].sum() == pytest.approx(13.0)
    assert out.attrs["harmonize"]["other_vintage"] == {"85165": 2025}
    assert out.attrs["harmonize"]["unplaced"] == {"99999": 1}


def test_round_trip_2025_to_2014_and_back():
    rng = np.random.default_rng(0)
    com = T.communes()[["code"]].rename(columns={"code": "territory_code"})
    com["n"] = rng.integers(0, 1000, len(com)).astype(float)
    p14 = H.passage(2014)
    split_codes = set(p14.loc[p14["weight"] < 1, "code"])
    single = p14[~p14["code"].isin(split_codes)]
    # De-harmonise: each 2025 commune's count goes to the 2014 codes that land on it,
    # in random shares (the way a 2014 file spreads a today's commune over its parts).
    back = single.merge(com, left_on="code_2025", right_on="territory_code")
    share = rng.random(len(back)) + 0.1
    total = pd.Series(share).groupby(back["code_2025"].to_numpy()).transform("sum").to_numpy()
    back["n"] = back["n"] * share / total
    old = back[["code", "n"]].rename(columns={"code": "territory_code"})
    # The 2014 file writes codes as integers where it can (lost leading zeros).
    old["territory_code"] = [int(c) if c.isdigit() else c for c in old["territory_code"]]
    again = T.harmonize(old, counts=["n"], from_year=2014)
    assert again.attrs["harmonize"]["unplaced"] == {}
    touched_by_split = set(p14.loc[p14["code"].isin(split_codes), "code_2025"])
    expected = com[~com["territory_code"].isin(touched_by_split)].set_index("territory_code")["n"]
    got = again.set_index("territory_code")["n"]
    common = expected.index.intersection(got.index)
    assert len(common) > 34_800
    np.testing.assert_allclose(got[common].to_numpy(), expected[common].to_numpy(), rtol=1e-9)


def test_commune_mapping_backed_by_history():
    m = T.commune_mapping()
    assert m["01172"] == "01095"      # gone from COG 2025 since 2023, known to the history
    assert m["14513"] == "50592"
    assert m["74011"] == "74010"
    assert m["75101"] == "75056"
    assert "51606" not in m.index     # split: a one-to-one mapping cannot share it


def test_bad_arguments():
    df = pd.DataFrame({"code": ["01001"], "n": [1.0]})
    with pytest.raises(InputError, match="split must be"):
        T.harmonize(df, "code", split="share")
    with pytest.raises(InputError, match="outside the commune history"):
        T.harmonize(df, "code", from_year=2030)


def test_harmonize_sums_equal_a_plain_pandas_merge():
    # Independent computation: merge with the table of passage, weight, groupby.
    rng = np.random.default_rng(1)
    p = H.passage(2016)
    codes = rng.choice(p["code"].unique(), 5_000)
    df = pd.DataFrame({"code": codes, "period": rng.choice(["2016", "2017", None], 5_000),
                       "n": rng.random(5_000)})
    df.loc[::7, "n"] = np.nan
    got = T.harmonize(df, "code", counts=["n"], from_year=2016)
    m = df.merge(p, on="code")
    m["n"] = m["n"] * m["weight"]
    expected = (m.groupby(["code_2025", "period"], dropna=False, sort=True)["n"]
                .sum(min_count=1).reset_index().rename(columns={"code_2025": "code"}))
    assert got["code"].tolist() == expected["code"].tolist()
    assert got["period"].fillna("NA").tolist() == expected["period"].fillna("NA").tolist()
    np.testing.assert_allclose(got["n"].to_numpy(), expected["n"].to_numpy(), rtol=1e-12)


def test_harmonize_dtypes_missing_codes_and_empty_frames():
    df = pd.DataFrame({"code": ["01172", None, "01095"], "k": [1, 2, 3]})
    out = T.harmonize(df, "code", counts=["k"], from_year=2016)
    assert out["k"].dtype == np.int64            # integer counts stay integers
    assert out["code"].isna().sum() == 1         # a missing code stays missing, reported
    assert out.attrs["harmonize"]["unplaced"] == {"": 1}
    nullable = df.assign(k=pd.array([1, None, 3], dtype="Int64"))
    out = T.harmonize(nullable, "code", counts=["k"], from_year=2016)
    assert out.loc[out["code"] == "01095", "k"].item() == 4
    empty = pd.DataFrame({"code": pd.Series([], dtype=object), "k": pd.Series([], dtype=float)})
    assert len(T.harmonize(empty, "code", counts=["k"])) == 0
    assert len(T.harmonize(empty, "code")) == 0
