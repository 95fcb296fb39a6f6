"""The ``impact`` command line.

Each command is a thin wrapper around a library function, so everything the
CLI does can also be done from a notebook. Run ``impact --help`` for the list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

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


# Every command's docstring has "\f" before its Examples: Click ends --help there, so the
# doctests (kept for the docs site) are not printed in the terminal.
@app.callback()
def main(
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Territorial impact analysis for French public policy.

    \f
    Examples
    --------
    >>> from typer.testing import CliRunner
    >>> CliRunner().invoke(app, ["--version"]).output.startswith("impact ")
    True
    """
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
  side_creations_communes       ~44 MB  Licence Ouverte 2.0: INSEE SIDE creations by commune (zipped)
  side_stocks_communes          ~22 MB  Licence Ouverte 2.0: INSEE SIDE legal-unit stocks by commune (zipped)
  populations_reference          ~1 MB  Licence Ouverte 2.0: INSEE reference populations by commune (zipped)

The three INSEE Melodi sources fetch the newest vintage listed in the Melodi
catalogue (or --product), resume an interrupted download, and record the SHA-256.
Set IMPACT_MIRROR_URL (or --mirror) to download from a mirror."""  # noqa: E501 (a table of sources)


def _help_text(command: str) -> str:
    """The ``--help`` text of a command, as plain text (without running the app's callback)."""
    import contextlib
    import io

    import click

    group = typer.main.get_command(app)
    cmd = group.commands[command]  # type: ignore[attr-defined]
    buffer = io.StringIO()
    # Typer prints its (rich) help rather than returning it.
    with contextlib.redirect_stdout(buffer):
        text = cmd.get_help(click.Context(cmd, info_name=command))
    return " ".join(((text or "") + buffer.getvalue()).split())


@app.command("fetch", help=_FETCH_HELP)
def fetch_command(
    source: Annotated[str, typer.Argument(help="Source name (see the list above).")],
    cache_dir: Annotated[
        str | None,
        typer.Option(
            "--cache-dir", help="Cache folder (default: $IMPACT_CACHE_DIR or the user cache)."
        ),
    ] = None,
    mirror: Annotated[
        str | None,
        typer.Option("--mirror", help="Base URL of a mirror holding the same file names."),
    ] = None,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="Hide the progress bar.")
    ] = False,
    product: Annotated[
        str | None,
        typer.Option(
            "--product",
            help="Melodi sources: this product (vintage), e.g. DS_SIDE_CREA_ENT_COM_2024_CSV_FR, "
            "instead of the newest in the catalogue.",
        ),
    ] = None,
) -> None:
    """Download one public source into the cache (help text: ``_FETCH_HELP``).

    \f
    Examples
    --------
    The help a newcomer reads (``impact fetch --help``):

    >>> "sirene_unites_legales" in _help_text("fetch")
    True
    """
    from impact.errors import ImpactError
    from impact.sources.fetch import fetch

    try:
        path = fetch(
            source,
            cache_dir=cache_dir,
            base_url=mirror,
            progressbar=not no_progress,
            product=product,
        )
    except ImpactError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(str(path))


# --- demonstration data and panel -----------------------------------------------------------


def _check_output(folder: Path, what: str, command: str) -> None:
    """Refuse an output folder that cannot be written, before any computation."""
    from impact._io import check_writable
    from impact.errors import ImpactError

    try:
        check_writable(folder, what=what)
    except ImpactError as exc:
        typer.echo(f"impact {command}: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("demo")
def demo_command(
    seed: Annotated[
        int, typer.Option(help="Seed of every random draw: the same seed gives the same files.")
    ] = 2014,
    scale: Annotated[
        float,
        typer.Option(
            help="Share of the national creation volumes to draw: 1.0 = realistic "
            "volumes (~7 M firms, ~10 s); 0.1 = a tenth (counts and rates "
            "are then a tenth of the real ones)."
        ),
    ] = 1.0,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the files (default: data/processed/demo/seed<seed>-scale<scale>)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Regenerate even if the files already exist.")
    ] = False,
) -> None:
    """Generate the offline DEMONSTRATION data (not real data).

    Writes, for every real commune, a SIRENE stock in INSEE's official layout
    (StockUniteLegale and StockEtablissement as Parquet), an URSSAF-shaped CSV of
    salaried jobs and an INSEE-shaped unemployment workbook, with a known injected
    effect: TPE creations per inhabitant +8 % in the label year of the départements
    hosting a PTCE, rising to +15 % three years later. 'impact build' then reads
    them through the same readers as the real files. Everything made from them is
    labelled "Données de démonstration".

    \f
    Examples
    --------
    The help a newcomer reads (``impact demo --help``):

    >>> '--seed' in _help_text("demo")
    True
    """
    from impact.demo import DEMO_EFFECT, generate
    from impact.errors import ImpactError

    if out is not None:
        _check_output(out, "output folder (--out)", "demo")
    try:
        files = generate(out, seed=seed, scale=scale, force=force)
    except ImpactError as exc:
        typer.echo(f"impact demo: {exc}", err=True)
        raise typer.Exit(2) from exc
    m = files.read_manifest()
    typer.echo(f"Demonstration data (not real) in {files.folder}")
    for p in files:
        typer.echo(f"  {p.name}")
    typer.echo(
        f"{m['legal_units']:,} legal units, scale {scale:g}; PTCE from the {m['treated_from']}; "
        f"{len(m['treated_departements'])} treated départements"
    )
    typer.echo(f"Injected effect: {DEMO_EFFECT['description']}")


