"""Gap, accessibility and coverage maps: what a person sees (colours, symbols, legend,
suggested sites), nothing from other hosts, and no client names or points for a viewer
without client access."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from shapely.geometry import box

from maps.base import render_html
from maps.coverage import ReachArea, coverage_map, share_colour
from maps.gaps import (
    NO_ACCESS_COLOUR,
    SCORE_COLOURS,
    TIME_COLOURS,
    HotspotTime,
    ScoredCell,
    access_map,
    gap_map,
    resource_symbols,
    score_breaks,
    score_colour,
    time_colour,
)
from maps.overview import MapArea, MapPoint

BOUNDS = (24.93, 60.16, 24.96, 60.18)
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)
PAIR = re.compile(r"\[\s*(-?\d{1,3}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)\s*\]")


def readable(page: str) -> str:
    """The page as a reader sees its text (JSON \\u escapes and HTML entities undone)."""
    return html.unescape(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page))


def exact_locations(points: list[tuple[float, float]], page: str, tol: float = 1e-5) -> int:
    """How many (lon, lat) points are drawn in the page: a ``[lat, lon]`` marker or a ``[lon, lat]``
    vertex within ``tol`` degrees (about 1 m)."""
    pairs = [(float(a), float(b)) for a, b in PAIR.findall(page)]
    return sum(any(abs(x - a) <= tol and abs(y - b) <= tol for x, y in pairs
                   for a, b in ((lat, lon), (lon, lat))) for lon, lat in points)


def test_time_colours_follow_the_limit() -> None:
    assert [time_colour(m, 15) for m in (0, 5, 5.1, 10, 14.9, 15, 15.1, None)] == [
        TIME_COLOURS[0], TIME_COLOURS[0], TIME_COLOURS[1], TIME_COLOURS[1], TIME_COLOURS[2], TIME_COLOURS[2],
        TIME_COLOURS[3], TIME_COLOURS[4]]


def test_gap_map_shows_times_symbols_legend_and_suggestions() -> None:
    spots = {"shelter": [HotspotTime(MapPoint(24.94, 60.17, "Underpass", ("Underpass", "about 7 people")), 7, 22.0),
                         HotspotTime(MapPoint(24.95, 60.17, "Park", ("Park",)), 2, 3.0)],
             "food": [HotspotTime(MapPoint(24.94, 60.17, "Underpass", ()), 7, None)]}
    resources = {"shelter": [MapPoint(24.945, 60.171, "Night shelter", ("Night shelter", "hours: 24/7"))],
                 "food": [MapPoint(24.951, 60.169, "Soup kitchen", ())]}
    sites = {"shelter": [MapPoint(24.941, 60.172, "S1", ("Suggested shelter site S1", "+7 people"))]}
    page = render_html(gap_map(bounds=BOUNDS, max_minutes=15, hotspots=spots, resources=resources,
                               suggestions=sites, asset_url="/static/maps"))
    text = readable(page)
    assert not EXTERNAL.search(page) and "fontawesome" not in page.lower() and "awesome-marker" not in page
    assert TIME_COLOURS[3] in page and TIME_COLOURS[0] in page and TIME_COLOURS[4] in page  # gap, near, none
    assert "Underpass: 22.0 min to shelter" in text and "Underpass: no route to food" in text
    symbols = resource_symbols(["food", "shelter"])
    assert symbols["food"][0] != symbols["shelter"][0], "each type has its own shape"
    assert f"outreach-{symbols['shelter'][0]}" in page and f"outreach-{symbols['food'][0]}" in page
    assert "over 15 min (gap)" in text and "no resource reachable" in text and "suggested new site" in text
    assert ">S1</div>" in text and "Hotspots: time to shelter" in text and "Suggested shelter sites" in text


def test_access_map_classes_and_unreachable_cells() -> None:
    assert score_breaks([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == [2, 4, 6, 8, 10]
    assert score_colour(0.5, [2, 4, 6, 8, 10]) == SCORE_COLOURS[0]
    assert score_colour(9, [2, 4, 6, 8, 10]) == SCORE_COLOURS[4]
    assert score_colour(0, [1, 2], reachable=False) == NO_ACCESS_COLOUR
    ring = ((24.94, 60.17), (24.941, 60.17), (24.941, 60.171), (24.94, 60.17))
    cells = [ScoredCell(ring, 0.0, False, ("score 0",)), ScoredCell(ring, 0.8, True, ("score 0.8",))]
    page = render_html(access_map(bounds=BOUNDS, cells=cells, resource_type="toilets",
                                  resources=[MapPoint(24.9405, 60.1705, "WC", ())]))
    assert NO_ACCESS_COLOUR in page and "no toilets within reach" in readable(page)
    assert "Access to toilets (capacity per person in need)" in readable(page)
    assert not EXTERNAL.search(page)


def test_coverage_map_draws_counts_not_clients_when_given_counts() -> None:
    locality = MapArea(box(24.93, 60.16, 24.95, 60.175), "Kluuvi", ("Kluuvi", "clients: 24, covered: 50%"),
                       fill=share_colour(0.5))
    reach = [ReachArea("Kluuvi hub", "walk", 15, box(24.935, 60.165, 24.945, 60.17))]
    cells = [MapArea(box(24.94, 60.17, 24.942, 60.172), "7 clients", ("7 clients",))]
    page = render_html(coverage_map(bounds=BOUNDS, localities=[locality], hubs=[MapPoint(24.94, 60.17, "Hub")],
                                    reach=reach, client_cells=cells, share_of="clients within 15 min walk"))
    text = readable(page)
    assert share_colour(0.5) == "#fc8d59" and share_colour(None) == "#bdbdbd" and share_colour(0.97) == "#1a9850"
    assert "Kluuvi hub: reach in 15 min walk" in text and "7 clients" in text and "Clients per area" in text
    assert "Clients covered" not in text and "client outside coverage" not in text


# -- the workspace map pages ------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(demo_workspace: Path):  # type: ignore[no-untyped-def]
    from geoservice.store import GeoPackageStore

    return GeoPackageStore(demo_workspace)


def private_points(store) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """Client locations that are not also public places drawn anyway: a resource or hub at
    the same address point, or a footpath node of the basemap (about 1 m)."""
    from geoservice.networks import workspace_graph

    public = [(r.lon, r.lat) for kind in ("resources", "hubs") for r in store.records(kind)]
    for mode in ("walk", "drive"):
        G = workspace_graph(store, mode)
        public += [(d["x"], d["y"]) for _, d in G.nodes(data=True)]
    return [(c.lon, c.lat) for c in store.records("clients")
            if not any(abs(c.lon - x) <= 2e-5 and abs(c.lat - y) <= 2e-5 for x, y in public)]


def test_coverage_page_without_client_access_has_no_names_or_points(store) -> None:  # type: ignore[no-untyped-def]
    from geoservice.coverage_maps import build_coverage_map

    clients = store.records("clients")
    page = render_html(build_coverage_map(store, minutes=10, mode="walk"))
    text = readable(page)
    assert not any(c.name in text for c in clients)
    assert exact_locations(private_points(store), page) == 0
    assert "Clients per area" in text and "Clients covered" not in text
    assert "Kluuvi hub (fictional): reach in 10 min walk" in text
    assert not EXTERNAL.search(page)


def test_coverage_page_with_client_access_shows_them(store) -> None:  # type: ignore[no-untyped-def]
    from geoservice.coverage_maps import build_coverage_map

    clients = store.records("clients")
    mine = clients[:10]
    page = render_html(build_coverage_map(store, minutes=10, mode="walk", visible_clients=mine))
    text = readable(page)
    names = {c.name for c in mine}
    assert all(c.name in text for c in mine) and not any(c.name in text for c in clients[10:] if c.name not in names)
    assert exact_locations([(c.lon, c.lat) for c in mine], page) == 10
    assert "Clients per area" not in text


def test_gap_page_on_the_demo(store) -> None:  # type: ignore[no-untyped-def]
    from geoservice.coverage_maps import build_access_map, build_gap_map

    clients = store.records("clients")
    page = render_html(build_gap_map(store, resource_type="pharmacy", max_minutes=5, suggest=1))
    text = readable(page)
    assert "Hotspots: time to pharmacy" in text and "Suggested pharmacy sites" in text and ">S1</div>" in text
    assert not any(c.name in text for c in clients) and not EXTERNAL.search(page)
    assert exact_locations(private_points(store), page) == 0
    page = render_html(build_access_map(store, resource_type="toilets", minutes=10))
    assert "Access to toilets" in readable(page) and not any(c.name in readable(page) for c in clients)
