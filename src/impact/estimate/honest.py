"""Robust confidence sets when parallel trends may fail (Rambachan & Roth, 2023).

An event study gives ``betahat = (beta_pre, beta_post)`` and its covariance
``sigma``. Write ``beta = tau + delta``: the post-period ``delta`` is the bias
left by a violation of parallel trends, the pre-period ``beta_pre = delta_pre``
shows how large such violations were before treatment. Restricting how far the
post-period violation may depart from what the pre-periods show gives a set of
parameters ``theta = l' tau`` consistent with the data, and a confidence set
for it that is valid under the restriction. Two restrictions are offered, as
in the R package HonestDiD:

``"relative_magnitude"`` (Delta^RM(Mbar))
    every post-period change of ``delta`` is at most ``Mbar`` times the
    largest pre-period change. Confidence set by the conditional /
    least-favourable hybrid test of Andrews, Roth & Pakes (ARP), inverted over
    a grid of ``theta`` — HonestDiD's default (``method="C-LF"``).
``"smoothness"`` (Delta^SD(M))
    second differences of ``delta`` (the change of slope from one period to
    the next) are at most ``M`` in absolute value; ``M = 0`` allows a linear
    trend only. Confidence set by the optimal fixed-length confidence
    interval (FLCI) of Armstrong & Kolesár, HonestDiD's default for Delta^SD.

The computations follow HonestDiD's algorithms (same constraint matrices, same
default grid ``[-20 se, 20 se]`` of 1,000 points, same hybrid size
``kappa = alpha / 10``, postperiod moments only), with two deliberate
differences: the folded-normal quantile of the FLCI is computed exactly
(HonestDiD draws 10^6 normals), and the FLCI is found by one convex
optimisation instead of a bisection over the standard deviation. The test
grid is first scanned at every tenth point, then refined near the edges of
the accepted region, which gives the same answer as the full grid when the
accepted region is an interval wider than ten grid steps.

Linear programs use SciPy's HiGHS solver.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact._options import check_options
from impact.errors import InputError

# The building blocks live in _honest_sd and _honest_rm; re-exported for tests and users.
from impact.estimate._honest_rm import _dual_vertices as _dual_vertices
from impact.estimate._honest_rm import _eta_lp as _eta_lp
from impact.estimate._honest_rm import _gamma_matrix as _gamma_matrix
from impact.estimate._honest_rm import _rm_constraints as _rm_constraints
from impact.estimate._honest_rm import _rm_interval as _rm_interval
from impact.estimate._honest_sd import _flci as _flci
from impact.estimate._honest_sd import folded_normal_quantile as folded_normal_quantile
from impact.estimate._honest_sd import sd_upper_bound_M as sd_upper_bound_M
from impact.estimate._honest_sd import sd_worst_case_bias as sd_worst_case_bias
from impact.estimate.protocol import ResultBase, normal_pvalue, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["HonestResult", "honest_did"]

logger = logging.getLogger(__name__)



# --------------------------------------------------------------------------- public API


@dataclass(repr=False)
class HonestResult(ResultBase):
    """Robust confidence sets over a range of restrictions on the violation of parallel trends.

    :meth:`tidy` gives the ``original`` row (point estimate, its standard
    error, the usual interval and normal p-value) then one row per value of
    ``M`` (term ``"M=0.5"``, or ``"Mbar=0.5"`` for relative magnitudes): the
    same point estimate with the robust confidence set as ``ci_low,
    ci_high``; robust sets have no standard error nor p-value (``NaN``).

    Attributes
    ----------
    table
        One row per value of ``M`` (``Mbar`` for relative magnitudes):
        ``M, ci_low, ci_high, method``.
    original
        The usual confidence interval under exact parallel trends, ``(low, high)``.
    estimate
        ``l' beta_post``, the point estimate of the target.
    breakdown
        Smallest ``M`` at which the robust set includes 0 (``0.0`` when the
        original interval already does; ``NaN`` when no ``M`` of the grid
        does, i.e. the conclusion holds beyond the largest ``M`` tried).
        Refined by bisection between grid values to ``breakdown_tol``.

    Examples
    --------
    >>> hd = honest_did(np.array([0.0, 0.1, 2.0]), np.diag([0.01, 0.01, 0.02]),
    ...                 num_pre_periods=2, num_post_periods=1, method="smoothness",
    ...                 M=[0.0, 0.5])
    >>> hd.tidy().round(3)
           term  estimate     se  ci_low  ci_high  pvalue
    0  original       2.0  0.141   1.723    2.277     0.0
    1       M=0       2.0    NaN   1.729    2.311     NaN
    2     M=0.5       2.0    NaN   1.315    2.885     NaN
    """

    table: pd.DataFrame
    original: tuple[float, float]
    estimate: float
    breakdown: float
    method: str
    l_vec: np.ndarray = field(repr=False)
    alpha: float = 0.05
    options: dict[str, Any] = field(default_factory=dict, repr=False)

    def tidy(self) -> pd.DataFrame:
        """``original`` then one row per ``M`` with the robust confidence set."""
        lo, hi = self.original
        z = stats.norm.ppf(1 - self.alpha / 2)
        se = (hi - lo) / (2 * z)
        head = tidy_frame("original", self.estimate, se, lo, hi, normal_pvalue(self.estimate, se))
        name = "Mbar" if self.method == "relative_magnitude" else "M"
        t = self.table
        rows = tidy_frame([f"{name}={m:g}" for m in t["M"]], self.estimate, np.nan,
                          t["ci_low"], t["ci_high"])
        return pd.concat([head, rows], ignore_index=True)

    def summary(self, digits: int = 4) -> str:
        """Plain-text report: estimate, original CI, breakdown value, robust sets."""
        name = {"relative_magnitude": "relative magnitudes (Delta^RM, C-LF hybrid)",
                "smoothness": "smoothness (Delta^SD, FLCI)"}[self.method]
        lo, hi = self.original
        bd = "not reached" if np.isnan(self.breakdown) else f"{self.breakdown:.{digits}f}"
        return "\n".join([
            f"Sensitivity to violations of parallel trends (Rambachan & Roth 2023): {name}",
            f"Estimate {self.estimate:.{digits}f}; original {100 * (1 - self.alpha):.0f}% CI "
            f"[{lo:.{digits}f}, {hi:.{digits}f}]; breakdown value {bd}",
            "",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}"),
        ])

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Sensitivity plot (see :func:`impact.estimate.plots.sensitivity_plot`); the Axes."""
        from impact.estimate.plots import _axes, sensitivity_plot

        _, ax = _axes(ax, (8, 4.5))
        sensitivity_plot(self, ax=ax, **kwargs)
        return ax


