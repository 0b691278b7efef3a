"""After the heuristic, left-out required and prize visits are placed where an exact day takes
them (routing._vrp_repair); small rosters against exhaustive search over every assignment."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from routing import _vrp_repair
from routing.vrp import Break, Problem, Stop, Vehicle, solve

H = 3600
BIG = 1 << 60


# -- the repair on hand-made plans ------------------------------------------------------------


def line(xs: list[float], per_unit: int = 600) -> np.ndarray:
    a = np.asarray(xs, dtype=float)
    return (np.abs(a[:, None] - a[None, :]) * per_unit).astype(np.int64)


def candidates(problem: Problem) -> dict[int, list[int]]:
    return {j: [v for v, veh in enumerate(problem.vehicles) if s.skills <= veh.skills]
            for j, s in enumerate(problem.stops)}


def test_a_left_out_visit_is_added_to_a_day_that_has_room() -> None:
    problem = Problem(line([0, 1, 2]), [Stop("a", 1, service=H), Stop("x", 2, service=H)],
                      [Vehicle("A", 0, 0, shift=(8 * H, 12 * H))])
    plans = {0: ([0], [])}
    assert _vrp_repair.fill(problem, plans, candidates(problem), max_stops=12, max_labels=0) == 1
    assert plans == {0: ([0, 1], [])}


def test_a_visit_moves_to_another_worker_to_make_room() -> None:
    # A (home 0, 2h30) can do x or k, not both; only A has the skill x needs; B (home 4) can do k
    stops = [Stop("k", 2, service=H), Stop("x", 1, service=H, skills=frozenset({"nurse"}))]
    fleet = [Vehicle("A", 0, 0, shift=(8 * H, 10 * H + 1800), skills=frozenset({"nurse"})),
             Vehicle("B", 3, 3, shift=(8 * H, 12 * H))]
    problem = Problem(line([0, 1, 2, 4]), stops, fleet)
    plans = {0: ([0], [])}
    assert _vrp_repair.fill(problem, plans, candidates(problem), max_stops=12, max_labels=0) == 1
    assert plans == {0: ([1], []), 1: ([0], [])}


def test_two_workers_swap_a_visit_each_to_make_room() -> None:
    # capacities 3: x (2, only A may do it) cannot join k (2) in A's day, and k cannot join
    # B's m and n (1 each); A taking m and B taking k makes room for x
    stops = [Stop("k", 1, demand=2), Stop("m", 2, demand=1), Stop("n", 3, demand=1),
             Stop("x", 1, demand=2, skills=frozenset({"nurse"}))]
    fleet = [Vehicle("A", 0, 0, shift=(8 * H, 17 * H), capacity=3, skills=frozenset({"nurse"})),
             Vehicle("B", 4, 4, shift=(8 * H, 17 * H), capacity=3)]
    problem = Problem(line([0, 1, 2, 3, 4]), stops, fleet)
    plans = {0: ([0], []), 1: ([1, 2], [])}
    assert _vrp_repair.fill(problem, plans, candidates(problem), max_stops=12, max_labels=0) == 1
    assert {v: sorted(visits) for v, (visits, _) in plans.items()} == {0: [1, 3], 1: [0, 2]}


def test_a_required_visit_takes_the_place_of_an_optional_one() -> None:
    stops = [Stop("p", 1, service=2 * H, required=False, prize=3), Stop("x", 2, service=2 * H)]
    problem = Problem(line([0, 1, 2]), stops, [Vehicle("A", 0, 0, shift=(8 * H, 12 * H))])
    plans = {0: ([0], [])}
    assert _vrp_repair.fill(problem, plans, candidates(problem), max_stops=12, max_labels=0) == 1
    assert plans == {0: ([1], [])}  # p goes back to the unplanned visits: nobody has room for it


def test_nothing_changes_when_nothing_fits() -> None:
    problem = Problem(line([0, 1, 2]), [Stop("a", 1, service=3 * H), Stop("x", 2, service=3 * H)],
                      [Vehicle("A", 0, 0, shift=(8 * H, 12 * H))])
    plans = {0: ([0], [])}
    assert _vrp_repair.fill(problem, plans, candidates(problem), max_stops=12, max_labels=0) == 0
    assert plans == {0: ([0], [])}


# -- small rosters against exhaustive search ------------------------------------------------


def roster(seed: int, n: int, fleet: int, *, same_end: bool, closure: bool = True) -> Problem:
    """Tiny random rosters: windows, skills, capacities, prizes, preferences, lunch breaks,
    working-time caps with overtime, relief costs, walkers and drivers; workers end where
    they start (``same_end``) or at either of two places; travel times keep the triangle
    inequality (``closure``) or not. The reviewer's generator, call for call."""
    rng = random.Random(seed)
    m = n + 2
    pts = [(rng.randrange(0, 40), rng.randrange(0, 40)) for _ in range(m)]
    D = np.array([[0 if i == k else max(1, abs(a[0] - b[0]) + abs(a[1] - b[1]) + rng.randrange(0, 6))
                   for k, b in enumerate(pts)] for i, a in enumerate(pts)])
    for k in range(m if closure else 0):
        D = np.minimum(D, D[:, k:k + 1] + D[k:k + 1, :])
    walk, metres = D * 3, D * 10 + 3 - 3 * np.eye(m, dtype=int)
    stops = []
    for j in range(n):
        k = rng.random()
        windows: tuple[tuple[int, int], ...] = ()
        if 0.3 <= k < 0.8:
            a = rng.randrange(0, 120)
            windows = ((a, a + rng.randrange(0, 40)),)
        elif k >= 0.8:
            a = rng.randrange(0, 80)
            windows = ((a, a + rng.randrange(0, 15)), (a + 40, a + 40 + rng.randrange(0, 20)))
        optional = rng.random() < 0.25
        stops.append(Stop(f"s{j}", 2 + j, service=rng.randrange(0, 25), windows=windows,
                          skills=frozenset({"nurse"}) if rng.random() < 0.25 else frozenset(),
                          required=not optional, prize=rng.randrange(0, 4) if optional else 0,
                          demand=rng.randrange(0, 3), preferred_vehicle=rng.choice([None, None, "v0", "v1", "gone"])))
    vehicles = []
    for v in range(fleet):
        s0 = rng.randrange(0, 20)
        s1 = s0 + rng.randrange(80, 220)
        breaks: tuple[Break, ...] = ()
        r = rng.random()
        if r < 0.4:
            lo = rng.randrange(s0, s0 + 80)
            breaks = (Break((lo, lo + rng.randrange(0, 40)), rng.randrange(5, 20)),)
        elif r < 0.5:
            lo = rng.randrange(s0, s0 + 40)
            breaks = (Break((lo, lo + 30), 8), Break((lo + 50, lo + 90), 10))
        work, over, over_cost = None, 0, 0
        if rng.random() < 0.3:
            work, over, over_cost = rng.randrange(60, 160), rng.randrange(0, 40), rng.randrange(0, 4)
        end = v % 2 if same_end else rng.choice([0, 1])
        vehicles.append(Vehicle(f"v{v}", start=v % 2, end=end, shift=(s0, s1), breaks=breaks,
                                skills=frozenset({"nurse"}) if rng.random() < 0.5 else frozenset(),
                                capacity=rng.choice([None, None, 3]), fixed_cost=rng.choice([0, 0, 15]),
                                max_work=work, max_overtime=over, overtime_cost=over_cost,
                                profile=rng.choice([None, None, "walk"])))
    return Problem(D, stops, vehicles, distances=metres, objective=rng.choice(["duration", "distance"]),
                   preference_penalty=rng.choice([0, 10]), profiles={"walk": (walk, metres)})


