"""Inference from influence functions: analytic and multiplier-bootstrap standard
errors, simultaneous (uniform) confidence bands and Wald tests.

Every estimate in :mod:`impact.estimate.did` carries its influence function
``psi`` (n_units × k, scaled so that ``psi.T @ psi / n**2`` is the covariance).
Clustering sums it within clusters first, so the same code serves unit-level
and coarser (e.g. département) clusters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


def cluster_sum(psi: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum the rows of ``psi`` within clusters (identity when clusters are units)."""
    if n_clusters == psi.shape[0]:
        return psi
    out = np.zeros((n_clusters, psi.shape[1]))
    np.add.at(out, cluster, psi)
    return out


def analytic_se(psi: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Standard errors ``sqrt(sum_c (sum_{i in c} psi_i)^2) / n`` (CR0)."""
    n = psi.shape[0]
    s = cluster_sum(psi, cluster, n_clusters)
    return np.sqrt(np.einsum("ij,ij->j", s, s)) / n


def covariance(psi: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    n = psi.shape[0]
    s = cluster_sum(psi, cluster, n_clusters)
    return s.T @ s / n**2


WEBB_POINTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def multiplier_weights(rng: np.random.Generator, size: tuple[int, int], kind: str) -> np.ndarray:
    """Rademacher (±1), Mammen two-point or Webb six-point weights with mean 0 and variance 1.

    Webb's weights (±sqrt(1/2), ±1, ±sqrt(3/2), probability 1/6 each) suit few
    clusters: with ``G`` clusters Rademacher weights give only ``2**G``
    distinct draws (1,024 with 10 treated départements), Webb's ``6**G``.
    """
    if kind == "webb":
        return WEBB_POINTS[rng.integers(0, 6, size=size)]
    if kind == "rademacher":
        return rng.integers(0, 2, size=size, dtype=np.int8).astype(float) * 2.0 - 1.0
    if kind == "mammen":
        s5 = np.sqrt(5.0)
        p = (s5 + 1) / (2 * s5)
        low, high = (1 - s5) / 2, (1 + s5) / 2
        return np.where(rng.random(size) < p, low, high)
    raise ValueError(f"bootstrap_weights must be 'rademacher', 'mammen' or 'webb', not {kind!r}")


@dataclass
class BootstrapResult:
    se: np.ndarray  # bootstrap standard errors (interquartile-range based, as R did)
    crit: float  # critical value for simultaneous bands
    draws: int


def _random_bits(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Independent fair bits (uint8 0/1) from the generator's raw bytes.

    Eight draws per random byte: about 10× faster than ``rng.integers(0, 2)``,
    which makes one bounded draw per element.
    """
    count = shape[0] * shape[1]
    raw = np.frombuffer(rng.bytes((count + 7) // 8), dtype=np.uint8)
    return np.unpackbits(raw, count=count).reshape(shape)


def _draw_products(
    blocks: Sequence[np.ndarray],
    rng: np.random.Generator,
    draws: int,
    kind: str,
    chunk: int,
    perm: np.ndarray | None = None,
) -> np.ndarray:
    """``V @ S`` for ``draws`` rows ``V`` of i.i.d. multiplier weights, one per row of ``S``.

    ``S`` is block diagonal: ``blocks[j]`` holds its rows ``r_j .. r_j + len(blocks[j])``
    and its columns ``c_j .. c_j + blocks[j].shape[1]`` (one dense block is the general
    case; :mod:`impact.estimate._cells` passes one block per group of units). The
    draws are generated chunk by chunk into one reused float buffer (a fresh
    ``draws × clusters`` float array costs more in page faults than the product
    itself). Rademacher weights are ``2 b - 1`` with fair bits ``b``, so the product
    is ``2 (b @ S) - colsum(S)``: the bits are converted, never the weights computed.
    Webb's six points are indexed by ``uint8`` draws. With ``perm``, row ``r`` of
    ``S`` receives the weight drawn for cluster ``perm[r]`` (the draws of cluster
    ``i`` do not depend on how ``S`` is laid out).
    """
    rows = np.cumsum([0] + [blk.shape[0] for blk in blocks])
    cols = np.cumsum([0] + [blk.shape[1] for blk in blocks])
    n_c = int(rows[-1])
    out = np.empty((draws, int(cols[-1])))
    buf = np.empty((min(chunk, draws), n_c))
    colsum = np.concatenate([blk.sum(axis=0) for blk in blocks])
    for start in range(0, draws, chunk):
        m = min(chunk, draws - start)
        v = buf[:m]
        # Draws are permuted while still one byte each (bits, Webb indices).
        if kind == "rademacher":
            bits = _random_bits(rng, (m, n_c))
            np.copyto(v, bits if perm is None else bits[:, perm])
        elif kind == "webb":
            idx = rng.integers(0, 6, size=(m, n_c), dtype=np.uint8)
            np.take(WEBB_POINTS, idx if perm is None else idx[:, perm], out=v)
        else:
            mw = multiplier_weights(rng, (m, n_c), kind)
            v[...] = mw if perm is None else mw[:, perm]
        res = out[start : start + m]
        for j, blk in enumerate(blocks):
            np.matmul(v[:, rows[j] : rows[j + 1]], blk, out=res[:, cols[j] : cols[j + 1]])
        if kind == "rademacher":
            res *= 2.0
            res -= colsum
    return out


def _summarise_draws(
    boot: np.ndarray, draws: int, alpha: float, band: np.ndarray | None
) -> BootstrapResult:
    """Standard errors and sup-t critical value from the ``draws × k`` bootstrap deviations."""
    q75, q25 = np.quantile(boot, [0.75, 0.25], axis=0, method="inverted_cdf")
    se = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    # As R did: estimates with (numerically) zero spread, such as the reference
    # cell of a universal base period, get no SE and stay out of the band.
    ok = se > np.sqrt(np.finfo(float).eps) * 10
    in_band = ok if band is None else ok & np.asarray(band, dtype=bool)
    if in_band.any():
        tmax = np.max(np.abs(boot[:, in_band] / se[in_band]), axis=1)
        crit = float(np.quantile(tmax, 1 - alpha, method="inverted_cdf"))
    else:
        crit = float(stats.norm.ppf(1 - alpha / 2))
    se = np.where(ok, se, np.nan)
    return BootstrapResult(se=se, crit=crit, draws=draws)


def multiplier_bootstrap(
    psi: np.ndarray,
    cluster: np.ndarray,
    n_clusters: int,
    *,
    draws: int = 999,
    kind: str = "rademacher",
    alpha: float = 0.05,
    seed: int | np.random.Generator | None = None,
    chunk: int = 128,
    band: np.ndarray | None = None,
) -> BootstrapResult:
    """Multiplier bootstrap of the estimates whose influence function is ``psi``.

    Each draw multiplies the cluster sums of ``psi`` by i.i.d. weights, giving
    a perturbation ``sum_c v_c S_c / n`` of every estimate at once. Standard
    errors use the interquartile range (robust to a few extreme draws) as in R
    ``did``; the critical value of the simultaneous band is the (1 - alpha)
    quantile of the maximum absolute t-statistic across estimates. Draws are
    made in chunks so memory stays bounded (draws × clusters is never stored).

    Weights are drawn per cluster and multiply the *sums* of the influence
    function within clusters, so the bootstrap variance converges to the
    analytic clustered (CR0) variance. R ``did`` multiplies cluster *means*
    instead, which coincides only when all clusters have the same size.

    Parameters
    ----------
    psi
        Influence functions, ``n_units × k``.
    cluster, n_clusters
        Integer cluster code of each unit (``0 .. n_clusters - 1``).
    draws
        Number of bootstrap draws.
    kind
        ``"rademacher"``, ``"mammen"`` or ``"webb"`` multiplier weights
        (Webb's six-point weights when clusters are few).
    alpha
        Level of the simultaneous band.
    seed
        Seed or generator (same seed, same draws).
    chunk
        Draws generated at once.
    band
        Boolean mask of the columns entering the simultaneous band (default:
        all columns with a positive standard error).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = psi.shape[0]
    s = cluster_sum(psi, cluster, n_clusters)
    boot = _draw_products([s], rng, draws, kind, chunk)
    boot /= n
    return _summarise_draws(boot, draws, alpha, band)


def gaussian_uniform_crit(
    cov: np.ndarray, alpha: float = 0.05, draws: int = 20_000, seed: int | None = 0
) -> float:
    """Critical value of a simultaneous band from the estimated covariance.

    Used when no bootstrap was asked for: draws from N(0, R), R the correlation
    matrix, and takes the (1 - alpha) quantile of max |z| (Monte Carlo error
    about 0.01 with the default 20,000 draws). The draws are seeded, so the
    band is reproducible.
    """
    sd = np.sqrt(np.diag(cov))
    ok = sd > 0
    if not ok.any():
        return float(stats.norm.ppf(1 - alpha / 2))
    corr = cov[np.ix_(ok, ok)] / np.outer(sd[ok], sd[ok])
    # Symmetric square root by eigh: valid for singular R (collinear estimates).
    vals, vecs = np.linalg.eigh(corr)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((draws, len(vals)), dtype=np.float32) @ root.T.astype(np.float32)
    return float(np.quantile(np.max(np.abs(z), axis=1), 1 - alpha))


@dataclass
class WaldTest:
    """Joint test that a set of effects are all zero."""

    statistic: float
    df: int
    pvalue: float
    label: str = ""

    def __str__(self) -> str:
        return f"{self.label}: chi2({self.df}) = {self.statistic:.3f}, p-value = {self.pvalue:.4f}"


def wald_test(est: np.ndarray, cov: np.ndarray, label: str = "") -> WaldTest:
    """Wald statistic ``est' V^+ est`` with a chi-squared reference distribution."""
    est = np.asarray(est, dtype=float)
    if est.size == 0:
        return WaldTest(np.nan, 0, np.nan, label)
    vinv = np.linalg.pinv(cov)
    stat = float(est @ vinv @ est)
    df = int(np.linalg.matrix_rank(cov))
    return WaldTest(stat, df, float(stats.chi2.sf(stat, df)) if df else np.nan, label)
