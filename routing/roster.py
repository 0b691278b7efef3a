"""A team's day: every available worker's visits planned at once, on real roads.

Who sees whom and in what order, with each worker's shift, start and end (home or
hub), lunch, skills (hard), travel mode (walkers and drivers in one plan: each
worker travels on their own mode's network), continuity of care (a soft preference
for each client's usual worker, weighted in seconds of travel), relief-bank workers
(used only when it pays: they carry a fixed cost), and fairness (no worker far over
their contracted hours: overtime beyond ``max_work_s`` is costly and capped).

Every visit that does not go to its usual worker is explained: absent, a skill the
usual worker lacks, no room in the usual worker's day, or the travel it saves.
Times are local datetimes of the plan day; durations are seconds; coordinates
lon/lat (EPSG:4326).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx

from routing import vrp
from routing._vrp_exact import plan_day
from routing._vrp_precheck import least_working_time, longest_day
from routing._vrp_result import make_route
from routing._vrp_schedule import best_break_positions
from routing.dayplan import (
    MAX_SNAP_M,
    UNREACHABLE,
    DayClock,
    DayPlan,
    LunchBreak,
    VisitRequest,
    break_for,
    day_plan_from_route,
    far_reason,
    place_network,
    stop_for,
)

#: Seconds of travel a visit away from its usual worker is worth avoiding (default).
CONTINUITY_WEIGHT_S = 900
#: Cost of using a relief-bank worker at all, in seconds of travel.
RELIEF_COST_S = 3600
#: Overtime beyond contracted daily hours: cost per second and the hard cap.
OVERTIME_COST = 2
MAX_OVERTIME_S = 3600


@dataclass(frozen=True)
class RosterWorker:
    """A worker who may be given visits. ``start``/``end`` are ``(lon, lat)``;
    ``max_work_s`` is the contracted working time for the day (None: the shift)."""

    id: str
    start: tuple[float, float]
    shift: tuple[dt.datetime, dt.datetime]
    end: tuple[float, float] | None = None
    mode: str = "drive"
    skills: frozenset[str] = frozenset()
    breaks: tuple[LunchBreak, ...] = ()
    max_work_s: int | None = None
    relief: bool = False


@dataclass(frozen=True)
class RosterVisit:
    """A visit due, and the client's usual worker (None: no preference)."""

    visit: VisitRequest
    usual_worker: str | None = None


@dataclass(frozen=True)
class Change:
    """A visit that does not go to its usual worker, and why.

    ``reason`` is one of ``absent``, ``skill``, ``unreachable``, ``no room``,
    ``hours``, ``travel saved``, ``team travel``; ``detail`` says it in words.
    """

    visit_id: str
    usual_worker: str
    worker: str | None
    reason: str
    detail: str


@dataclass
class Roster:
    """The team's planned day. ``days`` holds a plan per worker given visits."""

    date: dt.date
    days: dict[str, DayPlan]
    unassigned: dict[str, str]
    changes: list[Change]
    continuity: float
    kept: int
    with_usual: int
    travel_time_s: int
    distance_m: int
    optimal: bool
    solver: str
    modes: list[str] = field(default_factory=list)  #: travel modes of the workers who were planned
    settings: dict[str, object] = field(default_factory=dict)


