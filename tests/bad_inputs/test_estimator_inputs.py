"""Class 4: estimator inputs that would change the meaning of att_gt are refused by name;
nothing to estimate is an error, not a number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _corpus import expect_error
from did_sim import simulate_staggered

from impact.errors import InputError, NothingToEstimateError
from impact.estimate import att_gt


@pytest.fixture(scope="module")
def panel():
    df, _ = simulate_staggered(n_units=60, periods=(2010, 2016), cohorts={2013: 0.3, 2015: 0.3}, seed=3)
    return df


def run(df, **kw):
    return att_gt(df, outcome="y", unit="unit", time="year", group="g", **kw)


@pytest.mark.parametrize(("bad", "fragment"), [
    (2014.5, "2014.5"),        # the example
    (2013.25, "2013.25"),
    ("2014.5", "2014.5"),
])
def test_fractional_group_refused(panel, bad, fragment):
    df = panel.copy()
    df["g"] = df["g"].astype(object)
    df.loc[df["g"] == 2013, "g"] = bad
    err = expect_error(lambda: run(df), InputError, "column 'g'", fragment, "whole period of the time axis")
    assert err.column == "g"


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_group_refused(panel, bad):
    df = panel.astype({"g": float})
    df.loc[df["g"] == 2013, "g"] = bad
    expect_error(lambda: run(df), InputError, "column 'g'", "infinite first treated period")


def test_group_between_periods_of_the_axis_refused():
    df, _ = simulate_staggered(n_units=60, periods=(2010, 2016), cohorts={2012: 0.3}, seed=4)
    df = df[df["year"] % 2 == 0].copy()        # axis 2010, 2012, 2014, 2016
    df.loc[df["g"] == 2012, "g"] = 2013
    expect_error(lambda: run(df), InputError, "column 'g'", "2013", "not periods of the time axis")


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_outcome_refused_by_name(panel, bad):
    df = panel.copy()
    df.loc[5, "y"] = bad
    expect_error(lambda: run(df), InputError, "outcome 'y'", "infinite", f"unit {df.loc[5, 'unit']}")


def test_outcome_as_text_refused(panel):
    df = panel.astype({"y": object})
    df.loc[3, "y"] = "n/a"
    expect_error(lambda: run(df), InputError, "'y'", "numeric")


def test_no_treated_unit_is_nothing_to_estimate(panel):
    df = panel.assign(g=0)
    expect_error(lambda: run(df, control="notyet"), InputError)


def test_treated_only_after_the_window_is_nothing_to_estimate(panel):
    df = panel.copy()
    df.loc[df["g"] > 0, "g"] = 2030
    expect_error(lambda: run(df, control="notyet"), InputError)


def test_nothing_to_estimate_error_names_the_group_column():
    from impact.estimate._validate import prepare_panel

    df = pd.DataFrame({"u": [1, 1, 2, 2], "t": [2010, 2011] * 2, "y": [1.0, 2, 3, 4], "g": [0, 0, 0, 0]})
    expect_error(lambda: prepare_panel(df, outcome="y", unit="u", time="t", group="g"),
                 NothingToEstimateError, "nothing to estimate", "'g'", "2010–2011")


def test_whole_group_as_text_and_missing_group_are_legitimate(panel):
    # Odd but legitimate: "2013" as text and NaN for never treated give the same numbers.
    df = panel.copy()
    df["g"] = df["g"].map(lambda v: np.nan if v == 0 else f"{v}.0")
    a, b = run(panel), run(df)
    np.testing.assert_allclose(a.table["att"], b.table["att"])
    # And the first cell is the 2x2 difference in means, computed independently.
    first = b.table.iloc[0]
    wide = panel.pivot(index="unit", columns="year", values="y")
    g_of = panel.drop_duplicates("unit").set_index("unit")["g"]
    dy = wide[first["time"]] - wide[first["base"]]
    expected = dy[g_of == first["group"]].mean() - dy[g_of == 0].mean()
    assert first["att"] == pytest.approx(expected, abs=1e-10)
