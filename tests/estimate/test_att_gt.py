"""Behaviour of att_gt: bootstrap, bands, clustering, weights, pre-trend tests, summary."""

import numpy as np
import pytest

from impact.estimate import att_gt
from impact.estimate.inference import multiplier_weights

from did_sim import simulate_staggered


def test_bootstrap_se_close_to_analytic_and_reproducible(mpdta):
    kw = dict(outcome="lemp", unit="countyreal", time="year", group="first.treat")
    analytic = att_gt(mpdta, **kw)
    boot = att_gt(mpdta, **kw, bootstrap=999, seed=3)
    again = att_gt(mpdta, **kw, bootstrap=999, seed=3)
    ratio = boot.table["se"] / analytic.table["se"]
    assert ratio.between(0.85, 1.15).all()
    assert np.array_equal(boot.table["se"], again.table["se"])
    dyn = boot.aggregate("dynamic")
    width_uniform = dyn.table["ci_high_uniform"] - dyn.table["ci_low_uniform"]
    width_pointwise = dyn.table["ci_high"] - dyn.table["ci_low"]
    assert (width_uniform > width_pointwise).all()
    assert 2.0 < dyn.crit < 3.5  # sup-t over 7 correlated event times
    assert "bootstrap" in dyn.options["se_type"]


def test_uniform_band_without_bootstrap_uses_gaussian_critical_value(mpdta):
    dyn = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year",
                 group="first.treat").aggregate("dynamic")
    assert 1.96 < dyn.crit < 3.5


@pytest.mark.parametrize("kind", ["rademacher", "mammen"])
def test_multiplier_weights_have_mean_zero_and_unit_variance(kind):
    v = multiplier_weights(np.random.default_rng(0), (200_000, 1), kind)
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1) < 0.01
    assert abs((v**3).mean() - (1 if kind == "mammen" else 0)) < 0.03


def test_clustering_by_a_coarser_level_changes_se_but_not_att(staggered):
    df, _ = staggered
    unit_se = att_gt(df, outcome="y", unit="unit", time="year", group="g")
    reg_se = att_gt(df, outcome="y", unit="unit", time="year", group="g", cluster="region")
    np.testing.assert_allclose(unit_se.table["att"], reg_se.table["att"])
    assert not np.allclose(unit_se.table["se"], reg_se.table["se"])
    # Clustering on the unit itself is the default.
    same = att_gt(df, outcome="y", unit="unit", time="year", group="g", cluster="unit")
    np.testing.assert_allclose(same.table["se"], unit_se.table["se"])


def test_sampling_weights_give_the_weighted_difference_in_means():
    df, _ = simulate_staggered(n_units=200, seed=5)
    res = att_gt(df, outcome="y", unit="unit", time="year", group="g", weights="pop")
    g0 = res.table.iloc[0]
    wide = df.pivot(index="unit", columns="year", values="y")
    first = df.drop_duplicates("unit").set_index("unit")
    dy = wide[g0["time"]] - wide[g0["base"]]
    tr, co = first["g"] == g0["group"], first["g"] == 0
    expected = np.average(dy[tr], weights=first.loc[tr, "pop"]) - np.average(dy[co], weights=first.loc[co, "pop"])
    assert g0["att"] == pytest.approx(expected, abs=1e-10)


def test_pretrend_test_detects_injected_pretrend():
    clean, _ = simulate_staggered(n_units=1500, seed=11)
    trend, _ = simulate_staggered(n_units=1500, seed=11, pretrend=0.3)
    kw = dict(outcome="y", unit="unit", time="year", group="g")
    p_clean = att_gt(clean, **kw).aggregate("dynamic").pretrend_test().pvalue
    p_trend = att_gt(trend, **kw).aggregate("dynamic").pretrend_test().pvalue
    assert p_clean > 0.01
    assert p_trend < 1e-6


def test_pretrend_pvalues_are_not_too_small_under_the_null():
    kw = dict(outcome="y", unit="unit", time="year", group="g")
    pvals = [att_gt(simulate_staggered(n_units=300, seed=s)[0], **kw).pretrend_test().pvalue
             for s in range(60)]
    rejections = np.mean(np.array(pvals) < 0.05)
    assert rejections < 0.15


def test_summary_mentions_options_and_pretest(mpdta):
    res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat",
                 control="notyet")
    text = res.summary()
    assert "not yet treated" in text and "Pre-trend test" in text and "lemp" in text
    agg = res.aggregate("dynamic")
    s = agg.summary()
    assert "Overall ATT" in s and "event_time" in s
    assert agg.options["control"] == "notyet" and agg.options["kind"] == "dynamic"


def test_anticipation_shifts_the_base_period(mpdta):
    res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat",
                 anticipation=1)
    cell = res.table.set_index(["group", "time"])
    # Cohort 2006 with one period of anticipation compares with 2004, not 2005.
    assert cell.loc[(2006, 2006), "base"] == 2004
    # Cohort 2004 has no period before 2003 + 1: it is dropped.
    assert 2004 not in res.table["group"].to_numpy()
