"""The workspace: where a team's clients, workers, hubs, resources, hotspots, localities
and visits are kept, with the road-network cache and generated outputs beside them.

A workspace is a folder::

    outreach-workspace/
      workspace.gpkg   one layer per kind (EPSG:4326) + an ``outreach_meta`` table; opens in QGIS
      network/         cached road networks (built once, loaded in about a second)
      outputs/         maps, itineraries and reports written by the CLI

The service talks to the :class:`Store` protocol only; :func:`open_store` picks the
backend: this one for a folder, :mod:`geoservice.store_postgis` (a shared PostgreSQL/PostGIS
database) for a ``postgresql://`` URL.

Writes are all-or-nothing: the GeoPackage is copied, the copy is changed and checked,
and only then does it atomically replace the original (``os.replace``), under a file
lock so two writers cannot interleave. A failed or rejected write leaves the workspace
exactly as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geoservice.errors import ImportIssue, ImportRejected, WorkspaceError
from geoservice.io.fields import format_value
from geoservice.io.readers import cell_text
from geoservice.io.schema import SCHEMAS
from geoservice.models import KINDS, Record

#: Version of the workspace layout; bumped when layers or columns change meaning.
SCHEMA_VERSION = 1
DEFAULT_WORKSPACE = Path("outreach-workspace")
_GPKG = "workspace.gpkg"
_META = "outreach_meta"


class Store(Protocol):
    """What the service needs from a workspace backend (:class:`GeoPackageStore`, or
    :class:`~geoservice.store_postgis.PostGISStore` for a shared database)."""

    @property
    def root(self) -> Path:
        """The workspace's local folder (network cache and outputs live under it)."""
        ...

    @property
    def network_dir(self) -> Path:
        """Folder of cached road networks."""
        ...

    @property
    def outputs_dir(self) -> Path:
        """Folder where the CLI writes maps, itineraries and reports."""
        ...

    def records(self, kind: str) -> list[Any]:
        """All records of ``kind``, in stored order."""
        ...

    def frame(self, kind: str) -> gpd.GeoDataFrame:
        """The layer of ``kind`` as a GeoDataFrame in EPSG:4326 (text-form columns)."""
        ...

    def ids(self) -> dict[str, frozenset[str]]:
        """Ids per kind, for checking references."""
        ...

    def write(self, changes: Mapping[str, Sequence[Record]], *, replace: bool = False,
              settings: Mapping[str, str] | None = None) -> None:
        """Store ``changes`` (records per kind) atomically: upsert by id, or replace whole layers."""
        ...

    def settings(self) -> dict[str, str]:
        """Workspace settings (network source, timezone, schema version, ...)."""
        ...

    def set_settings(self, **values: str) -> None:
        """Change workspace settings atomically."""
        ...


class LocalFolders:
    """The local folder of a workspace and its layout, shared by every backend: the
    road-network cache in ``network/`` and the CLI's outputs in ``outputs/``."""

    _root: Path

    @property
    def root(self) -> Path:
        """The workspace's local folder."""
        return self._root

    @property
    def network_dir(self) -> Path:
        """Folder of cached road networks."""
        return self._root / "network"

    @property
    def outputs_dir(self) -> Path:
        """Folder where the CLI writes maps, itineraries and reports."""
        return self._root / "outputs"