@app.command("build")
def build_command(
    source: Annotated[
        str,
        typer.Option(
            help="'insee' (real INSEE data shipped with the project: "
            "départements and régions, 2012-2021), 'demo' (offline "
            "demonstration data, every level, generated if needed) or "
            "'real' (downloaded files)."
        ),
    ] = "insee",
    level: Annotated[
        str,
        typer.Option(help="Territory level of the panel: commune, epci, departement or region."),
    ] = "departement",
    freq: Annotated[
        str,
        typer.Option(
            help="Panel frequency: year, quarter or month (quarter/month read "
            "SIRENE by month: slower)."
        ),
    ] = "year",
    raw_dir: Annotated[
        Path | None,
        typer.Option(
            "--raw-dir",
            help="Folder holding the input files. real: "
            "StockUniteLegale*/StockEtablissement* (.parquet or .zip), "
            "*urssaf*.csv, *chomage*.xlsx (default: data/real, data/raw and "
            "the 'impact fetch' cache). demo: a folder made by "
            "'impact demo --out'.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: data/processed).")
    ] = None,
    spending: Annotated[
        Path | None,
        typer.Option(
            help="Your spending table (CSV: territory_code, level, "
            "year, programme, euros, source; see "
            "docs/data_dictionary.md). Default: data/raw/spending.csv "
            "for real data."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the demonstration data.")] = 2014,
    scale: Annotated[
        float, typer.Option(help="Scale of the demonstration data (see 'impact demo --help').")
    ] = 1.0,
    uncertain: Annotated[
        str | None,
        typer.Option(
            help="Territories that may hold a treated place known "
            "only more coarsely (a PTCE the registry places by "
            "région, a --treatment row with a coarser precision): "
            "'exclude' them from the panel or 'keep' them "
            "(default: exclude on real data, keep on the "
            "demonstration)."
        ),
    ] = None,
    treatment: Annotated[
        Path | None,
        typer.Option(
            help="Study another programme: a CSV with one row "
            "per treated territory, columns territory_code "
            "(COG code: commune, EPCI, département or région), "
            "first_treated (first year of treatment; 0 or empty = "
            "never) and intensity (any amount >= 0, summed when "
            "communes are grouped), plus an optional precision "
            "column (the level of each code). Default: the PTCE "
            "registry (data/raw/ptce.csv). See "
            "docs/guide/second_programme.md."
        ),
    ] = None,
    data_kind: Annotated[
        str | None,
        typer.Option(
            "--data-kind",
            help="'real' or 'demo': recorded in "
            "the panel so that reports say which data they show "
            "(default: 'demo' for --source demo, else 'real').",
        ),
    ] = None,
) -> None:
    """Build the long table and the estimation panel, and write them as Parquet.

    Reads every available source, says which were used, and writes
    <out>/long.parquet (one row per territory x period x indicator) and
    <out>/panel_<level>_<freq>.parquet (one row per territory x period: creations as
    counts and per 10,000 inhabitants, PTCE treatment, spending, covariates; see
    docs/data_dictionary.md). Both files are written together or not at all. Exits
    with status 2 and a message listing what was looked for when no source is found.

    \f
    Examples
    --------
    The help a newcomer reads (``impact build --help``):

    >>> '--treatment' in _help_text("build")
    True
    """
    import time

    from impact.errors import ImpactError
    from impact.panel import DATA_SOURCES, build_long, build_panel, output_paths, write_outputs

    if source not in DATA_SOURCES:
        typer.echo(
            f"impact build: --source must be one of {', '.join(map(repr, DATA_SOURCES))}, "
            f"not {source!r}",
            err=True,
        )
        raise typer.Exit(2)
    from impact.schema import FREQS, PANEL_LEVELS

    # Options are checked before the sources are read (minutes on the national files).
    for name, value, allowed in (("--level", level, PANEL_LEVELS), ("--freq", freq, tuple(FREQS))):
        if value not in allowed:
            typer.echo(
                f"impact build: {name} must be one of {', '.join(allowed)}, not {value!r}", err=True
            )
            raise typer.Exit(2)
    from impact.panel.estimation import DataKind, PanelFreq, PanelLevel, UncertainRule
    from impact.panel.treatment_table import read_treatment, treatment_at_level

    kind = data_kind or ("demo" if source == "demo" else "real")
    options: list[tuple[str, str | None, tuple[str, ...]]] = [
        ("--data-kind", kind, ("real", "demo")),
        ("--uncertain", uncertain, ("exclude", "keep")),
    ]
    for option, given, admitted in options:
        if given is not None and given not in admitted:
            shown = ", ".join(repr(a) for a in admitted)
            typer.echo(f"impact build: {option} must be one of {shown}, not {given!r}", err=True)
            raise typer.Exit(2)
    # Checked above: the strings are the Literal options of build_panel.
    level_ = cast(PanelLevel, level)
    freq_ = cast(PanelFreq, freq)
    kind_ = cast(DataKind, kind)
    uncertain_ = cast(UncertainRule | None, uncertain)
    table = None
    if treatment is not None:
        # A treatment table is small: validate it before reading every source.
        try:
            table = read_treatment(treatment)
            treatment_at_level(table, level_, uncertain=uncertain_ or "exclude")  # codes known?
        except ImpactError as exc:
            typer.echo(f"impact build: --treatment: {exc}", err=True)
            raise typer.Exit(2) from exc
    if spending is not None and not spending.is_file():
        typer.echo(
            f"impact build: --spending {spending}: spending table not found; give the path "
            "of your CSV (see docs/data_dictionary.md)",
            err=True,
        )
        raise typer.Exit(2)
    if spending is not None:
        # A user's table is small: validate it now rather than after reading every source.
        from impact.sources import spending as spending_source

        try:
            spending_source.read(spending)
        except ImpactError as exc:
            typer.echo(f"impact build: {exc}", err=True)
            raise typer.Exit(2) from exc
    _check_output(output_paths(level, freq, out)["long"].parent, "output folder (--out)", "build")
    t0 = time.perf_counter()
    try:
        long = build_long(
            source,
            seed=seed,
            scale=scale,
            raw_dir=raw_dir,
            freq="year" if freq == "year" else "month",
        )
        panel = build_panel(
            long,
            level=level_,
            freq=freq_,
            spending_path=spending,
            uncertain=uncertain_,
            treatment=table,
            data_kind=kind_,
        )
        paths = write_outputs(long, panel, out)
    except ImpactError as exc:
        typer.echo(f"impact build: {exc}", err=True)
        raise typer.Exit(2) from exc
    label = " (DEMONSTRATION data, not real)" if kind == "demo" else " (real data)"
    typer.echo(f"Data: {source} — {DATA_SOURCES[source]}")
    typer.echo(f"Sources used: {', '.join(long.attrs.get('sources', []))}{label}")
    for f in long.attrs.get("files", []):
        typer.echo(f"  {f}")
    typer.echo(f"Long table: {len(long):,} rows -> {paths['long']}")
    typer.echo(
        f"Panel: {panel['territory_code'].nunique():,} territories x {panel['period'].nunique()} "
        f"periods ({panel['period'].iloc[0]}-{panel['period'].iloc[-1]}) -> {paths['panel']}"
    )
    info = panel.attrs.get("treatment", {})
    origin = {
        "ptce_registry": "PTCE registry",
        "ptce_demo": "demonstration PTCE",
        "spending": "spending table",
    }.get(info.get("origin"), f"table {treatment}")
    typer.echo(
        f"Treatment: {origin} ({len(info.get('treated', []))} treated territories"
        + (f", digest {info['digest']}" if info.get("origin") == "table" else "")
        + ")"
    )
    if info.get("treated_after_end"):
        typer.echo(
            f"First treated after the panel's last year (untreated within it): "
            f"{', '.join(info['treated_after_end'][:12])}"
        )
    if info.get("always_treated"):
        typer.echo(
            f"Treated from the panel's first year (no untreated period): "
            f"{', '.join(info['always_treated'][:12])}"
        )
    if panel.attrs.get("not_covered"):
        typer.echo(f"Not covered by the source: {', '.join(panel.attrs['not_covered'][:12])}")
    if panel.attrs.get("excluded_uncertain"):
        typer.echo(
            f"Left out as uncertain (may hold a treated place known only more coarsely; "
            f"--uncertain keep keeps them): {', '.join(panel.attrs['excluded_uncertain'])}"
        )
    if panel.attrs.get("dropped"):
        typer.echo(f"Left out (no population): {', '.join(panel.attrs['dropped'][:10])}")
    typer.echo(f"Done in {time.perf_counter() - t0:.1f} s")


# --- reports ---------------------------------------------------------------------------------


@app.command("report", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def report_command(
    ctx: typer.Context,
    grid: Annotated[
        Path | None,
        typer.Option(help="YAML or TOML grid file (keys: parameters, runs, notebooks)."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            help="Runs in parallel local processes (default: 2, "
            "or 1 on a single-core machine; each takes up to "
            "about 1.5 GB)."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of an existing Dask scheduler, e.g. tcp://host:8786."),
    ] = None,
    output_dir: Annotated[Path, typer.Option(help="Where run folders and index.html go.")] = Path(
        "reports"
    ),
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Redo runs whose notebook, parameters and inputs are unchanged."
        ),
    ] = False,
    kernel: Annotated[str, typer.Option(help="Jupyter kernel name.")] = "python3",
) -> None:
    """Run the notebooks with papermill and write an HTML report.

    Usage: impact report [NOTEBOOK ...] [-p NAME VALUE ...] [options]. Without NOTEBOOK, runs
    notebooks/0*.ipynb; with nothing at all, the default report: the three notebooks on the real
    INSEE data (départements, 2012-2021), then on the demonstration data (source=demo).
    Parameters as with papermill: -p NAME VALUE (repeat a name to make a grid, e.g.
    -p level departement -p level region). Each run gets a folder reports/<run>/ with the executed
    notebook, report.html (no code), the figures as PNG, the interactive map and provenance.json.
    Open reports/index.html to see every run. Exits non-zero if any run failed.

    \f
    Examples
    --------
    The help a newcomer reads (``impact report --help``):

    >>> '-p NAME VALUE' in _help_text("report")
    True
    """
    from impact.config import project_root
    from impact.errors import ImpactError
    from impact.reports.grid import from_options, load_grid
    from impact.reports.runner import run_reports

    if jobs is None:
        import os

        # Two runs at once use both cores of a laptop; more would only compete for them.
        jobs = min(2, os.cpu_count() or 1)
    if jobs < 1:
        typer.echo(f"impact report: --jobs must be 1 or more, not {jobs}", err=True)
        raise typer.Exit(2)
    extra = list(ctx.args)
    pairs, notebooks = [], []
    while extra:
        tok = extra.pop(0)
        if tok in ("-p", "--parameters"):
            if len(extra) < 2:
                typer.echo(
                    "impact report: -p needs a NAME and a VALUE, e.g. -p level region", err=True
                )
                raise typer.Exit(2)
            pairs.append((extra.pop(0), extra.pop(0)))
        elif tok.startswith("-"):
            typer.echo(f"impact report: unknown option {tok!r}; see impact report --help", err=True)
            raise typer.Exit(2)
        else:
            notebooks.append(Path(tok))
    try:
        sets, grid_nbs = load_grid(grid) if grid else ([{}], [])
        if pairs:
            cli_sets = from_options(pairs)
            sets = [{**s, **c} for s in sets for c in cli_sets] if sets != [{}] else cli_sets
        nbs = (
            list(notebooks or [])
            or [Path(p) for p in grid_nbs]
            or sorted((project_root() / "notebooks").glob("0*.ipynb"))
        )
        # Without notebooks, parameters or grid: the default report. The real analysis first (the
        # notebooks' defaults: INSEE data by département), then the demonstration runs.
        if not (notebooks or pairs or grid):
            sets = [{}, {"source": "demo"}]
        results = run_reports(
            nbs,
            sets,
            output_dir=output_dir,
            jobs=jobs,
            scheduler=scheduler,
            force=force,
            kernel_name=kernel,
        )
    except ImpactError as exc:
        typer.echo(f"impact report: {exc}", err=True)
        raise typer.Exit(2) from exc
    for r in results:
        typer.echo(
            f"{r.status:>8}  {r.duration:6.1f} s  {r.run_id}" + (f"  {r.error}" if r.error else "")
        )
        if r.kept_previous:
            typer.echo(
                f"          the previous successful run is kept; this failure is in {r.folder}"
            )
    typer.echo(f"Report index: {(output_dir / 'index.html').resolve()}")
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()
