"""A shared workspace in PostgreSQL/PostGIS, for teams that plan together.

The same workspace as :class:`~geoservice.store.GeoPackageStore`, kept in a database
that several people (CLI users, web-app servers) use at once::

    <schema>.outreach_meta      key/value settings, with ``schema_version``
    <schema>.outreach_revision  one counter, bumped by every write (readers' cache key)
    <schema>.<kind>             one table per kind: ``fid`` (stored order), ``id`` (primary
                                key), one column per schema field, ``geom`` in EPSG:4326
                                with a GiST index (none for visits)

The schema is ``outreach`` unless the workspace URL names another
(``postgresql://host/db?schema=team_a``), so several teams can share a database. The road
network cache, outputs and the web app's accounts stay on local disk under ``root``
(see :func:`local_data_dir`).

Writes are one transaction (``BEGIN ... COMMIT``; any error rolls it back, so nothing is
ever half-written). A write first takes a transaction-scoped advisory lock of its schema,
so concurrent writers run one after the other and each checks its references against
what the one before it committed. Records are read back through the same parser as the
GeoPackage backend (:func:`~geoservice.store.records_from_frame`), so both backends
return identical records.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import geopandas as gpd
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from geoservice.errors import ImportRejected, UserError, WorkspaceError
from geoservice.io import fields
from geoservice.io.fields import format_value
from geoservice.io.schema import SCHEMAS
from geoservice.models import KINDS, Record
from geoservice.store import (
    SCHEMA_VERSION,
    LocalFolders,
    Store,
    _check_kind,
    _upsert,
    dangling_references,
    frame_from_records,
    records_from_frame,
)

#: Database schema of a workspace whose URL names none.
DEFAULT_SCHEMA = "outreach"
#: Environment variable naming the folder that holds PostGIS workspaces' local data.
DATA_DIR_VARIABLE = "OUTREACH_DATA_DIR"
URL_SCHEMES = ("postgresql://", "postgres://")

_META = "outreach_meta"
_REVISION = "outreach_revision"
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: Geometry column type per way a kind is located (GeoPackage promotes polygons to multi too).
_GEOMETRY_TYPES = {"point": "Point", "optional_point": "Point", "polygon": "MultiPolygon",
                   "point_or_polygon": "Geometry"}
_SQL_TYPES = {fields.parse_bool: "boolean", fields.parse_int: "bigint", fields.parse_float: "double precision"}


def is_postgres_url(location: str | Path) -> bool:
    """Whether a workspace location is a PostgreSQL URL rather than a folder."""
    return str(location).startswith(URL_SCHEMES)


def split_workspace_url(url: str) -> tuple[str, str]:
    """The libpq connection URL and the database schema of a workspace URL.

    ``postgresql://user@host/db?schema=team_a`` gives ``("postgresql://user@host/db",
    "team_a")``; without ``schema`` the schema is :data:`DEFAULT_SCHEMA`. Other query
    parameters (``sslmode``, ``service``, ...) are libpq's and stay in the URL.

    Raises
    ------
    UserError
        The schema is not a plain lower-case SQL name.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), DEFAULT_SCHEMA)
    if not _SCHEMA_NAME.fullmatch(schema):
        raise UserError(f"bad schema {schema!r} in the workspace URL: lower-case letters, digits and _, "
                        "starting with a letter or _")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    # Built by hand: urlunsplit drops the empty host of postgresql:///db (the local socket).
    return f"{parts.scheme}://{parts.netloc}{parts.path}{'?' if rest else ''}{rest}", schema


def describe(dsn: str, schema: str) -> str:
    """A workspace's database as users may see it (never the password)."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    where = str(info.get("host") or "local socket")
    if info.get("port"):
        where += f":{info['port']}"
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{where}/{info.get('dbname') or ''} (schema {schema})"


def local_data_dir(dsn: str, schema: str) -> Path:
    """The local folder of a PostGIS workspace: road-network cache, outputs, web accounts.

    ``$OUTREACH_DATA_DIR/<db>-<schema>-<hash>``; without that variable the base is
    ``$XDG_DATA_HOME/outreach-planner`` (``~/.local/share/outreach-planner``). The hash is
    of host, port, database and schema, so each shared workspace has its own folder and
    every user of a machine who opens it finds the same outputs.
    """
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    identity = "|".join(str(info.get(k) or "") for k in ("host", "hostaddr", "port", "dbname")) + f"|{schema}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:12]
    base = os.environ.get(DATA_DIR_VARIABLE)
    if not base:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = str(Path(xdg) / "outreach-planner")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", str(info.get("dbname") or "postgres"))
    return Path(base) / f"{name}-{schema}-{digest}"


def open_postgis(url: str, *, create: bool = False) -> PostGISStore:
    """Open the workspace a ``postgresql://`` URL names, with its default local folder."""
    dsn, schema = split_workspace_url(url)
    return PostGISStore(dsn, root=local_data_dir(dsn, schema), schema=schema, create=create)


