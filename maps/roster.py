"""The team's day on a map: one colour per worker, their road paths and numbered stops.

Built from day plans (:class:`routing.dayplan.DayPlan`), keyed by a worker label; the
labels on the stops are whatever the plans carry (the caller decides what may be seen).
"""

from __future__ import annotations

from collections.abc import Mapping

import folium
import networkx as nx

from maps.base import Legend, colour, esc, label_icon, numbered_icon, offline_map
from maps.basemap import road_basemap
from routing.dayplan import DayPlan


def roster_map(days: Mapping[str, DayPlan], *, G: nx.MultiDiGraph | None = None, title: str = "Team roster",
               unplanned: Mapping[str, tuple[float, float, str]] | None = None, asset_url: str = "assets",
               tiles: str | None = None) -> folium.Map:
    """A map of every worker's route.

    Parameters
    ----------
    days
        Worker label (e.g. ``"W01 Anna"``) -> that worker's planned day.
    G
        Road network drawn as the basemap.
    title
        Legend title.
    unplanned
        ``{visit id: (lon, lat, reason)}`` of visits nobody could take (grey).
    asset_url, tiles
        See :func:`maps.base.offline_map`.
    """
    points = [p for d in days.values() for p in [d.start_point, *((v.lon, v.lat) for v in d.visits)]]
    points += [(x, y) for x, y, _ in (unplanned or {}).values()]
    if not points:
        raise ValueError("roster_map: nothing to show (no planned or unplanned visits)")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    m = offline_map((min(xs) - 0.002, min(ys) - 0.002, max(xs) + 0.002, max(ys) + 0.002), asset_url=asset_url,
                    tiles=tiles, title=title)
    if G is not None:
        road_basemap(G).add_to(m)
    rows = []
    hubs: dict[tuple[float, float], list[str]] = {}
    for i, (label, day) in enumerate(days.items()):
        c = colour(i)
        group = folium.FeatureGroup(name=f"{label} ({len(day.visits)} visits)", show=True).add_to(m)
        for leg in day.legs:
            if leg.travel_time_s > 0:
                folium.PolyLine([(y, x) for x, y in leg.geometry.coords], color=c, weight=4, opacity=0.8).add_to(group)
        for k, v in enumerate(day.visits, start=1):
            popup = (f"<b>{esc(label)}: {k}. {esc(v.label)}</b><br>"
                     f"arrive {v.arrival:%H:%M}, leave {v.departure:%H:%M}")
            folium.Marker([v.lat, v.lon], icon=numbered_icon(k, c, size=20), popup=folium.Popup(popup, max_width=260),
                          tooltip=esc(f"{label.split()[0]} {k}: {v.arrival:%H:%M}")).add_to(group)
        hubs.setdefault(day.start_point, []).append(label.split()[0])
        rows.append((c, f"{label}: {len(day.visits)} visits, {day.working_time_s / 3600:.1f} h, "
                        f"{day.travel_time_s // 60} min travel"))
    starts = folium.FeatureGroup(name="Starts (hubs and homes)", show=True).add_to(m)
    for (lon, lat), who in hubs.items():
        folium.Marker([lat, lon], icon=label_icon("⌂ " + ", ".join(who), "#333333")).add_to(starts)
    if unplanned:
        missed = folium.FeatureGroup(name=f"Not planned ({len(unplanned)})", show=True).add_to(m)
        for vid, (lon, lat, reason) in unplanned.items():
            folium.CircleMarker([lat, lon], radius=7, color="#777777", fill=True, fill_opacity=0.6,
                                popup=folium.Popup(f"<b>Not planned: {esc(vid)}</b><br>{esc(reason)}",
                                                   max_width=260)).add_to(missed)
        rows.append(("#777777", f"{len(unplanned)} visits not planned"))
    Legend(title, rows, shape="line").add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m
