"""Spatial spillovers: neighbours from the real geography, donut designs, effects on
neighbours and Conley standard errors for two-way fixed effects.

A PTCE or a spending programme can affect the territories next to the one it
is located in (firms created across the border, jobs taken by commuters). Two
consequences for the estimators:

* a never-treated neighbour of a treated territory is a contaminated control:
  :func:`donut` drops such territories from the comparison group;
* the effect on neighbours is itself of interest: :func:`spillover_design`
  recodes the panel so that the never-treated neighbours of treated
  territories are the "treated" (from the first period a neighbour is
  treated) and the territories far from any treatment are the controls, and
  :func:`spillover_att_gt` runs :func:`~impact.estimate.att_gt` on it.

Neighbours come from the polygons of :func:`impact.territories.boundaries`
(queen contiguity: polygons sharing at least a point, in Lambert-93 metres
with an optional snapping tolerance since simplified borders may leave thin
gaps) or from distance bands between representative points (great-circle
kilometres). :func:`conley_twfe` gives the TWFE coefficient with Conley
(1999) spatial standard errors, in a separate function because
:func:`impact.estimate.twfe` is owned elsewhere; it shares its within
estimator (balanced panels here).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.spatial import cKDTree

from impact._options import check_options
from impact._warnings import warn as _warn
from impact.errors import InputError
from impact.estimate._validate import numeric_groups, numeric_periods, require_columns
from impact.estimate.protocol import ResultBase, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from geopandas import GeoDataFrame

    from impact.estimate.results import ATTgtResult

__all__ = [
    "ConleyResult",
    "conley_twfe",
    "donut",
    "neighbours",
    "spillover_att_gt",
    "spillover_design",
    "unit_coordinates",
]

logger = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088


def _geoframe(where: str | GeoDataFrame) -> GeoDataFrame:
    """A GeoDataFrame with ``code`` and geometry, from a level name or a GeoDataFrame."""
    if isinstance(where, str):
        from impact.territories import boundaries

        return boundaries(where)
    if not hasattr(where, "geometry") or "code" not in where.columns:
        raise InputError("expected a level name or a GeoDataFrame with a 'code' column")
    return where


def unit_coordinates(where: str | GeoDataFrame) -> pd.DataFrame:
    """Longitude and latitude (degrees) of a representative point of each territory.

    ``where`` is a level name (``"departement"``, ``"commune"``, …) or a
    GeoDataFrame with ``code`` and polygons. Returns a frame indexed by code
    with ``lon, lat`` (points inside the polygons, unlike centroids).

    Examples
    --------
    >>> from impact.datasets import example_grid
    >>> grid = example_grid()  # 40 squares on an 8 × 5 grid, T001 at the corner
    >>> unit_coordinates(grid).loc["T001"].round(2).tolist()
    [2.05, 46.05]
    """
    gdf = _geoframe(where)
    if gdf.crs is not None and not gdf.crs.is_geographic:
        gdf = gdf.to_crs(4326)
    pts = gdf.geometry.representative_point()
    return pd.DataFrame({"lon": pts.x.to_numpy(), "lat": pts.y.to_numpy()},
                        index=pd.Index(gdf["code"].astype(str), name="code"))


def _unit_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _pairs_within(coords: pd.DataFrame, max_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs (i < j) within ``max_km`` great-circle kilometres, with their distances.

    A k-d tree on unit-sphere coordinates finds them without the n × n matrix
    (35,000 communes would need 10 GB): the chord length ``2 sin(d / 2R)`` is
    monotone in the great-circle distance ``d``.
    """
    xyz = _unit_xyz(coords["lon"].to_numpy(float), coords["lat"].to_numpy(float))
    chord = 2 * np.sin(min(max_km / EARTH_RADIUS_KM, np.pi) / 2)
    tree = cKDTree(xyz)
    pairs = tree.query_pairs(chord, output_type="ndarray")
    if len(pairs) == 0:
        return np.empty(0, int), np.empty(0, int), np.empty(0)
    i, j = pairs[:, 0], pairs[:, 1]
    c = np.linalg.norm(xyz[i] - xyz[j], axis=1)
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(c / 2, 0, 1))
    return i, j, d


