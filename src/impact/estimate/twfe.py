"""Two-way fixed effects by the within transformation, with cluster-robust errors.

``y_it = a_i + l_t + b * D_it + e_it`` is estimated by sweeping out the unit
and period means (alternating projections; exact in one pass on a balanced
panel) and regressing the residualised outcome on the residualised treatment.
No dummy per territory is ever built: with 35,000 communes a dummy matrix is
out of reach, while the within transformation takes a fraction of a second.

**Warning.** Under staggered adoption with effects that vary across cohorts or
grow over time, the TWFE coefficient is a weighted average of comparisons some
of which use already-treated units as controls, with possibly negative weights
(Goodman-Bacon 2021; de Chaisemartin & D'Haultfœuille 2020; Sun & Abraham
2021). It is reported as a baseline only; use :func:`impact.estimate.att_gt`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import InputError
from impact.estimate._validate import numeric_periods, require_columns
from impact.estimate.protocol import ResultBase, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from impact.estimate.wild import WildBootstrapResult

TWFE_WARNING = (
    "WARNING: with staggered adoption and heterogeneous or dynamic effects, TWFE is biased "
    "(Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille 2020): already-treated units serve "
    "as controls and some comparisons get negative weights. Use att_gt() for the group-time "
    "estimator of Callaway & Sant'Anna (2021)."
)


@dataclass(repr=False)
class TWFEResult(ResultBase):
    """Coefficients of a two-way fixed-effects regression.

    Attributes
    ----------
    table
        One row per regressor: ``term, estimate, se, t, p_value, ci_low,
        ci_high, n_units`` (regression naming, as ``fixest``; :meth:`tidy`
        gives the uniform columns, with the t-based p-values and CIs).
    options
        Columns and options used.
    cov_matrix
        CR1 covariance of the coefficients (array; :meth:`vcov` labels it).
    n_obs, n_units, n_clusters
        Observations, units and clusters used.
    data
        The data, kept for :meth:`wild_bootstrap`.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> df = example_panel()
    >>> df["treated"] = ((df["first_treated"] > 0)
    ...                  & (df["year"] >= df["first_treated"])).astype(int)
    >>> res = twfe(df, outcome="outcome", unit="territory_code", time="year", treatment="treated",
    ...            cluster="territory_code")
    >>> res.tidy().round(3)
          term  estimate   se  ci_low  ci_high  pvalue
    0  treated     1.866  0.1   1.664    2.069     0.0
    >>> res.vcov().round(4)  # doctest: +NORMALIZE_WHITESPACE
             treated
    term
    treated     0.01
    """

    table: pd.DataFrame
    options: dict[str, Any]
    cov_matrix: np.ndarray
    n_obs: int = 0
    n_units: int = 0
    n_clusters: int = 0
    data: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def coef(self) -> pd.Series:
        """Coefficients indexed by term."""
        return self.table.set_index("term")["estimate"]

    @property
    def se(self) -> pd.Series:
        """CR1 standard errors indexed by term."""
        return self.table.set_index("term")["se"]

    def tidy(self) -> pd.DataFrame:
        """One row per coefficient; p-value and CI from Student's t with G - 1 d.f."""
        t = self.table
        return tidy_frame(t["term"].tolist(), t["estimate"], t["se"], t["ci_low"], t["ci_high"],
                          t["p_value"])

    def _vcov_matrix(self) -> np.ndarray:
        return self.cov_matrix

    def _n(self) -> int:
        return self.n_units

    def summary(self, digits: int = 4) -> str:
        """Plain-text report with the coefficient table and the staggered-adoption warning."""
        o = self.options
        lines = [
            "Two-way fixed effects (within transformation)",
            f"Outcome: {o['outcome']}   Observations: {self.n_obs}   Units: {self.n_units}   "
            f"Clusters ({o['cluster']}): {self.n_clusters}   "
            "SE: CR1 (fixest small-sample correction)",
            "",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}"),
            "",
            TWFE_WARNING,
        ]
        return "\n".join(lines)

    def wild_bootstrap(
        self,
        term: str | None = None,
        *,
        B: int = 9999,
        weights: Literal["rademacher", "webb"] = "webb",
        null: float = 0.0,
        seed: int | None = 0,
        alpha: float | None = None,
        ci: bool = True,
    ) -> WildBootstrapResult:
        """Restricted wild cluster bootstrap p-value and CI for one coefficient.

        With few (treated) clusters, CR1 t-tests over-reject; see
        :func:`impact.estimate.wild.wild_cluster_bootstrap` (``weights`` is
        ``"webb"`` or ``"rademacher"``). Clusters are those of the regression.

        Examples
        --------
        >>> from impact.datasets import example_panel
        >>> df = example_panel()
        >>> df["treated"] = ((df["first_treated"] > 0)
        ...                  & (df["year"] >= df["first_treated"])).astype(int)
        >>> res = twfe(df, outcome="outcome", unit="territory_code", time="year",
        ...            treatment="treated", cluster="region")
        >>> wb = res.wild_bootstrap(weights="rademacher")  # 4 clusters: all 16 sign vectors
        >>> wb.n_clusters, wb.enumerated, wb.draws
        (4, True, 16)
        """
        from impact.estimate.wild import wild_cluster_bootstrap

        if self.data is None:
            raise InputError("this TWFE result does not keep its data: re-run twfe()")
        o = self.options
        return wild_cluster_bootstrap(
            self.data, outcome=o["outcome"], unit=o["unit"], time=o["time"],
            treatment=o["treatment"], term=term, cluster=o["cluster"], weights=o["weights"],
            null=null, B=B, bootstrap_weights=weights, seed=seed,
            alpha=o["alpha"] if alpha is None else alpha, ci=ci,
        )


