"""One protocol shared by every estimation result: ``tidy``, ``vcov``, ``summary``, ``plot``.

Each estimator of :mod:`impact.estimate` returns its own result class, with
the attributes that make sense for it (``table``, ``overall_att``,
``weights``…). On top of them every result offers the same small interface,
described by the :class:`EstimationResult` protocol and implemented once in
:class:`ResultBase`:

``tidy()``
    A :class:`pandas.DataFrame` with the fixed columns :data:`TIDY_COLUMNS`
    (``term, estimate, se, ci_low, ci_high, pvalue``), one row per reported
    estimate; ``NaN`` where a quantity does not exist for that estimator (a
    synthetic control has no standard error, only a placebo p-value). This
    is the uniform view: the ``table`` attributes keep their own names
    (``att`` in the group-time tables, as R ``did``; ``estimate`` in the
    regression tables, as ``fixest``).
``vcov()``
    Covariance of the estimates of ``tidy()``, labelled by ``term`` on both
    axes. Where the estimator gives no covariance between its estimates,
    the diagonal holds the squared standard errors and the off-diagonal
    entries are ``NaN`` (unknown, not zero).
``summary()``
    A plain-text report, ready to paste.
``plot(ax=None, **kwargs)``
    A report-ready figure (French labels) drawn on ``ax`` (created when
    omitted); returns the :class:`matplotlib.axes.Axes`.
``nobs``
    Units (territories) behind the estimates: the same count for every
    estimator, so that :func:`~impact.estimate.compare` lines them up.
``repr()`` / ``_repr_html_()``
    One line (class, main estimate, standard error, number of units) and an
    HTML rendering for Jupyter.

Examples
--------
>>> from impact.datasets import example_panel
>>> from impact.estimate import twfe
>>> df = example_panel()
>>> df["treated"] = ((df["first_treated"] > 0) & (df["year"] >= df["first_treated"])).astype(int)
>>> res = twfe(df, outcome="outcome", unit="territory_code", time="year", treatment="treated")
>>> isinstance(res, EstimationResult)
True
>>> list(res.tidy().columns)
['term', 'estimate', 'se', 'ci_low', 'ci_high', 'pvalue']
>>> res  # doctest: +ELLIPSIS
TWFEResult(treated: estimate 1.8..., se 0.1..., n 40)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["TIDY_COLUMNS", "EstimationResult", "ResultBase", "normal_pvalue", "tidy_frame"]

TIDY_COLUMNS: tuple[str, ...] = ("term", "estimate", "se", "ci_low", "ci_high", "pvalue")
"""Columns of every ``tidy()`` table, in this order (``term`` text, the others float)."""


@runtime_checkable
class EstimationResult(Protocol):
    """What every estimation result of :mod:`impact.estimate` offers.

    A structural type: any object with these methods qualifies, so the plot
    functions and :func:`~impact.estimate.compare` accept results of other
    packages wrapped to match.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import att_gt
    >>> res = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
    ...              group="first_treated")
    >>> isinstance(res.aggregate("simple"), EstimationResult)
    True
    >>> isinstance(pd.DataFrame(), EstimationResult)
    False
    """

    @property
    def nobs(self) -> int | None:
        """Units (territories) behind the estimates; None when not known."""
        ...

    def tidy(self) -> pd.DataFrame:
        """One row per estimate, columns :data:`TIDY_COLUMNS`."""
        ...

    def vcov(self) -> pd.DataFrame:
        """Covariance of the estimates of :meth:`tidy`, labelled by term."""
        ...

    def summary(self) -> str:
        """Plain-text report."""
        ...

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Report-ready figure; returns the Axes drawn on."""
        ...

    def _repr_html_(self) -> str: ...


def normal_pvalue(estimate: Any, se: Any) -> np.ndarray:
    """Two-sided p-value of ``estimate / se`` against the standard normal.

    ``NaN`` where the standard error is missing or not positive (a reference
    cell fixed at zero has no test).

    Examples
    --------
    >>> normal_pvalue([1.96, 0.0, 1.0], [1.0, 1.0, 0.0]).round(3)
    array([0.05, 1.  ,  nan])
    """
    est = np.asarray(estimate, dtype=float)
    s = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(est / s)
    return np.where(s > 0, 2 * stats.norm.sf(z), np.nan)