def plan_roster(graphs: nx.MultiDiGraph | Mapping[str, nx.MultiDiGraph], visits: Sequence[RosterVisit],
                workers: Sequence[RosterWorker], *, date: dt.date, absent: Collection[str] = (),
                continuity_weight_s: int = CONTINUITY_WEIGHT_S, relief_cost_s: int = RELIEF_COST_S,
                overtime_cost: int = OVERTIME_COST, max_overtime_s: int = MAX_OVERTIME_S,
                max_snap_m: float = MAX_SNAP_M, time_limit: float = 20.0, seed: int = 0) -> Roster:
    """Plan every available worker's day at once.

    Parameters
    ----------
    graphs
        A road graph, or one per travel mode (``{"drive": G1, "walk": G2}``); each
        worker travels on the graph of their ``mode``.
    visits
        The visits due on ``date``, with each client's usual worker.
    workers
        Every worker; those in ``absent`` get no visits (their clients' visits go to
        others, or to relief-bank workers).
    date
        The plan day (shifts and windows are on it).
    absent
        Ids of workers on leave or off sick that day.
    continuity_weight_s
        Seconds of extra travel worth spending to keep a visit with the usual worker.
    relief_cost_s, overtime_cost, max_overtime_s
        Cost of calling in a relief-bank worker; cost per second of overtime beyond a
        worker's ``max_work_s`` and its hard cap (seconds).
    max_snap_m
        Visits further than this from a mode's roads cannot be reached on that mode.
    time_limit, seed
        Solver budget (seconds) and seed: the same inputs and seed give the same roster.
    """
    graph_of = dict(graphs) if isinstance(graphs, Mapping) else {w.mode: graphs for w in workers}
    available = [w for w in workers if w.id not in absent]
    missing = sorted({w.mode for w in available} - set(graph_of))
    if missing:
        raise ValueError(f"workers: no road graph for mode {missing[0]!r} (graphs for: {', '.join(graph_of)})")
    if not available:
        return _empty(date, visits, {rv.visit.id: "no worker is available that day" for rv in visits}, absent)
    clock = DayClock(dt.datetime.combine(date, dt.time(0), tzinfo=available[0].shift[0].tzinfo))
    places = _Places()
    homes = {w.id: (places.add(w.start), places.add(w.end or w.start)) for w in available}
    visit_place = {rv.visit.id: places.add((rv.visit.lon, rv.visit.lat)) for rv in visits}
    nets = {mode: place_network(graph_of[mode], places.points, mode=mode, max_snap_m=max_snap_m)
            for mode in sorted({w.mode for w in available})}
    unassigned: dict[str, str] = {}
    stops, requests = [], {}
    for rv in visits:
        k = visit_place[rv.visit.id]
        if nets and all(net.far[k] for net in nets.values()):
            unassigned[rv.visit.id] = far_reason(float(min(net.snap_m[k] for net in nets.values())), max_snap_m)
            continue
        requests[rv.visit.id] = (rv.visit, k)
        stops.append(stop_for(rv.visit, k, clock, preferred=rv.usual_worker))
    base = next(iter(nets.values()))
    vehicles = [vrp.Vehicle(id=w.id, start=homes[w.id][0], end=homes[w.id][1],
                            shift=(clock.seconds(w.shift[0]), clock.seconds(w.shift[1])), skills=w.skills,
                            breaks=tuple(break_for(b, clock) for b in w.breaks),
                            fixed_cost=relief_cost_s if w.relief else 0, max_work=w.max_work_s,
                            max_overtime=max_overtime_s if w.max_work_s is not None else 0,
                            overtime_cost=overtime_cost, profile=w.mode)
                for w in available]
    problem = vrp.Problem(base.durations, stops, vehicles, distances=base.distances,
                          preference_penalty=continuity_weight_s,
                          profiles={mode: (net.durations, net.distances) for mode, net in nets.items()})
    solution = vrp.solve(problem, time_limit=time_limit, seed=seed)
    unassigned.update(solution.unassigned)
    routes = {r.vehicle_id: r for r in solution.routes}
    days = {}
    for w in available:
        if w.id in routes and routes[w.id].stop_ids:
            start, end = homes[w.id]
            days[w.id] = day_plan_from_route(nets[w.mode], routes[w.id], solution, clock=clock,
                                             requests=requests, start=(places.points[start], start),
                                             end=(places.points[end], end), unassigned={})
    assigned = {vid: wid for wid, r in routes.items() for vid in r.stop_ids}
    changes = explain_changes(problem, solution, visits, assigned, absent=set(absent),
                              workers={w.id: w for w in workers})
    with_usual = [rv for rv in visits if rv.usual_worker and rv.visit.id in assigned]
    kept = sum(assigned[rv.visit.id] == rv.usual_worker for rv in with_usual)
    return Roster(date, days, unassigned, changes, kept / len(with_usual) if with_usual else 1.0, kept,
                  len(with_usual), sum(d.travel_time_s for d in days.values()),
                  sum(d.distance_m for d in days.values()), solution.optimal, solution.solver, sorted(nets),
                  {"continuity_weight_s": continuity_weight_s, "relief_cost_s": relief_cost_s,
                   "overtime_cost": overtime_cost, "max_overtime_s": max_overtime_s, "seed": seed,
                   "time_limit": time_limit})


