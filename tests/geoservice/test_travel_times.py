"""Places joined to the network: the walk to the road and the stretch of road to the node count."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from geoservice.travel_times import at_nodes, place_on_network, travel_times, travel_times_and_distances

WALK_MS = 4.8 / 3.6
CAR_MS = 36 / 3.6
LAT0, LON0 = 60.0, 25.0


def lonlat(east_m: float, north_m: float) -> tuple[float, float]:
    return LON0 + east_m / (111_320.0 * math.cos(math.radians(LAT0))), LAT0 + north_m / 111_320.0


def street(speed_ms: float) -> nx.MultiDiGraph:
    """Nodes 1 (0, 0), 2 (200, 0), 3 (1000, 0) on a straight two-way street."""
    G = nx.MultiDiGraph(crs="epsg:4326", provenance={"speed_profile": {"walk_kph": 4.8}})
    for node, east in ((1, 0), (2, 200), (3, 1000)):
        x, y = lonlat(east, 0)
        G.add_node(node, x=x, y=y)
    for u, v, length in ((1, 2, 200.0), (2, 3, 800.0)):
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, length=length, travel_time=length / speed_ms)
    return G


def test_a_place_beside_a_long_street_walks_to_it_then_along_it() -> None:
    G = street(WALK_MS)
    placed = place_on_network(G, [lonlat(500, 30)])  # 30 m off the street, 300 m from node 2
    assert placed.nodes == [2]
    assert placed.snap_m[0] == pytest.approx(30, abs=0.5)
    assert placed.access_m[0] == pytest.approx(330, abs=1)
    assert placed.access_s[0] == pytest.approx(330 / WALK_MS, rel=1e-3)
    times, meters = travel_times_and_distances(G, placed, at_nodes([1]))
    assert times[0, 0] == pytest.approx(530 / WALK_MS, rel=1e-3) and meters[0, 0] == pytest.approx(530, abs=1)


def test_by_car_the_street_goes_at_its_speed_and_the_kerb_on_foot() -> None:
    G = street(CAR_MS)
    placed = place_on_network(G, [lonlat(500, 30)])
    assert placed.access_s[0] == pytest.approx(30 / WALK_MS + 300 / CAR_MS, rel=1e-3)
    assert travel_times(G, at_nodes([1]), placed)[0, 0] == pytest.approx(30 / WALK_MS + 500 / CAR_MS, rel=1e-3)


def test_places_on_nodes_and_no_places() -> None:
    G = street(WALK_MS)
    placed = place_on_network(G, [lonlat(0, 0), lonlat(1000, 0)])
    assert placed.nodes == [1, 3] and np.allclose(placed.access_m, 0, atol=0.01)
    assert len(place_on_network(G, [])) == 0
    assert travel_times(G, at_nodes([]), at_nodes([1, 2])).shape == (0, 2)
