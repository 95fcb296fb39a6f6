"""What the package promises its users: a light ``import impact``, one version number,
type information shipped, and (for the test suite) Python peers required in CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import impact
from references import PEERS, peer

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"

# Libraries `import impact` must not load: each costs from tens of milliseconds to
# seconds, and most scripts (or `impact --help`) need none of them.
HEAVY = {
    "numpy", "pandas", "pyarrow", "scipy", "statsmodels", "matplotlib", "geopandas",
    "shapely", "pyogrio", "folium", "mapclassify", "duckdb", "pandera", "papermill",
    "nbconvert", "nbformat", "jupytext", "typer", "pooch", "openpyxl", "yaml", "tqdm",
    "IPython", "ipykernel", "threadpoolctl",
}


def run_python(code: str) -> dict:
    """Run `code` in a fresh interpreter importing this checkout; it prints one JSON line."""
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=REPO, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_impact_loads_no_heavy_library():
    got = run_python(
        "import sys, json; before = set(sys.modules); import impact; "
        "print(json.dumps({'file': impact.__file__, "
        "'new': sorted(set(sys.modules) - before)}))"
    )
    assert Path(got["file"]).resolve() == SRC / "impact" / "__init__.py"  # this checkout
    loaded = {name.split(".")[0] for name in got["new"]}
    assert not loaded & HEAVY, f"import impact loaded {sorted(loaded & HEAVY)}"
    # No subpackage either: they are imported on first access.
    assert [name for name in got["new"] if name.startswith("impact.")] == []


def test_subpackages_are_imported_on_first_access():
    got = run_python(
        "import sys, json; import impact; "
        "before = 'impact.estimate' in sys.modules; est = impact.estimate; "
        "print(json.dumps({'before': before, 'same': sys.modules['impact.estimate'] is est, "
        "'att_gt': est.att_gt.__name__, 'scipy': 'scipy' in sys.modules}))"
    )
    # The check above is meaningful: the estimators do load scipy, once asked for.
    assert got == {"before": False, "same": True, "att_gt": "att_gt", "scipy": True}


def test_lazy_attributes_behave_like_a_module():
    from impact import datasets  # `from impact import x` goes through __getattr__ too

    assert datasets is sys.modules["impact.datasets"]
    assert {"estimate", "panel", "territories", "__version__"} <= set(dir(impact))
    with pytest.raises(AttributeError, match="has no attribute 'not_a_module'"):
        impact.not_a_module  # noqa: B018
    # A folder of data files is not a subpackage.
    assert not hasattr(impact, "data")


def test_version_is_the_installed_metadata_and_the_pyproject_version():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    try:
        installed = metadata.version("impact")
    except metadata.PackageNotFoundError:
        # Source tree on PYTHONPATH without installation: the documented fallback.
        assert impact.__version__ == impact.UNKNOWN_VERSION
        return
    assert impact.__version__ == installed
    # The metadata is re-generated at each install (./dev.sh reinstalls when
    # pyproject.toml changes): a stale install would show here.
    assert installed == pyproject["project"]["version"]
    # pyproject.toml is the only place holding the number.
    assert "__version__ =" not in (SRC / "impact" / "__init__.py").read_text(encoding="utf-8")


def test_version_fallback_when_the_package_is_not_installed(monkeypatch):
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert impact._read_version() == "0+unknown" == impact.UNKNOWN_VERSION


def test_py_typed_is_shipped():
    assert (SRC / "impact" / "py.typed").is_file()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["impact"]


# -- Python peers of the test extra -------------------------------------------------------


def test_every_peer_is_in_the_test_extra():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extra = " ".join(pyproject["project"]["optional-dependencies"]["test"])
    for dist in PEERS.values():
        assert dist.split("[")[0] in extra, dist


def test_missing_peer_fails_in_ci_and_skips_elsewhere(monkeypatch):
    # A None entry in sys.modules makes `import wildboottest` raise ImportError.
    monkeypatch.setitem(sys.modules, "wildboottest", None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires every peer"):
        peer("wildboottest")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=r"pip install -e '\.\[test\]'"):
        peer("wildboottest")
    with pytest.raises(ValueError, match="not a declared peer"):
        peer("numpy")
