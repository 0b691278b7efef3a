"""Snapping points to the network: nodes, metric distances, far points flagged."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod
from shapely import Point

from routing.network import cached_graph_from_osm_file
from routing.snap import MAX_SNAP_DISTANCE_M, metric_crs, projected_edges, snap_points

GEOD = Geod(ellps="WGS84")


@pytest.fixture
def helsinki_walk(graph_cache: Path, demo_osm: Path) -> nx.MultiDiGraph:
    return cached_graph_from_osm_file(demo_osm, mode="walk", cache_dir=graph_cache)


def straight_road() -> nx.MultiDiGraph:
    """One two-way road along the equator, 0.01 degrees (about 1.1 km) long."""
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node("w", x=0.0, y=0.0)
    G.add_node("e", x=0.01, y=0.0)
    G.add_edge("w", "e", length=1113.2, travel_time=111.32)
    G.add_edge("e", "w", length=1113.2, travel_time=111.32)
    return G


def test_nodes_snap_to_themselves(helsinki_walk: nx.MultiDiGraph) -> None:
    nodes = list(helsinki_walk.nodes)[::50]
    xs = [helsinki_walk.nodes[n]["x"] for n in nodes]
    ys = [helsinki_walk.nodes[n]["y"] for n in nodes]
    snapped = snap_points(helsinki_walk, xs, ys)
    assert list(snapped.nodes) == nodes
    np.testing.assert_allclose(snapped.distance_m, 0, atol=1e-6)
    assert not snapped.far.any()


def test_distance_is_metric_and_the_nearer_end_is_chosen() -> None:
    G = straight_road()
    # 100 m north of the road, a quarter and three quarters of the way along
    _, north_lat, _ = GEOD.fwd(0.0025, 0.0, 0, 100)
    snapped = snap_points(G, [0.0025, 0.0075], [north_lat, north_lat])
    assert list(snapped.nodes) == ["w", "e"]
    np.testing.assert_allclose(snapped.distance_m, [100, 100], rtol=2e-3)  # UTM scale factor, not degrees
    assert snapped.edges[0] is not None and set(snapped.edges[0][:2]) == {"w", "e"}
    assert metric_crs(G).to_epsg() == 32631


def test_points_in_the_sea_or_without_coordinates_are_flagged(helsinki_walk: nx.MultiDiGraph) -> None:
    # a point in the Gulf of Finland south of the city, one on Esplanadi, one with no coordinates
    snapped = snap_points(helsinki_walk, [24.95, 24.9485, np.nan], [60.10, 60.1675, 60.17])
    assert snapped.far.tolist() == [True, False, True]
    assert snapped.distance_m[0] > 5000 and snapped.distance_m[1] < 50
    assert np.isinf(snapped.distance_m[2]) and snapped.nodes[2] is None and snapped.edges[2] is None
    assert snapped.max_distance_m == MAX_SNAP_DISTANCE_M
    strict = snap_points(helsinki_walk, [24.9485], [60.1675], max_distance_m=0.01)
    assert strict.far.tolist() == [True]


def test_many_points_snap_consistently(helsinki_walk: nx.MultiDiGraph) -> None:
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(24.936, 24.953, 3000), rng.uniform(60.165, 60.178, 3000)
    snapped = snap_points(helsinki_walk, lon, lat)
    assert len(snapped.nodes) == 3000 and set(snapped.nodes) <= set(helsinki_walk.nodes)
    index = projected_edges(helsinki_walk)
    assert projected_edges(helsinki_walk) is index  # cached per graph
    # the reported distance is the distance to the nearest edge, checked by brute force for a few
    x, y = index.to_metric.transform(lon[:20], lat[:20])
    for i in range(20):
        brute = min(g.distance(Point(x[i], y[i])) for g in index.geometries)
        assert snapped.distance_m[i] == pytest.approx(brute, abs=1e-6)


def test_mismatched_coordinates_are_an_error() -> None:
    with pytest.raises(ValueError, match="same length"):
        snap_points(straight_road(), [0.0, 0.1], [0.0])
