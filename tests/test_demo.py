"""The demonstration dataset: official layout, calibration, injected effect, reproducibility."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from impact import demo
from impact.errors import InputError

SCALE = 0.01


@pytest.fixture(scope="module")
def no_registry(tmp_path_factory):
    """An empty raw folder: the demo draws its PTCE communes (independent of data/raw)."""
    raw = tmp_path_factory.mktemp("raw-empty")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMPACT_RAW_DIR", str(raw))
        yield raw


@pytest.fixture(scope="module")
def files(no_registry, tmp_path_factory):
    return demo.generate(tmp_path_factory.mktemp("demo") / "d", seed=11, scale=SCALE)


@pytest.fixture(scope="module")
def ul(files):
    return pd.read_parquet(files.unites_legales)


@pytest.fixture(scope="module")
def et(files):
    return pd.read_parquet(files.etablissements)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_identical_files(files, no_registry, tmp_path):
    again = demo.generate(tmp_path / "again", seed=11, scale=SCALE)
    for a, b in zip(files, again, strict=True):
        assert a.name == b.name
        assert _sha(a) == _sha(b), a.name
    assert files.checksums()[files.unemployment.name] == _sha(files.unemployment)
    other = demo.generate(tmp_path / "other", seed=12, scale=SCALE)
    assert _sha(other.unites_legales) != _sha(files.unites_legales)


def test_official_sirene_layout_and_codes(ul, et):
    for col in (
        "siren",
        "dateCreationUniteLegale",
        "trancheEffectifsUniteLegale",
        "categorieJuridiqueUniteLegale",
        "activitePrincipaleUniteLegale",
        "nomenclatureActivitePrincipaleUniteLegale",
        "economieSocialeSolidaireUniteLegale",
        "nicSiegeUniteLegale",
        "statutDiffusionUniteLegale",
        "etatAdministratifUniteLegale",
    ):
        assert col in ul.columns, col
    for col in ("siren", "nic", "siret", "codeCommuneEtablissement", "etablissementSiege"):
        assert col in et.columns, col
    assert ul["siren"].is_unique
    assert ul["siren"].astype(str).str.fullmatch(r"\d{9}").all()
    # SIREN numbers carry a valid Luhn key, as INSEE's do.
    digits = np.array([list(map(int, s)) for s in ul["siren"].astype(str).head(500)])
    doubled = digits[:, 1::2] * 2
    total = digits[:, 0::2].sum(1) + np.where(doubled > 9, doubled - 9, doubled).sum(1)
    assert (total % 10 == 0).all()
    bands = {
        "NN",
        "00",
        "01",
        "02",
        "03",
        "11",
        "12",
        "21",
        "22",
        "31",
        "32",
        "41",
        "42",
        "51",
        "52",
        "53",
    }
    assert set(ul["trancheEffectifsUniteLegale"].astype(str)) <= bands
    assert ul["categorieJuridiqueUniteLegale"].astype(str).str.fullmatch(r"\d{4}").all()
    assert {"1000", "5499", "5710", "9220", "5458"} <= set(
        ul["categorieJuridiqueUniteLegale"].astype(str)
    )
    assert ul["activitePrincipaleUniteLegale"].astype(str).str.fullmatch(r"\d{2}\.\d{2}[A-Z]").all()
    assert set(ul["economieSocialeSolidaireUniteLegale"].astype(str)) == {"O", "N"}
    dates = pd.to_datetime(ul["dateCreationUniteLegale"])
    assert dates.min() >= pd.Timestamp("2010-01-01") and dates.max() <= pd.Timestamp("2020-12-31")
    assert et["etablissementSiege"].all()
    assert (et["siret"] == et["siren"] + et["nic"]).all()
    merged = ul.merge(et, left_on=["siren", "nicSiegeUniteLegale"], right_on=["siren", "nic"])
    assert len(merged) == len(ul)  # every unit has its head office


def test_codes_are_current_communes(et):
    from impact.territories import communes

    assert set(et["codeCommuneEtablissement"].astype(str)) <= set(communes()["code"])


def test_calibration_against_published_figures(ul):
    year = pd.to_datetime(ul["dateCreationUniteLegale"]).dt.year
    per_year = year.value_counts()
    # FACTS.md: 549,805 (2011), 550,733 (2014), 525,091 (2015), 848,164 (2020), scaled.
    for y, n in ((2011, 549_805), (2014, 550_733), (2015, 525_091), (2020, 848_164)):
        assert per_year[y] == pytest.approx(n * SCALE, rel=0.06), y
    tpe = ul["trancheEffectifsUniteLegale"].isin(["NN", "00", "01", "02", "03"]).mean()
    assert 0.97 < tpe < 0.995
    employer = (~ul["trancheEffectifsUniteLegale"].isin(["NN", "00"])).mean()
    assert 0.03 < employer < 0.07  # "5% of new firms employ staff at start"
    ess = (ul["economieSocialeSolidaireUniteLegale"] == "O").mean()
    assert 0.01 < ess < 0.08
    indiv = ul["categorieJuridiqueUniteLegale"].eq("1000").groupby(year).mean()
    assert indiv[2010] > indiv[2015] + 0.08  # auto-entrepreneur share 58% (2010) -> 43% (2015)
    month = pd.to_datetime(ul["dateCreationUniteLegale"]).dt.month.value_counts()
    assert month[1] == month.max() and month[8] == month.min()


def test_effect_schedule_is_documented_and_consistent():
    e = demo.effect([-1, 0, 1, 2, 3, 7, np.nan])
    np.testing.assert_allclose(e, [0, 0.08, 0.105, 0.13, 0.15, 0.15, 0])
    closed = np.minimum(
        demo.DEMO_EFFECT["first_year"] + demo.DEMO_EFFECT["per_year"] * np.arange(6),
        demo.DEMO_EFFECT["max"],
    )
    np.testing.assert_allclose(demo.effect(np.arange(6)), closed)
    assert "+8 %" in demo.__doc__ and "+15 %" in demo.__doc__
    assert demo.DEMO_LABEL == "Données de démonstration"


def test_injected_effect_in_the_stock(files, ul, et):
    """TPE creations of treated départements jump relative to the others after the label."""
    from impact.territories import communes

    m = files.read_manifest()
    assert m["treated_from"] == "seeded draw" and m["label"] == demo.DEMO_LABEL
    early = {d for d, y in m["treated_departements"].items() if y == 2014}
    later = {d for d, y in m["treated_departements"].items() if y == 2016}
    dep = (
        et.set_index("siren")["codeCommuneEtablissement"]
        .astype(str)
        .map(communes().set_index("code")["departement"])
    )
    df = pd.DataFrame(
        {
            "dep": ul["siren"].map(dep).to_numpy(),
            "year": pd.to_datetime(ul["dateCreationUniteLegale"]).dt.year.to_numpy(),
            "tpe": ul["trancheEffectifsUniteLegale"]
            .isin(["NN", "00", "01", "02", "03"])
            .to_numpy(),
        }
    )
    df = df[df["tpe"] & ~df["dep"].isin(later)]
    n = df.assign(g=df["dep"].isin(early)).groupby(["year", "g"]).size().unstack()
    ratio = n[True] / n[False]  # TPE creations in 2014-labelled vs never-labelled départements
    rise = ratio.loc[2017:2020].mean() / ratio.loc[2010:2013].mean() - 1
    # +15 % from the third year after the label; at scale 0.01 Poisson noise is ~2-3 % a year.
    assert 0.07 < rise < 0.23
    assert abs(ratio.loc[2012:2013].mean() / ratio.loc[2010:2011].mean() - 1) < 0.05  # none before


def test_treatment_file_without_registry(files):
    t = pd.read_csv(files.treatment, dtype={"commune": str, "departement": str})
    assert len(t) == 37
    assert (t["label_year"] == 2014).sum() == 23 and (t["label_year"] == 2016).sum() == 14
    assert set(t["origin"]) == {"seeded draw"}


def test_registry_defines_treated_communes(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "ptce.csv").write_text(
        "ptce_id,name,commune_code,call,label_year,source_url\n"
        "p1,Pôle A,74010,2013,2014,https://example.invalid/a\n"
        "p2,Pôle B,29019,2015,2016,https://example.invalid/b\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("IMPACT_RAW_DIR", str(raw))
    f = demo.generate(tmp_path / "reg", seed=3, scale=0.002)
    m = f.read_manifest()
    assert m["treated_from"] == "registry"
    assert m["treated_departements"] == {"29": 2016, "74": 2014}
    assert m["parameters"]["ptce_registry_sha256"] is not None


def test_reuse_force_and_refusals(files, no_registry, tmp_path):
    before = files.unites_legales.stat().st_mtime_ns
    again = demo.generate(files.folder, seed=11, scale=SCALE)  # same parameters: reused
    assert again.unites_legales.stat().st_mtime_ns == before
    other = tmp_path / "not-demo"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    with pytest.raises(InputError, match="refusing to replace"):
        demo.generate(other, scale=0.002)
    assert (other / "precious.txt").read_text() == "keep me"
    with pytest.raises(InputError, match="scale"):
        demo.generate(tmp_path / "x", scale=0)


def test_failed_generation_leaves_no_folder(no_registry, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(demo.writers, "write_unemployment", boom)
    with pytest.raises(OSError, match="disk full"):
        demo.generate(tmp_path / "half", seed=1, scale=0.002)
    assert not (tmp_path / "half").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary folder left behind


def test_side_files_read_by_the_real_readers(files):
    from impact.sources import unemployment, urssaf

    jobs = urssaf.read(files.urssaf)
    assert set(jobs["level"]) == {"departement"}
    assert jobs["territory_code"].nunique() == 100  # every département but Mayotte (not covered)
    assert "976" not in set(jobs["territory_code"])
    assert sorted(jobs["period"].unique()) == [str(y) for y in range(2010, 2021)]
    rates = unemployment.read(files.unemployment)
    assert set(rates["level"]) == {"departement", "region"}
    assert rates["period"].nunique() == 44 and (rates["status"] == "observed").all()
    assert rates.loc[rates["level"] == "region", "territory_code"].nunique() == 18
    assert rates["value"].between(2, 40).all()


def test_expected_att_is_the_injected_effect_and_warns_off_its_level():
    """On a département panel, the effect in level of each treated row, averaged."""
    y0 = np.array([20.0, 30.0, 40.0, 50.0])  # counterfactual of the treated rows
    years = np.array([2014, 2015, 2016, 2019])  # e = 0, 1, 2, 5 after a 2014 label
    y = y0 * (1 + np.array([0.08, 0.105, 0.13, 0.15]))
    panel = pd.DataFrame(
        {
            "level": "departement",
            "year": np.r_[2013, years, years],
            "first_label_year": [2014] * 5 + [0] * 4,
            "creations_tpe": np.r_[18.0, y, y0],
        }
    )
    truth = np.mean(y - y0)
    assert demo.expected_att(panel, "creations_tpe") == pytest.approx(truth)
    with pytest.warns(UserWarning, match="only on a département panel"):
        demo.expected_att(panel.assign(level="region"), "creations_tpe")
    with pytest.raises(InputError, match="no row is treated"):
        demo.expected_att(panel.assign(first_label_year=0), "creations_tpe")


def test_names_of_the_former_single_module_are_still_importable():
    former = {
        "ASSOCIATION_NAF", "AUTO_ENTREPRENEUR_SHARE", "DEMO_EFFECT", "DEMO_LABEL", "ESS_FORMS",
        "GENERATOR_VERSION", "LARGER_BANDS", "MONTH_WEIGHTS", "NAF_CODES", "NATIONAL_CREATIONS",
        "OTHER_LEGAL_FORMS", "SOURCE_PREFIX", "TPE_BANDS", "TPE_SHARE", "DemoFiles",
        "default_folder", "effect", "effect_multiplier", "expected_att", "generate",
    }
    assert former <= set(demo.__all__)
    assert all(hasattr(demo, n) for n in [*former, "SOURCE_TAG"])
