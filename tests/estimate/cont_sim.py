"""Simulated staggered panels with a continuous dose and a known dose-response.

Used by the tests and benchmarks/bench_continuous.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def true_att(d):
    """Known dose-response ATT(d) = 2 sqrt(d), the same in every cohort and period."""
    return 2.0 * np.sqrt(d)


def true_acrt(d):
    return 1.0 / np.sqrt(d)


def dose_panel(n=600, seed=0, years=range(2000, 2010), cohorts=(0, 2004, 2006)):
    """Unit effects correlated with the dose, common trends, noise; ATT(d) = 2 sqrt(d)."""
    rng = np.random.default_rng(seed)
    years = np.arange(years.start, years.stop)
    G = rng.choice(cohorts, size=n)
    d = np.where(G > 0, rng.uniform(1, 5, size=n), 0.0)
    # Levels depend on the dose (selection in levels, not trends: parallel trends hold).
    y = (rng.normal(size=n) + 0.5 * d)[:, None] + 0.2 * np.arange(len(years))[None, :]
    y = y + rng.normal(size=(n, len(years)))
    post = (G[:, None] > 0) & (years[None, :] >= G[:, None])
    y = y + post * true_att(np.where(d > 0, d, 1.0))[:, None]
    T = len(years)
    return pd.DataFrame({"u": np.repeat(np.arange(n), T), "t": np.tile(years, n),
                         "y": y.ravel(), "g": np.repeat(G, T), "d": np.repeat(d, T)})
