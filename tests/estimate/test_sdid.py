"""Synthetic DiD against the paper (Prop 99), diff-diff's SyntheticDiD and a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError
from impact.estimate.sdid import synthetic_did
from references import peer, read_reference

diff_diff = peer("diff_diff")


def factor_panel(n_ctrl=30, cohorts=((2010, 4),), years=range(2000, 2016), effect=3.0, seed=0):
    """Interactive fixed effects (a unit loading on a common factor) + noise, constant effect."""
    rng = np.random.default_rng(seed)
    years = np.arange(years.start, years.stop)
    G = np.r_[np.zeros(n_ctrl), np.concatenate([np.full(k, g) for g, k in cohorts])]
    n = len(G)
    alpha = rng.normal(size=n) + 0.5 * (G > 0)
    load = rng.uniform(0.5, 1.5, size=n)
    factor = np.cumsum(rng.normal(size=len(years)))
    y = alpha[:, None] + load[:, None] * factor[None, :]
    y = y + rng.normal(scale=0.3, size=(n, len(years)))
    y += effect * ((G[:, None] > 0) & (years[None, :] >= G[:, None]))
    return pd.DataFrame({
        "unit": np.repeat([f"u{i:02d}" for i in range(n)], len(years)),
        "year": np.tile(years, n),
        "y": y.ravel(),
        "g": np.repeat(G, len(years)).astype(int),
    })


def dd_fit(df, g, method="placebo"):
    """diff-diff's SyntheticDiD on cohort g against never-treated units (block design)."""
    sub = df[df["g"].isin([0, g])].assign(ever=lambda d: (d["g"] > 0).astype(int))
    post = sorted(sub.loc[sub["year"] >= g, "year"].unique())
    return diff_diff.SyntheticDiD(variance_method=method, n_bootstrap=50, seed=0).fit(
        sub, outcome="y", treatment="ever", unit="unit", time="year", post_periods=post
    )


def test_prop99_reproduces_the_paper():
    d = read_reference("california_prop99.csv", sep=";")
    ever = d.groupby("State")["treated"].transform("max")
    d["g"] = np.where(ever == 1, d.loc[d["treated"] == 1, "Year"].min(), 0)
    res = synthetic_did(d, outcome="PacksPerCapita", unit="State", time="Year", group="g",
                        se_method=None)
    # Arkhangelsky et al. (2021), Table 1 / R synthdid 0.0.9 prints -15.60383.
    published = read_reference("synthdid_prop99.csv").set_index("estimator")
    assert res.overall_att == pytest.approx(published.loc["sdid", "estimate"], abs=5e-6)
    ref = diff_diff.SyntheticDiD(variance_method="placebo", n_bootstrap=2, seed=0).fit(
        d.assign(ever=ever), outcome="PacksPerCapita", treatment="ever", unit="State",
        time="Year", post_periods=list(range(1989, 2001)),
    )
    assert res.overall_att == pytest.approx(ref.att, abs=1e-8)
    om = res.unit_weights.set_index("unit")["omega"]
    assert max(abs(om[u] - w) for u, w in ref.unit_weights.items()) < 1e-8
    lam = res.time_weights.set_index("time")["lambda"]
    assert max(abs(lam[float(t)] - w) for t, w in ref.time_weights.items()) < 1e-8
    assert np.isclose(om.sum(), 1) and np.isclose(lam.sum(), 1)
    # Placebo SE (R synthdid's Algorithm 4): with the same seed diff-diff draws the same
    # permutations (numpy default_rng), so the two agree to rounding (10.912 with 200 draws).
    pl = synthetic_did(d, outcome="PacksPerCapita", unit="State", time="Year", group="g",
                       se_method="placebo", replications=8, seed=1)
    ref8 = diff_diff.SyntheticDiD(variance_method="placebo", n_bootstrap=8, seed=1).fit(
        d.assign(ever=ever), outcome="PacksPerCapita", treatment="ever", unit="State",
        time="Year", post_periods=list(range(1989, 2001)),
    )
    assert pl.overall_se == pytest.approx(ref8.se, rel=1e-6)


def test_jackknife_matches_diff_diff():
    df = factor_panel(n_ctrl=25, cohorts=((2010, 5),), seed=3)
    res = synthetic_did(df, outcome="y", unit="unit", time="year", group="g",
                        se_method="jackknife")
    ref = dd_fit(df, 2010, "jackknife")
    assert res.overall_att == pytest.approx(ref.att, abs=1e-8)
    assert res.overall_se == pytest.approx(ref.se, rel=1e-6)


def test_staggered_aggregate_weights_cohorts_by_treated_unit_periods():
    df = factor_panel(n_ctrl=30, cohorts=((2008, 3), (2012, 5)), seed=1)
    res = synthetic_did(df, outcome="y", unit="unit", time="year", group="g", se_method=None)
    tab = res.table.set_index("group")
    taus = {}
    for g in (2008, 2012):
        taus[g] = dd_fit(df, g).att
        assert tab.loc[g, "att"] == pytest.approx(taus[g], abs=1e-8)
    # 3 units × 8 post years and 5 units × 4 post years.
    w = np.array([3 * 8, 5 * 4]) / (3 * 8 + 5 * 4)
    assert res.overall_att == pytest.approx(w @ [taus[2008], taus[2012]], abs=1e-10)
    assert tab["weight"].to_numpy() == pytest.approx(w)


def test_known_effect_is_recovered_and_placebo_se_covers_it():
    df = factor_panel(n_ctrl=40, cohorts=((2010, 3), (2012, 3)), effect=3.0, seed=7)
    res = synthetic_did(df, outcome="y", unit="unit", time="year", group="g",
                        se_method="placebo", replications=15, seed=1)
    assert abs(res.overall_att - 3.0) < 0.3
    lo, hi = res.ci
    assert lo < 3.0 < hi and 0 < res.overall_se < 1
    assert len(res.replicates) == 15
    boot = synthetic_did(df, outcome="y", unit="unit", time="year", group="g",
                         se_method="bootstrap", replications=10, seed=1)
    assert boot.overall_att == res.overall_att
    assert 0 < boot.overall_se < 1


def test_plot_has_french_labels():
    df = factor_panel(n_ctrl=10, cohorts=((2010, 2),), seed=2)
    res = synthetic_did(df, outcome="y", unit="unit", time="year", group="g", se_method=None)
    fig = res.plot()
    ax = fig.axes[0]
    assert "synthétique" in ax.get_title() and ax.get_xlabel() == "Période"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Unités traitées" in labels


def test_bad_input():
    df = factor_panel(n_ctrl=5, cohorts=((2010, 2),), seed=2)
    with pytest.raises(InputError, match="balanced"):
        synthetic_did(df.iloc[1:], outcome="y", unit="unit", time="year", group="g",
                      se_method=None)
    with pytest.raises(InputError, match="never-treated"):
        synthetic_did(df[df["g"] > 0], outcome="y", unit="unit", time="year", group="g",
                      se_method=None)
    few = factor_panel(n_ctrl=3, cohorts=((2010, 4),), seed=2)
    with pytest.raises(InputError, match="placebo needs more never-treated"):
        synthetic_did(few, outcome="y", unit="unit", time="year", group="g")
    with pytest.raises(InputError, match="se_method"):
        synthetic_did(df, outcome="y", unit="unit", time="year", group="g", se_method="hc1")
    with pytest.raises(InputError, match="varies within unit"):
        bad = df.copy()
        bad.loc[0, "g"] = 2011
        synthetic_did(bad, outcome="y", unit="unit", time="year", group="g", se_method=None)
