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
"""

from impact.estimate.aggregation import AggregateResult, aggregate
from impact.estimate.did import ATTgtResult, att_gt
from impact.estimate.dose import DoseResult, dose_response
from impact.estimate.honest import HonestResult, honest_did
from impact.estimate.inference import WaldTest, multiplier_bootstrap, wald_test
from impact.estimate.plots import (
    dose_plot,
    event_study_plot,
    gap_plot,
    leave_one_out_plot,
    sensitivity_plot,
)
from impact.estimate.power import PlaceboPowerResult, minimum_detectable_effect, placebo_power
from impact.estimate.randomization import RandomizationResult, randomization_inference
from impact.estimate.robustness import LeaveOneOutResult, leave_one_out
from impact.estimate.synth import (
    StaggeredSynthResult,
    SynthResult,
    synthetic_control,
    synthetic_control_staggered,
)
from impact.estimate.twfe import TWFE_WARNING, TWFEResult, event_time_dummies, twfe
from impact.estimate.wild import WildBootstrapResult, wild_cluster_bootstrap

__all__ = [
    "ATTgtResult", "AggregateResult", "DoseResult", "RandomizationResult", "StaggeredSynthResult",
    "SynthResult", "TWFEResult", "TWFE_WARNING", "WaldTest", "aggregate", "att_gt", "dose_plot",
    "dose_response", "event_study_plot", "event_time_dummies", "gap_plot", "multiplier_bootstrap",
    "randomization_inference", "synthetic_control", "synthetic_control_staggered", "twfe", "wald_test",
]
__all__ += [
    "HonestResult", "LeaveOneOutResult", "PlaceboPowerResult", "WildBootstrapResult", "honest_did",
    "leave_one_out", "leave_one_out_plot", "minimum_detectable_effect", "placebo_power",
    "sensitivity_plot", "wild_cluster_bootstrap",
]
