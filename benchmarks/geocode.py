"""Offline geocoding: index build time, geocoding rate, and match quality on real extracts.

For each extract, addresses are sampled from its own address points, written in the
local style ("12 High Street, Oakham, LE15 6AB" / "Yrjönkatu 13, 00120 Helsinki") and
perturbed the way people write them: abbreviations, case and punctuation, a typo in
the street, no postcode or town, no accents. A match counts as correct when it lies
within 25 m of the sampled point or is the same address (same street and number on the
same street, another object tagged with it). Two control sets must not be placed:
numbers that are not on the street, and streets that do not exist.

    PYTHONPATH=. python benchmarks/geocode.py [--n 1000] [--seed 0] [--extra]

Prints one table per extract. ``--extra`` adds Baltimore and Queens Village (larger,
US-style) from ../shared.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from geoservice.geocode import AddressIndex, AddressPoint, GeocodeResult, normalise_street

REPO = Path(__file__).resolve().parents[1]
SHARED_OSM = REPO.parent / "shared" / "data" / "osm"
CORRECT_M = 25.0
SAME_ADDRESS_M = 300.0

ABBREVIATIONS = [
    (r"\bStreet$", "St"), (r"\bRoad$", "Rd"), (r"\bAvenue$", "Ave"), (r"\bLane$", "Ln"), (r"\bDrive$", "Dr"),
    (r"\bSquare$", "Sq"), (r"\bPlace$", "Pl"), (r"\bClose$", "Cl"), (r"\bCrescent$", "Cres"),
    (r"\bCourt$", "Ct"), (r"\bBoulevard$", "Blvd"), (r"^North\b", "N"), (r"^South\b", "S"), (r"^East\b", "E"),
    (r"^West\b", "W"), (r"^Saint\b", "St"), (r"(\w{3,})katu$", r"\1k."), (r"(\w{3,})tie$", r"\1t."),
    (r"(\w{3,})gatan$", r"\1g."),
]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = math.radians(lon2 - lon1) * math.cos(math.radians(lat1)) * 6_371_000
    return math.hypot(dx, math.radians(lat2 - lat1) * 6_371_000)


def written(point: AddressPoint, *, number_first: bool, street: str | None = None, number: str | None = None,
            with_place: bool = True) -> str:
    street = street or point.street
    number = number or point.housenumber
    town = point.locality or point.city
    if number_first:
        parts = [f"{number} {street}", town if with_place else None, point.postcode if with_place else None]
    else:
        tail = " ".join(p for p in (point.postcode, point.city or point.locality) if p) if with_place else ""
        parts = [f"{street} {number}", tail]
    return ", ".join(p for p in parts if p)


def abbreviate(street: str, rng: random.Random) -> str:
    for pattern, short in ABBREVIATIONS:
        if re.search(pattern, street):
            return re.sub(pattern, short, street)
    return street


def typo(street: str, rng: random.Random) -> str:
    letters = [i for i, c in enumerate(street) if c.isalpha() and i > 0]
    if len(street) < 6 or not letters:
        return street
    i = rng.choice(letters)
    kind = rng.choice(["drop", "swap", "replace", "double"])
    if kind == "drop":
        return street[:i] + street[i + 1:]
    if kind == "swap" and i + 1 < len(street):
        return street[:i] + street[i + 1] + street[i] + street[i + 2:]
    if kind == "replace":
        return street[:i] + rng.choice("aeiorstnlk".replace(street[i].lower(), "")) + street[i + 1:]
    return street[:i] + street[i] + street[i:]


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


PERTURBATIONS: dict[str, Callable[[AddressPoint, bool, random.Random], str]] = {
    "exact": lambda p, nf, rng: written(p, number_first=nf),
    "abbreviation": lambda p, nf, rng: written(p, number_first=nf, street=abbreviate(p.street, rng)),
    "case+punctuation": lambda p, nf, rng: rng.choice([str.upper, str.lower])(
        written(p, number_first=nf).replace(",", rng.choice(["", " ,", "."]))),
    "typo in street": lambda p, nf, rng: written(p, number_first=nf, street=typo(p.street, rng)),
    "two typos in street": lambda p, nf, rng: written(p, number_first=nf, street=typo(typo(p.street, rng), rng)),
    "no postcode or town": lambda p, nf, rng: written(p, number_first=nf, with_place=False),
    "no accents": lambda p, nf, rng: strip_accents(written(p, number_first=nf)),
    "abbrev+typo, no postcode": lambda p, nf, rng: written(
        p, number_first=nf, street=abbreviate(typo(p.street, rng), rng), with_place=False),
}


def is_correct(index: AddressIndex, by_ref: dict[str, AddressPoint], truth: AddressPoint,
               result: GeocodeResult) -> bool:
    if result.status != "matched" or result.lon is None or result.lat is None or result.osm_ref is None:
        return False
    if distance_m(truth.lon, truth.lat, result.lon, result.lat) <= CORRECT_M:
        return True
    found = by_ref[result.osm_ref]
    same = (found.street, found.housenumber) == (truth.street, truth.housenumber)
    return same and distance_m(truth.lon, truth.lat, found.lon, found.lat) <= SAME_ADDRESS_M


def benchmark(path: Path, n: int, seed: int) -> None:
    start = time.perf_counter()
    index = AddressIndex.from_osm_file(path)
    build_s = time.perf_counter() - start
    # plain numbers ("12", "12 A"), ranges ("12-14") and Queens numbers ("88-15"), not "26, 14. krs."
    points = [p for p in index.points if re.fullmatch(r"\d+\s?[A-Za-z]?(-\d+)?", p.housenumber)]
    by_ref = {f"{p.osm_type}/{p.osm_id}": p for p in index.points}
    customs = Counter(p.number_first for p in index.points)
    number_first = customs[True] > customs[False]
    rng = random.Random(seed)
    kinds = list(PERTURBATIONS)
    sample = [rng.choice(points) for _ in range(n)]
    queries = [(kinds[i % len(kinds)], p, PERTURBATIONS[kinds[i % len(kinds)]](p, number_first, rng))
               for i, p in enumerate(sample)]
    start = time.perf_counter()
    results = index.geocode_many([q for _, _, q in queries])
    geocode_s = time.perf_counter() - start

    print(f"\n## {path.name}: {len(index)} address points ({len(points)} with plain numbers), "
          f"index built in {build_s:.2f} s")
    if len(points) < n:
        print(f"   only {len(points)} address points with plain numbers: the {n} queries repeat addresses")
    print(f"   {n} queries in {geocode_s:.2f} s ({n / geocode_s:,.0f} addresses/s)")
    print(f"   {'perturbation':26} {'n':>5} {'correct':>8} {'low conf':>8} {'ambig.':>7} {'unmatch':>8} {'WRONG':>6}")
    rows: dict[str, Counter[str]] = {kind: Counter() for kind in [*kinds, "all"]}
    for (kind, truth, _), result in zip(queries, results, strict=True):
        outcome = ("correct" if is_correct(index, by_ref, truth, result)
                   else "wrong" if result.status == "matched" else result.status)
        rows[kind][outcome] += 1
        rows["all"][outcome] += 1
    for kind, counts in rows.items():
        total = sum(counts.values())
        shares = [100 * counts[o] / total for o in ("correct", "low_confidence", "ambiguous", "unmatched", "wrong")]
        print(f"   {kind:26} {total:5d} " + " ".join(f"{s:7.1f}%" for s in shares))

    # controls: nothing here may be placed
    streets = Counter(p.street for p in points)
    numbers: dict[str, set[int]] = {}
    for p in index.points:  # every number a point's tag covers: "72-78" covers 72 to 78
        ints = [int(x) for x in re.findall(r"\d+", p.housenumber)]
        numbers.setdefault(normalise_street(p.street), set()).update(range(min(ints), max(ints) + 1))
    absent = []
    for p in rng.sample(points, min(200, len(points))):
        top = max(numbers[normalise_street(p.street)])
        absent.append(written(p, number_first=number_first, number=str(top + rng.choice([2, 4, 6, 40]))))
    invented = [f"{rng.randint(1, 60)} {''.join(rng.choice('bdgklmnprstv') + rng.choice('aeiou') for _ in range(4))}"
                f"{rng.choice([' Street', ' Road', 'katu', 'tie'])}" for _ in range(200)]
    for label, texts in (("number not on the street", absent), ("street that does not exist", invented)):
        statuses = Counter(r.status for r in index.geocode_many(texts))
        print(f"   control, {label}: {len(texts)} queries, placed (matched) {statuses['matched']}, "
              f"low confidence {statuses['low_confidence']}, ambiguous {statuses['ambiguous']}, "
              f"unmatched {statuses['unmatched']}")
    print(f"   {len(streets)} streets; most addresses on one street: {streets.most_common(1)[0][1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="queries per extract")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extra", action="store_true", help="also Baltimore and Queens Village")
    args = parser.parse_args()
    extracts = [REPO / "data" / "helsinki.osm.pbf", SHARED_OSM / "rutland-latest.osm.pbf"]
    if args.extra:
        extracts += [SHARED_OSM / "baltimore.osm.pbf", SHARED_OSM / "queens_village_ny.osm.pbf"]
    for path in extracts:
        if path.exists():
            benchmark(path, args.n, args.seed)
        else:
            print(f"\n## {path}: not found, skipped")


if __name__ == "__main__":
    main()
