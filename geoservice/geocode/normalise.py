"""Address text: normalisation (case, accents, punctuation, abbreviations) and parsing.

Pure functions on strings, no I/O. Handles English (UK, US) and Finnish/Swedish
writing: "12 High St, Oakham, LE15 6AB" and "Mannerheimint. 12 A 5, 00100 Helsinki"
alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

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


def street_key(name: str) -> str:
    """A street's key for lookup: `normalise_street` without spaces, so that "Aleksanterin katu"
    and "Aleksanterinkatu" compare equal."""
    return normalise_street(name).replace(" ", "")


def clean_street(value: str) -> str:
    """The street of an ``addr:street`` value: "Galleria Esplanad, Aleksanterinkatu" (a building's
    name first, as some mappers write it) -> "Aleksanterinkatu"."""
    return value.rsplit(",", 1)[-1].strip()


def parse_housenumber(text: str) -> tuple[str, tuple[int, ...]] | None:
    """The normalised key ("12a", "12-14") and the integer numbers it covers, or None without a number."""
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


def is_uk_postcode(text: str) -> bool:
    """Whether `text` is exactly a UK postcode ("LE15 6AB")."""
    return _UK_POSTCODE.fullmatch(text) is not None


def same_postcode_district(a: str, b: str) -> bool:
    """Whether two postcodes from `normalise_postcode` share a district (UK outward code, first 3 digits)."""
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
    parsed_number = parse_housenumber(hn_text) if hn_text else None
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

