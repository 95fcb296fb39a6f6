"""Checks and reshaping shared by the estimators.

Every estimator works on a long panel (one row per unit and period). This
module turns it into dense NumPy arrays once — outcome as an (n_units ×
n_periods) matrix, one group, weight and cluster per unit — after checking the
things that silently break difference-in-differences: duplicated unit-period
rows, treatment that switches off, periods that are not numbers.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.errors import InputError, NothingToEstimateError

logger = logging.getLogger(__name__)


@dataclass
class PanelArrays:
    """A balanced panel as dense arrays (rows: units, columns: periods)."""

    units: np.ndarray  # unit identifiers, length n (sorted)
    periods: np.ndarray  # sorted numeric periods, length T
    y: np.ndarray  # (n, T) outcome
    group: np.ndarray  # (n,) first treated period, 0 for never treated
    weights: np.ndarray  # (n,) sampling weights normalised to mean 1
    cluster: np.ndarray  # (n,) integer cluster codes 0 .. n_clusters - 1
    n_clusters: int
    x: np.ndarray | None  # (T, n, 1 + k) covariates by period, first column the intercept
    covariate_names: list[str]
    dropped_units: int = 0
    x_time_varying: bool = False


def require_columns(data: pd.DataFrame, columns: Sequence[str | None]) -> None:
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise InputError(
            f"column(s) {missing} not found in the data; columns are {list(data.columns)}"
        )


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
        raise InputError(
            f"column {name!r} has {int(values.isna().sum())} missing periods", column=name
        )
    return values


def _show(v: object) -> str:
    return repr(v.item() if isinstance(v, np.generic) else v)


def _examples(values, k: int = 5) -> str:
    return ", ".join(_show(v) for v in list(values[:k])) + (" …" if len(values) > k else "")


def numeric_groups(values: pd.Series, name: str) -> pd.Series:
    """First treated periods as numbers, missing (never treated) as 0.

    Numbers stored as text ("2015") are converted; anything else ("never",
    "2015-06") is an error rather than silently read as never treated.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        g = values.astype(float)  # already numbers: nothing to convert or reject
    else:
        g = pd.to_numeric(values, errors="coerce")
        bad = g.isna() & values.notna()
        if bad.any():
            found = _examples(pd.unique(values[bad].astype(str)))
            raise InputError(
                f"column {name!r} must hold the first treated period as a number "
                f"(0 or missing for never treated), found {found}",
                column=name,
            )
        g = g.astype(float)
    arr = g.to_numpy()
    # An infinite group would silently become "never treated" (later than the last period).
    inf = np.isinf(arr)
    if inf.any():
        raise InputError(
            f"{int(inf.sum())} infinite first treated period(s); use 0 or "
            "leave it empty for never treated units",
            column=name, value=float(g[inf].iloc[0]),
        )
    # A fractional group (2014.5) is no period of the time axis: event times would be
    # half-periods and the cohort would match no period (NaN != floor(NaN): excluded).
    with np.errstate(invalid="ignore"):
        frac = ~np.isnan(arr) & (arr != np.floor(arr))
    if frac.any():
        found = _examples(pd.unique(g[frac]))
        raise InputError(
            f"the first treated period must be a whole period of the time axis (e.g. 2014), or "
            f"0/missing "
            f"for never treated; found {found}. Round the first treated period to the period "
            "in which treatment starts.",
            column=name, value=float(g[frac].iloc[0]),
        )
    return g.fillna(0)


