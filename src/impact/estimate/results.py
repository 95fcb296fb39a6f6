"""Result objects of the group-time DiD estimator and of its aggregations.

Both keep their influence functions (one column per estimate, one row per
unit), so that every derived quantity — covariances, aggregations, Wald tests,
bootstrap draws — is an exact linear function of them and needs no refit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import InputError
from impact.estimate.inference import WaldTest, covariance, wald_test
from impact.estimate.protocol import ResultBase, normal_pvalue, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from impact.estimate._validate import PanelArrays


def _fmt_table(table: pd.DataFrame, digits: int) -> str:
    return table.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}")


@dataclass(repr=False)
class ATTgtResult(ResultBase):
    """Group-time average treatment effects with their influence functions.

    The cell table keeps R ``did``'s column name ``att``; :meth:`tidy` is the
    uniform view shared with every result (one row per cell, term
    ``"ATT(2013,2015)"`` for cohort 2013 in 2015, normal p-values, ``NaN``
    for the reference cells fixed at zero).

    Attributes
    ----------
    table
        One row per cell: ``group, time, att, se, ci_low, ci_high`` then
        ``post, n_treated, n_control, base`` (the base period compared with) and
        ``event_time = time - group``; with a bootstrap also the simultaneous
        band ``ci_low_uniform, ci_high_uniform``.
    options
        Every option used (outcome, control group, method, cohorts, …).
    psi
        Influence functions, ``n_units × n_cells`` (column ``j`` is the cell in
        row ``j`` of ``table``), scaled so that the covariance of the estimates
        is ``S.T @ S / n**2`` with ``S`` the cluster sums of ``psi``.
    panel
        The validated panel as dense arrays (units, periods, groups, weights,
        clusters).
    crit
        Critical value of the simultaneous band (bootstrap only, else NaN).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> res = impact.estimate.att_gt(example_panel(), outcome="outcome", unit="territory_code",
    ...                              time="year", group="first_treated")
    >>> res.tidy().head(3).round(3)
                 term  estimate     se  ci_low  ci_high  pvalue
    0  ATT(2013,2011)     0.060  0.269  -0.468    0.588   0.825
    1  ATT(2013,2012)     0.006  0.270  -0.523    0.535   0.981
    2  ATT(2013,2013)     1.651  0.292   1.078    2.224   0.000
    >>> res.vcov().shape
    (14, 14)
    """

    table: pd.DataFrame
    options: dict[str, Any]
    psi: np.ndarray = field(repr=False)
    panel: PanelArrays = field(repr=False)
    crit: float = field(default=np.nan, repr=False)

    @property
    def n_units(self) -> int:
        """Number of units used (after dropping units without a pre-period)."""
        return len(self.panel.units)

    @property
    def n_periods(self) -> int:
        """Number of periods of the panel."""
        return len(self.panel.periods)

    @property
    def influence_function(self) -> np.ndarray:
        """Alias of :attr:`psi` (``n_units × n_cells``)."""
        return self.psi

    def _vcov_matrix(self) -> np.ndarray:
        """Covariance of the ATT(g, t) estimates (clustered as requested), as an array."""
        return covariance(self.psi, self.panel.cluster, self.panel.n_clusters)

    def _n(self) -> int:
        return self.n_units

    def tidy(self) -> pd.DataFrame:
        """One row per cell ``ATT(g,t)``: estimate, SE, pointwise CI, normal p-value.

        The CI is the table's pointwise interval; the p-value is ``NaN`` for
        reference cells fixed at zero (no standard error).
        """
        tab = self.table
        terms = [f"ATT({g:g},{t:g})" for g, t in zip(tab["group"], tab["time"], strict=True)]
        return tidy_frame(terms, tab["att"], tab["se"], tab["ci_low"], tab["ci_high"],
                          normal_pvalue(tab["att"], tab["se"]))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Event-study plot of the dynamic aggregation (pointwise intervals).

        For the cells themselves, ``coef_plot(res)``; for bands, aggregate
        with a bootstrap first.
        """
        from impact.estimate.plots import _axes, event_study_plot

        fig, ax = _axes(ax, (8, 4.5))
        event_study_plot(self.aggregate("dynamic", bootstrap=0, uniform_band=False), ax=ax,
                         **kwargs)
        return ax

    def pretrend_test(self) -> WaldTest:
        """Wald test that all pre-treatment ATT(g, t) are zero (R ``did``'s pre-test).

        Uses the influence-function covariance of the pre-treatment cells.
        Reference cells fixed at zero (universal base period) are excluded.

        Examples
        --------
        >>> from impact.datasets import example_panel
        >>> res = impact.estimate.att_gt(example_panel(), outcome="outcome",
        ...                              unit="territory_code", time="year",
        ...                              group="first_treated")
        >>> test = res.pretrend_test()
        >>> test.df, round(test.pvalue, 3)
        (6, 0.439)
        """
        tab = self.table
        pre = (
            (~tab["post"].to_numpy(dtype=bool))
            & (tab["se"].to_numpy() > 0)
            & np.isfinite(tab["att"].to_numpy())
        )
        cov = self._vcov_matrix()[np.ix_(pre, pre)]
        return wald_test(
            tab.loc[pre, "att"].to_numpy(), cov, "Pre-trend test (all pre-treatment ATT(g,t) = 0)"
        )

    def aggregate(
        self,
        kind: Literal["simple", "group", "dynamic", "calendar"] = "simple",
        **kwargs: Any,
    ) -> AggregateResult:
        """Aggregate the group-time effects; see :func:`impact.estimate.aggregation.aggregate`.

        Examples
        --------
        >>> from impact.datasets import example_panel
        >>> res = impact.estimate.att_gt(example_panel(), outcome="outcome",
        ...                              unit="territory_code", time="year",
        ...                              group="first_treated")
        >>> res.aggregate("group").tidy()["term"].tolist()
        ['ATT', 'g=2013', 'g=2015']
        """
        from impact.estimate.aggregation import aggregate

        return aggregate(self, kind, **kwargs)

    def summary(self, digits: int = 4) -> str:
        """Plain-text report (options, cell table, pre-trend test), ready to paste."""
        o = self.options
        control = "never treated" if o["control"] == "never" else "not yet treated"
        method = (
            _METHOD_NAMES[o["method"]]
            if o["covariates"]
            else "difference in mean changes (no covariates)"
        )
        head = [
            "Group-time average treatment effects ATT(g,t) — Callaway & Sant'Anna (2021)",
            f"Outcome: {o['outcome']}   Units: {self.n_units}   Periods: {self.n_periods} "
            f"({self.panel.periods[0]:g}–{self.panel.periods[-1]:g})   "
            f"Cohorts: {', '.join(f'{g:g}' for g in o['cohorts'])}",
            f"Comparison group: {control}   Method: {method}",
            f"Covariates: {', '.join(o['covariates']) or 'none'}   "
            f"Base period: {o['base_period']}   Anticipation: {o['anticipation']}   "
            f"Weights: {o['weights'] or 'none'}",
            f"Standard errors: {o['se_type']}, clustered by {o['cluster'] or o['unit']}",
        ]
        cols = ["group", "time", "att", "se", "ci_low", "ci_high"]
        if "ci_low_uniform" in self.table:
            cols += ["ci_low_uniform", "ci_high_uniform"]
        body = _fmt_table(self.table[cols], digits)
        return "\n".join([*head, "", body, "", str(self.pretrend_test())])


