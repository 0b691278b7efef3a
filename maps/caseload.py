"""Caseload maps: workers' bases, localities shaded by their load, and (for viewers who may
see clients) each client coloured by their worker; for a proposed rebalancing, the moves.

The builder draws whatever satisfies :class:`CaseloadPicture` (the service's caseload state
and balancing result do), so this module needs nothing from the service. Client points are
read only when ``show_clients`` is true: otherwise the page holds per-locality figures and
worker-to-worker move counts, and no client name, id or coordinate. Home-based workers'
start points are personal data too and are drawn only with ``show_clients``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import folium
import networkx as nx
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from maps.base import Legend, colour, esc, label_icon, offline_map
from maps.basemap import road_basemap

#: Locality fill by load / capacity: within (<= 90 %), near full, over capacity.
LOAD_COLOURS = (("#4daf4a", "up to 90 % of capacity"), ("#ff9f1c", "90–100 % of capacity"),
                ("#d7301f", "over capacity"))


@dataclass(frozen=True)
class WorkerMark:
    """A worker who holds a caseload, at the place their travel starts (EPSG:4326)."""

    id: str
    name: str
    lon: float
    lat: float
    clients: int
    need: float
    capacity: float
    at_home: bool = False


@dataclass(frozen=True)
class ClientMark:
    """A client (confidential): where they live, their worker, and their previous
    worker and the move's reason when a rebalancing moves them."""

    id: str
    name: str
    lon: float
    lat: float
    worker: str | None
    need: float = 1.0
    previous_worker: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class LocalityArea:
    """A locality's polygon (EPSG:4326) and its caseload: need and capacity in need units."""

    id: str
    name: str
    geometry: BaseGeometry
    clients: int
    need: float
    capacity: float
    workers: int


@dataclass(frozen=True)
class MoveFlow:
    """Clients moving from one worker to another (counts only: safe for any viewer)."""

    from_worker: str
    to_worker: str
    clients: int
    need: float


class CaseloadPicture(Protocol):
    """What a caseload map draws. ``map_clients`` is called only when clients may be shown."""

    @property
    def map_title(self) -> str: ...

    def map_workers(self) -> Sequence[WorkerMark]: ...

    def map_localities(self) -> Sequence[LocalityArea]: ...

    def map_clients(self) -> Sequence[ClientMark]: ...

    def map_flows(self) -> Sequence[MoveFlow]: ...


def caseload_map(picture: CaseloadPicture, *, show_clients: bool, graph: nx.MultiDiGraph | None = None,
                 asset_url: str = "assets") -> folium.Map:
    """A caseload map (or, for a balancing result, the proposed moves).

    Parameters
    ----------
    picture
        A caseload state or balancing result (anything with the :class:`CaseloadPicture` methods).
    show_clients
        Whether the viewer may see clients (the web app decides by role). When false the
        map shows per-locality figures and move counts between workers only.
    graph
        Road network to draw as the basemap (EPSG:4326); none by default.
    asset_url
        Where the page loads Leaflet from (see :func:`maps.base.offline_map`).
    """
    workers = list(picture.map_workers())
    localities = list(picture.map_localities())
    clients = list(picture.map_clients()) if show_clients else []
    flows = list(picture.map_flows())
    shown_workers = [w for w in workers if show_clients or not w.at_home]
    m = offline_map(_bounds(localities, shown_workers, clients), asset_url=asset_url, title=picture.map_title)
    if graph is not None:
        road_basemap(graph).add_to(m)
    palette = {w.id: colour(k) for k, w in enumerate(workers)}
    _localities(localities).add_to(m)
    if clients:
        _clients(clients, {w.id: w for w in shown_workers}, palette).add_to(m)
    elif flows:
        _flows(flows, {w.id: w for w in shown_workers}, palette).add_to(m)
    _workers(shown_workers, palette).add_to(m)
    rows = [(palette[w.id], f"{w.id} {w.name}: {w.need:g} / {w.capacity:g} units, {w.clients} clients")
            for w in workers]
    Legend("Workers (need units held / capacity)", rows, corner="bottom-right").add_to(m)
    if flows and not clients:
        Legend("Moves", [(palette.get(f.to_worker, "#333333"), _flow_text(f)) for f in flows], shape="line",
               corner="bottom-left").add_to(m)
    Legend("Localities", [(c, label) for c, label in LOAD_COLOURS], shape="line", corner="top-right").add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def load_colour(need: float, capacity: float) -> str:
    """Fill colour of a locality holding ``need`` units with ``capacity`` (see :data:`LOAD_COLOURS`)."""
    if need > capacity + 1e-6:
        return LOAD_COLOURS[2][0]
    return LOAD_COLOURS[1][0] if need > 0.9 * capacity else LOAD_COLOURS[0][0]


