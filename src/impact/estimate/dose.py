"""Dose-response: the effect of spending intensity (a continuous treatment).

Setting (Callaway, Goodman-Bacon & Sant'Anna 2024, "Difference-in-differences
with a continuous treatment"): units receive a dose ``D`` (e.g. euros per
inhabitant spent under the convention) from a common date; untreated units
have ``D = 0``. With the long difference ``ΔY_i`` (mean of the post period
minus mean of the pre period), we estimate

``ΔY_i = a + g · 1{D_i > 0} + b · D_i + e_i``

so that ``ATT(d) = g + b·d`` is the average effect of dose ``d`` among units
that received it, and ``b`` is the average causal response (ACR, the effect
of one more euro per inhabitant).

Assumptions, spelled out because they differ:

* **Parallel trends** (untreated outcomes evolve alike whatever the dose)
  identifies ``ATT(d | D = d)``: the effect of dose ``d`` on the units that
  chose ``d``.
* Comparing doses (reading ``b`` as a causal response) needs **strong parallel
  trends**: the units that got dose ``d`` would have evolved like the others
  had they got ``d'``. Without it, ``b`` mixes the causal response with
  selection into doses.
* The linear specification is a choice; ``spec="binned"`` replaces it by dose
  quantile bins (a step function) to check it.

Standard errors are heteroskedasticity-robust (HC1) or clustered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm

from impact._options import check_options
from impact.errors import InputError
from impact.estimate.protocol import ResultBase, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes


@dataclass(repr=False)
class DoseResult(ResultBase):
    """Dose-response estimates.

    Attributes
    ----------
    table
        The dose grid: ``dose, att, se, ci_low, ci_high`` (``dose`` holds the
        bin labels with ``spec="binned"``).
    acr, acr_se
        Average causal response (slope per unit of dose) and its SE (linear only).
    level_effect
        Effect of receiving any dose (linear) or mean bin effect (binned).
    options
        Columns and options used.
    model
        The statsmodels OLS fit of the long differences.
    long_difference
        Per unit: ``dy`` (post minus pre mean outcome) and ``dose``.

    :meth:`tidy` gives the regression coefficients (constant excluded):
    ``any_dose`` and ``dose`` (the slope, i.e. ``acr``) for the linear
    specification, one ``bin_…`` term per dose bin for the binned one, with
    the model's robust SEs, normal CIs and p-values; :meth:`vcov` is their
    robust covariance.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> dr = dose_response(example_panel().query("first_treated != 2015"), outcome="outcome",
    ...                    unit="territory_code", time="year", dose="dose", start=2013)
    >>> dr.tidy().round(3)
           term  estimate     se  ci_low  ci_high  pvalue
    0  any_dose     1.966  0.183   1.607    2.324   0.000
    1      dose    -0.024  0.067  -0.156    0.107   0.718
    """

    table: pd.DataFrame
    acr: float
    acr_se: float
    level_effect: float
    options: dict[str, Any]
    model: Any = field(repr=False, default=None)
    long_difference: pd.DataFrame | None = field(repr=False, default=None)

    def _terms(self) -> list[str]:
        return [str(c) for c in self.model.params.index if c != "const"]

    def tidy(self) -> pd.DataFrame:
        """Coefficients of the long-difference regression (constant excluded)."""
        terms = self._terms()
        ci = self.model.conf_int(alpha=self.options["alpha"]).loc[terms]
        return tidy_frame(terms, self.model.params[terms], self.model.bse[terms], ci.iloc[:, 0],
                          ci.iloc[:, 1], self.model.pvalues[terms])

    def _vcov_matrix(self) -> np.ndarray:
        terms = self._terms()
        return self.model.cov_params().loc[terms, terms].to_numpy(float)

    def _n(self) -> int:
        return int(self.model.nobs)

    def summary(self) -> str:
        """Plain-text report: average causal response, level effect, dose grid."""
        return (f"Dose-response (continuous DiD, {self.options['spec']} specification)\n"
                f"Average causal response: {self.acr:.4f} (SE {self.acr_se:.4f}) per unit of "
                f"{self.options['dose']} — needs strong parallel trends\n"
                f"Effect of receiving any dose (at dose 0+): {self.level_effect:.4f}\n\n"
                + self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """ATT(d) along the dose grid (see :func:`impact.estimate.plots.dose_plot`)."""
        from impact.estimate.plots import _axes, dose_plot

        _, ax = _axes(ax, (7, 4.5))
        dose_plot(self, ax=ax, **kwargs)
        return ax


def long_difference(data: pd.DataFrame, *, outcome: str, unit: str, time: str, dose: str,
                    start: float) -> pd.DataFrame:
    """Per unit: mean outcome after minus before ``start``, and the dose.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> ld = long_difference(example_panel(), outcome="outcome", unit="territory_code",
    ...                      time="year", dose="dose", start=2013)
    >>> ld.loc["T001"].round(2).tolist()  # T001: treated from 2013, dose 1
    [3.35, 1.0]
    """
    for c in (outcome, unit, time, dose):
        if c not in data.columns:
            raise InputError(f"column {c!r} not found; columns are {list(data.columns)}")
    pre = data[data[time] < start].groupby(unit)[outcome].mean()
    post = data[data[time] >= start].groupby(unit)[outcome].mean()
    if pre.empty or post.empty:
        raise InputError(f"dose_response needs periods before and after start={start}")
    d = data.groupby(unit)[dose].max()
    out = pd.DataFrame({"dy": post - pre, "dose": d}).dropna()
    if (out["dose"] < 0).any():
        raise InputError(f"dose {dose!r} must be >= 0 (0 = untreated)")
    return out


@check_options
def dose_response(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    dose: str,
    start: float,
    spec: Literal["linear", "binned"] = "linear",
    bins: int = 4,
    cluster: str | None = None,
    alpha: float = 0.05,
    grid: np.ndarray | None = None,
) -> DoseResult:
    """Effect of a continuous treatment intensity by long differences.

    Parameters
    ----------
    dose
        Column with each unit's dose (time-invariant, 0 for untreated); the
        maximum over periods is used.
    start
        First treated period (common to all dosed units).
    spec
        ``"linear"`` (ATT(d) = g + b d) or ``"binned"`` (one effect per dose
        quantile bin).
    bins
        Number of dose quantile bins (``spec="binned"``).
    cluster
        Column to cluster the standard errors on (constant within unit);
        default heteroskedasticity-robust (HC1).
    alpha
        Level of the confidence intervals.
    grid
        Doses at which ATT(d) is reported (linear; default 11 points from the
        smallest positive dose to the largest).

    Examples
    --------
    Cohort 2013 of the example panel gets doses 1, 2 or 3 and the same effect
    2.0 whatever the dose, so the slope is near 0 and the level effect near 2:

    >>> from impact.datasets import example_panel
    >>> dr = dose_response(example_panel().query("first_treated != 2015"), outcome="outcome",
    ...                    unit="territory_code", time="year", dose="dose", start=2013)
    >>> round(dr.acr, 2), round(dr.level_effect, 2)
    (-0.02, 1.97)
    """
    ld = long_difference(data, outcome=outcome, unit=unit, time=time, dose=dose, start=start)
    treated = (ld["dose"] > 0).astype(float)
    if treated.sum() < 3 or (1 - treated).sum() < 2:
        raise InputError("dose_response needs at least three dosed and two untreated units")
    if spec == "linear":
        x = pd.DataFrame({"const": 1.0, "any_dose": treated, "dose": ld["dose"]})
    else:  # "binned" (checked by @check_options)
        q = pd.qcut(ld.loc[treated == 1, "dose"], bins, duplicates="drop")
        x = pd.get_dummies(q, prefix="bin", dtype=float).reindex(ld.index, fill_value=0.0)
        x.insert(0, "const", 1.0)
    kw: dict[str, Any] = {"cov_type": "HC1"}
    if cluster is not None:
        groups = data.drop_duplicates(unit).set_index(unit).loc[ld.index, cluster]
        kw = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(groups)[0]}}
    model = sm.OLS(ld["dy"], x).fit(**kw)
    from scipy import stats

    crit = stats.norm.ppf(1 - alpha / 2)
    if spec == "linear":
        if grid is None:
            grid = np.linspace(ld.loc[treated == 1, "dose"].min(), ld["dose"].max(), 11)
        lmat = np.column_stack([np.zeros_like(grid), np.ones_like(grid), grid])
        est = lmat @ model.params.to_numpy()
        se = np.sqrt(np.einsum("ij,jk,ik->i", lmat, model.cov_params().to_numpy(), lmat))
        table = pd.DataFrame({"dose": grid, "att": est, "se": se})
        acr, acr_se = float(model.params["dose"]), float(model.bse["dose"])
        level = float(model.params["any_dose"])
    else:
        names = [c for c in x.columns if c != "const"]
        table = pd.DataFrame({"dose": names, "att": model.params[names].to_numpy(),
                              "se": model.bse[names].to_numpy()})
        acr, acr_se, level = np.nan, np.nan, float(model.params[names].mean())
    table["ci_low"] = table["att"] - crit * table["se"]
    table["ci_high"] = table["att"] + crit * table["se"]
    return DoseResult(table=table, acr=acr, acr_se=acr_se, level_effect=level,
                      options=dict(outcome=outcome, unit=unit, time=time, dose=dose, start=start,
                                   spec=spec, cluster=cluster, alpha=alpha),
                      model=model, long_difference=ld)
