# %% [markdown]
# # Building the territorial panel
#
# This notebook builds the panel used by the estimation: enterprise creations (all, TPE,
# ESS) from the SIRENE stock, employment and unemployment, population and the treatment
# (PTCE labelling, spending) by territory and year. It shows which sources were used,
# what they cover, which values are missing or suppressed, and how the national series
# compare with the totals INSEE published.

# %% tags=["parameters"]
# Data: "demo" (offline demonstration data, default) or "real" (files fetched with `impact fetch`).
source = "demo"
# Territory level of the estimation panel: "departement" (default), "region", "epci" or "commune".
level = "departement"
# Frequency of the panel: "year".
freq = "year"
# Years of the panel.
start = 2010
end = 2020
# Restrict to one région (code, e.g. "53" Bretagne), or None for all of France.
region = None
# Where tables, figures and the headline are written.
output_dir = "outputs/01_build_panel"
# Seed of the demonstration data.
seed = 2014

# %%
# %xmode Minimal
from impact.notebook import check_parameters

params = check_parameters(source=source, level=level, freq=freq, start=start, end=end, region=region,
                          seed=seed)
region = params["region"]

# %%
import logging

import matplotlib.pyplot as plt

from impact import quality
from impact.maps import save_figure
from impact.notebook import build_tables, output_folder, write_headline

logging.getLogger("impact").setLevel(logging.WARNING)
out = output_folder(output_dir)
long, panel, info = build_tables(source=source, level=level, freq=freq, start=start, end=end,
                                 region=region, seed=seed)
print(f"Table longue : {len(long):,} lignes ; panel : {len(panel):,} lignes "
      f"({panel['territory_code'].nunique()} territoires × {panel['year'].nunique()} années)".replace(",", " "))

# %% [markdown]
# ## Sources used

# %%
quality.sources_used(long)

# %% [markdown]
# ## Coverage: territories with a published value, by indicator and year

# %%
quality.coverage(long)

# %% [markdown]
# ## Missing and suppressed values
#
# Values under statistical secrecy are kept as missing with status `secret`; values not
# published at all have status `missing`. Neither is ever replaced by zero.

# %%
quality.status_table(long)

# %% [markdown]
# ## National series against the published totals

# %%
series = quality.national_series(long, ["creations_total", "creations_tpe", "creations_ess"],
                                 level=info["creation_level"])
comparison = quality.compare_with_published(series, quality.published_totals())
fig, ax = plt.subplots(figsize=(8, 4.5))
(series / 1000).plot(ax=ax, marker="o")
pub = comparison[comparison["indicator"] == "creations_total"]
ax.scatter(pub["year"], pub["published"] / 1000, color="black", zorder=5, label="Total publié (Insee/APCE)")
ax.set_ylabel("Créations (milliers)")
ax.set_title(f"Créations d'entreprises en France — {info['label']}")
ax.legend(frameon=False)
ax.spines[["top", "right"]].set_visible(False)
_ = save_figure(fig, out / "series_nationales.png")
comparison.round(1)

# %% [markdown]
# ## Data-quality table

# %%
quality.quality_table(long)

# %%
# NBVAL_CHECK_OUTPUT
headline = {"level": level, "rows": int(len(panel)), "territories": int(panel["territory_code"].nunique()),
            "years": f"{int(panel['year'].min())}-{int(panel['year'].max())}",
            "treated_territories": int((panel.drop_duplicates("territory_code")["first_label_year"] > 0).sum())}
write_headline(out, headline)
print(headline)
