"""One worker's day on a road network: snap the visits, build exact travel-time and
distance matrices, solve the visit order with time windows, shift and lunch, and
return the day as a schedule with the road path of every leg.

Times are local wall-clock ``datetime`` values of the plan day; inside the solver
they are integer seconds since midnight of that day. Coordinates are lon/lat
(EPSG:4326); distances are metres along the fastest route (what a mileage claim
needs), travel times seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from shapely.geometry import LineString

from routing import vrp
from routing.matrix import fastest_route_matrices, to_integer_meters, to_integer_seconds

#: Points further than this from any road are not routed (metres).
MAX_SNAP_M = 500.0


@dataclass(frozen=True)
class VisitRequest:
    """A visit to plan.

    ``windows`` bound the *start* of the visit (local datetimes on the plan day); a
    visit may have several, or none (any time in the shift). A visit that is not
    ``required`` is planned only if it fits, those with a larger ``prize`` first.
    ``label`` is what the worker's itinerary shows (the caller decides what may be shown).
    """

    id: str
    lon: float
    lat: float
    duration_s: int
    windows: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
    skills: frozenset[str] = frozenset()
    required: bool = True
    prize: int = 0
    label: str = ""


@dataclass(frozen=True)
class LunchBreak:
    """A break of ``duration_s`` seconds lying wholly inside ``window`` (local datetimes)."""

    window: tuple[dt.datetime, dt.datetime]
    duration_s: int


@dataclass(frozen=True)
class Leg:
    """Travel between two places of the day. ``origin``/``destination`` are visit ids,
    or ``"start"``/``"end"``; ``geometry`` is the road path (EPSG:4326)."""

    origin: str
    destination: str
    depart: dt.datetime
    arrive: dt.datetime
    travel_time_s: int
    distance_m: int
    geometry: LineString


@dataclass(frozen=True)
class PlannedVisit:
    """A visit in the day's order: when the worker arrives, starts, leaves."""

    id: str
    label: str
    lon: float
    lat: float
    arrival: dt.datetime
    start: dt.datetime
    departure: dt.datetime
    wait_s: int
    snap_distance_m: float


@dataclass(frozen=True)
class TakenBreak:
    """The lunch break as planned: ``after`` is the visit id it follows (None: before
    the first visit)."""

    start: dt.datetime
    end: dt.datetime
    after: str | None


@dataclass
class DayPlan:
    """A worker's planned day. ``travel_time_s``/``distance_m`` are totals over the legs."""

    date: dt.date
    mode: str
    start_point: tuple[float, float]
    end_point: tuple[float, float]
    visits: list[PlannedVisit]
    legs: list[Leg]
    breaks: list[TakenBreak]
    unassigned: dict[str, str]
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    travel_time_s: int
    distance_m: int
    optimal: bool
    solver: str
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def working_time_s(self) -> int:
        """From leaving the start to arriving at the end, in seconds (0 for an empty day)."""
        if self.start_time is None or self.end_time is None:
            return 0
        return int((self.end_time - self.start_time).total_seconds())


def plan_day(G: nx.MultiDiGraph, visits: Sequence[VisitRequest], *, start: tuple[float, float],
             end: tuple[float, float] | None = None, shift: tuple[dt.datetime, dt.datetime],
             breaks: Sequence[LunchBreak] = (), mode: str | None = None, skills: frozenset[str] = frozenset(),
             max_snap_m: float = MAX_SNAP_M, time_limit: float = 5.0, seed: int = 0) -> DayPlan:
    """Plan one worker's day on the road network ``G``.

    Parameters
    ----------
    G
        OSMnx-conformant graph for the worker's travel mode (edge ``travel_time`` s,
        ``length`` m).
    visits
        The visits due; each is snapped to the network.
    start, end
        ``(lon, lat)`` where the day starts and ends (home or hub); ``end`` defaults
        to ``start``.
    shift
        Local start and end of the working day; the worker leaves no earlier than the
        first and is back by the second.
    breaks
        Lunch (or other) breaks, each inside its window.
    mode
        Travel mode, for provenance (default: the graph's own).
    skills
        The worker's skills; a visit needing others is not planned (and says so).
    max_snap_m
        Visits further than this from any road are not routed: they are returned
        in ``unassigned`` with the distance.
    time_limit, seed
        Solver budget in seconds and seed (same seed, same plan). Days of up to
        :data:`routing.vrp.EXACT_MAX_STOPS` visits are solved exactly.

    Returns
    -------
    DayPlan
    """
    day = shift[0].date()
    end = end or start
    snaps = _snap(G, [start, end] + [(v.lon, v.lat) for v in visits])
    unassigned: dict[str, str] = {}
    placed: list[tuple[VisitRequest, Any, float]] = []
    for v, (node, distance_m) in zip(visits, snaps[2:], strict=True):
        if distance_m > max_snap_m:
            unassigned[v.id] = (f"location is {distance_m:,.0f} m from the nearest road "
                                f"(more than {max_snap_m:,.0f} m): check its coordinates")
        else:
            placed.append((v, node, distance_m))
    for label, (_, distance_m) in (("start", snaps[0]), ("end", snaps[1])):
        if distance_m > max_snap_m:
            raise ValueError(f"the day's {label} point is {distance_m:,.0f} m from the nearest road")

    nodes = list(dict.fromkeys([snaps[0][0], snaps[1][0]] + [node for _, node, _ in placed]))
    index = {n: i for i, n in enumerate(nodes)}
    times_s, metres = fastest_route_matrices(G, nodes, nodes)
    unreachable = _unreachable(times_s, index[snaps[0][0]], index[snaps[1][0]],
                               [(v.id, index[node]) for v, node, _ in placed])
    unassigned.update(unreachable)
    placed = [p for p in placed if p[0].id not in unreachable]
    big = int(1e7)  # unreachable pairs left (between two visits): never worth a day
    durations = to_integer_seconds(times_s, unreachable=big)
    distances = to_integer_meters(metres, unreachable=big)

    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=shift[0].tzinfo)
    sec = _seconds_since(midnight)
    stops = [vrp.Stop(id=v.id, location=index[node], service=int(v.duration_s),
                      windows=tuple((sec(a), sec(b)) for a, b in v.windows), skills=v.skills, required=v.required,
                      prize=v.prize)
             for v, node, _ in placed]
    vehicle = vrp.Vehicle(id="worker", start=index[snaps[0][0]], end=index[snaps[1][0]],
                          shift=(sec(shift[0]), sec(shift[1])), skills=skills,
                          breaks=tuple(vrp.Break(window=(sec(b.window[0]), sec(b.window[1]) - b.duration_s),
                                                 duration=b.duration_s) for b in breaks))
    solution = vrp.solve(vrp.Problem(durations, stops, [vehicle], distances=distances),
                         time_limit=time_limit, seed=seed)
    unassigned.update(solution.unassigned)
    route = solution.routes[0] if solution.routes else None
    return _day_plan(G, day, midnight, mode or str(G.graph.get("provenance", {}).get("mode", "")), start, end,
                     {v.id: (v, node, d) for v, node, d in placed}, route, durations, distances, index,
                     (snaps[0][0], snaps[1][0]), unassigned, solution)


