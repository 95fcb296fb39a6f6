"""impact.sources.melodi: Melodi ZIPs written here in INSEE's layout, read back.

The ZIPs are written by hand (not by the library): ``;``-separated CSV, text
fields in double quotes, numbers unquoted, and the archive written to a
non-seekable stream so that every member carries a data descriptor, as the
files served by https://api.insee.fr/melodi/file/ do.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from impact.errors import InputError
from impact.sources import melodi
from impact.sources._common import validate_long

CREA_COLS = ["GEO", "GEO_OBJECT", "SIDE_MEASURE", "ACTIVITY", "LEGAL_FORM", "FREQ",
             "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS"]
NUMERIC = {"OBS_VALUE"}


class _Unseekable(io.RawIOBase):
    """A write-only stream without seek(): zipfile then writes data descriptors."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.buf += bytes(b)
        return len(b)


def csv_text(columns: list[str], rows: list[dict]) -> str:
    """Melodi CSV: text quoted, numbers unquoted, an empty value written as nothing."""
    lines = [";".join(f'"{c}"' for c in columns)]
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c, "")
            if c in NUMERIC:
                cells.append("" if v is None or v == "" else str(v))
            else:
                cells.append('"' + str(v).replace('"', '""') + '"')
        lines.append(";".join(cells))
    return "\n".join(lines) + "\n"


def metadata_text(labels: dict[str, tuple[str, dict[str, str]]]) -> str:
    rows = [{"COD_VAR": var, "LIB_VAR": lib, "COD_MOD": mod, "LIB_MOD": lab}
            for var, (lib, mods) in labels.items() for mod, lab in mods.items()]
    return csv_text(["COD_VAR", "LIB_VAR", "COD_MOD", "LIB_MOD"], rows)


CREA_META = {
    "SIDE_MEASURE": ("Mesure", {"BURE": "Créations d'entreprises"}),
    "ACTIVITY": ("Activité", {"_T": "Total", "BE": "Industrie manufacturière, industries "
                              "extractives et autres", "FZ": "Construction",
                              "GI": "Commerce, transports, hébergement et restauration"}),
    "LEGAL_FORM": ("Catégorie juridique", {"_T": "Total", "10": "Entrepreneur individuel",
                                           "54": "SARL", "57": "SAS", "OTH": "Autres"}),
}


def write_melodi_zip(path: Path, product: str, columns: list[str], rows: list[dict],
                     meta: dict | None, *, data_name: str | None = None) -> Path:
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(data_name or f"{product}_data.csv", csv_text(columns, rows).encode())
        if meta is not None:
            zf.writestr(f"{product}_metadata.csv", metadata_text(meta).encode())
    path.write_bytes(bytes(stream.buf))
    return path


def crea(geo, obj, year, value, activity="_T", legal="_T", status="A", measure="BURE"):
    return {"GEO": geo, "GEO_OBJECT": obj, "SIDE_MEASURE": measure, "ACTIVITY": activity,
            "LEGAL_FORM": legal, "FREQ": "A", "TIME_PERIOD": str(year), "OBS_VALUE": value,
            "OBS_STATUS": status}


