"""The real analysis: the shipped INSEE département files through the panel and the estimator.

Every expected number here is computed from the raw CSV files or by hand from
the panel, never copied from the library's own output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.config import raw_dir
from impact.errors import InputError
from impact.panel import build_long, build_panel

SIDE = raw_dir() / "insee" / "side_departements"


@pytest.fixture(scope="module")
def long():
    return build_long("insee")


@pytest.fixture(scope="module")
def dep(long):
    return build_panel(long, data_kind="real", level="departement", uncertain="keep")


@pytest.fixture(scope="module")
def raw():
    cre = pd.read_csv(SIDE / "firm_creations_side.csv", sep=";", dtype={"dep_code": str})
    pop = pd.read_csv(SIDE / "population_insee.csv", sep=";", dtype={"dep_code": str})
    return cre.merge(pop, on=["dep_code", "year"])


def test_insee_long_is_real_and_says_so(long):
    assert long.attrs["data_source"] == "insee" and long.attrs["demo"] is False
    assert set(long["source"].astype(str)) == {"insee_side", "insee_population", "insee_tcl"}
    assert set(long["level"].astype(str)) == {"departement"}


def test_departement_panel_counts_and_population_are_the_files(dep, raw):
    assert dep.attrs["count_level"] == "departement"
    assert dep["territory_code"].nunique() == 96 and sorted(dep["year"].unique()) == list(
        range(2012, 2022))
    m = dep.merge(raw, left_on=["territory_code", "year"], right_on=["dep_code", "year"])
    assert len(m) == 960
    np.testing.assert_array_equal(m["creations_total"], m["total_firm_creations"])
    np.testing.assert_array_equal(
        m["creations_companies"],
        m["creations_sarl"] + m["creations_sas"] + m["creations_other_legal"])
    # The population of each year, not one vintage repeated.
    np.testing.assert_array_equal(m["population"], m["pop_jan1"])
    assert dep.groupby("territory_code")["population"].nunique().min() > 1
    np.testing.assert_allclose(m["creations_companies_per10k"],
                               1e4 * m["creations_companies"] / m["pop_jan1"])


def test_overseas_departements_are_not_covered_not_zero(dep):
    assert set(dep.attrs["not_covered"]) == {"971", "972", "973", "974", "976"}
    assert not dep["territory_code"].isin(["971", "974"]).any()


def test_region_panel_sums_its_departements(long, raw):
    reg = build_panel(long, data_kind="real", level="region", uncertain="keep")
    from impact.territories import departements

    d2r = departements().set_index("departement")["region"]
    raw = raw.assign(region=raw["dep_code"].map(d2r))
    want = raw.groupby(["region", "year"])[["total_firm_creations", "pop_jan1"]].sum()
    got = reg.set_index(["territory_code", "year"])
    assert reg["territory_code"].nunique() == 13  # metropolitan régions only
    np.testing.assert_array_equal(got["creations_total"], want.loc[got.index, "total_firm_creations"])
    np.testing.assert_array_equal(got["population"], want.loc[got.index, "pop_jan1"])


def test_unemployment_is_the_published_annual_rate(dep):
    u = pd.read_csv(SIDE / "unemployment_insee.csv", sep=";", dtype={"dep_code": str})
    m = dep.merge(u, left_on=["territory_code", "year"], right_on=["dep_code", "year"])
    np.testing.assert_allclose(m["unemployment_rate_x"], m["unemployment_rate_raw"])


def test_commune_level_on_departement_data_is_a_clear_error(long):
    with pytest.raises(InputError, match="published by département.*impact fetch side_creations_communes"):
        build_panel(long, data_kind="real", level="commune")


def test_uncertain_exclude_drops_untreated_territories_of_coarse_laureates(long, dep):
    from impact import ptce

    where = ptce.placement("departement")
    excl = build_panel(long, data_kind="real", level="departement", uncertain="exclude")
    assert build_panel(long, data_kind="real", level="departement").attrs["uncertain"] == "exclude"  # real default
    first = dep.drop_duplicates("territory_code").set_index("territory_code")["first_label_year"]
    unc = where.uncertain.assign(first=lambda d: d["territory_code"].map(first))
    unc = unc[unc["territory_code"].isin(first.index)]
    # Expected from the definition: untreated ones leave; treated ones leave only when the
    # coarse lauréat is older than their first placed one.
    leave = unc.loc[(unc["first"] == 0) | (unc["label_year"] < unc["first"]), "territory_code"]
    assert set(excl.attrs["excluded_uncertain"]) == set(leave)
    assert len(leave) > 0
    assert set(dep["territory_code"]) - set(excl["territory_code"]) == set(leave)
    # Treatment of the territories that stay is unchanged.
    kept = excl.drop_duplicates("territory_code").set_index("territory_code")["first_label_year"]
    pd.testing.assert_series_equal(kept, first.loc[kept.index])


def test_treated_departements_are_those_of_the_placed_laureates(dep):
    from impact import ptce

    placed = ptce.placement("departement").placed
    want = placed.groupby("territory_code")["label_year"].min()
    want = want[want.index.isin(dep["territory_code"])]
    got = dep.drop_duplicates("territory_code").set_index("territory_code")["first_label_year"]
    assert (got[got > 0].sort_index() == want.sort_index().astype("int64")).all()
    assert set(got[got > 0].index) == set(want.index)


def test_att_gt_on_the_real_panel_equals_the_hand_computed_2x2(dep):
    """ATT(2016, 2016) with never-treated controls is a 2×2 DiD of group means."""
    from impact.estimate import att_gt

    y = "creations_companies_per10k"
    # Four départements in the 2016 cohort: the estimator says its SEs are fragile.
    with pytest.warns(UserWarning, match="fewer than 5 units"):
        res = att_gt(dep, outcome=y, unit="territory_code", time="year",
                     group="first_label_year", control="never")
    cell = res.table.query("group == 2016 and time == 2016")["att"].iloc[0]
    w = dep.pivot(index="territory_code", columns="year", values=y)
    g = dep.drop_duplicates("territory_code").set_index("territory_code")["first_label_year"]
    treated, never = w[g.loc[w.index] == 2016], w[g.loc[w.index] == 0]
    by_hand = (treated[2016] - treated[2015]).mean() - (never[2016] - never[2015]).mean()
    assert cell == pytest.approx(by_hand, rel=1e-10)
    # And the simple aggregation is the group-size-weighted mean of post-treatment cells.
    simple = res.aggregate("simple")
    post = res.table[res.table["time"] >= res.table["group"]]
    size = g[g > 0].value_counts()
    wts = post["group"].map(size)
    assert simple.overall_att == pytest.approx(float((post["att"] * wts).sum() / wts.sum()))


def test_tpe_stock_covariate_is_the_2014_file_over_the_2014_population(dep):
    path = raw_dir() / "insee" / "etablissements_2014" / "base_etablissement_par_tranche_effectif.csv.xz"
    est = pd.read_csv(path, sep=";", dtype={"CODGEO": str, "DEP": str})
    est["DEP"] = est["DEP"].str.zfill(2)
    tpe = est.groupby("DEP")[["E14TS0ND", "E14TS1", "E14TS6"]].sum().sum(axis=1)
    row = dep[(dep["year"] == 2014)].set_index("territory_code")
    # Départements no commune left or joined since 2014 (Ain, Bouches-du-Rhône, Paris, Nord);
    # Calvados is not one: Pont-Farcy (14513) moved to the Manche in 2018.
    for code in ("01", "13", "75", "59"):
        assert row.loc[code, "tpe_stock_2014_per10k"] == pytest.approx(
            1e4 * tpe[code] / row.loc[code, "population"], rel=1e-12)
    # A baseline covariate: the same value in every year.
    assert dep.groupby("territory_code")["tpe_stock_2014_per10k"].nunique().max() == 1
