"""Offline map pages: local Leaflet, no other host, the road basemap, legends."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import networkx as nx
from shapely.geometry import LineString

from maps.base import ASSET_FILES, Legend, copy_assets, numbered_icon, offline_map, render_html
from maps.basemap import road_basemap, road_class, road_features


def decoded(page: str) -> str:
    """The page with JSON \\uXXXX escapes undone (Folium writes strings as JSON)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)


def _tiny_graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=24.940, y=60.170)
    G.add_node(2, x=24.945, y=60.170)
    G.add_node(3, x=24.945, y=60.172)
    G.add_edge(1, 2, highway="primary", length=280.0)
    G.add_edge(2, 1, highway="primary", length=280.0)
    G.add_edge(2, 3, highway="footway", length=222.0,
               geometry=LineString([(24.945, 60.170), (24.94501, 60.171), (24.945, 60.172)]))
    return G


def test_page_loads_only_local_assets() -> None:
    m = offline_map((24.94, 60.17, 24.95, 60.18), asset_url="/static/maps", title="Route")
    folium.Marker([60.171, 24.941], icon=numbered_icon(3, "#0072B2"), popup="Visit 3").add_to(m)
    Legend("Workers", [("#0072B2", "Anna")]).add_to(m)
    page = render_html(m)
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert '<script src="/static/maps/leaflet.js">' in page and "/static/maps/jquery.min.js" in page
    assert "tile.openstreetmap" not in page and "tileLayer" not in page
    assert "© OpenStreetMap contributors" in decoded(page)
    assert "Workers" in page and "Anna" in page and ">3</div>" in decoded(page)


def test_optional_tile_server() -> None:
    m = offline_map((0, 0, 1, 1), tiles="https://tiles.example.org/{z}/{x}/{y}.png", tile_attribution="Ours")
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in render_html(m)


def test_basemap_draws_each_street_once_by_class() -> None:
    features = road_features(_tiny_graph())
    assert len(features["main roads"]) == 1, "a two-way street is one line"
    assert len(features["paths"]) == 1 and features["streets"] == []
    assert road_class(["residential", "primary"]) == "main roads" and road_class("steps") == "paths"
    m = offline_map((24.94, 60.17, 24.95, 60.173))
    road_basemap(_tiny_graph()).add_to(m)
    folium.LayerControl().add_to(m)
    page = render_html(m)
    assert re.search(r"\[24\.94,\s*60\.17\]", page) and "Roads (OpenStreetMap)" in page


def test_assets_copy(tmp_path: Path) -> None:
    folder = copy_assets(tmp_path)
    for name in ASSET_FILES:
        assert (folder / name).stat().st_size > 0
    assert "L.map" in (folder / "leaflet.js").read_text() or "Leaflet" in (folder / "leaflet.js").read_text()