def _check_inputs(betahat, sigma, n_pre, n_post, l_vec, alpha, method):
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if int(n_pre) != n_pre or int(n_post) != n_post or n_pre < 1 or n_post < 1:
        raise InputError(
            f"num_pre_periods and num_post_periods must be whole numbers >= 1, "
            f"not {n_pre!r} and {n_post!r}"
        )
    if len(b) != n_pre + n_post:
        raise InputError(
            f"betahat has {len(b)} entries, expected num_pre_periods + num_post_periods = "
            f"{n_pre + n_post}"
        )
    if S.shape != (len(b), len(b)):
        raise InputError(f"sigma has shape {S.shape}, expected {(len(b), len(b))}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(S))):
        raise InputError("betahat and sigma must be finite (no NaN)")
    if not np.allclose(S, S.T, atol=1e-12 * max(1.0, np.abs(S).max())):
        raise InputError("sigma must be symmetric")
    if np.linalg.eigvalsh((S + S.T) / 2).min() < -1e-10 * max(1.0, np.abs(S).max()):
        raise InputError("sigma must be positive semi-definite")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if l_vec is None:
        lv = np.zeros(int(n_post))
        lv[0] = 1.0
    else:
        lv = np.asarray(l_vec, dtype=float).ravel()
        if len(lv) != n_post or not np.any(lv != 0):
            raise InputError(
                f"l_vec must have num_post_periods = {n_post} entries, not all zero; got {l_vec!r}"
            )
    return b, (S + S.T) / 2, int(n_pre), int(n_post), lv


@check_options
def honest_did(
    betahat: np.ndarray,
    sigma: np.ndarray,
    *,
    num_pre_periods: int,
    num_post_periods: int,
    method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
    M: list[float] | np.ndarray | None = None,
    l_vec: np.ndarray | None = None,
    alpha: float = 0.05,
    grid_points: int = 1000,
    grid_lb: float | None = None,
    grid_ub: float | None = None,
    lf_sims: int = 1000,
    seed: int = 0,
    breakdown_tol: float | None = None,
) -> HonestResult:
    """Confidence sets robust to bounded violations of parallel trends (HonestDiD).

    Parameters
    ----------
    betahat
        Event-study coefficients, pre-periods first (earliest first) then
        post-periods; the reference period (event time -1 usually) is
        excluded, its coefficient being 0 by construction.
    sigma
        Their covariance matrix.
    num_pre_periods, num_post_periods
        How many of ``betahat`` are pre- and post-treatment.
    method
        ``"relative_magnitude"`` (Delta^RM(Mbar), conditional-LF hybrid) or
        ``"smoothness"`` (Delta^SD(M), FLCI).
    M
        Values of ``Mbar`` or ``M``. Defaults: ``[0, 0.5, 1, 1.5, 2]`` for
        relative magnitudes; ten values from 0 to the upper bound implied by
        the pre-periods (HonestDiD's default) for smoothness.
    l_vec
        Weights defining the target ``theta = l' tau_post`` (default: the
        first post-period; ``np.full(n, 1/n)`` for the average effect).
    alpha
        Level: ``1 - alpha`` confidence sets.
    grid_points, grid_lb, grid_ub
        Grid of ``theta`` over which the relative-magnitudes test is inverted
        (default 1,000 points over ``[-20 se, 20 se]`` as HonestDiD).
    lf_sims, seed
        Draws (seeded) for the least-favourable critical value of the hybrid
        test (``kappa = alpha / 10``).
    breakdown_tol
        Precision of the breakdown value (default: 1/64 of the step between
        the grid values of ``M`` that bracket it).

    Returns
    -------
    HonestResult
        ``.table`` (``M, ci_low, ci_high, method``), ``.original``,
        ``.breakdown``, ``.plot()``.

    Notes
    -----
    For relative magnitudes, the confidence set is the range of accepted
    grid points; an accepted point at an end of the grid is logged, as the
    set may extend beyond it. Breakdown values are found by bisection on
    ``M``, the robust sets being nested in ``M``.

    Examples
    --------
    Two pre-periods (effects 0 and 0.1) and one post-period (2.0): under
    smoothness restrictions the robust set widens with ``M``:

    >>> hd = honest_did(np.array([0.0, 0.1, 2.0]), np.diag([0.01, 0.01, 0.02]),
    ...                 num_pre_periods=2, num_post_periods=1, method="smoothness",
    ...                 M=[0.0, 0.5])
    >>> hd.table[["M", "ci_low", "ci_high"]].round(3)
         M  ci_low  ci_high
    0  0.0   1.729    2.311
    1  0.5   1.315    2.885
    """
    b, S, n_pre, n_post, lv = _check_inputs(
        betahat, sigma, num_pre_periods, num_post_periods, l_vec, alpha, method
    )
    est = float(lv @ b[n_pre:])
    se = float(np.sqrt(lv @ S[n_pre:, n_pre:] @ lv))
    z = stats.norm.ppf(1 - alpha / 2)
    original = (est - z * se, est + z * se)
    if M is None:
        M = (
            np.array([0.0, 0.5, 1.0, 1.5, 2.0])
            if method == "relative_magnitude"
            else np.linspace(0, sd_upper_bound_M(b, S, n_pre, 0.05), 10)
        )
    M = np.sort(np.asarray(M, dtype=float).ravel())
    if len(M) == 0 or np.any(M < 0) or not np.all(np.isfinite(M)):
        raise InputError(f"M must be a non-empty list of finite values >= 0, not {M!r}")
    if method == "relative_magnitude" and n_pre < 1:  # pragma: no cover - checked above
        raise InputError("relative magnitudes need at least one pre-period")
    lb = -20 * se if grid_lb is None else float(grid_lb)
    ub = 20 * se if grid_ub is None else float(grid_ub)
    grid = np.linspace(lb, ub, int(grid_points))
    kappa = alpha / 10

    def interval(m: float) -> tuple[float, float]:
        if method == "smoothness":
            lo, hi, _ = _flci(b, S, n_pre, n_post, lv, m, alpha)
            return lo, hi
        acc = _rm_interval(b, S, n_pre, n_post, lv, m, alpha, grid, kappa, lf_sims, seed)
        if not acc.any():
            return np.nan, np.nan
        if acc[0] or acc[-1]:
            logger.warning(
                "Mbar=%g: the confidence set reaches the end of the theta grid [%g, %g]; "
                "widen grid_lb/grid_ub", m, lb, ub,
            )
        return float(grid[acc].min()), float(grid[acc].max())

    rows = []
    for m in M:
        lo, hi = interval(m)
        logger.info("honest_did %s M=%g: [%g, %g]", method, m, lo, hi)
        rows.append({"M": m, "ci_low": lo, "ci_high": hi, "method": method})
    table = pd.DataFrame(rows)

    def covers0(lo, hi):
        return bool(np.isfinite(lo) and lo <= 0 <= hi)

    if original[0] <= 0 <= original[1]:
        breakdown = 0.0
    else:
        inc = [covers0(r.ci_low, r.ci_high) for r in table.itertuples()]
        if not any(inc):
            breakdown = np.nan
        else:
            j = inc.index(True)
            hi_m = float(M[j])
            lo_m = float(M[j - 1]) if j > 0 else 0.0
            if j == 0 and covers0(*interval(0.0)):
                breakdown = 0.0
            else:
                tol = breakdown_tol or max((hi_m - lo_m) / 64, 1e-12)
                while hi_m - lo_m > tol:
                    mid = (lo_m + hi_m) / 2
                    if covers0(*interval(mid)):
                        hi_m = mid
                    else:
                        lo_m = mid
                breakdown = hi_m
    return HonestResult(
        table=table, original=original, estimate=est, breakdown=float(breakdown),
        method=method, l_vec=lv, alpha=alpha,
        options=dict(num_pre_periods=n_pre, num_post_periods=n_post, grid_points=grid_points,
                     grid_lb=lb, grid_ub=ub, lf_sims=lf_sims, seed=seed),
    )
