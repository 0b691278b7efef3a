"""Weekly management figures: per worker, per locality and for the team, the caseload
held and the week's planned work — visits, hours, travel, mileage, continuity of care
and visits that could not be planned.

DESIGN.md puts the weekly figures in ``reports.py``; that module holds a worker's day
outputs (itinerary, mileage line, check-ins), so the figures live here, beside it, with
the days they count kept by :mod:`geoservice.roster_days` and their HTML page and SVG
charts in :mod:`geoservice.weekly_page`.

How each figure is counted (a week is Monday to Friday, plus a weekend day with visits due):

- *clients*, *need*, *capacity*: the caseload now (:func:`geoservice.caseload.workspace_caseload`):
  a worker's clients are those whose usual worker they are; a locality's are the
  clients living in it, its capacity that of the workers based there. Need in need units.
- *visits*: visits planned in the week's rosters; a worker's are those they are planned
  to make, a locality's those to its clients (by whoever makes them).
- *covered*: visits a worker makes for another worker's client (absence cover, skills, room).
- *visit hours*: time with clients; *planned hours*: from leaving the start of the day to
  getting back, summed over days; *contracted*: contracted daily hours on the days the
  worker is at work (not absent).
- *travel*: each leg of a day counts for the visit it leads to (the way back for the
  day's last visit), so a locality's travel is the travel to its clients. *km driven*
  and the *claim* (km x the workspace setting ``mileage_rate_per_km``, in ``currency``)
  count driving days only: walking is not claimed.
- *continuity*: of the planned visits to clients with a usual worker, the share made by
  that worker (a worker's row: their own clients' visits).
- *not planned*: visits due that no roster could place; a worker's row counts their own
  clients' visits.

The team row adds the locality rows (clients, need, visits, visit hours, travel,
mileage, continuity, not planned) and the worker rows (capacity, planned and
contracted hours, covered). A view scoped to some localities (:meth:`WeeklyFigures.scoped`)
keeps those localities, the visible workers, and a team row over those localities.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from geoservice.caseload_report import CaseloadState, LocalityLoad, WorkerLoad
from geoservice.models import Worker
from geoservice.reports import spreadsheet_csv
from geoservice.roster import daily_contracted_seconds as contracted_day_s
from geoservice.roster_days import PlannedDay, VisitOutcome, planned_day
from geoservice.texttable import text_table
from routing.roster import CONTINUITY_WEIGHT_S

if TYPE_CHECKING:
    from geoservice.store import Store

#: Solver seconds per day for the weekly figures (``outreach report weekly``).
WEEK_DAY_TIME_LIMIT_S = 5.0
#: Solver seconds per missing day on the web app's page and in ``outreach demo``.
QUICK_DAY_TIME_LIMIT_S = 2.0
_NONE = "(no locality)"


@dataclass(frozen=True)
class FigureRow:
    """One row of the figures: a worker, a locality or the team (``level``).

    Times in seconds, distances in metres, need and capacity in need units; ``claim``
    in the workspace's currency. ``covered``, ``working_time_s`` and ``contracted_s``
    are ``None`` on locality rows (they belong to workers).
    """

    level: str
    id: str
    name: str
    locality: str | None = None
    mode: str = ""
    relief: bool = False
    clients: int = 0
    need: float = 0.0
    capacity: float = 0.0
    visits: int = 0
    covered: int | None = None
    visit_time_s: int = 0
    working_time_s: int | None = None
    contracted_s: int | None = None
    travel_time_s: int = 0
    drive_time_s: int = 0
    drive_distance_m: int = 0
    claim: float = 0.0
    kept: int = 0
    with_usual: int = 0
    unassigned: int = 0

    @property
    def continuity(self) -> float | None:
        """Share of planned visits (with a usual worker) made by the usual worker; ``None``: none."""
        return self.kept / self.with_usual if self.with_usual else None

    @property
    def load(self) -> float | None:
        """Need held / capacity (``None`` without capacity)."""
        return self.need / self.capacity if self.capacity > 0 else None

    @property
    def km_driven(self) -> float:
        """Kilometres driven (driving days only), one decimal."""
        return round(self.drive_distance_m / 1000, 1)

    def as_json(self) -> dict[str, Any]:
        """The row as JSON-ready figures (no client data)."""
        return {"level": self.level, "id": self.id, "name": self.name, "locality": self.locality,
                "mode": self.mode or None, "relief": self.relief, "clients": self.clients, "need": round(self.need, 2),
                "capacity": round(self.capacity, 2), "load": _round(self.load, 3), "visits": self.visits,
                "covered_for_others": self.covered, "visit_time_s": self.visit_time_s,
                "working_time_s": self.working_time_s, "contracted_s": self.contracted_s,
                "travel_time_s": self.travel_time_s, "drive_time_s": self.drive_time_s,
                "drive_distance_m": self.drive_distance_m, "km_driven": self.km_driven,
                "mileage_claim": self.claim, "continuity": _round(self.continuity, 4),
                "kept_with_usual_worker": self.kept, "with_usual_worker": self.with_usual,
                "not_planned": self.unassigned}


@dataclass(frozen=True)
class DayRow:
    """One day of the week for the team (or a scope): what was planned and how."""

    date: dt.date
    absent: tuple[str, ...]
    visits: int
    unassigned: int
    travel_time_s: int
    drive_distance_m: int
    kept: int
    with_usual: int
    time_limit: float
    from_cache: bool
    solver: str

    @property
    def plan_note(self) -> str:
        """How the day was planned, in words (``5 s solver, kept``)."""
        if not self.visits and not self.unassigned:
            return "no visits due"
        return f"{self.time_limit:g} s solver{', kept' if self.from_cache else ''}"

    def as_json(self) -> dict[str, Any]:
        """The day as JSON-ready figures."""
        return {"date": self.date.isoformat(), "absent": list(self.absent), "visits": self.visits,
                "not_planned": self.unassigned, "travel_time_s": self.travel_time_s,
                "drive_distance_m": self.drive_distance_m,
                "continuity": _round(self.kept / self.with_usual if self.with_usual else None, 4),
                "time_limit_s": self.time_limit, "from_cache": self.from_cache, "solver": self.solver}


@dataclass(frozen=True)
class WeeklyFigures:
    """A week's management figures; render with :meth:`as_json`, :meth:`csv`,
    :meth:`table` or :meth:`html`.

    Attributes
    ----------
    week_start
        The Monday.
    workers, localities, team
        The rows (see the module's definitions).
    day_rows
        Per planned day: visits, travel, who was absent, the solver budget, cached or not.
    unassigned
        ``(date, visit)`` of each visit not planned (ids and reasons only).
    rate_per_km, currency
        The mileage rate the claims use.
    scope
        ``None`` for the whole team, else which localities the figures cover.
    """

    week_start: dt.date
    workers: tuple[FigureRow, ...]
    localities: tuple[FigureRow, ...]
    team: FigureRow
    day_rows: tuple[DayRow, ...]
    unassigned: tuple[tuple[dt.date, VisitOutcome], ...]
    rate_per_km: float
    currency: str
    caseload_per_full_time: float
    scope: str | None = None
    inputs: WeekInputs | None = field(default=None, repr=False, compare=False)

    @property
    def week_end(self) -> dt.date:
        """The Sunday."""
        return self.week_start + dt.timedelta(days=6)

    def scoped(self, localities: Collection[str] | None, workers: Collection[str], *,
               label: str | None = None) -> WeeklyFigures:
        """The figures as a viewer limited to ``localities`` (ids; ``None``: all) and to the
        ``workers`` (ids) they may see gets them: their localities' rows, their workers'
        rows, the days and the team row counted over their localities' clients only."""
        if self.inputs is None:
            raise ValueError("these figures were not built by week_figures() and cannot be re-scoped")
        if localities is None:
            return week_figures(self.inputs, workers=workers)
        names = [r.name for r in self.localities if r.locality in localities]
        return week_figures(self.inputs, localities=localities, workers=workers,
                            scope=label or f"Your localities ({', '.join(names) or 'none'})")

    def summary(self) -> str:
        """The team's week in one line."""
        t = self.team
        continuity = "-" if t.continuity is None else f"{t.continuity:.0%}"
        return (f"{t.visits} visits planned ({t.unassigned} not), {(t.working_time_s or 0) / 3600:.1f} h of work "
                f"with {t.travel_time_s / 3600:.1f} h travel, {t.km_driven:.1f} km driven "
                f"({_money(t.claim, self.currency)}), continuity {continuity}")

    def as_json(self) -> dict[str, Any]:
        """``{week_start, week_end, scope, team, workers, localities, days, unassigned, settings}``;
        seconds, metres, need units; continuity and load as fractions."""
        return {"week_start": self.week_start.isoformat(), "week_end": self.week_end.isoformat(),
                "scope": self.scope, "team": self.team.as_json(),
                "workers": [r.as_json() for r in self.workers],
                "localities": [r.as_json() for r in self.localities],
                "days": [d.as_json() for d in self.day_rows],
                "unassigned": [{"date": d.isoformat(), "visit": v.visit, "client_id": v.client,
                                "usual_worker": v.usual_worker, "reason": v.reason} for d, v in self.unassigned],
                "settings": {"mileage_rate_per_km": self.rate_per_km, "currency": self.currency,
                             "caseload_per_full_time": self.caseload_per_full_time}}

    def to_json_text(self) -> str:
        """:meth:`as_json` as indented text."""
        return json.dumps(self.as_json(), ensure_ascii=False, indent=1)

    def csv(self) -> str:
        """One CSV file, one row per worker, locality and the team, told apart by the
        ``level`` column (``worker``, ``locality``, ``team``): filter on it in a spreadsheet.
        Hours with two decimals, kilometres with one, continuity and load as fractions."""
        rows = []
        for r in (*self.workers, *self.localities, self.team):
            rows.append([self.week_start.isoformat(), r.level, r.id, r.name, r.locality or "", r.mode,
                         "yes" if r.relief else "",
                         r.clients, f"{r.need:g}", f"{r.capacity:g}", _text(_round(r.load, 3)), r.visits,
                         _text(r.covered), f"{r.visit_time_s / 3600:.2f}", _hours_text(r.working_time_s, 2),
                         _hours_text(r.contracted_s, 2), f"{r.travel_time_s / 3600:.2f}",
                         f"{r.km_driven:.1f}", f"{r.claim:.2f}", self.currency,
                         _text(_round(r.continuity, 4)), r.kept, r.with_usual, r.unassigned])
        return spreadsheet_csv(CSV_COLUMNS, rows)

    def table(self) -> str:
        """The figures as plain text: the week, per worker, per locality, per day."""
        days = [{"day": f"{d.date:%a %d %b}", "visits": d.visits, "not planned": d.unassigned,
                 "travel h": round(d.travel_time_s / 3600, 1), "km driven": round(d.drive_distance_m / 1000, 1),
                 "continuity %": _percent(d.kept / d.with_usual if d.with_usual else None),
                 "absent": ", ".join(d.absent) or None, "planned with": d.plan_note} for d in self.day_rows]
        lines = [self.title(), f"{self.scope or 'Team'}: {self.summary()}", "",
                 "Workers (over the week; load = need / capacity)",
                 text_table([{"worker": r.id, "name": r.name, "locality": self.locality_name(r), "mode": r.mode,
                              **_text_row(r)} for r in self.workers],
                            ["worker", "name", "locality", "mode", *_TEXT_FIGURES[:5], "covered",
                             *_TEXT_FIGURES[5:7], "planned h", "contract h", *_TEXT_FIGURES[7:]], width=24),
                 "", "Localities (for the clients living there)",
                 text_table([{"locality": r.name, **_text_row(r)} for r in (*self.localities, self.team)],
                            ["locality", *_TEXT_FIGURES]),
                 "", "Days", text_table(days, list(days[0]) if days else ["day"])]
        if self.unassigned:
            lines += ["", "Not planned:"] + [f"  {d:%a %d %b} {v.visit} (client {v.client}, usual worker "
                                             f"{v.usual_worker or '-'}): {v.reason}" for d, v in self.unassigned]
        rate = (f"mileage at {self.rate_per_km:.2f} {self.currency}/km" if self.rate_per_km
                else "no mileage rate set (`outreach settings mileage_rate_per_mile=RATE`)")
        lines += ["", f"Claims: {rate}; driving days only."]
        return "\n".join(lines)

    def title(self) -> str:
        """``Weekly figures, week 48: Mon 23 Nov - Sun 29 Nov 2026``."""
        week = self.week_start.isocalendar().week
        return f"Weekly figures, week {week}: {self.week_start:%a %d %b} - {self.week_end:%a %d %b %Y}"

    def html(self) -> str:
        """A self-contained HTML page with SVG charts and the tables (no script, no
        request to any server); prints on A4. Holds no client data."""
        from geoservice.weekly_page import weekly_page

        return weekly_page(self)

    def locality_name(self, row: FigureRow) -> str:
        """The name of a worker row's locality (``relief bank`` for the relief bank)."""
        if row.relief:
            return "relief bank"
        for r in self.localities:
            if r.locality is not None and r.locality == row.locality:
                return r.name
        return row.locality or "-"


#: The CSV header (see :meth:`WeeklyFigures.csv`).
CSV_COLUMNS = ("week_start", "level", "id", "name", "locality", "mode", "relief", "clients", "need", "capacity", "load",
               "visits", "covered_for_others", "visit_hours", "planned_hours", "contracted_hours",
               "travel_hours", "km_driven", "mileage_claim", "currency", "continuity", "kept_with_usual_worker",
               "with_usual_worker", "not_planned")


@dataclass(frozen=True)
class WeekInputs:
    """What the figures are counted from: the planned days, the caseloads, the workers
    (every one, relief bank included), the mileage rate."""

    week_start: dt.date
    days: tuple[PlannedDay, ...]
    caseload: CaseloadState
    workers: tuple[Worker, ...]
    rate_per_km: float = 0.0
    currency: str = ""


def week_figures(inputs: WeekInputs, *, localities: Collection[str] | None = None,
                 workers: Collection[str] | None = None, scope: str | None = None) -> WeeklyFigures:
    """Count the figures (pure: no I/O). ``localities`` (ids) and ``workers`` (ids) limit
    the rows and the days to what a scoped viewer may see (``None``: everything)."""
    state = inputs.caseload
    client_locality = {c.id: c.locality for c in state.team.clients}

    def in_view(v: VisitOutcome) -> bool:
        return localities is None or client_locality.get(v.client) in localities

    everything = [(day.date, v) for day in inputs.days for v in day.visits]
    dated = [(d, v) for d, v in everything if in_view(v)]
    loads = {x.worker: x for x in state.loads}
    # a worker's row is their whole week, whoever's clients they visit: whoever may see the worker sees it
    worker_rows = tuple(_worker_row(w, inputs, everything, loads.get(w.id))
                        for w in inputs.workers if workers is None or w.id in workers)
    locality_rows = tuple(_locality_row(x, [(d, v) for d, v in dated if client_locality.get(v.client) == x.locality],
                                        inputs.rate_per_km)
                          for x in state.localities if localities is None or x.locality in localities)
    team = _team_row(locality_rows, worker_rows, inputs.rate_per_km)
    days = tuple(_day_row(day, [v for v in day.visits if in_view(v)],
                          [w for w in day.absent if workers is None or w in workers]) for day in inputs.days)
    unassigned = tuple((d, v) for d, v in dated if v.worker is None)
    return WeeklyFigures(inputs.week_start, worker_rows, locality_rows, team, days, unassigned, inputs.rate_per_km,
                         inputs.currency, state.team.caseload_per_full_time, scope, inputs)


def _worker_row(w: Worker, inputs: WeekInputs, dated: Sequence[tuple[dt.date, VisitOutcome]],
                load: WorkerLoad | None) -> FigureRow:
    mine = [v for _, v in dated if v.worker == w.id]
    theirs = [v for _, v in dated if v.usual_worker == w.id]
    drive = [v for v in mine if v.mode == "drive"]
    drive_m = sum(v.distance_m for v in drive)
    working = sum(day.worked[w.id].working_time_s for day in inputs.days if w.id in day.worked)
    contracted = sum(contracted_day_s(w) for day in inputs.days if w.is_available(day.date))
    return FigureRow("worker", w.id, w.name, w.locality, w.mode, w.relief,
                     clients=load.clients if load else 0, need=load.need if load else 0.0,
                     capacity=load.capacity if load else 0.0, visits=len(mine),
                     covered=sum(v.usual_worker not in (None, w.id) for v in mine),
                     visit_time_s=sum(v.service_s for v in mine), working_time_s=working, contracted_s=contracted,
                     travel_time_s=sum(v.travel_time_s for v in mine),
                     drive_time_s=sum(v.travel_time_s for v in drive), drive_distance_m=drive_m,
                     claim=_claim(drive_m, inputs.rate_per_km), kept=sum(v.worker == w.id for v in theirs),
                     with_usual=sum(v.worker is not None for v in theirs),
                     unassigned=sum(v.worker is None for v in theirs))


def _locality_row(x: LocalityLoad, dated: Sequence[tuple[dt.date, VisitOutcome]], rate: float) -> FigureRow:
    planned = [v for _, v in dated if v.worker is not None]
    drive = [v for v in planned if v.mode == "drive"]
    drive_m = sum(v.distance_m for v in drive)
    return FigureRow("locality", x.locality or "", x.name if x.locality else _NONE, x.locality,
                     clients=x.clients, need=x.need, capacity=x.capacity, visits=len(planned),
                     visit_time_s=sum(v.service_s for v in planned),
                     travel_time_s=sum(v.travel_time_s for v in planned),
                     drive_time_s=sum(v.travel_time_s for v in drive), drive_distance_m=drive_m,
                     claim=_claim(drive_m, rate), kept=sum(v.worker == v.usual_worker for v in planned),
                     with_usual=sum(v.usual_worker is not None for v in planned),
                     unassigned=sum(v.worker is None for _, v in dated))


def _team_row(localities: Sequence[FigureRow], workers: Sequence[FigureRow], rate: float) -> FigureRow:
    drive_m = sum(r.drive_distance_m for r in localities)
    return FigureRow("team", "team", "Team", clients=sum(r.clients for r in localities),
                     need=sum(r.need for r in localities), capacity=sum(r.capacity for r in workers),
                     visits=sum(r.visits for r in localities), covered=sum(r.covered or 0 for r in workers),
                     visit_time_s=sum(r.visit_time_s for r in localities),
                     working_time_s=sum(r.working_time_s or 0 for r in workers),
                     contracted_s=sum(r.contracted_s or 0 for r in workers),
                     travel_time_s=sum(r.travel_time_s for r in localities),
                     drive_time_s=sum(r.drive_time_s for r in localities), drive_distance_m=drive_m,
                     claim=_claim(drive_m, rate), kept=sum(r.kept for r in localities),
                     with_usual=sum(r.with_usual for r in localities),
                     unassigned=sum(r.unassigned for r in localities))


def _day_row(day: PlannedDay, visits: Sequence[VisitOutcome], absent: Sequence[str]) -> DayRow:
    planned = [v for v in visits if v.worker is not None]
    return DayRow(day.date, tuple(absent), len(planned), len(visits) - len(planned),
                  sum(v.travel_time_s for v in planned),
                  sum(v.distance_m for v in planned if v.mode == "drive"),
                  sum(v.worker == v.usual_worker for v in planned), sum(v.usual_worker is not None for v in planned),
                  day.time_limit, day.from_cache, day.solver)


def _claim(distance_m: int, rate: float) -> float:
    return round(distance_m / 1000 * rate, 2)


# -- the workspace -------------------------------------------------------------------------


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def week_days(store: Store, week_start: dt.date) -> list[dt.date]:
    """The days of the week to plan: Monday to Friday, and Saturday or Sunday when visits are due."""
    monday = week_of(week_start)
    dates = [monday + dt.timedelta(days=k) for k in range(7)]
    due = {v.date for v in store.records("visits")}
    return [d for d in dates if d.weekday() < 5 or d in due]


def weekly_figures(store: Store, week_start: dt.date, *, time_limit: float = WEEK_DAY_TIME_LIMIT_S,
                   progress: bool = False, refresh: bool = False, continuity_weight_s: int = CONTINUITY_WEIGHT_S,
                   seed: int = 0) -> WeeklyFigures:
    """The week's management figures from the workspace (``outreach report weekly``).

    Parameters
    ----------
    store
        The workspace.
    week_start
        Any day of the week (figures run Monday to Sunday).
    time_limit
        Solver seconds for each day that is not kept already (see
        :mod:`geoservice.roster_days` for when a kept day is used).
    progress
        Show a progress bar (tqdm, on stderr) while the days are planned.
    refresh
        Plan every day again, whatever is kept.
    continuity_weight_s, seed
        Roster options, as in :func:`geoservice.roster.roster_workspace`.
    """
    from tqdm import tqdm

    from geoservice.caseload import workspace_caseload

    days = []
    with tqdm(week_days(store, week_start), desc="planning the week", unit="day", leave=False,
              disable=not progress) as bar:
        for date in bar:
            bar.set_postfix_str(f"{date:%a %d %b}")
            days.append(planned_day(store, date, time_limit=time_limit, continuity_weight_s=continuity_weight_s,
                                    seed=seed, refresh=refresh))
    settings = store.settings()
    rate = _number(settings.get("mileage_rate_per_km", ""))
    inputs = WeekInputs(week_of(week_start), tuple(days), workspace_caseload(store), tuple(store.records("workers")),
                        rate, settings.get("currency", ""))
    return week_figures(inputs)


def _number(text: str) -> float:
    try:
        return float(text) if text.strip() else 0.0
    except ValueError:
        from geoservice.errors import UserError

        raise UserError(f"workspace setting mileage_rate_per_km = {text!r} is not a number") from None


# -- formatting ----------------------------------------------------------------------------

_TEXT_FIGURES = ("clients", "need", "capacity", "load %", "visits", "visit h", "travel h", "km driven", "claim",
                 "continuity %", "not planned")


def _text_row(r: FigureRow) -> dict[str, Any]:
    """A row's figures for :func:`geoservice.texttable.text_table` (hours to 0.1, claim to the cent)."""
    return {"clients": r.clients, "need": r.need, "capacity": r.capacity, "load %": _percent(r.load),
            "visits": r.visits, "covered": r.covered, "visit h": _hours(r.visit_time_s),
            "travel h": _hours(r.travel_time_s), "planned h": _hours(r.working_time_s),
            "contract h": _hours(r.contracted_s), "km driven": r.km_driven, "claim": f"{r.claim:.2f}",
            "continuity %": _percent(r.continuity), "not planned": r.unassigned}



def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _text(x: Any) -> str:
    return "" if x is None else str(x)


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def _hours_text(seconds: int | None, digits: int) -> str:
    return "" if seconds is None else f"{seconds / 3600:.{digits}f}"


def _percent(x: float | None) -> int | None:
    return None if x is None else round(100 * x)


def _money(amount: float, currency: str) -> str:
    return f"claim {amount:.2f} {currency}".rstrip()
