"""The long table and the estimation panel built from the demonstration files."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from impact import demo
from impact.errors import InputError
from impact.panel import build_long, build_panel, output_paths, write_outputs

SCALE = 0.01
SEED = 5


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Demo data generated in an isolated data folder, with no PTCE registry."""
    raw = tmp_path_factory.mktemp("raw-empty")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMPACT_RAW_DIR", str(raw))
        yield raw


@pytest.fixture(scope="module")
def files(env):
    return demo.generate(seed=SEED, scale=SCALE)


@pytest.fixture(scope="module")
def long(files):
    return build_long("demo", seed=SEED, scale=SCALE)


@pytest.fixture(scope="module")
def dep(long):
    return build_panel(long, data_kind="demo", level="departement")


@pytest.fixture(scope="module")
def reg(long):
    return build_panel(long, data_kind="demo", level="region")


def test_long_table_sources_and_labels(long, files):
    assert long.attrs["sources"] == ["sirene", "urssaf", "unemployment"]
    assert long.attrs["reference"] == ["population"]
    assert long.attrs["demo"] is True and long.attrs["demo_folder"] == str(files.folder)
    sources = set(long["source"].astype(str))
    assert sources == {"demo-insee_sirene", "demo-urssaf", "demo-insee_tcl", "insee_population"}
    inds = set(long["indicator"].astype(str))
    assert {
        "creations_total",
        "creations_tpe",
        "creations_ess",
        "creations_legal_individual",
        "salaried_jobs",
        "unemployment_rate",
        "population",
    } <= inds
    assert list(long.columns) == [
        "territory_code",
        "level",
        "cog_year",
        "period",
        "indicator",
        "value",
        "status",
        "source",
    ]
    # National TPE creations of 2015 ≈ 98.5 % of 525,091 × scale.
    tpe = long[(long["indicator"] == "creations_tpe") & (long["period"] == "2015")]["value"].sum()
    assert tpe == pytest.approx(0.985 * 525_091 * SCALE, rel=0.06)


def test_refuses_clearly_without_sources(env, tmp_path):
    with pytest.raises(InputError) as err:
        build_long("real", raw_dir=tmp_path)
    msg = str(err.value)
    assert "no real source file found" in msg and str(tmp_path) in msg
    assert "StockUniteLegale" in msg and "chomage" in msg and "impact fetch" in msg
    with pytest.raises(InputError, match="unknown source key"):
        build_long({"sirene": tmp_path / "x"})
    with pytest.raises(InputError, match="not found"):
        build_long({"urssaf": tmp_path / "missing.csv"})
    with pytest.raises(InputError, match="no demonstration data"):
        build_long("demo", raw_dir=tmp_path)


