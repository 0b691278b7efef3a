"""The JSON API's endpoints, one entry each: path, inputs, who may call, and what runs.

To wire a feature, give its entry a ``run`` function: it gets a
:class:`~geoservice.web.registry.Call` whose ``args`` are already checked and typed and
whose user is already allowed, and returns the DESIGN.md JSON shape. For example::

    def _plan(call: Call) -> Any:
        from geoservice.dayplan import plan_worker_day
        result = plan_worker_day(call.store, call.args["worker"], call.args["date"])
        call.records_shown = len(result.visits)
        return result.as_json()

and ``run=_plan`` below. Until then the endpoint answers 501 naming the missing feature.
User errors the feature raises (:class:`~geoservice.errors.UserError`,
:class:`~geoservice.errors.NotFoundError`) become 400/404 JSON replies.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from shapely.geometry import Point
from shapely.prepared import prep

from geoservice.models import MODES
from geoservice.privacy import in_scope, locality_counts, visible_clients
from geoservice.web.params import Param
from geoservice.web.registry import ALL_ROLES, CLIENT_ROLES, TEAM_ROLES, Access, Call, Endpoint


def locality_coverage(call: Call) -> dict[str, Any]:
    """Per locality: clients and need-weighted caseload (exact for roles that see clients,
    k-anonymous for the others), workers, hubs, and resources by type inside it."""
    store, viewer = call.store, call.viewer
    localities = [lc for lc in store.records("localities") if viewer.role in ("admin", "outreach", "worker")
                  or in_scope(viewer, lc.id)]
    ids = [lc.id for lc in localities]
    clients = store.records("clients")
    if viewer.sees_clients:
        shown = visible_clients(viewer, clients)
        tally = Counter(c.locality or "" for c in shown)
        counts: dict[str, int | None] = {lid: tally.get(lid, 0) for lid in ids}
    else:
        shown = clients
        counts = locality_counts(clients, ids, k=call.k)
    need: dict[str, float] = defaultdict(float)
    for c in shown:
        need[c.locality or ""] += c.need_weight
    shapes = {lc.id: prep(lc.geometry) for lc in localities if lc.geometry is not None}
    hubs = _count_inside(shapes, store.records("hubs"), lambda _h: "hub")
    resources = _count_inside(shapes, store.records("resources"), lambda r: r.type)
    workers = Counter(w.locality for w in store.records("workers"))
    rows = []
    for lc in localities:
        n = counts.get(lc.id, 0)
        rows.append({"id": lc.id, "name": lc.name, "clients": n,
                     "need_weighted_clients": None if n is None else round(need.get(lc.id, 0.0), 2),
                     "workers": workers.get(lc.id, 0), "hubs": hubs[lc.id].get("hub", 0),
                     "resources": dict(sorted(resources[lc.id].items()))})
    return {"localities": rows, "k": None if viewer.sees_clients else call.k,
            "suppressed": [r["id"] for r in rows if r["clients"] is None]}


def _count_inside(shapes: dict[str, Any], records: list[Any], key: Any) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        point = Point(r.lon, r.lat)
        for lid, shape in shapes.items():
            if shape.contains(point):
                out[lid][key(r)] += 1
                break
    return out


_WORKER = Param("worker", "worker", "worker id, e.g. W01", required=True)
_DATE = Param("date", "date", "the day, YYYY-MM-DD", required=True)

#: Every JSON endpoint under ``/api`` (besides health, the OpenAPI description and imports).
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("plan", "POST", "/plan", "One worker's day: visit order, arrival and departure times, travel.",
             (_WORKER, _DATE), Access(CLIENT_ROLES, worker_param="worker", client_level=True),
             run=None, feature="the day plan"),
    Endpoint("roster", "POST", "/roster", "The whole team's day: visits assigned to workers.",
             (_DATE, Param("absent", "workers", "ids of workers absent that day", default=[])),
             Access(TEAM_ROLES, client_level=True), run=None, feature="the team roster"),
    Endpoint("balance", "POST", "/balance", "A proposed caseload rebalancing with as few client moves as possible.",
             (Param("max_moves", "integer", "most clients to move", minimum=0),),
             Access(TEAM_ROLES, client_level=True), run=None, feature="caseload balancing"),
    Endpoint("gaps", "GET", "/gaps", "Hotspots far from resources of a type, by travel time; suggested sites.",
             (Param("resource_type", "text", "resource type, e.g. shelter (any type if left out)"),
              Param("max_minutes", "number", "travel time counted as reachable (minutes)", minimum=1, maximum=240),
              Param("mode", "choice", "travel mode", choices=MODES)),
             Access(ALL_ROLES), run=None, feature="the gaps analysis"),
    Endpoint("localities_coverage", "GET", "/localities/coverage",
             "Per locality: clients (k-anonymous for the outreach role), workers, hubs and resources.",
             (), Access(ALL_ROLES), run=locality_coverage, feature="locality coverage"),
)


def endpoint(name: str) -> Endpoint:
    """The endpoint called ``name``."""
    for e in ENDPOINTS:
        if e.name == name:
            return e
    raise KeyError(name)
