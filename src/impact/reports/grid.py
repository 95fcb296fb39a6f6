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
import math
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from impact.errors import GridError


def parse_value(text: str) -> Any:
    """Parse a command-line value like papermill: int, float, bool, None, else the string.

    Examples
    --------
    >>> [parse_value(t) for t in ("2014", "0.5", "True", "none", "region", "01")]
    [2014, 0.5, True, None, 'region', 1]
    """
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


def expand_grid(
    parameters: Mapping[str, Any] | None = None, runs: Iterable[Mapping[str, Any]] = ()
) -> list[dict]:
    """Cartesian product of ``parameters`` (name → values) plus explicit ``runs``.

    A scalar value counts as a one-value list; no parameter at all gives one run
    with the notebook's defaults (``[{}]``).

    Examples
    --------
    >>> expand_grid({"level": ["departement", "region"], "control": "never"},
    ...             runs=[{"level": "commune", "bootstrap": 0}])  # doctest: +NORMALIZE_WHITESPACE
    [{'level': 'departement', 'control': 'never'}, {'level': 'region', 'control': 'never'},
     {'level': 'commune', 'bootstrap': 0}]
    >>> expand_grid()
    [{}]
    """
    out: list[dict] = []
    if parameters:
        names = list(parameters)
        values = [v if isinstance(v, list) else [v] for v in parameters.values()]
        out.extend(dict(zip(names, combo, strict=True)) for combo in itertools.product(*values))
    out.extend(dict(r) for r in runs)
    return out or [{}]


def from_options(pairs: Iterable[tuple[str, str]]) -> list[dict]:
    """``-p name value`` options; a name given several times makes a grid over its values.

    Raises
    ------
    GridError
        If a name is not a Python identifier.

    Examples
    --------
    >>> from_options([("level", "departement"), ("level", "region"), ("bootstrap", "0")])
    [{'level': 'departement', 'bootstrap': 0}, {'level': 'region', 'bootstrap': 0}]
    >>> from_options([("n-draws", "99")])  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.GridError: -p n-draws 99: 'n-draws' is not a parameter name
    (letters, digits and _, e.g. -p level region)
    """
    grid: dict[str, list] = {}
    for name, value in pairs:
        if not name.isidentifier():
            raise GridError(
                f"-p {name} {value}: {name!r} is not a parameter name (letters, digits "
                "and _, e.g. -p level region)",
                value=name,
            )
        grid.setdefault(name, []).append(parse_value(value))
    return expand_grid(grid)


