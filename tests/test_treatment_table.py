"""A second programme studied end to end by passing a treatment table (issue 15).

The invented programme of :func:`impact.datasets.example_treatment` (four Breton and
Loire-Atlantique départements, 2016 and 2017) on the shipped INSEE data: panel, group-time
estimate checked against a hand computation, and the estimation notebook run once with
``treatment=<csv>`` and ``programme="Programme fictif"``. Then the validation of treatment
tables, the aggregation and ``uncertain`` rule, and the two providers (PTCE registry, spending).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact import ptce
from impact.datasets import example_treatment
from impact.errors import InputError
from impact.estimate import att_gt
from impact.panel import (
    build_long,
    build_panel,
    read_treatment,
    spending_treatment,
    treatment_at_level,
)
from impact.panel.treatment_table import treatment_digest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TREATED = {"29": "Finistère", "35": "Ille-et-Vilaine", "44": "Loire-Atlantique", "56": "Morbihan"}
OUTCOME = "creations_companies_per10k"


@pytest.fixture(scope="module")
def long():
    return build_long("insee")


@pytest.fixture(scope="module")
def panel(long):
    return build_panel(long, level="departement", treatment=example_treatment(), data_kind="real",
                       outcomes=["creations_companies", "creations_total", "unemployment_rate"])


def hand_simple_att(panel: pd.DataFrame, outcome: str) -> float:
    """Callaway-Sant'Anna 'simple' ATT without covariates, never-treated controls, by hand.

    ATT(g, t) = mean over cohort g of (Y_t - Y_{g-1}) minus the same mean over the
    never-treated; the simple aggregate averages the post-treatment cells (t >= g) weighted
    by cohort size.
    """
    wide = panel.pivot(index="territory_code", columns="year", values=outcome).dropna()
    group = panel.drop_duplicates("territory_code").set_index("territory_code")[
        "first_label_year"].reindex(wide.index)
    never = wide[group == 0]
    num = den = 0.0
    for g in sorted(set(group[group > 0])):
        cohort = wide[group == g]
        for t in [y for y in wide.columns if y >= g]:
            att = ((cohort[t] - cohort[g - 1]).mean() - (never[t] - never[g - 1]).mean())
            num += len(cohort) * att
            den += len(cohort)
    return num / den


def test_second_programme_panel(panel):
    first = panel.drop_duplicates("territory_code").set_index("territory_code")
    treated = first[first["first_label_year"] > 0]
    assert dict(treated["name"]) == TREATED
    assert treated["first_label_year"].to_dict() == {"29": 2016, "35": 2016, "44": 2017, "56": 2017}
    assert treated["intensity"].to_dict() == {"29": 4.0, "35": 2.5, "44": 3.0, "56": 1.5}
    assert (first.loc[first["first_label_year"] == 0, "intensity"] == 0).all()
    # Nothing of the PTCE: no lauréat counted, no territory excluded as uncertain.
    assert panel["ptce_count"].eq(0).all() and panel.attrs["ptce"] == {}
    assert panel.attrs["excluded_uncertain"] == []
    assert first.shape[0] == 96  # every metropolitan département
    info = panel.attrs["treatment"]
    assert info["origin"] == "table" and info["digest"] == treatment_digest(example_treatment())
    assert info["treated"] == sorted(TREATED)
    assert panel.attrs["data_kind"] == "real"
    # Outcomes: counts get a rate per 10,000 inhabitants, the unemployment rate is kept as is.
    assert {"creations_companies_per10k", "creations_total_per10k"} <= set(panel.columns)
    assert "unemployment_rate_per10k" not in panel and "creations_ess" not in panel
    np.testing.assert_allclose(
        panel["creations_total_per10k"], 1e4 * panel["creations_total"] / panel["population"])


def test_second_programme_estimate_matches_a_hand_computation(panel):
    res = att_gt(panel, outcome=OUTCOME, unit="territory_code", time="year",
                 group="first_label_year", control="never")
    simple = res.aggregate("simple")
    assert simple.overall_att == pytest.approx(hand_simple_att(panel, OUTCOME), rel=1e-9)


def test_second_programme_report(panel, tmp_path, monkeypatch):
    """`impact report` on notebook 03 with the invented programme's table, as a user runs it:
    the run's report and the index name the programme and its territories."""
    import os

    import nbformat
    from typer.testing import CliRunner

    import impact
    from impact.cli import app
    from impact.notebook import estimation_panel

    # The kernel imports the same `impact` as this test (a checkout run with PYTHONPATH=src).
    package_parent = str(Path(impact.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [package_parent, *filter(None, [os.environ.get("PYTHONPATH")])]))
    csv = tmp_path / "programme_fictif.csv"
    example_treatment().to_csv(csv, index=False)
    # Built here, the notebook's tables are cached (data/processed/notebooks under the test's
    # IMPACT_DATA_DIR, inherited by the kernel): the kernel reads them instead of rebuilding.
    nb_panel, info = estimation_panel(source="insee", treatment=str(csv),
                                      programme="Programme fictif")
    assert info["treated"] == [f"{n} ({c})" for c, n in sorted(TREATED.items())]
    pd.testing.assert_series_equal(nb_panel[OUTCOME], panel[OUTCOME])
    out = tmp_path / "reports"
    # Small draws: the run checks the plumbing, not the inference (keeps CI time low).
    res = CliRunner().invoke(app, [
        "report", str(NOTEBOOKS / "03_estimate_impact.ipynb"), "-p", "treatment", str(csv),
        "-p", "programme", "Programme fictif", "-p", "bootstrap", "0",
        "-p", "n_permutations", "19", "-p", "n_placebo", "0", "--jobs", "1",
        "--output-dir", str(out)])
    assert res.exit_code == 0, res.output
    [run] = [p.parent for p in out.glob("*/provenance.json")]
    provenance = json.loads((run / "provenance.json").read_text())
    assert provenance["parameters"]["treatment"] == str(csv)
    headline = json.loads((run / "headline.json").read_text())
    assert headline["programme"] == "Programme fictif" and headline["treatment"] == "table"
    assert headline["treated"] == [f"{n} ({c})" for c, n in sorted(TREATED.items())]
    assert headline["n_treated"] == 4 and headline["outcome"] == OUTCOME
    assert headline["overall_att"] == round(hand_simple_att(nb_panel, OUTCOME), 2)
    executed = nbformat.read(run / "notebook.ipynb", as_version=4)
    shown = "".join(o.get("text", "") + o.get("data", {}).get("text/markdown", "")
                    for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
    listed = ("Programme : Programme fictif — 4 départements traités : Finistère (29), "
              "Ille-et-Vilaine (35), Loire-Atlantique (44), Morbihan (56)")
    assert listed in shown and "« labellisation » désigne" in shown
    assert "Exception reporting mode" not in shown  # short tracebacks, set silently
    report = (run / "report.html").read_text(encoding="utf-8")
    assert listed in report
    index = (out / "index.html").read_text("utf-8")
    assert "<h1>Effets territoriaux du programme « Programme fictif » — rapports</h1>" in index
    assert "Effet moyen du programme « Programme fictif »" in index  # the headline box
    assert "Effet moyen de la labellisation" not in index


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("table", "message"), [
    ({"territory_code": ["29"], "first_treated": [2016]}, r"lacks column\(s\) \['intensity'\]"),
    ({"territory_code": ["29", "35", "29"], "first_treated": [2016] * 3, "intensity": [1.0] * 3},
     r"code '29' is given twice \(rows 0 and 2\)"),
    ({"territory_code": ["29", ""], "first_treated": [2016] * 2, "intensity": [1.0] * 2},
     r"row 1 of the treatment table: empty territory code"),
    ({"territory_code": ["29", "35"], "first_treated": [2016, 16], "intensity": [1.0] * 2},
     r"row 1 of the treatment table: first_treated 16 is not a year"),
    ({"territory_code": ["29"], "first_treated": [2016.5], "intensity": [1.0]},
     r"first_treated 2016.5 is not a year"),
    ({"territory_code": ["29"], "first_treated": [2016], "intensity": ["beaucoup"]},
     r"intensity 'beaucoup' is not a number >= 0"),
    ({"territory_code": ["29"], "first_treated": [2016], "intensity": [1.0],
      "precision": ["canton"]}, r"precision 'canton' is not one of"),
])
def test_bad_tables_are_refused_naming_row_column_and_value(table, message):
    with pytest.raises(InputError, match=message) as info:
        read_treatment(pd.DataFrame(table))
    assert info.value.column in {"territory_code", "first_treated", "intensity", "precision"}


