"""Localised unemployment workbook: header detection, sheets, provisional quarter, errors."""

from __future__ import annotations

import pytest

from impact.errors import InputError
from impact.sources import unemployment
from impact.sources._common import validate_long


def make_workbook(path, *, dep_header_row=6, broken=False):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Présentation"
    wb["Présentation"]["A1"] = "Taux de chômage localisés - données CVS, en %"
    quarters = ["T1_2016", "T2_2016", "T3_2016", "T4_2016 (p)"]
    dep = wb.create_sheet("Département")
    dep["A1"] = "Taux de chômage localisés par département"
    dep["A2"] = "Moyennes trimestrielles, données CVS, en %"
    for j, h in enumerate(["Code", "Libellé", *quarters], start=1):
        dep.cell(dep_header_row, j, None if broken and j == 1 else h)
    rows = [(1, "Ain", 6.8, 6.7, 6.6, 6.5), ("2A", "Corse-du-Sud", 9.9, "9,7", 9.5, 9.4),
            (974, "La Réunion", 22.6, 22.8, 22.3, 22.0), ("14", "Calvados", "nd", 8.9, 8.8, 8.7),
            ("99", "Inconnu", 1, 1, 1, 1)]
    for i, r in enumerate(rows, start=dep_header_row + 1):
        for j, v in enumerate(r, start=1):
            dep.cell(i, j, v)
    dep.cell(dep_header_row + len(rows) + 2, 1, "Source : Insee, taux de chômage localisés")
    reg = wb.create_sheet("Région")
    reg["A1"] = "Taux de chômage localisés par région"
    for j, h in enumerate(["Code", "Libellé", *quarters], start=1):
        reg.cell(4, j, h)
    for j, v in enumerate(["84", "Auvergne-Rhône-Alpes", 7.4, 7.3, 7.2, 7.1], start=1):
        reg.cell(5, j, v)
    wb.save(path)
    return path


def test_reads_sheets_detects_header(tmp_path):
    df = unemployment.read(make_workbook(tmp_path / "chomage-zone-t1-2016-t4-2016.xlsx"))
    validate_long(df)
    assert set(df.level) == {"departement", "region"}
    s = df.set_index(["territory_code", "period"])
    assert s.loc[("01", "2016Q1"), "value"] == 6.8
    assert s.loc[("2A", "2016Q2"), "value"] == 9.7
    assert s.loc[("974", "2016Q3"), "value"] == 22.3
    assert s.loc[("84", "2016Q4"), "status"] == "estimated"   # provisional quarter
    assert s.loc[("01", "2016Q3"), "status"] == "observed"
    assert s.loc[("14", "2016Q1"), "status"] == "missing"
    assert df.attrs["unknown_codes"] == {"departement:99": 4}


def test_header_moved_still_found(tmp_path):
    df = unemployment.read(make_workbook(tmp_path / "a.xlsx", dep_header_row=9))
    assert (df.territory_code == "01").sum() == 4


def test_layout_change_names_sheet(tmp_path):
    with pytest.raises(InputError) as err:
        unemployment.read(make_workbook(tmp_path / "b.xlsx", broken=True))
    msg = str(err.value)
    assert "b.xlsx" in msg and "'Département'" in msg and "Code" in msg and "T1_2003" in msg


def test_not_a_workbook(tmp_path):
    p = tmp_path / "c.xlsx"
    p.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputError, match=r"c\.xlsx"):
        unemployment.read(p)
