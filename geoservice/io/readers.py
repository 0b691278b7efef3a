"""Read import files (CSV, GeoJSON, GeoPackage) into raw rows of text, positions kept.

Nothing is validated here beyond "can the file be read at all": every cell comes back
as text and every geometry in EPSG:4326, labelled with where it sits in the file
(``row 7`` for a CSV line, ``feature 3`` for a GeoJSON/GeoPackage feature), so that
:mod:`geoservice.io.validate` can name each problem exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shapely.geometry.base import BaseGeometry

from geoservice.errors import ImportIssue, UserError

if TYPE_CHECKING:
    import geopandas as gpd

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
#: Largest import, in rows or features: bigger files are split by the user (an import is
#: checked whole, in memory, before anything is stored).
MAX_ROWS = 200_000
GEO_SUFFIXES = (".geojson", ".json", ".gpkg")


@dataclass(frozen=True)
class RawRow:
    """One row or feature: its label in the file, cell texts, and geometry if any."""

    label: str
    values: dict[str, str]
    geometry: BaseGeometry | None = None


@dataclass
class RawTable:
    """A whole import file as text rows. ``notes`` are things the user should know that
    are not errors (e.g. a layer reprojected from another CRS)."""

    file: str
    columns: tuple[str, ...]
    rows: list[RawRow]
    has_geometry: bool = False
    issues: list[ImportIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_table(path: str | Path, kind: str | None = None) -> RawTable:
    """Read an import file by its extension; of a GeoPackage with several layers, the
    layer named ``kind`` (e.g. ``clients``).

    Raises
    ------
    UserError
        The file is missing, empty, of an unknown format, or cannot be parsed.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a file")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path)
    if suffix in GEO_SUFFIXES:
        return _read_geo(path, kind)
    raise UserError(f"{path}: unknown file format {suffix or '(no extension)'!r}; "
                    "use .csv, .geojson or .gpkg")


def _read_csv(path: Path) -> RawTable:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text; save it as CSV UTF-8") from None
    if not text.strip():
        raise UserError(f"{path}: the file is empty")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    first_line = text.splitlines()[0]
    if delimiter not in first_line and ";" in first_line:
        raise UserError(f"{path}: columns seem separated by ';'; save the file as comma-separated "
                        "CSV (';' separates list items inside a cell)")
    if "\x00" in text[:4096]:
        raise UserError(f"{path}: not a text CSV file")
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        columns = tuple(h.lower() for h in header)
        rows: list[RawRow] = []
        issues: list[ImportIssue] = []
        start = reader.line_num
        for cells in reader:
            if len(rows) >= MAX_ROWS:
                raise UserError(f"{path}: more than {MAX_ROWS:,} rows; split the file and import the parts")
            label = f"row {start + 1}"
            start = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines are not rows
            if len(cells) != len(columns):
                issues.append(ImportIssue(path.name, label, "", "",
                                          f"has {len(cells)} cells but the header has {len(columns)} columns"))
                continue
            rows.append(RawRow(label, dict(zip(columns, (c.strip() for c in cells), strict=True))))
    except csv.Error as e:
        raise UserError(f"{path}: not a readable CSV file near line {reader.line_num}: {e}") from None
    _check_header(path, columns)
    return RawTable(path.name, columns, rows, issues=issues)


def _check_header(path: Path, columns: tuple[str, ...]) -> None:
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise UserError(f"{path}: column {duplicated[0]!r} appears more than once in the header")
    if any(not c for c in columns):
        raise UserError(f"{path}: the header has an empty column name")


