"""The map pages built from the workspace's records alone (localities, hubs, resources,
hotspots, clients, visits), through the role rules of :mod:`geoservice.privacy`.

Each page here is the starting version of its feature's page: the coverage, caseload,
gaps and route features replace these builders in :data:`geoservice.web.pages.PAGES`
with richer ones (travel-time areas, balanced caseloads, gap scores, the road route).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import folium

from geoservice.errors import UserError
from geoservice.models import Client, Hub, Visit, Worker
from geoservice.privacy import hexagon_counts, locality_counts, visible_clients, visible_workers
from geoservice.web.registry import Call, PageContent, Table
from maps.base import colour
from maps.overview import Layer, MapArea, MapPoint, Overview, overview_map

ASSET_URL = "/static/maps"
_HUB, _HOTSPOT, _CLIENT, _START = "#5e3c99", "#d7191c", "#0072B2", "#1b7837"
_graphs: dict[tuple[str, str, str], Any] = {}
_graphs_lock = threading.Lock()


def coverage_page(call: Call) -> PageContent:
    """Localities with their client counts, hubs and resources; clients as points for
    roles that may see them, as k-anonymous hexagon counts for the others; under the map,
    each locality's share of clients and hotspot people within reach of a hub."""
    from geoservice.web.features import coverage_result

    store, viewer = call.store, call.viewer
    localities = store.records("localities")
    clients = store.records("clients")
    layers = [_locality_layer(localities, _client_counts(call, clients, [lc.id for lc in localities])),
              _hub_layer(store.records("hubs")), *_resource_layers(store.records("resources"))]
    notes = []
    shown: list[Client] = []
    if viewer.sees_clients:
        shown = visible_clients(viewer, clients)
        layers.append(Layer("Clients", _CLIENT, points=[_client_point(c) for c in shown], radius=4,
                            legend=f"Clients ({len(shown)})"))
    else:
        size = float(call.settings.get("HEX_SIZE_M", 500))
        cells = hexagon_counts([(c.lon, c.lat) for c in clients], size_m=size, k=call.k)
        layers.append(_hexagon_layer(cells, size))
        notes.append(f"Clients are shown as counts per area; areas with fewer than {call.k} clients are hidden.")
    coverage = coverage_result(call)
    call.records_shown += len(shown)
    return PageContent(_map(call, layers, "Coverage"), "Localities, hubs and resources", notes,
                       _coverage_tables(coverage))


def _coverage_tables(coverage: Any) -> list[Table]:
    within = f"{coverage.minutes:g} min"
    columns = ("locality", "clients", *(f"clients within {within} ({m})" for m in coverage.modes),
               "people at hotspots", *(f"people within {within} ({m})" for m in coverage.modes))
    rows = []
    for lc in [*coverage.localities, coverage.total]:
        rows.append((lc.name, "hidden (small number)" if lc.clients is None else str(lc.clients),
                     *(_share(lc.modes[m].clients_covered, lc.modes[m].client_share) for m in coverage.modes),
                     str(lc.hotspot_people),
                     *(_share(lc.modes[m].hotspot_people_covered, lc.modes[m].hotspot_people_share)
                       for m in coverage.modes)))
    tables = [Table(f"Within {within} of a hub", columns, rows)]
    if coverage.clients_outside is not None:
        tables.append(Table("Clients outside coverage", ("client", "name", "locality", "not reached by"),
                            [(c.id, c.name, c.locality or "", ", ".join(c.outside)) for c in coverage.clients_outside]))
    return tables


def _share(count: int | None, share: float | None) -> str:
    if count is None:
        return "hidden"
    return f"{count} ({share:.0%})" if share is not None else str(count)


def caseload_page(call: Call) -> PageContent:
    """Each visible worker's clients in the worker's colour, with caseload sizes (clients
    and need-weighted) in a table."""
    store, viewer = call.store, call.viewer
    workers = [w for w in visible_workers(viewer, store.records("workers")) if not w.relief]
    clients = visible_clients(viewer, store.records("clients"))
    by_worker: dict[str | None, list[Client]] = defaultdict(list)
    for c in clients:
        by_worker[c.usual_worker].append(c)
    layers, rows = [], []
    for i, w in enumerate(workers):
        held = by_worker.get(w.id, [])
        need = sum(c.need_weight for c in held)
        layers.append(Layer(f"{w.name} ({w.id})", colour(i), points=[_client_point(c) for c in held], radius=5,
                            legend=f"{w.name}: {len(held)} clients"))
        rows.append((w.id, w.name, w.locality or "", str(len(held)), f"{need:g}"))
    unassigned = by_worker.get(None, [])
    if unassigned and viewer.role != "worker":
        layers.append(Layer("No usual worker", "#777777", points=[_client_point(c) for c in unassigned], radius=5))
        rows.append(("", "(no usual worker)", "", str(len(unassigned)),
                     f"{sum(c.need_weight for c in unassigned):g}"))
    layers.insert(0, _hub_layer(store.records("hubs")))
    call.records_shown = sum(len(layer.points) for layer in layers[1:])
    table = Table("Caseloads", ("worker", "name", "locality", "clients", "need-weighted"), rows)
    return PageContent(_map(call, layers, "Caseloads"), "Caseloads by worker", tables=[table])


