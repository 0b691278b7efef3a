"""What an API endpoint or a map page is, and who may call it.

Features plug into the web app by adding (or completing) one entry in
:data:`geoservice.web.endpoints.ENDPOINTS` or :data:`geoservice.web.pages.PAGES`: a
path, the inputs (:class:`~geoservice.web.params.Param`), the roles allowed, and a
function ``run(call)`` that gets a :class:`Call` (the workspace, who is asking, the
checked inputs) and returns a JSON-ready value or a :class:`PageContent`. Access rules
(roles, a worker's own data only) and input checks happen before ``run`` is called.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

import folium

from geoservice.errors import NotFoundError
from geoservice.models import Worker
from geoservice.privacy import Viewer, may_see_worker
from geoservice.store import Store
from geoservice.web.accounts import Accounts, User
from geoservice.web.params import Param

ALL_ROLES: frozenset[str] = frozenset({"worker", "coordinator", "manager", "outreach", "admin"})
CLIENT_ROLES: frozenset[str] = frozenset({"worker", "coordinator", "manager", "admin"})
TEAM_ROLES: frozenset[str] = frozenset({"coordinator", "manager", "admin"})


class Forbidden(Exception):
    """The user is logged in but may not see this (HTTP 403)."""


class NotBuilt(Exception):
    """The feature behind an endpoint is not in this version yet (HTTP 501)."""


@dataclass
class Call:
    """One request to a feature: the workspace, who asks, and the checked inputs.

    ``args`` holds the endpoint's parameters by name, typed (dates as ``datetime.date``).
    A feature that shows client-level records sets ``records_shown`` (for the audit log).
    """

    store: Store
    user: User
    args: dict[str, Any]
    accounts: Accounts
    settings: dict[str, Any] = field(default_factory=dict)
    records_shown: int = 0

    @property
    def viewer(self) -> Viewer:
        """What the user may see (see :mod:`geoservice.privacy`)."""
        return self.user.viewer

    @property
    def k(self) -> int:
        """Smallest count of clients an aggregate may show (k-anonymity)."""
        return int(self.settings.get("K_ANONYMITY", 5))

    def worker(self, worker_id: str) -> Worker:
        """The worker ``worker_id``; :class:`NotFoundError` if the workspace has none."""
        for w in self.store.records("workers"):
            if w.id == worker_id:
                return w
        raise NotFoundError(f"no worker {worker_id!r}")

    def today(self) -> dt.date:
        """Today in the workspace's time zone (the day a worker's route page opens on)."""
        zone = self.store.settings().get("timezone") or "UTC"
        try:
            return dt.datetime.now(ZoneInfo(zone)).date()
        except (KeyError, ValueError):
            return dt.date.today()


Run = Callable[[Call], Any]


@dataclass(frozen=True)
class Access:
    """Who may call: ``roles``, and, when ``worker_param`` names a parameter, only users
    who may see that worker's day (a worker: only their own; see
    :func:`geoservice.privacy.may_see_worker`). ``client_level`` calls (client records,
    or aggregates of them) are audited, whoever makes them."""

    roles: frozenset[str]
    worker_param: str | None = None
    client_level: bool = False


@dataclass(frozen=True)
class Endpoint:
    """A JSON API endpoint under ``/api``: ``run`` is ``None`` until its feature exists (501)."""

    name: str
    method: str
    path: str
    summary: str
    params: tuple[Param, ...]
    access: Access
    run: Run | None
    feature: str
    response: str = "object"


@dataclass(frozen=True)
class Table:
    """A table shown under a map (e.g. a worker's itinerary)."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[str]]


@dataclass
class PageContent:
    """What a map page shows: the map, a heading, short notes, and tables under the map."""

    map: folium.Map
    heading: str
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class MapPage:
    """A map page at ``/maps/<name>``; ``build`` makes its content for a :class:`Call`."""

    name: str
    title: str
    params: tuple[Param, ...]
    access: Access
    build: Callable[[Call], PageContent]


def authorize(access: Access, call: Call) -> None:
    """Raise :class:`Forbidden` unless ``call.user`` may make this call; check that a named
    worker exists (:class:`NotFoundError`)."""
    if call.user.role not in access.roles:
        raise Forbidden(f"the {call.user.role} role may not see this")
    if access.worker_param and call.args.get(access.worker_param):
        worker = call.worker(call.args[access.worker_param])
        if not may_see_worker(call.viewer, worker):
            raise Forbidden(f"you may not see worker {worker.id}'s data")


def public_paths(value: Any) -> Any:
    """``value`` (JSON-ready) with every ``source`` that is a file path cut to the file's
    name: where a network came from, without the server's folders (for non-admins)."""
    if isinstance(value, dict):
        return {k: _file_name(v) if k == "source" and isinstance(v, str) else public_paths(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [public_paths(v) for v in value]
    return value


def _file_name(source: str) -> str:
    if source.startswith(("place:", "bbox:", "overpass ")):  # an online query: no server path in it
        return source
    return PurePath(source.replace("\\", "/")).name


def audit_target(args: dict[str, Any]) -> str:
    """The inputs of a call as one short line for the audit log (ids and dates only)."""
    return " ".join(f"{k}={_text(v)}" for k, v in args.items() if v not in (None, "", []))


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