class _Places:
    """Distinct points of the day (starts, ends, visits), each with a matrix index."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []
        self._index: dict[tuple[float, float], int] = {}

    def add(self, point: tuple[float, float]) -> int:
        key = (round(point[0], 7), round(point[1], 7))
        if key not in self._index:
            self._index[key] = len(self.points)
            self.points.append(key)
        return self._index[key]


def explain_changes(problem: vrp.Problem, solution: vrp.Solution, visits: Sequence[RosterVisit],
                    assigned: Mapping[str, str], *, absent: set[str],
                    workers: Mapping[str, RosterWorker]) -> list[Change]:
    """Why each visit with a usual worker went to someone else (or nobody)."""
    routes = {r.vehicle_id: r for r in solution.routes}
    changes = []
    for rv in visits:
        usual, vid = rv.usual_worker, rv.visit.id
        if not usual or assigned.get(vid) == usual:
            continue
        worker = assigned.get(vid)
        if usual in absent:
            reason, detail = "absent", f"{usual} is absent"
        elif usual not in problem.vehicle_index:
            reason, detail = "absent", f"{usual} is not working that day"
        elif rv.visit.skills - workers[usual].skills:
            need = ", ".join(sorted(rv.visit.skills - workers[usual].skills))
            reason, detail = "skill", f"needs {need}; {usual} does not have it"
        else:
            reason, detail = _cost_of_keeping(problem, routes, vid, usual, worker)
        changes.append(Change(vid, usual, worker, reason, detail))
    return changes


def _cost_of_keeping(problem: vrp.Problem, routes: Mapping[str, vrp.Route], visit_id: str, usual: str,
                     worker: str | None) -> tuple[str, str]:
    """Why a visit is not in its usual worker's day, decided with the exact one-worker solver.

    The usual worker's planned visits plus this one are solved exactly as a day of
    their own (same travel, shift, lunch and hours). No day serves them all: "no
    room", or "hours" when a day without the working-time cap would. Otherwise
    keeping it is weighed as the planner weighs it: the travel (and overtime) it
    adds to the usual worker's day against what it saves the worker who has it
    (their day without it, also solved exactly) and the continuity weight. Days of
    more than ``vrp.EXACT_MAX_STOPS`` visits fall back to the cheapest insertion into
    the current order, said as an estimate.
    """
    v, j = problem.vehicle_index[usual], problem.stop_index[visit_id]
    durations = problem.durations_of(v)
    location = problem.stops[j].location
    veh = problem.vehicles[v]
    if durations[veh.start, location] >= UNREACHABLE or durations[location, veh.end] >= UNREACHABLE:
        return "unreachable", f"{usual} cannot reach the client by {veh.profile or 'their mode'}"
    current = [problem.stop_index[s] for s in routes[usual].stop_ids] if usual in routes else []
    decided, kept = _day_of(problem, v, [*current, j])
    if not decided:
        return _estimate_keeping(problem, routes, j, usual, worker)
    if kept is None:
        if veh.max_work is not None and _day_of(problem, v, [*current, j], capped=False)[1] is not None:
            return "hours", (f"{usual}'s day would go over their contracted hours and the overtime allowed "
                             f"({_others(len(current))})")
        return "no room", f"no room in {usual}'s day within the windows, shift and lunch ({_others(len(current))})"
    before = routes.get(usual)
    add = kept.travel_time - (before.travel_time if before else 0)
    if worker is None:
        stop = problem.stops[j]
        if not stop.required and stop.prize == 0:
            return "travel saved", f"optional and left out: it would add {_minutes(add)} of travel to {usual}'s day"
        return "no room", (f"left out by the planner's search, though {usual}'s day could take it "
                           f"with {_minutes(add)} more travel")
    w = problem.vehicle_index[worker]
    has = routes[worker]
    rest = [problem.stop_index[s] for s in has.stop_ids if s != visit_id]
    estimate = ""
    lighter = _day_of(problem, w, rest)[1] if rest else None
    if rest and lighter is None:  # their day without it is not solved exactly (or not at all)
        saved = has.travel_time - _travel(problem, w, rest)
        after_cost = has.cost - saved - problem.preference_cost(j, w)
        estimate = " (estimate)"
    else:
        saved = has.travel_time - (lighter.travel_time if lighter else 0)
        after_cost = lighter.cost if lighter else 0
    # what keeping it changes in the planner's objective, and in travel alone
    change = kept.cost - (before.cost if before else 0) + after_cost - has.cost
    net = add - saved
    weight = problem.preference_penalty
    more_overtime = kept.overtime - (before.overtime if before else 0)
    split = f"{usual} would add {_minutes(add)}, {worker} saves {_minutes(saved)}"
    if change <= 0:
        return "team travel", (f"keeping it with {usual} would cost no more overall ({split}); the planner's "
                               f"search settled on this day for the team, which is not proven best{estimate}")
    # it costs more: by the travel beyond what continuity is worth, else by overtime or a call-in
    if net > weight:
        return "travel saved", (f"travel saved {_minutes(net)} ({split}), more than the {_minutes(weight)} "
                                f"continuity is worth{estimate}")
    if more_overtime > 0:
        return "hours", f"{usual} would work {_minutes(more_overtime)} more overtime to keep it ({split}){estimate}"
    called_in = f", and calling {usual} in costs more" if before is None and veh.fixed_cost else ""
    return "team travel", f"keeping it with {usual} would cost more overall ({split}{called_in}){estimate}"


#: effort cap (labels of the exact programme, about a second) of each day solved to explain a change
_EXPLAIN_MAX_LABELS = 200_000


def _day_of(problem: vrp.Problem, v: int, stops: Sequence[int], *,
            capped: bool = True) -> tuple[bool, vrp.Route | None]:
    """The exact best day of vehicle ``v`` that serves all of ``stops`` (stop indices):
    ``(decided, route)``; route None when no day serves them all; decided False when
    there are too many stops or the solver's effort cap was reached.
    ``capped=False`` drops the vehicle's working-time cap."""
    if len(stops) > vrp.EXACT_MAX_STOPS:
        return False, None
    veh = problem.vehicles[v]
    if not capped:
        veh = replace(veh, max_work=None, max_overtime=0)
    profiles = {veh.profile: problem.profiles[veh.profile]} if veh.profile is not None else None
    sub = vrp.Problem(problem.durations, [replace(problem.stops[k], required=True, prize=0) for k in stops], [veh],
                      distances=problem.distances, objective=problem.objective,
                      preference_penalty=problem.preference_penalty, profiles=profiles)
    if least_working_time(sub, 0, list(range(len(stops)))) > longest_day(sub, 0):
        return True, None  # a full day proven too long without searching it
    day = plan_day(sub, 0, range(len(stops)), max_labels=_EXPLAIN_MAX_LABELS)
    if day is None:
        return False, None
    if len(day.visits) < len(stops):
        return True, None
    return True, make_route(sub, 0, day.visits, day.breaks_at)


