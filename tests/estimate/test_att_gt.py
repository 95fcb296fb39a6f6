"""Behaviour of att_gt: bootstrap, bands, clustering, weights, pre-trend tests, summary."""

import warnings

import numpy as np
import pytest
from did_sim import simulate_staggered

from impact.estimate import att_gt
from impact.estimate.inference import multiplier_weights
from references import peer


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
    res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    dyn = res.aggregate("dynamic")
    assert 1.96 < dyn.crit < 3.5
    # Close to the bootstrap critical value (same correlation structure).
    boot = res.aggregate("dynamic", bootstrap=999, seed=5)
    assert abs(dyn.crit - boot.crit) < 0.25
    bare = res.aggregate("dynamic", uniform_band=False)
    assert "ci_low_uniform" not in bare.table and np.isnan(bare.crit)
    assert "Simultaneous" not in bare.summary()


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
    expected = np.average(dy[tr], weights=first.loc[tr, "pop"]) - np.average(
        dy[co], weights=first.loc[co, "pop"]
    )
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
    pvals = [
        att_gt(simulate_staggered(n_units=300, seed=s)[0], **kw).pretrend_test().pvalue
        for s in range(60)
    ]
    rejections = np.mean(np.array(pvals) < 0.05)
    assert rejections < 0.15


def test_summary_mentions_options_and_pretest(mpdta):
    res = att_gt(
        mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat", control="notyet"
    )
    text = res.summary()
    assert "not yet treated" in text and "Pre-trend test" in text and "lemp" in text
    agg = res.aggregate("dynamic")
    s = agg.summary()
    assert "Overall ATT" in s and "event_time" in s
    assert agg.options["control"] == "notyet" and agg.options["kind"] == "dynamic"


def test_anticipation_shifts_the_base_period(mpdta):
    with pytest.warns(UserWarning, match="Dropped 20 units already treated"):
        res = att_gt(
            mpdta,
            outcome="lemp",
            unit="countyreal",
            time="year",
            group="first.treat",
            anticipation=1,
        )
    cell = res.table.set_index(["group", "time"])
    # Cohort 2006 with one period of anticipation compares with 2004, not 2005.
    assert cell.loc[(2006, 2006), "base"] == 2004
    # Cohort 2004 has no period before 2003 + 1: it is dropped.
    assert 2004 not in res.table["group"].to_numpy()


def test_weight_influence_shortcut_equals_the_r_did_matrix_formula():
    from impact.estimate.aggregation import _wif, _wif_dot

    rng = np.random.default_rng(0)
    G = rng.choice([0, 2004, 2006, 2007], size=300).astype(float)
    w = rng.uniform(0.5, 2, size=300)
    groups = np.array([2004, 2004, 2006, 2006, 2007, 2007], dtype=float)  # cells' cohorts
    pg = np.array([np.mean(w * (G == g)) for g in groups])
    att = rng.normal(size=6)
    for keepers in (np.arange(6), np.array([1, 3, 5]), np.array([0, 1])):
        np.testing.assert_allclose(
            _wif_dot(keepers, pg, w, G, groups, att),
            _wif(keepers, pg, w, G, groups) @ att[keepers],
            atol=1e-12,
        )


def test_result_keeps_influence_functions_and_options(mpdta):
    res = att_gt(
        mpdta,
        outcome="lemp",
        unit="countyreal",
        time="year",
        group="first.treat",
        covariates=["lpop"],
        method="ipw",
    )
    assert res.psi.shape == (500, len(res.table))
    # Influence functions are centred and give the reported standard errors.
    np.testing.assert_allclose(res.psi.mean(axis=0), 0, atol=1e-8)
    np.testing.assert_allclose(np.sqrt((res.psi**2).sum(axis=0)) / 500, res.table["se"], rtol=1e-12)
    for key in (
        "control",
        "method",
        "covariates",
        "anticipation",
        "base_period",
        "cluster",
        "alpha",
        "bootstrap",
        "bootstrap_weights",
        "seed",
        "weights",
    ):
        assert key in res.options
    assert res.options["method"] == "ipw" and res.options["covariates"] == ["lpop"]
    assert {
        "group",
        "time",
        "att",
        "se",
        "ci_low",
        "ci_high",
        "post",
        "n_treated",
        "n_control",
    } <= set(res.table)


