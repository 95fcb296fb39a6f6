"""honest_did against HonestDiD's published example, moderndid, and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from impact.errors import InputError
from impact.estimate import att_gt, honest_did, twfe
from impact.estimate.honest import (
    _dual_vertices,
    _eta_lp,
    _gamma_matrix,
    _rm_constraints,
    folded_normal_quantile,
    sd_worst_case_bias,
)
from references import peer as import_peer
from references import read_reference


@pytest.fixture(scope="module")
def medicaid():
    """HonestDiD's README example: TWFE event study of Medicaid expansion on insurance (ehec).

    The data (as shipped by moderndid) are committed in tests/data/reference/ehec.csv.
    Coefficients and CR1 covariance come from impact's twfe(), which reproduces
    fixest's ``cluster = "stfips"``.
    """
    df = read_reference("ehec.csv")
    df = df[(df.year < 2016) & (df.yexp2.isna() | (df.yexp2 != 2015))].copy()
    names = []
    for y in sorted(df.year.unique()):
        if y != 2013:
            df[f"y{y}"] = ((df.year == y) & (df.yexp2 == 2014)).astype(float)
            names.append(f"y{y}")
    fit = twfe(df, outcome="dins", unit="stfips", time="year", treatment=names, cluster="stfips")
    return fit.table["estimate"].to_numpy(), fit.vcov


# Published in the HonestDiD README (R package, createSensitivityResults*; printed to 3 digits),
# committed with the README's R code in tests/data/reference/.
_README = read_reference("honestdid_readme_ehec.csv")
PUBLISHED_RM, PUBLISHED_SD = (
    {r.M: (r.lb, r.ub) for r in _README[_README["method"] == method].itertuples()}
    for method in ("relative_magnitude", "smoothness")
)


def test_relative_magnitudes_match_published_honestdid(medicaid):
    b, V = medicaid
    assert b[5] == pytest.approx(0.0464, abs=1e-4)  # the 2014 coefficient of the README's plot
    res = honest_did(b, V, num_pre_periods=5, num_post_periods=2, M=list(PUBLISHED_RM))
    got = res.table.set_index("M")
    for m, (lo, hi) in PUBLISHED_RM.items():
        assert got.loc[m, "ci_low"] == pytest.approx(lo, abs=1e-3)
        assert got.loc[m, "ci_high"] == pytest.approx(hi, abs=1e-3)
    assert (got["method"] == "relative_magnitude").all()
    # README: "the breakdown value for a significant effect is Mbar = 2" (on its grid 0.5..2).
    assert 1.5 < res.breakdown <= 2.0


def test_smoothness_flci_matches_published_honestdid(medicaid):
    b, V = medicaid
    res = honest_did(b, V, num_pre_periods=5, num_post_periods=2, method="smoothness",
                     M=list(PUBLISHED_SD))
    got = res.table.set_index("M")
    for m, (lo, hi) in PUBLISHED_SD.items():
        assert got.loc[m, "ci_low"] == pytest.approx(lo, abs=1e-3)
        assert got.loc[m, "ci_high"] == pytest.approx(hi, abs=1e-3)
    # README: breakdown "M ≈ 0.03" read off its grid; the interval excludes 0 at 0.02.
    assert 0.02 < res.breakdown < 0.03
    assert res.original[0] == pytest.approx(b[5] - 1.959964 * np.sqrt(V[5, 5]), rel=1e-6)


def test_agrees_with_moderndid_on_average_effect(medicaid):
    """Same inputs, the average of the two post periods (l_vec = (1/2, 1/2)), 3 pre-periods.

    Small settings (one M each, a 101-point grid of step 0.001) keep moderndid fast."""
    sens = import_peer("moderndid.didhonest.sensitivity")
    b, V = medicaid
    b, V = b[2:], V[2:, 2:]
    lv = np.array([0.5, 0.5])
    peer = sens.create_sensitivity_results_sm(b, V, 3, 2, m_vec=[0.01], l_vec=lv)
    ours = honest_did(b, V, num_pre_periods=3, num_post_periods=2, method="smoothness",
                      M=[0.01], l_vec=lv)
    assert ours.table["ci_low"].iloc[0] == pytest.approx(peer["lb"][0], abs=1e-3)
    assert ours.table["ci_high"].iloc[0] == pytest.approx(peer["ub"][0], abs=1e-3)
    peer = sens.create_sensitivity_results_rm(b, V, 3, 2, m_bar_vec=[1.0], l_vec=lv,
                                              grid_points=101, grid_lb=0.0, grid_ub=0.1)
    ours = honest_did(b, V, num_pre_periods=3, num_post_periods=2, M=[1.0], l_vec=lv,
                      grid_points=101, grid_lb=0.0, grid_ub=0.1)
    assert ours.table["ci_low"].iloc[0] == pytest.approx(peer["lb"][0], abs=1.01e-3)
    assert ours.table["ci_high"].iloc[0] == pytest.approx(peer["ub"][0], abs=1.01e-3)


def _example(n_pre=3, n_post=3, seed=0):
    rng = np.random.default_rng(seed)
    n = n_pre + n_post
    L = rng.normal(size=(n, n)) * 0.01
    V = L @ L.T + np.eye(n) * 1e-4
    b = np.r_[rng.normal(0, 0.01, n_pre), 0.05 + rng.normal(0, 0.01, n_post)]
    return b, V


def test_flci_with_M_zero_is_the_minimum_variance_trend_extrapolation():
    """Closed form: with M = 0 the FLCI is the unbiased-under-linear-trend estimator of least
    variance, +- z * its SD (Lagrange multiplier solution)."""
    for n_pre, n_post, lv in ((3, 3, None), (4, 2, np.array([0.5, 0.5]))):
        b, V = _example(n_pre, n_post, seed=n_pre)
        lv_ = np.eye(n_post)[0] if lv is None else lv
        t_pre = np.arange(-n_pre, 0).astype(float)
        c = float(np.arange(1, n_post + 1) @ lv_)
        Sp, Spp = V[:n_pre, :n_pre], V[:n_pre, n_pre:] @ lv_
        Si = np.linalg.inv(Sp)
        mu = (c - t_pre @ Si @ Spp) / (t_pre @ Si @ t_pre)  # from t'a = -c
        a = -Si @ Spp - mu * Si @ t_pre
        v = np.r_[a, lv_]
        sd = np.sqrt(v @ V @ v)
        res = honest_did(b, V, num_pre_periods=n_pre, num_post_periods=n_post,
                         method="smoothness", M=[0.0], l_vec=lv)
        z = stats.norm.ppf(0.975)
        assert res.table["ci_low"].iloc[0] == pytest.approx(v @ b - z * sd, abs=1e-7)
        assert res.table["ci_high"].iloc[0] == pytest.approx(v @ b + z * sd, abs=1e-7)


def test_sd_bias_formula_matches_a_linear_program():
    """The closed-form worst-case bias over Delta^SD(1) equals max l'delta_post + a'delta_pre
    over {|second differences| <= 1, delta_0 = 0} solved by linprog."""
    rng = np.random.default_rng(4)
    n_pre, n_post = 3, 3
    lv = np.array([0.2, 0.3, 0.5])
    target = float(np.arange(1, n_post + 1) @ lv)
    for _ in range(5):
        w = rng.normal(size=n_pre)
        w += (target - w.sum()) / n_pre
        a = np.diff(np.r_[0.0, w])
        T = n_pre + n_post + 1  # delta over event times -n_pre..n_post, including 0
        D2 = np.zeros((T - 2, T))
        for r in range(T - 2):
            D2[r, r:r + 3] = [1, -2, 1]
        c = np.zeros(T)
        c[:n_pre], c[n_pre + 1:] = a, lv
        A_eq = np.eye(T)[[n_pre]]
        res = optimize.linprog(-c, A_ub=np.vstack([D2, -D2]), b_ub=np.ones(2 * (T - 2)),
                               A_eq=A_eq, b_eq=[0.0], bounds=(None, None), method="highs")
        assert -res.fun == pytest.approx(sd_worst_case_bias(w, lv), rel=1e-9)


def test_dual_vertices_give_the_linear_program_value():
    rng = np.random.default_rng(2)
    for n_pre, n_post in ((3, 2), (2, 4)):
        A = _rm_constraints(n_pre, n_post, 1.0, 0, True)
        rows = np.flatnonzero(np.any(A[:, n_pre:] != 0, axis=1))
        lv = np.full(n_post, 1 / n_post)
        X = (A[:, n_pre:] @ np.linalg.inv(_gamma_matrix(lv)))[rows, 1:]
        L = rng.normal(size=(len(rows), len(rows)))
        sd = np.sqrt(np.diag(L @ L.T))
        verts = _dual_vertices(X, sd)
        for y in rng.normal(size=(20, len(rows))):
            assert (verts @ y).max() == pytest.approx(_eta_lp(y, X, sd)[0], abs=1e-9)


def test_folded_normal_quantile():
    assert folded_normal_quantile(0.95, 0.0) == pytest.approx(stats.norm.ppf(0.975), abs=1e-10)
    q = folded_normal_quantile(0.9, 1.3)
    assert stats.norm.cdf(q - 1.3) - stats.norm.cdf(-q - 1.3) == pytest.approx(0.9, abs=1e-12)


def test_sets_grow_with_M_and_breakdown_is_where_zero_enters():
    b, V = _example(3, 2, seed=7)
    b[3:] += 0.1  # a clearly significant effect, so that M = 0 excludes 0
    res = honest_did(b, V, num_pre_periods=3, num_post_periods=2, method="smoothness",
                     M=[0, 0.02, 0.05, 0.1, 0.2, 0.4])
    width = (res.table["ci_high"] - res.table["ci_low"]).to_numpy()
    assert np.all(np.diff(width) > 0)
    bd = res.breakdown
    assert np.isfinite(bd)
    below = honest_did(b, V, num_pre_periods=3, num_post_periods=2, method="smoothness",
                       M=[bd * 0.97])
    above = honest_did(b, V, num_pre_periods=3, num_post_periods=2, method="smoothness",
                       M=[bd * 1.03])
    assert below.table["ci_low"].iloc[0] > 0 >= above.table["ci_low"].iloc[0]


def test_plot_has_french_labels():
    b, V = _example(3, 2, seed=1)
    res = honest_did(b, V, num_pre_periods=3, num_post_periods=2, M=[0, 1], grid_points=200)
    fig = res.plot()
    ax = fig.axes[0]
    assert "M̄" in ax.get_xlabel() and "robuste" in ax.get_ylabel()
    assert ax.get_xticklabels()[0].get_text() == "Original"
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_bad_input():
    b, V = _example(3, 2)
    with pytest.raises(InputError, match="expected num_pre_periods"):
        honest_did(b, V, num_pre_periods=2, num_post_periods=2)
    with pytest.raises(InputError, match="method"):
        honest_did(b, V, num_pre_periods=3, num_post_periods=2, method="linear")
    with pytest.raises(InputError, match="l_vec"):
        honest_did(b, V, num_pre_periods=3, num_post_periods=2, l_vec=[1, 0, 0])
    with pytest.raises(InputError, match="symmetric"):
        honest_did(b, V + np.triu(np.ones_like(V)), num_pre_periods=3, num_post_periods=2)


# ------------------------------------------------------------------ from att_gt


@pytest.fixture(scope="module")
def universal(staggered):
    df, _ = staggered
    return att_gt(df, outcome="y", unit="unit", time="year", group="g", base_period="universal")


def test_vcov_of_the_event_study_matches_its_standard_errors(universal):
    agg = universal.aggregate("dynamic", uniform_band=False)
    V = agg.vcov()
    se = agg.table["se"].to_numpy()
    np.testing.assert_allclose(np.sqrt(np.diag(V)), se, rtol=1e-10, atol=1e-14)
    boot = universal.aggregate("dynamic", bootstrap=999, seed=3, bootstrap_weights="webb",
                               uniform_band=False)
    ok = boot.table["event_time"].to_numpy() != -1
    # Bootstrap (IQR-based) standard errors agree with the influence-function ones to MC error.
    np.testing.assert_allclose(boot.table["se"].to_numpy()[ok], se[ok], rtol=0.12)


def test_honest_did_from_the_dynamic_aggregation(universal):
    agg = universal.aggregate("dynamic", uniform_band=False)
    res = agg.honest_did(method="smoothness", M=[0.0, 0.1])
    tab = agg.table
    keep = tab["event_time"].to_numpy() != -1
    e = tab["event_time"].to_numpy()[keep]
    direct = honest_did(tab["att"].to_numpy()[keep], agg.vcov()[np.ix_(keep, keep)],
                        num_pre_periods=int((e < 0).sum()), num_post_periods=int((e >= 0).sum()),
                        method="smoothness", M=[0.0, 0.1])
    pd.testing.assert_frame_equal(res.table, direct.table)
    assert res.estimate == pytest.approx(tab.loc[tab["event_time"] == 0, "att"].iloc[0])
    avg = agg.honest_did(l_vec="average", M=[0.5], grid_points=200)
    assert avg.estimate == pytest.approx(agg.overall_att, rel=1e-10)


def test_honest_did_needs_universal_base_period(staggered):
    df, _ = staggered
    res = att_gt(df, outcome="y", unit="unit", time="year", group="g")
    with pytest.raises(InputError, match="universal"):
        res.aggregate("dynamic", uniform_band=False).honest_did()
    with pytest.raises(InputError, match="dynamic"):
        res.aggregate("simple").honest_did()


def test_one_post_period_relative_magnitudes(medicaid):
    """One post-period (the no-nuisance ARP test; both Python peers fail on this case).

    With Mbar = 0 the post-period bias is zero, so the hybrid set is close to the usual
    interval (a little wider: size alpha - kappa after the first stage); sets are nested."""
    b, V = medicaid
    b, V = b[:6], V[:6, :6]
    res = honest_did(b, V, num_pre_periods=5, num_post_periods=1, M=[0.0, 0.5, 1.0])
    lo, hi = res.original
    t = res.table
    assert t["ci_low"].iloc[0] == pytest.approx(lo, abs=0.1 * (hi - lo))
    assert t["ci_high"].iloc[0] == pytest.approx(hi, abs=0.1 * (hi - lo))
    assert np.all(np.diff(t["ci_low"]) < 0) and np.all(np.diff(t["ci_high"]) > 0)