def _estimate_keeping(problem: vrp.Problem, routes: Mapping[str, vrp.Route], j: int, usual: str,
                      worker: str | None) -> tuple[str, str]:
    """The cheapest insertion of stop ``j`` into the usual worker's current order (a day
    too long to solve exactly): the reasons of :func:`_cost_of_keeping`, as estimates."""
    v = problem.vehicle_index[usual]
    veh = problem.vehicles[v]
    current = [problem.stop_index[s] for s in routes[usual].stop_ids] if usual in routes else []
    best: int | None = None
    over_hours = False
    for pos in range(len(current) + 1):
        trial = [*current[:pos], j, *current[pos:]]
        placed = best_break_positions(problem, v, trial)
        if placed is None:
            continue
        if veh.max_work is not None and placed[1].working_time > veh.max_work:
            over_hours = True
            continue
        extra = _travel(problem, v, trial) - _travel(problem, v, current)
        best = extra if best is None else min(best, extra)
    if best is None:
        if over_hours:
            return "hours", f"{usual}'s day would go over their contracted hours (estimate)"
        return "no room", f"no room in {usual}'s day within the windows, shift and lunch (estimate)"
    if worker is None:
        return "no room", f"fits {usual}'s day alone but not with the rest of the team's visits (estimate)"
    w = problem.vehicle_index[worker]
    other = [problem.stop_index[s] for s in routes[worker].stop_ids]
    saving = _travel(problem, w, other) - _travel(problem, w, [k for k in other if k != j])
    net = best - saving
    if net > 0:
        return "travel saved", (f"travel saved {_minutes(net)} ({usual} would add {_minutes(best)}, "
                                f"{worker} saves {_minutes(saving)}) (estimate)")
    return "team travel", (f"keeping it with {usual} would not add travel overall ({usual} would add "
                           f"{_minutes(best)}, {worker} saves {_minutes(saving)}) (estimate)")


def _minutes(seconds: int) -> str:
    """A duration in words: minutes, or seconds when under a minute."""
    return f"{seconds} s" if 0 < abs(seconds) < 60 else f"{round(seconds / 60)} min"


def _others(n: int) -> str:
    return "even on its own" if n == 0 else f"with their {n} other visit{'' if n == 1 else 's'}"


def _travel(problem: vrp.Problem, v: int, stops: Sequence[int]) -> int:
    """Travel time (s) of vehicle ``v`` serving ``stops`` (stop indices) in order; 0 if none."""
    if not stops:
        return 0
    veh = problem.vehicles[v]
    places = [veh.start] + [problem.stops[j].location for j in stops] + [veh.end]
    durations = problem.durations_of(v)
    return int(sum(durations[a, b] for a, b in itertools.pairwise(places)))


def _empty(date: dt.date, visits: Sequence[RosterVisit], unassigned: dict[str, str],
           absent: Collection[str]) -> Roster:
    changes = [Change(rv.visit.id, rv.usual_worker, None, "absent" if rv.usual_worker in absent else "no room",
                      unassigned.get(rv.visit.id, "")) for rv in visits if rv.usual_worker]
    return Roster(date, {}, unassigned, changes, 0.0 if changes else 1.0, 0, 0, 0, 0, True, "none")
