# %% [markdown]
# # La labellisation des PTCE a-t-elle changé la création d'entreprises ?
#
# Ce carnet estime l'effet de la labellisation d'un Pôle territorial de coopération
# économique (PTCE) — en 2014 après l'appel à projets de 2013, en 2016 après celui de 2015 —
# sur la création d'entreprises pour 10 000 habitants, territoire par territoire.
#
# Par défaut, il travaille sur les **données réelles de l'Insee** livrées avec le projet :
# créations d'entreprises (démographie des entreprises SIDE), population au 1er janvier et
# taux de chômage par département, 2012–2021. L'indicateur principal est la création de
# **sociétés** (SARL, SAS et autres formes) : la série des entreprises individuelles est
# dominée par les réformes du régime de micro-entrepreneur (2014–2015, 2018–2020), qui
# masqueraient tout effet local. Le paramètre `source = "demo"` fait tourner le même carnet
# sur les données de démonstration (toutes les communes, effet injecté connu).
#
# Le traitement est **échelonné** (deux cohortes) et son effet peut croître avec le temps :
# une régression à effets fixes à deux dimensions est alors biaisée. L'estimation
# principale est l'effet moyen par groupe et par année de Callaway et Sant'Anna (2021),
# agrégé en étude d'événement avec bandes de confiance simultanées et test de
# pré-tendance. L'inférence par randomisation, un contrôle synthétique et la relation
# dose-réponse sur la dépense par habitant complètent le tableau.
#
# Un autre programme s'étudie avec le même carnet : le paramètre `treatment` donne le chemin
# d'une table de traitement (CSV `territory_code, first_treated, intensity`) et `programme`
# son nom dans les titres (voir `docs/guide/second_programme.md`).

# %% tags=["parameters"]
# Data: "insee" (real INSEE data shipped with the project, départements and régions 2012–2021;
# default), "demo" (offline demonstration data, every level) or "real" (files from `impact fetch`).
source = "insee"
# Territory level: "departement" (default), "region"; "epci" and "commune" with source="demo".
level = "departement"
# Years of the panel (None: every year of the source).
start = None
end = None
# Outcome column of the panel, per 10,000 inhabitants (None: the source's headline outcome,
# creations of companies for "insee", TPE creations for "demo").
outcome = None
# Comparison group of the group-time estimator: "never" (never-treated) or "notyet" (not-yet-treated).
control = "never"
# Estimation method with covariates: "dr" (doubly robust), "ipw" or "reg".
method = "dr"
# Periods of anticipation before the label year.
anticipation = 0
# Pre-period comparisons: "varying" (t vs t-1) or "universal" (all vs g-1).
base_period = "varying"
# Multiplier-bootstrap draws for the uniform bands (0: analytic standard errors only).
bootstrap = 999
# Permutations of adoption dates for randomisation inference.
n_permutations = 199
# Placebo adoptions drawn among never-treated territories for the power check.
n_placebo = 50
# Restrict to one région (code, e.g. "53" Bretagne), or None for all of France.
region = None
# Territories that may hold a lauréat known only at a coarser level: "exclude" them from the
# comparison group or "keep" them (None: "exclude" on real data, "keep" on the demonstration).
uncertain = None
# Treatment table of another programme: path of a CSV with columns territory_code, first_treated,
# intensity[, precision] ("": the PTCE registry, or the demonstration's PTCE).
treatment = ""
# Name of the programme studied, in French titles and prose.
programme = "PTCE"
# Territory for the synthetic-control case (None: the first treated territory with a full pre-period).
synth_unit = None
# Where figures, tables and the headline are written.
output_dir = "outputs/03_estimate_impact"
# Seed for the bootstrap, permutations and demonstration data.
seed = 2014
# Scale of the demonstration data (1.0: full national volumes; e.g. 0.1 for a quick draw).
scale = 1.0

# %%
from impact.notebook import check_parameters, short_tracebacks

short_tracebacks()  # a bad parameter shows as one clear line, not a traceback

params = check_parameters(source=source, level=level, start=start, end=end, control=control,
                          method=method, anticipation=anticipation, base_period=base_period,
                          bootstrap=bootstrap, n_permutations=n_permutations, n_placebo=n_placebo,
                          region=region, uncertain=uncertain, seed=seed, scale=scale,
                          treatment=treatment, programme=programme)
region = params["region"]

# %%
import logging

from IPython.display import Markdown, display

