"""Wild cluster bootstrap for two-way fixed-effects regressions (few treated clusters).

With 10 to 20 treated départements out of 96, cluster-robust t-tests
over-reject: the variance of the coefficient is driven by the few treated
clusters and CR1 underestimates it. The restricted wild cluster bootstrap
(WCR; Cameron, Gelbach & Miller 2008) imposes the null hypothesis, draws one
weight per cluster (Rademacher ±1 or Webb's six-point weights, better when
clusters are few: Webb 2023) and compares the t-statistic with its bootstrap
distribution. Confidence intervals come from inverting the test.

Computation follows Roodman, MacKinnon, Nielsen & Webb (2019, "Fast and wild"):
the bootstrap numerator and the cluster scores are linear in the weights, so
everything needed is two ``G × G`` matrices computed once, and each draw costs
a product with them. Under the null ``beta_j = r`` the restricted residuals are
affine in ``r``, which makes test inversion cheap.

With Rademacher weights and ``2**G <= B`` every sign vector is enumerated, as
in ``boottest`` and ``wildboottest``: the p-value is then exact (no Monte
Carlo error).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact._options import check_options
from impact.errors import InputError
from impact.estimate.protocol import ResultBase, tidy_frame

__all__ = ["WildBootstrapResult", "wild_cluster_bootstrap", "webb_weights"]

logger = logging.getLogger(__name__)

WEIGHTS = ("rademacher", "webb")
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def webb_weights(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Webb's six-point weights ±sqrt(1/2), ±1, ±sqrt(3/2), each with probability 1/6.

    Mean 0, variance 1, fourth moment 7/6; with few clusters they give many
    more distinct bootstrap draws than Rademacher's ``2**G``.

    Examples
    --------
    >>> w = webb_weights(np.random.default_rng(0), 100_000)
    >>> np.unique(np.abs(w).round(3)).tolist()
    [0.707, 1.0, 1.225]
    >>> abs(float(w.mean())) < 0.01, round(float(w.var()), 2)
    (True, 1.0)
    """
    return _WEBB[rng.integers(0, 6, size=size)]


def _draw(kind: str, B: int, G: int, seed) -> tuple[np.ndarray, bool]:
    if kind == "rademacher" and 2**G <= B:
        signs = np.array(list(itertools.product((-1.0, 1.0), repeat=G)))
        logger.info("wild bootstrap: %d clusters, all %d Rademacher sign vectors enumerated",
                    G, len(signs))
        return signs, True
    rng = np.random.default_rng(seed)
    if kind == "rademacher":
        return rng.integers(0, 2, size=(B, G)).astype(float) * 2 - 1, False
    return webb_weights(rng, (B, G)), False


