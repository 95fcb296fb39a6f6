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

if TYPE_CHECKING:  # pragma: no cover
    from impact.estimate._validate import PanelArrays


def _fmt_table(table: pd.DataFrame, digits: int) -> str:
    return table.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}")


@dataclass
class ATTgtResult:
    """Group-time average treatment effects with their influence functions.

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
        return len(self.panel.periods)

    @property
    def influence_function(self) -> np.ndarray:
        """Alias of :attr:`psi` (``n_units × n_cells``)."""
        return self.psi

    def vcov(self) -> np.ndarray:
        """Covariance matrix of the ATT(g, t) estimates (clustered as requested)."""
        return covariance(self.psi, self.panel.cluster, self.panel.n_clusters)

    def pretrend_test(self) -> WaldTest:
        """Wald test that all pre-treatment ATT(g, t) are zero (R ``did``'s pre-test).

        Uses the influence-function covariance of the pre-treatment cells.
        Reference cells fixed at zero (universal base period) are excluded.
        """
        tab = self.table
        pre = (
            (~tab["post"].to_numpy(dtype=bool))
            & (tab["se"].to_numpy() > 0)
            & np.isfinite(tab["att"].to_numpy())
        )
        cov = self.vcov()[np.ix_(pre, pre)]
        return wald_test(
            tab.loc[pre, "att"].to_numpy(), cov, "Pre-trend test (all pre-treatment ATT(g,t) = 0)"
        )

    def aggregate(
        self,
        kind: Literal["simple", "group", "dynamic", "calendar"] = "simple",
        **kwargs: Any,
    ) -> AggregateResult:
        """Aggregate the group-time effects; see :func:`impact.estimate.aggregation.aggregate`."""
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

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:  # shown by Jupyter
        return "<pre>" + self.summary() + "</pre>"


_METHOD_NAMES = {
    "dr": "doubly robust (Sant'Anna & Zhao 2020)",
    "ipw": "inverse probability weighting (normalised)",
    "reg": "outcome regression",
}


@dataclass
class AggregateResult:
    """An aggregation of ATT(g, t) (R ``did::aggte``).

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
        z = stats.norm.ppf(1 - self.options["alpha"] / 2)
        return self.overall_att - z * self.overall_se, self.overall_att + z * self.overall_se

    @property
    def overall_pvalue(self) -> float:
        if not self.overall_se > 0:
            return float("nan")
        return float(2 * stats.norm.sf(abs(self.overall_att / self.overall_se)))

    def vcov(self) -> np.ndarray:
        """Covariance of the rows of ``table`` (from the influence functions)."""
        return covariance(self.psi, self.cluster, self.n_clusters)

    def pretrend_test(self) -> WaldTest:
        """Joint Wald test that every pre-treatment event-time effect is zero (dynamic only)."""
        if self.kind != "dynamic":
            raise InputError("pretrend_test() needs the dynamic (event-study) aggregation")
        pre = (self.table["event_time"].to_numpy() < 0) & (self.table["se"].to_numpy() > 0)
        return wald_test(
            self.table.loc[pre, "att"].to_numpy(),
            self.vcov()[np.ix_(pre, pre)],
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

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"
