"""Resource gaps: nearest resource by travel time (a river and a one-way street matter),
opening hours on arrival, site suggestions on a network, and the workspace report."""

from __future__ import annotations

import datetime as dt
import json
import math
from zoneinfo import ZoneInfo

import networkx as nx
import numpy as np
import pytest

from geoservice.errors import UserError
from geoservice.gaps import gaps_report, hotspot_gaps, nearest_resource, open_on_arrival, suggest_sites
from geoservice.models import Hotspot, Resource
from geoservice.store import GeoPackageStore
from geoservice.travel_times import at_nodes, travel_times, travel_times_and_distances

WALK_MS = 4.8 / 3.6
LAT0, LON0 = 60.0, 25.0
M_PER_DEG_LAT, M_PER_DEG_LON = 111_320.0, 111_320.0 * math.cos(math.radians(LAT0))
HELSINKI = ZoneInfo("Europe/Helsinki")


def lonlat(east_m: float, north_m: float) -> tuple[float, float]:
    return LON0 + east_m / M_PER_DEG_LON, LAT0 + north_m / M_PER_DEG_LAT


def river_town() -> nx.MultiDiGraph:
    """A walk network with a river along y = 50 m and one bridge 1 km east.

    Hotspot at node 1 (0, 0). Clinic "across" at node 5 (0, 100): 100 m away in a straight
    line, 2.1 km on foot over the bridge. Clinic "same bank" at node 6 (0, -400): 400 m.
    """
    G = nx.MultiDiGraph(crs="epsg:4326", provenance={"mode": "walk", "speed_profile": {"walk_kph": 4.8}})
    where = {1: (0, 0), 2: (200, 0), 3: (1000, 0), 4: (1000, 100), 5: (0, 100), 6: (0, -400)}
    for node, (e, n) in where.items():
        x, y = lonlat(e, n)
        G.add_node(node, x=x, y=y)
    for u, v, length in ((1, 2, 200), (2, 3, 800), (3, 4, 100), (4, 5, 1000), (1, 6, 400)):
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, length=float(length), travel_time=length / WALK_MS, highway="footway")
    return G


def clinic(rid: str, node: int, hours: str = "") -> Resource:
    lon, lat = {5: lonlat(0, 100), 6: lonlat(0, -400)}[node]
    return Resource(rid, f"Clinic {rid}", "clinic", lon, lat, opening_hours=hours)


HOTSPOT = Hotspot("HS1", *lonlat(0, 0), name="Underpass", people=7)


def test_the_river_makes_the_farther_clinic_the_nearest() -> None:
    G = river_town()
    times, meters = travel_times_and_distances(G, at_nodes([1]), at_nodes([5, 6]))
    assert times[0] == pytest.approx([2100 / WALK_MS, 400 / WALK_MS])
    assert meters[0] == pytest.approx([2100, 400])
    rows = hotspot_gaps([HOTSPOT], [clinic("across", 5), clinic("same-bank", 6)], times, meters,
                        limit_s=15 * 60, at=None)
    assert rows[0].nearest_id == "same-bank" and rows[0].distance_m == 400 and not rows[0].gap
    assert rows[0].travel_time_s == 300 and rows[0].open is None and rows[0].hours_unknown


def test_a_closed_clinic_makes_the_next_nearest_open_one_count() -> None:
    G = river_town()
    times, meters = travel_times_and_distances(G, at_nodes([1]), at_nodes([5, 6]))
    resources = [clinic("across", 5, "Mo-Su 08:00-20:00"), clinic("same-bank", 6, "Mo-Fr 09:00-17:00")]
    saturday = dt.datetime(2026, 11, 28, 12, 0, tzinfo=HELSINKI)
    row = hotspot_gaps([HOTSPOT], resources, times, meters, limit_s=15 * 60, at=saturday)[0]
    assert row.nearest_id == "across" and row.travel_time_s == math.ceil(2100 / WALK_MS)
    assert row.gap and row.open and not row.hours_unknown and row.nearer_closed_id == "same-bank"
    monday = dt.datetime(2026, 11, 23, 12, 0, tzinfo=HELSINKI)
    row = hotspot_gaps([HOTSPOT], resources, times, meters, limit_s=15 * 60, at=monday)[0]
    assert row.nearest_id == "same-bank" and not row.gap and row.nearer_closed_id is None


def test_closing_before_arrival_counts_as_closed() -> None:
    times = np.array([[300.0, 900.0]])
    windows = np.array([[0.0, 200.0], [0.0, math.inf]])  # the first closes 200 s after departure
    assert open_on_arrival(windows, times).tolist() == [[False, True]]
    windows = np.array([[250.0, 4000.0], [600.0, 700.0]])  # opens 250 s after departure; open only 600-700 s
    assert open_on_arrival(windows, times).tolist() == [[True, False]]


