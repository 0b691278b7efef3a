"""Resource gaps: how far each hotspot is from the nearest resource of each type, and
where new sites would close the gaps.

For every hotspot (a rough-sleeping site, weighted by the people estimated there) and
every resource type, the travel time by the chosen mode to the nearest resource of that
type; with a departure time ``at``, only resources open on arrival count (a closed
nearest resource makes the next-nearest open one count). Resources without opening
hours count as open and are flagged ``hours_unknown``. A hotspot is in a *gap* when no
such resource is within ``max_minutes``. Site suggestions (:mod:`geoservice.siting`)
place up to ``k`` new resources of a type where they reach the most people in gaps.

:func:`nearest_resource` is the matrix-level core; :func:`gaps_report` runs the whole
question on a workspace and returns a :class:`GapsResult` for the CLI, the API and maps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import networkx as nx
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from geoservice.errors import UserError
from geoservice.models import Hotspot, Resource
from geoservice.networks import workspace_graph
from geoservice.opening import local_time, open_window, opening_state, workspace_zone
from geoservice.resources import check_minutes, check_mode, check_resource_type, of_type, resource_types
from geoservice.siting import maximal_covering
from geoservice.store import Store
from geoservice.texttable import minutes, text_table
from geoservice.travel_times import (
    Placed,
    at_nodes,
    network_provenance,
    place_on_network,
    travel_times,
    travel_times_and_distances,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def nearest_resource(times_s: npt.ArrayLike, *, usable: npt.ArrayLike | None = None
                     ) -> tuple[IntArray, FloatArray]:
    """The nearest usable resource of each place, by travel time.

    Parameters
    ----------
    times_s
        ``(H, R)`` travel times in seconds from each place to each resource (``np.inf``:
        no route).
    usable
        ``(R,)`` or ``(H, R)`` booleans: which resources (or place-resource pairs) count,
        e.g. those open on arrival; by default all.

    Returns
    -------
    nearest, time_s
        ``(H,)`` column index of the nearest usable resource (-1 when none is usable or
        reachable) and its travel time in seconds (``np.inf`` when none).
    """
    times = np.asarray(times_s, dtype=float)
    if times.ndim != 2:
        raise ValueError(f"times_s must be a 2-D (places, resources) array, not shape {times.shape}")
    if usable is not None:
        times = np.where(np.broadcast_to(np.asarray(usable, dtype=bool), times.shape), times, np.inf)
    if times.shape[1] == 0:
        return np.full(times.shape[0], -1, dtype=np.int64), np.full(times.shape[0], np.inf)
    nearest = np.argmin(times, axis=1)
    best = times[np.arange(times.shape[0]), nearest]
    return np.where(np.isfinite(best), nearest, -1).astype(np.int64), best


def open_on_arrival(windows_s: npt.ArrayLike, times_s: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Which place-resource pairs find the resource open on arrival.

    Parameters
    ----------
    windows_s
        ``(R, 2)`` open period of each resource as seconds after departure
        (:func:`geoservice.opening.open_window`).
    times_s
        ``(H, R)`` travel times in seconds.

    Returns
    -------
    open
        ``(H, R)`` booleans: ``start <= time < end``.
    """
    windows = np.asarray(windows_s, dtype=float).reshape(-1, 2)
    times = np.asarray(times_s, dtype=float)
    return (times >= windows[:, 0][None, :]) & (times < windows[:, 1][None, :])


# -- the workspace question ------------------------------------------------------------------


