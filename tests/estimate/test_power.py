"""Minimum detectable effect (closed form checked by simulation) and placebo power."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from impact.errors import InputError
from impact.estimate import minimum_detectable_effect, placebo_power


def test_mde_closed_form_and_its_power_by_simulation():
    assert minimum_detectable_effect(1.0) == pytest.approx(1.959964 + 0.841621, abs=1e-5)
    se = 0.37
    mde = minimum_detectable_effect(se)
    # An estimate ~ N(MDE, se^2) is significant at 5 % about 80 % of the time.
    x = np.random.default_rng(0).normal(mde, se, size=400_000)
    assert np.mean(np.abs(x) > 1.959964 * se) == pytest.approx(0.80, abs=0.003)
    # Student version with few clusters is larger.
    assert minimum_detectable_effect(se, df=9) == pytest.approx(
        (stats.t.ppf(0.975, 9) + stats.t.ppf(0.8, 9)) * se)
    assert minimum_detectable_effect(se, df=9) > mde
    with pytest.raises(InputError):
        minimum_detectable_effect(-1.0)


def _panel(seed=0, n_units=80):
    rng = np.random.default_rng(seed)
    years = np.arange(2012, 2020)
    rows = []
    for u in range(n_units):
        g = 2014 if u < 5 else (2016 if u < 10 else 0)
        a = rng.normal()
        for t in years:
            # Treated units carry a large real effect: placebo draws must never use them.
            y = a + 0.1 * (t - 2012) + (10.0 if g and t >= g else 0.0) + rng.normal(scale=0.5)
            rows.append((u, t, g, y))
    return pd.DataFrame(rows, columns=["unit", "year", "g", "y"])


def test_placebo_power_detects_large_effects_and_not_null_ones():
    df = _panel()
    res = placebo_power(df, effects=[0.0, 1.5], draws=40, seed=1, outcome="y", unit="unit",
                        time="year", group="g")
    assert res.n_treated == 10 and res.cohorts == {2014.0: 5, 2016.0: 5}
    t = res.table.set_index("effect")
    # No real effect among never-treated units: estimates centred on the added effect.
    assert t.loc[0.0, "mean_estimate"] == pytest.approx(0.0, abs=0.1)
    assert t.loc[1.5, "mean_estimate"] == pytest.approx(1.5, abs=0.1)
    assert t.loc[0.0, "detected"] <= 0.15
    assert t.loc[1.5, "detected"] >= 0.9
    assert (t["draws"] == 40).all()
    # The power at the MDE of the placebo design's typical SE is near 80 %.
    se = t.loc[0.0, "mean_se"]
    at_mde = placebo_power(df, effects=[minimum_detectable_effect(se)], draws=40, seed=2,
                           outcome="y", unit="unit", time="year", group="g")
    assert 0.55 <= at_mde.table["detected"].iloc[0] <= 1.0


def test_placebo_power_bad_input():
    df = _panel(n_units=14)
    with pytest.raises(InputError, match="never-treated"):
        placebo_power(df, draws=2, outcome="y", unit="unit", time="year", group="g")
    with pytest.raises(InputError, match="outcome"):
        placebo_power(df, draws=2, unit="unit", time="year", group="g")
