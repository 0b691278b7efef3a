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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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
    zones = len(weights)

    def decay(times_s: FloatArray) -> FloatArray:
        t = np.asarray(times_s, dtype=float)
        # zone index by ceil(t / width) - 1, so each zone holds its upper bound; t = 0 is zone 0
        zone = np.ceil(np.where(np.isfinite(t), t, np.inf) * zones / catchment_s) - 1
        zone = np.clip(np.nan_to_num(zone, posinf=zones), 0, zones).astype(np.int64)
        return table[zone]

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
    demand = population @ decay(times)
    ratio = np.divide(supply, demand, out=np.zeros_like(supply), where=demand > 0)
    places = times if place_times_s is None else np.asarray(place_times_s, dtype=float)
    if places.ndim != 2 or places.shape[1] != len(supply):
        raise ValueError(f"place_times_s has shape {places.shape}; expected (places, {len(supply)})")
    return Accessibility(scores=decay(places) @ ratio, supply_ratio=ratio, demand=demand)
