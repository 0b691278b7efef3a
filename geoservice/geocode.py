"""Offline geocoding: client addresses matched against the address points of an OSM extract.

Addresses are parsed into house number, street, postcode and town, normalised
(case, accents, punctuation, English and Finnish/Swedish abbreviations) and matched
to the extract's ``addr:*`` points: the street by fuzzy match (rapidfuzz), then the
house number on that street. Every result says how sure it is (``confidence`` 0..1)
and why not more (``note``). Only ``matched`` results carry coordinates; uncertain
ones carry them only when the caller accepts them, so nothing is placed silently.

Client addresses are health data: this module logs counts only, never an address
or a coordinate, and result ``repr`` hides both. The online geocoder (geopy's
Nominatim) sends addresses to a third party: it is off unless built explicitly
with `online_geocoder` and handed to `AddressIndex.geocode_many`.
"""

from __future__ import annotations

import importlib
import logging
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

Status = Literal["matched", "low_confidence", "unmatched", "ambiguous"]
OnlineGeocoder = Callable[[str], "GeocodeResult"]

SAME_PLACE_M = 100.0  # candidates closer than this are one place (an address node and its building)
SAME_ADDRESS_M = 300.0  # one number on one street, tagged on several objects (shops of a big store)
STREET_CLUSTER_M = 1000.0  # same-named streets further apart than this are different streets

# --- normalisation -----------------------------------------------------------------------------

