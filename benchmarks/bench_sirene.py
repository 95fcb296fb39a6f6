"""Benchmark: SIRENE creations by commune x month, DuckDB (ours) vs a plain pandas baseline.

Generates (seeded, in chunks with pyarrow so that generation itself stays
small in memory) a SIRENE-shaped stock of 25 million legal units and 30
million establishments as Parquet under ``benchmarks/_data/`` (reused when
present), then runs, each in its own subprocess so that peak memory is
measured separately:

* ``ours``: :func:`impact.sources.sirene.creations` (DuckDB, memory-capped);
* ``pandas``: ``pd.read_parquet`` of the needed columns of both files, merge on
  the head office, flags, ``groupby`` and the same harmonisation.

It prints wall time, peak RSS of each, the speed ratio, and checks that both
give identical counts.

Usage::

    python benchmarks/bench_sirene.py              # full scale (25 M / 30 M rows)
    python benchmarks/bench_sirene.py --scale 0.1  # quick run
    python benchmarks/bench_sirene.py --skip-pandas

Targets: >= 5x faster than pandas, < 1.5 GB peak memory for ours.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
N_UL = 25_000_000
N_ET = 30_000_000
CHUNK = 1_000_000


# --------------------------------------------------------------------------- #
# Data generation
# --------------------------------------------------------------------------- #

def _commune_pool():
    """Commune codes weighted by population, with arrondissements, old and bad codes."""
    import numpy as np

    from impact.territories import communes
    from impact.territories._reference import commune_table

    com = communes()[["code", "population"]]
    pop = com["population"].fillna(100).clip(lower=50).to_numpy(dtype=float)
    codes = com["code"].astype(str).to_numpy()
    # SIRENE locates Paris, Lyon and Marseille establishments in arrondissements.
    t = commune_table()
    arm = t.loc[t["type"] == "ARM", "code"].astype(str).to_numpy()
    old = t.loc[t["type"].isin(["COMD", "COMA"]), "code"].astype(str).to_numpy()
    big = np.isin(codes, ["75056", "69123", "13055"])
    arm_w = np.full(len(arm), pop[big].sum() / max(len(arm), 1))
    pool = np.concatenate([codes[~big], arm, old, np.array(["99999", "98735"])])
    w = np.concatenate([pop[~big], arm_w, np.full(len(old), 30.0), np.array([500.0, 500.0])])
    return pool, w / w.sum()


def generate(scale: float, folder: Path, seed: int = 20140101) -> tuple[Path, Path]:
    """Write StockUniteLegale/StockEtablissement-shaped Parquet files (reused when present)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    n_ul, n_et = int(N_UL * scale), int(N_ET * scale)
    ul_path = folder / f"StockUniteLegale_{scale:g}.parquet"
    et_path = folder / f"StockEtablissement_{scale:g}.parquet"
    if ul_path.exists() and et_path.exists():
        print(f"reusing {ul_path.name}, {et_path.name}")
        return ul_path, et_path
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pool, weights = _commune_pool()
    cum = np.cumsum(weights)
    bands = np.array(["NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41"])
    band_p = np.array([.55, .2, .1, .05, .03, .03, .02, .01, .005, .002, .002, .001])
    band_p /= band_p.sum()
    cjs = np.array(["1000", "5499", "5710", "5720", "5498", "9220", "6540", "5458", "6317",
                    "7210", "2110", "6599", "5560"])
    cj_p = np.array([.45, .15, .1, .08, .05, .08, .04, .005, .005, .01, .01, .02, .005])
    cj_p /= cj_p.sum()
    divisions = np.array([1, 10, 25, 35, 41, 43, 45, 47, 49, 55, 56, 62, 64, 68, 69, 70, 74,
                          81, 85, 86, 88, 90, 94, 96, 97, 99])
    years = np.arange(1950, 2026)
    year_w = np.exp((years - 2025) / 12.0)
    year_w /= year_w.sum()
    n_extra = n_et - n_ul
    t0 = time.perf_counter()
    ul_writer = et_writer = None
    try:
        for start in range(0, n_ul, CHUNK):
            n = min(CHUNK, n_ul - start)
            siren_int = 300_000_000 + start + np.arange(n, dtype=np.int64)
            siren = pa.array(siren_int.astype(str))
            nic_siege = rng.integers(10, 99, n)
            y = rng.choice(years, n, p=year_w)
            day = rng.integers(0, 365, n)
            date = (y - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day
            date_arr = pa.array(date.astype("datetime64[D]"), type=pa.date32())
            # 0.5% purged units without a creation date.
            date_arr = pc.if_else(pa.array(rng.random(n) < 0.005), pa.scalar(None, pa.date32()),
                                  date_arr)
            div = rng.choice(divisions, n)
            letters = np.array(list("ABCDZ"))[rng.integers(0, 5, n)]
            naf = np.char.add(np.char.add(np.char.zfill(div.astype(str), 2), "."),
                              np.char.add(np.char.zfill(rng.integers(0, 99, n).astype(str), 2),
                                          letters))
            old = y < 2008
            nomen = np.where(old & (rng.random(n) < 0.5), "NAFRev1", "NAFRev2")
            # NAF rév. 1 codes look like "52.4Z" (one digit less).
            naf = np.where(nomen == "NAFRev1", np.char.add(naf.astype("U4"), "Z"), naf)
            ul = pa.table({
                "siren": siren,
                "statutDiffusionUniteLegale": pa.array(np.where(rng.random(n) < 0.03, "P", "O")),
                "unitePurgeeUniteLegale": pa.array(np.where(y < 1990, "true", None)),
                "dateCreationUniteLegale": date_arr,
                "trancheEffectifsUniteLegale": pa.array(rng.choice(bands, n, p=band_p)),
                "etatAdministratifUniteLegale": pa.array(np.where(rng.random(n) < 0.4, "C", "A")),
                "denominationUniteLegale": pa.array(np.char.add("ENTREPRISE ", siren_int.astype(str))),
                "categorieJuridiqueUniteLegale": pa.array(rng.choice(cjs, n, p=cj_p)),
                "activitePrincipaleUniteLegale": pa.array(naf),
                "nomenclatureActivitePrincipaleUniteLegale": pa.array(nomen),
                "nicSiegeUniteLegale": pa.array(np.char.zfill(nic_siege.astype(str), 5)),
                "economieSocialeSolidaireUniteLegale": pa.array(np.where(rng.random(n) < 0.03, "O", "N")),
            })
            if ul_writer is None:
                ul_writer = pq.ParquetWriter(ul_path.with_suffix(".tmp"), ul.schema, compression="zstd")
            ul_writer.write_table(ul, row_group_size=CHUNK // 2)
            # Establishments: one head office per unit, plus secondary ones.
            n_sec = int(n_extra * n / n_ul)
            sec_owner = rng.integers(0, n, n_sec)
            owners = np.concatenate([np.arange(n), sec_owner])
            nic = np.concatenate([nic_siege, rng.integers(100, 999, n_sec)])
            siege = np.concatenate([np.ones(n, bool), np.zeros(n_sec, bool)])
            idx = np.searchsorted(cum, rng.random(len(owners)))
            commune = pool[np.minimum(idx, len(pool) - 1)]
            order = np.argsort(owners, kind="stable")
            owners, nic, siege, commune = owners[order], nic[order], siege[order], commune[order]
            nic_s = np.char.zfill(nic.astype(str), 5)
            e_siren = siren_int[owners].astype(str)
            missing = rng.random(len(owners)) < 0.002  # foreign establishments
            et = pa.table({
                "siren": pa.array(e_siren),
                "nic": pa.array(nic_s),
                "siret": pa.array(np.char.add(e_siren, nic_s)),
                "statutDiffusionEtablissement": pa.array(np.full(len(owners), "O")),
                "etablissementSiege": pa.array(siege),
                "codePostalEtablissement": pa.array(commune),
                "codeCommuneEtablissement": pa.array(np.where(missing, None, commune)),
                "etatAdministratifEtablissement": pa.array(np.where(rng.random(len(owners)) < .4, "F", "A")),
                "activitePrincipaleEtablissement": pa.array(naf[owners]),
            })
            if et_writer is None:
                et_writer = pq.ParquetWriter(et_path.with_suffix(".tmp"), et.schema, compression="zstd")
            et_writer.write_table(et, row_group_size=CHUNK // 2)
            print(f"  generated {start + n:>11,} / {n_ul:,} legal units "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    finally:
        for w in (ul_writer, et_writer):
            if w is not None:
                w.close()
    ul_path.with_suffix(".tmp").rename(ul_path)
    et_path.with_suffix(".tmp").rename(et_path)
    return ul_path, et_path


# --------------------------------------------------------------------------- #
# The two implementations (each run in a child process)
# --------------------------------------------------------------------------- #

def run_ours(ul: Path, et: Path, out: Path, memory_limit: str, threads: int) -> None:
    from impact.sources import sirene

    # The national result has tens of millions of rows: written straight to Parquet.
    sirene.creations(ul, et, freq="month", memory_limit=memory_limit, threads=threads, out=out)


def run_pandas(ul: Path, et: Path, out: Path) -> None:
    """What an analyst would write with pandas: read, merge, flag, group, harmonise."""
    import numpy as np
    import pandas as pd

    from impact.sources.sirene import (
        COOPERATIVE_CODES,
        INDICATORS,
        NAF_SECTIONS,
        TPE_BANDS,
    )
    from impact.territories import commune_mapping, normalize_code

    u = pd.read_parquet(ul, columns=[
        "siren", "dateCreationUniteLegale", "trancheEffectifsUniteLegale",
        "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale",
        "nomenclatureActivitePrincipaleUniteLegale", "economieSocialeSolidaireUniteLegale",
        "nicSiegeUniteLegale"])
    e = pd.read_parquet(et, columns=["siren", "nic", "codeCommuneEtablissement", "etablissementSiege"])
    e = e[e["etablissementSiege"]].drop(columns="etablissementSiege")
    u = u[u["dateCreationUniteLegale"].notna()]
    m = u.merge(e, left_on=["siren", "nicSiegeUniteLegale"], right_on=["siren", "nic"], how="left")
    del u, e
    d = pd.to_datetime(m["dateCreationUniteLegale"])
    w = pd.DataFrame({"commune": m["codeCommuneEtablissement"], "period": d.dt.strftime("%Y-%m")})
    w["creations_total"] = 1
    w["creations_tpe"] = m["trancheEffectifsUniteLegale"].fillna("NN").isin(TPE_BANDS).astype(int)
    w["creations_ess"] = (m["economieSocialeSolidaireUniteLegale"] == "O").astype(int)
    cj = m["categorieJuridiqueUniteLegale"].astype(str)
    grp = np.select(
        [cj.isin(COOPERATIVE_CODES), cj.str.startswith("1"), cj.str.startswith("92"),
         cj.str[0].isin(["5", "6"])],
        ["cooperative", "individual", "association", "company"], "other")
    for g in ("individual", "company", "association", "cooperative", "other"):
        w[f"creations_legal_{g}"] = (grp == g).astype(int)
    naf = m["activitePrincipaleUniteLegale"].str.replace(".", "", regex=False)
    ok = naf.str.fullmatch(r"\d{4}[A-Z]") & (m["nomenclatureActivitePrincipaleUniteLegale"] == "NAFRev2")
    div = pd.to_numeric(naf.str[:2], errors="coerce").where(ok)
    for s, (lo, hi) in NAF_SECTIONS.items():
        w[f"creations_naf_{s}"] = div.between(lo, hi).astype(int)
    del m
    g = w.groupby(["commune", "period"], dropna=False).sum().reset_index()
    g = g[g["commune"].notna()]
    flags = normalize_code(g["commune"], "commune", errors="flag")
    g["commune"] = flags["code"].map(commune_mapping()).where(flags["valid"])
    g = g[g["commune"].notna()].groupby(["commune", "period"]).sum().reset_index()
    long = g.melt(id_vars=["commune", "period"], value_vars=list(INDICATORS),
                  var_name="indicator", value_name="value")
    long = long[(long["value"] > 0) | (long["indicator"] == "creations_total")]
    long = long.rename(columns={"commune": "territory_code"})
    long["value"] = long["value"].astype(float)
    long.to_parquet(out)


def _child(args) -> None:
    t0 = time.perf_counter()
    if args.child == "ours":
        run_ours(Path(args.ul), Path(args.et), Path(args.out), args.memory_limit, args.threads)
    else:
        run_pandas(Path(args.ul), Path(args.et), Path(args.out))
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))


def _spawn(kind: str, ul: Path, et: Path, out: Path, args) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--ul", str(ul), "--et", str(et),
           "--out", str(out), "--memory-limit", args.memory_limit, "--threads", str(args.threads)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr[-4000:])
        return {"failed": True, "returncode": proc.returncode, "wall": wall}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of 25 M / 30 M rows")
    p.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit for ours")
    p.add_argument("--threads", type=int, default=2, help="DuckDB threads for ours")
    p.add_argument("--skip-pandas", action="store_true", help="only time ours")
    p.add_argument("--child", choices=["ours", "pandas"], help=argparse.SUPPRESS)
    p.add_argument("--ul", help=argparse.SUPPRESS)
    p.add_argument("--et", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args)
        return 0

    os.environ.setdefault("IMPACT_DATA_DIR", str(DATA / "impact_data"))
    t0 = time.perf_counter()
    gen = subprocess.run([sys.executable, "-c",
                          "import sys; sys.path.insert(0, %r); import bench_sirene as b; "
                          "print(*b.generate(%r, b.DATA), sep='\\n')" % (str(HERE), args.scale)],
                         text=True, capture_output=False, stdout=subprocess.PIPE)
    if gen.returncode != 0:
        return gen.returncode
    ul, et = (Path(x) for x in gen.stdout.strip().splitlines()[-2:])
    print(f"data ready in {time.perf_counter() - t0:.0f} s: {ul.stat().st_size / 1e6:.0f} MB + "
          f"{et.stat().st_size / 1e6:.0f} MB Parquet")
    # Warm the territory cache so that neither run pays for building it.
    subprocess.run([sys.executable, "-c", "from impact.territories import commune_mapping; "
                    "commune_mapping()"], check=True)

    out_ours = DATA / f"result_ours_{args.scale:g}.parquet"
    out_pd = DATA / f"result_pandas_{args.scale:g}.parquet"
    ours = _spawn("ours", ul, et, out_ours, args)
    print(f"ours   (DuckDB, memory_limit={args.memory_limit}, threads={args.threads}): "
          f"{ours.get('seconds', float('nan')):7.1f} s, peak RSS {ours.get('peak_mb', float('nan')):7.0f} MB")
    if args.skip_pandas:
        return 0 if not ours.get("failed") else 1
    base = _spawn("pandas", ul, et, out_pd, args)
    if base.get("failed"):
        print(f"pandas baseline failed (return code {base['returncode']}; out of memory?)")
        return 1
    print(f"pandas (read_parquet + merge + groupby):        "
          f"{base['seconds']:7.1f} s, peak RSS {base['peak_mb']:7.0f} MB")
    print(f"speed-up: {base['seconds'] / ours['seconds']:.1f}x; "
          f"memory ratio pandas/ours: {base['peak_mb'] / ours['peak_mb']:.1f}x")

    import pandas as pd

    a = pd.read_parquet(out_ours)
    b = pd.read_parquet(out_pd)
    key = ["territory_code", "period", "indicator"]
    a = a.astype({k: str for k in key}).sort_values(key).reset_index(drop=True)
    b = b.astype({k: str for k in key}).sort_values(key).reset_index(drop=True)
    same = len(a) == len(b) and a[key].equals(b[key]) and (a["value"].to_numpy() == b["value"].to_numpy()).all()
    print(f"identical counts: {same} ({len(a):,} rows, {a['value'][a['indicator'] == 'creations_total'].sum():,.0f} creations)")
    ok = same and ours["peak_mb"] < 1536 and base["seconds"] / ours["seconds"] >= 5
    print("targets (>=5x, <1.5 GB, identical):", "met" if ok else "NOT met")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
