"""What effect could the design have detected? Minimum detectable effect and placebo power.

When the answer is "no significant effect", the reader needs the smallest
effect the design would have detected most of the time.

:func:`minimum_detectable_effect`
    closed form from a standard error: a two-sided test at level ``alpha``
    rejects with probability ``power`` when the true effect is
    ``MDE = (z_{1 - alpha/2} + z_{power}) * SE`` (Bloom 1995); at 5 % and
    80 %, ``MDE = (1.960 + 0.842) * SE = 2.80 * SE``. It ignores the
    negligible probability of rejecting on the wrong side.
:func:`placebo_power`
    design-based check on the real panel: adoption dates are drawn among
    never-treated territories (so no real effect is present), a known effect
    is added to their outcome from the placebo adoption on, and the share of
    draws in which the estimator detects it is the power; with an added
    effect of 0 it is the false-positive rate (size) of the test.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact._options import check_options
from impact.errors import InputError
from impact.estimate.protocol import ResultBase, tidy_frame

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["PlaceboPowerResult", "minimum_detectable_effect", "placebo_power"]

logger = logging.getLogger(__name__)


def minimum_detectable_effect(
    se: float, *, alpha: float = 0.05, power: float = 0.8, df: int | None = None
) -> float:
    """Minimum detectable effect ``(q_{1 - alpha/2} + q_{power}) * se``.

    Parameters
    ----------
    se
        Standard error of the estimate (e.g. ``agg.overall_se``).
    alpha
        Level of the two-sided test.
    power
        Probability of detecting the effect.
    df
        Degrees of freedom: Student quantiles instead of normal ones (e.g.
        clusters - 1 for a clustered TWFE coefficient).

    Returns
    -------
    float
        The effect size (in the units of the estimate) detected with
        probability ``power``; ``2.80 * se`` at the defaults.

    Examples
    --------
    >>> round(minimum_detectable_effect(1.0), 3)
    2.802
    >>> round(minimum_detectable_effect(1.0, df=3), 3)  # four clusters
    4.161
    """
    if not (np.isfinite(se) and se >= 0):
        raise InputError(f"se must be a finite number >= 0, not {se!r}")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise InputError(f"alpha and power must be between 0 and 1, not {alpha!r}, {power!r}")
    dist = stats.norm if df is None else stats.t(df)
    return float((dist.ppf(1 - alpha / 2) + dist.ppf(power)) * se)


@dataclass(repr=False)
class PlaceboPowerResult(ResultBase):
    """Detection rates of placebo adoptions with a known added effect.

    :meth:`tidy` has one row per added effect (term ``"effect=0.5"``):
    ``estimate`` is the mean estimate over the draws and ``se`` the standard
    deviation of the estimates across draws (the design-based standard
    error); there is no interval nor p-value (``NaN``): the detection rates
    are in ``table``.

    Attributes
    ----------
    table
        One row per added effect: ``effect, detected`` (share of draws with a
        significant estimate), ``mean_estimate``, ``sd_estimate``,
        ``mean_se``, ``draws``.
    estimates
        Every draw: ``draw, effect, att, se, pvalue``.
    n_treated, cohorts
        The placebo design (number of placebo-treated territories, cohort sizes).
    alpha
        Level of the tests.
    n_units
        Never-treated territories the placebos are drawn from.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> pw = placebo_power(example_panel(), effects=[0.0, 2.0], draws=5, n_treated=10,
    ...                    outcome="outcome", unit="territory_code", time="year",
    ...                    group="first_treated")
    >>> pw.tidy().round(3)
           term  estimate     se  ci_low  ci_high  pvalue
    0  effect=0      0.09  0.306     NaN      NaN     NaN
    1  effect=2      2.09  0.306     NaN      NaN     NaN
    """

    table: pd.DataFrame
    estimates: pd.DataFrame
    n_treated: int
    cohorts: dict[float, int]
    alpha: float
    n_units: int | None = None

    def tidy(self) -> pd.DataFrame:
        """One row per added effect: mean estimate and its SD across draws."""
        t = self.table
        return tidy_frame([f"effect={e:g}" for e in t["effect"]], t["mean_estimate"],
                          t["sd_estimate"])

    def _n(self) -> int | None:
        return self.n_units

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Detection rate against the added effect (power curve, French labels).

        Keyword: ``title``. Returns the Axes.
        """
        return _power_plot(self, ax=ax, **kwargs)

    def summary(self, digits: int = 4) -> str:
        """Plain-text report: the placebo design and the detection rates."""
        return "\n".join([
            f"Placebo power ({self.n_treated} placebo-treated territories among never treated; "
            f"cohorts {self.cohorts}; level {self.alpha:g})",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}"),
        ])


def _power_plot(res: PlaceboPowerResult, *, ax: Axes | None = None,
                title: str | None = None) -> Axes:
    from impact.estimate.plots import POST_COLOUR, _axes

    fig, ax = _axes(ax, (7, 4))
    t = res.table
    ax.plot(t["effect"], t["detected"], "o-", color=POST_COLOUR)
    ax.axhline(res.alpha, color="black", lw=0.8, ls=":", label=f"Seuil ({res.alpha:g})")
    ax.axhline(0.8, color="black", lw=0.8, ls="--", label="Puissance de 80 %")
    ax.set_ylim(0, 1)
    ax.set_xlabel("Effet ajouté aux territoires placebo")
    ax.set_ylabel("Part des tirages où l'effet est détecté")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return ax


