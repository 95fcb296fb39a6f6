"""Bad panels give clear errors or documented behaviour."""

import numpy as np
import pandas as pd
import pytest
from did_sim import simulate_staggered

from impact.errors import InputError
from impact.estimate import att_gt

KW = dict(outcome="y", unit="unit", time="year", group="g")


@pytest.fixture
def panel():
    return simulate_staggered(n_units=120, seed=2)[0]


def test_unbalanced_panel_raises_then_drops_when_allowed(panel):
    holes = panel.drop(index=panel.index[(panel["unit"] < 3) & (panel["year"] == 2014)])
    with pytest.raises(InputError, match="unbalanced: 3 of 120 units"):
        att_gt(holes, **KW)
    res = att_gt(holes, **KW, allow_unbalanced=True)
    assert res.n_units == 117 and res.options["dropped_units"] == 3


def test_duplicate_rows(panel):
    dup = pd.concat([panel, panel.iloc[:2]])
    with pytest.raises(
        InputError, match=r"2 rows share a \(unit, year\) pair|share a \(unit, year\)"
    ):
        att_gt(dup, **KW)


def test_treatment_that_switches_off(panel):
    bad = panel.copy()
    bad.loc[(bad["unit"] == 0) & (bad["year"] > 2015), "g"] = 0
    with pytest.raises(InputError, match="changes over time"):
        att_gt(bad, **KW)


def test_all_units_treated(panel):
    treated = panel[panel["g"] > 0]
    with pytest.raises(InputError, match="no never-treated comparison group"):
        att_gt(treated, **KW)
    # With not-yet-treated controls the last cohort serves as comparison.
    res = att_gt(treated, **KW, control="notyet")
    assert res.table["time"].max() < treated["g"].max()
    assert treated["g"].max() not in res.table["group"].to_numpy()


def test_cells_without_comparison_are_dropped_with_warning(panel):
    # Never-treated units with zero weight leave no comparison group at all.
    zero = panel.assign(pop=np.where(panel["g"] == 0, 0, panel["pop"]))
    with (
        pytest.warns(UserWarning, match="no comparison unit"),
        pytest.raises(InputError, match="no group-time"),
    ):
        att_gt(zero, **KW, weights="pop")
    # With not-yet-treated controls, early cells of early cohorts still have comparisons.
    with pytest.warns(UserWarning, match="no comparison unit"):
        res = att_gt(zero, **KW, weights="pop", control="notyet")
    assert len(res.table) > 0 and np.isfinite(res.table["att"]).all()


def test_string_periods(panel):
    bad = panel.assign(year=panel["year"].astype(str))
    with pytest.raises(InputError, match="must hold numeric periods"):
        att_gt(bad, **KW)


def test_missing_column_and_bad_options(panel):
    with pytest.raises(InputError, match=r"column\(s\) \['pop2'\] not found"):
        att_gt(panel, **KW, weights="pop2")
    with pytest.raises(InputError, match="control must be"):
        att_gt(panel, **KW, control="sometimes")
    with pytest.raises(InputError, match="method must be"):
        att_gt(panel, **KW, method="ols")


def test_units_treated_in_first_period_are_dropped(panel):
    early = panel.copy()
    early.loc[early["unit"] < 5, "g"] = 2010
    with pytest.warns(UserWarning, match="Dropped 5 units already treated in the first period"):
        res = att_gt(early, **KW)
    assert res.n_units == 115


def test_missing_group_means_never_treated(panel):
    nan_g = panel.assign(g=panel["g"].replace(0, np.nan))
    a = att_gt(nan_g, **KW).table["att"].to_numpy()
    b = att_gt(panel, **KW).table["att"].to_numpy()
    np.testing.assert_allclose(a, b)


def test_non_numeric_periods_of_other_kinds(panel):
    quarters = panel.assign(year=panel["year"].astype(str) + "Q1")
    with pytest.raises(InputError, match="year \\* 4 \\+ quarter"):
        att_gt(quarters, **KW)
    dates = panel.assign(year=pd.to_datetime(panel["year"].astype(str) + "-01-01"))
    with pytest.raises(InputError, match="numeric periods"):
        att_gt(dates, **KW)


def test_text_group_column(panel):
    bad = panel.assign(g=panel["g"].astype(str).replace("0", "never"))
    with pytest.raises(InputError, match="first treated period as a number.*'never'"):
        att_gt(bad, **KW)
    # Numbers stored as text are converted.
    ok = panel.assign(g=panel["g"].astype(str))
    np.testing.assert_allclose(att_gt(ok, **KW).table["att"], att_gt(panel, **KW).table["att"])


