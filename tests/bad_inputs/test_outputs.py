"""Class 7: outputs are checked writable first, written together or not at all, committed
safely by concurrent processes, and killed runs' partial folders are cleaned, never listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pandas as pd
import pytest
from _corpus import expect_error, tree
from typer.testing import CliRunner

import impact._io as io_mod
from impact._io import (
    atomic_files,
    atomic_path,
    check_writable,
    clean_partials,
    commit_dir,
    partial_dir,
)
from impact.cli import app
from impact.errors import OutputError
from impact.reports import run_reports, write_index
from impact.sources._common import LONG_COLUMNS


@pytest.fixture
def blocked(tmp_path):
    """A path that cannot be a folder, even for root: a file sits where its parent should be."""
    f = tmp_path / "a_file"
    f.write_text("not a folder")
    return f / "out"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_check_writable_names_the_folder(blocked, tmp_path):
    expect_error(lambda: check_writable(blocked), OutputError, str(blocked), "cannot write",
                 "which is a file, not a folder", folder=tmp_path)


def test_check_writable_leaves_no_folder(tmp_path):
    check_writable(tmp_path / "new" / "out")
    assert tree(tmp_path) == {}


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only folder")
def test_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        expect_error(lambda: check_writable(ro / "sub"), OutputError, "Permission denied")
    finally:
        ro.chmod(0o755)


def test_build_checks_out_before_computing(blocked, tmp_path, monkeypatch):
    import impact.panel

    def must_not_run(*a, **k):
        raise AssertionError("the computation started before the output folder was checked")

    monkeypatch.setattr(impact.panel, "build_long", must_not_run)
    res = CliRunner().invoke(app, ["build", "--out", str(blocked)])
    assert res.exit_code == 2, res.output
    assert "cannot write to the output folder (--out)" in res.output and str(blocked) in res.output
    assert "Traceback" not in res.output


def test_demo_checks_out_before_generating(blocked, monkeypatch):
    import impact.demo

    monkeypatch.setattr(impact.demo, "generate", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    res = CliRunner().invoke(app, ["demo", "--out", str(blocked / "demo")])
    assert res.exit_code == 2 and "cannot write" in res.output


def test_report_checks_output_dir_before_running(blocked, tmp_path):
    nb = tmp_path / "nb.ipynb"
    nb.write_text("{}")
    expect_error(lambda: run_reports([nb], [{}], output_dir=blocked), OutputError, str(blocked),
                 "--output-dir")


def frames():
    long = pd.DataFrame({c: ["x"] for c in LONG_COLUMNS})
    panel = pd.DataFrame({"territory_code": ["84"], "period": ["2016"], "level": ["region"]})
    panel.attrs.update(level="region", freq="year")
    return long, panel


@pytest.fixture
def old_outputs(tmp_path, monkeypatch):
    import impact.panel.outputs

    monkeypatch.setattr(impact.panel.outputs, "validate_panel", lambda *a, **k: None)
    out = tmp_path / "processed"
    out.mkdir()
    (out / "long.parquet").write_bytes(b"old long")
    (out / "panel_region_year.parquet").write_bytes(b"old panel")
    return out


def test_second_rename_failing_keeps_both_old_files(old_outputs, monkeypatch):
    from impact.panel import write_outputs

    real = os.replace

    def flaky(src, dst):
        # The new panel cannot be renamed into place (restoring the old one still works).
        if str(dst).endswith("panel_region_year.parquet") and str(src).endswith(".parquet"):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(io_mod.os, "replace", flaky)
    before = tree(old_outputs)
    with pytest.raises(OSError, match="No space left"):
        write_outputs(*frames(), old_outputs)
    assert tree(old_outputs) == before       # old long AND old panel, nothing else


def test_second_rename_failing_without_old_files_leaves_nothing(tmp_path, monkeypatch):
    import impact.panel.outputs
    from impact.panel import write_outputs

    monkeypatch.setattr(impact.panel.outputs, "validate_panel", lambda *a, **k: None)
    real = os.replace

    def flaky(src, dst):
        if str(dst).endswith("panel_region_year.parquet"):
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(io_mod.os, "replace", flaky)
    out = tmp_path / "processed"
    with pytest.raises(OSError):
        write_outputs(*frames(), out)
    assert tree(out) == {}


def test_write_outputs_success_replaces_both(old_outputs):
    from impact.panel import write_outputs

    paths = write_outputs(*frames(), old_outputs)
    assert pd.read_parquet(paths["long"]).shape == (1, len(LONG_COLUMNS))
    assert sorted(tree(old_outputs)) == ["long.parquet", "panel_region_year.parquet"]


def test_write_outputs_refuses_unwritable_folder(blocked, monkeypatch):
    import impact.panel.outputs
    from impact.panel import write_outputs

    monkeypatch.setattr(impact.panel.outputs, "validate_panel", lambda *a, **k: None)
    expect_error(lambda: write_outputs(*frames(), blocked), OutputError, str(blocked), "--out")


def test_error_inside_atomic_files_touches_nothing(old_outputs):
    before = tree(old_outputs)
    with pytest.raises(RuntimeError), atomic_files([old_outputs / "long.parquet",
                                                    old_outputs / "panel_region_year.parquet"]) as tmps:
        tmps[0].write_bytes(b"new")
        raise RuntimeError("interrupted")
    assert tree(old_outputs) == before


def test_atomic_path_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "index.html"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert tree(tmp_path) == {"index.html": tree(tmp_path)["index.html"]}
    assert target.read_text() == "old"


def test_concurrent_commits_of_the_same_run_folder(tmp_path):
    target = tmp_path / "run"
    errors = []

    def commit(i):
        try:
            for _ in range(10):
                tmp = partial_dir(target)
                (tmp / "a.txt").write_text(str(i))
                (tmp / "b.txt").write_text(str(i))
                commit_dir(tmp, target)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=commit, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # One complete folder: both files from the same writer, nothing left beside it.
    assert (target / "a.txt").read_text() == (target / "b.txt").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_killed_runs_partial_folders_are_cleaned(tmp_path):
    dead = tmp_path / f".run{io_mod.PARTIAL}{dead_pid()}-abcd"
    dead.mkdir()
    (dead / "provenance.json").write_text("{}")
    alive = tmp_path / f".run{io_mod.PARTIAL}{os.getpid()}-abcd"
    alive.mkdir()
    other = tmp_path / ".hidden-by-the-user"
    other.mkdir()
    removed = clean_partials(tmp_path)
    assert removed == [dead] and alive.exists() and other.exists()
    # Too old to belong to a live run (a reused process id): removed too.
    assert clean_partials(tmp_path, max_age=-1) == [alive]


def test_index_never_lists_hidden_folders(tmp_path):
    for name, status in (("good", "ok"), (f".good{io_mod.PARTIAL}1-ab", "ok"), (".old", "failed")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "provenance.json").write_text(json.dumps(
            {"run_id": name, "notebook": "n.ipynb", "status": status}))
    write_index(tmp_path)
    index = json.loads((tmp_path / "index.json").read_text())
    assert [r["run_id"] for r in index] == ["good"]
    assert "partial" not in (tmp_path / "index.html").read_text()