def test_clustered_bootstrap_agrees_with_clustered_analytic_se(staggered):
    df, _ = staggered
    kw = dict(outcome="y", unit="unit", time="year", group="g", cluster="region")
    analytic = att_gt(df, **kw).aggregate("dynamic")
    boot = att_gt(df, **kw, bootstrap=999, seed=7, bootstrap_weights="mammen").aggregate("dynamic")
    np.testing.assert_allclose(boot.table["att"], analytic.table["att"])
    # 15 clusters: the bootstrap SE is noisy but centred on the analytic CR0 SE.
    ratio = (boot.table["se"] / analytic.table["se"]).to_numpy()
    assert 0.8 < np.median(ratio) < 1.2
    assert boot.options["bootstrap_weights"] == "mammen"


def test_bootstrap_seeds_and_weights_change_draws_only(mpdta):
    kw = dict(outcome="lemp", unit="countyreal", time="year", group="first.treat")
    a = att_gt(mpdta, **kw, bootstrap=199, seed=1)
    b = att_gt(mpdta, **kw, bootstrap=199, seed=2)
    np.testing.assert_array_equal(a.table["att"], b.table["att"])
    assert not np.array_equal(a.table["se"], b.table["se"])
    # An aggregation inherits the bootstrap of the fit unless told otherwise.
    assert "bootstrap" in a.aggregate("group").options["se_type"]
    assert "analytic" in a.aggregate("group", bootstrap=0).options["se_type"]


def test_pretrend_pvalues_are_roughly_uniform_under_parallel_trends():
    from scipy import stats

    kw = dict(outcome="y", unit="unit", time="year", group="g")
    pvals = np.array(
        [
            att_gt(
                simulate_staggered(
                    n_units=200, periods=(2010, 2016), cohorts={2013: 0.3, 2015: 0.3}, seed=100 + s
                )[0],
                **kw,
            )
            .aggregate("dynamic", uniform_band=False)
            .pretrend_test()
            .pvalue
            for s in range(80)
        ]
    )
    assert stats.kstest(pvals, "uniform").pvalue > 0.001
    assert 0.3 < np.median(pvals) < 0.7


def test_event_study_summary_is_pasteable(mpdta):
    res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    text = res.summary()
    for needle in (
        "Callaway & Sant'Anna",
        "Units: 500",
        "Periods: 5",
        "Cohorts: 2004, 2006, 2007",
        "never treated",
        "analytic",
    ):
        assert needle in text
    dyn_text = res.aggregate("dynamic").summary()
    assert "Simultaneous 95% band" in dyn_text and "Pre-trend test" in dyn_text
    assert str(res.aggregate("simple")).startswith("Aggregated treatment effects (simple)")


def test_clustered_se_of_a_cell_equals_cr0_ols_from_pyfixest(staggered):
    """Without covariates a cell is the OLS slope of the outcome change on the
    cohort dummy; our clustered SE is its CR0 cluster-robust SE."""
    pf = peer("pyfixest")
    df, _ = staggered
    res = att_gt(
        df, outcome="y", unit="unit", time="year", group="g", cluster="region", weights="pop"
    )
    cell = res.table.set_index(["group", "time"]).loc[(2015, 2017)]
    wide = df.pivot(index="unit", columns="year", values="y")
    first = df.drop_duplicates("unit").set_index("unit")
    sub = first[first["g"].isin([0, 2015])].assign(
        dy=(wide[2017] - wide[int(cell["base"])]), d=lambda f: (f["g"] == 2015).astype(float)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest's own pandas deprecation warnings
        fit = pf.feols(
            "dy ~ d",
            data=sub.reset_index(),
            weights="pop",
            vcov={"CRV1": "region"},
            ssc=pf.ssc(k_adj=False, G_adj=False),
        )
    assert cell["att"] == pytest.approx(fit.coef()["d"], abs=1e-10)
    assert cell["se"] == pytest.approx(fit.se()["d"], rel=1e-8)


def test_webb_bootstrap_weights_in_att_gt_give_se_close_to_analytic(mpdta):
    kw = dict(outcome="lemp", unit="countyreal", time="year", group="first.treat")
    analytic = att_gt(mpdta, **kw).table["se"].to_numpy()
    webb = att_gt(mpdta, **kw, bootstrap=999, bootstrap_weights="webb", seed=3)
    assert webb.options["bootstrap_weights"] == "webb"
    np.testing.assert_allclose(webb.table["se"].to_numpy(), analytic, rtol=0.15)
    with pytest.raises(ValueError, match="'rademacher', 'mammen' or 'webb'"):
        att_gt(mpdta, **kw, bootstrap=9, bootstrap_weights="normal")
