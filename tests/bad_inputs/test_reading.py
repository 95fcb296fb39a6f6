"""Class 5: every file the readers open goes through the robust path: encoding and separator
detection, shifted columns refused, a named error with file and line."""

from __future__ import annotations

import codecs
import zipfile

import pytest
from _corpus import expect_error

from impact.errors import InputError
from impact.sources import insee_creations, population, spending, urssaf
from impact.sources._common import read_csv_table

HEADER = "territory_code,level,year,programme,euros,source,notes\n"
GOOD = "01,departement,2016,dla,1000,rapport CDC,\n"


def test_cp1252_file_is_read(tmp_path):
    # Odd but legitimate: Excel's "CSV (séparateur: point-virgule)" in Windows-1252.
    p = tmp_path / "s.csv"
    p.write_bytes((HEADER + "01,departement,2016,dla,1000,rapport CDC,créé à Évian – 2016\n")
                  .encode("cp1252"))
    s = spending.read(p)
    assert s["notes"].iloc[0] == "créé à Évian – 2016"


def test_utf8_bom_and_semicolons_with_french_numbers_are_read(tmp_path):
    p = tmp_path / "s.csv"
    p.write_bytes(codecs.BOM_UTF8 + (HEADER.replace(",", ";") +
                                     "01;departement;2016;dla;1 234,5;rapport;\n").encode())
    assert spending.read(p)["euros"].tolist() == [1234.5]


@pytest.mark.parametrize(("rows", "line", "value"), [
    (["01,departement,2016,dla,1,5,rapport CDC,"], 2, "dla,1,5,rapport CDC"),  # first data row (the issue)
    ([GOOD, "02,departement,2016,dla,2,5,rapport CDC,"], 3, "dla,2,5,rapport CDC"),
    (["01,departement,2016,dla,1000,CDC, rapport 2016,note"], 2, "CDC, rapport 2016,note"),
])
def test_unquoted_separator_shifts_no_column(tmp_path, rows, line, value):
    p = tmp_path / "s.csv"
    p.write_text(HEADER + "".join(r if r.endswith("\n") else r + "\n" for r in rows), encoding="utf-8")
    expect_error(lambda: spending.read(p), InputError, str(p), f"line {line}", "has 8 fields",
                 "header (line 1) has 7", value, "quote it", folder=tmp_path)


