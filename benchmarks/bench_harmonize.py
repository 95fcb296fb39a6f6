"""Benchmark: harmonising a million rows of 2014 commune codes to COG 2025.

Data: the 36,681 commune codes of INSEE's 2014 establishments file, written as
that file writes them (strings that lost their leading zeros), × 28 periods =
1,027,068 rows with one count column. Timed, in the same run (best of
``--repeat``):

* ``harmonize(df, counts=["value"], by=["period"], from_year=2014)`` (warm:
  the table of passage is built once, timed separately as "cold");
* baseline 1, the floor: a plain pandas pipeline on already-clean codes —
  ``merge`` with :func:`impact.territories.passage` (2014), weight × value,
  ``groupby().sum()``;
* baseline 2: the ``harmonize`` of the commit before the commune history
  (``git show <rev>:src/impact/territories/{codes,harmonize}.py``), which
  normalised codes row by row and left the 360 codes of merged communes
  unplaced. Skipped when git or that revision is unavailable.

Usage::

    python benchmarks/bench_harmonize.py [--repeat 3] [--rev a56b823]

The machine is shared: ratios measured in one run matter more than seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from impact import territories as T  # noqa: E402
from impact.sources import establishments as E  # noqa: E402
from impact.territories import history  # noqa: E402

N_PERIODS = 28


def make_frame() -> pd.DataFrame:
    raw = pd.read_csv(E.default_path(), sep=";", dtype=str, usecols=["CODGEO"])
    codes = raw["CODGEO"].to_numpy()
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "territory_code": np.tile(codes, N_PERIODS),
        "period": np.repeat([str(2000 + i) for i in range(N_PERIODS)], len(codes)),
        "value": rng.integers(0, 100, len(codes) * N_PERIODS).astype(float),
    })


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def old_harmonize(rev: str):
    """Import the harmonize of ``rev`` (with its own normalize_code) from git."""
    tmp = Path(tempfile.mkdtemp(prefix="old_harmonize_"))
    try:
        for name in ("codes", "harmonize"):
            src = subprocess.run(["git", "-C", str(ROOT), "show",
                                  f"{rev}:src/impact/territories/{name}.py"],
                                 check=True, capture_output=True, text=True).stdout
            src = src.replace("from impact.territories.codes import", "from old_codes import")
            (tmp / f"old_{name}.py").write_text(src)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        print(f"baseline 2 skipped: {exc}")
        return None
    sys.path.insert(0, str(tmp))
    spec = importlib.util.spec_from_file_location("old_harmonize", tmp / "old_harmonize.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.harmonize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rev", default="a56b823", help="commit of the previous harmonize")
    args = ap.parse_args()

    df = make_frame()
    print(f"{len(df):,} rows, {df['territory_code'].nunique():,} distinct 2014 codes")
    T.communes()  # the territory layer is loaded in every real session; not timed here

    t = time.perf_counter()
    history.passage_table()
    cold_table = time.perf_counter() - t
    print(f"table of passage built in {cold_table:.2f} s (cold, once per process)")

    # The one warning of harmonize (the split of 76676) is printed once, not per run.
    logging.getLogger("impact.territories.harmonize").setLevel(logging.ERROR)
    ours_t, ours = best(lambda: T.harmonize(df, counts=["value"], by=["period"],
                                            from_year=2014), args.repeat)
    print(f"harmonize(from_year=2014), 1 M rows: {ours_t:.3f} s "
          f"({len(ours):,} rows out, unplaced {len(ours.attrs['harmonize']['unplaced'])})")

    clean = df.assign(territory_code=df["territory_code"].str.zfill(5))
    p14 = T.passage(2014)[["code", "code_2025", "weight"]]

    def floor():
        m = clean.merge(p14, left_on="territory_code", right_on="code", how="inner")
        m["value"] = m["value"] * m["weight"]
        return m.groupby(["code_2025", "period"], sort=True)["value"].sum().reset_index()

    floor_t, floor_out = best(floor, args.repeat)
    print(f"baseline 1, pandas merge+groupby on clean codes: {floor_t:.3f} s "
          f"-> harmonize / baseline = {ours_t / floor_t:.2f}")
    assert np.isclose(floor_out["value"].sum(), ours["value"].sum())

    old = old_harmonize(args.rev)
    if old is not None:
        logging.getLogger("old_harmonize").setLevel(logging.ERROR)
        old_t, old_out = best(lambda: old(df, counts=["value"], by=["period"]), args.repeat)
        print(f"baseline 2, harmonize of {args.rev} (row-wise normalisation): {old_t:.3f} s "
              f"-> speed-up {old_t / ours_t:.1f}x "
              f"(it left {len(old_out.attrs['harmonize']['unplaced'])} codes unplaced)")
    target = "met" if ours_t < 1.0 else "NOT met"
    print(f"target < 1 s for 1 M rows: {target} (shared 2-core machine: timings vary)")


if __name__ == "__main__":
    main()
