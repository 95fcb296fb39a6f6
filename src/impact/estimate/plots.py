"""Report-ready plots: event study with uniform bands, synthetic-control gaps, dose-response.

The functions take result objects of :mod:`impact.estimate` (typed, no
probing) and return the :class:`~matplotlib.figure.Figure`, so a report can
save it directly; each result's ``.plot(ax=...)`` draws with them on an Axes
and returns the Axes (see :mod:`impact.estimate.protocol`). Labels are in
French: the figures go into reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:  # pragma: no cover
    from impact.estimate.dose import DoseResult
    from impact.estimate.honest import HonestResult
    from impact.estimate.inference import WaldTest
    from impact.estimate.protocol import EstimationResult
    from impact.estimate.results import AggregateResult
    from impact.estimate.robustness import LeaveOneOutResult
    from impact.estimate.synth import SynthResult

__all__ = [
    "coef_plot",
    "dose_plot",
    "event_study_plot",
    "gap_plot",
    "leave_one_out_plot",
    "sensitivity_plot",
]

PRE_COLOUR = "#7f7f7f"
POST_COLOUR = "#1f4e79"


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """The Axes to draw on and its (root) Figure, creating both when ``ax`` is None."""
    if ax is None:
        fig, new_ax = plt.subplots(figsize=figsize)
        return fig, new_ax
    parent = ax.figure
    # An Axes may sit in a SubFigure; layout and saving act on the root Figure.
    fig = parent if isinstance(parent, Figure) else parent.figure
    return fig, ax


def coef_plot(result: EstimationResult, *, ax: Axes | None = None, title: str | None = None,
              xlabel: str = "Effet estimé (IC 95 %)") -> Axes:
    """Point estimates of ``result.tidy()`` with their confidence intervals, one line per term.

    The default ``plot()`` of every result: it relies only on the
    :class:`~impact.estimate.protocol.EstimationResult` protocol. Terms
    without an interval are drawn as points. Returns the Axes.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import att_gt
    >>> agg = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
    ...              group="first_treated").aggregate("group")
    >>> ax = coef_plot(agg, title="Effet par cohorte")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['ATT', 'g=2013', 'g=2015']
    """
    tab = result.tidy()
    fig, ax = _axes(ax, (7.0, max(2.5, 0.35 * len(tab) + 1.2)))
    y = np.arange(len(tab))[::-1]
    est = tab["estimate"].to_numpy(float)
    lo = tab["ci_low"].to_numpy(float)
    hi = tab["ci_high"].to_numpy(float)
    has_ci = np.isfinite(lo) & np.isfinite(hi)
    if has_ci.any():
        e, lo_c, hi_c = est[has_ci], lo[has_ci], hi[has_ci]
        ax.errorbar(e, y[has_ci], xerr=[e - lo_c, hi_c - e], fmt="o", color=POST_COLOUR,
                    capsize=3, ms=4, label="Estimation (IC 95 %)")
    if (~has_ci).any():
        ax.plot(est[~has_ci], y[~has_ci], "o", color=PRE_COLOUR, ms=4,
                label="Estimation (sans intervalle)")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, tab["term"].tolist(), fontsize=8)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return ax


def event_study_plot(result: AggregateResult | pd.DataFrame, *, ax: Axes | None = None,
                     title: str | None = None, uniform: bool = True,
                     pretrend: WaldTest | None = None,
                     xlabel: str = "Années depuis la labellisation",
                     ylabel: str = "Effet estimé (ATT)", note: str | None = None) -> Figure:
    """Event-time effects with pointwise intervals and simultaneous bands.

    ``result`` is a dynamic aggregation or a table with ``event_time, att,
    ci_low, ci_high`` (and optionally ``ci_low_uniform, ci_high_uniform``).
    ``pretrend`` (e.g. ``agg.pretrend_test()``, computed by default for a
    dynamic aggregation) is printed on the plot. Returns the Figure.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import att_gt
    >>> dyn = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
    ...              group="first_treated").aggregate("dynamic")
    >>> fig = event_study_plot(dyn, title="Étude d'événement")
    >>> fig.axes[0].get_xlabel()
    'Années depuis la labellisation'
    """
    if isinstance(result, pd.DataFrame):
        tab = result.sort_values("event_time")
    else:
        tab = result.table.sort_values("event_time")
        if pretrend is None and result.kind == "dynamic":
            pretrend = result.pretrend_test()
    fig, ax = _axes(ax, (8, 4.5))
    e = tab["event_time"].to_numpy()
    pre = e < 0
    if uniform and {"ci_low_uniform", "ci_high_uniform"} <= set(tab.columns):
        ax.fill_between(e, tab["ci_low_uniform"], tab["ci_high_uniform"], color=POST_COLOUR,
                        alpha=0.12, step=None, label="Bande de confiance simultanée (95 %)")
    att = tab["att"].to_numpy(float)
    lo, hi = tab["ci_low"].to_numpy(float), tab["ci_high"].to_numpy(float)
    for mask, colour, label in ((pre, PRE_COLOUR, "Avant"), (~pre, POST_COLOUR, "Après")):
        if mask.any():
            ax.errorbar(e[mask], att[mask], yerr=[att[mask] - lo[mask], hi[mask] - att[mask]],
                        fmt="o", color=colour, capsize=3, label=f"{label} (IC 95 % ponctuel)")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="black", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if pretrend is not None and np.isfinite(pretrend.pvalue):
        ax.text(0.01, 0.97, f"Test de pré-tendance : p = {pretrend.pvalue:.3f}",
                transform=ax.transAxes, va="top", ha="left", fontsize=9)
    if note:
        fig.text(0.01, 0.01, note, fontsize=8, color="#555555")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def gap_plot(synth: SynthResult, *, ax: Axes | None = None, title: str | None = None,
             ylabel: str = "Écart traité − synthétique", placebos: bool = True) -> Figure:
    """Treated-minus-synthetic gap over time, with placebo gaps in grey. Returns the Figure.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import synthetic_control
    >>> sc = synthetic_control(example_panel(), outcome="outcome", unit="territory_code",
    ...                        time="year", treated_unit="T001", treatment_start=2013,
    ...                        donors=[f"T{i:03d}" for i in range(21, 41)], placebo=False)
    >>> fig = gap_plot(sc)
    >>> len(fig.axes[0].lines)  # the gap, the zero line and the treatment date
    3
    """
    fig, ax = _axes(ax, (8, 4.5))
    if placebos and synth.placebo_gaps is not None:
        for col in synth.placebo_gaps:
            ax.plot(synth.placebo_gaps.index, synth.placebo_gaps[col], color="#bbbbbb", lw=0.7)
    gap = synth.gap
    ax.plot(gap.index, gap.to_numpy(), color=POST_COLOUR, lw=2, label=str(synth.treated_unit))
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(synth.treatment_start - 0.5, color="black", lw=0.8, ls="--")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def dose_plot(dose_result: DoseResult, *, ax: Axes | None = None, title: str | None = None,
              xlabel: str = "Dépense par habitant (€)",
              ylabel: str = "Effet estimé ATT(d)") -> Figure:
    """ATT(d) along the dose grid with its confidence interval. Returns the Figure.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import dose_response
    >>> dr = dose_response(example_panel().query("first_treated != 2015"), outcome="outcome",
    ...                    unit="territory_code", time="year", dose="dose", start=2013)
    >>> fig = dose_plot(dr)
    >>> fig.axes[0].get_ylabel()
    'Effet estimé ATT(d)'
    """
    tab = dose_result.table
    fig, ax = _axes(ax, (7, 4.5))
    if pd.api.types.is_numeric_dtype(tab["dose"]):
        ax.plot(tab["dose"], tab["att"], color=POST_COLOUR)
        ax.fill_between(tab["dose"], tab["ci_low"], tab["ci_high"], color=POST_COLOUR, alpha=0.15)
        ld = dose_result.long_difference
        if ld is not None:
            ax.scatter(ld["dose"], ld["dy"] - ld.loc[ld["dose"] == 0, "dy"].mean(), s=8,
                       color="#999999")
    else:
        x = np.arange(len(tab))
        ax.errorbar(x, tab["att"], yerr=[tab["att"] - tab["ci_low"], tab["ci_high"] - tab["att"]],
                    fmt="o")
        ax.set_xticks(x, tab["dose"].tolist(), rotation=30)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def sensitivity_plot(honest: HonestResult, *, ax: Axes | None = None, title: str | None = None,
                     xlabel: str | None = None,
                     ylabel: str = "Effet estimé (IC robuste 95 %)") -> Figure:
    """Robust confidence sets against M, next to the original interval (HonestDiD's plot).

    The original interval (exact parallel trends) is drawn first in grey,
    then one interval per value of M; the breakdown value, when reached, is
    printed. Returns the Figure.

    Examples
    --------
    >>> from impact.estimate import honest_did
    >>> hd = honest_did(np.array([0.0, 0.1, 2.0]), np.diag([0.01, 0.01, 0.02]),
    ...                 num_pre_periods=2, num_post_periods=1, method="smoothness",
    ...                 M=[0.0, 0.5])
    >>> fig = sensitivity_plot(hd)
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['Original', '0', '0.5']
    """
    tab = honest.table
    rm = honest.method == "relative_magnitude"
    if xlabel is None:
        xlabel = ("M̄ : écart post-traitement maximal, en multiple du plus grand écart "
                  "pré-traitement" if rm
                  else "M : variation maximale de la pente de l'écart de tendance")
    fig, ax = _axes(ax, (8, 4.5))
    m = tab["M"].to_numpy(float)
    step = np.min(np.diff(m)) if len(m) > 1 else 1.0
    x0 = m.min() - step
    lo, hi = honest.original
    ax.errorbar([x0], [(lo + hi) / 2], yerr=[[(hi - lo) / 2], [(hi - lo) / 2]], fmt="none",
                color=PRE_COLOUR, capsize=4, lw=2, label="Tendances parallèles exactes")
    mid = (tab["ci_low"] + tab["ci_high"]) / 2
    half = (tab["ci_high"] - tab["ci_low"]) / 2
    ax.errorbar(m, mid, yerr=[half, half], fmt="none", color=POST_COLOUR, capsize=4, lw=2,
                label="Intervalle robuste (HonestDiD, "
                      + ("magnitudes relatives)" if rm else "régularité)"))
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks([x0, *m], ["Original", *[f"{v:g}" for v in m]])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    bd = honest.breakdown
    if np.isfinite(bd):
        txt = (f"Valeur de rupture : {'M̄' if rm else 'M'} ≈ {bd:.3g}" if bd > 0
               else "L'intervalle original contient déjà 0")
    else:
        txt = f"Conclusion inchangée jusqu'à {'M̄' if rm else 'M'} = {m.max():.3g}"
    ax.text(0.01, 0.97, txt, transform=ax.transAxes, va="top", ha="left", fontsize=9)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def leave_one_out_plot(loo: LeaveOneOutResult, *, ax: Axes | None = None,
                       title: str | None = None, labels: dict[Any, str] | None = None,
                       xlabel: str = "Effet moyen estimé (ATT) sans le territoire") -> Figure:
    """Overall ATT with each treated territory (or cohort) left out, against the full estimate.

    ``labels`` maps codes to names shown on the axis (e.g. département
    names). Returns the Figure.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import leave_one_out
    >>> loo = leave_one_out(example_panel(), by="cohort", outcome="outcome",
    ...                     unit="territory_code", time="year", group="first_treated")
    >>> fig = leave_one_out_plot(loo)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Cohorte 2013', 'Cohorte 2015']
    """
    tab = loo.table
    fig, ax = _axes(ax, (7, max(3.0, 0.28 * len(tab) + 1.2)))
    y = np.arange(len(tab))
    ax.axvspan(loo.full_ci[0], loo.full_ci[1], color=PRE_COLOUR, alpha=0.15,
               label="IC 95 % de l'échantillon complet")
    ax.axvline(loo.full_att, color=PRE_COLOUR, lw=1.5, label="Échantillon complet")
    ax.errorbar(tab["att"], y, xerr=[tab["att"] - tab["ci_low"], tab["ci_high"] - tab["att"]],
                fmt="o", color=POST_COLOUR, capsize=2, ms=4,
                label="Sans ce territoire" if loo.by == "unit" else "Sans cette cohorte")
    ax.axvline(0, color="black", lw=0.8)
    names = [str((labels or {}).get(d, d)) for d in tab["dropped"]]
    if loo.by == "cohort":
        names = [f"Cohorte {n}" for n in names]
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel(xlabel if loo.by == "unit" else "Effet moyen estimé (ATT) sans la cohorte")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
