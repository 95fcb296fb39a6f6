"""URSSAF wide CSV (Latin-1, ';', French numbers, secrets, old commune codes)."""

from __future__ import annotations

import pytest

from impact.errors import InputError
from impact.sources import urssaf
from impact.sources._common import validate_long

FILE = "urssaf_effectifs_commune_ape_latin1.csv"


def test_commune_level(data_dir):
    df = urssaf.read(data_dir / FILE)
    validate_long(df)
    s = df.set_index(["territory_code", "period"])
    # Annecy 2016: two APE rows + Annecy-le-Vieux (74011) merged; duplicated row dropped.
    assert s.loc[("74010", "2016"), "value"] == 1301 + 12 + 47
    assert s.loc[("74010", "2015"), "status"] == "secret"      # one sector is 's'
    assert s.loc[("01053", "2015"), "value"] == 2005            # code '1053', '2 005,0'
    assert s.loc[("2A004", "2016"), "status"] == "missing"      # 'nd'
    assert df.attrs["unknown_codes"] == {"99999": 2}
    assert df.attrs.get("unknown_codes") is not None


def test_partial_sum_and_departement_level(data_dir):
    df = urssaf.read(data_dir / FILE, partial="sum")
    row = df[(df.territory_code == "74010") & (df.period == "2015")].iloc[0]
    assert row["value"] == 1234 + 45 and row["status"] == "estimated"
    dep = urssaf.read(data_dir / FILE, level="departement")
    assert set(dep.level) == {"departement"} and "974" in set(dep.territory_code)


def test_errors(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("Code commune;Effectifs salariés 2016\n74010;douze\n", encoding="latin-1")
    with pytest.raises(InputError) as err:
        urssaf.read(p)
    assert err.value.line == 2 and "'douze'" in str(err.value)
    q = tmp_path / "v.csv"
    q.write_text("Commune;Effectifs salariés 2016\nAnnecy;12\n", encoding="latin-1")
    with pytest.raises(InputError, match="Code commune.*columns found"):
        urssaf.read(q)
    r = tmp_path / "w.csv"
    r.write_text("Code commune;Effectifs salariés 2016T3;Effectifs salariés 2016T4\n"
                 "74010;10;12\n74010;10;13\n", encoding="utf-8")
    with pytest.raises(InputError, match="same"):
        urssaf.read(r)


def test_quarterly_takes_q4(tmp_path):
    r = tmp_path / "q.csv"
    r.write_text("Code département;Effectifs salariés 2016T3;Effectifs salariés 2016T4\n"
                 "74;10;12\n", encoding="utf-8")
    df = urssaf.read(r)
    assert df["period"].tolist() == ["2016"] and df["value"].tolist() == [12]
