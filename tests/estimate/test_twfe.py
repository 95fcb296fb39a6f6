"""TWFE equals pyfixest's feols with unit and period fixed effects (CR1 clustered)."""

import warnings

import numpy as np
import pytest
from did_sim import simulate_staggered

from impact.errors import InputError
from impact.estimate import TWFE_WARNING, event_time_dummies, twfe
from references import peer

pf = peer("pyfixest")


@pytest.mark.parametrize("cluster", ["unit", "region"])
def test_matches_pyfixest(cluster):
    df, _ = simulate_staggered(n_units=300, seed=3)
    ours = twfe(df, outcome="y", unit="unit", time="year", treatment="treated", cluster=cluster)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("y ~ treated | unit + year", data=df, vcov={"CRV1": cluster})
    assert ours.coef["treated"] == pytest.approx(ref.coef()["treated"], abs=1e-8)
    assert ours.se["treated"] == pytest.approx(ref.se()["treated"], rel=1e-6)


def test_unbalanced_panel_matches_pyfixest():
    df, _ = simulate_staggered(n_units=300, seed=4)
    df = df.sample(frac=0.85, random_state=1)
    ours = twfe(df, outcome="y", unit="unit", time="year", treatment="treated")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("y ~ treated | unit + year", data=df, vcov={"CRV1": "unit"})
    assert ours.coef["treated"] == pytest.approx(ref.coef()["treated"], abs=1e-7)
    assert ours.se["treated"] == pytest.approx(ref.se()["treated"], rel=1e-5)


def test_event_study_matches_pyfixest(mpdta):
    data, names = event_time_dummies(mpdta, time="year", group="first.treat")
    assert "e-1" not in names and "e0" in names
    ours = twfe(data, outcome="lemp", unit="countyreal", time="year", treatment=names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("lemp ~ " + " + ".join(f"Q('{n}')" if "-" in n else n for n in names)
                       + " | countyreal + year", data=data.rename(columns=lambda c: c),
                       vcov={"CRV1": "countyreal"})
    np.testing.assert_allclose(ours.coef.to_numpy(), ref.coef().to_numpy(), atol=1e-8)
    np.testing.assert_allclose(ours.se.to_numpy(), ref.se().to_numpy(), rtol=1e-6)


def test_summary_warns_about_staggered_bias():
    df, _ = simulate_staggered(n_units=100, seed=5)
    text = twfe(df, outcome="y", unit="unit", time="year", treatment="treated").summary()
    assert TWFE_WARNING in text and "att_gt" in text


def test_no_variation_is_a_clear_error():
    df, _ = simulate_staggered(n_units=50, seed=6)
    with pytest.raises(InputError, match="no variation"):
        twfe(df.assign(always=1.0), outcome="y", unit="unit", time="year", treatment="always")
