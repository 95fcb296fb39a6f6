"""Why TWFE is not enough: Goodman-Bacon decomposition and de Chaisemartin–D'Haultfœuille weights.

With staggered adoption of an absorbing binary treatment on a balanced panel,
the two-way fixed-effects coefficient of ``y_it = a_i + l_t + b D_it`` is

* a weighted average of every 2×2 difference-in-differences between timing
  groups (Goodman-Bacon 2021, Theorem 1): treated vs never treated, early vs
  later treated (the later ones, not yet treated, as controls) and later vs
  early treated (the early ones, *already treated*, as controls — the
  "forbidden" comparisons, biased when effects change over time). The weights
  are positive, sum to one and depend only on group sizes and timing;
* a weighted sum of the treated unit-periods' effects ``b = sum W_it Delta_it``
  (de Chaisemartin and D'Haultfœuille 2020, Theorem 1) with
  ``W_it = e_it / sum_{D=1} e_js``, ``e`` the residual of ``D`` on unit and
  period fixed effects. Some ``W_it`` are negative when late periods of early
  cohorts get a residual below zero: the TWFE coefficient can then have the
  opposite sign of every unit-period effect.

:func:`bacon_decomposition` gives both, with a plot (estimate against weight
by type of comparison) for reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.estimate._validate import (
    balanced_wide,
)
from impact.estimate.protocol import ResultBase, tidy_frame

__all__ = ["BaconResult", "bacon_decomposition", "bacon_plot", "twfe_weights"]

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

TYPE_LABELS = {
    "treated_vs_never": "Traités vs jamais traités",
    "early_vs_late": "Précoces vs tardifs (pas encore traités)",
    "late_vs_early": "Tardifs vs précoces (déjà traités)",
    "treated_vs_always": "Traités vs toujours traités",
}


def _wide(data, outcome, unit, time, group):
    wide, periods, G = balanced_wide(data, outcome=outcome, unit=unit, time=time, group=group)
    return wide.to_numpy(dtype=float), periods, G


def _double_demean(m: np.ndarray) -> np.ndarray:
    return m - m.mean(axis=1, keepdims=True) - m.mean(axis=0, keepdims=True) + m.mean()


@dataclass(repr=False)
class BaconResult(ResultBase):
    """Goodman-Bacon decomposition and de Chaisemartin–D'Haultfœuille weights.

    :meth:`tidy` gives the ``TWFE`` coefficient then one row per type of
    2×2 comparison (term ``"treated_vs_never"``, ``"early_vs_late"``…: the
    weighted average of its estimates). A decomposition has no standard
    errors: ``se``, CIs and p-values are ``NaN``.

    Attributes
    ----------
    twfe
        TWFE coefficient (within estimator on the balanced panel).
    table
        One row per 2×2 comparison: ``type, treated, control, estimate,
        weight`` (``treated``/``control``: first treated period of the two
        timing groups, 0 never treated, ``-inf`` for always treated).
    by_type
        Weight and weighted average estimate per type of comparison.
    cell_weights
        de Chaisemartin–D'Haultfœuille weights of the treated (cohort,
        period) cells: ``group, time, n_units, weight`` (weight of the cell,
        i.e. summed over its unit-periods; they sum to one).
    n_negative, negative_share
        Number of treated unit-periods with a negative weight and the sum of
        the negative weights (in absolute value).
    sigma_fe
        Smallest standard deviation of the unit-period effects compatible
        with a TWFE coefficient of the opposite sign to the average effect
        (de Chaisemartin–D'Haultfœuille's robustness measure ``|b| / sd(W)``).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> bd = bacon_decomposition(example_panel(), outcome="outcome", unit="territory_code",
    ...                          time="year", group="first_treated")
    >>> bd.tidy().round(3)
                   term  estimate  se  ci_low  ci_high  pvalue
    0              TWFE     1.866 NaN     NaN      NaN     NaN
    1     early_vs_late     1.665 NaN     NaN      NaN     NaN
    2     late_vs_early     1.546 NaN     NaN      NaN     NaN
    3  treated_vs_never     1.918 NaN     NaN      NaN     NaN
    """

    twfe: float
    table: pd.DataFrame
    by_type: pd.DataFrame
    cell_weights: pd.DataFrame
    n_negative: int
    negative_share: float
    sigma_fe: float
    options: dict[str, Any] = field(repr=False, default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """``TWFE`` then the weighted average estimate of each type of comparison."""
        b = self.by_type
        head = tidy_frame("TWFE", self.twfe)
        return pd.concat([head, tidy_frame(b["type"].tolist(), b["estimate"])],
                         ignore_index=True)

    def _n(self) -> int:
        return int(self.options["n_units"])

    def summary(self) -> str:
        """Plain-text report: the comparisons by type and the negative weights."""
        by = self.by_type.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return (
            f"TWFE coefficient {self.twfe:.4f} = sum of {len(self.table)} 2x2 comparisons:\n{by}\n"
            f"de Chaisemartin-D'Haultfoeuille: {self.n_negative} treated unit-periods with a "
            f"negative weight (sum {self.negative_share:.3f}); sigma_fe = {self.sigma_fe:.4f}"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Estimate against weight of every 2×2 comparison (see :func:`bacon_plot`); the Axes."""
        from impact.estimate.plots import _axes

        _, ax = _axes(ax, (8, 4.5))
        bacon_plot(self, ax=ax, **kwargs)
        return ax


