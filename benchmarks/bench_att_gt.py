"""Benchmark: ATT(g,t) + dynamic aggregation on a commune-sized panel vs csdid and differences.

Builds a seeded panel of ~35,000 units × 15 years with seven treatment cohorts
and never-treated units, then times, each in its own subprocess (so peak memory
is measured separately):

* ours: ``att_gt`` + ``aggregate("dynamic")`` with analytic SEs, then the same
  with a 999-draw multiplier bootstrap;
* csdid (R ``did`` port) and differences, analytic SEs, same panel.

It checks that the estimates are identical and prints times, ratios and peak
memory. Usage::

    python benchmarks/bench_att_gt.py            # full size
    python benchmarks/bench_att_gt.py --small    # 3,500 units, quick check
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

COHORTS = [2012, 2013, 2014, 2015, 2016, 2017, 2018]


def make_panel(n_units: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2025)
    g = rng.choice(COHORTS + [0], size=n_units, p=[0.05] * 7 + [0.65])
    fe = rng.normal(size=n_units)
    y = (
        fe[:, None]
        + np.linspace(0, 1, len(years))[None, :]
        + rng.normal(size=(n_units, len(years)))
    )
    e = years[None, :] - g[:, None]
    y += np.where((g[:, None] > 0) & (e >= 0), 0.1 * (e + 1), 0.0)
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), len(years)),
            "year": np.tile(years, n_units),
            "y": y.ravel(),
            "g": np.repeat(g, len(years)),
        }
    )


WORKER = r"""
import json, sys, time, resource, warnings, contextlib, io
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
which, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


df = pd.read_parquet(path)
# Import before timing: the comparison is about estimation, not import cost.
if which == "ours":
    from impact.estimate import att_gt
elif which == "csdid":
    from csdid.att_gt import ATTgt
else:
    from differences import ATTgt
out = {"rss_before_mb": rss_mb(), "runs": []}
for _ in range(repeat):
    t0 = time.perf_counter()
    if which == "ours":
        r = att_gt(df, outcome="y", unit="unit", time="year", group="g")
        d = r.aggregate("dynamic")
        out["runs"].append(time.perf_counter() - t0)
        cells = r.table[["group", "time", "att"]].to_numpy().tolist()
        dyn = d.table[["event_time", "att"]].to_numpy().tolist()
    elif which == "csdid":
        with contextlib.redirect_stdout(io.StringIO()):
            m = ATTgt(yname="y", gname="g", idname="unit", tname="year", data=df)
            m.fit(est_method="dr", bstrap=False)
            m.aggte(typec="dynamic", bstrap=False)
        out["runs"].append(time.perf_counter() - t0)
        res = m.results
        cells = [[float(g), float(t), float(a)]
                 for g, t, a in zip(res["group"], res["year"], res["att"])]
        dyn = [[float(e), float(a)] for e, a in zip(m.atte["egt"], m.atte["att_egt"])]
    else:
        d = df.assign(ft=df["g"].replace(0, np.nan)).set_index(["unit", "year"])
        a = ATTgt(data=d, cohort_column="ft")
        a.fit(formula="y", progress_bar=False)
        ev = a.aggregate("event")
        out["runs"].append(time.perf_counter() - t0)
        cells = None
        dyn = [[float(e), float(v)] for e, v in zip(ev.index.get_level_values(-1), ev.iloc[:, 0])]
out["peak_mb"] = rss_mb()
if which == "ours":
    # Bootstrap: cells and the dynamic aggregation, 999 draws each, on the fitted result
    # (the marginal cost), and a full fit with bootstrap=999 for reference.
    t0 = time.perf_counter()
    rb = att_gt(df, outcome="y", unit="unit", time="year", group="g", bootstrap=999, seed=1)
    rb.aggregate("dynamic")
    out["full_bootstrap_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    r.aggregate("dynamic", bootstrap=999, seed=1)
    out["dynamic_bootstrap_seconds"] = time.perf_counter() - t0
    out["peak_with_bootstrap_mb"] = rss_mb()
    # With one time-invariant covariate (doubly robust, logit + OLS in every cell).
    rng = np.random.default_rng(0)
    x = rng.normal(size=df["unit"].max() + 1)
    dfx = df.assign(x=x[df["unit"].to_numpy()])
    t0 = time.perf_counter()
    rx = att_gt(dfx, outcome="y", unit="unit", time="year", group="g", covariates=["x"])
    rx.aggregate("dynamic")
    out["dr_covariate_seconds"] = time.perf_counter() - t0
out["cells"], out["dyn"] = cells, dyn
print(json.dumps(out))
"""


def run(which: str, path: Path, repeat: int = 1) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", WORKER, which, str(path), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def max_diff(ours: list, ref: list, nkey: int) -> tuple[float, int]:
    """Largest absolute difference over the keys both have, and the number of keys compared."""
    a = {tuple(r[:nkey]): r[nkey] for r in ours}
    b = {tuple(r[:nkey]): r[nkey] for r in ref}
    common = a.keys() & b.keys()
    if len(common) != len(a) or len(common) != len(b):
        print(f"  warning: {len(a)} vs {len(b)} estimates, {len(common)} in common")
    return max(abs(a[k] - b[k]) for k in common), len(common)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--small", action="store_true", help="3,500 units instead of 35,000")
    ap.add_argument("--skip", nargs="*", default=[], help="skip 'csdid' and/or 'differences'")
    ap.add_argument(
        "--repeat", type=int, default=3, help="timed runs of impact (first and median shown)"
    )
    args = ap.parse_args()
    n = 3_500 if args.small else 35_000
    df = make_panel(n)
    path = Path(tempfile.mkdtemp()) / "panel.parquet"
    df.to_parquet(path)
    print(f"panel: {n:,} units × 15 years = {len(df):,} rows, cohorts {COHORTS} + never treated")
    ours = run("ours", path, args.repeat)
    first, median = ours["runs"][0], float(np.median(ours["runs"]))
    print(
        f"impact      : {first:.3f} s first run, {median:.3f} s median of {len(ours['runs'])} "
        f"(ATT(g,t) + dynamic, analytic SE); peak RSS {ours['peak_mb']:.0f} MB "
        f"({ours['rss_before_mb']:.0f} MB after reading the data)"
    )
    print(
        f"  bootstrap : +{ours['dynamic_bootstrap_seconds']:.3f} s for the 999-draw dynamic "
        "aggregation; "
        f"full fit with bootstrap=999 (cells + dynamic) {ours['full_bootstrap_seconds']:.3f} s; "
        f"peak RSS {ours['peak_with_bootstrap_mb']:.0f} MB"
    )
    print(f"  covariate : {ours['dr_covariate_seconds']:.3f} s with one covariate, method='dr'")
    for ref in ("csdid", "differences"):
        if ref in args.skip:
            continue
        r = run(ref, path)
        secs = r["runs"][0]
        d_dyn, k_dyn = max_diff(ours["dyn"], r["dyn"], 1)
        extra = ""
        if r["cells"] is not None:
            d_cells, k_cells = max_diff(ours["cells"], r["cells"], 2)
            extra = f", ATT(g,t) {d_cells:.1e} over {k_cells} cells"
        print(
            f"{ref:<12}: {secs:.3f} s, peak RSS {r['peak_mb']:.0f} MB "
            f"({r['rss_before_mb']:.0f} after reading); {secs / first:.1f}x the first impact run; "
            f"max |diff| event times {d_dyn:.1e} over {k_dyn}{extra}"
        )


if __name__ == "__main__":
    main()