def commune_rows() -> list[dict]:
    rows = []
    for y in (2015, 2016):
        # Valserhône (01033) absorbed 01091 and 01205 in 2019: a 2016-geography file has three.
        for geo, tot, ei in (("01033", 40, 25), ("01091", 3, 2), ("01205", 5, 4),
                             ("01001", 7, 6)):
            rows += [crea(geo, "COM", y, tot), crea(geo, "COM", y, ei, legal="10"),
                     crea(geo, "COM", y, tot - ei, legal="54"),
                     crea(geo, "COM", y, tot - 1, activity="BE"),
                     crea(geo, "COM", y, 1, activity="GI")]
        # Paris: commune row and arrondissements (which must not be added again).
        rows += [crea("75056", "COM", y, 1000), crea("75101", "ARM", y, 400),
                 crea("75102", "ARM", y, 600), crea("75056", "COM", y, 700, legal="10")]
        # Lyon: arrondissements only, summed into 69123.
        rows += [crea("69381", "ARM", y, 30), crea("69382", "ARM", y, 20)]
        # Levels that are ignored, and a département row.
        rows += [crea("200042935", "EPCI", y, 999), crea("0101", "ZE2020", y, 999),
                 crea("01", "DEP", y, 4579), crea("F", "FRANCE", y, 550000)]
    # Secrecy and missing values, a provisional value, a code nobody knows.
    rows += [crea("01004", "COM", 2015, "", status="Q"), crea("01004", "COM", 2016, "",
                                                                status="O"),
             crea("01005", "COM", 2016, 9, status="P"), crea("99999", "COM", 2016, 5)]
    # One part of the merged Valserhône is secret in 2017: the sum is secret.
    rows += [crea("01033", "COM", 2017, 41), crea("01091", "COM", 2017, "", status="Q")]
    # A commune-year with a total but no individual-entrepreneur row.
    rows += [crea("01002", "COM", 2016, 4)]
    return rows


@pytest.fixture()
def crea_zip(tmp_path) -> Path:
    p = "DS_SIDE_CREA_ENT_COM_2025_CSV_FR"
    return write_melodi_zip(tmp_path / f"{p}.zip", p, CREA_COLS, commune_rows(), CREA_META)


def _val(df, code, period, ind):
    sel = df[(df["territory_code"] == code) & (df["period"] == str(period))
             & (df["indicator"] == ind)]
    assert len(sel) == 1, (code, period, ind, sel)
    return float(sel["value"].iloc[0]), str(sel["status"].iloc[0])


def test_written_zip_has_data_descriptors_and_melodi_text(crea_zip):
    with zipfile.ZipFile(crea_zip) as zf:
        infos = zf.infolist()
        first = zf.read(infos[0]).decode().splitlines()
    assert all(i.flag_bits & 0x08 for i in infos)          # sizes after each member
    assert first[0].startswith('"GEO";"GEO_OBJECT"')
    assert ';"2015";40;"A"' in first[1]                      # numbers unquoted


def test_communes_harmonised_summed_and_statuses(crea_zip):
    df = melodi.read(crea_zip)
    validate_long(df, name="melodi")
    assert set(df["level"]) == {"commune"} and set(df["cog_year"]) == {2025}
    # 01033 + 01091 + 01205 in COG 2025: 40+3+5; companies (total - EI) 15+1+1.
    assert _val(df, "01033", 2016, "creations_total") == (48.0, "observed")
    assert _val(df, "01033", 2016, "creations_companies") == (17.0, "observed")
    assert _val(df, "01033", 2016, "creations_naf_BE") == (45.0, "observed")
    assert not df["territory_code"].isin(["01091", "01205"]).any()
    # Paris from its commune row only; Lyon from its arrondissements.
    assert _val(df, "75056", 2015, "creations_total") == (1000.0, "observed")
    assert _val(df, "75056", 2015, "creations_companies") == (300.0, "observed")
    assert _val(df, "69123", 2016, "creations_total") == (50.0, "observed")
    assert not df["territory_code"].str.startswith("751").any()
    # Statuses.
    v, s = _val(df, "01004", 2015, "creations_total")
    assert math.isnan(v) and s == "secret"
    v, s = _val(df, "01004", 2016, "creations_total")
    assert math.isnan(v) and s == "missing"
    assert _val(df, "01005", 2016, "creations_total") == (9.0, "estimated")
    v, s = _val(df, "01033", 2017, "creations_total")
    assert math.isnan(v) and s == "secret"
    # What was left out is reported.
    a = df.attrs
    assert a["ignored_geo_objects"] == {"EPCI": 2, "ZE2020": 2, "DEP": 2, "FRANCE": 2}
    assert "99999" in a["unplaced"] and not (df["territory_code"] == "99999").any()
    # 01002, 01004 (x2), 01005, 01033 in 2017 and Lyon (x2) have a total but no EI row.
    assert a["companies_without_ei_row"] == 7
    assert not ((df["territory_code"] == "01002")
                & (df["indicator"] == "creations_companies")).any()
    assert a["vintage"] == 2025 and a["rows_read"] == len(commune_rows())
    assert a["dropped_territories"] == 2                    # 75101 and 75102
    # Commune sum against the file's France entière row (arrondissements counted once).
    fc = {c["period"]: c for c in a["france_check"]}
    assert fc["2015"] == {"indicator": "creations_total", "period": "2015",
                          "communes": 40 + 3 + 5 + 7 + 1000 + 50, "france": 550000.0,
                          "gap": 550000.0 - 1105, "unpublished": 1}
    assert fc["2016"]["communes"] == 48 + 7 + 1000 + 50 + 9 + 5 + 4
    assert a["arm_rows_used"] == 4                           # Lyon, 2 arrondissements x 2 years
    assert a["labels"]["creations_naf_BE"].endswith("Industrie manufacturière, industries "
                                                    "extractives et autres")
    assert a["metadata"]["LEGAL_FORM"]["10"] == "Entrepreneur individuel"
    # Only the A10 sections present and the totals come out; no internal indicator leaks.
    assert set(df["indicator"]) == {"creations_total", "creations_companies",
                                    "creations_naf_BE", "creations_naf_GI"}


