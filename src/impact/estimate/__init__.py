"""Estimators of programme impact on territory panels.

All estimators take a generic long panel (unit, period, outcome, treatment
timing) so they work at any territory level and on data from elsewhere.

att_gt
    Group-time average treatment effects (Callaway & Sant'Anna 2021), with
    ``.aggregate("simple" | "group" | "dynamic" | "calendar")``, bootstrap,
    uniform bands and pre-trend tests.
twfe
    Two-way fixed effects by the within transformation (baseline; biased under
    staggered adoption with heterogeneous effects).
synthetic_control, synthetic_control_staggered
    Abadie–Diamond–Hainmueller synthetic control with placebo inference.
randomization_inference
    P-values from permutations of adoption dates.
dose_response
    Continuous-treatment DiD on spending intensity.
continuous_did
    ATT(d) and ACRT(d) curves of a continuous dose under staggered adoption (B-splines).
bacon_decomposition
    Goodman-Bacon decomposition of TWFE and de Chaisemartin–D'Haultfœuille negative weights.
neighbours, donut, spillover_att_gt, conley_twfe
    Spatial spillovers: neighbours from boundaries, donut comparison groups, effects on
    neighbours, Conley spatial SEs for TWFE.
synthetic_did
    Synthetic difference-in-differences (Arkhangelsky et al. 2021), by cohort and aggregated.
"""

from impact.estimate.aggregation import AggregateResult, aggregate
from impact.estimate.bacon import BaconResult, bacon_decomposition, bacon_plot
from impact.estimate.continuous import ContinuousResult, continuous_did
from impact.estimate.did import ATTgtResult, att_gt
from impact.estimate.dose import DoseResult, dose_response
from impact.estimate.inference import WaldTest, multiplier_bootstrap, wald_test
from impact.estimate.plots import dose_plot, event_study_plot, gap_plot
from impact.estimate.randomization import RandomizationResult, randomization_inference
from impact.estimate.sdid import SDIDResult, synthetic_did
from impact.estimate.spatial import (
    ConleyResult,
    conley_twfe,
    donut,
    neighbours,
    spillover_att_gt,
    spillover_design,
    unit_coordinates,
)
from impact.estimate.synth import (
    StaggeredSynthResult,
    SynthResult,
    synthetic_control,
    synthetic_control_staggered,
)
from impact.estimate.twfe import TWFE_WARNING, TWFEResult, event_time_dummies, twfe

__all__ = [
    "ATTgtResult", "AggregateResult", "DoseResult", "RandomizationResult", "StaggeredSynthResult",
    "SynthResult", "TWFEResult", "TWFE_WARNING", "WaldTest", "aggregate", "att_gt", "dose_plot",
    "dose_response", "event_study_plot", "event_time_dummies", "gap_plot", "multiplier_bootstrap",
    "randomization_inference", "synthetic_control", "synthetic_control_staggered", "twfe", "wald_test",
]
__all__ += ["SDIDResult", "synthetic_did"]
__all__ += ["BaconResult", "bacon_decomposition", "bacon_plot"]
__all__ += ["ContinuousResult", "continuous_did"]
__all__ += ["ConleyResult", "conley_twfe", "donut", "neighbours", "spillover_att_gt",
            "spillover_design", "unit_coordinates"]
