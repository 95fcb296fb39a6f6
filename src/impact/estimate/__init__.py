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
honest_did
    Robust confidence sets under violations of parallel trends (Rambachan & Roth 2023), also
    as ``aggregate("dynamic").honest_did(...)``.
wild_cluster_bootstrap
    Restricted wild cluster bootstrap for TWFE (Rademacher or Webb weights), also
    ``twfe(...).wild_bootstrap()``.
leave_one_out, minimum_detectable_effect, placebo_power
    Leave-one-territory/cohort-out, the minimum detectable effect and design-based power.
compare
    Several results side by side (text, HTML, LaTeX), as a regression table.

Every result follows one protocol (:class:`EstimationResult`): ``tidy()``
with the columns ``term, estimate, se, ci_low, ci_high, pvalue``,
``vcov()``, ``summary()``, ``plot()``, ``nobs``, a one-line ``repr`` and an
HTML view; see :mod:`impact.estimate.protocol`. The ``table`` attributes keep
each estimator's own names (``att`` in group-time tables as R ``did``,
``estimate`` in regression tables); ``tidy()`` is the uniform view.
"""

from impact.estimate.aggregation import AggregateResult, aggregate
from impact.estimate.bacon import BaconResult, bacon_decomposition, bacon_plot
from impact.estimate.compare import ComparisonTable, compare
from impact.estimate.continuous import ContinuousResult, continuous_did
from impact.estimate.did import ATTgtResult, att_gt
from impact.estimate.dose import DoseResult, dose_response
from impact.estimate.honest import HonestResult, honest_did
from impact.estimate.inference import WaldTest, multiplier_bootstrap, wald_test
from impact.estimate.plots import (
    coef_plot,
    dose_plot,
    event_study_plot,
    gap_plot,
    leave_one_out_plot,
    sensitivity_plot,
)
from impact.estimate.power import PlaceboPowerResult, minimum_detectable_effect, placebo_power
from impact.estimate.protocol import TIDY_COLUMNS, EstimationResult, ResultBase
from impact.estimate.randomization import RandomizationResult, randomization_inference
from impact.estimate.robustness import LeaveOneOutResult, leave_one_out
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
from impact.estimate.wild import WildBootstrapResult, wild_cluster_bootstrap

__all__ = [
    "ATTgtResult",
    "AggregateResult",
    "BaconResult",
    "ComparisonTable",
    "ConleyResult",
    "ContinuousResult",
    "DoseResult",
    "EstimationResult",
    "HonestResult",
    "LeaveOneOutResult",
    "PlaceboPowerResult",
    "RandomizationResult",
    "ResultBase",
    "SDIDResult",
    "StaggeredSynthResult",
    "SynthResult",
    "TWFEResult",
    "TIDY_COLUMNS",
    "TWFE_WARNING",
    "WaldTest",
    "WildBootstrapResult",
    "aggregate",
    "att_gt",
    "bacon_decomposition",
    "bacon_plot",
    "coef_plot",
    "compare",
    "conley_twfe",
    "continuous_did",
    "donut",
    "dose_plot",
    "dose_response",
    "event_study_plot",
    "event_time_dummies",
    "gap_plot",
    "honest_did",
    "leave_one_out",
    "leave_one_out_plot",
    "minimum_detectable_effect",
    "multiplier_bootstrap",
    "neighbours",
    "placebo_power",
    "randomization_inference",
    "sensitivity_plot",
    "spillover_att_gt",
    "spillover_design",
    "synthetic_control",
    "synthetic_control_staggered",
    "synthetic_did",
    "twfe",
    "unit_coordinates",
    "wald_test",
    "wild_cluster_bootstrap",
]
