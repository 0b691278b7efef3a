"""Address points: read from an OSM extract, and to and from GeoDataFrames (EPSG:4326).

The extract is read with `geoservice.io.osm_features.read_features`, ways and
relations at their centroid, together with the other names of streets and places
that the index matches as aliases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from geoservice.errors import UserError
from geoservice.geocode.normalise import clean_street
from geoservice.geocode.records import AddressPoint
from geoservice.io.osm_features import read_features

if TYPE_CHECKING:
    import geopandas as gpd

_ALIAS_KEYS = ("name:fi", "name:sv", "name:en", "alt_name", "official_name")
_STREET_NAME_KEYS = ("addr:street:sv", "addr:street:fi")
_LOCALITY_KEYS = ("addr:village", "addr:town", "addr:hamlet", "addr:suburb")
_SETTLEMENTS = {"city", "town", "village", "hamlet"}
_OSM_TYPES = {"n": "node", "w": "way", "r": "relation"}
_COLUMNS = ["housenumber", "street", "postcode", "city", "locality", "country", "osm_type", "osm_id", "lon", "lat"]


@dataclass(slots=True)
class Extract:
    """What the geocoder reads from an OSM extract."""

    points: list[AddressPoint] = field(default_factory=list)
    street_aliases: dict[str, str] = field(default_factory=dict)
    """Other name -> street name."""
    locality_aliases: dict[str, str] = field(default_factory=dict)
    """Other name (and the name itself) -> place name."""
    settlements: list[tuple[str, float, float]] = field(default_factory=list)
    """(name, lon, lat) of the city, town, village and hamlet nodes."""


def _point_from_tags(tags: Mapping[str, str], lon: float, lat: float, osm_type: str, osm_id: int
                     ) -> AddressPoint | None:
    street = clean_street(tags.get("addr:street") or tags.get("addr:place") or "")
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


def _wanted(tags: Mapping[str, str]) -> bool:
    """Addresses, and named places and highways (for their other names)."""
    return "addr:housenumber" in tags or ("name" in tags and ("place" in tags or "highway" in tags))


def read_extract(path: Path) -> Extract:
    """The address points, street and place names of an extract.

    Address nodes at their location; ways and relations (buildings) at their centroid,
    from the nodes present in the file. Place and street names come from nodes and ways.

    Raises
    ------
    FileNotFoundError
        When there is no file at `path`.
    ValueError
        When the file is not an OSM extract osmium can read.
    """
    if not path.is_file():
        raise FileNotFoundError(f"OSM extract not found: {path}")
    keys = ("addr:housenumber", "place", *_ALIAS_KEYS, *_STREET_NAME_KEYS)
    try:
        features = read_features(path, _wanted, keys=keys, at="centroid")
    except UserError as error:
        raise ValueError(f"cannot read OSM extract: {error}") from error
    extract = Extract()
    for feature in features:
        tags, kind = feature.tags, feature.osm_id[0]
        if kind != "r":  # place and street names from nodes and ways only
            if "place" in tags and "name" in tags:
                names = [tags["name"]] + [tags[k] for k in _ALIAS_KEYS if k in tags]
                extract.locality_aliases.update(dict.fromkeys(names, tags["name"]))
                if tags["place"] in _SETTLEMENTS and kind == "n":
                    extract.settlements.append((tags["name"], feature.lon, feature.lat))
            if "highway" in tags and "name" in tags:
                extract.street_aliases.update({tags[k]: tags["name"] for k in _ALIAS_KEYS if k in tags})
        point = _point_from_tags(tags, feature.lon, feature.lat, _OSM_TYPES[kind], int(feature.osm_id[1:]))
        if point is not None:
            extract.points.append(point)
            if kind != "r":
                extract.street_aliases.update({tags[k]: point.street for k in _STREET_NAME_KEYS if k in tags})
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
    return points_frame(read_extract(Path(path)).points)


def points_frame(points: list[AddressPoint]) -> gpd.GeoDataFrame:
    """Address points as a GeoDataFrame in EPSG:4326 (the columns of `address_points_from_osm`)."""
    import geopandas as gpd
    import pandas as pd

    table = pd.DataFrame([[getattr(p, c) for c in _COLUMNS] for p in points], columns=_COLUMNS)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326")


def points_from_frame(frame: gpd.GeoDataFrame) -> list[AddressPoint]:
    """The address points of a GeoDataFrame (see `AddressIndex.from_frame`), at their geometries' centroids.

    Raises
    ------
    ValueError
        When column ``housenumber`` or ``street`` is missing or the frame has no CRS.
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
    return points