@dataclass(frozen=True)
class HotspotGap:
    """One hotspot and one resource type: the nearest resource and whether it is a gap.

    ``travel_time_s`` (whole seconds, rounded up) and ``distance_m`` are None when no
    resource of the type is reachable (open on arrival, with ``at``). ``open`` is None
    without ``at``; ``hours_unknown`` says the nearest resource has no known hours.
    ``nearer_closed_id`` names a nearer resource of the type that is closed on arrival.
    """

    id: str
    name: str
    people: int
    resource_type: str
    nearest_id: str | None
    nearest_name: str | None
    travel_time_s: int | None
    distance_m: int | None
    gap: bool
    open: bool | None
    hours_unknown: bool
    nearer_closed_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The hotspot row of the ``gaps`` JSON."""
        return {"id": self.id, "resource_type": self.resource_type, "nearest_id": self.nearest_id,
                "travel_time_s": self.travel_time_s, "gap": self.gap, "name": self.name, "people": self.people,
                "nearest_name": self.nearest_name, "distance_m": self.distance_m, "open": self.open,
                "hours_unknown": self.hours_unknown, "nearer_closed_id": self.nearer_closed_id}


@dataclass(frozen=True)
class SuggestedSite:
    """A place for a new resource: a network node (or a given candidate site)."""

    rank: int
    lon: float
    lat: float
    near: str  #: a street name at the site, to find it on the ground ("" if none)
    people_newly_covered: float
    hotspots: tuple[str, ...]  #: ids of the hotspots in gaps it would cover, newly

    def as_json(self) -> dict[str, Any]:
        """The site as JSON (lon/lat rounded to 6 decimals, about 0.1 m)."""
        return {"rank": self.rank, "lon": round(self.lon, 6), "lat": round(self.lat, 6), "near": self.near,
                "people_newly_covered": self.people_newly_covered, "hotspots": list(self.hotspots)}


@dataclass(frozen=True)
class SiteSuggestions:
    """Up to ``k`` new sites of one resource type and how many people in gaps they reach."""

    resource_type: str
    k: int
    status: str  #: ``optimal``, ``time limit`` or ``greedy`` (see :class:`geoservice.siting.SitingResult`)
    optimality_gap: float | None
    people_in_gap: float
    people_coverable: float  #: people in gaps that some candidate site reaches within the time
    sites: tuple[SuggestedSite, ...]

    @property
    def people_newly_covered(self) -> float:
        """People in gaps the suggested sites reach, together."""
        return float(sum(s.people_newly_covered for s in self.sites))

    def as_json(self) -> dict[str, Any]:
        """The suggestion group as JSON."""
        return {"resource_type": self.resource_type, "k": self.k, "status": self.status,
                "optimality_gap": self.optimality_gap, "people_in_gap": self.people_in_gap,
                "people_coverable": self.people_coverable, "people_newly_covered": self.people_newly_covered,
                "sites": [s.as_json() for s in self.sites]}


@dataclass
class GapsResult:
    """What ``outreach gaps`` reports: a row per hotspot and resource type, and suggestions."""

    mode: str
    max_minutes: float
    at: dt.datetime | None
    resource_types: list[str]
    hotspots: list[HotspotGap]
    suggestions: list[SiteSuggestions]
    network: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> list[dict[str, Any]]:
        """Per resource type: hotspots and people, and how many are in gaps."""
        out = []
        for rtype in self.resource_types:
            rows = [h for h in self.hotspots if h.resource_type == rtype]
            out.append({"resource_type": rtype, "hotspots": len(rows), "people": sum(h.people for h in rows),
                        "hotspots_in_gap": sum(h.gap for h in rows),
                        "people_in_gap": sum(h.people for h in rows if h.gap)})
        return out

    def as_json(self) -> dict[str, Any]:
        """DESIGN.md's ``gaps`` JSON: ``hotspots`` and ``suggestions``, plus the question asked."""
        return {"mode": self.mode, "max_minutes": self.max_minutes,
                "at": self.at.isoformat() if self.at else None, "resource_types": self.resource_types,
                "hotspots": [h.as_json() for h in self.hotspots], "summary": self.summary(),
                "suggestions": [s.as_json() for s in self.suggestions], "network": self.network}

    def table(self) -> str:
        """The report as plain text."""
        when = f", leaving {self.at:%Y-%m-%d %H:%M %Z}" if self.at else " (opening hours not considered)"
        head = f"Resource gaps: {self.mode}, more than {self.max_minutes:g} min{when}"
        rows = [{"hotspot": h.id, "people": h.people, "type": h.resource_type, "nearest": h.nearest_name or "-",
                 "min": minutes(h.travel_time_s), "km": None if h.distance_m is None else h.distance_m / 1000,
                 "open": _open_text(h), "gap": "GAP" if h.gap else ""} for h in self.hotspots]
        parts = [head, "", text_table(rows, ["hotspot", "people", "type", "nearest", "min", "km", "open", "gap"]),
                 "", "Per type:", text_table(self.summary(), ["resource_type", "hotspots", "people",
                                                              "hotspots_in_gap", "people_in_gap"], indent="  ")]
        for s in self.suggestions:
            parts += ["", f"Suggested new {s.resource_type} sites ({s.status}): {s.people_newly_covered:g} of "
                          f"{s.people_in_gap:g} people in gaps newly within {self.max_minutes:g} min"]
            parts += [f"  {site.rank}. lon,lat {site.lon:.5f},{site.lat:.5f}"
                      + (f" near {site.near}" if site.near else "")
                      + f": +{site.people_newly_covered:g} people ({', '.join(site.hotspots)})" for site in s.sites]
            if not s.sites:
                parts.append("  none needed: no hotspot is in a gap" if not s.people_in_gap
                             else "  none: no candidate site reaches a hotspot in a gap")
        return "\n".join(parts)


