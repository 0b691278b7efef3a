"""Points of interest from an OpenStreetMap extract: community resources, hubs, places.

Read offline with pyosmium in one pass; a feature mapped as an area (a building or a
park) is placed at a point inside it, or at its centroid (`read_features`' ``at``). Used
to make a workspace's resources layer from OSM, by the demo generator, and for the
geocoder's address points. Coordinates are lon/lat, EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from geoservice.errors import UserError
from geoservice.io.fields import parse_opening_hours

#: OSM tags -> resource type, checked in order; the first match wins.
RESOURCE_TYPES: tuple[tuple[str, str, str], ...] = (
    ("social_facility", "shelter", "shelter"),
    ("social_facility", "food_bank", "food"),
    ("social_facility", "soup_kitchen", "food"),
    ("social_facility", "outreach", "day_centre"),
    ("social_facility", "day_care", "day_centre"),
    ("amenity", "food_bank", "food"),
    ("amenity", "soup_kitchen", "food"),
    ("amenity", "social_centre", "day_centre"),
    ("amenity", "social_facility", "social_facility"),
    ("amenity", "shower", "showers"),
    ("amenity", "toilets", "toilets"),
    ("amenity", "drinking_water", "water"),
    ("amenity", "pharmacy", "pharmacy"),
    ("amenity", "doctors", "clinic"),
    ("amenity", "clinic", "clinic"),
    ("amenity", "hospital", "clinic"),
    ("healthcare", "centre", "clinic"),
    ("amenity", "library", "library"),
    ("amenity", "community_centre", "community_centre"),
)

#: Place kinds used to name generated localities, most local first.
PLACE_KINDS = ("neighbourhood", "quarter", "suburb", "village", "town", "hamlet")


@dataclass(frozen=True)
class OsmFeature:
    """A tagged OSM node or area at a point. ``osm_id`` is ``n<id>``, ``w<id>`` or ``r<id>``."""

    osm_id: str
    tags: Mapping[str, str]
    lon: float
    lat: float

    @property
    def name(self) -> str:
        """The feature's ``name`` tag, or empty."""
        return self.tags.get("name", "")


def resource_type(tags: Mapping[str, str]) -> str | None:
    """The resource type of a tagged OSM feature (see :data:`RESOURCE_TYPES`), or None."""
    for key, value, kind in RESOURCE_TYPES:
        if tags.get(key) == value:
            return kind
    return None


def read_features(path: str | Path, keep: Callable[[Mapping[str, str]], bool],
                  *, keys: tuple[str, ...], at: Literal["inside", "centroid"] = "inside") -> list[OsmFeature]:
    """Nodes and areas (or, with ``at="centroid"``, ways and relations) of an ``.osm``/``.osm.pbf``
    file whose tags pass ``keep``, each at a point.

    Parameters
    ----------
    path
        The extract.
    keep
        Predicate on a feature's tags.
    keys
        Only features with at least one of these tag keys are looked at (fast filter).
    at
        Where a way or relation goes. ``"inside"``: closed ways and multipolygons are
        assembled as areas and placed at a point inside the area (rounded to 7 decimals);
        open ways, other relations, and areas with nodes missing from the extract are left
        out. ``"centroid"``: every way is placed at the centroid of the polygon its nodes
        close (else of the nodes), and every relation at the centroid of its outer ways'
        polygons (holes not subtracted), using the nodes present in the file: outlines cut
        by the extract's edge and open ways (streets) are kept. A feature none of whose
        nodes is in the file is left out. Features come in file order, relations last.
        Files whose ids are not sorted (edited extracts) cannot be assembled into areas:
        ``"inside"`` then falls back to ``"centroid"``.

    Raises
    ------
    UserError
        The file is missing or not a readable OSM file.
    ValueError
        `at` is neither ``"inside"`` nor ``"centroid"``.
    """
    if at not in ("inside", "centroid"):
        raise ValueError(f"at must be 'inside' or 'centroid', not {at!r}")
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: OSM file not found")
    try:
        if at == "inside":
            try:
                return _features_inside(path, keep, keys)
            except RuntimeError as e:
                if "out of order" not in str(e):
                    raise
                # Area assembly needs ids sorted as in a planet dump; edited files (JOSM, negative
                # ids) are not. Place ways and relations at their centroid instead.
                return _features_at_centroid(path, keep, keys)
        return _features_at_centroid(path, keep, keys)
    except RuntimeError as e:
        raise UserError(f"{path}: not a readable OSM file ({e})") from None


