"""What :func:`routing.vrp.solve` returns: routes, their breaks, the solution, and how a route is built.

Holds the result types :class:`Route`, :class:`TakenBreak` and :class:`Solution`
(importable from :mod:`routing.vrp`, which defines the problem and the solver) and
:func:`make_route`, which turns a feasible visit order and break placement into the
public ``Route`` with its schedule (from :func:`routing._vrp_schedule.route_timing`),
travel, distance, overtime and cost, so every solver reports a route the same way.
The rules the times follow are in the :mod:`routing.vrp` docstring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _vrp_check
from ._vrp_schedule import Timing, route_timing

if TYPE_CHECKING:
    from .vrp import Problem


@dataclass(frozen=True)
class TakenBreak:
    """A break in a route's schedule."""

    index: int  #: which of the vehicle's breaks
    start: int  #: start of the break, seconds
    duration: int  #: seconds
    position: int  #: visits before it: 0 = at the start before leaving, i = after the i-th visit
    location: int  #: matrix index where it is taken
    wait: int  #: seconds waited for its window before it


@dataclass(frozen=True)
class Route:
    """One vehicle's day. Lists run parallel to ``stop_ids``; times in seconds.

    Attributes
    ----------
    vehicle_id, stop_ids
        The vehicle and its stops in visit order.
    arrivals, service_starts, departures, waits
        Per stop: arrival, start of service, end of service (the worker leaves,
        or takes a break there), and waiting before service.
    breaks
        Breaks taken, in order.
    start_time, end_time
        The working day's start at the start place (the worker leaves then, or
        after a break taken there) and the arrival at the end place.
    travel_time, distance
        Sum over the legs on the vehicle's matrices: seconds; metres (None
        without distance matrices).
    working_time, overtime
        ``end_time - start_time``; seconds of it beyond ``Vehicle.max_work``.
    cost
        The route's share of ``Solution.cost``.
    """

    vehicle_id: str
    stop_ids: list[str]
    arrivals: list[int]
    service_starts: list[int] = field(default_factory=list)
    departures: list[int] = field(default_factory=list)
    waits: list[int] = field(default_factory=list)
    breaks: list[TakenBreak] = field(default_factory=list)
    start_time: int = 0
    end_time: int = 0
    travel_time: int = 0
    distance: int | None = None
    working_time: int = 0
    overtime: int = 0
    cost: int = 0


@dataclass(frozen=True, eq=False)
class Solution:
    """The result of :func:`routing.vrp.solve`.

    Attributes
    ----------
    routes
        One route per used vehicle, in the order of ``Problem.vehicles``.
    unassigned
        Stop id -> reason in words, for every stop not served.
    cost
        Objective value (see the :mod:`routing.vrp` docstring), objective units.
    optimal
        True when proven optimal (exact solver).
    solver
        ``"none"`` (nothing to route), ``"exact"`` or ``"pyvrp"``.
    runtime
        Seconds spent in :func:`routing.vrp.solve`.
    seed
        Seed used.
    stats
        Solver details (e.g. iterations, whether the wall-clock cap stopped it).
    """

    routes: list[Route]
    unassigned: dict[str, str]
    cost: int
    optimal: bool
    solver: str
    runtime: float
    seed: int
    problem: Problem = field(repr=False)
    stats: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def travel_time(self) -> int:
        """Total travel time of all routes, seconds."""
        return sum(r.travel_time for r in self.routes)

    @property
    def distance(self) -> int | None:
        """Total distance of all routes, metres (None without a distance matrix)."""
        if self.problem.distances is None:
            return None
        return sum(r.distance or 0 for r in self.routes)

    def violations(self) -> list[str]:
        """Every way this solution breaks the rules of its problem (empty when feasible)."""
        return _vrp_check.violations(self.problem, self)

    def is_feasible(self) -> bool:
        """Whether the solution keeps every rule of its problem."""
        return not self.violations()



def make_route(problem: Problem, v: int, visits: Sequence[int],
               breaks_at: Sequence[tuple[int, int]], timing: Timing | None = None) -> Route:
    """Build the public ``Route`` of vehicle ``v`` for a feasible visit order and break placement."""
    tm = timing if timing is not None else route_timing(problem, v, visits, breaks_at)
    if tm is None:
        raise AssertionError(f"internal error: infeasible route for vehicle {problem.vehicles[v].id}")
    veh = problem.vehicles[v]
    nodes = [veh.start] + [problem.stops[j].location for j in visits] + [veh.end]
    a, b = np.asarray(nodes[:-1]), np.asarray(nodes[1:])
    metres = problem.distances_of(v)
    travel_cost = int(problem.costs_of(v)[a, b].sum())
    distance = None if metres is None else int(metres[a, b].sum())
    overtime = 0 if veh.max_work is None else max(0, tm.working_time - veh.max_work)
    cost = (travel_cost + veh.fixed_cost + veh.overtime_cost * overtime
            + sum(problem.preference_cost(j, v) for j in visits))
    breaks = [TakenBreak(index=bi, start=st, duration=veh.breaks[bi].duration, position=pos,
                         location=node, wait=w) for bi, st, pos, node, w in tm.breaks]
    return Route(vehicle_id=veh.id, stop_ids=[problem.stops[j].id for j in visits],
                 arrivals=tm.arrivals, service_starts=tm.service_starts, departures=tm.departures,
                 waits=[s - a for s, a in zip(tm.service_starts, tm.arrivals, strict=True)],
                 breaks=breaks, start_time=tm.start, end_time=tm.end, travel_time=tm.travel_time,
                 distance=distance, working_time=tm.working_time, overtime=overtime, cost=cost)
