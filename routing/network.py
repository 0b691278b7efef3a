"""Build OSMnx-conformant road networks from OSM extracts (offline) or queries (online).

Every graph returned here is a simplified ``networkx.MultiDiGraph`` in EPSG:4326
as OSMnx makes them (node ``x``/``y`` in degrees; edge ``length`` in meters,
``speed_kph`` in km/h, ``travel_time`` in seconds; ``G.graph["crs"]``), restricted
to its largest strongly connected component so every node can reach every other.
``G.graph["provenance"]`` says where the data came from and how it was built;
``G.graph["build_report"]`` says what was dropped on the way.

Offline files are streamed with pyosmium and filtered with OSMnx's own per-mode
way filter (:func:`way_filter`), so a file gives the same network as the
equivalent Overpass query; the reading itself is in :mod:`routing._osm_read`.
"""

from __future__ import annotations

import contextlib
import gc
import glob
import hashlib
import json
import logging
import os
import pickle
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import osmnx as ox

from ._osm_read import raw_graph, read_extract
from ._osm_read import way_filter as way_filter  # public: routing.network.way_filter
from .errors import EmptyNetworkError, OSMFileNotFoundError
from .speeds import PROFILES, SpeedProfile, profile_for_location

Mode = Literal["drive", "walk", "bike"]
MODES: tuple[str, ...] = ("drive", "walk", "bike")

BUILD_VERSION = 1
"""Version of the graph-building code; bump it whenever its output changes (invalidates caches)."""

_log = logging.getLogger(__name__)


def graph_from_osm_file(path: str | os.PathLike[str], *, mode: Mode = "drive",
                        speeds: SpeedProfile | None = None) -> nx.MultiDiGraph:
    """
    Build a routable graph from an OSM extract file, offline.

    Reads OSM XML (``.osm``) and PBF (``.osm.pbf``). Keeps the ways that OSMnx
    would download for `mode`; drops references to nodes missing from the file
    (bounding-box cuts), splitting a way where they were; keeps the largest
    strongly connected component; simplifies the topology; sets speeds and
    travel times from `speeds`.

    Parameters
    ----------
    path
        The extract file.
    mode
        ``"drive"``, ``"walk"`` or ``"bike"``; walk networks are bidirectional
        (one-way streets can be walked both ways), as in OSMnx.
    speeds
        The speed profile; by default the built-in one for the extract's
        location (see :func:`routing.speeds.profile_for_location`).

    Returns
    -------
    graph
        Simplified MultiDiGraph in EPSG:4326; edge ``length`` (m),
        ``speed_kph`` (km/h) and ``travel_time`` (s).

    Raises
    ------
    OSMFileNotFoundError
        If `path` does not exist.
    OSMFileError
        If the file is not a readable OSM file (garbage, malformed, truncated).
    EmptyNetworkError
        If the file holds no ways usable by `mode`.
    """
    started = time.perf_counter()
    path = _existing_file(path)
    _check_mode(mode)
    extract = read_extract(path, mode)
    if not extract.ways:
        msg = (f"{path}: no {mode} ways in this OSM file (it has no highway=* ways that OSMnx's "
               f"{mode!r} filter keeps); use an extract that covers roads, or another mode")
        raise EmptyNetworkError(msg)
    graph = raw_graph(extract, bidirectional=mode in ox.settings.bidirectional_network_types)
    provenance = {
        "source": str(path),
        "source_date": extract.date,
        "source_date_from": extract.date_from,
        "source_bytes": path.stat().st_size,
    }
    graph = _finish_graph(graph, mode=mode, speeds=speeds, provenance=provenance)
    graph.graph["build_report"].update(extract.report)
    graph.graph["build_report"]["build_seconds"] = round(time.perf_counter() - started, 3)
    return graph


