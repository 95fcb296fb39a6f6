"""Class 6: grid files of the wrong shape are refused naming the key and what was expected."""

from __future__ import annotations

import pytest
from _corpus import expect_error
from typer.testing import CliRunner

from impact.cli import app
from impact.errors import GridError
from impact.reports.grid import from_options, load_grid


@pytest.mark.parametrize(("name", "text", "fragments"), [
    ("g.yaml", "parameters:\n  - level: region\n", ["'parameters' must be a mapping", "not a list"]),
    ("g.yaml", "parameters: region\n", ["'parameters' must be a mapping", "not a str"]),
    ("g.yaml", "runs:\n  level: region\n", ["'runs' must be a list", "not a dict"]),
    ("g.yaml", "runs:\n  - region\n", ["runs[0]", "must be a mapping", "'region'"]),
    ("g.yaml", "runs:\n  - {level: [region, departement]}\n", ["runs[0].level", "not a list"]),
    ("g.yaml", "", ["must be a mapping", "empty"]),
    ("g.yaml", "- level: region\n", ["must be a mapping", "a list"]),
    ("g.yaml", "params: {level: region}\n", ["needs a 'parameters' mapping", "params"]),
    ("g.yaml", "parameters: {level: region}\nnotebook: [a.ipynb]\n", ["unknown key(s) ['notebook']"]),
    ("g.yaml", "parameters: {level: [region\n", ["cannot parse the grid file as YAML", "line"]),
    ("g.toml", "[parameters\nlevel = 1\n", ["cannot parse the grid file as TOML", "line 1"]),
    ("g.yaml", "parameters:\n  level name: [region]\n", ["'level name' is not a valid Python name"]),
    ("g.yaml", "parameters:\n  level: []\n", ["parameters.level", "empty"]),
    ("g.yaml", "parameters: {level: region}\nnotebooks: [1, 2]\n", ["'notebooks' must be a list of"]),
    ("g.yaml", "parameters:\n  level: {a: 1}\n", ["parameters.level", "not a mapping"]),
    ("g.yaml", "parameters:\n  seed: .nan\n", ["parameters.seed", "not a finite number"]),
    ("g.toml", "parameters = [1, 2]\n", ["'parameters' must be a mapping", "not a list"]),
])
def test_grid_of_the_wrong_shape(tmp_path, name, text, fragments):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    expect_error(lambda: load_grid(p), GridError, str(p), *fragments, folder=tmp_path)


def test_grid_file_missing_or_not_utf8(tmp_path):
    expect_error(lambda: load_grid(tmp_path / "none.yaml"), GridError, "grid file not found")
    p = tmp_path / "g.yaml"
    p.write_bytes("parameters: {level: région}\n".encode("utf-16"))
    expect_error(lambda: load_grid(p), GridError, "not UTF-8", folder=tmp_path)


def test_bad_option_name():
    expect_error(lambda: from_options([("level name", "region")]), GridError, "'level name'",
                 "-p level region")


def test_scalars_and_single_notebook_are_legitimate(tmp_path):
    # Odd but legitimate: a scalar is a one-value list; one notebook may be given as a string.
    p = tmp_path / "g.yaml"
    p.write_text("notebooks: a.ipynb\nparameters:\n  level: region\n  seed: [1, 2]\n", encoding="utf-8")
    assert load_grid(p) == ([{"level": "region", "seed": 1}, {"level": "region", "seed": 2}],
                            ["a.ipynb"])


def test_cli_refuses_the_grid_before_creating_anything(tmp_path):
    p = tmp_path / "g.yaml"
    p.write_text("parameters:\n  - level: region\n", encoding="utf-8")
    out = tmp_path / "reports"
    res = CliRunner().invoke(app, ["report", "--grid", str(p), "--output-dir", str(out)])
    assert res.exit_code == 2
    assert "'parameters' must be a mapping" in res.output and "Traceback" not in res.output
    assert not out.exists()
