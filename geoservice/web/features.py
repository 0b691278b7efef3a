"""The features behind the API endpoints and map pages, called with what the viewer may see.

Each function takes a :class:`~geoservice.web.registry.Call` (checked inputs, the user)
and calls a feature module: coverage (:mod:`geoservice.coverage`), gaps
(:mod:`geoservice.gaps`), their maps (:mod:`geoservice.coverage_maps`), a worker's day
(:mod:`geoservice.plans`), caseloads and their balancing (:mod:`geoservice.caseload`).
Feature results may hold the whole team's clients; here they are cut down to the
viewer's clients (:func:`geoservice.privacy.visible_clients`) before they leave.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

from geoservice.errors import UserError
from geoservice.privacy import (
    AGGREGATE_MINUTES,
    may_see_worker,
    visible_clients,
    visible_day_clients,
    visible_workers,
)
from geoservice.web.params import InvalidInput
from geoservice.web.registry import Call, PageContent, Table
from maps.caseload import ClientMark, LocalityArea, MoveFlow, WorkerMark

ASSET_URL = "/static/maps"
_graphs: dict[tuple[str, str, str], Any] = {}
_graphs_lock = threading.Lock()


def gaps(call: Call) -> dict[str, Any]:
    """``GET /api/gaps``: hotspots against the nearest resource of each type (no client data)."""
    return dict(gaps_result(call).as_json())


def gaps_result(call: Call, *, suggest: int | None = None) -> Any:
    """The gaps report (:func:`geoservice.gaps.gaps_report`) for the call's inputs
    (``suggest`` overrides the number of sites to suggest)."""
    from geoservice.gaps import gaps_report

    a = call.args
    return gaps_report(call.store, resource_type=a.get("resource_type"), max_minutes=a.get("max_minutes") or 15,
                       mode=a.get("mode") or "walk", at=a.get("at"),
                       suggest=a.get("suggest") or 0 if suggest is None else suggest,
                       time_limit=float(call.settings.get("SOLVER_TIME_LIMIT", 20)))


def coverage_result(call: Call) -> Any:
    """The locality coverage (:func:`geoservice.coverage.locality_coverage`) as ``call``'s
    viewer may see it, for the call's ``mode`` (else every mode of the network).

    Co-ordinators, managers and admins get exact figures and the clients outside coverage,
    cut to their localities (the total row too). Everyone else gets k-anonymous figures
    (:class:`~geoservice.web.params.InvalidInput` unless the minutes are one of
    :data:`geoservice.privacy.AGGREGATE_MINUTES`).
    """
    from geoservice.coverage import locality_coverage

    viewer = call.viewer
    team_view = viewer.sees_clients and viewer.role != "worker"
    minutes = call.args.get("minutes") or 15
    if not team_view and minutes not in AGGREGATE_MINUTES:
        allowed = ", ".join(str(m) for m in AGGREGATE_MINUTES)
        raise InvalidInput("invalid input: minutes", [{"field": "minutes", "message": f"must be one of {allowed} "
                                                       "(client counts are shown for these travel times only)"}])
    modes = [call.args["mode"]] if call.args.get("mode") else _network_modes(call)
    result = locality_coverage(call.store, minutes=minutes, modes=modes, include_clients=team_view, k=call.k,
                               suppress=not team_view)
    if team_view and viewer.localities is not None:
        result = result.scoped(viewer.localities)
    if result.clients_outside is not None:
        visible = {c.id for c in visible_clients(viewer, call.store.records("clients"))}
        result = dataclasses.replace(result, clients_outside=[c for c in result.clients_outside if c.id in visible])
    call.records_shown = len(result.clients_outside or [])
    return result


def localities_coverage(call: Call) -> dict[str, Any]:
    """``GET /api/localities/coverage``: per locality, the clients and hotspot people within
    reach of a hub (see :func:`coverage_result`)."""
    return dict(coverage_result(call).as_json())


def coverage_page(call: Call) -> PageContent:
    """``/maps/coverage``: localities shaded by the share of clients within reach of a hub,
    hub reach areas, hubs; clients as points for those who may see them (their own), as
    k-anonymous hexagon counts for everyone else; the figures per locality under the map
    (as :func:`coverage_result` gives them to the viewer)."""
    from geoservice.coverage_maps import build_coverage_map

    viewer = call.viewer
    coverage = coverage_result(call)  # checks the minutes first
    shown = visible_clients(viewer, call.store.records("clients")) if viewer.sees_clients else None
    minutes, mode = call.args["minutes"] or 15, call.args["mode"] or "drive"
    m = build_coverage_map(call.store, minutes=minutes, mode=mode, visible_clients=shown, k=call.k,
                           hex_size_m=float(call.settings.get("HEX_SIZE_M", 500)), asset_url=ASSET_URL,
                           suppress=coverage.suppressed, localities=viewer.localities)
    call.records_shown += len(shown or [])
    notes = []
    if coverage.suppressed:
        notes.append(f"Clients are shown as counts per area; areas with fewer than {call.k} clients are hidden, "
                     f"and so are shares of clients within reach where fewer than {call.k} are in or out of reach.")
    return PageContent(m, f"Coverage within {minutes:g} min of a hub ({mode})", notes, _coverage_tables(coverage))


def _coverage_tables(coverage: Any) -> list[Table]:
    within = f"{coverage.minutes:g} min"
    columns = ("locality", "clients", *(f"clients within {within} ({m})" for m in coverage.modes),
               "people at hotspots", *(f"people within {within} ({m})" for m in coverage.modes))
    rows = []
    for lc in [*coverage.localities, coverage.total]:
        rows.append((lc.name, "hidden (small number)" if lc.clients is None else str(lc.clients),
                     *(_share(lc.modes[m].clients_covered, lc.modes[m].client_share) for m in coverage.modes),
                     str(lc.hotspot_people),
                     *(_share(lc.modes[m].hotspot_people_covered, lc.modes[m].hotspot_people_share)
                       for m in coverage.modes)))
    tables = [Table(f"Within {within} of a hub", columns, rows)]
    if coverage.clients_outside is not None:
        tables.append(Table("Clients outside coverage", ("client", "name", "locality", "not reached by"),
                            [(c.id, c.name, c.locality or "", ", ".join(c.outside)) for c in coverage.clients_outside]))
    return tables


def _share(count: int | None, share: float | None) -> str:
    if count is None:
        return "hidden"
    return f"{count} ({share:.0%})" if share is not None else str(count)


def gaps_page(call: Call) -> PageContent:
    """``/maps/gaps``: hotspots coloured by travel time to the nearest resource of each type,
    resources, suggested sites; the nearest resource per hotspot under the map. No client data."""
    from geoservice.coverage_maps import build_gap_map

    a = call.args
    result = gaps_result(call, suggest=0)  # the table; the map runs the site suggestions
    m = build_gap_map(call.store, resource_type=a["resource_type"], max_minutes=result.max_minutes, mode=result.mode,
                      at=a["at"], suggest=a["suggest"] or 0, asset_url=ASSET_URL)
    within = f"{result.max_minutes:g} min ({result.mode})"
    types = sorted({row.resource_type for row in result.hotspots})
    rows: list[tuple[str, ...]]
    if len(types) == 1:
        rows = [(row.id, row.name, str(row.people), row.nearest_name or "none reachable", _minutes_cell(row))
                for row in result.hotspots]
        table = Table(f"Nearest {types[0]} (gap: over {within})", ("hotspot", "name", "people", "nearest",
                                                                  "travel"), rows)
    else:  # one row per hotspot, a column per resource type
        spots: dict[str, dict[str, str]] = {}
        for row in result.hotspots:
            spot = spots.setdefault(row.id, {"hotspot": row.id, "name": row.name, "people": str(row.people)})
            spot[row.resource_type] = _minutes_cell(row)
        columns = ("hotspot", "name", "people", *types)
        rows = [tuple(spot.get(c, "") for c in columns) for spot in spots.values()]
        table = Table(f"Minutes to the nearest resource of each type (gap: over {within})", columns, rows)
    return PageContent(m, f"Resource gaps: {within}", tables=[table])


def _minutes_cell(row: Any) -> str:
    """A hotspot's travel to the nearest resource as a table cell: minutes, and a gap mark."""
    if row.travel_time_s is None:
        return "none reachable (gap)"
    return f"{row.travel_time_s / 60:.0f} min" + (" (gap)" if row.gap else "")


