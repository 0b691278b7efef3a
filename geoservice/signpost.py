"""Signposting: the nearest open resources of a type to a caller's place, by travel time.

The place is a point or an address, geocoded offline against the workspace's OSM
extract (:class:`geoservice.geocode.AddressIndex`). The caller's address and location
are used for this one answer only: they are not stored, not logged, and not part of
the result. Each resource listed says how long it takes to get there, how far it is,
and whether it is open on arrival (else when it opens); resources without opening
hours count as open and are flagged ``hours unknown``. Nearer resources that are closed
on arrival are listed apart, with their opening time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from geoservice.errors import UserError
from geoservice.geocode import AddressIndex, cached_address_index
from geoservice.models import Resource
from geoservice.networks import workspace_graph
from geoservice.opening import local_time, opening_state, workspace_zone
from geoservice.resources import check_mode, check_resource_type, of_type
from geoservice.store import Store
from geoservice.texttable import minutes, text_table
from geoservice.travel_times import network_provenance, place_on_network, travel_times_and_distances

#: A place further than this from the network is not in the workspace's area.
MAX_SNAP_M = 1000.0


@dataclass(frozen=True)
class SignpostedResource:
    """One resource for the caller, with the trip there and its state on arrival."""

    id: str
    name: str
    type: str
    lon: float
    lat: float
    travel_time_s: int
    distance_m: int
    arrival: dt.datetime
    open: bool  #: open on arrival (or hours unknown)
    hours_unknown: bool
    opens_at: dt.datetime | None  #: when closed on arrival: when it next opens
    closes_at: dt.datetime | None  #: when open on arrival: when it next closes
    opening_hours: str
    phone: str

    def as_json(self) -> dict[str, Any]:
        """The resource as JSON (ISO date-times with offset)."""
        return {"id": self.id, "name": self.name, "type": self.type, "lon": self.lon, "lat": self.lat,
                "travel_time_s": self.travel_time_s, "distance_m": self.distance_m,
                "arrival": self.arrival.isoformat(), "open": self.open, "hours_unknown": self.hours_unknown,
                "opens_at": _iso(self.opens_at), "closes_at": _iso(self.closes_at),
                "opening_hours": self.opening_hours, "phone": self.phone}

    def state_text(self) -> str:
        """``open until Mon 17:00``, ``closed, opens Tue 09:00``, ``hours unknown``."""
        if self.hours_unknown:
            return "hours unknown"
        if self.open:
            return f"open until {when_text(self.closes_at, self.arrival)}" if self.closes_at else "open"
        return f"closed, opens {when_text(self.opens_at, self.arrival)}" if self.opens_at else "closed"


def when_text(moment: dt.datetime, now: dt.datetime) -> str:
    """``Mon 17:00`` within the coming week of ``now``, else ``Mon 29 Mar 2027 10:00``."""
    if dt.timedelta(0) <= moment - now < dt.timedelta(days=6):
        return f"{moment:%a %H:%M}"
    return f"{moment:%a %d %b %Y %H:%M}"


@dataclass
class SignpostResult:
    """What ``outreach signpost`` reports: the nearest open resources, and nearer closed ones."""

    resource_type: str
    mode: str
    at: dt.datetime
    resources: list[SignpostedResource]
    closed_nearer: list[SignpostedResource]
    network: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The answer as JSON (the caller's place is not in it)."""
        return {"resource_type": self.resource_type, "mode": self.mode, "at": self.at.isoformat(),
                "resources": [r.as_json() for r in self.resources],
                "closed_nearer": [r.as_json() for r in self.closed_nearer], "network": self.network}

    def table(self) -> str:
        """The answer as plain text."""
        head = f"Nearest {self.resource_type} by {self.mode}, leaving {self.at:%a %Y-%m-%d %H:%M %Z}"
        parts = [head, ""]
        if self.resources:
            parts.append(_table(self.resources))
        else:
            parts.append(f"No {self.resource_type} is open on arrival.")
        if self.closed_nearer:
            parts += ["", "Nearer but closed on arrival:", _table(self.closed_nearer, indent="  ")]
        return "\n".join(parts)


def _table(items: Sequence[SignpostedResource], *, indent: str = "") -> str:
    rows = [{"name": r.name, "min": minutes(r.travel_time_s), "km": r.distance_m / 1000,
             "state": r.state_text(), "phone": r.phone} for r in items]
    return text_table(rows, ["name", "min", "km", "state", "phone"], indent=indent, width=40)


