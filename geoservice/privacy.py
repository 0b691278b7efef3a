"""Who may see what: role rules and k-anonymous aggregation of client locations.

Client records are health and social-care data. Every screen and API reply is built
from what :func:`visible_clients` and :func:`may_see_worker` allow for the person
asking (a :class:`Viewer`); roles without client-level access get clients only as
counts per area, with areas holding fewer than ``k`` clients suppressed
(:func:`locality_counts`, :func:`hexagon_counts`), parts of those counts suppressed
with their complements (:func:`split_counts`), and travel-time thresholds limited to
:data:`AGGREGATE_MINUTES` (so thin rings cannot be cut out by differencing).

The roles:

``worker``
    their own caseload (clients whose usual worker they are) and their own day.
``coordinator``, ``manager``
    their team's clients and workers: everyone, or only the localities of their scope.
``outreach``
    hotspots, resources and gaps; clients only as k-anonymous counts.
``admin``
    manages users and imports; sees all client-level data (every view is audited).

Everything here is a pure function on records; nothing reads the workspace or Flask.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from shapely.geometry import Polygon

from geoservice.errors import UserError
from geoservice.models import Client, Worker

#: The roles a user can have, in the users' words.
ROLES: tuple[str, ...] = ("worker", "coordinator", "manager", "outreach", "admin")

#: Roles that may see client-level records (names, addresses, exact locations).
CLIENT_LEVEL_ROLES: frozenset[str] = frozenset({"worker", "coordinator", "manager", "admin"})

#: Roles that see a whole team (all workers, or the workers of their localities).
TEAM_ROLES: frozenset[str] = frozenset({"coordinator", "manager", "admin"})

#: Fewest clients an area may show a count for (smaller counts are suppressed).
DEFAULT_K = 5

#: The only travel-time thresholds (minutes) for which client counts are shown to viewers
#: without client-level access: with any minutes allowed, counts at 4 and 5 minutes give
#: the one or two clients between them by subtraction, however large each count is.
AGGREGATE_MINUTES: tuple[int, ...] = (5, 10, 15, 20, 30)


@dataclass(frozen=True)
class Viewer:
    """The person asking: a role, the worker they are (role ``worker``), and an optional
    locality scope (ids) limiting a co-ordinator's or manager's team; ``None``: everywhere."""

    role: str
    worker_id: str | None = None
    localities: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise UserError(f"unknown role {self.role!r}; use one of: {', '.join(ROLES)}")
        if self.role == "worker" and not self.worker_id:
            raise UserError("a user with the worker role needs a worker id (--worker-id)")

    @property
    def sees_clients(self) -> bool:
        """Whether this viewer may see client-level records at all."""
        return self.role in CLIENT_LEVEL_ROLES


def in_scope(viewer: Viewer, locality: str | None) -> bool:
    """Whether a record in ``locality`` (an id, or ``None``) lies in the viewer's scope."""
    return viewer.localities is None or (locality is not None and locality in viewer.localities)


def visible_clients(viewer: Viewer, clients: Iterable[Client]) -> list[Client]:
    """The clients ``viewer`` may see as individual records (in the given order).

    A worker sees their caseload, a co-ordinator or manager the clients of their scope,
    an admin everyone, and the outreach role nobody.
    """
    if viewer.role == "worker":
        return [c for c in clients if c.usual_worker == viewer.worker_id]
    if viewer.role in TEAM_ROLES:
        return [c for c in clients if viewer.role == "admin" or in_scope(viewer, c.locality)]
    return []


def may_see_worker(viewer: Viewer, worker: Worker) -> bool:
    """Whether ``viewer`` may see ``worker``'s caseload and day (route, plan, itinerary).

    A worker sees only themselves; a scoped co-ordinator or manager sees the workers of
    their localities and the relief bank (who cover any locality); outreach sees no one's.
    Which of the day's clients they may see is :func:`visible_day_clients`'s to say.
    """
    if viewer.role == "worker":
        return worker.id == viewer.worker_id
    if viewer.role == "admin":
        return True
    if viewer.role in TEAM_ROLES:
        return worker.relief or in_scope(viewer, worker.locality)
    return False


def visible_day_clients(viewer: Viewer, worker: Worker, clients: Iterable[Client]) -> list[Client]:
    """The clients of ``worker``'s day (``clients``) whom ``viewer`` may see by name and place.

    The worker sees everyone they visit, whoever's caseload they are; an admin and an
    unscoped co-ordinator or manager everyone; a scoped one only the clients of their
    localities (a relief worker's day, or a covering visit, can cross into others);
    anyone who may not see the worker's day (:func:`may_see_worker`), nobody. The others
    are shown as busy time only.
    """
    if not may_see_worker(viewer, worker):
        return []
    if viewer.role == "worker":
        return list(clients)
    return visible_clients(viewer, clients)


def visible_workers(viewer: Viewer, workers: Iterable[Worker]) -> list[Worker]:
    """The workers whose caseload and day ``viewer`` may see (see :func:`may_see_worker`)."""
    return [w for w in workers if may_see_worker(viewer, w)]


# -- k-anonymous aggregation ---------------------------------------------------------------


