"""Map pages: what each role sees, no request to another host, security headers, and a
phone-friendly route page with the itinerary under the map."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from webcheck import LOCAL_ASSET, decoded, exact_locations, external_reference, table_rows

from geoservice.store import GeoPackageStore
from maps.base import ASSET_FILES

Auth = Callable[[str], dict[str, str]]
DAY = dt.date(2026, 11, 24)
PAGES = ["/maps/coverage", "/maps/caseload", "/maps/gaps", f"/maps/route?worker=W01&date={DAY}"]


def _page(client: FlaskClient, path: str, headers: dict[str, str], status: int = 200) -> str:
    reply = client.get(path, headers=headers)
    assert reply.status_code == status, (path, reply.status_code)
    return reply.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_map_pages_load_only_from_this_site(client: FlaskClient, auth: Auth, path: str) -> None:
    page = _page(client, path, auth("ada-admin"))
    assert re.search(r"\bL\.map\(", page) and "L.control.layers" in page, "a Leaflet map with a layer control"
    assert "outreach-legend" in page and ("bindPopup" in page or "bindTooltip" in page), "a legend and popups"
    assert external_reference(page) is None
    assets = set(LOCAL_ASSET.findall(page))
    assert {"/static/maps/leaflet.js", "/static/maps/leaflet.css", "/static/maps/jquery.min.js",
            "/static/style.css", "/favicon.ico"} <= assets
    for asset in assets:
        body = client.get(asset)
        assert body.status_code == 200, asset
        if body.mimetype.startswith("text/") or body.mimetype.endswith("javascript"):
            assert external_reference(body.get_data(as_text=True)) is None, asset


def test_asset_routes(client: FlaskClient) -> None:
    for name in ASSET_FILES:
        assert client.get(f"/static/maps/{name}").status_code == 200, name
    assert client.get("/static/maps/../app.py").status_code == 404
    assert client.get("/static/maps/secret.txt").status_code == 404
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon" and icon.data[:4] == b"\0\0\1\0"


def test_security_headers_and_script_nonces(client: FlaskClient, auth: Auth) -> None:
    reply = client.get("/maps/coverage", headers=auth("ada-admin"))
    csp = reply.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp
    assert reply.headers["X-Content-Type-Options"] == "nosniff" and reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    page = reply.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce.group(1)}"' in attrs for attrs in inline), "every inline script"
    again = client.get("/maps/coverage", headers=auth("ada-admin")).headers["Content-Security-Policy"]
    assert again != csp, "a new nonce per response"


@pytest.mark.parametrize("path", ["/maps/coverage", "/maps/gaps"])
def test_outreach_sees_no_client_name_or_location(client: FlaskClient, auth: Auth, workspace_root: Path,
                                                  path: str) -> None:
    clients = GeoPackageStore(workspace_root).records("clients")
    points = [(c.lon, c.lat) for c in clients]
    page = _page(client, path, auth("otto-outreach"))
    plain = decoded(page)
    assert [c.name for c in clients if c.name in plain] == []
    assert [c.address for c in clients if c.address and c.address in plain] == []
    # only chance coincidences (a road vertex or a resource within 5 m of a client), under the contract's 5%;
    # an admin sees every client
    assert exact_locations(points, page) <= max(2, len(clients) // 20)
    if path == "/maps/coverage":
        assert exact_locations(points, _page(client, path, auth("ada-admin"))) == len(clients)
        assert "Clients per area" in plain and "Clients are shown as counts per area" in plain
        assert exact_locations(points, page) <= 2
    assert external_reference(page) is None


def test_outreach_may_not_open_client_pages(client: FlaskClient, auth: Auth) -> None:
    assert "caseload" not in _page(client, "/maps/gaps", auth("otto-outreach")).split("<main>")[0]
    _page(client, "/maps/caseload", auth("otto-outreach"), status=403)
    _page(client, f"/maps/route?worker=W01&date={DAY}", auth("otto-outreach"), status=403)


def test_a_worker_sees_only_their_own_caseload_and_route(client: FlaskClient, auth: Auth,
                                                          workspace_root: Path) -> None:
    clients = GeoPackageStore(workspace_root).records("clients")
    own = [c for c in clients if c.usual_worker == "W01"]
    others = [c for c in clients if c.usual_worker != "W01"]
    page = decoded(_page(client, "/maps/caseload", auth("wilma-w01")))
    # names are not unique (a client may share a name with another client or a worker): look for ids
    assert all(f"{c.id} {c.name} (need" in page for c in own)
    assert not [c.id for c in others if f"{c.id} {c.name} (need" in page or c.address in page]
    assert [r[:4] for r in table_rows(page, "Caseloads")] == [["W01", "Magnus Ivanova", "L1", str(len(own))]]
    _page(client, f"/maps/route?worker=W02&date={DAY}", auth("wilma-w01"), status=403)
    assert client.get("/", headers=auth("wilma-w01")).headers["Location"] == "/maps/route?worker=W01"
    default = decoded(_page(client, "/maps/route", auth("wilma-w01")))
    assert "Magnus Ivanova (W01)" in default, "a worker's route page opens on their own day"


def test_route_page_lists_the_days_visits_under_the_map(client: FlaskClient, auth: Auth) -> None:
    plan = client.post("/api/plan", json={"worker": "W01", "date": str(DAY)}, headers=auth("max-manager")).json
    assert plan is not None and len(plan["visits"]) >= 2
    page = decoded(_page(client, f"/maps/route?worker=W01&date={DAY}", auth("max-manager")))
    assert 'name="viewport" content="width=device-width' in page
    assert page.index('class="map-frame"') < page.index("<h2>Itinerary</h2>"), "the itinerary under the map"
    rows = [(r[0], r[1], r[4].rsplit("(", 1)[-1].rstrip(")")) for r in table_rows(page, "Itinerary") if r[0]]
    assert rows == [(str(i), v["arrival"][11:16], v["id"]) for i, v in enumerate(plan["visits"], start=1)], \
        "the planned order and arrival times"
    assert 'class="col-km"' in page, "columns a phone hides have a class"
    assert all(f">{i}</div>" in page for i in range(1, len(plan["visits"]) + 1)), "a numbered marker per visit"
    assert f">{len(plan['visits']) + 1}</div>" not in page and "Start and end" in page
    assert "Leave " in page and "Back at " in page


def test_route_page_input_errors(client: FlaskClient, auth: Auth) -> None:
    page = _page(client, "/maps/route?worker=W01&date=tomorrow", auth("ada-admin"), status=422)
    assert "not a date: &#39;tomorrow&#39;" in page
    _page(client, "/maps/route?worker=W99", auth("ada-admin"), status=404)
    _page(client, "/maps/route", auth("ada-admin"), status=422)
    _page(client, "/maps/elsewhere", auth("ada-admin"), status=404)
    absent = decoded(_page(client, "/maps/route?worker=W02&date=2026-11-30", auth("ada-admin")))
    assert "Sami Rantanen is not working on Monday 30 November 2026." in absent
    assert "Not planned: " in absent and "needs cover" in absent


def test_scoped_coordinator_sees_their_localities(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    clients = GeoPackageStore(workspace_root).records("clients")
    page = decoded(_page(client, "/maps/caseload", auth("cora-coordinator")))
    shown = {c.id for c in clients if f"{c.id} {c.name} (need" in page}
    assert shown == {c.id for c in clients if c.locality == "L1"}
    assert "Magnus Ivanova" in page and "Sami Rantanen" not in page, "W01 works in L1, W02 in L2"


def test_coverage_table_by_role(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    clients = GeoPackageStore(workspace_root).records("clients")
    admin = decoded(_page(client, "/maps/coverage?minutes=10&mode=walk", auth("ada-admin")))
    assert "<h2>Within 10 min of a hub</h2>" in admin and ">clients within 10 min (walk)</th>" in admin
    assert "<h2>Clients outside coverage</h2>" in admin
    outreach = decoded(_page(client, "/maps/coverage?minutes=10&mode=walk", auth("otto-outreach")))
    assert "<h2>Within 10 min of a hub</h2>" in outreach and "Clients outside coverage" not in outreach
    assert not [c.name for c in clients if c.name in outreach]
    assert table_rows(outreach, "Within 10 min of a hub")[-1][1] == "150", "the total"
    _page(client, "/maps/coverage?minutes=0", auth("ada-admin"), status=422)


def test_gaps_page_marks_hotspots_in_gaps(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    hotspots = GeoPackageStore(workspace_root).records("hotspots")
    query = "resource_type=clinic&max_minutes=6&mode=walk"
    page = decoded(_page(client, f"/maps/gaps?{query}", auth("otto-outreach")))
    assert "Resource gaps: 6 min (walk)" in page and "gap over 6 min" in page and "Hotspots: time to clinic" in page
    rows = [(r[0], "(gap)" in r[4]) for r in table_rows(page, "Nearest clinic (gap: over 6 min (walk))")]
    assert sorted(r[0] for r in rows) == sorted(h.id for h in hotspots), "a row per hotspot"
    api = client.get(f"/api/gaps?{query}", headers=auth("otto-outreach")).json
    assert api is not None
    in_gap = {r["id"] for r in api["hotspots"] if r["travel_time_s"] > 360}
    assert {r[0] for r in rows if r[1]} == in_gap and 0 < len(in_gap) < len(hotspots), "6 min splits the hotspots"
    every_type = decoded(_page(client, "/maps/gaps?max_minutes=6&mode=walk", auth("otto-outreach")))
    grid = table_rows(every_type, "Minutes to the nearest resource of each type (gap: over 6 min (walk))")
    types = {r.type for r in GeoPackageStore(workspace_root).records("resources")}
    assert len(grid) == len(hotspots) and all(len(r) == 3 + len(types) for r in grid), "a column per type"
