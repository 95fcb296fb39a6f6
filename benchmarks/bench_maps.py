"""Time of a national commune choropleth, against a plain geopandas plot of the same data.

The unit tests check what a commune map draws; its speed is measured here (a
timed unit test fails on a busy shared machine). Both are timed in the same
process, after the boundary cache is built, best of ``--repeat`` runs:

* ``impact``: :func:`impact.maps.choropleth` at commune level, Fisher-Jenks
  classes, insets, département and région borders, French legend, drawn to
  an Agg canvas;
* baseline: ``GeoDataFrame.plot(column=...)`` of the same 34,875 commune
  polygons (continuous colours, no classes, no insets, no borders), drawn to
  an Agg canvas.

Usage::

    python benchmarks/bench_maps.py              # --repeat 3
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from impact import maps  # noqa: E402
from impact.territories import boundaries  # noqa: E402


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    com = boundaries("commune")
    print(f"boundaries('commune'): {time.perf_counter() - start:.1f} s (cache built if cold)")
    rng = np.random.default_rng(3)
    values = rng.lognormal(2.0, 0.5, len(com))
    df = pd.DataFrame({"code": com["code"].astype(str), "v": values})
    gdf = com.assign(v=values)
    maps.choropleth(df.head(10), "v", level="commune")  # warm the inset and border layouts
    plt.close("all")

    def ours() -> None:
        res = maps.choropleth(df, "v", level="commune", scheme="fisher_jenks")
        res.fig.canvas.draw()
        plt.close(res.fig)

    def baseline() -> None:
        fig, ax = plt.subplots(figsize=(9, 9))
        gdf.plot(column="v", ax=ax, cmap="YlGnBu", linewidth=0)
        fig.canvas.draw()
        plt.close(fig)

    t_base = best_of(baseline, args.repeat)
    t_ours = best_of(ours, args.repeat)
    print(f"{len(com):,} communes, best of {args.repeat}")
    print(f"  geopandas plot (baseline): {t_base:6.2f} s")
    print(f"  impact.maps.choropleth:    {t_ours:6.2f} s   ratio {t_ours / t_base:.2f}")


if __name__ == "__main__":
    main()
