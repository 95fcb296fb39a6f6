"""INSEE's 2014 establishments file: read, harmonised to COG 2025, totals kept.

Expected figures come from the file itself read with plain pandas and from
INSEE's events table (not through the library's history), and from the
totals INSEE publishes (4,528,492 establishments, 4,257,466 TPE).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact import territories as T
from impact.errors import InputError
from impact.sources import establishments as E
from impact.sources._common import validate_long
from impact.territories.history import data_path

TOTAL_2014 = 4_528_492
TPE_2014 = 4_257_466


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(E.default_path(), sep=";", dtype=str)


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return E.read()


def test_every_establishment_lands_on_a_2025_commune(long):
    validate_long(long, name="establishments")
    totals = long.groupby("indicator")["value"].sum()
    assert totals["establishments_total"] == pytest.approx(TOTAL_2014)
    assert totals["establishments_tpe"] == pytest.approx(TPE_2014)
    assert set(long["territory_code"]) <= set(T.communes()["code"])
    assert long.attrs["harmonize"]["unplaced"] == {}
    assert (long["cog_year"] == 2025).all() and (long["period"] == "2014").all()
    assert (long["source"] == "insee_etablissements_2014").all()


def test_departement_totals_equal_the_file_recoded_to_current_departements(raw, long):
    # Expected: the file's own DEP column, with the communes that changed
    # département after 1 January 2014 (MOD 41 in INSEE's events) moved.
    ev = pd.read_csv(data_path("v_mvt_commune_2025.csv.xz"), dtype=str, keep_default_na=False)
    moves = ev[(ev["MOD"] == "41") & (ev["DATE_EFF"] > "2014-01-01")]
    new_dep = dict(zip(moves["COM_AV"], moves["COM_AP"].str[:2], strict=True))
    code = raw["CODGEO"].str.zfill(5)
    dep = raw["DEP"].str.zfill(2)
    dep = code.map(new_dep).fillna(dep)
    assert (dep != raw["DEP"].str.zfill(2)).sum() == 4  # 14513, 49144, 02344, 44060
    expected = raw["E14TST"].astype(float).groupby(dep).sum()
    got = long[long["indicator"] == "establishments_total"]
    got = got["value"].groupby(T.departement_of(got["territory_code"]).to_numpy()).sum()
    assert len(got) == 101
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_merged_commune_sums_its_2014_parts(raw, long):
    # Nivigne et Suran (01095) = 01095 + Germagnat (01172) in INSEE's events of 2017.
    ev = pd.read_csv(data_path("v_mvt_commune_2025.csv.xz"), dtype=str, keep_default_na=False)
    parts = set(ev.loc[(ev["COM_AP"] == "01095") & (ev["TYPECOM_AV"] == "COM")
                       & (ev["TYPECOM_AP"] == "COM"), "COM_AV"])
    assert "01172" in parts
    tpe = raw[["E14TS0ND", "E14TS1", "E14TS6"]].astype(float).sum(axis=1)
    expected = tpe[raw["CODGEO"].str.zfill(5).isin(parts)].sum()
    got = long.set_index(["indicator", "territory_code"]).loc[
        ("establishments_tpe", "01095"), "value"]
    assert got == expected
    stock = E.tpe_stock("commune").set_index("territory_code")["tpe_stock_2014"]
    assert stock["01095"] == expected


def test_unharmonised_read_keeps_2014_codes(raw):
    out = E.read(harmonize=False)
    assert (out["cog_year"] == 2014).all()
    assert out["territory_code"].nunique() == len(raw) == 36_681
    assert "01172" in set(out["territory_code"])
    assert "05061" in set(out["territory_code"])  # was written 5061


@pytest.mark.parametrize(("level", "n"), [("departement", 101), ("region", 18), ("france", 1)])
def test_tpe_stock_levels(level, n):
    s = E.tpe_stock(level)
    assert list(s.columns) == ["territory_code", "tpe_stock_2014"]
    assert len(s) == n
    assert s["tpe_stock_2014"].sum() == pytest.approx(TPE_2014)


def _write(tmp_path: Path, raw: pd.DataFrame, name: str = "etab.csv") -> Path:
    path = tmp_path / name
    raw.to_csv(path, sep=";", index=False)
    return path


def test_small_file_plain_and_gzip_read_alike(tmp_path, raw):
    sample = raw.head(50)
    a = E.read(_write(tmp_path, sample))
    b = E.read(_write(tmp_path, sample, "etab.csv.gz"))
    pd.testing.assert_frame_equal(a, b)
    expected = sample["E14TST"].astype(float).sum()
    assert a.loc[a["indicator"] == "establishments_total", "value"].sum() == expected


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("E14TS1", "abc", "non-negative whole number"),
        ("E14TS6", "-3", "non-negative whole number"),
        ("E14TST", "2.5", "non-negative whole number"),
        ("CODGEO", "99999", "not valid on 1 January 2014"),
        ("DEP", "7", "does not match commune"),
    ],
)
def test_bad_cells_name_file_line_column_and_value(tmp_path, raw, column, value, match):
    sample = raw.head(5).copy()
    sample.loc[sample.index[1], column] = value
    path = _write(tmp_path, sample)
    with pytest.raises(InputError, match=match) as info:
        E.read(path)
    err = info.value
    assert err.line == 3 and err.column == column and err.path == path
    assert repr(value) in str(err)


def test_missing_column_and_duplicate_commune(tmp_path, raw):
    with pytest.raises(InputError, match=r"missing column\(s\) \['E14TS6'\]"):
        E.read(_write(tmp_path, raw.head(3).drop(columns="E14TS6")))
    dup = pd.concat([raw.head(3), raw.head(1)])
    with pytest.raises(InputError, match="more than once") as info:
        E.read(_write(tmp_path, dup))
    assert info.value.line == 2


def test_band_mismatch_is_reported_not_fatal(tmp_path, raw, caplog):
    sample = raw.head(4).copy()
    sample.loc[sample.index[2], "E14TST"] = str(int(sample.loc[sample.index[2], "E14TST"]) + 1)
    out = E.read(_write(tmp_path, sample))
    assert out.attrs["band_mismatch"] == [sample["CODGEO"].iloc[2].zfill(5)]
    assert "do not sum" in caplog.text
    assert np.isfinite(out["value"]).all()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        E.read(tmp_path / "nope.csv")


def test_normalize_code_with_vintage_accepts_every_2014_code(raw):
    flags = T.normalize_code(raw["CODGEO"], "commune", errors="flag")
    refused = raw.loc[~flags["valid"].to_numpy()]
    # Without a vintage, COG 2025 refuses the 360 codes of merged communes (8,895
    # establishments), as the issue found; with vintage=2014 every code is valid.
    assert len(refused) == 360
    assert refused["E14TST"].astype(int).sum() == 8_895
    assert T.normalize_code(raw["CODGEO"], "commune", vintage=2014).notna().all()


def test_tpe_stock_covers_every_2025_commune_but_culey():
    s = E.tpe_stock("commune")
    missing = set(T.communes()["code"]) - set(s["territory_code"])
    assert missing == {"55138"}  # restored 2014-01-01, counted in 55298 by the file
    assert s["tpe_stock_2014"].sum() == pytest.approx(TPE_2014)
    assert E.tpe_stock("commune") is not s  # callers get their own copy


def test_windows_1252_file_reads_like_utf8(tmp_path, raw):
    sample = raw.head(20)
    assert sample["LIBGEO"].str.contains("é").any()  # accents to decode
    utf8 = E.read(_write(tmp_path, sample))
    path = tmp_path / "etab_cp1252.csv"
    sample.to_csv(path, sep=";", index=False, encoding="cp1252")
    pd.testing.assert_frame_equal(E.read(path), utf8)
