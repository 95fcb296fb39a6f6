"""INSEE BDM creation series: both download layouts, labels, status codes."""

from __future__ import annotations

import zipfile

import pytest

from impact.errors import InputError
from impact.sources import insee_creations as ic
from impact.sources._common import validate_long

FILE = "insee_bdm_creations_valeurs_mensuelles.csv"


def test_vertical_layout(data_dir):
    df = ic.read(data_dir / FILE)
    validate_long(df)
    row = df[(df.territory_code == "01") & (df.period == "2016-07")].set_index("indicator")
    assert row.loc["creations_total", "value"] == 1154           # "1 154"
    assert row.loc["creations_micro", "value"] + row.loc["creations_excl_micro", "value"] == 1154
    assert set(df.level) == {"departement", "region", "france"}
    assert "84" in set(df.territory_code) and "974" in set(df.territory_code)
    fr = df[df.territory_code == "FR"]
    assert set(fr.indicator) == {"creations_total_sa"} and fr.value.max() == pytest.approx(46512.0)
    assert "2016-09" not in set(df.period)  # not yet published: dropped
    status = df.set_index(["territory_code", "indicator", "period"])["status"]
    assert status[("01", "creations_total", "2016-08")] == "estimated"    # code P
    assert status[("2A", "creations_total", "2016-06")] == "missing"      # code ND
    assert status[("974", "creations_total", "2016-05")] == "secret"      # value s
    assert list(df.attrs["skipped_series"]) == [
        "Créations d'entreprises - Total - Rhône-Alpes - Série brute"]   # pre-2016 région


def test_zip_download_and_horizontal_layout(tmp_path, data_dir):
    z = tmp_path / "serie.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(data_dir / FILE, "valeurs_mensuelles.csv")
        zf.writestr("caracteristiques.csv", "idBank;Libellé\n")
    assert len(ic.read(z)) == len(ic.read(data_dir / FILE))
    h = tmp_path / "valeurs_annuelles.csv"
    h.write_text('"Libellé";"idBank";"Dernière mise à jour";"Période";"2015";"2016"\n'
                 '"Créations d\'entreprises - Total - Haute-Savoie - Série brute";"1";"x";"";'
                 '"8 100";"8 412"\n', encoding="utf-8")
    df = ic.read(h)
    assert df["territory_code"].tolist() == ["74", "74"] and df["value"].tolist() == [8100, 8412]


def test_bad_inputs(tmp_path):
    p = tmp_path / "other.csv"
    p.write_text("Code;Valeur\n01;3\n")
    with pytest.raises(InputError, match="Libellé"):
        ic.read(p)
    q = tmp_path / "bad.csv"
    q.write_text('"Libellé";"Créations d\'entreprises - Total - Ain - Série brute";"Codes"\n'
                 '"idBank";"1";""\n"Dernière mise à jour";"x";""\n"Période";"";""\n'
                 '"2016-07";"douze";"A"\n')
    with pytest.raises(InputError) as err:
        ic.read(q)
    assert err.value.line == 5 and "'douze'" in str(err.value)
    e = tmp_path / "empty.csv"
    e.write_text("")
    with pytest.raises(InputError, match="empty"):
        ic.read(e)


def test_parse_label():
    assert ic.parse_label("Créations d'entreprises - Total - Région La Réunion - Série brute")[:2] \
        == ("region", "04")
    assert ic.parse_label("Créations - Ensemble - Corse-du-Sud (2A)")[:2] == ("departement", "2A")
