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


def _fmt(x: float, digits: int = 2) -> str:
    """French number formatting for prose: 1 234,56."""
    s = f"{x:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return s


def conclusion(*, outcome_label: str, simple, dynamic, twfe_result=None, ri=None,
               level_label: str = "territoires", demo: bool = False) -> str:
    """A short plain-language conclusion (Markdown, French) built from computed results.

    Every number comes from the result objects, so the text cannot drift from
    the estimates when data or parameters change.

    Parameters
    ----------
    simple, dynamic
        ``att_gt(...).aggregate("simple")`` and ``.aggregate("dynamic")``.
    twfe_result
        Optional :class:`~impact.estimate.twfe.TWFEResult` to contrast.
    ri
        Optional :class:`~impact.estimate.randomization.RandomizationResult`.
    """
    lo, hi = simple.overall_ci
    significant = lo > 0 or hi < 0
    direction = "hausse" if simple.overall_att > 0 else "baisse"
    pt = dynamic.pretrend_test()
    parts = []
    if demo:
        parts.append("*Données de démonstration : l'effet ci-dessous est celui injecté dans les "
                     "données simulées, pas un résultat sur données réelles.*\n")
    parts.append(
        f"Après la labellisation d'un PTCE, les {level_label} concernés connaissent en moyenne une "
        f"**{direction} de {_fmt(abs(simple.overall_att))}** {outcome_label} par rapport aux "
        f"{level_label} de comparaison (IC à 95 % : {_fmt(lo)} à {_fmt(hi)}), "
        + ("un écart statistiquement significatif." if significant else
           "un écart qui n'est pas statistiquement distinct de zéro.")
    )
    post = dynamic.table[dynamic.table["event_time"] >= 0]
    if len(post) > 1:
        first, last = post.iloc[0], post.iloc[-1]
        parts.append(
            f"L'effet estimé passe de {_fmt(first['att'])} l'année de la labellisation à "
            f"{_fmt(last['att'])} {int(last['event_time'])} an(s) après."
        )
    parts.append(
        f"Le test de pré-tendance donne p = {_fmt(pt.pvalue, 3)} : "
        + ("rien n'indique que les trajectoires divergeaient avant le label."
           if pt.pvalue >= 0.05 else
           "les trajectoires divergeaient déjà avant le label ; l'hypothèse de tendances "
           "parallèles est fragile et l'estimation doit être lue avec prudence.")
    )
    if twfe_result is not None:
        b = float(twfe_result.table["estimate"].iloc[0])
        parts.append(
            f"La régression à effets fixes à deux dimensions donnerait {_fmt(b)}, "
            "un chiffre biaisé lorsque les effets varient selon la cohorte et la durée d'exposition."
        )
    if ri is not None:
        parts.append(
            f"Par inférence par randomisation (dates de labellisation permutées entre {level_label}), "
            f"la probabilité d'obtenir un effet au moins aussi grand par hasard est de "
            f"{_fmt(ri.pvalue, 3)}."
        )
    return "\n\n".join(parts)


LEVEL_LABELS = {"commune": "communes", "epci": "EPCI", "departement": "départements", "region": "régions"}
OUTCOME_LABELS = {
    "creations_tpe_per10k": "créations de TPE pour 10 000 habitants",
    "creations_total_per10k": "créations d'entreprises pour 10 000 habitants",
    "creations_ess_per10k": "créations d'entreprises de l'ESS pour 10 000 habitants",
}


def build_tables(*, source: str = "demo", level: str = "departement", freq: str = "year",
                 start: int | None = None, end: int | None = None, region: str | None = None,
                 seed: int = 2014, scale: float = 1.0):
    """Long table and estimation panel for the notebooks, cached as Parquet.

    The long table is built once per data source (and demo seed/scale) and the
    panel once per level and région, under ``data/processed/notebooks/``;
    later notebooks and report runs read the cache.

    Returns
    -------
    (long, panel, info)
        ``info`` holds labels for titles and prose: ``label`` ("Données de
        démonstration" or the source), ``level_label``, ``outcome_label``,
        ``source_line`` and ``creation_level``.
    """
    import pandas as pd

    from impact import panel as P
    from impact.config import processed_dir
    from impact.demo import DEMO_LABEL, default_folder

    folder = processed_dir() / "notebooks" / (f"demo-seed{seed}-scale{scale:g}" if source == "demo" else "real")
    long_path = folder / "long.parquet"
    if long_path.exists():
        long = pd.read_parquet(long_path)
    else:
        long = P.build_long(source, seed=seed, scale=scale)
        with atomic_path(long_path, suffix=".parquet") as tmp:
            long.to_parquet(tmp, index=False)
    long.attrs["demo"] = source == "demo"
    panel_path = folder / f"panel_{level}_{freq}_{region or 'FR'}.parquet"
    if panel_path.exists():
        panel = pd.read_parquet(panel_path)
    else:
        panel = P.build_panel(long, level=level, freq=freq, region=region,
                              demo_folder=default_folder(seed, scale) if source == "demo" else None)
        with atomic_path(panel_path, suffix=".parquet") as tmp:
            panel.to_parquet(tmp, index=False)
    check_period_has_data(panel, "year", start, end)
    if start is not None:
        panel = panel[panel["year"] >= start]
    if end is not None:
        panel = panel[panel["year"] <= end]
    panel = panel.reset_index(drop=True)
    info = {
        "label": DEMO_LABEL if source == "demo" else "Données Insee, Urssaf",
        "level_label": LEVEL_LABELS.get(level, level),
        "source_line": (f"Source : {DEMO_LABEL} (impact.demo, graine {seed})" if source == "demo"
                        else "Source : Insee (Sirene, taux de chômage localisés), Urssaf"),
        "creation_level": "commune",
    }
    return long, panel, info


def estimation_panel(*, source: str = "demo", level: str = "departement", start: int | None = None,
                     end: int | None = None, region: str | None = None, outcome: str = "creations_tpe_per10k",
                     seed: int = 2014, scale: float = 1.0):
    """The estimation panel and labels (see :func:`build_tables`); checks the outcome exists."""
    _, panel, info = build_tables(source=source, level=level, start=start, end=end, region=region,
                                  seed=seed, scale=scale)
    if outcome not in panel.columns:
        options = [c for c in panel.columns if c.endswith("_per10k") or c.startswith("creations")]
        raise InputError(f"outcome={outcome!r} is not a panel column; choose one of {', '.join(options)}")
    info["outcome_label"] = OUTCOME_LABELS.get(outcome, outcome)
    return panel, info


def ptce_points(source: str = "demo", *, seed: int = 2014, scale: float = 1.0):
    """PTCE to map: the registry for real data, the demonstration's own PTCE otherwise."""
    from impact import ptce
    from impact.demo import default_folder, generate

    if source == "demo":
        generate(seed=seed, scale=scale)  # no-op when the files exist
        return ptce.demo_registry(default_folder(seed, scale))
    return ptce.load()