def _unit_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each row's unit (0 .. n - 1, in sorted unit order) and the units.

    Panels usually come sorted by unit: numeric identifiers in non-decreasing
    order are then coded in one pass; anything else is factorised (hashing).
    """
    arr = values.to_numpy()
    if arr.dtype.kind in "iuf" and len(arr) and not np.isnan(arr[0]):
        change = arr[1:] != arr[:-1]
        if (arr[1:] >= arr[:-1]).all():  # NaN compares False: sorted and complete
            codes = np.empty(len(arr), dtype=np.intp)
            codes[0] = 0
            np.cumsum(change, out=codes[1:])
            return codes, arr[np.concatenate([[0], np.flatnonzero(change) + 1])]
    codes, units = pd.factorize(values, sort=True)
    return codes, np.asarray(units)


def _period_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct periods and the index of each row's period among them.

    Integer periods (years) are coded by counting over their range, without
    hashing or sorting the rows; others by a binary search in the sorted uniques.
    """
    if values.dtype.kind in "iu" and len(values):
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 1_000_000:
            offset = values - lo
            present = np.bincount(offset, minlength=hi - lo + 1) > 0
            periods = np.flatnonzero(present).astype(values.dtype) + values.dtype.type(lo)
            if present.all():
                return periods, offset.astype(np.intp, copy=False)
            return periods, (np.cumsum(present) - 1)[offset]
    periods = np.sort(pd.unique(values))
    first = periods[0]
    if first == np.floor(first) and np.array_equal(periods, first + np.arange(len(periods))):
        return periods, (values - first).astype(np.intp)
    return periods, np.searchsorted(periods, values)


def _scatter(
    values: np.ndarray, ucode: np.ndarray, tcode: np.ndarray, n: int, n_t: int
) -> np.ndarray:
    """Long values to an (n, T) float matrix, NaN where a unit-period row is absent."""
    out = np.full((n, n_t), np.nan)
    out[ucode, tcode] = values
    return out


