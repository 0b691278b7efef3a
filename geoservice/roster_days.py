"""Each day's team roster reduced to what the weekly figures count, kept in the workspace.

Planning a team's day (:func:`geoservice.roster.roster_workspace`) takes seconds of
solver time, so a week is kept day by day in ``<workspace>/outputs/rosters/<date>.json``
and used again by the next report, the web app's weekly page and ``outreach demo``.
A kept day holds, per visit due, who is planned to do it and the travel leading to it
(ids and numbers only: no client name or location).

Cache rule: a kept day is used when

1. its *fingerprint* matches: a SHA-256 over what planning the day reads (every
   client, worker and hub; that day's visits; the workspace settings except the
   mileage rate, currency and caseload settings; the OSM extract's size and
   modification time; the roster options continuity weight and seed; the
   outreach-planner version), so any change to those re-plans the day; and
2. it was planned with at least the solver time limit asked for (a longer search is
   no worse; a shorter one is planned again and replaces it).

Otherwise the day is planned again and its file replaced. Deleting the folder is
always safe.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoservice import __version__
from geoservice.plans import assigned_worker, visits_due
from geoservice.roster import ROSTER_TIME_LIMIT_S, TeamRoster, paid_seconds, roster_workspace
from geoservice.store import Store
from routing.dayplan import DayPlan
from routing.roster import CONTINUITY_WEIGHT_S

#: Version of the kept-day file; a file of another version is planned again.
CACHE_FORMAT = 1
#: Settings that do not change a roster (presentation and caseload rules), left out of the fingerprint.
NOT_PLANNING_SETTINGS = frozenset({"mileage_rate_per_km", "currency", "caseload_per_full_time",
                                   "caseload_move_minutes"})


@dataclass(frozen=True)
class VisitOutcome:
    """One visit due on a day and what the roster did with it.

    ``worker`` is who is planned to do it (``None``: not planned, ``reason`` says why);
    ``usual_worker`` the visit's fixed worker or the client's usual worker. Travel is
    the leg leading to the visit, plus the way back after the worker's last visit of
    the day, on ``mode`` (the worker's): ``travel_time_s`` seconds, ``distance_m``
    metres. ``service_s`` is the time spent with the client (seconds).
    """

    visit: str
    client: str
    usual_worker: str | None
    worker: str | None
    service_s: int = 0
    travel_time_s: int = 0
    distance_m: int = 0
    mode: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class WorkedDay:
    """A worker's planned day in figures: ``working_time_s`` paid working time (from
    leaving the start to getting back, less unpaid breaks), travel in seconds and metres,
    on ``mode``."""

    worker: str
    mode: str
    visits: int
    working_time_s: int
    travel_time_s: int
    distance_m: int


@dataclass(frozen=True)
class PlannedDay:
    """A team's planned day as the weekly figures count it.

    ``visits`` holds every visit due (planned or not); ``worked`` the workers given
    visits; ``absent`` those off that day. ``time_limit`` is the solver budget it was
    planned with (seconds); ``from_cache`` whether it was read from the workspace.
    """

    date: dt.date
    visits: tuple[VisitOutcome, ...]
    worked: dict[str, WorkedDay]
    absent: tuple[str, ...]
    time_limit: float
    optimal: bool = False
    solver: str = ""
    from_cache: bool = False

    def as_json(self) -> dict[str, Any]:
        """The day as stored in its cache file (ids and numbers only)."""
        return {"date": self.date.isoformat(), "absent": list(self.absent), "time_limit": self.time_limit,
                "optimal": self.optimal, "solver": self.solver,
                "worked": [dataclasses.asdict(w) for w in self.worked.values()],
                "visits": [dataclasses.asdict(v) for v in self.visits]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, from_cache: bool = False) -> PlannedDay:
        """A day from :meth:`as_json`'s document."""
        worked = [WorkedDay(**w) for w in data["worked"]]
        return cls(dt.date.fromisoformat(data["date"]), tuple(VisitOutcome(**v) for v in data["visits"]),
                   {w.worker: w for w in worked}, tuple(data["absent"]), float(data["time_limit"]),
                   bool(data["optimal"]), str(data["solver"]), from_cache)


def planned_day_of(team: TeamRoster) -> PlannedDay:
    """What the weekly figures count of a planned team day (pure: no I/O)."""
    r = team.roster
    outcomes: dict[str, VisitOutcome] = {}
    worked = {}
    for wid, plan in r.days.items():
        outcomes.update(_outcomes(plan, wid, team))
        worked[wid] = WorkedDay(wid, plan.mode, len(plan.visits), paid_seconds(plan), plan.travel_time_s,
                                plan.distance_m)
    for vid, (visit, client) in team.due.items():
        if vid not in outcomes:
            outcomes[vid] = VisitOutcome(vid, client.id, assigned_worker(visit, client), None,
                                         reason=r.unassigned.get(vid, "not planned"))
    limit = float(str(r.settings.get("time_limit", 0.0)))
    return PlannedDay(team.date, tuple(outcomes[vid] for vid in sorted(outcomes)), worked, tuple(team.absent),
                      limit, r.optimal, r.solver)


