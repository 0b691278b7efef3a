"""Plan routes for workers on integer matrices: ``Problem`` in, ``Solution`` out.

Geography-free and deterministic: travel times (seconds) and distances (metres)
are integer square matrices indexed by ``Stop.location``, ``Vehicle.start`` and
``Vehicle.end``; building them from a road network happens outside this module.
One roster can mix ways of travelling (workers who walk and workers who drive):
``Problem.profiles`` holds further matrices between the same places, by name,
and each vehicle travels on its ``Vehicle.profile`` (None: the base matrices).
Unreachable pairs are a large finite number (e.g. 10**7 s), never infinity.

Rules of a route (every component - exact solver, heuristic, checker - uses these)
-------------------------------------------------------------------------------
* Times are integer seconds on one clock (e.g. since midnight of the plan day).
* A vehicle (worker) leaves ``start`` no earlier than its shift start (time 0
  when it has no shift), visits its stops in order and must reach ``end`` no
  later than its shift end. Travel from ``a`` to ``b`` takes the vehicle's
  profile's ``durations[a][b]`` (``Problem.durations_of(v)``; the base
  ``durations`` when ``Vehicle.profile`` is None), and covers its
  ``distances[a][b]``.
* Service of a stop starts at or after arrival and, if the stop has windows,
  at a time inside one of them: a window ``(earliest_start, latest_start)``
  bounds the *start* of service. Waiting for a window is allowed (the worker
  waits on arrival). Service lasts ``Stop.service``; the worker then leaves
  (``Route.departures`` is the end of service).
* A break is taken where the worker is: at the start before leaving, or right
  after a visit, never during travel. It starts at or after the moment the
  worker is free there (waiting for its window is allowed), at a time inside
  ``Break.window`` (bounds on the break's start), and lasts ``Break.duration``;
  the next leg starts when it ends. A vehicle that serves at least one stop
  takes every one of its breaks; an unused vehicle takes none.
* Working time is ``end_time - start_time`` of the route, including service,
  waiting and breaks. The reported schedule leaves the start as late as
  possible without making the working time longer: it is the earliest of the
  departures that give the smallest working time, and every visit is served
  in its earliest window still open. ``Vehicle.max_work`` is the normal
  working time; up to ``max_overtime`` seconds more are allowed, each costing
  ``overtime_cost``; more is infeasible.
* Capacity: the demands of a route's stops sum to at most ``Vehicle.capacity``.
  Skills: a vehicle serves a stop only if its skills include the stop's (hard).

Objective
---------
Serve as many required stops as possible; then collect as much prize from
optional stops as possible; then minimise cost. Cost is, over used vehicles,
the sum of the leg values of the vehicle's cost matrix ``Problem.costs_of(v)``
(its profile's travel time for ``objective="duration"``, waiting is not travel;
its profile's metres for ``"distance"``) plus ``Vehicle.fixed_cost``,
``overtime_cost`` per second of overtime and ``Problem.preference_penalty``
for every stop served by a vehicle other than its ``preferred_vehicle`` (also
when that vehicle is not in the problem).
Among equal days the exact solver prefers the one that finishes earlier.

Stops that are not served are in ``Solution.unassigned`` with a reason. Each
stop is first checked against every vehicle with the rules that hold whatever
else the worker does (:mod:`routing._vrp_precheck`: skills, capacity, and on
the shortest travel there and back: reachable, window, shift, working-time
cap); stops no vehicle passes get the reason of the rule that failed (a leg
longer than a vehicle's whole day is ``"unreachable for worker ..."``; reasons
say "worker" for a vehicle, as users read them). Breaks are left to the
solvers, since another visit can give the worker a place to take one. The
others go to a solver; those it cannot fit get ``"no room: ..."`` (proven for
the exact solver, as found by the heuristic otherwise), which says when even
a day of its own leaves the worker no place for a break.

Solvers
-------
* When only one vehicle can serve any stop and at most ``EXACT_MAX_STOPS``
  stops remain: an exact dynamic programme (:mod:`routing._vrp_exact`),
  ``Solution.optimal`` is True. Its effort is capped (in labels, in proportion
  to ``time_limit``); a day over the cap goes to the heuristic.
* Otherwise PyVRP's iterated local search (:mod:`routing._vrp_pyvrp`), whose
  routes of at most ten stops are then re-ordered exactly; ``optimal`` is
  False. See that module for how windows, skills, preferences and breaks are
  modelled and how the run is made repeatable. Required and prize stops it
  left out are then placed where a worker's day takes them, re-ordered
  exactly, or where one visit moving over (or two trading places) between two
  workers' exact days makes room (:mod:`routing._vrp_repair`, on a label
  budget in proportion to ``time_limit``; ``Solution.stats["repaired"]``
  counts them); the solution is then checked against every rule
  (:meth:`Solution.violations`).

Either way the plans become ``Route`` objects the same way (:func:`make_route`);
the result types live in :mod:`routing._vrp_result` and are importable from here.

Same problem and seed give the same solution: the heuristic stops on an
iteration budget fixed by the problem's size and ``time_limit``; a wall-clock
cap at ``time_limit`` only guards against a much slower machine (then, and
only then, results may differ between runs; ``Solution.stats`` tells).
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy.typing as npt

from . import _vrp_precheck, _vrp_validate
from ._vrp_result import Route, Solution, TakenBreak, make_route
from ._vrp_schedule import INF
from ._vrp_validate import IntMatrix, ProblemError, int_field, matrix, merge_windows, pair, profiles_field, skill_set

__all__ = [
    "EXACT_MAX_STOPS",
    "Break",
    "Problem",
    "ProblemError",
    "Route",
    "Solution",
    "Stop",
    "TakenBreak",
    "Vehicle",
    "solve",
]

#: largest number of candidate stops a one-vehicle day is solved exactly for
EXACT_MAX_STOPS = 12


@dataclass(frozen=True)
class Break:
    """A break a worker takes during a used route.

    Parameters
    ----------
    window
        ``(earliest_start, latest_start)`` of the break, seconds.
    duration
        Length of the break, seconds.
    """

    window: tuple[int, int]
    duration: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "window", pair(self.window))


@dataclass(frozen=True)
class Stop:
    """A visit to serve.

    Parameters
    ----------
    id
        Unique name of the stop.
    location
        Row/column of the stop in the matrices.
    service
        Service time on site, seconds.
    windows
        ``(earliest_start, latest_start)`` pairs for the start of service,
        seconds; empty means any time. Overlapping windows are merged.
    demand
        Load taken by the visit, in the unit of ``Vehicle.capacity``.
    skills
        Skills the serving vehicle must have (all of them).
    preferred_vehicle
        Id of the vehicle that should serve it (continuity of care); serving it
        with another vehicle costs ``Problem.preference_penalty``.
    required
        Required stops are served whenever the solver can fit them; optional
        ones are served only when that collects prize.
    prize
        For optional stops, the priority of serving them (prize is maximised
        before cost is minimised; it is not traded against travel).
    """

    id: str
    location: int
    service: int = 0
    windows: tuple[tuple[int, int], ...] = ()
    demand: int = 0
    skills: frozenset[str] = frozenset()
    preferred_vehicle: str | None = None
    required: bool = True
    prize: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", tuple(pair(w) for w in self.windows))
        object.__setattr__(self, "skills", skill_set(self.skills))


@dataclass(frozen=True)
class Vehicle:
    """A worker and their day.

    Parameters
    ----------
    id
        Unique name of the vehicle.
    start, end
        Row/column of the start and end places in the matrices.
    shift
        ``(start, end)`` of the working day, seconds: leave the start no
        earlier, reach the end no later. None: from time 0, no end.
    capacity
        Largest total demand of a route; None for no limit.
    skills
        Skills of the worker.
    breaks
        Breaks to take when the vehicle is used.
    fixed_cost
        Cost of using the vehicle at all (e.g. a relief-bank worker), in
        objective units (seconds of travel, or metres).
    max_work
        Normal working time, seconds (``end_time - start_time``); None: no cap.
    max_overtime
        Seconds of working time allowed beyond ``max_work``.
    overtime_cost
        Cost per second of overtime, in objective units.
    profile
        Name of the travel profile (``Problem.profiles``) whose matrices this
        vehicle travels on, e.g. ``"walk"``; None: the problem's base
        ``durations`` and ``distances``.
    """

    id: str
    start: int
    end: int
    shift: tuple[int, int] | None = None
    capacity: int | None = None
    skills: frozenset[str] = frozenset()
    breaks: tuple[Break, ...] = ()
    fixed_cost: int = 0
    max_work: int | None = None
    max_overtime: int = 0
    overtime_cost: int = 0
    profile: str | None = None

    def __post_init__(self) -> None:
        if self.shift is not None:
            object.__setattr__(self, "shift", pair(self.shift))
        object.__setattr__(self, "skills", skill_set(self.skills))
        object.__setattr__(self, "breaks", tuple(self.breaks))


class Problem:
    """An immutable routing problem on integer matrices.

    Parameters
    ----------
    durations
        Square matrix of travel times, seconds (integers, >= 0, zero diagonal).
    stops
        Stops to serve.
    vehicles
        Vehicles (workers) available.
    distances
        Square matrix of distances, metres, same shape; needed for
        ``objective="distance"`` and to report route distances.
    objective
        ``"duration"``: minimise travel time; ``"distance"``: minimise distance.
    preference_penalty
        Cost of serving a stop with a vehicle other than its
        ``preferred_vehicle``, in objective units.
    profiles
        Travel profiles by name (e.g. ``"walk"``, ``"drive"``): ``(durations,
        distances)`` matrices between the same places, in seconds and metres,
        same shape as ``durations``; a vehicle travels on the profile named by
        ``Vehicle.profile``. A profile's distances are given exactly when the
        base ``distances`` are. Unreachable pairs are a large finite number
        (e.g. 10**7 s), as in the base matrices.

    Raises
    ------
    ProblemError
        (a ``ValueError``) naming the invalid field.
    """

    def __init__(self, durations: npt.ArrayLike, stops: Iterable[Stop], vehicles: Iterable[Vehicle],
                 distances: npt.ArrayLike | None = None,
                 objective: Literal["duration", "distance"] = "duration", *,
                 preference_penalty: int = 0,
                 profiles: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike | None]] | None = None) -> None:
        self.durations = matrix(durations, "durations")
        self.distances = None if distances is None else matrix(distances, "distances")
        if self.distances is not None and self.distances.shape != self.durations.shape:
            raise ProblemError(f"distances: shape {self.distances.shape} differs from durations "
                               f"shape {self.durations.shape}")
        if objective not in ("duration", "distance"):
            raise ProblemError(f"objective: must be 'duration' or 'distance', not {objective!r}")
        if objective == "distance" and self.distances is None:
            raise ProblemError("distances: required when objective='distance'")
        self.objective = objective
        self.preference_penalty = int_field(preference_penalty, "preference_penalty")
        self.profiles: Mapping[str, tuple[IntMatrix, IntMatrix | None]] = MappingProxyType(
            profiles_field(profiles, self.durations, self.distances))
        self.stops: tuple[Stop, ...] = tuple(stops)
        self.vehicles: tuple[Vehicle, ...] = tuple(vehicles)
        _vrp_validate.check_problem(self)
        self.costs = self._cost_matrix(self.durations, self.distances)
        # per vehicle: (durations, distances, costs) of the matrices it travels on
        travel: dict[str | None, tuple[IntMatrix, IntMatrix | None, IntMatrix]] = {
            name: (dur, dist, self._cost_matrix(dur, dist)) for name, (dur, dist) in self.profiles.items()}
        travel[None] = (self.durations, self.distances, self.costs)
        self._travel = [travel[v.profile] for v in self.vehicles]
        self.stop_index = {s.id: i for i, s in enumerate(self.stops)}
        self.vehicle_index = {v.id: i for i, v in enumerate(self.vehicles)}
        self._windows = [merge_windows(s.windows) for s in self.stops]

    def _cost_matrix(self, durations: IntMatrix, distances: IntMatrix | None) -> IntMatrix:
        costs = durations if self.objective == "duration" else distances
        assert costs is not None  # checked: distances are given for objective="distance"
        return costs

    def __repr__(self) -> str:
        extra = f", profiles={sorted(self.profiles)}" if self.profiles else ""
        return (f"Problem({self.durations.shape[0]} places, {len(self.stops)} stops, "
                f"{len(self.vehicles)} vehicles, objective={self.objective!r}{extra})")

    def durations_of(self, v: int) -> IntMatrix:
        """Travel times (seconds) vehicle ``v`` travels on: its profile's, else the base ``durations``."""
        return self._travel[v][0]

    def distances_of(self, v: int) -> IntMatrix | None:
        """Distances (metres) of vehicle ``v``'s travel: its profile's, else the base ``distances``."""
        return self._travel[v][1]

    def costs_of(self, v: int) -> IntMatrix:
        """Leg costs of vehicle ``v`` for the objective (its durations or distances), objective units."""
        return self._travel[v][2]

    def windows_of(self, j: int) -> tuple[tuple[int, int], ...]:
        """Merged, sorted windows of stop ``j``; one unbounded window if it has none."""
        return self._windows[j]

    def shift_of(self, v: int) -> tuple[int, int]:
        """Shift of vehicle ``v`` with defaults filled in: ``(0, "no end")`` if it has none."""
        shift = self.vehicles[v].shift
        return (0, INF) if shift is None else shift

    def preference_cost(self, j: int, v: int) -> int:
        """Penalty for serving stop ``j`` with vehicle ``v``."""
        pref = self.stops[j].preferred_vehicle
        return self.preference_penalty if pref is not None and pref != self.vehicles[v].id else 0


