"""Parameter grids: from ``-p name value`` options or a YAML/TOML file.

File format (YAML shown; TOML uses the same keys)::

    notebooks: [notebooks/03_estimate_impact.ipynb]   # optional
    parameters:            # every combination is run (cartesian product)
      level: [departement, region]
      control: [never, notyet]
    runs:                  # and/or explicit parameter sets
      - {level: commune, bootstrap: 0}

A value given as a scalar counts as a one-value list.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from impact.errors import InputError


def parse_value(text: str) -> Any:
    """Parse a command-line value like papermill: int, float, bool, None, else the string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def expand_grid(parameters: Mapping[str, Any] | None = None, runs: Iterable[Mapping[str, Any]] = ()) -> list[dict]:
    """Cartesian product of ``parameters`` (name → values) plus explicit ``runs``."""
    out: list[dict] = []
    if parameters:
        names = list(parameters)
        values = [v if isinstance(v, list) else [v] for v in parameters.values()]
        out.extend(dict(zip(names, combo, strict=True)) for combo in itertools.product(*values))
    out.extend(dict(r) for r in runs)
    return out or [{}]


def from_options(pairs: Iterable[tuple[str, str]]) -> list[dict]:
    """``-p name value`` options; a name given several times makes a grid over its values."""
    grid: dict[str, list] = {}
    for name, value in pairs:
        grid.setdefault(name, []).append(parse_value(value))
    return expand_grid(grid)


def load_grid(path: str | Path) -> tuple[list[dict], list[str]]:
    """Read a YAML or TOML grid file; return (parameter sets, notebooks listed in it)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"grid file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot parse the grid file: {exc}", path=path) from exc
    if not isinstance(data, dict) or not ({"parameters", "runs"} & set(data)):
        raise InputError("a grid file needs a 'parameters' mapping and/or a 'runs' list", path=path)
    unknown = set(data) - {"parameters", "runs", "notebooks"}
    if unknown:
        raise InputError(f"unknown key(s) {sorted(unknown)}; expected parameters, runs, notebooks", path=path)
    return expand_grid(data.get("parameters"), data.get("runs", [])), list(data.get("notebooks", []))