def _varies_within(mat: np.ndarray) -> np.ndarray:
    """Rows of an (n, T) matrix whose non-missing values are not all equal."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no variation
        return np.nanmax(mat, axis=1) != np.nanmin(mat, axis=1)


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

    The reshaping is done once, with integer codes and NumPy scatters (no
    group-by per unit), so it stays fast for tens of thousands of communes.

    Rows whose outcome is missing count as absent. Covariates are kept period
    by period (the estimator uses, as R ``did``, their values in the earlier
    of the two periods of each group-time cell); weights and clusters must be
    constant within a unit.

    Raises
    ------
    InputError
        Missing columns, non-numeric periods, duplicated unit-period rows, a
        group (first treated period) that changes within a unit, a weight or
        cluster that varies within a unit, negative or missing weights,
        missing covariates, or an unbalanced panel when ``allow_unbalanced``
        is False (the message lists unbalanced units; with
        ``allow_unbalanced=True`` they are dropped, a warning is logged and the
        number dropped is stored in ``dropped_units``).
    """
    covariates = list(covariates or [])
    require_columns(data, [outcome, unit, time, group, weights, cluster, *covariates])
    if len(data) == 0:
        raise InputError("the panel is empty")
    numeric_periods(data[time], time)
    if data[unit].isna().any():
        raise InputError(
            f"column {unit!r} has {int(data[unit].isna().sum())} missing unit identifiers",
            column=unit,
        )
    g = numeric_groups(data[group], group).to_numpy(dtype=float)

    ucode, units = _unit_codes(data[unit])
    periods, tcode = _period_codes(data[time].to_numpy())
    n, n_t = len(units), len(periods)

    # Duplicated unit-period rows: one integer key per row.
    key = ucode.astype(np.int64) * n_t + tcode
    counts = np.bincount(key, minlength=n * n_t)
    if (counts > 1).any():
        dup_keys = np.flatnonzero(counts > 1)
        ex = "; ".join(f"{_show(units[k // n_t])} in {periods[k % n_t]:g}" for k in dup_keys[:5])
        raise InputError(
            f"{int(counts[dup_keys].sum())} rows share a ({unit}, {time}) pair; each unit must "
            f"appear once per period. Examples: {ex}"
        )

    # One group per unit (the last row's); rows that disagree with it reveal a group
    # that changes within the unit. Two passes over the rows, no units × periods matrix.
    g_unit = np.empty(n)
    g_unit[ucode] = g
    differs = g != g_unit[ucode]
    if differs.any():
        switches = np.zeros(n, dtype=bool)
        switches[ucode[differs]] = True
        raise InputError(
            f"the first treated period ({group!r}) changes over time for {int(switches.sum())} "
            f"unit(s), e.g. {_examples(units[switches])}. Staggered DiD assumes treatment, once "
            "on, stays on (no switching off): give each unit a single first treated period.",
            column=group,
        )

    # Groups inside the observed window must be periods of the axis (no 2013 in 2010, 2012, 2014).
    # Checked on the units' groups first (constant within units by now), on the rows
    # only to report them.
    gu_inside = (g_unit > periods[0]) & (g_unit <= periods[-1])
    if (gu_inside & ~np.isin(g_unit, periods)).any():
        inside = (g > periods[0]) & (g <= periods[-1]) & ~np.isin(g, periods)
        found = _examples(pd.unique(g[inside]))
        raise InputError(
            f"first treated period(s) {found} are not periods of the time axis "
            f"({_examples(periods, 8)}); a unit must start treatment in an observed period",
            column=group, value=float(g[inside][0]),
        )

    y_col = data[outcome]
    if pd.api.types.is_numeric_dtype(y_col) and not pd.api.types.is_bool_dtype(y_col):
        y_long = y_col.to_numpy(dtype=float, na_value=np.nan)
    else:
        y_long = pd.to_numeric(y_col, errors="coerce").to_numpy(dtype=float)
        if np.isnan(y_long).sum() > y_col.isna().sum():
            raise InputError(f"column {outcome!r} must be numeric", column=outcome)
    inf = np.isinf(y_long)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise InputError(
            f"outcome {outcome!r} is infinite in {int(inf.sum())} row(s), e.g. unit "
            f"{_show(data[unit].iloc[i])} in {_show(data[time].iloc[i])} ({y_long[i]}); a rate "
            "divided by a zero population? Fix or drop these rows (a missing value is allowed "
            "with allow_unbalanced=True)",
            column=outcome, value=float(y_long[i]),
        )
    y = _scatter(y_long, ucode, tcode, n, n_t)
    if np.isnan(y_long).any():
        logger.info(
            "%d rows with a missing outcome are treated as absent", int(np.isnan(y_long).sum())
        )
    complete = ~np.isnan(y).any(axis=1)
    dropped = 0
    if not complete.all():
        bad = units[~complete]
        if not allow_unbalanced:
            raise InputError(
                f"the panel is unbalanced: {len(bad)} of {n} units lack an outcome in some of the "
                f"{n_t} periods (e.g. {_examples(bad)}). Pass allow_unbalanced=True to drop them "
                "(the estimator needs every unit in every period), or fill the gaps."
            )
        logger.warning("dropping %d unbalanced units (of %d) before estimation", len(bad), n)
        dropped = len(bad)
    keep = complete

    def per_unit(values: np.ndarray, name: str, what: str) -> np.ndarray:
        mat = _scatter(values, ucode, tcode, n, n_t)[keep]
        varies = _varies_within(mat)
        if varies.any():
            raise InputError(
                f"{what} {name!r} varies over time within {int(varies.sum())} unit(s), "
                f"e.g. {_examples(units[keep][varies])}; it must be constant within a unit",
                column=name,
            )
        return mat[:, 0]

    gvec = g_unit[keep]
    if not keep.any():
        raise NothingToEstimateError(
            "no unit is left to estimate on (every unit lacks some periods)"
        )
    if not ((gvec > periods[0]) & (gvec <= periods[-1])).any():
        raise NothingToEstimateError(
            f"nothing to estimate: no unit is first treated inside the panel's periods "
            f"({periods[0]:g}–{periods[-1]:g}) after at least one untreated period "
            f"(first treated periods found: {_examples(np.unique(gvec))}). Check the {group!r} "
            "column and the period range.",
            column=group,
        )
    if weights is not None:
        w_long = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)
        w = per_unit(w_long, weights, "weight")
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise InputError(
                f"weights {weights!r} must be finite, non-negative and not all zero", column=weights
            )
        w = w / w.mean()
    else:
        w = np.ones(int(keep.sum()))

    if cluster is not None and cluster != unit:
        c_long, c_uniques = pd.factorize(data[cluster])
        if (c_long < 0).any():
            raise InputError(f"cluster column {cluster!r} has missing values", column=cluster)
        cvec = per_unit(c_long.astype(float), cluster, "cluster").astype(np.int64)
        codes, c_used = pd.factorize(cvec)  # renumber the clusters that remain
        n_clusters = len(c_used)
    else:
        codes, n_clusters = np.arange(int(keep.sum())), int(keep.sum())

    x = None
    varying = False
    if covariates:
        mats = []
        for c in covariates:
            v = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float)
            m = _scatter(v, ucode, tcode, n, n_t)[keep]
            if not np.isfinite(m).all():
                bad = units[keep][~np.isfinite(m).all(axis=1)]
                raise InputError(
                    f"covariate {c!r} is missing or not numeric for {len(bad)} unit(s), "
                    f"e.g. {_examples(bad)}",
                    column=c,
                )
            varying |= bool(_varies_within(m).any())
            mats.append(m.T)  # (T, n)
        x = np.stack([np.ones_like(mats[0]), *mats], axis=2)  # (T, n, 1 + k)
        if varying:
            logger.info(
                "covariates vary over time: each group-time cell uses their values in the "
                "earlier of its two periods, as R did"
            )

    return PanelArrays(
        units=np.asarray(units)[keep],
        periods=periods.astype(float),
        y=y[keep],
        group=gvec,
        weights=w,
        cluster=np.asarray(codes),
        n_clusters=int(n_clusters),
        x=x,
        covariate_names=covariates,
        dropped_units=dropped,
        x_time_varying=varying,
    )