_EN_ABBREVIATIONS = {
    "rd": "road", "ave": "avenue", "av": "avenue", "dr": "drive", "ln": "lane", "sq": "square",
    "pl": "place", "ct": "court", "crt": "court", "cres": "crescent", "cl": "close", "gdns": "gardens",
    "gr": "grove", "gro": "grove", "pk": "park", "ter": "terrace", "terr": "terrace", "blvd": "boulevard",
    "bvd": "boulevard", "hwy": "highway", "pkwy": "parkway", "cir": "circle", "mt": "mount", "ft": "fort",
    "wy": "way", "pde": "parade", "prom": "promenade", "est": "estate", "cotts": "cottages",
    "jr": "junior", "n": "north", "s": "south", "e": "east", "w": "west", "ne": "northeast",
    "nw": "northwest", "se": "southeast", "sw": "southwest",
}
# Finnish/Swedish write a street type as its first letter and a dot ("Aleksanterink.", "Mannerheimv.")
_NORDIC_TYPES = {"k": "katu", "t": "tie", "g": "gatan", "v": "vagen"}
_NORDIC_DOT = re.compile(r"\b([^\W\d_]{3,})\s?([ktgv])\.(?!\w)")
# ...but an English word ending in one of those letters is not such an abbreviation ("Court.")
_ENGLISH_WORDS = {*_EN_ABBREVIATIONS.values(), "street", "walk", "point", "circuit", "bank"}
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")
_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[\W_]+")
_COUNTRIES = {
    "finland", "suomi", "sweden", "sverige", "united kingdom", "uk", "gb", "great britain", "england",
    "scotland", "wales", "northern ireland", "usa", "us", "u s a", "u s", "u k", "united states",
    "united states of america",
}
_US_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
}
_UK_POSTCODE = re.compile(r"\b([a-z]{1,2}\d[a-z\d]?)\s*(\d[a-z]{2})\b", re.IGNORECASE)
_NUMERIC_POSTCODE = re.compile(r"(?<![\w-])(?:(?:fi|se|s|d)-)?(\d{5})(?:-\d{4})?(?![\w-])", re.IGNORECASE)
_HOUSENUMBER = re.compile(r"(\d+)\s?([a-z](?![a-z]))?(?:\s*[-–]\s*(\d+)\s?([a-z](?![a-z]))?)?")
_UNITS = r"flat|apartment|apt|unit|suite|room|asunto|as|bostad|lgh"
_UNIT_ID = r"(?:\d+[a-z]?|[a-z]\d*)\b"  # "3", "4B", "B", "B12"
_UNIT_SEGMENT = re.compile(rf"(?:(?:{_UNITS})\b\.?|#)\s*#?\s*{_UNIT_ID}", re.IGNORECASE)
_UNIT_HEAD = re.compile(rf"^(?:{_UNITS})\b\.?\s*#?\s*\d+[a-z]?\s+(?=\d)", re.IGNORECASE)
_UNIT_TAIL = re.compile(rf"\s+(?:(?:{_UNITS})\b\.?|#)\s*{_UNIT_ID}$", re.IGNORECASE)
_REST_UNIT = re.compile(rf"^\s*(?:(?:{_UNITS})\b\.?\s*)?\d+[a-z]?\b", re.IGNORECASE)
_NUMBER_FIRST = re.compile(
    r"^(?P<hn>\d+[a-z]?(?:\s*[-–]\s*\d+[a-z]?)?)(?!\w)\s*(?P<street>.*[^\W\d_].*)$", re.IGNORECASE
)
_LONE_NUMBER = re.compile(r"\d+[a-z]?(?:\s*[-–]\s*\d+[a-z]?)?", re.IGNORECASE)
_NUMBER_AFTER = re.compile(
    r"^(?P<street>.*?[^\W\d_]{2}.*?)\s+"
    r"(?P<hn>\d+(?:\s?[a-z](?!\w))?(?:\s*[-–]\s*\d+(?:\s?[a-z](?!\w))?)?)(?!\w)(?P<rest>.*)$",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """Casefold `text` and drop accents, for accent-insensitive comparison ("Töölö" -> "toolo")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_locality(name: str) -> str:
    """Normalise a town or country name for comparison: folded, without punctuation ("St. Ives." -> "st ives")."""
    return " ".join(_NON_WORD.sub(" ", _APOSTROPHES.sub("", fold(name))).split())


def _expand_nordic(match: re.Match[str]) -> str:
    stem, letter = match.group(1), match.group(2)
    if stem + letter in _ENGLISH_WORDS or stem in _ENGLISH_WORDS:
        return match.group(0)
    return stem + _NORDIC_TYPES[letter]


def normalise_street(name: str) -> str:
    """Normalise a street name for comparison.

    Folds case and accents, drops apostrophes and punctuation, expands English
    abbreviations ("St" -> "street", or "saint" when first: "St Mary's Rd" ->
    "saint marys road") and Finnish/Swedish dotted street types ("Aleksanterink." ->
    "aleksanterinkatu", "Mannerheimint." -> "mannerheimintie", "Alexandersg." ->
    "alexandersgatan", "Mannerheimv." -> "mannerheimvagen") and drops ordinal
    suffixes ("203rd St" -> "203 street").
    """
    text = _APOSTROPHES.sub("", _NORDIC_DOT.sub(_expand_nordic, fold(name)))
    tokens = _NON_WORD.sub(" ", text).split()
    words = []
    for i, token in enumerate(tokens):
        leading = i == 0 and len(tokens) > 1
        if ordinal := _ORDINAL.fullmatch(token):  # "203rd" -> "203": a wrong suffix is a common slip
            words.append(ordinal.group(1))
        elif token == "st":
            words.append("saint" if leading else "street")
        elif token == "dr" and leading:
            words.append("doctor")
        else:
            words.append(_EN_ABBREVIATIONS.get(token, token))
    return " ".join(words)


def _street_key(name: str) -> str:
    # spaces removed so that "Aleksanterin katu" and "Aleksanterinkatu" compare equal
    return normalise_street(name).replace(" ", "")


def _housenumber(text: str) -> tuple[str, tuple[int, ...]] | None:
    """The normalised key ("12a", "12-14") and the integer numbers it covers."""
    match = _HOUSENUMBER.search(fold(text))
    if match is None:
        return None
    first, suffix, last, suffix2 = match.groups()
    key = f"{int(first)}{suffix or ''}" + (f"-{int(last)}{suffix2 or ''}" if last else "")
    low, high = int(first), int(last) if last else int(first)
    if high < low:  # "88-15" (Queens): one number, not a range
        return key, ()
    step = 2 if (high - low) % 2 == 0 else 1
    return key, tuple(range(low, high + 1, step)) if high - low <= 20 else (low, high)


def normalise_postcode(text: str) -> str:
    """Canonical postcode: "le156ab" -> "LE15 6AB", "FI-00100" -> "00100", "21201-1234" -> "21201"."""
    if uk := _UK_POSTCODE.fullmatch(text.strip()):
        return f"{uk.group(1)} {uk.group(2)}".upper()
    if numeric := _NUMERIC_POSTCODE.search(text):
        return numeric.group(1)
    return " ".join(text.upper().split())


def _same_district(a: str, b: str) -> bool:
    if " " in a and " " in b:  # UK: the outward code
        return a.split()[0] == b.split()[0]
    return len(a) == len(b) == 5 and a[:3] == b[:3]


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """An address split into its parts (``repr`` hides them: they are client data)."""

    street: str = field(repr=False)
    """Street as written, locality and number removed ("High St")."""
    housenumber: str | None = field(default=None, repr=False)
    """Normalised house number ("12a", "12-14"), or None."""
    housenumber_text: str | None = field(default=None, repr=False)
    """House number as written ("12 A")."""
    numbers: tuple[int, ...] = field(default=(), repr=False)
    """Integer numbers the house number covers (12 for "12a"; 12, 14 for "12-14")."""
    postcode: str | None = field(default=None, repr=False)
    localities: tuple[str, ...] = field(default=(), repr=False)
    """Town, village or district names as written."""
    unit: str | None = field(default=None, repr=False)
    """Flat, apartment or staircase detail, which does not change the point."""

    @property
    def street_normalised(self) -> str:
        """The street through `normalise_street`."""
        return normalise_street(self.street)


def _find_postcode(segment: str, *, first: bool) -> tuple[str, str] | None:
    """(postcode, segment without it and a US state before it), or None."""
    if uk := _UK_POSTCODE.search(segment):
        return normalise_postcode(uk.group(0)), (segment[: uk.start()] + segment[uk.end():]).strip()
    # a five-digit number opening the address is a house number ("12345 Main St"), not a ZIP
    found = [m for m in _NUMERIC_POSTCODE.finditer(segment) if not (first and m.start() == 0)]
    if not found:
        return None
    match = found[-1]
    before = segment[: match.start()].rstrip()
    if before[-2:] in _US_STATES and (len(before) == 2 or before[-3] == " "):
        before = before[:-2]
    return match.group(1), (before + segment[match.end():]).strip()


def _strip_known_localities(street: str, known: Collection[str]) -> tuple[str, list[str]]:
    tokens = street.split()
    for n in (3, 2, 1):
        if len(tokens) > n and normalise_locality(" ".join(tokens[-n:])) in known:
            return " ".join(tokens[:-n]), [" ".join(tokens[-n:])]
    return street, []


def parse_address(text: str, *, known_localities: Collection[str] = frozenset()) -> ParsedAddress:
    """Split a free-text address into house number, street, postcode and localities.

    Understands number-first ("Flat 3, 12 High St, Oakham, LE15 6AB, UK", "123 N
    Charles St, Baltimore, MD 21201") and number-after forms ("Mannerheimintie 12 A 5,
    00100 Helsinki, Finland"). A trailing country is dropped; UK postcodes, five-digit
    postcodes and ZIP codes are found anywhere after the house number.

    Parameters
    ----------
    text : str
        The address as written.
    known_localities : collection of str
        Town names through `normalise_locality`; when the address has no commas, such a name
        at the end of the street ("12 High Street Oakham") is taken as the town.

    Returns
    -------
    ParsedAddress
    """
    segments = [s.strip() for s in re.split(r"[,;\n]+", unicodedata.normalize("NFKC", text)) if s.strip()]
    if len(segments) > 1 and normalise_locality(segments[-1]) in _COUNTRIES:
        segments.pop()
    elif segments:
        words = segments[-1].split()
        for n in (4, 3, 2, 1):
            name = normalise_locality(" ".join(words[-n:]))
            if len(words) > n and name in _COUNTRIES and name != "us":
                segments[-1] = " ".join(words[:-n])
                break
    postcode = None
    opening = next((i for i, s in enumerate(segments) if not _UNIT_SEGMENT.fullmatch(s)), 0)
    for i in range(len(segments) - 1, -1, -1):
        if found := _find_postcode(segments[i], first=i == opening):
            postcode, segments[i] = found[0], " ".join(found[1].split())
            break
    segments = [s for s in segments if s and s not in _US_STATES]  # "Baltimore, MD, 21201"
    for i in range(len(segments) - 1):  # "12, High Street": the number in a segment of its own
        if _LONE_NUMBER.fullmatch(segments[i]) and not re.search(r"\d", segments[i + 1]):
            segments[i:i + 2] = [f"{segments[i]} {segments[i + 1]}"]
            break
    unit: str | None = None
    street_at = None
    for i, segment in enumerate(segments):
        if _UNIT_SEGMENT.fullmatch(segment):
            unit = segment
        elif re.search(r"\d", segment) and re.search(r"[^\W\d_]{2}", segment):
            street_at = i
            break
    if street_at is None:
        street_at = next((i for i, s in enumerate(segments) if s != unit and re.search(r"[^\W\d_]", s)), None)
    if street_at is None:
        return ParsedAddress(street="", postcode=postcode, unit=unit)
    localities = [s for s in segments[street_at + 1:] if re.search(r"[^\W\d_]", s)]
    segment = segments[street_at]
    if head := _UNIT_HEAD.match(segment):
        unit, segment = head.group(0).strip(), segment[head.end():]
    if tail := _UNIT_TAIL.search(segment):
        unit, segment = tail.group(0).strip(), segment[: tail.start()]
    hn_text: str | None = None
    if number_first := _NUMBER_FIRST.match(segment):
        hn_text, street = number_first["hn"], number_first["street"]
        street, trailing = _strip_known_localities(street, known_localities)
    elif number_after := _NUMBER_AFTER.match(segment):
        hn_text, street, rest = number_after["hn"], number_after["street"], number_after["rest"]
        if rest_unit := _REST_UNIT.match(rest):  # "Mannerheimintie 12 A 5": flat 5
            unit, rest = rest_unit.group(0).strip(), rest[rest_unit.end():]
        trailing = [rest.strip()] if re.search(r"[^\W\d_]", rest) else []
    else:
        street, trailing = _strip_known_localities(segment, known_localities)
    parsed_number = _housenumber(hn_text) if hn_text else None
    return ParsedAddress(
        street=street.strip(" ,"),
        housenumber=parsed_number[0] if parsed_number else None,
        housenumber_text=hn_text.strip() if hn_text else None,
        numbers=parsed_number[1] if parsed_number else (),
        postcode=postcode,
        localities=tuple(trailing + localities),
        unit=unit,
    )


def normalise_address(text: str) -> str:
    """A canonical, comparable form of an address: "street number, postcode, town".

    "12 High St., Oakham LE15 6AB, UK" and "12 high street, oakham, le15 6ab" both give
    "high street 12, LE15 6AB, oakham". Meant for comparison and de-duplication, not display.
    """
    parsed = parse_address(text)
    parts = [f"{parsed.street_normalised} {parsed.housenumber or ''}".strip(), parsed.postcode or ""]
    parts += [normalise_locality(name) for name in parsed.localities]
    return ", ".join(p for p in parts if p)


# --- records -----------------------------------------------------------------------------------

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
        if (self.postcode and _UK_POSTCODE.fullmatch(self.postcode)) or (
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


# --- reading an OSM extract ------------------------------------------------------------------------

_ALIAS_KEYS = ("name:fi", "name:sv", "name:en", "alt_name", "official_name")
_LOCALITY_KEYS = ("addr:village", "addr:town", "addr:hamlet", "addr:suburb")
_SETTLEMENTS = {"city", "town", "village", "hamlet"}
SETTLEMENT_RADIUS_M = 5000.0  # an address without a town tag is in the nearest settlement this close


def _clean_street(value: str) -> str:
    """The street of an ``addr:street`` value: "Galleria Esplanad, Aleksanterinkatu" (a building's
    name first, as some mappers write it) -> "Aleksanterinkatu"."""
    return value.rsplit(",", 1)[-1].strip()


def _point_from_tags(tags: Mapping[str, str], lon: float, lat: float, osm_type: str, osm_id: int
                     ) -> AddressPoint | None:
    street = _clean_street(tags.get("addr:street") or tags.get("addr:place") or "")
    if not street or "addr:housenumber" not in tags:
        return None
    locality = next((tags[k] for k in _LOCALITY_KEYS if k in tags), None)
    if locality is None and "addr:street" in tags:
        locality = tags.get("addr:place")
    return AddressPoint(
        housenumber=tags["addr:housenumber"], street=street, lon=lon, lat=lat,
        postcode=tags.get("addr:postcode"), city=tags.get("addr:city"), locality=locality,
        country=tags.get("addr:country"), osm_type=osm_type, osm_id=osm_id,
    )


def _centroid(rings: list[list[tuple[float, float]]]) -> tuple[float, float] | None:
    """Centroid of the polygons the rings close, else of their vertices."""
    from shapely import MultiPoint, polygonize, unary_union
    from shapely.geometry import LineString

    vertices = [xy for ring in rings for xy in ring]
    if not vertices:
        return None
    lines = [LineString(ring) for ring in rings if len(ring) >= 2]
    polygons = [p for p in polygonize(lines).geoms if p.is_valid and p.area > 0] if lines else []
    shape = unary_union(polygons) if polygons else MultiPoint(vertices)
    return shape.centroid.x, shape.centroid.y


@dataclass(slots=True)
class _Extract:
    points: list[AddressPoint] = field(default_factory=list)
    street_aliases: dict[str, str] = field(default_factory=dict)
    """Other name -> street name."""
    locality_aliases: dict[str, str] = field(default_factory=dict)
    """Other name (and the name itself) -> place name."""
    settlements: list[tuple[str, float, float]] = field(default_factory=list)
    """(name, lon, lat) of the city, town, village and hamlet nodes."""


def _read_osm(path: Path) -> _Extract:
    """The address points, street and place names of an extract.

    Raises
    ------
    FileNotFoundError
        When there is no file at `path`.
    ValueError
        When the file is not an OSM extract osmium can read.
    """
    if not path.is_file():
        raise FileNotFoundError(f"OSM extract not found: {path}")
    try:
        return _read_osm_objects(path)
    except RuntimeError as error:  # osmium's error for unreadable or malformed input
        raise ValueError(f"cannot read OSM extract {path}: {error}") from error


def _read_osm_objects(path: Path) -> _Extract:
    import osmium
    from osmium.filter import EntityFilter, IdFilter, KeyFilter

    # relations (multipolygon buildings) need their outer ways' geometry: a first pass finds them
    relations: dict[int, tuple[dict[str, str], list[int]]] = {}
    for rel in osmium.FileProcessor(str(path), osmium.osm.RELATION).with_filter(
            KeyFilter("addr:housenumber")):
        if isinstance(rel, osmium.osm.Relation):
            outer = [m.ref for m in rel.members if m.type == "w" and m.role in ("outer", "")]
            relations[rel.id] = (dict(rel.tags), outer)
    extract = _Extract()
    points, street_aliases = extract.points, extract.street_aliases
    skipped = 0
    wanted = KeyFilter("addr:housenumber", "place", *_ALIAS_KEYS, "addr:street:sv", "addr:street:fi")
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations().with_filter(
            wanted):
        tags = dict(obj.tags)
        if "place" in tags and "name" in tags:
            names = [tags["name"]] + [tags[k] for k in _ALIAS_KEYS if k in tags]
            extract.locality_aliases.update(dict.fromkeys(names, tags["name"]))
            if tags["place"] in _SETTLEMENTS and isinstance(obj, osmium.osm.Node) and obj.location.valid():
                extract.settlements.append((tags["name"], obj.lon, obj.lat))
        if "highway" in tags and "name" in tags:
            street_aliases.update({tags[k]: tags["name"] for k in _ALIAS_KEYS if k in tags})
        if "addr:housenumber" not in tags:
            continue
        if isinstance(obj, osmium.osm.Node):
            xy: tuple[float, float] | None = (obj.lon, obj.lat) if obj.location.valid() else None
            osm_type = "node"
        elif isinstance(obj, osmium.osm.Way):
            xy = _centroid([[(n.lon, n.lat) for n in obj.nodes if n.location.valid()]])
            osm_type = "way"
        else:
            continue
        point = _point_from_tags(tags, *(xy or (0.0, 0.0)), osm_type, obj.id)
        if point is not None and xy is None:
            skipped += 1
        elif point is not None:
            points.append(point)
            street_aliases.update({tags[k]: point.street for k in ("addr:street:sv", "addr:street:fi")
                                   if k in tags})
    member_ids = {ref for _, refs in relations.values() for ref in refs}
    rings: dict[int, list[tuple[float, float]]] = {}
    if member_ids:
        members = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
                   .with_filter(EntityFilter(osmium.osm.WAY)).with_filter(IdFilter(member_ids)))
        rings = {way.id: [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
                 for way in members if isinstance(way, osmium.osm.Way)}
    for rel_id, (tags, refs) in relations.items():
        xy = _centroid([rings[ref] for ref in refs if ref in rings])
        point = _point_from_tags(tags, *(xy or (0.0, 0.0)), "relation", rel_id)
        if point is not None and xy is None:
            skipped += 1
        elif point is not None:
            points.append(point)
    if skipped:
        logger.debug("%d address objects skipped: their nodes are missing from the extract", skipped)
    return extract


def address_points_from_osm(path: str | Path) -> gpd.GeoDataFrame:
    """The address points of an OSM extract as a GeoDataFrame in EPSG:4326.

    Nodes with ``addr:housenumber`` and ``addr:street`` (or ``addr:place``) are taken
    at their location; ways and multipolygon relations (buildings) at their centroid.
    Objects whose nodes are missing from a clipped extract are skipped. A building
    name before the street ("Galleria Esplanad, Aleksanterinkatu") is dropped.

    Parameters
    ----------
    path : str or Path
        An ``.osm`` or ``.osm.pbf`` file.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``housenumber``, ``street``, ``postcode``, ``city``, ``locality``,
        ``country``, ``osm_type``, ``osm_id``, ``lon``, ``lat`` (degrees) and point
        ``geometry``; one row per address object (an address tagged on both a node
        and its building gives two rows).

    Raises
    ------
    FileNotFoundError, ValueError
        When the file is missing or unreadable.
    """
    points = _read_osm(Path(path)).points
    return _frame(points)


def _frame(points: list[AddressPoint]) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    columns = ["housenumber", "street", "postcode", "city", "locality", "country", "osm_type", "osm_id",
               "lon", "lat"]
    table = pd.DataFrame([[getattr(p, c) for c in columns] for p in points], columns=columns)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326")


# --- the index ---------------------------------------------------------------------------------------


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


@dataclass(slots=True)
class _Street:
    """One street: address points with one street name, within `STREET_CLUSTER_M` of each other."""

    name: str
    points: list[int]
    by_key: dict[str, list[int]] = field(default_factory=dict)
    by_number: dict[int, list[int]] = field(default_factory=dict)
    postcodes: set[str] = field(default_factory=set)
    localities: set[str] = field(default_factory=set)
    middle: int = 0
    uid: int = 0


@dataclass(slots=True)
class _Candidate:
    confidence: float
    point: int
    notes: list[str]
    street: int
    """`_Street.uid` of the point."""
    rank: int
    """Order among equally good candidates: the most central of an address's points first."""
    agreement: int
    """Postcode and town agreements less disagreements."""


def _clusters(xy: list[tuple[float, float]], gap_m: float) -> list[list[int]]:
    """Single-linkage clusters of points (lon, lat) at most `gap_m` apart."""
    if len(xy) == 1:
        return [[0]]
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage

    lon, lat = np.array(xy).T
    metres = np.column_stack([lon * 111_320 * np.cos(np.radians(lat.mean())), lat * 110_574])
    labels = fcluster(linkage(metres, method="single"), t=gap_m, criterion="distance")
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[int(label)].append(i)
    return list(groups.values())


class AddressIndex:
    """Address points indexed for fast offline geocoding.

    Build it once (`from_osm_file`, `from_frame`) and geocode any number of addresses.

    Parameters
    ----------
    points : iterable of AddressPoint
        The addresses to match against.
    street_aliases : mapping of str to str, optional
        Other names of streets ("Mannerheimvägen" -> "Mannerheimintie").
    locality_aliases : mapping of str to str, optional
        Other names of towns ("Helsingfors" -> "Helsinki").
    settlements : iterable of (str, float, float), optional
        (name, lon, lat) of towns and villages: an address point without a town tag
        is taken to be in the nearest within `SETTLEMENT_RADIUS_M`, for comparing
        the town given in a query.
    threshold : float
        Confidence (0..1) from which a result is ``matched``; below it is ``low_confidence``.
    street_cutoff : float
        Least similarity (0..1, rapidfuzz ratio) for a street name to be a candidate.
    ambiguity_margin : float
        Candidates at different places whose confidence is within this of the best make
        the result ``ambiguous``.
    """

    def __init__(self, points: Iterable[AddressPoint], *, street_aliases: Mapping[str, str] | None = None,
                 locality_aliases: Mapping[str, str] | None = None,
                 settlements: Iterable[tuple[str, float, float]] = (), threshold: float = 0.8,
                 street_cutoff: float = 0.8, ambiguity_margin: float = 0.1) -> None:
        if not 0 < threshold <= 1 or not 0 < street_cutoff <= 1:
            raise ValueError(f"threshold ({threshold}) and street_cutoff ({street_cutoff}) must be in (0, 1]")
        self.threshold, self.street_cutoff, self.ambiguity_margin = threshold, street_cutoff, ambiguity_margin
        points = [replace(p, street=_clean_street(p.street)) if "," in p.street else p for p in points]
        # a house number that opens with a word ("Keskuskatu 5") is an address mistagged as one
        self.points = [p for p in points if _housenumber(p.housenumber) and _street_key(p.street)
                       and not re.match(r"\s*[^\W\d_]{3}", p.housenumber)]
        self._numbers = [_housenumber(p.housenumber) or ("", ()) for p in self.points]
        self._postcodes = [normalise_postcode(p.postcode) if p.postcode else None for p in self.points]
        self._locality_alias = {normalise_locality(k): normalise_locality(v)
                                for k, v in (locality_aliases or {}).items()}
        customs = Counter(p.number_first for p in self.points)
        self._number_first = customs[True] > customs[False]
        self._localities = [frozenset(normalise_locality(x) for x in (p.city, p.locality) if x)
                            for p in self.points]
        self._nearest_settlement: dict[int, str] = {}
        self._add_settlements(list(settlements))
        self.localities = frozenset().union(*self._localities)
        """Town names (through `normalise_locality`) of the address points, tagged or nearest."""
        self._known_localities = self.localities | self._locality_alias.keys()
        by_key: dict[str, list[int]] = defaultdict(list)
        for i, point in enumerate(self.points):
            by_key[_street_key(point.street)].append(i)
        self._street_list: list[_Street] = []
        self._streets = {key: self._cluster_street(ids) for key, ids in by_key.items()}
        self._aliases = {}
        for alias, name in (street_aliases or {}).items():
            alias_key, key = _street_key(alias), _street_key(name)
            if key in self._streets and alias_key not in self._streets:
                self._aliases[alias_key] = key
        self._choices = [*self._streets, *self._aliases]
        self._candidate_cache: dict[str, list[tuple[str, float]]] = {}
        logger.info("address index: %d address points on %d streets", len(self.points), len(self._streets))

    def _add_settlements(self, settlements: list[tuple[str, float, float]]) -> None:
        """Give points without a town tag the nearest settlement's name."""
        untagged = [i for i, towns in enumerate(self._localities) if not towns]
        if not settlements or not untagged:
            return
        import numpy as np
        from scipy.spatial import cKDTree

        def metres(lonlat: list[tuple[float, float]]) -> np.ndarray:
            lon, lat = np.array(lonlat, dtype=float).T
            return np.column_stack([lon * 111_320 * np.cos(np.radians(lat)), lat * 110_574])

        tree = cKDTree(metres([(lon, lat) for _, lon, lat in settlements]))
        gaps, nearest = tree.query(metres([(self.points[i].lon, self.points[i].lat) for i in untagged]))
        for i, gap, town in zip(untagged, gaps, nearest, strict=True):
            if gap <= SETTLEMENT_RADIUS_M:
                self._nearest_settlement[i] = settlements[town][0]
                self._localities[i] = frozenset([normalise_locality(settlements[town][0])])

    def _cluster_street(self, ids: list[int]) -> list[_Street]:
        streets = []
        for cluster in _clusters([(self.points[i].lon, self.points[i].lat) for i in ids], STREET_CLUSTER_M):
            members = [ids[c] for c in cluster]
            name = Counter(self.points[i].street for i in members).most_common(1)[0][0]
            street = _Street(name=name, points=members, uid=len(self._street_list))
            self._street_list.append(street)
            for i in members:
                key, numbers = self._numbers[i]
                street.by_key.setdefault(key, []).append(i)
                for n in numbers:
                    street.by_number.setdefault(n, []).append(i)
                if postcode := self._postcodes[i]:
                    street.postcodes.add(postcode)
                street.localities.update(self._localities[i])
            street.middle = self._central_first(members)[0]
            street.by_key = {k: self._central_first(v) for k, v in street.by_key.items()}
            street.by_number = {n: self._central_first(v) for n, v in street.by_number.items()}
            streets.append(street)
        return streets

    @classmethod
    def from_osm_file(cls, path: str | Path, *, threshold: float = 0.8, street_cutoff: float = 0.8
                      ) -> AddressIndex:
        """Index the address points of an ``.osm`` or ``.osm.pbf`` extract.

        Other names of streets (``name:sv``, ``name:fi``, ``alt_name`` ... of highways
        and ``addr:street:sv``) and of places are indexed as aliases, so that
        "Mannerheimvägen 5, Helsingfors" finds "Mannerheimintie 5, Helsinki".
        See `AddressIndex` for the options.
        """
        extract = _read_osm(Path(path))
        return cls(extract.points, street_aliases=extract.street_aliases,
                   locality_aliases=extract.locality_aliases, settlements=extract.settlements,
                   threshold=threshold, street_cutoff=street_cutoff)

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame, *, threshold: float = 0.8, street_cutoff: float = 0.8
                   ) -> AddressIndex:
        """Index a GeoDataFrame of address points (e.g. from `address_points_from_osm`).

        Needs columns ``housenumber`` and ``street`` and point geometries with a CRS
        (reprojected to EPSG:4326); ``postcode``, ``city``, ``locality``, ``country``,
        ``osm_type`` and ``osm_id`` are used when present.

        Raises
        ------
        ValueError
            When a column is missing or the frame has no CRS.
        """
        missing = {"housenumber", "street"} - set(frame.columns)
        if missing:
            raise ValueError(f"address frame lacks column(s) {sorted(missing)}")
        if frame.crs is None:
            raise ValueError("address frame has no CRS; set it (e.g. frame.set_crs('EPSG:4326'))")
        frame = frame.to_crs("EPSG:4326")

        def text(row: Mapping[str, object], column: str) -> str | None:
            value = row.get(column)
            return str(value) if value is not None and value == value and str(value) else None

        points = []
        for row, geometry in zip(frame.to_dict("records"), frame.geometry, strict=True):
            if geometry is None or geometry.is_empty:
                continue
            centre = geometry.centroid
            points.append(AddressPoint(
                housenumber=str(row["housenumber"]), street=str(row["street"]), lon=centre.x, lat=centre.y,
                postcode=text(row, "postcode"), city=text(row, "city"), locality=text(row, "locality"),
                country=text(row, "country"), osm_type=text(row, "osm_type") or "",
                osm_id=int(str(row.get("osm_id") or 0)),
            ))
        return cls(points, threshold=threshold, street_cutoff=street_cutoff)

    def to_frame(self) -> gpd.GeoDataFrame:
        """The indexed address points as a GeoDataFrame (see `address_points_from_osm`)."""
        return _frame(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def _central_first(self, ids: list[int]) -> list[int]:
        """`ids` ordered by distance from their mean point."""
        mean_lon = sum(self.points[i].lon for i in ids) / len(ids)
        mean_lat = sum(self.points[i].lat for i in ids) / len(ids)
        points = self.points
        return sorted(ids, key=lambda i: _distance_m(points[i].lon, points[i].lat, mean_lon, mean_lat))

    def _describe(self, i: int) -> str:
        """Address point `i` as text, with the nearest settlement when it has no town tag."""
        text = self.points[i].text(number_first=self._number_first)
        return text + (f" (near {self._nearest_settlement[i]})" if i in self._nearest_settlement else "")

    def _same_place(self, c: _Candidate, d: _Candidate) -> bool:
        """Whether two candidates on one street are one address (close, or one number)."""
        if c.street != d.street:  # parallel streets can be closer than SAME_PLACE_M
            return False
        a, b = self.points[c.point], self.points[d.point]
        apart = _distance_m(a.lon, a.lat, b.lon, b.lat)
        same_number = self._numbers[c.point][0] == self._numbers[d.point][0]
        return apart <= SAME_PLACE_M or (same_number and apart <= SAME_ADDRESS_M)

    # -- matching --

    def geocode(self, text: str, *, accept_low_confidence: bool = False) -> GeocodeResult:
        """Match one address against the index.

        Parameters
        ----------
        text : str
            The address as written ("Mannerheimintie 5, 00100 Helsinki", "12 High St, Oakham").
        accept_low_confidence : bool
            Give ``low_confidence`` results their candidate's coordinates too. Off by
            default: an uncertain address is reported, not placed.

        Returns
        -------
        GeocodeResult
            ``matched`` (confidence >= threshold, with lon/lat), ``low_confidence``,
            ``ambiguous`` (several places fit: no coordinates) or ``unmatched``.

        Notes
        -----
        confidence = street x house number x penalties, where

        - street: 1 for an exact (normalised) name or alias, else 1 - 1.5 x (1 - ratio)
          for a fuzzy one (ratio >= ``street_cutoff``), plus 0.05 for each of postcode
          and town that agree, at most 1;
        - house number: 1 exact; 0.97 inside a tagged range ("17" in "15-17"); 0.9 the
          same number with or without a letter ("12" for "12 A"); 0.75 another letter;
          0.6 (0.5 if more than 4 away) the nearest number on the same side; 0.4 the
          other side or no such number; 0.5 no number given (the street's middle);
        - penalties: x 0.75 for a postcode or town that differs (x 0.92 for a postcode
          in the same district), or a town not in the extract when the postcode doesn't agree.

        Same-numbered points of one street within `SAME_ADDRESS_M` are one address (the
        most central is returned). Other candidates within ``ambiguity_margin`` of the
        best that fit the postcode and town as well make the result ``ambiguous``.
        """
        if not text.strip():
            return GeocodeResult(text, "unmatched", 0.0, note="the address is empty")
        parsed = parse_address(text, known_localities=self._known_localities)
        if not parsed.street_normalised:
            return GeocodeResult(text, "unmatched", 0.0, note="no street name found")
        candidates = []
        for key, similarity in self._street_candidates(_street_key(parsed.street)):
            street_confidence = 1.0 if similarity >= 1 else max(0.0, 1 - 1.5 * (1 - similarity))
            for street in self._streets[key]:
                fuzzy = [] if similarity >= 1 else [
                    f"street matched fuzzily: '{parsed.street}' -> '{street.name}'"]
                for rank, (point, factor, note) in enumerate(self._number_candidates(street, parsed)):
                    agreement, penalty, agreement_notes = self._agreement(point, street, parsed)
                    # agreeing postcode and town make a fuzzy street more certain
                    confidence = min(1.0, street_confidence + 0.05 * max(agreement, 0)) * factor * penalty
                    notes = [n for n in (*fuzzy, note, *agreement_notes) if n]
                    candidates.append(
                        _Candidate(round(confidence, 3), point, notes, street.uid, rank, agreement))
        if not candidates:
            note = f"no street like '{parsed.street}' in the extract"
            return GeocodeResult(text, "unmatched", 0.0, note=note)
        return self._decide(text, candidates, accept_low_confidence=accept_low_confidence)

    def geocode_many(self, texts: Iterable[str], *, progress: bool = False,
                     accept_low_confidence: bool = False, online: OnlineGeocoder | None = None
                     ) -> list[GeocodeResult]:
        """Geocode many addresses (see `geocode`); logs the count of each status, never an address.

        Parameters
        ----------
        texts : iterable of str
            Addresses as written.
        progress : bool
            Show a tqdm progress bar.
        accept_low_confidence : bool
            As in `geocode`.
        online : callable, optional
            A fallback for ``unmatched`` addresses only, e.g. from `online_geocoder`. None
            (the default) keeps every address on this machine.
        """
        items: Iterable[str] = list(texts)
        if progress:
            from tqdm import tqdm

            items = tqdm(items, desc="geocoding", unit="address")
        results = [self.geocode(t, accept_low_confidence=accept_low_confidence) for t in items]
        if online is not None:
            results = [online(r.query) if r.status == "unmatched" else r for r in results]
        counts = Counter(r.status for r in results)
        logger.info("geocoded %d addresses: %d matched, %d low confidence, %d ambiguous, %d unmatched",
                    len(results), counts["matched"], counts["low_confidence"], counts["ambiguous"],
                    counts["unmatched"])
        return results

    def _street_candidates(self, key: str) -> list[tuple[str, float]]:
        """(street key, similarity 0..1) of the streets the query's street may be."""
        if key in self._streets:
            return [(key, 1.0)]
        if key in self._aliases:
            return [(self._aliases[key], 1.0)]
        if key not in self._candidate_cache:
            if len(self._candidate_cache) > 100_000:
                self._candidate_cache.clear()
            best: dict[str, float] = {}
            digits = re.findall(r"\d+", key)
            hits = process.extract(key, self._choices, scorer=fuzz.ratio, limit=20,
                                   score_cutoff=self.street_cutoff * 100)
            for choice, score, _ in hits:
                if re.findall(r"\d+", choice) != digits:  # "202nd Street" is no typo of "203rd Street"
                    continue
                canonical = self._aliases.get(choice, choice)
                best[canonical] = max(best.get(canonical, 0.0), score / 100)
            self._candidate_cache[key] = sorted(best.items(), key=lambda kv: -kv[1])[:5]
        return self._candidate_cache[key]

    def _number_candidates(self, street: _Street, parsed: ParsedAddress) -> list[tuple[int, float, str]]:
        """(point, factor 0..1, note) for the query's house number on `street`."""
        wanted = parsed.housenumber_text
        if parsed.housenumber is None:
            return [(street.middle, 0.5, f"no house number; the middle of {street.name}")]
        if exact := street.by_key.get(parsed.housenumber):
            return [(p, 1.0, "") for p in exact]
        found: list[tuple[int, float, str]] = []
        for n in parsed.numbers:
            for p in street.by_number.get(n, ()):
                if any(p == q for q, _, _ in found):  # "12-14" asked, "12-14 A" tagged: once
                    continue
                tagged = self.points[p].housenumber
                if len(self._numbers[p][1]) > 1 and len(parsed.numbers) == 1:
                    found.append((p, 0.97, f"house number {wanted} is part of {tagged}"))
                else:
                    # "12 C" for a "12 A" is another door; "12" for a "12 A" (or back) is the same building
                    both_lettered = parsed.housenumber[-1].isalpha() and self._numbers[p][0][-1].isalpha()
                    factor = 0.75 if both_lettered else 0.9
                    found.append((p, factor, f"house number {wanted} not found; matched {tagged}"))
        if found or not parsed.numbers:
            return found or [(street.middle, 0.4, f"house number {wanted} not found on {street.name}")]
        n = parsed.numbers[0]
        same_side = [m for m in street.by_number if m % 2 == n % 2]
        pool = same_side or list(street.by_number)
        if not pool:
            return [(street.middle, 0.4, f"house number {wanted} not found on {street.name}")]
        gap = min(abs(m - n) for m in pool)
        nearest = sorted(m for m in pool if abs(m - n) == gap)
        factor = (0.6 if gap <= 4 else 0.5) if same_side else 0.4
        note = (f"house number {wanted} not found; nearest on street is {' or '.join(map(str, nearest))}"
                + ("" if same_side else " (other side)"))
        return [(p, factor, note) for m in nearest for p in street.by_number[m]]

    def _agreement(self, point: int, street: _Street, parsed: ParsedAddress
                   ) -> tuple[int, float, list[str]]:
        """(agreements less disagreements, factor, notes) of the query's postcode and town with a point."""
        agreement, factor, notes = 0, 1.0, []
        postcodes = {self._postcodes[point]} - {None} or street.postcodes
        postcode_agrees = False
        if parsed.postcode and postcodes:
            listed = ", ".join(sorted(p for p in postcodes if p))
            if parsed.postcode in postcodes:
                agreement, postcode_agrees = agreement + 1, True
            elif any(_same_district(parsed.postcode, p) for p in postcodes if p):
                factor *= 0.92
                notes.append(f"postcode {parsed.postcode} differs from {listed} (same district)")
            else:
                agreement, factor = agreement - 1, factor * 0.75
                notes.append(f"postcode {parsed.postcode} differs from {listed}")
        towns = self._localities[point] or street.localities
        asked = [normalise_locality(t) for t in parsed.localities]
        asked = [self._locality_alias.get(a, a) for a in asked if a]
        if asked and towns:
            if any(a in towns or any(fuzz.ratio(a, t) >= 90 for t in towns) for a in asked):
                agreement += 1
            elif other := next((a for a in asked if a in self.localities), None):
                agreement, factor = agreement - 1, factor * 0.75
                notes.append(f"town '{other}' differs from '{', '.join(sorted(towns))}'")
            elif (unknown := [a for a in asked if a not in self._known_localities]) and not postcode_agrees:
                # perhaps a place outside the extract with a street of the same name
                factor *= 0.75
                notes.append(f"town '{unknown[0]}' is not in the extract")
        return agreement, factor, notes

    def _decide(self, text: str, candidates: list[_Candidate], *, accept_low_confidence: bool
                ) -> GeocodeResult:
        candidates.sort(key=lambda c: (-c.confidence, c.rank, c.point))
        places: list[_Candidate] = []  # the best candidate at each distinct place
        for c in candidates:
            if all(not self._same_place(c, q) for q in places):
                places.append(c)
        best, point = places[0], self.points[places[0].point]
        # a place that fits the given postcode or town worse is no rival
        rivals = [c for c in places[1:] if c.confidence >= best.confidence - self.ambiguity_margin
                  and c.agreement >= best.agreement]
        if rivals:
            shown = [self._describe(c.point) for c in [best, *rivals][:4]]
            more = f" and {len(rivals) - 3} more" if len(rivals) > 3 else ""
            note = (f"{len(rivals) + 1} places fit: " + "; ".join(shown) + more
                    + "; add the town or postcode")
            return GeocodeResult(text, "ambiguous", best.confidence, note=note)
        status: Status = "matched" if best.confidence >= self.threshold else "low_confidence"
        placed = status == "matched" or accept_low_confidence
        return GeocodeResult(
            text, status, best.confidence, matched_address=point.text(number_first=self._number_first),
            lon=point.lon if placed else None, lat=point.lat if placed else None,
            note="; ".join(dict.fromkeys(best.notes)), osm_ref=f"{point.osm_type}/{point.osm_id}",
            candidate_lon=point.lon, candidate_lat=point.lat,
        )


# --- online (optional, off by default) ---------------------------------------------------------------


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
        street_ok = fuzz.ratio(_street_key(found.get("road", "")), _street_key(parsed.street)) >= 90
        number = _housenumber(found.get("house_number", ""))
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
