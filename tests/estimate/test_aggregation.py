"""Aggregations of ATT(g,t) recomputed from their definitions, independently of the references.

Point estimates are rebuilt from the cell table and cohort sizes (R did's
``aggte`` weights); standard errors are checked against a nonparametric
bootstrap over units, which knows nothing about influence functions (so it
also checks the term for the estimated cohort weights).
"""

from __future__ import annotations

import numpy as np
import pytest
from did_sim import simulate_staggered

from impact.estimate import att_gt

KW = dict(outcome="y", unit="unit", time="year", group="g")


@pytest.fixture(scope="module")
def fitted():
    df, _ = simulate_staggered(n_units=300, seed=21, cohorts={2013: 0.2, 2015: 0.3, 2017: 0.2})
    return df, att_gt(df, **KW)


def _cohort_sizes(df):
    first = df.drop_duplicates("unit")
    return first[first["g"] > 0].groupby("g").size()


def test_simple_is_the_cohort_size_weighted_mean_of_post_cells(fitted):
    df, res = fitted
    post = res.table[res.table["time"] >= res.table["group"]]
    size = post["group"].map(_cohort_sizes(df))
    expected = np.average(post["att"], weights=size)
    assert res.aggregate("simple").overall_att == pytest.approx(expected, abs=1e-12)


def test_group_effects_and_their_cohort_weighted_mean(fitted):
    df, res = fitted
    post = res.table[res.table["time"] >= res.table["group"]]
    by_group = post.groupby("group")["att"].mean()
    agg = res.aggregate("group")
    np.testing.assert_allclose(agg.table.set_index("group")["att"], by_group, atol=1e-12)
    sizes = _cohort_sizes(df).loc[by_group.index]
    assert agg.overall_att == pytest.approx(np.average(by_group, weights=sizes), abs=1e-12)


def test_dynamic_and_calendar_weights(fitted):
    df, res = fitted
    sizes = _cohort_sizes(df)
    tab = res.table.assign(size=res.table["group"].map(sizes))
    dyn = res.aggregate("dynamic")
    for e, row in dyn.table.set_index("event_time").iterrows():
        cells = tab[tab["event_time"] == e]
        assert row["att"] == pytest.approx(
            np.average(cells["att"], weights=cells["size"]), abs=1e-12
        )
    post_e = dyn.table[dyn.table["event_time"] >= 0]
    assert dyn.overall_att == pytest.approx(post_e["att"].mean(), abs=1e-12)
    cal = res.aggregate("calendar")
    post = tab[tab["time"] >= tab["group"]]
    for t, row in cal.table.set_index("time").iterrows():
        cells = post[post["time"] == t]
        assert row["att"] == pytest.approx(
            np.average(cells["att"], weights=cells["size"]), abs=1e-12
        )
    assert cal.overall_att == pytest.approx(cal.table["att"].mean(), abs=1e-12)


def test_standard_errors_match_a_nonparametric_bootstrap_over_units(fitted):
    df, res = fitted
    df = df.sort_values(["unit", "year"]).reset_index(drop=True)
    n, n_t = df["unit"].nunique(), df["year"].nunique()
    rng = np.random.default_rng(0)
    draws = {"simple": [], "group": [], "dynamic": []}
    for _ in range(100):
        pick = rng.integers(0, n, size=n)
        rows = (pick[:, None] * n_t + np.arange(n_t)).ravel()
        # Resampled units get new identifiers so that duplicates stay distinct units.
        boot = df.iloc[rows].assign(unit=np.repeat(np.arange(n), n_t))
        r = att_gt(boot, **KW)
        for kind in draws:
            draws[kind].append(r.aggregate(kind).overall_att)
    for kind, values in draws.items():
        ratio = np.std(values, ddof=1) / res.aggregate(kind).overall_se
        # 100 draws: the bootstrap SD is within about ±14% of the truth (2 SE).
        assert 0.78 < ratio < 1.22, (kind, ratio)


def test_estimated_weights_add_variance_to_aggregates_mixing_cohorts(fitted):
    _, res = fitted
    from impact.estimate.aggregation import _combine

    # Without the weight term, the simple ATT's SE is too small when cohort
    # effects differ (here they do: effects grow with the cohort index).
    tab = res.table
    keep = np.flatnonzero((tab["time"] >= tab["group"]).to_numpy())
    pg = tab["n_treated"].to_numpy(dtype=float)
    _, inf = _combine(tab["att"].to_numpy(), res.psi, keep, pg[keep] / pg[keep].sum())
    se_without = np.sqrt((inf**2).sum()) / res.n_units
    assert res.aggregate("simple").overall_se > se_without


def test_event_window_and_balance_select_cells(fitted):
    _, res = fitted
    dyn = res.aggregate("dynamic", min_e=-2, max_e=3)
    assert dyn.table["event_time"].tolist() == [-2, -1, 0, 1, 2, 3]
    bal = res.aggregate("dynamic", balance_e=2)
    # Cohort 2017 is observed only 3 periods (e = 0, 1, 2) in 2010-2019: kept; e <= 2.
    assert bal.table["event_time"].max() == 2
    bal4 = res.aggregate("dynamic", balance_e=4)
    # Only cohorts 2013 and 2015 reach e = 4: e = 0 now averages those two.
    tab = res.table
    e0 = tab[(tab["event_time"] == 0) & tab["group"].isin([2013, 2015])]
    sizes = e0["n_treated"]
    assert bal4.table.set_index("event_time").loc[0, "att"] == pytest.approx(
        np.average(e0["att"], weights=sizes), abs=1e-12
    )
