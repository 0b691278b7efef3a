"""A realistic demo dataset on any OSM extract: fictional people on real geography.

Everything about people is made up (names, needs, notes, rough-sleeping counts);
everything about places is real OpenStreetMap data: clients live at real address
points, hubs and community resources are real POIs, localities are drawn around real
address clusters and named after the nearest OSM place. The generator is deterministic
for a given seed and start date, so tests and screenshots are repeatable.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, box
from shapely.geometry.base import BaseGeometry

from geoservice.errors import UserError
from geoservice.io.osm_features import (
    OsmFeature,
    clean_opening_hours,
    place_features,
    read_features,
    resource_features,
)
from geoservice.models import Client, Hotspot, Hub, Locality, Resource, TimeWindow, Visit, Worker

DEMO_SEED = 20261123
#: Clean house numbers only ("12", "12a", "88-15"): clients need plain addresses.
_HOUSENUMBER = re.compile(r"^\d{1,5}(-\d{1,4})?\s?[A-Za-z]?$")
_FIRST = ("Aino", "Eero", "Helmi", "Juhani", "Kaarina", "Lauri", "Marjatta", "Mikael", "Noora", "Oskari",
          "Pirkko", "Raili", "Sami", "Tuula", "Väinö", "Amina", "Bashir", "Daria", "Elias", "Fatima",
          "Grace", "Hassan", "Ingrid", "Jonas", "Katja", "Leila", "Magnus", "Nadia", "Olga", "Patrik",
          "Rosa", "Saara", "Tomas", "Ulla", "Viktor", "Wilma", "Yusuf", "Zofia", "Arvid", "Beatrix")
_LAST = ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
         "Järvinen", "Lehtonen", "Lindqvist", "Berg", "Nyström", "Ahmed", "Warsame", "Ivanova", "Petrov",
         "Kowalski", "O'Brien", "Okafor", "Rantanen", "Salminen", "Turunen", "Karjalainen", "Lindholm",
         "Saarinen", "Hussein", "Andersson", "Eklund", "Sandberg")
_NOTES = ("Prefers a phone call before the visit.", "Dog in the flat: knock and wait.",
          "Hard of hearing: face the client when speaking.", "Medication review due this month.",
          "Lives on the 4th floor, no lift.", "Daughter visits on Wednesdays.", "")
_WORKER_SKILLS = (("nurse", "fi", "female"), ("fi", "sv"), ("nurse", "fi", "ru"), ("fi", "en", "female"),
                  ("nurse", "fi", "so", "en"), ("fi", "et", "female"), ("fi", "sv", "en"),
                  ("nurse", "fi", "en", "female"))
_SHIFTS = ("08:00-16:00", "08:30-16:30", "09:00-17:00", "08:00-16:00", "10:00-18:00", "08:30-16:30",
           "09:00-17:00", "08:00-16:00")
#: Visits per week, with the share of clients on each.
_FREQUENCIES = ((5, 0.05), (3, 0.15), (2, 0.25), (1, 0.40), (0.5, 0.15))


@dataclass
class DemoData:
    """Records of every kind, ready to import (see :mod:`geoservice.models`)."""

    localities: list[Locality] = field(default_factory=list)
    hubs: list[Hub] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    hotspots: list[Hotspot] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[Any]]:
        """Records per kind, in import order."""
        return {"localities": self.localities, "hubs": self.hubs, "workers": self.workers,
                "clients": self.clients, "visits": self.visits, "resources": self.resources,
                "hotspots": self.hotspots}


def make_demo(osm_path: str | Path, *, start: dt.date, seed: int = DEMO_SEED, clients: int = 150,
              workers: int = 8, localities: int = 5, hotspots: int = 16) -> DemoData:
    """Generate a demo dataset on an OSM extract.

    Parameters
    ----------
    osm_path
        An ``.osm``/``.osm.pbf`` extract with address points (``addr:housenumber``).
    start
        First day of the two weeks of visits (visits fall on weekdays from here).
    seed
        Random seed; the same seed, start and extract give the same data.
    clients, workers, localities, hotspots
        How many of each (one worker is a relief-bank worker without a caseload).

    Raises
    ------
    UserError
        The extract has too few address points to place clients.
    """
    rng = random.Random(seed)
    addresses = _unique_addresses(read_features(
        osm_path, lambda t: bool(_HOUSENUMBER.match(t.get("addr:housenumber", "")))
        and ("addr:street" in t or "addr:place" in t), keys=("addr:housenumber",), at="centroid"))
    if len(addresses) < max(20, localities * 4):
        raise UserError(f"{osm_path}: only {len(addresses)} address points; a demo needs at least "
                        f"{max(20, localities * 4)} (use an extract of a built-up area)")
    data = DemoData()
    data.localities, seats = _localities(addresses, place_features(osm_path), _seats(workers - 1, localities), rng)
    data.hubs = _hubs(osm_path, data.localities, rng)
    staffing = [loc for loc, k in zip(data.localities, seats, strict=True) for _ in range(k)]
    data.workers = _workers(data.localities, staffing, data.hubs, start, rng)
    chosen = rng.sample(addresses, min(clients, len(addresses)))
    data.clients = _clients(chosen, data.localities, data.workers, rng)
    data.visits = _visits(data.clients, start, rng)
    data.resources = _resources(osm_path)
    data.hotspots = _hotspots(osm_path, addresses, hotspots, start, rng)
    return data


def _unique_addresses(features: list[OsmFeature]) -> list[OsmFeature]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in sorted(features, key=lambda f: f.osm_id):
        key = (f.tags.get("addr:street", f.tags.get("addr:place", "")), f.tags["addr:housenumber"])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def address_text(tags: dict[str, str] | OsmFeature) -> str:
    """``Street 12, 00100 City`` from OSM address tags."""
    t = tags.tags if isinstance(tags, OsmFeature) else tags
    street = t.get("addr:street", t.get("addr:place", ""))
    tail = " ".join(p for p in (t.get("addr:postcode", ""), t.get("addr:city", "")) if p)
    return f"{street} {t['addr:housenumber']}" + (f", {tail}" if tail else "")


def _metric(lon0: float, lat0: float) -> tuple[Callable[[np.ndarray], np.ndarray],
                                                Callable[[np.ndarray], np.ndarray]]:
    """Local equirectangular projection to metres around a point, and its inverse, on
    ``(n, 2)`` arrays of coordinates (accurate to well under 1% across a city)."""
    scale = np.array([111_320.0 * np.cos(np.radians(lat0)), 111_320.0])
    origin = np.array([lon0, lat0])

    def forward(lonlat: np.ndarray) -> np.ndarray:
        return (np.asarray(lonlat) - origin) * scale

    def inverse(xy: np.ndarray) -> np.ndarray:
        return np.asarray(xy) / scale + origin

    return forward, inverse


def _seats(workers: int, localities: int) -> list[int]:
    """Regular workers per locality, as even as possible (the first ones get one more)."""
    base, extra = divmod(workers, localities)
    return [base + (j < extra) for j in range(localities)]


def _localities(addresses: list[OsmFeature], places: list[OsmFeature], seats: list[int],
                rng: random.Random) -> tuple[list[Locality], list[int]]:
    """Localities drawn around the address points, each holding homes in proportion to
    the workers it gets (as real localities are drawn around population), and the seats
    of each in locality order. A locality's polygon is the union of the Voronoi cells of
    its addresses, clipped to the area; it is named after the nearest OSM place."""
    lonlat = np.array([(a.lon, a.lat) for a in addresses])
    forward, inverse = _metric(*lonlat.mean(axis=0))
    xy = np.unique(forward(lonlat).round(1), axis=0)  # one Voronoi cell per distinct point
    centres, label, order = _balanced_clusters(xy, _caps(len(xy), seats), rng)
    seats = [seats[j] for j in order]
    w, s = xy.min(axis=0) - 150
    e, n = xy.max(axis=0) + 150
    area = box(w, s, e, n)
    cells = shapely.voronoi_polygons(MultiPoint([Point(p) for p in xy]), extend_to=area, ordered=True)
    named = _names_for(centres, places, forward)
    shapes = _merge_fragments([shapely.union_all([cells.geoms[i] for i in np.flatnonzero(label == j)])
                               .intersection(area).buffer(0) for j in range(len(seats))])
    return [Locality(f"L{j + 1}", named[j], shapely.transform(shape, inverse))
            for j, shape in enumerate(shapes)], seats


def _merge_fragments(shapes: list[BaseGeometry]) -> list[BaseGeometry]:
    """Give each detached piece of a locality (all but its largest part) to the
    neighbour it shares the longest border with, so localities are one piece each."""
    shapes = list(shapes)
    for j, shape in enumerate(list(shapes)):
        if not isinstance(shape, MultiPolygon):
            continue
        parts = sorted(shape.geoms, key=lambda g: -g.area)
        shapes[j] = parts[0]
        for piece in parts[1:]:
            border = [piece.boundary.intersection(other).length if i != j else -1 for i, other in enumerate(shapes)]
            best = int(np.argmax(border))
            if border[best] > 0:
                shapes[best] = shapes[best].union(piece).buffer(0)
            else:
                shapes[j] = shapes[j].union(piece)  # an island: keep it
    return shapes


def _caps(n: int, seats: list[int]) -> np.ndarray:
    """Points per cluster in proportion to ``seats``, summing to ``n``."""
    share = np.array(seats, dtype=float) / sum(seats) * n
    caps = np.floor(share).astype(int)
    caps[np.argsort(-(share - caps))[: n - caps.sum()]] += 1
    return caps


def _balanced_clusters(xy: np.ndarray, caps: np.ndarray, rng: random.Random,
                       rounds: int = 30) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clusters of the given sizes: k-means++ seeding from the seeded generator, then
    rounds of a size-capped nearest assignment and re-centring. Clusters are renumbered
    north to south, then west to east; returns the centres, each point's cluster, and
    ``order`` (cluster ``j`` was built with ``caps[order[j]]``)."""
    k = len(caps)
    centres = [xy[rng.randrange(len(xy))]]
    while len(centres) < k:
        d2 = np.min([((xy - c) ** 2).sum(axis=1) for c in centres], axis=0)
        pick = rng.random() * d2.sum()
        centres.append(xy[int(np.searchsorted(np.cumsum(d2), pick))])
    c = np.array(centres, dtype=float)
    label = _capped_assignment(xy, c, caps)
    for _ in range(rounds):
        new = np.array([xy[label == j].mean(axis=0) for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
        label = _capped_assignment(xy, c, caps)
    order = np.lexsort((c[:, 0], -c[:, 1]))
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)
    return c[order], rank[label], order


def _capped_assignment(xy: np.ndarray, centres: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Each point to its nearest centre that still has room, nearest pairs first."""
    d = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    label = np.full(len(xy), -1)
    room = caps.copy()
    for flat in np.argsort(d, axis=None, kind="stable"):
        i, j = divmod(int(flat), len(centres))
        if label[i] < 0 and room[j] > 0:
            label[i], room[j] = j, room[j] - 1
    return label


def _names_for(centres: np.ndarray, places: Sequence[OsmFeature],
               forward: Callable[[np.ndarray], np.ndarray]) -> list[str]:
    names = [f"Locality {i + 1}" for i in range(len(centres))]
    if not places:
        return names
    pxy = forward(np.array([(p.lon, p.lat) for p in places]))
    pairs = sorted((float(np.hypot(*(pxy[j] - centres[i]))), i, j)
                   for i in range(len(centres)) for j in range(len(places)))
    used_c: set[int] = set()
    used_n: set[str] = set()
    for _, i, j in pairs:
        name = places[j].name
        if i not in used_c and name not in used_n:
            names[i] = name
            used_c.add(i)
            used_n.add(name)
    return names


def _hubs(osm_path: str | Path, localities: list[Locality], rng: random.Random) -> list[Hub]:
    """Hubs at real community centres / social facilities / NGO offices, at most one per
    locality, for up to three localities."""
    candidates = read_features(osm_path, lambda t: t.get("amenity") in ("community_centre", "social_facility")
                               or t.get("office") in ("ngo", "association"), keys=("amenity", "office"))
    hubs: list[Hub] = []
    for loc in localities[:3]:
        inside = [c for c in candidates if loc.geometry.contains(Point(c.lon, c.lat))]
        inside.sort(key=lambda c: (c.tags.get("amenity") is None, c.osm_id))
        if inside:
            c = inside[0]
            hubs.append(Hub(f"H{len(hubs) + 1}", c.name or f"{loc.name} hub", c.lon, c.lat,
                            c.tags.get("amenity") or c.tags.get("office", "office")))
        else:
            p = loc.geometry.representative_point()
            hubs.append(Hub(f"H{len(hubs) + 1}", f"{loc.name} hub (fictional)", p.x, p.y, "office"))
    return hubs


def _workers(localities: list[Locality], staffing: list[Locality], hubs: list[Hub], start: dt.date,
             rng: random.Random) -> list[Worker]:
    n = len(staffing) + 1
    names = rng.sample([f"{a} {b}" for a in _FIRST for b in _LAST], n)
    out = []
    for i in range(n):
        relief = i == n - 1
        loc = staffing[i] if not relief else localities[0]
        hub = min(hubs, key=lambda h: loc.geometry.centroid.distance(Point(h.lon, h.lat)))
        shift = TimeWindow(*(dt.time.fromisoformat(t) for t in _SHIFTS[i % len(_SHIFTS)].split("-")))
        absent: frozenset[dt.date] = frozenset()
        if i == 1:  # one worker is on leave for three days in the second week
            monday = start + dt.timedelta(days=7 - start.weekday())
            absent = frozenset(monday + dt.timedelta(days=d) for d in range(3))
        out.append(Worker(
            id=f"W{i + 1:02d}", name=names[i], base=hub.id, skills=frozenset(_WORKER_SKILLS[i % 8]),
            shift=shift, hours_per_week=30.0 if i % 4 == 3 else 37.5, mode="walk" if i % 3 else "drive",
            absent=absent, relief=relief, locality=None if relief else loc.id))
    return out


def _clients(chosen: list[OsmFeature], localities: list[Locality], workers: list[Worker],
             rng: random.Random) -> list[Client]:
    regular = [w for w in workers if not w.relief]
    out = []
    for i, a in enumerate(chosen):
        point = Point(a.lon, a.lat)
        loc = next((lc for lc in localities if lc.geometry.contains(point)), None)
        locals_ = [w for w in regular if loc and w.locality == loc.id] or regular
        worker = locals_[i % len(locals_)]
        roll = rng.random()
        windows: tuple[TimeWindow, ...] = ()
        if roll < 0.25:
            windows = (TimeWindow(dt.time(9), dt.time(12)),)
        elif roll < 0.35:
            windows = (TimeWindow(dt.time(13), dt.time(16)),)
        elif roll < 0.42:
            windows = (TimeWindow(dt.time(9), dt.time(11)), TimeWindow(dt.time(14), dt.time(16)))
        skills: set[str] = set()
        if rng.random() < 0.15 and "nurse" in worker.skills:
            skills.add("nurse")
        if rng.random() < 0.10:
            skills.add(rng.choice(sorted(worker.skills - {"nurse", "fi"}) or ["fi"]))
        out.append(Client(
            id=f"C{i + 1:03d}", name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", lon=a.lon, lat=a.lat,
            address=address_text(a), locality=loc.id if loc else None, usual_worker=worker.id,
            need_weight=rng.choice((1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 2.0)), visit_minutes=rng.choice((30, 45, 45, 60)),
            windows=windows, skills=frozenset(skills), pinned=rng.random() < 0.05, notes=rng.choice(_NOTES)))
    return out


def _visits(clients: list[Client], start: dt.date, rng: random.Random) -> list[Visit]:
    days = [start + dt.timedelta(days=k) for k in range(14) if (start + dt.timedelta(days=k)).weekday() < 5]
    out = []
    for c in clients:
        per_week = rng.choices([f for f, _ in _FREQUENCIES], weights=[w for _, w in _FREQUENCIES])[0]
        weekdays = sorted(rng.sample(range(5), max(1, int(per_week))))
        offset = rng.randrange(2)  # fortnightly clients: which of the two weeks
        for day in days:
            week = (day - start).days // 7
            if day.weekday() not in weekdays or (per_week < 1 and week % 2 != offset):
                continue
            earliest = latest = None
            if rng.random() < 0.08:  # a fixed appointment
                hour = rng.choice((10, 11, 14))
                earliest, latest = dt.time(hour), dt.time(hour, 30)
            out.append(Visit(id=f"V{day:%m%d}-{c.id}", client_id=c.id, date=day, earliest=earliest, latest=latest,
                             priority=rng.choice((1, 1, 1, 2, 3))))
    return out


def _resources(osm_path: str | Path) -> list[Resource]:
    out = []
    for f, kind in resource_features(osm_path):
        capacity = f.tags.get("capacity", "")
        out.append(Resource(
            id=f"R-{f.osm_id}", name=f.name or f"{kind.replace('_', ' ').title()} ({f.osm_id})", type=kind,
            lon=f.lon, lat=f.lat, opening_hours=clean_opening_hours(f.tags.get("opening_hours", "")),
            capacity=float(capacity) if capacity.isdigit() else None, phone=f.tags.get("phone", "")))
    return out


def _hotspots(osm_path: str | Path, addresses: list[OsmFeature], n: int, start: dt.date,
              rng: random.Random) -> list[Hotspot]:
    """Fictional rough-sleeping sites at plausible real places: parks, station
    entrances, benches; or address points when an extract has none of those."""
    sites = read_features(osm_path, lambda t: t.get("leisure") == "park" or t.get("amenity") == "bench"
                          or t.get("railway") in ("station", "subway_entrance"),
                          keys=("leisure", "amenity", "railway"))
    pool = sites if len(sites) >= n else sites + addresses
    out = []
    for i, s in enumerate(rng.sample(pool, min(n, len(pool)))):
        kind = "park" if s.tags.get("leisure") == "park" else "station" if "railway" in s.tags else "street"
        name = f"{s.name} ({kind})" if s.name else f"Site {i + 1} ({kind})"
        people = min(12, max(1, int(rng.expovariate(1 / 4)) + 1))
        seen = start - dt.timedelta(days=rng.randrange(1, 21))
        out.append(Hotspot(id=f"HS{i + 1:02d}", lon=s.lon, lat=s.lat, name=name, people=people, last_seen=seen))
    return out