class GeoPackageStore(LocalFolders):
    """A workspace in a GeoPackage file (SQLite): the default, embedded backend.

    Parameters
    ----------
    root
        The workspace folder.
    create
        Create the folder and an empty GeoPackage when missing; otherwise a missing
        workspace is a :class:`~geoservice.errors.WorkspaceError`.
    """

    def __init__(self, root: str | Path = DEFAULT_WORKSPACE, *, create: bool = False) -> None:
        self._root = Path(root)
        self.path = self._root / _GPKG
        self._cache: dict[str, tuple[tuple[int, int], list[Any]]] = {}
        if not self.path.exists():
            if not create:
                raise WorkspaceError(f"no workspace at {self._root}: run `outreach demo`, or "
                                     f"`outreach network build` and `outreach import` to make one")
            self._root.mkdir(parents=True, exist_ok=True)
            self._root.chmod(0o700)  # health data: the workspace is its owner's alone
            with self._locked():
                if not self.path.exists():
                    self._initialise()
        self._check_version()

    # -- reading ---------------------------------------------------------------------

    def frame(self, kind: str) -> gpd.GeoDataFrame:
        """The layer of ``kind`` (EPSG:4326); empty with the right columns if none stored."""
        import pyogrio

        _check_kind(kind)
        columns = [s.name for s in SCHEMAS[kind].fields]
        if kind not in self._layers():
            return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns},
                                    geometry=gpd.GeoSeries([], crs=4326))
        frame = pyogrio.read_dataframe(self.path, layer=kind)
        if not isinstance(frame, gpd.GeoDataFrame):
            frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), crs=4326))
        return frame

    def records(self, kind: str) -> list[Any]:
        """All records of ``kind`` (see :mod:`geoservice.models`), parsed with the import parsers."""
        stamp = self._stamp()
        cached = self._cache.get(kind)
        if cached and cached[0] == stamp:
            return list(cached[1])
        records = records_from_frame(kind, self.frame(kind))
        self._cache[kind] = (stamp, records)
        return list(records)

    def ids(self) -> dict[str, frozenset[str]]:
        """Ids per kind, for checking references."""
        return {kind: frozenset(r.id for r in self.records(kind)) for kind in KINDS}

    def settings(self) -> dict[str, str]:
        """Workspace settings as text (``schema_version``, ``network_source``, ``timezone``, ...)."""
        import pyogrio

        frame = pyogrio.read_dataframe(self.path, layer=_META)
        return {str(k): str(v) for k, v in zip(frame["key"], frame["value"], strict=True)}

    # -- writing ---------------------------------------------------------------------

    def write(self, changes: Mapping[str, Sequence[Record]], *, replace: bool = False,
              settings: Mapping[str, str] | None = None) -> None:
        """Store records atomically.

        Parameters
        ----------
        changes
            Records per kind. With ``replace=False`` they are upserted by ``id`` (new ids
            added, existing ones updated); with ``replace=True`` each named layer becomes
            exactly these records.
        replace
            Replace the named layers instead of upserting.
        settings
            Workspace settings to set in the same transaction.

        Raises
        ------
        ImportRejected
            The change would leave references dangling (e.g. replacing workers removes a
            client's usual worker); nothing is written.
        """
        for kind in changes:
            _check_kind(kind)
        with self._locked():
            proposed = {kind: self.records(kind) for kind in KINDS}
            for kind, records in changes.items():
                proposed[kind] = list(records) if replace else _upsert(proposed[kind], records)
            issues = dangling_references(proposed)
            if issues:
                raise ImportRejected(issues)
            merged = {**self.settings(), **(settings or {})}
            self._commit({kind: proposed[kind] for kind in changes}, merged)

    def set_settings(self, **values: str) -> None:
        """Change workspace settings atomically."""
        self.write({}, settings=values)

    # -- internals -------------------------------------------------------------------

    def _initialise(self) -> None:
        tmp = self.path.with_name("workspace.new.gpkg")
        _write_meta(tmp, {"schema_version": str(SCHEMA_VERSION)})
        tmp.replace(self.path)

    def _commit(self, layers: Mapping[str, list[Any]], settings: Mapping[str, str]) -> None:
        import pyogrio

        tmp = self.path.with_name("workspace.new.gpkg")
        try:
            shutil.copy2(self.path, tmp)
            for kind, records in layers.items():
                frame = frame_from_records(kind, records)
                kwargs: dict[str, Any] = {"layer": kind, "driver": "GPKG"}
                if isinstance(frame, gpd.GeoDataFrame):
                    if frame.geometry.isna().all():
                        kwargs["geometry_type"] = _GEOMETRY_TYPES[SCHEMAS[kind].geometry]
                    kwargs["promote_to_multi"] = SCHEMAS[kind].geometry == "polygon"
                pyogrio.write_dataframe(frame, tmp, **kwargs)
            _write_meta(tmp, settings)
            tmp.replace(self.path)
        finally:
            tmp.unlink(missing_ok=True)
        self._cache.clear()

    def _layers(self) -> set[str]:
        import pyogrio

        return {str(name) for name, _ in pyogrio.list_layers(self.path)}

    def _stamp(self) -> tuple[int, int]:
        st = self.path.stat()
        return st.st_mtime_ns, st.st_ino

    def _check_version(self) -> None:
        try:
            version = int(self.settings().get("schema_version", "0"))
        except (ValueError, OSError) as e:
            raise WorkspaceError(f"{self.path} is not an outreach workspace ({e})") from None
        if version > SCHEMA_VERSION:
            raise WorkspaceError(f"{self.path} was made by a newer outreach-planner (schema {version}); upgrade")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._root.mkdir(parents=True, exist_ok=True)
        with (self._root / ".lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


_GEOMETRY_TYPES = {"point": "Point", "optional_point": "Point", "polygon": "MultiPolygon",
                   "point_or_polygon": "Unknown", "none": None}


def frame_from_records(kind: str, records: Sequence[Any]) -> pd.DataFrame:
    """Records as a layer: one column per schema field (numbers and yes/no kept native,
    everything else in its text form) and a geometry in EPSG:4326 (none for visits)."""
    spec = SCHEMAS[kind]
    columns = {fs.name: [_column_value(getattr(r, fs.name)) for r in records] for fs in spec.fields}
    frame = pd.DataFrame(columns, columns=[fs.name for fs in spec.fields])
    if spec.geometry == "none":
        return frame
    geometries = [_geometry_of(r) for r in records]
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=4326))


