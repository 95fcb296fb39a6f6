"""Plain-language French text built from computed results, for the reports.

Every sentence takes its numbers from result objects (estimates, intervals,
p-values, the panel's attributes), so the text cannot drift from the figures
when data or parameters change.

May import: numpy, pandas; the result classes of :mod:`impact.estimate` are
imported for type checking only (no import at run time).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from impact.estimate import (
        AggregateResult,
        BaconResult,
        HonestResult,
        LeaveOneOutResult,
        PlaceboPowerResult,
        RandomizationResult,
        TWFEResult,
        WildBootstrapResult,
    )

__all__ = ["bacon_text", "conclusion", "pre_period_note", "programme_note", "real_data_caveats",
           "robust_inference_text"]


def _fmt(x: float, digits: int = 2) -> str:
    """French number formatting for prose: 1 234,56."""
    s = f"{x:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return s


def conclusion(*, outcome_label: str, simple: AggregateResult, dynamic: AggregateResult,
               twfe_result: TWFEResult | None = None, ri: RandomizationResult | None = None,
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

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import att_gt
    >>> res = att_gt(example_panel(), outcome="outcome", unit="territory_code", time="year",
    ...              group="first_treated")
    >>> text = conclusion(outcome_label="créations d'entreprises",
    ...                   simple=res.aggregate("simple"), dynamic=res.aggregate("dynamic"))
    >>> print(text.splitlines()[0])  # doctest: +NORMALIZE_WHITESPACE
    Après la labellisation d'un PTCE, les territoires concernés connaissent en moyenne une
    **hausse de 1,87** créations d'entreprises par rapport aux territoires de comparaison
    (IC à 95 % : 1,62 à 2,12), un écart statistiquement significatif.
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
        b = float(twfe_result.tidy()["estimate"].iloc[0])
        parts.append(
            f"La régression à effets fixes à deux dimensions donnerait {_fmt(b)}, un chiffre "
            "biaisé lorsque les effets varient selon la cohorte et la durée d'exposition."
        )
    if ri is not None:
        parts.append(
            "Par inférence par randomisation (dates de labellisation permutées entre "
            f"{level_label}), la probabilité d'obtenir un effet au moins aussi grand par hasard "
            f"est de {_fmt(ri.pvalue, 3)}."
        )
    if robustness:
        parts.append("**Avec peu de territoires traités.**\n\n" + robustness)
    if caveats:
        parts.append("**Limites.**\n\n" + "\n".join(f"- {c}" for c in caveats))
    return "\n\n".join(parts)


def robust_inference_text(*, sensitivity: HonestResult, wild: WildBootstrapResult,
                          loo: LeaveOneOutResult, mde: float,
                          power: PlaceboPowerResult | None = None) -> str:
    """French bullet points on the honest-inference results of notebook 03.

    Parameters
    ----------
    sensitivity
        :class:`~impact.estimate.honest.HonestResult` of the average post-period effect.
    wild
        :class:`~impact.estimate.wild.WildBootstrapResult` of the TWFE coefficient.
    loo
        :class:`~impact.estimate.robustness.LeaveOneOutResult` (one treated territory
        dropped at a time).
    mde
        Minimum detectable effect at 80 % power.
    power
        Optional :class:`~impact.estimate.power.PlaceboPowerResult` with effects 0 and ``mde``.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import att_gt, honest_did, leave_one_out, wild_cluster_bootstrap
    >>> df = example_panel()
    >>> df["treated"] = ((df["first_treated"] > 0)
    ...                  & (df["year"] >= df["first_treated"])).astype(int)
    >>> kw = dict(outcome="outcome", unit="territory_code", time="year")
    >>> sens = att_gt(df, group="first_treated", base_period="universal", **kw).aggregate(
    ...     "dynamic").honest_did(grid_points=200)
    >>> wild = wild_cluster_bootstrap(df, treatment="treated", cluster="region", B=999, **kw)
    >>> loo = leave_one_out(example_panel(n_units=20), group="first_treated", **kw)
    >>> print(robust_inference_text(sensitivity=sens, wild=wild, loo=loo, mde=0.4))
    ... # doctest: +NORMALIZE_WHITESPACE
    - L'effet moyen reste significatif même si les écarts aux tendances parallèles après la
      labellisation atteignent deux fois le plus grand écart observé avant.
    - Le bootstrap sauvage par grappes (poids de Webb, 999 tirages), adapté au petit nombre
      de territoires traités, donne une p-valeur de 0,005 pour la régression à effets fixes.
    - Retirer un territoire traité à la fois fait varier l'effet moyen entre 2,13 et 2,28
      (le plus influent : T009).
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
              "tendances parallèles après la labellisation ne dépassent pas "
              f"{_fmt(b)} fois le plus grand écart observé avant (valeur de rupture, "
              "Rambachan et Roth 2023).")
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
            "Sur des labellisations fictives tirées parmi les territoires jamais traités, "
            f"un effet de {_fmt(mde)} est détecté dans {100 * det.iloc[-1]:.0f} % des cas, "
            f"et un effet nul est déclaré significatif à tort dans {100 * det.iloc[0]:.0f} % "
            "des cas.")
    return "\n".join(f"- {line}" for line in lines)


