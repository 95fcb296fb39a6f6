"""Group-time cells without covariates: closed form and factored influence functions.

Without covariates every ATT(g, t) is a difference of weighted mean changes,
and its influence function for unit ``i`` depends on the unit only through its
group ``h_i`` (cohort or never treated) and its outcomes::

    psi_ik = a_k[h_i] * w_i * (y_i,c - y_i,b - m_k[h_i])

with ``a_k = n / s1`` on the cohort, ``-n / s0`` on the comparison groups and 0
elsewhere, ``m_k`` the group's mean change. So ``psi = U L``, block by block:
for the units of group ``h``, ``U_h`` holds ``(w_i y_i,0, …, w_i y_i,T-1, w_i)``
(``T + 1`` columns) and ``L_h`` (``(T + 1) × cells``) the coefficients. The
multiplier bootstrap needs ``V @ psi`` for ``draws × n`` weights ``V``; computed
as ``(V @ U) @ L`` it costs ``draws × n × (T + 1)`` multiply-adds instead of
``draws × n × cells`` (16 against 98 per unit and draw on a 15-period panel
with seven cohorts), for the same numbers up to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from impact.estimate.inference import _draw_products


@dataclass
class UnitGroups:
    """Units by group (first treated period, 0 for never treated)."""

    values: np.ndarray  # sorted distinct groups, length H
    code: np.ndarray  # (n,) index of each unit's group in ``values``
    weight: np.ndarray  # (H,) total weight of each group
    count: np.ndarray  # (H,) number of units of each group
    order: np.ndarray  # (n,) units sorted by group (stable)
    bounds: np.ndarray  # (H + 1,) group h is order[bounds[h]:bounds[h + 1]]

    @classmethod
    def from_groups(cls, G: np.ndarray, w: np.ndarray) -> UnitGroups:
        values, code = np.unique(G, return_inverse=True)
        count = np.bincount(code, minlength=len(values))
        return cls(
            values=values,
            code=code,
            weight=np.bincount(code, weights=w, minlength=len(values)),
            count=count,
            order=np.argsort(code, kind="stable"),
            bounds=np.concatenate([[0], np.cumsum(count)]),
        )


class ClosedFormCells:
    """ATT(g, t) of cells without covariates, their influence functions and bootstrap.

    ``cell`` computes one cell and writes its influence-function column; the
    coefficients ``L`` are kept so that :meth:`bootstrap_draws` can apply the
    multiplier weights to the ``n × (T + 1)`` factor instead of the ``n × cells``
    matrix.
    """

    def __init__(self, y: np.ndarray, w: np.ndarray, groups: UnitGroups, max_cells: int):
        self.n, self.n_t = y.shape
        # Columns contiguous: each cell reads two of them.
        self.y = np.asfortranarray(y)
        self.w = w
        self.groups = groups
        self.coef = np.zeros((len(groups.values), self.n_t + 1, max_cells))
        self._dy = np.empty(self.n)
        self._tmp = np.empty(self.n)
        # Unit weights restricted to a cohort / to a set of comparison groups, and
        # their totals: shared by the cells of a cohort and of a comparison set.
        self._w_cohort: dict[int, tuple[np.ndarray, float]] = {}
        self._w_comp: dict[bytes, tuple[np.ndarray, float]] = {}

    def _weights(self, h: int, comp: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, float]:
        if h not in self._w_cohort:
            w1 = self.w * (self.groups.code == h)
            self._w_cohort[h] = (w1, float(w1.sum()))
        key = comp.tobytes()
        if key not in self._w_comp:
            w0 = self.w * comp[self.groups.code]
            self._w_comp[key] = (w0, float(w0.sum()))
        return *self._w_cohort[h], *self._w_comp[key]

    def cell(
        self, k: int, c: int, b: int, h: int, comp: np.ndarray, out: np.ndarray
    ) -> float:
        """ATT of the cell comparing period ``c`` with base ``b`` for group index ``h``.

        ``comp`` is a boolean mask over the groups (comparison groups, excluding
        ``h``), with positive total weight. The influence function (scaled as in
        :mod:`impact.estimate.did`: ``psi.T @ psi / n**2`` is the variance),
        ``n * (w1 (dy - m1) / s1 - w0 (dy - m0) / s0)``, is written into ``out``
        and its coefficients stored as column ``k``.
        """
        w1, s1, w0, s0 = self._weights(h, comp)
        dy = np.subtract(self.y[:, c], self.y[:, b], out=self._dy)
        # The sums of products go through einsum, not `@`: `@` on vectors calls
        # BLAS ddot, which OpenBLAS multi-threads from a few thousand elements;
        # thread hand-off then costs more than the arithmetic and collapses when
        # another process holds a core (profiled: 5x slower with one busy process
        # on 2 cores). einsum's single-threaded SIMD loop is as fast when idle.
        m1 = np.einsum("i,i->", w1, dy) / s1
        m0 = np.einsum("i,i->", w0, dy) / s0
        # Full-length vectors (zero weight outside the cell), no fancy indexing;
        # every pass writes into preallocated buffers.
        tmp = self._tmp
        np.subtract(dy, m1, out=tmp)
        np.multiply(tmp, w1, out=out)
        out *= self.n / s1
        np.subtract(dy, m0, out=tmp)
        tmp *= w0
        tmp *= self.n / s0
        out -= tmp
        a = np.zeros(len(self.groups.values))
        a[comp] = -self.n / s0
        a[h] = self.n / s1
        m = np.zeros(len(self.groups.values))
        m[comp] = m0
        m[h] = m1
        col = self.coef[:, :, k]
        col[:, c] = a
        col[:, b] = -a
        col[:, self.n_t] = -a * m
        return float(m1 - m0)

    def bootstrap_draws(
        self,
        n_cells: int,
        rng: np.random.Generator,
        draws: int,
        kind: str,
        chunk: int = 128,
    ) -> np.ndarray:
        """``draws × n_cells`` bootstrap deviations ``V @ psi / n``, one weight per unit.

        For unit clusters only: the factor ``U`` is then block diagonal once units
        are sorted by group, and the weights are drawn in that order (unit
        ``order[j]`` gets column ``j`` of the draws), the same law without
        permuting every chunk of draws: ``multiplier_bootstrap(psi[groups.order],
        ...)`` with the same generator gives the same numbers. (With coarser
        clusters the cluster sums of ``U`` are dense, ``H (T + 1)`` columns against
        ``cells``, so the dense bootstrap of ``psi`` is as cheap.)
        """
        g = self.groups
        n_groups, width = len(g.values), self.n_t + 1
        # Centring each unit's outcomes leaves every change y_c - y_b, hence psi,
        # unchanged, and keeps V @ (w y) from cancelling large outcome levels.
        yc = self.y - self.y.mean(axis=1, keepdims=True)
        factor = np.empty((self.n, width))
        np.multiply(yc, self.w[:, None], out=factor[:, : self.n_t])
        factor[:, self.n_t] = self.w
        coef = self.coef[:, :, :n_cells].reshape(n_groups * width, n_cells)
        blocks = [factor[g.order[g.bounds[h] : g.bounds[h + 1]]] for h in range(n_groups)]
        boot = _draw_products(blocks, rng, draws, kind, chunk) @ coef
        boot /= self.n
        return boot