def plan(call: Call) -> dict[str, Any]:
    """``POST /api/plan``: one worker's day in visit order with times (DESIGN.md's plan JSON);
    visits to clients the viewer may not see only as ``busy`` times (:mod:`geoservice.web.dayview`)."""
    from geoservice.web import dayview

    day, hidden = _worker_day(call)
    return dayview.plan_json(day, hidden)


def route_page(call: Call) -> PageContent:
    """``/maps/route``: a worker's planned day on the roads, numbered stops with arrival
    times, and the itinerary under the map (a phone's screen: map, then the list); visits
    to clients the viewer may not see are busy rows, with no marker or road path."""
    from geoservice.web import dayview
    from maps.route import route_map

    day, hidden = _worker_day(call)
    worker, plan = day.worker, day.plan
    heading = f"{worker.name} ({worker.id}), {day.date:%a %d %b %Y}"
    unplanned = {vid: (c.lon, c.lat) for vid, c in day.clients.items() if vid in plan.unassigned and vid not in hidden}
    m = route_map(dayview.map_plan(plan, hidden), G=basemap_graph(call, worker.mode), title=heading,
                  start_name=day.start_name, unplanned=unplanned, asset_url=ASSET_URL)
    columns = ("#", "arrive", "start", "leave", "what", "address", "travel", "km", "wait")
    rows = [tuple(row[c] for c in columns) for row in dayview.itinerary(day, hidden)]
    notes = []
    busy = sum(v.id in hidden for v in plan.visits)
    if not worker.is_available(day.date):
        notes.append(f"{worker.name} is not working on {day.date:%A %d %B %Y}.")
    elif plan.visits:
        notes.append(f"{len(plan.visits)} visits; travel {plan.travel_time_s // 60} min, "
                     f"{plan.distance_m / 1000:.1f} km ({plan.mode})."
                     + (f" {busy} of them to clients outside your localities, shown as busy time only."
                        if busy else ""))
    else:
        notes.append("No visits on this day.")
    notes += [f"Not planned: {day.clients[vid].name if vid in day.clients else vid} ({vid}): {reason}"
              for vid, reason in plan.unassigned.items() if vid not in hidden]
    return PageContent(m, heading, notes, [Table("Itinerary", columns, rows)])


