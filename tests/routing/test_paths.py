"""Route geometry: consistent with the matrices, follows the roads, clear errors."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod

from routing.errors import NoRouteError, UnknownNodeError
from routing.matrix import distance_matrix, fastest_route_matrices
from routing.network import cached_graph_from_osm_file
from routing.paths import route_geometry, route_through, shortest_route


@pytest.fixture
def helsinki_drive(graph_cache: Path, demo_osm: Path) -> nx.MultiDiGraph:
    return cached_graph_from_osm_file(demo_osm, mode="drive", cache_dir=graph_cache)


def test_route_length_and_time_equal_the_matrices(helsinki_drive: nx.MultiDiGraph) -> None:
    G = helsinki_drive
    nodes = random.Random(2).sample(sorted(G.nodes), 12)
    times, along = fastest_route_matrices(G, nodes)
    shortest = distance_matrix(G, nodes)
    for i, j in [(0, 1), (2, 7), (3, 11), (10, 4), (6, 9)]:
        fastest = shortest_route(G, nodes[i], nodes[j])
        assert fastest.travel_time_s == pytest.approx(times[i, j], rel=1e-9)
        assert fastest.length_m == pytest.approx(along[i, j], rel=1e-9)
        by_length = shortest_route(G, nodes[i], nodes[j], weight="length")
        assert by_length.length_m == pytest.approx(shortest[i, j], rel=1e-9)
        assert by_length.length_m <= fastest.length_m + 1e-6


def test_geometry_follows_the_roads(helsinki_drive: nx.MultiDiGraph) -> None:
    G = helsinki_drive
    a, b = sorted(G.nodes)[3], sorted(G.nodes)[-5]
    route = shortest_route(G, a, b, weight="length")
    coords = np.array(route.geometry.coords)
    assert tuple(coords[0]) == (G.nodes[a]["x"], G.nodes[a]["y"])
    assert tuple(coords[-1]) == (G.nodes[b]["x"], G.nodes[b]["y"])
    assert len(coords) >= len(route.nodes)  # bends of the roads, not just the junctions
    # the line's own length on the ellipsoid matches the edges' lengths (OSMnx uses a sphere)
    assert Geod(ellps="WGS84").geometry_length(route.geometry) == pytest.approx(route.length_m, rel=5e-3)
    assert route_geometry(G, a, b, weight="length").equals(route.geometry)


def test_route_through_chains_legs(helsinki_drive: nx.MultiDiGraph) -> None:
    G = helsinki_drive
    stops = sorted(G.nodes)[10:40:10]
    whole = route_through(G, stops)
    legs = [shortest_route(G, u, v) for u, v in itertools.pairwise(stops)]
    assert whole.travel_time_s == pytest.approx(sum(leg.travel_time_s for leg in legs), rel=1e-12)
    assert whole.length_m == pytest.approx(sum(leg.length_m for leg in legs), rel=1e-12)
    assert whole.nodes[0] == stops[0] and whole.nodes[-1] == stops[-1]
    same = shortest_route(G, stops[0], stops[0])
    assert same.length_m == 0 and same.nodes == [stops[0]] and len(same.geometry.coords) == 2


def test_no_route_and_unknown_nodes_are_clear_errors() -> None:
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=0.001, y=0.0)
    G.add_edge(1, 2, length=111.0, travel_time=10.0)
    assert shortest_route(G, 1, 2).length_m == 111.0
    with pytest.raises(NoRouteError, match="no route from node 2 to node 1"):
        shortest_route(G, 2, 1)
    with pytest.raises(UnknownNodeError, match=r"\[3\]"):
        shortest_route(G, 1, 3)
