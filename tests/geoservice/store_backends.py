"""Workspace backends for tests that must hold for every store: the embedded GeoPackage
and a real PostgreSQL/PostGIS server (fixtures in ``conftest.py`` beside this file)."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from geoservice.store import GeoPackageStore, Store


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

    def close(self) -> None:
        """Release what the backend holds."""


class GeoPackageBackend(Backend):
    """A GeoPackage workspace in a folder."""

    name = "geopackage"

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self, *, create: bool = False) -> GeoPackageStore:
        return GeoPackageStore(self.root, create=create)

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


def copy_demo(demo_workspace: Path, target: Backend) -> Store:
    """Fill ``target`` with the demo workspace (records, settings, cached networks)."""
    from geoservice.store_postgis import copy_workspace

    if isinstance(target, GeoPackageBackend):
        shutil.copytree(demo_workspace, target.root)
        return target.open()
    store = target.open(create=True)
    copy_workspace(GeoPackageStore(demo_workspace), store)
    shutil.copytree(demo_workspace / "network", store.network_dir)
    return store
