"""Bad panels give clear errors or documented behaviour."""

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError
from impact.estimate import att_gt

from did_sim import simulate_staggered

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
    with pytest.raises(InputError, match=r"2 rows share a \(unit, year\) pair|share a \(unit, year\)"):
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
    with pytest.warns(UserWarning, match="no comparison unit"), pytest.raises(InputError, match="no group-time"):
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
