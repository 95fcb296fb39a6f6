"""The report runner on tiny notebooks: grids, validation, folders, skip/force, failures, parallelism."""

import json

import nbformat
import pytest
from typer.testing import CliRunner

from impact.cli import app
from impact.errors import InputError
from impact.reports import expand_grid, load_grid, parse_value, run_reports
from impact.reports.grid import from_options


def make_notebook(path, body, params="x = 1\noutput_dir = '.'"):
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, *(nbformat.v4.new_code_cell(b) for b in body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def toy(tmp_path):
    return make_notebook(tmp_path / "toy.ipynb", [
        "SECRET_CODE_LINE = 'this code must not appear in the HTML'\nprint('value is', x * 10)",
        "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\n"
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2], [x, x])\nplt.show()",
        "import json\njson.dump({'double': x * 2}, open('headline.json', 'w'))",
        "if x == 3:\n    raise ValueError('x must not be 3')",
    ])


def test_parse_and_grids(tmp_path):
    assert [parse_value(v) for v in ["3", "2.5", "true", "None", "region"]] == [3, 2.5, True, None, "region"]
    assert from_options([("level", "region"), ("level", "departement"), ("seed", "1")]) == [
        {"level": "region", "seed": 1}, {"level": "departement", "seed": 1}]
    assert len(expand_grid({"a": [1, 2], "b": [3, 4, 5]})) == 6
    y = tmp_path / "g.yaml"
    y.write_text("parameters:\n  a: [1, 2]\nruns:\n  - {a: 9}\n")
    assert load_grid(y)[0] == [{"a": 1}, {"a": 2}, {"a": 9}]
    t = tmp_path / "g.toml"
    t.write_text('notebooks = ["n.ipynb"]\n[parameters]\na = [1, 2]\nb = "x"\n')
    assert load_grid(t) == ([{"a": 1, "b": "x"}, {"a": 2, "b": "x"}], ["n.ipynb"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("params: {a: 1}\n")
    with pytest.raises(InputError, match="needs a 'parameters' mapping"):
        load_grid(bad)


def test_unknown_parameter_lists_valid_ones(toy, tmp_path):
    with pytest.raises(InputError, match=r"unknown parameter\(s\) \['levle'\]; valid parameters are: x \(default 1\)"):
        run_reports([toy], [{"levle": 2}], output_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_run_folder_contents_skip_and_force(toy, tmp_path):
    out = tmp_path / "reports"
    [r] = run_reports([toy], [{"x": 2}], output_dir=out)
    assert r.status == "ok" and r.headline == {"double": 4}
    folder = out / r.run_id
    html = (folder / "report.html").read_text()
    assert "value is 20" in html and "SECRET_CODE_LINE" not in html
    assert list(folder.glob("fig-*.png"))
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["parameters"] == {"x": 2} and len(prov["notebook_sha256"]) == 64
    assert "pandas" in prov["versions"]
    executed = nbformat.read(folder / "notebook.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "x = 2" in injected[0].source and 'output_dir = "."' in injected[0].source
    # Same notebook and parameters: skipped; --force redoes it.
    [again] = run_reports([toy], [{"x": 2}], output_dir=out)
    assert again.status == "skipped"
    [forced] = run_reports([toy], [{"x": 2}], output_dir=out, force=True)
    assert forced.status == "ok"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_failing_run_does_not_stop_the_others_and_cli_exits_nonzero(toy, tmp_path, monkeypatch):
    out = tmp_path / "reports"
    res = CliRunner().invoke(app, ["report", str(toy), "-p", "x", "1", "-p", "x", "3", "-p", "x", "5",
                                   "--output-dir", str(out), "--jobs", "2"])
    assert res.exit_code == 1, res.output
    index = json.loads((out / "index.json").read_text())
    status = {r["parameters"]["x"]: r["status"] for r in index}
    assert status == {1: "ok", 3: "failed", 5: "ok"}
    failed = next(r for r in index if r["status"] == "failed")
    assert "ValueError: x must not be 3" in failed["error"]
    page = (out / "index.html").read_text()
    assert "x must not be 3" in page and page.count("class='card ok'") == 2
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_dask_local_cluster(toy, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        results = run_reports([toy], [{"x": 4}, {"x": 6}], output_dir=tmp_path / "r",
                              scheduler=cluster.scheduler_address)
    assert sorted(r.headline["double"] for r in results) == [8, 12]
    assert all(r.status == "ok" for r in results)
