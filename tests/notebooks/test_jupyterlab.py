"""The notebooks run in a JupyterLab server's kernel, as a user would run them."""

import sys
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import check_jupyterlab as lab  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with lab.LabServer(tmp_path_factory.mktemp("lab")) as srv:
        yield srv


def test_server_has_the_fresh_install_kernel_and_lab_page(server):
    specs = server.get("/api/kernelspecs")
    assert lab.KERNEL_NAME in specs["kernelspecs"]
    assert server.lab_page_ok()


def test_cells_run_in_a_lab_kernel_with_parameters(server, tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import impact, sys\nprint(impact.__version__, x * 2, sys.executable)")]
    path = tmp_path / "toy.ipynb"
    nbformat.write(nb, path)
    out = lab.execute_through_kernel(server, lab.notebook_sources(path, {"x": "21"}))
    version, doubled, executable = out[-1].split()
    assert version == __import__("impact").__version__
    assert doubled == "42"  # the injected parameter replaced the default
    # The kernel uses this environment's interpreter, where impact is installed.
    assert executable.startswith(sys.prefix)


def test_a_failing_cell_is_reported(server, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise ValueError('boom')")]
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(RuntimeError, match="ValueError: boom"):
        lab.execute_through_kernel(server, lab.notebook_sources(path, {}))


def test_map_notebook_runs_in_a_lab_kernel(server, tmp_path):
    """The real map notebook, cell by cell, through the server's kernel websocket."""
    nb_path = REPO_ROOT / "notebooks" / "02_map_ptce.ipynb"
    params = {"output_dir": repr(str(tmp_path)), "region": repr("53")}
    sources = [f"import os; os.chdir({str(nb_path.parent)!r})", *lab.notebook_sources(nb_path, params)]
    outputs = lab.execute_through_kernel(server, sources)
    assert "'n_territories': 4" in outputs[-1]  # the four départements of Bretagne
    assert (tmp_path / "carte_interactive.html").exists()