def test_arrondissements_kept_replace_their_commune(crea_zip):
    df = melodi.read(crea_zip, arrondissements="keep", indicators=["creations_total"])
    assert _val(df, "75101", 2016, "creations_total") == (400.0, "observed")
    assert _val(df, "69381", 2016, "creations_total") == (30.0, "observed")
    assert not df["territory_code"].isin(["75056", "69123"]).any()
    # Sums over communes are unchanged by the choice.
    com = melodi.read(crea_zip, indicators=["creations_total"])
    a = df[df["period"] == "2016"]["value"].sum()
    b = com[com["period"] == "2016"]["value"].sum()
    assert a == b


def test_without_harmonisation_codes_stay_and_vintage_is_cog_year(crea_zip):
    df = melodi.read(crea_zip, harmonize=False, indicators=["creations_total"], years=[2016])
    assert set(df["period"]) == {"2016"} and set(df["cog_year"]) == {2025}
    assert _val(df, "01091", 2016, "creations_total") == (3.0, "observed")


def test_departement_and_france_levels(crea_zip, caplog):
    with caplog.at_level("WARNING", logger="impact.sources.melodi"):
        df = melodi.read(crea_zip, levels=("departement", "france"),
                         indicators=["creations_total"])
    assert _val(df, "01", 2015, "creations_total") == (4579.0, "observed")
    assert _val(df, "FR", 2016, "creations_total") == (550000.0, "observed")
    # No commune rows were read: nothing to check against the France row, and no false alarm.
    assert df.attrs["france_check"] == []
    assert "do not add up" not in caplog.text
    with pytest.raises(InputError, match="epci"):
        melodi.read(crea_zip, levels=("epci",))