def _snap(G: nx.MultiDiGraph, points: Sequence[tuple[float, float]]) -> list[tuple[Any, float]]:
    """Nearest network node of each ``(lon, lat)`` and the point's distance to the road (m)."""
    from routing.snap import snap_points

    result = snap_points(G, [p[0] for p in points], [p[1] for p in points])
    return [(node, float(d)) for node, d in zip(result.nodes, result.distance_m, strict=True)]


def _unreachable(times_s: np.ndarray, start: int, end: int, stops: list[tuple[str, int]]) -> dict[str, str]:
    out = {}
    for stop_id, j in stops:
        if not np.isfinite(times_s[start, j]):
            out[stop_id] = "no road route from the day's start to this visit (one-way streets or a closed road)"
        elif not np.isfinite(times_s[j, end]):
            out[stop_id] = "no road route from this visit back to the day's end"
    return out


def _seconds_since(midnight: dt.datetime):  # type: ignore[no-untyped-def]
    def sec(t: dt.datetime) -> int:
        return int((t - midnight).total_seconds())

    return sec


def _day_plan(G: nx.MultiDiGraph, day: dt.date, midnight: dt.datetime, mode: str, start: tuple[float, float],
              end: tuple[float, float], placed: dict[str, tuple[VisitRequest, Any, float]],
              route: vrp.Route | None, durations: np.ndarray, distances: np.ndarray, index: dict[Any, int],
              ends: tuple[Any, Any], unassigned: dict[str, str], solution: vrp.Solution) -> DayPlan:
    from routing.paths import route_geometry

    def at(seconds: int) -> dt.datetime:
        return midnight + dt.timedelta(seconds=int(seconds))

    provenance = {**G.graph.get("provenance", {}), "solver": solution.solver, "optimal": solution.optimal,
                  "seed": solution.seed, "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    if route is None or not route.stop_ids:
        return DayPlan(day, mode, start, end, [], [], [], unassigned, None, None, 0, 0, solution.optimal,
                       solution.solver, provenance)
    visits, legs = [], []
    previous_node, previous_id = ends[0], "start"
    for k, stop_id in enumerate(route.stop_ids):
        request, node, snap_m = placed[stop_id]
        legs.append(_leg(G, previous_id, stop_id, previous_node, node, at(route.arrivals[k]),
                         durations, distances, index, route_geometry))
        visits.append(PlannedVisit(stop_id, request.label, request.lon, request.lat, at(route.arrivals[k]),
                                   at(route.service_starts[k]), at(route.departures[k]), route.waits[k], snap_m))
        previous_node, previous_id = node, stop_id
    legs.append(_leg(G, previous_id, "end", previous_node, ends[1], at(route.end_time), durations, distances,
                     index, route_geometry))
    taken_breaks = [TakenBreak(at(b.start), at(b.start + b.duration),
                               route.stop_ids[b.position - 1] if b.position > 0 else None) for b in route.breaks]
    return DayPlan(day, mode, start, end, visits, legs, taken_breaks, unassigned, at(route.start_time),
                   at(route.end_time), sum(leg.travel_time_s for leg in legs), sum(leg.distance_m for leg in legs),
                   solution.optimal, solution.solver, provenance)


def _leg(G: nx.MultiDiGraph, origin: str, destination: str, u: Any, v: Any, arrive: dt.datetime,
         durations: np.ndarray, distances: np.ndarray, index: dict[Any, int], route_geometry: Any) -> Leg:
    """The leg from node ``u`` to ``v`` arriving at ``arrive`` (the worker travels just before it)."""
    i, j = index[u], index[v]
    travel_s = int(durations[i, j])
    geometry = route_geometry(G, u, v) if u != v else LineString([(G.nodes[u]["x"], G.nodes[u]["y"])] * 2)
    return Leg(origin, destination, arrive - dt.timedelta(seconds=travel_s), arrive, travel_s, int(distances[i, j]),
               geometry)
