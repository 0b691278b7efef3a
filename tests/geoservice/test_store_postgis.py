"""The workspace store on both backends (embedded GeoPackage and a real PostGIS server):
round trips of every kind, settings, versions, all-or-nothing writes and imports; then
what only the shared backend has: its tables, serialised concurrent writers, and being
chosen by a ``postgresql://`` workspace URL in the CLI and the web app.

Tests on the ``postgis`` backend need ``OUTREACH_TEST_POSTGRES`` (see ``conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from geoservice.errors import ImportRejected, UserError, WorkspaceError
from geoservice.io.importer import import_file, import_files
from geoservice.models import KINDS, Client, Hotspot, Hub, Locality, Resource, TimeWindow, Visit, Worker
from geoservice.store import SCHEMA_VERSION, GeoPackageStore, Store, dangling_references, open_store

if TYPE_CHECKING:  # the fixtures' types, from conftest.py beside this file
    from conftest import Backend, PostGISBackend

# A point well inside the demo's road network (central Helsinki).
LON, LAT = 24.9440, 60.1690


def every_kind() -> dict[str, list[Any]]:
    """One or two records of every kind, with the awkward cases: a plain polygon and a
    multipolygon, a worker with no location (a null geometry), empty optional fields,
    a hotspot given as an area, text that needs quoting."""
    square = box(24.93, 60.16, 24.95, 60.18)
    camp = box(24.941, 60.161, 24.942, 60.162)
    two_squares = MultiPolygon([box(24.95, 60.16, 24.96, 60.17), box(24.97, 60.16, 24.98, 60.17)])
    window = TimeWindow(dt.time(9), dt.time(11))
    return {
        "localities": [Locality("L1", "Kamppi", square), Locality("L2", "Two islands", two_squares)],
        "hubs": [Hub("H1", "Central hub", 24.9401, 60.1699, kind="office")],
        "workers": [
            Worker("W1", "Aino", base="H1", skills=frozenset({"nurse"}), locality="L1",
                   absent=frozenset({dt.date(2026, 12, 24), dt.date(2026, 12, 25)})),
            Worker("W2", "Bo", lon=24.9512345, lat=60.1612345, mode="walk", relief=True, hours_per_week=18.5,
                   shift=TimeWindow(dt.time(8, 30), dt.time(16, 30)), lunch_minutes=0),
        ],
        "clients": [
            Client(id="A", name="Åsa O'Brien; \"Ås\"", lon=24.9412345, lat=60.1712345, address="Kaivokatu 8",
                   locality="L1", usual_worker="W1", need_weight=1.5, visit_minutes=60,
                   skills=frozenset({"nurse", "sv"}), pinned=True,
                   windows=(window, TimeWindow(dt.time(14), dt.time(16))), notes="Key safe at the back door"),
            Client(id="B", name="Bertil", lon=24.945, lat=60.17),
        ],
        "visits": [
            Visit("V1", "A", dt.date(2026, 12, 1), earliest=dt.time(10), latest=dt.time(10, 30),
                  duration_minutes=30, skills=frozenset({"sv"}), priority=2, worker="W2"),
            Visit("V2", "B", dt.date(2026, 12, 2)),
        ],
        "resources": [
            Resource("R1", "Night shelter", "shelter", 24.93, 60.165, opening_hours="Mo-Su 18:00-09:00",
                     capacity=12.5, phone="+358 9 123"),
            Resource("R2", "Food bank", "food", 24.935, 60.166),
        ],
        "hotspots": [
            Hotspot("S1", 24.94, 60.168, name="Underpass", people=4, last_seen=dt.date(2026, 11, 20)),
            Hotspot("S2", camp.representative_point().x, camp.representative_point().y, area=camp),
        ],
    }


def geometries(store: Store, kind: str) -> list[bytes | None]:
    return [None if g is None else shapely.to_wkb(g) for g in store.frame(kind).geometry]


# -- every backend -------------------------------------------------------------------------


def test_new_workspace_is_empty_and_versioned(backend: Backend) -> None:
    with pytest.raises(WorkspaceError, match="no workspace"):
        backend.open()
    store = backend.open(create=True)
    assert store.settings() == {"schema_version": str(SCHEMA_VERSION)}
    assert all(store.records(kind) == [] for kind in KINDS)
    assert all(store.frame(kind).crs == "EPSG:4326" for kind in KINDS)
    assert backend.open().settings()["schema_version"] == str(SCHEMA_VERSION)  # opens once made


def test_every_kind_round_trips_exactly(backend: Backend) -> None:
    data = every_kind()
    backend.open(create=True).write(data)
    store = backend.open()
    for kind in KINDS:
        assert store.records(kind) == data[kind], kind
    localities = store.records("localities")
    assert [lc.geometry.geom_type for lc in localities] == ["MultiPolygon", "MultiPolygon"]  # promoted
    assert all(lc.geometry.equals(d.geometry) for lc, d in zip(localities, data["localities"], strict=True))
    base_worker, home_worker = store.records("workers")
    assert (base_worker.lon, base_worker.lat) == (None, None)
    assert geometries(store, "workers")[0] is None  # a null geometry, not an empty point
    assert (home_worker.lon, home_worker.lat) == (24.9512345, 60.1612345)
    point, area = store.records("hotspots")
    assert point.area is None
    assert area.area is not None and area.area.equals(data["hotspots"][1].area)
    assert (area.lon, area.lat) == (pytest.approx(24.9415), pytest.approx(60.1615))  # a point of the area
    assert store.records("clients")[0].notes == "Key safe at the back door"
    assert store.records("resources")[1].capacity is None


def test_upsert_keeps_order_and_replace_makes_exact(backend: Backend) -> None:
    store = backend.open(create=True)
    hubs = [Hub(i, f"Hub {i}", 24.94, 60.17) for i in ("H1", "H2", "H3")]
    store.write({"hubs": hubs})
    store.write({"hubs": [Hub("H2", "Renamed", 24.95, 60.18), Hub("H4", "New", 24.96, 60.19)]})
    assert [(h.id, h.name) for h in store.records("hubs")] == [("H1", "Hub H1"), ("H2", "Renamed"),
                                                               ("H3", "Hub H3"), ("H4", "New")]
    assert store.records("hubs")[1].lon == 24.95
    store.write({"hubs": [hubs[2], hubs[0]]}, replace=True)
    assert [h.id for h in backend.open().records("hubs")] == ["H3", "H1"]


def test_settings_and_newer_schema(backend: Backend) -> None:
    store = backend.open(create=True)
    store.set_settings(timezone="Europe/London", network_source="/x.osm.pbf")
    store.set_settings(timezone="Europe/Helsinki")
    assert store.settings() == {"schema_version": str(SCHEMA_VERSION), "timezone": "Europe/Helsinki",
                                "network_source": "/x.osm.pbf"}
    store.write({"hubs": [Hub("H1", "Hub", 24.94, 60.17)]}, settings={"network_modes": "walk"})
    assert backend.open().settings()["network_modes"] == "walk"
    backend.set_schema_version(99)
    with pytest.raises(WorkspaceError, match="newer outreach-planner"):
        backend.open()


def test_dangling_references_block_the_write(demo_backend: tuple[Backend, Store]) -> None:
    backend, store = demo_backend
    before = backend.snapshot()
    workers = [w for w in store.records("workers") if w.id != "W01"]
    with pytest.raises(ImportRejected) as info:
        store.write({"workers": workers}, replace=True)
    assert any("usual_worker" in str(i) and "W01" in str(i) for i in info.value.issues)
    assert backend.snapshot() == before
    assert dangling_references({k: store.records(k) for k in KINDS}) == []


def test_failed_write_leaves_no_trace(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    data = every_kind()
    store = backend.open(create=True)
    store.write({"localities": data["localities"]})
    before = backend.snapshot()
    backend.fail_after_first_layer(monkeypatch)
    with pytest.raises(Exception, match=r"disk full|division by zero"):
        store.write({"hubs": data["hubs"], "workers": data["workers"]}, settings={"timezone": "UTC"})
    assert backend.snapshot() == before
    monkeypatch.undo()
    assert store.records("hubs") == [] and "timezone" not in store.settings()
    store.write({"hubs": data["hubs"]})  # the store is usable after a failed write
    assert backend.open().records("hubs") == data["hubs"]


def test_rejected_import_changes_nothing(demo_backend: tuple[Backend, Store], tmp_path: Path) -> None:
    backend, store = demo_backend
    bad = tmp_path / "clients.csv"
    bad.write_text(f"id,name,lat,lon,usual_worker\nCN1,New,{LAT},{LON},W01\nCN2,Bad,{LAT},{LON},WX\n",
                   encoding="utf-8")
    before = backend.snapshot()
    with pytest.raises(ImportRejected) as info:
        import_file(store, "clients", bad)
    assert [i.row for i in info.value.issues] == ["row 3"]
    assert backend.snapshot() == before


def test_import_files_is_one_transaction(demo_backend: tuple[Backend, Store], tmp_path: Path) -> None:
    backend, store = demo_backend
    hubs = tmp_path / "hubs.csv"
    hubs.write_text(f"id,name,lat,lon\nHN,New Hub,{LAT},{LON}\n", encoding="utf-8")
    workers = tmp_path / "workers.csv"
    workers.write_text("id,name,base\nWN,New Worker,HN\nWB,Bad,HX\n", encoding="utf-8")
    before = backend.snapshot()
    with pytest.raises(ImportRejected):
        import_files(store, {"hubs": hubs, "workers": workers})
    assert backend.snapshot() == before, "the valid hubs file must not be stored alone"
    workers.write_text("id,name,base\nWN,New Worker,HN\n", encoding="utf-8")
    import_files(store, {"hubs": hubs, "workers": workers})
    assert next(w for w in backend.open().records("workers") if w.id == "WN").base == "HN"


# -- the same records from both ------------------------------------------------------------


def test_postgis_returns_what_the_geopackage_returns(postgis_backend: PostGISBackend, tmp_path: Path,
                                                     demo_workspace: Path) -> None:
    data = every_kind()
    gpkg = GeoPackageStore(tmp_path / "ws", create=True)
    gpkg.write(data)
    postgis = postgis_backend.open(create=True)
    postgis.write(data)
    for kind in KINDS:
        assert postgis.records(kind) == gpkg.records(kind), kind
        assert geometries(postgis, kind) == geometries(gpkg, kind), kind
    demo = GeoPackageStore(demo_workspace)
    postgis_backend.fill_with_demo(demo_workspace)
    for kind in KINDS:
        assert postgis.records(kind) == demo.records(kind), kind
        assert geometries(postgis, kind) == geometries(demo, kind), kind
    assert postgis.settings() == demo.settings()


# -- PostGIS only --------------------------------------------------------------------------


def test_tables_geometry_columns_and_indexes(postgis_backend: PostGISBackend) -> None:
    postgis_backend.open(create=True)
    schema = postgis_backend.schema
    columns = {table: (srid, kind) for table, srid, kind in postgis_backend.query(
        "SELECT f_table_name, srid, type FROM geometry_columns WHERE f_table_schema = %s", (schema,))}
    assert columns == {"localities": (4326, "MULTIPOLYGON"), "hubs": (4326, "POINT"), "workers": (4326, "POINT"),
                       "clients": (4326, "POINT"), "resources": (4326, "POINT"), "hotspots": (4326, "GEOMETRY")}
    indexes = postgis_backend.query("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = %s", (schema,))
    gist = {table for table, definition in indexes if "USING gist (geom)" in definition}
    assert gist == set(columns)
    assert postgis_backend.query(f'SELECT value FROM "{schema}".outreach_meta WHERE key = %s',
                                 ("schema_version",)) == [(str(SCHEMA_VERSION),)]
    types = dict(postgis_backend.query("SELECT column_name, data_type FROM information_schema.columns "
                                       "WHERE table_schema = %s AND table_name = 'clients'", (schema,)))
    assert (types["need_weight"], types["visit_minutes"], types["pinned"], types["windows"]) == (
        "double precision", "bigint", "boolean", "text")


def test_concurrent_writers_are_serialised(postgis_backend: PostGISBackend, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """A removes hub HN while B adds a worker based at HN. Checked against the same old
    state both would pass; serialised, B waits for A's commit and is rejected."""
    import geoservice.store_postgis as store_postgis

    data = every_kind()
    first, second = postgis_backend.open(create=True), postgis_backend.open()
    first.write({**data, "hubs": [*data["hubs"], Hub("HN", "Temporary", 24.94, 60.17)]})
    inside, release = threading.Event(), threading.Event()
    check = store_postgis.dangling_references

    def slow_check(layers: Any) -> Any:
        if threading.current_thread().name == "A":
            inside.set()  # A holds the lock and has read the state
            assert release.wait(30)
        return check(layers)

    monkeypatch.setattr(store_postgis, "dangling_references", slow_check)
    errors: dict[str, BaseException] = {}

    def run(name: str, write: Any) -> None:
        try:
            write()
        except BaseException as e:
            errors[name] = e

    a = threading.Thread(target=run, name="A",
                         args=("A", lambda: first.write({"hubs": data["hubs"]}, replace=True)))
    b = threading.Thread(target=run, name="B",
                         args=("B", lambda: second.write({"workers": [Worker("WX", "X", base="HN")]})))
    a.start()
    assert inside.wait(30)
    b.start()
    deadline = time.monotonic() + 30
    while not postgis_backend.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"):
        assert time.monotonic() < deadline, "B never waited for A's lock"
        time.sleep(0.05)
    assert b.is_alive()
    release.set()
    a.join(30)
    b.join(30)
    assert "A" not in errors
    assert isinstance(errors.get("B"), ImportRejected)
    assert "HN" in str(errors["B"].issues[0])  # type: ignore[attr-defined]
    store = postgis_backend.open()
    assert [h.id for h in store.records("hubs")] == ["H1"]
    assert "WX" not in {w.id for w in store.records("workers")}


