"""Synthetic control, randomisation inference and dose-response against known answers."""

import itertools

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from did_sim import simulate_staggered

from impact.errors import InputError
from impact.estimate import (
    att_gt,
    dose_plot,
    dose_response,
    event_study_plot,
    randomization_inference,
    synthetic_control,
    synthetic_control_staggered,
)
from references import read_reference

matplotlib.use("Agg")


def factor_panel(n_donors=20, periods=30, start=20, effect=-5.0, seed=0):
    """Outcomes from a two-factor model; the treated unit is a convex mix of donors."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(periods, 2)).cumsum(axis=0)
    load = rng.uniform(0, 2, size=(n_donors, 2))
    y0 = 10 + f @ load.T + rng.normal(scale=0.1, size=(periods, n_donors))
    w_true = np.zeros(n_donors)
    w_true[:3] = [0.5, 0.3, 0.2]
    treated = y0 @ w_true + rng.normal(scale=0.1, size=periods)
    treated[start:] += effect
    rows = [pd.DataFrame({"unit": f"d{j}", "t": np.arange(periods), "y": y0[:, j]}) for j in range(n_donors)]
    rows.append(pd.DataFrame({"unit": "T", "t": np.arange(periods), "y": treated}))
    return pd.concat(rows, ignore_index=True)


def test_synth_recovers_effect_and_weights_in_simplex():
    df = factor_panel()
    res = synthetic_control(df, outcome="y", unit="unit", time="t", treated_unit="T", treatment_start=20)
    assert res.weights.min() >= 0 and res.weights.sum() == pytest.approx(1)
    post_gap = res.gap[res.gap.index >= 20].mean()
    assert post_gap == pytest.approx(-5.0, abs=0.5)
    assert res.pre_rmspe < 0.5
    assert res.placebo_pvalue <= 1 / 21 + 1e-9  # the treated ratio ranks first of 21


def test_exact_pre_fit_is_flagged_in_the_summary():
    good = synthetic_control(factor_panel(), outcome="y", unit="unit", time="t", treated_unit="T",
                             treatment_start=20, placebo=False)
    assert not good.exact_fit and "interpolated" not in good.summary()
    # Two pre-periods and 20 donors: a point inside the donors' hull is matched exactly.
    df = factor_panel()
    df = df[df["t"] >= 18]
    df.loc[df["unit"] == "T", "y"] = (
        df[df["unit"].isin(["d0", "d1"])].groupby("t")["y"].mean().to_numpy()
        + np.r_[0, 0, np.full(df["t"].nunique() - 2, 5.0)]
    )
    res = synthetic_control(df, outcome="y", unit="unit", time="t", treated_unit="T",
                            treatment_start=20, placebo=False)
    assert res.pre_rmspe < 1e-4 and res.exact_fit
    assert "reproduced exactly" in res.summary()


def test_synth_california_prop99():
    d = read_reference("california_prop99.csv", sep=";")
    res = synthetic_control(d, outcome="PacksPerCapita", unit="State", time="Year",
                            treated_unit="California", treatment_start=1989)
    top5 = set(res.weights.sort_values(ascending=False).head(5).index)
    adh = read_reference("adh2010_prop99.csv")  # ADH (2010): Table 2 and the abstract
    assert len(top5 & set(adh.loc[adh["quantity"] == "weight", "key"])) >= 3
    # "About 26 packs" lower in 2000; outcomes alone are matched here, not ADH's predictors.
    published_gap = adh.loc[adh["quantity"] == "gap", "value"].item()
    assert res.gap.loc[2000] == pytest.approx(published_gap, abs=4)
    assert res.placebo_pvalue <= 0.1


def test_staggered_synth_aggregates_by_event_time():
    df, _ = simulate_staggered(n_units=60, seed=8, cohorts={2014: 0.1, 2016: 0.1})
    res = synthetic_control_staggered(df, outcome="y", unit="unit", time="year", group="g",
                                      n_placebo=50, seed=1)
    tab = res.table.set_index("event_time")
    # True effects: cohort 2014 has (e+1), cohort 2016 1.5(e+1); both positive after 0.
    assert tab.loc[0, "att"] > 0.3 and tab.loc[2, "att"] > tab.loc[0, "att"]
    assert len(res.fits) == int((df.drop_duplicates("unit")["g"] > 0).sum())
    assert 0 < res.placebo_pvalue <= 1


def test_ri_exact_enumeration_matches_brute_force():
    # 6 units, 2 treated in 2013: 15 distinct assignments.
    rng = np.random.default_rng(0)
    rows = []
    for u in range(6):
        g = 2013 if u < 2 else 0
        for t in range(2010, 2016):
            rows.append((u, t, g, rng.normal() + (1.0 if g and t >= g else 0.0)))
    df = pd.DataFrame(rows, columns=["unit", "year", "g", "y"])
    res = randomization_inference(df, outcome="y", unit="unit", time="year", group="g", exact=True)
    assert len(res.permuted) == 15 and res.options["exact"]
    stats_bf = []
    for treated in itertools.combinations(range(6), 2):
        gg = np.where(np.isin(df["unit"], treated), 2013, 0)
        stats_bf.append(att_gt(df.assign(g=gg), outcome="y", unit="unit", time="year", group="g")
                        .aggregate("simple").overall_att)
    stats_bf = np.array(stats_bf)
    assert res.pvalue == pytest.approx(np.mean(np.abs(stats_bf) >= abs(res.statistic) - 1e-12))


def test_ri_pvalue_small_under_a_strong_effect_and_not_under_null():
    df, _ = simulate_staggered(n_units=40, seed=9, cohorts={2013: 0.2, 2016: 0.2})
    strong = randomization_inference(df, outcome="y", unit="unit", time="year", group="g",
                                     n_permutations=99, seed=1)
    assert strong.pvalue <= 0.05
    # Sharp null: no effect at all; the p-value should not be tiny in most draws.
    null_p = []
    for s in range(20):
        d0, _ = simulate_staggered(n_units=30, seed=100 + s, cohorts={2013: 0.2, 2016: 0.2})
        d0 = d0.assign(y=d0["y"] - d0.apply(lambda r: 0, axis=1))
        d0["y"] = d0["y"] - np.where((d0["g"] > 0) & (d0["year"] >= d0["g"]),
                                     (1 + 0.5 * (d0["g"] == 2016)) * (d0["year"] - d0["g"] + 1), 0)
        null_p.append(randomization_inference(d0, outcome="y", unit="unit", time="year", group="g",
                                              n_permutations=39, seed=s).pvalue)
    assert 0.0 <= np.mean(np.array(null_p) <= 0.05) <= 0.2


def test_ri_with_strata_keeps_dates_within_strata():
    df, _ = simulate_staggered(n_units=30, seed=10)
    seen = []

    def est(d):
        seen.append(d.drop_duplicates("unit").groupby("region")["g"].apply(lambda s: tuple(sorted(s))))
        return 0.0

    randomization_inference(df, outcome="y", unit="unit", time="year", group="g", estimator=est,
                            strata="region", n_permutations=5, seed=0)
    for s in seen[1:]:
        assert s.equals(seen[0])  # same multiset of dates in every région


def dose_panel(seed=0, slope=0.02, n=400):
    rng = np.random.default_rng(seed)
    dose = np.where(rng.random(n) < 0.4, 0.0, rng.uniform(10, 100, n))
    rows = []
    for t in range(2010, 2020):
        y = rng.normal(size=n) + 0.1 * t + np.where(t >= 2015, slope * dose, 0.0)
        rows.append(pd.DataFrame({"unit": np.arange(n), "year": t, "y": y, "eur": dose}))
    return pd.concat(rows, ignore_index=True)


def test_dose_response_recovers_linear_slope_and_matches_statsmodels():
    df = dose_panel()
    res = dose_response(df, outcome="y", unit="unit", time="year", dose="eur", start=2015)
    assert res.acr - 2 * res.acr_se <= 0.02 <= res.acr + 2 * res.acr_se
    ld = res.long_difference
    x = sm.add_constant(np.column_stack([(ld["dose"] > 0).astype(float), ld["dose"]]))
    ref = sm.OLS(ld["dy"].to_numpy(), x).fit(cov_type="HC1")
    assert res.acr == pytest.approx(ref.params[2])
    assert res.acr_se == pytest.approx(ref.bse[2])
    binned = dose_response(df, outcome="y", unit="unit", time="year", dose="eur", start=2015, spec="binned")
    assert binned.table["att"].is_monotonic_increasing


def test_dose_response_bad_input():
    df = dose_panel()
    with pytest.raises(InputError, match="before and after"):
        dose_response(df, outcome="y", unit="unit", time="year", dose="eur", start=2030)
    with pytest.raises(InputError, match=">= 0"):
        dose_response(df.assign(eur=-df["eur"] - 1), outcome="y", unit="unit", time="year", dose="eur",
                      start=2015)


def test_event_study_plot_draws_points_bands_and_pretest(mpdta):
    dyn = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat").aggregate("dynamic")
    fig = event_study_plot(dyn, title="Étude d'événement")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert any("pré-tendance" in t and f"{dyn.pretrend_test().pvalue:.3f}" in t for t in texts)
    # One marker per event time (pre and post series), and the band polygon.
    xs = np.concatenate([line.get_xdata() for line in ax.lines if line.get_marker() == "o"])
    assert sorted(xs.tolist()) == sorted(dyn.table["event_time"].tolist())
    assert len(ax.collections) >= 1
    assert ax.get_title() == "Étude d'événement"
    fig2 = dose_plot(dose_response(dose_panel(), outcome="y", unit="unit", time="year", dose="eur", start=2015))
    assert fig2.axes[0].get_xlabel().startswith("Dépense")
