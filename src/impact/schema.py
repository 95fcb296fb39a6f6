"""Schemas of the two tables the library produces, and the data dictionary made from them.

The **long table** (:func:`long_schema`) holds every observation of every
source, one row per territory × period × indicator × source, in the canonical
format of :mod:`impact.sources._common`. The **estimation panel**
(:func:`panel_schema`) has one row per territory × period at one level, with
outcomes, treatment and covariates as columns.

Both are :mod:`pandera` schemas. :func:`validate` runs one and turns pandera's
report into an :class:`~impact.errors.InputError` that names the column, the
check and a few offending rows. :func:`data_dictionary` renders the schemas
as Markdown; ``docs/data_dictionary.md`` is its output (a test checks that the
committed file is up to date: regenerate it with
``python -c "import impact.schema as s; s.write_data_dictionary()"``).

Checks that would be slow on millions of rows (code formats, period syntax)
are evaluated on the distinct values and mapped back, so validating the
national long table takes about a second.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from impact._data_dictionary import data_dictionary, write_data_dictionary
from impact._schema_checks import (
    _NON_EMPTY,
    _PERIOD_RE,
    _STRING,
    CODE_FORMATS,
    _balanced,
    _code_format_check,
    _in,
    _matches,
    _observed_has_value,
    _on_unique,
    _treated_consistent,
    pa,
)
from impact._schema_validation import validate
from impact.sources._common import LEVELS, LONG_KEYS, STATUS_VALUES

__all__ = [
    "CODE_FORMATS",
    "FREQS",
    "PANEL_LEVELS",
    "RATE_INDICATORS",
    "SPENDING_LEVELS",
    "data_dictionary",
    "long_schema",
    "panel_schema",
    "spending_schema",
    "validate",
    "validate_long",
    "validate_panel",
    "validate_spending",
    "write_data_dictionary",
]

#: Levels of the estimation panel.
PANEL_LEVELS: tuple[str, ...] = ("commune", "epci", "departement", "region")
#: Panel frequencies and the syntax of their ``period``.
FREQS: dict[str, str] = {
    "year": r"^\d{4}$",
    "quarter": r"^\d{4}Q[1-4]$",
    "month": r"^\d{4}-(0[1-9]|1[0-2])$",
}
#: Indicators of the long table that are rates or shares (may be any sign-free number);
#: every other indicator is a count or a level and must be >= 0.
RATE_INDICATORS: tuple[str, ...] = ("unemployment_rate",)


def _counts_non_negative(df: pd.DataFrame) -> pd.Series:
    """Long table: counts and levels are >= 0 (rates are exempt, NaN is allowed)."""
    is_rate = _on_unique(df["indicator"], lambda v: v in RATE_INDICATORS).to_numpy()
    v = df["value"].to_numpy(dtype=float)
    return pd.Series(is_rate | np.isnan(v) | (v >= 0), index=df.index)


# --------------------------------------------------------------------------- long table


def long_schema() -> pa.DataFrameSchema:
    """Schema of the canonical long table (:data:`impact.sources._common.LONG_COLUMNS`).

    Examples
    --------
    >>> schema = long_schema()
    >>> list(schema.columns)
    ['territory_code', 'level', 'cog_year', 'period', 'indicator', 'value', 'status', 'source']
    >>> schema.unique
    ['territory_code', 'level', 'period', 'indicator', 'source']
    """
    return pa.DataFrameSchema(
        {
            "territory_code": pa.Column(
                None,
                [_STRING, _NON_EMPTY],
                nullable=False,
                description='Official territory code, zero-padded text ("01001", "2A", "84", '
                '"200066793", "FR"); its syntax depends on `level`.',
                metadata={
                    "allowed": "commune `\\d{5}` or `2[AB]\\d{3}`; EPCI 9 digits; département "
                    "01–95, 2A, 2B, 971–976; région 2 digits; zone d'emploi 4 digits; "
                    "`FR`"
                },
            ),
            "level": pa.Column(
                None,
                [_STRING, _in(LEVELS)],
                nullable=False,
                description="Territory level of the code.",
                metadata={"allowed": ", ".join(f"`{v}`" for v in LEVELS)},
            ),
            "cog_year": pa.Column(
                "int64",
                pa.Check.in_range(1943, 2100),
                description="Vintage of the territory codes (Code officiel "
                "géographique); 2025 once harmonised.",
                metadata={"allowed": "1943–2100"},
            ),
            "period": pa.Column(
                None,
                [_STRING, _matches(_PERIOD_RE, "a period")],
                nullable=False,
                description="Year `2016`, quarter `2016Q3` or month `2016-07`.",
                metadata={"allowed": "`YYYY`, `YYYYQn`, `YYYY-MM`"},
            ),
            "indicator": pa.Column(
                None,
                [_STRING, _NON_EMPTY],
                nullable=False,
                description="What is measured: `creations_total`, `creations_tpe`, "
                "`creations_ess`, `creations_legal_<group>`, "
                "`creations_naf_<section>`, `salaried_jobs`, "
                "`unemployment_rate` (percent), `population`.",
                metadata={"allowed": "any non-empty text"},
            ),
            "value": pa.Column(
                "float64",
                nullable=True,
                description="The number; NaN when not published (see `status`). "
                "Counts and levels are >= 0.",
                metadata={"allowed": ">= 0 except rates (`unemployment_rate`)"},
            ),
            "status": pa.Column(
                None,
                [_STRING, _in(STATUS_VALUES)],
                nullable=False,
                description="`observed` (published number), `secret` (statistical "
                "secrecy), `missing` (not published), `estimated` "
                "(provisional, partial sum or repeated reference year).",
                metadata={"allowed": ", ".join(f"`{v}`" for v in STATUS_VALUES)},
            ),
            "source": pa.Column(
                None,
                [_STRING, _NON_EMPTY],
                nullable=False,
                description="Source identifier (`insee_sirene`, `urssaf`, `insee_tcl`, "
                "`insee_population`); `demo-<source>` for demonstration "
                "data.",
                metadata={"allowed": "any non-empty text"},
            ),
        },
        checks=[
            _code_format_check(),
            pa.Check(
                _counts_non_negative,
                name="counts >= 0",
                error="negative value for a count indicator",
            ),
            pa.Check(
                _observed_has_value,
                name="observed rows have a value",
                error="status 'observed' but value is NaN",
            ),
        ],
        unique=list(LONG_KEYS),
        strict=True,
        ordered=True,
        name="long table",
        description="One row per territory × period × indicator × source (sparse: a "
        "commune-period absent from SIRENE counts had no creation).",
    )


# --------------------------------------------------------------------------- panel

#: Fixed panel columns: (name, dtype, nullable, checks, description, allowed).
_PANEL_COLUMNS: list[tuple] = [
    (
        "territory_code",
        None,
        False,
        [_STRING, _NON_EMPTY],
        "Code of the territory at `level` (see the long table).",
        "code syntax of `level`",
    ),
    ("name", None, True, [_STRING], "Name of the territory (COG 2025).", "text"),
    (
        "level",
        None,
        False,
        [_STRING, _in(PANEL_LEVELS)],
        "Level of every row of the panel.",
        ", ".join(f"`{v}`" for v in PANEL_LEVELS),
    ),
    (
        "region",
        None,
        True,
        [_STRING],
        "Code of the région the territory belongs to (an EPCI spanning two régions gets the région "
        "of most of its communes).",
        "2 digits",
    ),
    (
        "departement",
        None,
        True,
        [_STRING],
        "Code of the département (for communes and EPCI: of most of the communes; empty at région "
        "level).",
        "département code or empty",
    ),
    (
        "period",
        None,
        False,
        [_STRING, _matches(_PERIOD_RE, "a period")],
        "Period of the row, as in the long table.",
        "`YYYY`, `YYYYQn`, `YYYY-MM` (one syntax per panel)",
    ),
    (
        "year",
        "int64",
        False,
        [pa.Check.in_range(1900, 2100)],
        "Calendar year of the period.",
        "1900–2100",
    ),
    (
        "time",
        "int64",
        False,
        [],
        "Integer time index for estimators: the year for annual panels, "
        "`4 × year + quarter − 1` or `12 × year + month − 1` otherwise.",
        "integer",
    ),
    (
        "population",
        "float64",
        False,
        [pa.Check.gt(0)],
        "Population of the same year when the source publishes it: INSEE's estimate on 1 January "
        "of each year for the `insee` source (départements, summed to régions), so rates per "
        "10,000 inhabitants use the year's population. Otherwise (SIRENE, the demonstration) the "
        "population municipale of COG 2025 (the 2022 census) summed over the territory's communes, "
        "the same in every year. Territories without population (Mayotte) are not in the panel.",
        "> 0",
    ),
    (
        "salaried_jobs",
        "float64",
        True,
        [pa.Check.ge(0)],
        "Private salaried jobs at the end of the year (URSSAF), summed from the published level; "
        "NaN where the source has no figure at or below this level (communes and EPCI when only "
        "départements are published, Mayotte, secret values). Repeated in every sub-annual period.",
        ">= 0 or NaN",
    ),
    (
        "unemployment_rate",
        "float64",
        True,
        [pa.Check.in_range(0, 100)],
        "Localised unemployment rate in percent (INSEE). Annual panels: mean of the four quarters "
        "(the `insee` source ships these annual means, unrounded). "
        "Taken as published at the panel level when available (départements, régions); otherwise "
        "re-aggregated from département rates with population weights (EPCI: weighted by the "
        "population of the EPCI's communes in each département; communes: the rate of their "
        "département). Monthly panels repeat the quarter's rate.",
        "0–100 or NaN",
    ),
    (
        "tpe_stock_2014_per10k",
        "float64",
        True,
        [pa.Check.ge(0)],
        "Baseline covariate, the same in every period: establishments with 0 to 9 salaried "
        "employees (TPE) in 2014 (INSEE, establishments by commune and size band, 2014 geography "
        "harmonised to COG 2025) per 10,000 inhabitants of 2014 (the panel's population of 2014 "
        "when it covers that year, else the COG 2025 population).",
        ">= 0 or NaN",
    ),
    (
        "first_label_year",
        "int64",
        False,
        [
            pa.Check(
                lambda s: (s == 0) | s.between(2000, 2100),
                name="0 or a year",
                error="not 0 nor a year",
            )
        ],
        "Year of the first PTCE label of a PTCE located in the territory; **0 if never labelled** "
        "(the `group` convention of `impact.estimate.att_gt`).",
        "0 or a year (2014, 2016)",
    ),
    (
        "ptce_count",
        "int64",
        False,
        [pa.Check.ge(0)],
        "Number of labelled PTCE located in the territory (any call).",
        ">= 0",
    ),
    (
        "intensity",
        "float64",
        False,
        [pa.Check.ge(0)],
        "Treatment intensity of the territory from the treatment table (summed over the finer "
        "codes it holds): the number of PTCE lauréats for the PTCE registry, euros for the "
        "spending provider, the table's own unit for another programme; 0 if untreated.",
        ">= 0",
    ),
    (
        "treated",
        "int64",
        False,
        [pa.Check.isin([0, 1])],
        "1 from the first label year on (`year >= first_label_year > 0`), else 0.",
        "0, 1",
    ),
    (
        "spending_eur",
        "float64",
        False,
        [pa.Check.ge(0)],
        "Public spending attributed to the territory in the year (euros): the spending table's "
        "rows at this level or finer; otherwise (national envelopes only, or demonstration "
        "data) each PTCE's grant in its label year, the published one or an even share of "
        "what is left of its call's envelope. Repeated in every sub-annual period of the year.",
        ">= 0",
    ),
    (
        "spending_per_inhabitant",
        "float64",
        False,
        [pa.Check.ge(0)],
        "`spending_eur / population` (euros per inhabitant).",
        ">= 0",
    ),
]


def panel_schema(outcomes: Iterable[str] | None = None) -> pa.DataFrameSchema:
    """Schema of the estimation panel.

    Parameters
    ----------
    outcomes
        Count outcomes of the panel (default: any column named ``creations_*``);
        each has a ``<outcome>_per10k`` rate column.

    Examples
    --------
    >>> schema = panel_schema(["creations_tpe"])
    >>> [c for c in schema.columns if c.startswith("creations")]
    ['creations_tpe', 'creations_tpe_per10k']
    >>> [check.name for check in schema.checks]
    ['territory_code matches its level', 'balanced', 'treated = year >= first_label_year > 0']
    """
    cols: dict[str, pa.Column] = {}
    for name, dtype, nullable, checks, desc, allowed in _PANEL_COLUMNS:
        cols[name] = pa.Column(
            dtype, checks, nullable=nullable, description=desc, metadata={"allowed": allowed}
        )
    count_desc = (
        "Count of enterprise creations (legal units by head-office commune, SIRENE) in "
        "the territory and period: `creations_total`, `creations_tpe` (size band NN, 00–03), "
        "`creations_ess`, `creations_legal_<group>`, `creations_naf_<section>`. A territory "
        "with no creation has 0."
    )
    rate_desc = (
        "The count per 10,000 inhabitants, `10000 × count / population`, re-derived from "
        "the aggregated count and population (never an average of communal rates)."
    )
    # Counts from a published table (INSEE) are NaN where a part is secret or not published;
    # counts made from the SIRENE stock are never NaN (no row means no creation).
    allowed = ">= 0; NaN where the published table has a secret or missing part"
    if outcomes is None:
        cols[r"^creations_(?!.*_per10k$).+$"] = pa.Column(
            "float64",
            pa.Check.ge(0),
            nullable=True,
            regex=True,
            description=count_desc,
            metadata={"allowed": allowed, "display": "creations_*"},
        )
        cols[r"^creations_.+_per10k$"] = pa.Column(
            "float64",
            pa.Check.ge(0),
            nullable=True,
            regex=True,
            description=rate_desc,
            metadata={"allowed": allowed, "display": "creations_*_per10k"},
        )
    else:
        for o in outcomes:
            cols[o] = pa.Column(
                "float64", pa.Check.ge(0), nullable=True, description=count_desc,
                metadata={"allowed": allowed}
            )
            cols[f"{o}_per10k"] = pa.Column(
                "float64", pa.Check.ge(0), nullable=True, description=rate_desc,
                metadata={"allowed": allowed}
            )
    return pa.DataFrameSchema(
        cols,
        checks=[
            _code_format_check(),
            pa.Check(
                _balanced,
                name="balanced",
                error="the panel is not balanced (some territory lacks some period)",
            ),
            pa.Check(
                _treated_consistent,
                name="treated = year >= first_label_year > 0",
                error="treated does not follow first_label_year",
            ),
        ],
        unique=["territory_code", "period"],
        strict=False,
        name="estimation panel",
        description="One row per territory × period at one level; balanced.",
    )


#: Levels a spending row may be given at (France: national envelopes).
SPENDING_LEVELS: tuple[str, ...] = ("commune", "epci", "departement", "region", "france")


def spending_schema() -> pa.DataFrameSchema:
    """Schema of the spending table (``data/raw/spending.csv`` as read by
    :func:`impact.sources.spending.read`).

    Examples
    --------
    >>> list(spending_schema().columns)
    ['territory_code', 'level', 'year', 'programme', 'euros', 'source', 'status', 'notes']
    """
    cols = {
        "territory_code": pa.Column(
            None,
            [_STRING, _NON_EMPTY],
            description="Official code at `level` (`FR` for France), zero-padded; former "
            "communes re-coded to their current commune (COG 2025).",
            metadata={"allowed": "code of the level"},
        ),
        "level": pa.Column(
            None,
            [_STRING, _in(SPENDING_LEVELS)],
            description="Level of the code. Rows finer than the panel are summed up to it; "
            "`france` rows are national envelopes, reported but never spread over territories.",
            metadata={"allowed": ", ".join(SPENDING_LEVELS)},
        ),
        "year": pa.Column(
            "int64",
            pa.Check.in_range(1990, 2100),
            description="Calendar year the money is attributed to.",
            metadata={"allowed": "1990–2100"},
        ),
        "programme": pa.Column(
            None,
            [_STRING, _NON_EMPTY],
            description="Programme of the convention, free text: the shipped table uses "
            "`ptce_call_2013`, `ptce_call_2015`, `convention_total`; e.g. `dla`, "
            "`innovation_sociale`, `cooperatives` for your own rows.",
            metadata={"allowed": "non-empty text"},
        ),
        "euros": pa.Column(
            "float64",
            pa.Check.ge(0),
            nullable=True,
            description="Amount in euros (NaN when suppressed or not published: see `status`).",
            metadata={"allowed": ">= 0"},
        ),
        "source": pa.Column(
            None,
            [_STRING, _NON_EMPTY],
            description="Where the figure was published (URL or reference).",
            metadata={"allowed": "non-empty text"},
        ),
        "status": pa.Column(
            None,
            [_STRING, _in(STATUS_VALUES)],
            description="`observed`, or `secret`/`missing` when the file says `s`/`nd`/blank.",
            metadata={"allowed": ", ".join(STATUS_VALUES)},
        ),
        "notes": pa.Column(
            None,
            _STRING,
            description="Anything a reader should know (optional in the file).",
            metadata={"allowed": "text"},
        ),
    }
    return pa.DataFrameSchema(
        cols, checks=[_code_format_check()], strict=True, ordered=True, name="spending table",
        description="One row per territory × year × programme, in euros. Give your own table "
        "in this layout (a CSV with these columns but `status`, which is derived) with "
        "`build_panel(spending_path=...)`.")


def validate_long(df: pd.DataFrame) -> pd.DataFrame:
    """Validate a long table (see :func:`long_schema`).

    Examples
    --------
    The long table of the shipped INSEE files is valid; a count below zero is not:

    >>> from impact.sources import side
    >>> long = side.read()
    >>> validate_long(long).shape
    (11520, 8)
    >>> validate_long(long.assign(value=-long["value"]))  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.InputError: long table is invalid:
      - the table fails 'negative value for a count indicator'; ... row(s),
      e.g. [{'territory_code': '01', 'level': 'departement', 'period': '2012', ...}, ...]
    """
    return validate(df, long_schema())


def validate_panel(df: pd.DataFrame, outcomes: Iterable[str] | None = None) -> pd.DataFrame:
    """Validate an estimation panel (see :func:`panel_schema`).

    Examples
    --------
    >>> years = [2013, 2014]
    >>> panel = pd.DataFrame({
    ...     "territory_code": ["29", "29", "35", "35"], "name": "", "level": "departement",
    ...     "region": "53", "departement": ["29", "29", "35", "35"], "period": ["2013", "2014"] * 2,
    ...     "year": years * 2, "time": years * 2, "population": 1e6, "salaried_jobs": 3e5,
    ...     "unemployment_rate": 7.5, "tpe_stock_2014_per10k": 550.0,
    ...     "first_label_year": [2014, 2014, 0, 0], "ptce_count": [1, 1, 0, 0],
    ...     "intensity": [1.0, 1.0, 0.0, 0.0],
    ...     "treated": [0, 1, 0, 0], "spending_eur": 0.0, "spending_per_inhabitant": 0.0,
    ...     "creations_tpe": [500.0, 560.0, 600.0, 610.0]})
    >>> panel["creations_tpe_per10k"] = 1e4 * panel["creations_tpe"] / panel["population"]
    >>> validate_panel(panel, ["creations_tpe"]).shape
    (4, 20)
    >>> validate_panel(panel.assign(treated=1), ["creations_tpe"])
    ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.InputError: estimation panel is invalid:
      - the table fails 'treated does not follow first_label_year'; 3 row(s),
      e.g. [{'territory_code': '29', 'level': 'departement', 'period': '2013'}, ...]
    """
    return validate(df, panel_schema(outcomes))


def validate_spending(df: pd.DataFrame) -> pd.DataFrame:
    """Validate a spending table (see :func:`spending_schema`).

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "territory_code": ["FR", "29"], "level": ["france", "departement"],
    ...     "year": [2014, 2014], "programme": "ptce_call_2013", "euros": [3e6, -1.0],
    ...     "source": "convention", "status": "observed", "notes": ""})
    >>> validate_spending(table)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    impact.errors.InputError: spending table is invalid:
      - column 'euros' fails 'greater_than_or_equal_to(0)'; 1 row(s),
      e.g. [{'territory_code': '29', ...}]
    >>> len(validate_spending(table.assign(euros=[3e6, 1e5])))
    2
    """
    return validate(df, spending_schema())

