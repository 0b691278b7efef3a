"""Logging in: sessions through the form, bearer tokens, CSRF on form posts, rate limits."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from webcheck import PASSWORD, USERS, csrf_token, login

from geoservice.errors import NotFoundError, UserError
from geoservice.web import add_user
from geoservice.web.accounts import Accounts, revoke_tokens, set_password
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


def _logout(client: FlaskClient, page: str = "/maps/coverage") -> Any:
    return client.post("/logout", data={"csrf_token": csrf_token(client.get(page).get_data(as_text=True))})


def _copy_session(app_client: FlaskClient, other: FlaskClient) -> None:
    cookie = app_client.get_cookie("session")
    assert cookie is not None
    other.set_cookie("session", cookie.value)


def test_logging_out_kills_a_copied_cookie(client: FlaskClient, app: Flask) -> None:
    assert login(client, "max-manager").status_code == 302
    thief = app.test_client()
    _copy_session(client, thief)
    assert thief.get("/maps/gaps").status_code == 200, "a copied cookie works while the session lives"
    assert _logout(client).status_code == 302
    assert thief.get("/maps/gaps").status_code == 302, "logging out ends every session of the user"
    assert thief.get("/api/gaps").status_code == 401


def test_revoking_ends_tokens_and_sessions(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    assert login(client, "max-manager").status_code == 302
    assert client.get("/api/gaps", headers=auth("max-manager")).status_code == 200
    change = revoke_tokens(workspace_root, "Max-Manager")
    assert change.as_json() == {"username": "max-manager", "action": "revoke", "tokens_revoked": 1,
                                "sessions_ended": True}
    assert change.text() == ("user max-manager: 1 API token revoked and every login session ended "
                             "(make a new token in the admin page)")
    assert client.get("/api/gaps", headers=auth("max-manager")).status_code == 401
    assert client.get("/maps/gaps").status_code == 302, "the session is gone too"
    assert login(client, "max-manager").status_code == 302, "the password still works"
    assert client.get("/api/gaps", headers=auth("ada-admin")).status_code == 200, "nobody else is touched"
    book = Accounts.of_workspace(workspace_root)
    assert book.audit_log(limit=2)[1].action == "revoke user" and book.audit_log(limit=2)[1].target == "max-manager"
    with pytest.raises(NotFoundError, match="no user 'nobody'"):
        revoke_tokens(book, "nobody")


def test_a_new_password_ends_sessions(client: FlaskClient, auth: Auth, workspace_root: Path) -> None:
    assert login(client, "max-manager").status_code == 302
    book = Accounts.of_workspace(workspace_root)
    with pytest.raises(UserError, match="too short"):
        set_password(book, "max-manager", "short")
    assert client.get("/maps/gaps").status_code == 200, "a refused change changes nothing"
    change = set_password(book, "max-manager", "a-new-long-password")
    assert change.as_json()["action"] == "password" and "password changed" in change.text()
    assert client.get("/maps/gaps").status_code == 302
    assert login(client, "max-manager").status_code == 401, "the old password is dead"
    assert login(client, "max-manager", "a-new-long-password").status_code == 302
    assert client.get("/api/gaps", headers=auth("max-manager")).status_code == 200, "tokens stay"
    stored = sqlite3.connect(workspace_root / "app.sqlite").execute(
        "SELECT password_hash FROM users WHERE username = 'max-manager'").fetchone()[0]
    assert stored.startswith("scrypt:") and "a-new-long-password" not in stored


def test_disabling_ends_sessions(client: FlaskClient, app: Flask, workspace_root: Path) -> None:
    assert login(client, "max-manager").status_code == 302
    book = Accounts.of_workspace(workspace_root)
    book.set_active("max-manager", False)
    book.set_active("max-manager", True)
    assert client.get("/maps/gaps").status_code == 302, "enabled again, but the old session stays dead"


def test_admin_page_replaces_and_revokes_tokens(client: FlaskClient, auth: Auth, tokens: dict[str, str]) -> None:
    assert login(client, "ada-admin").status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    assert "new token (revokes the old)" in page and "revoke tokens and sessions" in page and "set password" in page
    reply = client.post("/admin/users/max-manager/token", data={"csrf_token": csrf_token(page)})
    new = reply.get_data(as_text=True).split('<code class="token">')[1].split("</code>")[0]
    assert client.get("/api/gaps", headers=auth("max-manager")).status_code == 401, "the old token is revoked"
    assert client.get("/api/gaps", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    reply = client.post("/admin/users/max-manager/revoke", data={"csrf_token": csrf_token(page)})
    assert reply.status_code == 200 and "1 API token revoked; every login session ended" in reply.get_data(
        as_text=True)
    assert client.get("/api/gaps", headers={"Authorization": f"Bearer {new}"}).status_code == 401
    reply = client.post("/admin/users/otto-outreach/password",
                        data={"csrf_token": csrf_token(page), "password": "another-long-password"})
    assert "otto-outreach: password changed" in reply.get_data(as_text=True)
    reply = client.post("/admin/users/otto-outreach/password", data={"csrf_token": csrf_token(page), "password": "x"})
    assert reply.status_code == 302 and "too short" in client.get("/admin/users").get_data(as_text=True)
    actions = [(e.action, e.target) for e in Accounts.of_workspace(client.application.config["WORKSPACE"])
               .audit_log(limit=3)]
    assert actions == [("password user", "otto-outreach"), ("revoke user", "max-manager"),
                       ("token user", "max-manager")]
    _logout(client, "/admin/users")
    assert login(client, "otto-outreach", "another-long-password").status_code == 302


def test_failed_logins_are_audited_without_the_password(client: FlaskClient, workspace_root: Path) -> None:
    assert login(client, "Max-Manager", "not-my-password").status_code == 401
    assert login(client, "hunter2-typed-as-a-name", "whatever-else").status_code == 401
    rows = [(e.username, e.role, e.action, e.target, e.records)
            for e in Accounts.of_workspace(workspace_root).audit_log(limit=2)]
    assert rows == [("(unknown user)", "", "failed login", "from 127.0.0.1", 0),
                    ("max-manager", "manager", "failed login", "from 127.0.0.1", 0)]
    with sqlite3.connect(workspace_root / "app.sqlite") as db:
        everything = " ".join(str(v) for row in db.execute("SELECT * FROM audit") for v in row)
    assert "not-my-password" not in everything and "hunter2" not in everything and "whatever" not in everything


def test_login_refuses_next_with_control_characters(client: FlaskClient) -> None:
    for evil in ["/\r\nX-Injected: 1", "/\\evil.example/x", "/\tx", "/x\x7f"]:
        page = client.get("/login").get_data(as_text=True)
        form = {"username": "otto-outreach", "password": PASSWORD, "csrf_token": csrf_token(page)}
        reply = client.post("/login", query_string={"next": evil}, data=form)
        assert reply.status_code == 302 and reply.headers["Location"] == "/", evil
        _logout(client, "/maps/gaps")
    page = client.get("/login").get_data(as_text=True)
    form = {"username": "otto-outreach", "password": PASSWORD, "csrf_token": csrf_token(page)}
    reply = client.post("/login?next=/%0d%0aX", data=form)
    assert reply.status_code == 302 and reply.headers["Location"] == "/"


def test_an_accounts_file_from_before_session_versions_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, "
                   "role TEXT NOT NULL, password_hash TEXT NOT NULL, worker_id TEXT, localities TEXT, "
                   "active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL)")
        db.execute("INSERT INTO users (username, role, password_hash, created_at) VALUES ('old', 'admin', 'x', 'now')")
    book = Accounts(path)
    assert book.user_named("old").session_version == 0
    book.end_sessions("old")
    assert Accounts(path).user_named("old").session_version == 1