def test_parallel_upserts_all_land(postgis_backend: PostGISBackend) -> None:
    postgis_backend.open(create=True).write({"hubs": every_kind()["hubs"]})

    def writer(n: int) -> None:
        store = postgis_backend.open()
        for i in range(5):
            store.write({"hubs": [Hub(f"T{n}-{i}", "Hub", 24.94, 60.17)]})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    store = postgis_backend.open()
    assert sorted(h.id for h in store.records("hubs")) == sorted(["H1"] + [f"T{n}-{i}" for n in range(4)
                                                                          for i in range(5)])
    assert postgis_backend.query(f'SELECT revision FROM "{postgis_backend.schema}".outreach_revision') == [(21,)]


def test_a_reader_sees_another_writers_commit(postgis_backend: PostGISBackend) -> None:
    reader, writer = postgis_backend.open(create=True), postgis_backend.open()
    assert reader.records("hubs") == []  # cached now
    writer.write({"hubs": every_kind()["hubs"]})
    assert [h.id for h in reader.records("hubs")] == ["H1"]


def test_a_field_added_since_the_workspace_was_made_gets_its_column(postgis_backend: PostGISBackend) -> None:
    data = every_kind()
    postgis_backend.open(create=True).write(data)
    postgis_backend.query(f'ALTER TABLE "{postgis_backend.schema}".clients DROP COLUMN notes')
    store = postgis_backend.open()  # as an older version left it: the column comes back, empty
    assert [c.notes for c in store.records("clients")] == ["", ""]
    store.write({"clients": data["clients"]})
    assert store.records("clients")[0].notes == "Key safe at the back door"


