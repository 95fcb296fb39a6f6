"""The PTCE registry: validation, precision of places, points for maps, placement at a level."""

import logging
import re

import pandas as pd
import pytest

from impact import ptce
from impact.errors import InputError, UnknownCodeError

HEADER = (
    "ptce_id,name,commune_code,commune_name,departement,call,label_year,grant_eur,"
    "source_url,notes\n"
)
NEW_HEADER = (
    "ptce_id,name,precision,commune_code,commune_name,departement,region,call,label_year,grant_eur,"
    "source_url,notes\n"
)


def write(tmp_path, rows, header=HEADER, name="ptce.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_text(header + "".join(r + "\n" for r in rows), encoding=encoding)
    return p


# One lauréat of each precision: Annecy (74), the Hautes-Alpes (05), Corsica (94), unknown.
MIXED = [
    "a,Pôle A,commune,74010,,,,2013,2014,100000,https://example.org/a,",
    "b,Pôle B,departement,,,05,,2015,2016,,https://example.org/b,",
    "c,Pôle C,region,,,,94,2013,2014,,https://example.org/c,",
    "d,Pôle D,unknown,,,,,2015,2016,26000,https://example.org/d,",
]


def raises_at(exc, path, line, column, *fragments):
    """pytest.raises whose message must name the file, the line, the column and every fragment."""
    ctx = pytest.raises(exc)

    class _Check:
        def __enter__(self):
            self.info = ctx.__enter__()
            return self.info

        def __exit__(self, *args):
            handled = ctx.__exit__(*args)
            msg = str(self.info.value)
            assert str(path) in msg, msg
            if line is not None:
                assert f"line {line}" in msg, msg
            if column is not None:
                assert f"column {column!r}" in msg, msg
            for f in fragments:
                assert f in msg, msg
            return handled

    return _Check()


# --------------------------------------------------------------------------- #
# Old layout (no precision column) and the basic checks
# --------------------------------------------------------------------------- #


def test_load_locates_points_in_their_commune(tmp_path):
    p = write(
        tmp_path,
        [
            "a,Pôle A,74010,,74,2013,2014,100000,https://example.org/a,",
            "b,Pôle B,2a004,,2A,2015,2016,,https://example.org/b,",
            "c,Pôle C,74182,Meythet,74,2015,2016,50000,https://example.org/c,former commune",
        ],
    )
    g = ptce.load(p)
    assert g.crs.to_epsg() == 4326
    assert g["commune_code"].tolist() == ["74010", "2A004", "74010"]  # Meythet merged into Annecy
    assert g["region"].tolist() == ["84", "94", "84"]
    assert g["call"].tolist() == [2013, 2015, 2015]
    assert (g["precision"] == "commune").all()  # old layout: every row on its commune
    from impact.territories import communes

    com = communes().set_index("code")
    assert com.loc["2A004", "geometry"].contains(g.geometry.iloc[1])
    assert g["epci"].tolist() == [
        com.loc["74010", "epci"],
        com.loc["2A004", "epci"],
        com.loc["74010", "epci"],
    ]


def test_bad_call_and_grant_name_line_and_value(tmp_path):
    p = write(tmp_path, ["a,Pôle A,74010,,74,2014,2014,100000,https://x.org,"])
    with pytest.raises(InputError, match=r"line 2, column 'call': call must be 2013 or 2015"):
        ptce.load(p)
    p = write(
        tmp_path,
        [
            "a,Pôle A,74010,,74,2013,2014,100000,https://x.org,",
            "b,B,01001,,01,2013,2014,beaucoup,https://x.org,",
        ],
    )
    with pytest.raises(
        InputError, match=r"line 3, column 'grant_eur': expected a number, found 'beaucoup'"
    ):
        ptce.load(p)
    p = write(tmp_path, ["a,Pôle A,74010,,74,2013,2016,100000,https://x.org,"])
    with raises_at(InputError, p, 2, "label_year", "'2016'", "does not match call 2013"):
        ptce.load(p)


def test_unknown_codes_and_duplicates(tmp_path):
    p = write(
        tmp_path,
        ["b,B,01001,,01,2013,2014,,https://x.org,", "a,A,99999,,,2013,2014,,https://x.org,"],
    )
    with raises_at(UnknownCodeError, p, 3, "commune_code", "99999"):
        ptce.load(p)
    p = write(tmp_path, ["a,A,01001,,99,2013,2014,,https://x.org,"])
    with raises_at(InputError, p, 2, "departement", "'99'"):
        ptce.load(p)
    p = write(
        tmp_path,
        ["a,A,01001,,01,2013,2014,,https://x.org,", "a,B,01002,,01,2013,2014,,https://x.org,"],
    )
    with raises_at(InputError, p, 3, "ptce_id", "duplicated ptce_id 'a'", "line 2"):
        ptce.load(p)


def test_missing_columns_and_empty(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("id,name\n1,x\n")
    with pytest.raises(InputError, match=r"missing column\(s\) \['ptce_id', 'commune_code'"):
        ptce.load(p)
    with pytest.raises(InputError, match="no data rows"):
        ptce.load(write(tmp_path, []))
    with pytest.raises(InputError, match="not found"):
        ptce.read_registry(tmp_path / "absent.csv")


def test_source_must_be_an_address(tmp_path):
    p = write(tmp_path, ["a,A,01001,,01,2013,2014,,voir le dossier de presse,"])
    with raises_at(InputError, p, 2, "source_url", "'voir le dossier de presse'"):
        ptce.read_registry(p)


def test_more_rows_than_the_call_had(tmp_path):
    rows = [
        f"p{i},P{i},01001,,01,2015,2016,,https://x.org/{i},"
        for i in range(ptce.LAUREATES[2015] + 1)
    ]
    with pytest.raises(InputError, match=r"15 rows for the 2015 call, which had 14"):
        ptce.read_registry(write(tmp_path, rows))


# --------------------------------------------------------------------------- #
# Bad copies (issue 12, classes 2 and 5)
# --------------------------------------------------------------------------- #


def test_cp1252_registry_reads_with_its_accents(tmp_path):
    # Excel's "CSV (séparateur: point-virgule)" on Windows: cp1252 and ';'.
    rows = [r.replace(",", ";") for r in MIXED]
    p = write(tmp_path, rows, header=NEW_HEADER.replace(",", ";"), encoding="cp1252")
    assert b"P\xf4le" in p.read_bytes()  # really cp1252, not UTF-8
    reg = ptce.read_registry(p)
    assert reg["name"].tolist() == ["Pôle A", "Pôle B", "Pôle C", "Pôle D"]
    assert reg.attrs["encoding"] == "cp1252" and reg.attrs["sep"] == ";"


@pytest.mark.parametrize("position", [0, 2])
def test_unquoted_comma_shifting_columns_names_the_line(tmp_path, position):
    rows = list(MIXED)
    rows[position] = rows[position].replace("Pôle", "Pôle, dit")  # an unquoted comma in the name
    p = write(tmp_path, rows, header=NEW_HEADER)
    with raises_at(InputError, p, position + 2, None, "13 fields where the header has 12", "quote"):
        ptce.read_registry(p)
    # Quoted, the same value is legitimate.
    rows[position] = rows[position].replace("Pôle, dit", '"Pôle, dit"')
    assert (
        "Pôle, dit"
        in ptce.read_registry(write(tmp_path, rows, header=NEW_HEADER))["name"].iloc[position]
    )


def test_unknown_precision(tmp_path):
    p = write(tmp_path, [MIXED[0], MIXED[1].replace("departement", "ville", 1)], header=NEW_HEADER)
    with raises_at(InputError, p, 3, "precision", "'ville'", "commune"):
        ptce.read_registry(p)


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("b,Pôle B,departement,,,,93,2015,2016,,https://example.org/b,", "departement"),
        ("c,Pôle C,region,,,,,2013,2014,,https://example.org/c,", "region"),
        ("a,Pôle A,commune,,,74,,2013,2014,,https://example.org/a,", "commune_code"),
    ],
)
def test_precision_without_its_place(tmp_path, row, column):
    p = write(tmp_path, [MIXED[3], row], header=NEW_HEADER)
    with raises_at(InputError, p, 3, column, "needs a " + column):
        ptce.read_registry(p)