def _check_name(name: Any, path: Path, where: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise GridError(
            f"{where}: parameter name {name!r} is not a valid Python name "
            "(letters, digits and _, e.g. level)",
            path=path,
            key=where,
            value=name,
        )


def _check_value(value: Any, path: Path, where: str) -> None:
    if isinstance(value, (dict, set)):
        raise GridError(
            f"{where}: a parameter value must be a number, a string, true/false or "
            f"null, not a mapping ({value!r})",
            path=path,
            key=where,
            value=value,
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise GridError(
            f"{where}: {value!r} is not a finite number", path=path, key=where, value=value
        )


def validate_grid(data: Any, path: Path) -> tuple[dict[str, list], list[dict], list[str]]:
    """Check the shape of a parsed grid file; return (parameters, runs, notebooks).

    Raises
    ------
    GridError
        Naming the key (``parameters``, ``runs[2]``, ``parameters.level``...),
        what was found and what was expected.

    Examples
    --------
    >>> validate_grid({"parameters": {"level": ["region"]}, "runs": [{"bootstrap": 0}]},
    ...               Path("grid.yaml"))
    ({'level': ['region']}, [{'bootstrap': 0}], [])
    >>> validate_grid({"runs": [{"level": ["region", "departement"]}]}, Path("grid.yaml"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.GridError: grid.yaml, key 'runs[0].level': runs[0].level: a run takes one
    value per parameter, not a list (['region', 'departement']); put lists under 'parameters' to
    make a grid
    """
    example = (
        "e.g.\n  parameters:\n    level: [departement, region]\n  runs:\n    - {level: commune}"
    )
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise GridError(
            f"a grid file must be a mapping with 'parameters' and/or 'runs'; the file is "
            f"{kind}; {example}",
            path=path,
        )
    if not ({"parameters", "runs"} & set(data)):
        raise GridError(
            f"a grid file needs a 'parameters' mapping and/or a 'runs' list; keys found: "
            f"{sorted(map(str, data))}; {example}",
            path=path,
        )
    unknown = set(data) - {"parameters", "runs", "notebooks"}
    if unknown:
        raise GridError(
            f"unknown key(s) {sorted(map(str, unknown))}; expected parameters, runs, notebooks",
            path=path,
            key=str(sorted(map(str, unknown))[0]),
        )
    params = data.get("parameters")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise GridError(
            f"'parameters' must be a mapping of name: [values] (one line per parameter), "
            f"not a {type(params).__name__} ({params!r}); {example}",
            path=path,
            key="parameters",
            value=params,
        )
    grid: dict[str, list] = {}
    for name, values in params.items():
        _check_name(name, path, f"parameters.{name}")
        values = values if isinstance(values, list) else [values]
        if not values:
            raise GridError(
                f"parameters.{name}: the list of values is empty; give at least one value "
                "or remove the line",
                path=path,
                key=f"parameters.{name}",
            )
        for v in values:
            _check_value(v, path, f"parameters.{name}")
        grid[name] = values
    runs = data.get("runs")
    if runs is None:
        runs = []
    if not isinstance(runs, list):
        raise GridError(
            f"'runs' must be a list of parameter sets (each '- {{name: value}}'), not a "
            f"{type(runs).__name__} ({runs!r})",
            path=path,
            key="runs",
            value=runs,
        )
    for i, run in enumerate(runs):
        if not isinstance(run, dict):
            raise GridError(
                f"runs[{i}]: each run must be a mapping such as {{level: region}}, not {run!r}",
                path=path,
                key=f"runs[{i}]",
                value=run,
            )
        for name, v in run.items():
            _check_name(name, path, f"runs[{i}].{name}")
            if isinstance(v, list):
                raise GridError(
                    f"runs[{i}].{name}: a run takes one value per parameter, not a list "
                    f"({v!r}); put lists under 'parameters' to make a grid",
                    path=path,
                    key=f"runs[{i}].{name}",
                    value=v,
                )
            _check_value(v, path, f"runs[{i}].{name}")
    notebooks = data.get("notebooks")
    if notebooks is None:
        notebooks = []
    if isinstance(notebooks, str):
        notebooks = [notebooks]
    if not isinstance(notebooks, list) or not all(isinstance(n, str) and n for n in notebooks):
        raise GridError(
            f"'notebooks' must be a list of notebook paths, not {notebooks!r}",
            path=path,
            key="notebooks",
            value=notebooks,
        )
    return grid, runs, notebooks


def load_grid(path: str | Path) -> tuple[list[dict], list[str]]:
    """Read a YAML or TOML grid file; return (parameter sets, notebooks listed in it).

    Raises
    ------
    GridError
        A missing or unreadable file, a syntax error (with its line), or a
        file of the wrong shape (naming the key and what was expected).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "grid.yaml"
    ...     _ = path.write_text(
    ...         "notebooks: [notebooks/03_estimate_impact.ipynb]\\n"
    ...         "parameters:\\n  level: [departement, region]\\n  control: [never, notyet]\\n")
    ...     runs, notebooks = load_grid(path)
    >>> len(runs), runs[0], notebooks
    (4, {'level': 'departement', 'control': 'never'}, ['notebooks/03_estimate_impact.ipynb'])
    """
    path = Path(path)
    if not path.is_file():
        raise GridError(
            "grid file not found" if not path.exists() else "the grid path is not a file", path=path
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise GridError(
            f"the grid file is not UTF-8 text (byte {exc.start}); save it as UTF-8", path=path
        ) from exc
    except OSError as exc:
        raise GridError(f"cannot read the grid file ({exc.strerror})", path=path) from exc
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise GridError(f"cannot parse the grid file as TOML: {exc}", path=path) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise GridError(
            f"cannot parse the grid file as YAML: {problem}", path=path, line=line
        ) from exc
    grid, runs, notebooks = validate_grid(data, path)
    return expand_grid(grid, runs), notebooks