def _within(cols: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray, w: np.ndarray,
            tol: float = 1e-12, max_iter: int = 1000) -> np.ndarray:
    """Remove unit and period (weighted) means by alternating projections."""
    out = cols.astype(float).copy()
    nu, nt = unit_codes.max() + 1, time_codes.max() + 1
    wu = np.bincount(unit_codes, weights=w, minlength=nu)
    wt = np.bincount(time_codes, weights=w, minlength=nt)
    for _ in range(max_iter):
        prev = out.copy()
        for codes, tot, m in ((unit_codes, wu, nu), (time_codes, wt, nt)):
            for j in range(out.shape[1]):
                means = np.bincount(codes, weights=w * out[:, j], minlength=m) / tot
                out[:, j] -= means[codes]
        if np.max(np.abs(out - prev)) < tol:
            break
    return out


def twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str | Sequence[str],
    cluster: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
) -> TWFEResult:
    """Two-way fixed-effects regression of ``outcome`` on ``treatment``.

    Parameters
    ----------
    data
        Long panel (balanced or not).
    outcome, unit, time
        Column names.
    treatment
        Treatment column(s), e.g. a 0/1 indicator "treated in t", or event-time
        dummies (see :func:`event_time_dummies`).
    cluster
        Cluster column for standard errors (default: the unit).
    weights
        Regression weights (e.g. population).

    Returns
    -------
    TWFEResult
        ``.table`` (term, estimate, se, t, p_value, ci_low, ci_high, n_units),
        ``.summary()`` — which warns that TWFE is biased under staggered adoption.

    Notes
    -----
    Standard errors are CR1 as in fixest/pyfixest: ``G/(G-1) · (n-1)/(n-K)``,
    where K counts the regressors and the fixed effects not nested in the
    clusters; t-tests use G - 1 degrees of freedom.

    Examples
    --------
    On the example panel (true effect 2.0, the same in every cohort and year,
    so TWFE is unbiased here):

    >>> from impact.datasets import example_panel
    >>> df = example_panel()
    >>> df["treated"] = ((df["first_treated"] > 0)
    ...                  & (df["year"] >= df["first_treated"])).astype(int)
    >>> res = twfe(df, outcome="outcome", unit="territory_code", time="year", treatment="treated")
    >>> round(float(res.coef["treated"]), 2), res.n_obs, res.n_clusters
    (1.87, 320, 40)
    """
    treatments = [treatment] if isinstance(treatment, str) else list(treatment)
    cluster = cluster or unit
    require_columns(data, [outcome, unit, time, cluster, weights, *treatments])
    numeric_periods(data[time], time) if pd.api.types.is_numeric_dtype(data[time]) else None
    df = data.dropna(subset=[outcome, *treatments])
    if df.duplicated([unit, time]).any():
        raise InputError(f"duplicated ({unit}, {time}) rows: each unit must appear once per period")
    uc, _ = pd.factorize(df[unit])
    tc, _ = pd.factorize(df[time])
    cc, cl = pd.factorize(df[cluster])
    w = df[weights].to_numpy(float) if weights else np.ones(len(df))
    # Singletons (units observed once) are perfectly fit by their fixed effect.
    mat = np.column_stack([df[outcome].to_numpy(float), df[treatments].to_numpy(float)])
    res = _within(mat, uc, tc, w)
    yd, xd = res[:, 0], res[:, 1:]
    xtwx = (xd.T * w) @ xd
    if np.linalg.matrix_rank(xtwx) < xd.shape[1]:
        raise InputError("a treatment column has no variation left after removing unit and period "
                         "effects (always or never treated in every period?)")
    beta = np.linalg.solve(xtwx, (xd.T * w) @ yd)
    e = yd - xd @ beta
    scores = np.zeros((len(cl), xd.shape[1]))
    np.add.at(scores, cc, xd * (w * e)[:, None])
    bread = np.linalg.inv(xtwx)
    n, G = len(df), len(cl)
    n_units, n_periods = uc.max() + 1, tc.max() + 1
    # fixest "nested" rule: fixed effects nested in the cluster do not count in K.
    sizes = [size for fe, size in ((unit, n_units), (time, n_periods))
             if df.groupby(fe)[cluster].nunique().max() > 1]
    # K = regressors + levels of the non-nested fixed effects, minus one per
    # extra non-nested effect (fixest's fixef.K = "nested").
    fe_k = sum(sizes) - max(len(sizes) - 1, 0)
    k = xd.shape[1] + fe_k
    adj = G / (G - 1) * (n - 1) / (n - k)
    vcov = adj * bread @ (scores.T @ scores) @ bread
    se = np.sqrt(np.diag(vcov))
    tstat = beta / se
    p = 2 * stats.t.sf(np.abs(tstat), G - 1)
    crit = stats.t.ppf(1 - alpha / 2, G - 1)
    table = pd.DataFrame({"term": treatments, "estimate": beta, "se": se, "t": tstat, "p_value": p,
                          "ci_low": beta - crit * se, "ci_high": beta + crit * se,
                          "n_units": n_units})
    options = dict(outcome=outcome, unit=unit, time=time, treatment=treatments, cluster=cluster,
                   weights=weights, alpha=alpha)
    return TWFEResult(table=table, options=options,
                      cov_matrix=vcov, n_obs=n, n_units=int(n_units), n_clusters=G, data=data)


