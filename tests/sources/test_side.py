"""The INSEE SIDE / population / unemployment reader, on the shipped files and bad copies of them.

Expected numbers come from outside the reader: the metropolitan totals quoted in
the data manifest (``../shared/data/real/MANIFEST.md``), and the shipped CSVs
parsed again here with the standard library ``csv`` module.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.errors import InputError, UnknownCodeError
from impact.sources import side
from impact.sources._common import validate_long

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "raw" / "insee" / "side_departements"

#: Metropolitan sums of total_firm_creations by year, as quoted in the data manifest.
MANIFEST_TOTALS = {
    "2012": 546_983, "2013": 547_531, "2014": 564_290, "2015": 546_880, "2016": 585_303,
    "2017": 638_167, "2018": 727_806, "2019": 841_902, "2020": 875_896, "2021": 1_019_601,
}
CREATIONS, POPULATION, UNEMPLOYMENT = (side.FILES[k] for k in
                                       ("creations", "population", "unemployment"))


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return side.read()


def _rows(name: str) -> list[dict[str, str]]:
    """A shipped file parsed by the standard library (independent of the reader)."""
    with open(SHIPPED / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in side.FILES.values():
        shutil.copyfile(SHIPPED / name, folder / name)
    return folder


def _set_cell(path: Path, line: int, column: str, text: str) -> str:
    """Replace one cell (1-based file line, header = line 1); return the old cell text."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = [c.strip('"') for c in lines[0].rstrip("\n").split(";")]
    cells = lines[line - 1].rstrip("\n").split(";")
    i = header.index(column)
    old, cells[i] = cells[i], text
    lines[line - 1] = ";".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return old


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    return long.pivot(index=["territory_code", "period"], columns="indicator", values="value")


# --------------------------------------------------------------------------- shipped files


def test_shipped_files_cover_96_departements_2012_2021(shipped):
    validate_long(shipped, name="side")
    assert shipped.attrs["checksum_verified"] is True
    assert set(shipped["level"]) == {"departement"} and set(shipped["cog_year"]) == {2025}
    assert set(shipped["status"]) == {"observed"} and shipped["value"].notna().all()
    expected = {
        "insee_side": {"creations_total", "creations_legal_individual", "creations_legal_sarl",
                       "creations_legal_sas", "creations_legal_other", "creations_companies",
                       "creations_naf_industry", "creations_naf_construction",
                       "creations_naf_trade", "creations_naf_services"},
        "insee_population": {"population"},
        "insee_tcl": {"unemployment_rate"},
    }
    assert {s: set(g["indicator"]) for s, g in shipped.groupby("source")} == expected
    for indicator, part in shipped.groupby("indicator"):
        assert len(part) == 960, indicator
        assert part["territory_code"].nunique() == 96
        assert sorted(part["period"].unique()) == [str(y) for y in range(2012, 2022)]
    codes = set(shipped["territory_code"])
    assert {"01", "2A", "2B", "95"} <= codes and not any(c.startswith("97") for c in codes)


def test_yearly_sums_equal_the_manifest_metropolitan_totals(shipped):
    wide = _wide(shipped).groupby(level="period").sum()
    assert wide["creations_total"].to_dict() == pytest.approx(MANIFEST_TOTALS)
    legal = wide[["creations_legal_individual", "creations_companies"]].sum(axis=1)
    sectors = wide[[c for c in wide.columns if c.startswith("creations_naf_")]].sum(axis=1)
    assert legal.to_dict() == pytest.approx(MANIFEST_TOTALS)
    assert sectors.to_dict() == pytest.approx(MANIFEST_TOTALS)


def test_companies_are_sarl_plus_sas_plus_other(shipped):
    wide = _wide(shipped)
    parts = wide[["creations_legal_sarl", "creations_legal_sas", "creations_legal_other"]]
    np.testing.assert_array_equal(wide["creations_companies"], parts.sum(axis=1))
    # And, from the raw file: companies are everything that is not an individual entrepreneur.
    raw = {(r["dep_code"], r["year"]):
           int(r["total_firm_creations"]) - int(r["creations_individual"])
           for r in _rows(CREATIONS)}
    got = wide["creations_companies"].to_dict()
    assert got == {k: float(v) for k, v in raw.items()}


