"""Gap maps: hotspots coloured by the travel time to the nearest resource, resources by
type with distinct CSS symbols, suggested new sites, and an accessibility choropleth.

The builders draw what they are given (hotspots, resources and hexagons are not client
data); callers compute the times and scores (:mod:`geoservice.gaps`,
:mod:`geoservice.access`). Symbols are CSS shapes, never icon fonts: the pages load
nothing from other hosts (see :mod:`maps.base`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import folium
from branca.element import MacroElement, Template
from shapely.geometry import Polygon, mapping

from maps.base import colour, esc, label_icon, offline_map, text_popup, tooltip_text
from maps.overview import MapPoint

#: Hotspot colours, nearest first: within a third of the limit, two thirds, the limit,
#: beyond it (a gap), and no resource reachable at all.
TIME_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#d73027", "#67001f")
#: Shapes resource types cycle through (with :func:`maps.base.colour`).
SHAPES = ("circle", "square", "diamond", "triangle", "ring", "bar")
SUGGESTION_COLOUR = "#5e3c99"
#: Accessibility classes (low to high) and the colour of hexagons reaching nothing.
SCORE_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NO_ACCESS_COLOUR = "#bdbdbd"


@dataclass(frozen=True)
class HotspotTime:
    """A hotspot and its travel time (minutes) to the nearest resource (None: none reachable)."""

    point: MapPoint
    people: int
    minutes: float | None


@dataclass(frozen=True)
class ScoredCell:
    """A hexagon: closed outline ring of (lon, lat) degrees, its score, whether any resource
    is within reach (a score of 0 can also mean the resources in reach serve no one), popup lines."""

    outline: tuple[tuple[float, float], ...]
    score: float
    reachable: bool = True
    popup: tuple[str, ...] = ()


def time_colour(minutes: float | None, max_minutes: float) -> str:
    """The colour of a travel time against the gap limit (see :data:`TIME_COLOURS`)."""
    if minutes is None or not math.isfinite(minutes):
        return TIME_COLOURS[4]
    if minutes > max_minutes:
        return TIME_COLOURS[3]
    return TIME_COLOURS[min(2, int(3 * minutes / max_minutes - 1e-9)) if minutes > 0 else 0]


def symbol_html(shape: str, fill: str, *, size: int = 12) -> str:
    """A CSS-only map symbol (no icon font): circle, square, diamond, triangle, ring or bar."""
    fill = esc(fill)
    base = f"width:{size}px;height:{size}px;box-sizing:border-box;"
    outline = "border:1.5px solid #fff;box-shadow:0 0 2px rgba(0,0,0,.8);"
    styles = {
        "circle": f"{base}border-radius:50%;background:{fill};{outline}",
        "square": f"{base}background:{fill};{outline}",
        "diamond": f"{base}background:{fill};transform:rotate(45deg) scale(.85);{outline}",
        "triangle": (f"width:0;height:0;border-left:{size // 2 + 1}px solid transparent;"
                     f"border-right:{size // 2 + 1}px solid transparent;border-bottom:{size}px solid {fill};"
                     "filter:drop-shadow(0 0 1px rgba(0,0,0,.9));"),
        "ring": f"{base}border-radius:50%;background:#fff;border:3px solid {fill};box-shadow:0 0 2px rgba(0,0,0,.8);",
        "bar": f"width:{size}px;height:{size // 2}px;margin-top:{size // 4}px;background:{fill};{outline}",
    }
    if shape not in styles:
        raise ValueError(f"unknown symbol shape {shape!r}; one of {', '.join(styles)}")
    return f'<div class="outreach-symbol outreach-{shape}" style="{styles[shape]}"></div>'


def resource_symbols(types: Sequence[str]) -> dict[str, tuple[str, str]]:
    """A distinct (shape, colour) per resource type, stable for a given sorted list of types."""
    return {t: (SHAPES[i % len(SHAPES)], colour(i)) for i, t in enumerate(sorted(types))}


class SymbolLegend(MacroElement):
    """A legend of rows ``(symbol html, label)``; symbols come from :func:`symbol_html`."""

    _template = Template("""
        {% macro html(this, kwargs) %}
        <div class="outreach-legend" style="position:absolute; z-index:1000; bottom:24px; right:10px;
             background:rgba(255,255,255,0.92); padding:6px 10px; border-radius:4px; max-width:45%;
             font:12px/1.5 system-ui, sans-serif; box-shadow:0 1px 4px rgba(0,0,0,.3);">
          <b>{{ this.title }}</b>{{ this.rows_html }}
        </div>
        {% endmacro %}
    """)

    def __init__(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "SymbolLegend"
        self.title = esc(title)
        self.rows_html = "".join(
            '<div style="display:flex;align-items:center;gap:6px;margin-top:2px">'
            f'<span style="display:inline-flex;width:14px;justify-content:center">{symbol}</span>'
            f"{esc(label)}</div>" for symbol, label in rows)


def time_legend_rows(max_minutes: float) -> list[tuple[str, str]]:
    """Legend rows for hotspot colours by travel time."""
    third = max_minutes / 3
    labels = (f"up to {third:.0f} min", f"{third:.0f}-{2 * third:.0f} min", f"{2 * third:.0f}-{max_minutes:g} min",
              f"over {max_minutes:g} min (gap)", "no resource reachable")
    return [(symbol_html("circle", c), label) for c, label in zip(TIME_COLOURS, labels, strict=True)]


def gap_map(*, bounds: tuple[float, float, float, float], max_minutes: float,
            hotspots: Mapping[str, Sequence[HotspotTime]], resources: Mapping[str, Sequence[MapPoint]],
            suggestions: Mapping[str, Sequence[MapPoint]] | None = None,
            basemap: folium.FeatureGroup | None = None, asset_url: str = "assets",
            title: str = "Resource gaps") -> folium.Map:
    """Hotspots coloured by travel time to the nearest resource, resources, suggested sites.

    Parameters
    ----------
    bounds
        ``(west, south, east, north)`` degrees (EPSG:4326).
    max_minutes
        The gap limit: hotspots beyond it are drawn as gaps.
    hotspots
        Per resource type, the hotspots with their time to its nearest resource; one
        switchable layer per type (the first shown).
    resources
        Resources per type; each type gets its own symbol and layer.
    suggestions
        Suggested new sites per type, labelled ``S1``, ``S2`` ... in order.
    basemap
        The road basemap (:func:`maps.basemap.road_basemap`).
    asset_url, title
        See :func:`maps.base.offline_map`.
    """
    m = offline_map(bounds, asset_url=asset_url, title=title)
    if basemap is not None:
        basemap.add_to(m)
    for i, (rtype, spots) in enumerate(hotspots.items()):
        group = folium.FeatureGroup(name=esc(f"Hotspots: time to {rtype}"), show=i == 0)
        for h in sorted(spots, key=lambda s: -s.people):  # small circles drawn over big ones
            when = "no route" if h.minutes is None else f"{h.minutes:.1f} min"
            folium.CircleMarker([h.point.lat, h.point.lon], radius=5 + 2.5 * math.sqrt(max(h.people, 0)),
                                color="#333333", weight=1, fill=True,
                                fill_color=time_colour(h.minutes, max_minutes), fill_opacity=0.9,
                                tooltip=esc(f"{h.point.label}: {when} to {rtype}"),
                                popup=text_popup(h.point.popup)).add_to(group)
        group.add_to(m)
    symbols = resource_symbols(list(resources))
    for rtype, points in resources.items():
        shape, fill = symbols[rtype]
        group = folium.FeatureGroup(name=esc(f"{rtype} ({len(points)})"), show=True)
        for p in points:
            folium.Marker([p.lat, p.lon], icon=folium.DivIcon(html=symbol_html(shape, fill), icon_size=(12, 12),
                                                              icon_anchor=(6, 6)),
                          tooltip=tooltip_text(p.label), popup=text_popup(p.popup)).add_to(group)
        group.add_to(m)
    rows = time_legend_rows(max_minutes) + [(symbol_html(*symbols[t]), t) for t in resources]
    first = next(iter(hotspots), None)
    for rtype, sites in (suggestions or {}).items():
        # like the hotspot layers: only the first type's suggestions are shown at first
        group = folium.FeatureGroup(name=esc(f"Suggested {rtype} sites"), show=rtype == first)
        for rank, p in enumerate(sites, start=1):
            folium.Marker([p.lat, p.lon], icon=label_icon(f"S{rank}", SUGGESTION_COLOUR),
                          tooltip=tooltip_text(p.label), popup=text_popup(p.popup)).add_to(group)
        group.add_to(m)
    if any(suggestions.values() if suggestions else ()):
        rows.append((_suggestion_symbol(), "suggested new site (S1 adds most)"))
    folium.LayerControl(collapsed=False).add_to(m)
    SymbolLegend(f"Travel time to the nearest resource (gap over {max_minutes:g} min)", rows).add_to(m)
    return m


def score_breaks(scores: Sequence[float], *, classes: int = len(SCORE_COLOURS)) -> list[float]:
    """Upper bounds of quantile classes of the positive scores (ascending, distinct)."""
    positive = sorted(s for s in scores if s > 0)
    if not positive:
        return []
    bounds = [positive[min(len(positive) - 1, math.ceil(q * len(positive) / classes) - 1)]
              for q in range(1, classes + 1)]
    return sorted(set(bounds))


def score_colour(score: float, breaks: Sequence[float], *, reachable: bool = True) -> str:
    """The colour of a score in the classes ``breaks`` (grey when nothing is in reach)."""
    if not reachable:
        return NO_ACCESS_COLOUR
    if score <= 0 or not breaks:
        return SCORE_COLOURS[0]
    for i, upper in enumerate(breaks):
        if score <= upper:
            return SCORE_COLOURS[round(i * (len(SCORE_COLOURS) - 1) / max(len(breaks) - 1, 1))]
    return SCORE_COLOURS[-1]


def access_map(*, bounds: tuple[float, float, float, float], cells: Sequence[ScoredCell], resource_type: str,
               resources: Sequence[MapPoint] = (), hotspots: Sequence[MapPoint] = (),
               basemap: folium.FeatureGroup | None = None, asset_url: str = "assets",
               title: str = "Access to resources") -> folium.Map:
    """A choropleth of accessibility scores per hexagon, with the resources scored.

    Parameters
    ----------
    bounds
        ``(west, south, east, north)`` degrees (EPSG:4326).
    cells
        Hexagons with scores (capacity per person in need; 0: none within reach).
    resource_type
        What the scores are for (legend and layer names).
    resources, hotspots
        Resources of the type and the hotspots (demand), drawn over the hexagons.
    basemap, asset_url, title
        As for :func:`gap_map`.
    """
    m = offline_map(bounds, asset_url=asset_url, title=title)
    if basemap is not None:
        basemap.add_to(m)
    breaks = score_breaks([c.score for c in cells])
    group = folium.FeatureGroup(name=esc(f"Access to {resource_type}"), show=True)
    for cell in cells:
        fill = score_colour(cell.score, breaks, reachable=cell.reachable)
        style = {"color": "#ffffff", "weight": 0.5, "fillColor": fill, "fillOpacity": 0.65}
        hexagon = folium.GeoJson({"type": "Feature", "properties": {}, "geometry": mapping(Polygon(cell.outline))},
                                 style_function=lambda _f, s=style: s, tooltip=f"score {cell.score:.3g}")
        popup = text_popup(cell.popup)
        if popup is not None:
            popup.add_to(hexagon)
        hexagon.add_to(group)
    group.add_to(m)
    shape, fill = resource_symbols([resource_type])[resource_type]
    points = folium.FeatureGroup(name=esc(f"{resource_type} ({len(resources)})"), show=True)
    for p in resources:
        folium.Marker([p.lat, p.lon], icon=folium.DivIcon(html=symbol_html(shape, fill), icon_size=(12, 12),
                                                          icon_anchor=(6, 6)),
                      tooltip=tooltip_text(p.label), popup=text_popup(p.popup)).add_to(points)
    points.add_to(m)
    if hotspots:
        spots = folium.FeatureGroup(name="Hotspots", show=True)
        for p in hotspots:
            folium.CircleMarker([p.lat, p.lon], radius=5, color="#333333", weight=1, fill=True,
                                fill_color="#d7191c", fill_opacity=0.9,
                                tooltip=tooltip_text(p.label), popup=text_popup(p.popup)).add_to(spots)
        spots.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    rows = [(symbol_html("square", NO_ACCESS_COLOUR), f"no {resource_type} within reach")]
    lower = 0.0
    for i, upper in enumerate(breaks):
        rows.append((symbol_html("square", score_colour(upper, breaks)),
                     f"{lower:.3g}-{upper:.3g}" if i else f"up to {upper:.3g}"))
        lower = upper
    rows.append((symbol_html(shape, fill), resource_type))
    if hotspots:
        rows.append((symbol_html("circle", "#d7191c"), "hotspot"))
    SymbolLegend(f"Access to {resource_type} (capacity per person in need)", rows).add_to(m)
    return m


def _suggestion_symbol() -> str:
    return (f'<div style="background:{SUGGESTION_COLOUR};color:#fff;font:bold 9px system-ui;padding:0 2px;'
            'border-radius:2px">S</div>')


