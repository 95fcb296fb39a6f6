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
* covariates enter each cell with their values in the earlier of its two
  periods (R ``did`` takes them from the first row of its two-period
  reshape); with time-invariant covariates this is simply their value;
* not-yet-treated comparison units are those with ``G == 0`` or
  ``G > max(t, base) + anticipation`` (and not in the cohort itself);
* influence functions are kept so that every aggregation and the bootstrap
  are exact linear functions of them.

Differences from R ``did``:

* analytic standard errors can be clustered (``cluster=``; R only clusters in
  the bootstrap), by summing the influence function within clusters (CR0).
  The multiplier bootstrap draws one weight per cluster and multiplies the
  same sums; R multiplies cluster *means*, which gives the same variance only
  when clusters have equal sizes;
* R's default is the bootstrap (``bstrap=TRUE``); here analytic standard
  errors are the default and ``bootstrap=999`` asks for the bootstrap;
* with ``allow_unbalanced=True`` units missing in some period are dropped
  (R ``did`` would switch to its unbalanced-panel estimator);
* R's overlap and rank checks on covariates are replaced by an error when a
  regression is singular in a cell and a warning when the propensity-score
  logit does not converge;
* groups smaller than the number of covariates + 5 give a warning, as in R,
  but a small never-treated group is not an error (R stops).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact._warnings import warn as _warn
from impact.errors import InputError
from impact.estimate import _drdid
from impact.estimate._blas import single_threaded_blas
from impact.estimate._cells import ClosedFormCells, UnitGroups
from impact.estimate._validate import (
    numeric_groups,
    numeric_periods,
    prepare_panel,
    require_columns,
)
from impact.estimate.inference import _summarise_draws, analytic_se, multiplier_bootstrap
from impact.estimate.results import ATTgtResult

__all__ = ["ATTgtResult", "att_gt"]

logger = logging.getLogger(__name__)


def _drop_and_recode_groups(
    df: pd.DataFrame, group: str, time: str, unit: str, anticipation: int, control: str
) -> tuple[pd.DataFrame, list[float]]:
    first, last = df[time].min(), df[time].max()
    g = numeric_groups(df[group], group)
    late = g > last
    if late.any():
        logger.info(
            "%d units first treated after the last period are treated as never treated",
            df.loc[late, unit].nunique(),
        )
        g = g.where(~late, 0)
    # A shallow copy with the recoded column: the other columns are not copied.
    df = df.copy(deep=False)
    df[group] = g
    early = (df[group] > 0) & (df[group] <= first + anticipation)
    if early.any():
        n_early = df.loc[early, unit].nunique()
        _warn(
            f"Dropped {n_early} units already treated in the first period "
            f"({first:g}{' + anticipation' if anticipation else ''}): they have no "
            "pre-treatment period.")
        df = df.loc[~early]
    if not (df[group] == 0).any():
        if control == "never":
            raise InputError(
                "every unit is eventually treated, so there is no never-treated comparison group: "
                "use control='notyet' (comparison with units not yet treated)"
            )
        last = df[group].max()
        logger.warning(
            "no never-treated units: using the last cohort (%g) as comparison and "
            "dropping periods from %g on",
            last,
            last - anticipation,
        )
        df = df[df[time] < last - anticipation]
        if df[time].nunique() < 2:
            raise InputError(
                "all units are treated and fewer than two periods precede the last cohort"
            )
    cohorts = sorted(set(df[group].unique()) - {0})
    if control == "notyet" and not (df[group] == 0).any():
        cohorts = cohorts[:-1]
    if not cohorts:
        raise InputError("no treated cohort left to estimate (all units never treated?)")
    return df, [float(c) for c in cohorts]


