"""The route page built from the workspace's records alone (a worker's visits of a day,
numbered by appointment time, and their start point), and the road basemap every page
draws under its map.

The route page is the starting version of the day plan's page: the day plan replaces
:func:`route_page` in :data:`geoservice.web.pages.PAGES` with one that shows the
planned order, arrival times and the road route.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

import folium

from geoservice.errors import UserError
from geoservice.models import Client, Hub, Visit, Worker
from geoservice.web.features import ASSET_URL
from geoservice.web.registry import Call, PageContent, Table
from maps.overview import Layer, MapPoint, Overview, overview_map

_CLIENT, _START = "#0072B2", "#1b7837"
_graphs: dict[tuple[str, str, str], Any] = {}
_graphs_lock = threading.Lock()


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
