"""Workspace backends for tests that must hold for every store: the embedded GeoPackage
and a real PostgreSQL/PostGIS server.

The PostGIS side connects with the URL in ``OUTREACH_TEST_POSTGRES`` (e.g.
``postgresql://outreach:outreach@127.0.0.1:5432/outreach_test``; `.ci/run` starts such a
server and sets it). Each test gets a schema of its own, dropped afterwards. Tests that
need the server skip cleanly when the variable is unset or the server is unreachable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_backends import Backend, GeoPackageBackend, PostGISBackend, copy_demo

from geoservice.store import Store

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
    yield made, copy_demo(demo_workspace, made)
    made.close()
