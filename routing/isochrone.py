"""Areas reachable within a travel time: isochrones built from the road network itself.

Not convex hulls: the reachable roads (including the reachable part of a road
whose far end is out of time, assuming even speed along the edge) are buffered
in the graph's local metric CRS and merged, so rivers, parks and motorways
without junctions stay outside, as they are on the ground.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from .errors import UnknownNodeError
from .matrix import csr_export
from .snap import projected_edges

DEFAULT_BUFFER_M = 50.0
"""Default distance (meters) either side of a reachable road counted as reachable."""

# road geometry is simplified by this much (meters) before buffering: invisible at 50 m, 2x faster
_SIMPLIFY_M = 2.0


def isochrones(graph: nx.MultiDiGraph, origins: Iterable[Hashable], minutes: float | Sequence[float], *,
               weight: str = "travel_time", buffer_m: float = DEFAULT_BUFFER_M,
               rings: bool = False) -> gpd.GeoDataFrame:
    """
    Compute the area reachable from one or more nodes within each time limit.

    Travel uses the graph's mode (build a walk graph for walking isochrones)
    and starts at whichever origin is nearest in time. An area is the union of
    the reachable road geometry buffered by `buffer_m`, measured in the
    graph's UTM zone and returned in EPSG:4326.

    Parameters
    ----------
    graph
        OSMnx-conformant graph in EPSG:4326 with a numeric `weight` on every edge.
    origins
        Node ids to start from (e.g. from :func:`routing.snap.snap_points`).
    minutes
        One time limit or several, in minutes.
    weight
        Edge attribute in seconds (``"travel_time"``).
    buffer_m
        Distance in meters either side of a reachable road counted as reached.
    rings
        If False (default) each row is the whole area reachable within its
        limit, so larger limits contain smaller ones (nested). If True each row
        is only the band added since the previous, smaller limit.

    Returns
    -------
    areas
        GeoDataFrame in EPSG:4326, one row per limit in increasing order, with
        columns ``minutes``, ``area_km2`` (measured in the metric CRS) and
        ``geometry`` ((Multi)Polygon; empty if nothing is reachable). Its
        ``attrs["provenance"]`` holds the graph's provenance and the settings.
    """
    limits = sorted({float(m) for m in np.atleast_1d(np.asarray(minutes, dtype=float))})
    if not limits or min(limits) < 0 or not np.isfinite(limits).all():
        msg = f"minutes must be one or more non-negative numbers (got {minutes!r})"
        raise ValueError(msg)
    index, matrix = csr_export(graph, weight)
    starts = list(origins)
    try:
        rows = np.array([index[n] for n in starts], dtype=np.int64)
    except (KeyError, TypeError):
        msg = f"origins {[n for n in starts if n not in index][:5]} are not nodes of the graph; snap them first"
        raise UnknownNodeError(msg) from None
    if not len(rows):
        msg = "isochrones need at least one origin node"
        raise ValueError(msg)
    reached_s = dijkstra(matrix, directed=True, indices=rows, min_only=True)
    edges = projected_edges(graph)
    tail_s = reached_s[[index[u] for u, _, _ in edges.edges]]
    cost_s = np.array([graph.edges[e].get(weight, np.inf) for e in edges.edges], dtype=float)
    # a two-way road is two edges with one geometry: buffer it once when wholly reached
    road_of: dict[tuple[frozenset[Any], float], int] = {}
    road = np.array([road_of.setdefault((frozenset((u, v)), round(length, 1)), len(road_of))
                     for (u, v, _), length in zip(edges.edges, shapely.length(edges.geometries), strict=True)])
    x, y = edges.to_metric.transform(*np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in starts]).T)
    area: BaseGeometry = shapely.union_all(shapely.buffer(shapely.points(x, y), buffer_m))
    done = np.zeros(len(road_of), dtype=bool)
    areas = []
    for limit_s in (m * 60.0 for m in limits):  # each area grows the previous one
        whole = tail_s + cost_s <= limit_s
        part = (tail_s < limit_s) & ~whole & (cost_s > 0)
        new = whole & ~done[road]
        pieces = list(edges.geometries[_first_per_road(road, new)])
        fractions = (limit_s - tail_s[part]) / cost_s[part]
        pieces += [substring(g, 0.0, float(f), normalized=True)
                   for g, f in zip(edges.geometries[part], fractions, strict=True)]
        done[road[whole]] = True
        if pieces:
            simple = shapely.simplify(np.array(pieces, dtype=object), _SIMPLIFY_M)
            area = shapely.union_all([area, *shapely.buffer(simple, buffer_m, quad_segs=4)])
        areas.append(area)
    if rings:
        areas = [a if i == 0 else a.difference(areas[i - 1]) for i, a in enumerate(areas)]
    km2 = [a.area / 1e6 for a in areas]
    lonlat = [shapely.transform(a, lambda xy: np.column_stack(edges.to_lonlat.transform(xy[:, 0], xy[:, 1])))
              for a in areas]
    out = gpd.GeoDataFrame({"minutes": limits, "area_km2": km2}, geometry=lonlat, crs="EPSG:4326")
    out.attrs["provenance"] = {**graph.graph.get("provenance", {}), "isochrone_weight": weight,
                               "isochrone_buffer_m": buffer_m, "isochrone_rings": rings}
    return out


def _first_per_road(road: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Positions of the first selected edge of each road."""
    selected = np.flatnonzero(mask)
    _, first = np.unique(road[selected], return_index=True)
    return selected[first]
