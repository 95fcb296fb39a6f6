"""HonestDiD building blocks: solver and quantile helpers, and the smoothness restriction
(Delta^SD) with its fixed-length confidence interval. See :mod:`impact.estimate.honest`.

May import: numpy, scipy.
"""


from __future__ import annotations

import logging
import math

import numpy as np
from scipy import optimize, stats

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
    if best is None:  # pragma: no cover - the first start always gives a candidate
        raise RuntimeError("FLCI optimisation found no candidate weights")
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


