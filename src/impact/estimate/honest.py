"""Robust confidence sets when parallel trends may fail (Rambachan & Roth, 2023).

An event study gives ``betahat = (beta_pre, beta_post)`` and its covariance
``sigma``. Write ``beta = tau + delta``: the post-period ``delta`` is the bias
left by a violation of parallel trends, the pre-period ``beta_pre = delta_pre``
shows how large such violations were before treatment. Restricting how far the
post-period violation may depart from what the pre-periods show gives a set of
parameters ``theta = l' tau`` consistent with the data, and a confidence set
for it that is valid under the restriction. Two restrictions are offered, as
in the R package HonestDiD:

``"relative_magnitude"`` (Delta^RM(Mbar))
    every post-period change of ``delta`` is at most ``Mbar`` times the
    largest pre-period change. Confidence set by the conditional /
    least-favourable hybrid test of Andrews, Roth & Pakes (ARP), inverted over
    a grid of ``theta`` — HonestDiD's default (``method="C-LF"``).
``"smoothness"`` (Delta^SD(M))
    second differences of ``delta`` (the change of slope from one period to
    the next) are at most ``M`` in absolute value; ``M = 0`` allows a linear
    trend only. Confidence set by the optimal fixed-length confidence
    interval (FLCI) of Armstrong & Kolesár, HonestDiD's default for Delta^SD.

The computations follow HonestDiD's algorithms (same constraint matrices, same
default grid ``[-20 se, 20 se]`` of 1,000 points, same hybrid size
``kappa = alpha / 10``, postperiod moments only), with two deliberate
differences: the folded-normal quantile of the FLCI is computed exactly
(HonestDiD draws 10^6 normals), and the FLCI is found by one convex
optimisation instead of a bisection over the standard deviation. The test
grid is first scanned at every tenth point, then refined near the edges of
the accepted region, which gives the same answer as the full grid when the
accepted region is an interval wider than ten grid steps.

Linear programs use SciPy's HiGHS solver.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from impact.errors import InputError

__all__ = ["HonestResult", "honest_did"]

logger = logging.getLogger(__name__)

METHODS = ("relative_magnitude", "smoothness")
_TOL_LAMBDA = 1e-6


# --------------------------------------------------------------------------- helpers


def _linprog(c, A_ub=None, b_ub=None, A_eq=None, b_eq=None, bounds=None):
    return optimize.linprog(
        c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq,
        bounds=bounds if bounds is not None else (None, None), method="highs",
    )


def _truncnorm_quantile(p: float, lo: float, hi: float, mu: float = 0.0, sd: float = 1.0) -> float:
    """Quantile ``p`` of N(mu, sd^2) truncated to [lo, hi] (HonestDiD's norminvp_generalized)."""
    if sd <= 0:
        return mu
    a, b = (lo - mu) / sd, (hi - mu) / sd
    if a >= b:
        return mu + a * sd
    if np.isneginf(a) and np.isposinf(b):
        return float(mu + sd * stats.norm.ppf(p))
    return float(mu + sd * stats.truncnorm.ppf(p, a, b))


def folded_normal_quantile(p: float, mean: float) -> float:
    """Quantile ``p`` of ``|N(mean, 1)|``, by root finding on its exact CDF."""
    mean = abs(float(mean))
    cdf = lambda c: stats.norm.cdf(c - mean) - stats.norm.cdf(-c - mean) - p  # noqa: E731
    hi = mean + stats.norm.ppf(p) + 10
    return float(optimize.brentq(cdf, 0.0, hi, xtol=1e-12))


# --------------------------------------------------------------------------- Delta^SD: FLCI


def _sd_bias_constant(l_vec: np.ndarray) -> float:
    """Constant of the worst-case bias over Delta^SD(1) (HonestDiD's FLCI objective)."""
    n_post = len(l_vec)
    const = sum(
        abs(float(np.arange(1, s + 1) @ l_vec[n_post - s:])) for s in range(1, n_post + 1)
    )
    return const - float(np.arange(1, n_post + 1) @ l_vec)


def sd_worst_case_bias(w: np.ndarray, l_vec: np.ndarray) -> float:
    """Worst-case bias over Delta^SD(1) of the estimator with pre-period weights from ``w``.

    ``w`` is the cumulative sum of the pre-period weights (HonestDiD's
    parametrisation, earliest period first); the bias is finite only when
    ``sum(w) = sum_j j l_j`` (the estimator is unbiased under a linear trend).
    """
    return _sd_bias_constant(l_vec) + float(np.abs(np.cumsum(w)).sum())


def _w_to_pre_weights(w: np.ndarray) -> np.ndarray:
    return np.diff(np.r_[0.0, w])


def _flci(betahat, sigma, n_pre, n_post, l_vec, M, alpha) -> tuple[float, float, np.ndarray]:
    """Optimal fixed-length CI under Delta^SD(M): (low, high, weights on betahat).

    Minimises ``h(w) * q(M b(w) / h(w))`` over the pre-period weights, with
    ``h`` the standard deviation of the estimator, ``b`` its worst-case bias
    and ``q(t)`` the ``1 - alpha`` quantile of ``|N(t, 1)|``. ``h`` is a norm
    and ``b`` convex piecewise linear in ``w``; ``c * q(b / c)`` is the
    perspective of a convex increasing function, so the problem is convex and
    a local optimiser (SLSQP on a smooth reformulation with slack variables
    ``U >= |cumsum(w)|``) finds the global optimum.
    """
    target = float(np.arange(1, n_post + 1) @ l_vec)
    const = _sd_bias_constant(l_vec)
    K = n_pre
    S_pre, S_pp = sigma[:K, :K], sigma[:K, K:] @ l_vec
    s_post = float(l_vec @ sigma[K:, K:] @ l_vec)

    def var_of(w):
        a = _w_to_pre_weights(w)
        return float(a @ S_pre @ a + 2 * a @ S_pp + s_post)

    def objective(x):
        w, U = x[:K], x[K:]
        h = math.sqrt(max(var_of(w), 1e-300))
        b = M * (const + U.sum())
        return h * folded_normal_quantile(1 - alpha, b / h)

    cons = [
        {"type": "eq", "fun": lambda x: x[:K].sum() - target},
        {"type": "ineq", "fun": lambda x: x[K:] - np.cumsum(x[:K])},
        {"type": "ineq", "fun": lambda x: x[K:] + np.cumsum(x[:K])},
    ]
    # Two starts: all weight on the last pre-period (least bias), and the
    # minimum-variance weights (best when M is small); keep the better end.
    w_bias = np.zeros(K)
    w_bias[-1] = target
    starts = [w_bias]
    try:
        res_var = optimize.minimize(
            lambda w: var_of(w), w_bias, constraints=[cons[0]], method="SLSQP",
            options={"ftol": 1e-14, "maxiter": 500},
        )
        if res_var.success:
            starts.append(res_var.x)
    except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - defensive
        pass
    best = None
    scale = math.sqrt(max(s_post, 1e-300))
    for w0 in starts:
        x0 = np.r_[w0, np.abs(np.cumsum(w0)) + 1e-9]
        res = optimize.minimize(
            lambda x: objective(x) / scale, x0, constraints=cons, method="SLSQP",
            options={"ftol": 1e-12, "maxiter": 1000},
        )
        x = res.x
        # The reported length uses the exact bias of the weights found.
        w = x[:K] + (target - x[:K].sum()) / K
        h = math.sqrt(var_of(w))
        hl = h * folded_normal_quantile(1 - alpha, M * sd_worst_case_bias(w, l_vec) / h)
        if best is None or hl < best[0]:
            best = (hl, w)
    hl, w = best
    v = np.r_[_w_to_pre_weights(w), l_vec]
    centre = float(v @ betahat)
    return centre - hl, centre + hl, v


def sd_upper_bound_M(betahat, sigma, n_pre: int, alpha: float = 0.05) -> float:
    """HonestDiD's default upper end of the M grid for Delta^SD.

    The largest one-sided ``1 - alpha`` upper bound of the second differences
    of the pre-period coefficients (with ``delta_0 = 0``). With one
    pre-period, the standard error of that coefficient.
    """
    if n_pre < 2:
        return float(np.sqrt(sigma[0, 0]))
    A = np.zeros((n_pre - 1, n_pre))
    for r in range(n_pre - 2):
        A[r, r:r + 3] = [1.0, -2.0, 1.0]
    A[n_pre - 2, n_pre - 2:] = [1.0, -2.0]
    diffs = A @ betahat[:n_pre]
    se = np.sqrt(np.diag(A @ sigma[:n_pre, :n_pre] @ A.T))
    return float(np.max(diffs + stats.norm.ppf(1 - alpha) * se))


# --------------------------------------------------------------------------- Delta^RM: ARP hybrid


def _rm_constraints(n_pre: int, n_post: int, mbar: float, s: int, max_positive: bool) -> np.ndarray:
    """Rows ``A`` with Delta^RM_{s,sign}(Mbar) = {delta : A delta <= 0} (HonestDiD's create_A_RM).

    ``delta`` runs over event times ``-n_pre .. -1, 1 .. n_post`` (``delta_0 = 0``
    dropped); ``s`` is the pre-period change taken as the largest one.
    """
    T = n_pre + n_post
    Atilde = np.zeros((T, T + 1))
    for r in range(T):
        Atilde[r, r], Atilde[r, r + 1] = -1.0, 1.0
    v = np.zeros(T + 1)
    idx = n_pre + s - 1
    v[idx], v[idx + 1] = -1.0, 1.0
    if not max_positive:
        v = -v
    A_ub = np.vstack([np.tile(v, (n_pre, 1)), np.tile(mbar * v, (n_post, 1))])
    A = np.vstack([Atilde - A_ub, -Atilde - A_ub])
    A = A[np.sum(A**2, axis=1) > 1e-10]
    return np.delete(A, n_pre, axis=1)


def _gamma_matrix(l_vec: np.ndarray) -> np.ndarray:
    """Invertible matrix with ``l'`` as first row, completed by unit rows.

    Reduced row echelon of ``[l, I]`` keeps every unit vector but the one at
    the last non-zero entry of ``l`` (HonestDiD builds it with RREF).
    """
    n = len(l_vec)
    last = int(np.flatnonzero(np.abs(l_vec) > 0)[-1])
    rows = [l_vec] + [np.eye(n)[i] for i in range(n) if i != last]
    return np.vstack(rows)


def _eta_lp(y: np.ndarray, X: np.ndarray, sd: np.ndarray):
    """``min eta s.t. y - X d <= eta sd``: value, and dual weights (lambda >= 0)."""
    k = X.shape[1]
    c = np.zeros(1 + k)
    c[0] = 1.0
    res = _linprog(c, A_ub=np.column_stack([-sd, -X]), b_ub=-y)
    if res.status != 0:
        return np.nan, None
    return float(res.x[0]), -res.ineqlin.marginals


def _dual_vertices(X: np.ndarray, sd: np.ndarray, max_bases: int = 200_000) -> np.ndarray | None:
    """Vertices of ``{lambda >= 0, sd' lambda = 1, X' lambda = 0}``, one per row.

    By LP duality ``min {eta : y - X d <= eta sd} = max_lambda lambda' y`` over
    this polytope, which does not depend on ``y``: with its vertices at hand,
    the value for a thousand simulated ``y`` is one matrix product instead of
    a thousand linear programs. Every vertex is a basic solution
    ``lambda_B = [sd_B, X_B]'^{-1} e1 >= 0`` on some set ``B`` of ``k + 1``
    rows. Returns None when enumeration would be too large (or the equality
    system is rank deficient); the caller then solves the programs.
    """
    m, k = X.shape
    E = np.column_stack([sd, X])  # m × (k + 1)
    if np.linalg.matrix_rank(E) < k + 1 or math.comb(m, k + 1) > max_bases:
        return None
    bases = np.array(list(itertools.combinations(range(m), k + 1)))
    mats = np.transpose(E[bases], (0, 2, 1))  # (nb, k+1, k+1): rows sd', X'
    ok = np.abs(np.linalg.det(mats)) > 1e-12 * np.abs(E).max() ** (k + 1)
    mats, bases = mats[ok], bases[ok]
    rhs = np.zeros((len(mats), k + 1, 1))
    rhs[:, 0, 0] = 1.0
    lam_b = np.linalg.solve(mats, rhs)[..., 0]
    keep = np.all(lam_b >= -1e-10, axis=1)
    out = np.zeros((int(keep.sum()), m))
    np.put_along_axis(out, bases[keep], np.clip(lam_b[keep], 0, None), axis=1)
    return out


def _lf_cv_nuisance(X, sigma, kappa, sims, seed) -> float:
    """Least-favourable critical value with nuisance parameters (ARP section 6.2).

    The ``1 - kappa`` quantile of ``min {eta : xi - X d <= eta sd}`` over
    ``xi ~ N(0, sigma)`` (seeded draws).
    """
    rng = np.random.default_rng(seed)
    sd = np.sqrt(np.diag(sigma))
    xi = rng.multivariate_normal(np.zeros(len(sd)), sigma, size=sims, method="eigh")
    verts = _dual_vertices(X, sd)
    if verts is not None:
        if len(verts) == 0:  # unbounded programs: eta = -inf for every draw
            return -np.inf
        return float(np.quantile((xi @ verts.T).max(axis=1), 1 - kappa))
    etas = np.array([_eta_lp(x, X, sd)[0] for x in xi])
    etas = etas[np.isfinite(etas)]
    return float(np.quantile(etas, 1 - kappa)) if len(etas) else np.inf


def _lf_cv_no_nuisance(sigma, kappa, sims, seed) -> float:
    rng = np.random.default_rng(seed)
    sd = np.sqrt(np.diag(sigma))
    xi = rng.multivariate_normal(np.zeros(len(sd)), sigma, size=sims, method="eigh") / sd
    return float(np.quantile(xi.max(axis=1), 1 - kappa))


def _max_program(s_T, gamma, sigma, W_T, c, verts=None):
    """Dual LP of ARP appendix D: ``max f'x s.t. W_T'x = e1, x >= 0``."""
    gsg = float(gamma @ sigma @ gamma)
    f = s_T + (sigma @ gamma) / gsg * c
    if verts is not None:  # same polytope as the dual of the eta program
        vals = verts @ f
        i = int(np.argmax(vals))
        return float(vals[i]), verts[i]
    beq = np.zeros(W_T.shape[1])
    beq[0] = 1.0
    res = _linprog(-f, A_eq=W_T.T, b_eq=beq, bounds=(0, None))
    if res.status != 0:
        return np.nan, None
    return -float(res.fun), res.x


def _is_solution(c, s_T, gamma, sigma, W_T, tol=1e-6, verts=None):
    val, x = _max_program(s_T, gamma, sigma, W_T, c, verts)
    return (np.isfinite(val) and abs(c - val) <= tol), x


def _vlo_vup_dual(eta, s_T, gamma, sigma, W_T, verts=None) -> tuple[float, float]:
    """Truncation points of the conditional test when the LP is degenerate (ARP Algorithm 1)."""
    gsg = float(gamma @ sigma @ gamma)
    sd_B = math.sqrt(gsg)
    low0, high0 = min(-100.0, eta - 20 * sd_B), max(100.0, eta + 20 * sd_B)
    ok, _ = _is_solution(eta, s_T, gamma, sigma, W_T, verts=verts)
    if not ok:
        return eta, np.inf
    b_vec = (sigma @ gamma) / gsg

    def edge(start, towards_up: bool) -> float:
        ok, x = _is_solution(start, s_T, gamma, sigma, W_T, verts=verts)
        if ok:
            return np.inf if towards_up else -np.inf
        dif, it = 0.0, 1
        mid = start
        if x is not None:
            denom = 1.0 - float(x @ b_vec)
            num = float(x @ s_T)
            num = 0.0 if abs(num) < np.finfo(float).eps ** 0.75 else num
            mid = num / denom if abs(denom) > 1e-15 else start
        ok, x = _is_solution(mid, s_T, gamma, sigma, W_T, verts=verts)
        while not ok:
            it += 1
            if it >= 10:  # Newton-like steps failed: bisect instead
                dif = 1e-6 + 1
                break
            if x is not None:
                denom = 1.0 - float(x @ b_vec)
                num = float(x @ s_T)
                num = 0.0 if abs(num) < np.finfo(float).eps ** 0.75 else num
                mid = num / denom if abs(denom) > 1e-15 else mid
            ok, x = _is_solution(mid, s_T, gamma, sigma, W_T, verts=verts)
        lo, hi = (eta, mid) if towards_up else (mid, eta)
        while dif > 1e-6 and it < 10_000:
            it += 1
            mid = (lo + hi) / 2
            inside = _is_solution(mid, s_T, gamma, sigma, W_T, verts=verts)[0]
            if towards_up:
                lo, hi = (mid, hi) if inside else (lo, mid)
            else:
                lo, hi = (lo, mid) if inside else (mid, hi)
            dif = hi - lo
        return mid

    return edge(low0, False), edge(high0, True)


def _conditional_test(y, X, sigma, alpha, lf_cv, kappa, verts=None) -> bool:
    """ARP conditional-LF hybrid test of ``E[y - X d] <= 0`` for some ``d``: True = reject.

    ``verts``: vertices of the dual polytope (:func:`_dual_vertices`), which
    replace every linear program by a maximum over them.
    """
    sd = np.sqrt(np.diag(sigma))
    if verts is not None:
        if len(verts) == 0:
            return False  # eta = -inf: the moments hold for some nuisance value
        vals = verts @ y
        i = int(np.argmax(vals))
        eta, lam = float(vals[i]), verts[i]
    else:
        eta, lam = _eta_lp(y, X, sd)
    if lam is None:
        logger.warning("the ARP linear program did not converge: the value is not rejected")
        return False
    if eta > lf_cv:  # first stage of the hybrid
        return True
    size = (alpha - kappa) / (1 - kappa)
    k = X.shape[1]
    B = lam > _TOL_LAMBDA
    degenerate = B.sum() != k + 1
    XB = X[B]
    full_rank = XB.size > 0 and np.linalg.matrix_rank(XB) == min(XB.shape)
    if degenerate or not full_rank:
        gamma = lam
        gsg = float(gamma @ sigma @ gamma)
        if abs(gsg) < np.finfo(float).eps:
            return eta > 0
        s_T = y - (sigma @ gamma) / gsg * float(gamma @ y)
        vlo, vup = _vlo_vup_dual(eta, s_T, gamma, sigma, np.column_stack([sd, X]), verts)
        sd_B = math.sqrt(gsg)
        zlo, zup, stat = vlo / sd_B, min(vup, lf_cv) / sd_B, eta / sd_B
    else:
        Bc = ~B
        M_dim = len(y)
        cb = np.column_stack([sd[B], XB])
        cbc = np.column_stack([sd[Bc], X[Bc]])
        S_B, S_Bc = np.eye(M_dim)[B], np.eye(M_dim)[Bc]
        solve_SB = np.linalg.solve(cb, S_B)
        Gamma_B = cbc @ solve_SB - S_Bc
        v_B = solve_SB[0]
        s2 = float(v_B @ sigma @ v_B)
        sd_B = math.sqrt(s2)
        rho = Gamma_B @ sigma @ v_B / s2
        with np.errstate(divide="ignore", invalid="ignore"):
            maximand = -(Gamma_B @ y) / rho + float(v_B @ y)
        vlo = float(maximand[rho > 0].max()) if np.any(rho > 0) else -np.inf
        vup = float(maximand[rho < 0].min()) if np.any(rho < 0) else np.inf
        zlo, zup, stat = vlo / sd_B, min(vup, lf_cv) / sd_B, eta / sd_B
    if not zlo <= stat <= zup:
        return False
    cval = max(0.0, _truncnorm_quantile(1 - size, zlo, zup))
    return stat > cval


def _no_nuisance_test(y, sigma, A, alpha, lf_cv, kappa) -> bool:
    """Conditional-LF hybrid test of ``A E[y] <= 0`` without nuisance parameters: True = reject."""
    sig_tilde = np.sqrt(np.diag(A @ sigma @ A.T))
    At = A / sig_tilde[:, None]
    moments = At @ y
    j = int(np.argmax(moments))
    if moments[j] > lf_cv:
        return True
    gamma = At[j]
    Abar = At - gamma[None, :]
    gsg = float(gamma @ sigma @ gamma)
    c = sigma @ gamma / gsg
    z = y - c * float(gamma @ y)
    Ac = Abar @ c
    with np.errstate(divide="ignore", invalid="ignore"):
        obj = (-(Abar @ z)) / Ac
    vlo = float(obj[Ac < 0].max()) if np.any(Ac < 0) else -np.inf
    vup = float(obj[Ac > 0].min()) if np.any(Ac > 0) else np.inf
    size = (alpha - kappa) / (1 - kappa)
    crit = max(0.0, _truncnorm_quantile(1 - size, vlo, vup, 0.0, math.sqrt(gsg)))
    return moments[j] > crit


def _accept_on_grid(test, grid: np.ndarray, step: int = 10) -> np.ndarray:
    """Acceptance of each grid point, scanning every ``step``-th point then refining the edges."""
    n = len(grid)
    accept = np.zeros(n, dtype=bool)
    known = np.zeros(n, dtype=bool)

    def run(i):
        if not known[i]:
            accept[i], known[i] = test(grid[i]), True
        return accept[i]

    coarse = np.unique(np.r_[np.arange(0, n, step), n - 1])
    for i in coarse:
        run(i)
    if not accept[coarse].any():
        for i in range(n):  # nothing accepted on the coarse grid: scan it all
            run(i)
        return accept
    # Fill every gap between coarse points whose decisions differ.
    for a, b in zip(coarse[:-1], coarse[1:], strict=True):
        if accept[a] != accept[b]:
            for i in range(a + 1, b):
                run(i)
    # Inside accepted stretches the decision is taken as accepted.
    first, last = np.flatnonzero(accept)[[0, -1]]
    for i in range(first, last + 1):
        if not known[i]:
            accept[i] = True
    return accept


def _rm_interval(betahat, sigma, n_pre, n_post, l_vec, mbar, alpha, grid, kappa, sims, seed):
    """Union over ``s`` and sign of the ARP hybrid confidence sets (HonestDiD's C-LF)."""
    tests = []
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            A = _rm_constraints(n_pre, n_post, mbar, s, positive)
            if n_post == 1:
                A = A[A[:, -1] != 0]  # post-period moments only
                cv = _lf_cv_no_nuisance(A @ sigma @ A.T, kappa, sims, seed)
                e = np.zeros(len(betahat))
                e[n_pre] = 1.0

                def test(theta, A=A, cv=cv, e=e):
                    return not _no_nuisance_test(betahat - e * theta, sigma, A, alpha, cv, kappa)
            else:
                rows = np.flatnonzero(np.any(A[:, n_pre:] != 0, axis=1))
                AGinv = A[:, n_pre:] @ np.linalg.inv(_gamma_matrix(l_vec))
                a1, X = AGinv[rows, 0], AGinv[rows, 1:]
                Y = (A @ betahat)[rows]
                sigY = (A @ sigma @ A.T)[np.ix_(rows, rows)]
                cv = _lf_cv_nuisance(X, sigY, kappa, sims, seed)
                verts = _dual_vertices(X, np.sqrt(np.diag(sigY)))

                def test(theta, Y=Y, a1=a1, X=X, sigY=sigY, cv=cv, verts=verts):
                    return not _conditional_test(Y - a1 * theta, X, sigY, alpha, cv, kappa, verts)
            tests.append(test)
    return _accept_on_grid(lambda th: any(t(th) for t in tests), grid)


# --------------------------------------------------------------------------- public API


@dataclass
class HonestResult:
    """Robust confidence sets over a range of restrictions on the violation of parallel trends.

    Attributes
    ----------
    table
        One row per value of ``M`` (``Mbar`` for relative magnitudes):
        ``M, ci_low, ci_high, method``.
    original
        The usual confidence interval under exact parallel trends, ``(low, high)``.
    estimate
        ``l' beta_post``, the point estimate of the target.
    breakdown
        Smallest ``M`` at which the robust set includes 0 (``0.0`` when the
        original interval already does; ``NaN`` when no ``M`` of the grid
        does, i.e. the conclusion holds beyond the largest ``M`` tried).
        Refined by bisection between grid values to ``breakdown_tol``.
    """

    table: pd.DataFrame
    original: tuple[float, float]
    estimate: float
    breakdown: float
    method: str
    l_vec: np.ndarray = field(repr=False)
    alpha: float = 0.05
    options: dict[str, Any] = field(default_factory=dict, repr=False)

    def summary(self, digits: int = 4) -> str:
        name = {"relative_magnitude": "relative magnitudes (Delta^RM, C-LF hybrid)",
                "smoothness": "smoothness (Delta^SD, FLCI)"}[self.method]
        lo, hi = self.original
        bd = "not reached" if np.isnan(self.breakdown) else f"{self.breakdown:.{digits}f}"
        return "\n".join([
            f"Sensitivity to violations of parallel trends (Rambachan & Roth 2023): {name}",
            f"Estimate {self.estimate:.{digits}f}; original {100 * (1 - self.alpha):.0f}% CI "
            f"[{lo:.{digits}f}, {hi:.{digits}f}]; breakdown value {bd}",
            "",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}"),
        ])

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>"

    def plot(self, **kwargs: Any):
        """Sensitivity plot (see :func:`impact.estimate.plots.sensitivity_plot`)."""
        from impact.estimate.plots import sensitivity_plot

        return sensitivity_plot(self, **kwargs)


