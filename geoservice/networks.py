"""The workspace's road network: which extract (or online query) it comes from, its
area, and the graph for each travel mode, built once and loaded from the cache after.

The settings ``network_source`` (an OSM file path, ``place:TEXT`` or ``bbox:W,S,E,N``),
``network_bbox`` (``W,S,E,N`` degrees) and ``network_modes`` live in the workspace.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from geoservice.errors import UserError, WorkspaceError
from geoservice.opening import workspace_zone
from geoservice.store import Store
from routing.errors import RoutingError
from routing.network import cached_graph_from_osm_file, graph_from_bbox, graph_from_place


@dataclass(frozen=True)
class NetworkSummary:
    """What ``outreach network build`` reports for one mode."""

    mode: str
    nodes: int
    edges: int
    km: float
    components_dropped: int
    nodes_dropped: int
    km_dropped: float

    def __str__(self) -> str:
        dropped = (f"; dropped {self.components_dropped} disconnected pieces "
                   f"({self.nodes_dropped} nodes, {self.km_dropped:.1f} km)" if self.components_dropped else "")
        return f"{self.mode}: {self.nodes:,} nodes, {self.edges:,} edges, {self.km:,.1f} km of road{dropped}"


def build_network(store: Store, *, osm: str | Path | None = None, place: str | None = None,
                  bbox: tuple[float, float, float, float] | None = None,
                  modes: Iterable[str] = ("drive", "walk"), timezone: str | None = None) -> list[NetworkSummary]:
    """Set the workspace's road network and build (or load from cache) a graph per mode.

    Exactly one of ``osm`` (offline extract), ``place`` or ``bbox`` (online, OSMnx)
    is given. The workspace's ``timezone`` (local time of plans, opening hours) is set
    to ``timezone`` if given, else, when the workspace has none yet, to the zone of the
    network's centre. Returns a summary per mode.
    """
    if sum(x is not None for x in (osm, place, bbox)) != 1:
        raise UserError("give exactly one of --osm FILE, --place TEXT or --bbox W,S,E,N")
    if osm is not None:
        if not Path(osm).is_file():
            raise UserError(f"{osm}: OSM file not found" if not Path(osm).exists() else f"{osm}: is not a file")
        source = str(Path(osm).resolve())
    elif place is not None:
        source = f"place:{place}"
    else:
        assert bbox is not None
        source = "bbox:" + ",".join(f"{v:g}" for v in bbox)
    summaries, bounds = [], []
    modes = list(dict.fromkeys(modes))
    for mode in modes:
        G = _graph(store, source, mode)
        summaries.append(summarise(G, mode))
        bounds.append(_bounds(G))
    w, s = min(b[0] for b in bounds), min(b[1] for b in bounds)
    e, n = max(b[2] for b in bounds), max(b[3] for b in bounds)
    if timezone is not None:
        workspace_zone(timezone)  # a clear error for a name that is not an IANA zone
    zone = timezone or store.settings().get("timezone") or zone_at((w + e) / 2, (s + n) / 2)
    store.set_settings(network_source=source, network_bbox=f"{w:.6f},{s:.6f},{e:.6f},{n:.6f}",
                       network_modes=",".join(modes), timezone=zone)
    return summaries


def zone_at(lon: float, lat: float) -> str:
    """The IANA time zone at a point (lon/lat, EPSG:4326), from an offline map of zones."""
    import tzfpy

    return str(tzfpy.get_tz(lon, lat)) or "UTC"


def workspace_graph(store: Store, mode: str) -> nx.MultiDiGraph:
    """The workspace's road graph for ``mode`` (OSMnx-conformant, EPSG:4326)."""
    source = store.settings().get("network_source")
    if not source:
        raise WorkspaceError(f"workspace {store.root} has no road network: run "
                             "`outreach network build --osm FILE` (or `outreach demo`)")
    return _graph(store, source, mode)


def summarise(G: nx.MultiDiGraph, mode: str) -> NetworkSummary:
    """The size of a built graph and what its build dropped."""
    report: dict[str, Any] = G.graph.get("build_report", {})
    return NetworkSummary(mode, G.number_of_nodes(), G.number_of_edges(), float(report.get("km", 0.0)),
                          int(report.get("components_dropped", 0)), int(report.get("nodes_dropped", 0)),
                          float(report.get("km_dropped", 0.0)))


def _graph(store: Store, source: str, mode: str) -> nx.MultiDiGraph:
    try:
        if source.startswith(("place:", "bbox:")):
            return _online_graph(store, source, mode)
        if not Path(source).exists():
            raise WorkspaceError(f"the workspace's OSM extract {source} is missing; run "
                                 "`outreach network build --osm FILE` again")
        return cached_graph_from_osm_file(source, mode=mode, cache_dir=store.network_dir)  # type: ignore[arg-type]
    except RoutingError as e:
        raise UserError(str(e)) from None


def _online_graph(store: Store, source: str, mode: str) -> nx.MultiDiGraph:
    """A graph fetched with OSMnx once and kept in the workspace (it cannot be rebuilt offline)."""
    import hashlib

    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    path = store.network_dir / f"online-{key}-{mode}.pickle"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)  # the workspace's own cache, written below
    kind, _, text = source.partition(":")
    if kind == "place":
        G = graph_from_place(text, mode=mode)  # type: ignore[arg-type]
    else:
        w, s, e, n = (float(v) for v in text.split(","))
        G = graph_from_bbox((w, s, e, n), mode=mode)  # type: ignore[arg-type]
    store.network_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(G, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return G


def _bounds(G: nx.MultiDiGraph) -> tuple[float, float, float, float]:
    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    return min(xs), min(ys), max(xs), max(ys)