def _worker_day(call: Call) -> tuple[Any, frozenset[str]]:
    """The planned day of the call's ``worker`` on its ``date`` (default: today), and the
    ids of its visits whose clients the viewer may not see."""
    from geoservice.plans import DAY_TIME_LIMIT_S, plan_worker_day
    from geoservice.web.dayview import hidden_visits

    limit = min(DAY_TIME_LIMIT_S, float(call.settings.get("SOLVER_TIME_LIMIT", 20)))
    day = plan_worker_day(call.store, call.args["worker"], call.args["date"] or call.today(), time_limit=limit)
    visible = {c.id for c in visible_day_clients(call.viewer, day.worker, day.clients.values())}
    hidden = hidden_visits(day, visible)
    call.records_shown = len(day.clients) - len(hidden)
    return day, hidden


def roster(call: Call) -> dict[str, Any]:
    """``POST /api/roster``: the team's day. A scoped co-ordinator or manager sees the
    routes of the workers they may see, with the visits of their own clients only."""
    from geoservice.roster import roster_workspace

    team = roster_workspace(call.store, call.args["date"], absent=call.args["absent"] or (),
                            time_limit=float(call.settings.get("SOLVER_TIME_LIMIT", 20)))
    data = team.as_json()
    if call.viewer.localities is not None:
        workers = {w.id for w in visible_workers(call.viewer, call.store.records("workers"))}
        clients = {c.id for c in visible_clients(call.viewer, call.store.records("clients"))}
        data["routes"] = [{**r, "visits": [v for v in r["visits"] if v["client_id"] in clients]}
                          for r in data["routes"] if r["worker"] in workers]
        for key in ("unassigned", "changes"):
            data[key] = [x for x in data[key] if x["client_id"] in clients]
    call.records_shown = sum(len(r["visits"]) for r in data["routes"]) + len(data["unassigned"])
    return data