def _check_group_sizes(G: np.ndarray, n_covariates: int, control: str) -> None:
    """Warn about groups smaller than the number of covariates + 5 (R ``did``'s threshold).

    R ``did`` also stops when the never-treated group is that small and
    ``control="never"``; here it is a warning only, so that exact
    randomisation inference on tiny examples keeps working.
    """
    values, counts = np.unique(G, return_counts=True)
    required = n_covariates + 5
    small = values[counts < required]
    if len(small):
        advice = (
            " A never-treated group this small is a fragile comparison: consider control='notyet'."
            if 0 in small and control == "never"
            else ""
        )
        _warn(
            f"some groups have fewer than {required} units (number of covariates + 5): "
            f"{', '.join('never treated' if g == 0 else f'{g:g}' for g in small)}. Their "
            f"estimates and standard errors are unreliable.{advice}")


# Single-threaded BLAS for the whole estimation (cell loop, logits, bootstrap
# products): see impact.estimate._blas for the measurements behind this choice.
@single_threaded_blas()
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
    bootstrap_weights: Literal["rademacher", "mammen", "webb"] = "rademacher",
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
        never treated; numbers stored as text are converted). It must be
        constant within a unit. Units first treated after the last period count
        as never treated.
    control
        ``"never"`` (never-treated units, default) or ``"notyet"`` (units not yet
        treated at ``t``, plus never treated).
    covariates
        Covariate columns (numeric; encode categories as dummies first). Each
        cell uses their values in the earlier of its two periods, as R ``did``;
        pre-treatment, time-invariant covariates are the safe choice.
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
        ``"rademacher"`` (default), ``"mammen"`` or ``"webb"`` (six-point weights of Webb
        2023, better than Rademacher when clusters are few: Rademacher draws then take only
        2^G distinct values).
    seed
        Seed of the bootstrap.
    allow_unbalanced
        Units missing (or with a missing outcome) in some period make the panel
        unbalanced: by default this raises an :class:`~impact.errors.InputError`
        listing them; with ``True`` they are dropped, a warning is logged and
        their number is stored in ``options["dropped_units"]``.

    Returns
    -------
    ATTgtResult
        ``.table`` with ``group, time, att, se, ci_low, ci_high`` (and more),
        ``.aggregate(kind)``, ``.pretrend_test()``, ``.summary()``.

    Raises
    ------
    InputError
        Missing columns, non-numeric periods (e.g. ``"2015"`` as text or
        ``"2015Q1"``: convert to integers first), duplicated unit-period rows,
        a first treated period that changes within a unit (treatment switching
        off), no never-treated unit with ``control="never"``, an unbalanced
        panel (see above), invalid options, or nothing left to estimate.

    Warns
    -----
    UserWarning
        Units already treated in the first period (``g <= first period +
        anticipation``) have no pre-period and are dropped, as R ``did`` does;
        group-time cells without any comparison unit (e.g. zero total weight)
        are dropped; groups smaller than the number of covariates + 5 are
        flagged.
    RuntimeWarning
        The propensity-score logit did not converge in a cell (covariates
        nearly separate the cohort from its comparison units).

    Notes
    -----
    Without covariates the three methods coincide and each cell is a closed
    form: the difference between the weighted mean change of the cohort and of
    the comparison units, with influence function
    ``n * (w_i D_i (dY_i - m_1) / sum(w D) - w_i C_i (dY_i - m_0) / sum(w C))``.
    With covariates each cell runs the DRDID panel estimator on the cohort and
    its comparison units (outcome regression by weighted least squares,
    propensity score by a Newton–Raphson logit).

    Examples
    --------
    On the example panel (cohorts 2013 and 2015, true effect 2.0 in every
    treated year and 0 before):

    >>> from impact.datasets import example_panel
    >>> res = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
    ...              group="first_treated")
    >>> res.table[["group", "time", "att", "se"]].head(3).round(3)
       group  time    att     se
    0   2013  2011  0.060  0.269
    1   2013  2012  0.006  0.270
    2   2013  2013  1.651  0.292
    >>> round(res.pretrend_test().pvalue, 3)
    0.439
    >>> res.aggregate("simple").tidy().round(3)
      term  estimate     se  ci_low  ci_high  pvalue
    0  ATT     1.871  0.129   1.619    2.124     0.0
    """
    if control not in ("never", "notyet"):
        raise InputError(f"control must be 'never' or 'notyet', not {control!r}")
    if method not in _drdid.ESTIMATORS:
        raise InputError(f"method must be 'dr', 'ipw' or 'reg', not {method!r}")
    if base_period not in ("varying", "universal"):
        raise InputError(f"base_period must be 'varying' or 'universal', not {base_period!r}")
    if not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        raise InputError(f"anticipation must be a whole number >= 0, not {anticipation!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if bootstrap_weights not in ("rademacher", "mammen", "webb"):
        raise InputError(
            f"bootstrap_weights must be 'rademacher', 'mammen' or 'webb', not {bootstrap_weights!r}"
        )
    if bootstrap is True:
        bootstrap = 999
    if isinstance(bootstrap, float) or int(bootstrap) < 0 or (bootstrap and int(bootstrap) < 2):
        raise InputError(
            f"bootstrap must be False, True or a number of draws >= 2, not {bootstrap!r}"
        )

    require_columns(data, [outcome, unit, time, group, weights, cluster, *(covariates or [])])
    numeric_periods(data[time], time)
    df, cohorts = _drop_and_recode_groups(data, group, time, unit, anticipation, control)
    panel = prepare_panel(
        df,
        outcome=outcome,
        unit=unit,
        time=time,
        group=group,
        covariates=covariates,
        weights=weights,
        cluster=cluster,
        allow_unbalanced=allow_unbalanced,
    )
    periods = panel.periods
    n, n_t = panel.y.shape
    G, w, y, x = panel.group, panel.weights, panel.y, panel.x
    estimator = _drdid.ESTIMATORS[method]

    # Cohorts can vanish when unbalanced units are dropped.
    cohorts = [g for g in cohorts if (G == g).any()]
    _check_group_sizes(G, len(covariates or []), control)
    rows: list[dict] = []
    # Influence functions are written column by column into one Fortran-ordered
    # block (each column contiguous), sized for the largest possible number of cells.
    max_cells = max(1, len(cohorts) * n_t)
    psi_buf = np.zeros((n, max_cells), order="F")
    start = 1 if base_period == "varying" else 0
    skipped_no_control: list[tuple[float, float]] = []
    ps_cache: dict[tuple, tuple] = {}
    # Cohort and comparison groups are chosen on the few distinct groups, not on
    # n-long unit masks; without covariates the cells are closed forms (see _cells).
    groups = UnitGroups.from_groups(G, w)
    gv = groups.values
    closed = ClosedFormCells(y, w, groups, max_cells) if x is None else None
    for g in cohorts:
        h = int(np.searchsorted(gv, g))
        pre_idx = np.flatnonzero(periods + anticipation < g)
        if len(pre_idx) == 0:
            continue
        base_universal = pre_idx[-1]
        if groups.weight[h] <= 0:
            skipped_no_control.append((g, np.nan))
            continue
        n_treated = int(groups.count[h])
        treated = G == g if closed is None else None
        for c in range(start, n_t):
            t = periods[c]
            post = bool(g <= t)
            b = base_universal if (base_period == "universal" or post) else c - 1
            if b == c:
                # Universal base period: the reference cell is 0 by construction (as R did).
                rows.append(
                    dict(
                        group=g,
                        time=t,
                        att=0.0,
                        post=False,
                        n_treated=n_treated,
                        n_control=0,
                        base=periods[b],
                    )
                )
                continue  # its influence function stays zero
            # Not-yet-treated comparisons must be untreated (allowing for
            # anticipation) in both periods of the cell, hence the later one.
            threshold = max(t, periods[b])
            if control == "never":
                comp_g = gv == 0
            else:
                comp_g = (gv == 0) | ((gv > threshold + anticipation) & (gv != g))
            if groups.weight[comp_g].sum() <= 0:
                skipped_no_control.append((g, t))
                continue
            col = psi_buf[:, len(rows)]
            if closed is not None:
                # Closed form, identical to reg/ipw/dr with an intercept only:
                # difference of weighted mean changes (see impact.estimate._cells).
                att = closed.cell(len(rows), c, b, h, comp_g, col)
            else:
                assert treated is not None and x is not None
                comp = comp_g[groups.code]
                sub = treated | comp
                dy = y[sub, c] - y[sub, b]
                ws = w[sub]
                d_sub = treated[sub].astype(float)
                # Covariates of the earlier period of the cell, as R did / DRDID.
                xp = min(b, c) if panel.x_time_varying else 0
                x_sub, w_sub = x[xp][sub], ws / ws.mean()
                ps_parts = None
                if method != "reg":
                    # The propensity score does not involve the outcome: cells with
                    # the same cohort, comparison units and covariates share it
                    # (e.g. every period of a cohort with never-treated controls).
                    key = (g, xp, comp_g.tobytes())
                    ps_parts = ps_cache.get(key)
                    if ps_parts is None:
                        ps_parts = ps_cache[key] = _drdid.propensity_parts(x_sub, d_sub, w_sub)
                att, inf = estimator(dy, d_sub, x_sub, w_sub, ps_parts=ps_parts)
                # DRDID scales the influence function to the cell sample; rescale to all n units.
                col[sub] = (n / sub.sum()) * inf
            rows.append(
                dict(
                    group=g,
                    time=t,
                    att=float(att),
                    post=post,
                    n_treated=n_treated,
                    n_control=int(groups.count[comp_g].sum()),
                    base=periods[b],
                )
            )
    if skipped_no_control:
        _warn(
            f"{len(skipped_no_control)} group-time cell(s) have no comparison unit (or a zero "
            f"total weight) and were dropped (e.g. group {skipped_no_control[0][0]:g}, period "
            f"{skipped_no_control[0][1]:g}).")
    if not rows:
        raise InputError(
            "no group-time effect could be estimated: no cohort has both a pre-period "
            "and a comparison group"
        )
    psi = psi_buf[:, : len(rows)]
    table = pd.DataFrame(rows)
    table["event_time"] = table["time"] - table["group"]
    se = analytic_se(psi, panel.cluster, panel.n_clusters)
    se[np.abs(se) < 1e-15] = 0.0
    z = stats.norm.ppf(1 - alpha / 2)
    se_type = "analytic (influence function)"
    crit = np.nan
    if bootstrap:
        if closed is not None and panel.n_clusters == n:
            # Unit clusters: the draws multiply psi's n × (T + 1) factor (see _cells).
            boot = closed.bootstrap_draws(
                len(rows), np.random.default_rng(seed), int(bootstrap), bootstrap_weights
            )
            bt = _summarise_draws(boot, int(bootstrap), alpha, None)
        else:
            bt = multiplier_bootstrap(
                psi,
                panel.cluster,
                panel.n_clusters,
                draws=int(bootstrap),
                kind=bootstrap_weights,
                alpha=alpha,
                seed=seed,
            )
        se = np.where(np.isfinite(bt.se), bt.se, se)
        crit = bt.crit
        se_type = f"multiplier bootstrap ({int(bootstrap)} {bootstrap_weights} draws)"
    table["se"] = se
    table["ci_low"] = table["att"] - z * table["se"]
    table["ci_high"] = table["att"] + z * table["se"]
    if bootstrap:
        table["ci_low_uniform"] = table["att"] - crit * table["se"]
        table["ci_high_uniform"] = table["att"] + crit * table["se"]
    for name in ("group", "time", "event_time", "base"):
        if np.all(np.mod(table[name], 1) == 0):
            table[name] = table[name].astype(int)
    cols = ["group", "time", "att", "se", "ci_low", "ci_high"]
    table = table[cols + [c for c in table.columns if c not in cols]]
    options = dict(
        outcome=outcome,
        unit=unit,
        time=time,
        group=group,
        control=control,
        covariates=list(covariates or []),
        method=method,
        weights=weights,
        anticipation=int(anticipation),
        base_period=base_period,
        cluster=cluster,
        alpha=alpha,
        bootstrap=int(bootstrap or 0),
        bootstrap_weights=bootstrap_weights,
        seed=seed,
        se_type=se_type,
        cohorts=cohorts,
        n_units=n,
        dropped_units=panel.dropped_units,
        allow_unbalanced=allow_unbalanced,
    )
    return ATTgtResult(table=table, options=options, psi=psi, panel=panel, crit=crit)
