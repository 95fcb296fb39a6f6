"""Simulation study of the spillover estimators: bias and coverage over seeded replications.

A 20 × 20 grid of square territories (queen neighbours from the polygons);
in each replication 25 random territories are treated from 2015 with an
own effect of 2.0, and their never-treated queen neighbours get a spillover
of 0.8 (``tests/estimate/spatial_sim.py``). Reported over replications:

* naive ``att_gt`` (all never treated as controls): biased towards zero by
  the contaminated controls;
* ``att_gt`` after ``donut`` (neighbours of treated units dropped);
* ``spillover_att_gt`` (effect on neighbours, unexposed units as controls);

mean estimate, bias, RMSE and coverage of the 95 % intervals (analytic SEs,
clustered by territory). Usage::

    python benchmarks/bench_spatial.py               # 200 replications
    python benchmarks/bench_spatial.py --reps 50
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "estimate"))
from spatial_sim import grid, spill_panel  # noqa: E402

from impact.estimate import att_gt  # noqa: E402
from impact.estimate.spatial import donut, neighbours, spillover_att_gt  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    logging.disable(logging.INFO)
    warnings.filterwarnings("ignore")
    g = grid(20, size=0.05)
    nb = neighbours(g)
    z = stats.norm.ppf(0.975)
    out = {"naive att_gt (own effect 2.0)": [], "donut att_gt (own effect 2.0)": [],
           "spillover_att_gt (spillover 0.8)": []}
    truth = {k: (0.8 if "spillover_att" in k else 2.0) for k in out}
    t0 = time.perf_counter()
    for s in range(args.reps):
        df, _, _ = spill_panel(seed=1000 + s, nb=nb, g=g)
        kw = dict(outcome="y", unit="code", time="year", group="g")
        fits = {
            "naive att_gt (own effect 2.0)": att_gt(df, **kw),
            "donut att_gt (own effect 2.0)": att_gt(
                donut(df, unit="code", group="g", neighbours=nb), **kw),
            "spillover_att_gt (spillover 0.8)": spillover_att_gt(df, neighbours=nb, **kw),
        }
        for k, r in fits.items():
            a = r.aggregate("simple")
            out[k].append((a.overall_att, a.overall_se))
    print(f"{args.reps} replications, 400 territories × 10 years; "
          f"{time.perf_counter() - t0:.0f} s (shared machine)")
    print("| estimator | mean estimate | bias | RMSE | coverage of 95 % CI |")
    print("|---|---|---|---|---|")
    for k, rows in out.items():
        a = np.array(rows)
        est, se, tr = a[:, 0], a[:, 1], truth[k]
        cover = np.mean(np.abs(est - tr) <= z * se)
        print(f"| {k} | {est.mean():.4f} | {est.mean() - tr:+.4f} | "
              f"{np.sqrt(np.mean((est - tr) ** 2)):.4f} | {cover:.3f} |")


if __name__ == "__main__":
    main()
