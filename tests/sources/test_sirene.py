"""SIRENE creations from the stock files: counts, formats (CSV, zip, Parquet), bad input."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from impact.errors import InputError
from impact.sources import sirene
from impact.sources._common import validate_long


@pytest.fixture(scope="module")
def result(sirene_csv):
    return sirene.creations(*sirene_csv)


def value(df, code, period, indicator):
    sel = df[(df.territory_code == code) & (df.period == period) & (df.indicator == indicator)]
    return float(sel["value"].sum()) if len(sel) else 0.0


def test_counts_by_current_head_office_commune(result):
    validate_long(result)
    # 74010 in 2016-07: four units located in Annecy plus Annecy-le-Vieux (74011, merged 2017);
    # the secondary establishment in Chambéry is not counted.
    assert value(result, "74010", "2016-07", "creations_total") == 5
    assert value(result, "74010", "2016-07", "creations_tpe") == 4          # one unit in band 11
    assert value(result, "74010", "2016-07", "creations_naf_J") == 2
    assert value(result, "74010", "2016-07", "creations_legal_company") == 2
    assert value(result, "74010", "2016-07", "creations_legal_other") == 1  # indivision 2110
    assert value(result, "73065", "2016-07", "creations_total") == 0
    # The unit created in Lyon that moved to Annecy is counted in Annecy (current head office).
    assert value(result, "74010", "2014-03", "creations_total") == 1
    assert value(result, "69123", "2014-03", "creations_total") == 0
    # Paris arrondissement → Paris; SCOP 5458 and agricultural coop 6317 are cooperatives (ESS).
    assert value(result, "75056", "2016-07", "creations_legal_cooperative") == 2
    assert value(result, "75056", "2016-07", "creations_ess") == 2
    # Code that lost its leading zero, Corsica, overseas.
    assert value(result, "01053", "2016-07", "creations_total") == 1
    assert value(result, "2A004", "2016-07", "creations_total") == 1
    assert value(result, "97411", "2016-07", "creations_legal_other") == 1
    assert value(result, "97608", "2016-07", "creations_naf_I") == 1
    # NAF rév. 1 unit: in the total, in no section.
    assert value(result, "74010", "2005-06", "creations_total") == 1
    naf = result.indicator.str.startswith("creations_naf")
    assert result[(result.period == "2005-06") & naf].empty


def test_unplaced_reported_with_counts(result):
    un = result.attrs["unplaced"]
    assert any(k.startswith("99999") for k in un)          # unknown code
    assert any(k.startswith("[ND]") for k in un)           # masked (statutDiffusion P)
    assert any("no head office commune" in k for k in un)  # foreign head office
    assert sum(un.values()) == 3
    # 20 units, one purged without creation date.
    assert result.attrs["n_units"] == 19
    placed = result.loc[result.indicator == "creations_total", "value"].sum()
    assert placed == 19 - 3


def test_year_frequency_and_bounds(sirene_csv):
    df = sirene.creations(*sirene_csv, freq="year", start=2016, end="2016-12")
    assert set(df.period) == {"2016"}
    assert value(df, "74010", "2016", "creations_total") == 7  # 5 in July, 1 in Aug, 1 on 31 Dec


def test_harmonize_false_keeps_old_codes(sirene_csv):
    df = sirene.creations(*sirene_csv, harmonize=False)
    assert value(df, "74011", "2016-07", "creations_total") == 1
    assert value(df, "75108", "2016-07", "creations_total") == 1


def _same(a, b):
    key = ["territory_code", "period", "indicator"]
    a = a.astype({k: str for k in key}).sort_values(key).reset_index(drop=True)
    b = b.astype({k: str for k in key}).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[key + ["value"]], b[key + ["value"]])


def test_zip_and_parquet_inputs_give_the_same_result(tmp_path, sirene_csv, result):
    zips = []
    for src in sirene_csv:
        z = tmp_path / (src.stem + ".zip")
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(src, src.name)
        zips.append(z)
    _same(sirene.creations(*zips), result)
    pqs = []
    for src in sirene_csv:
        p = tmp_path / (src.stem + ".parquet")
        df = pd.read_csv(src, dtype=str, keep_default_na=False).replace("", None)
        if "etablissementSiege" in df:
            df["etablissementSiege"] = df["etablissementSiege"] == "true"
        if "dateCreationUniteLegale" in df:
            df["dateCreationUniteLegale"] = pd.to_datetime(df["dateCreationUniteLegale"]).dt.date
        df.to_parquet(p)
        pqs.append(p)
    _same(sirene.creations(*pqs), result)


def test_out_writes_parquet_and_report(tmp_path, sirene_csv, result):
    out = sirene.creations(*sirene_csv, out=tmp_path / "c.parquet")
    back = pd.read_parquet(out)
    assert list(back.columns)[:3] == ["territory_code", "level", "cog_year"]
    _same(back, result)
    assert (tmp_path / "c.parquet.unplaced.json").exists()


def test_missing_column_is_named(tmp_path, sirene_csv):
    ul = pd.read_csv(sirene_csv[0], dtype=str).drop(columns="nicSiegeUniteLegale")
    p = tmp_path / "StockUniteLegale.csv"
    ul.to_csv(p, index=False)
    with pytest.raises(InputError) as err:
        sirene.creations(p, sirene_csv[1])
    assert "nicSiegeUniteLegale" in str(err.value) and "siren" in str(err.value)


def test_truncated_zip_and_parquet(tmp_path, sirene_csv):
    z = tmp_path / "StockEtablissement_utf8.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(sirene_csv[1], "StockEtablissement_utf8.csv")
    z.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    with pytest.raises(InputError, match=r"StockEtablissement_utf8\.zip.*(corrupt|truncated)"):
        sirene.creations(sirene_csv[0], z)
    p = tmp_path / "StockUniteLegale_utf8.parquet"
    pd.read_csv(sirene_csv[0], dtype=str).to_parquet(p)
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(InputError, match=r"StockUniteLegale_utf8\.parquet.*truncated"):
        sirene.creations(p, sirene_csv[1])


def test_empty_file(tmp_path, sirene_csv):
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(InputError, match="empty"):
        sirene.creations(p, sirene_csv[1])


def test_read_small_file(sirene_csv):
    df = sirene.read(sirene_csv[1], ["siret", "codeCommuneEtablissement"])
    assert list(df.columns) == ["siret", "codeCommuneEtablissement"]
    assert "30100002900015" in set(df["siret"])


def test_helpers():
    assert sirene.naf_section("62.01Z") == "J" and sirene.naf_section("52.4Z") is None
    assert sirene.legal_group("5458") == "cooperative"
    assert sirene.legal_group("1000") == "individual"
    assert sirene.legal_group("9220") == "association"
    assert sirene.legal_group("5710") == "company"
    assert sirene.legal_group("7210") == "other"
