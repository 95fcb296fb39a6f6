"""Randomisation inference by permuting adoption dates across territories.

With few treated territories (a handful of départements or régions),
asymptotic standard errors are fragile. Randomisation inference asks: if the
adoption dates had been assigned to other territories at random, how often
would the estimated effect be at least as large as the one observed? It
permutes the whole vector of first-treated periods (never-treated zeros
included) across units — so each permutation keeps the number of territories
per cohort — and re-estimates the overall ATT each time. Existing tools
permute a regressor; permuting adoption dates respects the staggered design.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.estimate.protocol import ResultBase, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes


@dataclass(repr=False)
class RandomizationResult(ResultBase):
    """Observed statistic, its permutation distribution and p-values.

    Attributes
    ----------
    statistic
        The observed statistic (by default the overall "simple" ATT).
    permuted
        The statistic under each permutation (or each distinct assignment).
    pvalue
        Two-sided: share of ``|T_perm| >= |T_obs|`` (observed included).
    pvalue_greater, pvalue_less
        One-sided p-values.
    options
        Columns and options used.

    :meth:`tidy` has one row, ``ATT`` (``statistic`` with a custom
    estimator), with the two-sided randomisation p-value; no standard error
    nor interval (``NaN``).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> ri = randomization_inference(example_panel(n_units=8), outcome="outcome",
    ...                              unit="territory_code", time="year",
    ...                              group="first_treated", n_permutations=19, seed=0)
    >>> ri.tidy().round(3)
      term  estimate  se  ci_low  ci_high  pvalue
    0  ATT     2.224 NaN     NaN      NaN    0.05
    """

    statistic: float
    permuted: np.ndarray = field(repr=False)
    pvalue: float
    pvalue_greater: float
    pvalue_less: float
    options: dict[str, Any]

    @property
    def table(self) -> pd.DataFrame:
        """One row: statistic, p-values, number of permutations, exact or not."""
        return pd.DataFrame({"statistic": [self.statistic], "pvalue": [self.pvalue],
                             "pvalue_greater": [self.pvalue_greater],
                             "pvalue_less": [self.pvalue_less],
                             "n_permutations": [len(self.permuted)],
                             "exact": [self.options["exact"]]})

    def tidy(self) -> pd.DataFrame:
        """The observed statistic with its two-sided randomisation p-value."""
        term = "statistic" if self.options.get("custom_estimator") else "ATT"
        return tidy_frame(term, self.statistic, pvalue=self.pvalue)

    def _n(self) -> int | None:
        n = self.options.get("n_units")
        return None if n is None else int(n)

    def summary(self) -> str:
        """Plain-text report: statistic and its one- and two-sided p-values."""
        kind = ("all distinct assignments" if self.options["exact"]
                else f"{len(self.permuted)} random permutations")
        return (f"Randomisation inference (adoption dates permuted across units; {kind})\n"
                f"Observed overall ATT = {self.statistic:.4f}; two-sided p = {self.pvalue:.4f}; "
                f"p(greater) = {self.pvalue_greater:.4f}; p(less) = {self.pvalue_less:.4f}")

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Histogram of the permuted statistics with the observed one (French labels).

        Keywords: ``title``, ``xlabel``. Returns the Axes.
        """
        return _permutation_plot(self, ax=ax, **kwargs)