def test_duplicate_rows_name_examples(panel):
    dup = pd.concat([panel, panel[(panel["unit"] == 7) & (panel["year"] == 2012)]])
    with pytest.raises(InputError, match="Examples: 7 in 2012"):
        att_gt(dup, **KW)


def test_missing_outcome_makes_the_panel_unbalanced(panel):
    holes = panel.copy()
    holes.loc[(holes["unit"] == 4) & (holes["year"] == 2011), "y"] = np.nan
    with pytest.raises(InputError, match=r"unbalanced: 1 of 120 units .*\(e\.g\. 4\)"):
        att_gt(holes, **KW)
    assert att_gt(holes, **KW, allow_unbalanced=True).n_units == 119


def test_time_varying_weights_clusters_and_missing_covariates(panel):
    with pytest.raises(InputError, match="weight 'year' varies over time"):
        att_gt(panel, **KW, weights="year")
    with pytest.raises(InputError, match="cluster 'cl' varies over time"):
        att_gt(panel.assign(cl=panel["year"] % 2), **KW, cluster="cl")
    nan_x = panel.assign(x=np.where(panel["unit"] == 3, np.nan, panel["x"]))
    with pytest.raises(InputError, match="covariate 'x' is missing"):
        att_gt(nan_x, **KW, covariates=["x"])
    with pytest.raises(InputError, match="must be finite, non-negative"):
        att_gt(panel.assign(pop=-panel["pop"]), **KW, weights="pop")


def test_bad_options(panel):
    with pytest.raises(InputError, match="base_period"):
        att_gt(panel, **KW, base_period="first")
    with pytest.raises(InputError, match="anticipation"):
        att_gt(panel, **KW, anticipation=-1)
    with pytest.raises(InputError, match="alpha"):
        att_gt(panel, **KW, alpha=5)
    with pytest.raises(InputError, match="bootstrap_weights"):
        att_gt(panel, **KW, bootstrap=99, bootstrap_weights="normal")
    res = att_gt(panel, **KW)
    with pytest.raises(InputError, match="kind must be one of"):
        res.aggregate("cohort")
    with pytest.raises(InputError, match="balance_e"):
        res.aggregate("simple", balance_e=1)
    with pytest.raises(InputError, match="reduce balance_e"):
        res.aggregate("dynamic", balance_e=50)
    with pytest.raises(InputError, match="alpha"):
        res.aggregate("group", alpha=0)
    with pytest.raises(InputError, match="bootstrap must be"):
        res.aggregate("group", bootstrap=-5)
    with pytest.raises(InputError, match="pretrend_test"):
        res.aggregate("group").pretrend_test()


def test_cohort_without_comparison_when_its_controls_have_zero_weight():
    # A not-yet-treated design with no never-treated unit: the last cohort has
    # no comparison group, so it is not estimated (it serves as comparison).
    df, _ = simulate_staggered(n_units=150, seed=3, cohorts={2013: 0.4, 2015: 0.6})
    res = att_gt(df, **KW, control="notyet")
    assert set(res.table["group"]) == {2013}
    assert res.table["time"].max() == 2014


def test_covariates_separating_treated_from_controls_warn(panel):
    # A covariate that (almost) perfectly predicts treatment: no overlap.
    sep = panel.assign(x=(panel["g"] > 0) * 10.0 + 0.01 * panel["unit"] % 7)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        att_gt(sep, **KW, covariates=["x"], method="ipw")


def test_small_groups_warn(panel):
    never = panel.loc[panel["g"] == 0, "unit"].unique()
    tiny_never = panel[(panel["g"] > 0) | panel["unit"].isin(never[:3])]
    # R did stops here; we warn and suggest not-yet-treated comparisons.
    with pytest.warns(UserWarning, match="fewer than 5 units.*never treated.*control='notyet'"):
        res = att_gt(tiny_never, **KW)
    assert (res.table["n_control"] == 3).all()
    with pytest.warns(UserWarning, match="fewer than 5 units") as record:
        att_gt(tiny_never, **KW, control="notyet")
    assert "control='notyet'" not in str(record[0].message)
    # One covariate raises the requirement to 6 units per group.
    treated = panel.loc[panel["g"] == 2013, "unit"].unique()
    small_cohort = panel[(panel["g"] != 2013) | panel["unit"].isin(treated[:5])]
    with pytest.warns(UserWarning, match="fewer than 6 units .*: 2013"):
        att_gt(small_cohort, **KW, covariates=["x"])
