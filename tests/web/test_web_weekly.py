"""The weekly figures page: who may open it, what a scoped co-ordinator sees, the CSV,
the navigation link, and a page that loads nothing from elsewhere and names no client."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from webcheck import decoded, exact_locations, external_reference, table_rows

from geoservice.roster_days import rosters_dir
from geoservice.store import GeoPackageStore
from geoservice.web.accounts import Accounts
from geoservice.weekly import weekly_figures

Auth = Callable[[str], dict[str, str]]
WEEK = dt.date(2026, 11, 25)  # a Wednesday of the demo's first week
PAGE = f"/reports/weekly?week={WEEK}"


@pytest.fixture(scope="module")
def kept_week(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's first week planned once (1 s a day) on a copy: the folder of kept days."""
    root = tmp_path_factory.mktemp("weekly-web") / "ws"
    shutil.copytree(demo_workspace, root)
    store = GeoPackageStore(root)
    weekly_figures(store, WEEK, time_limit=1)
    return rosters_dir(store)


@pytest.fixture
def app_config(workspace_root: Path, kept_week: Path) -> dict[str, Any]:
    """The app plans missing days at 1 s, so the kept days (planned at 1 s) are used as they are."""
    shutil.copytree(kept_week, rosters_dir(GeoPackageStore(workspace_root)))
    return {"SOLVER_TIME_LIMIT": 1}


def _page(client: FlaskClient, path: str, headers: dict[str, str], status: int = 200) -> str:
    reply = client.get(path, headers=headers)
    assert reply.status_code == status, (path, reply.status_code)
    return reply.get_data(as_text=True)


@pytest.mark.parametrize(("user", "status"), [("ada-admin", 200), ("max-manager", 200), ("cora-coordinator", 200),
                                              ("otto-outreach", 403), ("wilma-w01", 403)])
def test_team_roles_only(client: FlaskClient, auth: Auth, user: str, status: int) -> None:
    _page(client, PAGE, auth(user), status)
    _page(client, PAGE + "&format=csv", auth(user), status)


def test_login_needed_and_input_checked(client: FlaskClient, auth: Auth) -> None:
    reply = client.get(PAGE)
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login")
    assert "week" in _page(client, "/reports/weekly?week=next-tuesday", auth("max-manager"), 422)
    for far in ["9999-12-31", "0001-01-01", "2101-01-01", "1969-12-31"]:  # no 500 from the week's links
        page = _page(client, f"/reports/weekly?week={far}", auth("max-manager"), 422)
        assert "week" in page and "must be between 1970-01-01 and 2100-12-31" in page, far
    _page(client, PAGE + "&format=pdf", auth("max-manager"), 422)


def test_manager_sees_the_team_with_charts_and_nothing_from_elsewhere(client: FlaskClient, auth: Auth,
                                                                      workspace_root: Path) -> None:
    page = _page(client, PAGE, auth("max-manager"))
    assert "Weekly figures, week 48: Mon 23 Nov - Sun 29 Nov 2026" in page
    assert page.count("<svg ") == 5 and "Caseload against capacity" in page
    assert external_reference(page) is None and "<script" not in page
    workers = [row[0].split()[0] for row in table_rows(page, "Workers: caseload and visits")]
    assert workers == [f"W0{k}" for k in range(1, 9)]
    names = {lc.id: lc.name for lc in GeoPackageStore(workspace_root).records("localities")}
    assert sorted(row[0] for row in table_rows(page, "Localities")) == sorted(names.values())
    days = table_rows(page, "Days")
    assert len(days) == 5 and all(row[-1] == "1 s solver, kept" for row in days)  # the kept days, not planned again
    store = GeoPackageStore(workspace_root)
    staff = {w.name for w in store.records("workers")}
    clients = store.records("clients")
    plain = decoded(page)
    assert [c.name for c in clients if c.name in plain and c.name not in staff] == []
    assert [c.id for c in clients if f">{c.id}<" in page] == []
    assert exact_locations([(c.lon, c.lat) for c in clients], page) == 0


def test_scoped_coordinator_sees_only_their_localities(client: FlaskClient, auth: Auth,
                                                       workspace_root: Path) -> None:
    store = GeoPackageStore(workspace_root)
    names = {lc.id: lc.name for lc in store.records("localities")}
    theirs = {w.id for w in store.records("workers") if w.locality == "L1" or w.relief}
    page = _page(client, PAGE, auth("cora-coordinator"))  # scoped to L1
    assert [row[0] for row in table_rows(page, "Localities")] == [names["L1"]]
    assert {row[0].split()[0] for row in table_rows(page, "Workers: caseload and visits")} == theirs
    assert not [name for lid, name in names.items() if lid != "L1" and name in page]
    full = {row[0]: row for row in table_rows(_page(client, PAGE, auth("max-manager")), "Localities")}
    assert table_rows(page, "Localities")[0] == full[names["L1"]]
    assert f"Your localities ({names['L1']})" in page
    rows = list(csv.DictReader(io.StringIO(_page(client, PAGE + "&format=csv", auth("cora-coordinator")))))
    assert [(r["level"], r["id"]) for r in rows] == [*(("worker", w) for w in sorted(theirs)), ("locality", "L1"),
                                                      ("team", "team")]
    assert rows[-1]["visits"] == rows[-2]["visits"] and rows[-1]["clients"] == rows[-2]["clients"]


def test_csv_download(client: FlaskClient, auth: Auth) -> None:
    reply = client.get(PAGE + "&format=csv", headers=auth("max-manager"))
    assert reply.mimetype == "text/csv"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="weekly-figures-2026-11-23.csv"'
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))
    assert [r["level"] for r in rows].count("worker") == 8 and rows[-1]["level"] == "team"
    assert int(rows[-1]["visits"]) == sum(int(r["visits"]) for r in rows if r["level"] == "locality")


def test_navigation_link_for_team_roles_only(client: FlaskClient, auth: Auth) -> None:
    assert 'href="/reports/weekly"' in _page(client, "/maps/gaps", auth("max-manager"))
    assert 'href="/reports/weekly"' not in _page(client, "/maps/gaps", auth("otto-outreach"))
    assert 'href="/reports/weekly"' not in _page(client, "/maps/route?worker=W01&date=2026-11-24", auth("wilma-w01"))
    page = _page(client, PAGE, auth("max-manager"))
    assert 'href="/reports/weekly?week=2026-11-16"' in page and 'href="/reports/weekly?week=2026-11-30"' in page


def test_figures_page_is_not_a_client_record_view(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    """Aggregates only, to roles that may see the clients anyway: not in the audit log."""
    _page(client, PAGE, auth("ada-admin"))
    assert not [e for e in Accounts.of_workspace(workspace_root).audit_log() if "weekly" in e.action]
