"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens and Wager 2021).

For a block of ``N1`` treated units observed ``T0`` periods before and ``T1``
after treatment, and ``N0`` controls, SDID reweights the controls (unit
weights ``omega``) so that their pre-treatment path parallels the treated
units', and the pre-treatment periods (time weights ``lambda``) so that they
predict the controls' post-treatment level, then takes the weighted
double difference::

    tau = (Ybar_tr,post - sum_t lambda_t Ybar_tr,t) - (sum_i omega_i Ybar_i,post
          - sum_i sum_t omega_i lambda_t Y_it)

Both sets of weights solve ridge-penalised simplex least squares with an
intercept, by Frank–Wolfe as R ``synthdid`` (version 0.0.9) does, with the
paper's regularisation: ``zeta_omega = (N1 T1)^(1/4) * sigma`` and
``zeta_lambda = 1e-6 * sigma``, ``sigma`` the standard deviation of the
controls' first differences before treatment; 100 iterations, then the
weights at or below a quarter of the largest are set to zero
("sparsification"), then iterations until the objective decreases by less
than ``(1e-5 sigma)^2`` (at most 10,000).

Staggered adoption (``group`` = first treated period, 0 never treated, as in
:func:`~impact.estimate.att_gt`) is handled cohort by cohort, each cohort
against the never-treated units over all periods (pre-periods ``t < g``),
and the cohort effects are averaged with weights proportional to their
numbers of treated unit-periods (``N_g * T_post,g``), as Stata ``sdid`` and
diff-diff do (Clarke, Pailañir, Athey and Imbens 2023).

Standard errors follow R ``synthdid::vcov``: ``"placebo"`` (controls
reassigned as treated, weights re-estimated; the paper's Algorithm 4, the
only option with a single treated unit), ``"bootstrap"`` (units resampled,
weights re-estimated from warm starts; Algorithm 2) and ``"jackknife"`` (one
unit left out with fixed weights; Algorithm 3). With several cohorts the
placebo keeps the number of units of each cohort and the bootstrap and the
jackknife recompute the aggregate from the cohorts present.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact._options import check_options
from impact._warnings import warn as _warn
from impact.errors import InputError
from impact.estimate.protocol import ResultBase, normal_pvalue, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
from impact.estimate._validate import (
    balanced_wide,
)

__all__ = ["SDIDResult", "synthetic_did"]

logger = logging.getLogger(__name__)

SE_METHODS = ("placebo", "bootstrap", "jackknife")


# --------------------------------------------------------------------------- weights
def _fw(
    Y: np.ndarray,
    zeta: float,
    init: np.ndarray | None,
    min_decrease: float,
    max_iter: int,
    intercept: bool = True,
) -> np.ndarray:
    """Frank–Wolfe for ``min_x zeta^2 |x|^2 + |A x - b|^2 / N`` on the simplex (R ``sc.weight.fw``).

    ``Y`` is ``N × (k + 1)``: the first ``k`` columns are the predictors ``A``,
    the last the target ``b``; with ``intercept`` the columns are centred.

    Same iterates and stopping rule as R, computed differently: a step moves
    ``x`` towards one vertex ``e_i``, so with the Gram matrix ``A'A`` every
    quantity R recomputes in O(N k) — the gradient ``A'A x - A'b + eta x``,
    ``|A e_i - A x|^2``, the objective — is updated in O(k) or O(1)
    (``x'A'Ax``, ``x'x``, ``x'A'b`` are scalars). The loop runs up to 10,000
    times per weight vector, and placebo or bootstrap standard errors refit
    hundreds of times, so the per-iteration cost is what matters.
    """
    if intercept:
        Y = Y - Y.mean(axis=0)
    N, k1 = Y.shape
    k = k1 - 1
    A, b = Y[:, :k], Y[:, k]
    x = np.full(k, 1.0 / k) if init is None else np.array(init, dtype=float)
    eta = N * zeta**2
    z2 = zeta**2
    gram = A.T @ A
    gdiag = np.diag(gram).copy()
    atb = A.T @ b
    bb = float(b @ b)
    g = gram @ x  # A'A x
    xx, xg, xatb = float(x @ x), float(x @ g), float(x @ atb)
    val = np.inf
    thr = min_decrease**2
    for t in range(max_iter):
        half_grad = g - atb + eta * x
        i = int(np.argmin(half_grad))
        xi, gi = float(x[i]), float(g[i])
        if xi == 1.0 and xx == 1.0:
            break  # already at the vertex: R's `all(d.x == 0)`
        # dx = e_i - x: half_grad . dx, |A dx|^2 and |dx|^2 from scalars.
        hg_dx = float(half_grad[i]) - (xg - xatb + eta * xx)
        derr2 = gdiag[i] - 2.0 * gi + xg
        dx2 = xx - 2.0 * xi + 1.0
        denom = derr2 + eta * dx2
        step = -hg_dx / denom if denom > 0 else 0.0
        step = 1.0 if step > 1.0 else (0.0 if step < 0.0 else step)
        keep = 1.0 - step
        x *= keep
        x[i] += step
        g *= keep
        g += step * gram[i]
        xx = keep * keep * xx + 2.0 * step * keep * xi + step * step
        xg = keep * keep * xg + 2.0 * step * keep * gi + step * step * gdiag[i]
        xatb = keep * xatb + step * float(atb[i])
        prev, val = val, z2 * xx + (xg - 2.0 * xatb + bb) / N
        # R: continue while t < 2 or vals[t-1] - vals[t] > min.decrease^2.
        if t >= 1 and not prev - val > thr:
            break
    return x