def bacon_decomposition(
    data: pd.DataFrame, *, outcome: str, unit: str, time: str, group: str
) -> BaconResult:
    """Decompose the TWFE coefficient of a staggered binary treatment.

    Parameters
    ----------
    data
        Balanced long panel.
    outcome, unit, time
        Column names (``time`` numeric).
    group
        First treated period (0 or missing: never treated), as in
        :func:`~impact.estimate.att_gt`; the treatment is ``D_it = 1{t >= g_i}``.
        Units treated in or before the first period form the "always
        treated" group; units treated after the last period are never treated.

    Returns
    -------
    BaconResult

    Raises
    ------
    InputError
        Unbalanced panel, missing columns, non-numeric periods, a group
        varying within a unit, or no variation in the treatment.

    Notes
    -----
    For timing groups ``k`` (earlier) and ``l`` (later or never), with
    ``n`` group shares, ``n_kl = n_k / (n_k + n_l)`` and ``D_k`` the share of
    periods group ``k`` is treated, the unnormalised weights of Goodman-Bacon
    (2021, eq. 10) are::

        early vs late: ((n_k + n_l)(1 - D_l))^2 n_kl (1 - n_kl)
                       (D_k - D_l)/(1 - D_l) (1 - D_k)/(1 - D_l)
        late vs early: ((n_k + n_l) D_k)^2 n_kl (1 - n_kl) D_l/D_k (D_k - D_l)/D_k

    (treated vs never is "early vs late" with ``D_l = 0``), divided by the
    variance of the double-demeaned treatment. Their sum is one and the
    weighted sum of the 2×2 estimates is the TWFE coefficient, up to
    rounding; both are checked and a discrepancy above 1e-8 is logged.

    Examples
    --------
    With the same effect (2.0) in every cohort and year, no treated
    unit-period gets a negative weight and the coefficient is the weighted
    sum of the 2×2 comparisons:

    >>> from impact.datasets import example_panel
    >>> bd = bacon_decomposition(example_panel(), outcome="outcome", unit="territory_code",
    ...                          time="year", group="first_treated")
    >>> round(bd.twfe, 3), bd.n_negative
    (1.866, 0)
    >>> round(float(bd.table["estimate"] @ bd.table["weight"]), 3)
    1.866
    """
    Y, periods, G = _wide(data, outcome, unit, time, group)
    n, T = Y.shape
    D = (G[:, None] > 0) & (periods[None, :] >= G[:, None])
    always_mask = (G > 0) & (G <= periods[0])
    G = np.where(always_mask, -np.inf, G)
    D = D | always_mask[:, None]
    Dd = _double_demean(D.astype(float))
    vd = float((Dd**2).mean())
    if vd <= 0:
        raise InputError("the treatment does not vary across units and periods", column=group)
    twfe = float((Dd * Y).sum() / (Dd**2).sum())

    groups = np.unique(G)
    share = {g: float(np.mean(G == g)) for g in groups}
    dbar = {g: float(D[G == g].mean()) for g in groups}
    ybar = {g: Y[G == g].mean(axis=0) for g in groups}
    rows = []

    def did(tr, ct, pre, post):
        return float((ybar[tr][post].mean() - ybar[tr][pre].mean())
                     - (ybar[ct][post].mean() - ybar[ct][pre].mean()))

    # Pairs (k, l) with k treated earlier than l (l may be never treated).
    order = sorted(groups, key=lambda g: -dbar[g])
    for a, k in enumerate(order):
        for l in order[a + 1 :]:  # noqa: E741 - the paper's notation (k, l)
            dk, dl = dbar[k], dbar[l]
            if dk <= dl:
                continue
            nk, nl = share[k], share[l]
            nkl = nk / (nk + nl)
            core = nkl * (1 - nkl)
            tk = periods[0] if np.isinf(k) else k
            # k treated, l (not yet or never treated) as control; window before l.
            if dl < 1 and dk < 1:
                w = ((nk + nl) * (1 - dl)) ** 2 * core * (dk - dl) / (1 - dl) * (1 - dk) / (1 - dl)
                end = periods < l if l > 0 else np.ones(T, bool)
                pre, post = periods < tk, (periods >= tk) & end
                typ = "treated_vs_never" if l == 0 else "early_vs_late"
                rows.append(dict(type=typ, treated=k, control=l, estimate=did(k, l, pre, post),
                                 weight=w / vd))
            # l treated, k (already treated) as control; window from k's treatment on.
            if dl > 0:
                w = ((nk + nl) * dk) ** 2 * core * (dl / dk) * (dk - dl) / dk
                pre, post = (periods >= tk) & (periods < l), periods >= l
                typ = "treated_vs_always" if np.isinf(k) else "late_vs_early"
                rows.append(dict(type=typ, treated=l, control=k, estimate=did(l, k, pre, post),
                                 weight=w / vd))
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    total_w = float(table["weight"].sum())
    recon = float(table["estimate"] @ table["weight"])
    if abs(total_w - 1) > 1e-8 or abs(recon - twfe) > 1e-8 * max(1.0, abs(twfe)):
        logger.warning(
            "Goodman-Bacon weights sum to %.10f and reproduce %.10f for a TWFE coefficient of "
            "%.10f", total_w, recon, twfe,
        )
    by_type = (
        table.assign(wx=table["estimate"] * table["weight"])
        .groupby("type", sort=False)
        .agg(weight=("weight", "sum"), wx=("wx", "sum"), n_comparisons=("weight", "size"))
        .reset_index()
    )
    by_type["estimate"] = by_type["wx"] / by_type["weight"]
    by_type = by_type[["type", "n_comparisons", "weight", "estimate"]]

    cells, n_neg, neg_share, sigma_fe = twfe_weights(D, G, periods, twfe)
    return BaconResult(
        twfe=twfe, table=table, by_type=by_type, cell_weights=cells, n_negative=n_neg,
        negative_share=neg_share, sigma_fe=sigma_fe,
        options=dict(outcome=outcome, unit=unit, time=time, group=group, n_units=n,
                     n_periods=T, n_always_treated=int(always_mask.sum())),
    )


