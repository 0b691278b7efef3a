"""plan_roster on a hand-built street: continuity, skills, absence and cover, relief bank,
mixed travel modes, infeasible visits; every roster checked independently."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import networkx as nx
import numpy as np

from routing import vrp
from routing._vrp_schedule import best_break_positions
from routing.dayplan import LunchBreak, VisitRequest
from routing.roster import Change, Roster, RosterVisit, RosterWorker, explain_changes, plan_roster
from routing.vrp import make_route

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


def test_everyone_absent_leaves_every_visit_unplanned_with_a_reason() -> None:
    helsinki = dt.timezone(dt.timedelta(hours=2))
    window = ((dt.datetime.combine(DAY, dt.time(10), helsinki), dt.datetime.combine(DAY, dt.time(12), helsinki)),)
    workers = [worker("A"), worker("B", node=5)]
    visits = [visit(1, "v1", "A", windows=window), visit(6, "v2", "B")]
    roster = plan_roster(street(), visits, workers, date=DAY, absent={"A", "B"}, time_limit=1)
    assert roster.days == {}
    assert roster.unassigned == {"v1": "no worker is available that day", "v2": "no worker is available that day"}
    assert {(c.visit_id, c.reason) for c in roster.changes} == {("v1", "absent"), ("v2", "absent")}


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


# -- why a visit left its usual worker, on hand-built matrices (explain_changes) ----------------

M = 60


def explain(problem: vrp.Problem, days: dict[str, list[str]]) -> dict[str, Change]:
    """The changes explained for a team day given as visit orders per worker (breaks placed
    by the shared rules); every visit's usual worker is its stop's preferred vehicle."""
    routes = []
    for wid, order in days.items():
        v = problem.vehicle_index[wid]
        visits = [problem.stop_index[s] for s in order]
        placed = best_break_positions(problem, v, visits)
        assert placed is not None, f"{wid}'s day is not feasible"
        routes.append(make_route(problem, v, visits, placed[0]))
    served = {s for order in days.values() for s in order}
    unassigned = {s.id: "left out" for s in problem.stops if s.id not in served}
    solution = vrp.Solution(routes, unassigned, sum(r.cost for r in routes), False, "pyvrp", 0.0, 0, problem)
    assert solution.is_feasible()
    visits = [RosterVisit(VisitRequest(s.id, 0.0, 0.0, s.service), s.preferred_vehicle) for s in problem.stops]
    workers = {v.id: RosterWorker(v.id, (0.0, 0.0), (at(0), at(23))) for v in problem.vehicles}
    assigned = {sid: wid for wid, order in days.items() for sid in order}
    return {c.visit_id: c for c in explain_changes(problem, solution, visits, assigned, absent=set(), workers=workers)}


def usual_and_other(x_window: tuple[int, int], penalty: int) -> vrp.Problem:
    """Places: 0 U's home, 1 O's home (where X lives), 2 A, 3 B, 4 X; 10 minutes between
    any two places except O's home and X."""
    D = np.full((5, 5), 10 * M)
    np.fill_diagonal(D, 0)
    D[1, 4] = D[4, 1] = 0
    stops = [vrp.Stop("A", 2, service=100 * M, windows=((200 * M, 220 * M),), preferred_vehicle="U"),
             vrp.Stop("B", 3, service=100 * M, windows=((0, 310 * M),), preferred_vehicle="U"),
             vrp.Stop("X", 4, service=100 * M, windows=(x_window,), preferred_vehicle="U")]
    fleet = [vrp.Vehicle("U", 0, 0, shift=(0, 1000 * M)), vrp.Vehicle("O", 1, 1, shift=(0, 1000 * M))]
    return vrp.Problem(D, stops, fleet, preference_penalty=penalty)


