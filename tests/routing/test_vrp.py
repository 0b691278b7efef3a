"""Tests of routing.vrp: schedules, reasons, breaks, skills, preferences, costs, determinism.

Every solution is checked by ``assert_feasible`` below, written from the rules in
the module docstring and independent of the module's own checker.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from routing import _vrp_pyvrp
from routing import vrp as vrp_module
from routing.vrp import Break, Problem, ProblemError, Route, Solution, Stop, Vehicle, solve

H = 3600
BIG = 1 << 60


# -- an independent checker ------------------------------------------------------------


def travel_matrices(problem: Problem, veh: Vehicle) -> tuple[np.ndarray, np.ndarray | None]:
    """The (durations, distances) a vehicle travels on, read from the problem's inputs
    (its profile's, else the base ones), not through the module's accessors."""
    if veh.profile is None:
        return np.asarray(problem.durations), problem.distances
    durations, distances = problem.profiles[veh.profile]
    return np.asarray(durations), None if distances is None else np.asarray(distances)


def assert_feasible(problem: Problem, sol: Solution) -> None:
    """Re-walk every route from the rules, each on its vehicle's own matrices, and compare
    every reported number."""
    stops = {s.id: s for s in problem.stops}
    vehicles = {v.id: v for v in problem.vehicles}
    served: list[str] = []
    total = 0
    assert len({r.vehicle_id for r in sol.routes}) == len(sol.routes), "a vehicle has two routes"
    for r in sol.routes:
        veh = vehicles[r.vehicle_id]
        D, M = travel_matrices(problem, veh)
        costs = M if problem.objective == "distance" else D
        assert costs is not None
        s0, s1 = veh.shift if veh.shift is not None else (0, BIG)
        assert r.stop_ids, "empty route reported"
        assert r.start_time >= s0
        assert sorted(b.index for b in r.breaks) == list(range(len(veh.breaks))), "each break once"
        t, here, load, travel, cost = r.start_time, veh.start, 0, 0, veh.fixed_cost
        nodes = [veh.start] + [stops[sid].location for sid in r.stop_ids] + [veh.end]
        metres = None if M is None else sum(int(M[a, b]) for a, b in itertools.pairwise(nodes))
        assert r.distance == metres, f"route distance {r.distance} != {metres}"
        t = breaks_at(r, veh, 0, t, here)
        for k, sid in enumerate(r.stop_ids):
            stop = stops[sid]
            assert stop.skills <= veh.skills, f"{veh.id} lacks skills for {sid}"
            arrive = t + int(D[here, stop.location])
            travel += int(D[here, stop.location])
            cost += int(costs[here, stop.location])
            if stop.preferred_vehicle is not None and stop.preferred_vehicle != veh.id:
                cost += problem.preference_penalty
            assert r.arrivals[k] == arrive, f"{sid}: arrival {r.arrivals[k]} != {arrive}"
            begin = r.service_starts[k]
            assert begin >= arrive and r.waits[k] == begin - arrive
            assert not stop.windows or any(a <= begin <= b for a, b in stop.windows), f"{sid} outside windows"
            t = begin + stop.service
            assert r.departures[k] == t
            load += stop.demand
            here = stop.location
            t = breaks_at(r, veh, k + 1, t, here)
            served.append(sid)
        travel += int(D[here, veh.end])
        cost += int(costs[here, veh.end])
        assert r.end_time == t + int(D[here, veh.end]) and r.end_time <= s1
        assert r.travel_time == travel
        assert r.working_time == r.end_time - r.start_time
        if veh.capacity is not None:
            assert load <= veh.capacity
        overtime = 0
        if veh.max_work is not None:
            overtime = max(0, r.working_time - veh.max_work)
            assert overtime <= veh.max_overtime
        assert r.overtime == overtime
        cost += veh.overtime_cost * overtime
        assert r.cost == cost, f"route cost {r.cost} != {cost}"
        total += cost
    assert len(served) == len(set(served)), "a stop served twice"
    assert set(served).isdisjoint(sol.unassigned)
    assert set(served) | set(sol.unassigned) == set(stops), "a stop silently dropped"
    assert all(isinstance(why, str) and why for why in sol.unassigned.values())
    assert sol.cost == total
    if problem.distances is not None:
        assert sol.distance == sum(r.distance or 0 for r in sol.routes)
    assert sol.is_feasible() and sol.violations() == []


def breaks_at(r: Route, veh: Vehicle, pos: int, t: int, here: int) -> int:
    """Check the breaks taken at one position of a route; the time the worker is free after them."""
    for b in (b for b in r.breaks if b.position == pos):
        lo, hi = veh.breaks[b.index].window
        assert b.start >= t and lo <= b.start <= hi, f"break at {b.start} outside {lo}-{hi} or too early"
        assert b.location == here and b.wait == b.start - t
        t = b.start + veh.breaks[b.index].duration
    return t


def line_matrix(xs: list[float], per_unit: int = 600) -> np.ndarray:
    """Travel times between points on a line, ``per_unit`` seconds per unit."""
    a = np.asarray(xs, dtype=float)
    return (np.abs(a[:, None] - a[None, :]) * per_unit).astype(np.int64)


def city(n: int, rng: random.Random, size: float = 12_000) -> tuple[np.ndarray, np.ndarray]:
    """Random integer travel times (s) and distances (m) between ``n`` points of a town."""
    pts = np.array([(rng.uniform(0, size), rng.uniform(0, size)) for _ in range(n)])
    detour = np.array([[rng.uniform(1.1, 1.4) for _ in range(n)] for _ in range(n)])
    metres = np.abs(pts[:, None, :] - pts[None, :, :]).sum(-1) * (detour + detour.T) / 2
    np.fill_diagonal(metres, 0)
    return np.ceil(metres / 8.0).astype(np.int64), np.rint(metres).astype(np.int64)


# -- exact small days ----------------------------------------------------------------------


def five_stops() -> Problem:
    # depot at 0, stops A..E at 1..5 on a line, 10 minutes a unit
    D = line_matrix([0, 1, 2, 3, 4, 5])
    stops = [Stop("A", 1, service=600), Stop("B", 2, service=600),
             Stop("C", 3, service=600, windows=((8 * H, 8 * H + 1800),)),
             Stop("D", 4, service=600), Stop("E", 5, service=600, windows=((9 * H + 1800, 10 * H),))]
    return Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 12 * H))])


def test_five_stops_known_optimal_order_and_waiting() -> None:
    problem = five_stops()
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    assert sol.solver == "exact" and sol.optimal
    (route,) = sol.routes
    # C must come first (latest start 08:30 = direct arrival); C,E,D,B,A costs as
    # much (6000 s) but ends later, so the tie goes to C,D,E,B,A
    assert route.stop_ids == ["C", "D", "E", "B", "A"]
    assert route.travel_time == 6000 and sol.cost == 6000
    assert route.arrivals == [8 * H + 1800, 8 * H + 3000, 9 * H + 600, 10 * H + 600, 10 * H + 1800]
    assert route.waits == [0, 0, 1200, 0, 0]  # waits 20 minutes for E's window
    assert route.service_starts[2] == 9 * H + 1800
    assert route.start_time == 8 * H and route.end_time == 10 * H + 3000


def test_departure_is_delayed_to_avoid_waiting() -> None:
    D = line_matrix([0, 1, 2])
    stops = [Stop("a", 1, service=600, windows=((10 * H, 10 * H + 600),)), Stop("b", 2, service=600)]
    problem = Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 17 * H))])
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    (route,) = sol.routes
    # b first (ends earlier), then a at 10:00 sharp: leaving at 09:20 nobody waits
    assert route.stop_ids == ["b", "a"] and route.waits == [0, 0]
    assert route.start_time == 9 * H + 1200 and route.service_starts[1] == 10 * H
    assert route.working_time == 2400 + 1200


def test_several_windows_per_stop() -> None:
    D = line_matrix([0, 1, 2])
    # "far" can only be reached in its afternoon window once "near" (morning only) is done
    stops = [Stop("near", 1, service=1800, windows=((8 * H, 8 * H + 900),)),
             Stop("far", 2, service=600, windows=((8 * H, 8 * H + 600), (9 * H, 9 * H + 1800)))]
    problem = Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 12 * H))])
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    (route,) = sol.routes
    assert route.stop_ids == ["near", "far"]
    assert 9 * H <= route.service_starts[1] <= 9 * H + 1800
    assert route.service_starts[1] == 9 * H  # arrives 08:50, waits for the second window


def test_unservable_stops_reported_with_reasons() -> None:
    D = line_matrix([0, 1, 6, 2, 3, 1.5])
    stops = [Stop("ok", 1, service=600),
             Stop("late", 2, windows=((8 * H, 8 * H + 300),)),  # an hour away, latest start 08:05
             Stop("nurse", 3, skills=frozenset({"nurse"})),
             Stop("heavy", 4, demand=30),
             Stop("long", 5, service=5 * H)]  # cannot be back before the shift ends
    problem = Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 12 * H), capacity=10)])
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    assert sol.routes[0].stop_ids == ["ok"]
    why = sol.unassigned
    assert why["late"].startswith("window:") and "09:00" in why["late"] and "08:05" in why["late"]
    assert why["nurse"] == "skills: needs nurse; w lacks it"
    assert why["heavy"].startswith("capacity:") and "30" in why["heavy"]
    assert why["long"].startswith("shift:") and "12:00" in why["long"]


def test_visit_longer_than_the_working_time_cap_is_explained() -> None:
    D = line_matrix([0, 1])
    problem = Problem(D, [Stop("long", 1, service=5 * H)],
                      [Vehicle("w", 0, 0, shift=(8 * H, 18 * H), max_work=4 * H, max_overtime=1800)])
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    assert sol.unassigned["long"] == "shift: needs 5h20 of work (travel and service), more than the 4h30 " \
                                     "allowed for worker w"


def test_stops_that_only_fit_alone_get_no_room() -> None:
    D = line_matrix([0, 1, -1])
    # both need service to start at 09:00-09:05, on opposite sides of the depot
    stops = [Stop("east", 1, service=600, windows=((9 * H, 9 * H + 300),)),
             Stop("west", 2, service=600, windows=((9 * H, 9 * H + 300),), required=True)]
    problem = Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 12 * H))])
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    assert len(sol.routes[0].stop_ids) == 1
    (dropped,) = sol.unassigned.values()
    assert dropped.startswith("no room:")


def test_break_taken_inside_its_window_at_the_current_place() -> None:
    D = line_matrix([0, 1, 2, 3])
    stops = [Stop("a", 1, service=3600), Stop("b", 2, service=3600), Stop("c", 3, service=3600,
                                                                           windows=((12 * H, 13 * H),))]
    lunch = Break(window=(12 * H, 12 * H + 1800), duration=1800)
    problem = Problem(D, stops, [Vehicle("w", 0, 0, shift=(9 * H, 17 * H), breaks=(lunch,))])
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    (route,) = sol.routes
    (brk,) = route.breaks
    assert 12 * H <= brk.start <= 12 * H + 1800 and brk.duration == 1800
    place = 0 if brk.position == 0 else problem.stops[problem.stop_index[route.stop_ids[brk.position - 1]]].location
    assert brk.location == place
    # nothing starts during the break
    assert all(not brk.start < s < brk.start + brk.duration for s in route.service_starts)


def test_break_at_the_start_when_nothing_else_fits() -> None:
    D = line_matrix([0, 1])
    stops = [Stop("a", 1, service=1800, windows=((9 * H, 9 * H),))]
    lunch = Break(window=(8 * H, 8 * H + 600), duration=1800)
    problem = Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 12 * H), breaks=(lunch,))])
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    (brk,) = sol.routes[0].breaks
    # taken before leaving, as late as its window allows (no idle start to the day)
    assert brk.position == 0 and brk.start == 8 * H + 600 == sol.routes[0].start_time


def test_break_that_cannot_fit_is_a_reason() -> None:
    D = line_matrix([0, 1])
    stops = [Stop("a", 1, service=2 * H, windows=((8 * H + 600, 8 * H + 600),))]
    lunch = Break(window=(9 * H, 9 * H + 600), duration=1800)  # falls in the middle of the visit
    problem = Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 11 * H), breaks=(lunch,))])
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    # breaks are left to the solver (another visit could give the worker a place for it); the
    # reason says the break is what does not fit
    assert sol.routes == [] and sol.optimal
    assert sol.unassigned["a"] == "no room: on its own it leaves worker w no place to take a 30-minute break " \
                                  "starting 09:00-09:10"


def test_working_time_cap_and_overtime_cost() -> None:
    D = line_matrix([0, 1, 2])
    stops = [Stop("a", 1, service=2 * H), Stop("b", 2, service=2 * H)]

    def veh(extra: int) -> Vehicle:
        return Vehicle("w", 0, 0, shift=(8 * H, 18 * H), max_work=4 * H, max_overtime=extra, overtime_cost=3)

    # both visits take 4 h of service plus 40 min of travel: 40 min of overtime
    with_ot = Problem(D, stops, [veh(H)])
    sol = solve(with_ot, time_limit=2)
    assert_feasible(with_ot, sol)
    assert sol.routes[0].overtime == 2400 and sol.cost == 2400 + 3 * 2400
    no_ot = Problem(D, stops, [veh(0)])
    sol = solve(no_ot, time_limit=2)
    assert_feasible(no_ot, sol)
    assert len(sol.routes[0].stop_ids) == 1 and sol.routes[0].overtime == 0
    assert next(iter(sol.unassigned.values())).startswith("no room:")


def test_optional_stops_served_by_prize() -> None:
    D = line_matrix([0, 1, 2, 3])
    stops = [Stop("must", 1, service=H),
             Stop("low", 2, service=2 * H, required=False, prize=1),
             Stop("high", 3, service=2 * H, required=False, prize=5)]
    problem = Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 12 * H + 1800))])
    sol = solve(problem, time_limit=2)  # room for "must" and one optional visit
    assert_feasible(problem, sol)
    assert sorted(sol.routes[0].stop_ids) == ["high", "must"]
    assert sol.unassigned["low"].startswith("no room:")


def brute_force(problem: Problem) -> tuple[int, int, int] | None:
    """Best (required served, prize, cost) over every subset, order and break placement of a
    one-vehicle day, simulated here from the rules (worker leaves at the shift start, each
    visit in its earliest open window: optimal when there is no working-time cap)."""
    veh = problem.vehicles[0]
    s0, s1 = veh.shift or (0, BIG)
    n = len(problem.stops)
    best: tuple[int, int, int] | None = None
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            if veh.capacity is not None and sum(problem.stops[j].demand for j in subset) > veh.capacity:
                continue
            for order in itertools.permutations(subset):
                placements = itertools.product(range(len(order) + 1), repeat=len(veh.breaks)) if order else [()]
                for where in placements:
                    cost = simulate(problem, order, where, s0, s1)
                    if cost is None:
                        continue
                    req = sum(problem.stops[j].required for j in order)
                    prize = sum(problem.stops[j].prize for j in order)
                    key = (-req, -prize, cost)
                    if best is None or key < best:
                        best = key
    return best


def simulate(problem: Problem, order: tuple[int, ...], where: tuple[int, ...], s0: int, s1: int) -> int | None:
    veh = problem.vehicles[0]
    D, _ = travel_matrices(problem, veh)
    t, here, cost = s0, veh.start, 0
    for pos in range(len(order) + 1):
        for b in sorted((b for b in range(len(veh.breaks)) if where and where[b] == pos),
                        key=lambda b: veh.breaks[b].window):
            lo, hi = veh.breaks[b].window
            t = max(t, lo)
            if t > hi:
                return None
            t += veh.breaks[b].duration
        if pos == len(order):
            break
        stop = problem.stops[order[pos]]
        t += int(D[here, stop.location])
        cost += int(D[here, stop.location])
        if stop.windows:
            opens = [max(t, a) for a, b in sorted(stop.windows) if b >= t]
            if not opens:
                return None
            t = opens[0]
        t += stop.service
        if stop.preferred_vehicle not in (None, veh.id):
            cost += problem.preference_penalty
        here = stop.location
    if not order:
        return 0
    t += int(D[here, veh.end])
    cost += int(D[here, veh.end]) + veh.fixed_cost
    return cost if t <= s1 else None


@pytest.mark.parametrize("seed", range(8))
def test_exact_day_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    n = 5
    D, _ = city(n + 1, rng, size=6000)
    stops = []
    for j in range(n):
        windows: tuple[tuple[int, int], ...] = ()
        if rng.random() < 0.7:
            a = rng.randrange(8 * H, 13 * H, 300)
            windows = ((a, a + rng.choice([900, 1800, 3600])),)
            if rng.random() < 0.4:
                windows += ((a + 3 * H, a + 3 * H + 1800),)
        optional = rng.random() < 0.3
        stops.append(Stop(f"s{j}", j + 1, service=rng.choice([900, 1800, 2700]), windows=windows,
                          demand=rng.randint(1, 4), required=not optional, prize=rng.randint(0, 3) if optional else 0,
                          preferred_vehicle=rng.choice([None, "w", "other"])))
    breaks = (Break((12 * H, 13 * H), 1800),) if seed % 2 else ()
    veh = Vehicle("w", 0, 0, shift=(8 * H, 8 * H + rng.choice([4, 5, 6]) * H), capacity=rng.choice([None, 9]),
                  breaks=breaks, fixed_cost=rng.choice([0, 500]))
    problem = Problem(D, stops, [veh], preference_penalty=700)
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    assert sol.optimal
    served = [problem.stops[problem.stop_index[s]] for r in sol.routes for s in r.stop_ids]
    got = (-sum(s.required for s in served), -sum(s.prize for s in served), sol.cost)
    assert got == brute_force(problem)


def test_exact_with_working_time_cap_matches_enumeration() -> None:
    # cap binds: the best order must also keep the working time (with waiting) short
    rng = random.Random(7)
    D, _ = city(6, rng, size=5000)
    D = (D // 60) * 60
    stops = [Stop(f"s{j}", j + 1, service=1800, windows=((a, a + 1800),) if a else ())
             for j, a in enumerate([9 * H, 0, 11 * H, 0, 13 * H])]
    veh = Vehicle("w", 0, 0, shift=(8 * H, 18 * H), max_work=5 * H + 1800, max_overtime=1800, overtime_cost=2)
    problem = Problem(D, stops, [veh])
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    # enumerate orders; working time = smallest end - departure over departures on a minute grid
    best = None
    for order in itertools.permutations(range(5)):
        for dep in range(8 * H, 14 * H, 60):
            t, here, cost, ok = dep, 0, 0, True
            for j in order:
                t += int(D[here, j + 1])
                cost += int(D[here, j + 1])
                if stops[j].windows:
                    a, b = stops[j].windows[0]
                    if t > b:
                        ok = False
                        break
                    t = max(t, a)
                t += 1800
                here = j + 1
            t += int(D[here, 0])
            cost += int(D[here, 0])
            work = t - dep
            if ok and t <= 18 * H and work <= veh.max_work + veh.max_overtime:
                total = cost + 2 * max(0, work - veh.max_work)
                best = total if best is None else min(best, total)
    assert best is not None and sol.cost == best and not sol.unassigned


# -- several vehicles (heuristic) -----------------------------------------------------------


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small, fixed iteration budget so the heuristic is fast and never stopped by the clock."""
    monkeypatch.setattr(_vrp_pyvrp, "ITERATIONS_PER_SECOND_SQRT_CLIENTS", 150)


def roster(n: int, vehicles: int, seed: int, *, breaks: bool = False) -> Problem:
    rng = random.Random(seed)
    D, M = city(n + 2, rng)
    stops = []
    for j in range(n):
        windows: tuple[tuple[int, int], ...] = ()
        if rng.random() < 0.4:
            a = rng.randrange(9 * H, 15 * H, 300)
            windows = ((a, a + 2 * H),)
        stops.append(Stop(f"s{j}", j + 2, service=rng.choice([900, 1800, 2700]), windows=windows,
                          skills=frozenset({"nurse"}) if rng.random() < 0.25 else frozenset(),
                          preferred_vehicle=f"w{rng.randrange(vehicles)}" if rng.random() < 0.5 else None))
    lunch = (Break((12 * H, 14 * H), 1800),) if breaks else ()
    fleet = [Vehicle(f"w{k}", k % 2, k % 2, shift=(8 * H, 17 * H), breaks=lunch, max_work=8 * H,
                     max_overtime=H, overtime_cost=2,
                     skills=frozenset({"nurse"}) if k % 2 == 0 else frozenset()) for k in range(vehicles)]
    return Problem(D, stops, fleet, distances=M, preference_penalty=900)


def test_skills_respected_on_several_vehicles(quick: None) -> None:
    problem = roster(24, 4, seed=1)
    sol = solve(problem, time_limit=20)
    assert_feasible(problem, sol)
    assert sol.solver == "pyvrp" and not sol.optimal
    assert not sol.unassigned
    nurses = {s.id for s in problem.stops if s.skills}
    for r in sol.routes:
        if r.vehicle_id in ("w1", "w3"):
            assert nurses.isdisjoint(r.stop_ids)


def test_breaks_with_several_vehicles(quick: None) -> None:
    problem = roster(20, 3, seed=2, breaks=True)
    sol = solve(problem, time_limit=20)
    assert_feasible(problem, sol)
    assert not sol.unassigned
    assert all(len(r.breaks) == 1 and 12 * H <= r.breaks[0].start <= 14 * H for r in sol.routes)


def test_breaks_in_two_phases_for_big_rosters(quick: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_vrp_pyvrp, "BREAK_CLIENTS_MAX", 0)
    problem = roster(20, 3, seed=2, breaks=True)
    sol = solve(problem, time_limit=20)
    assert_feasible(problem, sol)
    assert sol.stats["phases"] == 2 and not sol.unassigned


def two_depots(detour_to_west: int, penalty: int) -> Problem:
    # place 0 = east depot, 1 = west depot, 2 = the client, 3 = a stop only west can do
    d = 1000 + detour_to_west
    D = np.array([[0, 4000, 1000, 9000],
                  [4000, 0, d, 100],
                  [1000, d, 0, d + 100],
                  [9000, 100, d + 100, 0]])
    stops = [Stop("client", 2, service=600, preferred_vehicle="west"), Stop("x", 3, service=600)]
    fleet = [Vehicle("east", 0, 0, shift=(8 * H, 18 * H)), Vehicle("west", 1, 1, shift=(8 * H, 18 * H))]
    return Problem(D, stops, fleet, preference_penalty=penalty)


def served_by(sol: Solution, stop_id: str) -> str:
    return next(r.vehicle_id for r in sol.routes if stop_id in r.stop_ids)


def test_preference_honoured_when_cheap_overridden_when_expensive(quick: None) -> None:
    cheap = two_depots(detour_to_west=300, penalty=1200)  # west: 2600 s more travel; east: 2000 + 1200
    sol = solve(cheap, time_limit=20)
    assert_feasible(cheap, sol)
    assert served_by(sol, "client") == "west"
    dear = two_depots(detour_to_west=5000, penalty=1200)  # west: 12,000 s more
    sol = solve(dear, time_limit=20)
    assert_feasible(dear, sol)
    assert served_by(sol, "client") == "east" and sol.cost == 2000 + 200 + 1200


def test_fixed_cost_avoids_the_relief_worker(quick: None) -> None:
    D = line_matrix([0, 5, 5.2, 5.4, 5.6])  # the relief worker lives (place 1) next to the stops
    stops = [Stop(f"s{j}", j, service=900) for j in (2, 3, 4)]

    def fleet(relief_cost: int) -> list[Vehicle]:
        return [Vehicle("staff", 0, 0, shift=(8 * H, 17 * H)),
                Vehicle("relief", 1, 1, shift=(8 * H, 17 * H), fixed_cost=relief_cost)]

    free = Problem(D, stops, fleet(0))
    sol = solve(free, time_limit=20)
    assert_feasible(free, sol)
    assert [r.vehicle_id for r in sol.routes] == ["relief"]
    costly = Problem(D, stops, fleet(20_000))
    sol = solve(costly, time_limit=20)
    assert_feasible(costly, sol)
    assert [r.vehicle_id for r in sol.routes] == ["staff"]
    # but the relief worker is used when staff cannot fit the day
    short = Problem(D, stops, [Vehicle("staff", 0, 0, shift=(8 * H, 10 * H)),
                               Vehicle("relief", 1, 1, shift=(8 * H, 17 * H), fixed_cost=20_000)])
    sol = solve(short, time_limit=20)
    assert_feasible(short, sol)
    assert "relief" in [r.vehicle_id for r in sol.routes] and not sol.unassigned


def test_heuristic_with_several_windows_and_optional_stops(quick: None) -> None:
    rng = random.Random(5)
    D, M = city(22, rng)
    stops = [Stop(f"s{j}", j + 2, service=1800,
                  windows=((9 * H, 10 * H), (14 * H, 15 * H)) if j % 3 == 0 else (),
                  required=j % 4 != 1, prize=2 if j % 4 == 1 else 0) for j in range(20)]
    fleet = [Vehicle(f"w{k}", k, k, shift=(8 * H, 16 * H), max_work=7 * H) for k in range(2)]
    problem = Problem(D, stops, fleet, distances=M)
    sol = solve(problem, time_limit=20)
    assert_feasible(problem, sol)
    required = {s.id for s in problem.stops if s.required}
    assert required.isdisjoint(sol.unassigned)  # room for all required, some optional may go
    for r in sol.routes:
        for sid, start in zip(r.stop_ids, r.service_starts, strict=True):
            if int(sid[1:]) % 3 == 0:
                assert 9 * H <= start <= 10 * H or 14 * H <= start <= 15 * H


def test_too_much_work_for_the_roster_is_explained(quick: None) -> None:
    D = line_matrix([0, 1, 2, 3, 4])
    stops = [Stop(f"s{j}", 1 + j % 4, service=2 * H) for j in range(8)]  # 16 h of visits
    fleet = [Vehicle(f"w{k}", 0, 0, shift=(8 * H, 17 * H), max_work=6 * H) for k in range(2)]
    problem = Problem(D, stops, fleet)
    sol = solve(problem, time_limit=20)
    assert_feasible(problem, sol)
    assert len(sol.unassigned) == 4  # two visits per worker fit in 6 h
    assert all(why.startswith("no room:") for why in sol.unassigned.values())
    assert all(r.working_time <= 6 * H for r in sol.routes)


def test_same_seed_same_solution(quick: None) -> None:
    problem = roster(24, 4, seed=3, breaks=True)
    first = solve(problem, time_limit=30, seed=5)
    again = solve(problem, time_limit=30, seed=5)
    assert_feasible(problem, first)
    assert not first.stats["hit_time_limit"] and not again.stats["hit_time_limit"]
    assert [(r.vehicle_id, r.stop_ids, r.arrivals, r.breaks) for r in first.routes] == \
        [(r.vehicle_id, r.stop_ids, r.arrivals, r.breaks) for r in again.routes]
    assert first.cost == again.cost and first.unassigned == again.unassigned


def test_two_seeds_in_parallel_processes(quick: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_vrp_pyvrp, "PARALLEL_SEEDS", 2)
    problem = roster(16, 2, seed=4)
    first = solve(problem, time_limit=30, seed=2)
    again = solve(problem, time_limit=30, seed=2)
    assert_feasible(problem, first)
    assert first.stats["seed_used"] in (2, 3) and first.stats["seed_used"] == again.stats["seed_used"]
    assert [r.stop_ids for r in first.routes] == [r.stop_ids for r in again.routes]


def test_heuristic_reaches_the_exact_optimum_on_a_small_day(quick: None, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    D, _ = city(9, rng)
    stops = [Stop(f"s{j}", j + 1, service=1200) for j in range(8)]
    problem = Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 18 * H),
                                         breaks=(Break((12 * H, 13 * H), 1800),))])
    exact = solve(problem, time_limit=5)
    monkeypatch.setattr(vrp_module, "EXACT_MAX_STOPS", 0)
    heuristic = solve(problem, time_limit=20)
    assert_feasible(problem, heuristic)
    assert exact.solver == "exact" and heuristic.solver == "pyvrp"
    assert heuristic.cost == exact.cost