def twfe_weights(
    D: np.ndarray, G: np.ndarray, periods: np.ndarray, beta: float
) -> tuple[pd.DataFrame, int, float, float]:
    """de Chaisemartin–D'Haultfœuille weights of the treated unit-periods.

    ``D`` is the ``n × T`` treatment matrix of a balanced panel. Returns the
    weights summed by (cohort, period) cell, the number of treated
    unit-periods with a negative weight, the sum of the negative weights in
    absolute value and ``sigma_fe = |beta| / sd(W)`` (standard deviation
    over treated unit-periods, weighted by their number, as the paper).

    Examples
    --------
    Two units over three periods, one treated from the second period: a
    single treated cohort gets no negative weight.

    >>> D = np.array([[0, 1, 1], [0, 0, 0]])
    >>> cells, n_neg, neg_share, sigma_fe = twfe_weights(
    ...     D, np.array([2.0, 0.0]), np.array([1.0, 2.0, 3.0]), beta=1.0)
    >>> cells
       group  time  n_units  weight
    0    2.0   2.0        1     0.5
    1    2.0   3.0        1     0.5
    >>> n_neg
    0
    """
    eps = _double_demean(D.astype(float))  # residual of D on unit and period effects
    treated = D.astype(bool)
    W = np.where(treated, eps, 0.0) / eps[treated].sum()
    wt = W[treated]
    n1 = treated.sum()
    n_neg = int((wt < -1e-12).sum())
    neg_share = float(-wt[wt < -1e-12].sum()) + 0.0  # + 0.0: no "-0.0" when none
    # The paper's weights w = N1 * W have mean one over the treated unit-periods;
    # sd(w) = sqrt(mean((w - 1)^2)).
    sd = float(np.sqrt(np.mean((n1 * wt - 1.0) ** 2)))
    sigma_fe = abs(beta) / sd if sd > 0 else np.inf
    gi, ti = np.nonzero(treated)
    cells = (
        pd.DataFrame({"group": G[gi], "time": periods[ti], "w": W[gi, ti]})
        .groupby(["group", "time"], as_index=False)
        .agg(n_units=("w", "size"), weight=("w", "sum"))
    )
    return cells, n_neg, neg_share, sigma_fe