class PostGISStore(LocalFolders):
    """A workspace in a PostgreSQL database with PostGIS: the shared, multi-user backend.

    Parameters
    ----------
    dsn
        libpq connection string or URL (``postgresql://user@host:5432/db``). Keep
        passwords out of it: libpq reads ``~/.pgpass``, ``PGPASSWORD`` or a service file.
    root
        Local folder for the road-network cache, outputs and the web app's accounts
        (made, private to its owner, when missing).
    schema
        Database schema holding the workspace's tables.
    create
        Create the schema and tables when missing (and the ``postgis`` extension, which
        needs the right to do so); otherwise a missing workspace is a
        :class:`~geoservice.errors.WorkspaceError`.

    Each thread keeps its own connection (the web app serves requests on several threads).
    """

    def __init__(self, dsn: str, *, root: str | Path, schema: str = DEFAULT_SCHEMA, create: bool = False) -> None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise UserError(f"bad schema name {schema!r}")
        self.dsn = dsn
        self.schema = schema
        self.name = describe(dsn, schema)
        #: Key of the advisory lock that serialises this workspace's writers.
        self.lock_key = int.from_bytes(hashlib.sha256(f"outreach-planner:{schema}".encode()).digest()[:8],
                                       "big", signed=True)
        self._root = Path(root)
        self._local = threading.local()
        self._connections: list[psycopg.Connection[Any]] = []
        self._guard = threading.Lock()
        self._cache: dict[str, tuple[int, list[Any]]] = {}
        if not self._exists():
            if not create:
                raise WorkspaceError(f"no workspace in {self.name}: run `outreach demo`, or `outreach network "
                                     "build` and `outreach import`, with this --workspace to make one")
            self._initialise()
        self._check_version()
        if self._missing_columns():  # made by an older version: add the fields it lacks
            self._initialise()
        if not self._root.exists():
            self._root.mkdir(parents=True, mode=0o700)

    def __repr__(self) -> str:
        return f"PostGISStore({self.name!r})"

    # -- reading ---------------------------------------------------------------------

    def frame(self, kind: str) -> gpd.GeoDataFrame:
        """The table of ``kind`` as a GeoDataFrame in EPSG:4326, in stored order."""
        _check_kind(kind)
        with self._transaction() as conn:
            return self._frame(conn, kind)

    def records(self, kind: str) -> list[Any]:
        """All records of ``kind`` (see :mod:`geoservice.models`), parsed with the import parsers."""
        _check_kind(kind)
        with self._transaction() as conn:
            return list(self._records(conn, kind))

    def ids(self) -> dict[str, frozenset[str]]:
        """Ids per kind, for checking references."""
        return {kind: frozenset(r.id for r in self.records(kind)) for kind in KINDS}

    def settings(self) -> dict[str, str]:
        """Workspace settings as text (``schema_version``, ``network_source``, ``timezone``, ...)."""
        with self._transaction() as conn:
            rows = conn.execute(sql.SQL("SELECT key, value FROM {} ORDER BY key").format(self._table(_META)))
            return {str(k): str(v) for k, v in rows}

    # -- writing ---------------------------------------------------------------------

    def write(self, changes: Mapping[str, Sequence[Record]], *, replace: bool = False,
              settings: Mapping[str, str] | None = None) -> None:
        """Store records in one transaction.

        Parameters
        ----------
        changes
            Records per kind. With ``replace=False`` they are upserted by ``id`` (new ids
            added at the end, existing ones updated in place); with ``replace=True`` each
            named table becomes exactly these records.
        replace
            Replace the named tables instead of upserting.
        settings
            Workspace settings to set in the same transaction.

        Raises
        ------
        ImportRejected
            The change would leave references dangling; nothing is written.
        """
        for kind in changes:
            _check_kind(kind)
        with self._transaction(lock=True) as conn:
            # Read under the lock: the state the previous writer committed.
            proposed = {kind: self._records(conn, kind) for kind in KINDS}
            for kind, records in changes.items():
                proposed[kind] = list(records) if replace else _upsert(proposed[kind], records)
            issues = dangling_references(proposed)
            if issues:
                raise ImportRejected(issues)
            for kind, records in changes.items():
                if replace:
                    conn.execute(sql.SQL("DELETE FROM {}").format(self._table(kind)))
                self._upsert_rows(conn, kind, records)
            self._set_meta(conn, settings or {})
            conn.execute(sql.SQL("UPDATE {} SET revision = revision + 1").format(self._table(_REVISION)))
        self._cache.clear()

    def set_settings(self, **values: str) -> None:
        """Change workspace settings in one transaction."""
        self.write({}, settings=values)

    def close(self) -> None:
        """Close every connection this store opened (it reconnects if used again)."""
        with self._guard:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    # -- internals -------------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            try:
                conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10,
                                       application_name="outreach-planner")
            except psycopg.OperationalError as e:
                reason = " ".join(str(e).split()) or type(e).__name__
                raise WorkspaceError(f"cannot reach the workspace {self.name}: {reason}") from None
            self._local.conn = conn
            with self._guard:
                self._connections = [c for c in self._connections if not c.closed] + [conn]
        return conn

    @contextlib.contextmanager
    def _transaction(self, *, lock: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """One ``BEGIN ... COMMIT`` (rolled back on any exception); with ``lock``, the
        workspace's writer lock is held until it ends.

        Read Committed isolation on purpose: each statement sees what was committed when it
        started, so the reads after the lock see the previous writer's commit (a Repeatable
        Read snapshot would be taken before the lock was granted).
        """
        conn = self._connection()
        try:
            with conn.transaction():
                if lock:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key,))
                yield conn
        except psycopg.OperationalError as e:  # the server went away: the next call reconnects
            reason = " ".join(str(e).split()) or type(e).__name__
            raise WorkspaceError(f"lost the connection to the workspace {self.name}: {reason}") from None

    def _table(self, name: str) -> sql.Composable:
        return sql.Identifier(self.schema, name)

    def _records(self, conn: psycopg.Connection[Any], kind: str) -> list[Any]:
        row = conn.execute(sql.SQL("SELECT revision FROM {}").format(self._table(_REVISION))).fetchone()
        revision = int(row[0]) if row else -1
        cached = self._cache.get(kind)
        if cached and cached[0] == revision:
            return list(cached[1])
        # Rows read after the revision are at least as new as it: at worst a newer
        # state is cached under an older revision, and read again next time.
        records = records_from_frame(kind, self._frame(conn, kind))
        self._cache[kind] = (revision, records)
        return list(records)

    def _frame(self, conn: psycopg.Connection[Any], kind: str) -> gpd.GeoDataFrame:
        spec = SCHEMAS[kind]
        names = [fs.name for fs in spec.fields]
        located = spec.geometry != "none"
        columns: list[sql.Composable] = [sql.Identifier(n) for n in names]
        if located:
            columns.append(sql.SQL("ST_AsBinary(geom)"))
        query = sql.SQL("SELECT {} FROM {} ORDER BY fid").format(sql.SQL(", ").join(columns), self._table(kind))
        rows = conn.execute(query).fetchall()
        frame = pd.DataFrame({n: [r[i] for r in rows] for i, n in enumerate(names)}, columns=names)
        wkb = [r[-1] for r in rows] if located else [None] * len(rows)
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapely.from_wkb(wkb), crs=4326))

    def _upsert_rows(self, conn: psycopg.Connection[Any], kind: str, records: Sequence[Any]) -> None:
        if not records:
            return
        spec = SCHEMAS[kind]
        frame = frame_from_records(kind, records)
        types = [_sql_type(fs.parse) for fs in spec.fields]
        values = [[_sql_value(v, t) for v in frame[fs.name].tolist()] for fs, t in zip(spec.fields, types, strict=True)]
        names: list[sql.Composable] = [sql.Identifier(fs.name) for fs in spec.fields]
        slots: list[sql.Composable] = [sql.Placeholder()] * len(names)
        if spec.geometry != "none":
            names.append(sql.Identifier("geom"))
            geometry = sql.SQL("ST_GeomFromWKB(%s::bytea, 4326)")
            slots.append(sql.SQL("ST_Multi({})").format(geometry) if spec.geometry == "polygon" else geometry)
            geometries = frame.geometry.array
            values.append([None if g is None else shapely.to_wkb(g, output_dimension=2) for g in geometries])
        updates = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(n) for n in names[1:])
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}").format(
            self._table(kind), sql.SQL(", ").join(names), sql.SQL(", ").join(slots), updates)
        with conn.cursor() as cur:
            cur.executemany(query, list(zip(*values, strict=True)))

    def _set_meta(self, conn: psycopg.Connection[Any], settings: Mapping[str, str]) -> None:
        items = sorted({**{str(k): str(v) for k, v in settings.items()},
                        "schema_version": str(SCHEMA_VERSION)}.items())
        with conn.cursor() as cur:
            cur.executemany(sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s) ON CONFLICT (key) "
                                    "DO UPDATE SET value = EXCLUDED.value").format(self._table(_META)), items)

    def _exists(self) -> bool:
        with self._transaction() as conn:
            row = conn.execute("SELECT to_regclass(%s)", (f'"{self.schema}".{_META}',)).fetchone()
            return row is not None and row[0] is not None

    def _missing_columns(self) -> bool:
        with self._transaction() as conn:
            rows = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                                "WHERE table_schema = %s", (self.schema,)).fetchall()
        present = {(str(t), str(c)) for t, c in rows}
        return any((kind, fs.name) not in present for kind in KINDS for fs in SCHEMAS[kind].fields)

    def _initialise(self) -> None:
        """Create what is missing: schema, tables, columns, indexes (safe to repeat)."""
        try:
            self._create()
        except psycopg.errors.InsufficientPrivilege as e:
            raise WorkspaceError(f"cannot create the workspace in {self.name}: {' '.join(str(e).split())} "
                                 "(the role needs CREATE on the database)") from None

    def _create(self) -> None:
        with self._transaction(lock=True) as conn:
            self._require_postgis(conn)
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value text NOT NULL)")
                         .format(self._table(_META)))
            conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (revision bigint NOT NULL)")
                         .format(self._table(_REVISION)))
            conn.execute(sql.SQL("INSERT INTO {0} SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM {0})")
                         .format(self._table(_REVISION)))
            for kind in KINDS:  # dependency order: a table's references are created before it
                for statement in self._table_ddl(kind):
                    conn.execute(statement)
            existing = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(self._table(_META))).fetchone()
            if existing and existing[0] == 0:
                self._set_meta(conn, {})

    def _require_postgis(self, conn: psycopg.Connection[Any]) -> None:
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
            return
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error:
            raise WorkspaceError(f"PostGIS is not installed in {self.name}: an administrator must run "
                                 "`CREATE EXTENSION postgis` in that database (Debian: postgresql-15-postgis-3)"
                                 ) from None

    def _table_ddl(self, kind: str) -> list[sql.Composed]:
        spec = SCHEMAS[kind]
        columns: list[sql.Composable] = [sql.SQL("fid bigint GENERATED ALWAYS AS IDENTITY UNIQUE"),
                                         sql.SQL("id text PRIMARY KEY")]
        for fs in spec.fields[1:]:
            column: sql.Composable = sql.SQL("{} {}").format(sql.Identifier(fs.name), sql.SQL(_sql_type(fs.parse)))
            if fs.references:
                # Deferred, so a transaction may replace referenced rows; writes are checked
                # before this (dangling_references), these guard against other editors.
                column = sql.SQL("{} REFERENCES {} (id) DEFERRABLE INITIALLY DEFERRED").format(
                    column, self._table(fs.references))
            columns.append(column)
        statements: list[sql.Composed] = []
        if spec.geometry != "none":
            columns.append(sql.SQL("geom geometry({}, 4326)").format(sql.SQL(_GEOMETRY_TYPES[spec.geometry])))
        statements.append(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
            self._table(kind), sql.SQL(", ").join(columns)))
        statements += [sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}").format(self._table(kind), column)
                       for column in columns[2:]]
        if spec.geometry != "none":
            statements.append(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist (geom)").format(
                sql.Identifier(f"{kind}_geom_idx"), self._table(kind)))
        return statements

    def _check_version(self) -> None:
        try:
            version = int(self.settings().get("schema_version", "0"))
        except ValueError as e:
            raise WorkspaceError(f"{self.name} is not an outreach workspace ({e})") from None
        if version > SCHEMA_VERSION:
            raise WorkspaceError(f"{self.name} was made by a newer outreach-planner (schema {version}); upgrade")


def copy_workspace(source: Store, target: Store) -> dict[str, int]:
    """Make ``target`` hold exactly the records and settings of ``source``, in one
    transaction (e.g. move a GeoPackage workspace to a shared PostGIS one). The road-network
    cache is not copied: the target builds its own from ``network_source`` on first use.

    Returns the number of records copied per kind.
    """
    layers = {kind: source.records(kind) for kind in KINDS}
    settings = {k: v for k, v in source.settings().items() if k != "schema_version"}
    target.write(layers, replace=True, settings=settings)
    return {kind: len(records) for kind, records in layers.items()}


def _sql_type(parse: Any) -> str:
    function = parse.func if isinstance(parse, partial) else parse
    return _SQL_TYPES.get(function, "text")


def _sql_value(value: Any, sql_type: str) -> Any:
    """A layer cell as the column's type (pandas holds missing numbers as NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if sql_type == "bigint":
        return int(value)
    if sql_type == "double precision":
        return float(value)
    if sql_type == "boolean":
        return bool(value)
    return value if isinstance(value, str) else format_value(value)