def balance(call: Call) -> dict[str, Any]:
    """``POST /api/balance``: a proposed rebalancing (nothing is written). A scoped
    co-ordinator or manager sees the moves of their own clients, the loads of the workers
    they may see, their localities' figures and the shortfalls there (and the team's)."""
    from geoservice.caseload import balance_workspace

    a = call.args
    result = balance_workspace(call.store, max_moves=a["max_moves"], leaving=a["leaving"] or (),
                               allow_other_localities=bool(a["allow_other_localities"]),
                               time_limit=float(call.settings.get("SOLVER_TIME_LIMIT", 20)))
    scope = call.viewer.localities
    if scope is None:
        call.records_shown = len(result.moves) + len(result.assigned) + len(result.unresolved)
        return result.as_json()
    visible = {c.id for c in visible_clients(call.viewer, call.store.records("clients"))}
    result = dataclasses.replace(result, moves=tuple(m for m in result.moves if m.client in visible),
                                 assigned=tuple(m for m in result.assigned if m.client in visible),
                                 unresolved=tuple(m for m in result.unresolved if m.client in visible))
    call.records_shown = len(result.moves) + len(result.assigned) + len(result.unresolved)
    data = result.as_json()
    workers = {w.id for w in visible_workers(call.viewer, call.store.records("workers"))}
    names = {lc.name for lc in call.store.records("localities") if lc.id in scope}
    for key in ("before", "after"):
        # a worker's loads (travel_s_max: one client's trip, for a worker with one) are theirs to see only
        data[key]["loads"] = [x for x in data[key]["loads"] if x["worker"] in workers]
        data[key]["localities"] = [x for x in data[key]["localities"] if x["locality"] in scope]
    where = {"the team"} | {f"locality {n}" for n in names} | {f"worker {w}" for w in workers}
    data["shortfalls"] = [s for s in data["shortfalls"] if s["where"] in where]
    return data


def caseload_page(call: Call) -> PageContent:
    """``/maps/caseload``: loads per worker and locality; clients coloured by worker for
    those who may see them (a worker: their own; a scoped role: their localities)."""
    from geoservice.caseload import workspace_caseload
    from maps.caseload import caseload_map

    state = workspace_caseload(call.store)
    picture = ViewerPicture(state, call)
    m = caseload_map(picture, show_clients=call.viewer.sees_clients, graph=basemap_graph(call, "drive"),
                     asset_url=ASSET_URL)
    call.records_shown = len(picture.map_clients())
    workers = {w.id for w in picture.map_workers()}
    rows = [(x.worker, x.name, x.locality or "", str(x.clients), f"{x.need:g}", f"{x.capacity:g}",
             "" if x.utilisation is None else f"{x.utilisation:.0%}") for x in state.loads if x.worker in workers]
    table = Table("Caseloads", ("worker", "name", "locality", "clients", "need units", "capacity", "load"), rows)
    return PageContent(m, "Caseloads by worker", [state.summary()] if call.viewer.role != "worker" else [], [table])


class ViewerPicture:
    """A caseload picture (:class:`maps.caseload.CaseloadPicture`) cut to what a viewer may
    see: their clients, the workers whose caseload they may see, their localities."""

    def __init__(self, picture: Any, call: Call) -> None:
        self._picture = picture
        viewer = call.viewer
        self._clients = {c.id for c in visible_clients(viewer, call.store.records("clients"))}
        self._workers = {w.id for w in call.store.records("workers") if may_see_worker(viewer, w)}
        self._localities = viewer.localities
        self.map_title: str = picture.map_title

    def map_workers(self) -> Sequence[WorkerMark]:
        return [w for w in self._picture.map_workers() if w.id in self._workers]

    def map_localities(self) -> Sequence[LocalityArea]:
        return [a for a in self._picture.map_localities() if self._localities is None or a.id in self._localities]

    def map_clients(self) -> Sequence[ClientMark]:
        return [c for c in self._picture.map_clients() if c.id in self._clients]

    def map_flows(self) -> Sequence[MoveFlow]:
        return [f for f in self._picture.map_flows() if f.from_worker in self._workers or f.to_worker in self._workers]


def basemap_graph(call: Call, mode: str) -> Any:
    """The workspace's road graph for ``mode`` (else any built mode) to draw under a map,
    kept in memory; ``None`` without a network or with the ``BASEMAP`` setting off."""
    if not call.settings.get("BASEMAP", True):
        return None
    from geoservice.networks import workspace_graph

    settings = call.store.settings()
    source = settings.get("network_source")
    if not source:
        return None
    modes = [m for m in settings.get("network_modes", "").split(",") if m]
    mode = mode if mode in modes or not modes else modes[0]
    key = (str(call.store.root), source, mode)
    with _graphs_lock:
        G = _graphs.get(key)
        if G is None:
            try:
                G = workspace_graph(call.store, mode)
            except UserError:
                return None
            _graphs[key] = G
    return G


def _network_modes(call: Call) -> list[str]:
    modes = [m for m in call.store.settings().get("network_modes", "").split(",") if m]
    return modes or ["drive", "walk"]
