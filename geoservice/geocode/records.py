"""The geocoder's records: an address point of the extract and the result of geocoding one address.

Coordinates are lon/lat in degrees, EPSG:4326. A result's ``repr`` shows only its
status and confidence: addresses and coordinates are client data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from geoservice.geocode.normalise import is_uk_postcode

Status = Literal["matched", "low_confidence", "unmatched", "ambiguous"]
OnlineGeocoder = Callable[[str], "GeocodeResult"]

_NUMBER_FIRST_COUNTRIES = {"GB", "UK", "US", "IE", "CA", "AU", "NZ"}


@dataclass(frozen=True, slots=True)
class AddressPoint:
    """One address of the extract, at a point in EPSG:4326 (lon, lat in degrees)."""

    housenumber: str
    street: str
    """``addr:street``, or ``addr:place`` for addresses numbered on a place."""
    lon: float
    lat: float
    postcode: str | None = None
    city: str | None = None
    locality: str | None = None
    """Village, town, hamlet or suburb when tagged besides the city."""
    country: str | None = None
    osm_type: str = ""
    """"node", "way" or "relation" (ways and relations at their centroid)."""
    osm_id: int = 0

    @property
    def number_first(self) -> bool | None:
        """Whether local custom writes the number first ("12 High Street"), or None if unknown."""
        if (self.postcode and is_uk_postcode(self.postcode)) or (
                (self.country or "").upper() in _NUMBER_FIRST_COUNTRIES):
            return True
        return False if self.country else None  # five digits: Finland and the US alike

    def text(self, *, number_first: bool | None = None) -> str:
        """The address as one line: "12 High Street, Oakham LE15 6AB" or "Kaivokatu 1, 00100 Helsinki".

        `number_first` chooses the order when the point's postcode and country don't tell.
        """
        places = list(dict.fromkeys(p for p in (self.locality, self.city) if p))
        if self.number_first if self.number_first is not None else number_first:
            tail = ", ".join(places) + (f" {self.postcode}" if self.postcode else "")
            return f"{self.housenumber} {self.street}" + (f", {tail.strip()}" if tail.strip() else "")
        tail = " ".join(p for p in (self.postcode, ", ".join(places)) if p)
        return f"{self.street} {self.housenumber}" + (f", {tail}" if tail else "")


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """The outcome of geocoding one address.

    ``lon``/``lat`` (EPSG:4326, degrees) are set for ``matched`` results only, or for a
    ``low_confidence`` one that was accepted (`accept`). ``repr`` shows status and
    confidence only, so that a result in a log or traceback leaks no address.
    """

    query: str = field(repr=False)
    status: Status
    confidence: float
    """0..1: how sure the match is (1 = street and number exactly as in the extract)."""
    matched_address: str | None = field(default=None, repr=False)
    """The OSM address as text."""
    lon: float | None = field(default=None, repr=False)
    lat: float | None = field(default=None, repr=False)
    note: str = field(default="", repr=False)
    """Why confidence is below 1 ("house number 15 not found; nearest on street is 13")."""
    source: str = "osm"
    osm_ref: str | None = field(default=None, repr=False)
    """"node/123", "way/456" or "relation/789" of the matched address."""
    candidate_lon: float | None = field(default=None, repr=False)
    candidate_lat: float | None = field(default=None, repr=False)

    @property
    def placed(self) -> bool:
        """Whether the result carries coordinates."""
        return self.lon is not None and self.lat is not None

    def accept(self) -> GeocodeResult:
        """This result with its candidate's coordinates, after a person has checked it.

        Raises
        ------
        ValueError
            For ``unmatched`` and ``ambiguous`` results, which have no single candidate.
        """
        if self.candidate_lon is None or self.candidate_lat is None:
            raise ValueError(f"a {self.status} address has no candidate point to accept")
        return replace(self, lon=self.candidate_lon, lat=self.candidate_lat)

    def message(self) -> str:
        """One line naming the address problem, for a row-level import error.

        It quotes parts of the address: show it to the user, don't log it.
        """
        why = f": {self.note}" if self.note else ""
        if self.status == "matched":
            return f"address matched (confidence {self.confidence:.2f}){why}"
        if self.status == "low_confidence":
            candidate = f" (best candidate: {self.matched_address})" if self.matched_address else ""
            return (f"address uncertain (confidence {self.confidence:.2f}){why}{candidate}; "
                    "correct the address or accept the match")
        if self.status == "ambiguous":
            return f"address ambiguous{why}"
        return f"address not found{why}"