# -- invalid problems ----------------------------------------------------------------------


def good_parts() -> tuple[np.ndarray, list[Stop], list[Vehicle]]:
    return line_matrix([0, 1, 2]), [Stop("a", 1), Stop("b", 2)], [Vehicle("w", 0, 0, shift=(8 * H, 17 * H))]


@pytest.mark.parametrize(("change", "field"), [
    (lambda d, s, v: (d[:, :2], s, v), "durations"),
    (lambda d, s, v: (d - 5000, s, v), "durations"),
    (lambda d, s, v: (d + 0.5 - np.eye(3) * 0.5, s, v), "durations"),
    (lambda d, s, v: (np.where(d > 0, np.nan, 0.0), s, v), "durations"),
    (lambda d, s, v: (d + 1, s, v), "durations"),  # non-zero diagonal
    (lambda d, s, v: (d, [Stop("a", 1, windows=((10 * H, 9 * H),))], v), "stops[0].windows[0]"),
    (lambda d, s, v: (d, [Stop("a", 7)], v), "stops[0].location"),
    (lambda d, s, v: (d, [Stop("a", 1), Stop("a", 2)], v), "stops[1].id"),
    (lambda d, s, v: (d, [Stop("a", 1, service=-1)], v), "stops[0].service"),
    (lambda d, s, v: (d, s, [Vehicle("w", 0, 0), Vehicle("w", 1, 1)]), "vehicles[1].id"),
    (lambda d, s, v: (d, s, [Vehicle("w", 0, 3)]), "vehicles[0].end"),
    (lambda d, s, v: (d, s, [Vehicle("w", 0, 0, shift=(10 * H, 9 * H))]), "vehicles[0].shift"),
    (lambda d, s, v: (d, s, [Vehicle("w", 0, 0, shift=(8 * H, 9 * H), breaks=(Break((8 * H, 9 * H), 2 * H),))]),
     "vehicles[0].breaks[0].duration"),
    (lambda d, s, v: (d, s, [Vehicle("w", 0, 0, shift=(8 * H, 9 * H), breaks=(Break((10 * H, 11 * H), 600),))]),
     "vehicles[0].breaks[0].window"),
])
def test_invalid_problems_name_the_field(change: Callable[..., Any], field: str) -> None:
    d, s, v = change(*good_parts())
    with pytest.raises(ValueError, match=r"^" + field.replace("[", r"\[").replace("]", r"\]")):
        Problem(d, s, v)