def tidy_frame(
    term: Any,
    estimate: Any,
    se: Any = np.nan,
    ci_low: Any = np.nan,
    ci_high: Any = np.nan,
    pvalue: Any = np.nan,
) -> pd.DataFrame:
    """Build a tidy table with the fixed columns and dtypes (terms as text, numbers as float).

    Scalars are broadcast to the length of ``term``.

    Examples
    --------
    >>> tidy_frame(["a", "b"], [1.0, 2.0], se=0.5)
      term  estimate   se  ci_low  ci_high  pvalue
    0    a       1.0  0.5     NaN      NaN     NaN
    1    b       2.0  0.5     NaN      NaN     NaN
    """
    terms = [str(t) for t in (term if isinstance(term, list | tuple | pd.Index | np.ndarray)
                              else [term])]
    n = len(terms)

    def col(v: Any) -> np.ndarray:
        arr = np.asarray(v, dtype=float).reshape(-1)
        return np.full(n, arr[0]) if arr.size == 1 else arr

    out = pd.DataFrame({"term": pd.Series(terms, dtype=object)})
    for name, value in zip(TIDY_COLUMNS[1:], (estimate, se, ci_low, ci_high, pvalue), strict=True):
        out[name] = col(value)
    return out


def _fmt(v: float) -> str:
    return "nan" if not np.isfinite(v) else f"{v:.4g}"


class ResultBase:
    """Shared behaviour of the result classes: the :class:`EstimationResult` protocol.

    A subclass defines :meth:`tidy` (and :meth:`summary`); it may override
    :meth:`_vcov_matrix` when it knows the covariance of its estimates,
    :meth:`plot` when it has a better figure than the coefficient plot, and
    :meth:`_n` (units or observations shown by ``repr``). Result dataclasses
    are declared with ``repr=False`` so that the one-line ``repr`` below is
    used.

    Examples
    --------
    A new estimator's result needs only ``tidy`` and ``summary``:

    >>> class MeanDiff(ResultBase):
    ...     def __init__(self, diff, se, n):
    ...         self.diff, self.se, self.n = diff, se, n
    ...     def tidy(self):
    ...         z = 1.959963984540054
    ...         return tidy_frame("ATT", self.diff, self.se, self.diff - z * self.se,
    ...                           self.diff + z * self.se, normal_pvalue(self.diff, self.se))
    ...     def summary(self):
    ...         return f"Difference in means: {self.diff:.2f} (SE {self.se:.2f})"
    ...     def _n(self):
    ...         return self.n
    >>> res = MeanDiff(2.0, 0.5, 40)
    >>> res
    MeanDiff(ATT: estimate 2, se 0.5, n 40)
    >>> res.tidy().round(3)
      term  estimate   se  ci_low  ci_high  pvalue
    0  ATT       2.0  0.5    1.02     2.98     0.0
    >>> float(res.vcov().loc["ATT", "ATT"])
    0.25
    >>> isinstance(res, EstimationResult), type(res.plot()).__name__
    (True, 'Axes')
    """

    def tidy(self) -> pd.DataFrame:  # pragma: no cover - every subclass defines it
        """One row per reported estimate, columns :data:`TIDY_COLUMNS`."""
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - every subclass defines it
        """Plain-text report."""
        raise NotImplementedError

    def _vcov_matrix(self) -> np.ndarray | None:
        """Covariance of the ``tidy()`` estimates when the estimator gives one, else None."""
        return None

    def _n(self) -> int | None:
        """Number of units behind the estimates; see :attr:`nobs`."""
        return None

    @property
    def nobs(self) -> int | None:
        """Units (territories) behind the estimates, whatever the estimator.

        Shown by ``repr`` and in the last row of :func:`~impact.estimate.compare`;
        None when the result does not know it.
        """
        return self._n()

    def vcov(self) -> pd.DataFrame:
        """Covariance of the estimates of :meth:`tidy`, labelled by term on both axes.

        When the estimator gives no covariance between its estimates, the
        diagonal holds the squared standard errors and the rest is ``NaN``.
        """
        tab = self.tidy()
        terms = pd.Index(tab["term"], name="term")
        m = self._vcov_matrix()
        if m is None:
            m = np.full((len(tab), len(tab)), np.nan)
            np.fill_diagonal(m, tab["se"].to_numpy(float) ** 2)
        return pd.DataFrame(np.asarray(m, dtype=float), index=terms, columns=terms.rename(None))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Coefficient plot of :meth:`tidy` (see :func:`impact.estimate.plots.coef_plot`)."""
        from impact.estimate.plots import coef_plot

        return coef_plot(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        tab = self.tidy()
        name = type(self).__name__
        n = self.nobs
        tail = f", n {n}" if n is not None else ""
        if tab.empty:
            return f"{name}(no estimate{tail})"
        row = tab.iloc[0]
        more = f", +{len(tab) - 1} terms" if len(tab) > 1 else ""
        return (f"{name}({row['term']}: estimate {_fmt(row['estimate'])}, "
                f"se {_fmt(row['se'])}{more}{tail})")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """Summary as preformatted text under the one-line repr (Jupyter)."""
        return (f"<div><strong>{html.escape(repr(self))}</strong>"
                f"<pre>{html.escape(self.summary())}</pre></div>")
