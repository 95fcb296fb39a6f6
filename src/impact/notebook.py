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
from typing import TYPE_CHECKING, Any, Literal, cast

import pandas as pd

from impact._io import atomic_path
from impact._options import choices
from impact.errors import InputError
from impact.estimate.did import att_gt
from impact.estimate.power import minimum_detectable_effect

# Re-exported: the notebooks import the narrative helpers from here.
from impact.narrative import bacon_text as bacon_text
from impact.narrative import conclusion as conclusion
from impact.narrative import pre_period_note as pre_period_note
from impact.narrative import programme_note as programme_note
from impact.narrative import real_data_caveats as real_data_caveats
from impact.narrative import robust_inference_text as robust_inference_text
from impact.panel.estimation import build_panel
from impact.panel.long import DATA_SOURCES

if TYPE_CHECKING:
    from impact.panel.estimation import DataKind, PanelFreq, PanelLevel, UncertainRule

logger = logging.getLogger(__name__)

#: Allowed values of the parameters shared by the notebooks.
# The allowed values are read from the signatures the parameters are passed to (one
# place: their Literal annotations), not written again here.
CHOICES: dict[str, tuple] = {
    "source": tuple(DATA_SOURCES),
    "uncertain": (None, *choices(build_panel, "uncertain")),
    "level": choices(build_panel, "level"),
    "freq": ("year",),  # the notebooks estimate on annual panels
    "control": choices(att_gt, "control"),
    "method": choices(att_gt, "method"),
    "base_period": choices(att_gt, "base_period"),
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
    ``seed`` (int), ``treatment`` (empty, or the path of an existing CSV),
    ``programme`` (a non-empty name). Other names are returned unchanged.

    Returns
    -------
    dict
        The parameters, with ``region`` normalised (``84``, ``"84"`` → ``"84"``).

    Examples
    --------
    >>> check_parameters(level="region", region=53, start=2014, end=2020)["region"]
    '53'
    >>> check_parameters(level="canton", start=2020, end=2010)
    Traceback (most recent call last):
    ...
    impact.errors.InputError: invalid notebook parameters:
      - level='canton' is not valid; expected one of 'commune', 'epci', 'departement', 'region'
      - start=2020 is after end=2010: the period range is empty
    """
    problems: list[str] = []
    out = dict(params)
    for name, allowed in CHOICES.items():
        if name in params and params[name] not in allowed:
            shown = ", ".join(map(repr, allowed))
            problems.append(f"{name}={params[name]!r} is not valid; expected one of {shown}")
    start, end = params.get("start"), params.get("end")
    for name in ("start", "end"):
        v = params.get(name)
        if v is not None and (not isinstance(v, int) or not YEAR_RANGE[0] <= v <= YEAR_RANGE[1]):
            problems.append(
                f"{name}={v!r} is not a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}")
    if isinstance(start, int) and isinstance(end, int) and start > end:
        problems.append(f"start={start} is after end={end}: the period range is empty")
    scale = params.get("scale")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int | float)
                              or not 0 < scale <= 1):
        problems.append(f"scale={scale!r} must be a number in (0, 1] (share of the national "
                        "volumes drawn for the demonstration data)")
    for name in ("anticipation", "bootstrap", "n_permutations", "n_placebo"):
        v = params.get(name)
        if v is not None and (not isinstance(v, int) or v < 0):
            problems.append(f"{name}={v!r} must be a whole number >= 0")
    if params.get("region") not in (None, ""):
        from impact.territories import regions

        code = str(params["region"]).strip().zfill(2)
        known = regions().set_index("region")["region_name"]
        if code not in known.index:
            listing = ", ".join(f"{c} {n}" for c, n in known.items())
            problems.append(
                f"region={params['region']!r} is not a région code; known codes: {listing}")
        else:
            out["region"] = code
    else:
        out["region"] = None if "region" in params else out.get("region")
    treatment = params.get("treatment")
    if treatment not in (None, "") and not Path(str(treatment)).is_file():
        problems.append(f"treatment={treatment!r}: file not found (the path of a CSV with columns "
                        "territory_code, first_treated, intensity; empty for the PTCE registry)")
    programme = params.get("programme")
    if "programme" in params and (not isinstance(programme, str) or not programme.strip()):
        problems.append(f"programme={programme!r} must be a non-empty name (used in titles)")
    if problems:
        raise InputError("invalid notebook parameters:\n  - " + "\n  - ".join(problems))
    return out


def short_tracebacks() -> None:
    """One-line errors in the notebooks (IPython's ``Minimal`` mode), silently.

    A bad parameter then shows as the library's own message, not a page of
    traceback; unlike the ``%xmode Minimal`` magic, nothing is printed in the
    report. Does nothing outside IPython.

    Examples
    --------
    >>> short_tracebacks()  # outside IPython: nothing to do
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebook tools
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "InteractiveTB"):
        shell.InteractiveTB.set_mode(mode="Minimal")


def check_period_has_data(panel, time_col: str, start: int | None, end: int | None) -> None:
    """Raise a clear error when the panel has no row in ``[start, end]``.

    Examples
    --------
    >>> check_period_has_data(pd.DataFrame({"year": [2012, 2021]}), "year", 2030, None)
    Traceback (most recent call last):
    ...
    impact.errors.InputError: no data between start=2030 and end=None; the data cover 2012–2021
    """
    years = sorted(set(panel[time_col]))
    if not years:
        raise InputError(
            f"no data between start={start} and end={end}; the sources cover nothing in that range"
        )
    lo, hi = years[0], years[-1]
    if (start is not None and start > hi) or (end is not None and end < lo):
        raise InputError(f"no data between start={start} and end={end}; the data cover {lo}–{hi}")


def output_folder(output_dir: str | Path) -> Path:
    """Create and return the notebook's output folder (figures, maps, headline).

    Examples
    --------
    >>> import tempfile
    >>> output_folder(Path(tempfile.mkdtemp()) / "03").is_dir()
    True
    """
    path = Path(output_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_headline(output_dir: str | Path, values: Mapping[str, Any]) -> Path:
    """Write ``headline.json``: the numbers the report index shows for this run.

    Examples
    --------
    >>> import tempfile
    >>> path = write_headline(tempfile.mkdtemp(), {"overall_att": 0.37, "programme": "PTCE"})
    >>> json.loads(path.read_text())["programme"]
    'PTCE'
    """
    path = Path(output_dir) / "headline.json"
    with atomic_path(path, suffix=".json") as tmp:
        tmp.write_text(json.dumps(dict(values), ensure_ascii=False, indent=2, default=str))
    return path


#: National series shown by notebook 01, in order of preference, with their French labels.
NATIONAL_SERIES = {
    "creations_total": "Toutes créations",
    "creations_legal_individual": "Entreprises individuelles (micro-entrepreneurs compris)",
    "creations_companies": "Sociétés (SARL, SAS, autres)",
    "creations_tpe": "Créations de TPE",
    "creations_ess": "Créations dans l'ESS",
}


def national_indicators(long) -> tuple[list[str], dict[str, str]]:
    """Count indicators of the long table worth a national series, and their French labels.

    Examples
    --------
    >>> long = pd.DataFrame({"indicator": ["creations_total", "population", "creations_ess"]})
    >>> chosen, labels = national_indicators(long)
    >>> chosen, labels["creations_ess"]
    (['creations_total', 'creations_ess'], "Créations dans l'ESS")
    """
    import pandas as pd

    present = set(pd.unique(long["indicator"].astype(str)))
    chosen = [i for i in NATIONAL_SERIES if i in present]
    if not chosen:
        raise InputError(f"no creation indicator among {sorted(present)}")
    return chosen, {i: NATIONAL_SERIES[i] for i in chosen}


def laureates_by_call(source: str = "insee", *, seed: int = 2014, scale: float = 1.0):
    """Lauréats of each call: in the registry, by precision, and their grants (French table).

    On real data, from the registry (:func:`impact.ptce.read_registry`); on the
    demonstration, from its own PTCE. ``subvention retenue`` is the published
    grant, else an even share of what is left of the call's envelope
    (:func:`impact.panel.pole_grants`).

    Examples
    --------
    >>> table = laureates_by_call("insee")
    >>> table[["appel", "label", "laureats"]].to_dict("records")
    [{'appel': 2013, 'label': 2014, 'laureats': 23}, {'appel': 2015, 'label': 2016, 'laureats': 14}]
    """
    import pandas as pd

    from impact import ptce
    from impact.panel import pole_grants

    reg = (pd.DataFrame(ptce_points(source, seed=seed, scale=scale).drop(columns="geometry"))
           if source == "demo" else ptce.read_registry())
    if "precision" not in reg.columns:
        reg["precision"] = "commune"
    reg = reg.assign(retenue=pole_grants(reg).to_numpy())
    table = reg.groupby(["call", "label_year"]).agg(
        dans_le_registre=("ptce_id", "size"),
        sur_une_commune=("precision", lambda s: int((s == "commune").sum())),
        au_departement=("precision", lambda s: int((s == "departement").sum())),
        a_la_region=("precision", lambda s: int((s == "region").sum())),
        subventions_publiees=("grant_eur", "count"),
        publiees_eur=("grant_eur", "sum"),
        retenues_eur=("retenue", "sum"),
    ).reset_index()
    table.insert(2, "laureats", table["call"].map(ptce.LAUREATES))
    return table.rename(columns={"call": "appel", "label_year": "label"}).round(0)


def secondary_outcomes(panel, *, exclude: str | None = None, control: str = "never",
                       seed: int = 2014):
    """Overall ATT of every other ``*_per10k`` outcome of the panel (French table).

    Analytic standard errors (no bootstrap) keep it quick; each row has its
    95 % interval and minimum detectable effect. A secondary table: with many
    outcomes, one "significant" row in twenty is expected by chance.

    Examples
    --------
    >>> panel, _ = estimation_panel(source="insee", level="region")
    >>> table = secondary_outcomes(panel, exclude="creations_companies_per10k")
    >>> "toutes créations" in table.index, "effet (ATT)" in table.columns
    (True, True)
    """
    import warnings

    import pandas as pd

    from impact.estimate import att_gt

    rows = []
    for col in [c for c in panel.columns if c.endswith("_per10k") and c != exclude]:
        if panel[col].isna().all():
            continue
        # The estimator's warnings (a small cohort) are the same for every outcome and were
        # shown with the headline estimate: not repeated once per row.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            agg = att_gt(panel, outcome=col, unit="territory_code", time="year",
                         group="first_label_year",
                         control=cast(Literal["never", "notyet"], control),
                         seed=seed).aggregate("simple")
        lo, hi = agg.overall_ci
        rows.append({"indicateur": OUTCOME_SHORT.get(col, col),
                     "niveau moyen": float(panel[col].mean()),
                     "effet (ATT)": agg.overall_att, "écart-type": agg.overall_se,
                     "IC 95 % bas": lo, "IC 95 % haut": hi, "p-valeur": agg.overall_pvalue,
                     "effet minimal détectable": minimum_detectable_effect(agg.overall_se)})
    return pd.DataFrame(rows).set_index("indicateur").round(3)


LEVEL_LABELS = {"commune": "communes", "epci": "EPCI", "departement": "départements",
                "region": "régions"}
OUTCOME_LABELS = {
    "creations_tpe_per10k": "créations de TPE pour 10 000 habitants",
    "creations_total_per10k": "créations d'entreprises pour 10 000 habitants",
    "creations_ess_per10k": "créations d'entreprises de l'ESS pour 10 000 habitants",
    "creations_companies_per10k": "créations de sociétés pour 10 000 habitants",
    "creations_legal_individual_per10k":
        "créations d'entreprises individuelles pour 10 000 habitants",
    "creations_legal_sarl_per10k": "créations de SARL pour 10 000 habitants",
    "creations_legal_sas_per10k": "créations de SAS pour 10 000 habitants",
    "creations_legal_other_per10k": "créations d'autres sociétés pour 10 000 habitants",
    "creations_naf_industry_per10k": "créations dans l'industrie pour 10 000 habitants",
    "creations_naf_construction_per10k": "créations dans la construction pour 10 000 habitants",
    "creations_naf_trade_per10k":
        "créations dans le commerce, transports, hébergement et restauration "
    "pour 10 000 habitants",
    "creations_naf_services_per10k": "créations dans les autres services pour 10 000 habitants",
}
#: Short French labels for tables and figure legends.
OUTCOME_SHORT = {
    "creations_tpe_per10k": "TPE",
    "creations_total_per10k": "toutes créations",
    "creations_ess_per10k": "ESS",
    "creations_companies_per10k": "sociétés",
    "creations_legal_individual_per10k": "entreprises individuelles",
    "creations_legal_sarl_per10k": "SARL",
    "creations_legal_sas_per10k": "SAS",
    "creations_legal_other_per10k": "autres sociétés",
    "creations_naf_industry_per10k": "industrie",
    "creations_naf_construction_per10k": "construction",
    "creations_naf_trade_per10k": "commerce, transports, hébergement",
    "creations_naf_services_per10k": "autres services",
}
#: The headline outcome of each data source (see :func:`default_outcome`).
DEFAULT_OUTCOMES = {"insee": "creations_companies_per10k", "demo": "creations_tpe_per10k",
                    "real": "creations_tpe_per10k"}
SOURCE_LABELS = {
    "insee": "Données Insee",
    "real": "Données Insee, Urssaf",
}
SOURCE_LINES = {
    "insee": "Source : Insee, démographie des entreprises (SIDE), estimations de population, "
             "taux de chômage localisés ; PTCE : registre du projet (data/raw/ptce.csv)",
    "real": "Source : Insee (Sirene, taux de chômage localisés), Urssaf",
}


def default_outcome(source: str) -> str:
    """The headline outcome of a data source.

    On the INSEE files it is the creation of *companies* (SARL, SAS and other
    legal forms) per 10,000 inhabitants: the individual-enterprise series is
    dominated by the micro-entrepreneur reforms of 2014–2015 and 2018–2020,
    which would swamp any local effect. The demonstration and the SIRENE
    files have a TPE count.

    Examples
    --------
    >>> default_outcome("insee"), default_outcome("demo")
    ('creations_companies_per10k', 'creations_tpe_per10k')
    """
    return DEFAULT_OUTCOMES.get(source, "creations_total_per10k")


def _cache_digest(source: str, level: str, freq: str, region: str | None, uncertain: str | None,
                  treatment: str = "") -> str:
    """Digest of everything a cached panel depends on besides the long table.

    The registry, the spending table, the treatment table (``treatment``: its
    digest) and the panel code can change between runs; a stale cached panel
    would show yesterday's treatment as today's result.
    """
    import hashlib

    from impact.config import PACKAGE_ROOT, raw_dir

    h = hashlib.sha256(f"{source}|{level}|{freq}|{region}|{uncertain}|{treatment}".encode())
    files = [raw_dir() / "ptce.csv", raw_dir() / "spending.csv",
             *sorted((PACKAGE_ROOT / "ptce").glob("*.py")),
             *sorted((PACKAGE_ROOT / "panel").glob("*.py"))]
    for f in files:
        if f.exists():
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def build_tables(*, source: str = "insee", level: str = "departement", freq: str = "year",
                 start: int | None = None, end: int | None = None, region: str | None = None,
                 seed: int = 2014, scale: float = 1.0, uncertain: str | None = None,
                 treatment: str | Path | pd.DataFrame | None = None, programme: str = "PTCE",
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Long table and estimation panel for the notebooks, cached as Parquet.

    The long table is built once per data source (and demo seed/scale) and the
    panel once per level, région, ``uncertain`` option and state of the PTCE
    registry and spending table, under ``data/processed/notebooks/``; later
    notebooks and report runs read the cache.

    Parameters
    ----------
    source
        ``"insee"`` (real INSEE data shipped with the project, départements and
        régions, 2012–2021), ``"demo"`` (the demonstration data, every level)
        or ``"real"`` (files fetched with ``impact fetch``).
    uncertain
        See :func:`impact.panel.build_panel` (default: ``"exclude"`` on real data).
    treatment
        A treatment table (path of a CSV, or a frame; see
        :mod:`impact.panel.treatment_table`) to study another programme;
        ``None`` or ``""``: the PTCE registry (the demonstration's PTCE for
        ``source="demo"``).
    programme
        Name of the programme in French titles and prose (``"PTCE"``).

    Returns
    -------
    (long, panel, info)
        ``info`` holds labels for titles and prose: ``label`` ("Données de
        démonstration" or "Données Insee"), ``demo``, ``data_kind``, ``source``,
        ``level_label``, ``source_line``, ``creation_level``, ``ptce``
        (lauréats placed, territories excluded as uncertain; empty for another
        programme), ``programme``, ``treatment_origin`` (``"ptce_registry"``,
        ``"ptce_demo"``, ``"table"``…), ``treatment_digest``, ``ptce_treatment``
        (whether the treatment is the PTCE's) and ``treated`` ("Finistère (29)",
        … : the treated territories of the panel).

    Examples
    --------
    >>> from impact.datasets import example_treatment
    >>> _, panel, info = build_tables(source="insee", level="departement",
    ...                               treatment=example_treatment(), programme="Programme fictif")
    >>> info["programme"], info["treatment_origin"], info["data_kind"]
    ('Programme fictif', 'table', 'real')
    >>> info["treated"]
    ['Finistère (29)', 'Ille-et-Vilaine (35)', 'Loire-Atlantique (44)', 'Morbihan (56)']
    """
    from impact import panel as P
    from impact.config import processed_dir
    from impact.demo import DEMO_LABEL, default_folder

    demo = source == "demo"
    data_kind = "demo" if demo else "real"
    table = None
    if treatment is not None and not (isinstance(treatment, str) and not treatment.strip()):
        table = P.read_treatment(treatment)
    folder = processed_dir() / "notebooks" / (f"demo-seed{seed}-scale{scale:g}" if demo else source)
    long_path = folder / "long.parquet"
    if long_path.exists():
        long = pd.read_parquet(long_path)
    else:
        long = P.build_long(source, seed=seed, scale=scale)
        with atomic_path(long_path, suffix=".parquet") as tmp:
            long.to_parquet(tmp, index=False)
    long.attrs["demo"] = demo
    long.attrs["data_source"] = source
    # The default is resolved first so that None and its explicit value share one cached panel.
    uncertain = uncertain or ("keep" if demo else "exclude")
    digest = _cache_digest(source, level, freq, region, uncertain,
                           "" if table is None else table.attrs["digest"])
    panel_path = folder / f"panel_{level}_{freq}_{region or 'FR'}_{digest}.parquet"
    if panel_path.exists():
        panel = pd.read_parquet(panel_path)
    else:
        # The options were checked by check_parameters: cast to build_panel's Literals.
        panel = P.build_panel(long, level=cast("PanelLevel", level), freq=cast("PanelFreq", freq),
                              region=region, uncertain=cast("UncertainRule", uncertain),
                              treatment=table, data_kind=cast("DataKind", data_kind),
                              demo_folder=default_folder(seed, scale) if demo and table is None
                              else None)
        with atomic_path(panel_path, suffix=".parquet") as tmp:
            panel.to_parquet(tmp, index=False)
    attrs = dict(panel.attrs)
    # Provenance: the cached tables and the files they were made from (a run reading the
    # cache still depends on them; the report runner lists them with their checksums).
    from impact._io import record_input
    from impact.config import raw_dir

    for f in [long_path, panel_path, *long.attrs.get("files", []),
              raw_dir() / "ptce.csv", raw_dir() / "spending.csv",
              *([table.attrs["path"]] if table is not None and "path" in table.attrs else [])]:
        if Path(f).exists():
            record_input(f)
    check_period_has_data(panel, "year", start, end)
    if start is not None:
        panel = panel[panel["year"] >= start]
    if end is not None:
        panel = panel[panel["year"] <= end]
    panel = panel.reset_index(drop=True)
    panel.attrs.update(attrs)
    treat = dict(attrs.get("treatment", {}))
    info = {
        "label": DEMO_LABEL if demo else SOURCE_LABELS.get(source, source),
        "demo": demo,
        "source": source,
        "level_label": LEVEL_LABELS.get(level, level),
        "source_line": (f"Source : {DEMO_LABEL} (impact.demo, graine {seed})" if demo
                        else SOURCE_LINES.get(source, source)),
        "creation_level": attrs.get("count_level", "commune"),
        "ptce": attrs.get("ptce", {}),
        "excluded_uncertain": list(attrs.get("excluded_uncertain", [])),
        "not_covered": list(attrs.get("not_covered", [])),
        "uncertain": attrs.get("uncertain"),
        "data_kind": attrs.get("data_kind", data_kind),
        "programme": programme,
        "treatment_origin": treat.get("origin", "ptce_demo" if demo else "ptce_registry"),
        "treatment_digest": treat.get("digest", ""),
        "ptce_treatment": str(treat.get("origin", "ptce")).startswith("ptce"),
        "treated": treated_names(panel),
    }
    return long, panel, info


def treated_names(panel: pd.DataFrame) -> list[str]:
    """The treated territories of a panel as « Name (code) », by code.

    Examples
    --------
    >>> panel = pd.DataFrame({"territory_code": ["29", "29", "22"], "name": ["Finistère"] * 2
    ...                       + ["Côtes-d'Armor"], "first_label_year": [2016, 2016, 0]})
    >>> treated_names(panel)
    ['Finistère (29)']
    """
    first = panel.drop_duplicates("territory_code").sort_values("territory_code")
    first = first[first["first_label_year"] > 0]
    return [f"{n} ({c})" if isinstance(n, str) and n else str(c)
            for c, n in zip(first["territory_code"], first["name"], strict=True)]


def estimation_panel(*, source: str = "insee", level: str = "departement", start: int | None = None,
                     end: int | None = None, region: str | None = None, outcome: str | None = None,
                     seed: int = 2014, scale: float = 1.0, uncertain: str | None = None,
                     treatment: str | Path | pd.DataFrame | None = None, programme: str = "PTCE",
                     ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The estimation panel and labels (see :func:`build_tables`); checks the outcome exists.

    ``outcome=None`` takes the source's headline outcome (:func:`default_outcome`).
    ``treatment`` and ``programme``: another programme than the PTCE (see
    :func:`build_tables`).

    Examples
    --------
    >>> panel, info = estimation_panel(source="insee", level="region")
    >>> info["outcome"], info["programme"], info["treatment_origin"]
    ('creations_companies_per10k', 'PTCE', 'ptce_registry')
    """
    _, panel, info = build_tables(source=source, level=level, start=start, end=end, region=region,
                                  seed=seed, scale=scale, uncertain=uncertain,
                                  treatment=treatment, programme=programme)
    outcome = outcome or default_outcome(source)
    if outcome not in panel.columns:
        options = [c for c in panel.columns if c.endswith("_per10k")]
        raise InputError(f"outcome={outcome!r} is not a column of the {source!r} panel; "
                         f"choose one of {', '.join(options)}")
    info["outcome"] = outcome
    info["outcome_label"] = OUTCOME_LABELS.get(outcome, outcome)
    return panel, info


def ptce_points(source: str = "insee", *, seed: int = 2014, scale: float = 1.0):
    """PTCE to map: the registry's lauréats placed on a commune for real data, the
    demonstration's own PTCE otherwise.

    Examples
    --------
    >>> ptce_points("insee").geometry.geom_type.unique().tolist()
    ['Point']
    """
    from impact import ptce
    from impact.demo import default_folder, generate

    if source == "demo":
        generate(seed=seed, scale=scale)  # no-op when the files exist
        return ptce.demo_registry(default_folder(seed, scale))
    return ptce.load()
