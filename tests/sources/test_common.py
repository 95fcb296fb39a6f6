"""Robust reading: encodings, separators, French numbers, markers, periods, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError
from impact.sources import _common as c


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_detects_encoding_and_separator(tmp_path, encoding, sep):
    text = sep.join(["Code", "Libellé", "2016"]) + "\n" + sep.join(["01", "Ain", "12"]) + "\n"
    df = c.read_csv_table(write(tmp_path, "f.csv", text, encoding))
    assert list(df.columns[:3]) == ["Code", "Libellé", "2016"]
    assert df.attrs["sep"] == sep
    assert df.loc[0, "Libellé"] == "Ain"


def test_utf16_file_is_a_clear_error(tmp_path):
    p = write(tmp_path, "u16.csv", "Code;Valeur\n01;3\n", "utf-16")
    with pytest.raises(InputError, match=r"u16\.csv.*UTF-16"):
        c.read_csv_table(p)


def test_undetectable_separator_names_file(tmp_path):
    p = write(tmp_path, "pipe.csv", "Code Libellé 2016\n01 Ain 12\n")
    with pytest.raises(InputError, match=r"pipe\.csv.*separator"):
        c.read_csv_table(p)


def test_wrong_forced_separator_error_lists_columns(tmp_path):
    p = write(tmp_path, "semi.csv", "Code;Valeur\n01;3\n")
    with pytest.raises(InputError) as err:
        c.read_csv_table(p, sep=",", required=["Code"])
    msg = str(err.value)
    assert "semi.csv" in msg and "'Code;Valeur'" in msg and "separator" in msg


def test_missing_column_named_and_found_listed(tmp_path):
    p = write(tmp_path, "f.csv", "Code;Libelle\n01;Ain\n")
    with pytest.raises(InputError) as err:
        c.read_csv_table(p, required=["Code", "Valeur"])
    assert "['Valeur']" in str(err.value) and "'Libelle'" in str(err.value)
    assert err.value.column == "Valeur"


def test_empty_and_header_only_files(tmp_path):
    with pytest.raises(InputError, match="empty"):
        c.read_csv_table(write(tmp_path, "e.csv", ""))
    with pytest.raises(InputError, match="no data rows"):
        c.read_csv_table(write(tmp_path, "h.csv", "Code;Valeur\n"))


def test_line_numbers_count_title_rows_and_blank_lines(tmp_path):
    text = "Titre du tableau\n\nCode;Valeur\n01;3\n\n02;x\n"
    p = write(tmp_path, "t.csv", text)
    df = c.read_csv_table(p, find_header=["code", "valeur"])
    assert df.attrs["header_line"] == 3
    assert df["_line"].tolist() == [4, 6]
    with pytest.raises(InputError) as err:
        c.parse_numbers(df["Valeur"], path=p, column="Valeur", lines=df["_line"])
    assert err.value.line == 6 and "'x'" in str(err.value) and "t.csv" in str(err.value)


@pytest.mark.parametrize("text, expected", [
    ("1 234,5", 1234.5), ("1\u00a0234,5", 1234.5), ("1\u202f234", 1234.0), ("1.234,5", 1234.5),
    ("1.234.567", 1234567.0), ("1,234.5", 1234.5), ("12,5 %", 12.5), ("-3", -3.0), ("1.5", 1.5),
])
def test_french_numbers(text, expected):
    assert c.parse_number(text) == pytest.approx(expected)


def test_markers_map_to_status():
    values = pd.Series(["12", "s", "secret", "-", "\u2014", "nd", "n.d.", "ND", "", "1 000"])
    v, s = c.parse_numbers(values)
    assert s.tolist() == ["observed", "secret", "secret", "secret", "secret", "missing",
                          "missing", "missing", "missing", "observed"]
    assert np.isnan(v[1:9]).all() and v[9] == 1000


def test_duplicates_exact_dropped_conflicting_raise(tmp_path):
    p = write(tmp_path, "d.csv", "Code;Valeur\n01;3\n01;3\n02;4\n")
    df = c.read_csv_table(p)
    out = c.report_duplicates(df, ["Code"], path=p, value_cols=["Valeur"])
    assert len(out) == 2 and out.attrs["duplicates_dropped"] == 1
    p2 = write(tmp_path, "d2.csv", "Code;Valeur\n01;3\n01;5\n")
    with pytest.raises(InputError, match=r"lines \[2, 3\]"):
        c.report_duplicates(c.read_csv_table(p2), ["Code"], path=p2, value_cols=["Valeur"])


@pytest.mark.parametrize("label, period", [
    ("2016", "2016"), ("T3 2016", "2016Q3"), ("2016-T3", "2016Q3"), ("2016T3", "2016Q3"),
    ("2016Q3", "2016Q3"), ("T3_2016", "2016Q3"), ("juil. 2016", "2016-07"),
    ("2016-07", "2016-07"), ("07/2016", "2016-07"), ("Effectifs salariés 2016", "2016"),
    ("3e trimestre 2016", "2016Q3"), ("janvier 2015", "2015-01"),
])
def test_periods(label, period):
    assert c.find_period(label) == period


def test_melt_wide_parses_periods_and_statuses(tmp_path):
    p = write(tmp_path, "w.csv", "Code;T1_2016;T2_2016\n01;7,5;s\n")
    long = c.melt_wide(c.read_csv_table(p), ["Code"], path=p)
    assert long["period"].tolist() == ["2016Q1", "2016Q2"]
    assert long["status"].tolist() == ["observed", "secret"]
    assert long["value"].iloc[0] == 7.5


def test_truncated_parquet_and_zip(tmp_path):
    import zipfile

    pq_path = tmp_path / "x.parquet"
    pd.DataFrame({"a": range(100)}).to_parquet(pq_path)
    pq_path.write_bytes(pq_path.read_bytes()[:-20])
    with pytest.raises(InputError, match=r"x\.parquet.*truncated"):
        c.check_parquet(pq_path)
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.csv", "Code;V\n" + "01;1\n" * 1000)
    z.write_bytes(z.read_bytes()[:50])
    with pytest.raises(InputError, match=r"x\.zip.*corrupt or truncated"):
        c.check_zip(z)


def _long(**over):
    d = dict(territory_code=["01"], level=["departement"], cog_year=[2025], period=["2016"],
             indicator=["x"], value=[1.0], status=["observed"], source=["t"])
    d.update(over)
    return c.make_long(pd.DataFrame(d))


def test_validate_long_accepts_and_rejects():
    ok = _long()
    assert c.validate_long(ok) is ok
    c.long_schema().validate(ok)
    for bad, match in [
        (_long(status=["guess"]), "status"),
        (_long(period=["2016-13"]), "period"),
        (_long(territory_code=["1"]), "departement code"),
        (_long(value=[np.nan]), "observed"),
        (pd.concat([ok, ok]), "duplicated"),
    ]:
        with pytest.raises(InputError, match=match):
            c.validate_long(bad)
