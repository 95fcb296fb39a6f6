"""Benchmark: ATT(g,t) + dynamic aggregation on a commune-sized panel vs diff-diff and others.

Builds a seeded panel of ~35,000 units × 15 years with seven treatment cohorts
and never-treated units, then times, each tool in its own subprocess (so peak
memory is measured separately):

* impact: ``att_gt`` + ``aggregate("dynamic")`` with analytic SEs, and the same
  with a 999-draw multiplier bootstrap (cells and event study bootstrapped);
* diff-diff 3.13 ``CallawaySantAnna`` with ``aggregate="event_study"``, with
  and without ``n_bootstrap=999``: the fastest peer, timed like impact;
* csdid (R ``did`` port) and differences, analytic SEs, once (slow).

The impact and diff-diff measurements are made twice: on the machine as it is
("quiet") and while one competing busy process spins on a core
("contention"), and the ratios are printed from times measured in this same
run. The machine may be shared: quiet is then only "without *our* busy
process", which is why each figure is the median of several runs and why the
two scenarios are interleaved round by round. Usage::

    python benchmarks/bench_att_gt.py            # full size
    python benchmarks/bench_att_gt.py --small    # 3,500 units, quick check
    python benchmarks/bench_att_gt.py --skip csdid differences --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
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
elif which == "diffdiff":
    from diff_diff import CallawaySantAnna
elif which == "csdid":
    from csdid.att_gt import ATTgt
else:
    from differences import ATTgt
out = {"rss_before_mb": rss_mb(), "runs": [], "boot_runs": [],
       "split": [], "split_boot": [], "cpu_runs": [], "cpu_boot_runs": []}


def fit(boot):
    # One estimation: ATT(g,t) + dynamic (event-study) aggregation; returns cells, dynamic.
    if which == "ours":
        t0 = time.perf_counter()
        if boot:
            r = att_gt(df, outcome="y", unit="unit", time="year", group="g",
                       bootstrap=999, seed=1)
        else:
            r = att_gt(df, outcome="y", unit="unit", time="year", group="g")
        t1 = time.perf_counter()
        d = r.aggregate("dynamic")  # inherits the bootstrap: cells and event study
        # Split: att_gt (did.py) vs aggregate (aggregation.py).
        out["split_boot" if boot else "split"].append((t1 - t0, time.perf_counter() - t1))
        return (r.table[["group", "time", "att"]].to_numpy().tolist(),
                d.table[["event_time", "att"]].to_numpy().tolist())
    if which == "diffdiff":
        m = CallawaySantAnna(n_bootstrap=999 if boot else 0, seed=1).fit(
            df, outcome="y", unit="unit", time="year", first_treat="g",
            aggregate="event_study")
        cells = [[float(g), float(t), float(v["effect"])]
                 for (g, t), v in m.group_time_effects.items()]
        dyn = [[float(e), float(v["effect"])] for e, v in m.event_study_effects.items()
               if np.isfinite(v["effect"])]
        return cells, dyn
    if which == "csdid":
        with contextlib.redirect_stdout(io.StringIO()):
            m = ATTgt(yname="y", gname="g", idname="unit", tname="year", data=df)
            m.fit(est_method="dr", bstrap=False)
            m.aggte(typec="dynamic", bstrap=False)
        res = m.results
        cells = [[float(g), float(t), float(a)]
                 for g, t, a in zip(res["group"], res["year"], res["att"])]
        return cells, [[float(e), float(a)] for e, a in zip(m.atte["egt"], m.atte["att_egt"])]
    d = df.assign(ft=df["g"].replace(0, np.nan)).set_index(["unit", "year"])
    a = ATTgt(data=d, cohort_column="ft")
    a.fit(formula="y", progress_bar=False)
    ev = a.aggregate("event")
    keys = ev.index.get_level_values(-1)
    return None, [[float(e), float(v)] for e, v in zip(keys, ev.iloc[:, 0])]


for _ in range(repeat):
    t0, c0 = time.perf_counter(), time.process_time()
    cells, dyn = fit(False)
    out["runs"].append(time.perf_counter() - t0)
    out["cpu_runs"].append(time.process_time() - c0)  # CPU seconds, all threads
out["peak_mb"] = rss_mb()
if which in ("ours", "diffdiff"):
    for _ in range(max(1, repeat // 2)):
        t0, c0 = time.perf_counter(), time.process_time()
        fit(True)
        out["boot_runs"].append(time.perf_counter() - t0)
        out["cpu_boot_runs"].append(time.process_time() - c0)
    out["peak_with_bootstrap_mb"] = rss_mb()
if which == "ours" and len(sys.argv) > 4:
    # Marginal cost of the 999-draw dynamic bootstrap on a fitted result, and one covariate.
    r = att_gt(df, outcome="y", unit="unit", time="year", group="g")
    t0 = time.perf_counter()
    r.aggregate("dynamic", bootstrap=999, seed=1)
    out["dynamic_bootstrap_seconds"] = time.perf_counter() - t0
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


def run(which: str, path: Path, repeat: int = 1, extras: bool = False) -> dict:
    cmd = [sys.executable, "-c", WORKER, which, str(path), str(repeat)]
    load = os.getloadavg()[0]
    res = subprocess.run(cmd + (["extras"] if extras else []), capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"{which} failed:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    # 1-minute load average around the worker: the machine may be shared.
    out["load"] = (load + os.getloadavg()[0]) / 2
    return out


@contextmanager
def busy_process():
    """One competing CPU-bound process (a Python busy loop) for the duration of the block."""
    # In its own session, like another user's job: with the kernel's autogroup
    # scheduling (on here), a child in our session would share our session's CPU
    # share, so on a machine busy with other sessions it would halve the worker's
    # time whatever the worker does. On an idle machine both give the same result.
    p = subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
    time.sleep(0.3)  # let it get scheduled
    try:
        yield
    finally:
        p.kill()
        p.wait()


def max_diff(ours: list, ref: list, nkey: int) -> tuple[float, int]:
    """Largest absolute difference over the keys both have, and the number of keys compared."""
    a = {tuple(r[:nkey]): r[nkey] for r in ours}
    b = {tuple(r[:nkey]): r[nkey] for r in ref}
    common = a.keys() & b.keys()
    if len(common) != len(a) or len(common) != len(b):
        print(f"  note: {len(a)} vs {len(b)} estimates, {len(common)} in common")
    return max(abs(a[k] - b[k]) for k in common), len(common)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--small", action="store_true", help="3,500 units instead of 35,000")
    ap.add_argument(
        "--skip", nargs="*", default=[],
        help="skip 'csdid', 'differences', 'contention' and/or 'diffdiff' (impact only: quick "
        "quiet/contention rounds)",
    )
    ap.add_argument(
        "--repeat", type=int, default=5, help="timed runs per worker (half as many with bootstrap)"
    )
    ap.add_argument(
        "--rounds", type=int, default=2, help="rounds of quiet/contention workers (medians pooled)"
    )
    args = ap.parse_args()
    n = 3_500 if args.small else 35_000
    df = make_panel(n)
    path = Path(tempfile.mkdtemp()) / "panel.parquet"
    df.to_parquet(path)
    print(f"panel: {n:,} units × 15 years = {len(df):,} rows, cohorts {COHORTS} + never treated")
    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    scenarios = ["quiet"] + ([] if "contention" in args.skip else ["contention"])
    tools = ["ours"] + ([] if "diffdiff" in args.skip else ["diffdiff"])
    times: dict[tuple[str, str, bool], list[float]] = {}
    first: dict[str, dict] = {}
    splits: dict[tuple[str, bool], list] = {}
    loads: dict[str, list[float]] = {}
    cpu: dict[tuple[str, str, bool], list[float]] = {}
    for rnd in range(args.rounds):
        for scen in scenarios:
            for tool in tools:
                if scen == "contention":
                    with busy_process():
                        r = run(tool, path, args.repeat)
                else:
                    r = run(tool, path, args.repeat, extras=(rnd == 0 and tool == "ours"))
                first.setdefault(tool, r)
                loads.setdefault(scen, []).append(r["load"])
                if tool == "ours":
                    splits.setdefault((scen, False), []).extend(r["split"])
                    splits.setdefault((scen, True), []).extend(r["split_boot"])
                times.setdefault((scen, tool, False), []).extend(r["runs"])
                times.setdefault((scen, tool, True), []).extend(r["boot_runs"])
                cpu.setdefault((scen, tool, False), []).extend(r["cpu_runs"])
                cpu.setdefault((scen, tool, True), []).extend(r["cpu_boot_runs"])
    # Missing entries (diff-diff skipped) print as nan.
    med = defaultdict(lambda: np.nan, {k: float(np.median(v)) for k, v in times.items()})
    ours = first["ours"]
    print(f"load average after: {os.getloadavg()[0]:.2f}; medians of {args.rounds} rounds × "
          f"{args.repeat} runs (bootstrap: × {max(1, args.repeat // 2)})")
    print()
    print("| scenario | SE | impact s | diff-diff s | diff-diff / impact | load average |")
    print("|---|---|---|---|---|---|")
    for scen in scenarios:
        ld = f"{min(loads[scen]):.1f}–{max(loads[scen]):.1f}"
        for boot in (False, True):
            a, b = med[(scen, "ours", boot)], med[(scen, "diffdiff", boot)]
            se = "bootstrap 999" if boot else "analytic"
            print(f"| {scen} | {se} | {a:.3f} | {b:.3f} | {b / a:.1f}× | {ld} |")
    # CPU seconds (user + system, all threads of the worker) depend much less on
    # the other sessions' load than wall time: a check of the ratios on a shared
    # machine, and of spin-waiting threads (CPU > wall).
    cmed = defaultdict(lambda: np.nan, {k: float(np.median(v)) for k, v in cpu.items()})
    print()
    print("| scenario | SE | impact CPU s | diff-diff CPU s | diff-diff / impact (CPU) |")
    print("|---|---|---|---|---|")
    for scen in scenarios:
        for boot in (False, True):
            a, b = cmed[(scen, "ours", boot)], cmed[(scen, "diffdiff", boot)]
            se = "bootstrap 999" if boot else "analytic"
            print(f"| {scen} | {se} | {a:.3f} | {b:.3f} | {b / a:.1f}× |")
    if "contention" in scenarios:
        print()
        for boot in (False, True):
            se = "bootstrap 999" if boot else "analytic"
            qa, ca = med[("quiet", "ours", boot)], med[("contention", "ours", boot)]
            qb, cb = med[("quiet", "diffdiff", boot)], med[("contention", "diffdiff", boot)]
            print(f"contention / quiet, {se}: impact {ca / qa:.2f}×, diff-diff {cb / qb:.2f}×")
    print()
    for (scen, boot), v in splits.items():
        if v:
            a = np.median(np.array(v), axis=0)
            print(f"impact split, {scen}, {'bootstrap 999' if boot else 'analytic'}: att_gt "
                  f"{a[0]:.3f} s + aggregate('dynamic') {a[1]:.3f} s (medians)")
    print()
    print(
        f"impact peak RSS {ours['peak_mb']:.0f} MB ({ours['rss_before_mb']:.0f} MB after reading"
        f" the data), {ours['peak_with_bootstrap_mb']:.0f} MB with bootstrap; 999-draw dynamic "
        f"bootstrap on a fitted result +{ours['dynamic_bootstrap_seconds']:.3f} s; one covariate "
        f"(method='dr') {ours['dr_covariate_seconds']:.3f} s"
    )
    if "diffdiff" in first:
        dd = first["diffdiff"]
        d_cells, k_cells = max_diff(ours["cells"], dd["cells"], 2)
        d_dyn, k_dyn = max_diff(ours["dyn"], dd["dyn"], 1)
        print(
            f"diff-diff: peak RSS {dd['peak_mb']:.0f} MB; max |diff| ATT(g,t) {d_cells:.1e} over "
            f"{k_cells} cells, event times {d_dyn:.1e} over {k_dyn}"
        )
    base = med[("quiet", "ours", False)]
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
            f"{ref:<12}: {secs:.3f} s (one run, quiet), peak RSS {r['peak_mb']:.0f} MB; "
            f"{secs / base:.1f}x the impact median; max |diff| event times {d_dyn:.1e} over "
            f"{k_dyn}{extra}"
        )


if __name__ == "__main__":
    main()
