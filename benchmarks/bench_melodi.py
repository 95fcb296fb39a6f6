"""Benchmark: reading a 9-million-row INSEE Melodi ZIP, ours (pyarrow stream + DuckDB) vs pandas.

Generates (seeded, reused when present) a synthetic ``DS_SIDE_CREA_ENT_COM``
ZIP under ``benchmarks/_data/`` in the exact Melodi layout: ``;``-separated
data CSV with quoted text and unquoted numbers, a metadata CSV, the archive
written to a non-seekable stream (data descriptors). Rows: every current
commune plus former communes (communes déléguées, to be harmonised), the
arrondissements, and EPCI / département / région / zone d'emploi / unité
urbaine-like territories, crossed with 14 years (2012-2025) and 14 cells
(``LEGAL_FORM`` ``_T``, ``10``, ``54``, ``57``, ``OTH`` at ``ACTIVITY=_T``;
the nine A10 sections at ``LEGAL_FORM=_T``), 1 % secret values.

Then, each in its own subprocess so that peak memory is measured separately:

* ``ours``: :func:`impact.sources.melodi.read` (every indicator, harmonised to
  COG 2025) then aggregation of the long table to départements;
* ``pandas``: ``pd.read_csv`` of the whole data member (the needed columns),
  the same filters, code mapping and ``groupby``.

It prints wall time, peak RSS (``ru_maxrss`` of the child), the speed ratio,
and checks that both give the same national totals.

Usage::

    python benchmarks/bench_melodi.py               # 9,000,000 rows
    python benchmarks/bench_melodi.py --rows 1000000
    python benchmarks/bench_melodi.py --skip-pandas

Targets: ours < 20 s and < 1 GB peak RSS on 9 M rows.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
DS = "DS_SIDE_CREA_ENT_COM"
YEARS = [str(y) for y in range(2012, 2026)]
CELLS = ([("_T", lf) for lf in ("_T", "10", "54", "57", "OTH")]
         + [(a, "_T") for a in ("BE", "FZ", "GI", "JZ", "KZ", "LZ", "MN", "OQ", "RU")])


class _Unseekable(io.RawIOBase):
    """A file that cannot seek: zipfile then writes data descriptors, as INSEE's server does."""

    def __init__(self, fh) -> None:
        self.fh = fh

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        return self.fh.write(b)


