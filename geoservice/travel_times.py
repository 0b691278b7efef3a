"""Travel times between places (lon/lat) over the workspace's road network.

A place joins the network where :func:`routing.snap.snap_points` puts it: at the nearest
road, then along that road to its nearer end node. The time between two places is the
network time between their nodes plus, at each end, the stretch of road to the node (at
that road's speed) and the straight walk between the place and the road (at the
profile's walking speed, whatever the mode: the last metres to a doorway, a bench or a
van are on foot). Times are seconds, distances meters; ``np.inf`` marks pairs with no route.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from routing.matrix import fastest_route_matrices, travel_time_matrix

FloatArray = npt.NDArray[np.float64]

#: Walking speed (km/h) on the legs between a place and the network, when the graph's
#: speed profile does not say.
DEFAULT_WALK_KPH = 4.8


@dataclass(frozen=True)
class Placed:
    """Places snapped to a network.

    Attributes
    ----------
    nodes
        The network node each place joins at.
    snap_m
        Straight-line distance (meters) from each place to the nearest road.
    access_s
        Time (seconds) from the place to its node: the walk to the road plus the stretch
        of road to the node.
    access_m
        Distance (meters) of the same.
    """

    nodes: list[Hashable]
    snap_m: FloatArray
    access_s: FloatArray
    access_m: FloatArray

    def __len__(self) -> int:
        return len(self.nodes)

    def subset(self, rows: Sequence[int]) -> Placed:
        """The places at ``rows``, in that order."""
        picked = list(rows)
        return Placed([self.nodes[i] for i in picked], self.snap_m[picked], self.access_s[picked],
                      self.access_m[picked])


def walk_speed_kph(G: nx.MultiDiGraph) -> float:
    """Walking speed (km/h) of the graph's speed profile, or :data:`DEFAULT_WALK_KPH`."""
    profile = G.graph.get("provenance", {}).get("speed_profile", {})
    return float(profile.get("walk_kph", DEFAULT_WALK_KPH))


def place_on_network(G: nx.MultiDiGraph, lonlat: Sequence[tuple[float, float]]) -> Placed:
    """Snap places to ``G``: nearest road, then its nearer end node.

    Parameters
    ----------
    G
        OSMnx-conformant graph in EPSG:4326.
    lonlat
        ``(lon, lat)`` of each place, degrees (EPSG:4326).

    Returns
    -------
    Placed
        Nodes, distances to the road (m), and the time (s) and distance (m) from each
        place to its node.
    """
    if not lonlat:
        return at_nodes([])
    import shapely

    from routing.snap import projected_edges, snap_points

    lon = np.array([float(p[0]) for p in lonlat])
    lat = np.array([float(p[1]) for p in lonlat])
    snapped = snap_points(G, lon, lat)
    edges = [e for e in snapped.edges if e is not None]
    if len(edges) != len(lonlat):
        raise ValueError("places need finite lon/lat coordinates in degrees")
    index = projected_edges(G)
    position = _edge_positions(G, index.edges)
    lines = index.geometries[[position[e] for e in edges]]
    x, y = index.to_metric.transform(lon, lat)
    along = shapely.line_locate_point(lines, shapely.points(x, y))
    line_m = shapely.length(lines)
    nodes = list(snapped.nodes.tolist())
    # share of the edge between the place's foot on the road and the chosen node
    to_node = np.array([a if n == e[0] else lm - a for a, lm, n, e in zip(along, line_m, nodes, edges, strict=True)])
    share = np.divide(to_node, line_m, out=np.zeros_like(to_node), where=line_m > 0)
    edge_m = np.array([float(G.edges[e].get("length", 0.0)) for e in edges])
    edge_s = np.array([float(G.edges[e].get("travel_time", 0.0)) for e in edges])
    snap_m = np.asarray(snapped.distance_m, dtype=float)
    return Placed(nodes, snap_m, snap_m / (walk_speed_kph(G) / 3.6) + share * edge_s, snap_m + share * edge_m)


def at_nodes(nodes: Sequence[Hashable]) -> Placed:
    """Places that are network nodes themselves (no walk, no stretch of road)."""
    zeros = np.zeros(len(nodes))
    return Placed(list(nodes), zeros, zeros.copy(), zeros.copy())


_POSITIONS: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[int, dict[Any, int]]]
_POSITIONS = weakref.WeakKeyDictionary()


def _edge_positions(G: nx.MultiDiGraph, edges: list[tuple[Hashable, Hashable, int]]) -> dict[Any, int]:
    """Position of each ``(u, v, key)`` in the snap index's edge list (cached per graph)."""
    cached = _POSITIONS.get(G)
    if cached is None or cached[0] != id(edges):
        cached = (id(edges), {e: i for i, e in enumerate(edges)})
        _POSITIONS[G] = cached
    return cached[1]


def travel_times(G: nx.MultiDiGraph, origins: Placed, destinations: Placed) -> FloatArray:
    """Travel times (s) from every origin place to every destination place.

    Parameters
    ----------
    G
        The graph the places were snapped to.
    origins, destinations
        Snapped places.

    Returns
    -------
    times_s
        ``(len(origins), len(destinations))`` seconds: network time plus the walks to and
        from the network; ``np.inf`` where no route exists.
    """
    if not len(origins) or not len(destinations):
        return np.zeros((len(origins), len(destinations)))
    network = travel_time_matrix(G, origins.nodes, destinations.nodes)
    return network + origins.access_s[:, None] + destinations.access_s[None, :]


def travel_times_and_distances(G: nx.MultiDiGraph, origins: Placed,
                               destinations: Placed) -> tuple[FloatArray, FloatArray]:
    """Travel times (s) and the distance (m) along the fastest route between places.

    As :func:`travel_times`, plus distances (m) that include the legs between each place
    and its node.
    """
    if not len(origins) or not len(destinations):
        shape = (len(origins), len(destinations))
        return np.zeros(shape), np.zeros(shape)
    times, meters = fastest_route_matrices(G, origins.nodes, destinations.nodes)
    return (times + origins.access_s[:, None] + destinations.access_s[None, :],
            meters + origins.access_m[:, None] + destinations.access_m[None, :])


def network_provenance(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Where a result's network came from: source, its date, mode, speed profile, versions."""
    p = G.graph.get("provenance", {})
    return {"source": p.get("source", ""), "source_date": p.get("source_date", ""), "mode": p.get("mode", ""),
            "speed_profile": p.get("speed_profile", {}).get("name", ""), "build_date": p.get("build_date", ""),
            "osmnx_version": p.get("osmnx_version", ""),
            "outreach_planner_version": p.get("outreach_planner_version", "")}
