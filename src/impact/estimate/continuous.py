"""Continuous treatment in a staggered design (Callaway, Goodman-Bacon and Sant'Anna 2024).

Extends :func:`impact.estimate.dose_response` (one start date, linear or
binned) to staggered adoption and a flexible dose-response: units of cohort
``g`` (first treated period) receive a time-invariant dose ``d > 0`` (e.g.
euros spent per inhabitant); comparison units are never treated (or not yet
treated). For every post-treatment cell ``(g, t)``, with the long
difference ``dY_i = Y_it - Y_i,g-1``:

* ``ATT_gt(d) = E[dY | G = g, D = d] - E[dY | comparison]`` is estimated by
  regressing the treated units' ``dY`` minus the comparison mean on a
  B-spline basis of the dose (cubic, ``num_knots`` interior knots at dose
  quantiles; with no interior knot it is a global cubic polynomial);
* ``ACRT_gt(d) = d ATT_gt(d) / dd`` is the derivative of that fit.

Cells are averaged with cohort weights proportional to cohort sizes, each
spread evenly over the cohort's post-treatment cells (as diff-diff's
``ContinuousDiD``), giving curves ``ATT(d)`` and ``ACRT(d)``
on a dose grid and the summaries ``ATT^o`` (average of ATT over the treated
units' doses) and ``ACRT^o`` (average derivative).

Identification, as in the paper: parallel trends identifies ``ATT(d | d)``,
the effect of dose ``d`` on those who got it; reading differences across
doses (``ACRT``) as causal responses needs *strong* parallel trends.

Inference: every estimate is linear in unit-level influence functions (the
treated units' regression residuals and the comparison units' deviations
from their cell means); pointwise standard errors come from them, and a
multiplier bootstrap of the sup-t statistic over the grid gives uniform
bands. The estimation error of the cohort weights is ignored (it is
second-order for the curves).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.interpolate import BSpline

from impact._options import check_options
from impact._warnings import warn as _warn
from impact.errors import InputError
from impact.estimate.protocol import ResultBase, normal_pvalue, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
from impact.estimate._validate import numeric_groups, numeric_periods, require_columns
from impact.estimate.inference import multiplier_weights

__all__ = ["ContinuousResult", "continuous_did"]

logger = logging.getLogger(__name__)


def _basis(lo: float, hi: float, interior: np.ndarray, degree: int) -> BSpline:
    """Vector-valued B-spline whose components are the basis functions (they sum to one)."""
    knots = np.r_[np.full(degree + 1, lo), np.sort(interior), np.full(degree + 1, hi)]
    nb = len(knots) - degree - 1
    return BSpline(knots, np.eye(nb), degree, extrapolate=True)


@dataclass(repr=False)
class ContinuousResult(ResultBase):
    """Dose-response curves of a continuous treatment in a staggered design.

    :meth:`tidy` gives the two overall summaries ``ATT`` (``ATT^o``, average
    effect of the doses received) and ``ACRT`` (``ACRT^o``, average causal
    response per unit of dose), with normal CIs and p-values; :meth:`vcov`
    is their covariance from the influence functions.

    Attributes
    ----------
    curve
        One row per grid dose: ``dose, att, att_se, att_low, att_high,
        att_low_uniform, att_high_uniform`` and the same for ``acrt``.
    overall
        ``ATT^o`` and ``ACRT^o``: ``quantity, estimate, se, ci_low, ci_high``.
    cells
        Post-treatment cells used: ``group, time, n_treated, n_control, weight``.
    options
        Options used (degree, knots, control group, bootstrap draws, crit).
    psi_att, psi_acrt
        Influence functions of the curves (``n_units × grid``).
    psi_overall
        Influence functions of ``ATT^o`` and ``ACRT^o`` (``n_units × 2``).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> res = continuous_did(example_panel(), outcome="outcome", unit="territory_code",
    ...                      time="year", group="first_treated", dose="dose", degree=1,
    ...                      bootstrap=99, seed=0)
    >>> res.tidy().round(3)
       term  estimate     se  ci_low  ci_high  pvalue
    0   ATT     1.863  0.130   1.608    2.119   0.000
    1  ACRT     0.225  0.118  -0.006    0.456   0.057
    """

    curve: pd.DataFrame
    overall: pd.DataFrame
    cells: pd.DataFrame
    options: dict[str, Any] = field(repr=False)
    psi_att: np.ndarray | None = field(repr=False, default=None)
    psi_acrt: np.ndarray | None = field(repr=False, default=None)
    psi_overall: np.ndarray | None = field(repr=False, default=None)

    @property
    def overall_att(self) -> float:
        """``ATT^o``: average effect of the doses received."""
        return float(self.overall.set_index("quantity").loc["ATT", "estimate"])

    @property
    def overall_acrt(self) -> float:
        """``ACRT^o``: average causal response per unit of dose."""
        return float(self.overall.set_index("quantity").loc["ACRT", "estimate"])

    def tidy(self) -> pd.DataFrame:
        """``ATT`` and ``ACRT`` (overall summaries) with normal CIs and p-values."""
        o = self.overall
        return tidy_frame(o["quantity"].tolist(), o["estimate"], o["se"], o["ci_low"],
                          o["ci_high"], normal_pvalue(o["estimate"], o["se"]))

    def _vcov_matrix(self) -> np.ndarray | None:
        if self.psi_overall is None:
            return None
        return self.psi_overall.T @ self.psi_overall

    def _n(self) -> int:
        return int(self.options["n_units"])

    def summary(self) -> str:
        """Plain-text report of the overall summaries."""
        return (
            "Continuous-treatment DiD (Callaway, Goodman-Bacon & Sant'Anna 2024)\n"
            + self.overall.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Curve with pointwise intervals and the uniform band (French labels); returns the Axes.

        Keywords: ``which`` (``"att"`` or ``"acrt"``), ``title``, ``xlabel``.
        """
        return _curve_plot(self, ax=ax, **kwargs)