def test_a_one_way_street_decides_the_nearest_by_car() -> None:
    # drive: the shop next door (node 2) is against a one-way street from the hotspot's corner
    # (node 1): 2 -> 1 only, so the car goes round the block 1 -> 3 -> 4 -> 2 (1.5 km); node 5 is 600 m away
    G = nx.MultiDiGraph(crs="epsg:4326")
    for node, (e, n) in {1: (0, 0), 2: (100, 0), 3: (0, 500), 4: (100, 500), 5: (600, 0)}.items():
        G.add_node(node, **dict(zip(("x", "y"), lonlat(e, n), strict=True)))
    speed = 30 / 3.6
    for u, v, length, both in ((2, 1, 100, False), (1, 3, 500, True), (3, 4, 100, True), (4, 2, 500, True),
                               (1, 5, 600, True)):
        for a, b in ((u, v), (v, u)) if both else ((u, v),):
            G.add_edge(a, b, length=float(length), travel_time=length / speed, highway="residential")
    times = travel_times(G, at_nodes([1]), at_nodes([2, 5]))
    assert times[0] == pytest.approx([1100 / speed, 600 / speed])
    nearest, best = nearest_resource(times)
    assert nearest.tolist() == [1] and best[0] == pytest.approx(72.0)
    # ...while the way back from node 2 is the short one
    assert travel_times(G, at_nodes([2]), at_nodes([1]))[0, 0] == pytest.approx(12.0)


def test_nearest_resource_edge_cases() -> None:
    nearest, best = nearest_resource(np.array([[np.inf, np.inf], [5.0, 3.0]]), usable=[True, False])
    assert nearest.tolist() == [-1, 0] and best[0] == np.inf and best[1] == 5.0
    nearest, best = nearest_resource(np.zeros((2, 0)))
    assert nearest.tolist() == [-1, -1]


def test_suggested_site_is_the_known_best_node() -> None:
    # hotspots at nodes 1 (7 people) and 5 (3 people), both beyond 10 min of any clinic: the
    # one site reaching both within 20 min walk (1,500 s) does not exist, so the best single
    # site is next to the 7 people; with two sites both are covered
    G = river_town()
    spots = [HOTSPOT, Hotspot("HS2", *lonlat(0, 100), people=3)]
    placed = at_nodes([1, 5])
    one = suggest_sites(G, spots, placed, [True, True], "clinic", k=1, limit_s=10 * 60)
    assert one.status == "optimal" and len(one.sites) == 1
    assert one.sites[0].hotspots == ("HS1",) and one.sites[0].people_newly_covered == 7
    two = suggest_sites(G, spots, placed, [True, True], "clinic", k=2, limit_s=10 * 60)
    assert [s.hotspots for s in two.sites] == [("HS1",), ("HS2",)] and two.people_newly_covered == 10
    # with a 30-minute reach (2.4 km) every node but 6 reaches both
    wide = suggest_sites(G, spots, placed, [True, True], "clinic", k=1, limit_s=30 * 60)
    assert wide.sites[0].hotspots == ("HS1", "HS2") and wide.people_newly_covered == 10
    # a hotspot not in a gap is not counted
    only = suggest_sites(G, spots, placed, [False, True], "clinic", k=1, limit_s=10 * 60)
    assert only.people_in_gap == 3 and only.sites[0].hotspots == ("HS2",)


def test_report_on_the_demo_workspace(workspace: GeoPackageStore) -> None:
    result = gaps_report(workspace, resource_type="Toilets", max_minutes=5, mode="walk", suggest=1)
    data = json.loads(json.dumps(result.as_json()))
    assert {"hotspots", "suggestions"} <= set(data) and len(data["hotspots"]) == 16
    row = data["hotspots"][0]
    assert {"id", "resource_type", "nearest_id", "travel_time_s", "gap", "distance_m", "open"} <= set(row)
    assert all(h["resource_type"] == "toilets" for h in data["hotspots"])
    toilets = {r.id for r in workspace.records("resources") if r.type == "toilets"}
    assert all(h["nearest_id"] in toilets for h in data["hotspots"])
    assert all(h["gap"] == (h["travel_time_s"] > 300) for h in data["hotspots"])
    people_in_gap = sum(h["people"] for h in data["hotspots"] if h["gap"])
    assert data["suggestions"][0]["people_in_gap"] == people_in_gap
    assert 0 < data["suggestions"][0]["people_newly_covered"] <= people_in_gap
    assert data["suggestions"][0]["status"] == "optimal"
    text = result.table()
    assert "toilets" in text and "Per type" in text


def test_unknown_type_lists_the_known_ones(workspace: GeoPackageStore) -> None:
    with pytest.raises(UserError, match=r"unknown resource type 'shelter'.*clinic.*toilets"):
        gaps_report(workspace, resource_type="shelter")
    with pytest.raises(UserError, match="travel mode"):
        gaps_report(workspace, mode="fly")


def test_hours_that_say_unknown_on_arrival_are_flagged() -> None:
    G = river_town()
    times, meters = travel_times_and_distances(G, at_nodes([1]), at_nodes([5, 6]))
    resources = [clinic("across", 5, "24/7"), clinic("same-bank", 6, "Mo-Fr 09:00-17:00; Sa unknown")]
    saturday = dt.datetime(2026, 11, 28, 12, 0, tzinfo=HELSINKI)
    row = hotspot_gaps([HOTSPOT], resources, times, meters, limit_s=15 * 60, at=saturday)[0]
    assert row.nearest_id == "same-bank" and row.open and row.hours_unknown
    row = hotspot_gaps([HOTSPOT], resources, times, meters, limit_s=15 * 60, at=saturday.replace(day=27))[0]
    assert row.nearest_id == "same-bank" and not row.hours_unknown
