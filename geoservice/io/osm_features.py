"""Points of interest from an OpenStreetMap extract: community resources, hubs, places.

Read offline with pyosmium in one pass; a feature mapped as an area (a building or a
park) is placed at a point inside it. Used to make a workspace's resources layer from
OSM (and by the demo generator). Coordinates are lon/lat, EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

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
                  *, keys: tuple[str, ...]) -> list[OsmFeature]:
    """Nodes and areas of an ``.osm``/``.osm.pbf`` file whose tags pass ``keep``.

    Parameters
    ----------
    path
        The extract.
    keep
        Predicate on a feature's tags.
    keys
        Only features with at least one of these tag keys are looked at (fast filter).

    Raises
    ------
    UserError
        The file is missing or not a readable OSM file.
    """
    import osmium
    from shapely import wkb

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: OSM file not found")
    factory = osmium.geom.WKBFactory()
    out: list[OsmFeature] = []
    try:
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
    except RuntimeError as e:
        raise UserError(f"{path}: not a readable OSM file ({e})") from None
    return out


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