def test_errors_in_a_file_name_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("territory_code;first_treated;intensity\n29;2016;1\n2A;2016;x\n", "utf-8")
    with pytest.raises(InputError, match=r"t.csv, line 3, column 'intensity'.*'x'"):
        read_treatment(path)
    path.write_text("territory_code,first_treated,intensity\n29,2016,1\n975,2016,1\n", "utf-8")
    with pytest.raises(InputError, match=r"line 3, column 'territory_code'.*'975' is not a "
                                         r"departement"):
        treatment_at_level(read_treatment(path), "departement")
    with pytest.raises(InputError, match="treatment table not found"):
        read_treatment(tmp_path / "nowhere.csv")


def test_communes_aggregate_up_and_coarse_rows_need_a_precision():
    t = read_treatment(pd.DataFrame({
        "territory_code": ["29019", "29232", "35238", "56260"],   # Brest, Quimper, Rennes, Vannes
        "first_treated": [2018, 2016, 0, 2017], "intensity": [1.0, 2.5, 7.0, 1.0]}))
    dep = treatment_at_level(t, "departement").table.set_index("territory_code")
    assert dep.loc["29"].tolist() == [2016, 2, 3.5]      # earliest year, two rows, summed
    assert dep.loc["35"].tolist() == [0, 1, 7.0]         # listed but never treated
    reg = treatment_at_level(t, "region").table.set_index("territory_code")
    assert reg.loc["53"].tolist() == [2016, 4, 11.5]
    # At région level, short codes are régions when all are région codes, else départements.
    only_44 = read_treatment(pd.DataFrame(
        {"territory_code": ["44"], "first_treated": [2016], "intensity": [1.0]}))
    assert treatment_at_level(only_44, "region").table["territory_code"].tolist() == ["44"]
    with_29 = read_treatment(pd.DataFrame(
        {"territory_code": ["29", "44"], "first_treated": [2016] * 2, "intensity": [1.0] * 2}))
    assert treatment_at_level(with_29, "region").table["territory_code"].tolist() == ["52", "53"]
    with pytest.raises(InputError, match="row 0 .*'29' is a département or région code but the "
                                         "panel is by commune"):
        treatment_at_level(read_treatment(pd.DataFrame(
            {"territory_code": ["29"], "first_treated": [2016], "intensity": [1.0]})), "commune")


