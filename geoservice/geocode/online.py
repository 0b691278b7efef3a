"""The optional online geocoder (geopy's Nominatim), off unless built explicitly.

It sends client addresses to a third party: nothing in this package builds one by
default. Hand it to `AddressIndex.geocode_many` as a fallback for addresses the offline
index cannot match.
"""

from __future__ import annotations

import importlib

from rapidfuzz import fuzz

from geoservice.geocode.normalise import parse_address, parse_housenumber, street_key
from geoservice.geocode.records import GeocodeResult, OnlineGeocoder, Status


def online_geocoder(*, user_agent: str, domain: str = "nominatim.openstreetmap.org",
                    min_delay_s: float = 1.0, timeout_s: float = 10.0, threshold: float = 0.8
                    ) -> OnlineGeocoder:
    """An online geocoder (geopy's Nominatim), for addresses the offline index can't match.

    Calling this is the explicit opt-in: nothing in this module builds one by default.
    It sends client addresses to a third party (the Nominatim server at `domain`):
    use it only where that is lawful for the data, preferably against a self-hosted
    Nominatim. The public server's policy allows one request per second and asks for
    an identifying `user_agent`.

    Parameters
    ----------
    user_agent : str
        Identifies the application to the server (required by Nominatim's policy).
    domain : str
        The Nominatim server.
    min_delay_s : float
        Least time between two requests, in seconds (rate limit).
    timeout_s : float
        Time limit of one request, in seconds.
    threshold : float
        As for `AddressIndex`.

    Returns
    -------
    callable
        ``geocoder(text) -> GeocodeResult`` with ``source="nominatim"``; pass it as
        ``AddressIndex.geocode_many(..., online=geocoder)``.

    Raises
    ------
    ImportError
        When geopy is not installed.
    ValueError
        When `user_agent` is empty.
    """
    if not user_agent.strip():
        raise ValueError("online geocoding needs a user_agent that identifies this application")
    try:  # an optional dependency without type stubs: imported by name
        geopy_errors = importlib.import_module("geopy.exc")
        rate_limiter = importlib.import_module("geopy.extra.rate_limiter")
        geocoders = importlib.import_module("geopy.geocoders")
    except ImportError as error:
        raise ImportError("online geocoding needs geopy: pip install geopy") from error
    nominatim = geocoders.Nominatim(user_agent=user_agent, domain=domain, timeout=timeout_s)
    lookup = rate_limiter.RateLimiter(nominatim.geocode, min_delay_seconds=min_delay_s, max_retries=1,
                                      swallow_exceptions=False)

    def geocode(text: str) -> GeocodeResult:
        parsed = parse_address(text)
        try:
            location = lookup(text, exactly_one=True, addressdetails=True)
        except geopy_errors.GeopyError as error:
            note = f"online geocoder failed ({type(error).__name__})"
            return GeocodeResult(text, "unmatched", 0.0, note=note, source="nominatim")
        if location is None:
            return GeocodeResult(text, "unmatched", 0.0, note="not found online either", source="nominatim")
        found = location.raw.get("address", {})
        street_ok = fuzz.ratio(street_key(found.get("road", "")), street_key(parsed.street)) >= 90
        number = parse_housenumber(found.get("house_number", ""))
        number_ok = number is not None and number[0] == parsed.housenumber
        confidence = 0.9 if street_ok and number_ok else 0.6 if street_ok else 0.3
        status: Status = "matched" if confidence >= threshold else "low_confidence"
        placed = status == "matched"
        note = "" if placed else "online geocoder found only " + ("the street" if street_ok else "a place")
        return GeocodeResult(
            text, status, confidence, matched_address=location.address, note=note, source="nominatim",
            lon=location.longitude if placed else None, lat=location.latitude if placed else None,
            candidate_lon=location.longitude, candidate_lat=location.latitude,
        )

    return geocode