def gaps_page(call: Call) -> PageContent:
    """Hotspots (rough-sleeping sites) in a gap or within reach of each resource type, with
    resources and hubs, and the nearest resource of each type per hotspot; no client data."""
    from geoservice.web.features import gaps_result

    store = call.store
    result = gaps_result(call)
    in_gap = {row.id for row in result.hotspots if row.gap}
    hotspots = sorted(store.records("hotspots"), key=lambda h: (-h.people, h.id))
    def points(gap: bool) -> list[MapPoint]:
        return [MapPoint(h.lon, h.lat, h.name or h.id, (h.name or h.id, f"about {h.people} people",
                                                         f"last seen {h.last_seen or 'unknown'}"))
                for h in hotspots if (h.id in in_gap) == gap]
    types = ", ".join(result.resource_types)
    within = f"{result.max_minutes:g} min ({result.mode})"
    layers = [Layer("Hotspots in a gap", _HOTSPOT, points=points(True), radius=8,
                    legend=f"Hotspots with no {types} within {within}"),
              Layer("Hotspots within reach", "#1a9641", points=points(False), radius=7,
                    legend="Hotspots within reach of every type"),
              _hub_layer(store.records("hubs")), *_resource_layers(store.records("resources"))]
    rows = [(row.id, row.name, str(row.people), row.resource_type, row.nearest_name or "none reachable",
             "" if row.travel_time_s is None else f"{row.travel_time_s / 60:.0f} min", "gap" if row.gap else "")
            for row in result.hotspots]
    table = Table(f"Nearest resource within {within}", ("hotspot", "name", "people", "type", "nearest", "travel",
                                                         "gap"), rows)
    heading = f"Resource gaps: {within}"
    return PageContent(_map(call, layers, heading), heading, tables=[table])


def route_page(call: Call) -> PageContent:
    """A worker's visits on a date, numbered by appointment time, from their start point,
    with the itinerary under the map."""
    store = call.store
    worker = call.worker(call.args["worker"])
    day: dt.date = call.args["date"] or call.today()
    clients = {c.id: c for c in store.records("clients")}
    visits = day_visits(store.records("visits"), clients, worker.id, day)
    start = _start_point(worker, store.records("hubs"))
    stops = [clients[v.client_id] for v in visits]
    layers = []
    if start is not None:
        layers.append(Layer("Start and end", _START, style="label", points=[start], legend="Start and end"))
    layers.append(Layer("Visits", _CLIENT, style="numbered", legend=f"Visits ({len(visits)})",
                        points=[MapPoint(c.lon, c.lat, c.name, (f"{i}. {c.name}", c.address))
                                for i, c in enumerate(stops, start=1)]))
    call.records_shown = len(visits)
    rows = [(str(i), _window(v, c), c.name, c.address, f"{v.duration_minutes or c.visit_minutes} min")
            for i, (v, c) in enumerate(zip(visits, stops, strict=True), start=1)]
    notes = []
    if not worker.is_available(day):
        notes.append(f"{worker.name} is not working on {day:%A %d %B %Y}.")
    elif not visits:
        notes.append("No visits on this day.")
    table = Table("Itinerary", ("#", "time", "client", "address", "visit"), rows)
    heading = f"{worker.name} ({worker.id}), {day:%a %d %b %Y}"
    return PageContent(_map(call, layers, heading, mode=worker.mode, fit_points=True), heading, notes, [table])


def day_visits(visits: Sequence[Visit], clients: dict[str, Client], worker_id: str, day: dt.date) -> list[Visit]:
    """The visits ``worker_id`` makes on ``day``: those given to them, and those of their
    clients given to nobody; ordered by earliest start (visits at any time last), then id."""
    mine = [v for v in visits if v.date == day and v.client_id in clients
            and (v.worker == worker_id or (v.worker is None and clients[v.client_id].usual_worker == worker_id))]
    return sorted(mine, key=lambda v: (v.earliest or _first_window(clients[v.client_id]), v.id))


# -- layers ---------------------------------------------------------------------------------


def _client_counts(call: Call, clients: list[Client], locality_ids: list[str]) -> dict[str, int | None]:
    if call.viewer.sees_clients:
        shown = visible_clients(call.viewer, clients)
        return dict(Counter(c.locality or "" for c in shown))
    return locality_counts(clients, locality_ids, k=call.k)


def _locality_layer(localities: Sequence[Any], counts: dict[str, int | None]) -> Layer:
    areas = []
    for lc in localities:
        n = counts.get(lc.id, 0)
        text = "clients not shown (a small number)" if n is None else f"{n} clients"
        areas.append(MapArea(lc.geometry, f"{lc.name}: {text}", (lc.name, text), fill="#2b83ba", fill_opacity=0.08))
    return Layer("Localities", "#2b83ba", style="area", areas=areas)