def test_departements_match_the_shipped_side_file(shared_data, tmp_path):
    """The SIDE département file of the same family, re-written in Melodi layout."""
    src = pd.read_csv(shared_data / "real" / "insee_side_departements" /
                      "firm_creations_side.csv", sep=";", dtype={"dep_code": str})
    src = src[src["dep_code"].isin(["01", "2A", "59", "75"])]
    rows = []
    for r in src.itertuples(index=False):
        y, d = r.year, r.dep_code
        rows += [crea(d, "DEP", y, r.total_firm_creations),
                 crea(d, "DEP", y, r.creations_individual, legal="10"),
                 crea(d, "DEP", y, r.creations_sarl, legal="54"),
                 crea(d, "DEP", y, r.creations_sas, legal="57"),
                 crea(d, "DEP", y, r.creations_other_legal, legal="OTH"),
                 crea(d, "DEP", y, r.creations_sector_construction, activity="FZ")]
    p = "DS_SIDE_CREA_ENT_DEP_REG_NAT_CJ_2024"
    z = write_melodi_zip(tmp_path / f"{p}.zip", p, CREA_COLS, rows, CREA_META)
    df = melodi.read(z, levels=("departement",))
    got = df.pivot_table(index=["territory_code", "period"], columns="indicator",
                         values="value", observed=True)
    exp = src.set_index([src["dep_code"], src["year"].astype(str)])
    exp.index.names = ["territory_code", "period"]
    got = got.loc[exp.index]
    # Compared as arrays in the same (label-aligned) order: pandas 2.2 refuses to compare
    # Series whose index levels differ in dtype (categorical here, object there).
    assert (got["creations_total"].to_numpy() == exp["total_firm_creations"].to_numpy()).all()
    companies = exp["creations_sarl"] + exp["creations_sas"] + exp["creations_other_legal"]
    assert (got["creations_companies"].to_numpy() == companies.to_numpy()).all()
    assert (got["creations_naf_FZ"].to_numpy()
            == exp["creations_sector_construction"].to_numpy()).all()
    assert len(got) == 40


def test_population_and_stock_files(tmp_path):
    cols = ["GEO", "GEO_OBJECT", "POPREF_MEASURE", "TIME_PERIOD", "OBS_VALUE"]
    rows = []
    for geo, obj, pmun in (("01033", "COM", 16000), ("01091", "COM", 400), ("75056", "COM", 2e6),
                           ("75101", "ARM", 16000)):
        rows += [{"GEO": geo, "GEO_OBJECT": obj, "POPREF_MEASURE": "PMUN", "TIME_PERIOD": "2022",
                  "OBS_VALUE": pmun},
                 {"GEO": geo, "GEO_OBJECT": obj, "POPREF_MEASURE": "PCAP", "TIME_PERIOD": "2022",
                  "OBS_VALUE": 10}]
    p = "DS_POPULATIONS_REFERENCE_2023_CSV_FR"
    z = write_melodi_zip(tmp_path / f"{p}.zip", p, cols, rows,
                         {"POPREF_MEASURE": ("Mesure", {"PMUN": "Population municipale",
                                                        "PCAP": "Population comptée à part"})})
    df = melodi.read(z)
    assert set(df["indicator"]) == {"population"}
    assert _val(df, "01033", 2022, "population") == (16400.0, "observed")
    assert _val(df, "75056", 2022, "population") == (2e6, "observed")
    assert df.attrs["ignored_measures"] == {"PCAP": 4}
    assert df.attrs["labels"]["population"] == "Population municipale"

    cols = ["GEO", "GEO_OBJECT", "SIDE_MEASURE", "ACTIVITY", "LEGAL_FORM", "TIME_PERIOD",
            "OBS_VALUE"]
    rows = [{"GEO": "01001", "GEO_OBJECT": "COM", "SIDE_MEASURE": "LEGAL_UNIT", "ACTIVITY": a,
             "LEGAL_FORM": lf, "TIME_PERIOD": "2023", "OBS_VALUE": v}
            for a, lf, v in (("_T", "_T", 52), ("BE", "_T", 7), ("_T", "10", 30))]
    p = "DS_SIDE_STOCKS_UL_COM_2023_CSV_FR"
    z = write_melodi_zip(tmp_path / f"{p}.zip", p, cols, rows, None)
    df = melodi.read(z)
    assert df[["territory_code", "indicator", "value"]].values.tolist() == [
        ["01001", "legal_units_stock", 52.0]]


# --------------------------------------------------------------------------- #
# Bad files
# --------------------------------------------------------------------------- #

def test_wrong_member_is_named(tmp_path):
    p = "DS_SIDE_CREA_ENT_COM_2025_CSV_FR"
    z = write_melodi_zip(tmp_path / "x.zip", p, CREA_COLS, commune_rows()[:3], CREA_META,
                         data_name="donnees.csv")
    with pytest.raises(melodi.MissingMemberError, match=r"_data\.csv.*donnees\.csv") as e:
        melodi.read(z)
    assert isinstance(e.value, InputError) and e.value.path == z


