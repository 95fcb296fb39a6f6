"""normalize_code on the forms codes take in real files."""

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError, UnknownCodeError
from impact.territories import normalize_code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1001, "01001"),  # Excel dropped the leading zero
        ("1001", "01001"),
        (1001.0, "01001"),  # read as float
        ("1001.0", "01001"),
        (" 74010 ", "74010"),
        ("2A004", "2A004"),  # Ajaccio
        ("2a004", "2A004"),
        (20004, "2A004"),  # pre-1976 Corsican code
        ("20033", "2B033"),  # Bastia
        ("97411", "97411"),  # Saint-Denis (La Réunion)
        ("97601", "97601"),  # Mayotte
        ("75056", "75056"),
        ("75101", "75101"),  # arrondissement kept by default
    ],
)
def test_commune_forms(raw, expected):
    assert normalize_code([raw], "commune").tolist() == [expected]


def test_arrondissements_to_commune():
    out = normalize_code(["75101", "75120", "69381", "13216", "74010"], "commune",
                         arrondissements="commune")
    assert out.tolist() == ["75056", "75056", "69123", "13055", "74010"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1, "01"), ("1", "01"), (1.0, "01"), ("2a", "2A"), ("2B", "2B"), (971, "971"),
     ("976", "976"), (" 75 ", "75")],
)
def test_departement_forms(raw, expected):
    assert normalize_code([raw], "departement").tolist() == [expected]


def test_region_and_epci():
    assert normalize_code([1, 84, "94"], "region").tolist() == ["01", "84", "94"]
    # SIREN of an EPCI stored as an integer keeps its 9 digits.
    assert normalize_code([200000172], "epci").tolist() == ["200000172"]


def test_series_index_and_name_preserved():
    s = pd.Series([1001, 2001], index=["a", "b"], name="com")
    out = normalize_code(s, "commune")
    assert list(out.index) == ["a", "b"] and out.name == "com"
    assert str(out.dtype) == "string"


def test_mixed_file_raises_with_offending_values_listed():
    values = [1001, "2A004", "99999", "abc", None, "99999"]
    with pytest.raises(UnknownCodeError) as info:
        normalize_code(values, "commune")
    msg = str(info.value)
    assert "3 unknown commune code(s)" in msg
    assert "'99999' x2" in msg and "'abc'" in msg and "missing value" in msg
    assert set(info.value.codes) == {"99999", "abc", "<missing>"}


def test_flag_mode_reports_every_row():
    flags = normalize_code([1001, "99999", "2C004", np.nan], "commune", errors="flag")
    assert list(flags.columns) == ["input", "code", "valid", "reason"]
    assert flags["valid"].tolist() == [True, False, False, False]
    assert "not found" in flags.loc[1, "reason"]
    assert "valid commune code" in flags.loc[2, "reason"]
    assert flags.loc[3, "reason"] == "empty code"


def test_coerce_mode_sets_missing_and_warns(caplog):
    out = normalize_code(["01001", "xx"], "commune", errors="coerce")
    assert out.tolist()[0] == "01001" and pd.isna(out.iloc[1])
    assert "could not be placed" in caplog.text


def test_departement_20_is_ambiguous():
    flags = normalize_code(["20"], "departement", errors="flag")
    assert not flags["valid"].item()


def test_empty_input_gives_empty_series():
    out = normalize_code(pd.Series([], dtype=object), "commune")
    assert len(out) == 0 and str(out.dtype) == "string"


def test_unknown_level_is_a_clear_error():
    with pytest.raises(InputError, match="level must be .*, not 'canton'"):
        normalize_code(["01"], "canton")