def _hexagon_layer(cells: Sequence[Any], size_m: float) -> Layer:
    shown = [c for c in cells if c.clients]
    top = max((c.clients for c in shown), default=1)
    areas = [MapArea(c.polygon, f"{c.clients} clients", (f"{c.clients} clients in this area",),
                     fill="#e66101", fill_opacity=0.15 + 0.5 * c.clients / top) for c in shown]
    return Layer(f"Clients per {size_m:g} m area", "#e66101", style="area", areas=areas)


def _hub_layer(hubs: Sequence[Hub]) -> Layer:
    return Layer("Hubs", _HUB, style="label",
                 points=[MapPoint(h.lon, h.lat, h.name, (h.name, h.kind)) for h in hubs], legend="Hubs")


def _resource_layers(resources: Sequence[Any]) -> list[Layer]:
    by_type: dict[str, list[Any]] = defaultdict(list)
    for r in resources:
        by_type[r.type].append(r)
    return [Layer(f"{t.replace('_', ' ').capitalize()}", colour(i + 3), radius=5,
                  legend=f"{t.replace('_', ' ').capitalize()} ({len(rs)})",
                  points=[MapPoint(r.lon, r.lat, r.name, (r.name, r.type, r.opening_hours, r.phone)) for r in rs])
            for i, (t, rs) in enumerate(sorted(by_type.items()))]


def _client_point(c: Client) -> MapPoint:
    return MapPoint(c.lon, c.lat, c.name, (c.name, c.address, f"{c.id}, usual worker {c.usual_worker or 'none'}"))


def _start_point(worker: Worker, hubs: Sequence[Hub]) -> MapPoint | None:
    if worker.lon is not None and worker.lat is not None:
        return MapPoint(worker.lon, worker.lat, "Home", ("Start and end: home",))
    for h in hubs:
        if h.id == worker.base:
            return MapPoint(h.lon, h.lat, h.name, (f"Start and end: {h.name}",))
    return None


def _first_window(client: Client) -> dt.time:
    """The start of the client's first window; clients seen at any time go last."""
    return client.windows[0].start if client.windows else dt.time(23, 59)


def _window(visit: Visit, client: Client) -> str:
    if visit.earliest or visit.latest:
        earliest = f"{visit.earliest:%H:%M}" if visit.earliest else ""
        latest = f"{visit.latest:%H:%M}" if visit.latest else ""
        return f"{earliest}-{latest}"
    return ", ".join(str(w) for w in client.windows) or "any time"


# -- the map --------------------------------------------------------------------------------


def _map(call: Call, layers: list[Layer], title: str, *, mode: str = "drive", fit_points: bool = False) -> folium.Map:
    """The overview map of ``layers``, fitted to the workspace's area (or, with
    ``fit_points``, to the points drawn: a worker's day)."""
    points = [(p.lon, p.lat) for layer in layers for p in layer.points]
    points += [xy for layer in layers for a in layer.areas for xy in _corners(a.geometry.bounds)]
    bounds = _points_bounds(points) if fit_points and points else _bounds(call, points)
    return overview_map(Overview(bounds, layers, title=title, basemap=_basemap(call, mode)),
                        asset_url=ASSET_URL)


def _corners(b: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    return [(b[0], b[1]), (b[2], b[3])]


def _bounds(call: Call, points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    text = call.store.settings().get("network_bbox")
    if text:
        w, s, e, n = (float(v) for v in text.split(","))
        return w, s, e, n
    if not points:
        return -0.01, -0.01, 0.01, 0.01
    return _points_bounds(points)


def _points_bounds(points: list[tuple[float, float]], *, margin: float = 0.002) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs) - margin, min(ys) - margin / 2, max(xs) + margin, max(ys) + margin / 2


def _basemap(call: Call, mode: str) -> folium.FeatureGroup | None:
    """The road basemap of the workspace's network (``mode``, else any built mode)."""
    from maps.basemap import road_basemap

    G = basemap_graph(call, mode)
    return None if G is None else road_basemap(G)


def basemap_graph(call: Call, mode: str) -> Any:
    """The workspace's road graph for ``mode`` (else any built mode) to draw under a map,
    kept in memory; ``None`` without a network or with the ``BASEMAP`` setting off."""
    if not call.settings.get("BASEMAP", True):
        return None
    from geoservice.networks import workspace_graph

    settings = call.store.settings()
    source = settings.get("network_source")
    if not source:
        return None
    modes = [m for m in settings.get("network_modes", "").split(",") if m]
    mode = mode if mode in modes or not modes else modes[0]
    key = (str(call.store.root), source, mode)
    with _graphs_lock:
        G = _graphs.get(key)
        if G is None:
            try:
                G = workspace_graph(call.store, mode)
            except UserError:
                return None
            _graphs[key] = G
    return G
