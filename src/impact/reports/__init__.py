"""Scheduled reports: papermill runs over a parameter grid, HTML export, index and provenance.

See :func:`impact.reports.runner.run_reports` and the ``impact report`` command.
"""

from impact.reports.grid import expand_grid, load_grid, parse_value
from impact.reports.runner import RunResult, notebook_parameters, run_reports, write_index

__all__ = [
    "RunResult",
    "expand_grid",
    "load_grid",
    "notebook_parameters",
    "parse_value",
    "run_reports",
    "write_index",
]
