"""What the web app lets each role see beyond the role rules: k-anonymous coverage figures
(and only at fixed minutes), a relief worker's day for a scoped co-ordinator, scoped
caseload loads, file names instead of server paths, the audit of aggregate views, and
dates out of range."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from webcheck import decoded, exact_locations, table_rows

from geoservice.models import Client
from geoservice.store import GeoPackageStore

Auth = Callable[[str], dict[str, str]]
DAY = "2026-11-24"


def _audit(root: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(root / "app.sqlite") as db:
        return [tuple(r) for r in db.execute("SELECT username, role, action, target, records FROM audit "
                                             "WHERE action != 'login' ORDER BY id")]


# -- H2: coverage counts ---------------------------------------------------------------------------------


def test_outreach_gets_coverage_counts_k_anonymous(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    reply = client.get("/api/localities/coverage?mode=walk&minutes=10", headers=auth("otto-outreach"))
    assert reply.status_code == 200 and reply.json is not None
    walk = {r["id"]: (r["clients"], r["coverage"]["walk"]["clients_covered"], r["coverage"]["walk"]["client_share"])
            for r in reply.json["localities"]}
    # the demo within 10 min on foot: L1 20 of 21 covered, L3 29 of 37, L4 41 of 44 (see test_coverage)
    assert walk == {"L1": (21, None, None), "L2": (22, 22, 1.0), "L3": (37, None, None), "L4": (44, None, None),
                    "L5": (26, 26, 1.0)}
    total = reply.json["total"]
    assert total["clients"] == 150 and total["coverage"]["walk"]["clients_covered"] is None
    assert total["coverage"]["walk"]["client_share"] is None
    admin = client.get("/api/localities/coverage?mode=walk&minutes=10", headers=auth("ada-admin")).json
    assert admin is not None and admin["total"]["coverage"]["walk"]["clients_covered"] == 138
    assert ("otto-outreach", "outreach", "api localities_coverage", "minutes=10.0 mode=walk", 0) \
        in _audit(workspace_root), "aggregate views by the outreach role are audited too"


@pytest.mark.parametrize("user", ["otto-outreach", "wilma-w01"])
def test_aggregate_viewers_get_fixed_minutes_only(client: FlaskClient, auth: Auth, user: str) -> None:
    for minutes in ["1", "4", "7.5", "12", "60"]:
        reply = client.get(f"/api/localities/coverage?mode=walk&minutes={minutes}", headers=auth(user))
        assert reply.status_code == 422 and reply.json is not None, minutes
        assert [d["field"] for d in reply.json["details"]] == ["minutes"]
        assert "5, 10, 15, 20, 30" in reply.json["details"][0]["message"]
    page = client.get("/maps/coverage?mode=walk&minutes=4", headers=auth(user))
    assert page.status_code == 422 and "5, 10, 15, 20, 30" in page.get_data(as_text=True)
    for minutes in ["5", "15", "30"]:
        assert client.get(f"/api/localities/coverage?mode=walk&minutes={minutes}",
                          headers=auth(user)).status_code == 200
    assert client.get("/api/localities/coverage?mode=walk&minutes=4", headers=auth("max-manager")).status_code == 200


def test_scoped_coordinator_gets_a_total_of_their_localities(client: FlaskClient, auth: Auth) -> None:
    reply = client.get("/api/localities/coverage?mode=walk&minutes=5", headers=auth("cora-coordinator")).json
    assert reply is not None and [r["id"] for r in reply["localities"]] == ["L1"]
    l1 = reply["localities"][0]
    assert reply["total"]["clients"] == l1["clients"] == 21, "not the 150 of every locality"
    assert reply["total"]["coverage"]["walk"]["clients_covered"] == l1["coverage"]["walk"]["clients_covered"] == 9
    assert reply["total"]["hotspot_people"] == l1["hotspot_people"] and reply["k_anonymity"] is None


def test_coverage_page_hides_small_shares_and_other_localities(client: FlaskClient, auth: Auth) -> None:
    outreach = decoded(client.get("/maps/coverage?mode=walk&minutes=10", headers=auth("otto-outreach"))
                       .get_data(as_text=True))
    rows = {r[0]: r[1:3] for r in table_rows(outreach, "Within 10 min of a hub")}
    assert rows["all localities"] == ["150", "hidden"]
    assert sorted(cells[1] for cells in rows.values()) == ["22 (100%)", "26 (100%)", "hidden", "hidden", "hidden",
                                                           "hidden"]
    assert outreach.count("covered: hidden (small number)") == 3, "the map's locality tooltips hide the same shares"
    assert "clients: 22, covered: 100%" in outreach and "clients: 21, covered: hidden (small number)" in outreach
    worker = decoded(client.get("/maps/coverage?mode=walk&minutes=10", headers=auth("wilma-w01"))
                     .get_data(as_text=True))
    assert worker.count("covered: hidden (small number)") == 3, "a worker sees the localities' figures k-anonymous"
    scoped = decoded(client.get("/maps/coverage?mode=walk&minutes=10", headers=auth("cora-coordinator"))
                     .get_data(as_text=True))
    assert scoped.count("clients: ") == 1 and "clients: 21, covered: 95%" in scoped, "their locality only"
    assert [r[0] for r in table_rows(scoped, "Within 10 min of a hub")][-1] == "your localities"


# -- H3: a relief worker's day -----------------------------------------------------------------------------


@pytest.fixture
def relief_day(client: FlaskClient, auth: Auth, workspace_root: Path) -> tuple[Client, Client]:
    """Two visits fixed to the relief worker W08 on DAY: one to a client in L3 (in the
    morning), one to a client in L1 (in the afternoon). Returns (L3 client, L1 client)."""
    clients = {c.id: c for c in GeoPackageStore(workspace_root).records("clients")}
    elsewhere, own = clients["C004"], clients["C014"]
    assert (elsewhere.locality, own.locality) == ("L3", "L1")
    csv = (f"id,client_id,date,earliest,latest,worker\nVX-L3,C004,{DAY},10:00,10:30,W08\n"
           f"VX-L1,C014,{DAY},13:00,14:00,W08\n")
    reply = client.post("/api/import/visits", data=csv, content_type="text/csv", headers=auth("ada-admin"))
    assert reply.status_code == 200, reply.json
    return elsewhere, own


def _leaks(body: str, client: Client) -> list[str]:
    plain = decoded(body)
    found = [what for what in (client.id, client.name, client.address, "VX-L3") if what in plain]
    if exact_locations([(client.lon, client.lat)], body):
        found.append("location")
    return found


def test_scoped_coordinator_sees_other_localities_visits_as_busy_time(client: FlaskClient, auth: Auth,
                                                                      relief_day: tuple[Client, Client]) -> None:
    elsewhere, _ = relief_day
    full = client.post("/api/plan", json={"worker": "W08", "date": DAY}, headers=auth("max-manager")).json
    assert full is not None and [v["id"] for v in full["visits"]] == ["VX-L3", "VX-L1"]
    reply = client.post("/api/plan", json={"worker": "W08", "date": DAY}, headers=auth("cora-coordinator"))
    assert reply.status_code == 200 and reply.json is not None
    assert _leaks(reply.get_data(as_text=True), elsewhere) == []
    mine = reply.json
    assert [(v["id"], v["client_id"]) for v in mine["visits"]] == [("VX-L1", "C014")]
    assert mine["busy"] == [{"start": full["visits"][0]["arrival"], "end": full["visits"][0]["departure"]}]
    assert mine["visits"][0]["travel_time_s"] is None and mine["visits"][0]["distance_m"] is None, \
        "the leg from the hidden visit would say how far away it is"
    assert mine["visits"][0]["arrival"] == full["visits"][1]["arrival"]
    assert all(b["after"] in (None, "VX-L1") for b in mine["breaks"])
    assert (mine["travel_time_s"], mine["distance_m"]) == (full["travel_time_s"], full["distance_m"])
    w08 = client.post("/api/plan", json={"worker": "W08", "date": DAY}, headers=auth("ada-admin")).json
    assert w08 is not None and len(w08["visits"]) == 2 and "busy" not in w08


def test_scoped_coordinators_route_page_shows_busy_rows(client: FlaskClient, auth: Auth,
                                                        relief_day: tuple[Client, Client]) -> None:
    elsewhere, own = relief_day
    page = client.get(f"/maps/route?worker=W08&date={DAY}", headers=auth("cora-coordinator")).get_data(as_text=True)
    assert _leaks(page, elsewhere) == []
    rows = table_rows(decoded(page), "Itinerary")
    busy = [r for r in rows if r[4].startswith("busy")]
    assert len(busy) == 1 and busy[0][0] == "" and busy[0][5:8] == ["", "", ""]
    assert busy[0][4] == f"busy (a client outside your localities) {busy[0][1]}–{busy[0][3]}"
    visits = [r for r in rows if r[0]]
    assert [(r[0], r[4]) for r in visits] == [("1", f"{own.name} (VX-L1)")] and visits[0][6:8] == ["", ""]
    plain = decoded(page)
    assert ">1</div>" in plain and ">2</div>" not in plain, "one numbered marker: the visible visit"
    assert "1 of them to clients outside your localities, shown as busy time only" in plain
    manager = decoded(client.get(f"/maps/route?worker=W08&date={DAY}", headers=auth("max-manager"))
                      .get_data(as_text=True))
    assert elsewhere.name in manager and ">2</div>" in manager


def test_scoped_roster_and_audit_leave_out_other_localities(client: FlaskClient, auth: Auth, workspace_root: Path,
                                                             relief_day: tuple[Client, Client]) -> None:
    elsewhere, _ = relief_day
    reply = client.post("/api/roster", json={"date": DAY}, headers=auth("cora-coordinator"))
    assert reply.status_code == 200 and reply.json is not None
    assert _leaks(reply.get_data(as_text=True), elsewhere) == []
    in_l1 = {c.id for c in GeoPackageStore(workspace_root).records("clients") if c.locality == "L1"}
    w08 = [r for r in reply.json["routes"] if r["worker"] == "W08"]
    assert w08 and "VX-L1" in [v["id"] for v in w08[0]["visits"]]
    assert {v["client_id"] for r in reply.json["routes"] for v in r["visits"]} <= in_l1
    client.post("/api/plan", json={"worker": "W08", "date": DAY}, headers=auth("cora-coordinator"))
    assert _audit(workspace_root)[-1] == ("cora-coordinator", "coordinator", "api plan", f"worker=W08 date={DAY}", 1)


def test_weekly_page_names_no_client_of_another_locality(client: FlaskClient, auth: Auth,
                                                         relief_day: tuple[Client, Client]) -> None:
    elsewhere, _ = relief_day
    for fmt in ["html", "csv"]:
        reply = client.get(f"/reports/weekly?week={DAY}&format={fmt}", headers=auth("cora-coordinator"))
        assert reply.status_code == 200 and _leaks(reply.get_data(as_text=True), elsewhere) == []


# -- L4, L7 ---------------------------------------------------------------------------------------------


def test_scoped_balance_shows_only_their_workers_loads(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    store = GeoPackageStore(workspace_root)
    team = client.post("/api/balance", json={}, headers=auth("max-manager")).json
    assert team is not None and {x["worker"] for x in team["before"]["loads"]} >= {"W01", "W02", "W03"}
    scoped = client.post("/api/balance", json={}, headers=auth("cora-coordinator")).json
    assert scoped is not None
    mine = {w.id for w in store.records("workers") if w.locality == "L1" or w.relief}
    for key in ("before", "after"):
        assert {x["worker"] for x in scoped[key]["loads"]} == mine & {x["worker"] for x in team[key]["loads"]} \
            != set()
        assert [x["locality"] for x in scoped[key]["localities"]] == ["L1"]
    assert all(s["where"] in ("the team", "locality " + _name(store, "L1")) or s["where"].split()[-1] in mine
               for s in scoped["shortfalls"])


def _name(store: GeoPackageStore, locality: str) -> str:
    return next(lc.name for lc in store.records("localities") if lc.id == locality)


def test_non_admins_see_the_network_file_name_not_its_path(client: FlaskClient, auth: Auth,
                                                           workspace_root: Path) -> None:
    path = GeoPackageStore(workspace_root).settings()["network_source"]
    assert "/" in path
    name = Path(path).name
    plan = {"worker": "W01", "date": DAY}
    for user in ["max-manager", "wilma-w01"]:
        reply = client.post("/api/plan", json=plan, headers=auth(user))
        assert reply.json is not None and reply.json["provenance"]["source"] == name
        assert path not in reply.get_data(as_text=True)
    coverage = client.get("/api/localities/coverage?mode=walk", headers=auth("otto-outreach"))
    gaps = client.get("/api/gaps?mode=walk", headers=auth("otto-outreach"))
    assert coverage.json is not None and coverage.json["network"]["walk"]["source"] == name
    assert gaps.json is not None and gaps.json["network"]["source"] == name
    assert path not in coverage.get_data(as_text=True) + gaps.get_data(as_text=True)
    admin = client.post("/api/plan", json=plan, headers=auth("ada-admin")).json
    assert admin is not None and admin["provenance"]["source"] == path, "an admin runs the server: the full path"


# -- L2: dates out of range ------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "field"), [
    ("/api/gaps?at=9999-12-31T23:59", "at"),
    ("/api/gaps?at=0001-01-01T00:00", "at"),
    ("/api/gaps?at=tomorrow", "at"),
])
def test_dates_out_of_range_are_422(client: FlaskClient, auth: Auth, path: str, field: str) -> None:
    reply = client.get(path, headers=auth("otto-outreach"))
    assert reply.status_code == 422 and reply.json is not None
    assert [d["field"] for d in reply.json["details"]] == [field]


def test_plan_dates_out_of_range_are_422(client: FlaskClient, auth: Auth) -> None:
    reply = client.post("/api/plan", json={"worker": "W01", "date": "9999-12-31"}, headers=auth("max-manager"))
    assert reply.status_code == 422 and reply.json == {
        "error": "invalid input: date",
        "details": [{"field": "date", "message": "must be between 1970-01-01 and 2100-12-31"}]}
    page = client.get("/maps/route?worker=W01&date=1969-12-31", headers=auth("max-manager"))
    assert page.status_code == 422 and "must be between 1970-01-01 and 2100-12-31" in page.get_data(as_text=True)
    assert client.get("/api/gaps?at=2026-11-24T20:00&mode=walk", headers=auth("otto-outreach")).status_code == 200
