"""Class 3: SIRENE repeated rows are counted once and reported; unusable creation dates are
reported with their number and examples, never counted silently."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from impact.sources import sirene

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
UL, ET = DATA / "StockUniteLegale_sample.csv", DATA / "StockEtablissement_sample.csv"


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def total(df) -> float:
    return float(df.loc[df["indicator"] == "creations_total", "value"].sum())


@pytest.fixture(scope="module")
def base():
    return sirene.creations(UL, ET, freq="year")


def test_repeated_legal_units_counted_once_and_reported(tmp_path, base, caplog):
    ul = lines(UL)
    dup = write(tmp_path / "ul.csv", ul + ul[1:6])          # five units listed twice
    with caplog.at_level(logging.WARNING):
        got = sirene.creations(dup, ET, freq="year")
    assert total(got) == total(base)
    assert got.attrs["n_units"] == base.attrs["n_units"]
    assert got.attrs["duplicates"]["legal_units"] == 5
    assert "counted once" in caplog.text and "5 extra row(s) of legal units" in caplog.text
    # Every indicator, not only the total, is unchanged.
    key = ["territory_code", "period", "indicator"]
    assert got.sort_values(key)["value"].tolist() == base.sort_values(key)["value"].tolist()


def test_every_unit_listed_twice_gives_the_same_counts(tmp_path, base):
    ul = lines(UL)
    got = sirene.creations(write(tmp_path / "ul.csv", ul + ul[1:]), ET, freq="year")
    assert total(got) == total(base)
    assert got.attrs["duplicates"]["legal_units"] == len(ul) - 1


def test_repeated_head_office_rows_counted_once_and_reported(tmp_path, base):
    et = lines(ET)
    got = sirene.creations(UL, write(tmp_path / "et.csv", et + et[1:4] + et[1:2]), freq="year")
    assert total(got) == total(base)
    assert got.attrs["duplicates"]["establishments"] >= 3


def with_dates(tmp_path, replacements: dict[str, str]) -> Path:
    rows = lines(UL)
    header = rows[0].split(",")
    col = header.index("dateCreationUniteLegale")
    out = [rows[0]]
    for r in rows[1:]:
        cells = r.split(",")
        cells[col] = replacements.get(cells[col], cells[col])
        out.append(",".join(cells))
    return write(tmp_path / "ul_dates.csv", out)


def test_unparseable_dates_reported_with_number_and_examples(tmp_path, base, caplog):
    # The example: 17/03/2015 and 2016-13-45 were neither counted nor reported.
    p = with_dates(tmp_path, {"2016-07-04": "17/03/2015", "2016-07-19": "2016-13-45"})
    with caplog.at_level(logging.WARNING):
        got = sirene.creations(p, ET, freq="year")
    d = got.attrs["dates"]
    assert d["unparseable"] == 2 and d["examples"] == ["17/03/2015", "2016-13-45"]
    assert total(got) == total(base) - 2
    assert "17/03/2015" in caplog.text and "2 legal unit(s)" in caplog.text


def test_dates_outside_1800_2100_reported(tmp_path, base):
    got = sirene.creations(with_dates(tmp_path, {"2016-07-04": "1700-01-01"}), ET, freq="year")
    assert got.attrs["dates"]["out_of_range"] == 1
    assert got.attrs["dates"]["examples"] == ["1700-01-01"]
    assert total(got) == total(base) - 1


def test_empty_dates_counted_in_the_report(tmp_path, base):
    got = sirene.creations(with_dates(tmp_path, {"2016-07-04": ""}), ET, freq="year")
    assert got.attrs["dates"]["empty"] == base.attrs["dates"]["empty"] + 1
    assert got.attrs["dates"]["unparseable"] == 0


def test_report_written_next_to_out(tmp_path):
    ul = lines(UL)
    p = write(tmp_path / "ul.csv", ul + ul[1:3])
    out = sirene.creations(p, ET, freq="year", out=tmp_path / "creations.parquet")
    report = json.loads(Path(str(out) + ".unplaced.json").read_text())
    assert report["duplicates"]["legal_units"] == 2 and "dates" in report
