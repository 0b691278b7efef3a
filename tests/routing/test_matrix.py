"""Matrices: exact values on a hand-made extract, equality with NetworkX, unreachable pairs, helpers."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from routing import matrix
from routing.errors import UnknownNodeError
from routing.matrix import (
    distance_matrix,
    fastest_route_matrices,
    to_integer_meters,
    to_integer_seconds,
    travel_time_matrix,
)
from routing.network import cached_graph_from_osm_file, graph_from_osm_file

EARTH_RADIUS_M = 6_371_009  # OSMnx's great-circle radius


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


SQUARE_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="0.0" lon="0.0"/><node id="9" lat="0.0" lon="0.0005"/><node id="2" lat="0.0" lon="0.001"/>
  <node id="3" lat="0.001" lon="0.001"/><node id="4" lat="0.001" lon="0.0"/>
  <way id="10"><nd ref="1"/><nd ref="9"/><nd ref="2"/><tag k="highway" v="residential"/>
    <tag k="maxspeed" v="36"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="maxspeed" v="72"/>
    <tag k="oneway" v="yes"/></way>
  <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="maxspeed" v="18 mph"/></way>
  <way id="13"><nd ref="1"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="maxspeed" v="50"/>
    <tag k="oneway" v="-1"/></way>
</osm>
"""


def test_hand_made_extract_gives_the_exact_matrix(tmp_path: Path) -> None:
    path = tmp_path / "square.osm"
    path.write_text(SQUARE_OSM)
    G = graph_from_osm_file(path, mode="drive")
    # 1-2 two-way at 10 m/s (via 9); 2->3 one-way at 20 m/s; 3-4 two-way at 18 mph; 4->1 only (oneway=-1)
    l12 = great_circle_m(0, 0, 0.0005, 0) + great_circle_m(0.0005, 0, 0.001, 0)
    l23 = great_circle_m(0.001, 0, 0.001, 0.001)
    l34 = great_circle_m(0.001, 0.001, 0, 0.001)
    l41 = great_circle_m(0, 0.001, 0, 0)
    t12, t23, t34, t41 = l12 / 10, l23 / 20, l34 / (18 * 1.609344 / 3.6), l41 / (50 / 3.6)
    expected = np.array([
        [0, t12, t12 + t23, t12 + t23 + t34],  # 1 -> 4 must go round: the direct street is one-way 4 -> 1
        [t12, 0, t23, t23 + t34],
        [t34 + t41, t34 + t41 + t12, 0, t34],
        [t41, t41 + t12, t34, 0],
    ])
    got = travel_time_matrix(G, [1, 2, 3, 4])
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    lengths = np.array([[0, l12, l12 + l23, l12 + l23 + l34], [l12, 0, l23, l23 + l34],
                        [l34 + l41, l34 + l41 + l12, 0, l34], [l41, l41 + l12, l34, 0]])
    np.testing.assert_allclose(distance_matrix(G, [1, 2, 3, 4]), lengths, rtol=1e-9)
    times, along = fastest_route_matrices(G, [1, 2, 3, 4])
    np.testing.assert_allclose(times, expected, rtol=1e-9)
    np.testing.assert_allclose(along, lengths, rtol=1e-9)
    # rectangular, repeated and reversed (more origins than destinations) requests agree
    np.testing.assert_allclose(travel_time_matrix(G, [4, 4, 1, 3, 2], [2]), expected[[3, 3, 0, 2, 1]][:, [1]],
                               rtol=1e-12)
    assert travel_time_matrix(G, [], [1]).shape == (0, 1)


def test_unreachable_pairs_are_inf_and_parallel_edges_are_not_summed() -> None:
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", travel_time=5.0, length=50.0)
    G.add_edge("a", "b", travel_time=3.0, length=70.0)  # parallel: the cheaper one counts, not the sum
    G.add_edge("b", "c", travel_time=0.0, length=0.0)  # zero-cost edges are still edges
    G.add_edge("d", "e", travel_time=1.0, length=10.0)
    G.add_node("lonely")
    got = travel_time_matrix(G, ["a", "b", "c", "d", "lonely"], ["b", "c", "a", "e", "lonely"])
    expected = np.array([[3, 3, 0, np.inf, np.inf], [0, 0, np.inf, np.inf, np.inf],
                         [np.inf, 0, np.inf, np.inf, np.inf], [np.inf, np.inf, np.inf, 1, np.inf],
                         [np.inf, np.inf, np.inf, np.inf, 0]])
    np.testing.assert_array_equal(got, expected)
    times, along = fastest_route_matrices(G, ["a", "d"], ["c", "e"])
    np.testing.assert_array_equal(times, [[3, np.inf], [np.inf, 1]])
    np.testing.assert_array_equal(along, [[70, np.inf], [np.inf, 10]])  # length of the *fastest* a->b edge
    np.testing.assert_array_equal(distance_matrix(G, ["a"], ["c"]), [[50]])


def test_unknown_nodes_and_missing_weights_are_clear_errors() -> None:
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, travel_time=1.0, length=1.0)
    with pytest.raises(UnknownNodeError, match=r"1 destinations are not nodes.*\[99\]"):
        travel_time_matrix(G, [1], [2, 99])
    assert isinstance(UnknownNodeError("x"), ValueError)
    with pytest.raises(ValueError, match="no 'speed' attribute"):
        travel_time_matrix(G, [1], weight="speed")


