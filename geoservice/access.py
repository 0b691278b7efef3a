"""Spatial accessibility of resources: the enhanced two-step floating catchment (E2SFCA).

Luo & Qi (2009), on network travel times:

1. every resource ``j`` gets a supply-to-demand ratio: its capacity over the people who
   can reach it, each weighted by a distance-decay weight of their travel time,
   ``R_j = S_j / sum_k P_k W(t_kj)``;
2. every place ``i`` scores the ratios of the resources it can reach, weighted again,
   ``A_i = sum_j R_j W(t_ij)``.

A score is "resource capacity per person in need": a place that reaches one bed all to
itself scores 1, one that shares it with nine others 0.1. ``W`` is 0 beyond the
catchment. Both steps are two matrix products (numpy); a 2,000 x 500 instance takes
milliseconds (see ``benchmarks/gaps.py``).

:func:`access_scores` asks the question of a workspace: scores for H3 hexagons over the
localities and for hotspots, summarised per locality.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

from geoservice.errors import UserError
from geoservice.models import Hotspot, Locality, Resource
from geoservice.networks import workspace_graph
from geoservice.resources import check_minutes, check_mode, check_resource_type, of_type
from geoservice.store import Store
from geoservice.travel_times import network_provenance, place_on_network, travel_times

FloatArray = npt.NDArray[np.float64]
#: Maps travel times (seconds, any shape, may hold inf) to weights in [0, 1].
Decay = Callable[[FloatArray], FloatArray]

#: Weights of the three equal travel-time zones of Luo & Qi's E2SFCA (from a Gaussian).
LUO_QI_WEIGHTS = (1.0, 0.68, 0.22)


def stepped_decay(catchment_s: float, *, weights: Sequence[float] = LUO_QI_WEIGHTS) -> Decay:
    """The E2SFCA's zone weights: the catchment cut into ``len(weights)`` equal zones.

    With a 15-minute catchment and the default weights, a resource 0-5 minutes away
    counts fully, 5-10 minutes 0.68, 10-15 minutes 0.22, further not at all. A zone
    includes its upper bound (exactly 5 minutes is in the first zone).

    Parameters
    ----------
    catchment_s
        Catchment size in seconds (positive).
    weights
        Weight of each zone, nearest first, each in [0, 1].
    """
    if catchment_s <= 0:
        raise ValueError(f"catchment must be a positive number of seconds, not {catchment_s}")
    table = np.asarray([*weights, 0.0], dtype=float)
    # zone k holds (k * width, (k + 1) * width]; time 0 is in zone 0, beyond the catchment (or inf) weighs 0
    bounds = catchment_s * np.arange(1, len(weights) + 1) / len(weights)

    def decay(times_s: FloatArray) -> FloatArray:
        return table[np.searchsorted(bounds, np.asarray(times_s, dtype=float), side="left")]

    return decay


def gaussian_decay(catchment_s: float) -> Decay:
    """A continuous Gaussian decay that is 1 at 0 s and falls to 0 at the catchment.

    ``W(t) = (exp(-t^2 / 2T^2) - exp(-1/2)) / (1 - exp(-1/2))`` for ``t <= T``, else 0
    (Dai's Gaussian 2SFCA form).
    """
    if catchment_s <= 0:
        raise ValueError(f"catchment must be a positive number of seconds, not {catchment_s}")
    floor = np.exp(-0.5)

    def decay(times_s: FloatArray) -> FloatArray:
        t = np.asarray(times_s, dtype=float)
        inside = t <= catchment_s
        g = (np.exp(-0.5 * (np.where(inside, t, 0.0) / catchment_s) ** 2) - floor) / (1 - floor)
        return np.where(inside, g, 0.0)

    return decay


@dataclass(frozen=True)
class Accessibility:
    """E2SFCA results.

    Attributes
    ----------
    scores
        Accessibility of each place: capacity per person in need (0 where nothing is
        within the catchment).
    supply_ratio
        Each resource's capacity over the decay-weighted people who can reach it (0 when
        no one can).
    demand
        Decay-weighted people who can reach each resource.
    """

    scores: FloatArray
    supply_ratio: FloatArray
    demand: FloatArray


def e2sfca(demand_times_s: npt.ArrayLike, people: npt.ArrayLike, capacity: npt.ArrayLike, *,
           decay: Decay, place_times_s: npt.ArrayLike | None = None) -> Accessibility:
    """Enhanced two-step floating catchment accessibility scores.

    Parameters
    ----------
    demand_times_s
        ``(P, S)`` travel times in seconds from each population point to each resource
        (``np.inf`` for no route).
    people
        ``(P,)`` people at each population point (e.g. estimated rough sleepers).
    capacity
        ``(S,)`` capacity of each resource (people served at once; 1 where unknown).
    decay
        Distance-decay weights, 0 beyond the catchment (:func:`stepped_decay`,
        :func:`gaussian_decay`).
    place_times_s
        ``(L, S)`` travel times from the places to score (e.g. hexagon centres); by
        default the population points are scored.

    Returns
    -------
    Accessibility
        Scores of the places, and each resource's supply ratio and weighted demand.
    """
    times = np.asarray(demand_times_s, dtype=float)
    population = np.asarray(people, dtype=float)
    supply = np.asarray(capacity, dtype=float)
    if times.ndim != 2 or times.shape != (len(population), len(supply)):
        raise ValueError(f"demand_times_s has shape {times.shape}; expected (people points, resources) = "
                         f"({len(population)}, {len(supply)})")
    if (population < 0).any() or (supply < 0).any():
        raise ValueError("people and capacity must be non-negative")
    weights = decay(times)
    demand = population @ weights
    ratio = np.divide(supply, demand, out=np.zeros_like(supply), where=demand > 0)
    if place_times_s is not None:
        places = np.asarray(place_times_s, dtype=float)
        if places.ndim != 2 or places.shape[1] != len(supply):
            raise ValueError(f"place_times_s has shape {places.shape}; expected (places, {len(supply)})")
        weights = decay(places)
    return Accessibility(scores=weights @ ratio, supply_ratio=ratio, demand=demand)


# -- the workspace question ------------------------------------------------------------------

#: Hexagons whose centre is further than this from the network (water, railway yards) are left out.
CELL_MAX_SNAP_M = 300.0
#: The automatic H3 resolution is the finest (at most 10) giving no more cells than this.
MAX_CELLS = 4000


@dataclass(frozen=True)
class CellScore:
    """One H3 hexagon: its id, centre (lon/lat degrees), outline, accessibility and people in it."""

    h3: str
    lon: float
    lat: float
    outline: tuple[tuple[float, float], ...]  #: closed ring of (lon, lat)
    score: float
    people: int
    resources_in_reach: int  #: resources within the catchment (0: none; a 0 score with some means nobody uses them)

    def as_json(self) -> dict[str, Any]:
        """The cell as JSON (centre rounded to 6 decimals)."""
        return {"h3": self.h3, "lon": round(self.lon, 6), "lat": round(self.lat, 6), "score": self.score,
                "people": self.people, "resources_in_reach": self.resources_in_reach}


@dataclass(frozen=True)
class LocalityAccess:
    """Accessibility summarised over one locality."""

    id: str
    name: str
    cells: int
    mean_score: float | None  #: mean over the locality's hexagons (None: no hexagon)
    cells_without_access: int  #: hexagons reaching no resource within the catchment
    people: int  #: hotspot people in the locality
    people_score: float | None  #: people-weighted mean score of its hotspots (None: nobody)

    def as_json(self) -> dict[str, Any]:
        """The locality row as JSON."""
        return {"id": self.id, "name": self.name, "cells": self.cells, "mean_score": _rounded(self.mean_score),
                "cells_without_access": self.cells_without_access, "people": self.people,
                "people_score": _rounded(self.people_score)}


@dataclass
class AccessResult:
    """E2SFCA accessibility of one resource type over the workspace's area."""

    resource_type: str
    mode: str
    minutes: float
    decay: str
    resolution: int
    cells: list[CellScore]
    localities: list[LocalityAccess]
    hotspot_scores: dict[str, float]
    network: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The scores as JSON: per hexagon, per locality and per hotspot."""
        return {"resource_type": self.resource_type, "mode": self.mode, "minutes": self.minutes,
                "decay": self.decay, "h3_resolution": self.resolution,
                "localities": [lc.as_json() for lc in self.localities],
                "hotspots": [{"id": k, "score": _rounded(v)} for k, v in self.hotspot_scores.items()],
                "cells": [c.as_json() for c in self.cells], "network": self.network}

    def table(self) -> str:
        """Per-locality accessibility as plain text."""
        from geoservice.texttable import text_table

        head = (f"Access to {self.resource_type} ({self.mode}, {self.minutes:g}-min catchment, {self.decay} decay): "
                "capacity per person in need")
        return "\n".join([head, "", text_table([lc.as_json() for lc in self.localities],
                                               ["name", "cells", "mean_score", "cells_without_access", "people",
                                                "people_score"])])


def access_scores(store: Store, *, resource_type: str, minutes: float = 15, mode: str = "walk",
                  decay: str = "stepped", resolution: int | None = None) -> AccessResult:
    """E2SFCA scores of one resource type for hexagons, hotspots and localities.

    Demand is the people estimated at hotspots; supply each resource's ``capacity``
    (1 where unknown); travel times are network times (:mod:`geoservice.travel_times`)
    from places to resources; weights fall off with time (``decay``) and are 0 beyond
    ``minutes``. Hexagons are H3 cells over the localities (or the network's area when
    there are none), scored as places.

    Parameters
    ----------
    store
        The workspace.
    resource_type
        The type (case-insensitive).
    minutes
        Catchment size in minutes.
    mode
        ``walk``, ``drive`` or ``bike``.
    decay
        ``"stepped"`` (Luo & Qi's three zones, weights 1, 0.68, 0.22) or ``"gaussian"``.
    resolution
        H3 resolution; by default the finest (up to 10) with at most :data:`MAX_CELLS` cells.

    Raises
    ------
    UserError
        Unknown type (lists the known ones), bad mode, minutes or decay.
    """
    catchment_s = check_minutes(minutes, what="minutes") * 60
    check_mode(mode)
    decays = {"stepped": stepped_decay, "gaussian": gaussian_decay}
    if decay not in decays:
        raise UserError(f"unknown decay {decay!r}; use one of: {', '.join(decays)}")
    resources: list[Resource] = store.records("resources")
    rtype = check_resource_type(resources, resource_type)
    supply = of_type(resources, rtype)
    hotspots: list[Hotspot] = store.records("hotspots")
    localities: list[Locality] = store.records("localities")
    area = _study_area(store, localities)
    res = resolution if resolution is not None else auto_resolution(area.area_m2)
    G = workspace_graph(store, mode)
    sites = place_on_network(G, [(r.lon, r.lat) for r in supply])
    spots = place_on_network(G, [(h.lon, h.lat) for h in hotspots])
    cells = hexagons(area.geometry, res)
    centres = place_on_network(G, [(c[1], c[2]) for c in cells])
    kept = [i for i in range(len(cells)) if centres.snap_m[i] <= CELL_MAX_SNAP_M]
    centres = centres.subset(kept)
    cells = [cells[i] for i in kept]
    people = np.array([h.people for h in hotspots], dtype=float)
    capacity = np.array([r.capacity if r.capacity is not None else 1.0 for r in supply], dtype=float)
    spot_times = travel_times(G, spots, sites)
    # one E2SFCA run scores hotspots and hexagons alike (rows stacked, split after)
    places = np.vstack([spot_times, travel_times(G, centres, sites).reshape(len(cells), len(supply))])
    scores = e2sfca(spot_times, people, capacity, decay=decays[decay](catchment_s), place_times_s=places).scores
    at_spots, at_cells = scores[:len(hotspots)], scores[len(hotspots):]
    in_reach = (places[len(hotspots):] <= catchment_s).sum(axis=1)
    import h3

    cell_people: Counter[str] = Counter()
    for h in hotspots:
        cell_people[h3.latlng_to_cell(h.lat, h.lon, res)] += h.people
    scored = [CellScore(c[0], c[1], c[2], c[3], float(s), cell_people.get(c[0], 0), int(n))
              for c, s, n in zip(cells, at_cells, in_reach, strict=True)]
    return AccessResult(rtype, mode, float(minutes), decay, res, scored,
                        _per_locality(localities, scored, hotspots, at_spots),
                        {h.id: float(s) for h, s in zip(hotspots, at_spots, strict=True)}, network_provenance(G))


@dataclass(frozen=True)
class _Area:
    geometry: BaseGeometry
    area_m2: float


def _study_area(store: Store, localities: Sequence[Locality]) -> _Area:
    """The localities' union, or the network's bounding box when there are none."""
    from shapely.geometry import box
    from shapely.ops import unary_union

    if localities:
        geometry = unary_union([lc.geometry for lc in localities])
    else:
        text = store.settings().get("network_bbox", "")
        if not text:
            raise UserError("the workspace has neither localities nor a road network to score")
        w, s, e, n = (float(v) for v in text.split(","))
        geometry = box(w, s, e, n)
    import geopandas as gpd

    frame = gpd.GeoSeries([geometry], crs=4326)
    return _Area(geometry, float(frame.to_crs(frame.estimate_utm_crs()).area.iloc[0]))


def auto_resolution(area_m2: float, *, max_cells: int = MAX_CELLS) -> int:
    """The finest H3 resolution from 10 down to 5 that covers ``area_m2`` in at most ``max_cells`` cells."""
    import h3

    for res in range(10, 4, -1):
        if area_m2 / h3.average_hexagon_area(res, "m^2") <= max_cells:
            return res
    return 5


def hexagons(area: BaseGeometry, resolution: int
             ) -> list[tuple[str, float, float, tuple[tuple[float, float], ...]]]:
    """H3 cells whose centre lies in ``area`` (EPSG:4326): id, centre lon, lat, closed outline ring."""
    import h3

    out = []
    for cell in sorted(h3.geo_to_cells(area, resolution)):
        lat, lon = h3.cell_to_latlng(cell)
        ring = tuple((round(x, 6), round(y, 6)) for y, x in h3.cell_to_boundary(cell))
        out.append((cell, lon, lat, (*ring, ring[0])))
    return out


def _per_locality(localities: Sequence[Locality], cells: Sequence[CellScore], hotspots: Sequence[Hotspot],
                  spot_scores: FloatArray) -> list[LocalityAccess]:
    from shapely.geometry import Point

    rows = []
    for lc in localities:
        inside = [c for c in cells if lc.geometry.covers(Point(c.lon, c.lat))]
        spots = [(h.people, float(s)) for h, s in zip(hotspots, spot_scores, strict=True)
                 if lc.geometry.covers(Point(h.lon, h.lat))]
        people = sum(p for p, _ in spots)
        rows.append(LocalityAccess(
            id=lc.id, name=lc.name, cells=len(inside),
            mean_score=float(np.mean([c.score for c in inside])) if inside else None,
            cells_without_access=sum(c.score == 0 for c in inside), people=people,
            people_score=sum(p * s for p, s in spots) / people if people else None))
    return rows


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
