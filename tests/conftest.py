"""Fixtures shared by every test package.

Tests that need the real OSM extracts or Solomon instances in ``../shared`` use the
``shared_dir`` / ``osm_path`` fixtures, which skip the test cleanly when ``../shared``
is not beside the checkout (CI has it; a bare clone may not).
"""

from __future__ import annotations

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
