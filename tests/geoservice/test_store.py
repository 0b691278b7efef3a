"""The workspace store: round trips, settings, versions, all-or-nothing writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from geoservice.errors import ImportRejected, WorkspaceError
from geoservice.models import KINDS, Client, TimeWindow, Visit
from geoservice.store import SCHEMA_VERSION, GeoPackageStore, dangling_references


def test_new_workspace_is_empty_and_versioned(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no workspace"):
        GeoPackageStore(tmp_path / "ws")
    store = GeoPackageStore(tmp_path / "ws", create=True)
    assert store.settings()["schema_version"] == str(SCHEMA_VERSION)
    assert all(store.records(kind) == [] for kind in KINDS)


def test_records_round_trip_exactly(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "ws", create=True)
    client = Client(id="A", name="Åsa O'Brien", lon=24.9412345, lat=60.1712345, address="Kaivokatu 8",
                    need_weight=1.5, visit_minutes=60, skills=frozenset({"nurse", "sv"}), pinned=True,
                    windows=(TimeWindow(dt.time(9), dt.time(11)), TimeWindow(dt.time(14), dt.time(16))),
                    notes="Key safe at the back door")
    visit = Visit(id="V", client_id="A", date=dt.date(2026, 12, 1), earliest=dt.time(10), latest=dt.time(10, 30))
    store.write({"clients": [client], "visits": [visit]})
    assert store.records("clients") == [client]
    assert store.records("clients")[0].notes == "Key safe at the back door"
    assert store.records("visits") == [visit]


def test_settings_and_newer_schema(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "ws", create=True)
    store.set_settings(timezone="Europe/London", network_source="/x.osm.pbf")
    store.set_settings(timezone="Europe/Helsinki")
    assert store.settings()["timezone"] == "Europe/Helsinki"
    assert store.settings()["network_source"] == "/x.osm.pbf"
    import pandas as pd
    import pyogrio

    pyogrio.write_dataframe(pd.DataFrame({"key": ["schema_version"], "value": ["99"]}), store.path,
                            layer="outreach_meta", driver="GPKG")
    with pytest.raises(WorkspaceError, match="newer outreach-planner"):
        GeoPackageStore(tmp_path / "ws")


def test_dangling_references_block_the_write(workspace: GeoPackageStore) -> None:
    before = workspace.path.read_bytes()
    workers = [w for w in workspace.records("workers") if w.id != "W01"]
    with pytest.raises(ImportRejected) as info:
        workspace.write({"workers": workers}, replace=True)
    assert any("usual_worker" in str(i) and "W01" in str(i) for i in info.value.issues)
    assert workspace.path.read_bytes() == before
    assert dangling_references({k: workspace.records(k) for k in KINDS}) == []


def test_failed_write_leaves_no_trace(workspace: GeoPackageStore, monkeypatch: pytest.MonkeyPatch) -> None:
    before = workspace.path.read_bytes()
    import pyogrio

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pyogrio, "write_dataframe", broken)
    with pytest.raises(OSError, match="disk full"):
        workspace.write({"hubs": workspace.records("hubs")})
    assert workspace.path.read_bytes() == before
    assert not list(workspace.root.glob("*.new.gpkg"))
