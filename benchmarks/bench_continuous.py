"""Simulation study of continuous_did: bias, RMSE and coverage over seeded replications.

Panels from ``tests/estimate/cont_sim.py`` (staggered cohorts 2004 and 2006
plus never treated, doses uniform on [1, 5], levels correlated with the dose,
known ATT(d) = 2 sqrt(d), ACRT(d) = 1 / sqrt(d)). For each replication the
curves are evaluated on a grid of 15 doses in [1.5, 4.5]; reported: mean
bias and RMSE over the grid, pointwise coverage of the 95 % intervals
(averaged over grid points) and coverage of the 95 % uniform bands (the
whole true curve inside the band). Usage::

    python benchmarks/bench_continuous.py                 # 200 replications, 500 units
    python benchmarks/bench_continuous.py --reps 50 --n 300
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "estimate"))
from cont_sim import dose_panel, true_acrt, true_att  # noqa: E402

from impact.estimate.continuous import continuous_did  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--bootstrap", type=int, default=499)
    args = ap.parse_args()
    grid = np.linspace(1.5, 4.5, 15)
    stats = {k: [] for k in ("att", "acrt")}
    t0 = time.perf_counter()
    for s in range(args.reps):
        df = dose_panel(n=args.n, seed=10_000 + s)
        res = continuous_did(df, outcome="y", unit="u", time="t", group="g", dose="d",
                             grid=grid, bootstrap=args.bootstrap, seed=s)
        c = res.curve
        for k, f in (("att", true_att), ("acrt", true_acrt)):
            truth = f(grid)
            err = c[k].to_numpy() - truth
            point = (c[f"{k}_low"] <= truth) & (truth <= c[f"{k}_high"])
            unif = (c[f"{k}_low_uniform"] <= truth) & (truth <= c[f"{k}_high_uniform"])
            stats[k].append((err.mean(), np.sqrt((err**2).mean()), point.mean(), unif.all()))
    print(f"{args.reps} replications, {args.n} units × 10 years, {args.bootstrap} bootstrap "
          f"draws each; {time.perf_counter() - t0:.0f} s (shared machine)")
    print("| curve | mean bias | RMSE | pointwise coverage | uniform-band coverage |")
    print("|---|---|---|---|---|")
    for k, rows in stats.items():
        a = np.array(rows, dtype=float)
        print(f"| {k.upper()}(d) | {a[:, 0].mean():+.4f} | {a[:, 1].mean():.4f} | "
              f"{a[:, 2].mean():.3f} | {a[:, 3].mean():.3f} |")


if __name__ == "__main__":
    main()
