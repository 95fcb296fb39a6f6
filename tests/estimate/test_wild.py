"""Restricted wild cluster bootstrap: agreement with wildboottest, size under the null, Webb."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError
from impact.estimate import twfe, wild_cluster_bootstrap
from impact.estimate.inference import multiplier_weights
from impact.estimate.wild import webb_weights
from references import peer


def _panel(seed: int, n_clusters: int = 12, per_cluster: int = 4, n_treated: int = 4,
           effect: float = 0.0, periods: int = 8) -> pd.DataFrame:
    """Units nested in clusters; whole clusters treated from mid-period; cluster shocks."""
    rng = np.random.default_rng(seed)
    rows = []
    treated = set(rng.choice(n_clusters, size=n_treated, replace=False).tolist())
    for c in range(n_clusters):
        c_shock = rng.normal(scale=0.8, size=periods)  # correlated within cluster and period
        for k in range(per_cluster):
            u = c * per_cluster + k
            a = rng.normal()
            for t in range(periods):
                d = float(c in treated and t >= periods // 2)
                y = a + 0.1 * t + effect * d + c_shock[t] + rng.normal(scale=0.5)
                rows.append((u, c, 2010 + t, y, d))
    return pd.DataFrame(rows, columns=["unit", "cl", "year", "y", "d"])


def _wildboottest_pvalue(df: pd.DataFrame, B: int, weights: str, seed: int) -> float:
    sm = pytest.importorskip("statsmodels.api")
    wbt = peer("wildboottest.wildboottest")
    X = pd.get_dummies(df[["unit", "year"]].astype(str), drop_first=True).astype(float)
    X.insert(0, "d", df["d"].to_numpy())
    X.insert(0, "const", 1.0)
    model = sm.OLS(df["y"].to_numpy(), X)
    out = wbt.wildboottest(model, B=B, cluster=df["cl"].to_numpy(), param="d",
                           weights_type=weights, seed=seed, show=False, parallel=False)
    return float(np.asarray(out["p-value"]).ravel()[0])


def test_rademacher_enumeration_matches_wildboottest_exactly():
    """12 clusters, 2**12 <= B: both enumerate every sign vector, so p-values agree exactly
    up to the two draws (v = ±1) whose |t*| equals |t| (counted here, not by wildboottest)."""
    df = _panel(seed=3, effect=0.6)
    ours = wild_cluster_bootstrap(df, outcome="y", unit="unit", time="year", treatment="d",
                                  cluster="cl", B=9999, bootstrap_weights="rademacher", ci=False)
    assert ours.enumerated and ours.draws == 2**12
    peer = _wildboottest_pvalue(df, B=9999, weights="rademacher", seed=1)
    assert 0 <= ours.pvalue - peer <= 2 / 2**12 + 1e-12
    # The coefficient and CR1 standard error are those of twfe().
    fit = twfe(df, outcome="y", unit="unit", time="year", treatment="d", cluster="cl")
    assert ours.estimate == pytest.approx(fit.coef["d"], rel=1e-10)
    assert ours.se == pytest.approx(fit.se["d"], rel=1e-8)


def test_webb_agrees_with_wildboottest_within_monte_carlo_error():
    df = _panel(seed=5, effect=0.5)
    B = 4999
    ours = wild_cluster_bootstrap(df, outcome="y", unit="unit", time="year", treatment="d",
                                  cluster="cl", B=B, bootstrap_weights="webb", seed=11, ci=False)
    peer = _wildboottest_pvalue(df, B=B, weights="webb", seed=7)
    p = (ours.pvalue + peer) / 2
    mc_se = np.sqrt(2 * p * (1 - p) / B)  # two independent sets of draws
    assert abs(ours.pvalue - peer) < 4 * mc_se + 1e-3


def test_ci_by_test_inversion_is_consistent_with_pvalues():
    df = _panel(seed=8, effect=0.7)
    fit = twfe(df, outcome="y", unit="unit", time="year", treatment="d", cluster="cl")
    res = fit.wild_bootstrap(B=1999, weights="webb", seed=2)
    assert res.ci_low < res.estimate < res.ci_high
    # At the ends of the interval the p-value crosses alpha; inside it is above.
    inside = wild_cluster_bootstrap(df, outcome="y", unit="unit", time="year", treatment="d",
                                    cluster="cl", B=1999, seed=2, null=res.ci_low + 1e-3, ci=False)
    outside = wild_cluster_bootstrap(df, outcome="y", unit="unit", time="year", treatment="d",
                                     cluster="cl", B=1999, seed=2, null=res.ci_low - 1e-2, ci=False)
    assert inside.pvalue > 0.05 >= outside.pvalue


def test_size_close_to_five_percent_with_ten_treated_clusters():
    """No effect, 10 treated clusters out of 30: the WCR test rejects about 5 % of the time.

    A smaller version of benchmarks/bench_wild_size.py (which runs 1,000 panels)."""
    rejections = []
    for s in range(150):
        df = _panel(seed=1000 + s, n_clusters=30, per_cluster=2, n_treated=10, periods=6)
        r = wild_cluster_bootstrap(df, outcome="y", unit="unit", time="year", treatment="d",
                                   cluster="cl", B=399, bootstrap_weights="webb", seed=s, ci=False)
        rejections.append(r.pvalue <= 0.05)
    rate = float(np.mean(rejections))
    # 150 panels: binomial SE 1.8 points; accept 0 to 11 %.
    assert 0.01 <= rate <= 0.11


def test_webb_weights_moments_and_multiplier_option():
    rng = np.random.default_rng(0)
    v = webb_weights(rng, (200_000,))
    assert len(np.unique(v)) == 6
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1) < 0.01
    m = multiplier_weights(np.random.default_rng(1), (50_000, 3), "webb")
    assert abs(m.var() - 1) < 0.02 and set(np.round(np.unique(m) ** 2, 6)) == {0.5, 1.0, 1.5}


def test_bad_input():
    df = _panel(seed=1)
    with pytest.raises(InputError, match="bootstrap_weights"):
        wild_cluster_bootstrap(df, outcome="y", unit="unit", time="year", treatment="d",
                               bootstrap_weights="mammen")
    with pytest.raises(InputError, match="term"):
        wild_cluster_bootstrap(df, outcome="y", unit="unit", time="year", treatment="d", term="x")
