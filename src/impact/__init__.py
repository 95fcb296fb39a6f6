"""impact: territorial impact analysis for French public policy.

``import impact`` is light: it imports no numerical, geographic or notebook
library. Subpackages (``impact.estimate``, ``impact.panel``, ``impact.maps``…)
are imported on first access (PEP 562), so ``import impact`` followed by
``impact.estimate.att_gt(...)`` works without an explicit ``import
impact.estimate``, and a script that only needs the territory codes never
loads matplotlib or statsmodels.

``impact.__version__`` is read from the installed package's metadata
(``pyproject.toml`` holds the one version number). When the source tree is
imported without being installed (``PYTHONPATH=src``), the version is
``"0+unknown"``.

Examples
--------
>>> import impact
>>> impact.estimate.att_gt.__name__
'att_gt'
>>> "estimate" in dir(impact)
True
"""

# Nothing is imported at module level (not even typing or importlib): `import impact`
# must stay cheap. Type checkers treat a constant named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    # Explicit re-exports (`x as x`): the subpackages reachable as attributes.
    from impact import attention as attention
    from impact import cli as cli
    from impact import config as config
    from impact import datasets as datasets
    from impact import demo as demo
    from impact import describe as describe
    from impact import errors as errors
    from impact import estimate as estimate
    from impact import logging_setup as logging_setup
    from impact import maps as maps
    from impact import narrative as narrative
    from impact import notebook as notebook
    from impact import panel as panel
    from impact import ptce as ptce
    from impact import quality as quality
    from impact import reports as reports
    from impact import schema as schema
    from impact import sources as sources
    from impact import territories as territories

    __version__: str

#: Value of ``__version__`` when the package is not installed (no metadata to read).
UNKNOWN_VERSION = "0+unknown"

_DIST = "impact"
_cache: dict[str, str] = {}


def _read_version() -> str:
    """Version of the installed distribution; ``UNKNOWN_VERSION`` when not installed."""
    # importlib.metadata is imported here, not at module level: it costs ~100 ms.
    from importlib import metadata

    try:
        return metadata.version(_DIST)
    except metadata.PackageNotFoundError:
        return UNKNOWN_VERSION


def _submodules() -> list[str]:
    """Public modules and subpackages of impact (files on disk, none imported)."""
    import pkgutil

    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def __getattr__(name: str) -> object:
    """Import a subpackage on first access and read ``__version__`` lazily (PEP 562)."""
    if name == "__version__":
        if name not in _cache:
            _cache[name] = _read_version()
        return _cache[name]
    if not name.startswith("_") and name in _submodules():
        import importlib

        # import_module also binds the submodule as an attribute of this package, so
        # __getattr__ runs once per subpackage.
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_submodules()) | {"__version__"})
