"""Users, API tokens and the audit log, in an SQLite file in the workspace (``app.sqlite``).

Passwords are stored as salted scrypt hashes (:func:`werkzeug.security.generate_password_hash`);
API tokens as SHA-256 hashes only (a token is 256 random bits, so a fast hash cannot be
brute-forced and lets a request be checked in one indexed look-up). A token is shown
once, when it is made. The audit log says who looked at client-level data (and at
aggregates of it), what (a page or endpoint and its parameters) and when, and records
failed logins (the username and address, never the password); never the client data
itself.

Each user has a *session version*: a login session carries the version it was made
under, and a session whose version is no longer the user's is refused. Logging out,
disabling the user, changing their password and revoking their credentials
(:func:`revoke_tokens`) bump it, so every session cookie of that user, including a
stolen one, stops working at once.

Nothing here knows Flask: the web app and the CLI both call it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from geoservice.errors import NotFoundError, UserError
from geoservice.privacy import ROLES, Viewer

#: The accounts file inside a workspace folder.
ACCOUNTS_FILE = "app.sqlite"
#: Shortest password accepted.
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
_TOKEN_PREFIX = "opt_"
# A hash to check against when the username is unknown, so a wrong username takes as
# long as a wrong password (no user enumeration by timing).
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    worker_id TEXT,
    localities TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    session_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    records INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS app_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class User:
    """A person who can log in: a role, the worker they are (role ``worker``) and an
    optional locality scope (co-ordinators and managers)."""

    id: int
    username: str
    role: str
    worker_id: str | None = None
    localities: frozenset[str] | None = None
    active: bool = True
    session_version: int = 0  #: sessions made under another version are refused

    @property
    def viewer(self) -> Viewer:
        """What this user may see (see :mod:`geoservice.privacy`)."""
        return Viewer(self.role, self.worker_id, self.localities)


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log (UTC time stamp, who, what, how many records)."""

    at: str
    username: str
    role: str
    action: str
    target: str
    records: int


