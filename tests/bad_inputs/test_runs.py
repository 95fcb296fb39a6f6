"""Class 1: a failed run never destroys a good one; class 8: run and demonstration folders
follow the user's umask; provenance records the checksums of the files each run read."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from _corpus import expect_error, tree
from typer.testing import CliRunner

import impact._io as io_mod
from impact._io import atomic_dir, atomic_path
from impact.cli import app
from impact.errors import InputError
from impact.reports import run_reports
from impact.reports.runner import run_id


def notebook(path: Path, body: str, params: str = "x = 1\noutput_dir = '.'") -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


GOOD = "import json\njson.dump({'double': x * 2}, open('headline.json', 'w'))"
BROKEN = "raise RuntimeError('the data server is down')"


def test_failed_run_never_replaces_a_good_one(tmp_path):
    nb = tmp_path / "toy.ipynb"
    out = tmp_path / "reports"
    # 1. A first run that fails becomes the run folder (there is nothing better to show).
    notebook(nb, BROKEN)
    [r1] = run_reports([nb], [{"x": 2}], output_dir=out)
    folder = Path(r1.folder)
    assert r1.status == "failed" and folder.parent == out
    # 2. Fixed: the good run replaces the failure.
    notebook(nb, GOOD)
    [r2] = run_reports([nb], [{"x": 2}], output_dir=out)
    assert r2.status == "ok" and Path(r2.folder) == folder
    good = tree(folder)
    # 3. Broken again and forced (the example): the good result stays, the failure
    #    is kept beside it and both are in the index.
    notebook(nb, BROKEN)
    res = CliRunner().invoke(app, ["report", str(nb), "-p", "x", "2", "--output-dir", str(out),
                                   "--force"])
    assert res.exit_code == 1, res.output
    assert "the data server is down" in res.output
    assert "the previous successful run is kept" in res.output
    assert {k: v for k, v in tree(folder).items() if not k.startswith("failed-")} == good
    assert json.loads((folder / "headline.json").read_text()) == {"double": 4}
    [failure] = [p for p in folder.iterdir() if p.name.startswith("failed-")]
    assert json.loads((failure / "provenance.json").read_text())["status"] == "failed"
    index = json.loads((out / "index.json").read_text())
    assert len(index) == 1 and index[0]["status"] == "ok"
    assert "the data server is down" in index[0]["failures"][0]["error"]
    page = (out / "index.html").read_text()
    assert "Échec ultérieur" in page and "résultat ci-contre conservé" in page
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


class FakePapermill:
    """Stands in for papermill's execution (instant): copies the notebook, then fails or not."""

    def __init__(self, error: BaseException | None = None, before=None):
        self.error, self.before = error, before

    def __call__(self, src, dst, parameters=None, cwd=None, **kwargs):
        if self.before is not None:
            self.before()
        nb = nbformat.read(src, as_version=4)
        nbformat.write(nb, dst)
        if self.error is None:
            Path(cwd, "headline.json").write_text(json.dumps({"x": parameters.get("x")}))
        else:
            raise self.error


@pytest.fixture
def good_run(tmp_path, monkeypatch):
    import papermill

    nb = notebook(tmp_path / "toy.ipynb", GOOD)
    out = tmp_path / "reports"
    monkeypatch.setattr(papermill, "execute_notebook", FakePapermill())
    [r] = run_reports([nb], [{"x": 2}], output_dir=out)
    assert r.status == "ok"
    return nb, out, Path(r.folder)