def test_finer_place_with_coarser_precision(tmp_path):
    p = write(
        tmp_path,
        ["b,Pôle B,departement,01001,,01,,2015,2016,,https://example.org/b,"],
        header=NEW_HEADER,
    )
    with raises_at(InputError, p, 2, "commune_code", "'01001'", "precision 'commune'"):
        ptce.read_registry(p)


@pytest.mark.parametrize(
    ("grant", "expected"),
    [
        ("1e9", "outside the 2013 call's published range 72,000–290,000"),
        ("inf", "not a finite amount"),
        ("-100000", "outside the 2013 call's published range"),
        ("50000", "outside the 2013 call's published range"),  # fine for 2015, below the 2013 floor
    ],
)
def test_grant_outside_its_call_range(tmp_path, grant, expected):
    p = write(
        tmp_path,
        [MIXED[1], f"a,Pôle A,commune,74010,,,,2013,2014,{grant},https://example.org/a,"],
        header=NEW_HEADER,
    )
    with raises_at(InputError, p, 3, "grant_eur", repr(grant), expected):
        ptce.read_registry(p)


def test_grant_bounds_are_inclusive(tmp_path):
    p = write(
        tmp_path,
        [
            "a,A,commune,74010,,,,2013,2014,72000,https://x.org,",
            'b,B,commune,74010,,,,2015,2016,"290 000",https://x.org,',
            "c,C,commune,74010,,,,2015,2016,26000,https://x.org,",
        ],
        header=NEW_HEADER,
    )
    assert ptce.read_registry(p)["grant_eur"].tolist() == [72_000.0, 290_000.0, 26_000.0]


