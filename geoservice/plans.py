"""A worker's day from the workspace: which visits are due, as routing requests, planned.

Turns workspace records (:mod:`geoservice.models`) into the routing layer's requests
(:class:`routing.dayplan.VisitRequest`) and back. Times are local to the workspace's
timezone (setting ``timezone``, an IANA name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from geoservice.errors import NotFoundError, UserError
from geoservice.models import Client, Hub, Visit, Worker
from geoservice.networks import workspace_graph
from geoservice.opening import workspace_zone
from geoservice.store import Store
from routing.dayplan import DayPlan, LunchBreak, VisitRequest, plan_day

#: Seconds the solver may spend on one worker's day.
DAY_TIME_LIMIT_S = 5.0
#: Priority 1 visits must happen; 2 and 3 are planned if they fit, 2 before 3: the
#: solvers maximise the sum of prizes, so one priority-2 visit outweighs up to 9,999
#: priority-3 visits.
_PRIZES = {1: 0, 2: 10_000, 3: 1}


@dataclass
class WorkerDay:
    """A planned day with the records it was planned from (for outputs and maps)."""

    worker: Worker
    date: dt.date
    plan: DayPlan
    clients: dict[str, Client]  #: client of each visit id in the day (planned or not)
    start_name: str  #: where the day starts: the hub's name, or "home"
    timezone: str

    def as_json(self) -> dict[str, object]:
        """The plan as DESIGN.md's ``plan`` JSON (ISO date-times with offset)."""
        from geoservice.reports import plan_json

        return plan_json(self)


def timezone_of(store: Store) -> ZoneInfo:
    """The workspace's timezone (setting ``timezone``; UTC when unset)."""
    return workspace_zone(store.settings().get("timezone"))


def find_worker(store: Store, worker_id: str) -> Worker:
    """The worker with ``worker_id``, or a :class:`NotFoundError` naming it."""
    for worker in store.records("workers"):
        if worker.id == worker_id:
            return worker
    known = ", ".join(sorted(w.id for w in store.records("workers"))[:8])
    raise NotFoundError(f"no worker {worker_id!r} in the workspace (workers: {known or 'none'})")


def day_start_point(worker: Worker, hubs: dict[str, Hub]) -> tuple[tuple[float, float], str]:
    """Where ``worker`` starts and ends the day, ``(lon, lat)``, and its name."""
    if worker.lon is not None and worker.lat is not None:
        return (worker.lon, worker.lat), "home"
    if worker.base and worker.base in hubs:
        hub = hubs[worker.base]
        return (hub.lon, hub.lat), hub.name
    raise UserError(f"worker {worker.id} has neither a home location nor a base hub")


def visits_due(store: Store, date: dt.date) -> list[tuple[Visit, Client]]:
    """Visits due on ``date`` with their clients, in id order."""
    clients = {c.id: c for c in store.records("clients")}
    return sorted(((v, clients[v.client_id]) for v in store.records("visits") if v.date == date),
                  key=lambda vc: vc[0].id)


def assigned_worker(visit: Visit, client: Client) -> str | None:
    """Who does a visit unless the roster says otherwise: the visit's own worker, or the
    client's usual worker."""
    return visit.worker or client.usual_worker


def visit_request(visit: Visit, client: Client, tz: ZoneInfo, *, label: str | None = None) -> VisitRequest:
    """A visit as a routing request on its date.

    Priority 1 visits are required; priorities 2 and 3 are planned if they fit, 2 first.
    The visit's ``earliest``/``latest`` bound its start. Otherwise the client's windows
    are when the client can be seen, so the whole visit must fit inside one: its start
    lies in ``[window start, window end - duration]``; windows too short for the visit
    are left out (see :func:`window_problem` for a visit that fits none).
    """
    duration = dt.timedelta(minutes=visit.duration_minutes or client.visit_minutes)

    def at(t: dt.time) -> dt.datetime:
        return dt.datetime.combine(visit.date, t, tzinfo=tz)

    windows: list[tuple[dt.datetime, dt.datetime]] = []
    if visit.earliest or visit.latest:
        windows.append((at(visit.earliest or dt.time(0)), at(visit.latest or dt.time(23, 59))))
    else:
        windows += [(at(w.start), at(w.end) - duration) for w in client.windows
                    if at(w.end) - duration >= at(w.start)]
    return VisitRequest(id=visit.id, lon=client.lon, lat=client.lat, duration_s=int(duration.total_seconds()),
                        windows=tuple(windows), skills=client.skills | visit.skills, required=visit.priority == 1,
                        prize=_PRIZES[visit.priority], label=label if label is not None else client.name)