def end_time(problem: Problem, veh: Vehicle, order: tuple[int, ...], where: tuple[int, ...], leave: int) -> int | None:
    """Back at the end when leaving at ``leave``, every visit in its earliest open window and
    each break (``where[b]``: after that many visits) as soon as its window allows; None if late."""
    D = np.asarray(problem.durations if veh.profile is None else problem.profiles[veh.profile][0])
    s1 = veh.shift[1] if veh.shift else BIG
    t, here = leave, veh.start
    for pos in range(len(order) + 1):
        for b in sorted((b for b in range(len(veh.breaks)) if where[b] == pos), key=lambda b: veh.breaks[b].window):
            lo, hi = veh.breaks[b].window
            t = max(t, lo)
            if t > hi:
                return None
            t += veh.breaks[b].duration
        if pos == len(order):
            break
        stop = problem.stops[order[pos]]
        t += int(D[here, stop.location])
        if stop.windows:
            opens = [max(t, a) for a, b in sorted(stop.windows) if b >= t]
            if not opens:
                return None
            t = opens[0]
        t += stop.service
        here = stop.location
    t += int(D[here, veh.end])
    return t if t <= s1 else None


def day_cost(problem: Problem, veh: Vehicle, visits: tuple[int, ...]) -> int | None:
    """Cheapest cost of a vehicle serving exactly these visits, any order, or None."""
    D, metres = (problem.durations, problem.distances) if veh.profile is None else problem.profiles[veh.profile]
    costs = np.asarray(D if problem.objective == "duration" else metres)
    s0, s1 = veh.shift or (0, BIG)
    best = None
    for order in itertools.permutations(visits):
        nodes = [veh.start] + [problem.stops[j].location for j in order] + [veh.end]
        cost = sum(int(costs[a, b]) for a, b in itertools.pairwise(nodes)) + veh.fixed_cost
        cost += sum(problem.preference_penalty for j in order
                    if problem.stops[j].preferred_vehicle not in (None, veh.id))
        for where in itertools.product(range(len(order) + 1), repeat=len(veh.breaks)):
            if end_time(problem, veh, order, where, s0) is None:
                continue
            overtime = 0
            if veh.max_work is not None:
                work = min(e - t0 for t0 in range(s0, s1 + 1)
                           if (e := end_time(problem, veh, order, where, t0)) is not None)
                if work > veh.max_work + veh.max_overtime:
                    continue
                overtime = max(0, work - veh.max_work)
            total = cost + veh.overtime_cost * overtime
            best = total if best is None else min(best, total)
    return best


