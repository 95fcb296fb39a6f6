"""Classification of the mapped values (mapclassify), legend labels and class colours.

Used alike by the static choropleths and the interactive map, so both show
the same classes, labels and colours.

May import: :mod:`impact.maps.formatting`, :mod:`impact.errors`, mapclassify,
numpy, pandas, matplotlib (colormaps only).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from typing import Literal

import mapclassify
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

from impact._options import check_option
from impact.errors import InputError
from impact.maps.formatting import _auto_decimals, _exact_decimals, format_fr

logger = logging.getLogger(__name__)

#: The classification schemes, as a type (checked by :func:`impact._options.check_option`).
Scheme = Literal["quantiles", "natural_breaks", "equal_interval", "fisher_jenks", "user_defined"]
#: The classification schemes accepted by :func:`choropleth` and their mapclassify class.
SCHEMES: dict[str, str] = {
    "quantiles": "Quantiles",
    "natural_breaks": "NaturalBreaks",
    "equal_interval": "EqualInterval",
    "fisher_jenks": "FisherJenks",
    "user_defined": "UserDefined",
}

#: Above this many values, Fisher-Jenks runs on a sample: without numba the
#: exact algorithm is pure Python and quadratic (3,000 values take ~8 s).
_FISHER_JENKS_MAX = 1_500


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run with NumPy's global RNG seeded, then restore it.

    mapclassify's k-means (natural breaks) and the Fisher-Jenks sample draw from
    the global RNG; seeding makes report maps reproducible without touching the
    caller's random state.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


#: Share of exact zeros from which :func:`classify` gives zero a class of its own.
ZERO_CLASS_SHARE = 0.25


def classify(
    values: Sequence[float] | np.ndarray | pd.Series,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
) -> mapclassify.classifiers.MapClassifier:
    """Classify the finite values with mapclassify.

    Parameters
    ----------
    values
        Numbers; NaN and infinite values are left out (they are drawn as missing).
    scheme
        One of :data:`SCHEMES` (``"quantiles"``, ``"natural_breaks"``,
        ``"equal_interval"``, ``"fisher_jenks"``, ``"user_defined"``).
    k
        Number of classes (reduced to the number of distinct values if smaller).
    bins
        Upper bounds of the classes for ``"user_defined"``; mapclassify adds the
        maximum as a last class if it exceeds the last bound.

    Returns
    -------
    mapclassify.classifiers.MapClassifier
        With ``bins`` (upper bounds), ``yb`` (class of each finite value),
        ``counts`` and ``k``.

    Raises
    ------
    InputError
        An unknown scheme, no finite value, ``user_defined`` without bins, ``k < 1``.

    Examples
    --------
    >>> classify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan], "quantiles", k=2).bins.tolist()
    [5.5, 10.0]
    >>> c = classify([0.5, 1, 2, 3, 4, 8], "user_defined", bins=[1, 3])
    >>> c.bins.tolist(), c.counts.tolist()  # the maximum is added as a last class
    ([1.0, 3.0, 8.0], [2, 2, 2])
    >>> classify([1, 2], "jenks")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.InputError: scheme must be 'quantiles', 'natural_breaks', 'equal_interval',
    'fisher_jenks' or 'user_defined', not 'jenks'
    """
    # "Natural breaks" and "natural-breaks" are accepted too, then checked as the type says.
    key = str(scheme).lower().replace("-", "_").replace(" ", "_")
    check_option(key, Scheme, name="scheme")
    y = np.asarray(
        pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()), errors="coerce"),
        dtype=float,
    )
    y = y[np.isfinite(y)]
    if y.size == 0:
        raise InputError("nothing to classify: every value is missing")
    if key == "user_defined":
        if bins is None or len(bins) == 0:
            raise InputError("scheme='user_defined' needs bins=[upper bound of each class]")
        return mapclassify.UserDefined(y, bins=sorted(float(b) for b in bins))
    if bins is not None:
        logger.warning("bins are only used with scheme='user_defined'; ignored for %s", key)
    if int(k) < 1:
        raise InputError(f"k={k}: at least one class is needed")
    zero = y == 0
    if int(k) > 2 and zero.mean() >= ZERO_CLASS_SHARE and (y >= 0).all() and (~zero).sum() > 1:
        # A variable that is zero almost everywhere (spending, a rare event): quantiles of it
        # collapse into "0 – 0" classes. Zero gets a class of its own, the positive values
        # are classified with the scheme into the other k - 1.
        positive = classify(y[~zero], scheme, k=int(k) - 1)
        out = mapclassify.UserDefined(y, bins=[0.0, *map(float, positive.bins)])
        out.zero_class = True  # bounds computed, not chosen: class_labels rounds them
        return out
    k = min(int(k), len(np.unique(y)))
    with _seeded(0), warnings.catch_warnings():
        # "Numba not installed": expected; the sample below keeps Fisher-Jenks fast.
        warnings.filterwarnings("ignore", message=".*[Nn]umba.*")
        if key == "fisher_jenks" and y.size > _FISHER_JENKS_MAX:
            logger.info(
                "Fisher-Jenks on a sample of %d of %d values (exact algorithm too slow)",
                _FISHER_JENKS_MAX,
                y.size,
            )
            return mapclassify.FisherJenksSampled(y, k=k, pct=_FISHER_JENKS_MAX / y.size)
        return getattr(mapclassify, SCHEMES[key])(y, k=k)


def class_labels(
    classifier: mapclassify.classifiers.MapClassifier, decimals: int | None = None
) -> list[str]:
    """Legend labels ``"12,5 – 20,0"`` of each class, from the minimum to the last bound.

    The lower bound of the first class is the smallest value; each later class
    starts at the previous upper bound (mapclassify classes are ``(lower, upper]``).

    Examples
    --------
    >>> class_labels(classify([0.5, 1, 2, 3, 4, 8], "user_defined", bins=[1, 3]))
    ['0,5 – 1,0', '1,0 – 3,0', '3,0 – 8,0']
    >>> class_labels(classify([12.5, 14, 20, 31.25, 40], "quantiles", k=2), decimals=0)
    ['12 – 20', '20 – 40']
    """
    upper = [float(b) for b in np.asarray(classifier.bins, dtype=float)]
    lower = [float(np.min(classifier.y)), *upper[:-1]]
    zero_class = getattr(classifier, "zero_class", False) and len(upper) > 1
    if zero_class:  # the class of zeros, then the positive values from their minimum
        y = np.asarray(classifier.y, dtype=float)
        lower[1] = float(y[y > 0].min())
    if decimals is None:
        decimals = _auto_decimals(lower[1:2] + upper[1:] if zero_class else [lower[0], *upper])
        if isinstance(classifier, mapclassify.UserDefined) and not zero_class:
            # Bounds chosen by the analyst are shown exactly (40.25 not "40,2"),
            # except the maximum that mapclassify may append.
            chosen = [b for b in upper if b != float(np.max(classifier.y))]
            decimals = max(decimals, _exact_decimals(chosen))
    return [
        format_fr(hi, decimals if hi != int(hi) else 0)
        if lo == hi
        else f"{format_fr(lo, decimals)} – {format_fr(hi, decimals)}"
        for lo, hi in zip(lower, upper, strict=True)
    ]


def _class_colors(cmap: str, k: int) -> list[str]:
    """``k`` colours from a colormap, skipping its near-white and near-black ends."""
    colormap = colormaps[cmap]
    if k == 1:
        return [to_hex(colormap(0.6))]
    return [to_hex(colormap(v)) for v in np.linspace(0.12, 0.95, k)]
