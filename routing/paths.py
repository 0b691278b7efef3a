"""Road routes between graph nodes as geometries, for maps and GPX.

Routes are NetworkX Dijkstra shortest paths on the same graph and weight as
:mod:`routing.matrix`, and use the cheapest of parallel edges as it does, so a
route's travel time equals the matrix value and its length the distance along
the fastest route (up to floating-point rounding, and the choice among exactly
equal routes).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
from shapely import LineString

from .errors import NoRouteError, UnknownNodeError


@dataclass(frozen=True)
class Route:
    """
    A route along the network.

    Attributes
    ----------
    nodes
        Node ids in travel order, from the first origin to the last destination.
    geometry
        The road path in EPSG:4326 (lon, lat), following each edge's
        ``geometry`` where it has one.
    length_m
        Length along the route in meters (sum of edge ``length``).
    travel_time_s
        Travel time along the route in seconds (sum of edge ``travel_time``).
    """

    nodes: list[Hashable]
    geometry: LineString
    length_m: float
    travel_time_s: float


def shortest_route(graph: nx.MultiDiGraph, orig: Hashable, dest: Hashable, *,
                   weight: str = "travel_time") -> Route:
    """
    Find the route between two nodes that minimises a weight.

    Parameters
    ----------
    graph
        OSMnx-conformant graph in EPSG:4326.
    orig, dest
        Origin and destination node ids.
    weight
        Edge attribute to minimise: ``"travel_time"`` (s) for the fastest
        route, ``"length"`` (m) for the shortest.

    Returns
    -------
    route
        Nodes, EPSG:4326 geometry, length (m) and travel time (s).

    Raises
    ------
    UnknownNodeError
        If `orig` or `dest` is not a node of `graph`.
    NoRouteError
        If `dest` cannot be reached from `orig`.
    """
    return route_through(graph, [orig, dest], weight=weight)


def route_through(graph: nx.MultiDiGraph, stops: Sequence[Hashable], *,
                  weight: str = "travel_time") -> Route:
    """
    Chain the best routes between consecutive stops into one route.

    Parameters
    ----------
    graph
        OSMnx-conformant graph in EPSG:4326.
    stops
        Node ids to visit in order (at least one).
    weight
        Edge attribute minimised on each leg (``"travel_time"`` or ``"length"``).

    Returns
    -------
    route
        The whole route: nodes, EPSG:4326 geometry, length (m), travel time (s).
    """
    if not stops:
        msg = "route_through needs at least one stop"
        raise ValueError(msg)
    unknown = [s for s in stops if s not in graph]
    if unknown:
        msg = f"{len(unknown)} stops are not nodes of the graph (first: {unknown[:5]}); snap them first"
        raise UnknownNodeError(msg)
    nodes: list[Hashable] = [stops[0]]
    for orig, dest in itertools.pairwise(stops):
        try:
            leg = nx.shortest_path(graph, orig, dest, weight=weight)
        except nx.NetworkXNoPath:
            msg = f"no route from node {orig} to node {dest} (one-way streets or a disconnected network)"
            raise NoRouteError(msg) from None
        nodes.extend(leg[1:])
    coords: list[tuple[float, float]] = [(graph.nodes[nodes[0]]["x"], graph.nodes[nodes[0]]["y"])]
    length_m = travel_time_s = 0.0
    for u, v in itertools.pairwise(nodes):
        edge = _cheapest_edge(graph, u, v, weight)
        length_m += edge.get("length", 0.0)
        travel_time_s += edge.get("travel_time", 0.0)
        coords.extend(_edge_coords(graph, u, v, edge)[1:])
    if len(coords) == 1:
        coords.append(coords[0])
    return Route(nodes=nodes, geometry=LineString(coords), length_m=length_m, travel_time_s=travel_time_s)


def route_geometry(graph: nx.MultiDiGraph, orig: Hashable, dest: Hashable, *,
                   weight: str = "travel_time") -> LineString:
    """
    Return the road path between two nodes as a line, for maps and GPX.

    Parameters
    ----------
    graph
        OSMnx-conformant graph in EPSG:4326.
    orig, dest
        Origin and destination node ids.
    weight
        Edge attribute minimised (``"travel_time"`` or ``"length"``).

    Returns
    -------
    geometry
        LineString in EPSG:4326 (lon, lat); two equal points when ``orig == dest``.
    """
    return shortest_route(graph, orig, dest, weight=weight).geometry


def _cheapest_edge(graph: nx.MultiDiGraph, u: Hashable, v: Hashable, weight: str) -> dict[str, Any]:
    # as NetworkX and the matrices do: the parallel edge with the least weight
    return min(graph[u][v].values(), key=lambda data: data.get(weight, 1))


def _edge_coords(graph: nx.MultiDiGraph, u: Hashable, v: Hashable,
                 edge: dict[str, Any]) -> list[tuple[float, float]]:
    start = (graph.nodes[u]["x"], graph.nodes[u]["y"])
    end = (graph.nodes[v]["x"], graph.nodes[v]["y"])
    geometry = edge.get("geometry")
    if geometry is None:
        return [start, end]
    coords = [(float(x), float(y)) for x, y, *_ in geometry.coords]
    # simplified OSMnx edges run from u to v; guard against a reversed geometry all the same
    if _squared(coords[-1], start) < _squared(coords[0], start):
        coords.reverse()
    return coords


def _squared(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2
