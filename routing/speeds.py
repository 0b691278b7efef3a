"""Speed profiles: default road speeds per country convention and OSM ``maxspeed`` parsing.

A :class:`SpeedProfile` says how fast each mode travels along an edge, in km/h:

- drive: the way's ``maxspeed`` tag when it parses to a sensible value, otherwise
  the profile's default for the way's ``highway`` class (free-flow speeds at the
  limit; no congestion, no junction delays);
- walk and bike: one constant speed for every edge.

Three built-in profiles follow national conventions (:data:`UK`, :data:`US`,
:data:`EUROPE`); :func:`profile_for_location` picks one from a point, which is how
the network builders choose when the caller gives none. Override any value with
:func:`dataclasses.replace`, e.g.
``replace(UK, walk_kph=4.0, highway_kph={**UK.highway_kph, "residential": 20 * MPH})``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from shapely import Point, Polygon, box

MPH = 1.609344
"""Kilometres per hour in one mile per hour."""

KNOT = 1.852
"""Kilometres per hour in one knot."""

# Sensible speed limits in km/h: anything outside is a tagging error (e.g. "0", "5000").
_MIN_KPH = 1.0
_MAX_KPH = 200.0

_NUMBER_UNIT = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots|knot|kn)?$", re.IGNORECASE)
_ZONE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]+)?:zone:?(\d+)$", re.IGNORECASE)

# Implicit maxspeed values ("CC:type", https://wiki.openstreetmap.org/wiki/Key:maxspeed), km/h.
_IMPLICIT_KPH: dict[str, float] = {
    "GB:nsl_single": 60 * MPH,
    "GB:nsl_dual": 70 * MPH,
    "GB:nsl_restricted": 30 * MPH,
    "GB:motorway": 70 * MPH,
    "GB:urban": 30 * MPH,
    "US:urban": 25 * MPH,
    "US:rural": 55 * MPH,
    "US:motorway": 65 * MPH,
    "US:interstate": 65 * MPH,
    "AT:urban": 50, "AT:rural": 100, "AT:trunk": 100, "AT:motorway": 130,
    "BE:urban": 50, "BE:rural": 70, "BE:motorway": 120,
    "CH:urban": 50, "CH:rural": 80, "CH:trunk": 100, "CH:motorway": 120,
    "DE:urban": 50, "DE:rural": 100, "DE:motorway": 130, "DE:living_street": 7, "DE:bicycle_road": 30,
    "DK:urban": 50, "DK:rural": 80, "DK:motorway": 130,
    "ES:urban": 50, "ES:rural": 90, "ES:motorway": 120,
    "FI:urban": 50, "FI:rural": 80, "FI:trunk": 100, "FI:motorway": 120,
    "FR:urban": 50, "FR:rural": 80, "FR:motorway": 130,
    "IE:urban": 50, "IE:rural": 80, "IE:national": 100, "IE:motorway": 120,
    "IT:urban": 50, "IT:rural": 90, "IT:trunk": 110, "IT:motorway": 130,
    "NL:urban": 50, "NL:rural": 80, "NL:trunk": 100, "NL:motorway": 100,
    "NO:urban": 50, "NO:rural": 80,
    "PL:urban": 50, "PL:rural": 90, "PL:motorway": 140,
    "PT:urban": 50, "PT:rural": 90, "PT:motorway": 120,
    "SE:urban": 50, "SE:rural": 70,
}
# "UK:..." is a common alias of "GB:..." in the data.
_IMPLICIT_KPH.update({"UK:" + k[3:]: v for k, v in list(_IMPLICIT_KPH.items()) if k.startswith("GB:")})

# Used when a country code is not in the table above but the road type is ("XX:rural").
_GENERIC_IMPLICIT_KPH: dict[str, float] = {
    "urban": 50, "rural": 90, "trunk": 100, "motorway": 120, "living_street": 20,
    "bicycle_road": 30, "cyclestreet": 30, "pedestrian_zone": 20, "school_zone": 30,
}


@dataclass(frozen=True, eq=True)
class SpeedProfile:
    """
    Travel speeds (km/h) for each mode, with a country's road-class defaults.

    Parameters
    ----------
    name
        Short name recorded in a graph's provenance, e.g. ``"uk"``.
    highway_kph
        Drive speed in km/h for each OSM ``highway`` value, used when a way has
        no usable ``maxspeed`` tag. A ``*_link`` class missing from the mapping
        uses its main class.
    fallback_kph
        Drive speed in km/h for ``highway`` values missing from `highway_kph`.
    walk_kph
        Walking speed in km/h on every edge of a walk network; also what
        ``maxspeed=walk`` means for a car.
    bike_kph
        Cycling speed in km/h on every edge of a bike network.
    no_limit_kph
        Drive speed in km/h on ways tagged ``maxspeed=none`` (no legal limit).
    implicit_kph
        Extra or replacement values in km/h for implicit ``maxspeed`` codes such
        as ``"GB:nsl_single"``, on top of the built-in table.
    """

    name: str
    highway_kph: Mapping[str, float]
    fallback_kph: float
    walk_kph: float = 4.8
    bike_kph: float = 15.0
    no_limit_kph: float = 130.0
    implicit_kph: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # read-only copies: a shared module-level profile must not be changed in place
        object.__setattr__(self, "highway_kph", MappingProxyType(dict(self.highway_kph)))
        object.__setattr__(self, "implicit_kph", MappingProxyType(dict(self.implicit_kph)))
        speeds = [self.fallback_kph, self.walk_kph, self.bike_kph, self.no_limit_kph,
                  *self.highway_kph.values(), *self.implicit_kph.values()]
        if not all(isinstance(s, int | float) and s > 0 for s in speeds):
            msg = f"speed profile {self.name!r}: every speed must be a positive number of km/h"
            raise ValueError(msg)

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType does not pickle; rebuild from plain dicts
        return (SpeedProfile, tuple(getattr(self, f.name) if not isinstance(getattr(self, f.name), Mapping)
                                    else dict(getattr(self, f.name)) for f in fields(self)))

    def as_dict(self) -> dict[str, Any]:
        """Return the profile as plain JSON-serialisable data (speeds in km/h)."""
        return {f.name: (dict(sorted(v.items())) if isinstance(v := getattr(self, f.name), Mapping) else v)
                for f in fields(self)}

    def fingerprint(self) -> str:
        """Return a stable text form of the profile, for cache keys."""
        return json.dumps(self.as_dict(), sort_keys=True)

    def maxspeed_kph(self, maxspeed: str | list[str] | None) -> float | None:
        """
        Parse an OSM ``maxspeed`` value to km/h.

        Understands plain numbers (km/h), units ``mph``, ``km/h``/``kmh``/``kph``
        and ``knots``; implicit codes such as ``GB:nsl_single`` (60 mph),
        ``GB:nsl_dual`` and ``GB:motorway`` (70 mph), ``US:urban``, ``DE:rural``,
        ``FI:urban``, ``XX:zone30``; ``walk`` (the profile's walking speed) and
        ``none`` (the profile's `no_limit_kph`). Several values (``"50;30"``,
        lanes ``"50|30"``, or a list after graph simplification) give the
        **lowest** sensible one: multiple values usually mean conditional or
        per-lane limits, and the lower keeps travel times on the safe side.
        Values outside 1-200 km/h are treated as tagging errors.

        Parameters
        ----------
        maxspeed
            The tag value(s).

        Returns
        -------
        speed_kph
            Speed in km/h, or None when nothing sensible could be parsed
            (e.g. ``"signals"``, ``"variable"``, a typo).
        """
        if maxspeed is None:
            return None
        values = maxspeed if isinstance(maxspeed, list) else [maxspeed]
        parts = [p.strip() for v in values if isinstance(v, str) for p in re.split(r"[;|]", v)]
        speeds = [s for s in (self._one_maxspeed_kph(p) for p in parts if p) if s is not None]
        return min(speeds) if speeds else None

    def _one_maxspeed_kph(self, value: str) -> float | None:
        match = _NUMBER_UNIT.match(value)
        if match:
            number = float(match.group(1).replace(",", "."))
            unit = (match.group(2) or "km/h").lower()
            kph = number * (MPH if unit == "mph" else KNOT if unit.startswith("kn") else 1.0)
        elif value.lower() == "walk":
            kph = self.walk_kph
        elif value.lower() == "none":
            kph = self.no_limit_kph
        elif zone := _ZONE.match(value):
            kph = float(zone.group(1))
        else:
            looked_up = self.implicit_kph.get(value, _IMPLICIT_KPH.get(value))
            if looked_up is None and ":" in value:
                looked_up = _GENERIC_IMPLICIT_KPH.get(value.split(":", 1)[1].lower())
            if looked_up is None:
                return None
            kph = float(looked_up)
        return kph if _MIN_KPH <= kph <= _MAX_KPH else None

    def highway_default_kph(self, highway: str | list[str] | None) -> float:
        """
        Return the drive speed in km/h for a road class when no limit is tagged.

        Parameters
        ----------
        highway
            The OSM ``highway`` value (or values: the slowest class wins).

        Returns
        -------
        speed_kph
            Speed in km/h.
        """
        values = highway if isinstance(highway, list) else [highway]
        speeds = []
        for value in values:
            hwy = (value or "").split(";")[0].strip()
            if hwy in self.highway_kph:
                speeds.append(self.highway_kph[hwy])
            elif hwy.endswith("_link") and hwy[:-5] in self.highway_kph:
                speeds.append(self.highway_kph[hwy[:-5]])
            else:
                speeds.append(self.fallback_kph)
        return float(min(speeds))

    def edge_speed_kph(self, mode: str, highway: str | list[str] | None,
                       maxspeed: str | list[str] | None) -> float:
        """
        Return the travel speed in km/h on one edge for a mode.

        Parameters
        ----------
        mode
            ``"drive"``, ``"walk"`` or ``"bike"``.
        highway
            The edge's OSM ``highway`` value.
        maxspeed
            The edge's OSM ``maxspeed`` value, if any.

        Returns
        -------
        speed_kph
            Speed in km/h, always positive.
        """
        if mode == "walk":
            return float(self.walk_kph)
        if mode == "bike":
            return float(self.bike_kph)
        tagged = self.maxspeed_kph(maxspeed)
        return tagged if tagged is not None else self.highway_default_kph(highway)


UK = SpeedProfile(
    name="uk",
    highway_kph={k: v * MPH for k, v in {
        "motorway": 70, "motorway_link": 40, "trunk": 60, "trunk_link": 40, "primary": 50,
        "primary_link": 30, "secondary": 40, "secondary_link": 30, "tertiary": 30, "tertiary_link": 30,
        "unclassified": 30, "residential": 30, "living_street": 10, "service": 10, "road": 30,
        "busway": 30,
    }.items()},
    fallback_kph=30 * MPH,
)
"""Great Britain and Northern Ireland: mph limits; 30 mph in built-up areas."""

US = SpeedProfile(
    name="us",
    highway_kph={k: v * MPH for k, v in {
        "motorway": 65, "motorway_link": 35, "trunk": 55, "trunk_link": 35, "primary": 45,
        "primary_link": 30, "secondary": 35, "secondary_link": 30, "tertiary": 30, "tertiary_link": 25,
        "unclassified": 25, "residential": 25, "living_street": 15, "service": 15, "road": 25,
        "busway": 25,
    }.items()},
    fallback_kph=25 * MPH,
)
"""United States: mph limits; 25 mph on residential streets."""

EUROPE = SpeedProfile(
    name="europe",
    highway_kph={
        "motorway": 120, "motorway_link": 60, "trunk": 90, "trunk_link": 50, "primary": 70,
        "primary_link": 40, "secondary": 60, "secondary_link": 40, "tertiary": 50, "tertiary_link": 40,
        "unclassified": 50, "residential": 50, "living_street": 20, "service": 20, "road": 40,
        "busway": 40,
    },
    fallback_kph=50,
)
"""Continental Europe (and the default elsewhere): km/h limits; 50 km/h in towns."""

PROFILES: dict[str, SpeedProfile] = {p.name: p for p in (UK, US, EUROPE)}
"""The built-in profiles by name."""

# Coarse outlines (lon, lat) used only to choose a profile; wrong within a few km of a border.
_UK_AREAS = [
    Polygon([(-6.5, 49.8), (-1.5, 50.4), (1.45, 50.85), (2.0, 51.35), (2.0, 61.0), (-8.0, 61.0),
             (-8.0, 56.0), (-6.5, 55.55), (-5.85, 55.2), (-5.2, 54.5), (-4.2, 53.8), (-5.0, 53.3),
             (-5.5, 52.0), (-6.0, 51.0)]),  # Great Britain
    Polygon([(-7.0, 55.3), (-6.0, 55.35), (-5.3, 54.9), (-5.3, 54.3), (-6.1, 54.0), (-7.0, 54.35),
             (-7.6, 54.2), (-8.05, 54.45), (-7.55, 54.75), (-7.3, 55.05)]),  # Northern Ireland
]
_US_AREAS = [
    Polygon([(-125.0, 49.0), (-95.15, 49.0), (-89.6, 48.0), (-84.5, 46.5), (-82.5, 43.0),
             (-83.1, 42.3), (-79.05, 42.6), (-79.05, 43.25), (-76.3, 43.6), (-75.0, 45.0),
             (-71.5, 45.0), (-70.0, 46.7), (-69.2, 47.45), (-67.8, 47.1), (-67.0, 44.8), (-65.0, 44.0),
             (-75.0, 35.0), (-80.0, 24.5), (-81.9, 24.3), (-97.1, 25.8), (-99.5, 27.5), (-101.4, 29.8),
             (-103.3, 29.0), (-106.5, 31.8), (-108.2, 31.78), (-111.1, 31.33), (-114.8, 32.5),
             (-117.1, 32.53), (-125.0, 32.0)]),
    box(-180.0, 51.0, -141.0, 72.0),  # Alaska
    Polygon([(-141.0, 60.3), (-130.0, 56.0), (-130.0, 54.6), (-136.0, 57.5), (-141.0, 59.5)]),
    box(-161.0, 18.5, -154.0, 22.5),  # Hawaii
]


def profile_for_location(lon: float, lat: float) -> SpeedProfile:
    """
    Choose the built-in speed profile for a place.

    Parameters
    ----------
    lon, lat
        A point in EPSG:4326 degrees, e.g. the middle of an extract.

    Returns
    -------
    profile
        :data:`UK` in Great Britain and Northern Ireland, :data:`US` in the
        United States, otherwise :data:`EUROPE` (km/h conventions).
    """
    point = Point(lon, lat)
    if any(area.contains(point) for area in _UK_AREAS):
        return UK
    if any(area.contains(point) for area in _US_AREAS):
        return US
    return EUROPE