from impact import describe
from impact.estimate import (
    att_gt,
    bacon_decomposition,
    dose_plot,
    dose_response,
    event_study_plot,
    gap_plot,
    leave_one_out,
    placebo_power,
    randomization_inference,
    synthetic_control,
    synthetic_did,
    twfe,
)
from impact.attention import collect_warnings
from impact.maps import save_figure
from impact.notebook import (
    OUTCOME_SHORT,
    bacon_text,
    conclusion,
    estimation_panel,
    minimum_detectable_effect,
    output_folder,
    pre_period_note,
    programme_note,
    real_data_caveats,
    robust_inference_text,
    secondary_outcomes,
    write_headline,
)

logging.getLogger("impact").setLevel(logging.WARNING)
# Warnings are collected and explained at the end (« Points d'attention »), not printed raw.
watch = collect_warnings()
out = output_folder(output_dir)
panel, info = estimation_panel(source=source, level=level, start=start, end=end, region=region,
                               outcome=outcome, seed=seed, scale=scale,
                               uncertain=uncertain, treatment=treatment, programme=programme)
outcome = info["outcome"]
label = info["label"]
print(f"{label} — {len(panel)} lignes : {panel['territory_code'].nunique()} {info['level_label']} × "
      f"{panel['year'].nunique()} années ({panel['year'].min()}–{panel['year'].max()})")
if info["ptce_treatment"] and not info["demo"]:
    print(describe.placement_summary(info["ptce"], info["excluded_uncertain"], info["level_label"]))
elif not info["ptce_treatment"]:
    display(Markdown(programme_note(info)))

# %% [markdown]
# ## Calendrier du traitement
#
# Un territoire est traité à partir de l'année où son premier PTCE a été labellisé ; les
# territoires sans PTCE forment le groupe de comparaison. Sur données réelles, les territoires
# qui pourraient abriter un lauréat que le registre ne place qu'à un niveau plus large (par
# exemple une région) sont retirés du groupe de comparaison (`uncertain = "exclude"`).

# %%
describe.cohort_table(panel)

# %%
fig = describe.cohort_trends_plot(panel, outcome, label=info["outcome_label"].capitalize(),
                                  title="Évolution par cohorte de labellisation",
                                  note=f"{label}. Taux agrégés (total des créations / population).")
_ = save_figure(fig, out / "tendances_cohortes.png")

# %% [markdown]
# ## Point de départ : les effets fixes à deux dimensions, et pourquoi ils ne suffisent pas
#
# La régression du résultat sur une indicatrice « traité » avec effets fixes territoire et
# année compare notamment les territoires labellisés tard à ceux labellisés tôt, déjà
# traités. Quand l'effet croît avec l'ancienneté du label, ces comparaisons retranchent une
# partie de l'effet, et le coefficient peut même changer de signe.

# %%
baseline = twfe(panel, outcome=outcome, unit="territory_code", time="year", treatment="treated",
                cluster="territory_code")
print(baseline.summary())

# %% [markdown]
# La décomposition de Goodman-Bacon (2021) montre de quelles comparaisons 2×2 le coefficient
# est fait, et le diagnostic de de Chaisemartin et D'Haultfœuille (2020) compte les couples
# territoire-année traités qui y reçoivent un poids négatif.

# %%
bacon = bacon_decomposition(panel, outcome=outcome, unit="territory_code", time="year",
                            group="first_label_year")
print(bacon.summary())
fig = bacon.plot(title="Pourquoi les effets fixes à deux dimensions ne suffisent pas")
_ = save_figure(fig, out / "bacon.png")
display(Markdown(bacon_text(bacon)))

# %% [markdown]
# ## Effets par groupe et par année (Callaway et Sant'Anna 2021)
#
# Chaque cohorte (année de labellisation) est comparée, année par année, au groupe de
# comparaison choisi dans les paramètres ; les cellules sont ensuite agrégées.

# %%
res = att_gt(panel, outcome=outcome, unit="territory_code", time="year", group="first_label_year",
             control=control, method=method, anticipation=anticipation, base_period=base_period,
             bootstrap=bootstrap, seed=seed)
simple = res.aggregate("simple")
dynamic = res.aggregate("dynamic")
mde = minimum_detectable_effect(simple.overall_se)
print(simple.summary())
print(f"Effet minimal détectable (80 % de puissance, seuil de 5 %) : {mde:.2f}")

# %%
res.table.round(3)

# %% [markdown]
# ## Étude d'événement avec bandes simultanées et test de pré-tendance

# %%
effect_title = ("Effet de la labellisation PTCE" if info["ptce_treatment"]
                else f"Effet du programme {programme}")
fig = event_study_plot(dynamic, title=f"{effect_title} — {OUTCOME_SHORT.get(outcome, outcome)}",
                       ylabel=f"Effet estimé ({info['outcome_label']})",
                       note=f"{label}. Bande simultanée à 95 % (bootstrap multiplicateur).")
