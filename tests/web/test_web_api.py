"""The JSON API: worker isolation, clear 4xx errors that store nothing, imports, the
OpenAPI description, and the audit log of client-level views."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webcheck import decoded, exact_locations

from geoservice.store import GeoPackageStore
from geoservice.web.endpoints import ENDPOINTS

Auth = Callable[[str], dict[str, str]]
DAY = "2026-11-24"


def test_a_worker_reaches_only_their_own_day(client: FlaskClient, auth: Auth) -> None:
    own = client.post("/api/plan", json={"worker": "W01", "date": DAY}, headers=auth("wilma-w01"))
    assert own.status_code == 200 and own.json is not None
    assert own.json["worker"] == "W01" and own.json["date"] == DAY and own.json["visits"]
    assert all(v["arrival"].startswith(DAY) for v in own.json["visits"])
    roster = client.post("/api/roster", json={"date": DAY}, headers=auth("max-manager"))
    assert roster.status_code == 200 and roster.json is not None and roster.json["routes"]
    assert 0 <= roster.json["continuity"] <= 1
    scoped_roster = client.post("/api/roster", json={"date": DAY}, headers=auth("cora-coordinator"))
    assert scoped_roster.status_code == 200 and scoped_roster.json is not None
    assert {r["worker"] for r in scoped_roster.json["routes"]} <= {"W01", "W08"}, "L1's worker and the relief bank"
    other = client.post("/api/plan", json={"worker": "W02", "date": DAY}, headers=auth("wilma-w01"))
    assert other.status_code == 403 and other.json == {"error": "you may not see worker W02's data", "details": []}
    assert client.post("/api/roster", json={"date": DAY}, headers=auth("wilma-w01")).status_code == 403
    assert client.post("/api/plan", json={"worker": "W02", "date": DAY}, headers=auth("max-manager")).status_code == 200
    scoped = client.post("/api/plan", json={"worker": "W02", "date": DAY}, headers=auth("cora-coordinator"))
    assert scoped.status_code == 403, "W02 works in L2, outside the co-ordinator's scope (L1)"
    relief = client.post("/api/plan", json={"worker": "W08", "date": DAY}, headers=auth("cora-coordinator"))
    assert relief.status_code == 200, "the relief bank covers every locality"
    outreach = client.post("/api/plan", json={"worker": "W01", "date": DAY}, headers=auth("otto-outreach"))
    assert outreach.status_code == 403
    missing = client.post("/api/plan", json={"worker": "W99", "date": DAY}, headers=auth("max-manager"))
    assert missing.status_code == 404 and missing.json is not None and missing.json["error"] == "no worker 'W99'"


@pytest.mark.parametrize(("body", "ctype", "status", "details"), [
    (b"{not json", "application/json", 400, [{"field": "", "message": "not JSON"}]),
    (b"[1, 2]", "application/json", 400, [{"field": "", "message": "not an object"}]),
    (b"[" * 2000 + b"]" * 2000, "application/json", 400, [{"field": "", "message": "not JSON"}]),
    (json.dumps({"worker": "W01", "date": "20261207"}).encode(), "application/json", 422,
     [{"field": "date", "message": "not a date: '20261207' (write YYYY-MM-DD)"}]),
    (b"", "application/json", 422, [{"field": "worker", "message": "required: worker id, e.g. W01"},
                                    {"field": "date", "message": "required: the day, YYYY-MM-DD"}]),
    (json.dumps({"worker": 7, "date": "24.11.2026", "extra": True}).encode(), "application/json", 422,
     [{"field": "extra", "message": "unknown field"}, {"field": "worker", "message": "must be non-empty text"},
      {"field": "date", "message": "not a date: '24.11.2026' (write YYYY-MM-DD)"}]),
])
def test_bad_json_is_named_field_by_field(client: FlaskClient, auth: Auth, body: bytes, ctype: str, status: int,
                                          details: list[dict[str, str]]) -> None:
    reply = client.post("/api/plan", data=body, content_type=ctype, headers=auth("wilma-w01"))
    assert reply.status_code == status and reply.json is not None
    assert reply.json["details"] == details and reply.json["error"]


def test_query_parameters_are_checked(client: FlaskClient, auth: Auth) -> None:
    reply = client.get("/api/gaps?mode=boat&max_minutes=-3", headers=auth("otto-outreach"))
    assert reply.status_code == 422 and reply.json is not None
    assert reply.json["details"] == [{"field": "max_minutes", "message": "must be at least 1"},
                                     {"field": "mode", "message": "must be one of: drive, walk, bike"}]
    unknown = client.get("/api/gaps?resource_type=spaceport", headers=auth("otto-outreach"))
    assert unknown.status_code == 422 and unknown.json is not None and "spaceport" in unknown.json["error"]
    assert [d["field"] for d in unknown.json["details"]] == ["resource_type"]
    assert client.post("/api/balance", json={"max_moves": 2.5}, headers=auth("max-manager")).json == {
        "error": "invalid input: max_moves", "details": [{"field": "max_moves", "message": "must be a whole number"}]}


def test_http_errors_are_json(app: Flask, auth: Auth) -> None:
    @app.get("/api/boom")
    def boom() -> Any:
        raise RuntimeError("secret internal state")

    client = app.test_client()
    reply = client.get("/api/nothing-here", headers=auth("ada-admin"))
    assert reply.status_code == 404 and reply.json is not None and reply.json["error"].startswith("Not Found")
    reply = client.delete("/api/gaps", headers=auth("ada-admin"))
    assert reply.status_code == 405 and reply.json is not None
    assert set(reply.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    reply = client.get("/api/boom", headers=auth("ada-admin"))
    assert reply.status_code == 500 and reply.json is not None
    assert "secret" not in reply.get_data(as_text=True) and reply.json["details"] == []


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"MAX_CONTENT_LENGTH": 4096}


def test_too_big_uploads_get_413(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    before = (workspace_root / "workspace.gpkg").read_bytes()
    body = b"id,name,lat,lon\n" + b"H9,Hub,60.17,24.94\n" * 500
    reply = client.post("/api/import/hubs", data=body, content_type="text/csv", headers=auth("ada-admin"))
    assert reply.status_code == 413 and reply.json is not None and reply.json["error"].startswith("Request Entity")
    assert (workspace_root / "workspace.gpkg").read_bytes() == before


BAD_CLIENTS = (b"id,name,lat,lon,usual_worker,need_weight\n"
               b"C900,Good Row,60.17,24.94,W01,1\n"
               b"C901,Bad Weight,60.17,24.94,W01,heavy\n"
               b"C902,Nowhere,95,24.94,W99,1\n")


def test_rejected_upload_names_every_row_and_stores_nothing(client: FlaskClient, auth: Auth,
                                                             workspace_root: Path) -> None:
    before = (workspace_root / "workspace.gpkg").read_bytes()
    reply = client.post("/api/import/clients", data={"file": (io.BytesIO(BAD_CLIENTS), "clients.csv")},
                        content_type="multipart/form-data", headers=auth("ada-admin"))
    assert reply.status_code == 422 and reply.json is not None
    problems = {(d["row"], d["field"]) for d in reply.json["details"]}
    assert {("row 3", "need_weight"), ("row 4", "usual_worker")} <= problems
    assert any(d["row"] == "row 4" and d["field"] in ("lat", "location") for d in reply.json["details"])
    assert all(d["file"] == "clients.csv" for d in reply.json["details"])
    assert not any(row == "row 2" for row, _ in problems)
    assert (workspace_root / "workspace.gpkg").read_bytes() == before, "nothing stored"
    for status, kwargs in [(400, {"data": b"", "content_type": "text/csv"}),
                           (400, {"data": b"id,name\n", "content_type": "image/png"}),
                           (400, {"data": {"other": (io.BytesIO(b"x"), "x.csv")},
                                  "content_type": "multipart/form-data"}),
                           (400, {"data": b"\x00\x01garbage", "content_type": "application/geo+json"})]:
        reply = client.post("/api/import/clients", headers=auth("ada-admin"), **kwargs)
        assert reply.status_code == status and reply.json is not None and reply.json["error"], kwargs
        assert reply.json["details"] and reply.json["details"][0]["field"] == "file", kwargs
        assert "outreach-upload-" not in reply.get_data(as_text=True), "no server paths in errors"
    unclosed = {"type": "Feature", "properties": {"id": "HSX", "people": 3},
                "geometry": {"type": "Polygon", "coordinates": [[[24.93, 60.16], [24.94, 60.16], [24.94, 60.17]]]}}
    reply = client.post("/api/import/hotspots", data=json.dumps({"type": "FeatureCollection", "features": [unclosed]}),
                        content_type="application/geo+json", headers=auth("ada-admin"))
    assert reply.status_code == 422 and reply.json is not None
    assert [(d["row"], d["field"]) for d in reply.json["details"]] == [("feature 1", "geometry")]
    assert client.post("/api/import/patients", data=b"id\n", content_type="text/csv",
                       headers=auth("ada-admin")).status_code == 404
    assert client.post("/api/import/clients", data=BAD_CLIENTS, content_type="text/csv",
                       headers=auth("max-manager")).status_code == 403, "imports are for admins"
    assert (workspace_root / "workspace.gpkg").read_bytes() == before


def test_import_stores_a_good_file_and_audits_it(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    good = b"id,name,lat,lon,usual_worker\nC900,Newly Added,60.17,24.94,W01\n"
    reply = client.post("/api/import/clients", data=good, content_type="text/csv", headers=auth("ada-admin"))
    assert reply.status_code == 200 and reply.json is not None and reply.json["count"] == 1
    clients = GeoPackageStore(workspace_root).records("clients")
    assert len(clients) == 151 and clients[-1].name == "Newly Added"
    assert _audit(workspace_root)[-1] == ("ada-admin", "admin", "import clients", "add or update", 1)


def test_import_page_lists_every_problem(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    before = (workspace_root / "workspace.gpkg").read_bytes()
    reply = client.post("/imports", data={"kind": "clients", "file": (io.BytesIO(BAD_CLIENTS), "clients.csv")},
                        content_type="multipart/form-data", headers=auth("ada-admin"))
    page = decoded(reply.get_data(as_text=True))
    assert reply.status_code == 422 and "Rejected, nothing stored" in page
    assert "<td>row 3</td><td>need_weight</td><td>heavy</td>" in page and "<td>row 4</td><td>usual_worker</td>" in page
    assert (workspace_root / "workspace.gpkg").read_bytes() == before


def test_gaps_for_outreach(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    store = GeoPackageStore(workspace_root)
    clinics = {r.id for r in store.records("resources") if r.type == "clinic"}
    reply = client.get("/api/gaps?resource_type=clinic&max_minutes=5&mode=walk", headers=auth("otto-outreach"))
    assert reply.status_code == 200 and reply.json is not None
    rows = reply.json["hotspots"]
    assert [r["id"] for r in rows] == [h.id for h in store.records("hotspots")]
    assert all(r["resource_type"] == "clinic" and r["nearest_id"] in clinics for r in rows)
    assert all(r["gap"] == (r["travel_time_s"] > 300) for r in rows), "a gap is beyond 5 minutes"
    assert reply.json["mode"] == "walk" and reply.json["max_minutes"] == 5
    body = reply.get_data(as_text=True)
    clients = store.records("clients")
    assert not [c.name for c in clients if c.name in decoded(body)]
    assert exact_locations([(c.lon, c.lat) for c in clients], body) == 0


def test_locality_coverage_by_role(app: Flask, client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    clients = GeoPackageStore(workspace_root).records("clients")
    expected = Counter(c.locality for c in clients)
    admin = client.get("/api/localities/coverage?minutes=10", headers=auth("ada-admin")).json
    assert admin is not None and {r["id"]: r["clients"] for r in admin["localities"]} == dict(expected)
    assert admin["total"]["clients"] == 150 and admin["k_anonymity"] is None and admin["minutes"] == 10
    assert {c["id"] for c in admin["clients_outside"]} <= {c.id for c in clients}
    scoped = client.get("/api/localities/coverage?minutes=10", headers=auth("cora-coordinator")).json
    assert scoped is not None and [(r["id"], r["clients"]) for r in scoped["localities"]] == [("L1", expected["L1"])]
    in_l1 = {c.id for c in clients if c.locality == "L1"}
    assert {c["id"] for c in scoped["clients_outside"]} == {c["id"] for c in admin["clients_outside"]} & in_l1
    for user in ["otto-outreach", "wilma-w01"]:
        reply = client.get("/api/localities/coverage", headers=auth(user))
        body = reply.get_data(as_text=True)
        assert reply.json is not None and "clients_outside" not in reply.json and reply.json["k_anonymity"] == 5
        assert not [c.name for c in clients if c.name in decoded(body)]
        assert exact_locations([(c.lon, c.lat) for c in clients], body) == 0
    # with k above the two smallest localities, both are hidden
    app.config["K_ANONYMITY"] = sorted(expected.values())[1] + 1
    outreach = client.get("/api/localities/coverage", headers=auth("otto-outreach")).json
    assert outreach is not None and outreach["k_anonymity"] == app.config["K_ANONYMITY"]
    hidden = {r["id"] for r in outreach["localities"] if r["clients"] is None}
    assert hidden == {lid for lid, n in expected.items() if n < app.config["K_ANONYMITY"]} and len(hidden) == 2


def test_balance_by_role(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    clients = GeoPackageStore(workspace_root).records("clients")
    before = (workspace_root / "workspace.gpkg").read_bytes()
    ask = {"leaving": ["W01"], "allow_other_localities": True}
    team = client.post("/api/balance", json=ask, headers=auth("max-manager"))
    assert team.status_code == 200 and team.json is not None
    usual = {c.id: c.usual_worker for c in clients}
    moved = {m["client"] for m in team.json["moves"]}
    placed = moved | {m["client"] for m in team.json["unresolved"]}
    assert {c for c, w in usual.items() if w == "W01"} <= placed, "every client of a leaving worker is placed"
    assert all(m["from"] == usual[m["client"]] and m["to"] != "W01" for m in team.json["moves"])
    scoped = client.post("/api/balance", json=ask, headers=auth("cora-coordinator")).json
    assert scoped is not None
    in_l1 = {c.id for c in clients if c.locality == "L1"}
    assert {m["client"] for m in scoped["moves"]} == moved & in_l1 != set(), "a scoped co-ordinator: their clients"
    for user in ["wilma-w01", "otto-outreach"]:
        assert client.post("/api/balance", json={}, headers=auth(user)).status_code == 403
    assert (workspace_root / "workspace.gpkg").read_bytes() == before, "a proposal: nothing written"
    shown = len(moved) + len(team.json["assigned"]) + len(team.json["unresolved"])
    assert ("max-manager", "manager", "api balance", "leaving=W01 allow_other_localities=True", shown) \
        in _audit(workspace_root)


def test_openapi_describes_every_route(client: FlaskClient, app: Flask, auth: Auth) -> None:
    doc = client.get("/api/openapi.json", headers=auth("otto-outreach")).json
    assert doc is not None and doc["openapi"] == "3.0.3" and doc["info"]["title"] == "outreach-planner"
    routes = {(rule.rule.replace("<kind>", "{kind}"), method.lower()) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert described == routes
    for e in ENDPOINTS:
        op = doc["paths"][f"/api{e.path}"][e.method.lower()]
        assert op["operationId"] == e.name and {"200", "401", "403", "422"} <= set(op["responses"])
    plan = doc["paths"]["/api/plan"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert plan["required"] == ["worker", "date"] and plan["properties"]["date"]["format"] == "date"
    assert doc["paths"]["/api/health"]["get"]["security"] == []
    try:
        from openapi_spec_validator import validate
    except ImportError:
        return
    validate(doc)


def test_client_level_views_are_audited(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    clients = GeoPackageStore(workspace_root).records("clients")
    before = len(_audit(workspace_root))
    assert client.get("/maps/caseload", headers=auth("cora-coordinator")).status_code == 200
    assert client.get(f"/maps/route?worker=W01&date={DAY}", headers=auth("wilma-w01")).status_code == 200
    assert client.get("/maps/coverage", headers=auth("otto-outreach")).status_code == 200, "aggregates, audited too"
    assert client.get("/maps/gaps", headers=auth("max-manager")).status_code == 200, "no client data"
    assert client.post("/api/plan", json={"worker": "W02", "date": DAY}, headers=auth("wilma-w01")).status_code == 403
    rows = _audit(workspace_root)[before:]
    in_l1 = sum(1 for c in clients if c.locality == "L1")
    visits = _visits_of(workspace_root, "W01", dt.date.fromisoformat(DAY))  # planned or not, all are shown
    assert rows == [("cora-coordinator", "coordinator", "page caseload", "", in_l1),
                    ("wilma-w01", "worker", "page route", f"worker=W01 date={DAY}", visits),
                    ("otto-outreach", "outreach", "page coverage", "minutes=15", 0)]
    assert visits > 0
    with sqlite3.connect(workspace_root / "app.sqlite") as db:
        everything = " ".join(str(v) for row in db.execute("SELECT * FROM audit") for v in row)
    assert not any(c.name in everything or c.address in everything for c in clients), "never the client data"


def _audit(root: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(root / "app.sqlite") as db:
        return [tuple(r) for r in db.execute("SELECT username, role, action, target, records FROM audit "
                                             "WHERE action != 'login' ORDER BY id")]


def _visits_of(root: Path, worker: str, day: dt.date) -> int:
    store = GeoPackageStore(root)
    clients = {c.id: c for c in store.records("clients")}
    return sum(1 for v in store.records("visits") if v.date == day
               and (v.worker or clients[v.client_id].usual_worker) == worker)
