"""Workspace backends for tests that must hold for every store: the embedded GeoPackage
and a real PostgreSQL/PostGIS server. Test modules get them through the fixtures below
(``backend``, ``postgis_backend``, ``demo_backend``), whatever pytest's import mode.

The PostGIS side connects with the URL in ``OUTREACH_TEST_POSTGRES`` (e.g.
``postgresql://outreach:outreach@127.0.0.1:5432/outreach_test``; `.ci/run` starts such a
server and sets it). Each test gets a schema of its own, dropped afterwards. Tests that
need the server skip cleanly when the variable is unset or the server is unreachable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geoservice.store import GeoPackageStore, Store

POSTGRES_VARIABLE = "OUTREACH_TEST_POSTGRES"


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The test server's URL (a database with PostGIS available), or skip."""
    dsn = os.environ.get(POSTGRES_VARIABLE)
    if not dsn:
        pytest.skip(f"{POSTGRES_VARIABLE} is not set (a postgresql:// URL of a server with PostGIS)")
    psycopg = pytest.importorskip("psycopg")
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
    except psycopg.OperationalError as e:
        pytest.skip(f"the PostgreSQL server of {POSTGRES_VARIABLE} is unreachable: {' '.join(str(e).split())}")
    if row is None:
        pytest.skip(f"the server of {POSTGRES_VARIABLE} has no PostGIS")
    return dsn


class Backend:
    """One workspace on one backend, opened as often as a test likes."""

    name = ""

    def open(self, *, create: bool = False) -> Any:
        """Open the workspace (a new store object each time)."""
        raise NotImplementedError

    def snapshot(self) -> str:
        """A digest of everything stored: equal digests, nothing changed."""
        raise NotImplementedError

    def set_schema_version(self, version: int) -> None:
        """Pretend another program version wrote the workspace."""
        raise NotImplementedError

    def fail_after_first_layer(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make the next write fail after it has stored its first layer."""
        raise NotImplementedError

    def fill_with_demo(self, demo_workspace: Path) -> Store:
        """Make this workspace a copy of the demo one (records, settings, cached networks)
        and return a store open on it."""
        from geoservice.store_postgis import copy_workspace

        store = self.open(create=True)
        copy_workspace(GeoPackageStore(demo_workspace), store)
        shutil.copytree(demo_workspace / "network", store.network_dir, dirs_exist_ok=True)
        return store

    def close(self) -> None:
        """Release what the backend holds."""


class GeoPackageBackend(Backend):
    """A GeoPackage workspace in a folder."""

    name = "geopackage"

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self, *, create: bool = False) -> GeoPackageStore:
        return GeoPackageStore(self.root, create=create)

    def fill_with_demo(self, demo_workspace: Path) -> Store:
        shutil.copytree(demo_workspace, self.root)
        return self.open()

    def snapshot(self) -> str:
        path = self.root / "workspace.gpkg"
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""

    def set_schema_version(self, version: int) -> None:
        import pandas as pd
        import pyogrio

        pyogrio.write_dataframe(pd.DataFrame({"key": ["schema_version"], "value": [str(version)]}),
                                self.root / "workspace.gpkg", layer="outreach_meta", driver="GPKG")

    def fail_after_first_layer(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import pyogrio

        original = pyogrio.write_dataframe
        calls: list[object] = []

        def write_then_fail(*args: Any, **kwargs: Any) -> None:
            if calls:
                raise OSError("disk full")
            calls.append(args)
            original(*args, **kwargs)

        monkeypatch.setattr(pyogrio, "write_dataframe", write_then_fail)


class PostGISBackend(Backend):
    """A PostGIS workspace in a schema of its own on the test server."""

    name = "postgis"

    def __init__(self, dsn: str, root: Path) -> None:
        self.dsn = dsn
        self.schema = f"test_{uuid.uuid4().hex[:12]}"
        self.root = root
        self._stores: list[Any] = []

    @property
    def url(self) -> str:
        """The workspace URL, as a user gives it to ``--workspace``."""
        return f"{self.dsn}{'&' if '?' in self.dsn else '?'}schema={self.schema}"

    def open(self, *, create: bool = False) -> Any:
        from geoservice.store_postgis import PostGISStore

        store = PostGISStore(self.dsn, root=self.root, schema=self.schema, create=create)
        self._stores.append(store)
        return store

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement on a connection of the test's own (autocommit)."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def snapshot(self) -> str:
        tables = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                            "ORDER BY table_name", (self.schema,))
        digest = hashlib.sha256()
        for (table,) in tables:
            rows = self.query(f'SELECT * FROM "{self.schema}"."{table}" ORDER BY 1')
            digest.update(f"{table}:{rows!r}".encode())
        return digest.hexdigest()

    def set_schema_version(self, version: int) -> None:
        self.query(f"UPDATE \"{self.schema}\".outreach_meta SET value = %s WHERE key = 'schema_version'",
                   (str(version),))

    def fail_after_first_layer(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from geoservice.store_postgis import PostGISStore

        original = PostGISStore._upsert_rows

        def upsert_then_fail(store: Any, conn: Any, kind: str, records: Any) -> None:
            original(store, conn, kind, records)
            conn.execute("SELECT 1 / 0")  # a statement the server refuses, mid-transaction

        monkeypatch.setattr(PostGISStore, "_upsert_rows", upsert_then_fail)

    def close(self) -> None:
        for store in self._stores:
            store.close()
        self.query(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


def _backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "postgis":
        return PostGISBackend(request.getfixturevalue("postgres_dsn"), tmp_path / "local")
    return GeoPackageBackend(tmp_path / "ws")


@pytest.fixture(params=["geopackage", "postgis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, not yet created workspace on each backend."""
    made = _backend(request, tmp_path)
    yield made
    made.close()


@pytest.fixture
def postgis_backend(postgres_dsn: str, tmp_path: Path) -> Iterator[PostGISBackend]:
    """A fresh, not yet created PostGIS workspace."""
    made = PostGISBackend(postgres_dsn, tmp_path / "local")
    yield made
    made.close()


@pytest.fixture(params=["geopackage", "postgis"])
def demo_backend(request: pytest.FixtureRequest, tmp_path: Path, demo_workspace: Path
                 ) -> Iterator[tuple[Backend, Store]]:
    """A private copy of the demo workspace on each backend, and a store open on it."""
    made = _backend(request, tmp_path)
    yield made, made.fill_with_demo(demo_workspace)
    made.close()