def test_a_visit_that_fits_once_the_day_is_reordered_is_explained_by_travel() -> None:
    # U's day B, A cannot take X in that order (X is due by 00:50), but X, A, B serves all
    # three: keeping X adds 10 min of travel to U's day and saves O none, more than the
    # 5 minutes continuity is worth here
    problem = usual_and_other((0, 50 * M), penalty=5 * M)
    assert make_route(problem, 0, [2, 0, 1], []).travel_time == 40 * M
    change = explain(problem, {"U": ["B", "A"], "O": ["X"]})["X"]
    assert (change.worker, change.reason) == ("O", "travel saved")
    assert change.detail == "travel saved 10 min (U would add 10 min, O saves 0 min), more than the 5 min " \
                            "continuity is worth"


def test_a_visit_that_truly_has_no_room_is_explained_as_no_room() -> None:
    # X due 02:00-02:10 lasts 100 min: it overlaps both A (03:20) and any start for B that
    # still leaves B and A time: no order of U's day serves all three
    problem = usual_and_other((120 * M, 130 * M), penalty=5 * M)
    change = explain(problem, {"U": ["B", "A"], "O": ["X"]})["X"]
    assert change.reason == "no room"
    assert change.detail == "no room in U's day within the windows, shift and lunch (with their 2 other visits)"


def test_a_visit_over_the_usual_workers_hours_is_explained_as_hours() -> None:
    D = np.array([[0, 600, 600], [600, 0, 600], [600, 600, 0]])
    stops = [vrp.Stop("A", 1, service=3 * 3600, preferred_vehicle="U"),
             vrp.Stop("X", 2, service=2 * 3600, preferred_vehicle="U")]
    fleet = [vrp.Vehicle("U", 0, 0, shift=(8 * 3600, 17 * 3600), max_work=4 * 3600, max_overtime=1800,
                         overtime_cost=2),
             vrp.Vehicle("O", 0, 0, shift=(8 * 3600, 17 * 3600))]
    problem = vrp.Problem(D, stops, fleet, preference_penalty=900)
    # U's shift has room for both (5h30 with travel) but not their 4h30 with overtime
    change = explain(problem, {"U": ["A"], "O": ["X"]})["X"]
    assert change.reason == "hours"
    assert change.detail == "U's day would go over their contracted hours and the overtime allowed " \
                            "(with their 1 other visit)"


def test_a_move_that_does_not_pay_is_not_called_travel_saved() -> None:
    # O lives far from X here, so X with O costs more travel than X with U: a plan that gave
    # it to O was not the better one, and the explanation says so instead of inventing a saving
    problem = usual_and_other((0, 80 * M), penalty=5 * M)
    D = problem.durations.copy()
    D[1, 4] = D[4, 1] = 60 * M
    far = vrp.Problem(D, problem.stops, problem.vehicles, preference_penalty=5 * M)
    change = explain(far, {"U": ["B", "A"], "O": ["X"]})["X"]
    assert change.reason == "team travel"
    assert change.detail.startswith("keeping it with U would cost no more overall (U would add 10 min, "
                                    "O saves 120 min)")


def test_overtime_that_outweighs_continuity_is_explained_as_hours() -> None:
    # keeping X puts U 30 min into paid overtime (2 a second): dearer than the 15 min
    # continuity is worth, though it would save the team 10 min of travel
    D = np.array([[0, 600, 600], [600, 0, 600], [600, 600, 0]])
    stops = [vrp.Stop("A", 1, service=3 * 3600, preferred_vehicle="U"),
             vrp.Stop("X", 2, service=3600, preferred_vehicle="U")]
    fleet = [vrp.Vehicle("U", 0, 0, shift=(8 * 3600, 17 * 3600), max_work=4 * 3600, max_overtime=3600,
                         overtime_cost=2),
             vrp.Vehicle("O", 0, 0, shift=(8 * 3600, 17 * 3600))]
    change = explain(vrp.Problem(D, stops, fleet, preference_penalty=900), {"U": ["A"], "O": ["X"]})["X"]
    assert change.reason == "hours"
    assert change.detail == "U would work 30 min more overtime to keep it (U would add 10 min, O saves 20 min)"
