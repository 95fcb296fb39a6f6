"""Aggregating group-time effects: overall, by cohort, by calendar period, by event time.

Weights follow R ``did::aggte``. Cohort weights are cohort shares estimated
from the data, so the influence function of every aggregate includes the
estimation error of those weights (the "wif" term of R ``did``); standard
errors therefore agree with R, ``csdid`` and ``differences``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import InputError
from impact.estimate.inference import (
    WaldTest,
    analytic_se,
    covariance,
    gaussian_uniform_crit,
    multiplier_bootstrap,
    wald_test,
)

KINDS = ("simple", "group", "dynamic", "calendar")


@dataclass
class AggregateResult:
    """An aggregation of ATT(g, t).

    Attributes
    ----------
    kind
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    overall_att, overall_se
        The overall summary (for ``dynamic``: mean of post-treatment event-time
        effects; ``group``: cohort-size weighted; ``calendar``: mean over periods).
    table
        The disaggregated effects (``event_time`` / ``group`` / ``time`` with
        ``att, se, ci_low, ci_high`` and, for ``dynamic``, simultaneous bands
        ``ci_low_uniform, ci_high_uniform``); one row for ``simple``.
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
        return float(2 * stats.norm.sf(abs(self.overall_att / self.overall_se)))

    def vcov(self) -> np.ndarray:
        return covariance(self.psi, self.cluster, self.n_clusters)

    def pretrend_test(self) -> WaldTest:
        """Joint Wald test that every pre-treatment event-time effect is zero (dynamic only)."""
        if self.kind != "dynamic":
            raise InputError("pretrend_test() needs the dynamic (event-study) aggregation")
        pre = (self.table["event_time"].to_numpy() < 0) & (self.table["se"].to_numpy() > 0)
        return wald_test(self.table.loc[pre, "att"].to_numpy(), self.vcov()[np.ix_(pre, pre)],
                         "Pre-trend test (all pre-treatment event-time effects = 0)")

    def summary(self, digits: int = 4) -> str:
        o = self.options
        lo, hi = self.overall_ci
        lines = [
            f"Aggregated treatment effects ({self.kind}) — Callaway & Sant'Anna (2021)",
            f"Outcome: {o['outcome']}   Comparison: {o['control']}   Method: {o['method']}   "
            f"SE: {o['se_type']}",
            f"Overall ATT = {self.overall_att:.{digits}f} (SE {self.overall_se:.{digits}f}; "
            f"{100 * (1 - o['alpha']):.0f}% CI {lo:.{digits}f} to {hi:.{digits}f}; "
            f"p = {self.overall_pvalue:.4f})",
        ]
        if self.kind != "simple":
            lines += ["", self.table.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}")]
        if self.kind == "dynamic":
            lines += ["", str(self.pretrend_test())]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"


