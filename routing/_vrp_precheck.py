"""Say, per stop, why it cannot be served, before any route is searched.

A stop is a *candidate* for a vehicle when that vehicle has its skills and
capacity and no rule that holds whatever else the worker does rules it out:

* *unreachable*: getting there from the start, or back to the end, takes
  longer than the vehicle's whole day (its shift, or its working-time cap);
* *window*: the earliest possible arrival is after the stop's latest start;
* *shift*: served as early as possible, the worker is still back after the
  shift end;
* *work*: travel there and back plus the service exceed the working-time cap.

Travel in these rules is the shortest way there and back through any of the
problem's places (a lower bound on every route's legs, also when the matrix
breaks the triangle inequality), so each rule is about the stop alone. Breaks
are deliberately *not* checked here: a break is taken where the worker is, so
a visit that leaves no room for lunch on its own may fit next to another visit
that gives the worker somewhere to take it. The solvers decide that, and
:func:`no_room` then says when the break was what did not fit.

For whole days, :func:`least_working_time` bounds from below the working time
of any order of given stops, so a day that cannot fit need not be searched.

Stops with no candidate vehicle get a reason naming the first rule that fails,
from the vehicle that got furthest; the solvers only see candidates. Each
vehicle is checked on its own travel matrices (``Problem.durations_of``).
Callers give unreachable pairs as a large finite travel time, so a leg longer
than the vehicle's whole day is reported as ``"unreachable: ..."`` for that
vehicle rather than as a missed window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._vrp_schedule import INF, best_break_positions, route_timing
from ._vrp_validate import clock

if TYPE_CHECKING:
    from .vrp import Break, Problem

# how far a one-stop check got for a vehicle, best last
_STAGES = ("unreachable", "window", "shift", "work", "ok")


def reasons(problem: Problem) -> tuple[dict[int, str], dict[int, list[int]]]:
    """Reasons for stops no vehicle can serve, and candidate vehicles of the others.

    Returns
    -------
    reasons
        Stop index -> reason in words.
    candidates
        Stop index -> indices of vehicles no stop-alone rule excludes (non-empty lists).
    """
    out: dict[int, str] = {}
    cands: dict[int, list[int]] = {}
    cache: dict[tuple[object, ...], tuple[str, str]] = {}
    legs = _ShortestLegs(problem)
    for j, stop in enumerate(problem.stops):
        if not problem.vehicles:
            out[j] = "no worker: nobody is available"
            continue
        skilled = [v for v, veh in enumerate(problem.vehicles) if stop.skills <= veh.skills]
        if not skilled:
            lacking = (f"{problem.vehicles[0].id} lacks" if len(problem.vehicles) == 1
                       else "no worker available has")
            out[j] = f"skills: needs {_set(stop.skills)}; {lacking} {_them(stop.skills)}"
            continue
        roomy = [v for v in skilled if problem.vehicles[v].capacity is None
                 or stop.demand <= (problem.vehicles[v].capacity or 0)]
        if not roomy:
            largest = max(problem.vehicles[v].capacity or 0 for v in skilled)
            out[j] = (f"capacity: demand {stop.demand} exceeds the largest capacity ({largest}) "
                      f"of the workers with the skills")
            continue
        ok: list[int] = []
        best: tuple[int, str] | None = None
        for v in roomy:
            key = (_vehicle_key(problem, v), stop.location, stop.service, problem.windows_of(j))
            if key not in cache:
                veh, dur = problem.vehicles[v], problem.durations_of(v)
                cache[key] = _one_stop(problem, v, j, int(dur[veh.start, stop.location]),
                                       int(dur[stop.location, veh.end]))
                if cache[key][0] != "ok":
                    # direct legs failed: decide on the shortest legs through other places
                    cache[key] = _one_stop(problem, v, j, legs.go(v, j), legs.back(v, j))
            stage, why = cache[key]
            if stage == "ok":
                ok.append(v)
            elif best is None or _STAGES.index(stage) > best[0]:
                best = (_STAGES.index(stage), why)
        if ok:
            cands[j] = ok
        else:
            assert best is not None
            out[j] = best[1]
    return out, cands


def no_room(problem: Problem, j: int, vehicles: list[int]) -> str:
    """Reason for a candidate stop (of the given vehicles) that the solver did not serve.

    Says which rule binds when the stop does not fit even a day of its own: the
    vehicle's breaks (no place to take them around this visit alone).
    """
    stop = problem.stops[j]
    alone = [v for v in vehicles if best_break_positions(problem, v, [j]) is not None]
    if not stop.required and stop.prize == 0:
        could = f" (could go with {_who(problem, alone)})" if alone else ""
        return f"optional: not served; it has no prize and would add cost{could}"
    together = "alongside the other visits within their windows, shifts, breaks and capacities"
    if alone:
        return f"no room: fits a day on its own (worker {_who(problem, alone)}) but not {together}"
    # fits no day of its own: is it only the breaks? (the visit without them is a feasible day)
    lunch = [v for v in vehicles if problem.vehicles[v].breaks and route_timing(problem, v, [j]) is not None]
    if lunch:
        veh = problem.vehicles[lunch[0]]
        others = f", and it does not fit {together}" if len(problem.stops) > 1 else ""
        return (f"no room: on its own it leaves worker {_who(problem, lunch)} no place to take "
                f"{_breaks(veh.breaks)}{others}")
    return f"no room: does not fit the day of worker {_who(problem, vehicles)} {together}"


def least_working_time(problem: Problem, v: int, stops: list[int]) -> int:
    """A lower bound (s) on the working time of any day of vehicle ``v`` that serves all of
    ``stops``, in any order: their service and the vehicle's breaks, plus, for the end and each
    stop, the shortest leg that can lead into it (each place is entered once, by its own leg)."""
    veh = problem.vehicles[v]
    places = np.asarray([veh.start] + [problem.stops[j].location for j in stops] + [veh.end], dtype=np.int64)
    legs = problem.durations_of(v)[np.ix_(places, places)].astype(np.int64)
    never = int(legs.max()) + 1
    np.fill_diagonal(legs, never)
    legs[-1, :] = never  # nothing leaves the end
    rest = sum(problem.stops[j].service for j in stops) + sum(b.duration for b in veh.breaks)
    return rest + int(legs[:, 1:].min(axis=0).sum())  # the start is entered by no leg


def longest_day(problem: Problem, v: int) -> int:
    """The longest working time (s) vehicle ``v`` may have: its shift, or its cap with overtime."""
    veh = problem.vehicles[v]
    s0, s1 = problem.shift_of(v)
    return s1 - s0 if veh.max_work is None else min(s1 - s0, veh.max_work + veh.max_overtime)


def _one_stop(problem: Problem, v: int, j: int, go: int, back: int) -> tuple[str, str]:
    """How far stop ``j`` gets against the stop-alone rules of vehicle ``v``, with the
    reason in words; ``go`` and ``back`` are the travel times there and back (seconds)."""
    veh, stop = problem.vehicles[v], problem.stops[j]
    s0, s1 = problem.shift_of(v)
    day = min(s1 - s0, INF if veh.max_work is None else veh.max_work + veh.max_overtime)
    if max(go, back) > day:
        leg, way = (go, "from its start") if go > day else (back, "back to its end")
        travel = f"{veh.profile} travel" if veh.profile is not None else "travel"
        return "unreachable", (f"unreachable for worker {veh.id}: {travel} {way} takes {_hours(leg)}, "
                               f"longer than its whole day ({_hours(day)})")
    arrive = s0 + go
    windows = problem.windows_of(j)
    latest = windows[-1][1]
    if arrive > latest:
        return "window", (f"window: earliest arrival {clock(arrive)} (worker {veh.id} leaving at "
                          f"{clock(s0)}) is after the latest start {clock(latest)}")
    begin = next(max(arrive, a) for a, b in windows if b >= arrive)
    home = begin + stop.service + back
    if home > s1:
        return "shift", (f"shift: back at the end {clock(home)} at the earliest, after the shift end "
                         f"{clock(s1)} of worker {veh.id}")
    if veh.max_work is not None:
        # leaving later avoids any wait for the window, so this is the least work of the visit
        need = go + stop.service + back
        cap = veh.max_work + veh.max_overtime
        if need > cap:
            return "work", (f"shift: needs {_hours(need)} of work (travel and service), more than the "
                            f"{_hours(cap)} allowed for worker {veh.id}")
    return "ok", ""


class _ShortestLegs:
    """Shortest travel times from each vehicle's start to every stop, and from every stop
    to its end, through any stop places (Dijkstra on the dense matrix, computed on demand)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.places = np.asarray(sorted({s.location for s in problem.stops}), dtype=np.int64)
        self.column = {int(p): i + 1 for i, p in enumerate(self.places)}
        self._cache: dict[tuple[str | None, int, bool], list[int]] = {}

    def go(self, v: int, j: int) -> int:
        veh = self.problem.vehicles[v]
        return self._from(v, veh.start, forward=True)[self.column[self.problem.stops[j].location]]

    def back(self, v: int, j: int) -> int:
        veh = self.problem.vehicles[v]
        return self._from(v, veh.end, forward=False)[self.column[self.problem.stops[j].location]]

    def _from(self, v: int, node: int, *, forward: bool) -> list[int]:
        key = (self.problem.vehicles[v].profile, node, forward)
        if key not in self._cache:
            nodes = np.concatenate([[node], self.places])
            sub = self.problem.durations_of(v)[np.ix_(nodes, nodes)].astype(np.int64)
            self._cache[key] = _dijkstra(sub if forward else sub.T)
        return self._cache[key]