def cached_graph_from_osm_file(path: str | os.PathLike[str], *, mode: Mode = "drive",
                               speeds: SpeedProfile | None = None,
                               cache_dir: str | os.PathLike[str]) -> nx.MultiDiGraph:
    """
    Return :func:`graph_from_osm_file`'s graph, built once and then loaded from a cache.

    The cache entry is a pickle in `cache_dir` keyed by the file's content
    (SHA-256), `mode`, the speed profile, the OSMnx settings that shape the
    network, the OSMnx and NetworkX versions, and this package's network code
    (:data:`BUILD_VERSION` and a hash of its source); any change rebuilds it. A corrupt or
    unreadable entry is rebuilt, never fatal; entries for the same file and
    mode with an outdated key are removed. Only point `cache_dir` at a folder
    you trust: loading a pickle runs code from it.

    Parameters
    ----------
    path
        The extract file (``.osm`` or ``.osm.pbf``).
    mode
        ``"drive"``, ``"walk"`` or ``"bike"``.
    speeds
        The speed profile; by default chosen from the extract's location.
    cache_dir
        Folder for cache entries; created if missing.

    Returns
    -------
    graph
        The same graph :func:`graph_from_osm_file` returns.
    """
    path = _existing_file(path)
    _check_mode(mode)
    key = _cache_key(path, mode, speeds)
    folder = Path(cache_dir)
    prefix = f"{path.name}.{mode}."
    entry = folder / f"{prefix}{key[:24]}.graph.pickle"
    if entry.is_file():
        try:
            with entry.open("rb") as f, _gc_paused():
                cached = pickle.load(f)
            if isinstance(cached, dict) and cached.get("key") == key:
                return cached["graph"]
            _log.warning("cache entry %s does not match its key; rebuilding", entry)
        except Exception as exc:  # a corrupt pickle can raise almost anything
            _log.warning("cache entry %s unreadable (%s); rebuilding", entry, exc)
    graph = graph_from_osm_file(path, mode=mode, speeds=speeds)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump({"key": key, "graph": graph}, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(entry)
        for old in folder.glob(f"{glob.escape(prefix)}*.graph.pickle"):
            if old != entry:
                old.unlink(missing_ok=True)
    except OSError as exc:
        _log.warning("could not write graph cache %s (%s); continuing without it", entry, exc)
    return graph


def graph_from_place(query: str | dict[str, str], *, mode: Mode = "drive",
                     speeds: SpeedProfile | None = None) -> nx.MultiDiGraph:
    """
    Download and build a routable graph for a place, online (Nominatim + Overpass via OSMnx).

    Parameters
    ----------
    query
        A place name or structured query that Nominatim resolves to a polygon,
        e.g. ``"Rutland, England"``.
    mode
        ``"drive"``, ``"walk"`` or ``"bike"``.
    speeds
        The speed profile; by default chosen from the place's location.

    Returns
    -------
    graph
        Simplified MultiDiGraph in EPSG:4326, post-processed exactly like
        :func:`graph_from_osm_file`'s.
    """
    return _graph_from_download(ox.graph_from_place, query, f"overpass place {query!r}", mode=mode, speeds=speeds)


def graph_from_bbox(bbox: tuple[float, float, float, float], *, mode: Mode = "drive",
                    speeds: SpeedProfile | None = None) -> nx.MultiDiGraph:
    """
    Download and build a routable graph within a bounding box, online (Overpass via OSMnx).

    Parameters
    ----------
    bbox
        ``(west, south, east, north)`` in EPSG:4326 degrees.
    mode
        ``"drive"``, ``"walk"`` or ``"bike"``.
    speeds
        The speed profile; by default chosen from the box's location.

    Returns
    -------
    graph
        Simplified MultiDiGraph in EPSG:4326, post-processed exactly like
        :func:`graph_from_osm_file`'s.
    """
    return _graph_from_download(ox.graph_from_bbox, bbox, f"overpass bbox {tuple(bbox)}", mode=mode, speeds=speeds)


def _graph_from_download(download: Callable[..., nx.MultiDiGraph], area: object, source: str, *, mode: Mode,
                         speeds: SpeedProfile | None) -> nx.MultiDiGraph:
    """Download `area`'s raw graph with an OSMnx function, then post-process it like a file's."""
    _check_mode(mode)
    graph = download(area, network_type=mode, simplify=False, retain_all=True)
    return _finish_graph(graph, mode=mode, speeds=speeds,
                         provenance={"source": source, "source_date": _now(), "source_date_from": "download time"})


# --- from a raw graph to a routable one ----------------------------------------------------------

def _finish_graph(graph: nx.MultiDiGraph, *, mode: Mode, speeds: SpeedProfile | None,
                  provenance: dict[str, Any]) -> nx.MultiDiGraph:
    """Speeds and travel times on raw edges, largest strongly connected component, simplify."""
    if graph.number_of_edges() == 0:
        msg = f"{provenance['source']}: no {mode} ways found; use a larger area or another mode"
        raise EmptyNetworkError(msg)
    if speeds is None:
        xs, ys = zip(*((d["x"], d["y"]) for _, d in graph.nodes(data=True)), strict=True)
        speeds = profile_for_location(float(np.median(xs)), float(np.median(ys)))
    # speeds on raw edges, so simplification sums exact travel times of mixed-speed stretches
    memo: dict[tuple[str, str], float] = {}
    for _, _, data in graph.edges(data=True):
        tag_key = (str(data.get("highway")), str(data.get("maxspeed")))
        if tag_key not in memo:
            memo[tag_key] = speeds.edge_speed_kph(mode, data.get("highway"), data.get("maxspeed"))
        data["speed_kph"] = memo[tag_key]
        data["travel_time"] = data["length"] / (memo[tag_key] / 3.6)
    report = _keep_largest_strong_component(graph)
    if graph.number_of_edges() == 0:
        msg = (f"{provenance['source']}: the {mode} ways found do not connect into a network "
               "(e.g. a single one-way street); use a larger area")
        raise EmptyNetworkError(msg)
    graph = ox.simplification.simplify_graph(graph, edge_attr_aggs={"length": sum, "travel_time": sum})
    for _, _, data in graph.edges(data=True):
        if data["travel_time"] > 0:  # effective speed of the whole (merged) edge
            data["speed_kph"] = 3.6 * data["length"] / data["travel_time"]
        elif isinstance(data["speed_kph"], list):
            data["speed_kph"] = min(data["speed_kph"])
    # OSMnx graphs carry street_count (physical streets at each node), here counted in the routable graph
    nx.set_node_attributes(graph, ox.stats.count_streets_per_node(graph), name="street_count")
    report.update({"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                   "km": round(_road_km(graph, graph.edges(keys=True, data="length")), 3)})
    graph.graph["build_report"] = report
    graph.graph["provenance"] = {
        **provenance, "mode": mode, "speed_profile": speeds.as_dict(),
        "osmnx_version": ox.__version__, "outreach_planner_version": _project_version(),
        "network_build_version": BUILD_VERSION, "build_date": _now(),
    }
    return graph


def _keep_largest_strong_component(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """Remove every node outside the largest strongly connected component; say what went."""
    components = sorted(nx.strongly_connected_components(graph), key=len, reverse=True)
    dropped = set().union(*components[1:]) if len(components) > 1 else set()
    edges = [e for n in dropped for e in (*graph.out_edges(n, keys=True, data="length"),
                                          *graph.in_edges(n, keys=True, data="length"))]
    report = {"components_dropped": len(components) - 1, "nodes_dropped": len(dropped),
              "km_dropped": round(_road_km(graph, edges), 3)}
    graph.remove_nodes_from(dropped)
    return report


def _road_km(graph: nx.MultiDiGraph, edges: Any) -> float:
    """Road length in km, counting a two-way road (both directed edges) once."""
    seen: dict[tuple[Any, Any, Any], float] = {}
    for u, v, _, length in edges:
        seen[(min(u, v), max(u, v), round(length, 1))] = length
    return float(sum(seen.values())) / 1000


# --- small helpers --------------------------------------------------------------------------------

def _existing_file(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        msg = f"{path}: OSM extract {what}; give the path of an .osm or .osm.pbf file"
        raise OSMFileNotFoundError(msg)
    return path


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        msg = f"mode {mode!r} is not supported; use one of {', '.join(MODES)}"
        raise ValueError(msg)


def _cache_key(path: Path, mode: str, speeds: SpeedProfile | None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    settings = {name: getattr(ox.settings, name) for name in
                ("default_access", "useful_tags_way", "useful_tags_node", "bidirectional_network_types")}
    code = hashlib.sha256()
    for module in (Path(__file__), Path(__file__).with_name("_osm_read.py"), Path(__file__).with_name("speeds.py")):
        code.update(module.read_bytes())
    parts = {
        "file_sha256": digest.hexdigest(), "mode": mode, "build": BUILD_VERSION, "code": code.hexdigest(),
        "speeds": speeds.fingerprint() if speeds else ["auto", *(p.fingerprint() for p in PROFILES.values())],
        "osmnx": ox.__version__, "networkx": nx.__version__, "settings": settings,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Unpickling a graph makes millions of objects; the cyclic GC would triple the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _project_version() -> str:
    try:
        return package_version("outreach-planner")
    except PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE) \
            if pyproject.is_file() else None
        return f"{found.group(1)}+source" if found else "unknown"
