"""The fast paths of att_gt and aggregate() against the direct computations they replace.

* the bootstrap of cells without covariates multiplies the ``n × (T + 1)`` factor of
  the influence functions: same numbers as the dense ``multiplier_bootstrap(psi)``
  with the same draws;
* Rademacher draws come from random bits: same law as ``rng.integers(0, 2)`` draws
  (bootstrap standard errors agree in distribution with the former scheme);
* aggregations sum weighted columns with the weights' term per cohort: same as
  ``_combine`` + ``_wif_dot`` one aggregate at a time;
* panel coding without hashing (sorted numeric units, integer periods): same codes
  as ``pd.factorize`` / ``np.searchsorted``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from did_sim import simulate_staggered

from impact.estimate import att_gt
from impact.estimate._cells import UnitGroups
from impact.estimate._validate import _period_codes, _unit_codes
from impact.estimate.aggregation import _combine, _combine_many, _wif_dot
from impact.estimate.inference import _random_bits, multiplier_bootstrap

KW = dict(outcome="y", unit="unit", time="year", group="g")


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(bootstrap_weights="webb", control="notyet", weights="pop"),
        dict(bootstrap_weights="mammen", base_period="universal"),
        dict(cluster="region", control="notyet"),
        dict(cluster="region", bootstrap_weights="webb", weights="pop"),
    ],
)
def test_factored_cell_bootstrap_equals_the_dense_bootstrap_with_the_same_draws(
    staggered, options
):
    df, _ = staggered
    res = att_gt(df, **KW, bootstrap=299, seed=8, **options)
    panel = res.panel
    psi = res.psi
    if panel.n_clusters == len(panel.units):
        # Unit clusters: the draws go to the units sorted by group.
        psi = psi[UnitGroups.from_groups(panel.group, panel.weights).order]
    dense = multiplier_bootstrap(
        psi,
        panel.cluster,
        panel.n_clusters,
        draws=299,
        kind=options.get("bootstrap_weights", "rademacher"),
        seed=8,
    )
    # Reference cells of a universal base period have no bootstrap spread (NaN):
    # att_gt reports their analytic SE, 0.
    ok = np.isfinite(dense.se)
    np.testing.assert_allclose(res.table["se"][ok], dense.se[ok], rtol=1e-10, atol=1e-14)
    assert (res.table["se"][~ok] == 0).all()
    assert res.crit == pytest.approx(dense.crit, rel=1e-10)


def test_covariate_cells_keep_the_dense_bootstrap(staggered):
    df, _ = staggered
    res = att_gt(df, **KW, covariates=["x"], bootstrap=199, seed=2)
    dense = multiplier_bootstrap(
        res.psi, res.panel.cluster, res.panel.n_clusters, draws=199, seed=2
    )
    np.testing.assert_array_equal(res.table["se"], dense.se)


def test_random_bits_are_fair_and_independent():
    bits = _random_bits(np.random.default_rng(0), (400, 2_500)).astype(float)
    # 10^6 fair bits: mean 1/2 within 4 standard errors (0.0005 each).
    assert abs(bits.mean() - 0.5) < 4 * 0.0005
    # No correlation between neighbouring units or neighbouring draws.
    for a, b in ((bits[:, 1:], bits[:, :-1]), (bits[1:], bits[:-1])):
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 4 / np.sqrt(a.size)
    # Not the same bits for another state of the generator.
    other = _random_bits(np.random.default_rng(1), (400, 2_500))
    assert 0.45 < (other == bits).mean() < 0.55


def test_bit_rademacher_bootstrap_agrees_in_distribution_with_integer_draws():
    # The former scheme drew rng.integers(0, 2, int8) * 2 - 1 per cluster; the bits
    # give other draws of the same law. Over 40 seeds the bootstrap standard errors
    # of every cell have the same mean under both schemes (and that of the analytic
    # standard error).
    df, _ = simulate_staggered(n_units=300, seed=4)
    res = att_gt(df, **KW)
    psi, n = res.psi, res.psi.shape[0]
    new, old = [], []
    q = 1.3489795003921634  # interquartile range of N(0, 1)
    for seed in range(40):
        new.append(multiplier_bootstrap(psi, np.arange(n), n, draws=299, seed=seed).se)
        v = np.random.default_rng(seed).integers(0, 2, size=(299, n), dtype=np.int8) * 2.0 - 1
        boot = v @ psi / n
        q75, q25 = np.quantile(boot, [0.75, 0.25], axis=0, method="inverted_cdf")
        old.append((q75 - q25) / q)
    new_m, old_m = np.mean(new, axis=0), np.mean(old, axis=0)
    # One IQR-based SE from 299 draws has a relative sd of about 7%: 40 seeds, 1.1%;
    # a difference of two such means, 1.6%.
    assert np.all(np.abs(new_m / old_m - 1) < 0.06)
    assert abs(np.mean(new_m / old_m) - 1) < 0.01
    assert abs(np.mean(new_m / res.table["se"].to_numpy()) - 1) < 0.02


def test_combining_many_aggregates_equals_one_at_a_time(staggered):
    df, _ = staggered
    res = att_gt(df, **KW, control="notyet", weights="pop")
    tab = res.table
    att = tab["att"].to_numpy(float)
    group = tab["group"].to_numpy(float)
    e = (tab["time"] - tab["group"]).to_numpy(float)
    G, w = res.panel.group, res.panel.weights
    pg = np.array([np.mean(w * (G == g)) for g in group])
    sets = []
    for ev in np.unique(e):
        keep = np.flatnonzero(e == ev)
        sets.append((keep, pg[keep] / pg[keep].sum()))
    est, inf = _combine_many(att, res.psi, sets, (pg, w, G, group))
    for j, (keep, wts) in enumerate(sets):
        one, one_inf = _combine(att, res.psi, keep, wts, _wif_dot(keep, pg, w, G, group, att))
        assert est[j] == one
        np.testing.assert_allclose(inf[:, j], one_inf, rtol=1e-12, atol=1e-12)
    # Without the weights' term: plain weighted sums of the columns.
    est0, inf0 = _combine_many(att, res.psi, sets)
    np.testing.assert_allclose(inf0[:, 0], res.psi[:, sets[0][0]] @ sets[0][1], atol=1e-12)


@pytest.mark.parametrize(
    "units",
    [
        np.repeat(np.arange(5, 30, 5), 3),  # sorted integers: counted
        np.repeat([3.0, 1.0, 2.0], 2),  # unsorted floats: factorised
        np.array(["b", "a", "b", "c"], dtype=object),  # text codes
        np.array([1, 1, 2, 2, 2, 7]),
    ],
)
def test_unit_codes_match_factorize(units):
    codes, uniques = _unit_codes(pd.Series(units))
    ref_codes, ref_uniques = pd.factorize(pd.Series(units), sort=True)
    np.testing.assert_array_equal(codes, ref_codes)
    np.testing.assert_array_equal(uniques, np.asarray(ref_uniques))


@pytest.mark.parametrize(
    "periods",
    [
        np.array([2012, 2010, 2011, 2010]),  # consecutive years
        np.array([2014, 2010, 2012, 2010]),  # gaps
        np.array([-3, 5, 0, 5], dtype=np.int16),
        np.array([2010.0, 2012.5, 2011.0]),
        np.array([3, 1, 2], dtype=np.uint8),
    ],
)
def test_period_codes_match_sorted_uniques(periods):
    uniques, codes = _period_codes(periods)
    ref = np.sort(np.unique(periods))
    np.testing.assert_array_equal(uniques, ref)
    np.testing.assert_array_equal(codes, np.searchsorted(ref, periods))
    np.testing.assert_array_equal(uniques[codes], periods)


def test_unsorted_long_panel_gives_the_same_estimates(staggered):
    # The counting fast path (sorted numeric units) and the hashing one agree.
    df, _ = staggered
    shuffled = df.sample(frac=1.0, random_state=3)
    text = df.assign(unit=df["unit"].map(lambda u: f"C{u:05d}"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = att_gt(df, **KW)
        b = att_gt(shuffled, **KW)
        c = att_gt(text, **KW)
    for other in (b, c):
        np.testing.assert_array_equal(a.table["att"], other.table["att"])
        np.testing.assert_allclose(a.table["se"], other.table["se"], rtol=1e-12)