def bacon_text(bacon: BaconResult) -> str:
    """French reading of a Goodman-Bacon decomposition (see ``bacon_decomposition``).

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> from impact.estimate import bacon_decomposition
    >>> bd = bacon_decomposition(example_panel(), outcome="outcome", unit="territory_code",
    ...                          time="year", group="first_treated")
    >>> print(bacon_text(bd))  # doctest: +NORMALIZE_WHITESPACE
    Le coefficient des effets fixes (1,87) est une moyenne pondérée de 4 comparaisons 2×2.
    8,3 % du poids vient de comparaisons où des territoires déjà labellisés servent de
    témoins. Aucun couple territoire-année traité ne reçoit de poids négatif ici : le biais
    vient seulement des comparaisons entre cohortes, d'autant plus fort que l'effet varie
    avec l'ancienneté du label.
    """
    w = bacon.by_type.set_index("type")["weight"]
    late = float(w.get("late_vs_early", 0.0))
    text = (f"Le coefficient des effets fixes ({_fmt(bacon.twfe)}) est une moyenne pondérée de "
            f"{len(bacon.table)} comparaisons 2×2. {_fmt(100 * late, 1)} % du poids vient de "
            "comparaisons où des territoires déjà labellisés servent de témoins. ")
    if bacon.n_negative:
        text += (f"{bacon.n_negative} couples territoire-année traités reçoivent un poids négatif "
                 f"(somme {_fmt(100 * bacon.negative_share, 1)} %) : si l'effet croît avec le "
                 "temps, le coefficient le sous-estime et peut même changer de signe.")
    else:
        text += ("Aucun couple territoire-année traité ne reçoit de poids négatif ici : le biais "
                 "vient seulement des comparaisons entre cohortes, d'autant plus fort que l'effet "
                 "varie avec l'ancienneté du label.")
    return text