def signpost(store: Store, *, point: tuple[float, float] | str | None = None,
             address: str | None = None, resource_type: str, n: int = 3,
             at: dt.datetime | str | None = None, mode: str = "walk") -> SignpostResult:
    """The ``n`` nearest resources of a type open on arrival, from a point or an address.

    Parameters
    ----------
    store
        The workspace.
    point
        ``(lon, lat)`` in degrees (EPSG:4326), or the text ``"LON,LAT"``.
    address
        An address, geocoded offline against the workspace's OSM extract (exactly one
        of ``point`` and ``address``). Neither stored nor logged.
    resource_type
        The type wanted (case-insensitive).
    n
        How many resources to list.
    at
        Departure time (ISO text or datetime; naive means the workspace's local time);
        default now.
    mode
        ``walk``, ``drive`` or ``bike``.

    Returns
    -------
    SignpostResult
        Up to ``n`` resources open on arrival (nearest first), and the resources nearer
        than the last of them that are closed on arrival (with their opening time).

    Raises
    ------
    UserError
        Unknown type (lists the known ones), bad mode or ``n``, a point that is not
        ``LON,LAT`` or lies outside the workspace's area, or an address that cannot be
        placed with confidence.
    """
    check_mode(mode)
    if n < 1:
        raise UserError(f"--n must be at least 1, not {n}")
    resources: list[Resource] = store.records("resources")
    rtype = check_resource_type(resources, resource_type)
    if (point is None) == (address is None):
        raise UserError("give exactly one of --address TEXT or --point LON,LAT")
    zone = workspace_zone(store.settings().get("timezone"))
    moment = local_time(at, zone)
    lonlat = parse_point(point) if point is not None else _geocode(store, address or "")
    G = workspace_graph(store, mode)
    origin = place_on_network(G, [lonlat])
    if origin.snap_m[0] > MAX_SNAP_M:
        raise UserError(f"that place is {origin.snap_m[0]:,.0f} m from the nearest {mode} route of the "
                        "workspace's network: outside the area it covers")
    chosen = of_type(resources, rtype)
    times, meters = travel_times_and_distances(G, origin, place_on_network(G, [(r.lon, r.lat) for r in chosen]))
    items = [_item(r, float(times[0, j]), float(meters[0, j]), moment, zone)
             for j, r in enumerate(chosen) if np.isfinite(times[0, j])]
    items.sort(key=lambda r: (r.travel_time_s, r.id))
    open_items = [r for r in items if r.open][:n]
    horizon = open_items[-1].travel_time_s if len(open_items) == n else np.inf
    closed = [r for r in items if not r.open and r.travel_time_s < horizon][:n]
    return SignpostResult(rtype, mode, moment, open_items, closed, network_provenance(G))


def parse_point(point: tuple[float, float] | str) -> tuple[float, float]:
    """``(lon, lat)`` from a pair or from ``"LON,LAT"`` text (degrees, EPSG:4326).

    Raises
    ------
    UserError
        If it is not two numbers, or out of range (a swapped ``LAT,LON`` is often caught).
    """
    if isinstance(point, str):
        parts = point.replace(" ", "").split(",")
        try:
            lon, lat = (float(p) for p in parts)
        except ValueError:
            raise UserError(f"--point must be LON,LAT in degrees, e.g. 24.9414,60.1699 (got {point!r})") from None
    else:
        lon, lat = float(point[0]), float(point[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise UserError(f"--point {lon:g},{lat:g} is not a longitude,latitude pair in degrees")
    return lon, lat


def _geocode(store: Store, address: str) -> tuple[float, float]:
    source = store.settings().get("network_source", "")
    if not source or not Path(source).is_file():
        raise UserError("addresses need the workspace's OSM extract (`outreach network build --osm FILE`); "
                        "give --point LON,LAT instead")
    result = _address_index(source, Path(source).stat().st_mtime_ns, str(store.network_dir)).geocode(address)
    if result.status != "matched" or result.lon is None or result.lat is None:
        # the message names the problem, never the address (it may be a client's)
        raise UserError(f"the address could not be placed ({result.status.replace('_', ' ')}, confidence "
                        f"{result.confidence:.2f}); give a fuller address or --point LON,LAT")
    return result.lon, result.lat


@lru_cache(maxsize=2)
def _address_index(source: str, mtime_ns: int, cache_dir: str) -> AddressIndex:
    """The extract's address index: kept in the workspace's network folder, and in memory per
    process (keyed by the file and its change time)."""
    return cached_address_index(source, cache_dir=cache_dir)


def _item(r: Resource, time_s: float, meters: float, at: dt.datetime, zone: Any) -> SignpostedResource:
    travel_s = int(np.ceil(time_s))
    arrival = at + dt.timedelta(seconds=travel_s)
    state = opening_state(r.opening_hours, arrival, zone=zone, lonlat=(r.lon, r.lat))
    return SignpostedResource(
        id=r.id, name=r.name, type=r.type, lon=round(r.lon, 6), lat=round(r.lat, 6), travel_time_s=travel_s,
        distance_m=round(meters), arrival=arrival, open=state.open, hours_unknown=state.hours_unknown,
        opens_at=state.opens_at, closes_at=state.closes_at, opening_hours=r.opening_hours, phone=r.phone)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()