def _permutation_plot(res: RandomizationResult, *, ax: Axes | None = None,
                      title: str | None = None,
                      xlabel: str = "Effet estimé sous permutation des dates") -> Axes:
    from impact.estimate.plots import POST_COLOUR, PRE_COLOUR, _axes

    fig, ax = _axes(ax, (7, 4))
    ax.hist(res.permuted, bins=min(30, max(5, len(res.permuted) // 5)), color=PRE_COLOUR,
            alpha=0.6, label="Permutations")
    ax.axvline(res.statistic, color=POST_COLOUR, lw=2, label=f"Observé (p = {res.pvalue:.3f})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Nombre de permutations")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return ax


def _default_estimator(outcome, unit, time, group, **kwargs) -> Callable[[pd.DataFrame], float]:
    from impact.estimate.did import att_gt

    def est(df: pd.DataFrame) -> float:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = att_gt(df, outcome=outcome, unit=unit, time=time, group=group, **kwargs)
        return res.aggregate("simple").overall_att

    return est


def _distinct_assignments(groups: np.ndarray):
    """Every distinct assignment of the multiset of groups to units."""
    n = len(groups)
    values, counts = np.unique(groups, return_counts=True)

    def rec(avail: list[int], vi: int):
        if vi == len(values) - 1:
            yield {values[vi]: tuple(avail)}
            return
        for combo in itertools.combinations(avail, counts[vi]):
            rest = [a for a in avail if a not in combo]
            for tail in rec(rest, vi + 1):
                yield {values[vi]: combo, **tail}

    for assign in rec(list(range(n)), 0):
        out = np.empty(n)
        for v, idx in assign.items():
            out[list(idx)] = v
        yield out


def randomization_inference(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    group: str,
    n_permutations: int = 999,
    seed: int | None = None,
    estimator: Callable[[pd.DataFrame], float] | None = None,
    strata: str | None = None,
    exact: bool | None = None,
    **att_gt_kwargs: Any,
) -> RandomizationResult:
    """P-value of the overall ATT from permutations of adoption dates.

    Parameters
    ----------
    data
        Long panel; ``group`` holds each unit's first treated period (0 never).
    n_permutations
        Random permutations (ignored when ``exact``).
    estimator
        Function of a panel returning the statistic. Default: the overall
        ("simple") ATT of :func:`~impact.estimate.att_gt` with ``att_gt_kwargs``.
    strata
        Column constant within unit; dates are permuted only within strata
        (e.g. within région).
    exact
        Enumerate every distinct assignment (default: when there are at most
        ``n_permutations`` of them and no strata).

    Returns
    -------
    RandomizationResult
        p-values count the observed assignment among the permutations:
        ``(1 + #{|T_perm| >= |T_obs|}) / (1 + B)`` for random permutations;
        the exact share over all assignments when enumerated.

    Examples
    --------
    Eight territories (two per cohort, four never treated) allow 420
    distinct assignments; 19 random permutations are drawn here, none giving an
    effect as large as the observed one (p = 1/20):

    >>> from impact.datasets import example_panel
    >>> ri = randomization_inference(example_panel(n_units=8), outcome="outcome",
    ...                              unit="territory_code", time="year",
    ...                              group="first_treated", n_permutations=19, seed=0)
    >>> ri.options["exact"], len(ri.permuted), ri.pvalue
    (False, 19, 0.05)
    """
    for c in (outcome, unit, time, group, strata):
        if c is not None and c not in data.columns:
            raise InputError(f"column {c!r} not found; columns are {list(data.columns)}")
    est = estimator or _default_estimator(outcome, unit, time, group, **att_gt_kwargs)
    units = data[unit].drop_duplicates().to_numpy()
    per_unit = data.drop_duplicates(unit).set_index(unit)
    g = pd.to_numeric(per_unit.loc[units, group], errors="coerce").fillna(0).to_numpy()
    t_obs = float(est(data))
    counts = np.unique(g, return_counts=True)[1]
    n_distinct = math.factorial(len(g)) // math.prod(math.factorial(int(c)) for c in counts)
    if exact is None:
        exact = strata is None and n_distinct <= n_permutations
    if exact and strata is not None:
        raise InputError("exact enumeration is not available with strata")
    rng = np.random.default_rng(seed)
    unit_pos = pd.Series(np.arange(len(units)), index=units)
    row_pos = unit_pos.loc[data[unit]].to_numpy()

    def stat_for(assign: np.ndarray) -> float:
        return float(est(data.assign(**{group: assign[row_pos]})))

    if exact:
        perms = np.array([stat_for(a) for a in _distinct_assignments(g)])
        tol = 1e-12
        p2 = float(np.mean(np.abs(perms) >= abs(t_obs) - tol))
        pg = float(np.mean(perms >= t_obs - tol))
        pl = float(np.mean(perms <= t_obs + tol))
    else:
        strata_codes = (pd.factorize(per_unit.loc[units, strata])[0] if strata
                        else np.zeros(len(g), int))
        perms = np.empty(n_permutations)
        for b in range(n_permutations):
            new = g.copy()
            for s in np.unique(strata_codes):
                idx = np.flatnonzero(strata_codes == s)
                new[idx] = rng.permutation(g[idx])
            perms[b] = stat_for(new)
        p2 = (1 + np.sum(np.abs(perms) >= abs(t_obs))) / (1 + n_permutations)
        pg = (1 + np.sum(perms >= t_obs)) / (1 + n_permutations)
        pl = (1 + np.sum(perms <= t_obs)) / (1 + n_permutations)
    return RandomizationResult(statistic=t_obs, permuted=perms, pvalue=float(p2),
                               pvalue_greater=float(pg),
                               pvalue_less=float(pl),
                               options=dict(outcome=outcome, unit=unit, time=time, group=group,
                                            n_permutations=len(perms), seed=seed, strata=strata,
                                            exact=bool(exact), n_units=len(units),
                                            custom_estimator=estimator is not None,
                                            **att_gt_kwargs))
