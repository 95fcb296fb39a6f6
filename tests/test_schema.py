"""Schemas of the long table and the panel; the generated data dictionary."""

from __future__ import annotations

import pandas as pd
import pytest

from impact import schema
from impact.config import project_root
from impact.errors import InputError


def _long(**changes) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "territory_code": ["74010", "74", "84", "200066793"],
            "level": ["commune", "departement", "region", "epci"],
            "cog_year": [2025] * 4,
            "period": ["2016", "2016Q3", "2016-07", "2016"],
            "indicator": ["creations_tpe", "unemployment_rate", "salaried_jobs", "creations_total"],
            "value": [3.0, 7.1, 1200.0, 12.0],
            "status": ["observed"] * 4,
            "source": ["insee_sirene", "insee_tcl", "urssaf", "insee_sirene"],
        }
    )
    for col, (i, v) in changes.items():
        df.loc[i, col] = v
    return df


def _panel() -> pd.DataFrame:
    rows = []
    for code, g in (("01", 0), ("74", 2014)):
        for y in (2013, 2014):
            rows.append(
                {
                    "territory_code": code,
                    "name": code,
                    "level": "departement",
                    "region": "84",
                    "departement": code,
                    "period": str(y),
                    "year": y,
                    "time": y,
                    "population": 1000.0,
                    "creations_tpe": 5.0,
                    "creations_tpe_per10k": 50.0,
                    "salaried_jobs": 300.0,
                    "unemployment_rate": 7.0,
                    "tpe_stock_2014_per10k": 550.0,
                    "first_label_year": g,
                    "ptce_count": int(g > 0),
                    "intensity": float(g > 0),
                    "treated": int(g > 0 and y >= g),
                    "spending_eur": 0.0,
                    "spending_per_inhabitant": 0.0,
                }
            )
    return pd.DataFrame(rows)


def test_valid_tables_pass_also_as_categoricals():
    assert schema.validate_long(_long()) is not None
    cat = _long().astype(
        {
            c: "category"
            for c in ("territory_code", "level", "period", "indicator", "status", "source")
        }
    )
    schema.validate_long(cat)
    schema.validate_panel(_panel(), ["creations_tpe"])
    schema.validate_panel(_panel())  # outcomes found by name


@pytest.mark.parametrize(
    "change, words",
    [
        ({"level": (0, "canton")}, ["'level'", "canton"]),
        ({"territory_code": (0, "7401")}, ["territory_code", "7401"]),
        ({"territory_code": (1, "99")}, ["territory_code", "'99'"]),
        ({"status": (2, "guess")}, ["'status'", "guess"]),
        ({"period": (0, "16")}, ["'period'", "'16'"]),
        ({"value": (2, -5.0)}, ["negative value for a count indicator", "salaried_jobs"]),
        ({"value": (0, float("nan"))}, ["'observed' but value is NaN", "74010"]),
    ],
)
def test_long_errors_name_column_and_rows(change, words):
    with pytest.raises(InputError) as err:
        schema.validate_long(_long(**change))
    msg = str(err.value)
    assert msg.startswith("long table is invalid")
    for w in words:
        assert w in msg, (w, msg)


def test_long_rates_may_be_any_number_but_keys_unique():
    schema.validate_long(_long(value=(1, -0.5)))  # a rate is not a count
    dup = pd.concat([_long(), _long().iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="territory_code"):
        schema.validate_long(dup)
    with pytest.raises(InputError, match="extra"):
        schema.validate_long(_long().assign(extra=1))


def test_panel_errors():
    p = _panel()
    with pytest.raises(InputError, match="balanced"):
        schema.validate_panel(p.iloc[:3])
    bad = p.copy()
    bad.loc[3, "treated"] = 0
    with pytest.raises(InputError, match="treated"):
        schema.validate_panel(bad)
    bad = p.copy()
    bad.loc[0, "first_label_year"] = 1999
    bad.loc[1, "first_label_year"] = 1999
    with pytest.raises(InputError, match="first_label_year"):
        schema.validate_panel(bad)
    bad = p.copy()
    bad.loc[2, "creations_tpe_per10k"] = -1.0
    with pytest.raises(InputError, match="creations_tpe_per10k"):
        schema.validate_panel(bad)
    with pytest.raises(InputError, match="population"):
        schema.validate_panel(p.drop(columns="population"))


def test_data_dictionary_is_generated_and_committed_file_is_current():
    text = schema.data_dictionary()
    for col in (
        "territory_code",
        "first_label_year",
        "creations_*_per10k",
        "unemployment_rate",
        "spending_per_inhabitant",
        "status",
    ):
        assert f"`{col}`" in text
    assert "observed" in text and "population weights" in text
    committed = (project_root() / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert committed == text, (
        "docs/data_dictionary.md is out of date: run "
        'python -c "import impact.schema as s; s.write_data_dictionary()"'
    )


def test_names_of_the_former_single_module_are_still_importable():
    # The module was split by concept (checks, validation, data dictionary); callers and
    # `python -c "import impact.schema as s; s.write_data_dictionary()"` keep working.
    former = {
        "CODE_FORMATS", "FREQS", "PANEL_LEVELS", "RATE_INDICATORS", "SPENDING_LEVELS",
        "data_dictionary", "long_schema", "panel_schema", "spending_schema", "validate",
        "validate_long", "validate_panel", "validate_spending", "write_data_dictionary",
    }
    assert former <= set(schema.__all__)
    assert all(callable(getattr(schema, n)) or n.isupper() for n in former)
