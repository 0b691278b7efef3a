"""plan_roster on a hand-built street: continuity, skills, absence and cover, relief bank,
mixed travel modes, infeasible visits; every roster checked independently."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import networkx as nx

from routing.dayplan import LunchBreak, VisitRequest
from routing.roster import Roster, RosterVisit, RosterWorker, plan_roster

DAY = dt.date(2026, 12, 1)
STEP = 0.0018  # about 100 m of longitude at 60°N


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute))


def street(seconds_per_block: float = 60.0, mode: str = "walk") -> nx.MultiDiGraph:
    """Eleven nodes in a row, 100 m apart, two-way."""
    G = nx.MultiDiGraph(crs="epsg:4326", provenance={"mode": mode, "source": "test"})
    for i in range(11):
        G.add_node(i, x=24.90 + STEP * i, y=60.17)
    for i in range(10):
        for u, v in ((i, i + 1), (i + 1, i)):
            G.add_edge(u, v, length=100.0, travel_time=seconds_per_block, speed_kph=6.0, highway="residential")
    return G


def place(node: int) -> tuple[float, float]:
    return (24.90 + STEP * node, 60.17)


def worker(ident: str, node: int = 0, **kw: object) -> RosterWorker:
    return RosterWorker(id=ident, start=place(node), shift=(at(9), at(17)), **kw)  # type: ignore[arg-type]


def visit(node: int, ident: str, usual: str | None = None, minutes: int = 30, **kw: object) -> RosterVisit:
    lon, lat = place(node)
    return RosterVisit(VisitRequest(id=ident, lon=lon, lat=lat, duration_s=minutes * 60, label=ident, **kw),
                       usual)  # type: ignore[arg-type]


def check(roster: Roster, visits: list[RosterVisit], workers: list[RosterWorker],
          absent: frozenset[str] = frozenset()) -> None:
    """An independent check of a roster against the rules, written for the tests."""
    requests = {rv.visit.id: rv.visit for rv in visits}
    by_id = {w.id: w for w in workers}
    served = Counter(v.id for d in roster.days.values() for v in d.visits)
    assert all(n == 1 for n in served.values()), "a visit is served twice"
    assert set(served) | set(roster.unassigned) == set(requests), "a visit is neither served nor explained"
    assert not set(served) & set(roster.unassigned)
    for wid, day in roster.days.items():
        w = by_id[wid]
        assert wid not in absent, f"absent worker {wid} got visits"
        assert day.start_time is not None and day.end_time is not None
        assert w.shift[0] <= day.start_time and day.end_time <= w.shift[1]
        previous = day.start_time
        for v in day.visits:
            r = requests[v.id]
            assert r.skills <= w.skills, f"{v.id} needs {r.skills - w.skills}, {wid} lacks it"
            assert v.arrival >= previous and v.start >= v.arrival
            assert v.departure - v.start == dt.timedelta(seconds=r.duration_s)
            if r.windows:
                assert any(a <= v.start <= b for a, b in r.windows), f"{v.id} starts outside its windows"
            previous = v.departure
        for b in day.breaks:
            lunch = w.breaks[0]
            assert lunch.window[0] <= b.start and b.end <= lunch.window[1]
            assert all(v.departure <= b.start or v.start >= b.end for v in day.visits)


def test_continuity_holds_when_it_costs_little() -> None:
    workers = [worker("A"), worker("B")]
    visits = [visit(1, "v1", "A"), visit(2, "v2", "B")]
    kept = plan_roster(street(), visits, workers, date=DAY, continuity_weight_s=900, time_limit=2)
    check(kept, visits, workers)
    assert kept.continuity == 1.0 and not kept.changes
    cheapest = plan_roster(street(), visits, workers, date=DAY, continuity_weight_s=0, time_limit=2)
    check(cheapest, visits, workers)
    assert len(cheapest.days) == 1, "without continuity one worker does both (one trip instead of two)"
    assert cheapest.travel_time_s < kept.travel_time_s


def test_continuity_gives_way_to_a_long_detour() -> None:
    workers = [worker("A", node=0), worker("B", node=10)]
    visits = [visit(9, "v", usual="A")]  # A would walk 9 blocks each way, B one
    roster = plan_roster(street(), visits, workers, date=DAY, continuity_weight_s=60, time_limit=2)
    check(roster, visits, workers)
    (change,) = roster.changes
    assert (change.usual_worker, change.worker, change.reason) == ("A", "B", "travel saved")
    assert "travel saved 16 min" in change.detail  # 18 min for A against 2 min for B


def test_skill_restricted_visit_never_goes_to_an_unskilled_worker() -> None:
    workers = [worker("A"), worker("N", node=10, skills=frozenset({"nurse"}))]
    visits = [visit(1, "inj", usual="A", skills=frozenset({"nurse"})), visit(2, "chat", usual="A")]
    roster = plan_roster(street(), visits, workers, date=DAY, time_limit=2)
    check(roster, visits, workers)
    assert [v.id for v in roster.days["N"].visits] == ["inj"]
    (change,) = roster.changes
    assert change.reason == "skill" and "nurse" in change.detail


def test_absent_worker_gets_nothing_and_cover_is_explained() -> None:
    workers = [worker("A"), worker("B", node=5)]
    visits = [visit(1, "v1", "A"), visit(2, "v2", "A"), visit(6, "v3", "B")]
    roster = plan_roster(street(), visits, workers, date=DAY, absent={"A"}, time_limit=2)
    check(roster, visits, workers, absent=frozenset({"A"}))
    assert set(roster.days) == {"B"}
    assert {(c.visit_id, c.reason) for c in roster.changes} == {("v1", "absent"), ("v2", "absent")}
    assert roster.continuity == 1 / 3


def test_relief_bank_only_when_needed() -> None:
    workers = [worker("A"), worker("R", node=3, relief=True)]
    visits = [visit(1, "v1", "A"), visit(2, "v2", "A")]
    normal = plan_roster(street(), visits, workers, date=DAY, time_limit=2)
    assert set(normal.days) == {"A"}, "the relief worker costs more: not used when A can do it"
    cover = plan_roster(street(), visits, workers, date=DAY, absent={"A"}, time_limit=2)
    check(cover, visits, workers, absent=frozenset({"A"}))
    assert set(cover.days) == {"R"}


def test_walkers_and_drivers_travel_on_their_own_networks() -> None:
    graphs = {"walk": street(60.0, "walk"), "drive": street(10.0, "drive")}
    workers = [worker("W", mode="walk"), worker("D", node=10, mode="drive")]
    visits = [visit(1, "near"), visit(9, "far")]
    roster = plan_roster(graphs, visits, workers, date=DAY, time_limit=2)
    check(roster, visits, workers)
    assert roster.days["D"].mode == "drive" and roster.days["D"].legs[0].travel_time_s == 10
    assert roster.modes == ["drive", "walk"]


def test_lunch_and_infeasible_visits_reported() -> None:
    workers = [worker("A", breaks=(LunchBreak((at(12), at(13)), 1800),))]
    visits = [visit(k, f"v{k}", "A", minutes=60) for k in range(1, 6)] + [
        visit(2, "late", "A", windows=((at(18), at(19)),)), visit(3, "nurse", "A", skills=frozenset({"nurse"}))]
    roster = plan_roster(street(), visits, workers, date=DAY, time_limit=2)
    check(roster, visits, workers)
    assert roster.days["A"].breaks
    assert "late" in roster.unassigned and "nurse" in roster.unassigned["nurse"]
    assert len(roster.days["A"].visits) == 5
