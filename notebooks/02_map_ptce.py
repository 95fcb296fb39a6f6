# %% [markdown]
# # Où sont les PTCE ? Cartes de la création d'entreprises et de la dépense
#
# Ce carnet cartographie les Pôles territoriaux de coopération économique (PTCE) labellisés
# après les appels à projets de 2013 et de 2015, sur la création d'entreprises pour 10 000
# habitants, puis la dépense par habitant de la convention « Agir pour l'emploi et la création
# d'activités ». Une carte interactive est enregistrée à côté du rapport.
#
# Par défaut, le fond de carte montre les **données réelles de l'Insee** (créations de sociétés
# pour 10 000 habitants par département, moyenne 2012–2021) ; `source = "demo"` montre les
# données de démonstration. Les PTCE sont ceux du registre `data/raw/ptce.csv` que la source
# publique place sur une commune ; les lauréats connus seulement par leur département ou leur
# région sont comptés dans le tableau, pas dessinés. La carte montre tous les territoires,
# y compris ceux que l'estimation retire du groupe de comparaison faute de pouvoir exclure
# qu'ils abritent un lauréat non placé.

# %% tags=["parameters"]
# Data: "insee" (real INSEE data shipped with the project, default), "demo" or "real".
source = "insee"
# Level of the background map: "departement" (default), "region", "epci" or "commune".
level = "departement"
# Years over which creations are averaged for the map (None: every year of the source).
start = None
end = None
# Indicator mapped, per 10,000 inhabitants (None: the source's headline outcome, creations of
# companies for "insee", TPE creations for "demo").
outcome = None
# Classification of the choropleth: "quantiles", "natural_breaks", "equal_interval", "fisher_jenks".
scheme = "quantiles"
k = 5
# Restrict to one région (code, e.g. "53" Bretagne), or None for all of France.
region = None
# Where figures and the interactive map are written.
output_dir = "outputs/02_map_ptce"
# Seed for the demonstration data.
seed = 2014
# Scale of the demonstration data (1.0: full national volumes; e.g. 0.1 for a quick draw).
scale = 1.0

# %%
from impact.notebook import check_parameters, short_tracebacks

short_tracebacks()  # a bad parameter shows as one clear line, not a traceback

params = check_parameters(source=source, level=level, start=start, end=end, region=region, seed=seed, scale=scale)
region = params["region"]

# %%
import logging
import warnings

from IPython.display import Markdown, display

from impact.attention import collect_warnings
from impact.maps import interactive_map, ptce_map, save_figure
from impact.notebook import (
    estimation_panel,
    laureates_by_call,
    output_folder,
    ptce_points,
    write_headline,
)

logging.getLogger("impact").setLevel(logging.WARNING)
# Warnings are collected and explained at the end (« Points d'attention »), not printed raw.
watch = collect_warnings()
# Spending is zero in most territories: mapclassify then merges classes and says so.
warnings.filterwarnings("ignore", category=UserWarning, module="mapclassify")
out = output_folder(output_dir)
panel, info = estimation_panel(source=source, level=level, start=start, end=end, region=region,
                               outcome=outcome, seed=seed, scale=scale,
                               uncertain="keep")
outcome = info["outcome"]
first_year, last_year = int(panel["year"].min()), int(panel["year"].max())
# The PTCE of the registry data/raw/ptce.csv (in demo mode too: only the outcomes are simulated;
# without a registry the demonstration draws fictitious ones).
poles = ptce_points(source, seed=seed, scale=scale)
if region is not None:
    poles = poles[poles["region"] == region]
mean_outcome = panel.groupby("territory_code", as_index=False)[[outcome, "spending_per_inhabitant"]].mean()
print(f"{len(poles)} PTCE placés sur une commune ; fond de carte : {len(mean_outcome)} {info['level_label']}, "
      f"{first_year}–{last_year} ({info['label']})")

# %% [markdown]
# ## Les PTCE par appel à projets
#
# Les appels ont retenu 23 (2013) et 14 (2015) lauréats ; le registre contient ceux qu'une
# source publique permet de situer (voir `data/raw/README.md`). Les subventions ne sont
# publiées que pour quelques pôles : les autres reçoivent une part égale de ce qui reste de
# l'enveloppe de leur appel (3 M€ en 2013, 2,7 M€ en 2015 ; `impact.panel.pole_grants`).

# %%
laureates_by_call(source, seed=seed, scale=scale)

# %% [markdown]
# ## Les PTCE sur la création d'entreprises pour 10 000 habitants

# %%
fig = ptce_map(poles, mean_outcome, outcome, level=level, scheme=scheme, k=k,
               title="Pôles territoriaux de coopération économique (PTCE)",
               subtitle=f"{info['outcome_label'].capitalize()}, moyenne {first_year}–{last_year}",
               legend_title=f"{info['outcome_label'].capitalize()}".replace(" pour ", "\npour "),
               demo=info["demo"],
               source=info["source_line"])
_ = save_figure(fig, out / "carte_ptce.png")

# %% [markdown]
# ## Dépense par habitant

# %%
fig = ptce_map(poles, mean_outcome, "spending_per_inhabitant", level=level, scheme=scheme, k=k,
               title="Dépense de la convention par habitant", cmap="OrRd",
               subtitle=f"Euros par habitant, moyenne annuelle {first_year}–{last_year}",
               legend_title="€ par habitant", demo=info["demo"], source=info["source_line"])
_ = save_figure(fig, out / "carte_depense.png")

# %% [markdown]
# ## Carte interactive
#
# Enregistrée sous `carte_interactive.html` à côté du rapport (géographie réelle, sans
# encarts pour l'outre-mer).

# %%
_ = interactive_map(mean_outcome, outcome, poles, level=level, path=out / "carte_interactive.html",
                    title=f"PTCE et {info['outcome_label']}",
                    legend_title=info["outcome_label"].capitalize())
print("carte interactive :", (out / "carte_interactive.html").name)

# %%
display(Markdown(watch.markdown()))

# %%
# NBVAL_CHECK_OUTPUT
headline = {"source": source, "level": level, "level_label": info["level_label"],
            "n_ptce": int(len(poles)),
            "n_ptce_2013": int((poles["call"] == 2013).sum()),
            "n_ptce_2015": int((poles["call"] == 2015).sum()),
            "n_territories": int(len(mean_outcome))}
write_headline(out, headline)
print(headline)