def test_every_value_matches_the_raw_files(shipped):
    wide = _wide(shipped)
    for col, indicator in side.CREATION_INDICATORS.items():
        raw = {(r["dep_code"], r["year"]): float(r[col]) for r in _rows(CREATIONS)}
        assert wide[indicator].to_dict() == raw, col
    pop = {(r["dep_code"], r["year"]): float(r["pop_jan1"]) for r in _rows(POPULATION)}
    assert wide["population"].to_dict() == pop
    rate = {(r["dep_code"], r["year"]): float(r["unemployment_rate_raw"])
            for r in _rows(UNEMPLOYMENT)}
    assert wide["unemployment_rate"].to_dict() == rate
    # The population is the year's own (it changes from one year to the next).
    assert wide.loc[("01", "2012"), "population"] == 612_191
    assert wide.loc[("01", "2013"), "population"] == 619_497


def test_rounded_rate_is_the_raw_mean_to_one_decimal(shipped):
    rows = _rows(UNEMPLOYMENT)
    gaps = [abs(float(r["unemployment_rate"]) - float(r["unemployment_rate_raw"])) for r in rows]
    assert max(gaps) <= 0.05 + 1e-9
    assert shipped.attrs["files"]["unemployment"]["unemployment_column"] == "unemployment_rate_raw"
    assert shipped.attrs["files"]["unemployment"]["rounding_mismatches"] == []


def test_shipped_checksums_agree_with_sha256sums_file():
    listed = {}
    for ln in (SHIPPED / "SHA256SUMS").read_text().splitlines():
        digest, name = ln.split()
        listed[name] = digest
    for name, digest in side.SHIPPED_SHA256.items():
        assert listed[name] == digest
        assert hashlib.sha256((SHIPPED / name).read_bytes()).hexdigest() == digest
    assert hashlib.sha256((SHIPPED / "LICENSE").read_bytes()).hexdigest() == listed["LICENSE"]
    assert side.verify_checksums() == side.SHIPPED_SHA256


def test_shipped_files_are_the_staged_copies(shared_data):
    sums = shared_data / "real" / "SHA256SUMS"
    if not sums.is_file():
        pytest.skip(f"{sums} is absent")
    staged = {}
    for ln in sums.read_text().splitlines():
        digest, name = ln.split()
        if name.startswith("insee_side_departements/"):
            staged[name.split("/", 1)[1]] = digest
    for name, digest in side.SHIPPED_SHA256.items():
        assert staged[name] == digest
    assert staged["LICENSE"] == hashlib.sha256((SHIPPED / "LICENSE").read_bytes()).hexdigest()


def test_single_file_readers_and_shipped_files_helper():
    paths = side.shipped_files()
    assert set(paths) == {"creations", "population", "unemployment"}
    assert all(p.is_file() and p.parent == side.DEFAULT_FOLDER for p in paths.values())
    pop = side.read_population(paths["population"])
    assert pop.attrs["checksum_verified"] is True and len(pop) == 960
    assert set(pop["source"]) == {"insee_population"}


# --------------------------------------------------------------------------- checksums


def test_tampered_shipped_file_is_a_checksum_error(tmp_path, monkeypatch):
    folder = _copy(tmp_path)
    _set_cell(folder / CREATIONS, 2, "total_firm_creations", "4580")
    found = hashlib.sha256((folder / CREATIONS).read_bytes()).hexdigest()
    with pytest.raises(InputError) as exc:
        side.read(folder, verify=True)
    msg = str(exc.value)
    assert CREATIONS in msg and side.SHIPPED_SHA256[CREATIONS] in msg and found in msg
    assert "git checkout" in msg and "another folder" in msg
    # As the default folder, the check happens without being asked for.
    monkeypatch.setattr(side, "DEFAULT_FOLDER", folder)
    with pytest.raises(InputError, match=found):
        side.read()
    with pytest.raises(InputError, match=found):
        side.read_creations(folder / CREATIONS)


def test_modified_copy_elsewhere_is_read_without_checksum_and_reports_breakdowns(tmp_path, caplog):
    folder = _copy(tmp_path)
    _set_cell(folder / CREATIONS, 2, "total_firm_creations", "4580")   # 01, 2012: was 4579
    with caplog.at_level(logging.WARNING, logger="impact.sources.side"):
        long = side.read(folder)
    assert long.attrs["checksum_verified"] is False
    mism = long.attrs["files"]["creations"]["breakdown_mismatches"]
    assert {(m["breakdown"], m["line"], m["territory_code"], m["year"], m["total"], m["sum"])
            for m in mism} == {("legal form", 2, "01", "2012", 4580.0, 4579.0),
                               ("sector", 2, "01", "2012", 4580.0, 4579.0)}
    assert "does not add up" in caplog.text and "'line': 2" in caplog.text
    # The value is kept as written (not silently corrected).
    total = long.query("indicator == 'creations_total' and territory_code == '01' "
                       "and period == '2012'")["value"]
    assert total.tolist() == [4580.0]