def _check_inputs(betahat, sigma, n_pre, n_post, l_vec, alpha, method):
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if int(n_pre) != n_pre or int(n_post) != n_post or n_pre < 1 or n_post < 1:
        raise InputError(
            f"num_pre_periods and num_post_periods must be whole numbers >= 1, "
            f"not {n_pre!r} and {n_post!r}"
        )
    if len(b) != n_pre + n_post:
        raise InputError(
            f"betahat has {len(b)} entries, expected num_pre_periods + num_post_periods = "
            f"{n_pre + n_post}"
        )
    if S.shape != (len(b), len(b)):
        raise InputError(f"sigma has shape {S.shape}, expected {(len(b), len(b))}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(S))):
        raise InputError("betahat and sigma must be finite (no NaN)")
    if not np.allclose(S, S.T, atol=1e-12 * max(1.0, np.abs(S).max())):
        raise InputError("sigma must be symmetric")
    if np.linalg.eigvalsh((S + S.T) / 2).min() < -1e-10 * max(1.0, np.abs(S).max()):
        raise InputError("sigma must be positive semi-definite")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if l_vec is None:
        lv = np.zeros(int(n_post))
        lv[0] = 1.0
    else:
        lv = np.asarray(l_vec, dtype=float).ravel()
        if len(lv) != n_post or not np.any(lv != 0):
            raise InputError(
                f"l_vec must have num_post_periods = {n_post} entries, not all zero; got {l_vec!r}"
            )
    return b, (S + S.T) / 2, int(n_pre), int(n_post), lv


def honest_did(
    betahat: np.ndarray,
    sigma: np.ndarray,
    *,
    num_pre_periods: int,
    num_post_periods: int,
    method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
    M: list[float] | np.ndarray | None = None,
    l_vec: np.ndarray | None = None,
    alpha: float = 0.05,
    grid_points: int = 1000,
    grid_lb: float | None = None,
    grid_ub: float | None = None,
    lf_sims: int = 1000,
    seed: int = 0,
    breakdown_tol: float | None = None,
) -> HonestResult:
    """Confidence sets robust to bounded violations of parallel trends (HonestDiD).

    Parameters
    ----------
    betahat
        Event-study coefficients, pre-periods first (earliest first) then
        post-periods; the reference period (event time -1 usually) is
        excluded, its coefficient being 0 by construction.
    sigma
        Their covariance matrix.
    num_pre_periods, num_post_periods
        How many of ``betahat`` are pre- and post-treatment.
    method
        ``"relative_magnitude"`` (Delta^RM(Mbar), conditional-LF hybrid) or
        ``"smoothness"`` (Delta^SD(M), FLCI).
    M
        Values of ``Mbar`` or ``M``. Defaults: ``[0, 0.5, 1, 1.5, 2]`` for
        relative magnitudes; ten values from 0 to the upper bound implied by
        the pre-periods (HonestDiD's default) for smoothness.
    l_vec
        Weights defining the target ``theta = l' tau_post`` (default: the
        first post-period; ``np.full(n, 1/n)`` for the average effect).
    alpha
        Level: ``1 - alpha`` confidence sets.
    grid_points, grid_lb, grid_ub
        Grid of ``theta`` over which the relative-magnitudes test is inverted
        (default 1,000 points over ``[-20 se, 20 se]`` as HonestDiD).
    lf_sims, seed
        Draws (seeded) for the least-favourable critical value of the hybrid
        test (``kappa = alpha / 10``).
    breakdown_tol
        Precision of the breakdown value (default: 1/64 of the step between
        the grid values of ``M`` that bracket it).

    Returns
    -------
    HonestResult
        ``.table`` (``M, ci_low, ci_high, method``), ``.original``,
        ``.breakdown``, ``.plot()``.

    Notes
    -----
    For relative magnitudes, the confidence set is the range of accepted
    grid points; an accepted point at an end of the grid is logged, as the
    set may extend beyond it. Breakdown values are found by bisection on
    ``M``, the robust sets being nested in ``M``.
    """
    b, S, n_pre, n_post, lv = _check_inputs(
        betahat, sigma, num_pre_periods, num_post_periods, l_vec, alpha, method
    )
    est = float(lv @ b[n_pre:])
    se = float(np.sqrt(lv @ S[n_pre:, n_pre:] @ lv))
    z = stats.norm.ppf(1 - alpha / 2)
    original = (est - z * se, est + z * se)
    if M is None:
        M = (
            np.array([0.0, 0.5, 1.0, 1.5, 2.0])
            if method == "relative_magnitude"
            else np.linspace(0, sd_upper_bound_M(b, S, n_pre, 0.05), 10)
        )
    M = np.sort(np.asarray(M, dtype=float).ravel())
    if len(M) == 0 or np.any(M < 0) or not np.all(np.isfinite(M)):
        raise InputError(f"M must be a non-empty list of finite values >= 0, not {M!r}")
    if method == "relative_magnitude" and n_pre < 1:  # pragma: no cover - checked above
        raise InputError("relative magnitudes need at least one pre-period")
    lb = -20 * se if grid_lb is None else float(grid_lb)
    ub = 20 * se if grid_ub is None else float(grid_ub)
    grid = np.linspace(lb, ub, int(grid_points))
    kappa = alpha / 10

    def interval(m: float) -> tuple[float, float]:
        if method == "smoothness":
            lo, hi, _ = _flci(b, S, n_pre, n_post, lv, m, alpha)
            return lo, hi
        acc = _rm_interval(b, S, n_pre, n_post, lv, m, alpha, grid, kappa, lf_sims, seed)
        if not acc.any():
            return np.nan, np.nan
        if acc[0] or acc[-1]:
            logger.warning(
                "Mbar=%g: the confidence set reaches the end of the theta grid [%g, %g]; "
                "widen grid_lb/grid_ub", m, lb, ub,
            )
        return float(grid[acc].min()), float(grid[acc].max())

    rows = []
    for m in M:
        lo, hi = interval(m)
        logger.info("honest_did %s M=%g: [%g, %g]", method, m, lo, hi)
        rows.append({"M": m, "ci_low": lo, "ci_high": hi, "method": method})
    table = pd.DataFrame(rows)

    def covers0(lo, hi):
        return bool(np.isfinite(lo) and lo <= 0 <= hi)

    if original[0] <= 0 <= original[1]:
        breakdown = 0.0
    else:
        inc = [covers0(r.ci_low, r.ci_high) for r in table.itertuples()]
        if not any(inc):
            breakdown = np.nan
        else:
            j = inc.index(True)
            hi_m = float(M[j])
            lo_m = float(M[j - 1]) if j > 0 else 0.0
            if j == 0 and covers0(*interval(0.0)):
                breakdown = 0.0
            else:
                tol = breakdown_tol or max((hi_m - lo_m) / 64, 1e-12)
                while hi_m - lo_m > tol:
                    mid = (lo_m + hi_m) / 2
                    if covers0(*interval(mid)):
                        hi_m = mid
                    else:
                        lo_m = mid
                breakdown = hi_m
    return HonestResult(
        table=table, original=original, estimate=est, breakdown=float(breakdown),
        method=method, l_vec=lv, alpha=alpha,
        options=dict(num_pre_periods=n_pre, num_post_periods=n_post, grid_points=grid_points,
                     grid_lb=lb, grid_ub=ub, lf_sims=lf_sims, seed=seed),
    )
