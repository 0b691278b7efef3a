"""Import a file into the workspace: read, validate every row, then store all or nothing."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import replace as replace_fields
from pathlib import Path

from geoservice.errors import ImportIssue, ImportRejected, UserError
from geoservice.io.fields import format_value
from geoservice.io.readers import RawRow, RawTable, cell_text, read_table
from geoservice.io.schema import LAT_COLUMNS, LON_COLUMNS, SCHEMAS
from geoservice.io.validate import Geocode, ImportContext, validate_table
from geoservice.models import KINDS, Record
from geoservice.store import Store

#: Margin around the road network's bounding box within which points are accepted (m).
AREA_MARGIN_M = 1000.0


@dataclass(frozen=True)
class ImportReport:
    """What an accepted import stored."""

    kind: str
    file: str
    count: int
    notes: tuple[str, ...]


def import_file(store: Store, kind: str, path: str | Path, *, replace: bool = False,
                geocode: Geocode | None = None, progress: bool = False) -> ImportReport:
    """Validate ``path`` as records of ``kind`` and store them in one transaction.

    Parameters
    ----------
    store
        The workspace.
    kind
        One of :data:`geoservice.models.KINDS`.
    path
        A CSV, GeoJSON or GeoPackage file (see DESIGN.md "Import formats").
    replace
        Replace the whole layer instead of adding/updating by id.
    geocode
        Geocoder for rows located by address; by default the workspace's offline
        geocoder over the OSM extract its road network was built from.
    progress
        Show progress bars on big files.

    Raises
    ------
    UserError
        The file cannot be read, or ``kind`` is unknown.
    ImportRejected
        Any row has a problem: ``issues`` names every one; nothing was stored.
    """
    return import_files(store, {kind: path}, replace=replace, geocode=geocode, progress=progress)[0]


def import_files(store: Store, files: Mapping[str, str | Path], *, replace: bool = False,
                 geocode: Geocode | None = None, progress: bool = False) -> list[ImportReport]:
    """Import several files (one per kind) in one transaction: all stored, or none.

    Files are validated in dependency order (:data:`geoservice.models.KINDS`), so a
    clients file may name workers from the workers file of the same import.
    """
    unknown = [k for k in files if k not in KINDS]
    if unknown:
        raise UserError(f"unknown kind {unknown[0]!r}; use one of: {', '.join(KINDS)}")
    known = dict(store.ids())
    localities = store.records("localities")
    area = network_area(store)
    geocode = geocode or workspace_geocoder(store)
    issues: list[ImportIssue] = []
    changes: dict[str, list[Record]] = {}
    reports = []
    for kind in (k for k in KINDS if k in files):
        table = read_table(files[kind], kind)
        if not replace:
            table = keep_stored_values(table, kind, store)
        context = ImportContext(known_ids=known, localities=() if kind == "localities" else localities,
                                area=area, geocode=geocode, progress=progress)
        result = validate_table(kind, table, context)
        issues += result.issues
        changes[kind] = result.records
        ids = frozenset(r.id for r in result.records)
        known[kind] = ids if replace else known.get(kind, frozenset()) | ids
        if kind == "localities":
            localities = list(result.records)
        notes = list(result.notes)
        if area is None and kind != "localities" and SCHEMAS[kind].geometry != "none":
            notes.append(f"{table.file}: the workspace has no road network yet, so locations are not checked "
                         "against its area and addresses cannot be matched: run `outreach network build` first")
        reports.append(ImportReport(kind, table.file, len(result.records), tuple(notes)))
    if issues:
        raise ImportRejected(issues)
    # a user's own records make a demo workspace theirs: `outreach demo` will not overwrite it
    mine = {"demo": "no"} if store.settings().get("demo") == "yes" else None
    store.write(changes, replace=replace, settings=mine)
    return reports


#: Fields that follow from where a record is: a row that gives a location anew does not
#: keep them (a client's locality is found again from the locality polygons).
_PLACE_FIELDS = {"clients": ("address", "locality")}
#: Where a worker starts: a base hub, or a home at lon/lat.
_WORKER_PLACE = ("base", "lon", "lat")


def keep_stored_values(table: RawTable, kind: str, store: Store) -> RawTable:
    """``table`` with the columns it lacks filled, on rows that update a stored record,
    from that record: a file ``id,name,lat,lon`` renames and moves clients without
    clearing their usual worker, windows or notes. New rows take the defaults as before.

    A worker located by neither ``lat``/``lon`` nor ``base`` in the file keeps their stored
    home or base too. A note says which columns were kept.
    """
    spec = SCHEMAS[kind]
    have = set(table.columns)
    place = (spec.geometry == "optional_point" and not table.has_geometry
             and not have & {*LON_COLUMNS, *LAT_COLUMNS, "base"})
    keep = [fs.name for fs in spec.fields
            if fs.name not in have and fs.name not in _PLACE_FIELDS.get(kind, ()) and not (place and fs.name == "base")]
    if not keep and not place:
        return table
    stored = {r.id: r for r in store.records(kind)}
    rows, updated = [], 0
    for row in table.rows:
        record = stored.get(row.values.get("id", "").strip())
        if record is None:
            rows.append(row)
            continue
        updated += 1
        values = dict(row.values)
        values.update({name: _stored_text(getattr(record, name)) for name in keep})
        if place:
            values.update({name: _stored_text(getattr(record, name)) for name in _WORKER_PLACE})
        rows.append(RawRow(row.label, values, row.geometry))
    if not updated:
        return table
    kept = keep + (list(_WORKER_PLACE) if place else [])
    note = (f"{table.file}: {updated} row{'s' if updated != 1 else ''} update{'' if updated != 1 else 's'} "
            f"stored {kind}; their {', '.join(kept)} (not in the file) are kept")
    return replace_fields(table, columns=(*table.columns, *kept), rows=rows, notes=[*table.notes, note])


def _stored_text(value: object) -> str:
    """A stored value in the text form an import parses back exactly (floats in full)."""
    return cell_text(value) if isinstance(value, float) else format_value(value)


def network_area(store: Store) -> tuple[float, float, float, float] | None:
    """The bounding box (W, S, E, N degrees) of the workspace's road network, widened by
    :data:`AREA_MARGIN_M`; ``None`` when no network is set."""
    text = store.settings().get("network_bbox")
    if not text:
        return None
    w, s, e, n = (float(v) for v in text.split(","))
    dlat = AREA_MARGIN_M / 111_320.0
    dlon = dlat / max(math.cos(math.radians((s + n) / 2)), 0.01)
    return w - dlon, s - dlat, e + dlon, n + dlat


def workspace_geocoder(store: Store) -> Geocode | None:
    """An offline geocoder over the address points of the workspace's OSM extract; ``None``
    when the workspace has no extract.

    The address index is built on first use, once per extract: it is kept as a pickle in
    the workspace's ``network/`` folder (beside the road graphs), keyed by the extract's
    content, and loaded from there by later imports.
    """
    source = store.settings().get("network_source", "")
    if not source or not Path(source).exists():
        return None
    from geoservice.geocode import AddressIndex, cached_address_index

    index: AddressIndex | None = None  # built or loaded on first use, then kept for every table

    def geocode(addresses: Sequence[str]) -> list[tuple[float, float] | str]:
        nonlocal index
        if index is None:
            index = cached_address_index(source, cache_dir=store.network_dir)
        out: list[tuple[float, float] | str] = []
        for result in index.geocode_many(list(addresses), progress=len(addresses) > 200):
            if result.status == "matched" and result.lon is not None and result.lat is not None:
                out.append((result.lon, result.lat))
            else:
                out.append(result.message())
        return out

    return geocode