def test_commune_outside_its_stated_departement(tmp_path):
    p = write(
        tmp_path,
        [MIXED[3], "a,Pôle A,commune,74010,,73,,2013,2014,,https://example.org/a,"],
        header=NEW_HEADER,
    )
    with raises_at(InputError, p, 3, "departement", "74010", "département 74, not 73"):
        ptce.read_registry(p)
    p = write(
        tmp_path,
        ["a,Pôle A,commune,74010,,74,93,2013,2014,,https://example.org/a,"],
        header=NEW_HEADER,
    )
    with raises_at(InputError, p, 2, "region", "région 84, not 93"):
        ptce.read_registry(p)
    p = write(
        tmp_path,
        ["b,Pôle B,departement,,,05,84,2015,2016,,https://example.org/b,"],
        header=NEW_HEADER,
    )
    with raises_at(InputError, p, 2, "region", "département 05 is in région 93, not 84"):
        ptce.read_registry(p)


# --------------------------------------------------------------------------- #
# read_registry, load and placement on a registry with every precision
# --------------------------------------------------------------------------- #


@pytest.fixture
def mixed(tmp_path):
    return write(tmp_path, MIXED, header=NEW_HEADER)


def test_read_registry_fills_places_from_the_finest_known(mixed):
    from impact.territories import communes

    com = communes().set_index("code")
    reg = ptce.read_registry(mixed).set_index("ptce_id")
    assert reg["precision"].tolist() == ["commune", "departement", "region", "unknown"]
    assert (
        reg.loc["a", "commune_code"] == "74010"
        and reg[["commune_code"]].iloc[1:].isna().all().all()
    )
    assert reg.loc["a", "commune_name"] == com.loc["74010", "name"]
    assert reg["departement"].tolist()[:2] == [com.loc["74010", "departement"], "05"]
    assert pd.isna(reg.loc["c", "departement"]) and pd.isna(reg.loc["d", "region"])
    assert reg["region"].tolist()[:3] == [com.loc["74010", "region"], "93", "94"]
    assert reg.loc["a", "epci"] == com.loc["74010", "epci"] and reg["epci"].iloc[1:].isna().all()
    assert reg["line"].tolist() == [2, 3, 4, 5]
    assert reg["grant_eur"].iloc[0] == 100_000 and pd.isna(reg["grant_eur"].iloc[1])


def test_load_keeps_only_commune_rows(mixed, caplog):
    with caplog.at_level(logging.INFO, logger="impact.ptce"):
        g = ptce.load(mixed)
    assert g["ptce_id"].tolist() == ["a"]
    assert g.attrs["left_out"] == {"departement": 1, "region": 1, "unknown": 1}
    assert "3 of 4 lauréats left out for lack of a commune" in caplog.text


