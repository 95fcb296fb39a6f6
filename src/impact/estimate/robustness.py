"""Is the estimate driven by one territory or one cohort? Leave-one-out re-estimation.

With 10 to 20 treated départements, one territory with an unusual trajectory
can carry the overall effect. :func:`leave_one_out` re-runs
:func:`~impact.estimate.att_gt` dropping, in turn, each treated territory
(``by="unit"``) or each cohort (``by="cohort"``), and reports the overall ATT
each time, next to the full-sample estimate.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from impact._options import check_options
from impact.errors import InputError
from impact.estimate.protocol import ResultBase, normal_pvalue, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["LeaveOneOutResult", "leave_one_out"]

logger = logging.getLogger(__name__)


@dataclass(repr=False)
class LeaveOneOutResult(ResultBase):
    """Overall ATT with each treated territory (or cohort) left out.

    :meth:`tidy` gives the ``full sample`` estimate then one row
    ``"without <code>"`` per left-out territory or cohort (in the order of
    ``table``), with normal CIs and p-values.

    Attributes
    ----------
    table
        One row per left-out territory or cohort: ``dropped, cohort, att, se,
        ci_low, ci_high, change`` (``change = att - full_att``), sorted by
        ``att``.
    full_att, full_se, full_ci
        The estimate on the full sample.
    by
        ``"unit"`` or ``"cohort"``.
    aggregation
        The aggregation whose overall ATT is reported.
    n_units
        Units of the full sample.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> loo = leave_one_out(example_panel(), by="cohort", outcome="outcome",
    ...                     unit="territory_code", time="year", group="first_treated")
    >>> loo.tidy().round(3)
               term  estimate     se  ci_low  ci_high  pvalue
    0   full sample     1.871  0.129   1.619    2.124     0.0
    1  without 2013     1.831  0.219   1.403    2.260     0.0
    2  without 2015     1.895  0.182   1.539    2.252     0.0
    """

    table: pd.DataFrame
    full_att: float
    full_se: float
    full_ci: tuple[float, float]
    by: str
    aggregation: str
    n_units: int | None = None

    @property
    def most_influential(self) -> Any:
        """The territory (or cohort) whose removal moves the estimate most."""
        return self.table.loc[self.table["change"].abs().idxmax(), "dropped"]

    def tidy(self) -> pd.DataFrame:
        """``full sample`` then ``without <code>`` per row of ``table``."""
        t = self.table
        head = tidy_frame("full sample", self.full_att, self.full_se, self.full_ci[0],
                          self.full_ci[1], normal_pvalue(self.full_att, self.full_se))
        rows = tidy_frame([f"without {d}" for d in t["dropped"]], t["att"], t["se"],
                          t["ci_low"], t["ci_high"], normal_pvalue(t["att"], t["se"]))
        return pd.concat([head, rows], ignore_index=True)

    def _n(self) -> int | None:
        return self.n_units

    def summary(self, digits: int = 4) -> str:
        """Plain-text report: full-sample estimate, range, most influential, table."""
        what = "treated territory" if self.by == "unit" else "cohort"
        lo, hi = self.full_ci
        return "\n".join([
            f"Leave-one-{what}-out: overall ATT ({self.aggregation})",
            f"Full sample: {self.full_att:.{digits}f} (SE {self.full_se:.{digits}f}; "
            f"CI {lo:.{digits}f} to {hi:.{digits}f})",
            f"Range when one {what} is dropped: {self.table['att'].min():.{digits}f} to "
            f"{self.table['att'].max():.{digits}f}; most influential: {self.most_influential}",
            "",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}"),
        ])

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Leave-one-out plot (see :func:`impact.estimate.plots.leave_one_out_plot`); the Axes."""
        from impact.estimate.plots import _axes, leave_one_out_plot

        _, ax = _axes(ax, (7, max(3.0, 0.28 * len(self.table) + 1.2)))
        leave_one_out_plot(self, ax=ax, **kwargs)
        return ax


