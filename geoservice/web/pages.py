"""The map pages, one entry each: ``/maps/<name>``, inputs, who may open it, and its builder.

To swap in a feature's own map, point the entry's ``build`` at a function that takes a
:class:`~geoservice.web.registry.Call` and returns a
:class:`~geoservice.web.registry.PageContent` (a ``folium.Map`` from ``maps/`` made with
``asset_url="/static/maps"``, a heading, notes, tables); see :mod:`geoservice.web.features`
for the wired pages, e.g. :func:`~geoservice.web.features.route_page`.

The builder must only use clients allowed by :mod:`geoservice.privacy` for
``call.viewer``; pages with ``client_level`` access are audited.
"""

from __future__ import annotations

from geoservice.web import features
from geoservice.web.endpoints import endpoint
from geoservice.web.params import Param
from geoservice.web.registry import ALL_ROLES, CLIENT_ROLES, Access, MapPage

#: The map pages, in the order of the navigation bar.
PAGES: tuple[MapPage, ...] = (
    MapPage("coverage", "Coverage", endpoint("localities_coverage").params, Access(ALL_ROLES, client_level=True),
            features.coverage_page),
    MapPage("caseload", "Caseloads", (), Access(CLIENT_ROLES, client_level=True), features.caseload_page),
    MapPage("gaps", "Gaps", endpoint("gaps").params, Access(ALL_ROLES), features.gaps_page),
    MapPage("route", "Route",
            (Param("worker", "worker", "worker id, e.g. W01", required=True),
             Param("date", "date", "the day, YYYY-MM-DD (default: today)")),
            Access(CLIENT_ROLES, worker_param="worker", client_level=True), features.route_page),
)


def page(name: str) -> MapPage:
    """The map page called ``name``; ``KeyError`` if there is none."""
    for p in PAGES:
        if p.name == name:
            return p
    raise KeyError(name)