_ = save_figure(fig, out / "event_study.png")
print(dynamic.pretrend_test())
print(pre_period_note(panel))

# %% [markdown]
# ## Une inférence honnête avec peu de territoires traités
#
# Avec une quinzaine de territoires traités, deux cohortes et peu d'années avant le label,
# quatre questions restent : jusqu'où les tendances parallèles peuvent-elles être fausses avant
# que la conclusion ne change (Rambachan et Roth 2023) ? Que dit un bootstrap sauvage par
# grappes, qui ne repose pas sur l'approximation asymptotique (Cameron, Gelbach et Miller 2008) ?
# L'estimation tient-elle à un seul territoire ? Et quel effet ce dispositif pouvait-il
# détecter ?

# %%
# The sensitivity analysis needs the universal base period (all pre-periods against g - 1).
res_u = att_gt(panel, outcome=outcome, unit="territory_code", time="year", group="first_label_year",
               control=control, method=method, anticipation=anticipation, base_period="universal")
sens = res_u.aggregate("dynamic", uniform_band=False).honest_did(
    l_vec="average", method="relative_magnitude", M=[0, 0.5, 1, 1.5, 2], seed=seed)
print(sens.summary())
_ = save_figure(sens.plot(title="Sensibilité de l'effet moyen aux écarts de tendances parallèles"),
                out / "sensibilite.png")

# %%
wb = baseline.wild_bootstrap(B=9999, weights="webb", seed=seed)
print(wb.summary())
loo = leave_one_out(panel, by="unit", outcome=outcome, unit="territory_code", time="year",
                    group="first_label_year", control=control, method=method, anticipation=anticipation)
_ = save_figure(loo.plot(title="Effet moyen en retirant un territoire traité à la fois"),
                out / "leave_one_out.png")
# Placebo adoptions are drawn among the never-treated: they must be many more than the treated.
first = panel.drop_duplicates("territory_code")["first_label_year"]
n_never, n_treat = int((first == 0).sum()), int((first > 0).sum())
power = None
if n_placebo and n_never >= n_treat + 5:
    power = placebo_power(panel, effects=[0.0, mde], draws=n_placebo, seed=seed, outcome=outcome,
                          unit="territory_code", time="year", group="first_label_year",
                          control=control)
else:
    print(f"Contrôle de puissance par placebo omis : {n_never} territoires jamais traités pour "
          f"{n_treat} traités, trop peu pour y tirer des labellisations fictives.")
display(Markdown(robust_inference_text(sensitivity=sens, wild=wb, loo=loo, mde=mde, power=power)))

# %% [markdown]
# ## Autres indicateurs
#
# Le même estimateur sur l'ensemble des créations (micro-entrepreneurs compris) et, sur les
# données Insee, par forme juridique et par secteur : un tableau secondaire, à lire avec la
# prudence qu'imposent des tests multiples.

# %%
others = secondary_outcomes(panel, exclude=outcome, control=control, seed=seed)
others

# %% [markdown]
# ## Dose-réponse : la dépense par habitant
#
# Parmi les territoires qui ont reçu une subvention PTCE, davantage d'euros par habitant
# vont-ils avec davantage de créations ? Lire la pente comme une réponse causale suppose des
# tendances parallèles *fortes* (voir `impact.estimate.dose`). Les subventions publiées
# manquent pour la plupart des lauréats : chacun reçoit alors une part égale de l'enveloppe
# restante de son appel (`impact.panel.pole_grants`).

# %%
# PTCE: the grants per inhabitant; another programme: its table's intensity.
dose_col = "spending_per_inhabitant" if info["ptce_treatment"] else "intensity"
dose = dose_response(panel, outcome=outcome, unit="territory_code", time="year",
                     dose=dose_col, start=int(first[first > 0].min()))
print(dose.summary())
fig = dose_plot(dose, title="Effet selon la dépense par habitant")
_ = save_figure(fig, out / "dose_response.png")

# %% [markdown]
# ## Un contrôle synthétique
#
# Un territoire traité comparé à une combinaison pondérée de territoires jamais traités.

# %%
treated_units = panel.loc[panel["first_label_year"] > 0].drop_duplicates("territory_code")
# The latest cohort has the longest pre-period, which a synthetic control needs.
eligible = treated_units[treated_units["first_label_year"] == treated_units["first_label_year"].max()]
unit_sc = synth_unit if synth_unit is not None else eligible["territory_code"].iloc[0]
name_sc = panel.loc[panel["territory_code"] == unit_sc, "name"].iloc[0]
start_sc = int(panel.loc[panel["territory_code"] == unit_sc, "first_label_year"].iloc[0])
donors = panel.loc[panel["first_label_year"] == 0, "territory_code"].unique()
sc = synthetic_control(panel, outcome=outcome, unit="territory_code", time="year",
                       treated_unit=unit_sc, treatment_start=start_sc, donors=donors)