def _expected_uncertain(level):
    """(territory, ptce_id) pairs from the territory layer, independently of ptce.placement."""
    from impact.territories import communes, departements

    com = pd.DataFrame(communes().drop(columns="geometry"))
    in_b = com["departement"] == "05"
    in_c = com["region"] == "94"
    if level == "commune":
        return {(t, "b") for t in com.loc[in_b, "code"]} | {(t, "c") for t in com.loc[in_c, "code"]}
    if level == "epci":
        return {(t, "b") for t in com.loc[in_b, "epci"].dropna()} | {
            (t, "c") for t in com.loc[in_c, "epci"].dropna()
        }
    if level == "departement":
        d = departements()
        return {(t, "c") for t in d.loc[d["region"] == "94", "departement"]}
    return set()


@pytest.mark.parametrize("level", ["commune", "epci", "departement", "region"])
def test_placement_at_each_level(mixed, level):
    from impact.territories import communes

    annecy = communes().set_index("code").loc["74010"]
    expected_placed = {
        "commune": {"a": "74010"},
        "epci": {"a": annecy["epci"]},
        "departement": {"a": annecy["departement"], "b": "05"},
        "region": {"a": annecy["region"], "b": "93", "c": "94"},
    }[level]
    res = ptce.placement(level, path=mixed)
    assert res.level == level
    assert (
        dict(zip(res.placed["ptce_id"], res.placed["territory_code"], strict=True))
        == expected_placed
    )
    assert list(res.placed.columns) == [
        "ptce_id",
        "name",
        "territory_code",
        "label_year",
        "grant_eur",
        "precision",
    ]
    got = set(zip(res.uncertain["territory_code"], res.uncertain["ptce_id"], strict=True))
    assert got == _expected_uncertain(level)
    assert len(got) == len(res.uncertain)  # no repeated (territory, lauréat) pair
    # The unknown lauréat excludes nothing at any level.
    assert "d" not in set(res.uncertain["ptce_id"]) and "d" not in set(res.placed["ptce_id"])
    c = res.counts
    n_placed = len(expected_placed)
    assert (c["laureates"], c["in_registry"], c["placed"], c["unknown"]) == (37, 4, n_placed, 1)
    assert c["coarser"] == 4 - 1 - n_placed
    assert c["not_in_registry"] == 37 - 4
    assert c["uncertain_territories"] == len({t for t, _ in _expected_uncertain(level)})
    assert c["by_call"][2013]["in_registry"] == 2 and c["by_call"][2013]["not_in_registry"] == 21
    assert c["by_call"][2015]["unknown"] == 1 and c["by_call"][2015]["not_in_registry"] == 12
    assert str(n_placed) in res.describe() and "37" in res.describe()


def test_placement_level_is_checked(mixed):
    with pytest.raises(InputError, match="placement level must be one of"):
        ptce.placement("zone_emploi", path=mixed)


# --------------------------------------------------------------------------- #
# The shipped registry
# --------------------------------------------------------------------------- #


