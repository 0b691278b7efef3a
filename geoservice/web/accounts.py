"""Users, API tokens and the audit log, in an SQLite file in the workspace (``app.sqlite``).

Passwords are stored as salted scrypt hashes (:func:`werkzeug.security.generate_password_hash`);
API tokens as SHA-256 hashes only (a token is 256 random bits, so a fast hash cannot be
brute-forced and lets a request be checked in one indexed look-up). A token is shown
once, when it is made. The audit log says who looked at client-level data, what
(a page or endpoint and its parameters) and when; never the client data itself.

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
    created_at TEXT NOT NULL
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
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")
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

    def revoke_tokens(self, username: str) -> int:
        """Invalidate every API token of ``username``; returns how many there were."""
        user = self.user_named(username)
        with self._connect() as db:
            return db.execute("DELETE FROM tokens WHERE user_id = ?", (user.id,)).rowcount

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable a user (a disabled user cannot log in and their tokens fail)."""
        user = self.user_named(username)
        with self._connect() as db:
            db.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user.id))

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
        with self._connect() as db:
            db.execute("INSERT INTO audit (at, username, role, action, target, records) VALUES (?, ?, ?, ?, ?, ?)",
                       (_now(), user.username, user.role, action, target, records))

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


def _user(row: sqlite3.Row) -> User:
    scope = row["localities"]
    return User(int(row["id"]), str(row["username"]), str(row["role"]), row["worker_id"],
                frozenset(scope.split(";")) if scope else None, bool(row["active"]))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
