"""Logging in: sessions through the form, bearer tokens, CSRF on form posts, rate limits."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from webcheck import PASSWORD, USERS, csrf_token, login

from geoservice.errors import NotFoundError, UserError
from geoservice.web import add_user
from geoservice.web.accounts import Accounts
from geoservice.web.endpoints import ENDPOINTS

Auth = Callable[[str], dict[str, str]]


def test_api_needs_a_login(client: FlaskClient) -> None:
    for e in ENDPOINTS:
        reply = client.open(f"/api{e.path}", method=e.method, json={})
        assert reply.status_code == 401, e.path
        assert reply.json is not None and "login required" in reply.json["error"] and reply.json["details"] == []
    assert client.post("/api/import/clients", data=b"id\n", content_type="text/csv").status_code == 401
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/api/health").status_code == 200, "health needs no login"


def test_pages_redirect_to_login(client: FlaskClient) -> None:
    for path in ["/", "/maps/coverage", "/maps/route?worker=W01", "/imports", "/admin/users"]:
        reply = client.get(path)
        assert reply.status_code == 302, path
        assert reply.headers["Location"].startswith("/login?next=")


def test_made_up_tokens_get_401(client: FlaskClient, auth: Auth) -> None:
    for header in ["Bearer not-a-real-token-0000", "Bearer opt_" + "x" * 43, "Bearer ", "Basic YWRhOnB3"]:
        reply = client.get("/api/gaps", headers={"Authorization": header})
        assert reply.status_code == 401, header
    assert client.get("/api/localities/coverage", headers=auth("ada-admin")).status_code == 200


def test_a_session_does_not_rescue_a_bad_token(client: FlaskClient) -> None:
    assert login(client, "ada-admin").status_code == 302
    assert client.get("/api/localities/coverage").status_code == 200
    reply = client.get("/api/localities/coverage", headers={"Authorization": "Bearer wrong"})
    assert reply.status_code == 401, "a request with credentials of its own is judged by them alone"


def test_token_calls_leave_no_cookie(client: FlaskClient, auth: Auth) -> None:
    reply = client.get("/maps/gaps", headers=auth("ada-admin"))
    assert reply.status_code == 200 and "Set-Cookie" not in reply.headers


def test_login_form(client: FlaskClient) -> None:
    reply = login(client, "max-manager", "wrong password")
    assert reply.status_code == 401 and "Wrong username or password" in reply.get_data(as_text=True)
    assert client.get("/maps/coverage").status_code == 302
    reply = login(client, "max-manager")
    assert reply.status_code == 302 and reply.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/maps/coverage"
    page = client.get("/maps/coverage").get_data(as_text=True)
    assert "max-manager (manager)" in page
    reply = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert reply.status_code == 302 and client.get("/maps/coverage").status_code == 302


def test_login_goes_back_only_to_this_site(client: FlaskClient) -> None:
    page = client.get("/login?next=/maps/gaps").get_data(as_text=True)
    form = {"username": "otto-outreach", "password": PASSWORD, "csrf_token": csrf_token(page)}
    assert client.post("/login?next=/maps/gaps", data=form).headers["Location"] == "/maps/gaps"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/maps/gaps").get_data(as_text=True))})
    for evil in ["https://evil.example/x", "//evil.example/x", "javascript:alert(1)"]:
        page = client.get("/login").get_data(as_text=True)
        form["csrf_token"] = csrf_token(page)
        assert client.post("/login", query_string={"next": evil}, data=form).headers["Location"] == "/", evil


def test_form_posts_need_a_csrf_token(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    reply = client.post("/login", data={"username": "ada-admin", "password": PASSWORD})
    assert reply.status_code == 400 and "form expired" in reply.get_data(as_text=True)
    assert login(client, "ada-admin").status_code == 302
    before = (workspace_root / "workspace.gpkg").read_bytes()
    csv = b"id,name,lat,lon\nH9,New hub,60.17,24.94\n"
    reply = client.post("/imports", data={"kind": "hubs", "file": (_file(csv), "hubs.csv")},
                        content_type="multipart/form-data")
    assert reply.status_code == 400, "a session form post without a CSRF token is refused"
    assert client.post("/api/import/hubs", data=csv, content_type="text/csv").status_code == 400, \
        "session calls to the API need the token too"
    assert client.post("/logout").status_code == 400
    assert (workspace_root / "workspace.gpkg").read_bytes() == before
    # a bearer-token call needs none
    reply = client.post("/api/import/hubs", data=csv, content_type="text/csv", headers=auth("ada-admin"))
    assert reply.status_code == 200 and reply.json == {"kind": "hubs", "file": "hubs.csv", "count": 1,
                                                        "replace": False, "notes": []}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"LOGIN_RATE_LIMIT_PER_USER": "3 per minute", "LOGIN_RATE_LIMIT": "6 per minute"}


def test_failed_logins_are_rate_limited(client: FlaskClient) -> None:
    assert login(client, "max-manager").status_code == 302, "successful logins do not count"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/maps/coverage").get_data(as_text=True))})
    for _ in range(3):
        assert login(client, "max-manager", "guess").status_code == 401
    reply = login(client, "max-manager")
    assert reply.status_code == 429 and "too many failed logins" in reply.get_data(as_text=True)
    assert login(client, "otto-outreach").status_code == 302, "another user is not locked out"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/maps/gaps").get_data(as_text=True))})
    for name in ["nobody", "no-one", "nemo"]:
        assert login(client, name, "guess").status_code == 401
    assert login(client, "someone-else", "guess").status_code == 429, "6 failures from one address already"


def test_passwords_and_tokens_are_stored_as_hashes(workspace_root: Path, tokens: dict[str, str]) -> None:
    with sqlite3.connect(workspace_root / "app.sqlite") as db:
        stored = dict(db.execute("SELECT username, password_hash FROM users").fetchall())
        token_hashes = {r[0] for r in db.execute("SELECT token_hash FROM tokens")}
    assert set(stored) == set(USERS)
    assert all(h.startswith("scrypt:") and PASSWORD not in h for h in stored.values())
    assert hashlib.sha256(tokens["ada-admin"].encode()).hexdigest() in token_hashes
    assert not any(t in token_hashes for t in tokens.values())


def test_add_user_checks_its_input(workspace_root: Path) -> None:
    with pytest.raises(UserError, match="unknown role"):
        add_user(workspace_root, "x-user", "boss", PASSWORD)
    with pytest.raises(UserError, match="too short"):
        add_user(workspace_root, "x-user", "manager", "short")
    with pytest.raises(UserError, match="needs --worker-id"):
        add_user(workspace_root, "x-user", "worker", PASSWORD)
    with pytest.raises(NotFoundError, match="no worker 'W99'"):
        add_user(workspace_root, "x-user", "worker", PASSWORD, "W99")
    with pytest.raises(NotFoundError, match="no locality 'L9'"):
        add_user(workspace_root, "x-user", "manager", PASSWORD, localities=["L9"])
    with pytest.raises(UserError, match="already exists"):
        add_user(workspace_root, "ADA-admin", "admin", PASSWORD)
    with pytest.raises(UserError, match="no workspace"):
        add_user(workspace_root / "missing", "x-user", "admin", PASSWORD)
    token = add_user(workspace_root, "x-user", "worker", PASSWORD, "W03")
    accounts = Accounts.of_workspace(workspace_root)
    user = accounts.user_for_token(token)
    assert user is not None and (user.username, user.role, user.worker_id) == ("x-user", "worker", "W03")
    accounts.set_active("x-user", False)
    assert accounts.user_for_token(token) is None and accounts.authenticate("x-user", PASSWORD) is None
    assert accounts.secret_key() == Accounts.of_workspace(workspace_root).secret_key(), "kept across restarts"


def test_disabled_users_lose_access(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    assert client.get("/api/localities/coverage", headers=auth("max-manager")).status_code == 200
    Accounts.of_workspace(workspace_root).set_active("max-manager", False)
    assert client.get("/api/localities/coverage", headers=auth("max-manager")).status_code == 401
    assert login(client, "max-manager").status_code == 401


def test_admin_adds_a_user_through_the_form(client: FlaskClient, runner: FlaskCliRunner) -> None:
    assert login(client, "ada-admin").status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    form = {"username": "new-coord", "role": "coordinator", "localities": "L2;L3", "password": PASSWORD,
            "worker_id": "", "csrf_token": csrf_token(page)}
    reply = client.post("/admin/users", data=form)
    text = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "opt_" in text and "L2;L3" in text
    token = text.split('<code class="token">')[1].split("</code>")[0]
    assert client.get("/api/localities/coverage", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    result = runner.invoke(args=["admin", "audit", "--limit", "5"])
    assert result.exit_code == 0 and "add user" in result.output and "new-coord (coordinator)" in result.output


def test_admin_pages_are_for_admins(client: FlaskClient, auth: Auth) -> None:
    for path in ["/imports", "/admin/users", "/admin/audit"]:
        assert client.get(path, headers=auth("max-manager")).status_code == 403, path
        assert client.get(path, headers=auth("ada-admin")).status_code == 200, path


def _file(data: bytes) -> Any:
    import io

    return io.BytesIO(data)