class Accounts:
    """The accounts file of a workspace: users, tokens, audit log, app settings.

    Each method opens its own connection and commits or rolls back as one transaction,
    so it is safe from the threads of a WSGI server.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
            columns = {r["name"] for r in db.execute("PRAGMA table_info(users)")}
            if "session_version" not in columns:  # an accounts file made before session versions
                db.execute("ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0")

    @classmethod
    def of_workspace(cls, workspace: str | Path) -> Accounts:
        """The accounts of the workspace folder ``workspace``."""
        return cls(Path(workspace) / ACCOUNTS_FILE)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        try:
            with db:  # commit on success, roll back on error
                yield db
        finally:
            db.close()

    # -- users ---------------------------------------------------------------------------

    def add_user(self, username: str, role: str, password: str, *, worker_id: str | None = None,
                 localities: Iterable[str] | None = None) -> str:
        """Add a user and return a new API token for them (shown once; only its hash is kept).

        Raises
        ------
        UserError
            Bad username, unknown role, short password, a worker without a worker id, or
            the username is taken.
        """
        if not _USERNAME.match(username):
            raise UserError(f"bad username {username!r}: 2-64 letters, digits or . _ @ -, starting with "
                            "a letter or digit")
        if role not in ROLES:
            raise UserError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
        _check_password(password)
        if role == "worker" and not worker_id:
            raise UserError("a user with the worker role needs --worker-id (the worker they are)")
        if role != "worker" and worker_id:
            raise UserError(f"--worker-id is for the worker role only, not {role}")
        scope = sorted(set(localities)) if localities else None
        if scope is not None and role not in ("coordinator", "manager"):
            raise UserError("a locality scope is for co-ordinators and managers only")
        with self._connect() as db:
            try:
                cur = db.execute(
                    "INSERT INTO users (username, role, password_hash, worker_id, localities, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (username, role, generate_password_hash(password, method="scrypt"), worker_id,
                     ";".join(scope) if scope else None, _now()))
            except sqlite3.IntegrityError:
                raise UserError(f"user {username!r} already exists") from None
            return self._new_token(db, int(cur.lastrowid or 0))

    def new_token(self, username: str) -> str:
        """A further API token for ``username`` (earlier tokens stay valid)."""
        user = self.user_named(username)
        with self._connect() as db:
            return self._new_token(db, user.id)

    def replace_token(self, username: str) -> str:
        """A new API token for ``username`` that replaces all earlier ones (revoked in the
        same transaction); login sessions are left alone."""
        user = self.user_named(username)
        with self._connect() as db:
            db.execute("DELETE FROM tokens WHERE user_id = ?", (user.id,))
            return self._new_token(db, user.id)

    def revoke_tokens(self, username: str) -> int:
        """Invalidate every API token of ``username`` and end every login session of theirs
        (a lost phone or laptop); returns how many tokens there were."""
        user = self.user_named(username)
        with self._connect() as db:
            n = db.execute("DELETE FROM tokens WHERE user_id = ?", (user.id,)).rowcount
            self._bump_sessions(db, user.id)
            return n

    def end_sessions(self, username: str) -> None:
        """End every login session of ``username`` (their session cookies stop working)."""
        user = self.user_named(username)
        with self._connect() as db:
            self._bump_sessions(db, user.id)

    def set_password(self, username: str, password: str) -> None:
        """Give ``username`` a new password and end their login sessions (API tokens stay).

        Raises
        ------
        UserError
            The password is shorter than :data:`MIN_PASSWORD`.
        NotFoundError
            No such user.
        """
        _check_password(password)
        user = self.user_named(username)
        with self._connect() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                       (generate_password_hash(password, method="scrypt"), user.id))
            self._bump_sessions(db, user.id)

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable a user (a disabled user cannot log in, their tokens fail and
        their sessions end)."""
        user = self.user_named(username)
        with self._connect() as db:
            db.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user.id))
            if not active:
                self._bump_sessions(db, user.id)

    def users(self) -> list[User]:
        """Every user, by username."""
        with self._connect() as db:
            return [_user(r) for r in db.execute("SELECT * FROM users ORDER BY username")]

    def user(self, user_id: int) -> User | None:
        """The user with id ``user_id``, or ``None``."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return _user(row) if row else None

    def user_named(self, username: str) -> User:
        """The user called ``username`` (case-insensitive); :class:`NotFoundError` if none."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise NotFoundError(f"no user {username!r}")
        return _user(row)

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user whose username and password these are, or ``None``."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        stored = row["password_hash"] if row else _DUMMY_HASH
        ok = check_password_hash(stored, password)
        if row is None or not ok or not row["active"]:
            return None
        return _user(row)

    def user_for_token(self, token: str) -> User | None:
        """The active user an API token belongs to, or ``None`` for an unknown token."""
        if not token.startswith(_TOKEN_PREFIX) or len(token) > 200:
            return None
        with self._connect() as db:
            row = db.execute("SELECT users.* FROM tokens JOIN users ON users.id = tokens.user_id "
                             "WHERE tokens.token_hash = ?", (_token_hash(token),)).fetchone()
        if row is None or not row["active"]:
            return None
        return _user(row)

    # -- audit log -----------------------------------------------------------------------

    def audit(self, user: User, action: str, *, target: str = "", records: int = 0) -> None:
        """Write one audit row: who (``user``), what (``action``, ``target``), when (now, UTC).

        ``target`` names what was asked for (a worker id and date, a locality scope), never
        client data; ``records`` is how many client-level records were shown.
        """
        self.audit_as(user.username, user.role, action, target=target, records=records)

    def audit_as(self, username: str, role: str, action: str, *, target: str = "", records: int = 0) -> None:
        """Write one audit row for someone who is not a logged-in :class:`User` (the command
        line, a failed login); otherwise as :meth:`audit`."""
        with self._connect() as db:
            db.execute("INSERT INTO audit (at, username, role, action, target, records) VALUES (?, ?, ?, ?, ?, ?)",
                       (_now(), username, role, action, target, records))

    def failed_login(self, username: str, address: str) -> None:
        """Audit a failed login: the user (when the name is one), and the address it came from.

        A name that is no user's is written as ``(unknown user)``: people type their
        password into the username field, and the audit log must never hold a password.
        """
        try:
            user: User | None = self.user_named(username) if username else None
        except NotFoundError:
            user = None
        self.audit_as(user.username if user else "(unknown user)", user.role if user else "", "failed login",
                      target=f"from {address or 'unknown address'}")

    def audit_log(self, *, limit: int = 200) -> list[AuditEntry]:
        """The latest ``limit`` audit rows, newest first."""
        with self._connect() as db:
            rows = db.execute("SELECT at, username, role, action, target, records FROM audit "
                              "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [AuditEntry(*tuple(r)) for r in rows]

    # -- settings ------------------------------------------------------------------------

    def secret_key(self) -> str:
        """The app's session-signing key: made once per workspace and kept, so sessions
        survive a restart and every server process of the workspace agrees."""
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO app_settings (key, value) VALUES ('secret_key', ?)",
                       (secrets.token_hex(32),))
            row = db.execute("SELECT value FROM app_settings WHERE key = 'secret_key'").fetchone()
        return str(row["value"])

    @staticmethod
    def _bump_sessions(db: sqlite3.Connection, user_id: int) -> None:
        db.execute("UPDATE users SET session_version = session_version + 1 WHERE id = ?", (user_id,))

    @staticmethod
    def _new_token(db: sqlite3.Connection, user_id: int) -> str:
        token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
        db.execute("INSERT INTO tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                   (user_id, _token_hash(token), _now()))
        return token


def add_user(workspace: str | Path, username: str, role: str, password: str,
             worker_id: str | None = None, *, localities: Iterable[str] | None = None) -> str:
    """Add a user to a workspace and return their API token (``outreach user add``).

    Parameters
    ----------
    workspace
        The workspace folder (it must exist); users live in ``<workspace>/app.sqlite``.
    username, role, password
        ``role`` is one of :data:`geoservice.privacy.ROLES`.
    worker_id
        For the ``worker`` role: the worker this user is (must exist in the workspace).
    localities
        Optional locality ids limiting a co-ordinator's or manager's team.

    Raises
    ------
    UserError
        Bad input, a taken username, or no such workspace.
    NotFoundError
        ``worker_id`` or a locality is not in the workspace.
    """
    from geoservice.workflow import ensure_workspace

    store = ensure_workspace(workspace)
    if worker_id is not None and worker_id not in {w.id for w in store.records("workers")}:
        raise NotFoundError(f"no worker {worker_id!r} in the workspace (see `outreach list workers`)")
    known = {lc.id for lc in store.records("localities")}
    unknown = sorted(set(localities or ()) - known)
    if unknown:
        raise NotFoundError(f"no locality {unknown[0]!r} in the workspace (see `outreach list localities`)")
    return Accounts.of_workspace(store.root).add_user(username, role, password, worker_id=worker_id,
                                                      localities=localities)


@dataclass(frozen=True)
class AccountChange:
    """What :func:`revoke_tokens` or :func:`set_password` did to a user's credentials."""

    username: str
    action: str  #: ``revoke`` or ``password``
    tokens_revoked: int = 0

    def as_json(self) -> dict[str, object]:
        """``{username, action, tokens_revoked, sessions_ended}`` (sessions always end)."""
        return {"username": self.username, "action": self.action, "tokens_revoked": self.tokens_revoked,
                "sessions_ended": True}

    def text(self) -> str:
        """One line saying what changed."""
        if self.action == "password":
            return f"user {self.username}: password changed; every login session ended (API tokens still work)"
        s = "" if self.tokens_revoked == 1 else "s"
        return (f"user {self.username}: {self.tokens_revoked} API token{s} revoked and every login session ended "
                f"(make a new token in the admin page)")


def revoke_tokens(workspace_or_accounts: str | Path | Accounts, username: str) -> AccountChange:
    """Revoke every API token of ``username`` and end their login sessions (``outreach user revoke``).

    The password stays; change it too with :func:`set_password` if it may be known. The
    change is written to the audit log as done from the command line.

    Parameters
    ----------
    workspace_or_accounts
        The workspace folder (users live in ``<workspace>/app.sqlite``), or its
        :class:`Accounts`.
    username
        Whose credentials (case-insensitive).

    Raises
    ------
    UserError
        No such workspace.
    NotFoundError
        No such user.
    """
    book = _accounts(workspace_or_accounts)
    user = book.user_named(username)
    n = book.revoke_tokens(user.username)
    book.audit_as(_console(), "console", "revoke user", target=user.username)
    return AccountChange(user.username, "revoke", n)


def set_password(workspace_or_accounts: str | Path | Accounts, username: str, password: str) -> AccountChange:
    """Give ``username`` a new password and end their login sessions (``outreach user passwd``).

    API tokens stay valid (revoke them with :func:`revoke_tokens`). Audited as done from
    the command line; the password is never written anywhere but as its hash.

    Parameters
    ----------
    workspace_or_accounts
        The workspace folder, or its :class:`Accounts`.
    username
        Whose password (case-insensitive).
    password
        The new password, at least :data:`MIN_PASSWORD` characters.

    Raises
    ------
    UserError
        Short password, or no such workspace.
    NotFoundError
        No such user.
    """
    book = _accounts(workspace_or_accounts)
    user = book.user_named(username)
    book.set_password(user.username, password)
    book.audit_as(_console(), "console", "set password", target=user.username)
    return AccountChange(user.username, "password")


def _accounts(workspace_or_accounts: str | Path | Accounts) -> Accounts:
    if isinstance(workspace_or_accounts, Accounts):
        return workspace_or_accounts
    from geoservice.workflow import ensure_workspace

    return Accounts.of_workspace(ensure_workspace(workspace_or_accounts).root)


def _console() -> str:
    """Who acts from the command line: the operating-system account, as far as it is known."""
    import getpass

    try:
        return f"console:{getpass.getuser()}"
    except (KeyError, OSError):
        return "console"


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")


def _user(row: sqlite3.Row) -> User:
    scope = row["localities"]
    return User(int(row["id"]), str(row["username"]), str(row["role"]), row["worker_id"],
                frozenset(scope.split(";")) if scope else None, bool(row["active"]), int(row["session_version"]))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