def _open_text(h: HotspotGap) -> str:
    if h.hours_unknown:
        return "hours unknown"
    if h.open is None:
        return ""
    return "open" if h.open else "closed"


def gaps_report(store: Store, *, resource_type: str | None = None, max_minutes: float = 15,
                mode: str = "walk", at: dt.datetime | str | None = None, suggest: int = 0,
                candidates: Sequence[tuple[float, float]] | None = None,
                time_limit: float = 30.0) -> GapsResult:
    """Travel time from every hotspot to the nearest resource of each type, gaps, and new sites.

    Parameters
    ----------
    store
        The workspace.
    resource_type
        One type (case-insensitive); by default every type in the workspace.
    max_minutes
        Travel time (minutes) beyond which a hotspot is in a gap.
    mode
        ``walk``, ``drive`` or ``bike``: the network travelled.
    at
        Departure time (ISO text or datetime; without an offset, local time in the
        workspace's ``timezone``): only resources open on arrival count. None: hours are
        not considered.
    suggest
        Suggest up to this many new sites per resource type (0: none).
    candidates
        ``(lon, lat)`` candidate sites (EPSG:4326); by default every network node.
    time_limit
        Seconds the site solver may spend per resource type.

    Raises
    ------
    UserError
        Unknown resource type (the message lists the known ones), bad mode, minutes, or time.
    """
    check_mode(mode)
    limit_s = check_minutes(max_minutes) * 60
    if suggest < 0:
        raise UserError(f"--suggest must be 0 or more, not {suggest}")
    resources: list[Resource] = store.records("resources")
    types = [check_resource_type(resources, resource_type)] if resource_type else resource_types(resources)
    hotspots: list[Hotspot] = store.records("hotspots")
    moment = local_time(at, workspace_zone(store.settings().get("timezone"))) if at is not None else None
    G = workspace_graph(store, mode)
    spots = place_on_network(G, [(h.lon, h.lat) for h in hotspots])
    wanted = [r for r in resources if r.type in types]
    times, meters = travel_times_and_distances(G, spots, place_on_network(G, [(r.lon, r.lat) for r in wanted]))
    rows: list[HotspotGap] = []
    suggestions: list[SiteSuggestions] = []
    for rtype in types:
        columns = [j for j, r in enumerate(wanted) if r.type == rtype]
        type_rows = hotspot_gaps(hotspots, of_type(wanted, rtype), times[:, columns], meters[:, columns],
                                 limit_s=limit_s, at=moment)
        rows += type_rows
        if suggest:
            in_gap = np.array([r.gap for r in type_rows], dtype=bool)
            suggestions.append(suggest_sites(G, hotspots, spots, in_gap, rtype, k=suggest, limit_s=limit_s,
                                             candidates=candidates, time_limit=time_limit))
    return GapsResult(mode=mode, max_minutes=float(max_minutes), at=moment, resource_types=types, hotspots=rows,
                      suggestions=suggestions, network=network_provenance(G))


def hotspot_gaps(hotspots: Sequence[Hotspot], resources: Sequence[Resource], times_s: FloatArray,
                 distances_m: FloatArray, *, limit_s: float, at: dt.datetime | None) -> list[HotspotGap]:
    """Rows of :class:`HotspotGap` for one resource type from its travel-time matrix.

    Parameters
    ----------
    hotspots, resources
        The places (rows) and the resources of one type (columns).
    times_s, distances_m
        ``(H, R)`` travel times (s) and distances (m) along the fastest routes.
    limit_s
        Gap threshold in seconds.
    at
        Departure time (aware, in the workspace's time zone): resources count only when
        open on arrival; None ignores hours.
    """
    rtype = resources[0].type if resources else ""
    if at is not None:
        zone = at.tzinfo
        if not isinstance(zone, ZoneInfo):
            raise ValueError("at must be an aware datetime in a ZoneInfo time zone (see opening.local_time)")
        windows = np.array([open_window(r.opening_hours, at, zone=zone, lonlat=(r.lon, r.lat))
                            for r in resources]).reshape(-1, 2)
        usable = open_on_arrival(windows, times_s)
        nearest, best = nearest_resource(times_s, usable=usable)
        any_nearest, any_best = nearest_resource(times_s)
    else:
        nearest, best = nearest_resource(times_s)
        any_nearest, any_best = nearest, best
    rows = []
    for i, h in enumerate(hotspots):
        j = int(nearest[i])
        found = j >= 0
        closer = int(any_nearest[i]) if at is not None and any_nearest[i] >= 0 and any_best[i] < best[i] else -1
        unknown = found and _hours_unknown(resources[j], at, float(best[i]))
        rows.append(HotspotGap(
            id=h.id, name=h.name, people=h.people, resource_type=rtype,
            nearest_id=resources[j].id if found else None, nearest_name=resources[j].name if found else None,
            travel_time_s=int(np.ceil(best[i])) if found else None,
            distance_m=round(float(distances_m[i, j])) if found else None,
            gap=not (found and best[i] <= limit_s),
            open=(True if found else None) if at is not None else None,
            hours_unknown=unknown,
            nearer_closed_id=resources[closer].id if closer >= 0 else None))
    return rows


