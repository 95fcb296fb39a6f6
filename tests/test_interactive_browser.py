"""The interactive map in a real browser, offline: territories and PTCE markers drawn, popups open.

Debian's headless Chromium opens the HTML file written by
:func:`impact.maps.interactive_map` with every host name unresolvable (as on
a machine without network), runs its scripts and dumps the DOM; the test
counts the SVG paths Leaflet drew. Without ``/usr/bin/chromium`` the browser
tests are skipped, except in CI (``CI=true``) where they fail: ``.ci/run``
installs Chromium, so a skip there would hide a broken install.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from impact import maps
from impact.errors import InputError

CHROMIUM = Path("/usr/bin/chromium")
NNBSP = "\u202f"

# A small set of territories (EPSG:4326): squares, one with a hole, one in two
# parts (Leaflet draws a multipolygon as one path), one without a value (drawn grey).
TERRITORIES = [
    ("T1", "Territoire un", shapely.box(-1.0, 47.0, 0.0, 48.0), 1.0),
    ("T2", "Territoire deux", shapely.box(0.0, 47.0, 1.0, 48.0), 2.5),
    (
        "T3",
        "Territoire trois",
        shapely.box(1.0, 47.0, 2.0, 48.0).difference(shapely.box(1.4, 47.4, 1.6, 47.6)),
        4.0,
    ),
    (
        "T4",
        "Territoire quatre",
        shapely.MultiPolygon(
            [shapely.box(2.0, 47.0, 3.0, 48.0), shapely.box(3.5, 47.0, 4.0, 47.5)]
        ),
        8.0,
    ),
    ("T5", "Territoire cinq", shapely.box(-1.0, 46.0, 0.0, 47.0), 16.0),
    ("T6", "Territoire six", shapely.box(0.0, 46.0, 1.0, 47.0), np.nan),
]

# PTCE: two in one commune (two markers on one spot), one without call, one without location.
PTCE = [
    ("P1", "Pôle Un & Cie", "Ville A", "01", 2013, 150_000, shapely.Point(-0.5, 47.5)),
    ("P2", "Pôle <Deux>", "Ville B", "02", 2015, 60_000, shapely.Point(0.5, 47.5)),
    ("P3", "Pôle Trois", "Ville B", "02", 2015, None, shapely.Point(0.5, 47.5)),
    ("P4", "Pôle Quatre", "Ville C", "03", None, 80_000, shapely.Point(2.5, 47.5)),
    ("P5", "Pôle Sans Lieu", "Ville D", "04", 2013, 90_000, None),
]
N_LOCATED = sum(p[-1] is not None for p in PTCE)


def _territories() -> gpd.GeoDataFrame:
    code, name, geometry, value = zip(*TERRITORIES, strict=True)
    return gpd.GeoDataFrame(
        {"code": code, "name": name, "value": value, "departement": ["01"] * len(code)},
        geometry=list(geometry),
        crs="EPSG:4326",
    )


def _ptce() -> gpd.GeoDataFrame:
    pid, name, commune, dep, call, grant, geometry = zip(*PTCE, strict=True)
    return gpd.GeoDataFrame(
        {
            "ptce_id": pid,
            "name": name,
            "commune_name": commune,
            "departement": dep,
            "call": pd.array(call, dtype="Int64"),
            "grant_eur": pd.array(grant, dtype="Float64"),
        },
        geometry=list(geometry),
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The headless browser, or a skip (a failure in CI, where .ci/run installs it)."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"headless Chromium ({CHROMIUM}) is not installed: apt-get install chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test of the interactive map: {reason}")
    pytest.skip(reason)


def _dump_dom(chromium: Path, page: Path, profile: Path) -> tuple[str, str]:
    """DOM after the page's scripts ran, and Chromium's log (console messages included)."""
    cmd = [
        str(chromium),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # No host name resolves: the page must draw as on a machine without network.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def _console(log: str) -> list[str]:
    return re.findall(r":CONSOLE[^\]]*\] (.*)", log)


def _count_paths(dom: str, cls: str) -> int:
    """SVG paths of Leaflet's vector layers (class leaflet-interactive) that also have ``cls``."""
    classes = re.findall(r"<path\b[^>]*\bclass=\"([^\"]*)\"", dom)
    return sum("leaflet-interactive" in c.split() and cls in c.split() for c in classes)


