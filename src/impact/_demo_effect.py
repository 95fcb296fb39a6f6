"""The effect injected into the demonstration data, and the ATT it implies.

:data:`DEMO_EFFECT` is the schedule :func:`impact.demo.generate` applies to
TPE creations of every département hosting a PTCE; :func:`effect` evaluates it
and :func:`expected_att` turns it into the number an estimator should recover
on a département panel. Import them from :mod:`impact.demo`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from impact._warnings import warn as _warn
from impact.errors import InputError

#: The injected effect of PTCE labelling (read by tests and notebooks).
#: ``by_event_time[e]`` is the relative increase of TPE creations per inhabitant
#: ``e`` years after the first label of the département; ``long_run`` applies
#: from the last listed event time on.
DEMO_EFFECT: dict[str, Any] = {
    "indicator": "creations_tpe",
    "unit": "departement",
    "by_event_time": {0: 0.08, 1: 0.105, 2: 0.13, 3: 0.15},
    "long_run": 0.15,
    # Same schedule in closed form: min(first_year + per_year * e, max).
    "first_year": 0.08,
    "per_year": 0.025,
    "max": 0.15,
    "description": (
        "TPE creations per inhabitant +8 % in the département's first PTCE label "
        "year, +10.5 %, +13 %, then +15 % from the third year after it"
    ),
}


def effect(event_time: ArrayLike) -> np.ndarray:
    """The injected relative effect ``event_time`` years after the label.

    Parameters
    ----------
    event_time
        Years since the département's first PTCE label (scalar or array);
        negative (before the label) and NaN (never labelled) give 0.

    Returns
    -------
    numpy.ndarray
        Relative increase of TPE creations, of the shape of ``event_time``.

    Examples
    --------
    >>> effect([-1, 0, 1, 2, 3, 10, np.nan]).tolist()
    [0.0, 0.08, 0.105, 0.13, 0.15, 0.15, 0.0]
    """
    e = np.asarray(event_time, dtype=float)
    sched = DEMO_EFFECT["by_event_time"]
    last = max(sched)
    out = np.zeros(e.shape, dtype=float)
    ok = np.isfinite(e) & (e >= 0)
    for k, v in sched.items():
        out[ok & (e == k)] = v
    out[ok & (e > last)] = DEMO_EFFECT["long_run"]
    return out


def effect_multiplier(event_time: ArrayLike) -> np.ndarray:
    """``1 + effect(event_time)``: 1 for never-labelled rows and years before the label.

    Examples
    --------
    >>> effect_multiplier([np.nan, -2, 0, 5]).tolist()
    [1.0, 1.0, 1.08, 1.15]
    """
    return 1.0 + effect(event_time)


def expected_att(
    panel: pd.DataFrame,
    outcome: str = "creations_tpe_per10k",
    *,
    time: str = "year",
    group: str = "first_label_year",
) -> float:
    """The ATT an estimator should recover on a demonstration **département** panel.

    For every treated territory-year after the label, the injected effect in
    level is ``y × (1 − 1 / (1 + effect(e)))``, with ``e = year − group``: the
    observed outcome minus its expected counterfactual, as if the whole
    territory's TPE creations had been multiplied by ``1 + effect(e)`` from its
    own first label year. The simple aggregation of Callaway & Sant'Anna
    weights each group-time cell by group size, i.e. each treated post-label
    row equally, so the expected ATT is the mean of that over those rows.

    What it guarantees: on a **département** panel (the unit the effect is
    injected at) and a TPE outcome (``creations_tpe`` or
    ``creations_tpe_per10k``), it is the effect on the treated rows in
    expectation over the Poisson draws. For ``creations_total`` it is a little
    larger than the truth (non-TPE creations are not affected).

    It does **not** hold at other levels. A région's ``first_label_year`` is
    that of its first PTCE, but only its PTCE départements are affected, each
    from its own label year; treating the whole région as affected overstates
    the effect about threefold (default demonstration, scale 0.05: 0.60 TPE
    creations per 10,000 inhabitants against a true 0.21). Communes
    and EPCI are not the unit of treatment either. A warning says so when the
    panel's ``level`` column is not ``departement``.

    Parameters
    ----------
    panel
        Panel with ``time``, ``group`` (0 for never labelled) and ``outcome``.
    outcome
        Column whose effect is wanted.
    time, group
        Columns of the year and of the first label year.

    Returns
    -------
    float
        Mean effect in the unit of ``outcome`` over treated post-label rows.

    Raises
    ------
    InputError
        If no row is treated after its label year.

    Examples
    --------
    Two départements, one labelled in 2014 whose outcome is exactly ten times
    the injected multiplier (so the effect is 0.8 in 2014 and 1.05 in 2015):

    >>> panel = pd.DataFrame({
    ...     "year": [2013, 2014, 2015] * 2,
    ...     "first_label_year": [2014] * 3 + [0] * 3,
    ...     "creations_tpe_per10k": [10.0, 10.8, 11.05, 9.0, 9.0, 9.0],
    ... })
    >>> round(expected_att(panel), 3)
    0.925
    """
    levels = set(panel["level"].astype(str)) if "level" in panel.columns else set()
    if levels - {"departement"}:
        _warn(
            f"expected_att is exact only on a département panel, not at level "
            f"{sorted(levels)}: the demonstration effect is injected by département, and "
            "only the treated départements of a larger territory are affected",
            UserWarning)
    g = panel[group].to_numpy(dtype=float)
    t = panel[time].to_numpy(dtype=float)
    post = (g > 0) & (t >= g)
    if not post.any():
        raise InputError(
            f"expected_att: no row is treated after its label year ({group} > 0 and "
            f"{time} >= {group})"
        )
    e = t[post] - g[post]
    y = panel.loc[post, outcome].to_numpy(dtype=float)
    m = effect_multiplier(e)
    return float(np.mean(y * (1 - 1 / m)))
