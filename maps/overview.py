"""A general overview map: areas, labelled places and points in switchable layers.

The web app's map pages start from this builder until each feature has its own (a
coverage map with travel-time areas, a route map with the road path, ...). It draws
what it is given and nothing else: callers decide what a viewer may see, so a layer of
client points is only ever passed in for people allowed to see clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from maps.base import Legend, esc, label_icon, numbered_icon, offline_map, text_popup, tooltip_text


@dataclass(frozen=True)
class MapPoint:
    """A point to draw: lon/lat degrees (EPSG:4326), a hover label and popup lines (text)."""

    lon: float
    lat: float
    label: str = ""
    popup: tuple[str, ...] = ()


@dataclass(frozen=True)
class MapArea:
    """A polygon to draw (shapely, EPSG:4326) with a label, popup lines and fill colour;
    ``fill_opacity`` 0..1 lets a count shade the area."""

    geometry: BaseGeometry
    label: str = ""
    popup: tuple[str, ...] = ()
    fill: str = "#3388ff"
    fill_opacity: float = 0.15


@dataclass(frozen=True)
class Layer:
    """One switchable layer of the map.

    ``style`` is ``"dot"`` (a small circle per point), ``"label"`` (a square label with
    the point's ``label``), ``"numbered"`` (a round marker numbered 1, 2, ... in the order
    given) or ``"area"`` (the ``areas``). ``colour`` also names the layer in the legend.
    """

    name: str
    colour: str
    style: str = "dot"
    points: Sequence[MapPoint] = ()
    areas: Sequence[MapArea] = ()
    show: bool = True
    radius: float = 6.0
    legend: str = ""


@dataclass(frozen=True)
class Overview:
    """Everything an overview map shows: layers drawn in order over an optional basemap."""

    bounds: tuple[float, float, float, float]
    layers: Sequence[Layer]
    title: str = ""
    legend_title: str = "Legend"
    basemap: folium.FeatureGroup | None = field(default=None, compare=False)


def overview_map(overview: Overview, *, asset_url: str = "assets") -> folium.Map:
    """The overview as an offline Folium map with a layer control and a legend.

    Parameters
    ----------
    overview
        Bounds ``(west, south, east, north)`` in degrees (EPSG:4326), the layers, an
        optional road basemap (:func:`maps.basemap.road_basemap`), a title.
    asset_url
        Where the page loads Leaflet from (see :func:`maps.base.offline_map`).
    """
    m = offline_map(overview.bounds, asset_url=asset_url, title=overview.title)
    m.options["zoomSnap"] = 0.25  # fit the area closely, not to the nearest whole zoom level
    if overview.basemap is not None:
        overview.basemap.add_to(m)
    for layer in overview.layers:
        _layer_group(layer).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    rows = [(layer.colour, layer.legend or layer.name) for layer in overview.layers]
    if rows:
        Legend(overview.legend_title, rows).add_to(m)
    return m


def _layer_group(layer: Layer) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=esc(layer.name), show=layer.show)
    if layer.style == "area":
        for area in layer.areas:
            style = {"color": area.fill, "weight": 2, "fillColor": area.fill, "fillOpacity": area.fill_opacity}
            shape = folium.GeoJson({"type": "Feature", "properties": {}, "geometry": mapping(area.geometry)},
                                   style_function=lambda _f, s=style: s, tooltip=tooltip_text(area.label))
            popup = text_popup(area.popup)
            if popup is not None:
                popup.add_to(shape)
            shape.add_to(group)
        return group
    for number, point in enumerate(layer.points, start=1):
        where = [point.lat, point.lon]
        kwargs: dict[str, Any] = {"tooltip": tooltip_text(point.label), "popup": text_popup(point.popup)}
        if layer.style == "dot":
            folium.CircleMarker(where, radius=layer.radius, color="#ffffff", weight=1, fill=True,
                                fill_color=layer.colour, fill_opacity=0.9, **kwargs).add_to(group)
        elif layer.style == "label":
            folium.Marker(where, icon=label_icon(point.label, layer.colour), **kwargs).add_to(group)
        elif layer.style == "numbered":
            folium.Marker(where, icon=numbered_icon(number, layer.colour), **kwargs).add_to(group)
        else:
            raise ValueError(f"unknown layer style {layer.style!r}: use dot, label, numbered or area")
    return group




