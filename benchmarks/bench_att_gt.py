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
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

COHORTS = [2012, 2013, 2014, 2015, 2016, 2017, 2018]


def make_panel(n_units: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2025)
    g = rng.choice(COHORTS + [0], size=n_units, p=[0.05] * 7 + [0.65])
    fe = rng.normal(size=n_units)
    y = fe[:, None] + np.linspace(0, 1, len(years))[None, :] + rng.normal(size=(n_units, len(years)))
    e = years[None, :] - g[:, None]
    y += np.where((g[:, None] > 0) & (e >= 0), 0.1 * (e + 1), 0.0)
    return pd.DataFrame({"unit": np.repeat(np.arange(n_units), len(years)),
                         "year": np.tile(years, n_units), "y": y.ravel(),
                         "g": np.repeat(g, len(years))})


WORKER = r"""
import json, sys, time, resource, warnings, contextlib, io
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
which, path = sys.argv[1], sys.argv[2]
df = pd.read_parquet(path)
out = {}
# Import before timing: the comparison is about estimation, not import cost.
if which == "ours":
    from impact.estimate import att_gt
elif which == "csdid":
    from csdid.att_gt import ATTgt
else:
    from differences import ATTgt
t0 = time.perf_counter()
if which == "ours":
    r = att_gt(df, outcome="y", unit="unit", time="year", group="g")
    d = r.aggregate("dynamic")
    out["seconds"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    rb = att_gt(df, outcome="y", unit="unit", time="year", group="g", bootstrap=999, seed=1)
    rb.aggregate("dynamic", bootstrap=999)
    out["bootstrap_seconds"] = time.perf_counter() - t1
    out["att"] = r.table["att"].tolist(); out["dyn"] = d.table["att"].tolist()
elif which == "csdid":
    with contextlib.redirect_stdout(io.StringIO()):
        m = ATTgt(yname="y", gname="g", idname="unit", tname="year", data=df).fit(est_method="dr", bstrap=False)
        m.aggte(typec="dynamic", bstrap=False)
    out["seconds"] = time.perf_counter() - t0
    out["att"] = list(map(float, m.results["att"])); out["dyn"] = list(map(float, m.atte["att_egt"]))
elif which == "differences":
    d = df.assign(ft=df["g"].replace(0, np.nan)).set_index(["unit", "year"])
    a = ATTgt(data=d, cohort_column="ft")
    a.fit(formula="y", progress_bar=False)
    ev = a.aggregate("event")
    out["seconds"] = time.perf_counter() - t0
    out["dyn"] = ev.iloc[:, 0].tolist()
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run(which: str, path: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", WORKER, which, str(path)], capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="3,500 units instead of 35,000")
    ap.add_argument("--skip", nargs="*", default=[], help="skip 'csdid' and/or 'differences'")
    args = ap.parse_args()
    n = 3_500 if args.small else 35_000
    df = make_panel(n)
    path = Path(tempfile.mkdtemp()) / "panel.parquet"
    df.to_parquet(path)
    print(f"panel: {n} units × 15 years = {len(df):,} rows, cohorts {COHORTS} + never treated")
    ours = run("ours", path)
    print(f"impact  : {ours['seconds']:.3f} s (ATT(g,t) + dynamic), bootstrap 999 draws "
          f"+{ours['bootstrap_seconds']:.3f} s, peak {ours['peak_mb']:.0f} MB")
    for ref in ("csdid", "differences"):
        if ref in args.skip:
            continue
        r = run(ref, path)
        diff = max(abs(a - b) for a, b in zip(sorted(ours["dyn"]), sorted(r["dyn"]), strict=False))
        extra = ""
        if "att" in r:
            extra = f", max |ATT(g,t) diff| {max(abs(a - b) for a, b in zip(ours['att'], r['att'], strict=True)):.1e}"
        print(f"{ref:<12}: {r['seconds']:.3f} s, peak {r['peak_mb']:.0f} MB; ratio {r['seconds'] / ours['seconds']:.1f}x "
              f"slower than impact; max |dynamic diff| {diff:.1e}{extra}")


if __name__ == "__main__":
    main()