def records_from_frame(kind: str, frame: pd.DataFrame) -> list[Any]:
    """Records from a stored layer, parsed with the same parsers as an import."""
    spec = SCHEMAS[kind]
    out = []
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    rows = frame.drop(columns="geometry", errors="ignore").to_dict("records")
    for position, row in enumerate(rows):
        values: dict[str, Any] = {}
        for fs in spec.fields:
            text = cell_text(row.get(fs.name))
            values[fs.name] = fs.parse(text) if text else fs.default
        geom = geometry.iloc[position] if geometry is not None else None
        values.update(_location_fields(spec.geometry, geom))
        out.append(spec.record_type(**values))
    return out


def dangling_references(layers: Mapping[str, Sequence[Any]]) -> list[ImportIssue]:
    """References (a client's usual worker, a visit's client, ...) that name no record."""
    ids = {kind: {r.id for r in records} for kind, records in layers.items()}
    issues = []
    for kind, records in layers.items():
        for fs in SCHEMAS[kind].fields:
            if not fs.references:
                continue
            for r in records:
                ref = getattr(r, fs.name)
                if ref and ref not in ids.get(fs.references, set()):
                    issues.append(ImportIssue("workspace", f"{kind} {r.id}", fs.name, ref,
                                              f"would refer to a {fs.references} id that no longer exists"))
    return issues


def _upsert(existing: Sequence[Any], new: Sequence[Any]) -> list[Any]:
    by_id = {r.id: r for r in new}
    kept = [by_id.pop(r.id, r) for r in existing]
    return kept + list(by_id.values())


def _column_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return format_value(value)


def _geometry_of(record: Any) -> Any:
    if hasattr(record, "geometry"):
        return record.geometry
    if getattr(record, "area", None) is not None:
        return record.area
    if getattr(record, "lon", None) is None:
        return None
    return Point(record.lon, record.lat)