def test_interrupted_run_leaves_the_good_one_and_no_partial_folder(good_run, monkeypatch):
    import papermill

    nb, out, folder = good_run
    before = tree(out)
    monkeypatch.setattr(papermill, "execute_notebook", FakePapermill(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        run_reports([nb], [{"x": 2}], output_dir=out, force=True)
    assert tree(out) == before


def test_kernel_dying_keeps_the_good_run(good_run, monkeypatch):
    import papermill

    nb, out, folder = good_run
    good = tree(folder)
    monkeypatch.setattr(papermill, "execute_notebook",
                        FakePapermill(RuntimeError("Kernel died before replying to kernel_info")))
    [r] = run_reports([nb], [{"x": 2}], output_dir=out, force=True)
    assert r.status == "failed" and r.kept_previous and Path(r.folder).parent == folder
    assert {k: v for k, v in tree(folder).items() if not k.startswith("failed-")} == good
    index = json.loads((out / "index.json").read_text())
    assert index[0]["status"] == "ok" and "Kernel died" in index[0]["failures"][0]["error"]


def test_good_run_committed_meanwhile_by_another_process_is_kept(tmp_path, monkeypatch):
    import papermill

    nb = notebook(tmp_path / "toy.ipynb", GOOD)
    out = tmp_path / "reports"
    folder = out / run_id(nb.resolve(), {"x": 2})

    def other_process_commits():
        folder.mkdir(parents=True)
        (folder / "provenance.json").write_text(json.dumps({"run_id": folder.name, "status": "ok",
                                                            "notebook": str(nb)}))

    monkeypatch.setattr(papermill, "execute_notebook",
                        FakePapermill(RuntimeError("boom"), before=other_process_commits))
    [r] = run_reports([nb], [{"x": 2}], output_dir=out)
    assert r.status == "failed" and r.kept_previous
    assert json.loads((folder / "provenance.json").read_text())["status"] == "ok"


def test_unknown_kernel_refused_before_anything_runs(tmp_path):
    nb = notebook(tmp_path / "toy.ipynb", GOOD)
    out = tmp_path / "reports"
    (out / "kept").mkdir(parents=True)
    (out / "kept" / "provenance.json").write_text("{}")
    err = expect_error(lambda: run_reports([nb], [{"x": 2}], output_dir=out, kernel_name="nosuchkernel"),
                       InputError, "'nosuchkernel'", "installed kernels are", "python3", folder=out)
    assert err.value == "nosuchkernel"


def test_run_id_covers_the_kernel(tmp_path):
    nb = tmp_path / "toy.ipynb"
    ids = {run_id(nb, {"x": 1}, k) for k in ("python3", "py310", "ir")}
    assert len(ids) == 3
    assert run_id(nb, {"x": 1}) == run_id(nb, {"x": 1}, "python3")


def test_bad_notebook_named(tmp_path):
    nb = tmp_path / "broken.ipynb"
    nb.write_text("{not json")
    expect_error(lambda: run_reports([nb], [{}], output_dir=tmp_path / "r"), InputError,
                 "broken.ipynb", "valid .ipynb")


def test_runs_follow_the_umask_and_record_their_inputs(tmp_path, monkeypatch):
    import impact

    # The kernel must import the same impact as this test (a relative PYTHONPATH would not
    # resolve from the run folder).
    src = str(Path(impact.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p))
    data = tmp_path / "data.csv"
    data.write_text("a;b\n1;2\n", encoding="utf-8")
    nb = notebook(tmp_path / "reader.ipynb",
                  "from impact.sources._common import read_csv_table\n"
                  f"df = read_csv_table({str(data)!r})\n"
                  "import json\njson.dump({'rows': len(df)}, open('headline.json', 'w'))")
    out = tmp_path / "reports"
    out.mkdir()
    # A run killed earlier left its hidden folder: cleaned, never listed.
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    killed = out / f".reader--x-1--abc{io_mod.PARTIAL}{proc.pid}-dead"
    killed.mkdir()
    (killed / "provenance.json").write_text("{}")
    old = os.umask(0o027)
    try:
        [r] = run_reports([nb], [{"x": 1}], output_dir=out)
    finally:
        os.umask(old)
    assert r.status == "ok", r.error
    folder = Path(r.folder)
    assert folder.stat().st_mode & 0o777 == 0o750
    assert (folder / "report.html").stat().st_mode & 0o777 == 0o640
    assert (folder / "provenance.json").stat().st_mode & 0o777 == 0o640
    prov = json.loads((folder / "provenance.json").read_text())
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    assert prov["inputs"] == {str(data.resolve()): digest}
    assert ".impact-inputs.jsonl" not in prov["files"]
    assert not killed.exists()
    # Unchanged input: skipped. Changed input: run again, with the new checksum.
    [again] = run_reports([nb], [{"x": 1}], output_dir=out)
    assert again.status == "skipped"
    data.write_text("a;b\n1;2\n3;4\n", encoding="utf-8")
    [redo] = run_reports([nb], [{"x": 1}], output_dir=out)
    assert redo.status == "ok" and redo.headline == {"rows": 2}
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["inputs"][str(data.resolve())] == hashlib.sha256(data.read_bytes()).hexdigest()


@pytest.mark.parametrize(("umask", "dir_mode", "file_mode"), [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600),
                                                              (0o002, 0o775, 0o664)])
def test_atomic_folders_and_files_follow_the_umask(tmp_path, umask, dir_mode, file_mode):
    old = os.umask(umask)
    try:
        with atomic_dir(tmp_path / "demo") as tmp:
            (tmp / "f.parquet").write_bytes(b"x")
        with atomic_path(tmp_path / "index.html") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "demo").stat().st_mode & 0o777 == dir_mode
    assert (tmp_path / "index.html").stat().st_mode & 0o777 == file_mode


def test_demonstration_folder_follows_the_umask(tmp_path):
    from impact.demo import generate

    old = os.umask(0o022)
    try:
        files = generate(tmp_path / "demo", seed=3, scale=0.0005, start=2016, end=2016)
    finally:
        os.umask(old)
    assert files.folder.stat().st_mode & 0o777 == 0o755
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in files)