def _dijkstra(mat: np.ndarray) -> list[int]:
    """Shortest path lengths from node 0 of a dense non-negative matrix (as Python ints)."""
    n = mat.shape[0]
    dist = mat[0].copy()
    dist[0] = 0
    done = np.zeros(n, dtype=bool)
    done[0] = True
    top = np.iinfo(np.int64).max
    for _ in range(n - 1):
        u = int(np.argmin(np.where(done, top, dist)))
        if done[u]:
            break
        done[u] = True
        np.minimum(dist, dist[u] + mat[u], out=dist)
    return [int(x) for x in dist]


def _vehicle_key(problem: Problem, v: int) -> tuple[object, ...]:
    veh = problem.vehicles[v]
    return (veh.start, veh.end, veh.shift, veh.max_work, veh.max_overtime, veh.profile)


def _who(problem: Problem, vehicles: list[int]) -> str:
    return ", ".join(problem.vehicles[v].id for v in vehicles[:3]) + (", ..." if len(vehicles) > 3 else "")


def _breaks(breaks: tuple[Break, ...]) -> str:
    return " and ".join(f"a {round(b.duration / 60)}-minute break starting {clock(b.window[0])}-{clock(b.window[1])}"
                        for b in breaks)


def _set(skills: frozenset[str]) -> str:
    return ", ".join(sorted(skills))


def _them(skills: frozenset[str]) -> str:
    return "it" if len(skills) == 1 else "all of them"


def _hours(t: int) -> str:
    h, rem = divmod(int(t), 3600)
    return f"{h}h{rem // 60:02d}"