def test_unquoted_separator_in_an_urssaf_label(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("Code commune;APE;Effectifs salariés 2016\n74010;47.11B;12\n"
                 "74011;Commerce; détail;3\n", encoding="utf-8")
    expect_error(lambda: urssaf.read(p), InputError, str(p), "line 3", "Commerce; détail;3",
                 "has 4 fields", folder=tmp_path)


def test_unquoted_separator_in_a_population_file(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_text("CODGEO,PMUN2016\n74010,52 000\n01053,41,5\n", encoding="utf-8")
    expect_error(lambda: population.population("commune", path=p), InputError, str(p), "line 3",
                 "01053,41,5", folder=tmp_path)


def test_every_row_with_one_trailing_separator_is_legitimate(tmp_path, caplog):
    # Odd but legitimate: data rows (not the header) all end with a separator.
    p = tmp_path / "s.csv"
    p.write_text(HEADER + "01,departement,2016,dla,1000,rapport CDC,n,\n"
                 "02,departement,2016,dla,7,rapport CDC,,\n", encoding="utf-8")
    s = spending.read(p)
    assert s["euros"].tolist() == [1000.0, 7.0] and s["source"].tolist() == ["rapport CDC"] * 2


def test_quoted_separator_is_fine(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(HEADER + '01,departement,2016,dla,"1,5",rapport CDC,"a, b"\n', encoding="utf-8")
    s = spending.read(p)
    assert s["euros"].tolist() == [1.5] and s["notes"].tolist() == ["a, b"]


def test_encoding_changing_after_the_first_megabyte(tmp_path):
    p = tmp_path / "s.csv"
    body = GOOD * 30_000                       # ~1.1 MB of UTF-8
    p.write_bytes(HEADER.encode() + body.encode() + "03,departement,2016,dla,1,Évian,\n".encode("cp1252"))
    expect_error(lambda: spending.read(p), InputError, str(p), "line 30002", "mixes encodings",
                 folder=tmp_path)


@pytest.mark.parametrize(("content", "fragment"), [
    (codecs.BOM_UTF16_LE + HEADER.encode("utf-16-le"), "UTF-16"),
    (b"", "empty (0 bytes)"),
    (HEADER.encode(), "no data rows"),
    (b"\n\n\n", "no text lines"),
    (b"PK\x03\x04\x00\x00binary", "zip archive"),
    (b"territory_code level year\n01 departement 2016\n", "separator"),
])
def test_unreadable_spending_files_name_the_file(tmp_path, content, fragment):
    p = tmp_path / "s.csv"
    p.write_bytes(content)
    expect_error(lambda: spending.read(p), InputError, str(p), fragment, folder=tmp_path)


def test_missing_file(tmp_path):
    expect_error(lambda: spending.read(tmp_path / "nope.csv"), InputError, "nope.csv", "file not found",
                 folder=tmp_path)


def test_missing_columns_listed(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("territory_code;level;year;euros\n01;departement;2016;5\n", encoding="utf-8")
    expect_error(lambda: spending.read(p), InputError, str(p), "'programme'", "columns found",
                 folder=tmp_path)


def test_insee_series_mixed_encoding_names_the_line(tmp_path):
    p = tmp_path / "valeurs_mensuelles.csv"
    head = ('"Libellé";"Créations d\'entreprises - Total - Ain - Série brute";"Codes"\n'
            '"idBank";"1";""\n"Dernière mise à jour";"x";""\n"Période";"";""\n')
    rows = '"2016-07";"12";"A"\n' * 70_000
    p.write_bytes(head.encode() + rows.encode() + '"2016-06";"Évian";"A"\n'.encode("cp1252"))
    expect_error(lambda: insee_creations.read(p), InputError, str(p), "line 70005", "mixes encodings",
                 folder=tmp_path)


def test_insee_series_utf16(tmp_path):
    p = tmp_path / "valeurs_mensuelles.csv"
    p.write_bytes(codecs.BOM_UTF16_LE + '"Libellé";"x"\n'.encode("utf-16-le"))
    expect_error(lambda: insee_creations.read(p), InputError, str(p), "UTF-16", folder=tmp_path)


def test_zip_without_csv(tmp_path):
    p = tmp_path / "s.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt.md", "hello")
    expect_error(lambda: read_csv_table(p), InputError, str(p), "no .csv file", folder=tmp_path)


def test_reading_records_the_file_for_provenance(tmp_path):
    from impact._io import inputs_read

    p = tmp_path / "s.csv"
    p.write_text(HEADER + GOOD, encoding="utf-8")
    spending.read(p)
    assert str(p.resolve()) in inputs_read()


def test_sirene_csv_not_utf8_is_named(tmp_path):
    from pathlib import Path

    from impact.sources import sirene

    data = Path(__file__).resolve().parents[1] / "data" / "sources"
    p = tmp_path / "ul.csv"
    text = (data / "StockUniteLegale_sample.csv").read_text(encoding="utf-8")
    p.write_bytes(text.replace("DUPONT", "DUPONT-ÉVIAN").encode("cp1252"))
    expect_error(lambda: sirene.creations(p, data / "StockEtablissement_sample.csv"), InputError,
                 str(p), "not UTF-8", "download it again", folder=tmp_path)


def test_sirene_csv_with_semicolons_is_read(tmp_path):
    # Odd but legitimate: a SIRENE extract re-saved with ';' gives the same counts.
    from pathlib import Path

    from impact.sources import sirene

    data = Path(__file__).resolve().parents[1] / "data" / "sources"
    ul, et = data / "StockUniteLegale_sample.csv", data / "StockEtablissement_sample.csv"
    import csv
    import io

    def semi(src, dst):
        rows = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
        out = io.StringIO()
        csv.writer(out, delimiter=";").writerows(rows)
        dst.write_text(out.getvalue(), encoding="utf-8")
        return dst

    a = sirene.creations(ul, et, freq="year")
    b = sirene.creations(semi(ul, tmp_path / "ul.csv"), semi(et, tmp_path / "et.csv"), freq="year")
    key = ["territory_code", "period", "indicator"]
    assert a.sort_values(key)["value"].tolist() == b.sort_values(key)["value"].tolist()
