"""The team roster from the workspace: every worker's day at once, with cover for
absences, skills, continuity of care and explanations; as JSON, a table and CSV.

Wraps :func:`routing.roster.plan_roster` with the workspace's records: who is absent
(their ``absent`` dates, plus any named by the co-ordinator), contracted daily hours
(``hours_per_week`` over their working days; lunch is unpaid, so it comes on top), each
worker's mode, start (home or hub) and lunch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from geoservice.errors import NotFoundError, UserError
from geoservice.models import Client, Visit, Worker
from geoservice.networks import workspace_graph
from geoservice.plans import (
    WorkerDay,
    assigned_worker,
    day_start_point,
    lunch_of,
    shift_of,
    timezone_of,
    visit_request,
    visits_due,
    window_problem,
)
from geoservice.reports import spreadsheet_csv
from geoservice.store import Store
from routing.dayplan import DayPlan
from routing.roster import CONTINUITY_WEIGHT_S, Roster, RosterVisit, RosterWorker, plan_roster

#: Seconds the solver may spend on the team's day.
ROSTER_TIME_LIMIT_S = 20.0


@dataclass
class TeamRoster:
    """A planned team day with the records it came from."""

    date: dt.date
    roster: Roster
    workers: dict[str, Worker]
    due: dict[str, tuple[Visit, Client]]  #: visit id -> (visit, client), all visits due that day
    absent: list[str]
    start_names: dict[str, str]
    timezone: str

    def worker_day(self, worker_id: str) -> WorkerDay:
        """One worker's part of the roster, for the itinerary outputs (ICS, GPX, ...)."""
        if worker_id not in self.roster.days:
            raise NotFoundError(f"worker {worker_id} has no visits in the roster for {self.date}")
        plan = self.roster.days[worker_id]
        clients = {v.id: self.due[v.id][1] for v in plan.visits}
        return WorkerDay(self.workers[worker_id], self.date, plan, clients, self.start_names[worker_id],
                         self.timezone)

    def as_json(self) -> dict[str, Any]:
        """DESIGN.md's roster JSON: ``routes`` (one per worker with visits: ``worker`` and
        ordered ``visits`` with ``id`` and ``arrival``), ``unassigned``, ``travel_time_s``,
        ``continuity``; plus the changes from usual workers and hours per worker."""
        r = self.roster
        routes = []
        for wid, plan in r.days.items():
            w = self.workers[wid]
            contracted = daily_contracted_seconds(w)
            routes.append({
                "worker": wid, "name": w.name, "mode": plan.mode, "relief": w.relief,
                "start": plan.start_time.isoformat() if plan.start_time else None,
                "end": plan.end_time.isoformat() if plan.end_time else None,
                "visits": [{"id": v.id, "client_id": self.due[v.id][1].id, "arrival": v.arrival.isoformat(),
                            "start": v.start.isoformat(), "departure": v.departure.isoformat()}
                           for v in plan.visits],
                "travel_time_s": plan.travel_time_s, "distance_m": plan.distance_m,
                "working_time_s": plan.working_time_s, "paid_time_s": paid_seconds(plan),
                "contracted_s": contracted, "overtime_s": max(0, paid_seconds(plan) - contracted),
            })
        return {
            "date": self.date.isoformat(), "routes": routes,
            "unassigned": [{"id": vid, "client_id": self.due[vid][1].id, "reason": why}
                           for vid, why in r.unassigned.items()],
            "travel_time_s": r.travel_time_s, "distance_m": r.distance_m,
            "continuity": round(r.continuity, 4), "kept_with_usual_worker": r.kept, "with_usual_worker": r.with_usual,
            "changes": [{"visit": c.visit_id, "client_id": self.due[c.visit_id][1].id, "usual_worker": c.usual_worker,
                         "worker": c.worker, "reason": c.reason, "detail": c.detail} for c in r.changes],
            "absent": self.absent, "optimal": r.optimal, "solver": r.solver, "modes": r.modes,
            "settings": r.settings,
            "timezone": self.timezone,
        }

    def table(self) -> str:
        """The roster as plain text: a line per worker, the changes, what is not planned."""
        r = self.roster
        lines = [f"Team roster {self.date:%A %d %B %Y}: {sum(len(d.visits) for d in r.days.values())} visits by "
                 f"{len(r.days)} workers, travel {r.travel_time_s / 3600:.1f} h, {r.distance_m / 1000:.1f} km, "
                 f"continuity {r.continuity:.0%} ({r.kept} of {r.with_usual} with the usual worker)"]
        if self.absent:
            lines.append(f"absent: {', '.join(self.absent)}")
        lines.append("")
        lines.append(f"{'worker':<8}{'name':<22}{'mode':<6}{'visits':>7}{'hours':>7}{'contract':>9}"
                     f"{'travel':>8}  first-last")
        for wid, plan in r.days.items():
            w = self.workers[wid]
            span = f"{plan.start_time:%H:%M}-{plan.end_time:%H:%M}" if plan.start_time and plan.end_time else ""
            lines.append(f"{wid:<8}{w.name[:21]:<22}{plan.mode:<6}{len(plan.visits):>7}"
                         f"{plan.working_time_s / 3600:>7.1f}{daily_contracted_seconds(w) / 3600:>9.1f}"
                         f"{plan.travel_time_s / 60:>6.0f} m  {span}{'  (relief bank)' if w.relief else ''}")
        if r.changes:
            lines.append("\nNot with the usual worker:")
            for c in r.changes:
                lines.append(f"  {c.visit_id} ({self.due[c.visit_id][1].name}): {c.usual_worker} -> "
                             f"{c.worker or 'nobody'}: {c.detail}")
        if r.unassigned:
            lines.append("\nNot planned:")
            for vid, why in r.unassigned.items():
                lines.append(f"  {vid} ({self.due[vid][1].name}): {why}")
        return "\n".join(lines)

    def csv(self) -> str:
        """One row per visit: worker, order, times, client, usual worker, why changed."""
        changes = {c.visit_id: c for c in self.roster.changes}
        rows: list[list[object]] = []
        for wid, plan in self.roster.days.items():
            for k, v in enumerate(plan.visits, start=1):
                visit, client = self.due[v.id]
                c = changes.get(v.id)
                rows.append([wid, k, v.id, client.id, client.name, f"{v.arrival:%H:%M}", f"{v.start:%H:%M}",
                             f"{v.departure:%H:%M}", assigned_worker(visit, client) or "",
                             c.reason if c else "", c.detail if c else ""])
        for vid, why in self.roster.unassigned.items():
            visit, client = self.due[vid]
            rows.append(["", "", vid, client.id, client.name, "", "", "", assigned_worker(visit, client) or "",
                         "not planned", why])
        return spreadsheet_csv(["worker", "order", "visit", "client_id", "client", "arrival", "start", "departure",
                                "usual_worker", "change_reason", "change_detail"], rows)

    def to_json_text(self) -> str:
        """:meth:`as_json` as indented text."""
        return json.dumps(self.as_json(), ensure_ascii=False, indent=1)


