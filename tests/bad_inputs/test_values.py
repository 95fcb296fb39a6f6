"""Class 2: values that cannot be right are refused by every reader with file, line, column, value."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from _corpus import expect_error

from impact.errors import InvalidValueError
from impact.sources import insee_creations, population, spending, unemployment, urssaf

SPENDING_HEADER = "territory_code,level,year,programme,euros,source\n"


def spending_file(tmp_path, *amounts: str):
    p = tmp_path / "spending.csv"
    rows = "".join(f"0{i + 1},departement,2016,dla,{a},rapport CDC\n" for i, a in enumerate(amounts))
    p.write_text(SPENDING_HEADER + rows, encoding="utf-8")
    return p


@pytest.mark.parametrize(("amounts", "line", "value", "what"), [
    (["1000", "inf"], 3, "'inf'", "not a finite number"),
    (["-inf"], 2, "'-inf'", "not a finite number"),
    (["Infinity"], 2, "'Infinity'", "not a finite number"),
    (["1e400"], 2, "'1e400'", "not a finite number"),
    (["1e308", "1e308"], 2, "'1e308'", "is too large"),        # the example: twice 1e308
    (["5", "-5"], 3, "'-5'", "is negative"),
    (['"-1 234,5"'], 2, "'-1 234,5'", "is negative"),
    (["2e11"], 2, "'2e11'", "is too large"),
    (["120000000000"], 2, "'120000000000'", "is too large"),
])
def test_spending_impossible_amounts(tmp_path, amounts, line, value, what):
    p = spending_file(tmp_path, *amounts)
    expect_error(lambda: spending.read(p), InvalidValueError, str(p), f"line {line}",
                 "column 'euros'", value, what, folder=tmp_path)


def test_spending_nan_text_is_unknown_and_reported(tmp_path):
    # Odd but legitimate: 'nan' / 'nd' is an unknown amount, kept with status missing.
    p = spending_file(tmp_path, "nan", "nd", "1 500")
    s = spending.read(p)
    assert s["status"].tolist() == ["missing", "missing", "observed"]
    assert s["euros"].iloc[2] == 1500 and s["euros"].iloc[:2].isna().all()


URSSAF_HEADER = "Code commune;Intitulé commune;Effectifs salariés 2015;Effectifs salariés 2016\n"


@pytest.mark.parametrize(("cell", "value", "what"), [
    ("inf", "'inf'", "not a finite number"),
    ("-3", "'-3'", "is negative"),
    ("1e308", "'1e308'", "is too large"),
    ("1e999", "'1e999'", "not a finite number"),
    ("-1 200", "'-1 200'", "is negative"),
])
def test_urssaf_impossible_jobs(tmp_path, cell, value, what):
    p = tmp_path / "urssaf.csv"
    p.write_text(URSSAF_HEADER + "74010;Annecy;12;13\n74011;Annecy-le-Vieux;4;" + cell + "\n",
                 encoding="utf-8")
    expect_error(lambda: urssaf.read(p), InvalidValueError, str(p), "line 3",
                 "column 'Effectifs salariés 2016'", value, what, folder=tmp_path)


@pytest.mark.parametrize(("cell", "value", "what"), [
    ("-5", "'-5'", "is negative"),
    ("inf", "'inf'", "not a finite number"),
    ("2e8", "'2e8'", "is too large"),
])
def test_population_impossible_values(tmp_path, cell, value, what):
    p = tmp_path / "pop.csv"
    p.write_text("CODGEO;PMUN2016;PMUN2017\n74010;52000;53000\n01053;41000;" + cell + "\n",
                 encoding="utf-8")
    expect_error(lambda: population.population("commune", path=p), InvalidValueError, str(p),
                 "line 3", "column 'PMUN2017'", value, what, folder=tmp_path)


def workbook(path, cells):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Département"
    ws["A1"] = "Taux de chômage localisés par département"
    for j, h in enumerate(["Code", "Libellé", "T1_2016", "T2_2016"], start=1):
        ws.cell(3, j, h)
    for i, row in enumerate([("01", "Ain", 6.8, 6.7), ("74", "Haute-Savoie", *cells)], start=4):
        for j, v in enumerate(row, start=1):
            ws.cell(i, j, v)
    wb.save(path)
    return path


@pytest.mark.parametrize(("cells", "column", "value", "what"), [
    ((7.0, 105), "T2_2016", "105", "is too large"),
    ((-1, 6.0), "T1_2016", "-1", "is negative"),
    ((7.0, "inf"), "T2_2016", "inf", "not a finite number"),
    ((100.5, 6.0), "T1_2016", "100.5", "is too large"),
    ((7.0, "1e400"), "T2_2016", "1e400", "not a finite number"),
])
def test_unemployment_rate_outside_0_100(tmp_path, cells, column, value, what):
    p = workbook(tmp_path / "chomage.xlsx", cells)
    expect_error(lambda: unemployment.read(p), InvalidValueError, str(p), "sheet Département",
                 "line 5", f"column '{column}'", value, what, folder=tmp_path)


def test_unemployment_bounds_0_and_100_are_legitimate(tmp_path):
    df = unemployment.read(workbook(tmp_path / "chomage.xlsx", (0, 100)))
    hs = df[df.territory_code == "74"].set_index("period")["value"]
    assert hs["2016Q1"] == 0 and hs["2016Q2"] == 100


def bdm(tmp_path, value, code="A"):
    p = tmp_path / "valeurs_mensuelles.csv"
    p.write_text('"Libellé";"Créations d\'entreprises - Total - Ain - Série brute";"Codes"\n'
                 '"idBank";"010756101";""\n"Dernière mise à jour";"14/08/2025 12:00";""\n'
                 '"Période";"";""\n"2016-08";"' + value + '";"' + code + '"\n"2016-07";"1 154";"A"\n',
                 encoding="utf-8")
    return p


@pytest.mark.parametrize(("cell", "what"), [
    ("-12", "is negative"), ("inf", "not a finite number"), ("1e308", "is too large"),
    ("-0,5", "is negative"),
])
def test_insee_creations_impossible_counts(tmp_path, cell, what):
    p = bdm(tmp_path, cell)
    expect_error(lambda: insee_creations.read(p), InvalidValueError, str(p), "line 5",
                 "Ain", repr(cell), what, folder=tmp_path)


def test_insee_creations_secret_and_missing_markers_are_legitimate(tmp_path):
    df = insee_creations.read(bdm(tmp_path, "s", code=""))
    row = df.set_index("period").loc["2016-08"]
    assert np.isnan(row["value"]) and row["status"] == "secret"


def test_trailing_separators_are_dropped_and_reported(tmp_path, caplog):
    # Odd but legitimate: Excel adds a separator at the end of every line.
    p = tmp_path / "spending.csv"
    p.write_text(SPENDING_HEADER.replace("\n", ",\n") + "01,departement,2016,dla,1000,x,\n",
                 encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        s = spending.read(p)
    assert s["euros"].tolist() == [1000.0]
    assert "trailing separators" in caplog.text


def test_no_reader_can_return_an_infinite_value():
    import pandas as pd

    from impact.sources._common import make_long

    df = pd.DataFrame({"territory_code": ["84"], "level": ["region"], "cog_year": [2025],
                       "period": ["2016"], "indicator": ["salaried_jobs"], "value": [np.inf],
                       "status": ["observed"], "source": ["urssaf"]})
    expect_error(lambda: make_long(df), InvalidValueError, "infinite value", "salaried_jobs", "84")