def test_missing_shipped_file_is_named(tmp_path, monkeypatch):
    folder = _copy(tmp_path)
    (folder / POPULATION).unlink()
    monkeypatch.setattr(side, "DEFAULT_FOLDER", folder)
    with pytest.raises(InputError, match="population_insee.csv.*not found"):
        side.read()


# --------------------------------------------------------------------------- bad copies


def _drop_column(path: Path, column: str) -> None:
    rows = [ln.rstrip("\n").split(";") for ln in path.read_text().splitlines()]
    i = [c.strip('"') for c in rows[0]].index(column)
    path.write_text("".join(";".join(r[:i] + r[i + 1:]) + "\n" for r in rows))


BAD_CELLS = [
    # file, line, column, text, error type, fragments of the message
    (CREATIONS, 5, "creations_sarl", "douze", InputError,
     ["line 5", "'creations_sarl'", "'douze'", "not a number"]),
    (CREATIONS, 7, "creations_sas", "-3", InputError,
     ["line 7", "'creations_sas'", "'-3'", "negative"]),
    (CREATIONS, 9, "creations_sector_trade", "inf", InputError,
     ["line 9", "'creations_sector_trade'", "'inf'", "finite"]),
    (CREATIONS, 4, "creations_individual", "12.5", InputError,
     ["line 4", "'creations_individual'", "'12.5'", "whole number"]),
    (CREATIONS, 6, "dep_code", "99", UnknownCodeError,
     ["line 6", "'dep_code'", "'99'", "unknown departement"]),
    (CREATIONS, 3, "year", "20131", InputError, ["line 3", "'year'", "'20131'", "outside"]),
    (CREATIONS, 3, "year", "2013b", InputError, ["line 3", "'year'", "'2013b'", "not a year"]),
    (POPULATION, 8, "pop_jan1", "0", InputError, ["line 8", "'pop_jan1'", "'0'", "> 0"]),
    (UNEMPLOYMENT, 10, "unemployment_rate", "120", InputError,
     ["line 10", "'unemployment_rate'", "'120'", "between 0 and 100"]),
    (UNEMPLOYMENT, 11, "unemployment_rate_raw", "-0.5", InputError,
     ["line 11", "'unemployment_rate_raw'", "'-0.5'", "between 0 and 100"]),
]


@pytest.mark.parametrize("name, line, column, text, error, fragments", BAD_CELLS,
                         ids=[f"{c}={t}" for _, _, c, t, _, _ in BAD_CELLS])
def test_bad_cell_names_file_line_column_value(tmp_path, name, line, column, text, error,
                                               fragments):
    folder = _copy(tmp_path)
    _set_cell(folder / name, line, column, text)
    with pytest.raises(error) as exc:
        side.read(folder)
    msg = str(exc.value)
    assert str(folder / name) in msg
    for frag in fragments:
        assert frag in msg, (frag, msg)


def test_missing_column_lists_the_columns_found(tmp_path):
    folder = _copy(tmp_path)
    _drop_column(folder / CREATIONS, "creations_sas")
    with pytest.raises(InputError) as exc:
        side.read_creations(folder / CREATIONS)
    msg = str(exc.value)
    assert "['creations_sas'] not found" in msg and "columns found" in msg
    assert "creations_sarl" in msg and CREATIONS in msg


def test_conflicting_duplicate_row_is_an_error(tmp_path):
    folder = _copy(tmp_path)
    path = folder / POPULATION
    lines = path.read_text().splitlines(keepends=True)
    lines.append('"01";2012;612000\n')   # 01, 2012 is on line 2 with 612191
    path.write_text("".join(lines))
    with pytest.raises(InputError) as exc:
        side.read(folder)
    msg = str(exc.value)
    assert "same ['territory_code', 'period']" in msg and "lines [2, 962]" in msg


def test_duplicate_after_restoring_the_leading_zero_is_caught(tmp_path):
    folder = _copy(tmp_path)
    path = folder / CREATIONS
    lines = path.read_text().splitlines(keepends=True)
    lines.append("1;2012;9;9;0;0;0;9;0;0;0\n")   # '1' is '01': a conflicting second 01/2012
    path.write_text("".join(lines))
    with pytest.raises(InputError, match="same"):
        side.read_creations(path)


# --------------------------------------------------------------------------- odd but legitimate


