"""Recovery of known effects, where two-way fixed effects is biased."""

import numpy as np
import pytest
from did_sim import simulate_staggered

from impact.estimate import att_gt


def _twfe_within(df):
    """Static TWFE coefficient by the within transformation (numpy, balanced panel)."""
    y = df.pivot(index="unit", columns="year", values="y").to_numpy()
    d = df.pivot(index="unit", columns="year", values="treated").to_numpy().astype(float)

    def demean(a):
        return a - a.mean(axis=1, keepdims=True) - a.mean(axis=0, keepdims=True) + a.mean()

    yd, dd = demean(y), demean(d)
    return float((dd * yd).sum() / (dd * dd).sum())


def _true_simple_att(df, truth):
    post = df[(df["g"] > 0) & (df["year"] >= df["g"])]
    return float(np.mean([truth[(g, t)] for g, t in zip(post["g"], post["year"], strict=True)]))


COHORTS = {2012: 0.3, 2014: 0.3, 2016: 0.2}


def _true_event_effects(truth, last=2017):
    """Population event-time effects: cohort effects weighted by cohort probabilities."""
    out = {}
    for e in range(min(COHORTS) - last, last - min(COHORTS) + 1):
        cells = [(COHORTS[g], truth[(g, g + e)]) for g in COHORTS if (g, g + e) in truth]
        if cells:
            p, tau = np.array(cells).T
            out[e] = float(p @ tau / p.sum())
    return out


def test_group_time_estimator_covers_truth_and_twfe_is_biased():
    reps = 200
    covered_simple = covered_cells = n_cells = covered_e = n_e = 0
    twfe_err, cs_err = [], []
    for seed in range(reps):
        df, info = simulate_staggered(n_units=300, periods=(2010, 2017), cohorts=COHORTS, seed=seed)
        truth = info["truth"]
        res = att_gt(df, outcome="y", unit="unit", time="year", group="g")
        tab = res.table
        true_cells = np.array(
            [truth[(g, t)] for g, t in zip(tab["group"], tab["time"], strict=True)]
        )
        inside = (tab["ci_low"] <= true_cells) & (true_cells <= tab["ci_high"])
        covered_cells += int(inside.sum())
        n_cells += len(tab)
        simple = res.aggregate("simple")
        target = _true_simple_att(df, truth)
        lo, hi = simple.overall_ci
        covered_simple += lo <= target <= hi
        cs_err.append(simple.overall_att - target)
        twfe_err.append(_twfe_within(df) - target)
        dyn = res.aggregate("dynamic", uniform_band=False).table
        true_e = _true_event_effects(truth)
        te = dyn["event_time"].map(true_e).to_numpy()
        covered_e += int(((dyn["ci_low"] <= te) & (te <= dyn["ci_high"])).sum())
        n_e += len(dyn)
    # 95% intervals should cover the truth in (close to) 95% of replications.
    assert covered_simple / reps >= 0.90
    assert covered_cells / n_cells >= 0.90
    assert covered_e / n_e >= 0.90
    # ... and not trivially: intervals are not so wide that they always cover.
    assert covered_cells / n_cells <= 0.99 and covered_e / n_e <= 0.99
    # The group-time estimator is unbiased: mean error within 3 Monte Carlo SEs.
    cs_err, twfe_err = np.array(cs_err), np.array(twfe_err)
    assert abs(cs_err.mean()) < 3 * cs_err.std(ddof=1) / np.sqrt(reps)
    # TWFE is biased with growing, heterogeneous effects: far beyond its MC error.
    assert abs(twfe_err.mean()) > 10 * twfe_err.std(ddof=1) / np.sqrt(reps)
    assert twfe_err.mean() < 0  # it understates growing effects (forbidden comparisons)


def test_dynamic_effects_recovered_on_a_large_panel():
    df, info = simulate_staggered(n_units=3000, seed=7)
    dyn = att_gt(df, outcome="y", unit="unit", time="year", group="g").aggregate("dynamic")
    tab = dyn.table.set_index("event_time")
    # Pre-treatment effects are zero by construction.
    assert (tab.loc[tab.index < 0, "ci_low_uniform"] <= 0).all()
    assert (tab.loc[tab.index < 0, "ci_high_uniform"] >= 0).all()
    # Effect at e = 0 is the cohort-share weighted mean of (1 + 0.5 k): cohorts
    # 2013/2015/2017 with equal-ish shares 0.25/0.25/0.2.
    w = np.array([0.25, 0.25, 0.2])
    expected_e0 = float(np.sum(w * np.array([1.0, 1.5, 2.0])) / w.sum())
    assert tab.loc[0, "att"] == pytest.approx(expected_e0, abs=4 * tab.loc[0, "se"])
    assert tab.loc[2, "att"] > tab.loc[0, "att"]  # effects grow with exposure
