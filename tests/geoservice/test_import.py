"""Importing files into a workspace: each loader, each kind of bad input, atomicity."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from geoservice.errors import ImportRejected, UserError
from geoservice.io.importer import import_file, import_files
from geoservice.store import GeoPackageStore

# A point well inside the demo's road network (central Helsinki).
LON, LAT = 24.9440, 60.1690


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _digest(store: GeoPackageStore) -> str:
    return hashlib.sha256(store.path.read_bytes()).hexdigest()


def _rejected(store: GeoPackageStore, kind: str, path: Path) -> list[str]:
    """Import that must fail: returns the issues as text, and checks nothing changed."""
    before = _digest(store)
    with pytest.raises(ImportRejected) as info:
        import_file(store, kind, path)
    assert _digest(store) == before, "a rejected import changed the workspace"
    return [str(i) for i in info.value.issues]


def test_csv_clients_added_and_updated(workspace: GeoPackageStore, tmp_path: Path) -> None:
    n = len(workspace.records("clients"))
    path = _write(tmp_path / "new.csv",
                  "id,name,lat,lon,usual_worker,windows,skills,need_weight,visit_minutes\n"
                  f"X1,Test Person,{LAT},{LON},W01,09:00-11:00;14:00-15:00,Nurse;FI,2,60\n"
                  f"C001,Renamed Client,{LAT},{LON},W02,,,1,45\n")
    report = import_file(workspace, "clients", path)
    assert report.count == 2
    clients = {c.id: c for c in workspace.records("clients")}
    assert len(clients) == n + 1
    x1 = clients["X1"]
    assert (x1.lon, x1.lat, x1.usual_worker, x1.need_weight, x1.visit_minutes) == (LON, LAT, "W01", 2.0, 60)
    assert [str(w) for w in x1.windows] == ["09:00-11:00", "14:00-15:00"]
    assert x1.skills == frozenset({"nurse", "fi"})
    assert x1.locality is not None, "locality is filled in from the locality polygons"
    assert clients["C001"].name == "Renamed Client" and clients["C001"].usual_worker == "W02"


def test_geojson_with_projected_crs_is_reprojected(workspace: GeoPackageStore, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"id": ["R-new"], "name": ["Night shelter"], "type": ["Shelter"],
                              "opening_hours": ["Mo-Su 18:00-08:00"], "capacity": [40]},
                             geometry=[Point(LON, LAT)], crs=4326).to_crs(3067)  # ETRS-TM35FIN
    path = tmp_path / "resources.geojson"
    frame.to_file(path, driver="GeoJSON")
    report = import_file(workspace, "resources", path)
    assert any("reprojected from EPSG:3067" in n for n in report.notes)
    shelter = next(r for r in workspace.records("resources") if r.id == "R-new")
    assert shelter.type == "shelter" and shelter.capacity == 40
    assert shelter.lon == pytest.approx(LON, abs=1e-6) and shelter.lat == pytest.approx(LAT, abs=1e-6)


def test_geopackage_localities_replace(workspace: GeoPackageStore, tmp_path: Path) -> None:
    w, s, e, n = 24.930, 60.160, 24.960, 60.182
    frame = gpd.GeoDataFrame({"id": ["L1", "L2"], "name": ["West", "East"]},
                             geometry=[box(w, s, (w + e) / 2, n), box((w + e) / 2, s, e, n)], crs=4326)
    path = tmp_path / "localities.gpkg"
    frame.to_file(path, driver="GPKG")
    with pytest.raises(ImportRejected) as info:  # clients and workers still name L3..L5
        import_file(workspace, "localities", path, replace=True)
    assert any("L3" in str(i) and "no longer exists" in str(i) for i in info.value.issues)
    import_file(workspace, "localities", path)  # upsert: L1 and L2 replaced, others kept
    names = {lc.id: lc.name for lc in workspace.records("localities")}
    assert names["L1"] == "West" and names["L2"] == "East" and len(names) == 5


def test_a_geojson_date_property_is_a_date(workspace: GeoPackageStore, tmp_path: Path) -> None:
    seen = {"type": "Feature", "properties": {"id": "HSD", "people": 4, "last_seen": "2026-12-01"},
            "geometry": {"type": "Point", "coordinates": [LON, LAT]}}
    unseen = {"type": "Feature", "properties": {"id": "HSE", "people": 2},  # no date: NaT in the frame
              "geometry": {"type": "Point", "coordinates": [LON, LAT]}}
    path = _write(tmp_path / "seen.geojson", json.dumps({"type": "FeatureCollection", "features": [seen, unseen]}))
    import_file(workspace, "hotspots", path)
    spots = {h.id: h for h in workspace.records("hotspots")}
    assert str(spots["HSD"].last_seen) == "2026-12-01" and spots["HSE"].last_seen is None


def test_a_locality_far_from_the_network_is_rejected(workspace: GeoPackageStore, tmp_path: Path) -> None:
    path = tmp_path / "far.geojson"
    gpd.GeoDataFrame({"id": ["LX"], "name": ["Gulf of Guinea"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(
        path, driver="GeoJSON")
    issues = _rejected(workspace, "localities", path)
    assert len(issues) == 1 and "feature 1" in issues[0] and "outside the area" in issues[0]


def test_a_geopackage_layer_is_chosen_by_kind(workspace: GeoPackageStore, tmp_path: Path) -> None:
    path = tmp_path / "several.gpkg"
    gpd.GeoDataFrame({"id": ["HX"], "name": ["Not a client"]}, geometry=[Point(LON, LAT)], crs=4326).to_file(
        path, layer="hubs", driver="GPKG")
    gpd.GeoDataFrame({"id": ["CX"], "name": ["A Client"]}, geometry=[Point(LON, LAT)], crs=4326).to_file(
        path, layer="clients", driver="GPKG")
    import_file(workspace, "clients", path)
    clients = {c.id: c.name for c in workspace.records("clients")}
    assert clients["CX"] == "A Client" and "HX" not in clients
    before = _digest(workspace)
    with pytest.raises(UserError, match=r"2 layers \('hubs', 'clients'\) and none is named 'resources'"):
        import_file(workspace, "resources", path)
    assert _digest(workspace) == before


def test_an_update_keeps_the_fields_its_file_does_not_have(workspace: GeoPackageStore, tmp_path: Path) -> None:
    before = {c.id: c for c in workspace.records("clients")}["C005"]
    assert before.usual_worker and before.windows, "the demo's C005 has a usual worker and windows"
    path = _write(tmp_path / "moved.csv",
                  f"id,name,lat,lon\nC005,Moved Person,{LAT},{LON}\nC990,New Person,{LAT},{LON}\n")
    report = import_file(workspace, "clients", path)
    assert any("1 row updates stored clients" in n and "usual_worker" in n for n in report.notes)
    after = {c.id: c for c in workspace.records("clients")}
    moved = after["C005"]
    assert (moved.name, moved.lon, moved.lat) == ("Moved Person", LON, LAT)
    assert (moved.usual_worker, moved.windows, moved.need_weight, moved.notes) == (
        before.usual_worker, before.windows, before.need_weight, before.notes)
    assert after["C990"].usual_worker is None and after["C990"].windows == (), "new rows take the defaults"
    worker = workspace.records("workers")[0]
    import_file(workspace, "workers", _write(tmp_path / "hours.csv", f"id,hours_per_week\n{worker.id},22.123456789\n"))
    import_file(workspace, "workers", _write(tmp_path / "skills.csv", f"id,skills\n{worker.id},nurse\n"))
    changed = workspace.records("workers")[0]
    assert changed.hours_per_week == 22.123456789, "kept numbers keep every digit"
    assert (changed.base, changed.lon, changed.lat, changed.shift, changed.skills) == (
        worker.base, worker.lon, worker.lat, worker.shift, frozenset({"nurse"}))


def test_hotspot_polygon_gets_a_point(workspace: GeoPackageStore, tmp_path: Path) -> None:
    area = box(LON - 0.001, LAT - 0.0005, LON + 0.001, LAT + 0.0005)
    path = tmp_path / "hotspots.geojson"
    gpd.GeoDataFrame({"id": ["HSX"], "people": [7]}, geometry=[area], crs=4326).to_file(path, driver="GeoJSON")
    import_file(workspace, "hotspots", path)
    spot = next(h for h in workspace.records("hotspots") if h.id == "HSX")
    assert area.contains(Point(spot.lon, spot.lat)) and spot.area is not None and spot.people == 7


def test_unclosed_and_self_crossing_polygons_are_named(workspace: GeoPackageStore, tmp_path: Path) -> None:
    ring = [[LON, LAT], [LON + 0.001, LAT], [LON + 0.001, LAT + 0.001]]  # three points, not closed
    bowtie = [[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT], [LON, LAT + 0.001], [LON, LAT]]
    features = [{"type": "Feature", "properties": {"id": ident, "people": 3},
                 "geometry": {"type": "Polygon", "coordinates": [coords]}}
                for ident, coords in (("HS-A", ring), ("HS-B", bowtie))]
    features.append({"type": "Feature", "properties": {"id": "HS-C", "people": 2},
                     "geometry": {"type": "Point", "coordinates": [LON, LAT]}})
    path = _write(tmp_path / "hotspots.geojson", json.dumps({"type": "FeatureCollection", "features": features}))
    issues = _rejected(workspace, "hotspots", path)
    assert len(issues) == 2, issues
    assert "feature 1" in issues[0] and "geometry" in issues[0] and "closed" in issues[0]
    assert "feature 2" in issues[1] and "geometry" in issues[1]


def test_every_bad_row_is_reported(workspace: GeoPackageStore, tmp_path: Path) -> None:
    path = _write(tmp_path / "clients.csv",
                  "id,name,lat,lon,usual_worker,locality,windows\n"
                  f"Y1,Good Row,{LAT},{LON},W01,,\n"
                  f"Y2,Bad Lat,91.5,{LON},W01,,\n"
                  f"Y3,Not Number,{LAT},east,W01,,\n"
                  f"Y1,Duplicate,{LAT},{LON},W01,,\n"
                  f"Y4,Unknown Worker,{LAT},{LON},W99,,\n"
                  f"Y5,Unknown Locality,{LAT},{LON},W01,Atlantis,\n"
                  f"Y6,Bad Window,{LAT},{LON},W01,,12:00-10:00\n"
                  f"Y7,Far Away,51.5,-0.12,W01,,\n"
                  f"Y8,Swapped,{LON},{LAT},W01,,\n")
    issues = _rejected(workspace, "clients", path)
    expected = [
        ("row 3", "'lat' = '91.5'", "between -90 and 90"),
        ("row 4", "'lon' = 'east'", "not a number"),
        ("row 5", "'id' = 'Y1'", "duplicate id (first used in row 2)"),
        ("row 6", "'usual_worker' = 'W99'", "unknown worker"),
        ("row 7", "'locality' = 'Atlantis'", "unknown locality"),
        ("row 8", "'windows' = '12:00-10:00'", "ends (10:00) before it starts (12:00)"),
        ("row 9", "lat/lon", "outside the area of the workspace's road network"),
        ("row 10", "lat/lon", "lat and lon look swapped"),
    ]
    for row, field, message in expected:
        assert any(row + ":" in i and field in i and message in i for i in issues), (row, issues)
    assert len(issues) == len(expected) and all(i.startswith("clients.csv, row") for i in issues)


@pytest.mark.parametrize(("text", "message"), [
    ("id,name\nZ1,No Location\n", "missing required column(s): lat and lon (or address)"),
    ("name,lat,lon\nNo Id,60.17,24.94\n", "missing required column(s): id"),
    ("id,name,lat,lon\n,Empty Id,60.17,24.94\n", "field 'id': is required but empty"),
    ("id;name;lat;lon\nZ1;Semi;60.17;24.94\n", "separated by ';'"),
])
def test_file_level_problems(workspace: GeoPackageStore, tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "clients.csv", text)
    before = _digest(workspace)
    with pytest.raises(UserError) as info:
        import_file(workspace, "clients", path)
    issues = info.value.issues if isinstance(info.value, ImportRejected) else [info.value]
    assert any(message in str(i) for i in issues), [str(i) for i in issues]
    assert _digest(workspace) == before


def test_missing_file_and_unknown_format(workspace: GeoPackageStore, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="file not found"):
        import_file(workspace, "clients", tmp_path / "nope.csv")
    with pytest.raises(UserError, match=r"unknown file format '\.xlsx'"):
        import_file(workspace, "clients", _write(tmp_path / "clients.xlsx", "x"))
    with pytest.raises(UserError, match="not a readable"):
        import_file(workspace, "clients", _write(tmp_path / "clients.geojson", "{not json"))
    with pytest.raises(UserError, match="unknown kind"):
        import_file(workspace, "cats", _write(tmp_path / "cats.csv", "id\n1\n"))


def test_geojson_without_crs_in_projected_units(workspace: GeoPackageStore, tmp_path: Path) -> None:
    feature = {"type": "Feature", "properties": {"id": "H9", "name": "Hub"},
               "geometry": {"type": "Point", "coordinates": [385000.0, 6672000.0]}}
    path = tmp_path / "hubs.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    issues = _rejected(workspace, "hubs", path)
    assert any("feature 1" in i and "not lon/lat" in i for i in issues), issues


def test_worker_and_visit_rules(workspace: GeoPackageStore, tmp_path: Path) -> None:
    workers = _write(tmp_path / "workers.csv",
                     "id,name,base,shift,lunch,mode,absent\n"
                     "N1,No Base,,08:00-16:00,,drive,\n"
                     "N2,Odd Lunch,H1,06:00-10:00,12:00-13:00,walk,\n"
                     "N3,Bad Mode,H1,,,tram,\n"
                     "N4,Bad Leave,H1,,,walk,2026-12-09..2026-12-01\n")
    issues = _rejected(workspace, "workers", workers)
    assert any("row 2" in i and "base hub or a home location" in i for i in issues)
    assert any("row 3" in i and "cannot be taken inside both" in i for i in issues)
    assert any("row 4" in i and "'mode' = 'tram'" in i for i in issues)
    assert any("row 5" in i and "ends before it starts" in i for i in issues)
    visits = _write(tmp_path / "visits.csv",
                    "id,client_id,date,earliest,latest\n"
                    "V1,C001,2026-12-01,14:00,10:00\n"
                    "V2,NOPE,2026-12-01,,\n"
                    "V3,C001,12/01/2026,,\n")
    issues = _rejected(workspace, "visits", visits)
    assert any("row 2" in i and "latest start is before earliest" in i for i in issues)
    assert any("row 3" in i and "unknown client" in i for i in issues)
    assert any("row 4" in i and "not a date" in i for i in issues)


def test_import_files_is_one_transaction(workspace: GeoPackageStore, tmp_path: Path) -> None:
    hubs = _write(tmp_path / "hubs.csv", f"id,name,lat,lon\nHN,New Hub,{LAT},{LON}\n")
    workers = _write(tmp_path / "workers.csv", "id,name,base\nWN,New Worker,HN\nWB,Bad,HX\n")
    before = _digest(workspace)
    with pytest.raises(ImportRejected):
        import_files(workspace, {"hubs": hubs, "workers": workers})
    assert _digest(workspace) == before, "the valid hubs file must not be stored alone"
    _write(workers, "id,name,base\nWN,New Worker,HN\n")
    import_files(workspace, {"hubs": hubs, "workers": workers})
    assert next(w for w in workspace.records("workers") if w.id == "WN").base == "HN"


def test_clients_located_by_address(workspace: GeoPackageStore, tmp_path: Path) -> None:
    known = [c for c in workspace.records("clients") if c.address][:2]
    lines = ["id,name,address,usual_worker"] + [f'A{k},Person {k},"{c.address}",W01' for k, c in enumerate(known)]
    good = _write(tmp_path / "by_address.csv", "\n".join(lines) + "\n")
    import_file(workspace, "clients", good)
    placed = {c.id: c for c in workspace.records("clients")}
    for k, c in enumerate(known):
        assert abs(placed[f"A{k}"].lon - c.lon) < 3e-4 and abs(placed[f"A{k}"].lat - c.lat) < 2e-4
    bad = _write(tmp_path / "bad_address.csv", "id,name,address\nB1,Nobody,Nonexistentstreet 999\n"
                 f'B2,Somebody,"{known[0].address}"\n')
    issues = _rejected(workspace, "clients", bad)
    assert len(issues) == 1 and "row 2" in issues[0] and "'address'" in issues[0]


def test_lunch_must_fit_and_visits_must_fit_a_window(workspace: GeoPackageStore, tmp_path: Path) -> None:
    workers = _write(tmp_path / "workers.csv",
                     "id,name,base,shift,lunch,lunch_minutes,days\n"
                     "L1,Short Window,H1,08:00-16:00,12:00-12:20,30,Mo-Fr\n"
                     "L2,Ends At Noon,H1,08:00-12:15,12:00-14:00,30,Mo-Fr\n"
                     "L3,Weekend,H1,08:00-16:00,12:00-14:00,30,Sa-Su\n"
                     "L4,Odd Days,H1,08:00-16:00,,,Mo;Funday\n")
    issues = _rejected(workspace, "workers", workers)
    assert any("row 2" in i and "30-minute lunch" in i for i in issues)
    assert any("row 3" in i and "shift 08:00-12:15" in i for i in issues)
    assert any("row 5" in i and "'days'" in i and "Funday" in i for i in issues)
    assert not any("row 4" in i for i in issues), "a weekend worker is fine"
    clients = _write(tmp_path / "clients.csv", "id,name,lat,lon,windows,visit_minutes\n"
                     f"K1,Long Visit,{LAT},{LON},09:00-09:30;14:00-14:40,45\n")
    issues = _rejected(workspace, "clients", clients)
    assert any("'visit_minutes' = '45'" in i and "longest is 40 min" in i for i in issues)
    resources = _write(tmp_path / "resources.csv",
                       f"id,name,type,lat,lon,capacity\nR9,Hall,shelter,{LAT},{LON},\"1,200\"\n")
    issues = _rejected(workspace, "resources", resources)
    assert any("'capacity'" in i and "ambiguous" in i for i in issues)


def test_working_days_decide_availability(workspace: GeoPackageStore, tmp_path: Path) -> None:
    import datetime as dt

    path = _write(tmp_path / "workers.csv", "id,name,base,days\nWE,Weekend Worker,H1,Fr-Su\n")
    import_file(workspace, "workers", path)
    w = next(w for w in workspace.records("workers") if w.id == "WE")
    assert str(w.days) == "Fr-Su"
    assert w.is_available(dt.date(2026, 11, 28)) and not w.is_available(dt.date(2026, 11, 24))


def test_a_file_of_errors_lists_a_thousand_and_counts_the_rest(workspace: GeoPackageStore, tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", "id,name,lat,lon\n" + "".join(f"B{k},,x,y\n" for k in range(1500)))
    issues = _rejected(workspace, "clients", path)
    assert len(issues) == 1001 and issues[-1].endswith("and 3,500 more problems not listed")


def test_your_own_import_protects_a_demo_workspace(workspace: GeoPackageStore, tmp_path: Path) -> None:
    import datetime as dt

    from geoservice.errors import WorkspaceError
    from geoservice.workflow import build_demo_workspace

    assert workspace.settings()["demo"] == "yes"
    import_file(workspace, "hubs", _write(tmp_path / "hubs.csv", f"id,name,lat,lon\nHX,Mine,{LAT},{LON}\n"))
    assert workspace.settings()["demo"] == "no"
    with pytest.raises(WorkspaceError, match="holds your own data"):
        build_demo_workspace(workspace, start=dt.date(2026, 11, 23), seed=1)


def test_a_new_workspace_is_private(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "private", create=True)
    assert store.root.stat().st_mode & 0o777 == 0o700