@check_options
def neighbours(
    where: str | GeoDataFrame,
    *,
    method: Literal["queen", "distance"] = "queen",
    band_km: tuple[float, float] = (0.0, 50.0),
    tolerance_m: float = 1.0,
) -> pd.DataFrame:
    """Pairs of neighbouring territories, in both directions.

    Parameters
    ----------
    where
        Level name for :func:`impact.territories.boundaries` (e.g.
        ``"departement"``, ``"epci"``, ``"commune"``) or a GeoDataFrame with
        ``code`` and polygons.
    method
        ``"queen"``: polygons that share at least a point (in Lambert-93);
        ``"distance"``: representative points between ``band_km[0]``
        (exclusive, except 0) and ``band_km[1]`` kilometres.
    band_km
        Distance band for ``method="distance"``.
    tolerance_m
        Queen only: polygons closer than this many metres count as touching.
        The default (1 m) absorbs the rounding of reprojection, which
        otherwise loses corner contacts; simplified borders can leave wider
        slivers between true neighbours (use ~200 m for ``boundaries``).

    Returns
    -------
    pandas.DataFrame
        ``code, neighbour, distance_km`` (distance between representative
        points), one row per ordered pair; ``attrs["n_isolated"]`` counts
        territories without any neighbour (islands, overseas départements).

    Examples
    --------
    >>> from impact.datasets import example_grid
    >>> grid = example_grid()  # 40 squares on an 8 × 5 grid, T001 at the corner
    >>> nb = neighbours(grid)
    >>> nb.loc[nb["code"] == "T001", "neighbour"].tolist()  # a corner square has 3
    ['T002', 'T009', 'T010']
    >>> nb.attrs["n_isolated"]
    0
    """
    import shapely

    lo_km, hi_km = band_km
    if method == "distance" and not 0 <= lo_km < hi_km:
        raise InputError(f"band_km must be (low, high) with 0 <= low < high, not {band_km!r}")
    gdf = _geoframe(where).reset_index(drop=True)
    codes = gdf["code"].astype(str).to_numpy()
    coords = unit_coordinates(gdf)
    if method == "queen":
        geoms = gdf.to_crs(2154).geometry.values if gdf.crs is not None else gdf.geometry.values
        geoms = shapely.make_valid(np.asarray(geoms))
        probe = shapely.buffer(geoms, tolerance_m) if tolerance_m > 0 else geoms
        tree = shapely.STRtree(geoms)
        a, b = tree.query(probe, predicate="intersects")
        keep = a != b
        a, b = a[keep], b[keep]
        # Symmetrise (a buffered probe may catch b while b's probe misses a by rounding).
        ab = np.unique(np.r_[np.c_[a, b], np.c_[b, a]], axis=0)
        a, b = ab[:, 0], ab[:, 1]
        xyz = _unit_xyz(coords["lon"].to_numpy(), coords["lat"].to_numpy())
        c = np.linalg.norm(xyz[a] - xyz[b], axis=1)
        d = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(c / 2, 0, 1))
    else:
        i, j, d = _pairs_within(coords, hi_km)
        sel = (d > lo_km) if lo_km > 0 else np.ones(len(d), bool)
        i, j, d = i[sel], j[sel], d[sel]
        a, b, d = np.r_[i, j], np.r_[j, i], np.r_[d, d]
    out = pd.DataFrame({"code": codes[a], "neighbour": codes[b], "distance_km": d})
    out = out.sort_values(["code", "neighbour"]).reset_index(drop=True)
    out.attrs["n_isolated"] = int(len(set(codes) - set(out["code"])))
    out.attrs["method"] = method
    return out


def _unit_groups(data: pd.DataFrame, unit: str, group: str) -> pd.Series:
    require_columns(data, [unit, group])
    g = numeric_groups(data[group], group).fillna(0)
    per = pd.Series(g.to_numpy(), index=data[unit].astype(str)).groupby(level=0).agg(["min", "max"])
    if (per["min"] != per["max"]).any():
        bad = per.index[per["min"] != per["max"]][0]
        raise InputError(f"the first treated period varies within unit {bad!r}", column=group)
    return per["min"]


def _exposure(G: pd.Series, nb: pd.DataFrame) -> pd.Series:
    """First period in which a neighbour of each unit is treated (0: never)."""
    e = nb.assign(g=nb["neighbour"].map(G))
    e = e[e["g"] > 0]
    first = e.groupby("code")["g"].min()
    return first.reindex(G.index).fillna(0.0)


