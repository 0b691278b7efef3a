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


#: Integer travel time (s) and distance (m) standing for "no route" in solver matrices:
#: far beyond any working day, small enough that sums never overflow.
UNREACHABLE = 10_000_000


@dataclass
class PlaceNetwork:
    """Places (lon/lat) snapped to one road network, with integer matrices between them.

    ``durations[i, j]`` (s, rounded up) and ``distances[i, j]`` (m along the fastest
    route) are :data:`UNREACHABLE` where there is no route or a place is further than
    the snap limit from the network (``far``).
    """

    G: nx.MultiDiGraph
    mode: str
    nodes: list[Any]
    snap_m: np.ndarray
    far: np.ndarray
    durations: np.ndarray
    distances: np.ndarray

    def reachable(self, i: int, j: int) -> bool:
        """Whether place ``j`` can be reached from place ``i``."""
        return bool(self.durations[i, j] < UNREACHABLE)


def place_network(G: nx.MultiDiGraph, points: Sequence[tuple[float, float]], *, mode: str | None = None,
                  max_snap_m: float = MAX_SNAP_M) -> PlaceNetwork:
    """Snap ``points`` (``(lon, lat)``, EPSG:4326) to ``G`` and compute exact travel-time and
    distance matrices between them (one Dijkstra per distinct node)."""
    from routing.snap import snap_points

    snapped = snap_points(G, [p[0] for p in points], [p[1] for p in points], max_distance_m=max_snap_m)
    nodes = list(snapped.nodes)
    unique = list(dict.fromkeys(n for n, far in zip(nodes, snapped.far, strict=True) if not far))
    durations = np.full((len(points), len(points)), UNREACHABLE, dtype=np.int64)
    distances = durations.copy()
    if unique:
        times_s, metres = fastest_route_matrices(G, unique, unique)
        index = {n: i for i, n in enumerate(unique)}
        rows = [i for i, far in enumerate(snapped.far) if not far]
        at = np.array([index[nodes[i]] for i in rows])
        grid = np.ix_(rows, rows)
        durations[grid] = to_integer_seconds(times_s, unreachable=UNREACHABLE)[np.ix_(at, at)]
        distances[grid] = to_integer_meters(metres, unreachable=UNREACHABLE)[np.ix_(at, at)]
        durations[grid] = np.where(distances[grid] >= UNREACHABLE, UNREACHABLE, durations[grid])
    np.fill_diagonal(durations, 0)  # a place is where it is, even off the network
    np.fill_diagonal(distances, 0)
    return PlaceNetwork(G, mode or str(G.graph.get("provenance", {}).get("mode", "")), nodes,
                        np.asarray(snapped.distance_m, dtype=float), np.asarray(snapped.far, dtype=bool),
                        durations, distances)


def far_reason(distance_m: float, max_snap_m: float = MAX_SNAP_M) -> str:
    """Why a place far from the roads is not routed."""
    return (f"location is {distance_m:,.0f} m from the nearest road (more than {max_snap_m:,.0f} m): "
            "check its coordinates")


