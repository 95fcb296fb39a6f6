"""Simulated staggered panels where the true ATT(g, t) is known (shared by the estimator tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_staggered(
    n_units: int = 400,
    periods: tuple[int, int] = (2010, 2019),
    cohorts: dict[int, float] | None = None,
    effect: str = "dynamic",
    seed: int = 0,
    pretrend: float = 0.0,
    with_covariate: bool = False,
) -> tuple[pd.DataFrame, dict]:
    """A panel where the true ATT(g, t) is known.

    Cohorts get heterogeneous effects that grow with exposure
    (``tau(g, e) = (1 + 0.5 * k_g) * (e + 1)`` for event time ``e >= 0``),
    the setting where two-way fixed effects is biased. Returns the data and the
    true effects by cell.
    """
    rng = np.random.default_rng(seed)
    cohorts = cohorts or {2013: 0.25, 2015: 0.25, 2017: 0.2}
    years = np.arange(periods[0], periods[1] + 1)
    probs = np.array(list(cohorts.values()) + [1 - sum(cohorts.values())])
    labels = np.array(list(cohorts) + [0])
    g = rng.choice(labels, size=n_units, p=probs)
    x = rng.normal(size=n_units)
    unit_fe = rng.normal(size=n_units) + 0.5 * (g > 0)
    time_fe = np.linspace(0, 2, len(years))
    rows = []
    truth = {}
    for k, gg in enumerate(sorted(cohorts)):
        for yr in years:
            e = yr - gg
            truth[(gg, yr)] = (1 + 0.5 * k) * (e + 1) if e >= 0 else 0.0
    gk = {gg: k for k, gg in enumerate(sorted(cohorts))}
    for j, yr in enumerate(years):
        tau = np.array([truth.get((gi, yr), 0.0) if gi > 0 else 0.0 for gi in g])
        trend = 0.3 * x * j if with_covariate else 0.0
        pre = pretrend * (g > 0) * j
        y = unit_fe + time_fe[j] + trend + pre + tau + rng.normal(scale=1.0, size=n_units)
        rows.append(pd.DataFrame({"unit": np.arange(n_units), "year": yr, "y": y, "g": g, "x": x}))
    df = pd.concat(rows, ignore_index=True)
    df["treated"] = ((df["g"] > 0) & (df["year"] >= df["g"])).astype(int)
    df["region"] = df["unit"] % 15
    df["pop"] = 1000 + (df["unit"] * 37) % 500
    return df, {"truth": truth, "cohort_index": gk}
