"""Write records as import files (the formats of DESIGN.md, "Import formats").

What is written here imports back unchanged: points as CSV with ``lat``/``lon``
columns, polygons (localities) and hotspot areas as GeoJSON (RFC 7946, EPSG:4326).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd

from geoservice.io.schema import SCHEMAS
from geoservice.store import frame_from_records


def write_records(kind: str, records: Sequence[Any], folder: str | Path) -> Path:
    """Write ``records`` of ``kind`` into ``folder`` as ``<kind>.csv`` or ``<kind>.geojson``.

    Returns
    -------
    Path
        The file written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = frame_from_records(kind, records)
    geometry = SCHEMAS[kind].geometry
    if geometry == "polygon" or (geometry == "point_or_polygon" and any(r.area is not None for r in records)):
        path = folder / f"{kind}.geojson"
        import pyogrio

        pyogrio.write_dataframe(frame, path, driver="GeoJSON")
        return path
    path = folder / f"{kind}.csv"
    table = frame.drop(columns="geometry") if isinstance(frame, gpd.GeoDataFrame) else frame
    if isinstance(frame, gpd.GeoDataFrame):
        points = frame.geometry
        table.insert(2, "lat", [None if p is None else round(p.y, 7) for p in points])
        table.insert(3, "lon", [None if p is None else round(p.x, 7) for p in points])
    for column in table.columns:  # booleans as yes/no, as users write them
        if table[column].dtype == bool:
            table[column] = table[column].map({True: "yes", False: "no"})
    table.to_csv(path, index=False)
    return path
