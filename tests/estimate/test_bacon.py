"""Goodman-Bacon decomposition and de Chaisemartin–D'Haultfœuille weights.

Checked against independent numbers: OLS with dummies, closed forms, diff-diff.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError
from impact.estimate.bacon import bacon_decomposition
from references import peer


def staggered(cohorts, n=240, years=range(2000, 2012), seed=0, noise=1.0, effect=None):
    rng = np.random.default_rng(seed)
    years = np.arange(years.start, years.stop)
    G = rng.choice(cohorts, size=n)
    y = rng.normal(size=n)[:, None] + np.linspace(0, 1, len(years))[None, :]
    y = y + noise * rng.normal(size=(n, len(years)))
    e = years[None, :] - G[:, None]
    D = (G[:, None] > 0) & (e >= 0)
    delta = effect(e, G[:, None]) if effect else 0.5 + 0.3 * e
    y = y + np.where(D, delta, 0.0)
    df = pd.DataFrame({"u": np.repeat(np.arange(n), len(years)), "t": np.tile(years, n),
                       "y": y.ravel(), "g": np.repeat(G, len(years))})
    return df, np.where(D, delta, 0.0), D


def ols_twfe(df):
    """TWFE by OLS with unit and period dummies (statsmodels), not the within transform."""
    smf = pytest.importorskip("statsmodels.formula.api")
    d = df.assign(D=((df["g"] > 0) & (df["t"] >= df["g"])).astype(float))
    return smf.ols("y ~ D + C(u) + C(t)", d).fit().params["D"]


def test_weights_sum_to_one_and_reproduce_the_ols_twfe_coefficient():
    # Never treated, four cohorts, always treated (2000) and treated after the panel (2015).
    df, _, _ = staggered([0, 2000, 2003, 2005, 2008, 2015])
    res = bacon_decomposition(df, outcome="y", unit="u", time="t", group="g")
    assert res.table["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (res.table["weight"] > 0).all()
    beta = ols_twfe(df)
    assert res.twfe == pytest.approx(beta, abs=1e-10)
    assert res.table["estimate"] @ res.table["weight"] == pytest.approx(beta, abs=1e-10)
    assert set(res.by_type["type"]) == {"treated_vs_never", "early_vs_late", "late_vs_early",
                                        "treated_vs_always"}


def test_single_cohort_is_the_plain_2x2_did():
    df, _, _ = staggered([0, 2006], seed=1)
    res = bacon_decomposition(df, outcome="y", unit="u", time="t", group="g")
    assert len(res.table) == 1 and res.table["weight"].iloc[0] == pytest.approx(1.0)
    m = df.assign(post=df["t"] >= 2006, tr=df["g"] > 0).groupby(["tr", "post"])["y"].mean()
    did = (m[True, True] - m[True, False]) - (m[False, True] - m[False, False])
    assert res.twfe == pytest.approx(did, abs=1e-12)
    assert res.n_negative == 0


def test_matches_diff_diff_comparison_by_comparison():
    dd = peer("diff_diff")
    df, _, _ = staggered([0, 2003, 2005, 2008], seed=2)
    res = bacon_decomposition(df, outcome="y", unit="u", time="t", group="g")
    ref = dd.BaconDecomposition().fit(df, outcome="y", unit="u", time="t", first_treat="g")
    ref_tab = ref.to_dataframe()
    ref_tab["control"] = ref_tab["control_group"].replace("never_treated", 0).astype(float)
    ref_tab = ref_tab.set_index(["treated_group", "control"])
    assert len(ref_tab) == len(res.table)
    for row in res.table.itertuples():
        r = ref_tab.loc[(row.treated, row.control)]
        assert row.estimate == pytest.approx(r["estimate"], abs=1e-10)
        assert row.weight == pytest.approx(r["weight"], abs=1e-10)


def test_dcdh_weights_reproduce_twfe_from_unit_period_effects_and_flag_negative_ones():
    # No noise: y = unit + period effects + D * Delta_it, with effects growing with time
    # since treatment. Theorem 1 of de Chaisemartin & D'Haultfoeuille (2020): the TWFE
    # coefficient is sum_{D=1} W_it Delta_it with weights summing to one.
    df, delta, D = staggered([0, 2002, 2004, 2006, 2009], noise=0.0, seed=3,
                             effect=lambda e, g: 1.0 + 0.5 * e)
    res = bacon_decomposition(df, outcome="y", unit="u", time="t", group="g")
    cells = res.cell_weights
    assert cells["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    # Delta is the same for every unit of a cell: 1 + 0.5 (t - g).
    recon = (cells["weight"] * (1.0 + 0.5 * (cells["time"] - cells["group"]))).sum()
    assert recon == pytest.approx(res.twfe, abs=1e-10)
    # Early cohorts' late periods get negative weights in this design.
    assert res.n_negative > 0 and res.negative_share > 0
    neg = cells[cells["weight"] < 0]
    assert neg["group"].min() == 2002 and (neg["time"] >= 2007).all()
    assert res.n_negative == int(neg["n_units"].sum())
    assert res.negative_share == pytest.approx(-neg["weight"].sum())
    # sigma_fe = |b| / sd(w), w = N1 * W the unit-period weights (mean one), from the cells.
    n1 = D.sum()
    w_unit = np.repeat(cells["weight"] / cells["n_units"], cells["n_units"]) * n1
    assert res.sigma_fe == pytest.approx(abs(res.twfe) / np.std(w_unit), rel=1e-10)


def test_plot_and_bad_input():
    df, _, _ = staggered([0, 2003, 2006], seed=4)
    res = bacon_decomposition(df, outcome="y", unit="u", time="t", group="g")
    fig = res.plot()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Poids dans le coefficient TWFE" and "Goodman-Bacon" in ax.get_title()
    with pytest.raises(InputError, match="balanced"):
        bacon_decomposition(df.iloc[3:], outcome="y", unit="u", time="t", group="g")
    with pytest.raises(InputError, match="does not vary"):
        bacon_decomposition(df.assign(g=0), outcome="y", unit="u", time="t", group="g")