@check_options
def placebo_power(
    data: pd.DataFrame,
    *,
    effects: Sequence[float] = (0.0,),
    draws: int = 200,
    n_treated: int | None = None,
    cohorts: dict[float, int] | None = None,
    seed: int = 0,
    alpha: float = 0.05,
    aggregation: Literal["simple", "group", "dynamic", "calendar"] = "simple",
    **att_gt_kwargs: Any,
) -> PlaceboPowerResult:
    """Share of placebo adoptions among never-treated territories where an added effect is detected.

    Parameters
    ----------
    data
        The real panel (long), as for :func:`~impact.estimate.att_gt`.
    effects
        Effects added to the outcome of placebo-treated units from their
        placebo adoption on (same units as the outcome); include 0 to get the
        false-positive rate.
    draws
        Number of placebo assignments (the same assignments serve every effect).
    n_treated, cohorts
        Placebo design. Default: as many placebo-treated territories per
        cohort as really treated ones (``{cohort: count}``).
    seed
        Seed of the assignments.
    alpha
        Level of the test (two-sided, analytic standard errors).
    aggregation
        Which overall ATT is tested.
    **att_gt_kwargs
        Arguments of :func:`~impact.estimate.att_gt` (``outcome, unit, time,
        group`` …; the bootstrap is switched off).

    Returns
    -------
    PlaceboPowerResult

    Examples
    --------
    Five placebo draws of 10 of the 20 never-treated territories of the
    example panel (two cohorts of 5), with no effect and with an effect of 2:

    >>> from impact.datasets import example_panel
    >>> pw = placebo_power(example_panel(), effects=[0.0, 2.0], draws=5, n_treated=10,
    ...                    outcome="outcome", unit="territory_code", time="year",
    ...                    group="first_treated")
    >>> pw.table[["effect", "detected", "draws"]]
       effect  detected  draws
    0     0.0       0.2      5
    1     2.0       1.0      5
    """
    from impact.estimate.did import att_gt

    for key in ("outcome", "unit", "time", "group"):
        if key not in att_gt_kwargs:
            raise InputError(f"placebo_power needs the att_gt argument {key}=...")
    if int(draws) != draws or draws < 1:
        raise InputError(f"draws must be a whole number >= 1, not {draws!r}")
    kw = {**att_gt_kwargs, "bootstrap": False}
    unit, group, outcome, time = kw["unit"], kw["group"], kw["outcome"], kw["time"]
    g = pd.to_numeric(data[group], errors="coerce").fillna(0)
    if cohorts is None:
        real = data.loc[g > 0].drop_duplicates(unit)
        cohorts = pd.to_numeric(real[group]).value_counts().sort_index().to_dict()
    cohorts = {float(c): int(n) for c, n in cohorts.items()}
    if n_treated is not None:  # rescale the cohort mix to n_treated units
        tot = sum(cohorts.values())
        cohorts = {c: max(1, round(n * n_treated / tot)) for c, n in cohorts.items()}
    never = data.loc[g == 0].copy()
    pool = never[unit].unique()
    n_placebo = sum(cohorts.values())
    if n_placebo >= len(pool) - 1:
        raise InputError(
            f"{n_placebo} placebo-treated territories requested but only {len(pool)} never-treated "
            "territories: lower n_treated"
        )
    rng = np.random.default_rng(seed)
    labels = np.repeat(list(cohorts), list(cohorts.values()))
    rows = []
    z = stats.norm.ppf(1 - alpha / 2)
    y0 = never[outcome].to_numpy(float)
    tt = pd.to_numeric(never[time]).to_numpy(float)
    seen: dict[str, warnings.WarningMessage] = {}
    for d in range(int(draws)):
        chosen = rng.choice(pool, size=n_placebo, replace=False)
        gmap = pd.Series(labels, index=chosen)
        gp = never[unit].map(gmap).fillna(0).to_numpy(float)
        post = (gp > 0) & (tt >= gp)
        for eff in effects:
            df = never.assign(**{group: gp, outcome: y0 + eff * post})
            # The same warnings (e.g. small cohorts) would repeat at every draw: keep one.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                agg = att_gt(df, **kw).aggregate(aggregation, bootstrap=0, uniform_band=False)
            for w in caught:
                seen.setdefault(str(w.message), w)
            att, se = agg.overall_att, agg.overall_se
            rows.append({"draw": d, "effect": float(eff), "att": att, "se": se,
                         "pvalue": float(2 * stats.norm.sf(abs(att / se))) if se > 0 else np.nan,
                         "detected": bool(se > 0 and abs(att) > z * se)})
        if (d + 1) % 10 == 0 or d + 1 == draws:
            logger.info("placebo power: %d/%d draws", d + 1, draws)
    for msg in seen:
        logger.warning("placebo power (in some or all draws): %s", msg)
    est = pd.DataFrame(rows)
    table = (
        est.groupby("effect")
        .agg(detected=("detected", "mean"), mean_estimate=("att", "mean"),
             sd_estimate=("att", "std"), mean_se=("se", "mean"), draws=("att", "size"))
        .reset_index()
    )
    return PlaceboPowerResult(table=table, estimates=est, n_treated=n_placebo, cohorts=cohorts,
                              alpha=alpha, n_units=len(pool))
