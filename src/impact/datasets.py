"""Small bundled panels for examples, doctests and first steps.

:func:`example_panel` is a simulated staggered-adoption panel with a known
effect, small enough for every docstring example to run in a fraction of a
second; the real départements panel comes from :func:`impact.sources.side.read`
(shipped INSEE files) and :func:`impact.panel.build_panel`.

Examples
--------
>>> df = example_panel()
>>> df.shape
(320, 7)
>>> sorted(df["first_treated"].unique().tolist())
[0, 2013, 2015]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import geopandas as gpd

__all__ = ["example_grid", "example_notebook", "example_panel", "example_treatment"]

EXAMPLE_EFFECT = 2.0
"""Effect of treatment on ``outcome`` in :func:`example_panel`, every treated year."""


def example_panel(
    n_units: int = 40,
    start: int = 2010,
    end: int = 2017,
    *,
    effect: float = EXAMPLE_EFFECT,
    seed: int = 0,
) -> pd.DataFrame:
    """A simulated balanced panel of territories with staggered adoption.

    A quarter of the units are first treated in 2013, a quarter in 2015 and
    half never (``first_treated = 0``). The outcome follows parallel trends
    (unit and year effects plus noise of standard deviation 0.5) and rises by
    ``effect`` in every treated year, so ATT(g, t) = ``effect`` for every
    post-treatment cell and 0 before.

    Parameters
    ----------
    n_units
        Number of territories (a multiple of 4 keeps the cohorts equal).
    start, end
        First and last year (inclusive).
    effect
        Treatment effect added to the outcome of treated units once treated.
    seed
        Seed of the random generator (the panel is deterministic given it).

    Returns
    -------
    pandas.DataFrame
        Columns ``territory_code`` (``"T001"``…), ``region`` (four clusters),
        ``year``, ``first_treated``, ``outcome``, ``dose`` (spending per
        inhabitant of the treated, 0 otherwise) and ``population``.

    Examples
    --------
    >>> df = example_panel(n_units=8, start=2012, end=2014)
    >>> df.head(3)
      territory_code region  year  first_treated    outcome  dose  population
    0           T001     R1  2012           2013   9.773863   1.0       12000
    1           T001     R1  2013           2013  11.793019   1.0       12000
    2           T001     R1  2014           2013  12.414093   1.0       12000
    """
    rng = np.random.default_rng(seed)
    years = np.arange(start, end + 1)
    codes = [f"T{i + 1:03d}" for i in range(n_units)]
    cohort = np.zeros(n_units, dtype=int)
    quarter = max(n_units // 4, 1)
    cohort[:quarter] = 2013
    cohort[quarter : 2 * quarter] = 2015
    unit_effect = rng.normal(10.0, 1.0, n_units)
    year_effect = 0.3 * (years - start)
    dose = np.where(cohort > 0, 1.0 + (np.arange(n_units) % 3), 0.0)
    rows = []
    for i, code in enumerate(codes):
        noise = rng.normal(0.0, 0.5, len(years))
        treated = (cohort[i] > 0) & (years >= cohort[i])
        y = unit_effect[i] + year_effect + noise + effect * treated
        for t, value in zip(years, y, strict=True):
            rows.append((code, f"R{i % 4 + 1}", int(t), int(cohort[i]), round(float(value), 6),
                         float(dose[i]), 12000 + 1000 * (i % 5)))
    return pd.DataFrame(
        rows,
        columns=["territory_code", "region", "year", "first_treated", "outcome", "dose",
                 "population"],
    )


def example_treatment() -> pd.DataFrame:
    """An invented programme's treatment table at département level.

    The form :func:`impact.panel.build_panel` takes as ``treatment``: one row
    per treated territory with ``territory_code``, ``first_treated`` (year)
    and ``intensity`` (here € per inhabitant).

    Examples
    --------
    >>> example_treatment()
      territory_code  first_treated  intensity
    0             29           2016        4.0
    1             35           2016        2.5
    2             44           2017        3.0
    3             56           2017        1.5
    """
    return pd.DataFrame(
        {
            "territory_code": ["29", "35", "44", "56"],
            "first_treated": [2016, 2016, 2017, 2017],
            "intensity": [4.0, 2.5, 3.0, 1.5],
        }
    )


def example_grid(n_units: int = 40, columns: int = 8) -> gpd.GeoDataFrame:
    """Square polygons for the territories of :func:`example_panel` (spatial examples).

    Territory ``T001`` is the south-west corner; codes run along rows of
    ``columns`` squares of 0.1° from (2°E, 46°N), in WGS 84.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code`` and ``geometry``, one row per territory.

    Examples
    --------
    >>> grid = example_grid()
    >>> len(grid), grid["code"].iloc[0], grid.crs.to_epsg()
    (40, 'T001', 4326)
    >>> [round(v, 1) for v in grid.geometry.iloc[9].bounds]  # T010: second row, second column
    [2.1, 46.1, 2.2, 46.2]
    """
    # geopandas is imported here: `import impact.datasets` stays light for the panel examples.
    import geopandas as gpd  # noqa: F811
    from shapely.geometry import box

    # Each edge computed the same way for both squares sharing it, so neighbours touch exactly.
    col, row = np.arange(n_units) % columns, np.arange(n_units) // columns
    return gpd.GeoDataFrame(
        {"code": [f"T{i + 1:03d}" for i in range(n_units)]},
        geometry=[box(2 + 0.1 * c, 46 + 0.1 * r, 2 + 0.1 * (c + 1), 46 + 0.1 * (r + 1))
                  for c, r in zip(col, row, strict=True)],
        crs=4326,
    )


def example_notebook(path: str | Path) -> Path:
    """Write a two-cell parametrised notebook (``x = 1``, then ``print(x * 10)``) for the
    report runner's examples.

    Returns
    -------
    pathlib.Path
        ``path``, where the notebook was written (Python 3 kernel).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     nb = example_notebook(f"{folder}/toy.ipynb")
    ...     impact.reports.runner.notebook_parameters(nb)
    {'x': '1'}
    """
    from pathlib import Path

    import nbformat

    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell("print(x * 10)")])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    nbformat.write(nb, str(path))
    return Path(path)
