"""Parameter checks and headline files used by the notebooks."""

import json

import pandas as pd
import pytest

from impact.errors import InputError
from impact.notebook import check_parameters, check_period_has_data, write_headline
from references import read_reference


def test_valid_parameters_pass_and_region_is_normalised():
    out = check_parameters(source="demo", level="region", control="notyet", start=2010, end=2020,
                           region=84, bootstrap=99)
    assert out["region"] == "84"
    assert out["level"] == "region"


def test_every_problem_is_listed_in_one_message():
    with pytest.raises(InputError) as info:
        check_parameters(level="canton", control="sometimes", start=2020, end=2010, region="99")
    msg = str(info.value)
    assert "level='canton' is not valid" in msg and "'departement'" in msg
    assert "control='sometimes'" in msg
    assert "start=2020 is after end=2010" in msg
    assert "region='99' is not a région code" in msg and "84 Auvergne-Rhône-Alpes" in msg


def test_non_year_and_negative_counts():
    with pytest.raises(InputError, match="start='2010' is not a year"):
        check_parameters(start="2010")
    with pytest.raises(InputError, match="bootstrap=-1 must be a whole number"):
        check_parameters(bootstrap=-1)


def test_period_without_data():
    panel = pd.DataFrame({"year": [2012, 2013]})
    check_period_has_data(panel, "year", 2010, 2012)
    with pytest.raises(InputError, match="data cover 2012–2013"):
        check_period_has_data(panel, "year", 2015, 2020)
    with pytest.raises(InputError, match="no data between"):
        check_period_has_data(panel.iloc[:0], "year", 2015, 2020)


def test_headline_written_atomically(tmp_path):
    path = write_headline(tmp_path, {"att": 1.5, "n": 3})
    assert json.loads(path.read_text()) == {"att": 1.5, "n": 3}
    assert [p.name for p in tmp_path.iterdir()] == ["headline.json"]


def test_conclusion_numbers_come_from_results():
    from impact.estimate import att_gt, twfe
    from impact.notebook import conclusion

    d = read_reference("mpdta.csv")
    res = att_gt(d, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    simple, dyn = res.aggregate("simple"), res.aggregate("dynamic")
    d["post"] = ((d["first.treat"] > 0) & (d["year"] >= d["first.treat"])).astype(float)
    tw = twfe(d, outcome="lemp", unit="countyreal", time="year", treatment="post")
    text = conclusion(outcome_label="log-emplois", simple=simple, dynamic=dyn, twfe_result=tw,
                      level_label="comtés")
    assert "baisse de 0,04" in text  # overall ATT -0.0400
    assert "statistiquement significatif" in text
    assert f"p = {dyn.pretrend_test().pvalue:.3f}".replace(".", ",") in text
    assert "Données de démonstration" not in text
    assert "Données de démonstration" in conclusion(outcome_label="x", simple=simple, dynamic=dyn, demo=True)


def test_treatment_and_programme_parameters(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("territory_code,first_treated,intensity\n29,2016,1\n", "utf-8")
    assert check_parameters(treatment="", programme="PTCE")["treatment"] == ""
    assert check_parameters(treatment=str(csv), programme="Programme fictif")["programme"] == (
        "Programme fictif")
    with pytest.raises(InputError) as info:
        check_parameters(treatment=str(tmp_path / "nowhere.csv"), programme="  ")
    msg = str(info.value)
    assert "nowhere.csv'" in msg and "file not found" in msg
    assert "programme='  ' must be a non-empty name" in msg


def test_treatment_table_reaches_the_panel_and_its_cache(tmp_path):
    """A changed table is a new panel (its digest is in the cache key), never a stale one."""
    from impact.notebook import build_tables, estimation_panel

    csv = tmp_path / "t.csv"
    csv.write_text("territory_code,first_treated,intensity\n29,2016,4\n35,2016,2.5\n", "utf-8")
    panel, info = estimation_panel(source="insee", level="departement", treatment=str(csv),
                                   programme="Programme fictif")
    assert info["programme"] == "Programme fictif" and info["treatment_origin"] == "table"
    assert not info["ptce_treatment"] and info["ptce"] == {}
    assert info["treated"] == ["Finistère (29)", "Ille-et-Vilaine (35)"]
    assert info["data_kind"] == "real" and panel.attrs["data_kind"] == "real"
    csv.write_text("territory_code,first_treated,intensity\n29,2017,4\n", "utf-8")
    _, panel2, info2 = build_tables(source="insee", level="departement", treatment=str(csv))
    assert info2["treated"] == ["Finistère (29)"] and info2["programme"] == "PTCE"
    assert info2["treatment_digest"] != info["treatment_digest"]
    assert set(panel2.loc[panel2["first_label_year"] > 0, "first_label_year"]) == {2017}
    # Empty treatment: the PTCE registry, as before.
    _, ptce_panel, ptce_info = build_tables(source="insee", level="region", treatment="")
    assert ptce_info["treatment_origin"] == "ptce_registry" and ptce_info["ptce_treatment"]
    assert ptce_panel["ptce_count"].sum() > 0