def test_other_invalid_fields() -> None:
    d, s, v = good_parts()
    with pytest.raises(ProblemError, match=r"^distances"):
        Problem(d, s, v, distances=np.zeros((2, 2), dtype=int))
    with pytest.raises(ProblemError, match=r"^distances"):
        Problem(d, s, v, objective="distance")
    with pytest.raises(ProblemError, match=r"^objective"):
        Problem(d, s, v, objective="time")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^time_limit"):
        solve(Problem(d, s, v), time_limit=0)


# -- Solomon --------------------------------------------------------------------------------


@pytest.mark.shared
def test_solomon_c101_close_to_best_known(shared_dir: Path) -> None:
    folder = shared_dir / "data" / "vrptw" / "solomon"
    lines = [ln.split() for ln in (folder / "C101.txt").read_text().splitlines()]
    fleet, capacity = (int(x) for x in lines[4])
    table = np.array([[int(x) for x in p] for p in lines[9:] if len(p) == 7])
    xy = table[:, 1:3].astype(float)
    dist = np.floor(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) * 10 + 1e-9).astype(np.int64)
    stops = [Stop(str(i), i, service=int(table[i, 6]) * 10, demand=int(table[i, 3]),
                  windows=((int(table[i, 4]) * 10, int(table[i, 5]) * 10),)) for i in range(1, 101)]
    fleet_ = [Vehicle(f"v{k}", 0, 0, shift=(0, int(table[0, 5]) * 10), capacity=capacity) for k in range(fleet)]
    problem = Problem(dist, stops, fleet_, distances=dist, objective="distance")
    sol = solve(problem, time_limit=3, seed=1)
    assert_feasible(problem, sol)
    assert not sol.unassigned and len(sol.routes) <= fleet
    assert sol.cost / 10 <= 827.3 * 1.01