_METHOD_NAMES = {
    "dr": "doubly robust (Sant'Anna & Zhao 2020)",
    "ipw": "inverse probability weighting (normalised)",
    "reg": "outcome regression",
}


@dataclass(repr=False)
class AggregateResult(ResultBase):
    """An aggregation of ATT(g, t) (R ``did::aggte``).

    :meth:`tidy` gives the overall effect (term ``"ATT"``) then, except for
    ``simple``, one row per line of ``table``: ``"g=2013"`` (group),
    ``"e=-2"`` (dynamic) or ``"t=2015"`` (calendar), with pointwise CIs and
    normal p-values. :meth:`vcov` is their covariance from the influence
    functions (analytic, also when the SEs come from the bootstrap).

    Attributes
    ----------
    kind
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    overall_att, overall_se
        The overall summary: ``simple``: post-treatment cells weighted by cohort
        size; ``group``: cohort effects weighted by cohort size; ``dynamic``:
        mean of the post-treatment event-time effects; ``calendar``: mean over
        periods.
    table
        The disaggregated effects (``event_time`` / ``group`` / ``time`` then
        ``att, se, ci_low, ci_high``; for ``dynamic`` also the simultaneous
        band ``ci_low_uniform, ci_high_uniform``); one row for ``simple``.
    psi, overall_psi
        Influence functions of the rows of ``table`` and of the overall effect.
    crit
        Critical value of the simultaneous band (``dynamic``).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> res = impact.estimate.att_gt(example_panel(), outcome="outcome", unit="territory_code",
    ...                              time="year", group="first_treated")
    >>> dyn = res.aggregate("dynamic")
    >>> dyn.tidy().round(3)
       term  estimate     se  ci_low  ci_high  pvalue
    0   ATT     1.916  0.133   1.656    2.177   0.000
    1  e=-4     0.082  0.204  -0.319    0.482   0.689
    2  e=-3    -0.467  0.257  -0.971    0.037   0.069
    3  e=-2     0.168  0.220  -0.263    0.600   0.444
    4  e=-1     0.059  0.210  -0.352    0.470   0.777
    5   e=0     1.823  0.175   1.479    2.166   0.000
    6   e=1     1.773  0.147   1.485    2.060   0.000
    7   e=2     1.795  0.198   1.407    2.182   0.000
    8   e=3     2.070  0.265   1.550    2.589   0.000
    9   e=4     2.121  0.185   1.760    2.483   0.000
    """

    kind: str
    overall_att: float
    overall_se: float
    table: pd.DataFrame
    options: dict[str, Any]
    psi: np.ndarray = field(repr=False)
    overall_psi: np.ndarray = field(repr=False)
    cluster: np.ndarray = field(repr=False)
    n_clusters: int = 0
    crit: float = np.nan

    @property
    def overall_ci(self) -> tuple[float, float]:
        """Normal confidence interval of the overall effect at level ``1 - alpha``."""
        z = stats.norm.ppf(1 - self.options["alpha"] / 2)
        return self.overall_att - z * self.overall_se, self.overall_att + z * self.overall_se

    @property
    def overall_pvalue(self) -> float:
        """Two-sided normal p-value of the overall effect."""
        if not self.overall_se > 0:
            return float("nan")
        return float(2 * stats.norm.sf(abs(self.overall_att / self.overall_se)))

    def _vcov_array(self) -> np.ndarray:
        """Covariance of the rows of ``table`` (from the influence functions), as an array."""
        return covariance(self.psi, self.cluster, self.n_clusters)

    _LABEL = {"group": "g", "dynamic": "e", "calendar": "t"}

    def tidy(self) -> pd.DataFrame:
        """The overall effect ``ATT`` then, except for ``simple``, one row per line of ``table``."""
        lo, hi = self.overall_ci
        head = tidy_frame("ATT", self.overall_att, self.overall_se, lo, hi, self.overall_pvalue)
        if self.kind == "simple":
            return head
        tab = self.table
        key = {"group": "group", "dynamic": "event_time", "calendar": "time"}[self.kind]
        terms = [f"{self._LABEL[self.kind]}={v:g}" for v in tab[key]]
        rows = tidy_frame(terms, tab["att"], tab["se"], tab["ci_low"], tab["ci_high"],
                          normal_pvalue(tab["att"], tab["se"]))
        return pd.concat([head, rows], ignore_index=True)

    def _vcov_matrix(self) -> np.ndarray:
        psi = (self.overall_psi.reshape(-1, 1) if self.kind == "simple"
               else np.column_stack([self.overall_psi, self.psi]))
        return covariance(psi, self.cluster, self.n_clusters)

    def _n(self) -> int:
        return int(self.options["n_units"])

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Event-study plot for ``dynamic`` (bands, pre-trend test), else a coefficient plot."""
        from impact.estimate.plots import _axes, coef_plot, event_study_plot

        if self.kind != "dynamic":
            return coef_plot(self, ax=ax, **kwargs)
        fig, ax = _axes(ax, (8, 4.5))
        event_study_plot(self, ax=ax, **kwargs)
        return ax

    def pretrend_test(self) -> WaldTest:
        """Joint Wald test that every pre-treatment event-time effect is zero (dynamic only).

        Examples
        --------
        >>> from impact.datasets import example_panel
        >>> res = impact.estimate.att_gt(example_panel(), outcome="outcome",
        ...                              unit="territory_code", time="year",
        ...                              group="first_treated")
        >>> round(res.aggregate("dynamic").pretrend_test().pvalue, 3)
        0.225
        """
        if self.kind != "dynamic":
            raise InputError("pretrend_test() needs the dynamic (event-study) aggregation")
        pre = (self.table["event_time"].to_numpy() < 0) & (self.table["se"].to_numpy() > 0)
        return wald_test(
            self.table.loc[pre, "att"].to_numpy(),
            self._vcov_array()[np.ix_(pre, pre)],
            "Pre-trend test (all pre-treatment event-time effects = 0)",
        )

    def summary(self, digits: int = 4) -> str:
        """Plain-text report of the aggregation, ready to paste."""
        o = self.options
        lo, hi = self.overall_ci
        lines = [
            f"Aggregated treatment effects ({self.kind}) — Callaway & Sant'Anna (2021)",
            f"Outcome: {o['outcome']}   Units: {o['n_units']}   "
            f"Comparison: {'never treated' if o['control'] == 'never' else 'not yet treated'}   "
            f"Method: {o['method'] if o['covariates'] else 'no covariates'}",
            f"Standard errors: {o['se_type']}",
            f"Overall ATT = {self.overall_att:.{digits}f} (SE {self.overall_se:.{digits}f}; "
            f"{100 * (1 - o['alpha']):.0f}% CI {lo:.{digits}f} to {hi:.{digits}f}; "
            f"p = {self.overall_pvalue:.4f})",
        ]
        if self.kind != "simple":
            lines += ["", _fmt_table(self.table, digits)]
        if self.kind == "dynamic":
            if np.isfinite(self.crit):
                level = f"{100 * (1 - o['alpha']):.0f}%"
                lines.append(f"Simultaneous {level} band: critical value {self.crit:.3f}")
            lines += ["", str(self.pretrend_test())]
        return "\n".join(lines)