def donut(data: pd.DataFrame, *, unit: str, group: str, neighbours: pd.DataFrame) -> pd.DataFrame:
    """Drop never-treated territories adjacent to a treated one from the panel.

    They would be contaminated controls if effects spill over. Treated units
    are kept whatever their neighbours. ``neighbours`` is the output of
    :func:`neighbours` (codes compared as strings with the ``unit`` column).
    The number and codes of dropped units are logged and stored in
    ``attrs["donut_dropped"]``.

    Examples
    --------
    The treated territories of the example panel are T001–T020 (the first
    two and a half rows of the grid): the never-treated squares touching
    them leave the comparison group.

    >>> from impact.datasets import example_panel
    >>> from impact.datasets import example_grid
    >>> grid = example_grid()  # 40 squares on an 8 × 5 grid, T001 at the corner
    >>> kept = donut(example_panel(), unit="territory_code", group="first_treated",
    ...              neighbours=neighbours(grid))
    >>> kept.attrs["donut_dropped"]
    ['T021', 'T022', 'T023', 'T024', 'T025', 'T026', 'T027', 'T028', 'T029']
    """
    G = _unit_groups(data, unit, group)
    expo = _exposure(G, neighbours)
    drop = G.index[(G == 0) & (expo > 0)]
    logger.info("donut: %d never-treated units adjacent to a treated one leave the comparison "
                "group", len(drop))
    out = data[~data[unit].astype(str).isin(drop)].copy()
    out.attrs["donut_dropped"] = list(drop)
    return out


def spillover_design(
    data: pd.DataFrame, *, unit: str, group: str, neighbours: pd.DataFrame,
    exposed_group: str = "exposed_group",
) -> pd.DataFrame:
    """Recode a panel so that exposure to a treated neighbour is the treatment.

    Returns the panel without the directly treated units, with a column
    ``exposed_group``: for never-treated units adjacent to a treated one, the
    first period in which a neighbour is treated; 0 for units with no treated
    neighbour (the controls). Feeding it to ``att_gt(group=exposed_group)``
    estimates the effect on neighbours (under parallel trends between
    exposed and unexposed untreated units).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.datasets import example_grid
    >>> grid = example_grid()  # 40 squares on an 8 × 5 grid, T001 at the corner
    >>> design = spillover_design(example_panel(), unit="territory_code",
    ...                           group="first_treated", neighbours=neighbours(grid))
    >>> design.attrs["n_exposed"], sorted(design["exposed_group"].unique().tolist())
    (9, [0.0, 2015.0])
    """
    G = _unit_groups(data, unit, group)
    expo = _exposure(G, neighbours)
    keep = G.index[G == 0]
    out = data[data[unit].astype(str).isin(keep)].copy()
    out[exposed_group] = out[unit].astype(str).map(expo).to_numpy()
    n_exp = int((expo[keep] > 0).sum())
    if n_exp == 0:
        raise InputError("no untreated unit has a treated neighbour: no spillover to estimate",
                         column=group)
    logger.info("spillover design: %d exposed untreated units, %d unexposed controls "
                "(%d directly treated units left out)", n_exp, len(keep) - n_exp,
                int((G > 0).sum()))
    out.attrs["n_exposed"] = n_exp
    return out


def spillover_att_gt(
    data: pd.DataFrame, *, outcome: str, unit: str, time: str, group: str,
    neighbours: pd.DataFrame, **kwargs: Any,
) -> ATTgtResult:
    """Effect on the neighbours of treated territories, by :func:`~impact.estimate.att_gt`.

    Builds :func:`spillover_design` and estimates group-time effects of
    exposure (``kwargs`` go to ``att_gt``: control group, bootstrap, …).
    Returns the :class:`~impact.estimate.did.ATTgtResult`; aggregate it as
    usual (``.aggregate("dynamic")``).

    Examples
    --------
    The example panel has no spillover: the effect on the neighbours of
    treated territories is near zero.

    >>> from impact.datasets import example_panel
    >>> from impact.datasets import example_grid
    >>> grid = example_grid()  # 40 squares on an 8 × 5 grid, T001 at the corner
    >>> res = spillover_att_gt(example_panel(), outcome="outcome", unit="territory_code",
    ...                        time="year", group="first_treated", neighbours=neighbours(grid))
    >>> res.aggregate("simple").tidy().round(3)
      term  estimate     se  ci_low  ci_high  pvalue
    0  ATT    -0.023  0.265  -0.542    0.496   0.932
    """
    from impact.estimate.did import att_gt

    design = spillover_design(data, unit=unit, group=group, neighbours=neighbours)
    return att_gt(design, outcome=outcome, unit=unit, time=time, group="exposed_group", **kwargs)