def _outcomes(plan: DayPlan, worker: str, team: TeamRoster) -> dict[str, VisitOutcome]:
    """The visits of one worker's day, each with the leg leading to it (the way back goes
    with the last visit)."""
    if not plan.visits:
        return {}
    travel = {v.id: [0, 0] for v in plan.visits}
    last = plan.visits[-1].id
    for leg in plan.legs:
        into = leg.destination if leg.destination in travel else last
        travel[into][0] += leg.travel_time_s
        travel[into][1] += leg.distance_m
    out = {}
    for v in plan.visits:
        visit, client = team.due[v.id]
        out[v.id] = VisitOutcome(v.id, client.id, assigned_worker(visit, client), worker,
                                 int((v.departure - v.start).total_seconds()), travel[v.id][0], travel[v.id][1],
                                 plan.mode)
    return out


# -- the workspace -------------------------------------------------------------------------


def rosters_dir(store: Store) -> Path:
    """Folder of the kept days: ``<workspace>/outputs/rosters``."""
    return store.outputs_dir / "rosters"


def roster_fingerprint(store: Store, date: dt.date, *, continuity_weight_s: int = CONTINUITY_WEIGHT_S,
                       seed: int = 0) -> str:
    """SHA-256 (hex) of everything planning the team's day ``date`` reads (see the module's
    cache rule); equal fingerprints mean the same roster problem."""
    settings = {k: v for k, v in store.settings().items() if k not in NOT_PLANNING_SETTINGS}
    source = Path(settings.get("network_source", ""))
    extract = [source.stat().st_size, source.stat().st_mtime_ns] if source.name and source.is_file() else None
    content = {
        "format": CACHE_FORMAT, "version": __version__, "date": date.isoformat(),
        "options": {"continuity_weight_s": continuity_weight_s, "seed": seed},
        "settings": settings, "extract": extract,
        "clients": [_canonical(c) for c in store.records("clients")],
        "workers": [_canonical(w) for w in store.records("workers")],
        "hubs": [_canonical(h) for h in store.records("hubs")],
        "visits": [_canonical(v) for v in store.records("visits") if v.date == date],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    """A record as JSON-ready data whose text does not depend on set order or the process."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(json.dumps(_canonical(v), sort_keys=True) for v in value)
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    return str(value)


def kept_day(store: Store, date: dt.date, fingerprint: str, *, time_limit: float) -> PlannedDay | None:
    """The kept day ``date`` when its file matches ``fingerprint`` and was planned with at
    least ``time_limit`` seconds; ``None`` otherwise (missing, stale, shorter, unreadable)."""
    path = rosters_dir(store) / f"{date.isoformat()}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != CACHE_FORMAT or data.get("fingerprint") != fingerprint:
            return None
        day = PlannedDay.from_json(data["day"], from_cache=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return day if day.time_limit >= time_limit else None


def keep_day(store: Store, day: PlannedDay, fingerprint: str) -> Path:
    """Write ``day`` to its file (atomically: a reader sees the old file or the new one)."""
    folder = rosters_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.date.isoformat()}.json"
    tmp = folder / f".{day.date.isoformat()}.{os.getpid()}.tmp"
    document = {"format": CACHE_FORMAT, "fingerprint": fingerprint,
                "kept_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "day": day.as_json()}
    tmp.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def keep_roster(store: Store, team: TeamRoster) -> PlannedDay | None:
    """Keep a roster planned elsewhere (``outreach roster``, the demo's day) for the weekly
    figures, under the options it was planned with.

    A roster with absences named for that day only (``outreach roster --absent``) is a
    what-if, not the week's plan: it is not kept (returns ``None``).
    """
    own = {w.id for w in team.workers.values() if not w.is_available(team.date)}
    if set(team.absent) != own:
        return None
    settings = team.roster.settings
    day = planned_day_of(team)
    weight = int(str(settings.get("continuity_weight_s", CONTINUITY_WEIGHT_S)))
    keep_day(store, day, roster_fingerprint(store, team.date, continuity_weight_s=weight,
                                            seed=int(str(settings.get("seed", 0)))))
    return day


def planned_day(store: Store, date: dt.date, *, time_limit: float = ROSTER_TIME_LIMIT_S,
                continuity_weight_s: int = CONTINUITY_WEIGHT_S, seed: int = 0, refresh: bool = False) -> PlannedDay:
    """The team's planned day ``date``: the kept one when the cache rule allows, else
    planned now (``time_limit`` seconds of solver time) and kept.

    A day with no visits due is not planned (nothing to plan); its absent workers are
    still listed. ``refresh`` plans the day again whatever is kept.
    """
    fingerprint = roster_fingerprint(store, date, continuity_weight_s=continuity_weight_s, seed=seed)
    day = None if refresh else kept_day(store, date, fingerprint, time_limit=time_limit)
    if day is not None:
        return day
    if not visits_due(store, date):
        absent = tuple(sorted(w.id for w in store.records("workers") if not w.is_available(date)))
        return PlannedDay(date, (), {}, absent, 0.0, optimal=True, solver="none (no visits due)")
    team = roster_workspace(store, date, continuity_weight_s=continuity_weight_s, time_limit=time_limit, seed=seed)
    day = planned_day_of(team)
    keep_day(store, day, fingerprint)
    return day