def _sparsify(v: np.ndarray) -> np.ndarray:
    v = np.where(v <= v.max() / 4, 0.0, v)
    return v / v.sum()


def _sum_normalize(v: np.ndarray) -> np.ndarray:
    s = v.sum()
    return v / s if s != 0 else np.full(len(v), 1.0 / len(v))


def _noise_level(Y: np.ndarray, N0: int, T0: int) -> float:
    """Standard deviation of the controls' first differences before treatment (R ``synthdid``)."""
    if T0 < 2:
        return 0.0
    return float(np.std(np.diff(Y[:N0, :T0], axis=1), ddof=1))


@dataclass
class _Fit:
    tau: float
    omega: np.ndarray
    lam: np.ndarray
    zeta_omega: float
    zeta_lambda: float
    min_decrease: float


def _weights(
    Y: np.ndarray,
    N0: int,
    T0: int,
    zeta_omega: float,
    zeta_lambda: float,
    min_decrease: float,
    max_iter: int,
    omega0: np.ndarray | None = None,
    lambda0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    # "Collapsed form": controls and the treated mean, pre-periods and the post mean.
    pre_c = Y[:N0, :T0]
    post_c = Y[:N0, T0:].mean(axis=1)
    tr_pre = Y[N0:, :T0].mean(axis=0)
    yl = np.column_stack([pre_c, post_c])  # N0 × (T0 + 1): time weights
    yo = np.column_stack([pre_c.T, tr_pre])  # T0 × (N0 + 1): unit weights
    lam = _fw(yl, zeta_lambda, lambda0, min_decrease, 100)
    lam = _fw(yl, zeta_lambda, _sparsify(lam), min_decrease, max_iter)
    om = _fw(yo, zeta_omega, omega0, min_decrease, 100)
    om = _fw(yo, zeta_omega, _sparsify(om), min_decrease, max_iter)
    return om, lam


def _tau(Y: np.ndarray, N0: int, T0: int, omega: np.ndarray, lam: np.ndarray) -> float:
    N1 = Y.shape[0] - N0
    T1 = Y.shape[1] - T0
    row = np.r_[-omega, np.full(N1, 1.0 / N1)]
    col = np.r_[-lam, np.full(T1, 1.0 / T1)]
    return float(row @ Y @ col)


def _sdid(
    Y: np.ndarray,
    N0: int,
    T0: int,
    *,
    zeta_omega: float | None = None,
    zeta_lambda: float | None = None,
    min_decrease: float | None = None,
    max_iter: int = 10_000,
    omega0: np.ndarray | None = None,
    lambda0: np.ndarray | None = None,
) -> _Fit:
    """One SDID estimate on ``Y`` (controls first, then treated; pre-periods first)."""
    N1, T1 = Y.shape[0] - N0, Y.shape[1] - T0
    sigma = _noise_level(Y, N0, T0)
    if zeta_omega is None:
        zeta_omega = (N1 * T1) ** 0.25 * sigma
    if zeta_lambda is None:
        zeta_lambda = 1e-6 * sigma
    if min_decrease is None:
        min_decrease = 1e-5 * sigma
    om, lam = _weights(Y, N0, T0, zeta_omega, zeta_lambda, min_decrease, max_iter, omega0, lambda0)
    return _Fit(_tau(Y, N0, T0, om, lam), om, lam, zeta_omega, zeta_lambda, min_decrease)


# --------------------------------------------------------------------------- result
@dataclass(repr=False)
class SDIDResult(ResultBase):
    """Synthetic difference-in-differences estimate.

    :meth:`tidy` gives the aggregate ``ATT`` then one row ``"g=2013"`` per
    cohort, with normal CIs and p-values from the chosen standard errors
    (``NaN`` with ``se_method=None``); :meth:`vcov` has their variances on
    the diagonal and ``NaN`` elsewhere (the replicates are kept for the
    aggregate only).

    Attributes
    ----------
    overall_att, overall_se
        Average effect on the treated unit-periods and its standard error.
    table
        One row per cohort: ``group, att, se, n_treated, n_post, weight``
        (``weight``: share of treated unit-periods in the aggregate).
    unit_weights
        ``group, unit, omega``: unit weights of the controls in each cohort.
    time_weights
        ``group, time, lambda``: time weights of the pre-periods of each cohort.
    replicates
        Placebo / bootstrap / jackknife estimates of the aggregate (empty
        without a standard error).
    options
        Options used (outcome, columns, se_method, replications, zetas, …).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> res = synthetic_did(example_panel(), outcome="outcome", unit="territory_code",
    ...                     time="year", group="first_treated", se_method="jackknife")
    >>> res.tidy().round(3)
         term  estimate     se  ci_low  ci_high  pvalue
    0     ATT     1.958  0.115   1.733    2.183     0.0
    1  g=2013     1.920  0.137   1.652    2.189     0.0
    2  g=2015     2.022  0.187   1.656    2.388     0.0
    """

    overall_att: float
    overall_se: float
    table: pd.DataFrame
    unit_weights: pd.DataFrame
    time_weights: pd.DataFrame
    replicates: np.ndarray = field(repr=False)
    options: dict[str, Any] = field(repr=False)
    trajectories: dict[float, pd.DataFrame] = field(repr=False, default_factory=dict)

    @property
    def ci(self) -> tuple[float, float]:
        """Normal confidence interval at level ``1 - alpha``."""
        z = stats.norm.ppf(1 - self.options["alpha"] / 2)
        return self.overall_att - z * self.overall_se, self.overall_att + z * self.overall_se

    def tidy(self) -> pd.DataFrame:
        """The aggregate ``ATT`` then ``g=…`` per cohort; normal CIs and p-values."""
        lo, hi = self.ci
        head = tidy_frame("ATT", self.overall_att, self.overall_se, lo, hi,
                          normal_pvalue(self.overall_att, self.overall_se))
        t = self.table
        z = stats.norm.ppf(1 - self.options["alpha"] / 2)
        rows = tidy_frame([f"g={g:g}" for g in t["group"]], t["att"], t["se"],
                          t["att"] - z * t["se"], t["att"] + z * t["se"],
                          normal_pvalue(t["att"], t["se"]))
        return pd.concat([head, rows], ignore_index=True)

    def _n(self) -> int:
        return int(self.unit_weights["unit"].nunique() + self.table["n_treated"].sum())

    def summary(self) -> str:
        """Plain-text report: aggregate ATT with its CI, then the cohort table."""
        lo, hi = self.ci
        head = (
            f"Synthetic DiD: ATT = {self.overall_att:.4f} (SE {self.overall_se:.4f}, "
            f"{self.options['se_method']}), {int(100 * (1 - self.options['alpha']))}% CI "
            f"[{lo:.4f}, {hi:.4f}]"
        )
        return head + "\n" + self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}")

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Treated mean against its synthetic control, with the time weights (French labels).

        Keywords: ``group`` selects a cohort (default: the largest), ``title``,
        ``ylabel``. The synthetic control is the omega-weighted mean of the
        controls shifted by the weighted pre-treatment gap, so that the two
        lines coincide on average (time-weighted) before treatment, as R
        ``synthdid_plot``. Returns the Axes.
        """
        return _sdid_plot(self, ax=ax, **kwargs)


def _sdid_plot(res: SDIDResult, *, ax: Axes | None = None, group: float | None = None,
               title: str | None = None, ylabel: str | None = None) -> Axes:
    from impact.estimate.plots import _axes

    if group is None:
        group = float(res.table.sort_values("n_treated").iloc[-1]["group"])
    if group not in res.trajectories:
        raise InputError(f"no cohort {group!r}; cohorts are {sorted(res.trajectories)}")
    tr = res.trajectories[group]
    fig, ax = _axes(ax, (8, 4.5))
    ax.plot(tr["time"], tr["treated"], color="#1f4e79", lw=2, label="Unités traitées")
    ax.plot(tr["time"], tr["synthetic"], color="#7f7f7f", lw=2, ls="--",
            label="Contrôle synthétique (décalé)")
    ax.axvline(group - 0.5, color="black", lw=0.8, ls=":")
    lam = tr["lambda"].to_numpy()
    if lam.max() > 0:
        lo, hi = ax.get_ylim()
        ax.bar(tr["time"], lam / lam.max() * 0.15 * (hi - lo), bottom=lo, width=0.8,
               color="#c55a11", alpha=0.5, label="Poids temporels (échelle relative)")
        ax.set_ylim(lo, hi)
    row = res.table.loc[res.table["group"] == group].iloc[0]
    ax.set_title(title or f"Différence de différences synthétique — cohorte {group:g} : "
                 f"effet estimé {row['att']:.3g}")
    ax.set_xlabel("Période")
    # A report passes the indicator's French label; the column name is the fallback.
    ax.set_ylabel(ylabel or res.options["outcome"])
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return ax


# --------------------------------------------------------------------------- estimator
def _aggregate(taus: dict[float, float], sizes: dict[float, float]) -> float:
    keys = [g for g in taus if np.isfinite(taus[g])]
    if not keys:
        return np.nan
    w = np.array([sizes[g] for g in keys], dtype=float)
    return float(np.dot(w / w.sum(), [taus[g] for g in keys]))


@check_options
def synthetic_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    group: str,
    se_method: Literal["placebo", "bootstrap", "jackknife"] | None = "placebo",
    replications: int = 200,
    alpha: float = 0.05,
    seed: int | None = None,
    zeta_omega: float | None = None,
    zeta_lambda: float | None = None,
    max_iter: int = 10_000,
) -> SDIDResult:
    """Synthetic difference-in-differences, by cohort and aggregated.

    Parameters
    ----------
    data
        Balanced long panel: one row per unit and period.
    outcome, unit, time
        Column names; ``time`` numeric (years or integer-coded periods).
    group
        First treated period of each unit (0 or missing: never treated), as in
        :func:`~impact.estimate.att_gt`. Units first treated after the last
        period count as never treated.
    se_method
        ``"placebo"`` (default, R's placebo, works with one treated unit),
        ``"bootstrap"``, ``"jackknife"`` or ``None`` (no standard error).
    replications
        Placebo or bootstrap replications (R's default 200).
    alpha
        Level of the confidence interval.
    seed
        Seed of the placebo / bootstrap draws.
    zeta_omega, zeta_lambda
        Override the regularisation (default: the paper's, per cohort).
    max_iter
        Maximum Frank–Wolfe iterations after sparsification.

    Returns
    -------
    SDIDResult

    Raises
    ------
    InputError
        Missing columns, non-numeric periods, an unbalanced panel or missing
        outcomes, a group that varies within a unit, no never-treated unit,
        no cohort with a pre-period, too few controls for the placebo.

    Examples
    --------
    On the example panel (true effect 2.0 in every treated year; as many
    treated as never-treated territories, so the placebo SE is not available):

    >>> from impact.datasets import example_panel
    >>> res = synthetic_did(example_panel(), outcome="outcome", unit="territory_code",
    ...                     time="year", group="first_treated", se_method="jackknife")
    >>> round(res.overall_att, 2), round(res.overall_se, 2)
    (1.96, 0.11)
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if se_method in ("placebo", "bootstrap") and (
        not isinstance(replications, (int, np.integer)) or replications < 2
    ):
        raise InputError(f"replications must be a whole number >= 2, not {replications!r}")
    wide, periods, G = balanced_wide(data, outcome=outcome, unit=unit, time=time, group=group)
    Yall = wide.to_numpy(dtype=float)
    never = np.flatnonzero(G == 0)
    if len(never) == 0:
        raise InputError(
            "no never-treated unit: synthetic DiD compares each cohort with never-treated units",
            column=group,
        )
    cohorts = sorted(set(G[G > 0]))
    usable = []
    for g in cohorts:
        T0 = int((periods < g).sum())
        if T0 < 2:
            _warn(
                f"cohort {g:g} has fewer than two pre-treatment periods and is left out")
            continue
        usable.append((g, T0))
    if not usable:
        raise InputError("no treated cohort with at least two pre-treatment periods", column=group)

    fits: dict[float, _Fit] = {}
    sizes: dict[float, float] = {}
    members: dict[float, np.ndarray] = {}
    rows, uw, tw = [], [], []
    trajectories = {}
    for g, T0 in usable:
        tr = np.flatnonzero(G == g)
        Y = Yall[np.r_[never, tr]]
        f = _sdid(Y, len(never), T0, zeta_omega=zeta_omega, zeta_lambda=zeta_lambda,
                  max_iter=max_iter)
        fits[g], members[g] = f, tr
        n_post = len(periods) - T0
        sizes[g] = len(tr) * n_post
        rows.append(dict(group=g, att=f.tau, n_treated=len(tr), n_post=n_post))
        uw.append(pd.DataFrame({"group": g, "unit": wide.index[never], "omega": f.omega}))
        tw.append(pd.DataFrame({"group": g, "time": periods[:T0], "lambda": f.lam}))
        treated_path = Y[len(never):].mean(axis=0)
        synth = f.omega @ Y[: len(never)]
        shift = f.lam @ (treated_path[:T0] - synth[:T0])
        trajectories[g] = pd.DataFrame({
            "time": periods, "treated": treated_path, "synthetic": synth + shift,
            "lambda": np.r_[f.lam, np.zeros(n_post)],
        })
    table = pd.DataFrame(rows)
    total = sum(sizes.values())
    table["weight"] = [sizes[g] / total for g in table["group"]]
    overall = _aggregate({g: fits[g].tau for g in fits}, sizes)

    rng = np.random.default_rng(seed)
    reps = np.array([])
    cohort_reps: dict[float, list[float]] = {g: [] for g in fits}
    if se_method == "placebo":
        n_treated = sum(len(members[g]) for g in fits)
        if len(never) <= n_treated:
            raise InputError(
                f"the placebo needs more never-treated units ({len(never)}) than treated units "
                f"({n_treated}): use se_method='bootstrap' or 'jackknife'",
                column=group,
            )
        out = []
        for _ in range(replications):
            perm = rng.permutation(len(never))
            taus: dict[float, float] = {}
            start = len(never) - n_treated
            ctrl = perm[:start]
            for g, T0 in usable:
                k = len(members[g])
                fake = perm[start : start + k]
                start += k
                f0 = fits[g]
                Y = Yall[np.r_[never[ctrl], never[fake]]]
                taus[g] = _sdid(Y, len(ctrl), T0, zeta_omega=f0.zeta_omega,
                                zeta_lambda=f0.zeta_lambda, min_decrease=f0.min_decrease,
                                max_iter=max_iter, omega0=_sum_normalize(f0.omega[ctrl]),
                                lambda0=f0.lam).tau
                cohort_reps[g].append(taus[g])
            out.append(_aggregate(taus, sizes))
        reps = np.array(out)
        se = float(np.sqrt((replications - 1) / replications) * np.std(reps, ddof=1))
        cse = {g: float(np.sqrt((replications - 1) / replications) * np.std(v, ddof=1))
               for g, v in cohort_reps.items()}
    elif se_method == "bootstrap":
        units = np.r_[never, *[members[g] for g in fits]]
        out = []
        while len(out) < replications:
            draw = np.sort(rng.choice(units, size=len(units), replace=True))
            ctrl_pos = np.flatnonzero(G[draw] == 0)
            if len(ctrl_pos) == 0 or len(ctrl_pos) == len(draw):
                continue  # R draws again when only controls or only treated are sampled
            ctrl = draw[ctrl_pos]
            # Warm start: the original unit weights of the sampled controls.
            pos_in_never = np.searchsorted(never, ctrl)
            taus = {}
            bsizes: dict[float, float] = {}
            for g, T0 in usable:
                tr = draw[G[draw] == g]
                if len(tr) == 0:
                    continue
                f0 = fits[g]
                Y = Yall[np.r_[ctrl, tr]]
                taus[g] = _sdid(Y, len(ctrl), T0, zeta_omega=f0.zeta_omega,
                                zeta_lambda=f0.zeta_lambda, min_decrease=f0.min_decrease,
                                max_iter=max_iter,
                                omega0=_sum_normalize(f0.omega[pos_in_never]),
                                lambda0=f0.lam).tau
                bsizes[g] = len(tr) * (len(periods) - T0)
                cohort_reps[g].append(taus[g])
            out.append(_aggregate(taus, bsizes))
        reps = np.array(out)
        se = float(np.sqrt((replications - 1) / replications) * np.std(reps, ddof=1))
        cse = {g: float(np.sqrt((len(v) - 1) / len(v)) * np.std(v, ddof=1)) if len(v) > 1
               else np.nan for g, v in cohort_reps.items()}
    elif se_method == "jackknife":
        se, cse, reps = _jackknife(Yall, G, never, members, usable, fits, sizes, periods)
    else:
        se, cse = np.nan, {g: np.nan for g in fits}
    table["se"] = [cse[g] for g in table["group"]]
    table = table[["group", "att", "se", "n_treated", "n_post", "weight"]]
    if np.all(np.mod(table["group"], 1) == 0):
        table["group"] = table["group"].astype(int)
    options = dict(
        outcome=outcome, unit=unit, time=time, group=group, se_method=se_method,
        replications=replications if se_method in ("placebo", "bootstrap") else None,
        alpha=alpha, seed=seed, n_never_treated=len(never),
        zeta_omega={g: f.zeta_omega for g, f in fits.items()},
        zeta_lambda={g: f.zeta_lambda for g, f in fits.items()},
    )
    return SDIDResult(
        overall_att=overall, overall_se=se, table=table,
        unit_weights=pd.concat(uw, ignore_index=True),
        time_weights=pd.concat(tw, ignore_index=True),
        replicates=reps, options=options, trajectories=trajectories,
    )


def _jackknife(Yall, G, never, members, usable, fits, sizes, periods):
    """Leave-one-unit-out with fixed weights (R ``jackknife_se``)."""
    if any(len(members[g]) < 2 for g, _ in usable):
        _warn(
            "the jackknife needs at least two treated units in every cohort (R synthdid returns "
            "NA): standard error not computed; use se_method='placebo'")
        return np.nan, {g: np.nan for g, _ in usable}, np.array([])
    if any(np.count_nonzero(fits[g].omega) == 1 for g, _ in usable):
        _warn(
            "a single control has a non-zero unit weight: the jackknife is undefined (R "
            "synthdid returns NA)")
        return np.nan, {g: np.nan for g, _ in usable}, np.array([])
    units = np.r_[never, *[members[g] for g, _ in usable]]
    out = []
    per_cohort: dict[float, list[float]] = {g: [] for g, _ in usable}
    for leave in units:
        keep_never = never != leave
        ctrl = never[keep_never]
        taus, jsizes = {}, {}
        for g, T0 in usable:
            tr = members[g][members[g] != leave]
            jsizes[g] = sizes[g] / len(members[g]) * len(tr)
            f0 = fits[g]
            om = _sum_normalize(f0.omega[keep_never])
            taus[g] = _tau(Yall[np.r_[ctrl, tr]], len(ctrl), T0, om, f0.lam)
            per_cohort[g].append(taus[g]) if G[leave] in (0, g) else None
        out.append(_aggregate(taus, jsizes))
    u = np.array(out)
    n = len(u)
    se = float(np.sqrt((n - 1) / n * np.sum((u - u.mean()) ** 2)))
    cse = {}
    for g, vals in per_cohort.items():
        v = np.array(vals)
        m = len(v)
        cse[g] = float(np.sqrt((m - 1) / m * np.sum((v - v.mean()) ** 2)))
    return se, cse, u
