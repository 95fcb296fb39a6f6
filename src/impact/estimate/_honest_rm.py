"""HonestDiD relative-magnitudes restriction (Delta^RM): the conditional-least-favourable
hybrid test of Andrews, Roth and Pakes, inverted on a grid. See :mod:`impact.estimate.honest`.

May import: :mod:`impact.estimate._honest_sd`, numpy, scipy.
"""


from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable

import numpy as np

from impact.estimate._honest_sd import _linprog, _truncnorm_quantile  # noqa: F401

logger = logging.getLogger(__name__)

METHODS = ("relative_magnitude", "smoothness")
_TOL_LAMBDA = 1e-6

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
    tests: list[Callable[[float], bool]] = []
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            A = _rm_constraints(n_pre, n_post, mbar, s, positive)
            if n_post == 1:
                A = A[A[:, -1] != 0]  # post-period moments only
                cv = _lf_cv_no_nuisance(A @ sigma @ A.T, kappa, sims, seed)
                e = np.zeros(len(betahat))
                e[n_pre] = 1.0

                def test_no_nuisance(theta, A=A, cv=cv, e=e):
                    return not _no_nuisance_test(betahat - e * theta, sigma, A, alpha, cv, kappa)

                tests.append(test_no_nuisance)
            else:
                rows = np.flatnonzero(np.any(A[:, n_pre:] != 0, axis=1))
                AGinv = A[:, n_pre:] @ np.linalg.inv(_gamma_matrix(l_vec))
                a1, X = AGinv[rows, 0], AGinv[rows, 1:]
                Y = (A @ betahat)[rows]
                sigY = (A @ sigma @ A.T)[np.ix_(rows, rows)]
                cv = _lf_cv_nuisance(X, sigY, kappa, sims, seed)
                verts = _dual_vertices(X, np.sqrt(np.diag(sigY)))

                def test_conditional(theta, Y=Y, a1=a1, X=X, sigY=sigY, cv=cv, verts=verts):
                    return not _conditional_test(Y - a1 * theta, X, sigY, alpha, cv, kappa, verts)

                tests.append(test_conditional)
    return _accept_on_grid(lambda th: any(t(th) for t in tests), grid)