@dataclass(repr=False)
class WildBootstrapResult(ResultBase):
    """Result of a restricted wild cluster bootstrap test of ``beta_term = null``.

    :meth:`tidy` has one row: the coefficient, its CR1 standard error, the
    confidence interval obtained by inverting the bootstrap test (not
    ``estimate ± z se``) and the bootstrap p-value.

    Attributes
    ----------
    term, estimate, se
        The coefficient tested, its estimate and CR1 standard error.
    null
        Value under the null hypothesis.
    t_stat
        ``(estimate - null) / se``.
    pvalue
        Symmetric bootstrap p-value: share of draws with ``|t*| >= |t|``.
    ci_low, ci_high
        ``1 - alpha`` confidence interval by test inversion (NaN when not asked).
    draws, weights, n_clusters, enumerated
        Bootstrap settings (``enumerated``: every Rademacher sign vector used).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> df = example_panel()
    >>> df["treated"] = ((df["first_treated"] > 0)
    ...                  & (df["year"] >= df["first_treated"])).astype(int)
    >>> wb = wild_cluster_bootstrap(df, outcome="outcome", unit="territory_code", time="year",
    ...                             treatment="treated", cluster="region", B=999)
    >>> wb.tidy().round(3)
          term  estimate     se  ci_low  ci_high  pvalue
    0  treated     1.866  0.067   1.686    2.048   0.005
    """

    term: str
    estimate: float
    se: float
    null: float
    t_stat: float
    pvalue: float
    ci_low: float
    ci_high: float
    alpha: float
    draws: int
    weights: str
    n_clusters: int
    enumerated: bool
    t_boot: np.ndarray = field(repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """One row with the test and its settings (regression naming: ``p_value``)."""
        return pd.DataFrame([{
            "term": self.term, "estimate": self.estimate, "se": self.se, "null": self.null,
            "t": self.t_stat, "p_value": self.pvalue, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "draws": self.draws, "weights": self.weights,
            "n_clusters": self.n_clusters,
        }])

    def tidy(self) -> pd.DataFrame:
        """The coefficient, CR1 SE, test-inversion CI and bootstrap p-value."""
        return tidy_frame(self.term, self.estimate, self.se, self.ci_low, self.ci_high,
                          self.pvalue)

    def summary(self, digits: int = 4) -> str:
        """Plain-text report of the test and its interval."""
        return (
            f"Wild cluster bootstrap (restricted, {self.weights} weights, {self.draws} draws"
            f"{', all enumerated' if self.enumerated else ''}; {self.n_clusters} clusters)\n"
            f"{self.term}: estimate {self.estimate:.{digits}f}, t = {self.t_stat:.3f}, "
            f"p-value (H0: = {self.null:g}) = {self.pvalue:.4f}; "
            f"{100 * (1 - self.alpha):.0f}% CI "
            f"[{self.ci_low:.{digits}f}, {self.ci_high:.{digits}f}]"
        )


class _WCR:
    """Precomputed pieces of the WCR bootstrap for one coefficient (see module notes)."""

    def __init__(self, Xd: np.ndarray, yd: np.ndarray, w: np.ndarray, cluster: np.ndarray,
                 G: int, j: int, annihilate, adj: float):
        self.j, self.G, self.adj = j, G, adj
        self.Xd, self.w = Xd, w
        xtwx = (Xd.T * w) @ Xd
        self.bread = np.linalg.inv(xtwx)
        self.beta = self.bread @ ((Xd.T * w) @ yd)
        others = [c for c in range(Xd.shape[1]) if c != j]
        Xo = Xd[:, others]

        def resid_on_others(v):
            if not others:
                return v
            coef = np.linalg.solve((Xo.T * w) @ Xo, (Xo.T * w) @ v)
            return v - Xo @ coef

        # Restricted residuals under beta_j = r: u(r) = u0 - r q.
        self.u0 = resid_on_others(yd)
        self.q = resid_on_others(Xd[:, j])
        self.cluster = cluster
        self.annihilate = annihilate  # M: residual on the fixed effects and all regressors
        bj = self.bread[j]
        # Column g of `lin` is X_g' W u restricted to cluster g, projected on bread_j.
        self._d0, self._D0 = self._pieces(self.u0, bj)
        self._dq, self._Dq = self._pieces(self.q, bj)
        e = annihilate(yd)
        scores = np.zeros((G, Xd.shape[1]))
        np.add.at(scores, cluster, Xd * (w * e)[:, None])
        vcov = adj * self.bread @ (scores.T @ scores) @ self.bread
        self.se = float(np.sqrt(vcov[j, j]))

    def _pieces(self, u: np.ndarray, bj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        G, Xd, w = self.G, self.Xd, self.w
        d = np.zeros(G)
        D = np.zeros((G, G))
        XWb = (Xd * w[:, None]) @ bj  # n: contribution of each observation to bread_j X'W
        for g in range(G):
            ug = np.where(self.cluster == g, u, 0.0)
            d[g] = XWb @ ug
            mug = self.annihilate(ug)
            # D[g, h] = bread_j X_h' W (M u^(g))_h
            D[g] = np.bincount(self.cluster, weights=XWb * mug, minlength=G)
        return d, D

    def t_stats(self, V: np.ndarray, r: float) -> np.ndarray:
        """Bootstrap t-statistics under ``beta_j = r`` for weight draws ``V`` (B × G)."""
        num = V @ (self._d0 - r * self._dq)
        a = V @ (self._D0 - r * self._Dq)
        se = np.sqrt(self.adj * np.einsum("bg,bg->b", a, a))
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / se

    def pvalue(self, V: np.ndarray, r: float) -> tuple[float, np.ndarray]:
        t = (self.beta[self.j] - r) / self.se
        tb = self.t_stats(V, r)
        return float(np.mean(np.abs(tb) >= abs(t) - 1e-12 * max(1.0, abs(t)))), tb


@check_options
def wild_cluster_bootstrap(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str | Sequence[str],
    term: str | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    null: float = 0.0,
    B: int = 9999,
    bootstrap_weights: Literal["rademacher", "webb"] = "webb",
    seed: int | None = 0,
    alpha: float = 0.05,
    ci: bool = True,
) -> WildBootstrapResult:
    """Restricted wild cluster bootstrap (WCR) test and CI for one TWFE coefficient.

    Parameters
    ----------
    data, outcome, unit, time, treatment, cluster, weights
        As :func:`impact.estimate.twfe` (unit and period fixed effects).
    term
        The coefficient tested (default: the first treatment column).
    null
        Value of the coefficient under the null hypothesis.
    B
        Bootstrap draws (Rademacher weights are enumerated when ``2**G <= B``).
    bootstrap_weights
        ``"webb"`` (default, recommended with fewer than ~12 clusters, or few
        treated ones) or ``"rademacher"``.
    seed
        Seed of the weights (same seed, same draws, same p-value).
    alpha, ci
        Level of the confidence interval, and whether to compute it (by
        bisection on the bootstrap p-value, with the same draws at every
        trial value).

    Returns
    -------
    WildBootstrapResult
        ``.pvalue``, ``.ci_low``, ``.ci_high``, ``.table``, ``.summary()``.

    Notes
    -----
    The t-statistics use the same CR1 standard errors as :func:`twfe`; the
    bootstrap p-value is symmetric (``|t*| >= |t|``). The bootstrap
    distribution is computed on the fixed-effects-partialled data, which is
    exact (Frisch–Waugh–Lovell): the restricted model's residuals are those
    of the full fixed-effects model.

    Examples
    --------
    Four régions as clusters in the example panel: with so few clusters
    the CR1 t-test is unreliable, the bootstrap (Webb weights) is not:

    >>> from impact.datasets import example_panel
    >>> df = example_panel()
    >>> df["treated"] = ((df["first_treated"] > 0)
    ...                  & (df["year"] >= df["first_treated"])).astype(int)
    >>> wb = wild_cluster_bootstrap(df, outcome="outcome", unit="territory_code", time="year",
    ...                             treatment="treated", cluster="region", B=999)
    >>> wb.n_clusters, wb.draws, round(wb.pvalue, 3)
    (4, 999, 0.005)
    """
    from impact.estimate._validate import require_columns
    from impact.estimate.twfe import _within

    treatments = [treatment] if isinstance(treatment, str) else list(treatment)
    term = term or treatments[0]
    if term not in treatments:
        raise InputError(f"term {term!r} is not one of the treatment columns {treatments}")
    if int(B) != B or B < 99:
        raise InputError(f"B must be a whole number of draws >= 99, not {B!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    cluster = cluster or unit
    require_columns(data, [outcome, unit, time, cluster, weights, *treatments])
    df = data.dropna(subset=[outcome, *treatments])
    if df.duplicated([unit, time]).any():
        raise InputError(f"duplicated ({unit}, {time}) rows: each unit must appear once per period")
    uc, _ = pd.factorize(df[unit])
    tc, _ = pd.factorize(df[time])
    cc, cl = pd.factorize(df[cluster])
    G = len(cl)
    if G < 2:
        raise InputError(f"the wild cluster bootstrap needs at least 2 clusters in {cluster!r}")
    w = df[weights].to_numpy(float) if weights else np.ones(len(df))
    mat = np.column_stack([df[outcome].to_numpy(float), df[treatments].to_numpy(float)])
    res = _within(mat, uc, tc, w)
    yd, Xd = res[:, 0], res[:, 1:]
    if np.linalg.matrix_rank((Xd.T * w) @ Xd) < Xd.shape[1]:
        raise InputError("a treatment column has no variation left after removing unit and "
                         "period effects (always or never treated in every period?)")
    xtwx_inv = np.linalg.inv((Xd.T * w) @ Xd)

    def annihilate(v: np.ndarray) -> np.ndarray:
        vd = _within(v[:, None], uc, tc, w)[:, 0]
        return vd - Xd @ (xtwx_inv @ ((Xd.T * w) @ vd))

    # Same small-sample factor as twfe() (fixest's CR1 with nested fixed effects).
    n = len(df)
    n_units, n_periods = uc.max() + 1, tc.max() + 1
    sizes = [size for fe, size in ((unit, n_units), (time, n_periods))
             if df.groupby(fe)[cluster].nunique().max() > 1]
    k = Xd.shape[1] + sum(sizes) - max(len(sizes) - 1, 0)
    adj = G / (G - 1) * (n - 1) / (n - k)
    j = treatments.index(term)
    wcr = _WCR(Xd, yd, w, cc, G, j, annihilate, adj)
    V, enumerated = _draw(bootstrap_weights, int(B), G, seed)
    p, tb = wcr.pvalue(V, null)
    est, se = float(wcr.beta[j]), wcr.se
    lo = hi = np.nan
    if ci:
        lo, hi = _invert(wcr, V, est, se, alpha, G)
    logger.info("wild bootstrap %s: p = %.4f (%d draws, %s)", term, p, len(V), bootstrap_weights)
    return WildBootstrapResult(
        term=term, estimate=est, se=se, null=float(null), t_stat=(est - null) / se, pvalue=p,
        ci_low=lo, ci_high=hi, alpha=alpha, draws=len(V), weights=bootstrap_weights,
        n_clusters=G, enumerated=enumerated, t_boot=tb,
    )


def _invert(wcr: _WCR, V: np.ndarray, est: float, se: float, alpha: float, G: int):
    """Ends of ``{r : p(r) > alpha}`` by bisection, starting from ``est`` (where p = 1)."""
    def accepted(r):
        return wcr.pvalue(V, r)[0] > alpha

    step = max(stats.t.ppf(1 - alpha / 2, max(G - 1, 1)), 2.0) * se
    ends = []
    for sign in (-1.0, 1.0):
        inner, outer = est, est + sign * step
        tries = 0
        while accepted(outer):
            inner, outer = outer, outer + sign * step
            step *= 2
            tries += 1
            if tries > 40:
                logger.warning("wild bootstrap CI is unbounded on one side")
                outer = sign * np.inf
                break
        if not np.isfinite(outer):
            ends.append(outer)
            continue
        for _ in range(60):
            mid = (inner + outer) / 2
            if accepted(mid):
                inner = mid
            else:
                outer = mid
            if abs(outer - inner) <= 1e-7 * max(se, 1e-300):
                break
        ends.append((inner + outer) / 2)
    return float(ends[0]), float(ends[1])