def test_coarser_rows_with_precision_follow_the_uncertain_rule():
    t = read_treatment(pd.DataFrame({
        "territory_code": ["29", "53", "44"], "first_treated": [2016, 2017, 2018],
        "intensity": [1.0, 1.0, 1.0], "precision": ["departement", "region", None]}))
    exclude = treatment_at_level(t, "departement", uncertain="exclude")
    # Bretagne (53) is 22, 29, 35, 56: Finistère is treated earlier (2016 <= 2017) and stays.
    assert exclude.excluded == ["22", "35", "56"]
    assert sorted(exclude.uncertain["territory_code"]) == ["22", "29", "35", "56"]
    assert exclude.table["territory_code"].tolist() == ["29", "44"]
    assert treatment_at_level(t, "departement", uncertain="keep").excluded == []


def test_uncertain_and_years_outside_the_panel_in_build_panel(long, caplog):
    t = pd.DataFrame({"territory_code": ["29", "53", "44", "75"],
                      "first_treated": [2016, 2017, 2030, 2011], "intensity": [1.0] * 4,
                      "precision": ["departement", "region", "departement", "departement"]})
    with caplog.at_level(logging.INFO, logger="impact.panel"):
        panel = build_panel(long, level="departement", treatment=t, data_kind="real",
                            outcomes=["creations_total"])
    assert panel.attrs["excluded_uncertain"] == ["22", "35", "56"]
    assert not panel["territory_code"].isin(["22", "35", "56"]).any()
    first = panel.drop_duplicates("territory_code").set_index("territory_code")["first_label_year"]
    # Treated after the last year (2021): untreated within the panel, and reported.
    assert first["44"] == 0 and panel.attrs["treatment"]["treated_after_end"] == ["44"]
    # Treated before the first year (2012): kept, no untreated period, reported.
    assert first["75"] == 2011 and panel.attrs["treatment"]["always_treated"] == ["75"]
    assert "after 2021" in caplog.text and "in or before 2012" in caplog.text


