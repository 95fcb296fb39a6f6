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