def _read_geo(path: Path, kind: str | None) -> RawTable:
    import pyogrio
    from pyogrio.errors import DataSourceError

    try:
        layers = pyogrio.list_layers(path)
    except (DataSourceError, OSError) as e:
        raise UserError(f"{path}: not a readable {path.suffix} file ({_first_line(e)})") from None
    layer = _layer_to_read(path, [str(name) for name in layers[:, 0]], kind)
    try:
        frame, unreadable = _read_layer(path, layer)
    except (DataSourceError, OSError, ValueError) as e:
        raise UserError(f"{path}: not a readable {path.suffix} file ({_first_line(e)})") from None
    notes: list[str] = []
    if len(layers) > 1:
        notes.append(f"{path.name}: read layer {layer!r} of {len(layers)}")
    has_geometry = bool(unreadable) or ("geometry" in frame.columns and any(g is not None for g in frame.geometry))
    if has_geometry and frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        epsg = frame.crs.to_epsg()
        notes.append(f"{path.name}: reprojected from {f'EPSG:{epsg}' if epsg else frame.crs.name} "
                     "to lon/lat (EPSG:4326)")
        frame = frame.to_crs(4326)
    if len(frame) > MAX_ROWS:
        raise UserError(f"{path}: more than {MAX_ROWS:,} features; split the file and import the parts")
    columns = tuple(str(c).lower() for c in frame.columns if c != "geometry")
    _check_header(path, columns)
    rows = []
    issues = [ImportIssue(path.name, f"feature {position + 1}", "geometry", "", f"not a valid geometry: {reason}")
              for position, reason in unreadable.items()]
    geometries = frame.geometry if "geometry" in frame.columns else [None] * len(frame)
    for position, (record, geometry) in enumerate(
            zip(frame.drop(columns="geometry", errors="ignore").to_dict("records"), geometries, strict=True)):
        if position in unreadable:
            continue
        values = {str(k).lower(): cell_text(v) for k, v in record.items()}
        geom = None if geometry is None or geometry.is_empty else geometry
        rows.append(RawRow(f"feature {position + 1}", values, geom))
    return RawTable(path.name, columns, rows, has_geometry=bool(has_geometry), notes=notes, issues=issues)


def _layer_to_read(path: Path, layers: list[str], kind: str | None) -> str:
    """The layer named after ``kind``, or the file's only data layer (QGIS's
    ``layer_styles`` does not count); several others are a :class:`UserError`."""
    if not layers:
        raise UserError(f"{path}: the file has no layers")
    named = [name for name in layers if kind and name.lower() == kind]
    if named:
        return named[0]
    data = [name for name in layers if name.lower() != "layer_styles"]
    if len(data) == 1:
        return data[0]
    listed = ", ".join(map(repr, data))
    if kind:
        raise UserError(f"{path}: has {len(data)} layers ({listed}) and none is named {kind!r}: "
                        f"name the layer to import {kind!r}, or keep only that layer in the file")
    raise UserError(f"{path}: has {len(data)} layers ({listed}): keep only the layer to import")


def _read_layer(path: Path, layer: str) -> tuple[gpd.GeoDataFrame, dict[int, str]]:
    """The layer as a GeoDataFrame, and the features whose geometry GEOS cannot build
    (e.g. a ring that is not closed), by position, with GEOS's reason."""
    import pyogrio
    import shapely

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's "non closed ring detected"
        try:
            return pyogrio.read_dataframe(path, layer=layer), {}
        except shapely.errors.ShapelyError:
            pass
        frame = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")
        wkb = pyogrio.raw.read(path, layer=layer, columns=[])[2]
    unreadable = {}
    for position in (k for k, g in enumerate(frame.geometry) if g is None):
        if wkb[position] is None:
            continue  # no geometry at all: the row checks say what is missing
        try:
            shapely.from_wkb(wkb[position])
        except shapely.errors.ShapelyError as e:
            unreadable[int(position)] = str(e).split(": ", 1)[-1]
    return frame, unreadable


def cell_text(value: object) -> str:
    """A property value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime) and value != value:  # pandas' NaT: a feature without the date
        return ""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0) and value.tzinfo is None:
        return value.date().isoformat()  # GDAL reads a GeoJSON "2026-12-01" as a datetime at midnight
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(cell_text(v) for v in value)
    text = str(value)
    return "" if text in {"NaT", "nan", "None", "<NA>"} else text


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
