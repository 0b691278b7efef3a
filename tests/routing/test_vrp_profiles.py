"""Tests of routing.vrp travel profiles: walkers and drivers on one roster.

Every solution is checked by ``assert_feasible`` of ``test_vrp`` (independent of
the module's own checker), which re-walks each route on its vehicle's own matrices.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np
import pytest
from test_vrp import H, assert_feasible, brute_force, city

from routing import _vrp_pyvrp
from routing import vrp as vrp_module
from routing.vrp import Break, Problem, ProblemError, Solution, Stop, Vehicle, solve

UNREACHABLE = 10**7  # what callers put for pairs with no path (routing.dayplan does the same)

# places: 0 office, 1-2 flats in the town centre, 3-4 outlying villages
WALK = np.array([
    [0, 300, 400, 6000, 6500],
    [300, 0, 200, 6000, 6500],
    [400, 200, 0, 5800, 6300],
    [6000, 6000, 5800, 0, 900],
    [6500, 6500, 6300, 900, 0],
])
DRIVE = np.array([  # slow in the centre (one-way streets, parking), fast out of town
    [0, 900, 900, 600, 700],
    [900, 0, 600, 1200, 1300],
    [900, 600, 0, 1200, 1300],
    [600, 1200, 1200, 0, 300],
    [700, 1300, 1300, 300, 0],
])


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small, fixed iteration budget so the heuristic is fast and never stopped by the clock."""
    monkeypatch.setattr(_vrp_pyvrp, "ITERATIONS_PER_SECOND_SQRT_CLIENTS", 150)


