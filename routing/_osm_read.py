"""Read an OSM extract file into an unsimplified OSMnx graph, offline (for :mod:`routing.network`).

Holds the one pyosmium pass over the file (plus a node pass when ways use nodes with
negative ids, as JOSM saves new objects), :func:`way_filter` (OSMnx's per-mode Overpass
way filter parsed into a predicate on a way's tags, so a file keeps the ways a download
would), the handling of ways that refer to nodes missing from the file (cut there, and
counted in the build report), the extract's date, and :func:`raw_graph`, which builds the
graph with OSMnx's own constructor. Speeds, components and simplification are
:mod:`routing.network`'s.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import osmium
import osmnx as ox
from osmium.filter import KeyFilter

from .errors import OSMFileError

if TYPE_CHECKING:
    from .network import Mode

# the public module's logger, which is what callers configure
_log = logging.getLogger("routing.network")


@dataclass
class Extract:
    """The ways of one mode from an OSM file, as plain data."""

    coords: dict[int, tuple[float, float]] = field(default_factory=dict)  # node id -> (lon, lat)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    ways: list[tuple[Any, list[int], dict[str, str]]] = field(default_factory=list)  # (id, refs, tags)
    report: dict[str, Any] = field(default_factory=dict)
    date: str = ""
    date_from: str = ""


_FILTER_TERM = re.compile(r'\[\s*"(?P<key>[^"]+)"\s*(?:(?P<op>!=|=|!~|~)\s*"(?P<value>[^"]*)"\s*)?\]')


def way_filter(mode: Mode) -> Callable[[Mapping[str, str]], bool]:
    """
    Return OSMnx's way filter for a mode as a predicate on a way's tags.

    The predicate is parsed from the Overpass filter OSMnx sends for
    ``network_type=mode`` (``osmnx._overpass._get_network_filter``, which reads
    ``osmnx.settings.default_access``), so offline files keep the same ways as
    OSMnx's downloads. Overpass semantics: ``["k"]`` the key exists;
    ``["k"="v"]``/``["k"!="v"]`` (in)equality; ``["k"~"re"]`` the key exists and
    its value matches the regular expression anywhere; ``["k"!~"re"]`` the key
    is absent or its value does not match.

    Parameters
    ----------
    mode
        ``"drive"``, ``"walk"`` or ``"bike"``.

    Returns
    -------
    keep
        ``keep(tags)`` is True for the ways the mode's network includes.
    """
    text = ox._overpass._get_network_filter(mode)
    tests: list[Callable[[Mapping[str, str]], bool]] = []
    end = 0
    for term in _FILTER_TERM.finditer(text):
        if text[end:term.start()].strip():
            break
        end = term.end()
        tests.append(_tag_test(term.group("key"), term.group("op"), term.group("value")))
    if end != len(text.rstrip()) or not tests:
        msg = f"cannot parse OSMnx's {mode!r} way filter {text!r}; this OSMnx version is not supported"
        raise RuntimeError(msg)
    return lambda tags: all(test(tags) for test in tests)


def _tag_test(key: str, op: str | None, value: str | None) -> Callable[[Mapping[str, str]], bool]:
    """One Overpass tag condition as a predicate."""
    if op is None:
        return lambda tags: key in tags
    if op == "=":
        return lambda tags: tags.get(key) == value
    if op == "!=":
        return lambda tags: tags.get(key) != value
    pattern = re.compile(value or "")
    if op == "~":
        return lambda tags: key in tags and pattern.search(tags[key]) is not None
    return lambda tags: key not in tags or pattern.search(tags[key]) is None


def read_extract(path: Path, mode: Mode) -> Extract:
    """Stream the file once (plus a node pass if ways refer to nodes with negative ids)."""
    keep = way_filter(mode)
    ways_filter = KeyFilter("highway")
    ways_filter.enable_for(osmium.osm.WAY)
    nodes_filter = KeyFilter(*ox.settings.useful_tags_node)
    nodes_filter.enable_for(osmium.osm.NODE)
    out = Extract()
    located: dict[int, tuple[float, float]] = {}
    missing: set[int] = set()
    newest = datetime.fromtimestamp(0, tz=UTC)  # files without metadata give the epoch
    try:
        source = osmium.FileProcessor(_osmium_file(path), osmium.osm.NODE | osmium.osm.WAY)
        header = source.header
        source.with_locations().with_filter(ways_filter).with_filter(nodes_filter)
        for obj in source:
            if isinstance(obj, osmium.osm.Node):
                out.node_tags[obj.id] = {k: v for k, v in obj.tags if k in ox.settings.useful_tags_node}
                continue
            if not isinstance(obj, osmium.osm.Way):
                continue
            newest = max(newest, obj.timestamp)
            tags = dict(obj.tags)
            if not keep(tags):
                continue
            refs = []
            for node_ref in obj.nodes:
                loc = node_ref.location
                if loc.valid():
                    located[node_ref.ref] = (loc.lon, loc.lat)
                else:
                    missing.add(node_ref.ref)
                refs.append(node_ref.ref)
            out.ways.append((obj.id, refs, tags))
        # nodes stored after the ways that use them (unsorted files) are in the location store
        store = source.node_location_storage
        for ref in sorted(r for r in missing if r >= 0):
            with contextlib.suppress(KeyError):
                loc = store.get(ref) if store is not None else osmium.osm.Location()
                if loc.valid():
                    located[ref] = (loc.lon, loc.lat)
        negative = {r for r in missing if r < 0}  # JOSM's new objects: not in the location store
        if negative:
            for node in osmium.FileProcessor(_osmium_file(path), osmium.osm.NODE):
                if isinstance(node, osmium.osm.Node) and node.id in negative and node.location.valid():
                    located[node.id] = (node.location.lon, node.location.lat)
    except RuntimeError as exc:
        msg = (f"{path}: not a readable OSM file ({exc}); check that it is a complete .osm (XML) "
               f"or .osm.pbf download, e.g. re-download it or run `osmium fileinfo` on it")
        raise OSMFileError(msg) from exc
    _split_at_missing_nodes(out, located)
    stamp = header.get("osmosis_replication_timestamp", "") or header.get("timestamp", "")
    if stamp:
        out.date, out.date_from = stamp, "file header"
    elif newest.year > 1970:
        out.date, out.date_from = newest.isoformat(timespec="seconds"), "newest highway way in the file"
    else:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        out.date, out.date_from = mtime.isoformat(timespec="seconds"), "file modification time"
    return out


def _split_at_missing_nodes(out: Extract, located: dict[int, tuple[float, float]]) -> None:
    """Cut ways into runs of nodes that have locations; record what was lost."""
    ways: list[tuple[Any, list[int], dict[str, str]]] = []
    missing_refs: set[int] = set()
    cut = dropped = 0
    for way_id, refs, tags in out.ways:
        lost = [ref for ref in refs if ref not in located]
        if not lost:
            ways.append((way_id, refs, tags))
            continue
        missing_refs.update(lost)
        runs: list[list[int]] = [[]]
        for ref in refs:
            if ref in located:
                runs[-1].append(ref)
            else:
                runs.append([])
        runs = [run for run in runs if len(set(run)) >= 2]
        cut += 1
        dropped += not runs
        # pieces need distinct ids for OSMnx; raw_graph restores the OSM way id
        ways.extend(((way_id, i) if len(runs) > 1 else way_id, run, tags) for i, run in enumerate(runs))
    used = {ref for _, refs, _ in ways for ref in refs}
    out.ways = ways
    out.coords = {ref: located[ref] for ref in used}
    out.node_tags = {ref: tags for ref, tags in out.node_tags.items() if ref in used and tags}
    out.report.update({"osm_ways": len({w[0] if isinstance(w, tuple) else w for w, _, _ in ways}),
                       "osm_ways_with_missing_nodes": cut, "osm_ways_dropped_no_nodes": dropped,
                       "missing_node_refs": len(missing_refs)})
    if missing_refs:
        _log.info("%d ways refer to %d nodes missing from the file; cut there", cut, len(missing_refs))


def raw_graph(extract: Extract, *, bidirectional: bool) -> nx.MultiDiGraph:
    """Unsimplified graph via OSMnx's own graph constructor (private API, pinned by a test)."""
    elements: list[dict[str, Any]] = [
        {"type": "node", "id": ref, "lon": lon, "lat": lat, "tags": extract.node_tags.get(ref, {})}
        for ref, (lon, lat) in extract.coords.items()
    ]
    elements += [{"type": "way", "id": way_id, "nodes": refs, "tags": tags}
                 for way_id, refs, tags in extract.ways]
    graph = ox.graph._create_graph([{"elements": elements}], bidirectional)
    if any(isinstance(w[0], tuple) for w in extract.ways):
        for _, _, data in graph.edges(data=True):
            if isinstance(data["osmid"], tuple):
                data["osmid"] = data["osmid"][0]
    return graph


def _osmium_file(path: Path) -> osmium.io.File:
    """Name the format from the content when the file name does not say it (e.g. `extract.dat`)."""
    if re.search(r"\.(osm|pbf|xml|o5m|o5c|opl|osc)(\.(gz|bz2))?$", path.name, re.IGNORECASE):
        return osmium.io.File(str(path))
    with path.open("rb") as f:
        head = f.read(64)
    fmt = "pbf" if b"OSMHeader" in head else "osm"
    return osmium.io.File(str(path), fmt)
