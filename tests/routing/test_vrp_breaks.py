"""Breaks in routing.vrp: a visit that leaves no room for lunch on its own may fit next to
another visit where the worker can take it, so no visit is dropped before the solver sees it.
Known answers, and one-worker days with a lunch near the shift end against exhaustive search."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from routing._vrp_schedule import best_break_positions
from routing.vrp import Break, Problem, Stop, Vehicle, solve

H, M = 3600, 60


def morning_worker() -> Problem:
    """08:00-13:00, a 30-minute lunch starting 12:00-12:30; a far visit due 09:00-10:00 and a near one."""
    D = [[0, 40 * M, 5 * M], [40 * M, 0, 40 * M], [5 * M, 40 * M, 0]]  # 0 home, 1 far, 2 near
    stops = [Stop("far", 1, service=45 * M, windows=((9 * H, 10 * H),)), Stop("near", 2, service=60 * M)]
    worker = Vehicle("W04", 0, 0, shift=(8 * H, 13 * H), breaks=(Break((12 * H, 12 * H + 30 * M), 30 * M),))
    return Problem(D, stops, [worker])


def test_a_visit_that_leaves_no_room_for_lunch_alone_fits_with_another() -> None:
    problem = morning_worker()
    # alone, the far visit leaves no place for lunch: after it the worker would wait until
    # 12:00 and be home at 13:10; before it, the visit's window has closed
    assert best_break_positions(problem, 0, [0]) is None
    sol = solve(problem, time_limit=2)
    assert sol.is_feasible() and sol.optimal and sol.solver == "exact"
    assert sol.unassigned == {}
    (route,) = sol.routes
    # far first, then near, where lunch is taken at 12:00; leaving at 08:55 is the earliest
    # departure with the shortest working day (3h40), so nobody waits at the far visit
    assert route.stop_ids == ["far", "near"]
    assert route.start_time == 8 * H + 55 * M
    assert route.arrivals == [9 * H + 35 * M, 11 * H] and route.waits == [0, 0]
    (lunch,) = route.breaks
    assert (lunch.position, lunch.start, lunch.location) == (2, 12 * H, 2)
    assert route.end_time == 12 * H + 35 * M and route.working_time == 3 * H + 40 * M
    assert sol.cost == route.travel_time == 85 * M


def test_when_the_break_is_what_does_not_fit_the_reason_says_so() -> None:
    D = [[0, 40 * M], [40 * M, 0]]
    stops = [Stop("far", 1, service=45 * M, windows=((9 * H, 10 * H),))]
    worker = Vehicle("W04", 0, 0, shift=(8 * H, 13 * H), breaks=(Break((12 * H, 12 * H + 30 * M), 30 * M),))
    sol = solve(Problem(D, stops, [worker]), time_limit=2)
    assert sol.routes == [] and sol.optimal
    assert sol.unassigned["far"] == ("no room: on its own it leaves worker W04 no place to take a 30-minute "
                                     "break starting 12:00-12:30")


def test_rules_that_hold_whatever_else_the_worker_does_still_drop_a_visit_first() -> None:
    D = [[0, 40 * M], [40 * M, 0]]
    worker = Vehicle("W04", 0, 0, shift=(8 * H, 13 * H), breaks=(Break((12 * H, 12 * H + 30 * M), 30 * M),))
    late = Stop("late", 1, service=45 * M, windows=((8 * H, 8 * H + 30 * M),))  # earliest arrival 08:40
    sol = solve(Problem(D, [late], [worker]), time_limit=2)
    assert sol.unassigned["late"] == ("window: earliest arrival 08:40 (worker W04 leaving at 08:00) is after "
                                      "the latest start 08:30")


def test_shortest_legs_through_other_places_decide_the_window_rule() -> None:
    # the direct leg home -> b (70 min) is slower than going by a (10 + 10 min), so b's
    # 08:30 latest start is reachable, though not on the direct leg
    D = [[0, 10 * M, 70 * M], [10 * M, 0, 10 * M], [70 * M, 10 * M, 0]]
    stops = [Stop("a", 1, service=0), Stop("b", 2, service=0, windows=((8 * H, 8 * H + 30 * M),))]
    sol = solve(Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, 12 * H))]), time_limit=2)
    assert sol.unassigned == {} and sol.routes[0].stop_ids == ["a", "b"]


def lunch_day(seed: int) -> Problem:
    """One worker, five visits, a 30-minute lunch starting in the last hour of the shift."""
    rng = random.Random(seed)
    pts = np.array([(rng.uniform(0, 6000), rng.uniform(0, 6000)) for _ in range(6)])
    D = np.ceil(np.abs(pts[:, None, :] - pts[None, :, :]).sum(-1) / 5.0).astype(np.int64)  # ~18 km/h
    np.fill_diagonal(D, 0)
    end = 8 * H + rng.choice([4, 5]) * H
    stops = []
    for j in range(5):
        windows: tuple[tuple[int, int], ...] = ()
        if rng.random() < 0.6:
            a = rng.randrange(8 * H, end - 2 * H, 15 * M)
            windows = ((a, a + rng.choice([30, 60]) * M),)
        optional = rng.random() < 0.2
        stops.append(Stop(f"s{j}", j + 1, service=rng.choice([30, 45, 60]) * M, windows=windows,
                          required=not optional, prize=rng.randint(1, 3) if optional else 0))
    lo = end - rng.choice([60, 50, 40]) * M
    worker = Vehicle("w", 0, 0, shift=(8 * H, end), breaks=(Break((lo, lo + 30 * M), 30 * M),))
    return Problem(D, stops, [worker])


def exhaustive(problem: Problem) -> tuple[int, int, int]:
    """Best (-required, -prize, cost) over every subset, order and lunch position, simulated
    from the rules: leave at the shift start, serve each visit in its earliest open window,
    take lunch as soon as its window allows after the visit it follows."""
    veh = problem.vehicles[0]
    (lo, hi), rest = veh.breaks[0].window, veh.breaks[0].duration
    s0, s1 = veh.shift or (0, 0)
    D = np.asarray(problem.durations)
    best = (0, 0, 0)
    for order in itertools.chain.from_iterable(itertools.permutations(range(5), k) for k in range(1, 6)):
        for lunch_after in range(len(order) + 1):
            t, here, cost, ok = s0, veh.start, 0, True
            for pos in range(len(order) + 1):
                if pos == lunch_after:
                    t = max(t, lo)
                    if t > hi:
                        ok = False
                        break
                    t += rest
                if pos == len(order):
                    break
                stop = problem.stops[order[pos]]
                t += int(D[here, stop.location])
                cost += int(D[here, stop.location])
                if stop.windows:
                    (a, b), = stop.windows
                    if t > b:
                        ok = False
                        break
                    t = max(t, a)
                t += stop.service
                here = stop.location
            t += int(D[here, veh.end])
            cost += int(D[here, veh.end])
            if ok and t <= s1:
                served = [problem.stops[j] for j in order]
                key = (-sum(s.required for s in served), -sum(s.prize for s in served), cost)
                best = min(best, key)
    return best


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_lunch_near_the_shift_end_matches_exhaustive_search(seed: int) -> None:
    problem = lunch_day(seed)
    sol = solve(problem, time_limit=2)
    assert sol.is_feasible() and sol.optimal and sol.solver == "exact"
    served = [problem.stops[problem.stop_index[s]] for r in sol.routes for s in r.stop_ids]
    got = (-sum(s.required for s in served), -sum(s.prize for s in served), sol.cost)
    assert got == exhaustive(problem)


def test_the_lunch_days_include_visits_that_only_fit_with_another() -> None:
    """The cases above exercise the rule: in several of them a visit that leaves no room for
    lunch on its own is served in the best day."""
    count = 0
    for seed in SEEDS:
        problem = lunch_day(seed)
        served = {s for r in solve(problem, time_limit=2).routes for s in r.stop_ids}
        count += any(best_break_positions(problem, 0, [j]) is None and s.id in served
                     for j, s in enumerate(problem.stops))
    assert count >= 5
