"""Map pages of coverage, gaps and accessibility, built from a workspace.

Each function runs its analysis (:mod:`geoservice.coverage`, :mod:`geoservice.gaps`,
:mod:`geoservice.access`) and hands plain points and polygons to the builders in
:mod:`maps.coverage` and :mod:`maps.gaps`. Client data reaches a map only through
``visible_clients``, the clients the viewer may see (:func:`geoservice.privacy.visible_clients`);
without it, clients appear as k-anonymous counts per hexagon. Locality figures are
k-anonymous (:func:`geoservice.coverage.locality_coverage`) unless the caller says the
viewer may see them all (a co-ordinator, manager or admin, for their localities).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

import folium
import networkx as nx

from geoservice.access import access_scores
from geoservice.coverage import hub_reach, locality_coverage
from geoservice.gaps import SuggestedSite, gaps_report
from geoservice.models import Client, Hotspot, Hub, Resource
from geoservice.networks import workspace_graph
from geoservice.privacy import DEFAULT_K, hexagon_counts
from geoservice.store import Store
from maps.base import colour
from maps.basemap import road_basemap
from maps.coverage import CELL_COLOUR, ReachArea, coverage_map, share_colour
from maps.gaps import HotspotTime, ScoredCell, access_map, gap_map
from maps.overview import MapArea, MapPoint

#: Size (centre to corner, metres) of the hexagons clients are counted in for viewers
#: without client access.
CLIENT_HEX_M = 250.0


def build_coverage_map(store: Store, *, minutes: float = 15, mode: str = "drive",
                       visible_clients: Sequence[Client] | None = None, k: int = DEFAULT_K,
                       hex_size_m: float = CLIENT_HEX_M, asset_url: str = "assets", suppress: bool | None = None,
                       localities: Collection[str] | None = None) -> folium.Map:
    """The coverage map: localities shaded by the share of clients covered, hubs, hub reach areas, clients.

    Parameters
    ----------
    store
        The workspace.
    minutes, mode
        A place is covered when a hub reaches it within ``minutes`` by ``mode``.
    visible_clients
        Clients the viewer may see as points (from :func:`geoservice.privacy.visible_clients`);
        None: clients only as k-anonymous counts per hexagon.
    k
        Smallest count shown to viewers without client access.
    hex_size_m
        Hexagon size (centre to corner, metres) for client counts.
    asset_url
        Where the page loads Leaflet from (see :func:`maps.base.offline_map`).
    suppress
        Show locality client figures k-anonymous (small counts, and shares whose rest is
        small, hidden); default: when ``visible_clients`` is None. A worker sees their
        own clients as points and the localities' figures k-anonymous.
    localities
        Ids of the localities to draw (a scoped viewer's); None: all.
    """
    sees_clients = visible_clients is not None
    suppress = not sees_clients if suppress is None else suppress
    report = locality_coverage(store, minutes=minutes, modes=[mode], include_clients=sees_clients, k=k,
                               suppress=suppress)
    figures = {lc.id: lc for lc in report.localities}
    areas = []
    for loc in store.records("localities"):
        if localities is not None and loc.id not in localities:
            continue
        row = figures[loc.id]
        c = row.modes[mode]
        clients_text = "fewer than k" if row.clients is None else f"{row.clients}"
        share = ("hidden (small number)" if c.clients_covered is None and row.clients is not None
                 else "-" if c.client_share is None else f"{100 * c.client_share:.0f}%")
        people = "-" if c.hotspot_people_share is None else f"{100 * c.hotspot_people_share:.0f}%"
        areas.append(MapArea(loc.geometry, loc.name, (
            loc.name, f"clients: {clients_text}, covered: {share}",
            f"people at hotspots: {row.hotspot_people}, covered: {people}"),
            fill=share_colour(c.client_share), fill_opacity=0.35))
    hubs: list[Hub] = store.records("hubs")
    hub_points = [MapPoint(h.lon, h.lat, h.name, (h.name, h.kind)) for h in hubs]
    covered: list[MapPoint] = []
    outside: list[MapPoint] = []
    cells: list[MapArea] = []
    if visible_clients is not None:
        away = {c.id: c for c in report.clients_outside or []}
        for client in visible_clients:
            point = MapPoint(client.lon, client.lat, f"{client.id} {client.name}", (client.id, client.name))
            (outside if client.id in away else covered).append(point)
    else:
        all_clients: list[Client] = store.records("clients")
        for cell in hexagon_counts([(c.lon, c.lat) for c in all_clients], size_m=hex_size_m, k=k):
            if cell.clients is None:
                continue  # suppressed: fewer than k here (or needed to hide another small count)
            cells.append(MapArea(cell.polygon, f"{cell.clients} clients", (f"{cell.clients} clients",),
                                 fill=CELL_COLOUR, fill_opacity=min(0.15 + 0.04 * cell.clients, 0.6)))
    G = workspace_graph(store, mode)
    return coverage_map(bounds=_bounds(store, hubs), localities=areas, hubs=hub_points,
                        reach=_reach_areas(G, hubs, mode, minutes), clients_covered=covered,
                        clients_outside=outside, client_cells=cells, basemap=_basemap(store, mode),
                        asset_url=asset_url, title=f"Coverage within {minutes:g} min {mode}",
                        share_of=f"clients within {minutes:g} min {mode} of a hub")


def build_gap_map(store: Store, *, resource_type: str | None = None, max_minutes: float = 15,
                  mode: str = "walk", at: dt.datetime | str | None = None, suggest: int = 0,
                  asset_url: str = "assets") -> folium.Map:
    """The gap map: hotspots coloured by time to the nearest resource of each type, resources, suggested sites.

    Parameters are those of :func:`geoservice.gaps.gaps_report`; ``asset_url`` as for
    :func:`build_coverage_map`. No client data is on this map.
    """
    report = gaps_report(store, resource_type=resource_type, max_minutes=max_minutes, mode=mode, at=at,
                         suggest=suggest)
    hotspots = {h.id: h for h in store.records("hotspots")}
    layers: dict[str, list[HotspotTime]] = {t: [] for t in report.resource_types}
    for row in report.hotspots:
        spot: Hotspot = hotspots[row.id]
        mins = None if row.travel_time_s is None else row.travel_time_s / 60
        lines = (spot.name or spot.id, f"about {spot.people} people",
                 f"nearest {row.resource_type}: {row.nearest_name or 'none reachable'}"
                 + ("" if mins is None else f", {mins:.1f} min") + (" (hours unknown)" if row.hours_unknown else ""))
        layers[row.resource_type].append(
            HotspotTime(MapPoint(spot.lon, spot.lat, spot.name or spot.id, lines), spot.people, mins))
    resources: list[Resource] = store.records("resources")
    by_type = {t: [_resource_point(r) for r in resources if r.type == t] for t in sorted({r.type for r in resources})}
    suggestions = {s.resource_type: [_site_point(s.resource_type, site, max_minutes) for site in s.sites]
                   for s in report.suggestions}
    when = f", leaving {report.at:%a %H:%M}" if report.at else ""
    return gap_map(bounds=_bounds(store, []), max_minutes=max_minutes, hotspots=layers, resources=by_type,
                   suggestions=suggestions, basemap=_basemap(store, mode), asset_url=asset_url,
                   title=f"Resource gaps ({mode}, over {max_minutes:g} min{when})")


def build_access_map(store: Store, *, resource_type: str, minutes: float = 15, mode: str = "walk",
                     decay: str = "stepped", asset_url: str = "assets") -> folium.Map:
    """The accessibility choropleth of one resource type over H3 hexagons.

    Parameters are those of :func:`geoservice.access.access_scores`; ``asset_url`` as
    for :func:`build_coverage_map`.
    """
    result = access_scores(store, resource_type=resource_type, minutes=minutes, mode=mode, decay=decay)
    cells = [ScoredCell(c.outline, c.score, c.resources_in_reach > 0,
                        (f"score {c.score:.3g}", f"{result.resource_type} within {minutes:g} min: "
                         f"{c.resources_in_reach}", f"people at hotspots here: {c.people}")) for c in result.cells]
    resources = [_resource_point(r) for r in store.records("resources") if r.type == result.resource_type]
    spots = [MapPoint(h.lon, h.lat, h.name or h.id, (h.name or h.id, f"about {h.people} people",
                                                      f"score {result.hotspot_scores.get(h.id, 0):.3g}"))
             for h in store.records("hotspots")]
    return access_map(bounds=_bounds(store, []), cells=cells, resource_type=result.resource_type,
                      resources=resources, hotspots=spots, basemap=_basemap(store, mode),
                      asset_url=asset_url, title=f"Access to {result.resource_type} ({mode}, {minutes:g} min)")


def _site_point(resource_type: str, site: SuggestedSite, max_minutes: float) -> MapPoint:
    lines = [f"Suggested {resource_type} site S{site.rank}",
             f"newly within {max_minutes:g} min: {site.people_newly_covered:g} people",
             f"hotspots: {', '.join(site.hotspots)}"]
    if site.near:
        lines.insert(1, f"near {site.near}")
    return MapPoint(site.lon, site.lat, f"S{site.rank}: +{site.people_newly_covered:g} people", tuple(lines))


def _resource_point(r: Resource) -> MapPoint:
    lines = [r.name, r.type, f"hours: {r.opening_hours}" if r.opening_hours else "hours unknown"]
    if r.phone:
        lines.append(f"phone: {r.phone}")
    if r.capacity is not None:
        lines.append(f"capacity: {r.capacity:g}")
    return MapPoint(r.lon, r.lat, r.name, tuple(lines))


def _reach_areas(G: nx.MultiDiGraph, hubs: Sequence[Hub], mode: str, minutes: float) -> list[ReachArea]:
    return [ReachArea(r.name, r.mode, r.minutes, r.geometry, colour=colour(i))
            for i, r in enumerate(hub_reach(G, hubs, mode=mode, minutes=minutes))]


def _basemap(store: Store, mode: str) -> folium.FeatureGroup:
    """Streets from the drive network when the workspace has one, whatever the mode: the
    streets people find their way by, and a page a fraction of the size of one carrying
    every footpath (whose many vertices also sit on doorsteps)."""
    modes = store.settings().get("network_modes", "").split(",")
    return road_basemap(workspace_graph(store, "drive" if "drive" in modes else mode))


def _bounds(store: Store, hubs: Sequence[Hub]) -> tuple[float, float, float, float]:
    text = store.settings().get("network_bbox", "")
    if text:
        w, s, e, n = (float(v) for v in text.split(","))
        return w, s, e, n
    xs = [h.lon for h in hubs] or [0.0]
    ys = [h.lat for h in hubs] or [0.0]
    return min(xs), min(ys), max(xs), max(ys)