def _features_inside(path: Path, keep: Callable[[Mapping[str, str]], bool], keys: tuple[str, ...]
                     ) -> list[OsmFeature]:
    import osmium
    from shapely import wkb

    factory = osmium.geom.WKBFactory()
    out: list[OsmFeature] = []
    processor = osmium.FileProcessor(str(path)).with_areas().with_filter(osmium.filter.KeyFilter(*keys))
    for obj in processor:
        tags = {t.k: t.v for t in obj.tags}
        if not keep(tags):
            continue
        if isinstance(obj, osmium.osm.Node):
            if obj.location.valid():
                out.append(OsmFeature(f"n{obj.id}", tags, obj.location.lon, obj.location.lat))
        elif isinstance(obj, osmium.osm.Area):
            try:
                point = wkb.loads(factory.create_multipolygon(obj), hex=True).representative_point()
            except RuntimeError:
                continue  # an area with missing nodes (clipped extract): skip it
            prefix = "w" if obj.from_way() else "r"
            out.append(OsmFeature(f"{prefix}{obj.orig_id()}", tags, round(point.x, 7), round(point.y, 7)))
    return out


def _features_at_centroid(path: Path, keep: Callable[[Mapping[str, str]], bool], keys: tuple[str, ...]
                          ) -> list[OsmFeature]:
    import osmium
    from osmium.filter import EntityFilter, IdFilter, KeyFilter

    out: list[OsmFeature] = []
    relations: list[tuple[int, dict[str, str], list[int]]] = []
    for obj in osmium.FileProcessor(str(path)).with_locations().with_filter(KeyFilter(*keys)):
        tags = {t.k: t.v for t in obj.tags}
        if not keep(tags):
            continue
        if isinstance(obj, osmium.osm.Node):
            if obj.location.valid():
                out.append(OsmFeature(f"n{obj.id}", tags, obj.location.lon, obj.location.lat))
        elif isinstance(obj, osmium.osm.Way):
            if xy := _centroid([[(n.lon, n.lat) for n in obj.nodes if n.location.valid()]]):
                out.append(OsmFeature(f"w{obj.id}", tags, *xy))
        elif isinstance(obj, osmium.osm.Relation):
            outer = [m.ref for m in obj.members if m.type == "w" and m.role in ("outer", "")]
            relations.append((obj.id, tags, outer))
    # a relation's geometry is its member ways': a second pass reads just those
    member_ids = {ref for _, _, refs in relations for ref in refs}
    rings: dict[int, list[tuple[float, float]]] = {}
    if member_ids:
        members = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
                   .with_filter(EntityFilter(osmium.osm.WAY)).with_filter(IdFilter(member_ids)))
        rings = {way.id: [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
                 for way in members if isinstance(way, osmium.osm.Way)}
    for rel_id, tags, refs in relations:
        if xy := _centroid([rings[ref] for ref in refs if ref in rings]):
            out.append(OsmFeature(f"r{rel_id}", tags, *xy))
    return out


def _centroid(rings: list[list[tuple[float, float]]]) -> tuple[float, float] | None:
    """Centroid (lon, lat) of the polygons the rings close, else of their vertices; None without any."""
    from shapely import MultiPoint, polygonize, unary_union
    from shapely.geometry import LineString

    vertices = [xy for ring in rings for xy in ring]
    if not vertices:
        return None
    lines = [LineString(ring) for ring in rings if len(ring) >= 2]
    polygons = [p for p in polygonize(lines).geoms if p.is_valid and p.area > 0] if lines else []
    shape = unary_union(polygons) if polygons else MultiPoint(vertices)
    return shape.centroid.x, shape.centroid.y


def resource_features(path: str | Path) -> list[tuple[OsmFeature, str]]:
    """Community resources in an extract, each with its resource type."""
    found = read_features(path, lambda t: resource_type(t) is not None,
                          keys=("amenity", "social_facility", "healthcare"))
    return [(f, resource_type(f.tags) or "") for f in found]


def clean_opening_hours(text: str) -> str:
    """An OSM ``opening_hours`` value if it parses, else empty (unknown hours)."""
    try:
        return parse_opening_hours(text)
    except ValueError:
        return ""


def place_features(path: str | Path) -> list[OsmFeature]:
    """Named places (neighbourhoods, suburbs, villages, towns) in an extract."""
    return read_features(path, lambda t: t.get("place") in PLACE_KINDS and bool(t.get("name")), keys=("place",))