def test_shipped_registry_is_sourced_and_consistent():
    from impact.config import raw_dir
    from impact.sources._common import read_csv_table
    from impact.territories import communes, departements

    path = raw_dir() / "ptce.csv"
    if not path.exists():
        pytest.skip("data/raw/ptce.csv absent")
    reg = ptce.read_registry(path)
    # Never more lauréats than the calls had (23 in 2013, 14 in 2015; FACTS.md).
    counts = reg["call"].value_counts()
    assert counts.get(2013, 0) <= 23 and counts.get(2015, 0) <= 14
    assert reg["source_url"].str.match(r"^https?://\S+$").all()
    assert reg["ptce_id"].is_unique and reg["name"].str.strip().ne("").all()
    assert reg["notes"].str.len().gt(40).all()  # every row quotes its source
    assert set(reg["precision"]) <= set(ptce.PRECISIONS)
    # The file states the place at its precision; the places agree with the territory layer.
    raw = read_csv_table(path).set_index("ptce_id").loc[reg["ptce_id"]]
    assert (
        raw["precision"].tolist() == reg["precision"].tolist()
    )  # no row relies on the old default
    com = communes().set_index("code")
    dep = departements().set_index("departement")
    on_commune = reg["precision"].eq("commune").to_numpy()
    codes = reg.loc[on_commune, "commune_code"].astype(str)
    assert codes.isin(com.index).all()
    assert (
        com.loc[codes, "departement"].to_numpy() == raw.loc[on_commune, "departement"].to_numpy()
    ).all()
    assert (com.loc[codes, "region"].to_numpy() == raw.loc[on_commune, "region"].to_numpy()).all()
    on_dep = reg["precision"].eq("departement").to_numpy()
    assert (
        dep.loc[raw.loc[on_dep, "departement"], "region"].to_numpy()
        == raw.loc[on_dep, "region"].to_numpy()
    ).all()
    assert raw.loc[reg["precision"].eq("region").to_numpy(), "region"].ne("").all()
    # Published grants lie within the calls' published ranges
    # (72-290 k€ in 2013, 26-290 k€ in 2015).
    grants = reg.dropna(subset=["grant_eur"])
    low = grants["call"].map({2013: 72_000, 2015: 26_000})
    assert grants["grant_eur"].between(low, 290_000).all()
    # Identifiers follow the call: ptce<call>-nn.
    assert all(
        re.fullmatch(rf"ptce{c}-\d\d", i) for i, c in zip(reg["ptce_id"], reg["call"], strict=True)
    )
    # load() draws exactly the commune rows.
    assert sorted(ptce.load(path)["ptce_id"]) == sorted(reg.loc[on_commune, "ptce_id"])


def test_codes_and_precision_are_normalised(tmp_path):
    p = write(
        tmp_path,
        [
            "b,Pôle B,Departement,,,5,,2015,2016,,https://example.org/b,",
            "c,Pôle C,REGION,,,,2,2015,2016,,https://example.org/c,",
            "a,Pôle A,commune,2a004,,2A,94,2013,2014,,https://example.org/a,",
        ],
        header=NEW_HEADER,
    )
    reg = ptce.read_registry(p)
    assert reg["precision"].tolist() == ["departement", "region", "commune"]
    assert reg["departement"].tolist()[::2] == ["05", "2A"]
    assert reg["region"].tolist() == ["93", "02", "94"]
    assert reg["commune_code"].iloc[2] == "2A004"


def test_unknown_precision_with_a_place_is_refused(tmp_path):
    p = write(
        tmp_path, ["d,Pôle D,unknown,,,,93,2015,2016,,https://example.org/d,"], header=NEW_HEADER
    )
    with raises_at(InputError, p, 2, "region", "'93'", "precision 'region'"):
        ptce.read_registry(p)


def test_old_layout_is_read_as_commune_rows_and_said(tmp_path, caplog):
    p = write(tmp_path, ["a,Pôle A,74010,,74,2013,2014,,https://example.org/a,"])
    with caplog.at_level(logging.INFO, logger="impact.ptce"):
        reg = ptce.read_registry(p)
    assert reg["precision"].tolist() == ["commune"]
    assert "no 'precision' column" in caplog.text


def test_registry_as_a_treatment_provider():
    """impact.ptce.treatment: one row per territory holding a placed lauréat, first label year,
    number of lauréats; the uncertain territories to leave out in attrs."""
    from impact import ptce as P

    where = P.placement("departement")
    table = P.treatment("departement", uncertain="exclude")
    firsts = where.placed.groupby("territory_code")["label_year"].agg(["min", "size"])
    got = table.set_index("territory_code")
    assert list(got.index) == [str(c) for c in firsts.index]
    assert (got["first_treated"].to_numpy() == firsts["min"].to_numpy()).all()
    assert (got["intensity"].to_numpy() == firsts["size"].to_numpy()).all()
    assert table.attrs["origin"] == "ptce_registry" and table.attrs["ptce"] == where.counts
    # Excluded: uncertain territories not treated by a placed lauréat no later than the coarse one.
    unc = where.uncertain.groupby("territory_code")["label_year"].min()
    expected = sorted(c for c, y in unc.items()
                      if c not in got.index or got.loc[c, "first_treated"] > y)
    assert table.attrs["excluded"] == expected
    assert P.treatment("departement", uncertain="keep").attrs["excluded"] == []
    with pytest.raises(InputError, match="uncertain must be 'exclude' or 'keep', not 'drop'"):
        P.treatment("departement", uncertain="drop")