def team(walk: np.ndarray = WALK, drive: np.ndarray = DRIVE, *, who: tuple[str, ...] = ("walker", "driver"),
         stops: list[Stop] | None = None) -> Problem:
    """Base matrices are the car's; walking speed ~1.3 m/s, driving ~8 m/s."""
    fleet = {"walker": Vehicle("walker", 0, 0, shift=(8 * H, 17 * H), profile="walk"),
             "driver": Vehicle("driver", 0, 0, shift=(8 * H, 17 * H), profile="drive")}
    walk_m = np.minimum(walk * 13 // 10, UNREACHABLE)
    return Problem(drive, stops or [Stop(f"s{k}", k, service=1800) for k in range(1, 5)],
                   [fleet[w] for w in who], distances=drive * 8,
                   profiles={"walk": (walk, walk_m), "drive": (drive, drive * 8)})


def routes_of(sol: Solution) -> dict[str, list[str]]:
    return {r.vehicle_id: r.stop_ids for r in sol.routes}


# -- who serves what ------------------------------------------------------------------------


def test_walker_and_driver_each_serve_what_is_fast_for_them(quick: None) -> None:
    problem = team()
    sol = solve(problem, time_limit=10)
    assert_feasible(problem, sol)
    assert sol.solver == "pyvrp" and not sol.unassigned
    # walker: office-1-2-office 300+200+400 = 900 s; driver: office-3-4-office 600+300+700 = 1600 s.
    # The driver alone needs 3700 s (e.g. 900+600+1200+300+700), any split giving the walker a
    # village costs 6000 s or more, walker {1} + driver {2, 3, 4} = 600 + 3100: 2500 s is the optimum.
    got = routes_of(sol)
    assert sorted(got["walker"]) == ["s1", "s2"] and sorted(got["driver"]) == ["s3", "s4"]
    assert sol.cost == 2500 and sol.travel_time == 2500
    walker = next(r for r in sol.routes if r.vehicle_id == "walker")
    assert walker.travel_time == 900 and walker.distance == 390 + 260 + 520  # walking metres
    assert sol.distance == 1170 + 1600 * 8


def test_driver_alone_on_base_matrices_serves_everything_at_the_drive_optimum() -> None:
    # the same stops with only the driver, once on the "drive" profile, once on the base
    # matrices (profile None): both are the car's, so the exact day is the same
    on_profile = team(who=("driver",))
    base = Problem(DRIVE, on_profile.stops, [Vehicle("driver", 0, 0, shift=(8 * H, 17 * H))], distances=DRIVE * 8)
    a, b = solve(on_profile, time_limit=5), solve(base, time_limit=5)
    assert_feasible(on_profile, a)
    assert a.solver == "exact" and a.cost == b.cost == 3700 and not a.unassigned


def brute_force_team(problem: Problem) -> int:
    """Least travel over every split of the stops between the vehicles and every order
    (wide shifts, no windows), each vehicle on its own matrix."""
    stops, fleet = problem.stops, problem.vehicles
    mats = [np.asarray(problem.profiles[v.profile][0]) if v.profile else problem.durations for v in fleet]

    def tour(k: int, subset: tuple[int, ...]) -> int:
        if not subset:
            return 0
        best = None
        for order in itertools.permutations(subset):
            nodes = [fleet[k].start] + [stops[j].location for j in order] + [fleet[k].end]
            c = sum(int(mats[k][a, b]) for a, b in itertools.pairwise(nodes))
            best = c if best is None else min(best, c)
        assert best is not None
        return best

    return min(sum(tour(k, tuple(j for j in range(len(stops)) if who[j] == k)) for k in range(len(fleet)))
               for who in itertools.product(range(len(fleet)), repeat=len(stops)))


@pytest.mark.parametrize("seed", range(3))
def test_mixed_team_matches_brute_force(quick: None, seed: int) -> None:
    rng = random.Random(seed)
    drive, _ = city(7, rng)
    walk, _ = city(7, rng, size=4000)
    walk = walk * 4  # a walker is slower but lives elsewhere in a denser pattern
    stops = [Stop(f"s{j}", j + 1, service=600) for j in range(6)]
    fleet = [Vehicle("walker", 0, 0, shift=(7 * H, 20 * H), profile="walk"),
             Vehicle("driver", 0, 0, shift=(7 * H, 20 * H), profile="drive")]
    problem = Problem(drive, stops, fleet, profiles={"walk": (walk, None), "drive": (drive, None)})
    sol = solve(problem, time_limit=10)
    assert_feasible(problem, sol)
    assert not sol.unassigned and sol.cost == brute_force_team(problem)


# -- unreachable places ---------------------------------------------------------------------


def farm_problem(who: tuple[str, ...], windows: tuple[tuple[int, int], ...] = ()) -> Problem:
    # place 5: a farm up a track no path leads to on foot
    walk = np.full((6, 6), UNREACHABLE)
    walk[:5, :5] = WALK
    walk[5, 5] = 0
    drive = np.zeros((6, 6), dtype=np.int64)
    drive[:5, :5] = DRIVE
    drive[5, :5] = drive[:5, 5] = [1500, 1800, 1800, 1200, 1100]
    stops = [Stop(f"s{k}", k, service=1800) for k in (1, 2)] + [Stop("farm", 5, service=1800, windows=windows)]
    return team(walk, drive, who=who, stops=stops)


def test_place_unreachable_on_foot_goes_to_the_driver(quick: None) -> None:
    problem = farm_problem(("walker", "driver"))
    sol = solve(problem, time_limit=10)
    assert_feasible(problem, sol)
    assert not sol.unassigned
    assert routes_of(sol)["driver"] == ["farm"] and sorted(routes_of(sol)["walker"]) == ["s1", "s2"]
    assert sol.cost == 900 + 1500 + 1500 and sol.distance == 1170 + 3000 * 8


@pytest.mark.parametrize("windows", [(), ((10 * H, 11 * H),)])
def test_place_unreachable_for_the_only_worker_is_explained(windows: tuple[tuple[int, int], ...]) -> None:
    problem = farm_problem(("walker",), windows)
    sol = solve(problem, time_limit=5)
    assert_feasible(problem, sol)
    assert sol.solver == "exact" and sorted(routes_of(sol)["walker"]) == ["s1", "s2"] and sol.cost == 900
    assert sol.unassigned == {"farm": "unreachable for worker walker: walk travel from its start takes 2777h46, "
                                      "longer than its whole day (9h00)"}


def test_way_back_unreachable_is_explained() -> None:
    walk = np.array([[0, 600], [UNREACHABLE, 0]])  # e.g. a one-way ferry
    problem = Problem(walk, [Stop("island", 1)], [Vehicle("w", 0, 0, shift=(8 * H, 16 * H), max_work=6 * H,
                                                          profile="walk")], profiles={"walk": (walk, None)})
    sol = solve(problem, time_limit=5)
    assert sol.unassigned == {"island": "unreachable for worker w: walk travel back to its end takes 2777h46, "
                                        "longer than its whole day (6h00)"}


def test_reason_comes_from_the_vehicle_that_got_furthest() -> None:
    # the driver can reach the farm but not within its window; the walker cannot reach it at all
    problem = farm_problem(("walker", "driver"), ((8 * H, 8 * H + 600),))
    sol = solve(problem, time_limit=10)
    assert_feasible(problem, sol)
    assert sol.unassigned["farm"].startswith("window: earliest arrival 08:25 (worker driver")


# -- the exact solver and the PyVRP model ---------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_exact_day_on_a_profile_matches_brute_force(seed: int) -> None:
    rng = random.Random(100 + seed)
    n = 5
    base, _ = city(n + 1, rng, size=6000)
    walk, _ = city(n + 1, rng, size=3000)  # a different town: the base matrix would give other days
    stops = []
    for j in range(n):
        windows: tuple[tuple[int, int], ...] = ()
        if rng.random() < 0.6:
            a = rng.randrange(8 * H, 13 * H, 300)
            windows = ((a, a + rng.choice([900, 1800, 3600])),)
        stops.append(Stop(f"s{j}", j + 1, service=rng.choice([900, 1800, 2700]), windows=windows,
                          required=rng.random() < 0.8, prize=rng.randint(0, 3)))
    breaks = (Break((12 * H, 13 * H), 1800),) if seed % 2 else ()
    veh = Vehicle("w", 0, 0, shift=(8 * H, 8 * H + rng.choice([5, 6]) * H), breaks=breaks, profile="walk")
    problem = Problem(base, stops, [veh], profiles={"walk": (walk, None)})
    sol = solve(problem, time_limit=2)
    assert_feasible(problem, sol)
    assert sol.solver == "exact" and sol.optimal
    served = [problem.stops[problem.stop_index[s]] for r in sol.routes for s in r.stop_ids]
    got = (-sum(s.required for s in served), -sum(s.prize for s in served), sol.cost)
    assert got == brute_force(problem)


def test_pyvrp_profiles_are_built_from_each_types_own_matrices() -> None:
    walk_m = WALK * 13 // 10
    fleet = [Vehicle("walk1", 0, 0, profile="walk"), Vehicle("walk2", 0, 0, profile="walk"),
             Vehicle("drive1", 0, 0, profile="drive"), Vehicle("base", 0, 0)]
    stops = [Stop(f"s{k}", k) for k in range(1, 5)]
    # distance objective: a type's PyVRP distances are its own metres
    problem = Problem(DRIVE * 2, stops, fleet, distances=DRIVE * 16, objective="distance",
                      profiles={"walk": (WALK, walk_m), "drive": (DRIVE, DRIVE * 8)})
    everyone = {j: [0, 1, 2, 3] for j in range(4)}
    model = _vrp_pyvrp.build(problem, range(4), everyone, [0, 1, 2, 3])
    data = model.data
    # the two walkers share a type; walker, driver and base vehicle each have a type and a profile
    assert model.type_vehicles == [[0, 1], [2], [3]]
    assert data.num_profiles == 3
    places = [0, 1, 2, 3, 4]  # PyVRP locations: the depot, then the stops in order
    for vt, (mins, metres) in enumerate([(WALK, walk_m), (DRIVE, DRIVE * 8), (DRIVE * 2, DRIVE * 16)]):
        profile = data.vehicle_type(vt).profile
        assert np.array_equal(data.duration_matrix(profile), mins[np.ix_(places, places)])
        assert np.array_equal(data.distance_matrix(profile), metres[np.ix_(places, places)])


def mixed_roster(n: int, seed: int) -> Problem:
    """Walkers and drivers with breaks, windows (some two), skills and preferences."""
    rng = random.Random(seed)
    drive, metres = city(n + 2, rng)
    walk = drive * 3
    stops = []
    for j in range(n):
        windows: tuple[tuple[int, int], ...] = ()
        if rng.random() < 0.4:
            a = rng.randrange(9 * H, 13 * H, 300)
            windows = ((a, a + H),) + (((a + 3 * H, a + 4 * H),) if rng.random() < 0.5 else ())
        stops.append(Stop(f"s{j}", j + 2, service=rng.choice([900, 1800]), windows=windows,
                          skills=frozenset({"nurse"}) if rng.random() < 0.2 else frozenset(),
                          preferred_vehicle=f"w{rng.randrange(4)}" if rng.random() < 0.5 else None))
    lunch = (Break((12 * H, 14 * H), 1800),)
    fleet = [Vehicle(f"w{k}", k % 2, k % 2, shift=(8 * H, 17 * H), breaks=lunch, max_work=8 * H, max_overtime=H,
                     overtime_cost=2, skills=frozenset({"nurse"}) if k < 2 else frozenset(),
                     profile="walk" if k % 2 else "drive") for k in range(4)]
    return Problem(drive, stops, fleet, distances=metres, preference_penalty=900,
                   profiles={"walk": (walk, metres), "drive": (drive, metres)})


@pytest.mark.parametrize("two_phases", [False, True])
def test_breaks_windows_and_preferences_on_a_mixed_roster(quick: None, monkeypatch: pytest.MonkeyPatch,
                                                           two_phases: bool) -> None:
    if two_phases:
        monkeypatch.setattr(_vrp_pyvrp, "BREAK_CLIENTS_MAX", 0)
    problem = mixed_roster(20, seed=3)
    sol = solve(problem, time_limit=20)
    assert_feasible(problem, sol)
    assert sol.stats["phases"] == (2 if two_phases else 1) and not sol.unassigned
    assert all(len(r.breaks) == 1 and 12 * H <= r.breaks[0].start <= 14 * H for r in sol.routes)
    nurses = {s.id for s in problem.stops if s.skills}
    assert all(nurses.isdisjoint(r.stop_ids) for r in sol.routes if r.vehicle_id in ("w2", "w3"))


def test_heuristic_with_a_profile_reaches_the_exact_optimum(quick: None, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    base, _ = city(9, rng)
    walk, _ = city(9, rng, size=5000)
    stops = [Stop(f"s{j}", j + 1, service=1200) for j in range(8)]
    problem = Problem(base, stops, [Vehicle("w", 0, 0, shift=(8 * H, 18 * H), breaks=(Break((12 * H, 13 * H), 1800),),
                                            profile="walk")], profiles={"walk": (walk, None)})
    exact = solve(problem, time_limit=5)
    monkeypatch.setattr(vrp_module, "EXACT_MAX_STOPS", 0)
    heuristic = solve(problem, time_limit=20)
    assert_feasible(problem, heuristic)
    assert exact.solver == "exact" and heuristic.solver == "pyvrp"
    assert heuristic.cost == exact.cost


# -- the API --------------------------------------------------------------------------------


def test_accessors_give_each_vehicles_matrices() -> None:
    problem = team(who=("walker", "driver"))
    base = Problem(DRIVE, [], [Vehicle("car", 0, 0)], distances=DRIVE * 8, objective="distance")
    assert np.array_equal(problem.durations_of(0), WALK) and np.array_equal(problem.durations_of(1), DRIVE)
    assert np.array_equal(problem.distances_of(0), WALK * 13 // 10)
    assert np.array_equal(problem.costs_of(0), WALK)  # objective "duration"
    assert np.array_equal(base.costs_of(0), DRIVE * 8) and base.distances_of(0) is base.distances
    assert np.array_equal(problem.durations, DRIVE)  # the base matrices keep their meaning
    assert sorted(problem.profiles) == ["drive", "walk"]


def parts() -> tuple[np.ndarray, list[Stop], list[Vehicle]]:
    return DRIVE, [Stop("a", 1), Stop("b", 2)], [Vehicle("w", 0, 0, profile="walk")]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"profiles": {"walk": (WALK[:4, :4], None)}}, r"profiles\['walk'\]\.durations: shape \(4, 4\) differs"),
    ({"profiles": {"walk": (WALK - 500, None)}}, r"profiles\['walk'\]\.durations: contains negative values"),
    ({"profiles": {"walk": (WALK + 0.5, None)}}, r"profiles\['walk'\]\.durations: must hold integers"),
    ({"profiles": {"walk": (np.where(WALK > 6000, np.inf, WALK), None)}}, r"profiles\['walk'\]\.durations"),
    ({"profiles": {"walk": (WALK, None)}, "distances": DRIVE}, r"profiles\['walk'\]\.distances: required"),
    ({"profiles": {"walk": (WALK, None)}, "distances": DRIVE, "objective": "distance"},
     r"profiles\['walk'\]\.distances: required"),
    ({"profiles": {"walk": (WALK, WALK)}}, r"profiles\['walk'\]\.distances: given, but the problem has no distances"),
    ({"profiles": {"walk": (WALK, WALK[:2, :2])}, "distances": DRIVE},
     r"profiles\['walk'\]\.distances: shape \(2, 2\)"),
    ({"profiles": {"walk": WALK}}, r"profiles\['walk'\]: must be a \(durations, distances\) pair"),
    ({"profiles": {"": (WALK, None)}}, r"profiles\[''\]: a profile name must be a non-empty string"),
    ({"profiles": [("walk", (WALK, None))]}, r"profiles: must be a mapping"),
    ({"profiles": {"drive": (DRIVE, None), "bike": (DRIVE, None)}},
     r"vehicles\[0\]\.profile: unknown profile 'walk' \(profiles: bike, drive\)$"),
    ({}, r"vehicles\[0\]\.profile: unknown profile 'walk' \(profiles: none given\)$"),
])
def test_invalid_profiles_name_the_field(kwargs: dict[str, Any], message: str) -> None:
    d, s, v = parts()
    with pytest.raises(ProblemError, match=r"^" + message):
        Problem(d, s, v, **kwargs)


def test_unknown_vehicle_profile_message() -> None:
    vehicles = [Vehicle(f"w{k}", 0, 0, profile="walk") for k in range(3)] + [Vehicle("w3", 0, 0, profile="bike")]
    with pytest.raises(ProblemError) as err:
        Problem(DRIVE, [], vehicles, profiles={"walk": (WALK, None), "drive": (DRIVE, None)})
    assert str(err.value) == "vehicles[3].profile: unknown profile 'bike' (profiles: drive, walk)"
