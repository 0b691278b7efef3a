"""The address index: address points indexed by street for fast offline matching.

A query is parsed (`parse_address`), its street matched exactly, by alias or fuzzily
(rapidfuzz) against the index's streets, its house number looked up on each candidate
street, and each candidate scored by the confidence model documented in
`AddressIndex.geocode`. Logs counts only, never an address or a coordinate.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from geoservice.geocode.normalise import (
    ParsedAddress,
    clean_street,
    normalise_locality,
    normalise_postcode,
    parse_address,
    parse_housenumber,
    same_postcode_district,
    street_key,
)
from geoservice.geocode.points import points_frame, points_from_frame, read_extract
from geoservice.geocode.records import AddressPoint, GeocodeResult, OnlineGeocoder, Status

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

SAME_PLACE_M = 100.0  # candidates closer than this are one place (an address node and its building)
SAME_ADDRESS_M = 300.0  # one number on one street, tagged on several objects (shops of a big store)
STREET_CLUSTER_M = 1000.0  # same-named streets further apart than this are different streets
SETTLEMENT_RADIUS_M = 5000.0  # an address without a town tag is in the nearest settlement this close


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
        points = [replace(p, street=clean_street(p.street)) if "," in p.street else p for p in points]
        # a house number that opens with a word ("Keskuskatu 5") is an address mistagged as one
        self.points = [p for p in points if parse_housenumber(p.housenumber) and street_key(p.street)
                       and not re.match(r"\s*[^\W\d_]{3}", p.housenumber)]
        self._numbers = [parse_housenumber(p.housenumber) or ("", ()) for p in self.points]
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
            by_key[street_key(point.street)].append(i)
        self._street_list: list[_Street] = []
        self._streets = {key: self._cluster_street(ids) for key, ids in by_key.items()}
        self._aliases = {}
        for alias, name in (street_aliases or {}).items():
            alias_key, key = street_key(alias), street_key(name)
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
        extract = read_extract(Path(path))
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
        points = points_from_frame(frame)
        return cls(points, threshold=threshold, street_cutoff=street_cutoff)

    def to_frame(self) -> gpd.GeoDataFrame:
        """The indexed address points as a GeoDataFrame (see `address_points_from_osm`)."""
        return points_frame(self.points)

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
        for key, similarity in self._street_candidates(street_key(parsed.street)):
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
            elif any(same_postcode_district(parsed.postcode, p) for p in postcodes if p):
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

