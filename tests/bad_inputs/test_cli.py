"""Command-line options that cannot work are refused at once, before any computation, with a
message in the user's terms (no traceback)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from impact.cli import app
from impact.panel import DATA_SOURCES


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
    (["build", "--spending", str(__import__("pathlib").Path(__file__).parent / "files" / "spending_inf.csv")],
     ["spending_inf.csv, line 3, column 'euros'", "'inf' is not a finite number"]),
    (["report", "--jobs", "0"], ["--jobs must be 1 or more"]),
    (["report", "-p", "level"], ["-p needs a NAME and a VALUE"]),
    (["report", "--nosuch"], ["unknown option '--nosuch'"]),
    (["report", "/nonexistent/nb.ipynb"], ["notebook(s) not found", "nb.ipynb"]),
])
def test_bad_options_exit_2_with_a_message(no_build, tmp_path, args, fragments):
    res = CliRunner().invoke(app, [*args, *(["--output-dir", str(tmp_path / "r")] if args[0] == "report"
                                            else ["--out", str(tmp_path / "o")])])
    assert res.exit_code == 2, res.output
    for f in fragments:
        assert f in res.output, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "r").exists() and not (tmp_path / "o").exists()


def test_build_sources_are_listed_in_the_help():
    res = CliRunner().invoke(app, ["build", "--help"])
    assert all(f"'{name}'" in res.output for name in DATA_SOURCES)
