"""Command-line options that cannot work are refused at once, before any computation, with a
message in the user's terms (no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from impact.cli import app
from impact.panel import DATA_SOURCES


def test_log_records_go_to_the_current_stderr_after_it_was_replaced(capsys):
    """CliRunner and notebook kernels replace (and close) stderr: the handler installed by an
    earlier call must write to the stream of now, not fail with "--- Logging error ---"."""
    import io
    import logging
    import sys

    from impact.logging_setup import configure

    old = sys.stderr
    first = io.StringIO()
    sys.stderr = first
    try:
        configure(0)
        logging.getLogger("impact.test").warning("first record")
    finally:
        sys.stderr = old
    first.close()
    logging.getLogger("impact.test").warning("second record")
    err = capsys.readouterr().err
    assert "second record" in err and "Logging error" not in err


@pytest.fixture
def no_build(monkeypatch):
    import impact.panel

    def must_not_run(*a, **k):
        raise AssertionError("the computation started before the options were checked")

    monkeypatch.setattr(impact.panel, "build_long", must_not_run)


@pytest.mark.parametrize(("args", "fragments"), [
    (["build", "--level", "nowhere"], ["--level must be one of", "'nowhere'"]),
    (["build", "--freq", "weekly"], ["--freq must be one of", "year, quarter, month"]),
    (["build", "--source", "melodi"], ["--source must be one of", "'demo'", "'melodi'"]),
    (["build", "--spending", "/nonexistent/spending.csv"], ["spending table not found"]),
    (["build", "--spending", str(Path(__file__).parent / "files" / "spending_inf.csv")],
     ["spending_inf.csv, line 3, column 'euros'", "'inf' is not a finite number"]),
    (["report", "--jobs", "0"], ["--jobs must be 1 or more"]),
    (["report", "-p", "level"], ["-p needs a NAME and a VALUE"]),
    (["report", "--nosuch"], ["unknown option '--nosuch'"]),
    (["report", "/nonexistent/nb.ipynb"], ["notebook(s) not found", "nb.ipynb"]),
])
def test_bad_options_exit_2_with_a_message(no_build, tmp_path, args, fragments):
    out = ["--output-dir", str(tmp_path / "r")] if args[0] == "report" else [
        "--out", str(tmp_path / "o")]
    res = CliRunner().invoke(app, [*args, *out])
    assert res.exit_code == 2, res.output
    for f in fragments:
        assert f in res.output, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "r").exists() and not (tmp_path / "o").exists()


@pytest.mark.parametrize(("content", "fragments"), [
    (None, ["--treatment", "treatment table not found"]),
    ("code,first_treated,intensity\n29,2016,1\n",
     ["lacks column(s) ['territory_code']", "found ['code', 'first_treated', 'intensity']"]),
    ("territory_code,first_treated,intensity\n29,2016,1\n35,l'an 2016,1\n",
     ["treatment.csv, line 3, column 'first_treated'", "\"l'an 2016\" is not a year"]),
    ("territory_code,first_treated,intensity\n29,2016,1\n29,2017,1\n",
     ["column 'territory_code'", "'29' is given twice (lines 2 and 3)"]),
    ("territory_code,first_treated,intensity\n29,2016,-3\n",
     ["line 2, column 'intensity'", "'-3' is not a number >= 0"]),
    ("territory_code;first_treated;intensity\n29;2016;1\n99;2016;1\n",
     ["line 3, column 'territory_code'", "'99' is not a departement"]),
    ("territory_code,first_treated,intensity,precision\n29,2016,1,canton\n",
     ["line 2, column 'precision'", "'canton' is not one of commune, epci, departement, region"]),
])
def test_bad_treatment_table_exits_2_naming_the_line(no_build, tmp_path, content, fragments):
    path = tmp_path / "treatment.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    res = CliRunner().invoke(app, ["build", "--treatment", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    for f in fragments:
        assert f in res.output, res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()


def test_coarser_treatment_table_needs_a_precision(no_build, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("territory_code,first_treated,intensity\n53,2016,1\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["build", "--level", "commune", "--treatment", str(path),
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "t.csv, line 2, column 'territory_code'" in res.output
    assert "'53' is a département or région code but the panel is by commune" in res.output
    assert "'precision' column" in res.output


def test_bad_data_kind_exits_2(no_build, tmp_path):
    res = CliRunner().invoke(app, ["build", "--data-kind", "fake", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "--data-kind must be one of 'real', 'demo', not 'fake'" in res.output


def test_build_help_explains_the_treatment_table():
    res = CliRunner().invoke(app, ["build", "--help"])
    text = " ".join(res.output.split())
    for f in ("--treatment", "territory_code", "first_treated", "intensity", "--data-kind"):
        assert f in text, text


def test_build_sources_are_listed_in_the_help():
    res = CliRunner().invoke(app, ["build", "--help"])
    assert all(f"'{name}'" in res.output for name in DATA_SOURCES)


@pytest.mark.parametrize("command", ["demo", "build", "fetch", "report"])
def test_help_stops_before_the_docstring_examples(command):
    """The docstrings' Examples (doctests) are for the docs site, not for the terminal."""
    res = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert ">>>" not in res.output and "Examples" not in res.output
    assert "--help" in res.output  # the options panel is still there