def test_codes_without_leading_zero_are_restored(tmp_path):
    folder = _copy(tmp_path)
    path = folder / POPULATION
    path.write_text(path.read_text().replace('"01";', "1;").replace('"02";', "2;"))
    pop = side.read_population(path)
    assert pop.attrs["checksum_verified"] is False
    assert pop.query("territory_code == '01' and period == '2012'")["value"].tolist() == [612_191]
    assert not pop["territory_code"].isin(["1", "2"]).any()


def test_exact_duplicate_row_is_dropped_and_reported(tmp_path, caplog):
    folder = _copy(tmp_path)
    path = folder / UNEMPLOYMENT
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines, lines[1]]))
    with caplog.at_level(logging.WARNING):
        rate = side.read_unemployment(path)
    assert len(rate) == 960 and rate.attrs["duplicates_dropped"] == 1
    assert "exact duplicate" in caplog.text


def test_missing_year_is_reported_not_refused(tmp_path, caplog):
    folder = _copy(tmp_path)
    path = folder / POPULATION
    path.write_text("".join(ln for ln in path.read_text().splitlines(keepends=True)
                            if not ln.startswith('"2A";2016')))
    with caplog.at_level(logging.WARNING, logger="impact.sources.side"):
        long = side.read(folder)
    pop = long.attrs["files"]["population"]
    assert pop["missing_years"] == {"2A": ["2016"]}
    assert long.attrs["coverage_mismatch"] == {"population": [("2A", "2016")]}
    assert "2A" in caplog.text and "lack some of the years" in caplog.text
    assert (long["indicator"] == "population").sum() == 959


def test_absent_departement_and_extra_column_are_reported(tmp_path, caplog):
    folder = _copy(tmp_path)
    path = folder / UNEMPLOYMENT
    kept = [ln for ln in path.read_text().splitlines() if not ln.startswith('"48";')]
    kept = [kept[0] + ';"note"'] + [ln + ";x" for ln in kept[1:]]
    path.write_text("\n".join(kept) + "\n")
    with caplog.at_level(logging.WARNING, logger="impact.sources.side"):
        rate = side.read_unemployment(path)
    assert rate.attrs["absent_departements"] == ["48"]
    assert rate.attrs["ignored_columns"] == ["note"]
    assert rate["territory_code"].nunique() == 95


def test_rounded_rate_is_used_when_raw_column_is_absent(tmp_path):
    folder = _copy(tmp_path)
    path = folder / UNEMPLOYMENT
    _drop_column(path, "unemployment_rate_raw")
    rate = side.read_unemployment(path)
    assert rate.attrs["unemployment_column"] == "unemployment_rate"
    rows = {(r["dep_code"], r["year"]): float(r["unemployment_rate"])
            for r in _rows(UNEMPLOYMENT)}
    assert rate.set_index(["territory_code", "period"])["value"].to_dict() == rows


def test_rate_columns_that_disagree_are_reported(tmp_path, caplog):
    folder = _copy(tmp_path)
    path = folder / UNEMPLOYMENT
    _set_cell(path, 2, "unemployment_rate", "7.9")   # raw 6.85 on line 2
    with caplog.at_level(logging.WARNING, logger="impact.sources.side"):
        rate = side.read_unemployment(path)
    assert [m["_line"] for m in rate.attrs["rounding_mismatches"]] == [2]
    assert "not 'unemployment_rate_raw' rounded" in caplog.text


def test_unpublished_marker_becomes_missing_and_companies_follow(tmp_path):
    folder = _copy(tmp_path)
    _set_cell(folder / CREATIONS, 2, "creations_sas", "s")   # 01, 2012
    long = side.read_creations(folder / CREATIONS)
    cell = long.query("territory_code == '01' and period == '2012'").set_index("indicator")
    assert cell.loc["creations_legal_sas", "status"] == "secret"
    assert np.isnan(cell.loc["creations_companies", "value"])
    assert cell.loc["creations_companies", "status"] == "secret"
    assert cell.loc["creations_legal_sarl", "status"] == "observed"
    assert long.attrs["not_published"] == {"creations_sas": [2]}
    # A partial breakdown is not compared with the total.
    assert long.attrs["breakdown_mismatches"] == []


def test_blank_raw_rate_falls_back_to_the_rounded_one(tmp_path):
    folder = _copy(tmp_path)
    path = folder / UNEMPLOYMENT
    _set_cell(path, 2, "unemployment_rate_raw", "")   # 01, 2012: raw 6.85, rounded 6.8
    rate = side.read_unemployment(path)
    assert rate.attrs["rounded_rate_lines"] == [2]
    row = rate.query("territory_code == '01' and period == '2012'")
    assert row["value"].tolist() == [6.8] and row["status"].tolist() == ["observed"]