def balanced_wide(
    data: pd.DataFrame, *, outcome: str, unit: str, time: str, group: str
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Units × periods outcome matrix of a balanced panel, its periods and each unit's cohort.

    For the estimators that work on the wide matrix (synthetic DiD, the Bacon
    decomposition). One row per unit and period, a first treated period constant
    within a unit, no missing outcome: each is refused by name otherwise. A cohort
    after the last period is never treated within the panel (0).

    Returns
    -------
    (wide, periods, G)
        ``wide`` (DataFrame, units × sorted periods), ``periods`` (float array) and
        ``G`` (float array of first treated periods aligned on ``wide.index``).
    """
    require_columns(data, [outcome, unit, time, group])
    numeric_periods(data[time], time)
    df = data[[unit, time, outcome, group]].copy()
    df[group] = numeric_groups(df[group], group)
    if df.duplicated([unit, time]).any():
        dup = df.loc[df.duplicated([unit, time], keep=False), [unit, time]].iloc[0]
        raise InputError(
            f"several rows for unit {dup[unit]!r} and period {dup[time]!r}: one row per unit "
            "and period expected",
            column=unit,
        )
    if (df.groupby(unit, sort=False)[group].nunique(dropna=False) > 1).any():
        bad = df.groupby(unit)[group].nunique()
        raise InputError(
            f"the first treated period varies within unit {bad[bad > 1].index[0]!r}: it must be "
            "constant within a unit",
            column=group,
        )
    wide = df.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    if wide.isna().any().any():
        miss = wide.isna().stack()
        u, t = miss[miss].index[0]
        raise InputError(
            f"the panel must be balanced with no missing outcome: unit {u!r} has none for period "
            f"{t!r} ({int(miss.sum())} unit-periods missing in all)",
            column=outcome,
        )
    periods = wide.columns.to_numpy(dtype=float)
    G = df.groupby(unit)[group].first().reindex(wide.index).to_numpy(dtype=float, copy=True)
    G[G > periods[-1]] = 0.0
    return wide, periods, G