def suppress_small(counts: Mapping[str, int], *, k: int = DEFAULT_K) -> dict[str, int | None]:
    """Counts per area with every count below ``k`` replaced by ``None`` (suppressed).

    Areas with no clients keep 0 (an empty area discloses nobody). When the suppressed
    counts add up to fewer than ``k`` clients, the smallest shown counts are suppressed
    too, until they add up to at least ``k`` or nothing is left: otherwise the total minus
    the shown counts would give the small number back (secondary suppression).
    """
    if k < 1:
        raise UserError(f"k must be at least 1, not {k}")
    out: dict[str, int | None] = {a: (n if n == 0 or n >= k else None) for a, n in counts.items()}
    hidden = sum(n for a, n in counts.items() if out[a] is None)
    if 0 < hidden < k:
        for area in sorted((a for a in counts if out[a]), key=lambda a: (counts[a], a)):
            out[area] = None
            hidden += counts[area]
            if hidden >= k:
                break
    return out


def split_counts(totals: Mapping[str, int | None], parts: Mapping[str, int], *,
                 k: int = DEFAULT_K) -> dict[str, int | None]:
    """A part of each area's clients (e.g. those within reach of a hub), k-anonymous both ways.

    ``totals`` are the areas' client counts as shown (``None``: suppressed, as from
    :func:`suppress_small`); ``parts`` the true part of each total. A part is shown only
    when its area's total is, and when neither the part nor the rest of the area (total
    minus part) is a small count: both go through :func:`suppress_small` (so a hidden
    part or rest also hides enough others to keep their sum at ``k`` or more). Otherwise
    the shown total minus the part would give the small rest back. 0 stays shown, as
    in :func:`suppress_small`.
    """
    true = {a: int(t) for a, t in totals.items() if t is not None}
    shown_parts = suppress_small({a: parts[a] for a in true}, k=k)
    shown_rest = suppress_small({a: true[a] - parts[a] for a in true}, k=k)
    return {a: shown_parts[a] if a in true and shown_parts[a] is not None and shown_rest[a] is not None else None
            for a in totals}


def locality_counts(clients: Iterable[Client], locality_ids: Sequence[str], *,
                    k: int = DEFAULT_K) -> dict[str, int | None]:
    """Clients per locality id (every id in ``locality_ids``, in order), k-anonymous.

    Clients outside every locality are counted under ``""`` (shown only if at least ``k``).
    """
    tally = Counter(c.locality or "" for c in clients)
    counts = {lid: tally.get(lid, 0) for lid in locality_ids}
    if tally.get("", 0):
        counts[""] = tally[""]
    return suppress_small(counts, k=k)


@dataclass(frozen=True)
class HexCell:
    """One hexagon of an aggregation grid: its key (axial ``q,r``), outline in lon/lat
    degrees (EPSG:4326, closed ring), and the clients in it (``None``: suppressed)."""

    key: str
    outline: tuple[tuple[float, float], ...]
    clients: int | None

    @property
    def polygon(self) -> Polygon:
        """The hexagon as a shapely Polygon (EPSG:4326)."""
        return Polygon(self.outline)


def hexagon_counts(points: Sequence[tuple[float, float]], *, size_m: float = 500.0,
                   k: int = DEFAULT_K) -> list[HexCell]:
    """Count points (lon, lat degrees, EPSG:4326) in a grid of hexagons, k-anonymous.

    Hexagons are pointy-top, ``size_m`` metres from centre to corner, laid out in the
    UTM zone of the points (a metric CRS) with a corner of the grid at the zone's origin,
    so the same points always fall in the same cells. Only hexagons holding a point are
    returned; those with fewer than ``k`` points (and, by :func:`suppress_small`, enough
    others to hide their sum) have ``clients=None``. Outlines are the grid's corners,
    never a client's position.
    """
    if size_m <= 0:
        raise UserError(f"the hexagon size must be positive, not {size_m} m")
    if not points:
        return []
    from pyproj import Transformer

    lon0 = sum(p[0] for p in points) / len(points)
    lat0 = sum(p[1] for p in points) / len(points)
    epsg = (32600 if lat0 >= 0 else 32700) + min(int((lon0 + 180) // 6) + 1, 60)
    forward = Transformer.from_crs(4326, epsg, always_xy=True)
    back = Transformer.from_crs(epsg, 4326, always_xy=True)
    xs, ys = forward.transform([p[0] for p in points], [p[1] for p in points])
    tally = Counter(_hex_of(x, y, size_m) for x, y in zip(xs, ys, strict=True))
    keys = sorted(tally)
    counts = suppress_small({f"{q},{r}": tally[q, r] for q, r in keys}, k=k)
    cells = []
    for q, r in keys:
        cx, cy = size_m * math.sqrt(3) * (q + r / 2), size_m * 1.5 * r
        angles = [math.radians(60 * i - 30) for i in range(6)]
        lons, lats = back.transform([cx + size_m * math.cos(a) for a in angles],
                                    [cy + size_m * math.sin(a) for a in angles])
        ring = [(round(lo, 6), round(la, 6)) for lo, la in zip(lons, lats, strict=True)]
        cells.append(HexCell(f"{q},{r}", (*ring, ring[0]), counts[f"{q},{r}"]))
    return cells


def _hex_of(x: float, y: float, size: float) -> tuple[int, int]:
    """The axial (q, r) of the pointy-top hexagon holding metric point (x, y)."""
    q = (math.sqrt(3) / 3 * x - y / 3) / size
    r = (2 / 3 * y) / size
    # cube rounding: round each cube coordinate, then fix the one that moved most
    s = -q - r
    rq, rr, rs = round(q), round(r), round(s)
    dq, dr, ds = abs(rq - q), abs(rr - r), abs(rs - s)
    if dq > dr and dq > ds:
        rq = -rr - rs
    elif dr > ds:
        rr = -rq - rs
    return int(rq), int(rr)
