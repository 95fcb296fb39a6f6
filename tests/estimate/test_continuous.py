"""Continuous-treatment DiD: against diff-diff's ContinuousDiD and a known dose-response."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from cont_sim import dose_panel, true_acrt, true_att

from impact.errors import InputError
from impact.estimate.continuous import continuous_did
from references import peer


def test_matches_diff_diff_continuous_did():
    dd = peer("diff_diff")
    df = dose_panel(n=500, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.ContinuousDiD(base_period="universal").fit(
            df, outcome="y", unit="u", time="t", first_treat="g", dose="d")
    res = continuous_did(df, outcome="y", unit="u", time="t", group="g", dose="d",
                         grid=ref.dose_grid, bootstrap=99, seed=0)
    tab = ref.to_dataframe()
    np.testing.assert_allclose(res.curve["att"], tab["att"], atol=1e-10)
    np.testing.assert_allclose(res.curve["acrt"], tab["acrt"], atol=1e-10)
    np.testing.assert_allclose(res.curve["att_se"], tab["att_se"], rtol=1e-8)
    np.testing.assert_allclose(res.curve["acrt_se"], tab["acrt_se"], rtol=1e-8)
    assert res.overall_att == pytest.approx(ref.overall_att, abs=1e-10)
    assert res.overall.loc[0, "se"] == pytest.approx(ref.overall_att_se, rel=1e-8)
    assert res.overall_acrt == pytest.approx(ref.overall_acrt, abs=1e-10)
    # Our ACRT^o SE adds the sampling of the treated doses (diff-diff conditions on them).
    assert res.overall.loc[1, "se"] >= ref.overall_acrt_se


def test_known_dose_response_small_bias_and_band_coverage():
    # A quick version of benchmarks/bench_continuous.py (200 replications there).
    reps, covered, bias = 12, 0, []
    for s in range(reps):
        df = dose_panel(n=500, seed=100 + s)
        res = continuous_did(df, outcome="y", unit="u", time="t", group="g", dose="d",
                             grid=np.linspace(1.5, 4.5, 15), bootstrap=199, seed=s)
        c = res.curve
        truth = true_att(c["dose"])
        bias.append((c["att"] - truth).mean())
        covered += bool(((c["att_low_uniform"] <= truth) & (truth <= c["att_high_uniform"])).all())
    assert abs(np.mean(bias)) < 0.05
    assert covered >= reps - 3  # nominal 95 %: at most 3 misses in 12 is very likely


def test_acrt_tracks_the_derivative():
    df = dose_panel(n=3000, seed=5)
    res = continuous_did(df, outcome="y", unit="u", time="t", group="g", dose="d",
                         grid=np.array([1.5, 2.5, 3.5]), bootstrap=99, seed=0)
    np.testing.assert_allclose(res.curve["acrt"], true_acrt(res.curve["dose"]), atol=0.2)
    # ATT^o equals the average effect over treated doses.
    d = df.loc[df["g"] > 0].groupby("u")["d"].first()
    assert res.overall_att == pytest.approx(true_att(d).mean(), abs=0.1)


def test_plot_and_bad_input():
    df = dose_panel(n=300, seed=2)
    res = continuous_did(df, outcome="y", unit="u", time="t", group="g", dose="d",
                         bootstrap=49, seed=0)
    fig = res.plot("acrt")
    assert fig.axes[0].get_xlabel() == "Dose (dépense par habitant)"
    zero = df.copy()
    zero.loc[zero["u"] == zero.loc[zero["g"] > 0, "u"].iloc[0], "d"] = 0.0
    with pytest.warns(UserWarning, match="non-positive dose"):
        continuous_did(zero, outcome="y", unit="u", time="t", group="g", dose="d",
                       bootstrap=49)
    with pytest.raises(InputError, match="cannot identify"):
        tiny = df[(df["g"] == 0) | df["u"].isin(df.loc[df["g"] == 2004, "u"].unique()[:3])]
        continuous_did(tiny[tiny["g"] != 2006], outcome="y", unit="u", time="t", group="g",
                       dose="d", bootstrap=49)
    with pytest.raises(InputError, match="balanced"):
        continuous_did(df.iloc[1:], outcome="y", unit="u", time="t", group="g", dose="d")
