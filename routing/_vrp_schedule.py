"""The one timing model of :mod:`routing.vrp`: the schedule of a given route.

Every component (exact dynamic programme, PyVRP decoding, repair, reports) gets
its times from :func:`route_timing`, so they all agree on what "feasible" and
"working time" mean. The rules are stated in the :mod:`routing.vrp` docstring.

A route is a sequence of *activities*: leave the start, visits, breaks, arrive
at the end. Feasibility over departure times is tracked with PyVRP-style
duration segments ``(e, l, d)``: starting the route at any time ``t <= l``
ends it at ``max(t, e) + d``; the working time is ``d`` for ``t`` in
``[e, l]``. A stop with several windows branches into one segment per window
and dominated segments are dropped; the working time of the route is the
smallest ``d`` over all of them, and the reported schedule departs at the
``e`` of that segment and serves every stop in its earliest window still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .vrp import Problem

# stands for "no limit" in time arithmetic (Python ints do not overflow)
INF = 1 << 62

Window = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing a worker does on a route: at matrix index ``node``, lasting ``service``."""

    node: int
    service: int
    windows: tuple[Window, ...]
    travel: int  # seconds from the previous activity; 0 for a break at the same place
    kind: str  # "start", "stop", "break", "end"
    ref: int  # stop index, break index, or -1


@dataclass(frozen=True, slots=True)
class Timing:
    """The schedule of a feasible route, all times in seconds."""

    start: int  # leaves the start location (the working day begins)
    end: int  # arrives at the end location
    arrivals: list[int]  # per visit
    service_starts: list[int]
    departures: list[int]  # end of each visit's service
    breaks: list[tuple[int, int, int, int, int]]  # (break index, start, position, node, wait)
    working_time: int  # end - start, the smallest possible for this sequence
    travel_time: int  # sum of the travel legs (the vehicle's durations matrix)


def activities(problem: Problem, v: int, visits: Sequence[int],
               breaks_at: Sequence[tuple[int, int]]) -> list[Activity]:
    """Lay out a route as activities.

    ``breaks_at`` holds ``(position, break index)`` pairs: the break is taken after
    the ``position``-th visit (0: at the start, before leaving), in list order
    when several share a position.
    """
    veh = problem.vehicles[v]
    dur = problem.durations_of(v)
    s0, s1 = problem.shift_of(v)
    by_pos: dict[int, list[int]] = {}
    for pos, b in breaks_at:
        by_pos.setdefault(pos, []).append(b)
    acts = [Activity(veh.start, 0, ((s0, s1),), 0, "start", -1)]
    here = veh.start

    def add_breaks(pos: int) -> None:
        for b in by_pos.get(pos, ()):
            brk = veh.breaks[b]
            acts.append(Activity(here, brk.duration, (brk.window,), 0, "break", b))

    add_breaks(0)
    for i, j in enumerate(visits):
        node = problem.stops[j].location
        acts.append(Activity(node, problem.stops[j].service, problem.windows_of(j),
                             int(dur[here, node]), "stop", j))
        here = node
        add_breaks(i + 1)
    acts.append(Activity(veh.end, 0, ((-INF, s1),), int(dur[here, veh.end]), "end", -1))
    return acts


def best_segment(acts: Sequence[Activity]) -> tuple[int, int, int, list[int]] | None:
    """Smallest-working-time segment ``(e, l, d, window choice)`` of an activity list, or None."""
    first = acts[0]
    labels: list[tuple[int, int, int, tuple[int, ...]]] = [
        (a, b, first.service, (k,)) for k, (a, b) in enumerate(first.windows)
    ]
    for act in acts[1:]:
        c = act.travel
        new: list[tuple[int, int, int, tuple[int, ...]]] = []
        for e, lt, d, path in labels:
            at = d + c
            if e + at > act.windows[-1][1]:
                continue
            for k, (a, b) in enumerate(act.windows):
                if e + at > b:
                    continue
                wait = max(a - at - lt, 0)
                cand = (max(a - at, e) - wait, min(b - at, lt), at + act.service + wait, (*path, k))
                _insert(new, cand)
        if not new:
            return None
        labels = new
    e, lt, d, path = min(labels, key=lambda x: (x[2], x[0] + x[2], x[0]))
    return e, lt, d, list(path)


def _insert(labels: list[tuple[int, int, int, tuple[int, ...]]],
            cand: tuple[int, int, int, tuple[int, ...]]) -> None:
    e, lt, d, _ = cand
    for o in labels:
        if o[2] <= d and o[0] + o[2] <= e + d and o[1] >= lt:
            return
    labels[:] = [o for o in labels if not (d <= o[2] and e + d <= o[0] + o[2] and lt >= o[1])]
    labels.append(cand)


def route_timing(problem: Problem, v: int, visits: Sequence[int],
                 breaks_at: Sequence[tuple[int, int]] = ()) -> Timing | None:
    """Schedule a route of vehicle ``v``, or None if no schedule meets every rule.

    Checks windows, breaks, the shift and the hard working-time cap
    (``max_work + max_overtime``); not skills or capacity.
    """
    acts = activities(problem, v, visits, breaks_at)
    seg = best_segment(acts)
    if seg is None:
        return None
    e, _, d, _ = seg
    veh = problem.vehicles[v]
    if veh.max_work is not None and d > veh.max_work + veh.max_overtime:
        return None
    t = e
    arrivals: list[int] = []
    starts: list[int] = []
    departs: list[int] = []
    breaks: list[tuple[int, int, int, int, int]] = []
    travel = 0
    free = e
    for act in acts[1:]:
        arrive = free + act.travel
        travel += act.travel
        begin = next(max(arrive, a) for a, b in act.windows if b >= arrive)
        free = begin + act.service
        if act.kind == "stop":
            arrivals.append(arrive)
            starts.append(begin)
            departs.append(free)
        elif act.kind == "break":
            breaks.append((act.ref, begin, len(arrivals), act.node, begin - arrive))
        else:
            t = arrive
    return Timing(e, t, arrivals, starts, departs, breaks, t - e, travel)


def best_break_positions(problem: Problem, v: int,
                         visits: Sequence[int]) -> tuple[list[tuple[int, int]], Timing] | None:
    """Place the vehicle's breaks into a fixed visit order; the placement with the
    smallest working time, then earliest end. None if no placement is feasible.

    Tries every position per break (breaks in window order), so it is exact for
    one or two breaks and cheap for the short routes of a working day.
    """
    veh = problem.vehicles[v]
    order = sorted(range(len(veh.breaks)), key=lambda b: (veh.breaks[b].window, b))
    n = len(visits)
    best: tuple[tuple[int, int], list[tuple[int, int]], Timing] | None = None

    def place(k: int, lo: int, chosen: list[tuple[int, int]]) -> None:
        nonlocal best
        if k == len(order):
            tm = route_timing(problem, v, visits, chosen)
            if tm is not None:
                key = (tm.working_time, tm.end)
                if best is None or key < best[0]:
                    best = (key, list(chosen), tm)
            return
        for pos in range(lo, n + 1):
            chosen.append((pos, order[k]))
            place(k + 1, pos, chosen)
            chosen.pop()

    place(0, 0, [])
    if best is None:
        return None
    return best[1], best[2]