# --------------------------------------------------------------------------- Conley
@dataclass(repr=False)
class ConleyResult(ResultBase):
    """TWFE coefficients with Conley spatial standard errors.

    Attributes
    ----------
    table
        ``term, estimate, se, t, p_value, ci_low, ci_high`` (regression naming;
        :meth:`tidy` gives the uniform columns, normal p-values and CIs).
    cov_matrix
        Conley covariance of the coefficients (array; :meth:`vcov` labels it).
    options
        Columns and options used (cutoff, kernel, units, periods…).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> df = example_panel()
    >>> df["treated"] = ((df["first_treated"] > 0)
    ...                  & (df["year"] >= df["first_treated"])).astype(int)
    >>> codes = sorted(df["territory_code"].unique())
    >>> coords = pd.DataFrame({"lon": np.linspace(0, 4, 40), "lat": 45.0}, index=codes)
    >>> res = conley_twfe(df, outcome="outcome", unit="territory_code", time="year",
    ...                   treatment="treated", coords=coords, cutoff_km=50)
    >>> res.tidy().round(3)
          term  estimate     se  ci_low  ci_high  pvalue
    0  treated     1.866  0.103   1.665    2.067     0.0
    """

    table: pd.DataFrame
    cov_matrix: np.ndarray
    options: dict[str, Any] = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """One row per coefficient, normal p-values and CIs."""
        t = self.table
        return tidy_frame(t["term"].tolist(), t["estimate"], t["se"], t["ci_low"], t["ci_high"],
                          t["p_value"])

    def _vcov_matrix(self) -> np.ndarray:
        return self.cov_matrix

    def _n(self) -> int:
        return int(self.options["n_units"])

    def summary(self) -> str:
        """Plain-text report: kernel, cutoff and the coefficient table."""
        o = self.options
        return (f"TWFE with Conley SEs (cutoff {o['cutoff_km']} km, {o['kernel']} kernel, "
                f"serial={o['serial']!r})\n" + self.table.to_string(index=False))


def _double_demean(m: np.ndarray) -> np.ndarray:
    return m - m.mean(axis=1, keepdims=True) - m.mean(axis=0, keepdims=True) + m.mean()


