"""Isochrones: reachable roads buffered, partly reached roads cut, nested or rings."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod
from shapely import Point

from routing.errors import UnknownNodeError
from routing.isochrone import isochrones
from routing.matrix import travel_time_matrix
from routing.network import cached_graph_from_osm_file

GEOD = Geod(ellps="WGS84")


def long_road() -> nx.MultiDiGraph:
    """A two-way road east along the equator: 0.02 degrees (about 2.2 km) at 10 m/s, one edge."""
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(0, x=0.0, y=0.0)
    G.add_node(1, x=0.02, y=0.0)
    length = GEOD.inv(0.0, 0.0, 0.02, 0.0)[2]
    G.add_edge(0, 1, length=length, travel_time=length / 10)
    G.add_edge(1, 0, length=length, travel_time=length / 10)
    return G


def east_of_origin(metres: float, north: float = 0.0) -> Point:
    lon, lat, _ = GEOD.fwd(0.0, 0.0, 90, metres)
    if north:
        lon, lat, _ = GEOD.fwd(lon, lat, 0, north)
    return Point(lon, lat)


def test_part_of_a_road_is_reached() -> None:
    areas = isochrones(long_road(), [0], 1, buffer_m=50)  # one minute at 10 m/s: 600 m along the road
    area = areas.geometry.iloc[0]
    assert areas.crs.to_epsg() == 4326 and areas["minutes"].tolist() == [1.0]
    assert area.contains(east_of_origin(550)) and area.contains(east_of_origin(300, north=40))
    assert not area.contains(east_of_origin(700)) and not area.contains(east_of_origin(300, north=80))
    # a 600 m x 100 m strip with round ends (the UTM zone's scale is within 0.2% here)
    assert areas["area_km2"].iloc[0] == pytest.approx((600 * 100 + np.pi * 50**2) / 1e6, rel=0.005)


def test_nested_and_rings() -> None:
    nested = isochrones(long_road(), [0], [2, 1])
    assert nested["minutes"].tolist() == [1.0, 2.0]
    one, two = nested.geometry
    assert two.buffer(1e-9).contains(one) and two.area > one.area
    rings = isochrones(long_road(), [0], [1, 2], rings=True)
    assert rings.geometry.iloc[1].intersection(one).area < 1e-12
    assert rings.geometry.iloc[1].contains(east_of_origin(900))
    assert rings["area_km2"].sum() == pytest.approx(nested["area_km2"].iloc[1], rel=1e-6)


def test_real_network_contains_near_and_excludes_far(graph_cache: Path, demo_osm: Path) -> None:
    G = cached_graph_from_osm_file(demo_osm, mode="walk", cache_dir=graph_cache)
    nodes = sorted(G.nodes)
    origin = nodes[len(nodes) // 2]
    times = travel_time_matrix(G, [origin], nodes)[0]
    areas = isochrones(G, [origin], [5, 10])
    five, ten = areas.geometry
    near = [n for n, t in zip(nodes, times, strict=True) if t < 4 * 60]
    far = [n for n, t in zip(nodes, times, strict=True) if t > 7 * 60]
    assert near and far
    points = {n: Point(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes}
    assert all(five.contains(points[n]) for n in near)
    # far nodes may lie within 50 m of a reachable road, but most do not
    assert sum(five.contains(points[n]) for n in far) < 0.1 * len(far)
    assert all(ten.contains(points[n]) for n in nodes if times[nodes.index(n)] < 9 * 60)
    assert 0 < areas["area_km2"].iloc[0] < areas["area_km2"].iloc[1]
    assert areas.attrs["provenance"]["mode"] == "walk"
    several = isochrones(G, [origin, nodes[0]], 5)  # from several origins: at least each one's area
    assert several.geometry.iloc[0].buffer(1e-9).contains(five)


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(UnknownNodeError):
        isochrones(long_road(), [42], 5)
    with pytest.raises(ValueError, match="minutes"):
        isochrones(long_road(), [0], -1)
    with pytest.raises(ValueError, match="at least one origin"):
        isochrones(long_road(), [], 5)