def window_problem(visit: Visit, client: Client) -> str | None:
    """Why a visit cannot be planned whatever the day, or None: it is longer than every
    window the client can be seen in."""
    minutes = visit.duration_minutes or client.visit_minutes
    if visit.earliest or visit.latest or not client.windows:
        return None
    if all((w.end.hour * 60 + w.end.minute) - (w.start.hour * 60 + w.start.minute) < minutes
           for w in client.windows):
        windows = ", ".join(str(w) for w in client.windows)
        return f"window: a {minutes}-minute visit does not fit in the client's windows ({windows})"
    return None


def shift_of(worker: Worker, date: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The worker's shift on ``date`` as local datetimes."""
    return (dt.datetime.combine(date, worker.shift.start, tzinfo=tz),
            dt.datetime.combine(date, worker.shift.end, tzinfo=tz))


def lunch_of(worker: Worker, date: dt.date, tz: ZoneInfo) -> tuple[LunchBreak, ...]:
    """The worker's lunch break on ``date`` (none if ``lunch_minutes`` is 0)."""
    if worker.lunch_minutes <= 0:
        return ()
    return (LunchBreak((dt.datetime.combine(date, worker.lunch.start, tzinfo=tz),
                        dt.datetime.combine(date, worker.lunch.end, tzinfo=tz)), worker.lunch_minutes * 60),)


def plan_worker_day(store: Store, worker_id: str, date: dt.date, *,
                    time_limit: float = DAY_TIME_LIMIT_S, seed: int = 0) -> WorkerDay:
    """Plan ``worker_id``'s visits due on ``date`` on the workspace's road network.

    The visits are those assigned to the worker (the visit's ``worker``, else the
    client's usual worker). A worker who is absent that day gets an empty plan with
    every visit in ``unassigned`` ("absent: needs cover"), so the co-ordinator sees
    what to cover (``outreach roster``).

    Raises
    ------
    NotFoundError
        No such worker.
    """
    worker = find_worker(store, worker_id)
    tz = timezone_of(store)
    hubs = {h.id: h for h in store.records("hubs")}
    start, start_name = day_start_point(worker, hubs)
    due = [(v, c) for v, c in visits_due(store, date) if assigned_worker(v, c) == worker.id]
    clients = {v.id: c for v, c in due}
    G = workspace_graph(store, worker.mode)
    shift = shift_of(worker, date, tz)
    if not worker.is_available(date):
        why = "on leave or off sick" if date in worker.absent else f"not working ({worker.days} only)"
        empty = plan_day(G, [], start=start, shift=shift, mode=worker.mode, skills=worker.skills)
        empty.unassigned = {v.id: f"absent: {worker.id} is {why} on {date}; needs cover (see `outreach roster`)"
                            for v, _ in due}
        return WorkerDay(worker, date, empty, clients, start_name, tz.key)
    impossible = {v.id: problem for v, c in due if (problem := window_problem(v, c))}
    requests = [visit_request(v, c, tz) for v, c in due if v.id not in impossible]
    try:
        plan = plan_day(G, requests, start=start, shift=shift, breaks=lunch_of(worker, date, tz), mode=worker.mode,
                        skills=worker.skills, worker_id=worker.id, time_limit=time_limit, seed=seed)
    except ValueError as e:  # a start far from the roads, or a shift and lunch that do not fit
        raise UserError(f"worker {worker.id} ({start_name}): {e}") from None
    plan.unassigned.update(impossible)
    return WorkerDay(worker, date, plan, clients, start_name, tz.key)