def _overall(res, aggregation: str) -> tuple[float, float, tuple[float, float]]:
    agg = res.aggregate(aggregation, bootstrap=0, uniform_band=False)
    return agg.overall_att, agg.overall_se, agg.overall_ci


@check_options
def leave_one_out(
    data: pd.DataFrame,
    *,
    by: Literal["unit", "cohort"] = "unit",
    aggregation: Literal["simple", "group", "dynamic", "calendar"] = "simple",
    **att_gt_kwargs: Any,
) -> LeaveOneOutResult:
    """Overall ATT re-estimated with each treated territory or cohort left out.

    Parameters
    ----------
    data
        Long panel, as for :func:`~impact.estimate.att_gt`.
    by
        ``"unit"``: drop each ever-treated unit in turn (never-treated units
        always stay); ``"cohort"``: drop each cohort in turn.
    aggregation
        Which overall ATT to report (``aggregate(kind).overall_att``).
    **att_gt_kwargs
        The arguments of :func:`~impact.estimate.att_gt` (``outcome, unit,
        time, group`` …). Standard errors are analytic (the bootstrap
        option is ignored, so that the loop stays fast).

    Returns
    -------
    LeaveOneOutResult
        ``.table``, ``.full_att``, ``.most_influential``, ``.plot()``.

    Notes
    -----
    A left-out unit whose removal empties its cohort is reported with the
    remaining cohorts only; leaving out the only cohort is impossible and
    raises :class:`~impact.errors.InputError`.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> loo = leave_one_out(example_panel(n_units=20), outcome="outcome",
    ...                     unit="territory_code", time="year", group="first_treated")
    >>> len(loo.table), loo.most_influential
    (10, 'T009')
    """
    from impact.estimate.did import att_gt
    for key in ("unit", "group"):
        if key not in att_gt_kwargs:
            raise InputError(f"leave_one_out needs the att_gt argument {key}=...")
    kw = {**att_gt_kwargs, "bootstrap": False}
    unit, group = kw["unit"], kw["group"]
    g = pd.to_numeric(data[group], errors="coerce").fillna(0)
    full = att_gt(data, **kw)
    f_att, f_se, f_ci = _overall(full, aggregation)
    if by == "unit":
        items = pd.Series(data.loc[g > 0, unit].unique())
        keys = [(u, float(g[data[unit] == u].iloc[0])) for u in items]
    else:
        keys = [(c, c) for c in sorted(g[g > 0].unique())]
    if by == "cohort" and len(keys) < 2:
        raise InputError("leave-one-cohort-out needs at least two cohorts")
    rows = []
    seen: dict[str, str] = {}
    for i, (key, cohort) in enumerate(keys, 1):
        keep = (data[unit] != key) if by == "unit" else (g != key)
        try:
            # The estimator's warnings (a small cohort) repeat at every re-estimation: the
            # full-sample fit above shows them; here each distinct one is logged once.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = att_gt(data.loc[keep], **kw)
            for w in caught:
                seen.setdefault(str(w.message), str(key))
            att, se, ci = _overall(res, aggregation)
        except InputError as err:  # e.g. no treated cohort left
            logger.warning("leave-one-out: dropping %s leaves nothing to estimate (%s)", key, err)
            att, se, ci = np.nan, np.nan, (np.nan, np.nan)
        rows.append({"dropped": key, "cohort": cohort, "att": att, "se": se,
                     "ci_low": ci[0], "ci_high": ci[1], "change": att - f_att})
        if i % 10 == 0 or i == len(keys):
            logger.info("leave-one-out (%s): %d/%d re-estimations", by, i, len(keys))
    for msg, first in seen.items():
        logger.info("leave-one-out (first when dropping %s): %s", first, msg)
    table = pd.DataFrame(rows).sort_values("att", kind="stable").reset_index(drop=True)
    if np.all(np.mod(table["cohort"], 1) == 0):
        table["cohort"] = table["cohort"].astype(int)
    return LeaveOneOutResult(table=table, full_att=f_att, full_se=f_se, full_ci=f_ci, by=by,
                             aggregation=aggregation, n_units=int(data[unit].nunique()))