def plan_day(G: nx.MultiDiGraph, visits: Sequence[VisitRequest], *, start: tuple[float, float],
             end: tuple[float, float] | None = None, shift: tuple[dt.datetime, dt.datetime],
             breaks: Sequence[LunchBreak] = (), mode: str | None = None, skills: frozenset[str] = frozenset(),
             worker_id: str = "worker", max_snap_m: float = MAX_SNAP_M, time_limit: float = 5.0,
             seed: int = 0) -> DayPlan:
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
    worker_id
        The worker's id, as reasons for unplanned visits name them.
    max_snap_m
        Visits further than this from any road are not routed: they are returned
        in ``unassigned`` with the distance.
    time_limit, seed
        Solver budget in seconds and seed (same seed, same plan). Days of up to
        :data:`routing.vrp.EXACT_MAX_STOPS` visits are solved exactly.

    Returns
    -------
    DayPlan

    Raises
    ------
    ValueError
        The start or end point is further than ``max_snap_m`` from the network.
    """
    end = end or start
    net = place_network(G, [start, end] + [(v.lon, v.lat) for v in visits], mode=mode, max_snap_m=max_snap_m)
    for label, k in (("start", 0), ("end", 1)):
        if net.far[k]:
            raise ValueError(f"the day's {label} point is {net.snap_m[k]:,.0f} m from the nearest road")
    clock = DayClock(shift[0])
    unassigned: dict[str, str] = {}
    stops, requests = [], {}
    for k, v in enumerate(visits, start=2):
        why = _unreachable_reason(net, k, 0, 1)
        if why:
            unassigned[v.id] = why
            continue
        requests[v.id] = (v, k)
        stops.append(stop_for(v, k, clock))
    vehicle = vrp.Vehicle(id=worker_id, start=0, end=1, shift=(clock.seconds(shift[0]), clock.seconds(shift[1])),
                          skills=skills, breaks=tuple(break_for(b, clock) for b in breaks))
    solution = vrp.solve(vrp.Problem(net.durations, stops, [vehicle], distances=net.distances),
                         time_limit=time_limit, seed=seed)
    unassigned.update(solution.unassigned)
    route = solution.routes[0] if solution.routes else None
    return day_plan_from_route(net, route, solution, clock=clock, requests=requests, start=(start, 0),
                               end=(end, 1), unassigned=unassigned)


@dataclass(frozen=True)
class DayClock:
    """Converts between local datetimes of the plan day and solver seconds since midnight.

    Seconds are elapsed time (computed in UTC), so a day across a daylight-saving change
    has its true length; times come back in the day's own time zone.
    """

    midnight: dt.datetime

    def __init__(self, any_time_that_day: dt.datetime) -> None:
        object.__setattr__(self, "midnight", any_time_that_day.replace(hour=0, minute=0, second=0, microsecond=0))

    def seconds(self, t: dt.datetime) -> int:
        """Seconds elapsed from midnight to ``t``."""
        if t.tzinfo is None or self.midnight.tzinfo is None:
            return int((t - self.midnight).total_seconds())
        return int((t.astimezone(dt.UTC) - self.midnight.astimezone(dt.UTC)).total_seconds())

    def at(self, seconds: int) -> dt.datetime:
        """The local datetime ``seconds`` after midnight."""
        if self.midnight.tzinfo is None:
            return self.midnight + dt.timedelta(seconds=int(seconds))
        utc = self.midnight.astimezone(dt.UTC) + dt.timedelta(seconds=int(seconds))
        return utc.astimezone(self.midnight.tzinfo)


def stop_for(visit: VisitRequest, place: int, clock: DayClock, *, preferred: str | None = None) -> vrp.Stop:
    """A visit as a solver stop at matrix index ``place``."""
    return vrp.Stop(id=visit.id, location=place, service=int(visit.duration_s),
                    windows=tuple((clock.seconds(a), clock.seconds(b)) for a, b in visit.windows),
                    skills=visit.skills, required=visit.required, prize=visit.prize, preferred_vehicle=preferred)


def break_for(lunch: LunchBreak, clock: DayClock) -> vrp.Break:
    """A break lying wholly inside its window, as a solver break (bounds on its start)."""
    return vrp.Break(window=(clock.seconds(lunch.window[0]), clock.seconds(lunch.window[1]) - lunch.duration_s),
                     duration=lunch.duration_s)


def _unreachable_reason(net: PlaceNetwork, k: int, start: int, end: int) -> str | None:
    if net.far[k]:
        return far_reason(float(net.snap_m[k]))
    if not net.reachable(start, k):
        return "no road route from the day's start to this visit (one-way streets or a closed road)"
    if not net.reachable(k, end):
        return "no road route from this visit back to the day's end"
    return None


def day_plan_from_route(net: PlaceNetwork, route: vrp.Route | None, solution: vrp.Solution, *, clock: DayClock,
                        requests: dict[str, tuple[VisitRequest, int]], start: tuple[tuple[float, float], int],
                        end: tuple[tuple[float, float], int], unassigned: dict[str, str]) -> DayPlan:
    """A solver route on ``net`` as a :class:`DayPlan`, with the road path of every leg.

    ``requests`` maps each stop id to its request and place index; ``start``/``end``
    are ``((lon, lat), place index)``.
    """
    from routing.paths import route_geometry

    provenance = {**net.G.graph.get("provenance", {}), "solver": solution.solver, "optimal": solution.optimal,
                  "seed": solution.seed, "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    day = clock.midnight.date()
    if route is None or not route.stop_ids:
        return DayPlan(day, net.mode, start[0], end[0], [], [], [], unassigned, None, None, 0, 0, solution.optimal,
                       solution.solver, provenance)

    def leg(origin: str, destination: str, i: int, j: int, arrive: dt.datetime) -> Leg:
        travel_s = int(net.durations[i, j])
        u, v = net.nodes[i], net.nodes[j]
        geometry = route_geometry(net.G, u, v) if u != v else LineString([(net.G.nodes[u]["x"],
                                                                           net.G.nodes[u]["y"])] * 2)
        return Leg(origin, destination, arrive - dt.timedelta(seconds=travel_s), arrive, travel_s,
                   int(net.distances[i, j]), geometry)

    visits, legs = [], []
    previous_id, previous_place = "start", start[1]
    for k, stop_id in enumerate(route.stop_ids):
        request, place = requests[stop_id]
        legs.append(leg(previous_id, stop_id, previous_place, place, clock.at(route.arrivals[k])))
        visits.append(PlannedVisit(stop_id, request.label, request.lon, request.lat, clock.at(route.arrivals[k]),
                                   clock.at(route.service_starts[k]), clock.at(route.departures[k]), route.waits[k],
                                   float(net.snap_m[place])))
        previous_id, previous_place = stop_id, place
    legs.append(leg(previous_id, "end", previous_place, end[1], clock.at(route.end_time)))
    breaks = [TakenBreak(clock.at(b.start), clock.at(b.start + b.duration),
                         route.stop_ids[b.position - 1] if b.position > 0 else None) for b in route.breaks]
    return DayPlan(day, net.mode, start[0], end[0], visits, legs, breaks, unassigned, clock.at(route.start_time),
                   clock.at(route.end_time), sum(x.travel_time_s for x in legs), sum(x.distance_m for x in legs),
                   solution.optimal, solution.solver, provenance)
