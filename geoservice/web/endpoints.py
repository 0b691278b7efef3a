"""The JSON API's endpoints, one entry each: path, inputs, who may call, and what runs.

To wire a feature, give its entry a ``run`` function: it gets a
:class:`~geoservice.web.registry.Call` whose ``args`` are already checked and typed and
whose user is already allowed, and returns the DESIGN.md JSON shape (the wired ones are
in :mod:`geoservice.web.features`). An entry without ``run`` answers 501 naming the
missing feature.
User errors the feature raises (:class:`~geoservice.errors.UserError`,
:class:`~geoservice.errors.NotFoundError`) become 400/404 JSON replies.
"""

from __future__ import annotations

from geoservice.models import MODES
from geoservice.web import features
from geoservice.web.params import Param
from geoservice.web.registry import ALL_ROLES, CLIENT_ROLES, TEAM_ROLES, Access, Endpoint

_WORKER = Param("worker", "worker", "worker id, e.g. W01", required=True)
_DATE = Param("date", "date", "the day, YYYY-MM-DD", required=True)

#: Every JSON endpoint under ``/api`` (besides health, the OpenAPI description and imports).
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("plan", "POST", "/plan", "One worker's day: visit order, arrival and departure times, travel.",
             (_WORKER, _DATE), Access(CLIENT_ROLES, worker_param="worker", client_level=True),
             run=features.plan, feature="the day plan"),
    Endpoint("roster", "POST", "/roster", "The whole team's day: visits assigned to workers.",
             (_DATE, Param("absent", "workers", "ids of workers absent that day", default=[])),
             Access(TEAM_ROLES, client_level=True), run=features.roster, feature="the team roster"),
    Endpoint("balance", "POST", "/balance", "A proposed caseload rebalancing with as few client moves as possible "
             "(nothing is written).",
             (Param("max_moves", "integer", "most clients who could stay to move (default: no limit)", minimum=0),
              Param("leaving", "workers", "ids of workers leaving: their clients are placed with others", default=[]),
              Param("allow_other_localities", "boolean", "let workers hold clients of other localities",
                    default=False)),
             Access(TEAM_ROLES, client_level=True), run=features.balance, feature="caseload balancing"),
    Endpoint("gaps", "GET", "/gaps", "Hotspots against the nearest resource of each type by travel time; "
             "suggested new sites.",
             (Param("resource_type", "text", "resource type, e.g. shelter (default: every type)"),
              Param("max_minutes", "number", "travel time beyond which a hotspot is in a gap (minutes)", default=15,
                    minimum=1, maximum=240),
              Param("mode", "choice", "travel mode", default="walk", choices=MODES),
              Param("at", "datetime", "departure time, ISO (local time of the workspace without an offset): only "
                    "resources open on arrival count"),
              Param("suggest", "integer", "suggest up to this many new sites per type", default=0, minimum=0,
                    maximum=5)),
             Access(ALL_ROLES), run=features.gaps, feature="the gaps analysis"),
    Endpoint("localities_coverage", "GET", "/localities/coverage",
             "Per locality: clients and hotspot people within reach of a hub (k-anonymous for roles without "
             "client access).",
             (Param("minutes", "number", "travel time from the nearest hub (minutes); for roles without client "
                    "access (k-anonymous counts) one of 5, 10, 15, 20, 30", default=15, minimum=1, maximum=240),
              Param("mode", "choice", "one travel mode (default: every mode of the workspace's network)",
                    choices=MODES)),
             Access(ALL_ROLES, client_level=True), run=features.localities_coverage, feature="locality coverage"),
)


def endpoint(name: str) -> Endpoint:
    """The endpoint called ``name``."""
    for e in ENDPOINTS:
        if e.name == name:
            return e
    raise KeyError(name)
