"""Rejection rate under the null of the wild cluster bootstrap with 10 treated clusters.

Simulates département-like panels (96 clusters, 10 of them treated from 2016,
2012-2021, cluster-by-year shocks, heavier-tailed noise in some clusters, no
effect), and compares the share of 5 % rejections of the CR1 t-test (t with
G - 1 degrees of freedom, as twfe()) and of the restricted wild cluster
bootstrap (Webb weights). Prints the rates with their binomial standard errors.

    PYTHONPATH=src python benchmarks/bench_wild_size.py [n_panels] [B]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from impact.estimate import twfe, wild_cluster_bootstrap


def panel(seed: int, n_clusters: int = 96, n_treated: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = np.arange(2012, 2022)
    treated = rng.choice(n_clusters, size=n_treated, replace=False)
    # Heterogeneous cluster variances: what makes CR1 over-reject with few treated clusters.
    scale = rng.choice([0.3, 1.0, 3.0], size=n_clusters)
    a = rng.normal(size=n_clusters)
    rho = 0.6
    rows = []
    for c in range(n_clusters):
        e = np.zeros(len(years))
        for t in range(len(years)):  # AR(1) shocks: serial correlation within cluster
            e[t] = (rho * e[t - 1] if t else 0) + scale[c] * rng.normal()
        d = ((years >= 2016) & np.isin(c, treated)).astype(float)
        rows.append(pd.DataFrame({"dep": c, "year": years, "y": a[c] + 0.05 * (years - 2012) + e,
                                  "d": d}))
    return pd.concat(rows, ignore_index=True)


def main(n: int = 1000, B: int = 399) -> None:
    t0 = time.perf_counter()
    cr1, wcr = [], []
    for s in range(n):
        df = panel(s)
        fit = twfe(df, outcome="y", unit="dep", time="year", treatment="d")
        cr1.append(fit.table["p_value"].iloc[0] <= 0.05)
        r = wild_cluster_bootstrap(df, outcome="y", unit="dep", time="year", treatment="d", B=B,
                                   bootstrap_weights="webb", seed=s, ci=False)
        wcr.append(r.pvalue <= 0.05)
    for name, x in (("CR1 t-test (G-1 df)", cr1), ("wild cluster bootstrap (WCR, Webb)", wcr)):
        p = float(np.mean(x))
        se = np.sqrt(p * (1 - p) / n)
        print(f"{name:38s} rejection rate at 5 %: {p:.3f} (binomial SE {se:.3f})")
    print(f"{n} panels, B = {B}, {time.perf_counter() - t0:.0f} s (shared, busy machine)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