def test_real_mode_finds_files_and_uses_what_is_there(files, env, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(files.urssaf, real / "urssaf_effectifs_departement.csv")
    long = build_long("real", raw_dir=real)
    assert long.attrs["sources"] == ["urssaf"] and long.attrs["demo"] is False
    assert set(long["source"].astype(str)) == {"urssaf", "insee_population"}
    with pytest.raises(InputError, match="no commune-level creation counts"):
        build_panel(long, data_kind="real")


def test_departement_panel_is_balanced_and_rates_rederived(dep, long):
    assert dep.attrs["dropped"] == ["976"]  # Mayotte: no population in COG 2025
    assert dep["territory_code"].nunique() == 100 and dep["year"].nunique() == 11
    assert len(dep) == 100 * 11 and not dep.duplicated(["territory_code", "year"]).any()
    np.testing.assert_allclose(
        dep["creations_tpe_per10k"], 1e4 * dep["creations_tpe"] / dep["population"]
    )
    # Counts are sums of the communes' counts in the long table.
    com = long[
        (long["indicator"] == "creations_tpe")
        & (long["period"] == "2016")
        & long["territory_code"].astype(str).str.startswith("74")
    ]
    assert (
        dep.set_index(["territory_code", "year"]).loc[("74", 2016), "creations_tpe"]
        == com["value"].sum()
    )
    row = dep[dep["territory_code"] == "74"].iloc[0]
    assert row["name"] == "Haute-Savoie" and row["region"] == "84" and row["level"] == "departement"


def test_region_rates_from_counts_not_averages(dep, reg):
    ara = dep[(dep["region"] == "84") & (dep["year"] == 2015)]
    r = reg[(reg["territory_code"] == "84") & (reg["year"] == 2015)].iloc[0]
    assert r["creations_tpe_per10k"] == pytest.approx(
        1e4 * ara["creations_tpe"].sum() / ara["population"].sum()
    )
    assert r["creations_tpe_per10k"] != pytest.approx(ara["creations_tpe_per10k"].mean(), rel=1e-4)
    assert r["salaried_jobs"] == pytest.approx(ara["salaried_jobs"].sum())  # counts summed
    # The région rate is the published one (workbook sheet "Région"), annual mean of quarters.
    pub = pd.read_excel(
        demo.DemoFiles.in_folder(dep.attrs["demo_folder"]).unemployment,
        sheet_name="Région",
        header=4,
    )
    pub["Code"] = pub["Code"].astype(str)
    q = pub.set_index("Code").loc["84", [f"T{i}_2015" for i in range(1, 5)]].astype(float)
    assert r["unemployment_rate"] == pytest.approx(q.mean())


def test_unemployment_below_departement_is_population_weighted(long, dep):
    epci = build_panel(long, data_kind="demo", level="epci", start=2015, end=2015)
    assert set(epci["year"]) == {2015}
    from impact.territories import communes

    com = pd.DataFrame(communes().drop(columns="geometry"))
    code = epci.loc[epci["departement"] == "01", "territory_code"].iloc[0]
    members = com[com["epci"] == code]
    rates = dep[dep["year"] == 2015].set_index("territory_code")["unemployment_rate"]
    w = members.groupby("departement")["population"].sum()
    expected = (rates.reindex(w.index) * w).sum() / w.sum()
    got = epci.set_index("territory_code").loc[code, "unemployment_rate"]
    assert got == pytest.approx(expected)
    assert epci["salaried_jobs"].isna().all()  # URSSAF given by département only: not split


def test_treatment_and_spending(dep, files):
    t = pd.read_csv(files.treatment, dtype={"commune": str, "departement": str})
    first = dep.drop_duplicates("territory_code").set_index("territory_code")["first_label_year"]
    assert set(first.unique()) <= {0, 2014, 2016}
    expected = t.groupby("departement")["label_year"].min()
    assert first[first > 0].sort_index().to_dict() == expected.sort_index().to_dict()
    assert dep.drop_duplicates("territory_code")["ptce_count"].sum() == len(t)
    assert (
        dep["treated"] == ((dep["first_label_year"] > 0) & (dep["year"] >= dep["first_label_year"]))
    ).all()
    # Spending: the published envelopes (3 M€ in 2014, 2.7 M€ in 2016) shared among the PTCE.
    by_year = dep.groupby("year")["spending_eur"].sum()
    assert by_year[2014] == pytest.approx(3_000_000) and by_year[2016] == pytest.approx(2_700_000)
    assert by_year.drop([2014, 2016]).eq(0).all()
    np.testing.assert_allclose(
        dep["spending_per_inhabitant"], dep["spending_eur"] / dep["population"]
    )


def test_commune_panel_carries_departement_rate(long, dep):
    com = build_panel(long, data_kind="demo", level="commune", start=2020, end=2020)
    assert com["territory_code"].str.len().eq(5).all() and com["year"].eq(2020).all()
    annecy = com.set_index("territory_code").loc["74010"]
    assert annecy["unemployment_rate"] == pytest.approx(
        dep.set_index(["territory_code", "year"]).loc[("74", 2020), "unemployment_rate"]
    )
    assert com["creations_total"].sum() == dep.loc[dep["year"] == 2020, "creations_total"].sum()


def test_quarterly_panel_adds_up_to_the_annual_one(files, dep):
    monthly = build_long("demo", seed=SEED, scale=SCALE, freq="month", start=2014, end=2016)
    q = build_panel(monthly, data_kind="demo", level="departement", freq="quarter")
    assert q["period"].nunique() == 12 and q["period"].iloc[0] == "2014Q1"
    assert (np.diff(np.sort(q["time"].unique())) == 1).all()
    annual = q.groupby(["territory_code", "year"])["creations_tpe"].sum()
    ref = dep[dep["year"].between(2014, 2016)].set_index(["territory_code", "year"])[
        "creations_tpe"
    ]
    pd.testing.assert_series_equal(annual.sort_index(), ref.sort_index(), check_names=False)
    m = build_panel(monthly, data_kind="demo", level="region", freq="month", start=2015, end=2015)
    assert m["period"].nunique() == 12 and m["unemployment_rate"].notna().all()
    long_annual = build_long("demo", seed=SEED, scale=SCALE)
    with pytest.raises(InputError, match="needs monthly creation counts"):
        build_panel(long_annual, data_kind="demo", freq="quarter")


def test_bad_arguments(long):
    with pytest.raises(InputError, match="level must be .* not 'canton'"):
        build_panel(long, data_kind="demo", level="canton")
    with pytest.raises(InputError, match="freq must be .* not 'week'"):
        build_panel(long, data_kind="demo", freq="week")
    with pytest.raises(InputError, match="data_kind must be 'real' or 'demo', not 'fake'"):
        build_panel(long, data_kind="fake")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no data between"):
        build_panel(long, data_kind="demo", start=2030)
    with pytest.raises(InputError, match=r"outcomes \['jobs_created'\]"):
        build_panel(long, data_kind="demo", outcomes=["jobs_created"])
    with pytest.raises(InputError, match="other than population"):
        build_panel(long, data_kind="demo", outcomes=["population"])
    one = build_panel(long, data_kind="demo", level="region", outcomes=["creations_legal_association"], region="53")
    assert set(one["territory_code"]) == {"53"} and "creations_legal_association_per10k" in one


def test_any_indicator_as_outcome(long, reg):
    """A count other than creations gets a rate per 10,000 inhabitants; a rate is kept as is."""
    jobs = build_panel(long, level="region", data_kind="demo",
                       outcomes=["salaried_jobs", "unemployment_rate"])
    assert jobs.attrs["data_kind"] == "demo"
    assert jobs.attrs["outcomes"] == ["salaried_jobs", "unemployment_rate"]
    assert not [c for c in jobs.columns if c.startswith("creations_")]
    assert "unemployment_rate_per10k" not in jobs
    expected = 10_000 * reg["salaried_jobs"] / reg["population"]
    np.testing.assert_allclose(jobs["salaried_jobs_per10k"], expected, rtol=1e-12)
    np.testing.assert_allclose(jobs["unemployment_rate"], reg["unemployment_rate"])


def test_data_kind_is_required_and_must_agree_with_the_long_table(long):
    """Whether numbers are real or demonstration is said by the caller, never guessed, and a
    label the long table contradicts is refused (a demonstration must not pass as real)."""
    with pytest.raises(TypeError, match="data_kind"):
        build_panel(long, level="region", region="53")  # type: ignore[call-arg]
    with pytest.raises(InputError, match=r"data_kind='real'.*demo-\* rows.*pass data_kind='demo'"):
        build_panel(long, level="region", region="53", data_kind="real")
    # The same rows without their demonstration marks: now "demo" is the contradiction.
    unmarked = long.assign(source=long["source"].astype(str).str.removeprefix("demo-"))
    unmarked.attrs = {**long.attrs, "demo": False}
    with pytest.raises(InputError, match="data_kind='demo' but the long table has no"):
        build_panel(unmarked, level="region", region="53", data_kind="demo")
    panel = build_panel(long, level="region", region="53", data_kind="demo")
    assert panel.attrs["data_kind"] == "demo" and panel.attrs["treatment"]["origin"] == "ptce_demo"


def test_write_outputs_all_or_nothing(long, reg, tmp_path, monkeypatch):
    out = tmp_path / "processed"
    real_to_parquet = pd.DataFrame.to_parquet
    calls = []

    def fail_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the long table is written, the panel fails halfway
            raise OSError("disk full")
        return real_to_parquet(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail_second)
    with pytest.raises(OSError, match="disk full"):
        write_outputs(long, reg, out)
    assert list(out.iterdir()) == []  # neither file, nor temporary files
    monkeypatch.undo()
    paths = write_outputs(long, reg, out)
    assert paths == output_paths("region", "year", out)
    assert paths["panel"].name == "panel_region_year.parquet"
    back = pd.read_parquet(paths["panel"])
    assert back.shape == reg.shape
    before = paths["long"].read_bytes()
    bad = reg.copy()
    bad.loc[0, "creations_tpe"] = -1.0
    with pytest.raises(InputError, match="creations_tpe"):
        write_outputs(long, bad, out)
    assert paths["long"].read_bytes() == before  # the previous outputs are untouched
    assert sorted(p.name for p in out.iterdir()) == ["long.parquet", "panel_region_year.parquet"]


def test_cli_end_to_end(tmp_path, env):
    from impact.cli import app

    runner = CliRunner()
    folder = tmp_path / "demo"
    res = runner.invoke(app, ["demo", "--seed", "3", "--scale", "0.05", "--out", str(folder)])
    assert res.exit_code == 0, res.output
    assert str(folder) in res.output and "not real" in res.output
    res = runner.invoke(
        app,
        [
            "build",
            "--source",
            "demo",
            "--raw-dir",
            str(folder),
            "--level",
            "region",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Sources used: sirene, urssaf, unemployment (DEMONSTRATION data" in res.output
    panel = pd.read_parquet(tmp_path / "out" / "panel_region_year.parquet")
    assert panel["territory_code"].nunique() == 17  # 18 régions but Mayotte
    res = runner.invoke(
        app,
        [
            "build",
            "--source",
            "real",
            "--raw-dir",
            str(tmp_path / "empty"),
            "--out",
            str(tmp_path / "out2"),
        ],
    )
    assert res.exit_code == 2
    assert "no real source file found" in res.output
    assert not (tmp_path / "out2").exists()
    # A demonstration cannot be written out as real data.
    res = runner.invoke(app, ["build", "--source", "demo", "--raw-dir", str(folder),
                              "--data-kind", "real", "--out", str(tmp_path / "out3")])
    assert res.exit_code == 2
    assert "data_kind='real' but the long table is a demonstration" in res.output
    assert "--data-kind demo" in res.output
    assert not (tmp_path / "out3").exists()


def test_estimators_recover_the_injected_effect(env):
    """At scale 0.1 the simple ATT on TPE creations per 10,000 inhabitants is the injected one."""
    est = pytest.importorskip("impact.estimate")
    long = build_long("demo", seed=2014, scale=0.1)
    panel = build_panel(long, data_kind="demo")
    res = est.att_gt(
        panel,
        outcome="creations_tpe_per10k",
        unit="territory_code",
        time="year",
        group="first_label_year",
        control="never",
    )
    att = res.aggregate("simple").overall_att
    truth = demo.expected_att(panel)
    base = panel.loc[panel["treated"] == 1, "creations_tpe_per10k"].mean()
    assert truth / base == pytest.approx(0.13, abs=0.02)  # +8 % … +15 %, mostly +15 %
    assert att == pytest.approx(truth, rel=0.35)
