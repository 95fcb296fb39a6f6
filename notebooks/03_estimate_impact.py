# %% [markdown]
# # Did PTCE labelling change the creation of very small firms?
#
# This notebook estimates the effect of labelling a Pôle territorial de coopération
# économique (PTCE) — in 2014 after the 2013 call, in 2016 after the 2015 call — on the
# creation of very small firms (TPE) per 10,000 inhabitants, territory by territory.
#
# Treatment is **staggered** (two cohorts) and its effect may grow with time, so a plain
# two-way fixed-effects regression is biased; the core estimate is the group-time
# average treatment effect of Callaway and Sant'Anna (2021), aggregated into an event
# study with simultaneous confidence bands and a pre-trend test. Spending intensity,
# a synthetic control and randomisation inference complete the picture.

# %% tags=["parameters"]
# Data: "demo" (offline demonstration data, default) or "real" (files fetched with `impact fetch`).
source = "demo"
# Territory level: "departement" (default), "region", "epci" or "commune".
level = "departement"
# Years of the panel.
start = 2010
end = 2020
# Outcome column of the panel (per 10,000 inhabitants).
outcome = "creations_tpe_per10k"
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
# Restrict to one région (code, e.g. "53" Bretagne), or None for all of France.
region = None
# Territory for the synthetic-control case (None: the first treated territory with a full pre-period).
synth_unit = None
# Where figures, tables and the headline are written.
output_dir = "outputs/03_estimate_impact"
# Seed for the bootstrap, permutations and demonstration data.
seed = 2014

# %%
# %xmode Minimal
from impact.notebook import check_parameters

params = check_parameters(source=source, level=level, start=start, end=end, control=control,
                          method=method, anticipation=anticipation, base_period=base_period,
                          bootstrap=bootstrap, n_permutations=n_permutations, region=region,
                          seed=seed)
region = params["region"]

# %%
import logging

import pandas as pd
from IPython.display import Markdown, display

from impact.estimate import (
    att_gt,
    dose_response,
    dose_plot,
    event_study_plot,
    gap_plot,
    randomization_inference,
    synthetic_control,
    twfe,
)
from impact.maps import save_figure
from impact.notebook import conclusion, estimation_panel, output_folder, write_headline

logging.getLogger("impact").setLevel(logging.WARNING)
out = output_folder(output_dir)
panel, info = estimation_panel(source=source, level=level, start=start, end=end, region=region,
                               outcome=outcome, seed=seed)
label = info["label"]  # "Données de démonstration" on the demo data
print(f"{len(panel)} lignes : {panel['territory_code'].nunique()} territoires × {panel['year'].nunique()} années "
      f"({panel['year'].min()}–{panel['year'].max()}), niveau {level}")

# %% [markdown]
# ## Treatment timing
#
# A territory is treated from the year its first PTCE was labelled; territories without a
# PTCE are the never-treated comparison group.

# %%
timing = (panel.drop_duplicates("territory_code")
          .assign(cohorte=lambda d: d["first_label_year"].map(lambda g: "jamais traité" if g == 0 else str(int(g))))
          .groupby("cohorte")
          .agg(territoires=("territory_code", "size"), ptce=("ptce_count", "sum")))
timing

# %% [markdown]
# ## Baseline: two-way fixed effects, and why it is not enough
#
# The regression of the outcome on a "treated" indicator with territory and year effects
# compares, among others, late-labelled territories with early-labelled ones that are
# already treated. When the effect grows with time since labelling, those comparisons
# subtract part of the effect, and the coefficient can even change sign.

# %%
baseline = twfe(panel, outcome=outcome, unit="territory_code", time="year", treatment="treated",
                cluster="territory_code")
print(baseline.summary())

# %% [markdown]
# ## Group-time effects (Callaway & Sant'Anna 2021)
#
# Each cohort (year of labelling) is compared with the comparison group chosen in the
# parameters, year by year; the cells are then aggregated.

# %%
res = att_gt(panel, outcome=outcome, unit="territory_code", time="year", group="first_label_year",
             control=control, method=method, anticipation=anticipation, base_period=base_period,
             bootstrap=bootstrap, seed=seed)
simple = res.aggregate("simple")
dynamic = res.aggregate("dynamic")
print(simple.summary())

# %%
res.table.round(3)

# %% [markdown]
# ## Event study with simultaneous bands and the pre-trend test

# %%
fig = event_study_plot(dynamic, title=f"Effet de la labellisation PTCE — {outcome}",
                       note=f"{label}. Bande simultanée à 95 % (bootstrap multiplicateur).")
_ = save_figure(fig, out / "event_study.png")
print(dynamic.pretrend_test())

# %% [markdown]
# ## Dose-response: spending per inhabitant
#
# Among territories that received spending under the convention, does more money per
# inhabitant go with more TPE creation? Reading the slope as a causal response requires
# *strong* parallel trends (see `impact.estimate.dose`).

# %%
dose = dose_response(panel, outcome=outcome, unit="territory_code", time="year",
                     dose="spending_per_inhabitant", start=2014)
print(dose.summary())
fig = dose_plot(dose, title="Effet selon la dépense par habitant")
_ = save_figure(fig, out / "dose_response.png")

# %% [markdown]
# ## One synthetic control
#
# A single treated territory compared with a weighted combination of never-treated ones.

# %%
treated_units = panel.loc[panel["first_label_year"] > 0].drop_duplicates("territory_code")
first_year = int(panel["year"].min())
# The latest cohort has the longest pre-period, which a synthetic control needs.
eligible = treated_units[treated_units["first_label_year"] == treated_units["first_label_year"].max()]
unit_sc = synth_unit if synth_unit is not None else eligible["territory_code"].iloc[0]
start_sc = int(panel.loc[panel["territory_code"] == unit_sc, "first_label_year"].iloc[0])
donors = panel.loc[panel["first_label_year"] == 0, "territory_code"].unique()
sc = synthetic_control(panel, outcome=outcome, unit="territory_code", time="year",
                       treated_unit=unit_sc, treatment_start=start_sc, donors=donors)
print(sc.summary())
fig = gap_plot(sc, title=f"Contrôle synthétique : {unit_sc}")
_ = save_figure(fig, out / "synthetic_control.png")

# %% [markdown]
# ## Randomisation inference
#
# With few treated territories, asymptotic standard errors can mislead. Permuting the
# labelling years across territories gives a p-value that needs no asymptotics.

# %%
ri = randomization_inference(panel, outcome=outcome, unit="territory_code", time="year",
                             group="first_label_year", n_permutations=n_permutations, seed=seed,
                             control=control)
print(ri.summary())

# %% [markdown]
# ## Conclusion

# %%
display(Markdown(conclusion(outcome_label=info["outcome_label"], simple=simple, dynamic=dynamic,
                            twfe_result=baseline, ri=ri, level_label=info["level_label"],
                            demo=source == "demo")))

# %%
# NBVAL_CHECK_OUTPUT
headline = {"level": level, "outcome": outcome, "control": control,
            "n_territories": int(panel["territory_code"].nunique()),
            "overall_att": round(simple.overall_att, 2), "overall_se": round(simple.overall_se, 2),
            "pretrend_p": round(dynamic.pretrend_test().pvalue, 2), "ri_p": round(ri.pvalue, 2),
            "twfe": round(float(baseline.table["estimate"].iloc[0]), 2)}
write_headline(out, headline)
print({k: headline[k] for k in ("level", "n_territories", "overall_att")})