@check_options
def conley_twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str | Sequence[str],
    coords: pd.DataFrame,
    cutoff_km: float,
    kernel: Literal["bartlett", "uniform"] = "bartlett",
    serial: Literal["unit", "none"] = "unit",
    alpha: float = 0.05,
) -> ConleyResult:
    """Two-way fixed-effects regression with Conley (1999) spatial standard errors.

    Parameters
    ----------
    data
        Balanced long panel.
    outcome, unit, time, treatment
        Column names (``treatment``: one or several regressors, e.g. a 0/1
        "treated in t" indicator).
    coords
        ``lon, lat`` in degrees indexed by unit code (see
        :func:`unit_coordinates`); every unit must have coordinates.
    cutoff_km
        Distance beyond which scores are taken as uncorrelated.
    kernel
        ``"bartlett"`` (weights ``1 - d / cutoff``, a positive semi-definite
        choice) or ``"uniform"`` (weight 1 within the cutoff).
    serial
        ``"unit"`` (default): a unit's scores are correlated at any lag and
        pairs of units within the cutoff at any pair of periods, so the
        variance reduces to the cluster-robust (by unit) one when the
        cutoff goes to 0; ``"none"``: correlation between units in the same
        period only (reduces to HC0 at cutoff 0).

    Returns
    -------
    ConleyResult
        ``table`` with ``term, estimate, se, t, p_value, ci_low, ci_high``.

    Notes
    -----
    ``V = H^-1 M H^-1`` with ``H = X'X`` of the double-demeaned regressors
    and ``M = sum_ij K(d_ij) s_i s_j'`` over unit (``serial="unit"``: ``s_i``
    the sum of unit i's scores) or unit-period scores. No small-sample
    correction is applied (as Conley 1999; Stata ``acreg`` and
    ``ols_spatial_HAC``).

    Examples
    --------
    Territories of the example panel placed on a line of latitude 45°, 4
    degrees of longitude long (about 8 km apart):

    >>> from impact.datasets import example_panel
    >>> df = example_panel()
    >>> df["treated"] = ((df["first_treated"] > 0)
    ...                  & (df["year"] >= df["first_treated"])).astype(int)
    >>> codes = sorted(df["territory_code"].unique())
    >>> coords = pd.DataFrame({"lon": np.linspace(0, 4, 40), "lat": 45.0}, index=codes)
    >>> res = conley_twfe(df, outcome="outcome", unit="territory_code", time="year",
    ...                   treatment="treated", coords=coords, cutoff_km=50)
    >>> res.options["n_pairs_within_cutoff"], round(float(res.table["se"].iloc[0]), 3)
    (219, 0.103)
    """
    treatment = [treatment] if isinstance(treatment, str) else list(treatment)
    require_columns(data, [outcome, unit, time, *treatment])
    numeric_periods(data[time], time)
    if not cutoff_km >= 0:
        raise InputError(f"cutoff_km must be >= 0, not {cutoff_km!r}")
    df = data.assign(**{unit: data[unit].astype(str)})
    wide = {c: df.pivot(index=unit, columns=time, values=c).sort_index(axis=1)
            for c in [outcome, *treatment]}
    if any(w.isna().any().any() for w in wide.values()):
        raise InputError("conley_twfe needs a balanced panel with no missing value", column=outcome)
    units = wide[outcome].index
    missing = units.difference(coords.index.astype(str))
    if len(missing):
        raise InputError(f"{len(missing)} units have no coordinates (e.g. {missing[0]!r})",
                         column=unit)
    xy = coords.set_axis(coords.index.astype(str)).loc[units]
    y = _double_demean(wide[outcome].to_numpy(float))
    X = np.stack([_double_demean(wide[c].to_numpy(float)) for c in treatment], axis=2)  # n×T×K
    n, T, K = X.shape
    H = np.einsum("itk,itl->kl", X, X)
    if np.linalg.matrix_rank(H) < K:
        raise InputError("the regressors are collinear with the fixed effects", column=treatment[0])
    beta = np.linalg.solve(H, np.einsum("itk,it->k", X, y))
    e = y - X @ beta
    s = X * e[:, :, None]  # scores n×T×K
    i, j, d = _pairs_within(xy, cutoff_km) if cutoff_km > 0 else (np.empty(0, int),) * 2 + (
        np.empty(0),)
    w = (1 - d / cutoff_km) if kernel == "bartlett" and cutoff_km > 0 else np.ones(len(d))
    # Off-diagonal kernel weights (symmetric); the diagonal (i = j, d = 0) has weight 1.
    Kmat = sparse.coo_matrix((np.r_[w, w], (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
    if serial == "unit":
        S = s.sum(axis=1)  # n×K
        meat = S.T @ S + S.T @ (Kmat @ S)
    else:
        meat = np.zeros((K, K))
        for t in range(T):
            St = s[:, t, :]
            meat += St.T @ St + St.T @ (Kmat @ St)
    Hinv = np.linalg.inv(H)
    V = Hinv @ meat @ Hinv
    dv = np.diag(V)
    if (dv < 0).any():
        # Possible with the uniform kernel, which is not positive semi-definite.
        _warn(
            "negative Conley variance (the uniform kernel is not positive semi-definite): "
            "SE set to NaN; use kernel='bartlett' or a smaller cutoff",
            RuntimeWarning)
    se = np.sqrt(np.where(dv >= 0, dv, np.nan))
    z = stats.norm.ppf(1 - alpha / 2)
    table = pd.DataFrame({"term": treatment, "estimate": beta, "se": se})
    table["t"] = table["estimate"] / table["se"]
    table["p_value"] = 2 * stats.norm.sf(np.abs(table["t"]))
    table["ci_low"] = table["estimate"] - z * table["se"]
    table["ci_high"] = table["estimate"] + z * table["se"]
    return ConleyResult(table=table, cov_matrix=V, options=dict(
        outcome=outcome, unit=unit, time=time, treatment=treatment, cutoff_km=cutoff_km,
        kernel=kernel, serial=serial, alpha=alpha, n_units=n, n_periods=T,
        n_pairs_within_cutoff=int(len(d))))