def exhaustive(problem: Problem) -> tuple[int, int, int]:
    """Best (-required, -prize of optional visits, cost) over every assignment of visits to workers."""
    n = len(problem.stops)
    days: list[dict[int, int | None]] = []
    for veh in problem.vehicles:
        table: dict[int, int | None] = {}
        for mask in range(1 << n):
            visits = tuple(j for j in range(n) if mask >> j & 1)
            if any(not problem.stops[j].skills <= veh.skills for j in visits) or (
                    veh.capacity is not None and sum(problem.stops[j].demand for j in visits) > veh.capacity):
                table[mask] = None
            else:
                table[mask] = day_cost(problem, veh, visits) if visits else 0
        days.append(table)
    best: tuple[int, int, int] | None = None
    for who in itertools.product(range(len(problem.vehicles) + 1), repeat=n):
        masks = [sum(1 << j for j in range(n) if who[j] == v) for v in range(len(problem.vehicles))]
        costs = [days[v][mask] for v, mask in enumerate(masks)]
        if any(c is None for c in costs):
            continue
        served = [problem.stops[j] for j in range(n) if who[j] < len(problem.vehicles)]
        key = (-sum(s.required for s in served), -sum(s.prize for s in served if not s.required),
               sum(c or 0 for c in costs))
        best = key if best is None else min(best, key)
    assert best is not None
    return best


def found(problem: Problem, seed: int = 0) -> tuple[int, int, int]:
    sol = solve(problem, time_limit=1, seed=seed)
    assert sol.is_feasible()
    served = [problem.stops[problem.stop_index[s]] for r in sol.routes for s in r.stop_ids]
    return (-sum(s.required for s in served), -sum(s.prize for s in served if not s.required), sol.cost)


# seeds where the heuristic alone left a required or prize visit out although a plan with it
# exists (2005: a required visit fits once another moves to the other worker; 5067, 5087: a
# visit with prize 3), or (same_end=False) where a worker with breaks who ends elsewhere was
# used for a visit another worker serves for less, then a run of further seeds
SAME_END_2x4 = [2098, 2109, 2116, 2135, 2178, *range(2000, 2012)]
SAME_END_3x5 = [5019, 5049, 5067, 5070, 5085, 5087]
OPEN_2x4 = [10007, 10013, 10135, *range(10000, 10006)]
OPEN_NO_TRIANGLE_2x4 = [20010, 20016, 20038, 20147, 20185, 20288]


@pytest.mark.parametrize("seed", SAME_END_2x4)
def test_two_workers_four_visits_match_exhaustive_search(seed: int) -> None:
    problem = roster(seed, 4, 2, same_end=True)
    assert found(problem) == exhaustive(problem)


@pytest.mark.parametrize("seed", SAME_END_3x5)
def test_three_workers_five_visits_match_exhaustive_search(seed: int) -> None:
    problem = roster(seed, 5, 3, same_end=True)
    assert found(problem) == exhaustive(problem)


@pytest.mark.parametrize("seed", OPEN_2x4)
def test_workers_who_end_elsewhere_match_exhaustive_search(seed: int) -> None:
    problem = roster(seed, 4, 2, same_end=False)
    assert found(problem) == exhaustive(problem)


@pytest.mark.parametrize("seed", OPEN_NO_TRIANGLE_2x4)
def test_travel_times_without_the_triangle_inequality_match_exhaustive_search(seed: int) -> None:
    problem = roster(seed, 4, 2, same_end=False, closure=False)
    assert found(problem) == exhaustive(problem)