def test_truncated_zip_is_named(crea_zip):
    raw = crea_zip.read_bytes()
    crea_zip.write_bytes(raw[: len(raw) * 2 // 3])
    with pytest.raises(melodi.TruncatedZipError, match="interrupted"):
        melodi.read(crea_zip)


def test_corrupt_member_is_named(tmp_path, crea_zip):
    raw = bytearray(crea_zip.read_bytes())
    with zipfile.ZipFile(crea_zip) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename) + 40
    raw[start:start + 40] = b"\x00" * 40                     # central directory intact
    crea_zip.write_bytes(bytes(raw))
    with pytest.raises(melodi.TruncatedZipError, match="corrupt"):
        melodi.read(crea_zip)


def test_unknown_measure_is_named(tmp_path):
    rows = [crea("01001", "COM", 2016, 3, measure="NEWM")]
    p = "DS_SIDE_CREA_ENT_COM_2025_CSV_FR"
    z = write_melodi_zip(tmp_path / "m.zip", p, CREA_COLS, rows, CREA_META)
    with pytest.raises(melodi.UnknownMeasureError, match=r"SIDE_MEASURE.*NEWM.*BURE") as e:
        melodi.read(z)
    assert e.value.column == "SIDE_MEASURE"
    cols = [c.replace("SIDE_MEASURE", "XYZ_MEASURE") for c in CREA_COLS]
    z = write_melodi_zip(tmp_path / "n.zip", p, cols,
                         [{k.replace("SIDE_MEASURE", "XYZ_MEASURE"): v for k, v in r.items()}
                          for r in rows], None)
    with pytest.raises(melodi.UnknownMeasureError, match="XYZ_MEASURE"):
        melodi.read(z)


def test_bad_value_and_unavailable_indicator(tmp_path, crea_zip):
    rows = [crea("01001", "COM", 2016, 3), crea("01002", "COM", 2016, "12,5x")]
    p = "DS_SIDE_CREA_ENT_COM_2025_CSV_FR"
    z = write_melodi_zip(tmp_path / "v.zip", p, CREA_COLS, rows, CREA_META)
    # csv_text leaves numbers unquoted: write the bad one by hand.
    with pytest.raises(melodi.MelodiFileError, match="12,5x") as e:
        melodi.read(z)
    assert e.value.column == "OBS_VALUE"
    with pytest.raises(InputError, match="population.*provides"):
        melodi.read(crea_zip, indicators=["population"])


def test_missing_required_column(tmp_path):
    cols = [c for c in CREA_COLS if c != "GEO_OBJECT"]
    p = "DS_SIDE_CREA_ENT_COM_2025_CSV_FR"
    z = write_melodi_zip(tmp_path / "c.zip", p, cols, [crea("01001", "COM", 2016, 3)], None)
    with pytest.raises(melodi.MelodiFileError, match="GEO_OBJECT") as e:
        melodi.read(z)
    assert e.value.column == "GEO_OBJECT"


# --------------------------------------------------------------------------- #
# Cache look-up for the panel's insee source
# --------------------------------------------------------------------------- #

def _cache(folder: Path, product: str, zip_path: Path) -> Path:
    target = folder / f"{product}.zip"
    target.write_bytes(zip_path.read_bytes())
    target.with_name(target.name + ".provenance.json").write_text(json.dumps({"sha256": "x"}))
    return target


def test_cached_and_commune_long(tmp_path, crea_zip):
    cache = tmp_path / "cache"
    cache.mkdir()
    assert melodi.cached("side_creations_communes", cache) is None
    assert melodi.commune_long(cache) is None
    _cache(cache, "DS_SIDE_CREA_ENT_COM_2024_CSV_FR", crea_zip)
    newest = _cache(cache, "DS_SIDE_CREA_ENT_COM_2025_CSV_FR", crea_zip)
    # A download in progress (no sidecar) is not a cached file.
    (cache / ".DS_SIDE_CREA_ENT_COM_2026_CSV_FR.zip.part").write_bytes(b"PK")
    (cache / "DS_SIDE_CREA_ENT_COM_2026_CSV_FR.zip").write_bytes(b"PK")
    assert melodi.cached("side_creations_communes", cache) == newest
    assert melodi.available(cache) == {"side_creations_communes": newest,
                                       "side_stocks_communes": None,
                                       "populations_reference": None}
    with pytest.raises(InputError, match="not a Melodi source"):
        melodi.cached("unemployment", cache)
    long = melodi.commune_long(cache, indicators=["creations_total", "population"])
    assert set(long["indicator"]) == {"creations_total"}
    assert long.attrs["files"] == [str(newest)]
    assert long.attrs["missing"] == ["impact fetch side_stocks_communes",
                                     "impact fetch populations_reference"]
    validate_long(long)
    # With the populations file too: one table, categoricals kept.
    pop_rows = [{"GEO": "01001", "GEO_OBJECT": "COM", "POPREF_MEASURE": "PMUN",
                 "TIME_PERIOD": "2022", "OBS_VALUE": 800}]
    pid = "DS_POPULATIONS_REFERENCE_2023_CSV_FR"
    pz = write_melodi_zip(tmp_path / "pop.zip", pid,
                          ["GEO", "GEO_OBJECT", "POPREF_MEASURE", "TIME_PERIOD", "OBS_VALUE"],
                          pop_rows, None)
    _cache(cache, pid, pz)
    both = melodi.commune_long(cache)
    validate_long(both)
    assert _val(both, "01001", 2022, "population") == (800.0, "observed")
    assert _val(both, "01033", 2016, "creations_total") == (48.0, "observed")
    assert isinstance(both["territory_code"].dtype, pd.CategoricalDtype)
    assert len(both.attrs["files"]) == 2
    assert both.attrs["missing"] == ["impact fetch side_stocks_communes"]


def test_duplicates_periods_and_confidentiality(tmp_path):
    p = "DS_SIDE_CREA_ENT_COM_2025_CSV_FR"
    rows = [crea("01001", "COM", 2016, 3), crea("01001", "COM", 2016, 4)]
    z = write_melodi_zip(tmp_path / "d.zip", p, CREA_COLS, rows, CREA_META)
    with pytest.raises(melodi.MelodiFileError, match="duplicated.*GEO=01001.*2016"):
        melodi.read(z)
    rows = [crea("01001", "COM", "2016-T1", 3)]
    z = write_melodi_zip(tmp_path / "t.zip", p, CREA_COLS, rows, CREA_META)
    with pytest.raises(melodi.MelodiFileError, match="2016-T1") as e:
        melodi.read(z)
    assert e.value.column == "TIME_PERIOD"
    # A secret flagged by CONF_STATUS only, and a value with an unknown OBS_STATUS.
    cols = [*CREA_COLS, "CONF_STATUS"]
    rows = [{**crea("01001", "COM", 2016, ""), "CONF_STATUS": "C"},
            {**crea("01002", "COM", 2016, 5, status="W"), "CONF_STATUS": "F"}]
    z = write_melodi_zip(tmp_path / "s.zip", p, cols, rows, CREA_META)
    df = melodi.read(z, indicators=["creations_total"])
    v, s = _val(df, "01001", 2016, "creations_total")
    assert math.isnan(v) and s == "secret"
    assert _val(df, "01002", 2016, "creations_total") == (5.0, "observed")
    assert df.attrs["obs_status"] == {"A": 1, "W": 1}


def test_france_check_of_a_consistent_file(tmp_path, caplog):
    rows = [crea("01001", "COM", 2016, 3), crea("01002", "COM", 2016, 4),
            crea("F", "FRANCE", 2016, 7), crea("FM", "FRANCE", 2016, 6)]
    p = "DS_SIDE_CREA_ENT_COM_2025_CSV_FR"
    z = write_melodi_zip(tmp_path / "f.zip", p, CREA_COLS, rows, CREA_META)
    with caplog.at_level("WARNING", logger="impact.sources.melodi"):
        df = melodi.read(z)
    assert [(c["gap"], c["unpublished"]) for c in df.attrs["france_check"]] == [(0.0, 0)]
    assert "do not add up" not in caplog.text
    assert not (df["level"] == "france").any()
    rows[2] = crea("F", "FRANCE", 2016, 9)
    z = write_melodi_zip(tmp_path / "g.zip", p, CREA_COLS, rows, CREA_META)
    with caplog.at_level("WARNING", logger="impact.sources.melodi"):
        melodi.read(z)
    assert "do not add up" in caplog.text


def test_many_dimension_values_take_the_other_path(crea_zip, monkeypatch):
    from impact.sources import _melodi_scan

    a = melodi.read(crea_zip)
    monkeypatch.setattr(_melodi_scan, "_LUT_MAX", 0)
    b = melodi.read(crea_zip)
    pd.testing.assert_frame_equal(a, b)


def test_bom_crlf_and_no_metadata(tmp_path):
    """A data member re-saved with a BOM and Windows line ends, without metadata member."""
    text = csv_text(CREA_COLS, [crea("01001", "COM", 2016, 3), crea("01002", "COM", 2016, 4)])
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("DS_SIDE_CREA_ENT_COM_2025_CSV_FR_data.csv",
                    ("\ufeff" + text.replace("\n", "\r\n")).encode())
    z = tmp_path / "bom.zip"
    z.write_bytes(bytes(stream.buf))
    df = melodi.read(z)
    assert _val(df, "01002", 2016, "creations_total") == (4.0, "observed")
    assert df.attrs["metadata"] == {}


def test_insee_source_uses_cached_commune_files_for_epci_panels(tmp_path, monkeypatch):
    """build_long("insee") + build_panel(level="epci", data_kind="real") on a cached Melodi file.

    Every commune of one EPCI, 2012–2021, with one secret cell: the EPCI's total is the
    sum of its communes, the secret year stays missing, and the département level keeps
    the shipped département file.
    """
    from impact.panel import build_long, build_panel
    from impact.territories import communes

    com = communes()
    com = com[com["epci"].notna()]
    epci = com.groupby("epci").size().loc[lambda s: s.between(5, 12)].index[0]
    members = sorted(com.loc[com["epci"] == epci, "code"])
    rows, want = [], {}
    for y in range(2012, 2022):
        for i, c in enumerate(members):
            tot, ei = 10 + i + y % 7, 4 + i % 3
            secret = (c == members[0] and y == 2015)
            rows += [crea(c, "COM", y, "" if secret else tot, status="Q" if secret else "A"),
                     crea(c, "COM", y, ei, legal="10")]
            want[y] = want.get(y, 0) + tot
    product = "DS_SIDE_CREA_ENT_COM_2025_CSV_FR"
    cache = tmp_path / "cache"
    cache.mkdir()
    _cache(cache, product, write_melodi_zip(tmp_path / "c.zip", product, CREA_COLS, rows,
                                            CREA_META))
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(cache))

    long = build_long("insee")
    assert long.attrs["commune_files"] is True
    panel = build_panel(long, data_kind="real", level="epci", uncertain="keep")
    assert panel.attrs["count_level"] == "commune"
    assert set(panel["territory_code"]) == {epci}  # the only EPCI whose communes are all there
    got = panel.set_index("year")["creations_total"]
    assert got[2015] != got[2015]  # NaN: a secret part leaves the total missing
    for y in (2012, 2016, 2021):
        assert got[y] == want[y]
    # The département panel still comes from the shipped département file.
    assert build_panel(long, data_kind="real", level="departement").attrs["count_level"] == "departement"

    monkeypatch.setenv("IMPACT_CACHE_DIR", str(tmp_path / "empty"))
    with pytest.raises(InputError, match="impact fetch side_creations_communes"):
        build_panel(build_long("insee"), data_kind="real", level="epci")