def test_data_kind_is_recorded_as_given_and_checked_against_the_long_table(long):
    panel = build_panel(long, level="region", treatment=example_treatment(), data_kind="real",
                        outcomes=["creations_total"])
    assert panel.attrs["data_kind"] == "real" and panel.attrs["demo"] is False
    # The INSEE rows cannot be labelled a demonstration (nor a demonstration real).
    with pytest.raises(InputError, match="data_kind='demo' but the long table has no"):
        build_panel(long, level="region", treatment=example_treatment(), data_kind="demo",
                    outcomes=["creations_total"])
    # Four départements of two régions: Bretagne (53, 2016) and Pays de la Loire (52, 2017).
    first = panel.drop_duplicates("territory_code").set_index("territory_code")
    assert first.loc[first["first_label_year"] > 0, "first_label_year"].to_dict() == {
        "52": 2017, "53": 2016}
    assert first.loc["53", "intensity"] == 8.0


# --------------------------------------------------------------------------- providers


def test_ptce_registry_is_one_provider(long):
    default = build_panel(long, level="departement", data_kind="real")
    table = ptce.treatment("departement", uncertain="exclude")
    explicit = build_panel(long, level="departement", data_kind="real", treatment=table)
    pd.testing.assert_frame_equal(default, explicit)
    assert default.attrs["treatment"]["origin"] == "ptce_registry"
    assert default.attrs["excluded_uncertain"] == sorted(
        set(table.attrs["excluded"]) & set(build_panel(
            long, level="departement", data_kind="real", uncertain="keep")["territory_code"]))
    placed = ptce.placement("departement").placed
    first = default.drop_duplicates("territory_code").set_index("territory_code")
    counts = placed.groupby("territory_code").size()
    kept = counts[counts.index.isin(first.index)]
    assert (first.loc[kept.index, "ptce_count"] == kept).all()
    assert (first.loc[kept.index, "first_label_year"]
            == placed.groupby("territory_code")["label_year"].min()[kept.index]).all()


def test_spending_is_another_provider(long, tmp_path):
    path = tmp_path / "spending.csv"
    path.write_text(
        "territory_code,level,year,programme,euros,source\n"
        "29,departement,2016,fonds,100000,x\n29,departement,2018,fonds,50000,x\n"
        "35238,commune,2017,fonds,20000,x\nFR,france,2016,fonds,1000000,x\n", "utf-8")
    t = spending_treatment("departement", path=path)
    assert t.set_index("territory_code").to_dict("index") == {
        "29": {"first_treated": 2016, "intensity": 150000.0},
        "35": {"first_treated": 2017, "intensity": 20000.0}}
    panel = build_panel(long, level="departement", data_kind="real", treatment=t,
                        outcomes=["creations_total"])
    assert panel.attrs["treatment"]["origin"] == "spending"
    spent = panel.groupby("territory_code")["spending_eur"].sum()
    assert spent["29"] == 150000.0 and spent["35"] == 20000.0 and spent.sum() == 170000.0
    with pytest.raises(InputError, match="no spending row can be placed at departement level"):
        only_national = tmp_path / "national.csv"
        only_national.write_text("territory_code,level,year,programme,euros,source\n"
                                 "FR,france,2016,fonds,1000000,x\n", "utf-8")
        spending_treatment("departement", path=only_national)
