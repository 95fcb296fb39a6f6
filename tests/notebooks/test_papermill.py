"""The real notebooks under papermill: non-default parameters and bad parameter values."""

import json
from pathlib import Path

import nbformat
import papermill
import pytest

from impact.reports.runner import KERNEL_START_TIMEOUT

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run(name, tmp_path, **params):
    out = tmp_path / f"{name}-out.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(out), kernel_name="python3",
                               parameters={"output_dir": str(tmp_path / "o"), **params},
                               cwd=str(NOTEBOOKS), progress_bar=False,
                               start_timeout=KERNEL_START_TIMEOUT)
    return nbformat.read(out, as_version=4), json.loads((tmp_path / "o" / "headline.json").read_text())


def test_estimation_notebook_on_real_data_at_region_level_with_notyet_controls(tmp_path):
    from impact.estimate import att_gt
    from impact.notebook import estimation_panel

    nb, headline = run("03_estimate_impact", tmp_path, level="region", control="notyet", bootstrap=0,
                       n_permutations=19, n_placebo=5)
    assert headline["source"] == "insee" and headline["level"] == "region"
    assert headline["control"] == "notyet"
    # Recompute the headline with the library on the same panel.
    panel, info = estimation_panel(source="insee", level="region")
    assert info["outcome"] == headline["outcome"] == "creations_companies_per10k"
    res = att_gt(panel, outcome=headline["outcome"], unit="territory_code", time="year",
                 group="first_label_year", control="notyet")
    simple = res.aggregate("simple")
    assert headline["overall_att"] == round(simple.overall_att, 2)
    assert (headline["ci_low"], headline["ci_high"]) == tuple(round(x, 2) for x in simple.overall_ci)
    assert headline["mde"] == round(2.8015852181 * simple.overall_se, 2)
    assert headline["n_territories"] == panel["territory_code"].nunique() == 13  # metropolitan régions
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'level = "region"' in injected[0].source


def test_estimation_notebook_on_demonstration_data_recovers_the_injected_effect(tmp_path):
    from impact.demo import expected_att
    from impact.notebook import estimation_panel

    # A tenth of the national volumes: the same code path, a quicker draw.
    _, headline = run("03_estimate_impact", tmp_path, source="demo", scale=0.1, bootstrap=0,
                      n_permutations=19, n_placebo=0)
    assert headline["source"] == "demo" and headline["outcome"] == "creations_tpe_per10k"
    panel, _ = estimation_panel(source="demo", level="departement", scale=0.1)
    assert headline["n_territories"] == panel["territory_code"].nunique() == 100  # Mayotte: no population
    # The injected effect (computed from the demonstration's own definition) lies in the interval.
    truth = expected_att(panel)
    assert headline["ci_low"] < truth < headline["ci_high"]
    assert headline["ci_low"] > 0


def test_map_notebook_for_one_region(tmp_path):
    _, headline = run("02_map_ptce", tmp_path, region="84")
    assert 0 < headline["n_territories"] == 12  # the 12 départements of Auvergne-Rhône-Alpes
    assert (tmp_path / "o" / "carte_interactive.html").exists()
    assert (tmp_path / "o" / "carte_ptce.png").stat().st_size > 10_000


@pytest.mark.parametrize(("params", "message"), [
    ({"level": "canton"}, "level='canton' is not valid"),
    ({"region": "99"}, "region='99' is not a région code"),
    ({"start": 2030, "end": 2030}, "no data between start=2030 and end=2030"),
])
def test_bad_values_stop_early_with_one_clear_message(tmp_path, params, message):
    with pytest.raises(papermill.PapermillExecutionError) as info:
        run("01_build_panel", tmp_path, **params)
    assert message in str(info.value)
    # Raised by the first cells (parameters, injected parameters, checks, data), as an
    # InputError with one message, not a traceback deep in pandas.
    assert info.value.exec_count <= 4
    assert info.value.ename == "InputError"
    # IPython's Minimal mode (impact.notebook.short_tracebacks): the message, no frames.
    assert len(info.value.traceback) == 1 and "Traceback" not in info.value.traceback[0]


def test_report_runner_refuses_unknown_notebook_parameter(tmp_path):
    from impact.errors import InputError
    from impact.reports import run_reports

    with pytest.raises(InputError, match=r"unknown parameter\(s\) \['levle'\]; valid parameters are: source"):
        run_reports([NOTEBOOKS / "03_estimate_impact.ipynb"], [{"levle": "region"}], output_dir=tmp_path)