def bacon_plot(result: BaconResult, *, ax: Axes | None = None,
               title: str | None = None) -> Figure:
    """Scatter of the 2×2 estimates against their weights, by type, with the TWFE line.

    French labels, for reports. Returns the Figure.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> bd = bacon_decomposition(example_panel(), outcome="outcome", unit="territory_code",
    ...                          time="year", group="first_treated")
    >>> fig = bacon_plot(bd)
    >>> fig.axes[0].get_xlabel()
    'Poids dans le coefficient TWFE'
    """
    from impact.estimate.plots import _axes

    fig, ax = _axes(ax, (8, 4.5))
    markers = {"treated_vs_never": "o", "early_vs_late": "s", "late_vs_early": "^",
               "treated_vs_always": "D"}
    colours = {"treated_vs_never": "#1f4e79", "early_vs_late": "#2e7d32",
               "late_vs_early": "#c62828", "treated_vs_always": "#7f7f7f"}
    for typ, sub in result.table.groupby("type", sort=False):
        ax.scatter(sub["weight"], sub["estimate"], marker=markers[typ], color=colours[typ],
                   label=f"{TYPE_LABELS[typ]} (poids total {sub['weight'].sum():.0%})")
    ax.axhline(result.twfe, color="black", lw=1, ls="--",
               label=f"Coefficient TWFE = {result.twfe:.3g}")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("Poids dans le coefficient TWFE")
    ax.set_ylabel("Estimation de la comparaison 2×2")
    ax.set_title(title or "Décomposition de Goodman-Bacon du coefficient TWFE")
    note = (f"Poids négatifs (de Chaisemartin–D'Haultfœuille) : {result.n_negative} "
            f"unités-périodes traitées, somme {result.negative_share:.1%}")
    ax.text(0.01, 0.02, note, transform=ax.transAxes, fontsize=8, color="#555555")
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