print(sc.summary())
fig = gap_plot(sc, title=f"Contrôle synthétique : {name_sc} ({unit_sc})")
_ = save_figure(fig, out / "synthetic_control.png")

# %% [markdown]
# ## Différence de différences synthétique
#
# La différence de différences synthétique (Arkhangelsky et al. 2021) repondère les
# territoires témoins et les années avant le label pour que les trajectoires des traités et
# des témoins soient parallèles avant le label, cohorte par cohorte. L'erreur-type est celle
# du jackknife, qui garde l'hétérogénéité des territoires traités (l'erreur-type « placebo »
# suppose au contraire les traités semblables aux témoins, ce que Paris ou la Seine-Saint-Denis
# démentent).

# %%
sdid = synthetic_did(panel, outcome=outcome, unit="territory_code", time="year",
                     group="first_label_year", se_method="jackknife", seed=seed)
print(sdid.summary())
fig = sdid.plot(ylabel=info["outcome_label"].capitalize())
_ = save_figure(fig, out / "synthetic_did.png")

# %% [markdown]
# ## Inférence par randomisation
#
# Avec peu de territoires traités, les écarts-types asymptotiques peuvent tromper. Permuter
# les dates de labellisation entre territoires donne une p-valeur qui ne repose sur aucune
# approximation asymptotique.

# %%
ri = randomization_inference(panel, outcome=outcome, unit="territory_code", time="year",
                             group="first_label_year", n_permutations=n_permutations, seed=seed,
                             control=control)
print(ri.summary())

# %% [markdown]
# ## Comparaison des estimateurs
#
# L'effet moyen estimé par chaque méthode, côte à côte : erreur-type entre parenthèses,
# intervalle de confiance à 95 % entre crochets. Les effets fixes à deux dimensions servent de
# point de départ (biaisés avec une adoption échelonnée) ; l'inférence par randomisation
# n'a pas d'erreur-type, seulement une p-valeur (ligne `pvalue` de `comparaison.to_frame()`,
# qui donne aussi les nombres non arrondis).

# %%
from impact.estimate import compare

EFFET = "Effet moyen (ATT)"
comparaison = compare(
    {"Effets fixes (TWFE)": baseline, "Callaway et Sant'Anna": simple,
     "DiD synthétique": sdid, "Randomisation": ri},
    rename={"treated": EFFET, "ATT": EFFET}, terms=[EFFET], n_label="Territoires",
)
display(comparaison)

# %% [markdown]
# ## Conclusion

# %%
display(Markdown(conclusion(outcome_label=info["outcome_label"], simple=simple, dynamic=dynamic,
                            twfe_result=baseline, ri=ri, level_label=info["level_label"],
                            demo=info["demo"], mde=mde, pre_periods_note=pre_period_note(panel),
                            robustness=robust_inference_text(sensitivity=sens, wild=wb, loo=loo,
                                                             mde=mde, power=power),
                            caveats=None if info["demo"] else real_data_caveats(panel, info))))

# %%
display(Markdown(watch.markdown()))

# %%
# NBVAL_CHECK_OUTPUT
lo, hi = simple.overall_ci
headline = {"source": source, "level": level, "outcome": outcome, "control": control,
            "programme": programme, "treatment": info["treatment_origin"],
            "treatment_digest": info["treatment_digest"], "treated": info["treated"],
            "outcome_label": info["outcome_label"], "level_label": info["level_label"],
            "uncertain": info["uncertain"],
            "n_territories": int(panel["territory_code"].nunique()),
            "n_treated": int((panel.drop_duplicates("territory_code")["first_label_year"] > 0).sum()),
            "overall_att": round(simple.overall_att, 2), "overall_se": round(simple.overall_se, 2),
            "ci_low": round(lo, 2), "ci_high": round(hi, 2), "mde": round(mde, 2),
            "pretrend_p": round(dynamic.pretrend_test().pvalue, 2), "ri_p": round(ri.pvalue, 2),
            "breakdown_m": None if sens.breakdown != sens.breakdown else round(sens.breakdown, 2),
            "wild_p": round(wb.pvalue, 4),
            "twfe": round(float(baseline.tidy()["estimate"].iloc[0]), 2),
            "sdid": round(sdid.overall_att, 2), "sdid_se": round(sdid.overall_se, 2)}
write_headline(out, headline)
print({k: headline[k] for k in ("source", "level", "n_territories", "overall_att")})
