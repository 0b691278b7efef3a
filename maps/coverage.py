"""The coverage map: localities shaded by the share covered, the areas hubs reach in time,
hubs, and clients, as points only when the caller passes them.

This module draws what it is given. Whether a viewer may see clients is decided by the
caller (:mod:`geoservice.privacy`): client points are passed only for viewers allowed
to see them; everyone else gets ``client_cells``, k-anonymous counts per hexagon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import folium
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from maps.base import esc, label_icon, offline_map, text_popup, tooltip_text
from maps.gaps import SymbolLegend, symbol_html
from maps.overview import MapArea, MapPoint

HUB_COLOUR = "#5e3c99"
COVERED_COLOUR = "#1a9850"
OUTSIDE_COLOUR = "#d73027"
CELL_COLOUR = "#2171b5"
#: Locality shading by the share covered: under 50%, 50-80%, 80-95%, 95% and over; no data.
SHARE_COLOURS = ("#d73027", "#fc8d59", "#fee08b", "#1a9850")
NO_SHARE_COLOUR = "#bdbdbd"
#: Outline style of travel-time areas per mode.
MODE_DASHES = {"drive": None, "walk": "6 4", "bike": "2 4"}


@dataclass(frozen=True)
class ReachArea:
    """The area a hub reaches within some minutes by a mode (shapely, EPSG:4326)."""

    hub: str  #: the hub's name (legend)
    mode: str
    minutes: float
    geometry: BaseGeometry
    colour: str = HUB_COLOUR


def share_colour(share: float | None) -> str:
    """The locality fill for a covered share (0..1; None: not shown or no one to cover)."""
    if share is None:
        return NO_SHARE_COLOUR
    for upper, fill in zip((0.5, 0.8, 0.95), SHARE_COLOURS, strict=False):
        if share < upper:
            return fill
    return SHARE_COLOURS[-1]


def coverage_map(*, bounds: tuple[float, float, float, float], localities: Sequence[MapArea],
                 hubs: Sequence[MapPoint], reach: Sequence[ReachArea] = (),
                 clients_covered: Sequence[MapPoint] = (), clients_outside: Sequence[MapPoint] = (),
                 client_cells: Sequence[MapArea] = (), basemap: folium.FeatureGroup | None = None,
                 asset_url: str = "assets", title: str = "Coverage", share_of: str = "") -> folium.Map:
    """Localities, travel-time areas of hubs, hubs, and clients (points or counts per hexagon).

    Parameters
    ----------
    bounds
        ``(west, south, east, north)`` degrees (EPSG:4326).
    localities
        Locality polygons; their ``fill`` is the covered share's colour (:func:`share_colour`).
    hubs
        Hub points, drawn as labels.
    reach
        Areas each hub reaches in time, one switchable layer per mode.
    clients_covered, clients_outside
        Client points, for viewers allowed to see them only; empty otherwise.
    client_cells
        k-anonymous client counts per hexagon (suppressed cells left out by the caller).
    basemap, asset_url, title
        See :func:`maps.base.offline_map` and :func:`maps.basemap.road_basemap`.
    share_of
        What the locality shading shows (legend text), e.g. ``"clients within 15 min drive"``.
    """
    m = offline_map(bounds, asset_url=asset_url, title=title)
    if basemap is not None:
        basemap.add_to(m)
    group = folium.FeatureGroup(name="Localities", show=True)
    for area in localities:
        _area(area, weight=2, colour="#444444").add_to(group)
    group.add_to(m)
    for mode in dict.fromkeys(r.mode for r in reach):
        areas = [r for r in reach if r.mode == mode]
        layer = folium.FeatureGroup(name=esc(f"Reach: {areas[0].minutes:g} min {mode}"), show=True)
        for r in areas:
            style = {"color": r.colour, "weight": 2, "fillColor": r.colour, "fillOpacity": 0.08,
                     "dashArray": MODE_DASHES.get(r.mode)}
            folium.GeoJson({"type": "Feature", "properties": {}, "geometry": mapping(r.geometry)},
                           style_function=lambda _f, s=style: s, interactive=False).add_to(layer)
        layer.add_to(m)
    if client_cells:
        cells = folium.FeatureGroup(name="Clients per area", show=True)
        for area in client_cells:
            _area(area, weight=1, colour=CELL_COLOUR).add_to(cells)
        cells.add_to(m)
    for name, points, fill in (("Clients covered", clients_covered, COVERED_COLOUR),
                               ("Clients outside coverage", clients_outside, OUTSIDE_COLOUR)):
        if not points:
            continue
        layer = folium.FeatureGroup(name=f"{name} ({len(points)})", show=True)
        for p in points:
            folium.CircleMarker([p.lat, p.lon], radius=4, color="#ffffff", weight=1, fill=True, fill_color=fill,
                                fill_opacity=0.9, tooltip=tooltip_text(p.label),
                                popup=text_popup(p.popup)).add_to(layer)
        layer.add_to(m)
    hub_layer = folium.FeatureGroup(name="Hubs", show=True)
    for p in hubs:
        folium.Marker([p.lat, p.lon], icon=label_icon(p.label or "hub", HUB_COLOUR),
                      popup=text_popup(p.popup)).add_to(hub_layer)
    hub_layer.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    rows = [(symbol_html("square", c), label) for c, label in
            zip(SHARE_COLOURS, ("under 50%", "50-80%", "80-95%", "95% or more"), strict=True)]
    rows.append((symbol_html("square", NO_SHARE_COLOUR), "not shown / nobody to cover"))
    rows += [(symbol_html("ring", r.colour), f"{r.hub}: reach in {r.minutes:g} min {r.mode}") for r in reach]
    if clients_covered or clients_outside:
        rows += [(symbol_html("circle", COVERED_COLOUR), "client covered"),
                 (symbol_html("circle", OUTSIDE_COLOUR), "client outside coverage")]
    if client_cells:
        rows.append((symbol_html("square", CELL_COLOUR), "clients per area (small counts hidden)"))
    SymbolLegend(f"Share covered{': ' + share_of if share_of else ''}", rows).add_to(m)
    return m


def _area(area: MapArea, *, weight: float, colour: str) -> folium.GeoJson:
    style = {"color": colour, "weight": weight, "fillColor": area.fill, "fillOpacity": area.fill_opacity}
    shape = folium.GeoJson({"type": "Feature", "properties": {}, "geometry": mapping(area.geometry)},
                           style_function=lambda _f, s=style: s, tooltip=tooltip_text(area.label))
    popup = text_popup(area.popup)
    if popup is not None:
        popup.add_to(shape)
    return shape