def event_time_dummies(
    data: pd.DataFrame, *, time: str, group: str, reference: int = -1,
    window: tuple[int, int] | None = None, prefix: str = "e",
) -> tuple[pd.DataFrame, list[str]]:
    """Add relative-time dummies ``e-3, e-2, e0, e1 …`` for an event-study TWFE.

    Never-treated units (group 0 or missing) get zeros everywhere; the
    ``reference`` period is omitted; event times outside ``window`` are binned
    into the end points.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> df, names = event_time_dummies(example_panel(), time="year", group="first_treated",
    ...                                window=(-3, 2))
    >>> names
    ['e-3', 'e-2', 'e0', 'e1', 'e2']
    >>> res = twfe(df, outcome="outcome", unit="territory_code", time="year", treatment=names)
    >>> res.tidy()["term"].tolist()
    ['e-3', 'e-2', 'e0', 'e1', 'e2']
    """
    g = pd.to_numeric(data[group], errors="coerce").fillna(0)
    e = (data[time] - g).where(g > 0)
    if window is not None:
        e = e.clip(window[0], window[1])
    out = data.copy()
    names = []
    for v in sorted(e.dropna().unique()):
        if v == reference:
            continue
        name = f"{prefix}{int(v)}"
        out[name] = (e == v).astype(float)
        names.append(name)
    return out, names
