"""Import a file into the workspace: read, validate every row, then store all or nothing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from geoservice.errors import ImportRejected, UserError
from geoservice.io.readers import read_table
from geoservice.io.validate import Geocode, ImportContext, validate_table
from geoservice.models import KINDS
from geoservice.store import GeoPackageStore

#: Margin around the road network's bounding box within which points are accepted (m).
AREA_MARGIN_M = 1000.0


@dataclass(frozen=True)
class ImportReport:
    """What an accepted import stored."""

    kind: str
    file: str
    count: int
    notes: tuple[str, ...]


def import_file(store: GeoPackageStore, kind: str, path: str | Path, *, replace: bool = False,
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
    if kind not in KINDS:
        raise UserError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    table = read_table(path)
    context = ImportContext(
        known_ids=store.ids(),
        localities=store.records("localities") if kind != "localities" else (),
        area=network_area(store),
        geocode=geocode or workspace_geocoder(store),
        progress=progress,
    )
    result = validate_table(kind, table, context)
    if result.issues:
        raise ImportRejected(result.issues)
    store.write({kind: result.records}, replace=replace)
    return ImportReport(kind, table.file, len(result.records), tuple(result.notes))


def network_area(store: GeoPackageStore) -> tuple[float, float, float, float] | None:
    """The bounding box (W, S, E, N degrees) of the workspace's road network, widened by
    :data:`AREA_MARGIN_M`; ``None`` when no network is set."""
    text = store.settings().get("network_bbox")
    if not text:
        return None
    w, s, e, n = (float(v) for v in text.split(","))
    dlat = AREA_MARGIN_M / 111_320.0
    dlon = dlat / max(math.cos(math.radians((s + n) / 2)), 0.01)
    return w - dlon, s - dlat, e + dlon, n + dlat


def workspace_geocoder(store: GeoPackageStore) -> Geocode | None:
    """An offline geocoder over the address points of the workspace's OSM extract, built
    on first use; ``None`` when the workspace has no extract."""
    source = store.settings().get("network_source", "")
    if not source or not Path(source).exists():
        return None

    def geocode(addresses: Sequence[str]) -> list[tuple[float, float] | str]:
        from geoservice.geocode import AddressIndex

        index = AddressIndex.from_osm_file(source)
        out: list[tuple[float, float] | str] = []
        for result in index.geocode_many(list(addresses), progress=len(addresses) > 200):
            if result.status == "matched" and result.lon is not None and result.lat is not None:
                out.append((result.lon, result.lat))
            else:
                out.append(result.message())
        return out

    return geocode
