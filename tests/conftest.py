"""Fixtures shared by every test package.

Tests that need the real OSM extracts or Solomon instances in ``../shared`` use the
``shared_dir`` / ``osm_path`` fixtures, which skip the test cleanly when ``../shared``
is not beside the checkout (CI has it; a bare clone may not).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEMO_OSM = REPO / "data" / "helsinki.osm.pbf"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout, or skip."""
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared is not beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def osm_dir(shared_dir: Path) -> Path:
    """Folder of the real OSM extracts in ``../shared/data/osm``."""
    return shared_dir / "data" / "osm"


@pytest.fixture(scope="session")
def demo_osm() -> Path:
    """The embedded demo extract (central Helsinki), shipped in ``data/``."""
    return DEMO_OSM


#: A fixed Monday, so tests do not depend on today's date.
DEMO_START = dt.date(2026, 11, 23)


@pytest.fixture(scope="session")
def graph_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for road-network caches: pytest's cache (kept between runs) or, when the
    cache plugin is off (``-p no:cacheprovider``), a temporary folder for this session."""
    cache = getattr(request.config, "cache", None)
    folder: Path = cache.mkdir("routing-graphs") if cache is not None else tmp_path_factory.mktemp("graphs")
    return folder


@pytest.fixture(scope="session")
def demo_start() -> dt.date:
    """First day of the demo's visits in tests (a Monday)."""
    return DEMO_START


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace on the embedded Helsinki extract, built once per session.
    Read it only; use ``workspace`` for a copy a test may change."""
    from geoservice.demo import DEMO_SEED
    from geoservice.store import GeoPackageStore
    from geoservice.workflow import build_demo_workspace

    root = tmp_path_factory.mktemp("demo") / "ws"
    store = GeoPackageStore(root, create=True)
    build_demo_workspace(store, start=DEMO_START, seed=DEMO_SEED, timezone="Europe/Helsinki")
    return root


@pytest.fixture
def workspace(demo_workspace: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private copy of the demo workspace (a GeoPackageStore) that a test may change."""
    from geoservice.store import GeoPackageStore

    root = tmp_path / "ws"
    shutil.copytree(demo_workspace, root)
    return GeoPackageStore(root)
