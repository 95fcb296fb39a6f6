"""The PTCE registry loader: validation and location on communes."""

import pytest

from impact import ptce
from impact.errors import InputError, UnknownCodeError

HEADER = "ptce_id,name,commune_code,commune_name,departement,call,label_year,grant_eur,source_url,notes\n"


def write(tmp_path, rows):
    p = tmp_path / "ptce.csv"
    p.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return p


def test_load_locates_points_in_their_commune(tmp_path):
    p = write(tmp_path, ["a,Pôle A,74010,,74,2013,2014,100000,https://example.org/a,",
                         "b,Pôle B,2a004,,2A,2015,2016,,https://example.org/b,",
                         "c,Pôle C,74182,Meythet,74,2015,2016,50000,https://example.org/c,former commune"])
    g = ptce.load(p)
    assert g.crs.to_epsg() == 4326
    assert g["commune_code"].tolist() == ["74010", "2A004", "74010"]  # Meythet merged into Annecy
    assert g["region"].tolist() == ["84", "94", "84"]
    assert g["call"].tolist() == [2013, 2015, 2015]
    from impact.territories import communes

    com = communes().set_index("code")
    assert com.loc["2A004", "geometry"].contains(g.geometry.iloc[1])


def test_bad_call_and_grant_name_line_and_value(tmp_path):
    p = write(tmp_path, ["a,Pôle A,74010,,74,2014,2014,1,https://x,"])
    with pytest.raises(InputError, match=r"line 2, column 'call': call must be 2013 or 2015"):
        ptce.load(p)
    p = write(tmp_path, ["a,Pôle A,74010,,74,2013,2014,1,https://x,", "b,B,01001,,01,2013,2014,beaucoup,https://x,"])
    with pytest.raises(InputError, match=r"line 3, column 'grant_eur': expected a number, found 'beaucoup'"):
        ptce.load(p)
    p = write(tmp_path, ["a,Pôle A,74010,,74,2013,2016,1,https://x,"])
    with pytest.raises(InputError, match="does not match call 2013"):
        ptce.load(p)


def test_unknown_codes_and_duplicates(tmp_path):
    p = write(tmp_path, ["a,A,99999,,99,2013,2014,,https://x,", "b,B,01001,,01,2013,2014,,https://x,"])
    with pytest.raises(UnknownCodeError, match="99999"):
        ptce.load(p)
    p = write(tmp_path, ["a,A,01001,,01,2013,2014,,https://x,", "a,B,01002,,01,2013,2014,,https://x,"])
    with pytest.raises(InputError, match="duplicated ptce_id"):
        ptce.load(p)


def test_missing_columns_and_empty(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("id,name\n1,x\n")
    with pytest.raises(InputError, match=r"missing column\(s\) \['ptce_id', 'commune_code'"):
        ptce.load(p)
    with pytest.raises(InputError, match="no row"):
        ptce.load(write(tmp_path, []))


def test_shipped_registry_is_sourced_and_consistent():
    from impact.config import raw_dir

    path = raw_dir() / "ptce.csv"
    if not path.exists():
        pytest.skip("data/raw/ptce.csv absent")
    g = ptce.load(path)
    # Never more lauréats than the calls had (23 in 2013, 14 in 2015; FACTS.md).
    counts = g["call"].value_counts()
    assert counts.get(2013, 0) <= 23 and counts.get(2015, 0) <= 14
    assert g["source_url"].str.match(r"^https?://\S+$").all()
    assert g["ptce_id"].is_unique and g["name"].str.strip().ne("").all()
    # The départements written in the file agree with the territory layer.
    import pandas as pd

    raw = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("ptce_id")
    assert (raw.loc[g["ptce_id"], "departement"].to_numpy() == g["departement"].to_numpy()).all()
    # Published grants lie within the calls' published ranges (72-290 k€ in 2013, 26-290 k€ in 2015).
    grants = g.dropna(subset=["grant_eur"])
    low = grants["call"].map({2013: 72_000, 2015: 26_000})
    assert grants["grant_eur"].between(low, 290_000).all()
