"""Support for the papermill notebooks: parameter checks, output folder, headline.

The notebooks stay thin: their first cell after the parameters calls
:func:`check_parameters`, which stops with **one** clear message when a value is
wrong (a level that does not exist, an unknown région, an empty period range),
instead of a traceback deep in pandas twenty cells later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from impact._io import atomic_path
from impact.errors import InputError

logger = logging.getLogger(__name__)

#: Allowed values of the parameters shared by the notebooks.
CHOICES: dict[str, tuple] = {
    "source": ("demo", "real"),
    "level": ("commune", "epci", "departement", "region"),
    "freq": ("year",),
    "control": ("never", "notyet"),
    "method": ("dr", "ipw", "reg"),
    "base_period": ("varying", "universal"),
}

#: Years any source can cover (SIRENE creation dates start long before; the
#: convention runs 2014–2020).
YEAR_RANGE = (1990, 2030)


def check_parameters(**params: Any) -> dict[str, Any]:
    """Validate notebook parameters; raise one :class:`InputError` listing every problem.

    Recognised names: ``source``, ``level``, ``freq``, ``control``, ``method``,
    ``base_period`` (checked against :data:`CHOICES`), ``start``/``end``
    (years, ``start <= end``), ``region`` (a région code or ``None``),
    ``anticipation`` (>= 0), ``bootstrap`` / ``n_permutations`` (>= 0),
    ``seed`` (int). Other names are returned unchanged.

    Returns
    -------
    dict
        The parameters, with ``region`` normalised (``84``, ``"84"`` → ``"84"``).
    """
    problems: list[str] = []
    out = dict(params)
    for name, allowed in CHOICES.items():
        if name in params and params[name] not in allowed:
            problems.append(f"{name}={params[name]!r} is not valid; expected one of {', '.join(map(repr, allowed))}")
    start, end = params.get("start"), params.get("end")
    for name in ("start", "end"):
        v = params.get(name)
        if v is not None and (not isinstance(v, int) or not YEAR_RANGE[0] <= v <= YEAR_RANGE[1]):
            problems.append(f"{name}={v!r} is not a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}")
    if isinstance(start, int) and isinstance(end, int) and start > end:
        problems.append(f"start={start} is after end={end}: the period range is empty")
    for name in ("anticipation", "bootstrap", "n_permutations"):
        v = params.get(name)
        if v is not None and (not isinstance(v, int) or v < 0):
            problems.append(f"{name}={v!r} must be a whole number >= 0")
    if params.get("region") not in (None, ""):
        from impact.territories import regions

        code = str(params["region"]).strip().zfill(2)
        known = regions().set_index("region")["region_name"]
        if code not in known.index:
            listing = ", ".join(f"{c} {n}" for c, n in known.items())
            problems.append(f"region={params['region']!r} is not a région code; known codes: {listing}")
        else:
            out["region"] = code
    else:
        out["region"] = None if "region" in params else out.get("region")
    if problems:
        raise InputError("invalid notebook parameters:\n  - " + "\n  - ".join(problems))
    return out


def check_period_has_data(panel, time_col: str, start: int | None, end: int | None) -> None:
    """Raise a clear error when the panel has no row in ``[start, end]``."""
    years = sorted(set(panel[time_col]))
    if not years:
        raise InputError(
            f"no data between start={start} and end={end}; the sources cover nothing in that range"
        )
    lo, hi = years[0], years[-1]
    if (start is not None and start > hi) or (end is not None and end < lo):
        raise InputError(f"no data between start={start} and end={end}; the data cover {lo}–{hi}")


def output_folder(output_dir: str | Path) -> Path:
    """Create and return the notebook's output folder (figures, maps, headline)."""
    path = Path(output_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_headline(output_dir: str | Path, values: Mapping[str, Any]) -> Path:
    """Write ``headline.json``: the numbers the report index shows for this run."""
    path = Path(output_dir) / "headline.json"
    with atomic_path(path, suffix=".json") as tmp:
        tmp.write_text(json.dumps(dict(values), ensure_ascii=False, indent=2, default=str))
    return path