def daily_contracted_seconds(worker: Worker) -> int:
    """Contracted (paid) working time for one working day, capped by the shift less lunch."""
    shift_s = (dt.datetime.combine(dt.date.min, worker.shift.end)
               - dt.datetime.combine(dt.date.min, worker.shift.start)).total_seconds()
    return int(min(worker.hours_per_week / len(worker.days) * 3600, shift_s - 60 * worker.lunch_minutes))


def paid_seconds(plan: DayPlan) -> int:
    """A planned day's working time (s) less its unpaid breaks."""
    return max(0, plan.working_time_s - sum(int((b.end - b.start).total_seconds()) for b in plan.breaks))


def roster_workspace(store: Store, date: dt.date, *, absent: Collection[str] = (),
                     continuity_weight_s: int = CONTINUITY_WEIGHT_S, time_limit: float = ROSTER_TIME_LIMIT_S,
                     seed: int = 0) -> TeamRoster:
    """Plan the whole team's day ``date`` from the workspace.

    Parameters
    ----------
    store
        The workspace.
    date
        The day.
    absent
        Worker ids off that day besides those whose ``absent`` dates include it.
    continuity_weight_s
        Seconds of travel worth spending to keep a client with their usual worker.
    time_limit, seed
        Solver budget (s) and seed.

    Raises
    ------
    NotFoundError
        A worker named in ``absent`` does not exist.
    """
    workers = {w.id: w for w in store.records("workers")}
    unknown = sorted(set(absent) - set(workers))
    if unknown:
        raise NotFoundError(f"no worker {unknown[0]!r} in the workspace (workers: {', '.join(sorted(workers))})")
    off = sorted(set(absent) | {w.id for w in workers.values() if not w.is_available(date)})
    tz = timezone_of(store)
    hubs = {h.id: h for h in store.records("hubs")}
    due = {v.id: (v, c) for v, c in visits_due(store, date)}
    roster_workers, start_names = [], {}
    for w in workers.values():
        start, start_names[w.id] = day_start_point(w, hubs)
        skills = w.skills | {_fixed_tag(w.id)}
        roster_workers.append(RosterWorker(w.id, start, shift_of(w, date, tz), mode=w.mode, skills=skills,
                                           breaks=lunch_of(w, date, tz),
                                           max_work_s=daily_contracted_seconds(w) + 60 * w.lunch_minutes,
                                           relief=w.relief))
    visits, impossible = [], {}
    for visit, client in due.values():
        request = visit_request(visit, client, tz)
        if problem := window_problem(visit, client):
            impossible[visit.id] = problem
            continue
        if visit.worker and visit.worker not in off:  # a fixed worker goes, if they are working
            lacking = request.skills - workers[visit.worker].skills
            if lacking:
                impossible[visit.id] = (f"skills: fixed to {visit.worker}, who does not have "
                                        f"{', '.join(sorted(lacking))}")
                continue
            request = dataclasses.replace(request, skills=request.skills | {_fixed_tag(visit.worker)})
        visits.append(RosterVisit(request, assigned_worker(visit, client)))
    modes = sorted({w.mode for w in roster_workers if w.id not in off})
    graphs = {mode: workspace_graph(store, mode) for mode in modes}
    try:
        roster = plan_roster(graphs, visits, roster_workers, date=date, absent=off,
                             continuity_weight_s=continuity_weight_s, time_limit=time_limit, seed=seed)
    except ValueError as e:  # e.g. a worker whose shift and lunch cannot both hold
        raise UserError(f"cannot plan {date}: {e}") from None
    roster.unassigned.update(impossible)
    return TeamRoster(date, roster, workers, due, off, start_names, tz.key)


def _fixed_tag(worker_id: str) -> str:
    """A skill only this worker has: ties a visit with a fixed ``worker`` to them."""
    return f"is:{worker_id}"


