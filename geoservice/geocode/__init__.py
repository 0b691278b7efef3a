"""Offline geocoding: client addresses matched against the address points of an OSM extract.

Addresses are parsed into house number, street, postcode and town, normalised
(case, accents, punctuation, English and Finnish/Swedish abbreviations) and matched
to the extract's ``addr:*`` points: the street by fuzzy match (rapidfuzz), then the
house number on that street. Every result says how sure it is (``confidence`` 0..1)
and why not more (``note``). Only ``matched`` results carry coordinates; uncertain
ones carry them only when the caller accepts them, so nothing is placed silently.

Client addresses are health data: this package logs counts only, never an address
or a coordinate, and result ``repr`` hides both. The online geocoder (geopy's
Nominatim) sends addresses to a third party: it is off unless built explicitly
with `online_geocoder` and handed to `AddressIndex.geocode_many`.

Modules: `normalise` (address text), `records` (`AddressPoint`, `GeocodeResult`),
`points` (address points from an OSM extract), `index` (`AddressIndex`: matching and
confidence), `cache` (an index built once per extract), `online` (Nominatim).
"""

from geoservice.geocode.cache import cached_address_index
from geoservice.geocode.index import (
    SAME_ADDRESS_M,
    SAME_PLACE_M,
    SETTLEMENT_RADIUS_M,
    STREET_CLUSTER_M,
    AddressIndex,
)
from geoservice.geocode.normalise import (
    ParsedAddress,
    fold,
    normalise_address,
    normalise_locality,
    normalise_postcode,
    normalise_street,
    parse_address,
)
from geoservice.geocode.online import online_geocoder
from geoservice.geocode.points import address_points_from_osm
from geoservice.geocode.records import AddressPoint, GeocodeResult, OnlineGeocoder, Status

__all__ = [
    "SAME_ADDRESS_M",
    "SAME_PLACE_M",
    "SETTLEMENT_RADIUS_M",
    "STREET_CLUSTER_M",
    "AddressIndex",
    "AddressPoint",
    "GeocodeResult",
    "OnlineGeocoder",
    "ParsedAddress",
    "Status",
    "address_points_from_osm",
    "cached_address_index",
    "fold",
    "normalise_address",
    "normalise_locality",
    "normalise_postcode",
    "normalise_street",
    "online_geocoder",
    "parse_address",
]
