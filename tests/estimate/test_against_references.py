"""ATT(g,t) and aggregations agree with csdid and differences (ports of R did).

csdid reproduces R did to the digit; differences is an independent
implementation. Agreement is required to 1e-6 on estimates and analytic
standard errors.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from impact.estimate import att_gt

csdid_att_gt = pytest.importorskip("csdid.att_gt")
differences = pytest.importorskip("differences")


def run_csdid(df, y, unit, time, group, control, xformla=None, method="dr"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            m = csdid_att_gt.ATTgt(yname=y, gname=group, idname=unit, tname=time, data=df,
                                   control_group="nevertreated" if control == "never" else "notyettreated",
                                   xformla=xformla).fit(est_method=method, bstrap=False)
            r = m.results
            cells = pd.DataFrame({"group": r["group"], "time": r["year"], "att": r["att"], "se": r["se"]})
            aggs = {}
            for kind in ("simple", "group", "dynamic", "calendar"):
                m.aggte(typec=kind, bstrap=False)
                aggs[kind] = (m.atte["overall_att"], m.atte["overall_se"],
                              None if kind != "dynamic" else pd.DataFrame(
                                  {"event_time": m.atte["egt"], "att": m.atte["att_egt"],
                                   "se": np.asarray(m.atte["se_egt"]).ravel()}))
    return cells, aggs


CASES = [
    ("never", None, "dr"),
    ("notyet", None, "dr"),
    ("never", ["x"], "dr"),
    ("notyet", ["x"], "dr"),
    ("never", ["x"], "reg"),
    ("never", ["x"], "ipw"),
]


@pytest.mark.parametrize(("control", "covs", "method"), CASES)
def test_simulated_panel_matches_csdid(staggered, control, covs, method):
    df, _ = staggered
    ours = att_gt(df, outcome="y", unit="unit", time="year", group="g", control=control,
                  covariates=covs, method=method)
    cells, aggs = run_csdid(df, "y", "unit", "year", "g", control,
                            xformla="y~x" if covs else None, method=method)
    merged = ours.table.merge(cells, on=["group", "time"], suffixes=("", "_ref"))
    assert len(merged) == len(cells) == len(ours.table)
    np.testing.assert_allclose(merged["att"], merged["att_ref"], atol=1e-6)
    np.testing.assert_allclose(merged["se"], merged["se_ref"], atol=1e-6, rtol=1e-5)
    for kind, (att_ref, se_ref, dyn_ref) in aggs.items():
        agg = ours.aggregate(kind)
        assert agg.overall_att == pytest.approx(att_ref, abs=1e-6), kind
        assert agg.overall_se == pytest.approx(se_ref, abs=1e-6, rel=1e-5), kind
        if dyn_ref is not None:
            m = agg.table.merge(dyn_ref, on="event_time", suffixes=("", "_ref"))
            assert len(m) == len(dyn_ref)
            np.testing.assert_allclose(m["att"], m["att_ref"], atol=1e-6)
            np.testing.assert_allclose(m["se"], m["se_ref"], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("covs", [None, ["lpop"]])
def test_mpdta_matches_csdid(mpdta, control, covs):
    ours = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat",
                  control=control, covariates=covs)
    cells, aggs = run_csdid(mpdta, "lemp", "countyreal", "year", "first.treat", control,
                            xformla="lemp~lpop" if covs else None)
    merged = ours.table.merge(cells, on=["group", "time"], suffixes=("", "_ref"))
    np.testing.assert_allclose(merged["att"], merged["att_ref"], atol=1e-6)
    np.testing.assert_allclose(merged["se"], merged["se_ref"], atol=1e-6, rtol=1e-5)
    for kind, (att_ref, se_ref, _) in aggs.items():
        assert ours.aggregate(kind).overall_att == pytest.approx(att_ref, abs=1e-6)
        assert ours.aggregate(kind).overall_se == pytest.approx(se_ref, abs=1e-6, rel=1e-5)


def test_mpdta_published_numbers(mpdta):
    """Numbers printed in the R did vignette (never treated, no covariates)."""
    res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    cell = res.table.set_index(["group", "time"])
    assert cell.loc[(2004, 2004), "att"] == pytest.approx(-0.0105, abs=5e-5)
    assert res.aggregate("simple").overall_att == pytest.approx(-0.0400, abs=5e-5)
    assert res.aggregate("group").overall_att == pytest.approx(-0.0310, abs=5e-5)
    dyn = res.aggregate("dynamic").table.set_index("event_time")
    assert dyn.loc[0, "att"] == pytest.approx(-0.0199, abs=5e-5)
    assert res.pretrend_test().pvalue == pytest.approx(0.1681, abs=5e-4)


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_matches_differences_package(staggered, control):
    df, _ = staggered
    ours = att_gt(df, outcome="y", unit="unit", time="year", group="g", control=control)
    d = df.assign(ft=df["g"].replace(0, np.nan)).set_index(["unit", "year"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = differences.ATTgt(data=d, cohort_column="ft")
        ref.fit(formula="y", control_group="never_treated" if control == "never" else "not_yet_treated",
                progress_bar=False)
        event = ref.aggregate("event")
        simple = ref.aggregate("simple")
    event.columns = ["att", "se", "lo", "hi", "flag"]
    event = event.reset_index().rename(columns={"relative_period": "event_time"})
    dyn = ours.aggregate("dynamic").table.merge(event, on="event_time", suffixes=("", "_ref"))
    assert len(dyn) == len(event)
    np.testing.assert_allclose(dyn["att"], dyn["att_ref"], atol=1e-6)
    np.testing.assert_allclose(dyn["se"], dyn["se_ref"], atol=1e-6, rtol=1e-5)
    assert ours.aggregate("simple").overall_att == pytest.approx(simple.iloc[0, 0], abs=1e-6)
    assert ours.aggregate("simple").overall_se == pytest.approx(simple.iloc[0, 1], rel=1e-5)


def test_universal_base_period_matches_csdid(mpdta):
    ours = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat",
                  base_period="universal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            m = csdid_att_gt.ATTgt(yname="lemp", gname="first.treat", idname="countyreal",
                                   tname="year", data=mpdta).fit(base_period="universal", bstrap=False)
    ref = pd.DataFrame({"group": m.results["group"], "time": m.results["year"], "att": m.results["att"]})
    merged = ours.table.merge(ref, on=["group", "time"], suffixes=("", "_ref"))
    assert len(merged) == len(ref)
    np.testing.assert_allclose(merged["att"], merged["att_ref"], atol=1e-6)
    # The reference cell g - 1 is reported as exactly zero.
    ref_cells = ours.table[ours.table["time"] == ours.table["group"] - 1]
    assert (ref_cells["att"] == 0).all() and (ref_cells["se"] == 0).all()