def _wif(keepers: np.ndarray, pg: np.ndarray, w: np.ndarray, G: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Influence function of the estimated aggregation weights (R did's ``wif``)."""
    pk = pg[keepers]
    s = pk.sum()
    ind = (G[:, None] == groups[keepers][None, :]) * w[:, None] - pk[None, :]  # n × k
    if1 = ind / s
    if2 = ind.sum(axis=1, keepdims=True) @ (pk[None, :] / s**2)
    return if1 - if2


def _combine(att, psi, keepers, weights, wif=None):
    est = float(att[keepers] @ weights)
    inf = psi[:, keepers] @ weights
    if wif is not None:
        inf = inf + wif @ att[keepers]
    return est, inf


def aggregate(
    result,
    kind: Literal["simple", "group", "dynamic", "calendar"] = "simple",
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    bootstrap: int | bool | None = None,
    bootstrap_weights: str | None = None,
    alpha: float | None = None,
    seed: int | None = None,
) -> AggregateResult:
    """Aggregate an :class:`~impact.estimate.did.ATTgtResult`.

    Parameters
    ----------
    result
        Output of :func:`~impact.estimate.att_gt`.
    kind
        ``"simple"`` (post-treatment cells weighted by cohort size),
        ``"group"`` (by cohort, then cohort-size weighted), ``"dynamic"``
        (event study by time since treatment) or ``"calendar"`` (by period).
    min_e, max_e
        Event-time window (``dynamic``; ``max_e`` also caps the cells used by
        ``simple`` and ``group``).
    balance_e
        ``dynamic`` only: keep cohorts observed for at least ``balance_e``
        periods after treatment, so the composition does not change with event
        time.
    bootstrap
        Draws of the multiplier bootstrap (default: as in ``result``). When no
        bootstrap is used, the simultaneous band of the event study comes from
        the Gaussian approximation with the estimated covariance.
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    o = dict(result.options)
    alpha = o["alpha"] if alpha is None else alpha
    bootstrap = o["bootstrap"] if bootstrap is None else (999 if bootstrap is True else int(bootstrap))
    bootstrap_weights = bootstrap_weights or o["bootstrap_weights"]
    seed = o["seed"] if seed is None else seed
    tab = result.table
    ok = np.isfinite(tab["att"].to_numpy())
    att = tab["att"].to_numpy(dtype=float)
    group = tab["group"].to_numpy(dtype=float)
    t = tab["time"].to_numpy(dtype=float)
    psi = result.psi
    panel = result.panel
    G, w = panel.group, panel.weights
    cohorts = np.array(sorted(set(group)))
    # P(G = g): share of (weighted) units in each cohort, per cell.
    pg_cohort = np.array([np.mean(w * (G == g)) for g in cohorts])
    pg = pg_cohort[np.searchsorted(cohorts, group)]

    labels: list[float] = []
    est_list: list[float] = []
    inf_list: list[np.ndarray] = []

    if kind == "simple":
        keep = np.flatnonzero(ok & (group <= t) & (t <= group + max_e))
        wts = pg[keep] / pg[keep].sum()
        overall, overall_inf = _combine(att, psi, keep, wts, _wif(keep, pg, w, G, group))
        labels, est_list, inf_list = [np.nan], [overall], [overall_inf]
        key = None
    elif kind == "group":
        for g in cohorts:
            keep = np.flatnonzero(ok & (group == g) & (g <= t) & (t <= group + max_e))
            if len(keep) == 0:
                continue
            e, inf = _combine(att, psi, keep, np.full(len(keep), 1 / len(keep)))
            labels.append(g), est_list.append(e), inf_list.append(inf)
        gl = np.array(labels)
        pgg = pg_cohort[np.searchsorted(cohorts, gl)]
        wif = _wif(np.arange(len(gl)), pgg, w, G, gl)
        att_g, psi_g = np.array(est_list), np.column_stack(inf_list)
        overall, overall_inf = _combine(att_g, psi_g, np.arange(len(gl)), pgg / pgg.sum(), wif)
        key = "group"
    elif kind == "dynamic":
        e_cell = t - group
        sel = ok.copy()
        if balance_e is not None:
            # Keep cohorts observed at least balance_e periods after treatment.
            max_t = t.max()
            sel &= (max_t - group) >= balance_e
            sel &= (e_cell <= balance_e) & (e_cell >= min_e)
        eseq = np.unique(e_cell[sel])
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        for e in eseq:
            keep = np.flatnonzero(sel & (e_cell == e))
            wts = pg[keep] / pg[keep].sum()
            est, inf = _combine(att, psi, keep, wts, _wif(keep, pg, w, G, group))
            labels.append(e), est_list.append(est), inf_list.append(inf)
        el = np.array(labels)
        post = np.flatnonzero(el >= 0)
        if len(post) == 0:
            raise InputError("no post-treatment event time in the window: widen min_e/max_e")
        overall, overall_inf = _combine(np.array(est_list), np.column_stack(inf_list), post,
                                        np.full(len(post), 1 / len(post)))
        key = "event_time"
    else:  # calendar
        for tt in np.unique(t[t >= group.min()]):
            keep = np.flatnonzero(ok & (t == tt) & (group <= t) & (t <= group + max_e))
            if len(keep) == 0:
                continue
            wts = pg[keep] / pg[keep].sum()
            est, inf = _combine(att, psi, keep, wts, _wif(keep, pg, w, G, group))
            labels.append(tt), est_list.append(est), inf_list.append(inf)
        overall, overall_inf = _combine(np.array(est_list), np.column_stack(inf_list),
                                        np.arange(len(est_list)), np.full(len(est_list), 1 / len(est_list)))
        key = "time"

    psi_k = np.column_stack(inf_list)
    all_psi = np.column_stack([psi_k, overall_inf])
    se_all = analytic_se(all_psi, panel.cluster, panel.n_clusters)
    se_type = o["se_type"] if not bootstrap else f"multiplier bootstrap ({bootstrap} {bootstrap_weights} draws)"
    crit = np.nan
    if bootstrap:
        bt = multiplier_bootstrap(psi_k, panel.cluster, panel.n_clusters, draws=bootstrap,
                                  kind=bootstrap_weights, alpha=alpha, seed=seed)
        bo = multiplier_bootstrap(overall_inf[:, None], panel.cluster, panel.n_clusters,
                                  draws=bootstrap, kind=bootstrap_weights, alpha=alpha, seed=seed)
        se_k = np.where(np.isfinite(bt.se), bt.se, se_all[:-1])
        overall_se = float(bo.se[0]) if np.isfinite(bo.se[0]) else float(se_all[-1])
        crit = bt.crit
        se_type = f"multiplier bootstrap ({bootstrap} {bootstrap_weights} draws)"
    else:
        se_k, overall_se = se_all[:-1], float(se_all[-1])
    se_k = np.where(np.abs(se_k) < 1e-15, 0.0, se_k)
    z = stats.norm.ppf(1 - alpha / 2)
    if key is None:
        table = pd.DataFrame({"att": [overall], "se": [overall_se]})
    else:
        table = pd.DataFrame({key: labels, "att": est_list, "se": se_k})
        if np.all(np.mod(table[key], 1) == 0):
            table[key] = table[key].astype(int)
    table["ci_low"] = table["att"] - z * table["se"]
    table["ci_high"] = table["att"] + z * table["se"]
    if kind == "dynamic":
        if not bootstrap:
            cov = covariance(psi_k, panel.cluster, panel.n_clusters)
            crit = gaussian_uniform_crit(cov, alpha, seed=0 if seed is None else seed)
        table["ci_low_uniform"] = table["att"] - crit * table["se"]
        table["ci_high_uniform"] = table["att"] + crit * table["se"]
    table["n_units"] = result.n_units
    opts = {**o, "kind": kind, "min_e": min_e, "max_e": max_e, "balance_e": balance_e,
            "bootstrap": bootstrap, "alpha": alpha, "se_type": se_type}
    return AggregateResult(kind=kind, overall_att=float(overall), overall_se=overall_se, table=table,
                           options=opts, psi=psi_k, overall_psi=overall_inf, cluster=panel.cluster,
                           n_clusters=panel.n_clusters, crit=crit)
