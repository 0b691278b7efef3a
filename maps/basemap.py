"""A basemap drawn from the loaded road network, so map pages need no tile server.

Roads are grouped by class (main roads, streets, paths) into one GeoJSON layer each
with a fixed style: small pages, no per-feature styling. Geometries are simplified
(about 2 m) and rounded to 5 decimals (about 1 m), plenty for a street map.
"""

from __future__ import annotations

from typing import Any

import folium
import networkx as nx
from shapely.geometry import LineString, mapping

_MAIN = {"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link", "primary_link",
         "secondary_link"}
_PATHS = {"footway", "path", "pedestrian", "steps", "cycleway", "track", "bridleway", "corridor"}
_STYLES = {
    "main roads": {"color": "#e8a33d", "weight": 4, "opacity": 0.9},
    "streets": {"color": "#9a9a9a", "weight": 2.5, "opacity": 0.9},
    "paths": {"color": "#b9b9b9", "weight": 1.2, "opacity": 0.8, "dashArray": "3 3"},
}


def road_class(highway: Any) -> str:
    """``"main roads"``, ``"streets"`` or ``"paths"`` for an OSM ``highway`` value (or list)."""
    values = set(highway) if isinstance(highway, list) else {highway}
    if values & _MAIN:
        return "main roads"
    if values <= _PATHS:
        return "paths"
    return "streets"


def road_features(G: nx.MultiDiGraph, *, tolerance_deg: float = 2e-5) -> dict[str, list[dict[str, Any]]]:
    """Road lines of ``G`` as GeoJSON features per road class (EPSG:4326), each street once
    (the two directions of a two-way street are one line)."""
    seen: set[tuple[Any, Any]] = set()
    classes: dict[str, list[dict[str, Any]]] = {name: [] for name in _STYLES}
    for u, v, data in G.edges(data=True):
        key = (min(u, v), max(u, v))
        if key in seen:
            continue
        seen.add(key)
        geom = data.get("geometry")
        if geom is None:
            geom = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])
        geom = geom.simplify(tolerance_deg, preserve_topology=False)
        coords = [[round(x, 5), round(y, 5)] for x, y in geom.coords]
        classes[road_class(data.get("highway"))].append(
            {"type": "Feature", "properties": {}, "geometry": {**mapping(geom), "coordinates": coords}})
    return classes


def road_basemap(G: nx.MultiDiGraph, *, name: str = "Roads (OpenStreetMap)") -> folium.FeatureGroup:
    """A layer group drawing the roads of ``G``; add it first, so data draws on top."""
    group = folium.FeatureGroup(name=name, control=True, show=True)
    for road, features in road_features(G).items():
        if not features:
            continue
        style = _STYLES[road]
        folium.GeoJson({"type": "FeatureCollection", "features": features}, name=road,
                       style_function=lambda _f, s=style: s, interactive=False, control=False,
                       smooth_factor=1.5).add_to(group)
    return group