def _external_loads(text: str) -> list[str]:
    """Resources the page would fetch from the network: script/link/img sources, CSS imports."""
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text, flags=re.IGNORECASE)
    found = [t for t in tags if re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", t)]
    found += re.findall(r"""url\(\s*["']?\s*(?:https?:)?//[^)]*\)""", text)
    found += re.findall(r"@import[^;]*;", text)
    return found


def _click_first_marker(page: Path) -> Path:
    """A copy of the page that clicks the first PTCE marker once the map is drawn."""
    script = """<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var p = document.querySelector("path.impact-ptce");
    var r = p.getBoundingClientRect();
    var o = {bubbles: true, cancelable: true, view: window,
             clientX: r.left + r.width / 2, clientY: r.top + r.height / 2};
    p.dispatchEvent(new MouseEvent("mousedown", o));
    p.dispatchEvent(new MouseEvent("mouseup", o));
    p.dispatchEvent(new MouseEvent("click", o));
  }, 500);
});
</script>"""
    out = page.with_name("clicked_" + page.name)
    text = page.read_text(encoding="utf-8")
    out.write_text(text.replace("</html>", script + "</html>"), encoding="utf-8")
    return out


# --------------------------------------------------------------------------- without browser


def test_page_is_self_contained_and_tiles_are_off(tmp_path):
    path = tmp_path / "carte.html"
    maps.interactive_map(_territories(), "value", _ptce(), path=path, title="Essai")
    text = path.read_text(encoding="utf-8")
    assert _external_loads(text) == []
    assert "L.tileLayer" not in text  # no background tiles unless asked for
    assert "jquery" not in text.lower() and "bootstrap" not in text.lower()
    # The vendored Leaflet is inlined, with its licence banner.
    assert "Leaflet 1.9.4" in text and "L.map(" in text
    # The scan finds what folium writes by default (it is not blind).
    import folium

    assert len(_external_loads(folium.Map().get_root().render())) >= 3


def test_tiles_on_request():
    m = maps.interactive_map(_territories(), "value", tiles=True)
    assert "tile.openstreetmap.org" in m.get_root().render()
    with pytest.raises(InputError, match="tiles"):
        maps.interactive_map(_territories(), "value", tiles=3)


def test_text_with_braces_is_written_as_is():
    # Legend and title are inlined raw, not read as templates.
    m = maps.interactive_map(
        _territories(), "value", legend_title="{{ taux }} {# brut #}", title="{% titre %}"
    )
    text = m.get_root().render()
    assert html.escape("{{ taux }} {# brut #}") in text
    assert "{% titre %}" in text


def test_vendored_files_match_their_readme():
    vendor = Path(maps.__file__).with_name("vendor")
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, flags=re.MULTILINE)
    assert {name for _, name in listed} == {
        "leaflet/leaflet.js",
        "leaflet/leaflet.css",
        "leaflet/LICENSE",
    }
    for digest, name in listed:
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    assert "BSD 2-Clause License" in (vendor / "leaflet" / "LICENSE").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- in Chromium


def test_browser_draws_territories_markers_and_popup(chromium, tmp_path):
    page = tmp_path / "carte.html"
    maps.interactive_map(
        _territories(),
        "value",
        _ptce(),
        path=page,
        k=3,
        legend_title="Valeur",
        title="Carte d'essai",
    )
    dom, log = _dump_dom(chromium, _click_first_marker(page), tmp_path / "profile")
    console = _console(log)
    assert not [c for c in console if "Uncaught" in c or "Error" in c], console
    # Every territory is one path (the two-part one too, the one without value too),
    # every located PTCE one marker (two on the same spot included).
    assert _count_paths(dom, maps.interactive.TERRITORY_CLASS) == len(TERRITORIES)
    assert _count_paths(dom, maps.interactive.PTCE_CLASS) == N_LOCATED
    # ... and Leaflet drew nothing else (a path of each input, and only those).
    assert _count_paths(dom, "leaflet-interactive") == len(TERRITORIES) + N_LOCATED
    # Fill colours: the three classes and the grey of the missing value.
    fills = re.findall(r'<path\b[^>]*class="[^"]*impact-territory[^"]*"[^>]*>', dom)
    colors = {re.search(r'fill="([^"]+)"', f)[1] for f in fills}
    assert maps.MISSING_FACE in colors and len(colors) == 4
    # The clicked marker (first of the 2013 call) shows its popup, escaped, in French.
    popup = re.search(r'<div class="leaflet-popup-content"[^>]*>(.*?)</div>', dom, re.S)
    assert popup is not None, "no popup opened"
    assert "<b>Pôle Un &amp; Cie</b>" in popup[1]
    assert "Ville A (01)" in popup[1]
    assert "Appel à projets 2013, labellisé en 2014" in popup[1]
    assert f"Subvention : 150{NNBSP}000 €" in popup[1]
    # Legend: three classes and the missing entry, the three PTCE categories drawn.
    legend = re.search(r'<div class="impact-legend".*?<style>', dom, re.S)
    assert legend is not None, "no legend"
    legend_text = html.unescape(legend[0])
    assert legend_text.count('class="sw"') == 4 and legend_text.count('class="pt"') == 3
    for label in ("Valeur", "Donnée manquante", "Lauréats 2013 (labellisés 2014)", "Non renseigné"):
        assert label in legend_text
    assert "Carte d'essai" in html.unescape(dom)


def test_browser_draws_real_regions_and_registry(chromium, tmp_path):
    from impact.ptce import load
    from impact.territories import boundaries

    regions = boundaries("region")
    regions = regions.assign(valeur=np.arange(len(regions), dtype=float))
    poles = load()
    page = tmp_path / "regions.html"
    m = maps.interactive_map(regions, "valeur", poles, level="region")
    # A marker with Leaflet's default icon, added by the caller, draws offline too.
    import folium

    folium.Marker([45.76, 4.84], tooltip="Lyon").add_to(m)
    m.save(str(page))
    assert _external_loads(page.read_text(encoding="utf-8")) == []
    dom, log = _dump_dom(chromium, page, tmp_path / "profile")
    assert not [c for c in _console(log) if "Uncaught" in c], _console(log)
    assert _count_paths(dom, maps.interactive.TERRITORY_CLASS) == len(regions)
    located = poles.geometry.notna() & ~poles.geometry.is_empty
    assert _count_paths(dom, maps.interactive.PTCE_CLASS) == int(located.sum()) > 0
    icons = re.findall(r"<img\b[^>]*leaflet-marker-(?:icon|shadow)[^>]*>", dom)
    assert len(icons) == 2 and all('src="data:image/png;base64,' in i for i in icons), icons
