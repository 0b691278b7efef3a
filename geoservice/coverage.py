"""Locality coverage: which share of clients, and of people at hotspots, a hub reaches in time.

A place is *covered* by a travel mode when some hub reaches it within ``minutes`` on
that mode's network (from the hub: staff travel out). Per locality the report gives
the clients and hotspot people, and per mode how many are covered and the share.
Clients outside coverage are listed only when the caller allows it
(``include_clients``; the web app decides by role); otherwise client counts are
k-anonymous: a locality's clients by :func:`geoservice.privacy.suppress_small`, the
clients covered with those not covered by :func:`geoservice.privacy.split_counts`, and
the total's covered clients only when no locality's are hidden (else the total minus
the shown localities would give the hidden ones back).

:func:`covered_by_hubs` and :func:`shares` are the matrix-level core.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree
from shapely.geometry import Point, mapping
from shapely.geometry.base import BaseGeometry

from geoservice.errors import UserError
from geoservice.models import Client, Hotspot, Hub, Locality
from geoservice.networks import workspace_graph
from geoservice.privacy import DEFAULT_K, split_counts, suppress_small
from geoservice.resources import check_minutes, check_mode
from geoservice.store import Store
from geoservice.texttable import text_table
from geoservice.travel_times import network_provenance, place_on_network, travel_times

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Group of places outside every locality.
NO_LOCALITY = ""
#: Tolerance (degrees, about 2 m) to which hub reach areas are simplified.
REACH_SIMPLIFY_DEG = 2e-5


def covered_by_hubs(times_s: npt.ArrayLike, limit_s: float) -> tuple[npt.NDArray[np.bool_], IntArray, FloatArray]:
    """Which places some hub reaches within ``limit_s``.

    Parameters
    ----------
    times_s
        ``(hubs, places)`` travel times in seconds from each hub (``np.inf``: no route).
    limit_s
        Threshold in seconds (inclusive).

    Returns
    -------
    covered, nearest, time_s
        ``(places,)``: covered or not, row of the nearest hub (-1 if none reaches it), and
        its travel time (``np.inf`` if none).
    """
    times = np.asarray(times_s, dtype=float)
    if times.shape[0] == 0:
        n = times.shape[1] if times.ndim == 2 else 0
        return np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    nearest = np.argmin(times, axis=0)
    best = times[nearest, np.arange(times.shape[1])]
    return best <= limit_s, np.where(np.isfinite(best), nearest, -1).astype(np.int64), best


def shares(groups: Sequence[Hashable], weights: npt.ArrayLike, covered: npt.ArrayLike
           ) -> dict[Hashable, tuple[float, float]]:
    """Total and covered weight per group (e.g. people per locality), in first-seen order."""
    w = np.asarray(weights, dtype=float)
    hit = np.asarray(covered, dtype=bool)
    out: dict[Hashable, tuple[float, float]] = {}
    for g, wi, ci in zip(groups, w, hit, strict=True):
        total, done = out.get(g, (0.0, 0.0))
        out[g] = (total + wi, done + (wi if ci else 0.0))
    return out


@dataclass(frozen=True)
class ModeCoverage:
    """Coverage of one locality by one mode. Client figures are None when suppressed (< k)."""

    clients_covered: int | None
    client_share: float | None
    hotspot_people_covered: int
    hotspot_people_share: float | None

    def as_json(self) -> dict[str, Any]:
        """The figures as JSON (shares rounded to 3 decimals)."""
        return {"clients_covered": self.clients_covered, "client_share": _round(self.client_share),
                "hotspot_people_covered": self.hotspot_people_covered,
                "hotspot_people_share": _round(self.hotspot_people_share)}


@dataclass(frozen=True)
class LocalityCoverage:
    """One locality (id None: all localities together; ``""``: places in no locality)."""

    id: str | None
    name: str
    clients: int | None  #: None when suppressed (fewer than k)
    hotspot_people: int
    modes: dict[str, ModeCoverage]

    def as_json(self) -> dict[str, Any]:
        """The locality row as JSON."""
        return {"id": self.id, "name": self.name, "clients": self.clients, "hotspot_people": self.hotspot_people,
                "coverage": {mode: c.as_json() for mode, c in self.modes.items()}}


@dataclass(frozen=True)
class ClientOutside:
    """A client some mode does not reach in time: client-level data, for permitted roles only."""

    id: str
    name: str
    locality: str | None
    nearest_hub: dict[str, str | None]  #: per mode
    travel_time_s: dict[str, int | None]  #: per mode, from the nearest hub (None: no route)
    outside: tuple[str, ...]  #: the modes that do not cover the client

    def as_json(self) -> dict[str, Any]:
        """The client as JSON (no address, no coordinates)."""
        return {"id": self.id, "name": self.name, "locality": self.locality, "outside": list(self.outside),
                "nearest_hub": self.nearest_hub, "travel_time_s": self.travel_time_s}


@dataclass(frozen=True)
class HubReach:
    """The area a hub reaches within ``minutes`` by ``mode`` (a network isochrone, EPSG:4326)."""

    hub: str
    name: str
    mode: str
    minutes: float
    area_km2: float
    geometry: BaseGeometry

    def as_json(self) -> dict[str, Any]:
        """A GeoJSON Feature (coordinates rounded to 6 decimals, about 0.1 m)."""
        geometry = shapely.set_precision(self.geometry, 1e-6)
        return {"type": "Feature", "geometry": mapping(geometry),
                "properties": {"hub": self.hub, "name": self.name, "mode": self.mode, "minutes": self.minutes,
                               "area_km2": round(self.area_km2, 3)}}


@dataclass
class CoverageResult:
    """Locality coverage for ``/api/localities/coverage`` and the coverage map."""

    minutes: float
    modes: list[str]
    hubs: list[Hub]
    localities: list[LocalityCoverage]
    total: LocalityCoverage
    clients_outside: list[ClientOutside] | None  #: None when the caller may not see clients
    k: int
    network: dict[str, dict[str, Any]] = field(default_factory=dict)
    reach: list[HubReach] | None = None  #: hub isochrones, when asked for
    suppressed: bool = False  #: client counts are k-anonymous (small ones are None)

    def as_json(self) -> dict[str, Any]:
        """The report as JSON; ``clients_outside`` only appears for callers allowed to see clients,
        ``reach`` (a GeoJSON FeatureCollection of hub isochrones) only when asked for;
        ``k_anonymity`` is ``k`` when client counts are suppressed, else null."""
        out: dict[str, Any] = {
            "minutes": self.minutes, "modes": self.modes,
            "hubs": [{"id": h.id, "name": h.name} for h in self.hubs],
            "localities": [lc.as_json() for lc in self.localities], "total": self.total.as_json(),
            "k_anonymity": self.k if self.suppressed else None, "network": self.network}
        if self.clients_outside is not None:
            out["clients_outside"] = [c.as_json() for c in self.clients_outside]
        if self.reach is not None:
            out["reach"] = {"type": "FeatureCollection", "features": [r.as_json() for r in self.reach]}
        return out

    def table(self) -> str:
        """The report as plain text."""
        rows = []
        for lc in [*self.localities, self.total]:
            row: dict[str, Any] = {"locality": lc.name, "clients": lc.clients, "hotspot people": lc.hotspot_people}
            for mode, c in lc.modes.items():
                row[f"clients {mode} %"] = _percent(c.client_share)
                row[f"people {mode} %"] = _percent(c.hotspot_people_share)
            rows.append(row)
        columns = ["locality", "clients", *(f"clients {m} %" for m in self.modes), "hotspot people",
                   *(f"people {m} %" for m in self.modes)]
        hubs = ", ".join(h.name for h in self.hubs)
        parts = [f"Coverage within {self.minutes:g} min of a hub ({hubs})", "", text_table(rows, columns)]
        if self.suppressed:
            parts += ["", f"Client counts below {self.k}, and shares whose rest is below {self.k}, are not "
                          "shown (-)."]
        if self.clients_outside:
            parts += ["", "Clients outside coverage:", text_table(
                [{"client": c.id, "name": c.name, "locality": c.locality, "outside": ", ".join(c.outside),
                  **{f"{m} min": _minutes(c.travel_time_s[m]) for m in self.modes}} for c in self.clients_outside],
                ["client", "name", "locality", "outside", *(f"{m} min" for m in self.modes)], indent="  ")]
        return "\n".join(parts)

    def scoped(self, localities: Collection[str], *, name: str = "your localities") -> CoverageResult:
        """The report cut to ``localities`` (ids), with the total row over those only."""
        rows = [lc for lc in self.localities if lc.id is not None and lc.id in localities]
        return dataclasses.replace(self, localities=rows, total=_total_row(rows, self.modes, name=name))


def locality_coverage(store: Store, *, minutes: float = 15, modes: Sequence[str] = ("drive", "walk"),
                      include_clients: bool = False, k: int = DEFAULT_K,
                      include_areas: bool = False, suppress: bool | None = None) -> CoverageResult:
    """Per locality, the share of clients and of hotspot people within ``minutes`` of a hub.

    Parameters
    ----------
    store
        The workspace.
    minutes
        Travel time (minutes) from the nearest hub within which a place is covered.
    modes
        Travel modes to report (``drive``, ``walk``, ``bike``), each on its own network.
    include_clients
        List the clients outside coverage (names, no locations). Only for roles with
        client-level access.
    k
        Smallest client count shown to callers without client access.
    include_areas
        Add the area each hub reaches per mode (:func:`hub_reach`).
    suppress
        Make client counts k-anonymous (see the module docstring); default: when
        ``include_clients`` is false. A caller may list some clients (a worker's own)
        and still show only k-anonymous counts for the rest.

    Raises
    ------
    UserError
        Bad mode or minutes, or a workspace without hubs.
    """
    limit_s = check_minutes(minutes, what="minutes") * 60
    modes = [check_mode(m) for m in dict.fromkeys(modes)]
    hubs: list[Hub] = store.records("hubs")
    if not hubs:
        raise UserError("the workspace has no hubs: import some (`outreach import hubs FILE`)")
    localities: list[Locality] = store.records("localities")
    clients: list[Client] = store.records("clients")
    hotspots: list[Hotspot] = store.records("hotspots")
    client_area = [c.locality or locality_of(localities, c.lon, c.lat) for c in clients]
    spot_area = [locality_of(localities, h.lon, h.lat) for h in hotspots]
    people = np.array([h.people for h in hotspots], dtype=float)
    per_mode: dict[str, _ModeRun] = {}
    network = {}
    reach: list[HubReach] | None = [] if include_areas else None
    for mode in modes:
        G = workspace_graph(store, mode)
        network[mode] = network_provenance(G)
        if reach is not None:
            reach += hub_reach(G, hubs, mode=mode, minutes=minutes)
        hub_places = place_on_network(G, [(h.lon, h.lat) for h in hubs])
        covered, nearest, time_s = covered_by_hubs(
            travel_times(G, hub_places, place_on_network(G, [(c.lon, c.lat) for c in clients])), limit_s)
        spots_covered = covered_by_hubs(
            travel_times(G, hub_places, place_on_network(G, [(h.lon, h.lat) for h in hotspots])), limit_s)[0]
        per_mode[mode] = _ModeRun(covered, nearest, time_s, shares(client_area, np.ones(len(clients)), covered),
                                  shares(spot_area, people, spots_covered))
    suppress = not include_clients if suppress is None else suppress
    rows = _locality_rows(localities, modes, per_mode, client_area, spot_area, suppress=suppress, k=k)
    outside = _clients_outside(clients, hubs, modes, per_mode) if include_clients else None
    return CoverageResult(minutes=float(minutes), modes=modes, hubs=hubs, localities=rows[:-1], total=rows[-1],
                          clients_outside=outside, k=k, network=network, reach=reach, suppressed=suppress)


def hub_reach(G: nx.MultiDiGraph, hubs: Sequence[Hub], *, mode: str, minutes: float) -> list[HubReach]:
    """The area each hub reaches within ``minutes`` on ``G`` (:func:`routing.isochrone.isochrones`).

    The hub's own way to the network (:mod:`geoservice.travel_times`) is taken off the
    time, as coverage does. Areas are simplified to :data:`REACH_SIMPLIFY_DEG` (about 2 m):
    invisible on a map, about half the vertices.

    Parameters
    ----------
    G
        The network of ``mode`` (EPSG:4326).
    hubs
        The hubs.
    mode
        The mode's name (reported back).
    minutes
        Travel time limit in minutes.
    """
    from routing.isochrone import isochrones

    placed = place_on_network(G, [(h.lon, h.lat) for h in hubs])
    out = []
    for hub, node, access_s in zip(hubs, placed.nodes, placed.access_s, strict=True):
        area = isochrones(G, [node], max(minutes - access_s / 60, 0.0))
        out.append(HubReach(hub.id, hub.name, mode, float(minutes), float(area["area_km2"].iloc[0]),
                            area.geometry.iloc[0].simplify(REACH_SIMPLIFY_DEG)))
    return out


def locality_of(localities: Sequence[Locality], lon: float, lat: float) -> str:
    """Id of the first locality whose polygon covers the point (lon/lat), or :data:`NO_LOCALITY`."""
    point = Point(lon, lat)
    tree = _tree(tuple(localities))
    for i in sorted(int(j) for j in tree.query(point, predicate="intersects")):
        return localities[i].id
    return NO_LOCALITY


_TREES: dict[tuple[int, ...], STRtree] = {}


def _tree(localities: tuple[Locality, ...]) -> STRtree:
    key = tuple(id(lc.geometry) for lc in localities)
    if key not in _TREES:
        _TREES.clear()  # one workspace at a time: keep a single tree
        _TREES[key] = STRtree([lc.geometry for lc in localities])
    return _TREES[key]


@dataclass(frozen=True)
class _ModeRun:
    """One mode's results: per client covered / nearest hub row / time, and shares per area."""

    covered: npt.NDArray[np.bool_]
    nearest: IntArray
    time_s: FloatArray
    client_shares: dict[Hashable, tuple[float, float]]
    people_shares: dict[Hashable, tuple[float, float]]


def _locality_rows(localities: Sequence[Locality], modes: Sequence[str], per_mode: dict[str, _ModeRun],
                   client_area: Sequence[str], spot_area: Sequence[str], *, suppress: bool,
                   k: int) -> list[LocalityCoverage]:
    """One row per locality, one for places outside every locality (if any), and a total row last.

    With ``suppress``, client counts are k-anonymous (see the module docstring).
    """
    ids = [lc.id for lc in localities]
    if NO_LOCALITY in set(client_area) | set(spot_area):
        ids.append(NO_LOCALITY)
    names = {lc.id: lc.name for lc in localities} | {NO_LOCALITY: "(no locality)"}
    client_totals = {a: client_area.count(a) for a in ids}
    shown: dict[str, int | None] = suppress_small(client_totals, k=k) if suppress else dict(client_totals)
    covered: dict[str, dict[str, int | None]] = {}
    for mode in modes:
        true = {a: int(_pick(per_mode[mode].client_shares, a)[1]) for a in ids}
        covered[mode] = split_counts(shown, true, k=k) if suppress else dict(true)
    rows = []
    for area in ids:
        mode_rows = {}
        p_total = 0.0
        for mode in modes:
            p_total, p_done = _pick(per_mode[mode].people_shares, area)
            done, total = covered[mode][area], shown[area]
            mode_rows[mode] = ModeCoverage(
                clients_covered=done, client_share=done / total if done is not None and total else None,
                hotspot_people_covered=int(p_done), hotspot_people_share=p_done / p_total if p_total else None)
        rows.append(LocalityCoverage(id=area, name=names[area], clients=shown[area], hotspot_people=int(p_total),
                                     modes=mode_rows))
    total_modes = {}
    people_total = 0.0
    for mode in modes:
        c_total, c_done = _pick(per_mode[mode].client_shares, None)
        people_total, p_done = _pick(per_mode[mode].people_shares, None)
        # the total's covered clients minus the shown localities' would give the hidden ones back
        hidden = any(covered[mode][a] is None for a in ids)
        total_modes[mode] = ModeCoverage(
            clients_covered=None if hidden else int(c_done),
            client_share=None if hidden or not c_total else c_done / c_total,
            hotspot_people_covered=int(p_done), hotspot_people_share=p_done / people_total if people_total else None)
    rows.append(LocalityCoverage(id=None, name="all localities", clients=len(client_area),
                                 hotspot_people=int(people_total), modes=total_modes))
    return rows


def _total_row(rows: Sequence[LocalityCoverage], modes: Sequence[str], *, name: str) -> LocalityCoverage:
    """The sum of ``rows``: client figures ``None`` when any row's is (suppressed)."""
    def total(values: Sequence[int | None]) -> int | None:
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    clients = total([lc.clients for lc in rows])
    people = sum(lc.hotspot_people for lc in rows)
    mode_rows = {}
    for mode in modes:
        done = total([lc.modes[mode].clients_covered for lc in rows])
        people_done = sum(lc.modes[mode].hotspot_people_covered for lc in rows)
        mode_rows[mode] = ModeCoverage(
            clients_covered=done, client_share=done / clients if done is not None and clients else None,
            hotspot_people_covered=people_done, hotspot_people_share=people_done / people if people else None)
    return LocalityCoverage(id=None, name=name, clients=clients, hotspot_people=people, modes=mode_rows)


def _pick(table: dict[Hashable, tuple[float, float]], area: str | None) -> tuple[float, float]:
    if area is None:
        return sum(t for t, _ in table.values()), sum(c for _, c in table.values())
    return table.get(area, (0.0, 0.0))


def _clients_outside(clients: Sequence[Client], hubs: Sequence[Hub], modes: Sequence[str],
                     per_mode: dict[str, _ModeRun]) -> list[ClientOutside]:
    out = []
    for i, c in enumerate(clients):
        outside = tuple(m for m in modes if not per_mode[m].covered[i])
        if not outside:
            continue
        nearest = {m: hubs[int(per_mode[m].nearest[i])].id if per_mode[m].nearest[i] >= 0 else None for m in modes}
        times = {m: int(np.ceil(per_mode[m].time_s[i])) if np.isfinite(per_mode[m].time_s[i]) else None
                 for m in modes}
        out.append(ClientOutside(c.id, c.name, c.locality, nearest, times, outside))
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}"


def _minutes(seconds: int | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f}"
