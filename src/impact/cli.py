"""The ``impact`` command line.

Each command is a thin wrapper around a library function, so everything the
CLI does can also be done from a notebook. Run ``impact --help`` for the list.
"""

from __future__ import annotations

from typing import Annotated

import typer

from impact import __version__
from impact.logging_setup import configure

app = typer.Typer(
    name="impact",
    help=(
        "Territorial impact analysis for French public policy.\n\n"
        "Typical use: 'impact demo' makes offline demonstration data, "
        "'impact build' turns the available sources into a territory x period panel, "
        "'impact report' runs the notebooks and writes an HTML report."
    ),
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"impact {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Territorial impact analysis for French public policy."""
    configure(-1 if quiet else verbose)


# --- commands are added below, one block per area (territories, sources, panel, reports) ---
# --- sources: fetch -------------------------------------------------------------------
_FETCH_HELP = """Download one public source file into the cache (once; verified when a checksum
is registered; provenance recorded next to it).

\b
Sources (name, approximate size, licence: description):
  sirene_unites_legales        ~0.7 GB  Licence Ouverte 2.0: SIRENE legal units (Parquet)
  sirene_etablissements          ~2 GB  Licence Ouverte 2.0: SIRENE establishments (Parquet)
  sirene_unites_legales_csv    ~0.5 GB  Licence Ouverte 2.0: SIRENE legal units, zipped CSV
  sirene_etablissements_csv      ~2 GB  Licence Ouverte 2.0: SIRENE establishments, zipped CSV
  unemployment                   ~2 MB  Licence Ouverte 2.0: INSEE localised unemployment rates
  urssaf_communes              ~300 MB  ODbL 1.0: URSSAF salaried jobs by commune x APE

Set IMPACT_MIRROR_URL (or --mirror) to download from a mirror."""


@app.command("fetch", help=_FETCH_HELP)
def fetch_command(
    source: Annotated[str, typer.Argument(help="Source name (see the list above).")],
    cache_dir: Annotated[str | None, typer.Option("--cache-dir", help="Cache folder (default: $IMPACT_CACHE_DIR or the user cache).")] = None,
    mirror: Annotated[str | None, typer.Option("--mirror", help="Base URL of a mirror holding the same file names.")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Hide the progress bar.")] = False,
) -> None:
    from impact.errors import ImpactError
    from impact.sources.fetch import fetch

    try:
        path = fetch(source, cache_dir=cache_dir, base_url=mirror, progressbar=not no_progress)
    except ImpactError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(str(path))



if __name__ == "__main__":  # pragma: no cover
    app()