def pre_period_note(panel: pd.DataFrame, *, group: str = "first_label_year",
                    time: str = "year") -> str:
    """One French sentence on the pre-treatment years each cohort has in the panel.

    With two pre-treatment years (the 2014 cohort on data starting in 2012) the
    pre-trend test rests on a single comparison per cohort and has little
    power: the reader must know it.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> print(pre_period_note(example_panel(start=2011), group="first_treated"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Dans ce panel, la cohorte 2013 a 2 année(s) avant le label (2011–2012), la cohorte 2015
    a 4 année(s) avant le label (2011–2014). Pour la cohorte 2013, le test de pré-tendance
    ne repose que sur 1 comparaison(s) avant le label : il a peu de puissance, et un test
    non significatif ne garantit pas des tendances parallèles.
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


def programme_note(info: Mapping[str, Any]) -> str:
    """Which programme a report studies, in French Markdown, when it is not the PTCE.

    The notebooks tell the PTCE story; run on another programme's treatment
    table, their prose still says « labellisation » and « PTCE ». This note,
    shown at the top of such a run, says what those words then mean. Empty for
    the PTCE (``info["ptce_treatment"]`` true).

    ``info`` is the panel description of the notebooks (``programme``,
    ``ptce_treatment``, ``treated``, ``level_label``).

    Examples
    --------
    >>> print(programme_note({"programme": "Programme fictif", "ptce_treatment": False,
    ...                       "level_label": "départements",
    ...                       "treated": ["Finistère (29)", "Morbihan (56)"]}))
    ... # doctest: +NORMALIZE_WHITESPACE
    **Programme : Programme fictif — 2 départements traités : Finistère (29), Morbihan (56).**
    Les textes de ce rapport ont été écrits pour les PTCE : ici, « labellisation » désigne
    l'entrée d'un territoire dans le programme Programme fictif (l'année `first_treated`
    de sa table de traitement), « PTCE » ses territoires traités, et la relation
    dose-réponse porte sur l'intensité de la table (`intensity`), non sur les subventions
    aux PTCE.
    >>> programme_note({"programme": "PTCE", "ptce_treatment": True})
    ''
    """
    if info.get("ptce_treatment", True):
        return ""
    treated = list(info.get("treated", []))
    name = str(info.get("programme", "programme"))
    return (
        f"**Programme : {name} — {len(treated)} {info.get('level_label', 'territoires')} "
        f"traités : {', '.join(treated)}.** "
        "Les textes de ce rapport ont été écrits pour les PTCE : ici, « labellisation » désigne "
        f"l'entrée d'un territoire dans le programme {name} (l'année `first_treated` de sa table "
        "de traitement), « PTCE » ses territoires traités, et la relation dose-réponse porte sur "
        "l'intensité de la table (`intensity`), non sur les subventions aux PTCE."
    )


def real_data_caveats(panel: pd.DataFrame, info: Mapping[str, Any]) -> list[str]:
    """The limits a reader of a real-data estimate must know, in French, from the data.

    ``info`` is the panel description of the notebooks (``source``,
    ``level_label``, ``ptce``, ``not_covered``, ``excluded_uncertain``,
    ``creation_level``…); ``panel`` needs ``territory_code`` and ``level``.

    Examples
    --------
    >>> from impact.datasets import example_panel
    >>> panel = example_panel().assign(level="departement")
    >>> for c in real_data_caveats(panel, {"level_label": "départements",
    ...                                    "ptce": {"placed_in_panel": 30}}):
    ...     print(c[:60])
    30 des 37 lauréats des appels à projets de 2013 et 2015 sont
    À l'échelle des départements, un PTCE est petit : l'estimati

    For another programme the same limits are told without PTCE lauréats:

    >>> info = {"source": "insee", "level_label": "départements", "ptce_treatment": False,
    ...         "programme": "programme fictif", "not_covered": ["971"]}
    >>> for c in real_data_caveats(panel, info):
    ...     print(c[-60:])
     : les territoires traités d'outre-mer sortent de l'analyse.
    lle ne doit pas être raccordée à ces premières publications.
    ter), pas sur les entreprises accompagnées par le programme.
    """
    ptce = info.get("ptce", {})
    level_label = info.get("level_label", "territoires")
    # Another programme's treatment table (``treatment=`` in the notebooks) gets the same
    # data caveats in words that do not speak of PTCE lauréats.
    is_ptce = bool(info.get("ptce_treatment", True))
    programme = info.get("programme") or "programme"
    caveats = []
    not_covered = info.get("not_covered") or []
    if info.get("source") == "insee":
        caveats.append(
            f"Champ : la France métropolitaine ({panel['territory_code'].nunique()} "
            f"{level_label} analysés). Les données départementales livrées ne couvrent pas "
            "l'outre-mer"
            + (f" ({len(not_covered)} {level_label} hors champ)" if not_covered else "")
            + (" : les lauréats de La Réunion et de la Martinique sortent de l'analyse."
               if is_ptce else " : les territoires traités d'outre-mer sortent de l'analyse."))
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
        small = "un PTCE est petit" if is_ptce else f"le {programme} touche peu d'entreprises"
        whom = "par le pôle" if is_ptce else "par le programme"
        caveats.append(
            f"À l'échelle des {level_label}, {small} : l'estimation mesure l'effet sur "
            "l'ensemble du territoire (une intention de traiter), pas sur les entreprises "
            f"accompagnées {whom}.")
    return caveats
