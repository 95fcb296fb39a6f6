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

import numpy as np

from impact._io import atomic_path
from impact.errors import InputError
from impact.estimate.power import minimum_detectable_effect

logger = logging.getLogger(__name__)

#: Allowed values of the parameters shared by the notebooks.
CHOICES: dict[str, tuple] = {
    "source": ("insee", "demo", "real"),
    "uncertain": (None, "exclude", "keep"),
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
               level_label: str = "territoires", demo: bool = False, mde: float | None = None,
               pre_periods_note: str | None = None, caveats: list[str] | None = None,
               robustness: str | None = None) -> str:
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
    mde
        Minimum detectable effect at 80 % power (:func:`minimum_detectable_effect`):
        when the estimate is not significant, the text says which effects the
        design could have detected.
    pre_periods_note
        A sentence on how many pre-treatment years the pre-trend test rests on.
    caveats
        Sentences listed under « Limites ».
    robustness
        Markdown bullets on honest inference (:func:`robust_inference_text`), shown under
        « Avec peu de territoires traités ».
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
    if mde is not None and np.isfinite(mde):
        parts.append(
            f"Avec ce dispositif, seul un effet d'au moins **{_fmt(mde)}** {outcome_label} "
            "(en plus ou en moins) aurait eu 80 % de chances d'être détecté au seuil de 5 % "
            "(effet minimal détectable)"
            + (" : l'absence d'effet significatif ne prouve donc pas l'absence d'effet, "
               "seulement l'absence d'un effet de cette taille." if not significant else ".")
        )
    post = dynamic.table[dynamic.table["event_time"] >= 0]
    if len(post) > 1:
        first, last = post.iloc[0], post.iloc[-1]
        parts.append(
            f"L'effet estimé passe de {_fmt(first['att'])} l'année de la labellisation à "
            f"{_fmt(last['att'])} au bout de {int(last['event_time'])} an(s)."
        )
    parts.append(
        f"Le test de pré-tendance donne p = {_fmt(pt.pvalue, 3)} : "
        + ("rien n'indique que les trajectoires divergeaient avant le label."
           if pt.pvalue >= 0.05 else
           "les trajectoires divergeaient déjà avant le label ; l'hypothèse de tendances "
           "parallèles est fragile et l'estimation doit être lue avec prudence.")
        + (f" {pre_periods_note}" if pre_periods_note else "")
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
    if robustness:
        parts.append("**Avec peu de territoires traités.**\n\n" + robustness)
    if caveats:
        parts.append("**Limites.**\n\n" + "\n".join(f"- {c}" for c in caveats))
    return "\n\n".join(parts)


def robust_inference_text(*, sensitivity, wild, loo, mde: float, power=None) -> str:
    """French bullet points on the honest-inference results of notebook 03.

    Parameters
    ----------
    sensitivity
        :class:`~impact.estimate.honest.HonestResult` of the average post-period effect.
    wild
        :class:`~impact.estimate.wild.WildBootstrapResult` of the TWFE coefficient.
    loo
        :class:`~impact.estimate.robustness.LeaveOneOutResult` (one treated territory dropped at a time).
    mde
        Minimum detectable effect at 80 % power.
    power
        Optional :class:`~impact.estimate.power.PlaceboPowerResult` with effects 0 and ``mde``.
    """
    b = sensitivity.breakdown
    if np.isnan(b):
        s1 = ("L'effet moyen reste significatif même si les écarts aux tendances parallèles après "
              "la labellisation atteignent deux fois le plus grand écart observé avant.")
    elif b == 0:
        s1 = ("L'effet moyen n'est pas significativement différent de zéro, même sous l'hypothèse "
              "de tendances exactement parallèles : l'analyse de sensibilité (Rambachan et Roth "
              "2023) n'a rien à rompre.")
    else:
        s1 = (f"L'effet moyen reste significativement différent de zéro tant que les écarts aux "
              f"tendances parallèles après la labellisation ne dépassent pas {_fmt(b)} fois le plus "
              "grand écart observé avant (valeur de rupture, Rambachan et Roth 2023).")
    p_txt = (f"inférieure à {_fmt(1 / wild.draws, 4)}" if wild.pvalue < 1 / wild.draws
             else f"de {_fmt(wild.pvalue, 3)}")
    lines = [
        s1,
        f"Le bootstrap sauvage par grappes (poids de Webb, {wild.draws} tirages), adapté au petit "
        f"nombre de territoires traités, donne une p-valeur {p_txt} pour la régression à effets "
        "fixes.",
        f"Retirer un territoire traité à la fois fait varier l'effet moyen entre "
        f"{_fmt(loo.table['att'].min())} et {_fmt(loo.table['att'].max())} (le plus influent : "
        f"{loo.most_influential}).",
    ]
    if power is not None:
        det = power.table.set_index("effect")["detected"]
        lines.append(
            f"Sur des labellisations fictives tirées parmi les territoires jamais traités, un effet "
            f"de {_fmt(mde)} est détecté dans {100 * det.iloc[-1]:.0f} % des cas, et un effet nul est "
            f"déclaré significatif à tort dans {100 * det.iloc[0]:.0f} % des cas.")
    return "\n".join(f"- {line}" for line in lines)


def bacon_text(bacon) -> str:
    """French reading of a Goodman-Bacon decomposition (:func:`impact.estimate.bacon_decomposition`)."""
    w = bacon.by_type.set_index("type")["weight"]
    late = float(w.get("late_vs_early", 0.0))
    text = (f"Le coefficient des effets fixes ({_fmt(bacon.twfe)}) est une moyenne pondérée de "
            f"{len(bacon.table)} comparaisons 2×2. {_fmt(100 * late, 1)} % du poids vient de "
            "comparaisons où des territoires déjà labellisés servent de témoins. ")
    if bacon.n_negative:
        text += (f"{bacon.n_negative} couples territoire-année traités reçoivent un poids négatif "
                 f"(somme {_fmt(100 * bacon.negative_share, 1)} %) : si l'effet croît avec le temps, "
                 "le coefficient le sous-estime et peut même changer de signe.")
    else:
        text += ("Aucun couple territoire-année traité ne reçoit de poids négatif ici : le biais "
                 "vient seulement des comparaisons entre cohortes, d'autant plus fort que l'effet "
                 "varie avec l'ancienneté du label.")
    return text


#: National series shown by notebook 01, in order of preference, with their French labels.
NATIONAL_SERIES = {
    "creations_total": "Toutes créations",
    "creations_legal_individual": "Entreprises individuelles (micro-entrepreneurs compris)",
    "creations_companies": "Sociétés (SARL, SAS, autres)",
    "creations_tpe": "Créations de TPE",
    "creations_ess": "Créations dans l'ESS",
}


def national_indicators(long) -> tuple[list[str], dict[str, str]]:
    """Count indicators of the long table worth a national series, and their French labels."""
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


def pre_period_note(panel, *, group: str = "first_label_year", time: str = "year") -> str:
    """One French sentence on the pre-treatment years each cohort has in the panel.

    With two pre-treatment years (the 2014 cohort on data starting in 2012) the
    pre-trend test rests on a single comparison per cohort and has little
    power: the reader must know it.
    """
    first = int(panel[time].min())
    cohorts = sorted(int(g) for g in panel[group].unique() if g > 0)
    if not cohorts:
        return ""
    parts = [f"la cohorte {g} a {g - first} année(s) avant le label ({first}–{g - 1})"
             for g in cohorts]
    short = [g for g in cohorts if g - first <= 2]
    text = "Dans ce panel, " + ", ".join(parts) + "."
    if short:
        text += (f" Pour la cohorte {short[0]}, le test de pré-tendance ne repose que sur "
                 f"{max(short[0] - first - 1, 0)} comparaison(s) avant le label : il a peu de "
                 "puissance, et un test non significatif ne garantit pas des tendances parallèles.")
    return text


def secondary_outcomes(panel, *, exclude: str | None = None, control: str = "never",
                       seed: int = 2014):
    """Overall ATT of every other ``*_per10k`` outcome of the panel (French table).

    Analytic standard errors (no bootstrap) keep it quick; each row has its
    95 % interval and minimum detectable effect. A secondary table: with many
    outcomes, one "significant" row in twenty is expected by chance.
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
                         group="first_label_year", control=control, seed=seed).aggregate("simple")
        lo, hi = agg.overall_ci
        rows.append({"indicateur": OUTCOME_SHORT.get(col, col),
                     "niveau moyen": float(panel[col].mean()),
                     "effet (ATT)": agg.overall_att, "écart-type": agg.overall_se,
                     "IC 95 % bas": lo, "IC 95 % haut": hi, "p-valeur": agg.overall_pvalue,
                     "effet minimal détectable": minimum_detectable_effect(agg.overall_se)})
    return pd.DataFrame(rows).set_index("indicateur").round(3)


def real_data_caveats(panel, info: Mapping[str, Any]) -> list[str]:
    """The limits a reader of a real-data estimate must know, in French, from the data."""
    ptce = info.get("ptce", {})
    level_label = info.get("level_label", "territoires")
    caveats = []
    not_covered = info.get("not_covered") or []
    if info.get("source") == "insee":
        caveats.append(
            f"Champ : la France métropolitaine ({panel['territory_code'].nunique()} "
            f"{level_label} analysés). Les données départementales livrées ne couvrent pas "
            "l'outre-mer" + (f" ({len(not_covered)} {level_label} hors champ)" if not_covered else "")
            + " : les lauréats de La Réunion et de la Martinique sortent de l'analyse.")
        caveats.append(
            "Les créations sont la série révisée de la démographie des entreprises de l'Insee "
            "(SIDE, édition 2024), plus élevée que les chiffres publiés à l'époque : elle ne doit "
            "pas être raccordée à ces premières publications.")
    placed = ptce.get("placed_in_panel")
    if placed is not None:
        caveats.append(
            f"{placed} des 37 lauréats des appels à projets de 2013 et 2015 sont placés dans les "
            f"{level_label} du panel ; les lauréats que le registre ne connaît pas comptent comme "
            "non traités, ce qui tire l'effet estimé vers zéro.")
    excluded = info.get("excluded_uncertain") or []
    if excluded:
        caveats.append(
            f"{len(excluded)} {level_label} qui pourraient abriter un lauréat connu seulement à un "
            "niveau plus large sont retirés du groupe de comparaison (option uncertain = "
            f"{info.get('uncertain')!r}).")
    if info.get("creation_level") in ("departement", "region") or panel["level"].iloc[0] in (
            "departement", "region"):
        caveats.append(
            f"À l'échelle des {level_label}, un PTCE est petit : l'estimation mesure l'effet sur "
            "l'ensemble du territoire (une intention de traiter), pas sur les entreprises "
            "accompagnées par le pôle.")
    return caveats


LEVEL_LABELS = {"commune": "communes", "epci": "EPCI", "departement": "départements", "region": "régions"}
OUTCOME_LABELS = {
    "creations_tpe_per10k": "créations de TPE pour 10 000 habitants",
    "creations_total_per10k": "créations d'entreprises pour 10 000 habitants",
    "creations_ess_per10k": "créations d'entreprises de l'ESS pour 10 000 habitants",
    "creations_companies_per10k": "créations de sociétés pour 10 000 habitants",
    "creations_legal_individual_per10k": "créations d'entreprises individuelles pour 10 000 habitants",
    "creations_legal_sarl_per10k": "créations de SARL pour 10 000 habitants",
    "creations_legal_sas_per10k": "créations de SAS pour 10 000 habitants",
    "creations_legal_other_per10k": "créations d'autres sociétés pour 10 000 habitants",
    "creations_naf_industry_per10k": "créations dans l'industrie pour 10 000 habitants",
    "creations_naf_construction_per10k": "créations dans la construction pour 10 000 habitants",
    "creations_naf_trade_per10k": "créations dans le commerce, transports, hébergement et restauration "
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
    """
    return DEFAULT_OUTCOMES.get(source, "creations_total_per10k")


def _cache_digest(source: str, level: str, freq: str, region: str | None, uncertain: str | None) -> str:
    """Digest of everything a cached panel depends on besides the long table.

    The registry, the spending table and the panel code can change between runs;
    a stale cached panel would show yesterday's treatment as today's result.
    """
    import hashlib

    from impact.config import PACKAGE_ROOT, raw_dir

    h = hashlib.sha256(f"{source}|{level}|{freq}|{region}|{uncertain}".encode())
    files = [raw_dir() / "ptce.csv", raw_dir() / "spending.csv",
             *sorted((PACKAGE_ROOT / "ptce").glob("*.py")),
             *sorted((PACKAGE_ROOT / "panel").glob("*.py"))]
    for f in files:
        if f.exists():
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def build_tables(*, source: str = "insee", level: str = "departement", freq: str = "year",
                 start: int | None = None, end: int | None = None, region: str | None = None,
                 seed: int = 2014, scale: float = 1.0, uncertain: str | None = None):
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

    Returns
    -------
    (long, panel, info)
        ``info`` holds labels for titles and prose: ``label`` ("Données de
        démonstration" or "Données Insee"), ``demo``, ``source``,
        ``level_label``, ``source_line``, ``creation_level`` and ``ptce``
        (lauréats placed, territories excluded as uncertain).
    """
    import pandas as pd

    from impact import panel as P
    from impact.config import processed_dir
    from impact.demo import DEMO_LABEL, default_folder

    demo = source == "demo"
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
    digest = _cache_digest(source, level, freq, region, uncertain)
    panel_path = folder / f"panel_{level}_{freq}_{region or 'FR'}_{digest}.parquet"
    if panel_path.exists():
        panel = pd.read_parquet(panel_path)
    else:
        panel = P.build_panel(long, level=level, freq=freq, region=region, uncertain=uncertain,
                              demo_folder=default_folder(seed, scale) if demo else None)
        with atomic_path(panel_path, suffix=".parquet") as tmp:
            panel.to_parquet(tmp, index=False)
    attrs = dict(panel.attrs)
    # Provenance: the cached tables and the files they were made from (a run reading the
    # cache still depends on them; the report runner lists them with their checksums).
    from impact._io import record_input
    from impact.config import raw_dir

    for f in [long_path, panel_path, *long.attrs.get("files", []),
              raw_dir() / "ptce.csv", raw_dir() / "spending.csv"]:
        if Path(f).exists():
            record_input(f)
    check_period_has_data(panel, "year", start, end)
    if start is not None:
        panel = panel[panel["year"] >= start]
    if end is not None:
        panel = panel[panel["year"] <= end]
    panel = panel.reset_index(drop=True)
    panel.attrs.update(attrs)
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
    }
    return long, panel, info


def estimation_panel(*, source: str = "insee", level: str = "departement", start: int | None = None,
                     end: int | None = None, region: str | None = None, outcome: str | None = None,
                     seed: int = 2014, scale: float = 1.0, uncertain: str | None = None):
    """The estimation panel and labels (see :func:`build_tables`); checks the outcome exists.

    ``outcome=None`` takes the source's headline outcome (:func:`default_outcome`).
    """
    _, panel, info = build_tables(source=source, level=level, start=start, end=end, region=region,
                                  seed=seed, scale=scale, uncertain=uncertain)
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
    demonstration's own PTCE otherwise."""
    from impact import ptce
    from impact.demo import default_folder, generate

    if source == "demo":
        generate(seed=seed, scale=scale)  # no-op when the files exist
        return ptce.demo_registry(default_folder(seed, scale))
    return ptce.load()
