"""Several estimation results side by side, as a regression table (text, HTML, LaTeX).

:func:`compare` reads only the :class:`~impact.estimate.protocol.EstimationResult`
protocol (``tidy()`` and ``nobs``), so any mix of results
can be compared: TWFE, group-time aggregations, synthetic DiD, randomisation
inference… Each term is a block of rows: the estimate (with significance
stars when asked), its standard error in parentheses, its confidence interval
in brackets; a last row gives the number of units (or observations) behind
each column. Terms are matched by name across results; ``rename`` maps
different names of the same quantity (``{"treated": "ATT"}``) onto one row.
Like pyfixest's ``etable`` and statsmodels' ``summary_col``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.errors import InputError
from impact.estimate.protocol import TIDY_COLUMNS, EstimationResult

__all__ = ["ComparisonTable", "compare"]

_STARS = ((0.01, "***"), (0.05, "**"), (0.1, "*"))


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return next((mark for level, mark in _STARS if p < level), "")


@dataclass
class ComparisonTable:
    """Results side by side; see :func:`compare`.

    Attributes
    ----------
    data
        Numbers, one column per result, rows ``(term, statistic)`` with
        statistic in ``estimate, se, ci_low, ci_high, pvalue``, then the row
        ``("N", "")``. Missing where a result has no such term or quantity.
    digits
        Decimals shown.
    stars
        Whether estimates carry significance stars (``*`` 10 %, ``**`` 5 %,
        ``***`` 1 %, from the results' own p-values).
    ci
        Whether the confidence interval rows are shown.
    n_label
        Label of the last row.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import att_gt
    >>> res = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
    ...              group="first_treated")
    >>> tab = compare([res.aggregate("simple"), res.aggregate("group")], names=["simple", "group"])
    >>> print(tab)  # doctest: +NORMALIZE_WHITESPACE
                    simple           group
    ATT              1.871           1.863
                   (0.129)         (0.130)
            [1.619, 2.124]  [1.608, 2.119]
    g=2013                           1.895
                                   (0.182)
                            [1.539, 2.252]
    g=2015                           1.831
                                   (0.219)
                            [1.403, 2.260]
    N                   40              40
    Erreurs-types entre parenthèses ; intervalles de confiance entre crochets.
    """

    data: pd.DataFrame
    digits: int = 3
    stars: bool = False
    ci: bool = True
    n_label: str = "N"

    def to_frame(self) -> pd.DataFrame:
        """The numbers (a copy of :attr:`data`): rows ``(term, statistic)``, a column per result.

        Examples
        --------
        >>> from impact.datasets import example_panel
        >>> from impact.estimate import att_gt
        >>> agg = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
        ...              group="first_treated").aggregate("simple")
        >>> tab = compare({"CS": agg})
        >>> tab.to_frame()["CS"].round(3).tolist()
        [1.871, 0.129, 1.619, 2.124, 0.0, 40.0]
        """
        return self.data.copy()

    def formatted(self) -> pd.DataFrame:
        """The table as text cells: estimate, ``(se)``, ``[ci_low, ci_high]`` per term, then N.

        The row labels are the term on the estimate row and empty below it.

        Examples
        --------
        >>> from impact.datasets import example_panel
        >>> from impact.estimate import att_gt
        >>> agg = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
        ...              group="first_treated").aggregate("simple")
        >>> tab = compare({"CS": agg})
        >>> tab.formatted()["CS"].tolist()
        ['1.871', '(0.129)', '[1.619, 2.124]', '40']
        """
        d = self.digits
        terms = [t for t in dict.fromkeys(self.data.index.get_level_values(0)) if t != "N"]
        rows: list[list[str]] = []
        labels: list[str] = []
        for term in terms:
            block = self.data.xs(term, level=0)
            est, se = block.loc["estimate"], block.loc["se"]
            lo, hi, p = block.loc["ci_low"], block.loc["ci_high"], block.loc["pvalue"]
            rows.append([
                "" if not np.isfinite(e)
                else f"{e:.{d}f}" + (_stars(float(pv)) if self.stars else "")
                for e, pv in zip(est, p, strict=True)
            ])
            labels.append(str(term))
            rows.append([f"({s:.{d}f})" if np.isfinite(s) else "" for s in se])
            labels.append("")
            if self.ci:
                rows.append([f"[{a:.{d}f}, {b:.{d}f}]" if np.isfinite(a) and np.isfinite(b)
                             else "" for a, b in zip(lo, hi, strict=True)])
                labels.append("")
        n = self.data.loc[("N", "")]
        rows.append([f"{int(v)}" if np.isfinite(v) else "" for v in n])
        labels.append(self.n_label)
        return pd.DataFrame(rows, index=pd.Index(labels), columns=self.data.columns)

    def _note(self) -> str:
        parts = ["Erreurs-types entre parenthèses"]
        if self.ci:
            parts.append("intervalles de confiance entre crochets")
        if self.stars:
            parts.append("* p < 0,1, ** p < 0,05, *** p < 0,01")
        return " ; ".join(parts) + "."

    def __str__(self) -> str:
        return self.formatted().to_string() + "\n" + self._note()

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        table = self.formatted().to_html(classes="impact-compare", border=0)
        return f"<div>{table}<p><small>{html.escape(self._note())}</small></p></div>"

    def to_latex(self, caption: str | None = None, label: str | None = None) -> str:
        """A LaTeX ``tabular`` with booktabs rules (through pandas' ``Styler.to_latex``).

        Cells and labels are escaped for LaTeX; the note goes below the table.

        Examples
        --------
        >>> from impact.datasets import example_panel
        >>> from impact.estimate import att_gt
        >>> agg = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
        ...              group="first_treated").aggregate("simple")
        >>> tab = compare({"CS": agg})
        >>> "1.871" in tab.to_latex(caption="Effet moyen")
        True
        """
        styler = (self.formatted().style.format(escape="latex")
                  .format_index(escape="latex", axis=0).format_index(escape="latex", axis=1))
        body = styler.to_latex(hrules=True, caption=caption, label=label,
                               column_format="l" + "c" * self.data.shape[1])
        return body + "% " + self._note() + "\n"


def compare(
    results: Sequence[EstimationResult] | Mapping[str, EstimationResult],
    names: Sequence[str] | None = None,
    *,
    terms: Sequence[str] | None = None,
    rename: Mapping[str, str] | None = None,
    digits: int = 3,
    stars: bool = False,
    ci: bool = True,
    n_label: str = "N",
) -> ComparisonTable:
    """Compare several estimation results side by side.

    Parameters
    ----------
    results
        Results following the :class:`~impact.estimate.protocol.EstimationResult`
        protocol, or a mapping ``{name: result}``.
    names
        Column names (default: the mapping's keys, else ``(1), (2), …``).
    terms
        Terms to show, in this order (after ``rename``); default every term of
        every result, in order of first appearance.
    rename
        Term names to replace, e.g. ``{"treated": "ATT"}`` so that the TWFE
        coefficient sits on the row of the ATT of the other estimators.
    digits
        Decimals shown.
    stars
        Add significance stars to the estimates (off by default: with few
        treated territories, p-values deserve more than a star).
    ci
        Show the confidence intervals.
    n_label
        Label of the row of units / observations (e.g. ``"Territoires"``).

    Returns
    -------
    ComparisonTable
        ``print()`` it, display it in Jupyter, or call ``.to_latex()`` /
        ``.to_frame()``.

    Raises
    ------
    InputError
        When a result does not follow the protocol, names do not match the
        number of results, or a requested term is in no result.

    Examples
    --------
    TWFE and the Callaway–Sant'Anna ATT on the example panel (true effect 2.0):

    >>> from impact.datasets import example_panel
    >>> from impact.estimate import att_gt, twfe
    >>> df = example_panel()
    >>> df["treated"] = ((df["first_treated"] > 0)
    ...                  & (df["year"] >= df["first_treated"])).astype(int)
    >>> base = twfe(df, outcome="outcome", unit="territory_code", time="year", treatment="treated")
    >>> cs = att_gt(df, outcome="outcome", unit="territory_code", time="year",
    ...             group="first_treated").aggregate("simple")
    >>> tab = compare({"TWFE": base, "CS (2021)": cs}, rename={"treated": "ATT"})
    >>> print(tab)  # doctest: +NORMALIZE_WHITESPACE
                   TWFE       CS (2021)
    ATT           1.866           1.871
                (0.100)         (0.129)
         [1.664, 2.069]  [1.619, 2.124]
    N                40              40
    Erreurs-types entre parenthèses ; intervalles de confiance entre crochets.
    >>> tab.to_frame().loc[("ATT", "pvalue")].round(4).tolist()
    [0.0, 0.0]
    >>> tex = tab.to_latex()
    >>> "ATT & 1.866 & 1.871" in tex, "toprule" in tex
    (True, True)
    """
    if isinstance(results, Mapping):
        if names is None:
            names = [str(k) for k in results]
        results = list(results.values())
    results = list(results)
    if not results:
        raise InputError("compare() needs at least one result")
    for i, r in enumerate(results):
        if not isinstance(r, EstimationResult):
            raise InputError(f"result {i} ({type(r).__name__}) has no tidy()/vcov()/summary()/"
                             "plot(): expected an estimation result of impact.estimate")
    if names is None:
        names = [f"({i + 1})" for i in range(len(results))]
    names = [str(n) for n in names]
    if len(names) != len(results):
        raise InputError(f"{len(names)} names for {len(results)} results")
    if len(set(names)) != len(names):
        raise InputError(f"names must be distinct, not {names}")
    rename = dict(rename or {})
    frames = []
    ns = []
    for r in results:
        tab = r.tidy()
        tab = tab.assign(term=tab["term"].map(lambda t: rename.get(t, t)))
        if tab["term"].duplicated().any():
            dup = tab.loc[tab["term"].duplicated(), "term"].iloc[0]
            raise InputError(f"{type(r).__name__} has the term {dup!r} twice after rename")
        frames.append(tab.set_index("term")[list(TIDY_COLUMNS[1:])])
        n = r.nobs
        ns.append(np.nan if n is None else float(n))
    order = list(dict.fromkeys(t for f in frames for t in f.index))
    if terms is not None:
        missing = [t for t in terms if t not in order]
        if missing:
            raise InputError(f"term(s) {missing} in no result; terms are {order}")
        order = list(terms)
    stats_ = list(TIDY_COLUMNS[1:])
    index = pd.MultiIndex.from_tuples([(t, s) for t in order for s in stats_] + [("N", "")],
                                      names=["term", "statistic"])
    data = pd.DataFrame(np.nan, index=index, columns=pd.Index(names), dtype=float)
    for name, frame, n_col in zip(names, frames, ns, strict=True):
        for t in order:
            if t in frame.index:
                for s in stats_:
                    data.loc[(t, s), name] = float(frame.loc[t, s])
        data.loc[("N", ""), name] = n_col
    return ComparisonTable(data=data, digits=digits, stars=stars, ci=ci, n_label=n_label)
