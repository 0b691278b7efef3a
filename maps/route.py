"""A worker's day on a map: numbered stops with ETAs, the road path, the start/end hub.

Built from a :class:`routing.dayplan.DayPlan`; labels on the stops are whatever the
plan's visits carry (the caller decides what the viewer may see).
"""

from __future__ import annotations

from collections.abc import Mapping

import folium
import networkx as nx

from maps.base import Legend, esc, label_icon, numbered_icon, offline_map
from maps.basemap import road_basemap
from routing.dayplan import DayPlan

ROUTE_COLOUR = "#0072B2"


def _hm(t: object) -> str:
    return t.strftime("%H:%M") if hasattr(t, "strftime") else ""


def route_map(plan: DayPlan, *, G: nx.MultiDiGraph | None = None, title: str = "", start_name: str = "Start",
              unplanned: Mapping[str, tuple[float, float]] | None = None, asset_url: str = "assets",
              tiles: str | None = None) -> folium.Map:
    """The day's route map.

    Parameters
    ----------
    plan
        The planned day.
    G
        The road network, drawn as the basemap (recommended: the map has no tiles).
    title
        Heading shown on the map (e.g. the worker's name and the date).
    start_name
        Name of the start/end place (a hub's name, or "home").
    unplanned
        ``{visit id: (lon, lat)}`` of visits that could not be planned, shown in grey
        with the reason.
    asset_url, tiles
        See :func:`maps.base.offline_map`.
    """
    points = [plan.start_point, plan.end_point] + [(v.lon, v.lat) for v in plan.visits]
    points += list((unplanned or {}).values())
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    pad = 0.002
    m = offline_map((min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad), asset_url=asset_url,
                    tiles=tiles, title=title or "Route")
    if G is not None:
        road_basemap(G).add_to(m)
    route = folium.FeatureGroup(name="Route", show=True).add_to(m)
    for leg in plan.legs:
        if leg.travel_time_s <= 0:
            continue
        folium.PolyLine([(y, x) for x, y in leg.geometry.coords], color=ROUTE_COLOUR, weight=5, opacity=0.8,
                        tooltip=f"{leg.travel_time_s // 60} min, {leg.distance_m / 1000:.1f} km").add_to(route)
    stops = folium.FeatureGroup(name="Visits", show=True).add_to(m)
    lunch = {b.after: b for b in plan.breaks}
    for k, v in enumerate(plan.visits):
        after = f"<br>Lunch {_hm(lunch[v.id].start)}–{_hm(lunch[v.id].end)} after this visit" if v.id in lunch else ""
        wait = f"<br>Wait {v.wait_s // 60} min" if v.wait_s >= 60 else ""
        popup = (f"<b>{k + 1}. {esc(v.label)}</b><br>Arrive {_hm(v.arrival)}, start {_hm(v.start)}, "
                 f"leave {_hm(v.departure)}{wait}{after}")
        folium.Marker([v.lat, v.lon], icon=numbered_icon(k + 1, ROUTE_COLOUR),
                      popup=folium.Popup(popup, max_width=260), tooltip=f"{k + 1}. ETA {_hm(v.arrival)}").add_to(stops)
    hub = folium.FeatureGroup(name="Start and end", show=True).add_to(m)
    leave = f"leave {_hm(plan.start_time)}, back {_hm(plan.end_time)}" if plan.start_time else "no visits"
    folium.Marker([plan.start_point[1], plan.start_point[0]], icon=label_icon(f"⌂ {start_name}", "#333333"),
                  popup=folium.Popup(f"<b>{esc(start_name)}</b><br>{leave}", max_width=220)).add_to(hub)
    if unplanned:
        missed = folium.FeatureGroup(name="Not planned", show=True).add_to(m)
        for vid, (lon, lat) in unplanned.items():
            reason = esc(plan.unassigned.get(vid, ""))
            folium.CircleMarker([lat, lon], radius=7, color="#777777", fill=True, fill_opacity=0.6,
                                popup=folium.Popup(f"<b>Not planned: {esc(vid)}</b><br>{reason}",
                                                   max_width=260)).add_to(missed)
    rows = [(ROUTE_COLOUR, f"{len(plan.visits)} visits, {plan.travel_time_s // 60} min travel, "
                           f"{plan.distance_m / 1000:.1f} km ({plan.mode})")]
    if plan.breaks:
        rows.append(("#E69F00", f"lunch {_hm(plan.breaks[0].start)}–{_hm(plan.breaks[0].end)}"))
    if unplanned:
        rows.append(("#777777", f"{len(unplanned)} not planned"))
    Legend(title or "Route", rows).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m
