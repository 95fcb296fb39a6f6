"""Time and peak memory of the territory layer, cold and warm cache.

Each measurement runs in a fresh interpreter under ``/usr/bin/time -v`` so that
import cost and peak RSS are those a user sees. Usage::

    python benchmarks/bench_territories.py            # prints a table
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

STEPS = {
    "communes": "T.communes()",
    "commune": "T.boundaries('commune')",
    "departement": "T.boundaries('departement')",
    "region": "T.boundaries('region')",
    "epci": "T.boundaries('epci')",
    "france": "T.boundaries('france')",
}


def measure(code: str, data_dir: str) -> tuple[float, float]:
    """(wall seconds, peak MB) of ``code`` in a fresh process."""
    script = f"from impact import territories as T\n{code}\n"
    env = {**os.environ, "IMPACT_DATA_DIR": data_dir}
    res = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-c", script],
                         capture_output=True, text=True, env=env, check=True)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", res.stderr)
    h = float(wall.group(1) or 0)
    seconds = h * 3600 + float(wall.group(2)) * 60 + float(wall.group(3))
    rss_kb = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr).group(1))
    return seconds, rss_kb / 1024


def main() -> None:
    base = measure("pass", tempfile.mkdtemp())
    print(f"import impact.territories alone: {base[0]:.2f} s, {base[1]:.0f} MB")
    cold_dir = tempfile.mkdtemp(prefix="impact-bench-")
    print(f"{'step':<12} {'cold s':>7} {'cold MB':>8} {'warm s':>7} {'warm MB':>8}")
    total_cold = 0.0
    for name, code in STEPS.items():
        cold = measure(code, cold_dir)  # cache built by this call (and the ones it needs)
        warm = measure(code, cold_dir)
        total_cold += cold[0]
        print(f"{name:<12} {cold[0]:>7.2f} {cold[1]:>8.0f} {warm[0]:>7.2f} {warm[1]:>8.0f}")
    print(f"cold build of all levels, sum of the steps: {total_cold:.1f} s")
    for f in sorted((Path(cold_dir) / "processed" / "geography").iterdir()):
        print(f"  {f.name:<55} {f.stat().st_size / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
