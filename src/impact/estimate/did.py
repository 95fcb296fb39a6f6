"""Group-time average treatment effects (Callaway & Sant'Anna, 2021).

For every cohort ``g`` (units first treated in period ``g``) and period ``t``,
ATT(g, t) compares the change in outcome of the cohort between a base period
and ``t`` with the change among comparison units — never-treated units, or
units not yet treated by ``t`` — optionally conditioning on covariates by
outcome regression, inverse probability weighting or the doubly robust
estimator. Aggregations (overall, by cohort, by calendar period, by event time)
live in :mod:`impact.estimate.aggregation`.

Conventions follow R ``did`` (and its Python ports ``csdid`` and
``differences``), so results agree to numerical precision:

* the group column holds the first treated period, 0 or missing for never
  treated; units treated after the last period count as never treated; units
  already treated in the first period (no pre-period) are dropped with a
  warning;
* ``base_period="varying"``: pre-treatment cells compare ``t`` with ``t - 1``;
  post-treatment cells compare with ``g - 1 - anticipation``;
  ``"universal"``: every cell compares with ``g - 1 - anticipation``, and the
  reference cell itself is reported as 0;
* covariates are taken in the first period (time-invariant);
* influence functions are kept so that every aggregation and the bootstrap
  are exact linear functions of them.

Differences from R ``did``: analytic standard errors can be clustered
(``cluster=``; R only clusters in the bootstrap), by summing the influence
function within clusters (CR0); the bootstrap uses the same sums.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import InputError
from impact.estimate import _drdid
from impact.estimate._validate import PanelArrays, prepare_panel
from impact.estimate.inference import (
    analytic_se,
    covariance,
    multiplier_bootstrap,
    wald_test,
    WaldTest,
)

logger = logging.getLogger(__name__)


@dataclass
class ATTgtResult:
    """Group-time average treatment effects with their influence functions.

    Attributes
    ----------
    table
        One row per cell: ``group, time, att, se, ci_low, ci_high, post,
        n_treated, n_control`` (and ``event_time = time - group``).
    options
        Every option used (outcome, control group, method, …).
    psi
        Influence functions, ``n_units × n_cells``.
    """

    table: pd.DataFrame
    options: dict[str, Any]
    psi: np.ndarray = field(repr=False)
    panel: PanelArrays = field(repr=False)
    crit: float = field(default=np.nan, repr=False)

    @property
    def n_units(self) -> int:
        return len(self.panel.units)

    def vcov(self) -> np.ndarray:
        """Covariance matrix of the ATT(g, t) estimates."""
        return covariance(self.psi, self.panel.cluster, self.panel.n_clusters)

    def pretrend_test(self) -> WaldTest:
        """Wald test that all pre-treatment ATT(g, t) are zero (as R ``did``'s pre-test).

        Reference cells fixed at zero (universal base period) are excluded.
        """
        tab = self.table
        pre = (~tab["post"].to_numpy()) & (tab["se"].to_numpy() > 0) & np.isfinite(tab["att"].to_numpy())
        cov = self.vcov()[np.ix_(pre, pre)]
        return wald_test(tab.loc[pre, "att"].to_numpy(), cov,
                         "Pre-trend test (all pre-treatment ATT(g,t) = 0)")

    def aggregate(self, kind: Literal["simple", "group", "dynamic", "calendar"] = "simple", **kwargs):
        """Aggregate the group-time effects; see :func:`impact.estimate.aggregation.aggregate`."""
        from impact.estimate.aggregation import aggregate

        return aggregate(self, kind, **kwargs)

    def summary(self, digits: int = 4) -> str:
        o = self.options
        head = [
            "Group-time average treatment effects (Callaway & Sant'Anna 2021)",
            f"Outcome: {o['outcome']}   Units: {self.n_units}   Periods: {len(self.panel.periods)}   "
            f"Cohorts: {', '.join(str(int(g)) for g in o['cohorts'])}",
            f"Comparison group: {'never treated' if o['control'] == 'never' else 'not yet treated'}   "
            f"Method: {o['method']}   Base period: {o['base_period']}   Anticipation: {o['anticipation']}",
            f"Standard errors: {o['se_type']}" + (f", clustered by {o['cluster']}" if o['cluster'] else ""),
        ]
        tab = self.table[["group", "time", "att", "se", "ci_low", "ci_high"]].copy()
        body = tab.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}")
        pt = self.pretrend_test()
        return "\n".join([*head, "", body, "", str(pt)])

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()

    def _repr_html_(self) -> str:  # shown by Jupyter
        return "<pre>" + self.summary() + "</pre>"


def _drop_and_recode_groups(df: pd.DataFrame, group: str, time: str, unit: str,
                            anticipation: int, control: str) -> tuple[pd.DataFrame, list[float]]:
    periods = np.sort(df[time].unique())
    g = pd.to_numeric(df[group], errors="coerce").fillna(0)
    late = g > periods[-1]
    if late.any():
        logger.info("%d units first treated after the last period are treated as never treated",
                    df.loc[late, unit].nunique())
        g = g.where(~late, 0)
    df = df.assign(**{group: g})
    first = periods[0]
    early = (df[group] > 0) & (df[group] <= first + anticipation)
    if early.any():
        n_early = df.loc[early, unit].nunique()
        warnings.warn(f"Dropped {n_early} units already treated in the first period "
                      f"({first:g}{' + anticipation' if anticipation else ''}): they have no "
                      "pre-treatment period.", stacklevel=3)
        df = df.loc[~early]
    if not (df[group] == 0).any():
        if control == "never":
            raise InputError(
                "every unit is eventually treated, so there is no never-treated comparison group: "
                "use control='notyet' (comparison with units not yet treated)"
            )
        last = df[group].max()
        logger.warning("no never-treated units: using the last cohort (%g) as comparison and "
                       "dropping periods from %g on", last, last - anticipation)
        df = df[df[time] < last - anticipation]
        if df[time].nunique() < 2:
            raise InputError("all units are treated and fewer than two periods precede the last cohort")
    cohorts = sorted(set(df[group].unique()) - {0})
    if control == "notyet" and not (df[group] == 0).any():
        cohorts = cohorts[:-1]
    if not cohorts:
        raise InputError("no treated cohort left to estimate (all units never treated?)")
    return df, [float(c) for c in cohorts]


def att_gt(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    group: str,
    control: Literal["never", "notyet"] = "never",
    covariates: Sequence[str] | None = None,
    method: Literal["dr", "ipw", "reg"] = "dr",
    weights: str | None = None,
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    cluster: str | None = None,
    alpha: float = 0.05,
    bootstrap: bool | int = False,
    bootstrap_weights: Literal["rademacher", "mammen"] = "rademacher",
    seed: int | None = None,
    allow_unbalanced: bool = False,
) -> ATTgtResult:
    """Estimate group-time average treatment effects ATT(g, t).

    Parameters
    ----------
    data
        Long panel: one row per unit and period.
    outcome, unit, time
        Column names. ``time`` must be numeric (years or integer-coded periods).
    group
        Column holding the first treated period of each unit (0 or missing for
        never treated). It must be constant within a unit.
    control
        ``"never"`` (never-treated units, default) or ``"notyet"`` (units not yet
        treated at ``t``, plus never treated).
    covariates
        Time-invariant covariates (values of the first period are used).
    method
        ``"dr"`` doubly robust (default), ``"ipw"`` or ``"reg"``. Without
        covariates the three coincide.
    weights
        Column of time-invariant sampling weights (e.g. population).
    anticipation
        Number of periods before ``g`` in which units may already react.
    base_period
        ``"varying"`` (default) or ``"universal"``.
    cluster
        Column to cluster standard errors on (constant within unit, e.g. a
        département when units are communes). Default: the unit.
    alpha
        Significance level of confidence intervals.
    bootstrap
        ``False`` for analytic standard errors (default) or a number of
        multiplier-bootstrap draws (``True`` means 999). The bootstrap also
        gives simultaneous bands (``ci_low_uniform``, ``ci_high_uniform``).
    bootstrap_weights
        ``"rademacher"`` (default) or ``"mammen"``.
    seed
        Seed of the bootstrap.
    allow_unbalanced
        Drop units missing in some period instead of raising.

    Returns
    -------
    ATTgtResult
        ``.table`` with ``group, time, att, se, ci_low, ci_high`` (and more),
        ``.aggregate(kind)``, ``.pretrend_test()``, ``.summary()``.

    Examples
    --------
    >>> res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year",
    ...              group="first.treat")                      # doctest: +SKIP
    >>> res.aggregate("dynamic").table                           # doctest: +SKIP
    """
    if control not in ("never", "notyet"):
        raise InputError(f"control must be 'never' or 'notyet', not {control!r}")
    if method not in _drdid.ESTIMATORS:
        raise InputError(f"method must be 'dr', 'ipw' or 'reg', not {method!r}")
    if base_period not in ("varying", "universal"):
        raise InputError(f"base_period must be 'varying' or 'universal', not {base_period!r}")
    if not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        raise InputError(f"anticipation must be a whole number >= 0, not {anticipation!r}")
    if bootstrap is True:
        bootstrap = 999

    from impact.estimate._validate import numeric_periods, require_columns

    require_columns(data, [outcome, unit, time, group, weights, cluster, *(covariates or [])])
    numeric_periods(data[time], time)
    df, cohorts = _drop_and_recode_groups(data, group, time, unit, anticipation, control)
    panel = prepare_panel(df, outcome=outcome, unit=unit, time=time, group=group,
                          covariates=covariates, weights=weights, cluster=cluster,
                          allow_unbalanced=allow_unbalanced)
    periods = panel.periods
    n, n_t = panel.y.shape
    G, w, y, x = panel.group, panel.weights, panel.y, panel.x
    estimator = _drdid.ESTIMATORS[method]

    rows: list[dict] = []
    psis: list[np.ndarray] = []
    start = 1 if base_period == "varying" else 0
    skipped_no_control: list[tuple[float, float]] = []
    for g in cohorts:
        treated = G == g
        pre_idx = np.flatnonzero(periods + anticipation < g)
        if len(pre_idx) == 0:
            continue
        base_universal = pre_idx[-1]
        for c in range(start, n_t):
            t = periods[c]
            post = g <= t
            if base_period == "universal" or post:
                b = base_universal
            else:
                b = c - 1
            if base_period == "universal" and b == c:
                rows.append(dict(group=g, time=t, att=0.0, post=False, n_treated=int(treated.sum()),
                                 n_control=0, base=periods[b]))
                psis.append(np.zeros(n))
                continue
            threshold = max(t, periods[b])
            if control == "never":
                comp = G == 0
            else:
                comp = (G == 0) | ((G > threshold + anticipation) & (G != g))
            if not comp.any() or w[comp].sum() == 0:
                skipped_no_control.append((g, t))
                continue
            sub = treated | comp
            dy = y[sub, c] - y[sub, b]
            d = treated[sub].astype(float)
            ws = w[sub]
            if x is None:
                # Closed form: difference of weighted mean changes; same as all
                # three methods with an intercept-only design.
                w1, w0 = ws * d, ws * (1 - d)
                m1 = (w1 @ dy) / w1.sum()
                m0 = (w0 @ dy) / w0.sum()
                att = m1 - m0
                psi_sub = n * (w1 * (dy - m1) / w1.sum() - w0 * (dy - m0) / w0.sum())
            else:
                wn = ws / ws.mean()
                att, inf = estimator(dy, d, x[sub], wn)
                psi_sub = (n / sub.sum()) * inf
            psi = np.zeros(n)
            psi[sub] = psi_sub
            psis.append(psi)
            rows.append(dict(group=g, time=t, att=float(att), post=bool(post),
                             n_treated=int(treated.sum()), n_control=int(comp.sum()), base=periods[b]))
    if skipped_no_control:
        warnings.warn(
            f"{len(skipped_no_control)} group-time cell(s) have no comparison unit and were dropped "
            f"(e.g. group {skipped_no_control[0][0]:g}, period {skipped_no_control[0][1]:g}); with "
            "comparison units with zero total weight count as absent.",
            stacklevel=2,
        )
    if not rows:
        raise InputError("no group-time effect could be estimated: no cohort has both a pre-period "
                         "and a comparison group")
    psi = np.column_stack(psis)
    table = pd.DataFrame(rows)
    table["event_time"] = table["time"] - table["group"]
    se = analytic_se(psi, panel.cluster, panel.n_clusters)
    se[np.abs(se) < 1e-15] = 0.0
    z = stats.norm.ppf(1 - alpha / 2)
    se_type = "analytic (influence function)"
    crit = np.nan
    if bootstrap:
        bt = multiplier_bootstrap(psi, panel.cluster, panel.n_clusters, draws=int(bootstrap),
                                  kind=bootstrap_weights, alpha=alpha, seed=seed)
        se = np.where(np.isfinite(bt.se), bt.se, se)
        crit = bt.crit
        se_type = f"multiplier bootstrap ({int(bootstrap)} {bootstrap_weights} draws)"
    table["se"] = se
    table["ci_low"] = table["att"] - z * table["se"]
    table["ci_high"] = table["att"] + z * table["se"]
    if bootstrap:
        table["ci_low_uniform"] = table["att"] - crit * table["se"]
        table["ci_high_uniform"] = table["att"] + crit * table["se"]
    for col in ("group", "time", "event_time", "base"):
        if np.all(np.mod(table[col], 1) == 0):
            table[col] = table[col].astype(int)
    cols = ["group", "time", "att", "se", "ci_low", "ci_high"]
    table = table[cols + [c for c in table.columns if c not in cols]]
    options = dict(outcome=outcome, unit=unit, time=time, group=group, control=control,
                   covariates=list(covariates or []), method=method, weights=weights,
                   anticipation=int(anticipation), base_period=base_period, cluster=cluster,
                   alpha=alpha, bootstrap=int(bootstrap or 0), bootstrap_weights=bootstrap_weights,
                   seed=seed, se_type=se_type, cohorts=cohorts, n_units=n,
                   dropped_units=panel.dropped_units)
    return ATTgtResult(table=table, options=options, psi=psi, panel=panel, crit=crit)
