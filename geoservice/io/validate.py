"""Validate raw import rows into records, reporting every problem with row, field and value.

Pure functions on in-memory data: :func:`validate_table` takes the rows read by
:mod:`geoservice.io.readers` and what the workspace already holds (ids for references,
locality polygons, the road network's area) and returns the records and the full list of
problems. It never stops at the first bad row: the user fixes the file once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shapely import prepared
from shapely.geometry import MultiPoint, Point, box
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm

from geoservice.errors import ImportIssue
from geoservice.io.readers import RawRow, RawTable
from geoservice.io.schema import LAT_COLUMNS, LON_COLUMNS, SCHEMAS, KindSpec
from geoservice.models import Locality, Record, TimeWindow

#: Turns addresses into ``(lon, lat)``, or into a one-line reason why it could not.
Geocode = Callable[[Sequence[str]], Sequence[tuple[float, float] | str]]

#: Show a progress bar when validating more rows than this.
PROGRESS_ROWS = 2000


@dataclass(frozen=True)
class ImportContext:
    """What validation needs to know about the workspace.

    Attributes
    ----------
    known_ids
        Ids already in the workspace, per kind (for ``usual_worker``, ``locality``, ...).
    localities
        Locality polygons, to fill in a client's or hotspot's locality from its point.
    area
        ``(west, south, east, north)`` in degrees that the workspace's road network
        covers, with a margin; points outside it cannot be routed. ``None``: no network yet.
    geocode
        Offline geocoder for rows located by ``address``; ``None``: addresses not accepted.
    progress
        Show a progress bar on big files.
    """

    known_ids: Mapping[str, frozenset[str]] = field(default_factory=dict)
    localities: Sequence[Locality] = ()
    area: tuple[float, float, float, float] | None = None
    geocode: Geocode | None = None
    progress: bool = False


@dataclass
class Validated:
    """The outcome of validating one file: records if and only if ``issues`` is empty."""

    records: list[Record]
    issues: list[ImportIssue]
    notes: list[str]


def validate_table(kind: str, table: RawTable, context: ImportContext) -> Validated:
    """Validate every row of ``table`` as records of ``kind``.

    Parameters
    ----------
    kind
        One of :data:`geoservice.models.KINDS`.
    table
        The file as read by :func:`geoservice.io.readers.read_table`.
    context
        What the workspace already holds.

    Returns
    -------
    Validated
        The records (empty when there is any issue), every issue, and notes.
    """
    spec = SCHEMAS[kind]
    issues = list(table.issues)
    notes = list(table.notes)
    header_issue = _check_columns(spec, table)
    if header_issue:
        return Validated([], [header_issue], notes)
    unknown = sorted(set(table.columns) - {s.name for s in spec.fields} - set(LON_COLUMNS) - set(LAT_COLUMNS)
                     - {"geometry", "fid"})
    if unknown:
        notes.append(f"{table.file}: ignored columns not used for {kind}: {', '.join(unknown)}")
    if not table.rows and not table.issues:  # rows the reader refused are reported already
        issues.append(ImportIssue(table.file, "", "", "", f"no {kind} rows in the file"))

    rows = table.rows
    progress = context.progress and len(rows) > PROGRESS_ROWS
    parsed: list[tuple[RawRow, dict[str, Any]]] = []
    to_geocode: list[tuple[int, RawRow]] = []
    for row in tqdm(rows, desc=f"checking {kind}", unit="row", disable=not progress, leave=False):
        values, row_issues = _parse_fields(spec, table.file, row)
        located, where_issues, needs_address = _locate(spec, table, row, context)
        values.update(located)
        issues += row_issues + where_issues
        if needs_address:
            to_geocode.append((len(parsed), row))
        parsed.append((row, values))

    issues += _geocode_rows(table.file, to_geocode, parsed, context)
    issues += _check_duplicates(table.file, parsed)
    issues += _check_references(spec, table.file, parsed, context)
    issues += _check_kind_rules(kind, table.file, parsed)
    if issues:
        return Validated([], sorted(issues, key=_row_order), notes)
    if context.localities and any(fs.name == "locality" for fs in spec.fields):
        _fill_localities(parsed, context.localities)
    records = [spec.record_type(**values) for _, values in parsed]
    return Validated(records, [], notes)


def _row_order(issue: ImportIssue) -> int:
    """Issues in file order: whole-file problems first, then by row/feature number."""
    number = issue.row.rsplit(" ", 1)[-1]
    return int(number) if number.isdigit() else -1


def _check_columns(spec: KindSpec, table: RawTable) -> ImportIssue | None:
    missing = [c for c in spec.required if c not in table.columns]
    if spec.geometry in ("point", "point_or_polygon") and not table.has_geometry:
        has_xy = any(c in table.columns for c in LON_COLUMNS) and any(c in table.columns for c in LAT_COLUMNS)
        if not has_xy and "address" not in table.columns:
            missing.append("lat and lon (or address)")
    if spec.geometry == "polygon" and not table.has_geometry:
        return ImportIssue(table.file, "", "geometry", "",
                           f"{spec.kind} need polygon geometries: import a GeoJSON or GeoPackage file")
    if missing:
        return ImportIssue(table.file, "", "", "", f"missing required column(s): {', '.join(missing)}")
    return None


def _parse_fields(spec: KindSpec, file: str, row: RawRow) -> tuple[dict[str, Any], list[ImportIssue]]:
    values: dict[str, Any] = {}
    issues = []
    for fs in spec.fields:
        text = row.values.get(fs.name, "").strip()
        if not text:
            if fs.required:
                issues.append(ImportIssue(file, row.label, fs.name, "", "is required but empty"))
            values[fs.name] = fs.default
            continue
        try:
            values[fs.name] = fs.parse(text)
        except ValueError as e:
            issues.append(ImportIssue(file, row.label, fs.name, text, str(e)))
            values[fs.name] = fs.default
    return values, issues


def _locate(spec: KindSpec, table: RawTable, row: RawRow,
            context: ImportContext) -> tuple[dict[str, Any], list[ImportIssue], bool]:
    """The row's location fields (lon/lat, geometry or area), issues, and whether it
    still needs geocoding from its address."""
    if spec.geometry == "none":
        return {}, [], False
    if spec.geometry == "polygon":
        return _polygon(table.file, row, context.area)
    if row.geometry is not None:
        return _point_from_geometry(spec, table.file, row, context)
    lon_text = next((row.values[c] for c in LON_COLUMNS if row.values.get(c, "").strip()), "")
    lat_text = next((row.values[c] for c in LAT_COLUMNS if row.values.get(c, "").strip()), "")
    if not lon_text and not lat_text:
        if row.values.get("address", "").strip() and spec.geometry != "optional_point":
            return {}, [], True
        if spec.geometry == "optional_point":
            return {"lon": None, "lat": None}, [], False
        if table.has_geometry:
            return {}, [ImportIssue(table.file, row.label, "geometry", "",
                                    "no location: the feature's geometry is missing or empty")], False
        return {}, [ImportIssue(table.file, row.label, "lat/lon", "",
                                "no location: give lat and lon, or an address")], False
    issues = []
    lon = lat = None
    for name, text, limit in (("lon", lon_text, 180.0), ("lat", lat_text, 90.0)):
        if not text:
            issues.append(ImportIssue(table.file, row.label, name, "", "is empty while the other coordinate is given"))
            continue
        try:
            value = float(text)
        except ValueError:
            issues.append(ImportIssue(table.file, row.label, name, text, "not a number"))
            continue
        if not -limit <= value <= limit:
            hint = " (is the file in a projected CRS? use lon/lat degrees, EPSG:4326)" if abs(value) > 360 else ""
            issues.append(ImportIssue(table.file, row.label, name, text,
                                      f"out of range: must be between -{limit:g} and {limit:g}{hint}"))
            continue
        if name == "lon":
            lon = value
        else:
            lat = value
    if lon is None or lat is None:
        return {}, issues, False
    issues += _check_in_area(table.file, row.label, lon, lat, context.area)
    return {"lon": lon, "lat": lat}, issues, False


def _point_from_geometry(spec: KindSpec, file: str, row: RawRow,
                         context: ImportContext) -> tuple[dict[str, Any], list[ImportIssue], bool]:
    geom = row.geometry
    assert geom is not None
    area: BaseGeometry | None = None
    if isinstance(geom, MultiPoint) and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if geom.geom_type in ("Polygon", "MultiPolygon") and spec.geometry == "point_or_polygon":
        if not geom.is_valid:
            return {}, [_invalid_polygon(file, row.label, geom)], False
        area, geom = geom, geom.representative_point()
    if not isinstance(geom, Point):
        kinds = "a point or a polygon" if spec.geometry == "point_or_polygon" else "a point"
        return {}, [ImportIssue(file, row.label, "geometry", geom.geom_type, f"must be {kinds}")], False
    issues = _check_lonlat_range(file, row.label, geom)
    if not issues:
        issues = _check_in_area(file, row.label, geom.x, geom.y, context.area)
    located: dict[str, Any] = {"lon": geom.x, "lat": geom.y}
    if spec.geometry == "point_or_polygon":
        located["area"] = area
    return located, issues, False


def _polygon(file: str, row: RawRow,
             area: tuple[float, float, float, float] | None) -> tuple[dict[str, Any], list[ImportIssue], bool]:
    geom = row.geometry
    if geom is None:
        return {}, [ImportIssue(file, row.label, "geometry", "", "has no geometry; a polygon is required")], False
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return {}, [ImportIssue(file, row.label, "geometry", geom.geom_type, "must be a polygon")], False
    issues = _check_lonlat_range(file, row.label, geom)
    if not geom.is_valid:
        issues.append(_invalid_polygon(file, row.label, geom))
    elif not issues and area is not None and not geom.intersects(box(*area)):
        w, s, e, n = area
        issues.append(ImportIssue(file, row.label, "geometry", "", "the polygon lies outside the area of the "
                                  f"workspace's road network ({w:.4f},{s:.4f} to {e:.4f},{n:.4f})"))
    return {"geometry": geom}, issues, False


def _invalid_polygon(file: str, label: str, geom: BaseGeometry) -> ImportIssue:
    from shapely.validation import explain_validity

    return ImportIssue(file, label, "geometry", "", f"invalid polygon: {explain_validity(geom)}")


def _check_lonlat_range(file: str, label: str, geom: BaseGeometry) -> list[ImportIssue]:
    w, s, e, n = geom.bounds
    if w < -180 or e > 180 or s < -90 or n > 90:
        return [ImportIssue(file, label, "geometry", f"{w:.6g},{s:.6g}",
                            "coordinates are not lon/lat degrees: the file's CRS is missing or wrong "
                            "(expected EPSG:4326)")]
    return []


def _check_in_area(file: str, label: str, lon: float, lat: float,
                   area: tuple[float, float, float, float] | None) -> list[ImportIssue]:
    if area is None:
        return []
    w, s, e, n = area
    if w <= lon <= e and s <= lat <= n:
        return []
    swapped = w <= lat <= e and s <= lon <= n
    hint = "; lat and lon look swapped" if swapped else ""
    return [ImportIssue(file, label, "lat/lon", f"{lat:.6f}, {lon:.6f}",
                        f"outside the area of the workspace's road network "
                        f"({w:.4f},{s:.4f} to {e:.4f},{n:.4f}){hint}")]


def _geocode_rows(file: str, pending: list[tuple[int, RawRow]], parsed: list[tuple[RawRow, dict[str, Any]]],
                  context: ImportContext) -> list[ImportIssue]:
    if not pending:
        return []
    if context.geocode is None:
        return [ImportIssue(file, row.label, "address", "",
                            "has an address but no lat/lon, and no road network is loaded to geocode it "
                            "(run `outreach network build` first)") for _, row in pending]
    results = context.geocode([row.values["address"] for _, row in pending])
    issues = []
    for (index, row), result in zip(pending, results, strict=True):
        if isinstance(result, str):
            issues.append(ImportIssue(file, row.label, "address", row.values["address"], result))
        else:
            parsed[index][1].update(lon=result[0], lat=result[1])
            issues += _check_in_area(file, row.label, result[0], result[1], context.area)
    return issues


def _check_duplicates(file: str, parsed: list[tuple[RawRow, dict[str, Any]]]) -> list[ImportIssue]:
    first: dict[str, str] = {}
    issues = []
    for row, values in parsed:
        key = values.get("id")
        if not key:
            continue
        if key in first:
            issues.append(ImportIssue(file, row.label, "id", key, f"duplicate id (first used in {first[key]})"))
        else:
            first[key] = row.label
    return issues


def _check_references(spec: KindSpec, file: str, parsed: list[tuple[RawRow, dict[str, Any]]],
                      context: ImportContext) -> list[ImportIssue]:
    issues = []
    for fs in spec.fields:
        if not fs.references:
            continue
        known = context.known_ids.get(fs.references, frozenset())
        if fs.references == spec.kind:
            known = known | {v["id"] for _, v in parsed if v.get("id")}
        singular = "locality" if fs.references == "localities" else fs.references[:-1]
        for row, values in parsed:
            ref = values.get(fs.name)
            if ref and ref not in known:
                issues.append(ImportIssue(file, row.label, fs.name, ref, f"unknown {singular}{_known_hint(known)}"))
    return issues


def _known_hint(known: frozenset[str]) -> str:
    if not known:
        return " (none are in the workspace yet: import them first)"
    shown = sorted(known)[:5]
    return f" (known: {', '.join(shown)}{', ...' if len(known) > 5 else ''})"


def _check_kind_rules(kind: str, file: str, parsed: list[tuple[RawRow, dict[str, Any]]]) -> list[ImportIssue]:
    """Rules that involve several fields of one row."""
    issues = []
    for row, v in parsed:
        if kind == "workers":
            if not v.get("base") and v.get("lon") is None:
                issues.append(ImportIssue(file, row.label, "base", "",
                                          "a worker needs a base hub or a home location (lat/lon)"))
            shift, lunch, minutes = v.get("shift"), v.get("lunch"), v.get("lunch_minutes")
            if shift and lunch and minutes and not _break_fits(shift, lunch, minutes):
                issues.append(ImportIssue(file, row.label, "lunch", str(lunch),
                                          f"a {minutes}-minute lunch cannot be taken inside both this window and "
                                          f"the shift {shift}"))
        if kind == "clients" and v.get("windows"):
            longest = max(_minutes(w.start, w.end) for w in v["windows"])
            if v.get("visit_minutes") and v["visit_minutes"] > longest:
                issues.append(ImportIssue(file, row.label, "visit_minutes", str(v["visit_minutes"]),
                                          f"longer than every window the client can be visited in "
                                          f"(the longest is {longest} min)"))
        if kind == "visits":
            earliest, latest = v.get("earliest"), v.get("latest")
            if earliest and latest and latest < earliest:
                issues.append(ImportIssue(file, row.label, "latest", f"{latest:%H:%M}",
                                          f"impossible time window: latest start is before earliest "
                                          f"({earliest:%H:%M})"))
            if v.get("date") and v["date"] < dt.date(2000, 1, 1):
                issues.append(ImportIssue(file, row.label, "date", v["date"].isoformat(), "date is implausible"))
    return issues


def _minutes(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _break_fits(shift: TimeWindow, lunch: TimeWindow, minutes: int) -> bool:
    """Whether a break of ``minutes`` fits inside both the lunch window and the shift."""
    start = max(_minutes(dt.time(0), shift.start), _minutes(dt.time(0), lunch.start))
    end = min(_minutes(dt.time(0), shift.end), _minutes(dt.time(0), lunch.end))
    return end - start >= minutes


def _fill_localities(parsed: list[tuple[RawRow, dict[str, Any]]], localities: Sequence[Locality]) -> None:
    """Give each located record without a locality the one whose polygon contains it."""
    shapes = [(loc.id, prepared.prep(loc.geometry)) for loc in localities]
    for _, values in parsed:
        if values.get("locality") or values.get("lon") is None:
            continue
        point = Point(values["lon"], values["lat"])
        values["locality"] = next((lid for lid, shape in shapes if shape.contains(point)), None)