# -- choosing the backend ------------------------------------------------------------------


def test_a_postgresql_url_opens_postgis(postgis_backend: PostGISBackend, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from geoservice.store_postgis import PostGISStore
    from geoservice.workflow import ensure_workspace

    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(WorkspaceError, match="no workspace in postgresql://"):
        ensure_workspace(postgis_backend.url)
    store = open_store(postgis_backend.url, create=True)
    assert isinstance(store, PostGISStore) and store.schema == postgis_backend.schema
    assert store.root.parent == tmp_path / "data" and store.root.is_dir()
    assert store.outputs_dir == store.root / "outputs"
    assert isinstance(ensure_workspace(postgis_backend.url), PostGISStore)
    store.close()
    assert isinstance(open_store(tmp_path / "ws", create=True), GeoPackageStore)


def test_location_rules_without_a_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("psycopg")
    from geoservice.store_postgis import describe, local_data_dir, split_workspace_url

    assert split_workspace_url("postgresql://u:secret@db.example:5433/team?schema=ward_a&sslmode=require") == (
        "postgresql://u:secret@db.example:5433/team?sslmode=require", "ward_a")
    assert split_workspace_url("postgresql:///team") == ("postgresql:///team", "outreach")
    with pytest.raises(UserError, match="bad schema"):
        split_workspace_url("postgresql:///team?schema=Robert');DROP")
    assert describe("postgresql://u:secret@db.example:5433/team", "ward_a") == \
        "postgresql://u@db.example:5433/team (schema ward_a)"
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path))
    here = local_data_dir("postgresql://u:secret@db.example:5433/team", "ward_a")
    assert here.parent == tmp_path and here.name.startswith("team-ward_a-")
    assert local_data_dir("postgresql://other:pw@db.example:5433/team", "ward_a") == here  # same for every user
    assert local_data_dir("postgresql://u@db.example:5433/team", "ward_b") != here
    monkeypatch.delenv("OUTREACH_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert local_data_dir("postgresql:///team", "outreach").parent == tmp_path / "xdg" / "outreach-planner"
    with pytest.raises(WorkspaceError, match=re.escape("cannot reach the workspace postgresql://nobody@127.0.0.1:1/x")):
        open_store("postgresql://nobody:hunter2@127.0.0.1:1/x")
    with pytest.raises(WorkspaceError, match="not a PostgreSQL URL"):
        open_store(Path("postgresql://u@h/db"))  # '//' lost to pathlib


def test_cli_and_web_app_on_postgis(postgis_backend: PostGISBackend, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from geoservice.cli import main
    from geoservice.web.accounts import add_user
    from geoservice.web.app import create_app

    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path / "data"))
    url = postgis_backend.url
    hubs = tmp_path / "hubs.csv"
    hubs.write_text(f"id,name,lat,lon\nH1,Central,{LAT},{LON}\nH2,North,60.18,24.95\n", encoding="utf-8")
    assert main(["import", "hubs", str(hubs), "--workspace", url]) == 0
    capsys.readouterr()
    assert main(["list", "hubs", "--format", "json", "--workspace", url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(h["id"], h["lon"], h["lat"]) for h in listed] == [("H1", LON, LAT), ("H2", 24.95, 60.18)]
    workers = tmp_path / "workers.csv"
    workers.write_text("id,name,base\nW1,Aino,H9\n", encoding="utf-8")
    assert main(["import", "workers", str(workers), "--workspace", url]) == 2
    assert "'H9'" in capsys.readouterr().err
    assert postgis_backend.open().records("workers") == []

    token = add_user(url, "admin", "admin", "correct horse battery")
    store = open_store(url)
    assert (store.root / "app.sqlite").exists()  # the web accounts are local, beside the network cache
    app = create_app({"WORKSPACE": url, "TESTING": True, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    assert client.get("/api/health").status_code == 200
    reply = client.post("/api/import/hubs", data=f"id,name,lat,lon\nH3,East,{LAT},24.96\n".encode(),
                        content_type="text/csv", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.get_json()
    assert [h.id for h in postgis_backend.open().records("hubs")] == ["H1", "H2", "H3"]
