"""Leave-one-out: a known influential territory and known cohort effects are recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError
from impact.estimate import leave_one_out


def _panel(seed=0, n_units=60, outlier_effect=30.0):
    """Cohort 2014 (units 0-5, effect 1), cohort 2016 (units 6-11, effect 5), never treated
    otherwise; unit 3 of cohort 2014 has a huge effect `outlier_effect`."""
    rng = np.random.default_rng(seed)
    years = np.arange(2012, 2020)
    rows = []
    for u in range(n_units):
        g = 2014 if u < 6 else (2016 if u < 12 else 0)
        eff = (outlier_effect if u == 3 else 1.0) if g == 2014 else (5.0 if g == 2016 else 0.0)
        a = rng.normal()
        for t in years:
            y = a + 0.2 * (t - 2012) + (eff if g and t >= g else 0.0) + rng.normal(scale=0.3)
            rows.append((f"D{u:02d}", t, g, y))
    return pd.DataFrame(rows, columns=["dep", "year", "g", "y"])


def test_leave_one_unit_out_finds_the_outlier():
    df = _panel()
    res = leave_one_out(df, by="unit", outcome="y", unit="dep", time="year", group="g")
    assert len(res.table) == 12  # one row per treated territory
    assert res.most_influential == "D03"
    row = res.table.set_index("dropped").loc["D03"]
    # Without the outlier, cohort 2014 has effect 1 and the overall ATT falls a lot.
    assert row["att"] < res.full_att - 2
    others = res.table[res.table["dropped"] != "D03"]["att"]
    assert others.min() > row["att"]
    assert "D03" in res.summary()


def test_leave_one_cohort_out_recovers_the_other_cohorts_effect():
    df = _panel(outlier_effect=1.0)
    res = leave_one_out(df, by="cohort", outcome="y", unit="dep", time="year", group="g",
                        aggregation="group")
    t = res.table.set_index("dropped")
    assert t.loc[2014, "att"] == pytest.approx(5.0, abs=0.3)  # only cohort 2016 left
    assert t.loc[2016, "att"] == pytest.approx(1.0, abs=0.3)
    assert (t["ci_low"] < t["att"]).all() and (t["att"] < t["ci_high"]).all()
    ax = res.plot()
    assert "cohorte" in ax.get_xlabel()
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_bad_input():
    df = _panel()
    with pytest.raises(InputError, match="by must be"):
        leave_one_out(df, by="region", outcome="y", unit="dep", time="year", group="g")
    with pytest.raises(InputError, match="group"):
        leave_one_out(df, outcome="y", unit="dep", time="year")
    one = df[(df["g"] != 2016)]
    with pytest.raises(InputError, match="two cohorts"):
        leave_one_out(one, by="cohort", outcome="y", unit="dep", time="year", group="g")
