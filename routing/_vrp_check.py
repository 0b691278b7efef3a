"""Check a solution against its problem from the reported times alone.

Independent of how the solution was found: it re-walks each route with the
rules of :mod:`routing.vrp` (on each vehicle's own travel matrices) and
compares every reported number.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .vrp import Problem, Route, Solution


def violations(problem: Problem, solution: Solution) -> list[str]:
    """Every rule the solution breaks, in words (empty when feasible)."""
    out: list[str] = []
    seen: dict[str, str] = {}
    used: set[str] = set()
    total = 0
    for r in solution.routes:
        v = problem.vehicle_index.get(r.vehicle_id)
        if v is None:
            out.append(f"route of unknown vehicle {r.vehicle_id!r}")
            continue
        if r.vehicle_id in used:
            out.append(f"vehicle {r.vehicle_id} has two routes")
        used.add(r.vehicle_id)
        for sid in r.stop_ids:
            if sid in seen:
                out.append(f"stop {sid} served twice ({seen[sid]} and {r.vehicle_id})")
            seen[sid] = r.vehicle_id
        out += [f"vehicle {r.vehicle_id}: {msg}" for msg in _route(problem, v, r)]
        total += r.cost
    for sid, why in solution.unassigned.items():
        if sid not in problem.stop_index:
            out.append(f"unassigned stop {sid!r} is not in the problem")
        if sid in seen:
            out.append(f"stop {sid} is both served and unassigned")
        if not isinstance(why, str) or not why:
            out.append(f"stop {sid} is unassigned without a reason")
    for s in problem.stops:
        if s.id not in seen and s.id not in solution.unassigned:
            out.append(f"stop {s.id} is neither served nor unassigned")
    if total != solution.cost:
        out.append(f"solution cost {solution.cost} is not the sum of route costs {total}")
    return out


def _route(problem: Problem, v: int, r: Route) -> list[str]:
    out: list[str] = []
    veh = problem.vehicles[v]
    n = len(r.stop_ids)
    if not n:
        return ["route without stops"]
    if not (len(r.arrivals) == len(r.service_starts) == len(r.departures) == len(r.waits) == n):
        return ["per-stop lists differ in length from stop_ids"]
    idx = []
    for sid in r.stop_ids:
        j = problem.stop_index.get(sid)
        if j is None:
            out.append(f"unknown stop {sid!r}")
        else:
            idx.append(j)
    if out:
        return out
    s0, s1 = problem.shift_of(v)
    load = 0
    for j in idx:
        stop = problem.stops[j]
        if not stop.skills <= veh.skills:
            out.append(f"lacks skills {sorted(stop.skills - veh.skills)} for stop {stop.id}")
        load += stop.demand
    if veh.capacity is not None and load > veh.capacity:
        out.append(f"load {load} exceeds capacity {veh.capacity}")
    taken = sorted(b.index for b in r.breaks)
    if taken != list(range(len(veh.breaks))):
        out.append(f"breaks taken {taken}, expected each of {len(veh.breaks)} once")
    if [b.position for b in r.breaks] != sorted(b.position for b in r.breaks):
        out.append("breaks not listed in route order")
    if r.start_time < s0:
        out.append(f"starts at {r.start_time}, before the shift start {s0}")
    dur = problem.durations_of(v)
    free, here, travel = r.start_time, veh.start, 0

    def take_breaks(pos: int) -> None:
        nonlocal free
        for b in r.breaks:
            if b.position != pos or not 0 <= b.index < len(veh.breaks):
                continue
            spec = veh.breaks[b.index]
            if b.start < free:
                out.append(f"break {b.index} starts at {b.start}, before the worker is free at {free}")
            if not spec.window[0] <= b.start <= spec.window[1]:
                out.append(f"break {b.index} starts at {b.start}, outside its window {spec.window}")
            if b.duration != spec.duration or b.location != here or b.wait != b.start - free:
                out.append(f"break {b.index}: duration, location or wait misreported")
            free = max(free, b.start + spec.duration)

    take_breaks(0)
    for i, j in enumerate(idx):
        stop = problem.stops[j]
        leg = int(dur[here, stop.location])
        travel += leg
        if r.arrivals[i] < free + leg:
            out.append(f"arrives at {stop.id} at {r.arrivals[i]}, earlier than possible ({free + leg})")
        start = r.service_starts[i]
        if start < r.arrivals[i]:
            out.append(f"serves {stop.id} at {start}, before arriving at {r.arrivals[i]}")
        if stop.windows and not any(a <= start <= b for a, b in stop.windows):
            out.append(f"serves {stop.id} at {start}, outside its windows {list(stop.windows)}")
        if r.waits[i] != start - r.arrivals[i]:
            out.append(f"wait at {stop.id} misreported")
        if r.departures[i] != start + stop.service:
            out.append(f"departure from {stop.id} is not the end of its service")
        free, here = start + stop.service, stop.location
        take_breaks(i + 1)
    leg = int(dur[here, veh.end])
    travel += leg
    if r.end_time < free + leg:
        out.append(f"reaches the end at {r.end_time}, earlier than possible ({free + leg})")
    if r.end_time > s1:
        out.append(f"reaches the end at {r.end_time}, after the shift end {s1}")
    if r.travel_time != travel:
        out.append(f"travel time {r.travel_time} misreported (legs sum to {travel})")
    work = r.end_time - r.start_time
    if r.working_time != work:
        out.append(f"working time {r.working_time} is not end - start ({work})")
    overtime = 0
    if veh.max_work is not None:
        overtime = max(0, work - veh.max_work)
        if overtime > veh.max_overtime:
            out.append(f"works {work} s, over the cap of {veh.max_work} + {veh.max_overtime} s")
    if r.overtime != overtime:
        out.append(f"overtime {r.overtime} misreported ({overtime})")
    nodes = [veh.start] + [problem.stops[j].location for j in idx] + [veh.end]
    legs = list(itertools.pairwise(nodes))
    metres = problem.distances_of(v)
    if metres is not None:
        dist = sum(int(metres[a, b]) for a, b in legs)
        if r.distance != dist:
            out.append(f"distance {r.distance} misreported (legs sum to {dist})")
    costs = problem.costs_of(v)
    cost = (sum(int(costs[a, b]) for a, b in legs) + veh.fixed_cost + veh.overtime_cost * overtime
            + sum(problem.preference_cost(j, v) for j in idx))
    if r.cost != cost:
        out.append(f"cost {r.cost} misreported ({cost})")
    return out
