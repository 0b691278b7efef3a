"""What a worker takes away from a planned day: the itinerary as JSON, a table, CSV,
a calendar (ICS), GPX for phone navigation, a printable day sheet, the mileage line
for an expenses claim, and the lone-working check-in schedule for a buddy.

Every function takes a :class:`geoservice.plans.WorkerDay` and returns text or data;
nothing here writes files. Times are the workspace's local time; ICS and GPX carry
time zones (ICS with a VTIMEZONE, GPX in UTC as the format requires).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geoservice.plans import WorkerDay

#: Minutes after a visit's expected end before a missing check-in raises the alarm.
CHECKIN_GRACE_MIN = 15


def _hm(t: dt.datetime | None) -> str:
    return t.strftime("%H:%M") if t else ""


def _minutes(seconds: float) -> str:
    return f"{round(seconds / 60):d} min"


def plan_json(day: WorkerDay) -> dict[str, Any]:
    """DESIGN.md's plan JSON: ``visits`` in order (``id``, ``arrival``, ``departure`` ISO
    date-times, and more), ``travel_time_s``, ``distance_m``, ``unassigned``."""
    plan = day.plan
    visits = []
    for k, v in enumerate(plan.visits):
        leg = plan.legs[k]
        visits.append({"id": v.id, "client_id": day.clients[v.id].id, "client": v.label,
                       "arrival": v.arrival.isoformat(), "start": v.start.isoformat(),
                       "departure": v.departure.isoformat(), "wait_s": v.wait_s,
                       "travel_time_s": leg.travel_time_s, "distance_m": leg.distance_m,
                       "lon": v.lon, "lat": v.lat})
    return {
        "worker": day.worker.id, "date": day.date.isoformat(), "mode": plan.mode,
        "start": plan.start_time.isoformat() if plan.start_time else None,
        "end": plan.end_time.isoformat() if plan.end_time else None,
        "visits": visits,
        "breaks": [{"start": b.start.isoformat(), "end": b.end.isoformat(), "after": b.after} for b in plan.breaks],
        "travel_time_s": plan.travel_time_s, "distance_m": plan.distance_m,
        "unassigned": [{"id": vid, "client_id": day.clients[vid].id if vid in day.clients else None,
                        "reason": reason} for vid, reason in plan.unassigned.items()],
        "optimal": plan.optimal, "timezone": day.timezone, "provenance": _jsonable(plan.provenance),
    }


def itinerary_rows(day: WorkerDay) -> list[dict[str, str]]:
    """One row per stop of the day, lunch included, as text for tables, CSV and HTML."""
    plan = day.plan
    rows = [{"#": "", "arrive": "", "start": "", "leave": _hm(plan.start_time), "what": f"Leave {day.start_name}",
             "address": "", "travel": "", "km": "", "wait": ""}]
    lunch_after = {b.after: b for b in plan.breaks}
    if None in lunch_after:
        b = lunch_after[None]
        rows.append({"#": "", "arrive": "", "start": _hm(b.start), "leave": _hm(b.end), "what": "Lunch break",
                     "address": "", "travel": "", "km": "", "wait": ""})
    for k, v in enumerate(plan.visits):
        leg, client = plan.legs[k], day.clients[v.id]
        rows.append({"#": str(k + 1), "arrive": _hm(v.arrival), "start": _hm(v.start), "leave": _hm(v.departure),
                     "what": f"{v.label} ({v.id})", "address": client.address, "travel": _minutes(leg.travel_time_s),
                     "km": f"{leg.distance_m / 1000:.1f}", "wait": _minutes(v.wait_s) if v.wait_s >= 60 else ""})
        if v.id in lunch_after:
            b = lunch_after[v.id]
            rows.append({"#": "", "arrive": "", "start": _hm(b.start), "leave": _hm(b.end), "what": "Lunch break",
                         "address": "", "travel": "", "km": "", "wait": ""})
    if plan.visits:
        back = plan.legs[-1]
        rows.append({"#": "", "arrive": _hm(plan.end_time), "start": "", "leave": "",
                     "what": f"Back at {day.start_name}", "address": "", "travel": _minutes(back.travel_time_s),
                     "km": f"{back.distance_m / 1000:.1f}", "wait": ""})
    return rows


def itinerary_table(day: WorkerDay) -> str:
    """The day as a plain-text table with totals and unplanned visits (for the terminal)."""
    plan = day.plan
    rows = itinerary_rows(day)
    columns = ["#", "arrive", "start", "leave", "what", "travel", "km", "wait"]
    widths = {c: max(len(c), *(len(r[c][:40]) for r in rows)) for c in columns}
    lines = [f"{day.worker.name} ({day.worker.id}), {day.date:%A %d %B %Y}, {plan.mode}, "
             f"shift {day.worker.shift}",
             "  ".join(c.ljust(widths[c]) for c in columns).rstrip(),
             "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(r[c][:40].ljust(widths[c]) for c in columns).rstrip() for r in rows]
    lines.append(f"{len(plan.visits)} visits; travel {_minutes(plan.travel_time_s)}, {plan.distance_m / 1000:.1f} km; "
                 f"{'optimal order' if plan.optimal else 'best order found'}")
    for vid, reason in plan.unassigned.items():
        lines.append(f"not planned: {vid} ({day.clients[vid].name if vid in day.clients else vid}): {reason}")
    return "\n".join(lines)


def itinerary_csv(day: WorkerDay) -> str:
    """The itinerary as CSV (one row per stop, lunch included)."""
    rows = itinerary_rows(day)
    return spreadsheet_csv(list(rows[0]), ([r[c] for c in rows[0]] for r in rows))


#: First characters that make a spreadsheet read a cell as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text for people to open in a spreadsheet: a text cell that would start a formula
    (``=``, ``+``, ``-``, ``@``: e.g. a client named ``=HYPERLINK(...)``) gets a leading
    apostrophe, so it shows as text and never runs; numbers are written as they are."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_as_text_cell(v) for v in row])
    return out.getvalue()


def _as_text_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def shown_name(day: WorkerDay, visit_id: str, *, full_names: bool) -> str:
    """How a file that leaves the service (a calendar, a GPX for a phone) names a client:
    their initials and the visit id by default, the full name only when asked for
    (phones sync calendars and routes to other companies' clouds)."""
    name = day.clients[visit_id].name
    if full_names:
        return name
    initials = "".join(f"{part[0]}." for part in name.split() if part[:1].isalpha())
    return f"{initials or 'client'} ({visit_id})"


def itinerary_ics(day: WorkerDay, *, full_names: bool = False) -> str:
    """An iCalendar file: one event per visit, travel and lunch as busy time. Clients are
    named by initials unless ``full_names`` (see :func:`shown_name`)."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//outreach-planner//day plan//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Visits {day.worker.name} {day.date}")
    stamp = dt.datetime.now(dt.UTC)
    plan = day.plan

    def event(uid: str, start: dt.datetime, end: dt.datetime, summary: str, description: str = "",
              location: str = "") -> None:
        e = icalendar.Event()
        e.add("uid", f"{uid}-{day.date}-{day.worker.id}@outreach-planner")
        e.add("dtstamp", stamp)
        e.add("dtstart", start)
        e.add("dtend", max(end, start + dt.timedelta(minutes=1)))
        e.add("summary", summary)
        e.add("transp", "OPAQUE")
        if description:
            e.add("description", description)
        if location:
            e.add("location", location)
        cal.add_component(e)

    for k, v in enumerate(plan.visits):
        leg = plan.legs[k]
        who = shown_name(day, v.id, full_names=full_names)
        if leg.travel_time_s > 0:
            event(f"travel-{v.id}", leg.depart, leg.arrive, f"Travel to {who}",
                  f"{_minutes(leg.travel_time_s)}, {leg.distance_m / 1000:.1f} km by {plan.mode}")
        event(f"visit-{v.id}", v.start, v.departure, f"Visit: {who}",
              f"Visit {v.id}. Arrive {_hm(v.arrival)}, start {_hm(v.start)}, leave {_hm(v.departure)}.",
              day.clients[v.id].address)
    if plan.visits:
        back = plan.legs[-1]
        event("travel-back", back.depart, back.arrive, f"Travel back to {day.start_name}")
    for b in plan.breaks:
        event(f"lunch-{_hm(b.start)}", b.start, b.end, "Lunch break")
    cal.add_missing_timezones()
    return str(cal.to_ical().decode("utf-8"))


def itinerary_gpx(day: WorkerDay, *, full_names: bool = False) -> str:
    """GPX 1.1 for phone navigation apps: a waypoint per visit (and the start), and the
    road route of the whole day as a route and as a track. Clients are named by initials
    unless ``full_names`` (see :func:`shown_name`)."""
    import gpxpy.gpx

    plan = day.plan
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "outreach-planner"
    gpx.name = f"{day.worker.name} {day.date}"
    lon0, lat0 = plan.start_point
    gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(lat0, lon0, name=f"Start: {day.start_name}"))
    for k, v in enumerate(plan.visits):
        gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(
            v.lat, v.lon, time=v.start.astimezone(dt.UTC),
            name=f"{k + 1:02d} {shown_name(day, v.id, full_names=full_names)}",
            description=f"{day.clients[v.id].address}. Arrive {_hm(v.arrival)}, leave {_hm(v.departure)}.",
            symbol="Flag"))
    route = gpxpy.gpx.GPXRoute(name=gpx.name)
    segment = gpxpy.gpx.GPXTrackSegment()
    for leg in plan.legs:
        for x, y in leg.geometry.coords:
            if route.points and (route.points[-1].longitude, route.points[-1].latitude) == (x, y):
                continue
            route.points.append(gpxpy.gpx.GPXRoutePoint(y, x))
            segment.points.append(gpxpy.gpx.GPXTrackPoint(y, x))
    if route.points:
        gpx.routes.append(route)
        track = gpxpy.gpx.GPXTrack(name=gpx.name)
        track.segments.append(segment)
        gpx.tracks.append(track)
    return str(gpx.to_xml(version="1.1"))


@dataclass(frozen=True)
class Mileage:
    """A mileage line for an expenses claim (workers use their own cars)."""

    date: dt.date
    worker_id: str
    worker_name: str
    km: float
    rate_per_km: float
    currency: str
    journey: str

    @property
    def amount(self) -> float:
        """``km`` × ``rate_per_km``, rounded to cents."""
        return round(self.km * self.rate_per_km, 2)

    def __str__(self) -> str:
        rate = f" × {self.rate_per_km:.2f} {self.currency}/km = {self.amount:.2f} {self.currency}" \
            if self.rate_per_km else " (no mileage rate set: `outreach settings mileage_rate_per_km=RATE`)"
        return f"{self.date}  {self.worker_id} {self.worker_name}  {self.km:.1f} km{rate}  ({self.journey})"


def mileage(day: WorkerDay, *, rate_per_km: float = 0.0, currency: str = "") -> Mileage:
    """The day's claimable mileage: road distance of a driving day (0 km on foot)."""
    plan = day.plan
    km = plan.distance_m / 1000 if plan.mode == "drive" else 0.0
    journey = (f"{day.start_name} → {len(plan.visits)} visits → {day.start_name}" if plan.visits
               else "no visits")
    return Mileage(day.date, day.worker.id, day.worker.name, round(km, 1), rate_per_km, currency, journey)


@dataclass(frozen=True)
class CheckIn:
    """When a lone worker is expected in and out of a visit, and when to raise the alarm."""

    visit_id: str
    place: str
    expected_arrival: dt.datetime
    expected_leave: dt.datetime
    alarm_after: dt.datetime


def checkins(day: WorkerDay, *, grace_minutes: int = CHECKIN_GRACE_MIN) -> list[CheckIn]:
    """The lone-working schedule for a buddy or duty manager: each visit's expected
    arrival and leaving time, the alarm time (leave + grace), and the return to base."""
    plan = day.plan
    grace = dt.timedelta(minutes=grace_minutes)
    out = [CheckIn(v.id, f"{v.label}, {day.clients[v.id].address}", v.arrival, v.departure, v.departure + grace)
           for v in plan.visits]
    if plan.visits and plan.end_time:
        out.append(CheckIn("end", f"back at {day.start_name}", plan.end_time, plan.end_time, plan.end_time + grace))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
