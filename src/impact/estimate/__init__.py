"""Estimators of programme impact on territory panels.

All estimators take a generic long panel (unit, period, outcome, treatment
timing) so they work at any territory level and on data from elsewhere.

att_gt
    Group-time average treatment effects (Callaway & Sant'Anna 2021), with
    ``.aggregate("simple" | "group" | "dynamic" | "calendar")``.
"""

from impact.estimate.aggregation import AggregateResult, aggregate
from impact.estimate.did import ATTgtResult, att_gt
from impact.estimate.inference import WaldTest, multiplier_bootstrap, wald_test

__all__ = [
    "ATTgtResult", "AggregateResult", "WaldTest", "aggregate", "att_gt", "multiplier_bootstrap",
    "wald_test",
]
