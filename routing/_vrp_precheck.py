"""Say, per stop, why it cannot be served, before any route is searched.

A stop is a *candidate* for a vehicle when that vehicle has its skills and
capacity and a day with only that stop (and the vehicle's breaks) keeps every
rule. Stops with no candidate vehicle get a reason naming the first rule that
fails, from the vehicle that got furthest; the solvers only see candidates.

Each vehicle is checked on its own travel matrices (``Problem.durations_of``).
Callers give unreachable pairs as a large finite travel time, so a leg longer
than the vehicle's whole day (its shift, or its working-time cap) is reported
as ``"unreachable: ..."`` for that vehicle rather than as a missed window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._vrp_schedule import INF, best_break_positions
from ._vrp_validate import clock

if TYPE_CHECKING:
    from .vrp import Problem

# how far a one-stop day got for a vehicle, best last
_STAGES = ("unreachable", "window", "shift", "work", "break", "ok")


def reasons(problem: Problem) -> tuple[dict[int, str], dict[int, list[int]]]:
    """Reasons for stops no vehicle can serve alone, and candidate vehicles of the others.

    Returns
    -------
    reasons
        Stop index -> reason in words.
    candidates
        Stop index -> indices of vehicles that can serve it alone (non-empty lists).
    """
    out: dict[int, str] = {}
    cands: dict[int, list[int]] = {}
    cache: dict[tuple[object, ...], tuple[str, str]] = {}
    for j, stop in enumerate(problem.stops):
        if not problem.vehicles:
            out[j] = "no worker: nobody is available"
            continue
        skilled = [v for v, veh in enumerate(problem.vehicles) if stop.skills <= veh.skills]
        if not skilled:
            out[j] = f"skills: needs {_set(stop.skills)}, no worker has {_them(stop.skills)}"
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
                cache[key] = _one_stop(problem, v, j)
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
    """Reason for a stop that fits some vehicle's day alone but was not served."""
    stop = problem.stops[j]
    who = ", ".join(problem.vehicles[v].id for v in vehicles[:3]) + (", ..." if len(vehicles) > 3 else "")
    if not stop.required and stop.prize == 0:
        return f"optional: not served; it has no prize and would add cost (could go with {who})"
    return (f"no room: fits a day on its own (worker {who}) but not alongside the other visits "
            f"within their windows, shifts, breaks and capacities")


def _one_stop(problem: Problem, v: int, j: int) -> tuple[str, str]:
    """How far a day with only stop ``j`` gets for vehicle ``v``, with the reason in words."""
    veh, stop = problem.vehicles[v], problem.stops[j]
    s0, s1 = problem.shift_of(v)
    dur = problem.durations_of(v)
    go, back = int(dur[veh.start, stop.location]), int(dur[stop.location, veh.end])
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
        need = go + stop.service + back
        cap = veh.max_work + veh.max_overtime
        if need > cap:
            return "work", (f"shift: needs {_hours(need)} of work (travel and service), more than the "
                            f"{_hours(cap)} allowed for worker {veh.id}")
    if best_break_positions(problem, v, [j]) is None:
        if not veh.breaks:
            return "work", (f"shift: cannot fit within the working-time cap of worker {veh.id} "
                            f"given the waiting for its window")
        return "break", f"break: no room for the breaks of worker {veh.id} around this visit"
    return "ok", ""


def _vehicle_key(problem: Problem, v: int) -> tuple[object, ...]:
    veh = problem.vehicles[v]
    return (veh.start, veh.end, veh.shift, veh.breaks, veh.max_work, veh.max_overtime, veh.profile)


def _set(skills: frozenset[str]) -> str:
    return "{" + ", ".join(repr(s) for s in sorted(skills)) + "}"


def _them(skills: frozenset[str]) -> str:
    return "it" if len(skills) == 1 else "all of them"


def _hours(t: int) -> str:
    h, rem = divmod(int(t), 3600)
    return f"{h}h{rem // 60:02d}"
