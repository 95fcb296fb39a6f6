"""Checks and reshaping shared by the estimators.

Every estimator works on a long panel (one row per unit and period). This
module turns it into dense NumPy arrays once — outcome as an (n_units ×
n_periods) matrix, one group, weight and cluster per unit — after checking the
things that silently break difference-in-differences: duplicated unit-period
rows, treatment that switches off, periods that are not numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.errors import InputError

logger = logging.getLogger(__name__)


@dataclass
class PanelArrays:
    """A balanced panel as dense arrays (rows: units, columns: periods)."""

    units: np.ndarray  # unit identifiers, length n
    periods: np.ndarray  # sorted numeric periods, length T
    y: np.ndarray  # (n, T) outcome
    group: np.ndarray  # (n,) first treated period, 0 for never treated
    weights: np.ndarray  # (n,) sampling weights normalised to mean 1
    cluster: np.ndarray  # (n,) integer cluster codes
    n_clusters: int
    x: np.ndarray | None  # (n, k) covariates measured in the first period, with intercept
    covariate_names: list[str]
    dropped_units: int = 0


def require_columns(data: pd.DataFrame, columns: Sequence[str | None]) -> None:
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise InputError(f"column(s) {missing} not found in the data; columns are {list(data.columns)}")


def numeric_periods(values: pd.Series, name: str) -> pd.Series:
    """Periods must be numbers (years or integer-coded periods)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        sample = ", ".join(map(repr, pd.unique(values.astype(str))[:5]))
        raise InputError(
            f"column {name!r} must hold numeric periods (e.g. years 2010, 2011 …), found "
            f"{values.dtype} values such as {sample}. Convert quarters or months to integers "
            "first (e.g. year * 4 + quarter), so that differences between periods are meaningful.",
            column=name,
        )
    if values.isna().any():
        raise InputError(f"column {name!r} has {int(values.isna().sum())} missing periods", column=name)
    return values


def prepare_panel(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    group: str,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    allow_unbalanced: bool = False,
) -> PanelArrays:
    """Validate a long panel and reshape it to dense arrays.

    Raises
    ------
    InputError
        Missing columns, non-numeric periods, duplicated unit-period rows, a
        group (first treated period) that changes within a unit, a covariate or
        weight that varies within a unit when it must not, negative weights, or
        an unbalanced panel when ``allow_unbalanced`` is False (the message lists
        the unbalanced units; with ``allow_unbalanced=True`` they are dropped and
        the number dropped is logged and stored).
    """
    covariates = list(covariates or [])
    require_columns(data, [outcome, unit, time, group, weights, cluster, *covariates])
    if len(data) == 0:
        raise InputError("the panel is empty")
    df = data[[c for c in dict.fromkeys([unit, time, group, outcome, weights, cluster, *covariates]) if c]].copy()
    numeric_periods(df[time], time)
    g = pd.to_numeric(df[group], errors="coerce")
    if g.isna().sum() > data[group].isna().sum():
        raise InputError(f"column {group!r} must hold the first treated period as a number "
                         "(0 or missing for never treated)", column=group)
    df[group] = g.fillna(0)

    dup = df.duplicated([unit, time], keep=False)
    if dup.any():
        ex = df.loc[dup, [unit, time]].drop_duplicates().head(5)
        raise InputError(
            f"{int(dup.sum())} rows share a ({unit}, {time}) pair; each unit must appear once per "
            f"period. Examples: " + "; ".join(f"{u} in {t}" for u, t in ex.itertuples(index=False))
        )
    switches = df.groupby(unit)[group].nunique()
    if (switches > 1).any():
        bad = switches[switches > 1].index[:5].tolist()
        raise InputError(
            f"the first treated period ({group!r}) changes over time for {int((switches > 1).sum())} "
            f"unit(s), e.g. {bad}. Staggered DiD assumes treatment, once on, stays on "
            "(no switching off): give each unit a single first treated period."
        )

    periods = np.sort(df[time].unique())
    n_t = len(periods)
    counts = df.groupby(unit)[time].size()
    y_missing = df[outcome].isna()
    if y_missing.any():
        logger.info("%d rows with a missing outcome are treated as absent", int(y_missing.sum()))
    obs = df.loc[~y_missing].groupby(unit)[time].size()
    complete = obs.reindex(counts.index, fill_value=0) == n_t
    dropped = 0
    if not complete.all():
        bad = complete[~complete].index
        if not allow_unbalanced:
            raise InputError(
                f"the panel is unbalanced: {len(bad)} of {len(complete)} units lack an outcome in some "
                f"of the {n_t} periods (e.g. {list(bad[:5])}). Pass allow_unbalanced=True to drop them "
                "(the estimator needs every unit in every period), or fill the gaps."
            )
        logger.warning("dropping %d unbalanced units (of %d) before estimation", len(bad), len(complete))
        df = df[df[unit].isin(complete[complete].index)]
        dropped = len(bad)

    df = df.sort_values([unit, time])
    units = df[unit].drop_duplicates().to_numpy()
    n = len(units)
    y = df[outcome].to_numpy(dtype=float).reshape(n, n_t)
    first = df.groupby(unit, sort=True).head(1)  # one row per unit, first period
    gvec = first[group].to_numpy(dtype=float)

    if weights is not None:
        wvar = df.groupby(unit, sort=True)[weights].nunique()
        if (wvar > 1).any():
            raise InputError(f"weights {weights!r} vary over time within units; use a time-invariant weight",
                             column=weights)
        w = first[weights].to_numpy(dtype=float)
        if (w < 0).any() or not np.isfinite(w).all():
            raise InputError(f"weights {weights!r} must be finite and non-negative", column=weights)
        w = w / w.mean()
    else:
        w = np.ones(n)

    if cluster is not None and cluster != unit:
        cvar = df.groupby(unit, sort=True)[cluster].nunique()
        if (cvar > 1).any():
            raise InputError(f"cluster {cluster!r} varies over time within units; units must be nested "
                             "in clusters", column=cluster)
        codes, uniques = pd.factorize(first[cluster])
        n_clusters = len(uniques)
    else:
        codes, n_clusters = np.arange(n), n

    x = None
    if covariates:
        # As in Callaway & Sant'Anna (2021): covariates are taken in the first
        # period (pre-treatment for every cohort) and held fixed.
        xv = first[covariates].to_numpy(dtype=float)
        if not np.isfinite(xv).all():
            raise InputError(f"covariates {covariates} have missing values in the first period")
        x = np.column_stack([np.ones(n), xv])

    return PanelArrays(units=units, periods=periods.astype(float), y=y, group=gvec, weights=w,
                       cluster=np.asarray(codes), n_clusters=int(n_clusters), x=x,
                       covariate_names=covariates, dropped_units=dropped)
