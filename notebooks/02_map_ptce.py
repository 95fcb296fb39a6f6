# %% [markdown]
# # Où sont les PTCE ? Cartes de la création de TPE et de la dépense
#
# This notebook maps the Pôles territoriaux de coopération économique (PTCE) labelled
# after the 2013 and 2015 calls for projects, over the creation of very small firms (TPE)
# per 10,000 inhabitants, then the spending per inhabitant under the convention
# « Agir pour l'emploi et la création d'activités ». An interactive map is saved next
# to the report.

# %% tags=["parameters"]
# Data: "demo" (offline demonstration data, default) or "real".
source = "demo"
# Level of the background map: "departement" (default), "region", "epci" or "commune".
level = "departement"
# Years over which creations are averaged for the map.
start = 2014
end = 2020
# Indicator mapped (per 10,000 inhabitants).
outcome = "creations_tpe_per10k"
# Classification of the choropleth: "quantiles", "natural_breaks", "equal_interval", "fisher_jenks".
scheme = "quantiles"
k = 5
# Restrict to one région (code, e.g. "53" Bretagne), or None for all of France.
region = None
# Where figures and the interactive map are written.
output_dir = "outputs/02_map_ptce"
# Seed for the demonstration data.
seed = 2014

# %%
# %xmode Minimal
from impact.notebook import check_parameters

params = check_parameters(source=source, level=level, start=start, end=end, region=region, seed=seed)
region = params["region"]

# %%
import logging
import warnings

from impact.maps import interactive_map, ptce_map, save_figure
from impact.notebook import estimation_panel, output_folder, ptce_points, write_headline
from impact.panel import pole_grants

logging.getLogger("impact").setLevel(logging.WARNING)
# Spending is zero in most territories: mapclassify then merges classes and says so.
warnings.filterwarnings("ignore", category=UserWarning, module="mapclassify")
out = output_folder(output_dir)
panel, info = estimation_panel(source=source, level=level, start=start, end=end, region=region,
                               outcome=outcome, seed=seed)
# The PTCE of the registry data/raw/ptce.csv (in demo mode too: only the outcomes are simulated;
# without a registry the demonstration draws fictitious ones).
poles = ptce_points(source, seed=seed)
if region is not None:
    poles = poles[poles["region"] == region]
mean_outcome = panel.groupby("territory_code", as_index=False)[[outcome, "spending_per_inhabitant"]].mean()
print(f"{len(poles)} PTCE ; fond de carte : {len(mean_outcome)} territoires ({level}), {start}–{end}")

# %% [markdown]
# ## The PTCE by call for projects
#
# The calls had 23 (2013) and 14 (2015) lauréats; the registry holds those that a public
# source places in a commune (see `data/raw/README.md`). Grants are published for a few
# poles only: the others get an even share of what is left of their call's envelope
# (3 M€ in 2013, 2.7 M€ in 2015; `impact.panel.pole_grants`).

# %%
table = (poles.assign(retenue=pole_grants(poles))
         .groupby(["call", "label_year"])
         .agg(ptce=("ptce_id", "size"), subventions_publiees=("grant_eur", "count"),
              publiees_eur=("grant_eur", "sum"), retenues_eur=("retenue", "sum"))
         .reset_index())
table.assign(laureats=table["call"].map({2013: 23, 2015: 14})).round(0)

# %% [markdown]
# ## PTCE over TPE creation per 10,000 inhabitants

# %%
fig = ptce_map(poles, mean_outcome, outcome, level=level, scheme=scheme, k=k,
               title="Pôles territoriaux de coopération économique (PTCE)",
               subtitle=f"Créations de TPE pour 10 000 habitants, moyenne {start}–{end}",
               legend_title="Créations de TPE\npour 10 000 habitants", demo=source == "demo",
               source=info["source_line"])
_ = save_figure(fig, out / "carte_ptce.png")

# %% [markdown]
# ## Spending per inhabitant

# %%
fig = ptce_map(poles, mean_outcome, "spending_per_inhabitant", level=level, scheme=scheme, k=k,
               title="Dépense de la convention par habitant", cmap="OrRd",
               subtitle=f"Euros par habitant, moyenne annuelle {start}–{end}",
               legend_title="€ par habitant", demo=source == "demo", source=info["source_line"])
_ = save_figure(fig, out / "carte_depense.png")

# %% [markdown]
# ## Interactive map
#
# Saved as `carte_interactive.html` next to the report (true geography, no insets).

# %%
_ = interactive_map(mean_outcome, outcome, poles, level=level, path=out / "carte_interactive.html",
                title="PTCE et créations de TPE pour 10 000 habitants")
print("carte interactive :", (out / "carte_interactive.html").name)

# %%
# NBVAL_CHECK_OUTPUT
headline = {"level": level, "n_ptce": int(len(poles)),
            "n_ptce_2013": int((poles["call"] == 2013).sum()),
            "n_ptce_2015": int((poles["call"] == 2015).sum()),
            "n_territories": int(len(mean_outcome))}
write_headline(out, headline)
print(headline)
