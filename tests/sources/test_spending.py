"""The spending table: reader, validation, and its use in the panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.config import raw_dir
from impact.errors import InputError, UnknownCodeError
from impact.panel import CALL_ENVELOPES, pole_grants, ptce_list, spending_table
from impact.sources import spending

HEADER = "territory_code,level,year,programme,euros,source,notes\n"


def write(
    tmp_path: Path,
    rows: list[str],
    header: str = HEADER,
    name: str = "spending.csv",
    encoding: str = "utf-8",
) -> Path:
    p = tmp_path / name
    p.write_bytes((header + "".join(r + "\n" for r in rows)).encode(encoding))
    return p


def test_shipped_table_holds_the_published_envelopes():
    path = raw_dir() / "spending.csv"
    if not path.exists():
        pytest.skip("data/raw/spending.csv absent")
    s = spending.read(path)
    env = s.set_index("programme")
    # FACTS.md: 3 M€ for the 2013 call, 2.7 M€ for the 2015 call, 45 M€ a year 2014-2020.
    assert env.loc["ptce_call_2013", "euros"] == 3_000_000
    assert env.loc["ptce_call_2015", "euros"] == 2_700_000
    conv = s[s["programme"] == "convention_total"]
    assert conv["year"].tolist() == list(range(2014, 2021))
    assert conv["euros"].eq(45_000_000).all()
    assert s["source"].str.len().gt(10).all() and set(s["level"]) == {"france"}
    assert {int(y): e for y, (e, _) in CALL_ENVELOPES.items()} == {
        2014: env.loc["ptce_call_2013", "euros"],
        2016: env.loc["ptce_call_2015", "euros"],
    }


def test_french_layout_codes_and_markers(tmp_path):
    rows = [
        "1001;commune;2015;dla;1 234,50;CDC 2016;",
        "2a004;commune;2015;dla;s;CDC 2016;secret",
        "1;departement;2016;ptce_call_2015;120 000;brochure;",
        "84;region;2016;dla;nd;x;",
        "75101;commune;2017;dla;10;x;arrondissement",
    ]
    p = write(tmp_path, rows, header=HEADER.replace(",", ";"), encoding="latin-1")
    s = spending.read(p)
    assert s["territory_code"].tolist() == ["01001", "2A004", "01", "84", "75056"]
    assert s["euros"].iloc[0] == pytest.approx(1234.5) and s["euros"].iloc[2] == 120_000
    assert s["status"].tolist() == ["observed", "secret", "observed", "missing", "observed"]
    assert np.isnan(s["euros"].iloc[1]) and s["year"].dtype == np.int64


@pytest.mark.parametrize(
    ("row", "pattern"),
    [
        ("01001,canton,2015,dla,1,x,", r"line 2, column 'level': unknown level 'canton'"),
        (
            "01001,commune,15,dla,1,x,",
            r"line 2, column 'year': expected a four-digit year, found '15'",
        ),
        (
            "01001,commune,2015,dla,beaucoup,x,",
            r"line 2, column 'euros': value 'beaucoup' is not a number",
        ),
        ("01001,commune,2015,dla,-5,x,", r"line 2, column 'euros': amount '-5' is negative"),
        (
            "01001,commune,2015,dla,5,,",
            r"line 2, column 'source': every row needs the public source",
        ),
    ],
)
def test_bad_values_name_line_column_and_value(tmp_path, row, pattern):
    with pytest.raises(InputError, match=pattern):
        spending.read(write(tmp_path, [row]))


def test_unknown_codes_are_listed_with_their_line(tmp_path):
    p = write(
        tmp_path,
        [
            "01001,commune,2015,dla,1,x,",
            "99999,commune,2015,dla,1,x,",
            "96,departement,2015,dla,1,x,",
        ],
    )
    with pytest.raises(UnknownCodeError, match=r"line 3.*'99999' \(line 3"):
        spending.read(p)


def test_missing_column_empty_file_and_duplicates(tmp_path):
    p = write(
        tmp_path, ["01001,commune,2015,1,x"], header="territory_code,level,year,euros,source\n"
    )
    with pytest.raises(
        InputError, match=r"required column\(s\) \['programme'\] not found; columns found"
    ):
        spending.read(p)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        spending.read(tmp_path / "empty.csv")
    same = "01001,commune,2015,dla,1,x,"
    assert len(spending.read(write(tmp_path, [same, same]))) == 1  # exact repeat dropped
    with pytest.raises(InputError, match=r"2 rows share the same .* \(lines \[2, 3\]"):
        spending.read(write(tmp_path, [same, "01001,commune,2015,dla,2,x,"]))


def test_panel_sums_finer_rows_and_leaves_national_ones_out(tmp_path, caplog):
    p = write(
        tmp_path,
        [
            "74010,commune,2015,dla,100,x,",
            "74182,commune,2015,dla,50,x,",
            "74,departement,2015,dla,1000,x,",
            "01001,commune,2016,dla,7,x,",
            "84,region,2015,dla,99999,x,",
            "FR,france,2014,ptce_call_2013,3000000,x,",
        ],
    )
    poles = pd.DataFrame({"territory_code": ["74"], "label_year": [2014], "grant_eur": [np.nan]})
    with caplog.at_level("INFO", logger="impact.panel"):
        out = spending_table("departement", poles, demo=False, path=p)
    got = out.set_index(["territory_code", "year"])["euros"].to_dict()
    # 74182 (Meythet) is a former commune merged into Annecy: still in Haute-Savoie.
    assert got == {("74", 2015): 1150.0, ("01", 2016): 7.0}
    assert "2 row(s) at level(s) ['france', 'region']" in caplog.text
    reg = spending_table("region", poles, demo=False, path=p)
    assert reg.set_index(["territory_code", "year"])["euros"].to_dict() == {
        ("84", 2015): 100 + 50 + 1000 + 99999.0,
        ("84", 2016): 7.0,
    }


def test_national_envelopes_only_fall_back_to_pole_grants(tmp_path):
    p = write(tmp_path, ["FR,france,2014,ptce_call_2013,3000000,x,"])
    poles = pd.DataFrame(
        {
            "territory_code": ["74", "74", "2A", "971"],
            "label_year": [2014, 2014, 2016, 2016],
            "grant_eur": [np.nan, 200_000, 121_555, np.nan],
        }
    )
    out = spending_table("departement", poles, demo=False, path=p)
    got = out.set_index(["territory_code", "year"])["euros"].to_dict()
    share_2014 = (3_000_000 - 200_000) / 22  # the 22 lauréats of 2013 without a published grant
    share_2016 = (2_700_000 - 121_555) / 13
    assert got == pytest.approx(
        {("74", 2014): share_2014 + 200_000, ("2A", 2016): 121_555, ("971", 2016): share_2016}
    )


def test_pole_grants_with_a_full_registry_adds_up_to_the_envelope():
    n13, n15 = CALL_ENVELOPES[2014][1], CALL_ENVELOPES[2016][1]
    rng = np.random.default_rng(0)
    grants = np.where(rng.random(n13 + n15) < 0.3, rng.uniform(26_000, 150_000, n13 + n15), np.nan)
    poles = pd.DataFrame({"label_year": [2014] * n13 + [2016] * n15, "grant_eur": grants})
    g = pole_grants(poles)
    by_year = g.groupby(poles["label_year"]).sum()
    assert by_year[2014] == pytest.approx(3_000_000) and by_year[2016] == pytest.approx(2_700_000)
    assert (g[~np.isnan(grants)] == grants[~np.isnan(grants)]).all()
    # Published grants above the envelope cannot leave a negative share.
    over = pd.DataFrame({"label_year": [2016, 2016], "grant_eur": [2_800_000, np.nan]})
    assert pole_grants(over).tolist() == [2_800_000, 0.0]


def test_ptce_list_carries_the_registry_grants(tmp_path, monkeypatch):
    (tmp_path / "ptce.csv").write_text(
        "ptce_id,name,commune_code,commune_name,departement,call,label_year,grant_eur,source_url,notes\n"
        "a,Pôle A,74010,,74,2013,2014,100000,https://example.org/a,\n"
        "b,Pôle B,2a004,,2A,2015,2016,,https://example.org/b,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("IMPACT_RAW_DIR", str(tmp_path))
    t = ptce_list("region")
    assert t["territory_code"].tolist() == ["84", "94"]
    assert t["grant_eur"].iloc[0] == 100_000 and np.isnan(t["grant_eur"].iloc[1])


def test_build_command_takes_a_spending_table(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from impact import demo
    from impact.cli import app

    monkeypatch.setenv("IMPACT_RAW_DIR", str(tmp_path / "no-registry"))
    files = demo.generate(seed=5, scale=0.01)  # shared with tests/test_panel.py (cached)
    table = write(
        tmp_path,
        [
            "74010,commune,2015,dla,100,x,",
            "2A,departement,2016,dla,250,x,",
            "FR,france,2014,convention_total,45000000,x,",
        ],
    )
    runner = CliRunner()
    args = [
        "build",
        "--source",
        "demo",
        "--raw-dir",
        str(files.folder),
        "--seed",
        "5",
        "--scale",
        "0.01",
        "--level",
        "region",
    ]
    res = runner.invoke(app, [*args, "--spending", str(table), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    panel = pd.read_parquet(tmp_path / "out" / "panel_region_year.parquet")
    got = panel[panel["spending_eur"] > 0].set_index(["territory_code", "year"])["spending_eur"]
    assert got.to_dict() == {("84", 2015): 100.0, ("94", 2016): 250.0}
    res = runner.invoke(
        app, [*args, "--spending", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "out2")]
    )
    assert res.exit_code == 2 and "spending table not found" in res.output
    assert not (tmp_path / "out2").exists()
