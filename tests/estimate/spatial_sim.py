"""Grid geographies and spillover panels with known effects (tests and benchmark)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from impact.estimate.spatial import neighbours


def grid(k=5, size=0.1):
    """k × k square cells of `size` degrees near (2 E, 46 N), codes 'r{row}c{col}'."""
    cells, codes = [], []
    for r in range(k):
        for c in range(k):
            x0, y0 = 2 + c * size, 46 + r * size
            cells.append(shapely.box(x0, y0, x0 + size, y0 + size))
            codes.append(f"r{r:02d}c{c:02d}")
    return gpd.GeoDataFrame({"code": codes}, geometry=cells, crs=4326)


def spill_panel(k=20, effect=2.0, spill=0.8, seed=0, nb=None, g=None):
    """Grid units, 25 treated in 2015: own effect `effect`, `spill` on queen neighbours."""
    rng = np.random.default_rng(seed)
    if g is None:
        g = grid(k, size=0.05)
        nb = neighbours(g)
    codes = g["code"].to_numpy()
    G = pd.Series(0.0, index=codes)
    G[rng.choice(codes, size=25, replace=False)] = 2015.0
    exposed = nb.assign(t=nb["neighbour"].map(G)).query("t > 0")["code"].unique()
    years = np.arange(2010, 2020)
    n = len(codes)
    y = rng.normal(size=n)[:, None] + 0.1 * np.arange(len(years)) + rng.normal(
        scale=0.5, size=(n, len(years)))
    post = years[None, :] >= 2015
    own = (G.to_numpy() > 0)[:, None] & post
    near = (np.isin(codes, exposed) & (G.to_numpy() == 0))[:, None] & post
    y = y + effect * own + spill * near
    df = pd.DataFrame({"code": np.repeat(codes, len(years)), "year": np.tile(years, n),
                       "y": y.ravel(), "g": np.repeat(G.to_numpy(), len(years))})
    return df, nb, g
