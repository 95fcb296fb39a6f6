"""Every estimation result follows one protocol (tidy, vcov, summary, plot, repr, HTML).

Each case builds one result on the bundled example panel (known effect 2.0)
and says how its own fields map onto ``tidy()``: the test then checks the
protocol against those fields, so a wrong mapping (an SE in place of an
estimate, a shifted row, a CI not centred on its estimate) fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from scipy import stats

import impact.estimate as est
from impact.datasets import example_panel
from impact.errors import InputError
from impact.estimate import TIDY_COLUMNS, EstimationResult, ResultBase, compare

matplotlib.use("Agg")

Z = float(stats.norm.ppf(0.975))


def _panel(n_units: int = 40) -> pd.DataFrame:
    df = example_panel(n_units=n_units)
    df["treated"] = ((df["first_treated"] > 0) & (df["year"] >= df["first_treated"])).astype(int)
    return df


KW = dict(outcome="outcome", unit="territory_code", time="year")
GKW = dict(KW, group="first_treated")


@dataclass
class Case:
    """How to build a result and what its own fields say ``tidy()`` must contain."""

    build: Callable[[], Any]
    # term -> {column: value} read from the result's own attributes
    expect: Callable[[Any], dict[str, dict[str, float]]]
    # Half-width of the CI in standard errors (None: not estimate ± crit·se, e.g. test inversion)
    crit: Callable[[Any], float | None]
    # Whether vcov()'s diagonal holds the squared SEs of tidy()
    vcov_diag_is_se2: bool = True
    # Whether vcov() has off-diagonal covariances (not NaN)
    full_vcov: bool = False


def _twfe():
    return est.twfe(_panel(), treatment="treated", cluster="region", **KW)


def _event_study_twfe():
    df, names = est.event_time_dummies(_panel(), time="year", group="first_treated",
                                       window=(-3, 2))
    return est.twfe(df, treatment=names, **KW)


def _att_gt():
    return est.att_gt(_panel(), **GKW)


def _agg(kind: str):
    return lambda: _att_gt().aggregate(kind)


def _rows(tab: pd.DataFrame, key: str, prefix: str, cols=("att", "se")) -> dict:
    return {f"{prefix}{v:g}": {"estimate": a, "se": s}
            for v, a, s in zip(tab[key], tab[cols[0]], tab[cols[1]], strict=True)}


def _agg_expect(r) -> dict:
    out = {"ATT": {"estimate": r.overall_att, "se": r.overall_se, "pvalue": r.overall_pvalue}}
    key = {"group": "group", "dynamic": "event_time", "calendar": "time"}.get(r.kind)
    if key:
        out |= _rows(r.table, key, {"group": "g=", "dynamic": "e=", "calendar": "t="}[r.kind])
    return out


CASES: dict[str, Case] = {
    "twfe": Case(
        _twfe,
        lambda r: {t: {"estimate": r.coef[t], "se": r.se[t]} for t in r.coef.index},
        lambda r: float(stats.t.ppf(0.975, r.n_clusters - 1)),
        full_vcov=True,
    ),
    "twfe_event_study": Case(
        lambda: _event_study_twfe(),
        lambda r: {t: {"estimate": r.coef[t], "se": r.se[t]} for t in r.coef.index},
        lambda r: float(stats.t.ppf(0.975, r.n_clusters - 1)),
        full_vcov=True,
    ),
    "conley": Case(
        lambda: est.conley_twfe(
            _panel(), treatment="treated", cutoff_km=50,
            coords=pd.DataFrame({"lon": np.linspace(0, 4, 40), "lat": 45.0},
                                index=[f"T{i:03d}" for i in range(1, 41)]), **KW),
        lambda r: {"treated": {"estimate": r.table["estimate"].iloc[0],
                               "se": r.table["se"].iloc[0]}},
        lambda r: Z,
        full_vcov=True,
    ),
    "att_gt": Case(
        _att_gt,
        lambda r: {f"ATT({g:g},{t:g})": {"estimate": a, "se": s}
                   for g, t, a, s in r.table[["group", "time", "att", "se"]].itertuples(False)},
        lambda r: Z,
        full_vcov=True,
    ),
    "aggregate_simple": Case(_agg("simple"), _agg_expect, lambda r: Z, full_vcov=True),
    "aggregate_group": Case(_agg("group"), _agg_expect, lambda r: Z, full_vcov=True),
    "aggregate_dynamic": Case(_agg("dynamic"), _agg_expect, lambda r: Z, full_vcov=True),
    "aggregate_calendar": Case(_agg("calendar"), _agg_expect, lambda r: Z, full_vcov=True),
    "aggregate_bootstrap": Case(
        # Bootstrap SEs: vcov() stays the analytic influence-function covariance.
        lambda: _att_gt().aggregate("dynamic", bootstrap=199, seed=1),
        _agg_expect, lambda r: Z, vcov_diag_is_se2=False, full_vcov=True,
    ),
    "synth": Case(
        lambda: est.synthetic_control(_panel(), treated_unit="T001", treatment_start=2013,
                                      donors=[f"T{i:03d}" for i in range(21, 41)], **KW),
        lambda r: {"ATT": {"estimate": r.gap[r.gap.index >= 2013].mean(),
                           "pvalue": r.placebo_pvalue, "se": np.nan}},
        lambda r: None,
    ),
    "synth_staggered": Case(
        lambda: est.synthetic_control_staggered(_panel(16), n_placebo=10, seed=0, **GKW),
        lambda r: {"ATT": {"estimate": r.table.loc[r.table["event_time"] >= 0, "att"].mean(),
                           "pvalue": r.placebo_pvalue}}
        | {f"e={e:g}": {"estimate": a} for e, a in zip(r.table["event_time"], r.table["att"],
                                                        strict=True)},
        lambda r: None,
    ),
    "randomization": Case(
        lambda: est.randomization_inference(_panel(8), n_permutations=19, seed=0, **GKW),
        lambda r: {"ATT": {"estimate": r.statistic, "pvalue": r.pvalue, "se": np.nan}},
        lambda r: None,
    ),
    "dose_linear": Case(
        lambda: est.dose_response(_panel().query("first_treated != 2015"), dose="dose",
                                  start=2013, **KW),
        lambda r: {"dose": {"estimate": r.acr, "se": r.acr_se},
                   "any_dose": {"estimate": r.level_effect}},
        lambda r: Z,
        full_vcov=True,
    ),
    "dose_binned": Case(
        lambda: est.dose_response(_panel().query("first_treated != 2015"), dose="dose",
                                  start=2013, spec="binned", bins=2, **KW),
        lambda r: {str(d): {"estimate": a, "se": s}
                   for d, a, s in zip(r.table["dose"], r.table["att"], r.table["se"],
                                      strict=True)},
        lambda r: Z,
        full_vcov=True,
    ),
    "sdid": Case(
        lambda: est.synthetic_did(_panel(), se_method="jackknife", **GKW),
        lambda r: {"ATT": {"estimate": r.overall_att, "se": r.overall_se}}
        | _rows(r.table, "group", "g="),
        lambda r: Z,
    ),
    "continuous": Case(
        lambda: est.continuous_did(_panel(), dose="dose", degree=1, bootstrap=49, seed=0, **GKW),
        lambda r: {"ATT": {"estimate": r.overall_att}, "ACRT": {"estimate": r.overall_acrt}}
        | {q: {"se": s} for q, s in zip(r.overall["quantity"], r.overall["se"], strict=True)},
        lambda r: Z,
        full_vcov=True,
    ),
    "honest": Case(
        lambda: est.att_gt(_panel(), base_period="universal", **GKW)
        .aggregate("dynamic").honest_did(method="smoothness", M=[0.0, 0.25]),
        lambda r: {"original": {"estimate": r.estimate,
                                "ci_low": r.original[0], "ci_high": r.original[1]}}
        | {f"M={m:g}": {"estimate": r.estimate, "ci_low": lo, "ci_high": hi}
           for m, lo, hi in zip(r.table["M"], r.table["ci_low"], r.table["ci_high"],
                                strict=True)},
        lambda r: Z,
    ),
    "wild": Case(
        lambda: est.wild_cluster_bootstrap(_panel(), treatment="treated", cluster="region",
                                           B=199, **KW),
        lambda r: {"treated": {"estimate": r.estimate, "se": r.se, "pvalue": r.pvalue,
                               "ci_low": r.ci_low, "ci_high": r.ci_high}},
        lambda r: None,  # CI by test inversion, not estimate ± crit·se
    ),
    "leave_one_out": Case(
        lambda: est.leave_one_out(_panel(), by="cohort", **GKW),
        lambda r: {"full sample": {"estimate": r.full_att, "se": r.full_se}}
        | {f"without {d}": {"estimate": a, "se": s}
           for d, a, s in zip(r.table["dropped"], r.table["att"], r.table["se"], strict=True)},
        lambda r: Z,
    ),
    "placebo_power": Case(
        lambda: est.placebo_power(_panel(), effects=[0.0, 1.0], draws=3, n_treated=10, **GKW),
        lambda r: {f"effect={e:g}": {"estimate": m, "se": s}
                   for e, m, s in zip(r.table["effect"], r.table["mean_estimate"],
                                      r.table["sd_estimate"], strict=True)},
        lambda r: None,
    ),
    "bacon": Case(
        lambda: est.bacon_decomposition(_panel(), **GKW),
        lambda r: {"TWFE": {"estimate": r.twfe, "se": np.nan}}
        | {t: {"estimate": e} for t, e in zip(r.by_type["type"], r.by_type["estimate"],
                                               strict=True)},
        lambda r: None,
    ),
}

_BUILT: dict[str, Any] = {}


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request) -> tuple[Case, Any]:
    name = request.param
    if name not in _BUILT:
        _BUILT[name] = CASES[name].build()
    return CASES[name], _BUILT[name]


def test_every_result_class_has_a_case():
    classes = {getattr(est, n) for n in est.__all__}
    results = {c for c in classes if isinstance(c, type) and issubclass(c, ResultBase)
               and c is not ResultBase}
    built = set()
    for name, c in CASES.items():
        if name not in _BUILT:
            _BUILT[name] = c.build()
        built.add(type(_BUILT[name]))
    # AggregateResult of aggregation.py subclasses the one of results.py: count the base.
    built |= {b for t in built for b in t.__mro__ if b in results}
    assert results <= built, f"no protocol case for {sorted(c.__name__ for c in results - built)}"


def test_result_follows_the_protocol(case):
    _, res = case
    assert isinstance(res, EstimationResult)
    assert isinstance(res.summary(), str) and res.summary().strip()


def test_tidy_has_fixed_columns_and_dtypes(case):
    _, res = case
    tab = res.tidy()
    assert tuple(tab.columns) == TIDY_COLUMNS
    assert len(tab) >= 1
    assert tab["term"].map(type).eq(str).all()
    assert not tab["term"].duplicated().any()
    for col in TIDY_COLUMNS[1:]:
        assert tab[col].dtype == np.float64, col
    p = tab["pvalue"].dropna()
    assert ((p >= 0) & (p <= 1)).all()


def test_tidy_agrees_with_the_result_own_fields(case):
    c, res = case
    tab = res.tidy().set_index("term")
    expected = c.expect(res)
    assert set(expected) <= set(tab.index), set(expected) - set(tab.index)
    for term, cols in expected.items():
        for col, value in cols.items():
            got = tab.loc[term, col]
            if np.isnan(value):
                assert np.isnan(got), (term, col, got)
            else:
                assert got == pytest.approx(float(value), rel=1e-10, abs=1e-12), (term, col)


def test_confidence_interval_is_consistent_with_the_standard_error(case):
    c, res = case
    tab = res.tidy()
    ok = np.isfinite(tab[["estimate", "se", "ci_low", "ci_high"]]).all(axis=1) & (tab["se"] > 0)
    sub = tab[ok]
    assert (sub["ci_low"] <= sub["estimate"] + 1e-12).all()
    assert (sub["estimate"] <= sub["ci_high"] + 1e-12).all()
    crit = c.crit(res)
    if crit is not None and len(sub):
        half = (sub["ci_high"] - sub["ci_low"]) / 2
        np.testing.assert_allclose(half / sub["se"], crit, rtol=1e-8)
        np.testing.assert_allclose((sub["ci_high"] + sub["ci_low"]) / 2, sub["estimate"],
                                   atol=1e-10)


def test_vcov_is_square_labelled_symmetric_and_psd(case):
    c, res = case
    tab = res.tidy()
    v = res.vcov()
    assert isinstance(v, pd.DataFrame)
    assert list(v.index) == list(tab["term"]) == list(v.columns)
    m = v.to_numpy(float)
    finite_se = np.isfinite(tab["se"].to_numpy())
    if c.vcov_diag_is_se2:
        np.testing.assert_allclose(np.sqrt(np.diag(m))[finite_se],
                                   tab["se"].to_numpy()[finite_se], rtol=1e-6, atol=1e-12)
    if c.full_vcov:
        assert np.isfinite(m).all()
        np.testing.assert_allclose(m, m.T, atol=1e-12)
        eig = np.linalg.eigvalsh((m + m.T) / 2)
        assert eig.min() >= -1e-9 * max(1.0, eig.max())
    else:
        off = m[~np.eye(len(m), dtype=bool)]
        assert np.isnan(off).all(), "no covariance known: off-diagonal must be NaN, not 0"


def test_plot_returns_the_axes_it_drew_on(case):
    _, res = case
    ax = res.plot()
    assert isinstance(ax, Axes)
    assert ax.has_data()
    fig, given = plt.subplots()
    assert res.plot(ax=given) is given
    plt.close("all")


def test_repr_is_one_line_and_html_is_html(case):
    _, res = case
    text = repr(res)
    assert "\n" not in text and text.startswith(type(res).__name__ + "(")
    first = res.tidy().iloc[0]
    assert str(first["term"]) in text
    if res.nobs is not None:
        assert f"n {res.nobs}" in text
    page = res._repr_html_()
    assert page.startswith("<") and "</pre>" in page
    assert type(res).__name__ in page


def test_nobs_counts_units():
    assert _BUILT.get("twfe", _twfe()).nobs == 40
    assert est.att_gt(_panel(), **GKW).nobs == 40


# --------------------------------------------------------------------------- compare
@pytest.fixture(scope="module")
def several():
    base = _twfe()
    simple = _att_gt().aggregate("simple")
    sdid = est.synthetic_did(_panel(), se_method="jackknife", **GKW)
    ri = est.randomization_inference(_panel(8), n_permutations=19, seed=0, **GKW)
    return {"TWFE": base, "CS": simple, "SDID": sdid, "RI": ri}


def test_compare_shows_the_numbers_of_each_result(several):
    tab = compare(several, rename={"treated": "ATT"}, terms=["ATT"], n_label="Territoires")
    text, page, tex = str(tab), tab._repr_html_(), tab.to_latex()
    for name, res in several.items():
        row = res.tidy().replace({"term": {"treated": "ATT"}}).set_index("term").loc["ATT"]
        for out in (text, page, tex):
            assert name in out
            assert f"{row['estimate']:.3f}" in out
            if np.isfinite(row["se"]):
                assert f"({row['se']:.3f})" in out
                assert f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]" in out
    frame = tab.to_frame()
    assert frame.loc[("ATT", "estimate"), "CS"] == pytest.approx(several["CS"].overall_att)
    assert frame.loc[("ATT", "pvalue"), "RI"] == pytest.approx(several["RI"].pvalue)
    assert np.isnan(frame.loc[("ATT", "se"), "RI"])
    assert frame.loc[("N", ""), "RI"] == 8 and frame.loc[("N", ""), "TWFE"] == 40
    assert "Territoires" in text and "\\toprule" in tex
    assert "*" not in text  # stars are off by default


def test_compare_stars_and_missing_terms(several):
    tab = compare([several["TWFE"], several["SDID"]], names=["a", "b"], stars=True, ci=False)
    text = str(tab)
    # TWFE's term "treated" and SDID's "ATT" stay on separate rows without rename.
    assert "treated" in text and "g=2013" in text
    assert f"{several['SDID'].overall_att:.3f}***" in text  # p < 0.01 on the example panel
    assert "[" not in text.split("\n")[0]
    with pytest.raises(InputError, match="in no result"):
        compare([several["TWFE"]], terms=["nope"])
    with pytest.raises(InputError, match="2 names for 1 results"):
        compare([several["TWFE"]], names=["a", "b"])
    with pytest.raises(InputError, match="DataFrame"):
        compare([pd.DataFrame()])


def test_an_axes_from_plot_can_be_saved_as_a_report_figure(tmp_path):
    from impact.maps import save_figure

    res = _BUILT.get("bacon") or CASES["bacon"].build()
    path = save_figure(res.plot(title="Décomposition"), tmp_path / "bacon.png")
    assert path.exists() and path.stat().st_size > 1000
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    plt.close("all")
