"""Descriptive tables and figures of an estimation panel, for the notebooks and reports.

What a reader needs before any estimate: who was treated when, how the
outcome moved in each cohort and in the comparison group, and what the
national series look like. Every function takes the panel of
:func:`impact.panel.build_panel` (or the long table) and returns a small
table or a matplotlib Figure with French labels; the notebooks only display
them.

May import: :mod:`impact.maps` (number formatting), pandas, matplotlib.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from impact.errors import InputError

logger = logging.getLogger(__name__)

#: Name of the never-treated group in tables and legends.
NEVER_LABEL = "jamais traités"


def _cohort_label(g: float) -> str:
    return NEVER_LABEL if g == 0 else f"cohorte {int(g)}"


def _check(panel: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise InputError(f"the panel lacks column(s) {missing}; columns are {list(panel.columns)}")


def _finish(fig: Figure, ax, *, title: str, ylabel: str, note: str | None) -> Figure:
    """Common finish of the line charts: French axis labels, legend, source note."""
    ax.set_xlabel("Année")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    if note:
        fig.text(0.01, 0.01, note, fontsize=8, color="#555555")
    fig.tight_layout(rect=(0, 0.03 if note else 0, 1, 1))
    return fig


def cohort_table(panel: pd.DataFrame, *, unit: str = "territory_code",
                 group: str = "first_label_year") -> pd.DataFrame:
    """Territories and PTCE per adoption cohort (French column names).

    Returns
    -------
    pandas.DataFrame
        Index ``cohorte`` (``2014``, ``2016``, ``jamais traités``), columns
        ``territoires`` and, when the panel has ``ptce_count`` and its treatment
        is the PTCE (``attrs["treatment"]["origin"]``), ``ptce``.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> cohort_table(example_panel(), group="first_treated")  # doctest: +NORMALIZE_WHITESPACE
                    territoires
    cohorte
    2013                     10
    2015                     10
    jamais traités           20
    """
    _check(panel, [unit, group])
    first = panel.drop_duplicates(unit)
    out = first.assign(cohorte=first[group].map(lambda g: NEVER_LABEL if g == 0 else str(int(g))))
    agg = {"territoires": (unit, "size")}
    # PTCE counted only when the PTCE are the treatment: for another programme's table the
    # column is zero everywhere and would read as "no PTCE" beside treated cohorts.
    origin = str(panel.attrs.get("treatment", {}).get("origin", "ptce"))
    if "ptce_count" in first.columns and origin.startswith("ptce"):
        agg["ptce"] = ("ptce_count", "sum")
    table = out.groupby("cohorte").agg(**agg)
    order = sorted([c for c in table.index if c != NEVER_LABEL]) + [
        c for c in table.index if c == NEVER_LABEL
    ]
    return table.loc[order]


def cohort_means(panel: pd.DataFrame, outcome: str, *, unit: str = "territory_code",
                 time: str = "year", group: str = "first_label_year",
                 weights: str | None = "population") -> pd.DataFrame:
    """Mean outcome by cohort and period.

    With ``weights`` (default the population), the mean of a rate per
    inhabitant is the cohort's aggregate rate (total count over total
    population), not an average of territorial rates.

    Returns
    -------
    pandas.DataFrame
        Index ``time``, one column per cohort label.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> means = cohort_means(example_panel(), "outcome", time="year", group="first_treated")
    >>> means.round(2).head(3)  # doctest: +NORMALIZE_WHITESPACE
    cohort  cohorte 2013  cohorte 2015  jamais traités
    year
    2010           10.19          9.68           10.10
    2011           10.42          9.97           10.31
    2012           10.75          9.79           10.60
    """
    _check(panel, [unit, time, group, outcome] + ([weights] if weights else []))
    df = panel[[unit, time, group, outcome] + ([weights] if weights else [])].copy()
    df["cohort"] = df[group].map(_cohort_label)
    if weights:
        df["_w"] = df[weights].astype(float)
        df["_wy"] = df[outcome].astype(float) * df["_w"]
        g = df.dropna(subset=[outcome]).groupby([time, "cohort"])
        means = g["_wy"].sum() / g["_w"].sum()
    else:
        means = df.groupby([time, "cohort"])[outcome].mean()
    return means.unstack("cohort")


def cohort_trends_plot(panel: pd.DataFrame, outcome: str, *, label: str | None = None,
                       unit: str = "territory_code", time: str = "year",
                       group: str = "first_label_year", title: str | None = None,
                       note: str | None = None) -> Figure:
    """Outcome by cohort over time, with the label years marked.

    Parameters
    ----------
    label
        French label of the outcome for the axis (default: the column name,
        which a report should not show: pass the label).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> fig = cohort_trends_plot(example_panel(), "outcome", label="Résultat simulé",
    ...                          group="first_treated")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['cohorte 2013', 'cohorte 2015', 'jamais traités']
    """
    means = cohort_means(panel, outcome, unit=unit, time=time, group=group)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    cohorts = [c for c in means.columns if c != NEVER_LABEL]
    colours = plt.get_cmap("tab10")
    for i, c in enumerate(cohorts):
        ax.plot(means.index, means[c], marker="o", color=colours(i), label=c)
        year = int(c.split()[-1])
        ax.axvline(year - 0.5, color=colours(i), lw=0.8, ls=":")
    if NEVER_LABEL in means.columns:
        ax.plot(means.index, means[NEVER_LABEL], marker="o", color="black", lw=2,
                label=NEVER_LABEL)
    return _finish(fig, ax, title=title or "Évolution par cohorte de labellisation",
                   ylabel=label or outcome, note=note)


def national_series(long: pd.DataFrame, indicators: Sequence[str], *,
                    level: str | None = None) -> pd.DataFrame:
    """Annual totals of count indicators, summed over the territories of one level.

    ``level`` defaults to the finest level at which the first indicator is
    published (communes for SIRENE and the demonstration, départements for the
    shipped INSEE files).

    Returns
    -------
    pandas.DataFrame
        Index ``year``, one column per indicator.

    Examples
    --------
    >>> long = pd.DataFrame({"indicator": "creations", "level": "commune",
    ...                      "period": ["2020", "2020", "2021"], "value": [3.0, 4.0, 5.0]})
    >>> national_series(long, ["creations"])["creations"].to_dict()
    {2020: 7.0, 2021: 5.0}
    """
    ind = long["indicator"].astype(str)
    sub = long[ind.isin(list(indicators))]
    if sub.empty:
        raise InputError(f"no {list(indicators)} rows in the long table")
    levels = sub["level"].astype(str)
    if level is None:
        for candidate in ("commune", "departement", "region"):
            if (levels == candidate).any():
                level = candidate
                break
    sub = sub[levels == level]
    year = sub["period"].astype(str).str[:4].astype(int)
    out = sub.assign(year=year).groupby(["year", sub["indicator"].astype(str)])["value"].sum(
        min_count=1).unstack()
    return out.reindex(columns=list(indicators))


def series_plot(series: pd.DataFrame, labels: Mapping[str, str], *, title: str,
                ylabel: str = "Créations (milliers)", note: str | None = None,
                scale: float = 1000.0) -> Figure:
    """Line plot of national series (thousands by default) with French labels.

    Examples
    --------
    >>> series = pd.DataFrame({"creations": [900_000.0, 1_000_000.0]}, index=[2020, 2021])
    >>> fig = series_plot(series, {"creations": "Créations"}, title="Créations d'entreprises")
    >>> fig.axes[0].get_ylabel(), [round(v) for v in fig.axes[0].lines[0].get_ydata()]
    ('Créations (milliers)', [900, 1000])
    """
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for col in series.columns:
        ax.plot(series.index, series[col] / scale, marker="o", label=labels.get(col, col))
    return _finish(fig, ax, title=title, ylabel=ylabel, note=note)


def growth_table(series: pd.DataFrame, base: int, end: int) -> pd.DataFrame:
    """Level in ``base`` and ``end`` and the change in per cent, per column.

    Examples
    --------
    >>> series = pd.DataFrame({"creations": [800.0, 1000.0]}, index=[2020, 2021])
    >>> growth_table(series, 2020, 2021)
                2020    2021  évolution (%)
    creations  800.0  1000.0           25.0
    """
    if base not in series.index or end not in series.index:
        raise InputError(
            f"years {base} and {end} must both be in the series ({list(series.index)})")
    out = pd.DataFrame({str(base): series.loc[base], str(end): series.loc[end]})
    out["évolution (%)"] = 100 * (out[str(end)] / out[str(base)] - 1)
    return out


def weighted_rate(panel: pd.DataFrame, count: str, *, by: str | Sequence[str],
                  per: float = 10_000) -> pd.Series:
    """Aggregate rate per ``per`` inhabitants: summed counts over summed population.

    Examples
    --------
    >>> panel = pd.DataFrame({"region": ["A", "A", "B"], "creations": [10, 30, 5],
    ...                       "population": [10_000, 30_000, 50_000]})
    >>> weighted_rate(panel, "creations", by="region").to_dict()
    {'A': 10.0, 'B': 1.0}
    """
    _check(panel, [count, "population"])
    g = panel.groupby(by)
    return per * g[count].sum(min_count=1) / g["population"].sum(min_count=1)


def placement_summary(info_ptce: Mapping[str, int], excluded: Sequence[str],
                      level_label: str) -> str:
    """One French sentence on how many lauréats an analysis places and what it excludes.

    Examples
    --------
    >>> print(placement_summary({"placed_in_panel": 30, "coarser": 2}, ["75056"], "communes"))
    ... # doctest: +NORMALIZE_WHITESPACE
    30 lauréats des appels à projets PTCE sur 37 sont placés dans les communes analysés ;
    2 ne sont connus qu'à un niveau plus large ; 1 communes qui pourraient en abriter un
    sont retirés du groupe de comparaison.
    """
    placed = info_ptce.get("placed_in_panel", info_ptce.get("placed", 0))
    total = 37
    parts = [f"{placed} lauréats des appels à projets PTCE sur {total} sont placés dans les "
             f"{level_label} analysés"]
    coarser = info_ptce.get("coarser", 0)
    if coarser:
        parts.append(f"{coarser} ne sont connus qu'à un niveau plus large")
    if excluded:
        parts.append(f"{len(excluded)} {level_label} qui pourraient en abriter un sont retirés du "
                     "groupe de comparaison")
    return " ; ".join(parts) + "."