def _hours_unknown(resource: Resource, at: dt.datetime | None, travel_s: float) -> bool:
    """No opening hours at all, or (with a departure time) hours that say "unknown" on arrival."""
    if not resource.opening_hours.strip():
        return True
    if at is None or not isinstance(at.tzinfo, ZoneInfo):
        return False
    return opening_state(resource.opening_hours, at + dt.timedelta(seconds=travel_s), zone=at.tzinfo,
                         lonlat=(resource.lon, resource.lat)).hours_unknown


def suggest_sites(G: nx.MultiDiGraph, hotspots: Sequence[Hotspot], spots: Placed, in_gap: npt.ArrayLike,
                  resource_type: str, *, k: int, limit_s: float,
                  candidates: Sequence[tuple[float, float]] | None = None,
                  time_limit: float = 30.0) -> SiteSuggestions:
    """The best ``k`` new sites for hotspots in gaps (maximal covering, exact).

    Parameters
    ----------
    G
        The network of the mode.
    hotspots, spots
        Hotspots and their snapped places.
    in_gap
        ``(H,)`` which hotspots are in a gap (only they count: the others are covered).
    resource_type
        Type the sites are for (reported back).
    k
        Most sites.
    limit_s
        A site covers a hotspot within this travel time (s).
    candidates
        ``(lon, lat)`` candidate sites; by default every node of ``G``.
    time_limit
        Seconds for the solver.
    """
    gap_rows = [int(i) for i in np.flatnonzero(np.asarray(in_gap, dtype=bool))]
    people = np.array([float(hotspots[i].people) for i in gap_rows])
    if candidates is None:
        nodes: list[Hashable] = list(G.nodes)
        where = [(float(G.nodes[n]["x"]), float(G.nodes[n]["y"])) for n in nodes]
        site_places = at_nodes(nodes)
    else:
        where = [(float(lon), float(lat)) for lon, lat in candidates]
        site_places = place_on_network(G, where)
    gap_spots = spots.subset(gap_rows)
    times = travel_times(G, gap_spots, site_places)
    covers = sp.csr_matrix(times <= limit_s)
    result = maximal_covering(covers, people, k, time_limit=time_limit)
    sites = tuple(
        SuggestedSite(rank=n + 1, lon=where[s.candidate][0], lat=where[s.candidate][1],
                      near=_street_at(G, site_places.nodes[s.candidate]), people_newly_covered=s.newly_covered,
                      hotspots=tuple(hotspots[gap_rows[r]].id for r in s.demand))
        for n, s in enumerate(result.sites))
    return SiteSuggestions(resource_type=resource_type, k=k, status=result.status, optimality_gap=result.gap,
                           people_in_gap=float(people.sum()), people_coverable=result.coverable, sites=sites)


def _street_at(G: nx.MultiDiGraph, node: Hashable) -> str:
    """A street name at a node (the most common among its edges), else one of the nearest
    named street a hop or two away (footpath nodes are often unnamed), or ""."""
    frontier, seen = [node], {node}
    for _ in range(3):
        names: list[str] = []
        for n in frontier:
            for _, _, name in G.edges(n, data="name"):
                names += name if isinstance(name, list) else [name] if name else []
        if names:
            return max(sorted(set(names)), key=names.count)
        frontier = [m for n in frontier for m in G.successors(n) if m not in seen]
        seen.update(frontier)
    return ""