def _territories(n_rows: int):
    """(GEO, GEO_OBJECT) pairs enough for n_rows rows: communes first, then other levels."""
    import numpy as np

    from impact.territories._reference import commune_table

    t = commune_table()
    com = t.loc[t["type"] == "COM", "code"].astype(str).to_numpy()
    old = t.loc[t["type"].isin(["COMD", "COMA"]) & (t["code"] != t["parent"]), "code"]
    arm = t.loc[t["type"] == "ARM", "code"].astype(str).to_numpy()
    geo = [com, old.astype(str).to_numpy(), arm]
    obj = [np.full(len(com), "COM"), np.full(len(old), "COM"), np.full(len(arm), "ARM")]
    per_geo = len(YEARS) * len(CELLS)
    n_geo = -(-n_rows // per_geo)
    k = 0
    levels = ("DEP", "REG", "EPCI", "ZE2020", "UU2020", "AAV2020", "BV2022")
    while sum(len(g) for g in geo) < n_geo:
        lv = levels[k % len(levels)]
        n = min(2000, n_geo - sum(len(g) for g in geo))
        geo.append(np.array([f"{lv[:2]}{k:03d}{i:05d}" for i in range(n)]))
        obj.append(np.full(n, lv))
        k += 1
    return np.concatenate(geo)[:n_geo], np.concatenate(obj)[:n_geo]


def generate(n_rows: int, folder: Path, seed: int = 2025) -> Path:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    product = f"{DS}_2025_CSV_FR"
    path = folder / f"{product}_{n_rows}.zip"
    if path.exists():
        print(f"reusing {path.name} ({path.stat().st_size / 1e6:.0f} MB)")
        return path
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    geo, obj = _territories(n_rows)
    n_cells, n_years = len(CELLS), len(YEARS)
    act = np.array([c[0] for c in CELLS])
    lf = np.array([c[1] for c in CELLS])
    tmp = path.with_suffix(".tmp")
    written = 0
    with open(tmp, "wb") as raw, zipfile.ZipFile(_Unseekable(raw), "w",
                                                 compression=zipfile.ZIP_DEFLATED,
                                                 compresslevel=1) as zf:
        with zf.open(f"{product}_data.csv", "w", force_zip64=True) as member:
            writer = None
            step = 2000
            for start in range(0, len(geo), step):
                g = geo[start:start + step]
                o = obj[start:start + step]
                n = len(g) * n_years * n_cells
                n = min(n, n_rows - written)
                if n <= 0:
                    break
                gi = np.repeat(np.arange(len(g)), n_years * n_cells)[:n]
                yi = np.tile(np.repeat(np.arange(n_years), n_cells), len(g))[:n]
                ci = np.tile(np.arange(n_cells), len(g) * n_years)[:n]
                value = rng.poisson(4, n).astype(np.int64)
                secret = rng.random(n) < 0.01
                table = pa.table({
                    "GEO": pa.array(g[gi]), "GEO_OBJECT": pa.array(o[gi]),
                    "SIDE_MEASURE": pa.array(np.full(n, "BURE")),
                    "ACTIVITY": pa.array(act[ci]), "LEGAL_FORM": pa.array(lf[ci]),
                    "FREQ": pa.array(np.full(n, "A")),
                    "TIME_PERIOD": pa.array(np.array(YEARS)[yi]),
                    "OBS_VALUE": pa.array(value, mask=secret),
                    "OBS_STATUS": pa.array(np.where(secret, "Q", "A")),
                })
                if writer is None:
                    writer = pacsv.CSVWriter(member, table.schema,
                                             write_options=pacsv.WriteOptions(delimiter=";"))
                writer.write_table(table)
                written += n
            writer.close()
        meta = ['"COD_VAR";"LIB_VAR";"COD_MOD";"LIB_MOD"',
                '"SIDE_MEASURE";"Mesure";"BURE";"Créations d\'entreprises"',
                '"ACTIVITY";"Activité";"_T";"Total"', '"LEGAL_FORM";"Forme";"_T";"Total"',
                '"LEGAL_FORM";"Forme";"10";"Entrepreneur individuel"']
        zf.writestr(f"{product}_metadata.csv", "\n".join(meta) + "\n")
    os.replace(tmp, path)
    print(f"generated {path.name}: {written:,} rows, {path.stat().st_size / 1e6:.0f} MB zipped, "
          f"in {time.perf_counter() - t0:.1f} s")
    return path


# --------------------------------------------------------------------------- #
# The two contenders (run in child processes)
# --------------------------------------------------------------------------- #

def run_ours(path: Path) -> dict:
    import pandas as pd

    from impact.sources import melodi
    from impact.territories import commune_to

    t0 = time.perf_counter()
    df = melodi.read(path)
    t_read = time.perf_counter() - t0
    rss_read = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Aggregate on the category codes: no Python string per row.
    cats = df["territory_code"].cat.categories
    dep_codes, dep_names = pd.factorize(commune_to("departement").reindex(cats))
    dep = dep_codes[df["territory_code"].cat.codes.to_numpy()]
    agg = df["value"].groupby([dep, df["period"], df["indicator"]], observed=True).sum(min_count=1)
    total = float(agg.xs("creations_total", level=2).sum())
    secret = int((df["status"] == "secret").sum())
    return {"seconds": time.perf_counter() - t0, "read_seconds": t_read, "long_rows": len(df),
            "rows_read": df.attrs["rows_read"], "national_total": total, "secret_rows": secret,
            "read_peak_rss_mb": rss_read}


def run_pandas(path: Path) -> dict:
    import pandas as pd

    from impact.territories import commune_mapping, commune_to

    t0 = time.perf_counter()
    with zipfile.ZipFile(path) as zf:
        member = next(n for n in zf.namelist() if n.endswith("_data.csv"))
        with zf.open(member) as fh:
            raw = pd.read_csv(fh, sep=";", usecols=["GEO", "GEO_OBJECT", "SIDE_MEASURE",
                                                     "ACTIVITY", "LEGAL_FORM", "TIME_PERIOD",
                                                     "OBS_VALUE"],
                              dtype={"GEO": str, "GEO_OBJECT": str, "SIDE_MEASURE": str,
                                     "ACTIVITY": str, "LEGAL_FORM": str, "TIME_PERIOD": str,
                                     "OBS_VALUE": "float64"})
    com = raw[(raw["GEO_OBJECT"] == "COM") & (raw["SIDE_MEASURE"] == "BURE")]
    com = com.assign(code=com["GEO"].map(commune_mapping()))
    com = com[com["code"].notna()]
    # A merged commune with a secret part is secret (no value), as in ours.
    com = com.assign(secret=com["OBS_VALUE"].isna())
    g = (com.groupby(["code", "TIME_PERIOD", "ACTIVITY", "LEGAL_FORM"])
         .agg(value=("OBS_VALUE", "sum"), secret=("secret", "sum")).reset_index())
    g["value"] = g["value"].where(g["secret"] == 0)
    tot = g[(g["ACTIVITY"] == "_T") & (g["LEGAL_FORM"] == "_T")]
    dep = tot.assign(dep=tot["code"].map(commune_to("departement")))
    agg = dep.groupby(["dep", "TIME_PERIOD"])["value"].sum(min_count=1)
    return {"seconds": time.perf_counter() - t0, "national_total": float(agg.sum()),
            "rows_read": len(raw)}


def _child(kind: str, path: Path) -> None:
    out = run_ours(path) if kind == "ours" else run_pandas(path)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["peak_rss_mb"] = ru.ru_maxrss / 1024
    out["cpu_seconds"] = ru.ru_utime + ru.ru_stime
    print("RESULT " + json.dumps(out))


def _spawn(kind: str, path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent / "src") + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, __file__, "--child", kind, "--path", str(path)],
                         capture_output=True, text=True, env=env, check=False)
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{kind} failed:\n{res.stdout}\n{res.stderr}")
    return json.loads(line[7:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=9_000_000)
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--child", choices=["ours", "pandas"])
    ap.add_argument("--path", type=Path)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.path)
        return
    sys.path.insert(0, str(HERE.parent / "src"))
    path = generate(args.rows, DATA)
    ours = _spawn("ours", path)
    print(f"ours:   {ours['seconds']:6.1f} s (read {ours['read_seconds']:.1f} s), "
          f"peak RSS {ours['peak_rss_mb']:,.0f} MB "
          f"(after read {ours['read_peak_rss_mb']:,.0f} MB), "
          f"CPU {ours['cpu_seconds']:.1f} s, {ours['rows_read']:,} rows read -> "
          f"{ours['long_rows']:,} long rows")
    if not args.skip_pandas:
        base = _spawn("pandas", path)
        print(f"pandas: {base['seconds']:6.1f} s, peak RSS {base['peak_rss_mb']:,.0f} MB, "
              f"CPU {base['cpu_seconds']:.1f} s")
        print(f"ratio (pandas / ours): {base['seconds'] / ours['seconds']:.2f}x time, "
              f"{base['peak_rss_mb'] / ours['peak_rss_mb']:.2f}x memory")
        same = abs(base["national_total"] - ours["national_total"]) < 0.5
        print(f"national creations_total: ours {ours['national_total']:,.0f}, pandas "
              f"{base['national_total']:,.0f} -> {'identical' if same else 'DIFFERENT'}")
    ok = ours["seconds"] < 20 and ours["peak_rss_mb"] < 1024
    print(f"targets (< 20 s, < 1 GB): {'met' if ok else 'NOT met'} "
          "(machine shared with other jobs: timings vary)")


if __name__ == "__main__":
    main()
