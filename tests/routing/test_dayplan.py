"""plan_day on a hand-built street: known order, waiting, lunch, far points, skills."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pytest

from routing.dayplan import LunchBreak, VisitRequest, plan_day

DAY = dt.date(2026, 12, 1)
STEP = 0.0018  # degrees of longitude between nodes: about 100 m at 60°N


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute))


def street() -> nx.MultiDiGraph:
    """Six nodes in a row along a two-way street, 60 s (100 m) apart."""
    G = nx.MultiDiGraph(crs="epsg:4326", provenance={"mode": "walk", "source": "test"})
    for i in range(6):
        G.add_node(i, x=24.90 + STEP * i, y=60.17)
    for i in range(5):
        for u, v in ((i, i + 1), (i + 1, i)):
            G.add_edge(u, v, length=100.0, travel_time=60.0, speed_kph=6.0, highway="residential")
    return G


def visit(node: int, ident: str, minutes: int = 30, **kw: object) -> VisitRequest:
    return VisitRequest(id=ident, lon=24.90 + STEP * node, lat=60.17, duration_s=minutes * 60, label=ident, **kw)


START = (24.90, 60.17)


def test_shortest_order_and_totals() -> None:
    plan = plan_day(street(), [visit(3, "c"), visit(1, "a"), visit(5, "e")], start=START,
                    shift=(at(9), at(17)))
    assert [v.id for v in plan.visits] == ["a", "c", "e"]
    assert plan.travel_time_s == 60 + 120 + 120 + 300
    assert plan.distance_m == 100 + 200 + 200 + 500
    assert plan.optimal and not plan.unassigned
    assert [leg.origin for leg in plan.legs] == ["start", "a", "c", "e"]
    for previous, nxt in zip(plan.visits, plan.visits[1:], strict=False):
        assert nxt.arrival >= previous.departure
    assert plan.legs[1].geometry.length > 0 and plan.end_time is not None


def test_window_forces_waiting() -> None:
    plan = plan_day(street(), [visit(1, "a", windows=((at(10), at(10, 30)),))], start=START,
                    shift=(at(9), at(17)))
    (v,) = plan.visits
    assert v.start == at(10)
    assert v.arrival <= v.start and v.departure == at(10, 30)


def test_window_order_beats_distance() -> None:
    """The far visit has an early appointment, so it comes first despite the detour."""
    plan = plan_day(street(), [visit(1, "near"), visit(5, "far", windows=((at(9), at(9, 10)),))],
                    start=START, shift=(at(9), at(17)))
    assert [v.id for v in plan.visits] == ["far", "near"]


def test_lunch_inside_its_window() -> None:
    visits = [visit(i, f"v{i}", minutes=60) for i in range(1, 6)]
    plan = plan_day(street(), visits, start=START, shift=(at(9), at(17)),
                    breaks=(LunchBreak((at(12), at(13)), 30 * 60),))
    (lunch,) = plan.breaks
    assert at(12) <= lunch.start and lunch.end <= at(13) and lunch.end - lunch.start == dt.timedelta(minutes=30)
    for v in plan.visits:  # no visit overlaps lunch
        assert v.departure <= lunch.start or v.start >= lunch.end


def test_point_far_from_roads_is_not_routed() -> None:
    offshore = VisitRequest(id="sea", lon=24.90, lat=60.10, duration_s=600, label="sea")  # ~7.8 km south
    plan = plan_day(street(), [offshore, visit(2, "b")], start=START, shift=(at(9), at(17)))
    assert [v.id for v in plan.visits] == ["b"]
    assert "from the nearest road" in plan.unassigned["sea"]


def test_missing_skill_and_impossible_window_are_explained() -> None:
    plan = plan_day(street(), [visit(1, "nurse", skills=frozenset({"nurse"})),
                               visit(2, "late", windows=((at(18), at(19)),))],
                    start=START, shift=(at(9), at(17)), skills=frozenset({"fi"}))
    assert not plan.visits
    assert "nurse" in plan.unassigned["nurse"]
    assert plan.unassigned.get("late")


def test_start_far_from_roads_is_an_error() -> None:
    with pytest.raises(ValueError, match="start point"):
        plan_day(street(), [visit(1, "a")], start=(25.5, 60.5), shift=(at(9), at(17)))


def test_a_day_across_the_clock_change_has_its_true_length() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Helsinki")  # clocks go from 03:00 to 04:00 on 2026-03-29
    night = (dt.datetime(2026, 3, 29, 1, 0, tzinfo=tz), dt.datetime(2026, 3, 29, 6, 0, tzinfo=tz))
    plan = plan_day(street(), [visit(0, "v", minutes=150, windows=((night[0], night[0]),))], start=START,
                    shift=night)
    (v,) = plan.visits
    assert v.start == night[0] and v.departure == dt.datetime(2026, 3, 29, 4, 30, tzinfo=tz)  # 2.5 h later
    assert v.departure.utcoffset() == dt.timedelta(hours=3)


def test_priority_two_before_any_number_of_priority_three() -> None:
    from geoservice.plans import _PRIZES

    near = [visit(k, f"p3-{k}", prize=_PRIZES[3], required=False) for k in (1, 2, 3)]
    far = visit(5, "p2", minutes=60, prize=_PRIZES[2], required=False)
    # 90 minutes: room for the far visit (70 min with travel) or two near ones (64 min), not more;
    # prizes 2 and 1 would tie one priority 2 with two priority 3 and the shorter travel would win
    plan = plan_day(street(), [*near, far], start=START, shift=(at(9), at(10, 30)))
    assert [v.id for v in plan.visits] == ["p2"]
