"""Report-ready plots: event study with uniform bands, synthetic-control gaps, dose-response."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

PRE_COLOUR = "#7f7f7f"
POST_COLOUR = "#1f4e79"


def _table(obj: Any) -> pd.DataFrame:
    return obj.table if hasattr(obj, "table") else obj


def event_study_plot(result: Any, *, ax=None, title: str | None = None, uniform: bool = True,
                     pretrend: Any = None, xlabel: str = "Années depuis la labellisation",
                     ylabel: str = "Effet estimé (ATT)", note: str | None = None):
    """Event-time effects with pointwise intervals and simultaneous bands.

    ``result`` is a dynamic aggregation or a table with ``event_time, att,
    ci_low, ci_high`` (and optionally ``ci_low_uniform, ci_high_uniform``).
    ``pretrend`` (an object with ``pvalue``, e.g. ``agg.pretrend_test()``)
    is printed on the plot. Returns the Figure.
    """
    tab = _table(result).sort_values("event_time")
    if pretrend is None and hasattr(result, "pretrend_test") and getattr(result, "kind", "") == "dynamic":
        pretrend = result.pretrend_test()
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
    e = tab["event_time"].to_numpy()
    pre = e < 0
    if uniform and {"ci_low_uniform", "ci_high_uniform"} <= set(tab.columns):
        ax.fill_between(e, tab["ci_low_uniform"], tab["ci_high_uniform"], color=POST_COLOUR, alpha=0.12,
                        step=None, label="Bande de confiance simultanée (95 %)")
    for mask, colour, label in ((pre, PRE_COLOUR, "Avant"), (~pre, POST_COLOUR, "Après")):
        if mask.any():
            ax.errorbar(e[mask], tab["att"].to_numpy()[mask],
                        yerr=[tab["att"].to_numpy()[mask] - tab["ci_low"].to_numpy()[mask],
                              tab["ci_high"].to_numpy()[mask] - tab["att"].to_numpy()[mask]],
                        fmt="o", color=colour, capsize=3, label=f"{label} (IC 95 % ponctuel)")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="black", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if pretrend is not None and np.isfinite(getattr(pretrend, "pvalue", np.nan)):
        ax.text(0.01, 0.97, f"Test de pré-tendance : p = {pretrend.pvalue:.3f}", transform=ax.transAxes,
                va="top", ha="left", fontsize=9)
    if note:
        fig.text(0.01, 0.01, note, fontsize=8, color="#555555")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def gap_plot(synth: Any, *, ax=None, title: str | None = None, ylabel: str = "Écart traité − synthétique",
             placebos: bool = True):
    """Treated-minus-synthetic gap over time, with placebo gaps in grey."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
    if placebos and getattr(synth, "placebo_gaps", None) is not None:
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


def dose_plot(dose_result: Any, *, ax=None, title: str | None = None,
              xlabel: str = "Dépense par habitant (€)", ylabel: str = "Effet estimé ATT(d)"):
    """ATT(d) along the dose grid with its confidence interval."""
    tab = dose_result.table
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.5))
    else:
        fig = ax.figure
    if pd.api.types.is_numeric_dtype(tab["dose"]):
        ax.plot(tab["dose"], tab["att"], color=POST_COLOUR)
        ax.fill_between(tab["dose"], tab["ci_low"], tab["ci_high"], color=POST_COLOUR, alpha=0.15)
        ld = dose_result.long_difference
        if ld is not None:
            ax.scatter(ld["dose"], ld["dy"] - ld.loc[ld["dose"] == 0, "dy"].mean(), s=8, color="#999999")
    else:
        x = np.arange(len(tab))
        ax.errorbar(x, tab["att"], yerr=[tab["att"] - tab["ci_low"], tab["ci_high"] - tab["att"]], fmt="o")
        ax.set_xticks(x, tab["dose"], rotation=30)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def sensitivity_plot(honest: Any, *, ax=None, title: str | None = None, xlabel: str | None = None,
                     ylabel: str = "Effet estimé (IC robuste 95 %)"):
    """Robust confidence sets against M, next to the original interval (HonestDiD's plot).

    ``honest`` is a :class:`~impact.estimate.honest.HonestResult`. The
    original interval (exact parallel trends) is drawn first in grey, then one
    interval per value of M; the breakdown value, when reached, is printed.
    """
    tab = honest.table
    rm = honest.method == "relative_magnitude"
    if xlabel is None:
        xlabel = ("M̄ : écart post-traitement maximal, en multiple du plus grand écart "
                  "pré-traitement" if rm
                  else "M : variation maximale de la pente de l'écart de tendance")
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
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
    bd = getattr(honest, "breakdown", np.nan)
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


def leave_one_out_plot(loo: Any, *, ax=None, title: str | None = None, labels: dict | None = None,
                       xlabel: str = "Effet moyen estimé (ATT) sans le territoire"):
    """Overall ATT with each treated territory (or cohort) left out, against the full estimate.

    ``loo`` is a :class:`~impact.estimate.robustness.LeaveOneOutResult`;
    ``labels`` maps codes to names shown on the axis (e.g. département names).
    """
    tab = loo.table
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, max(3.0, 0.28 * len(tab) + 1.2)))
    else:
        fig = ax.figure
    y = np.arange(len(tab))
    ax.axvspan(loo.full_ci[0], loo.full_ci[1], color=PRE_COLOUR, alpha=0.15,
               label="IC 95 % de l'échantillon complet")
    ax.axvline(loo.full_att, color=PRE_COLOUR, lw=1.5, label="Échantillon complet")
    ax.errorbar(tab["att"], y, xerr=[tab["att"] - tab["ci_low"], tab["ci_high"] - tab["att"]],
                fmt="o", color=POST_COLOUR, capsize=2, ms=4, label="Sans ce territoire"
                if loo.by == "unit" else "Sans cette cohorte")
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
