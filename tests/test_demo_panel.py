"""Demonstration data and the panel, at a small scale."""

import json

import numpy as np
import pandas as pd
import pytest

from impact import demo
from impact.errors import InputError
from impact.panel import build_long, build_panel, validate_panel, write_outputs

SCALE = 0.02


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return demo.generate(tmp_path_factory.mktemp("demo") / "d", seed=7, scale=SCALE)


@pytest.fixture(scope="module")
def long(files):
    return build_long({"sirene_ul": files.unites_legales, "sirene_et": files.etablissements,
                       "urssaf": files.urssaf, "unemployment": files.unemployment})


def test_same_seed_same_files(files, tmp_path):
    again = demo.generate(tmp_path / "again", seed=7, scale=SCALE)
    a = json.loads(files.manifest.read_text())["sha256"]
    b = json.loads(again.manifest.read_text())["sha256"]
    assert a == b
    other = demo.generate(tmp_path / "other", seed=8, scale=SCALE)
    assert json.loads(other.manifest.read_text())["sha256"] != a


def test_official_layout_and_volumes(files):
    ul = pd.read_parquet(files.unites_legales)
    for col in ["siren", "dateCreationUniteLegale", "trancheEffectifsUniteLegale", "categorieJuridiqueUniteLegale",
                "activitePrincipaleUniteLegale", "economieSocialeSolidaireUniteLegale", "nicSiegeUniteLegale"]:
        assert col in ul.columns
    assert ul["siren"].str.fullmatch(r"\d{9}").all()
    per_year = pd.to_datetime(ul["dateCreationUniteLegale"]).dt.year.value_counts()
    # National volumes of the order INSEE published (scaled): 525,091 creations in 2015.
    assert per_year[2015] == pytest.approx(525_091 * SCALE, rel=0.1)
    tpe = ul["trancheEffectifsUniteLegale"].isin(["NN", "00", "01", "02", "03"]).mean()
    assert 0.95 < tpe < 0.99
    months = pd.to_datetime(ul["dateCreationUniteLegale"]).dt.month.value_counts()
    assert months[1] > months[8]  # January peak, August trough


def test_long_table_through_the_real_readers(long):
    assert set(long["source"]) >= {"insee_sirene", "urssaf", "insee_tcl"}
    assert {"creations_total", "creations_tpe", "unemployment_rate", "salaried_jobs"} <= set(long["indicator"])
    assert long.attrs["sources"] == ["sirene", "urssaf", "unemployment"]


def test_panel_is_balanced_with_rederived_rates_and_treatment(long, files):
    panel = build_panel(long, data_kind="demo", level="region", demo_folder=files.folder)
    validate_panel(panel)
    assert panel.groupby("territory_code").size().nunique() == 1
    row = panel.iloc[5]
    assert row["creations_tpe_per10k"] == pytest.approx(10_000 * row["creations_tpe"] / row["population"])
    treated = panel.drop_duplicates("territory_code")
    assert set(treated["first_label_year"]) <= {0, 2014, 2016}
    assert (panel["treated"] == ((panel["first_label_year"] > 0) & (panel["year"] >= panel["first_label_year"]))).all()
    # Département rates aggregate to the région rate through counts, not by averaging.
    dep = build_panel(long, data_kind="demo", level="departement", demo_folder=files.folder)
    ara = dep[(dep["territory_code"].isin(["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"]))
              & (dep["year"] == 2015)]
    reg = panel[(panel["territory_code"] == "84") & (panel["year"] == 2015)].iloc[0]
    assert reg["creations_tpe_per10k"] == pytest.approx(10_000 * ara["creations_tpe"].sum() / ara["population"].sum())


def test_injected_effect_is_visible(long, files):
    from impact.estimate import att_gt

    panel = build_panel(long, data_kind="demo", level="departement", demo_folder=files.folder)
    res = att_gt(panel, outcome="creations_tpe_per10k", unit="territory_code", time="year", group="first_label_year")
    agg = res.aggregate("simple")
    base = panel.loc[panel["first_label_year"] == 0, "creations_tpe_per10k"].mean()
    # Injected +8% to +15% of the TPE rate: positive and of that order.
    assert agg.overall_att > 0
    assert 0.03 * base < agg.overall_att < 0.25 * base


def test_no_source_is_a_clear_refusal(tmp_path):
    with pytest.raises(InputError, match="no real source file found"):
        build_long("real", real_dir=tmp_path)
    with pytest.raises(InputError, match="unknown source key"):
        build_long({"sirene": tmp_path / "x"})


def test_failed_write_leaves_nothing(long, files, tmp_path, monkeypatch):
    panel = build_panel(long, data_kind="demo", level="region", demo_folder=files.folder)
    out = tmp_path / "processed"

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError):
        write_outputs(long, panel, out)
    assert not out.exists() or not any(out.iterdir())
    monkeypatch.undo()
    paths = write_outputs(long, panel, out)
    assert pd.read_parquet(paths["panel"]).shape == panel.shape


def test_panel_bad_arguments(long, files):
    with pytest.raises(InputError, match="level must be .* not 'canton'"):
        build_panel(long, data_kind="demo", level="canton", demo_folder=files.folder)
    with pytest.raises(InputError, match="no data between"):
        build_panel(long, data_kind="demo", level="region", start=2030, demo_folder=files.folder)
    dup = pd.DataFrame({"territory_code": ["01", "01"], "year": [2010, 2010], "population": [1, 1],
                        "creations_total": [1, 1], "creations_tpe": [1, 1], "creations_ess": [0, 0],
                        "first_label_year": [0, 0], "treated": [0, 0]})
    with pytest.raises(InputError, match="duplicated territory-year"):
        validate_panel(dup)
    assert np.isfinite(build_panel(long, data_kind="demo", level="region", demo_folder=files.folder)["population"]).all()
