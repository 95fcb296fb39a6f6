"""Writing the long table and the panel as Parquet, all or nothing.

May import: :mod:`impact.panel.estimation` (validation), :mod:`impact._io`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from impact.config import processed_dir
from impact.errors import InputError
from impact.panel.estimation import validate_panel
from impact.sources._common import LONG_COLUMNS

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- outputs


def output_paths(level: str, freq: str, out_dir: str | Path | None = None) -> dict[str, Path]:
    """Where :func:`write_outputs` writes: ``long.parquet`` and ``panel_<level>_<freq>.parquet``.

    Examples
    --------
    >>> output_paths("departement", "year", "out")["panel"].as_posix()
    'out/panel_departement_year.parquet'
    """
    out = Path(out_dir) if out_dir else processed_dir()
    return {"long": out / "long.parquet", "panel": out / f"panel_{level}_{freq}.parquet"}


def write_outputs(
    long: pd.DataFrame, panel: pd.DataFrame, out_dir: str | Path | None = None
) -> dict[str, Path]:
    """Write the long table and the panel as Parquet, all or nothing.

    Both files are first written to hidden temporary files in ``out_dir``
    (default ``data/processed``); only when both are complete are they put in
    place (:func:`impact._io.atomic_files`): if the second rename fails, the
    first is undone and the former files restored, so the folder never holds
    a new long table with an old panel. If anything fails, the temporary files
    are removed and existing outputs are left untouched.

    Returns
    -------
    dict
        ``{"long": path, "panel": path}``.

    Raises
    ------
    OutputError
        ``out_dir`` cannot be written (checked before anything is serialised).

    Examples
    --------
    Nothing is written for an empty panel:

    >>> write_outputs(pd.DataFrame(), pd.DataFrame({"level": []}), "out")
    Traceback (most recent call last):
    ...
    impact.errors.InputError: write_outputs: the panel is empty
    """
    from impact._io import atomic_files, check_writable

    level = panel.attrs.get("level") or (str(panel["level"].iloc[0]) if len(panel) else None)
    freq = panel.attrs.get("freq", "year")
    if level is None:
        raise InputError("write_outputs: the panel is empty")
    missing = [c for c in LONG_COLUMNS if c not in long.columns]
    if missing:
        raise InputError(f"write_outputs: the long table lacks column(s) {missing}")
    validate_panel(
        panel,
        [c for c in panel.columns if c.startswith("creations_") and not c.endswith("_per10k")],
    )
    paths = output_paths(level, freq, out_dir)
    check_writable(paths["long"].parent, what="output folder (--out)")
    with atomic_files([paths["long"], paths["panel"]], suffixes=[".parquet", ".parquet"]) as (
        tmp_long,
        tmp_panel,
    ):
        long.to_parquet(tmp_long, index=False)
        panel.to_parquet(tmp_panel, index=False)
        logger.info("Writing %s and %s", paths["long"], paths["panel"])
    return paths