def _location_fields(geometry_kind: str, geom: Any) -> dict[str, Any]:
    if geometry_kind == "none":
        return {}
    if geometry_kind == "polygon":
        return {"geometry": geom}
    empty = geom is None or geom.is_empty
    if geometry_kind == "point_or_polygon":
        if not empty and geom.geom_type != "Point":
            point = geom.representative_point()
            return {"lon": point.x, "lat": point.y, "area": geom}
        return {"lon": geom.x, "lat": geom.y, "area": None}
    if empty:
        return {"lon": None, "lat": None}
    return {"lon": geom.x, "lat": geom.y}


def _write_meta(path: Path, settings: Mapping[str, str]) -> None:
    import pyogrio

    items = sorted({**settings, "schema_version": str(SCHEMA_VERSION)}.items())
    frame = pd.DataFrame({"key": [k for k, _ in items], "value": [v for _, v in items]})
    pyogrio.write_dataframe(frame, path, layer=_META, driver="GPKG")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")


def describe_workspace(root: str | Path) -> str:
    """A workspace location as users may see it: a folder's absolute path, or a
    database URL without its password."""
    text = str(root)
    if text.startswith(("postgresql://", "postgres://")):
        from urllib.parse import parse_qsl, urlsplit

        parts = urlsplit(text)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
        schema = [f"{k}={v}" for k, v in parse_qsl(parts.query) if k == "schema"]  # never a password= parameter
        return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{schema[0]}" if schema else "")
    return str(Path(text).resolve())


@contextlib.contextmanager
def made_or_removed(root: str | Path = DEFAULT_WORKSPACE) -> Iterator[Store]:
    """The workspace at ``root``, made when missing; if it was made here and the work
    inside the ``with`` block fails (a rejected first import, a demo or network build
    that stops), what this call made is removed again (the folder if it did not exist,
    else only the entries that were not in it before), so a failure never leaves an
    empty workspace that later commands would take for a real one. An existing
    workspace, and a PostGIS one, are never touched."""
    folder = Path(str(root))
    fresh = not str(root).startswith(("postgresql:", "postgres:")) and not (folder / _GPKG).exists()
    existed = folder.is_dir()
    before = {p.name for p in folder.iterdir()} if existed else set()
    store = open_store(root, create=True)
    try:
        yield store
    except BaseException:
        if fresh and not existed:
            shutil.rmtree(folder, ignore_errors=True)
        elif fresh:
            for made in (p for p in folder.iterdir() if p.name not in before):
                if made.is_dir() and not made.is_symlink():
                    shutil.rmtree(made, ignore_errors=True)
                else:
                    made.unlink(missing_ok=True)
        raise


def open_store(root: str | Path = DEFAULT_WORKSPACE, *, create: bool = False) -> Store:
    """Open the workspace at ``root``: the one place that picks the backend.

    Parameters
    ----------
    root
        A folder: a GeoPackage workspace (``<root>/workspace.gpkg``). A PostgreSQL URL
        (``postgresql://user@host:5432/db``, optionally ``?schema=NAME``, default schema
        ``outreach``): a shared PostGIS workspace, whose network cache, outputs and web
        accounts are kept in a local folder (``$OUTREACH_DATA_DIR/<db>-<schema>-<hash>``,
        see :func:`geoservice.store_postgis.local_data_dir`).
    create
        Create the workspace when missing; otherwise a missing one is a
        :class:`~geoservice.errors.WorkspaceError`.
    """
    text = str(root)
    if not text.startswith(("postgresql:/", "postgres:/")):
        return GeoPackageStore(root, create=create)
    if not text.startswith(("postgresql://", "postgres://")):  # a URL that went through pathlib.Path
        raise WorkspaceError(f"{text} is not a PostgreSQL URL: write postgresql://user@host/db")
    try:
        from geoservice.store_postgis import open_postgis
    except ImportError:
        raise WorkspaceError("a PostGIS workspace needs psycopg: pip install 'outreach-planner[postgis]'") from None
    return open_postgis(text, create=create)
