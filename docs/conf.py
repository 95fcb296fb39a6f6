"""Sphinx configuration of the impact documentation site.

Built offline by ``./dev.sh docs`` (``sphinx-build -W --keep-going``): no intersphinx, no
remote assets, notebooks rendered with their committed outputs (never executed).
Pages generated at build time (gitignored):

* ``docs/tutorials/notebooks/``: copies of ``notebooks/0N_*.ipynb`` (the notebooks stay in
  ``notebooks/``; copying them keeps one version in git);
* ``docs/api/<package>.rst``, ``docs/api/sources/`` and the ``generated/`` folders: one page
  per public name, listed from each package's ``__all__``, so that a name added to a package
  appears without editing the docs.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "src"))
# Importing the library for autodoc must not open windows nor write into the user's data.
os.environ.setdefault("MPLBACKEND", "Agg")

import impact  # noqa: E402

project = "impact"
author = "impact developers"
copyright = "impact developers"
release = version = getattr(impact, "__version__", "")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",
]

# -- sources ------------------------------------------------------------------------------
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
templates_path = ["_templates"]

# -- autodoc / autosummary / numpydoc ------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc sections already give the types, in words
# numpydoc's own member tables point at pages that are not generated; the class template
# lists the methods instead.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- MyST / notebooks ----------------------------------------------------------------------
nb_execution_mode = "off"  # the tutorials show the outputs committed with the notebooks
nb_merge_streams = True
# No dollarmath: math would need MathJax from a CDN, and "$" in prose stays literal.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
# The notebook copies carry ANSI-free text outputs and PNG figures; nothing to fetch.
nb_render_markdown_format = "myst"

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "impact"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    # Offline: no external links, icons or analytics are fetched at build or view time.
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "header_links_before_dropdown": 5,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_last_updated_fmt = None
# Pages without sub-pages: no empty "Section Navigation" column.
html_sidebars: dict[str, list[str]] = {"index": [], "getting_started": []}
# "vcov()" rather than "ATTgtResult.vcov()" in the page outline of a class.
toc_object_entries_show_parents = "hide"

# -- generated sources ---------------------------------------------------------------------
NOTEBOOKS = ROOT / "notebooks"
TUTORIALS = DOCS / "tutorials" / "notebooks"

#: Public packages of the API reference, with their page title.
API_PACKAGES = {
    "impact.territories": "Territories",
    "impact.sources": "Sources",
    "impact.panel": "Panel",
    "impact.ptce": "PTCE registry",
    "impact.estimate": "Estimators",
    "impact.maps": "Maps",
    "impact.reports": "Reports",
    "impact.datasets": "Example datasets",
    "impact.errors": "Errors",
}


def copy_notebooks() -> None:
    """Copy the committed notebooks next to the tutorial pages (outputs kept as committed)."""
    TUTORIALS.mkdir(parents=True, exist_ok=True)
    for stale in TUTORIALS.glob("*.ipynb"):
        if not (NOTEBOOKS / stale.name).exists():
            stale.unlink()
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        target = TUTORIALS / notebook.name
        # Copy only when changed: an unchanged mtime lets Sphinx reuse its cached doctree.
        if not target.exists() or target.read_bytes() != notebook.read_bytes():
            shutil.copy2(notebook, target)


def public_names(module_name: str) -> tuple[list[str], list[str], list[str]]:
    """Public functions and classes of a module, and its public submodules.

    A package that re-exports its API (``__all__``) is documented by those names; a package
    without re-exports (:mod:`impact.sources`) by its public submodules. Constants are left
    out: their docstring would be that of their type.
    """
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, obj in vars(module).items()
                 if not n.startswith("_") and getattr(obj, "__module__", "") == module_name]
    objects = {n: getattr(module, n) for n in names}
    functions = [n for n, obj in objects.items() if inspect.isfunction(obj)]
    classes = [n for n, obj in objects.items() if inspect.isclass(obj)]
    submodules: list[str] = []
    if not functions and not classes and hasattr(module, "__path__"):
        submodules = sorted(f"{module_name}.{info.name}"
                            for info in pkgutil.iter_modules(module.__path__)
                            if not info.name.startswith("_"))
    return functions, classes, submodules


def autosummary(module_name: str, names: list[str]) -> list[str]:
    """A table of ``names`` with one generated page each (templates in ``_templates``)."""
    if not names:
        return []
    return [f".. currentmodule:: {module_name}", "", ".. autosummary::", "   :toctree: generated",
            "   :nosignatures:", "", *(f"   {name}" for name in names), ""]


def write_if_changed(path: Path, text: str) -> None:
    """Write only a changed page, so that Sphinx rebuilds only what changed."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_api_pages() -> None:
    """One reST page per public package: its docstring, then tables of its public names."""
    # autosummary writes the generated/ folders again on every build; pages of names that
    # moved or were removed would otherwise stay behind and fail the build (toc.not_included).
    for stale in sorted((DOCS / "api").glob("**/generated")):
        shutil.rmtree(stale)
    for module_name, title in API_PACKAGES.items():
        functions, classes, submodules = public_names(module_name)
        heading = f"{title} (``{module_name}``)"
        lines = [heading, "=" * len(heading), "", f".. automodule:: {module_name}",
                 "   :no-members:", ""]
        for label, group in (("Functions", functions), ("Classes", classes)):
            if group:
                lines += [label, "-" * len(label), "", *autosummary(module_name, group)]
        # A package without re-exports (impact.sources): one page per submodule, so that the
        # navigation reads "side > read" rather than a column of bare "read".
        if submodules:
            folder = DOCS / "api" / module_name.removeprefix("impact.")
            folder.mkdir(exist_ok=True)
            lines += [".. toctree::", "   :maxdepth: 1", ""]
            for sub in submodules:
                short = sub.rsplit(".", 1)[1]
                lines.append(f"   {short} <{folder.name}/{short}>")
                sub_functions, sub_classes, _ = public_names(sub)
                title = f"``{sub}``"
                page = [title, "=" * len(title), "", f".. automodule:: {sub}", "   :no-members:",
                        "", *autosummary(sub, sub_functions + sub_classes)]
                write_if_changed(folder / f"{short}.rst", "\n".join(page))
            lines.append("")
        write_if_changed(DOCS / "api" / f"{module_name.removeprefix('impact.')}.rst",
                         "\n".join(lines))


copy_notebooks()
write_api_pages()
