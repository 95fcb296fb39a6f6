"""Sync the notebooks from their paired scripts and re-execute them with default parameters.

The committed ``.ipynb`` files carry the outputs of a default run (nbval in CI
re-executes them and compares the cells marked ``# NBVAL_CHECK_OUTPUT``). This
script makes those outputs reproducible:

1. the ``.py`` (py:percent) script is the source of truth: its cells replace
   the notebook's (jupytext);
2. the notebook is executed in place with the ``python3`` kernel, from the
   ``notebooks/`` folder, without per-cell timing metadata;
3. volatile metadata (execution timestamps, papermill records) are removed and
   cell ids are numbered (jupytext would draw new random ones each time).

Usage::

    python scripts/refresh_notebooks.py                 # all notebooks/0*.py
    python scripts/refresh_notebooks.py notebooks/03_estimate_impact.py --no-execute
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "python3"


def refresh(script: Path, execute: bool = True, timeout: int = 600) -> Path:
    nb = jupytext.read(script)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": KERNEL}
    nb.metadata.pop("papermill", None)
    target = script.with_suffix(".ipynb")
    if execute:
        t0 = time.monotonic()
        client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, record_timing=False,
                                resources={"metadata": {"path": str(script.parent)}})
        client.execute()
        print(f"{script.name}: executed in {time.monotonic() - t0:.1f} s")
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        # Stable ids (jupytext draws random ones): a refresh changes only what changed.
        cell["id"] = f"{script.stem[:2]}-{i:03d}"
    nbformat.write(nb, target)
    # Re-write the script from the notebook so both carry identical cells.
    jupytext.write(nb, script, fmt="py:percent")
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scripts", nargs="*", type=Path)
    ap.add_argument("--no-execute", action="store_true", help="only sync the .ipynb from the .py")
    args = ap.parse_args(argv)
    scripts = args.scripts or sorted((ROOT / "notebooks").glob("0*.py"))
    for s in scripts:
        refresh(s.resolve(), execute=not args.no_execute)
    return 0


if __name__ == "__main__":
    sys.exit(main())