def random_graph(rng: random.Random) -> nx.MultiDiGraph:
    """Small road-like graphs: trees with cul-de-sacs and chains, one-ways, parallel edges, loops, zeros."""
    n = rng.randint(1, 30)
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    for v in range(1, n):
        u = rng.randrange(v)
        w = rng.choice([0.0, rng.uniform(0.5, 10)])
        G.add_edge(u, v, travel_time=w, length=w * 7)
        if rng.random() < 0.85:  # mostly two-way, sometimes at another cost
            back = rng.uniform(0.5, 10) if rng.random() < 0.3 else w
            G.add_edge(v, u, travel_time=back, length=back * 7)
    for _ in range(rng.randint(0, n // 2)):
        u, v = rng.randrange(n), rng.randrange(n)
        G.add_edge(u, v, travel_time=rng.uniform(0, 10), length=rng.uniform(0, 50))
    return G


def networkx_matrix(G: nx.MultiDiGraph, origins: list[int], destinations: list[int],
                    weight: str = "travel_time") -> np.ndarray:
    out = np.full((len(origins), len(destinations)), np.inf)
    for i, s in enumerate(origins):
        dist = nx.single_source_dijkstra_path_length(G, s, weight=weight)
        for j, t in enumerate(destinations):
            out[i, j] = dist.get(t, np.inf)
    return out


def assert_same(got: np.ndarray, ref: np.ndarray) -> None:
    finite = np.isfinite(ref)
    assert (np.isfinite(got) == finite).all(), "reachability differs from NetworkX"
    np.testing.assert_allclose(got[finite], ref[finite], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("core_worth", [0.0, math.inf])  # always the full graph / always the reduced one
def test_equals_networkx_on_many_small_graphs(monkeypatch: pytest.MonkeyPatch, core_worth: float) -> None:
    monkeypatch.setattr(matrix, "_CORE_WORTH", core_worth)
    rng = random.Random(11)
    for _ in range(300):
        G = random_graph(rng)
        n = G.number_of_nodes()
        origins = [rng.randrange(n) for _ in range(rng.randint(1, 10))]
        destinations = origins if rng.random() < 0.4 else [rng.randrange(n) for _ in range(rng.randint(1, 10))]
        matrix.clear_cache(G)
        assert_same(travel_time_matrix(G, origins, destinations), networkx_matrix(G, origins, destinations))
        assert_same(distance_matrix(G, origins, destinations),
                    networkx_matrix(G, origins, destinations, weight="length"))
        times, along = fastest_route_matrices(G, origins, destinations)
        assert_same(times, networkx_matrix(G, origins, destinations))
        assert (along[np.isfinite(times)] >= distance_matrix(G, origins, destinations)[np.isfinite(times)]
                - 1e-9).all()


@pytest.mark.shared
def test_equals_networkx_on_a_real_extract(graph_cache: Path, osm_dir: Path) -> None:
    path = osm_dir / "rutland-latest.osm.pbf"
    G = cached_graph_from_osm_file(path, cache_dir=graph_cache)
    nodes = random.Random(3).sample(sorted(G.nodes), 60)
    ref = networkx_matrix(G, nodes, nodes)
    assert_same(travel_time_matrix(G, nodes), ref)
    times, along = fastest_route_matrices(G, nodes[:20], nodes)
    assert_same(times, ref[:20])
    for i, j in [(0, 1), (2, 30), (5, 59)]:  # distance along the route NetworkX finds
        path_nodes = nx.shortest_path(G, nodes[i], nodes[j], weight="travel_time")
        length = sum(min(G[u][v].values(), key=lambda e: e["travel_time"])["length"]
                     for u, v in itertools.pairwise(path_nodes))
        assert along[i, j] == pytest.approx(length, rel=1e-9)
    lengths = distance_matrix(G, nodes[:10], nodes)
    assert_same(lengths, networkx_matrix(G, nodes[:10], nodes, weight="length"))
    assert (along[:10] >= lengths - 1e-6).all()


def test_cache_follows_graph_changes() -> None:
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, travel_time=10.0)
    assert travel_time_matrix(G, [1], [2])[0, 0] == 10
    G.add_edge(1, 2, travel_time=4.0)  # a new edge is noticed
    assert travel_time_matrix(G, [1], [2])[0, 0] == 4
    G.remove_edge(1, 2, key=1)
    assert travel_time_matrix(G, [1], [2])[0, 0] == 10
    G.edges[1, 2, 0]["travel_time"] = 2.0  # an in-place edit needs clear_cache
    matrix.clear_cache(G)
    assert travel_time_matrix(G, [1], [2])[0, 0] == 2


def test_integer_conversions_round_the_same_way_for_every_caller() -> None:
    np.testing.assert_array_equal(to_integer_seconds([0.0, 1.0000000001, 1.2, 59.5, 60.0]), [0, 1, 2, 60, 60])
    np.testing.assert_array_equal(to_integer_seconds([[np.inf, 3.1]], unreachable=10**6), [[10**6, 4]])
    np.testing.assert_array_equal(to_integer_meters([2.5, 3.49, 10.0, np.inf], unreachable=-1), [3, 3, 10, -1])
    with pytest.raises(ValueError, match="1 travel times are infinite"):
        to_integer_seconds([1.0, np.inf])
    with pytest.raises(ValueError, match="non-negative"):
        to_integer_meters([-1.0])
    assert to_integer_seconds(np.zeros((2, 3))).dtype == np.int64
