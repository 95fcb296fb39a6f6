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


if __name__ == "__main__":  # pragma: no cover
    app()