def _curve_plot(res: ContinuousResult, *, ax: Axes | None = None,
                which: Literal["att", "acrt"] = "att", title: str | None = None,
                xlabel: str = "Dose (dépense par habitant)") -> Axes:
    from impact.estimate.plots import _axes

    fig, ax = _axes(ax, (8, 4.5))
    c = res.curve
    ax.fill_between(c["dose"], c[f"{which}_low_uniform"], c[f"{which}_high_uniform"],
                    color="#1f4e79", alpha=0.12, label="Bande de confiance simultanée (95 %)")
    ax.fill_between(c["dose"], c[f"{which}_low"], c[f"{which}_high"], color="#1f4e79",
                    alpha=0.25, label="IC 95 % ponctuel")
    ax.plot(c["dose"], c[which], color="#1f4e79", lw=2)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Effet moyen ATT(d)" if which == "att"
                  else "Effet marginal ACRT(d)")
    ax.set_title(title or ("Effet selon la dose" if which == "att"
                           else "Effet d'une unité de dose supplémentaire"))
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return ax


@check_options
def continuous_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    group: str,
    dose: str,
    control: Literal["never", "notyet"] = "never",
    degree: int = 3,
    num_knots: int = 0,
    grid: np.ndarray | int = 50,
    alpha: float = 0.05,
    bootstrap: int = 999,
    seed: int | None = None,
) -> ContinuousResult:
    """ATT(d) and ACRT(d) curves of a continuous dose under staggered adoption.

    Parameters
    ----------
    data
        Balanced long panel.
    outcome, unit, time
        Column names (``time`` numeric).
    group
        First treated period (0 or missing: never treated), as in ``att_gt``.
    dose
        Time-invariant dose of each unit (its maximum over periods is used, as
        :func:`~impact.estimate.dose_response`); ignored for untreated units.
        Treated units with a dose <= 0 or missing are dropped with a warning.
    control
        ``"never"`` (default) or ``"notyet"`` comparison units.
    degree, num_knots
        B-spline degree and number of interior knots (at dose quantiles).
    grid
        Doses where the curves are evaluated, or a number of points between
        the 5th and 95th percentiles of the treated doses (default 50).
    alpha
        Level of intervals and bands.
    bootstrap
        Multiplier-bootstrap draws for the uniform bands (Rademacher, per unit).
    seed
        Seed of the bootstrap.

    Returns
    -------
    ContinuousResult

    Raises
    ------
    InputError
        Missing columns, unbalanced panel, no comparison unit, fewer treated
        units in a cohort than basis functions, invalid options.

    Examples
    --------
    Doses 1, 2 and 3 all have the effect 2.0 in the example panel, so the
    ATT is near 2 and the response to one more unit of dose is not
    significantly different from 0 (see ``res.tidy()``):

    >>> from impact.datasets import example_panel
    >>> res = continuous_did(example_panel(), outcome="outcome", unit="territory_code",
    ...                      time="year", group="first_treated", dose="dose", degree=1,
    ...                      bootstrap=99, seed=0)
    >>> round(res.overall_att, 2), round(res.overall_acrt, 2)
    (1.86, 0.22)
    """
    if int(degree) != degree or degree < 1 or int(num_knots) != num_knots or num_knots < 0:
        raise InputError(f"degree must be >= 1 and num_knots >= 0, not {degree!r}, {num_knots!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if int(bootstrap) != bootstrap or bootstrap < 2:
        raise InputError(f"bootstrap must be a number of draws >= 2, not {bootstrap!r}")
    require_columns(data, [outcome, unit, time, group, dose])
    numeric_periods(data[time], time)
    df = data[[unit, time, outcome, group, dose]].copy()
    df[group] = numeric_groups(df[group], group)
    if df.duplicated([unit, time]).any():
        raise InputError("several rows for one unit and period: one row each expected",
                         column=unit)
    wide = df.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    if wide.isna().any().any():
        miss = wide.isna().stack()
        u, t = miss[miss].index[0]
        raise InputError(f"balanced panel expected: unit {u!r} has no outcome for period {t!r}",
                         column=outcome)
    per_unit = df.groupby(unit).agg(g=(group, "first"), d=(dose, "max")).reindex(wide.index)
    periods = wide.columns.to_numpy(dtype=float)
    Y = wide.to_numpy(dtype=float)
    G = per_unit["g"].to_numpy(dtype=float, copy=True)
    G[G > periods[-1]] = 0.0
    Dz = per_unit["d"].to_numpy(dtype=float)
    bad = (G > 0) & ~(Dz > 0)
    if bad.any():
        _warn(
            f"{int(bad.sum())} treated units have a missing or non-positive dose (e.g. "
            f"{wide.index[bad][0]!r}) and are dropped")
    early = (G > 0) & (G <= periods[0])
    if early.any():
        _warn(f"{int(early.sum())} units treated in the first period (no pre-period) "
                      "are dropped")
    keep = ~bad & ~early
    Y, G, Dz = Y[keep], G[keep], np.where(G[keep] > 0, Dz[keep], 0.0)
    n = len(G)
    if not (G == 0).any() and control == "never":
        raise InputError("no never-treated unit: use control='notyet'", column=group)
    treated_d = Dz[G > 0]
    if len(treated_d) == 0:
        raise InputError("no treated unit with a positive dose", column=dose)
    lo, hi = float(treated_d.min()), float(treated_d.max())
    interior = np.quantile(treated_d, np.linspace(0, 1, num_knots + 2)[1:-1])
    basis = _basis(lo, hi, interior, degree)
    dbasis = basis.derivative()
    if isinstance(grid, int | np.integer):
        q05, q95 = np.quantile(treated_d, [0.05, 0.95])
        grid = np.linspace(float(q05), float(q95), int(grid))
    grid = np.asarray(grid, dtype=float)
    Bg, dBg = basis(grid), dbasis(grid)
    nb = Bg.shape[1]

    cohorts = sorted(set(G[G > 0]))
    cells = []
    for g in cohorts:
        b = np.flatnonzero(periods < g)
        if len(b) == 0:
            continue
        for c in np.flatnonzero(periods >= g):
            t = periods[c]
            comp = (G == 0) if control == "never" else ((G == 0) | (G > t))
            if comp.sum() == 0:
                continue
            cells.append((g, c, b[-1], comp))
    if not cells:
        raise InputError("no post-treatment cell with comparison units", column=group)
    # Cohorts weighted by their sizes, each spread evenly over its post-treatment cells
    # (as diff-diff's ContinuousDiD and the "group" aggregation of att_gt), so that a
    # cohort treated early does not weigh more for having more post periods.
    gs = np.array([g for g, *_ in cells])
    size = np.array([(G == g).sum() / (gs == g).sum() for g in gs], dtype=float)
    wcell = size / size.sum()

    coef = np.zeros(nb)  # sum over cells of w_gt * beta_gt
    inf_coef = np.zeros((n, nb))  # its influence function
    # ATT^o = sum w_gt mean_g(basis)'beta_gt and ACRT^o with the derivative basis, and
    # their influence functions.
    over = np.zeros(2)
    inf_over = np.zeros((n, 2))
    rows = []
    cache: dict[float, tuple] = {}
    for (g, c, b, comp), w in zip(cells, wcell, strict=True):
        tr = np.flatnonzero(G == g)
        if g not in cache:
            X = basis(Dz[tr])
            if np.linalg.matrix_rank(X) < nb:
                raise InputError(
                    f"cohort {g:g}: {len(tr)} treated units with {len(np.unique(Dz[tr]))} "
                    f"distinct doses cannot identify a {nb}-function B-spline: lower degree or "
                    "num_knots",
                    column=dose,
                )
            Hinv = np.linalg.inv(X.T @ X)
            dX = dbasis(Dz[tr])
            means = np.column_stack([X.mean(axis=0), dX.mean(axis=0)])
            cache[g] = (X, Hinv, X.sum(axis=0), means, np.stack([X, dX], axis=2))
        X, Hinv, S, means, XdX = cache[g]
        dy = Y[:, c] - Y[:, b]
        m0 = dy[comp].mean()
        z = dy[tr] - m0
        beta = Hinv @ (X.T @ z)
        resid = z - X @ beta
        coef += w * beta
        over += w * (beta @ means)
        # Influence of beta_gt: treated units' residuals, comparison units' deviations
        # from the cell mean (m0 enters every z).
        inf_tr = (resid[:, None] * X) @ Hinv
        nc = comp.sum()
        inf_c = -((dy[comp] - m0) / nc)[:, None] * (Hinv @ S)[None, :]
        inf_coef[tr] += w * inf_tr
        inf_coef[comp] += w * inf_c
        # ATT^o and ACRT^o average over the cohort's doses, themselves a sample: add the
        # deviation of each unit's fitted effect (derivative) from the cohort mean.
        fitted = np.einsum("ikq,k->iq", XdX, beta)
        inf_over[tr] += w * (inf_tr @ means + (fitted - fitted.mean(axis=0)) / len(tr))
        inf_over[comp] += w * inf_c @ means
        rows.append(dict(group=g, time=periods[c], n_treated=len(tr), n_control=int(nc),
                         weight=w))
    att, acrt = Bg @ coef, dBg @ coef
    psi_att, psi_acrt = inf_coef @ Bg.T, inf_coef @ dBg.T
    se_att = np.sqrt((psi_att**2).sum(axis=0))
    se_acrt = np.sqrt((psi_acrt**2).sum(axis=0))
    z = stats.norm.ppf(1 - alpha / 2)
    crit = {}
    rng = np.random.default_rng(seed)
    for name, psi, se in (("att", psi_att, se_att), ("acrt", psi_acrt, se_acrt)):
        ok = se > 0
        tmax = np.empty(int(bootstrap))
        for s0 in range(0, int(bootstrap), 128):
            m = min(128, int(bootstrap) - s0)
            v = multiplier_weights(rng, (m, n), "rademacher")
            tmax[s0 : s0 + m] = np.max(np.abs((v @ psi[:, ok]) / se[ok]), axis=1)
        crit[name] = float(np.quantile(tmax, 1 - alpha))
    curve = pd.DataFrame({"dose": grid, "att": att, "att_se": se_att,
                          "att_low": att - z * se_att, "att_high": att + z * se_att,
                          "att_low_uniform": att - crit["att"] * se_att,
                          "att_high_uniform": att + crit["att"] * se_att,
                          "acrt": acrt, "acrt_se": se_acrt,
                          "acrt_low": acrt - z * se_acrt, "acrt_high": acrt + z * se_acrt,
                          "acrt_low_uniform": acrt - crit["acrt"] * se_acrt,
                          "acrt_high_uniform": acrt + crit["acrt"] * se_acrt})
    ov = []
    for k, q in enumerate(("ATT", "ACRT")):
        est = float(over[k])
        se = float(np.sqrt((inf_over[:, k] ** 2).sum()))
        ov.append(dict(quantity=q, estimate=est, se=se, ci_low=est - z * se, ci_high=est + z * se))
    return ContinuousResult(
        curve=curve, overall=pd.DataFrame(ov), cells=pd.DataFrame(rows),
        options=dict(outcome=outcome, unit=unit, time=time, group=group, dose=dose,
                     control=control, degree=degree, num_knots=num_knots, alpha=alpha,
                     bootstrap=int(bootstrap), seed=seed, crit=crit, n_units=n,
                     dropped_units=int((bad | early).sum()), knots=basis.t.tolist()),
        psi_att=psi_att, psi_acrt=psi_acrt, psi_overall=inf_over,
    )
