"""Typed records of the outreach domain: clients, visits, workers, hubs, resources,
hotspots and localities.

Records are immutable and hold plain values: coordinates are longitude/latitude in
EPSG:4326 (degrees), times of day are local wall-clock ``datetime.time`` values of the
area the workspace covers, durations are minutes where users write them (``visit_minutes``)
and are converted to integer seconds only inside the solvers.

Which fields each kind has, which are required, and how each is written in a file is
declared once, in :mod:`geoservice.io.schema`; the records here are what the rest of
the service computes with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

#: Kinds of record, in the order they must be imported so references resolve
#: (a client names a locality and a usual worker; a worker names a base hub).
KINDS: tuple[str, ...] = ("localities", "hubs", "workers", "clients", "visits", "resources", "hotspots")

#: Travel modes a worker can use (there is no public-transport routing).
MODES: tuple[str, ...] = ("drive", "walk", "bike")


@dataclass(frozen=True, order=True)
class TimeWindow:
    """A window of local clock time, ``start`` < ``end``, written ``HH:MM-HH:MM``."""

    start: dt.time
    end: dt.time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def seconds(self) -> tuple[int, int]:
        """The window as seconds since midnight, as the solvers use it."""
        return seconds_of_day(self.start), seconds_of_day(self.end)


@dataclass(frozen=True)
class Weekdays:
    """Days of the week someone works (0 = Monday), written ``Mo-Fr`` or ``Mo;We;Fr``."""

    days: frozenset[int]

    def __contains__(self, weekday: object) -> bool:
        return weekday in self.days

    def __len__(self) -> int:
        return len(self.days)

    def __str__(self) -> str:
        names = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
        ordered = sorted(self.days)
        if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
            return f"{names[ordered[0]]}-{names[ordered[-1]]}"
        return ";".join(names[d] for d in ordered)


MONDAY_TO_FRIDAY = Weekdays(frozenset(range(5)))


def seconds_of_day(t: dt.time) -> int:
    """Seconds since midnight of a clock time."""
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class Locality:
    """An area the service is organised by (e.g. an ICN+ locality or a neighbourhood).

    ``geometry`` is a Polygon or MultiPolygon in EPSG:4326.
    """

    id: str
    name: str
    geometry: BaseGeometry = field(repr=False, compare=False)


@dataclass(frozen=True)
class Hub:
    """A wellbeing hub or office where workers start and end their day."""

    id: str
    name: str
    lon: float
    lat: float
    kind: str = ""


@dataclass(frozen=True)
class Worker:
    """A member of staff who visits clients.

    A worker starts and ends the day at ``home`` (``lon``/``lat``) when given, otherwise at
    their ``base`` hub. ``shift`` is the usual working day on their working ``days``,
    ``lunch`` the window in which an unpaid break of ``lunch_minutes`` is taken (0: no
    break). ``hours_per_week`` are contracted working hours, spread evenly over the working
    days. ``absent`` lists days of leave or sickness. A ``relief`` worker belongs to the
    relief bank: used to cover absences, at a higher cost, and holds no caseload of their own.
    """

    id: str
    name: str
    base: str | None = None
    lon: float | None = None
    lat: float | None = None
    skills: frozenset[str] = frozenset()
    shift: TimeWindow = TimeWindow(dt.time(9, 0), dt.time(17, 0))
    hours_per_week: float = 37.5
    mode: str = "drive"
    absent: frozenset[dt.date] = frozenset()
    relief: bool = False
    locality: str | None = None
    lunch: TimeWindow = TimeWindow(dt.time(12, 0), dt.time(14, 0))
    lunch_minutes: int = 30
    days: Weekdays = MONDAY_TO_FRIDAY

    def is_available(self, day: dt.date) -> bool:
        """Whether the worker works on ``day`` (one of their working days, not marked absent)."""
        return day.weekday() in self.days and day not in self.absent


@dataclass(frozen=True)
class Client:
    """A person on the caseload. Everything about a client is confidential health data.

    ``notes`` is free text flagged sensitive: never shown on maps, in logs or to roles
    without client-level access. ``windows`` are the times the client can be visited
    (empty: any time in the worker's shift). ``need_weight`` weights the client in
    caseload sizes (1 = an average client). ``pinned`` clients are never moved to another
    worker by caseload balancing.
    """

    id: str
    name: str
    lon: float
    lat: float
    address: str = ""
    locality: str | None = None
    usual_worker: str | None = None
    need_weight: float = 1.0
    visit_minutes: int = 45
    windows: tuple[TimeWindow, ...] = ()
    skills: frozenset[str] = frozenset()
    pinned: bool = False
    notes: str = field(default="", repr=False)


@dataclass(frozen=True)
class Visit:
    """A visit due to a client on a date.

    ``earliest``/``latest`` bound the start of the visit and, when given, replace the
    client's own windows for that day. ``duration_minutes`` defaults to the client's
    ``visit_minutes``; ``skills`` are needed on top of the client's. ``worker`` fixes who
    goes (otherwise the client's usual worker, or the roster decides). ``priority``
    1 (must happen) to 3 (can move to another day).
    """

    id: str
    client_id: str
    date: dt.date
    earliest: dt.time | None = None
    latest: dt.time | None = None
    duration_minutes: int | None = None
    skills: frozenset[str] = frozenset()
    priority: int = 1
    worker: str | None = None


@dataclass(frozen=True)
class Resource:
    """A community resource: shelter, food, clinic, pharmacy, toilets, showers, ...

    ``type`` is free text compared case-insensitively; ``opening_hours`` is OSM
    ``opening_hours`` syntax (empty: unknown); ``capacity`` is people served at once,
    where known (used by accessibility scores).
    """

    id: str
    name: str
    type: str
    lon: float
    lat: float
    opening_hours: str = ""
    capacity: float | None = None
    phone: str = ""


@dataclass(frozen=True)
class Hotspot:
    """A rough-sleeping or encampment site. ``lon``/``lat`` is its point (a representative
    point of ``area`` when the site was given as a polygon); ``people`` is the estimate."""

    id: str
    lon: float
    lat: float
    name: str = ""
    people: int = 1
    last_seen: dt.date | None = None
    area: BaseGeometry | None = field(default=None, repr=False, compare=False)


Record = Locality | Hub | Worker | Client | Visit | Resource | Hotspot

RECORD_TYPES: dict[str, type[Any]] = {
    "localities": Locality,
    "hubs": Hub,
    "workers": Worker,
    "clients": Client,
    "visits": Visit,
    "resources": Resource,
    "hotspots": Hotspot,
}
