"""Two-period, two-group DiD estimators for panel data and their influence functions.

These are the building blocks of each group-time cell ATT(g, t): the outcome
regression (``reg``, Heckman, Ichimura & Todd 1997), the normalised inverse
probability weighting (``ipw``, Abadie 2005) and the doubly robust estimator
(``dr``, Sant'Anna & Zhao 2020, ``DRDID::drdid_panel``), written exactly as in
the R package DRDID used by R ``did``, including the propensity-score trimming
of controls with a score above 0.995.

All functions take the change in outcome ``dy``, the treatment indicator ``d``
(1 for the cohort, 0 for the comparison units), a design matrix ``x`` whose
first column is the intercept, and weights normalised to mean one within the
cell, and return ``(att, influence_function)`` with the influence function
scaled as in DRDID (its mean square over ``n`` is the variance).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from impact._warnings import warn as _warn
from impact.errors import InputError

TRIM_LEVEL = 0.995


def _wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    xtw = x.T * w
    try:
        return np.linalg.solve(xtw @ x, xtw @ y)
    except np.linalg.LinAlgError as exc:
        raise InputError(
            "the outcome regression is singular in a group-time cell: a covariate "
            "has no variation among the comparison units"
        ) from exc


def _logit(x: np.ndarray, d: np.ndarray, w: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """Weighted logistic regression by Newton–Raphson (IRLS), as R's glm; fitted scores.

    Warns when it does not converge, which in practice means (quasi-)perfect
    separation of the cohort from its comparison units by the covariates: the
    scores are then close to 0 or 1, comparison units with a score above 0.995
    are trimmed as in DRDID, and estimates rest on few units.
    """
    beta = np.zeros(x.shape[1])
    p_bar = np.clip(np.average(d, weights=w), 1e-6, 1 - 1e-6)
    beta[0] = np.log(p_bar / (1 - p_bar))
    converged = False
    for _ in range(max_iter):
        p = special.expit(x @ beta)
        grad = x.T @ (w * (d - p))
        hess = (x.T * (w * p * (1 - p))) @ x
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:
            raise InputError(
                "the propensity-score model is singular in a group-time cell: "
                "remove collinear covariates"
            ) from exc
        beta = beta + step
        # Newton converges quadratically: iterate to machine precision so that
        # results agree with R's glm to many digits.
        if np.max(np.abs(step)) < 1e-10 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    if not converged:
        _warn(
            "the propensity-score logit did not converge in a group-time cell (the covariates "
            "nearly separate the cohort from its comparison units); check overlap",
            RuntimeWarning)
    return special.expit(x @ beta)


def propensity_parts(x, d, w):
    """Propensity score, DRDID trimming indicator and the score's influence term.

    Depends only on the cell sample, not on the outcome, so the caller can
    reuse it across periods that share the same cohort, comparison units and
    covariates.
    """
    return _ps_parts(x, d, w)


def _ps_parts(x, d, w):
    n = len(d)
    ps = np.minimum(_logit(x, d, w), 1 - 1e-6)
    trim = np.ones(n, dtype=bool)
    trim[d == 0] = ps[d == 0] < TRIM_LEVEL
    info = (x.T * (w * ps * (1 - ps))) @ x
    hessian = np.linalg.inv(info) * n
    asy_ps = ((w * (d - ps))[:, None] * x) @ hessian
    return ps, trim.astype(float), asy_ps


def _ols_parts(x, d, dy, w):
    n = len(d)
    ctrl = d == 0
    beta = _wls(x[ctrl], dy[ctrl], w[ctrl])
    out = x @ beta
    w_ols = w * (1 - d)
    xpx_inv = np.linalg.inv((x.T * w_ols) @ x / n)
    asy_ols = ((w_ols * (dy - out))[:, None] * x) @ xpx_inv
    return out, asy_ols


def reg_did(dy, d, x, w, ps_parts=None):
    """Outcome-regression DiD (DRDID ``reg_did_panel``)."""
    out, asy_ols = _ols_parts(x, d, dy, w)
    w_t = w * d
    att_t, att_c = w_t * dy, w_t * out
    eta_t = att_t.mean() / w_t.mean()
    eta_c = att_c.mean() / w_t.mean()
    inf_t = (att_t - w_t * eta_t) / w_t.mean()
    m1 = (w_t[:, None] * x).mean(axis=0)
    inf_c = (att_c - w_t * eta_c + asy_ols @ m1) / w_t.mean()
    return eta_t - eta_c, inf_t - inf_c


def ipw_did(dy, d, x, w, ps_parts=None):
    """Normalised (Hájek) IPW DiD (DRDID ``std_ipw_did_panel``)."""
    ps, trim, asy_ps = ps_parts if ps_parts is not None else _ps_parts(x, d, w)
    w_t = trim * w * d
    w_c = trim * w * ps * (1 - d) / (1 - ps)
    eta_t = (w_t * dy).mean() / w_t.mean()
    eta_c = (w_c * dy).mean() / w_c.mean()
    inf_t = (w_t * dy - w_t * eta_t) / w_t.mean()
    m2 = ((w_c * (dy - eta_c))[:, None] * x).mean(axis=0)
    inf_c = (w_c * dy - w_c * eta_c + asy_ps @ m2) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


def dr_did(dy, d, x, w, ps_parts=None):
    """Doubly robust DiD (DRDID ``drdid_panel``, Sant'Anna & Zhao 2020)."""
    ps, trim, asy_ps = ps_parts if ps_parts is not None else _ps_parts(x, d, w)
    out, asy_ols = _ols_parts(x, d, dy, w)
    w_t = trim * w * d
    w_c = trim * w * ps * (1 - d) / (1 - ps)
    r = dy - out
    eta_t = (w_t * r).mean() / w_t.mean()
    eta_c = (w_c * r).mean() / w_c.mean()
    m1 = (w_t[:, None] * x).mean(axis=0)
    inf_t = (w_t * r - w_t * eta_t - asy_ols @ m1) / w_t.mean()
    m2 = ((w_c * (r - eta_c))[:, None] * x).mean(axis=0)
    m3 = (w_c[:, None] * x).mean(axis=0)
    inf_c = (w_c * r - w_c * eta_c + asy_ps @ m2 - asy_ols @ m3) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


ESTIMATORS = {"reg": reg_did, "ipw": ipw_did, "dr": dr_did}
