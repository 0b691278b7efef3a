"""A worker's day as the viewer may see it: their clients' visits in full, the others as
busy time.

A co-ordinator or manager scoped to some localities may open the day of a relief
worker (who covers every locality) or of a worker of theirs who covers a visit
elsewhere. The visits to clients outside their scope (``hidden``, see
:func:`geoservice.privacy.visible_day_clients`) are shown only as ``busy HH:MM-HH:MM``:
no client, visit id, address or place, no marker, and no road path or leg figures to
or from them (a path ends at the client's door). Visits not planned for such clients
are left out. The day's totals (travel, distance, start and end) stay whole: they are
the worker's, and the busy times give the order of the day anyway.

Everything here is a pure function of a :class:`~geoservice.plans.WorkerDay` and the
hidden visit ids; nothing reads the workspace or Flask.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

from geoservice.plans import WorkerDay
from routing.dayplan import DayPlan

#: What the itinerary says for a visit the viewer may not see.
BUSY = "busy (a client outside your localities)"


def hidden_visits(day: WorkerDay, visible_clients: Collection[str]) -> frozenset[str]:
    """Ids of the day's visits (planned or not) whose client is not in ``visible_clients`` (ids)."""
    return frozenset(vid for vid, client in day.clients.items() if client.id not in visible_clients)


def plan_json(day: WorkerDay, hidden: Collection[str]) -> dict[str, Any]:
    """The day's plan JSON (:func:`geoservice.reports.plan_json`) without the
    ``hidden`` visits: ``visits`` holds the visible ones (a visit reached from a hidden
    one has ``travel_time_s`` and ``distance_m`` null), ``busy`` the hidden ones as
    ``{start, end}`` (ISO, arrival to departure) in visit order, ``unassigned`` the
    visible ones; a break after a hidden visit says it follows the last visible visit
    before it (null: none)."""
    from geoservice.reports import plan_json as whole_day

    data = whole_day(day)
    if not hidden:
        return data
    plan = day.plan
    after_hidden = {plan.legs[k].destination for k in range(len(plan.visits)) if plan.legs[k].origin in hidden}
    visits = []
    for v in data["visits"]:
        if v["id"] in hidden:
            continue
        if v["id"] in after_hidden:
            v = {**v, "travel_time_s": None, "distance_m": None}
        visits.append(v)
    last_seen: dict[str, str | None] = {}
    previous: str | None = None
    for v in plan.visits:
        last_seen[v.id] = v.id if v.id not in hidden else previous
        previous = last_seen[v.id]
    data["visits"] = visits
    data["busy"] = [{"start": v.arrival.isoformat(), "end": v.departure.isoformat()}
                    for v in plan.visits if v.id in hidden]
    data["unassigned"] = [u for u in data["unassigned"] if u["id"] not in hidden]
    data["breaks"] = [{**b, "after": last_seen.get(b["after"]) if b["after"] in hidden else b["after"]}
                      for b in data["breaks"]]
    return data


def itinerary(day: WorkerDay, hidden: Collection[str]) -> list[dict[str, str]]:
    """The itinerary rows (:func:`geoservice.reports.itinerary_rows`) with each hidden visit
    as a bare busy row (its times only) and the visible visits numbered 1, 2, ... as the
    map's markers are; travel and km of legs to or from a hidden visit are blank."""
    from geoservice.reports import itinerary_rows

    rows = itinerary_rows(day)
    if not hidden:
        return rows
    plan = day.plan
    touches = {k for k, leg in enumerate(plan.legs) if leg.origin in hidden or leg.destination in hidden}
    out = []
    shown = 0
    for row in rows:
        if row["#"]:
            k = int(row["#"]) - 1
            if plan.visits[k].id in hidden:
                row = dict.fromkeys(row, "") | {"arrive": row["arrive"], "leave": row["leave"],
                                                  "what": f"{BUSY} {row['arrive']}–{row['leave']}"}
            else:
                shown += 1
                row = {**row, "#": str(shown)}
            if k in touches:
                row = {**row, "travel": "", "km": ""}
        elif row["what"].startswith("Back at") and len(plan.legs) - 1 in touches:
            row = {**row, "travel": "", "km": ""}
        out.append(row)
    return out


def map_plan(plan: DayPlan, hidden: Collection[str]) -> DayPlan:
    """``plan`` for drawing: without the hidden visits, the legs to or from them, and
    their unplanned entries (the totals stay)."""
    if not hidden:
        return plan
    return dataclasses.replace(
        plan, visits=[v for v in plan.visits if v.id not in hidden],
        legs=[leg for leg in plan.legs if leg.origin not in hidden and leg.destination not in hidden],
        unassigned={vid: why for vid, why in plan.unassigned.items() if vid not in hidden})
