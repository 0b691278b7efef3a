"""Snap points to a road network: the nearest road, then the nearer end of it.

Distances are measured in a local metric CRS (the graph's UTM zone), never in
degrees. The projected edge geometries and their spatial index are built once
per graph and cached, so snapping thousands of points costs one vectorised
nearest-neighbour query.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from shapely import LineString
from shapely.strtree import STRtree

from .errors import EmptyNetworkError

MAX_SNAP_DISTANCE_M = 500.0
"""Default distance (meters) from a point to the nearest road beyond which the point is flagged `far`."""


@dataclass(frozen=True)
class SnappedPoints:
    """
    Where each point joins the network.

    Attributes
    ----------
    nodes
        Node id per point: the end of the nearest edge nearer (along that edge)
        to the point's projection onto it.
    distance_m
        Straight-line distance in meters from each point to the nearest road
        (edge geometry); ``np.inf`` for points without valid coordinates.
    far
        True where `distance_m` exceeds the `max_distance_m` used (a point in
        the sea, off the extract, or with bad coordinates): do not route it silently.
    edges
        ``(u, v, key)`` of the nearest edge per point (None for invalid points).
    max_distance_m
        The threshold used for `far`, in meters.
    """

    nodes: npt.NDArray[np.generic]
    distance_m: npt.NDArray[np.float64]
    far: npt.NDArray[np.bool_]
    edges: list[tuple[Hashable, Hashable, int] | None]
    max_distance_m: float


@dataclass(frozen=True)
class ProjectedEdges:
    """A graph's edges projected to its local metric CRS, with a spatial index."""

    crs: CRS
    to_metric: Transformer  # EPSG:4326 (lon, lat) -> `crs` (x, y) meters
    to_lonlat: Transformer
    edges: list[tuple[Hashable, Hashable, int]]  # (u, v, key), aligned with `geometries`
    geometries: npt.NDArray[np.object_]  # LineStrings in `crs`, each running from u to v
    tree: STRtree


_INDEX_CACHE: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[object, ProjectedEdges]]
_INDEX_CACHE = weakref.WeakKeyDictionary()


def snap_points(graph: nx.MultiDiGraph, lon: Sequence[float] | npt.ArrayLike, lat: Sequence[float] | npt.ArrayLike,
                *, max_distance_m: float = MAX_SNAP_DISTANCE_M) -> SnappedPoints:
    """
    Snap points to their nearest road and pick a network node for each.

    The nearest edge is found in the graph's UTM zone (an STRtree over the edge
    geometries); the node is the end of that edge nearer along it to where the
    point projects, so matrices and routes use graph nodes exactly.

    Parameters
    ----------
    graph
        OSMnx-conformant graph in EPSG:4326 (node ``x``/``y`` in degrees).
    lon, lat
        Point coordinates in EPSG:4326 degrees, equal lengths.
    max_distance_m
        Points farther than this (meters) from any road are flagged `far`.

    Returns
    -------
    snapped
        Nodes, distances (m), `far` flags and nearest edges, one per point.
    """
    x = np.asarray(lon, dtype=float).ravel()
    y = np.asarray(lat, dtype=float).ravel()
    if x.shape != y.shape:
        msg = f"lon and lat must have the same length ({len(x)} != {len(y)})"
        raise ValueError(msg)
    index = projected_edges(graph)
    valid = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    px, py = index.to_metric.transform(x[valid], y[valid])
    points = shapely.points(px, py)
    found, distances = index.tree.query_nearest(points, return_distance=True, all_matches=False)
    nearest = np.empty(len(points), dtype=np.int64)
    nearest[found[0]] = found[1]
    distance_m = np.full(len(x), np.inf)
    distance_m[np.flatnonzero(valid)[found[0]]] = distances
    lines = index.geometries[nearest]
    along = shapely.line_locate_point(lines, points)
    at_start = along <= shapely.length(lines) / 2
    nodes: list[Hashable] = [None] * len(x)
    edges: list[tuple[Hashable, Hashable, int] | None] = [None] * len(x)
    for i, edge_at, start in zip(np.flatnonzero(valid).tolist(), nearest.tolist(), at_start.tolist(),
                                 strict=True):
        u, v, key = index.edges[edge_at]
        edges[i] = (u, v, key)
        nodes[i] = u if start else v
    node_array = np.array(nodes) if valid.all() else np.array(nodes, dtype=object)
    return SnappedPoints(nodes=node_array, distance_m=distance_m, far=~(distance_m <= max_distance_m),
                         edges=edges, max_distance_m=float(max_distance_m))


def metric_crs(graph: nx.MultiDiGraph) -> CRS:
    """
    Return the UTM CRS of the zone holding the middle of a graph.

    Parameters
    ----------
    graph
        Graph in EPSG:4326.

    Returns
    -------
    crs
        A metric CRS (meters) for measuring distances and areas near the graph.
    """
    xs = np.fromiter((d["x"] for _, d in graph.nodes(data=True)), dtype=float)
    ys = np.fromiter((d["y"] for _, d in graph.nodes(data=True)), dtype=float)
    lon, lat = float(np.median(xs)), float(np.median(ys))
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def projected_edges(graph: nx.MultiDiGraph) -> ProjectedEdges:
    """
    Return the graph's edges in its metric CRS with a spatial index (built once, cached).

    Edges without a ``geometry`` attribute are straight lines between their
    nodes. The cache notices added or removed nodes and edges; work on a
    fresh copy of a graph whose nodes or geometries you edit in place.

    Parameters
    ----------
    graph
        OSMnx-conformant graph in EPSG:4326.

    Returns
    -------
    index
        Projected edge geometries (meters), their ``(u, v, key)`` and an STRtree.
    """
    nx_cache = getattr(graph, "__networkx_cache__", None)  # NetworkX empties it when edges change
    stamp = nx_cache.setdefault("routing.snap", object()) if nx_cache is not None else (
        graph.number_of_nodes(), graph.number_of_edges())
    cached = _INDEX_CACHE.get(graph)
    if cached is not None and cached[0] == stamp:  # identity for tokens, value for counts
        return cached[1]
    if graph.number_of_edges() == 0:
        msg = "the graph has no edges to snap to; build it from an extract that covers roads"
        raise EmptyNetworkError(msg)
    crs = metric_crs(graph)
    to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    edges = []
    lines = []
    nodes = graph.nodes
    for u, v, k, geometry in graph.edges(keys=True, data="geometry"):
        edges.append((u, v, k))
        if geometry is None:
            geometry = LineString([(nodes[u]["x"], nodes[u]["y"]), (nodes[v]["x"], nodes[v]["y"])])
        lines.append(geometry)
    geometries = np.array(lines, dtype=object)
    coords, parts = shapely.get_coordinates(geometries, return_index=True)
    mx, my = to_metric.transform(coords[:, 0], coords[:, 1])
    projected = np.asarray(shapely.linestrings(np.column_stack([mx, my]), indices=parts), dtype=object)
    index = ProjectedEdges(crs=crs, to_metric=to_metric, to_lonlat=to_lonlat, edges=edges,
                           geometries=projected, tree=STRtree(projected))
    _INDEX_CACHE[graph] = (stamp, index)
    return index
