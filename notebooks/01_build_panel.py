# %% [markdown]
# # Construire le panel territorial
#
# Ce carnet construit le panel qu'utilise l'estimation : créations d'entreprises, population,
# chômage et traitement (labellisation des PTCE, dépense) par territoire et par année. Il
# montre quelles sources ont servi, ce qu'elles couvrent, quelles valeurs manquent ou sont
# couvertes par le secret statistique, et comment les séries nationales se comparent aux
# chiffres publiés.
#
# Par défaut (`source = "insee"`), les données sont les **fichiers réels de l'Insee livrés avec
# le projet** : créations d'entreprises de la démographie des entreprises (SIDE, par forme
# juridique et par secteur), population au 1er janvier et taux de chômage localisés, par
# département, 2012–2021 (France métropolitaine). `source = "demo"` construit le même panel
# sur les données de démonstration (toutes les communes, 2010–2020).
#
# Le traitement vient par défaut du registre des PTCE ; le paramètre `treatment` (chemin d'un
# fichier CSV `territory_code, first_treated, intensity`) permet d'étudier un autre programme,
# nommé par `programme` dans les titres (voir `docs/guide/second_programme.md`).

# %% tags=["parameters"]
# Data: "insee" (real INSEE data shipped with the project, default), "demo" (offline
# demonstration data) or "real" (files fetched with `impact fetch`).
source = "insee"
# Territory level of the estimation panel: "departement" (default), "region"; "epci" and
# "commune" need commune-level data (source="demo").
level = "departement"
# Frequency of the panel: "year".
freq = "year"
# Years of the panel (None: every year of the source).
start = None
end = None
# Restrict to one région (code, e.g. "53" Bretagne), or None for all of France.
region = None
# Territories that may hold a lauréat known only at a coarser level: "exclude" or "keep"
# (None: "exclude" on real data, "keep" on the demonstration).
uncertain = None
# Treatment table of another programme: path of a CSV with columns territory_code, first_treated,
# intensity[, precision] ("": the PTCE registry, or the demonstration's PTCE).
treatment = ""
# Name of the programme studied, in French titles and prose.
programme = "PTCE"
# Where tables, figures and the headline are written.
output_dir = "outputs/01_build_panel"
# Seed of the demonstration data.
seed = 2014
# Scale of the demonstration data (1.0: full national volumes; e.g. 0.1 for a quick draw).
scale = 1.0

# %%
from impact.notebook import check_parameters, short_tracebacks

short_tracebacks()  # a bad parameter shows as one clear line, not a traceback

params = check_parameters(source=source, level=level, freq=freq, start=start, end=end, region=region,
                          uncertain=uncertain, seed=seed, scale=scale, treatment=treatment,
                          programme=programme)
region = params["region"]

# %%
import logging

from IPython.display import Markdown, display

from impact import describe, quality
from impact.attention import collect_warnings
from impact.maps import save_figure
from impact.notebook import (
    build_tables,
    national_indicators,
    output_folder,
    programme_note,
    write_headline,
)

logging.getLogger("impact").setLevel(logging.WARNING)
# Warnings are collected and explained at the end (« Points d'attention »), not printed raw.
watch = collect_warnings()
out = output_folder(output_dir)
long, panel, info = build_tables(source=source, level=level, freq=freq, start=start, end=end,
                                 region=region, seed=seed, scale=scale,
                                 uncertain=uncertain, treatment=treatment, programme=programme)
print(f"{info['label']} — table longue : {len(long):,} lignes ; panel : {len(panel):,} lignes "
      f"({panel['territory_code'].nunique()} {info['level_label']} × {panel['year'].nunique()} années)"
      .replace(",", " "))

# %% [markdown]
# ## Sources utilisées

# %%
quality.sources_used(long)

# %% [markdown]
# ## Couverture : territoires avec une valeur publiée, par indicateur et par année

# %%
quality.coverage(long)

# %% [markdown]
# ## Valeurs manquantes et secret statistique
#
# Les valeurs couvertes par le secret statistique restent manquantes avec le statut `secret` ;
# les valeurs non publiées ont le statut `missing`. Aucune n'est jamais remplacée par zéro.

# %%
quality.status_table(long)

# %% [markdown]
# ## Séries nationales
#
# Sur les données Insee, les sommes portent sur la France métropolitaine (96 départements) et
# sur la série révisée de la démographie des entreprises (SIDE, édition 2024). Elle est plus
# élevée que les chiffres publiés à l'époque pour la France entière : l'écart ci-dessous n'est
# pas une erreur, mais il interdit de raccorder les deux séries.

# %%
indicators, labels = national_indicators(long)
series = describe.national_series(long, indicators)
fig = describe.series_plot(series, labels, title=f"Créations d'entreprises — {info['label']}",
                           note=info["source_line"])
_ = save_figure(fig, out / "series_nationales.png")
describe.growth_table(series, int(series.index.min()), int(series.index.max())).round(1)

# %%
comparison = quality.compare_with_published(series, quality.published_totals())
comparison.dropna(subset=["panel"]).round(1)

# %% [markdown]
# ## Le panel : créations pour 10 000 habitants par territoire
#
# Les taux sont calculés à partir des créations et de la population de la même année, puis
# agrégés en rapportant des totaux (jamais en moyennant des taux). Les cinq territoires au taux
# de création de sociétés (ou de TPE sur la démonstration) le plus élevé et le plus faible,
# en moyenne sur la période :

# %%
rate = "creations_companies_per10k" if "creations_companies_per10k" in panel else "creations_tpe_per10k"
by_territory = (panel.groupby(["territory_code", "name"])[[rate, "population"]].mean()
                .sort_values(rate, ascending=False).round(1))
by_territory.iloc[list(range(5)) + list(range(-5, 0))]

# %% [markdown]
# ## Traitement : territoires traités
#
# Pour les PTCE sur données réelles, le registre `data/raw/ptce.csv` connaît chaque lauréat à
# une précision (commune, département, région) ; une analyse à un niveau utilise les lauréats
# placés à ce niveau ou plus finement. Pour un autre programme, la table de traitement donne
# l'année du premier traitement et l'intensité de chaque territoire.

# %%
if info["ptce_treatment"] and not info["demo"]:
    print(describe.placement_summary(info["ptce"], info["excluded_uncertain"], info["level_label"]))
elif not info["ptce_treatment"]:
    display(Markdown(programme_note(info)))
else:
    print(f"Programme : {info['programme']} — {len(info['treated'])} {info['level_label']} "
          f"traités : {', '.join(info['treated'])}")
describe.cohort_table(panel)

# %% [markdown]
# ## Qualité des données

# %%
quality.quality_table(long)

# %%
display(Markdown(watch.markdown()))

# %%
# NBVAL_CHECK_OUTPUT
headline = {"source": source, "level": level, "level_label": info["level_label"],
            "programme": programme, "rows": int(len(panel)),
            "territories": int(panel["territory_code"].nunique()),
            "years": f"{int(panel['year'].min())}-{int(panel['year'].max())}",
            "treated_territories": int((panel.drop_duplicates("territory_code")["first_label_year"] > 0).sum())}
write_headline(out, headline)
print(headline)
