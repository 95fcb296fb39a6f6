"""Dissolved boundaries, their GeoParquet cache and the overseas insets."""

import geopandas as gpd
import pytest
import shapely

from impact import territories as T
from impact.errors import InputError


def test_levels_have_the_right_counts():
    assert len(T.boundaries("departement")) == 101
    assert len(T.boundaries("region")) == 18
    assert len(T.boundaries("france")) == 1
    dep = T.boundaries("departement")
    assert dep.crs.to_epsg() == 4326
    assert dep.loc[dep["code"] == "2A", "name"].item() == "Corse-du-Sud"
    assert {"code", "name", "level", "population", "geometry"} <= set(dep.columns)


def test_departement_polygons_contain_their_prefecture():
    dep = T.boundaries("departement").set_index("code")
    com = T.communes().set_index("code")
    for dcode, ccode in [("74", "74010"), ("2A", "2A004"), ("974", "97411"), ("75", "75056")]:
        pt = com.loc[ccode, "geometry"].representative_point()
        assert dep.loc[dcode, "geometry"].contains(pt)


def test_cache_written_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_DATA_DIR", str(tmp_path))
    path = T.boundary_cache_path("region")
    assert path.is_relative_to(tmp_path) and not path.exists()
    first = T.boundaries("region")
    assert path.exists()
    assert "datafrance-" in path.name  # rebuilt when the package version changes
    # GeoParquet readable by geopandas without the library.
    again = gpd.read_parquet(path)
    assert again.geometry.geom_equals(first.geometry).all()
    assert again.crs == first.crs
    # The CRS reads the same whether this call built the cache or read it.
    T.boundaries.__globals__["_boundaries_cached"].cache_clear()
    cached = T.boundaries("region")
    assert str(first.crs) == str(cached.crs) == "EPSG:4326"


def test_corrupt_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_DATA_DIR", str(tmp_path))
    path = T.boundary_cache_path("france")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PAR1 truncated")
    out = T.boundaries("france")
    assert len(out) == 1 and gpd.read_parquet(path).shape[0] == 1


def test_unknown_level():
    with pytest.raises(InputError, match="level must be .*, not 'canton'"):
        T.boundaries("canton")


def test_insets_move_overseas_next_to_metropolitan_france():
    dep = T.boundaries("departement")
    moved = T.inset_layout(dep)
    frames = T.inset_frames().set_index("departement")
    assert moved.crs.to_epsg() == 2154
    assert moved["inset"].sum() == 5
    metro = moved[~moved["inset"]]
    mx0, my0, mx1, my1 = metro.total_bounds
    for code in ["971", "972", "973", "974", "976"]:
        geom = moved.set_index("code").loc[code, "geometry"]
        box = frames.loc[code, "geometry"]
        assert box.contains(geom), code
        assert box.bounds[2] < mx0  # left of metropolitan France
    # Metropolitan France keeps its true Lambert-93 position (Paris ~ x 652 km, y 6862 km).
    paris = moved.set_index("code").loc["75", "geometry"].centroid
    assert paris.x == pytest.approx(652_000, abs=10_000)
    assert paris.y == pytest.approx(6_862_000, abs=10_000)


def test_insets_apply_same_transform_to_points():
    com = T.communes()
    pts = com[com["code"].isin(["97411", "74010"])].copy()
    pts["geometry"] = pts.representative_point()
    moved_pts = T.inset_layout(pts).set_index("code")
    dep = T.inset_layout(T.boundaries("departement")).set_index("code")
    assert dep.loc["974", "geometry"].contains(moved_pts.loc["97411", "geometry"])
    assert dep.loc["74", "geometry"].contains(moved_pts.loc["74010", "geometry"])


def test_regions_use_their_departement_inset():
    reg = T.inset_layout(T.boundaries("region"), departement_col=None).set_index("code")
    frames = T.inset_frames().set_index("departement")
    assert frames.loc["974", "geometry"].contains(reg.loc["04", "geometry"])
    assert shapely.get_num_geometries(reg.loc["94", "geometry"]) >= 1


def test_inset_layout_needs_crs():
    gdf = gpd.GeoDataFrame({"departement": ["74"]}, geometry=[shapely.Point(6, 46)])
    with pytest.raises(ValueError, match="no CRS"):
        T.inset_layout(gdf)