def solve(problem: Problem, *, time_limit: float, seed: int = 0) -> Solution:
    """Plan routes for a problem.

    Parameters
    ----------
    problem
        The problem.
    time_limit
        Wall-clock budget, seconds. Small days finish long before it.
    seed
        Seed of the heuristic; the same problem and seed give the same solution.

    Returns
    -------
    Solution
        Feasible routes; every stop not served is in ``unassigned`` with a reason.
    """
    t0 = time.perf_counter()
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem, not {type(problem).__name__}")
    if not (isinstance(time_limit, numbers.Real) and time_limit > 0 and math.isfinite(time_limit)):
        raise ValueError(f"time_limit: must be a positive number of seconds, not {time_limit!r}")
    reasons, candidates = _vrp_precheck.reasons(problem)
    plans: dict[int, tuple[list[int], list[tuple[int, int]]]] = {}
    stats: dict[str, Any] = {}
    solver, optimal = "none", True
    users = sorted({v for vs in candidates.values() for v in vs})
    if len(users) == 1 and len(candidates) <= EXACT_MAX_STOPS:
        from ._vrp_exact import plan_day

        # effort cap in labels (50,000-150,000 a second here), so a pathological
        # day hands over to the heuristic instead of overrunning the time limit
        day = plan_day(problem, users[0], sorted(candidates), max_labels=int(20_000 * time_limit) + 2_000)
        if day is not None:
            if day.visits:
                plans[users[0]] = (day.visits, day.breaks_at)
            solver = "exact"
        stats["exact_gave_up"] = day is None
    if candidates and solver == "none":
        from ._vrp_pyvrp import solve_heuristic
        from ._vrp_repair import REPAIR_LABELS_PER_SECOND, fill

        plans, more = solve_heuristic(problem, sorted(candidates), candidates, time_limit=time_limit, seed=seed,
                                      deadline=t0 + time_limit)
        stats.update(more)
        stats["repaired"] = fill(problem, plans, candidates, max_stops=EXACT_MAX_STOPS,
                                 max_labels=int(REPAIR_LABELS_PER_SECOND * time_limit))
        solver, optimal = "pyvrp", False
    served = {j for visits, _ in plans.values() for j in visits}
    for j in candidates:
        if j not in served:
            reasons[j] = _vrp_precheck.no_room(problem, j, candidates[j])
    routes = [make_route(problem, v, *plans[v]) for v in sorted(plans)]
    unassigned = {problem.stops[j].id: reasons[j] for j in sorted(reasons)}
    solution = Solution(routes=routes, unassigned=unassigned, cost=sum(r.cost for r in routes),
                        optimal=optimal, solver=solver, runtime=time.perf_counter() - t0, seed=seed,
                        problem=problem, stats=stats)
    if solver == "pyvrp":
        broken = solution.violations()
        if broken:
            raise AssertionError(f"internal error: the planned routes break the rules: {broken[0]}")
    return solution
