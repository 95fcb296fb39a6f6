"""Aggregating group-time effects: overall, by cohort, by calendar period, by event time.

Weights follow R ``did::aggte``. Cohort weights are cohort shares estimated
from the data, so the influence function of every aggregate includes the
estimation error of those weights (the "wif" term of R ``did``); standard
errors therefore agree with R, ``csdid`` and ``differences``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import InputError
from impact.estimate._blas import single_threaded_blas
from impact.estimate.inference import (
    analytic_se,
    covariance,
    gaussian_uniform_crit,
    multiplier_bootstrap,
)
from impact.estimate.results import AggregateResult as _AggregateResultBase

if TYPE_CHECKING:  # pragma: no cover
    from impact.estimate.honest import HonestResult
    from impact.estimate.results import ATTgtResult


class AggregateResult(_AggregateResultBase):
    """An aggregation of ATT(g, t) (R ``did::aggte``), with HonestDiD sensitivity analysis.

    See :class:`impact.estimate.results.AggregateResult` for the attributes
    and the protocol; ``.vcov()`` is the covariance of the rows of
    ``tidy()`` (overall ``ATT`` first) from their influence functions (its
    diagonal gives the analytic standard errors).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import att_gt
    >>> res = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
    ...              group="first_treated", base_period="universal")
    >>> hd = res.aggregate("dynamic").honest_did(method="smoothness", M=[0.0, 0.1])
    >>> hd.table[["M", "ci_low", "ci_high"]].round(3)
         M  ci_low  ci_high
    0  0.0   1.515    2.132
    1  0.1   1.223    2.161
    """

    def honest_did(
        self,
        *,
        event_time: int | None = 0,
        l_vec: np.ndarray | str | None = None,
        method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
        M: list[float] | np.ndarray | None = None,
        alpha: float | None = None,
        **kwargs,
    ) -> HonestResult:
        """Sensitivity of an event-study effect to violations of parallel trends.

        Parameters
        ----------
        event_time
            The post-treatment event time whose effect is examined (default 0,
            the effect on impact); ignored when ``l_vec`` is given.
        l_vec
            Weights on the post-treatment event times (0, 1, …), or
            ``"average"`` for their mean (the overall effect of the dynamic
            aggregation).
        method, M, alpha, **kwargs
            As :func:`impact.estimate.honest.honest_did`.

        Notes
        -----
        Needs ``base_period="universal"`` in :func:`att_gt`, as R's
        ``honest_did.AGGTEobj``: pre-treatment estimates must then all be
        relative to event time -1, which is dropped (it is 0 by construction).
        The covariance comes from the influence functions (``vcov()``), as R.

        Examples
        --------
        >>> from impact.datasets import example_panel
        >>> from impact.estimate import att_gt
        >>> res = att_gt(example_panel(), outcome="outcome", unit="territory_code",
        ...              time="year", group="first_treated", base_period="universal")
        >>> hd = res.aggregate("dynamic").honest_did(l_vec="average", method="smoothness",
        ...                                          M=[0.0])
        >>> round(hd.estimate, 3)
        1.916
        """
        from impact.estimate.honest import honest_did

        if self.kind != "dynamic":
            raise InputError("honest_did() needs the dynamic (event-study) aggregation")
        if self.options.get("base_period") != "universal":
            raise InputError(
                "honest_did() needs att_gt(..., base_period='universal'): with the varying base "
                "period, pre-treatment estimates are period-to-period changes, not deviations "
                "from the reference period"
            )
        e = self.table["event_time"].to_numpy()
        keep = e != -1
        b = self.table["att"].to_numpy(float)[keep]
        V = self._vcov_array()[np.ix_(keep, keep)]
        ek = e[keep]
        n_pre, n_post = int((ek < 0).sum()), int((ek >= 0).sum())
        if n_pre == 0:
            raise InputError("honest_did() needs at least one pre-treatment event time before -1")
        post_e = ek[ek >= 0]
        weights: np.ndarray
        if isinstance(l_vec, str):
            if l_vec != "average":
                raise InputError(f"l_vec must be weights or 'average', not {l_vec!r}")
            weights = np.full(n_post, 1 / n_post)
        elif l_vec is None:
            if event_time not in set(post_e.tolist()):
                raise InputError(
                    f"event_time={event_time!r} is not a post-treatment event time "
                    f"({', '.join(str(int(v)) for v in post_e)})"
                )
            weights = (post_e == event_time).astype(float)
        else:
            weights = np.asarray(l_vec, dtype=float)
        return honest_did(
            b, V, num_pre_periods=n_pre, num_post_periods=n_post, method=method, M=M,
            l_vec=weights, alpha=self.options["alpha"] if alpha is None else alpha, **kwargs,
        )

__all__ = ["AggregateResult", "aggregate"]

KINDS = ("simple", "group", "dynamic", "calendar")


def _wif(
    keepers: np.ndarray, pg: np.ndarray, w: np.ndarray, G: np.ndarray, groups: np.ndarray
) -> np.ndarray:
    """Influence function of the estimated aggregation weights (R did's ``wif``), n × k.

    Column ``k`` is the influence function of weight ``pg_k / sum(pg)``: the
    estimation error of the numerator ``P(G = g_k)`` and of the denominator.
    Kept as the reference formula; :func:`_wif_dot` applies it without
    building the matrix.
    """
    pk = pg[keepers]
    s = pk.sum()
    ind = (G[:, None] == groups[keepers][None, :]) * w[:, None] - pk[None, :]  # n × k
    if1 = ind / s
    if2 = ind.sum(axis=1, keepdims=True) @ (pk[None, :] / s**2)
    return if1 - if2


def _wif_dot(
    keepers: np.ndarray,
    pg: np.ndarray,
    w: np.ndarray,
    G: np.ndarray,
    groups: np.ndarray,
    att: np.ndarray,
) -> np.ndarray:
    """``_wif(...) @ att[keepers]`` in O(n): the same vector without the n × k matrix.

    With ``ind_ik = w_i 1{G_i = g_k} - p_k`` and ``s = sum_k p_k``::

        wif @ a = (ind @ a) / s - (ind @ 1) (p . a) / s**2,
        ind @ a = w_i * (sum of a_k over cells whose cohort is G_i) - p . a.
    """
    pk, a = pg[keepers], att[keepers]
    s, pa = pk.sum(), pk @ a
    cohorts, inverse = np.unique(groups[keepers], return_inverse=True)
    sum_a = np.bincount(inverse, weights=a, minlength=len(cohorts))
    count = np.bincount(inverse, minlength=len(cohorts)).astype(float)
    pos = np.clip(np.searchsorted(cohorts, G), 0, len(cohorts) - 1)
    member = cohorts[pos] == G  # units in one of the aggregated cohorts
    ind_a = np.where(member, w * sum_a[pos], 0.0) - pa
    ind_1 = np.where(member, w * count[pos], 0.0) - pk.sum()
    return ind_a / s - ind_1 * pa / s**2


def _combine_many(
    att: np.ndarray,
    psi: np.ndarray,
    sets: list[tuple[np.ndarray, np.ndarray]],
    wif: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[list[float], np.ndarray]:
    """:func:`_combine` for several weighted sums at once: estimates and ``n × k`` influence.

    ``sets`` holds ``(keepers, weights)`` pairs; ``wif = (pg, w, G, groups)`` adds
    the term of the estimated weights (:func:`_wif_dot`) to every column.
    """
    n, k = psi.shape[0], len(sets)
    est = [float(att[keep] @ wts) for keep, wts in sets]
    # Each cell enters few sums: weighted column additions read psi once, where a
    # dense psi @ W would spend cells × k multiply-adds per unit.
    inf = np.zeros((n, k), order="F")
    tmp = np.empty(n)
    for j, (keep, wts) in enumerate(sets):
        col = inf[:, j]
        for c, wt in zip(keep, wts, strict=True):
            np.multiply(psi[:, c], wt, out=tmp)
            col += tmp
    if wif is not None:
        pg, w, G, groups = wif
        cohorts, cell_cohort = np.unique(groups, return_inverse=True)
        pos = np.clip(np.searchsorted(cohorts, G), 0, len(cohorts) - 1)
        member_w = np.where(cohorts[pos] == G, w, 0.0)  # 0 outside the aggregated cohorts
        # _wif_dot's ind @ a / s - (ind @ 1) (p . a) / s**2, where the constant parts
        # (-p . a / s and + s (p . a) / s**2) cancel: w_i times a per-cohort coefficient.
        coef = np.zeros((len(cohorts), k))
        for j, (keep, _) in enumerate(sets):
            pk, a = pg[keep], att[keep]
            s, pa = pk.sum(), pk @ a
            np.add.at(coef[:, j], cell_cohort[keep], a / s - pa / s**2)
        inf += member_w[:, None] * coef[pos]
    return est, inf


def _combine(att, psi, keepers, weights, wif_att=None):
    """Weighted sum of estimates and its influence function (plus the weights' term)."""
    est = float(att[keepers] @ weights)
    inf = psi[:, keepers] @ weights
    if wif_att is not None:
        inf = inf + wif_att
    return est, inf


@single_threaded_blas()
def aggregate(
    result: ATTgtResult,
    kind: Literal["simple", "group", "dynamic", "calendar"] = "simple",
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    bootstrap: int | bool | None = None,
    bootstrap_weights: str | None = None,
    alpha: float | None = None,
    seed: int | None = None,
    uniform_band: bool = True,
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
        ``dynamic`` only: keep the cohorts with an estimate at every event
        time from 0 to ``balance_e``, so the composition of the event study
        does not change with event time (event times then span
        ``balance_e - (T_last - T_first)`` to ``balance_e``, as R ``did``).
    bootstrap
        Draws of the multiplier bootstrap (default: as in ``result``; ``0`` for
        analytic standard errors). When no bootstrap is used, the critical
        value of the simultaneous band of the event study comes from the
        Gaussian approximation with the estimated covariance (R ``did`` would
        run a bootstrap for it).
    bootstrap_weights, alpha, seed
        Override the options of ``result``; ``bootstrap_weights="webb"``
        (Webb's six-point weights) is advised when clusters are few.
    uniform_band
        ``dynamic`` only: add the simultaneous band (``ci_low_uniform``,
        ``ci_high_uniform``, ``crit``). Without a bootstrap its critical value
        needs 20,000 Gaussian draws; pass ``False`` to skip them in loops.

    Returns
    -------
    AggregateResult
        ``.overall_att``, ``.overall_se``, ``.table`` and, for ``dynamic``,
        ``.pretrend_test()`` and the band ``ci_low_uniform, ci_high_uniform``.

    Notes
    -----
    Every aggregate is a weighted sum of ATT(g, t) with weights proportional
    to cohort sizes ``P(G = g)`` estimated from the data; its influence
    function is ``psi @ weights + wif @ att`` where ``wif`` is the influence
    function of the estimated weights (R ``did``'s ``wif``), so standard
    errors account for the weights being estimated.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import att_gt
    >>> res = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
    ...              group="first_treated")
    >>> dyn = aggregate(res, "dynamic", max_e=2)
    >>> dyn.table[["event_time", "att", "se"]].round(3)
       event_time    att     se
    0          -4  0.082  0.204
    1          -3 -0.467  0.257
    2          -2  0.168  0.220
    3          -1  0.059  0.210
    4           0  1.823  0.175
    5           1  1.773  0.147
    6           2  1.795  0.198
    >>> round(dyn.overall_att, 3), round(dyn.pretrend_test().pvalue, 3)
    (1.797, 0.225)
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if balance_e is not None and (
        kind != "dynamic" or int(balance_e) != balance_e or balance_e < 0
    ):
        raise InputError("balance_e must be a whole number >= 0 and is only used by kind='dynamic'")
    o = dict(result.options)
    alpha = o["alpha"] if alpha is None else alpha
    bootstrap = (
        o["bootstrap"] if bootstrap is None else (999 if bootstrap is True else int(bootstrap))
    )
    bootstrap_weights = bootstrap_weights or o["bootstrap_weights"]
    seed = o["seed"] if seed is None else seed
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if bootstrap_weights not in ("rademacher", "mammen", "webb"):
        raise InputError(
            f"bootstrap_weights must be 'rademacher', 'mammen' or 'webb', "
            f"not {bootstrap_weights!r}"
        )
    if bootstrap < 0 or bootstrap == 1:
        raise InputError(
            f"bootstrap must be 0 (analytic) or a number of draws >= 2, not {bootstrap!r}"
        )
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

    if kind == "simple":
        keep = np.flatnonzero(ok & (group <= t) & (t <= group + max_e))
        wts = pg[keep] / pg[keep].sum()
        est_list, psi_k = _combine_many(att, psi, [(keep, wts)], (pg, w, G, group))
        overall, overall_inf = est_list[0], psi_k[:, 0]
        labels = [np.nan]
        key = None
    elif kind == "group":
        sets = []
        for g in cohorts:
            # A cohort's effect is the plain mean of its post-treatment cells.
            keep = np.flatnonzero(ok & (group == g) & (g <= t) & (t <= group + max_e))
            if len(keep) == 0:
                continue
            labels.append(g)
            sets.append((keep, np.full(len(keep), 1 / len(keep))))
        if not sets:
            raise InputError(f"no post-treatment group-time effect to aggregate ({kind})")
        est_list, psi_k = _combine_many(att, psi, sets)
        gl = np.array(labels)
        pgg = pg_cohort[np.searchsorted(cohorts, gl)]
        att_g, psi_g = np.array(est_list), psi_k
        everything = np.arange(len(gl))
        overall, overall_inf = _combine(
            att_g, psi_g, everything, pgg / pgg.sum(), _wif_dot(everything, pgg, w, G, gl, att_g)
        )
        key = "group"
    elif kind == "dynamic":
        e_cell = t - group
        sel = ok.copy()
        eseq = np.unique(e_cell[sel])
        if balance_e is not None:
            # As R did: keep the cohorts observed (with an estimate) at every
            # event time 0 .. balance_e, so that the composition of the event
            # study does not change with e; event times then run from
            # balance_e - (last - first period) to balance_e.
            first_t, last_t = float(panel.periods[0]), float(panel.periods[-1])
            eligible = [g for g in cohorts if last_t - g >= balance_e]
            complete = [
                g
                for g in eligible
                if set(range(0, int(balance_e) + 1)) <= set(e_cell[sel & (group == g)].astype(int))
            ]
            if not complete:
                raise InputError(
                    f"no cohort is observed at every event time from 0 to balance_e="
                    f"{balance_e}: reduce balance_e"
                )
            sel &= np.isin(group, complete)
            eseq = np.unique(e_cell[sel])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - (last_t - first_t))]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        sets = []
        for e in eseq:
            keep = np.flatnonzero(sel & (e_cell == e))
            labels.append(e)
            sets.append((keep, pg[keep] / pg[keep].sum()))
        el = np.array(labels)
        post = np.flatnonzero(el >= 0)
        if len(post) == 0:
            raise InputError("no post-treatment event time in the window: widen min_e/max_e")
        est_list, psi_k = _combine_many(att, psi, sets, (pg, w, G, group))
        overall, overall_inf = _combine(
            np.array(est_list), psi_k, post, np.full(len(post), 1 / len(post))
        )
        key = "event_time"
    else:  # calendar
        sets = []
        for tt in np.unique(t[t >= group.min()]):
            keep = np.flatnonzero(ok & (t == tt) & (group <= t) & (t <= group + max_e))
            if len(keep) == 0:
                continue
            labels.append(tt)
            sets.append((keep, pg[keep] / pg[keep].sum()))
        if not sets:
            raise InputError(f"no post-treatment group-time effect to aggregate ({kind})")
        est_list, psi_k = _combine_many(att, psi, sets, (pg, w, G, group))
        overall, overall_inf = _combine(
            np.array(est_list),
            psi_k,
            np.arange(len(est_list)),
            np.full(len(est_list), 1 / len(est_list)),
        )
        key = "time"

    # The disaggregated influence functions and the overall one, side by side.
    all_psi = np.empty((psi_k.shape[0], psi_k.shape[1] + 1), order="F")
    all_psi[:, :-1] = psi_k
    all_psi[:, -1] = overall_inf
    psi_k = all_psi[:, :-1]
    se_all = analytic_se(all_psi, panel.cluster, panel.n_clusters)
    se_type = "analytic (influence function)"
    crit = np.nan
    if bootstrap:
        # One set of draws for the disaggregated effects and the overall one;
        # the simultaneous band covers the disaggregated effects only.
        band = np.r_[np.ones(psi_k.shape[1], dtype=bool), False]
        bt = multiplier_bootstrap(
            all_psi,
            panel.cluster,
            panel.n_clusters,
            draws=bootstrap,
            kind=bootstrap_weights,
            alpha=alpha,
            seed=seed,
            band=band,
        )
        se_boot = np.where(np.isfinite(bt.se), bt.se, se_all)
        se_k, overall_se = se_boot[:-1], float(se_boot[-1])
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
    if kind == "dynamic" and uniform_band:
        if not bootstrap:
            cov = covariance(psi_k, panel.cluster, panel.n_clusters)
            crit = gaussian_uniform_crit(cov, alpha, seed=0 if seed is None else seed)
        table["ci_low_uniform"] = table["att"] - crit * table["se"]
        table["ci_high_uniform"] = table["att"] + crit * table["se"]
    table["n_units"] = result.n_units
    opts = {
        **o,
        "kind": kind,
        "min_e": min_e,
        "max_e": max_e,
        "balance_e": balance_e,
        "uniform_band": uniform_band,
        "bootstrap": bootstrap,
        "alpha": alpha,
        "se_type": se_type,
    }
    return AggregateResult(
        kind=kind,
        overall_att=float(overall),
        overall_se=overall_se,
        table=table,
        options=opts,
        psi=psi_k,
        overall_psi=overall_inf,
        cluster=panel.cluster,
        n_clusters=panel.n_clusters,
        crit=crit,
    )
