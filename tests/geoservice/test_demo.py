"""The demo generator: real geography, fictional people, deterministic."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from shapely.geometry import Point
from shapely.ops import unary_union

from geoservice.demo import make_demo
from geoservice.errors import UserError
from geoservice.store import GeoPackageStore

DEMO_START = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def demo(demo_osm: Path):  # type: ignore[no-untyped-def]
    return make_demo(demo_osm, start=DEMO_START)


def test_sizes_and_kinds(demo) -> None:  # type: ignore[no-untyped-def]
    assert len(demo.clients) == 150 and len(demo.workers) == 8
    assert 4 <= len(demo.localities) <= 6 and len(demo.hubs) >= 1
    assert sum(w.relief for w in demo.workers) == 1
    types = Counter(r.type for r in demo.resources)
    assert types["toilets"] >= 10 and types["pharmacy"] >= 3 and types["library"] >= 3
    assert len(demo.hotspots) == 16 and all(h.people >= 1 for h in demo.hotspots)


def test_visits_fall_on_weekdays_of_two_weeks(demo) -> None:  # type: ignore[no-untyped-def]
    days = {v.date for v in demo.visits}
    assert days == {DEMO_START + dt.timedelta(days=k) for k in range(14)
                    if (DEMO_START + dt.timedelta(days=k)).weekday() < 5}
    per_worker_day = Counter((v.date, next(c.usual_worker for c in demo.clients if c.id == v.client_id))
                             for v in demo.visits)
    assert 3 <= sorted(per_worker_day.values())[len(per_worker_day) // 2] <= 12


def test_localities_cover_every_client(demo) -> None:  # type: ignore[no-untyped-def]
    area = unary_union([lc.geometry for lc in demo.localities])
    assert all(area.covers(Point(c.lon, c.lat)) for c in demo.clients)
    names = [lc.name for lc in demo.localities]
    assert len(set(names)) == len(names) and "Kluuvi" in names  # named after real OSM places
    assert all(c.locality for c in demo.clients)


def test_clients_live_at_real_addresses(demo) -> None:  # type: ignore[no-untyped-def]
    assert len({(c.lon, c.lat) for c in demo.clients}) == 150
    assert all(c.address and c.address[0].isupper() for c in demo.clients)


def test_deterministic(demo, demo_osm: Path) -> None:  # type: ignore[no-untyped-def]
    again = make_demo(demo_osm, start=DEMO_START)
    assert again.clients == demo.clients and again.visits == demo.visits and again.workers == demo.workers
    other = make_demo(demo_osm, start=DEMO_START, seed=1)
    assert other.clients != demo.clients


def test_demo_workspace_counts(demo_workspace: Path) -> None:
    store = GeoPackageStore(demo_workspace)
    assert len(store.records("clients")) == 150
    assert store.settings()["demo"] == "yes" and store.settings()["timezone"] == "Europe/Helsinki"
    assert (demo_workspace / "demo-data" / "clients.csv").exists()


def test_extract_without_addresses_is_refused(tmp_path: Path) -> None:
    osm = tmp_path / "tiny.osm"
    osm.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" lat="60.1" lon="24.9"/></osm>')
    with pytest.raises(UserError, match="only 0 address points"):
        make_demo(osm, start=DEMO_START)