def _localities(areas: Sequence[LocalityArea]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Localities (load / capacity)")
    for a in areas:
        fill = load_colour(a.need, a.capacity)
        text = (f"{a.name}: {a.clients} clients, need {a.need:g} units, {a.workers} worker"
                f"{'s' if a.workers != 1 else ''} can hold {a.capacity:g}")
        feature = {"type": "Feature", "properties": {}, "geometry": mapping(a.geometry)}
        folium.GeoJson(feature, style_function=lambda _f, c=fill: {"color": c, "weight": 2, "fillColor": c,
                                                                   "fillOpacity": 0.18},
                       tooltip=esc(text), control=False).add_to(group)
        p = a.geometry.representative_point()
        folium.Marker([p.y, p.x], icon=label_icon(f"{a.name} {a.need:g}/{a.capacity:g}", fill),
                      tooltip=esc(text)).add_to(group)
    return group


def _workers(workers: Sequence[WorkerMark], palette: dict[str, str]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Workers' bases")
    stacked: dict[tuple[float, float], int] = {}
    for w in workers:
        where = "home" if w.at_home else "base"
        text = f"{w.id} {w.name} ({where}): {w.clients} clients, {w.need:g} / {w.capacity:g} units"
        icon = label_icon(w.id, palette[w.id])
        # workers sharing a hub: their labels stack downwards instead of hiding each other
        k = stacked[(w.lon, w.lat)] = stacked.get((w.lon, w.lat), -1) + 1
        icon.options["icon_anchor"] = (8, 8 - 20 * k)
        folium.Marker([w.lat, w.lon], icon=icon, tooltip=esc(text)).add_to(group)
    return group


def _clients(clients: Sequence[ClientMark], workers: dict[str, WorkerMark],
             palette: dict[str, str]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Clients (by worker)")
    for c in clients:
        fill = palette.get(c.worker or "", "#777777")
        moved = c.previous_worker is not None and c.previous_worker != c.worker
        if moved:
            old = palette.get(c.previous_worker or "", "#777777")
            text = f"{c.id} {c.name} (need {c.need:g}): {c.previous_worker or 'none'} → {c.worker}, {c.reason}"
            new = workers.get(c.worker or "")
            if new is not None:  # a dashed line to the new worker's base
                folium.PolyLine([[c.lat, c.lon], [new.lat, new.lon]], color=fill, weight=2, opacity=0.8,
                                dash_array="5 5", tooltip=esc(text)).add_to(group)
            folium.CircleMarker([c.lat, c.lon], radius=8, color=old, weight=4, fill=True, fill_color=fill,
                                fill_opacity=1.0, tooltip=esc(text)).add_to(group)
        else:
            text = f"{c.id} {c.name} (need {c.need:g}): {c.worker or 'no worker'}"
            folium.CircleMarker([c.lat, c.lon], radius=4, color="#ffffff", weight=1, fill=True, fill_color=fill,
                                fill_opacity=0.9, tooltip=esc(text)).add_to(group)
    return group


def _flows(flows: Sequence[MoveFlow], workers: dict[str, WorkerMark], palette: dict[str, str]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Moves between workers")
    for f in flows:
        a, b = workers.get(f.from_worker), workers.get(f.to_worker)
        text = _flow_text(f)
        if a is None or b is None:
            continue  # a worker who left or starts from home: no place to draw from
        folium.PolyLine([[a.lat, a.lon], [b.lat, b.lon]], color=palette.get(f.to_worker, "#333333"),
                        weight=2 + min(f.clients, 10), opacity=0.8, tooltip=esc(text)).add_to(group)
        folium.CircleMarker([b.lat, b.lon], radius=6, color=palette.get(f.from_worker, "#333333"), weight=3,
                            fill=False, tooltip=esc(text)).add_to(group)
    return group


def _flow_text(f: MoveFlow) -> str:
    return (f"{f.clients} client{'s' if f.clients != 1 else ''} ({f.need:g} unit{'s' if f.need != 1 else ''}): "
            f"{f.from_worker} → {f.to_worker}")


def _bounds(areas: Sequence[LocalityArea], workers: Sequence[WorkerMark],
            clients: Sequence[ClientMark]) -> tuple[float, float, float, float]:
    xs: list[float] = [w.lon for w in workers] + [c.lon for c in clients]
    ys: list[float] = [w.lat for w in workers] + [c.lat for c in clients]
    for a in areas:
        w, s, e, n = a.geometry.bounds
        xs += [w, e]
        ys += [s, n]
    if not xs:
        return (-0.01, -0.01, 0.01, 0.01)
    return min(xs), min(ys), max(xs), max(ys)
