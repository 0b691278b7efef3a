"""Logging in: the login form, sessions, bearer tokens, CSRF and login rate limits.

A browser logs in through ``/login`` (a session cookie; every form post carries a CSRF
token). Scripts send ``Authorization: Bearer TOKEN``: such a request is authenticated by
the token alone (the session cookie is ignored), so it needs no CSRF token, and a wrong
token is a 401 even if a session cookie is present.

A session carries the user's session version (:mod:`geoservice.web.accounts`); logging
out, disabling the user, a new password or revoked credentials bump it, and a session of
an older version is refused, so a copied cookie dies with the real one.

Failed logins are written to the audit log (the username, or ``(unknown user)``, and
the address; never the password) and limited, by Flask-Limiter in memory (per server
process), in two ways:

``LOGIN_RATE_LIMIT`` (default 10 a minute), per address
    One machine cannot guess quickly at many accounts.
``LOGIN_RATE_LIMIT_PER_USER`` (default 5 a minute), per username
    Guesses at one account spread over many addresses are limited too. The trade-off:
    once the limit is reached, *every* login to that account is refused until the minute
    is over, the right password included (the server cannot tell the owner from the
    guesser), so anyone who knows a username can keep its owner out by failing on
    purpose. We accept that: the lock-out lasts a minute and API tokens still work,
    while without it a password could be guessed from a botnet at any speed. Successful
    logins never count.

The address is the connecting peer. Behind reverse proxies, set ``PROXY_HOPS`` to how
many there are (:mod:`geoservice.web.app`): the app then takes the client's address (and
scheme) from that many ``X-Forwarded-For`` (and ``-Proto``) entries. Left at 0 behind a
proxy, every user shares the proxy's address and one guesser locks everyone out for a
minute; set higher than the real number of proxies, a client can forge its address with
the header and escape the per-address limit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import PasswordField, StringField  # type: ignore[import-untyped]
from wtforms.validators import DataRequired, Length  # type: ignore[import-untyped]

from geoservice.web.accounts import Accounts, User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(get_remote_address, storage_uri="memory://")


class TokenAwareSessions(SecureCookieSessionInterface):
    """Signed-cookie sessions that are never written for requests carrying their own
    credentials: token calls are stateless and leave no cookie behind."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if "Authorization" in request.headers:
            return
        super().save_session(app, session, response)


class SessionUser(UserMixin):
    """A :class:`~geoservice.web.accounts.User` as Flask-Login sees it."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)


class Form(FlaskForm):
    """A form with a CSRF token, except in requests authenticated by their own
    ``Authorization`` header (which a cross-site page cannot send)."""

    class Meta(FlaskForm.Meta):
        @property
        def csrf(self) -> bool:
            return "Authorization" not in request.headers and bool(current_app.config.get("WTF_CSRF_ENABLED", True))


class LoginForm(Form):
    """Username and password (CSRF-protected)."""

    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


def accounts() -> Accounts:
    """The accounts of the app's workspace."""
    book: Accounts = current_app.extensions["outreach_accounts"]
    return book


def signed_in_user() -> User:
    """The logged-in user of this request (views call it after login is required)."""
    user: User = current_user.user
    return user


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, or ``None`` without one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


#: The session key holding the user's session version at login.
SESSION_VERSION = "session_version"


@login_manager.user_loader
def _load_from_session(user_id: str) -> SessionUser | None:
    if "Authorization" in request.headers:
        return None  # a request with credentials of its own is judged by them alone
    try:
        user = accounts().user(int(user_id))
    except ValueError:
        return None
    if user is None or not user.active or session.get(SESSION_VERSION) != user.session_version:
        return None  # logged out elsewhere, disabled, new password, or revoked: the cookie is dead
    return SessionUser(user)


@login_manager.request_loader
def _load_from_token(_request: Any) -> SessionUser | None:
    token = bearer_token()
    if not token:
        return None
    user = accounts().user_for_token(token)
    if user is not None:
        g.token_auth = True
    return SessionUser(user) if user else None


@login_manager.unauthorized_handler
def _unauthorized() -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        return {"error": "login required: log in, or send Authorization: Bearer TOKEN", "details": []}, 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def check_csrf() -> None:
    """Before every request: state-changing requests authenticated by session must carry a
    CSRF token; requests carrying an ``Authorization`` header are authenticated by it instead."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") or "Authorization" in request.headers:
        return
    if request.path.startswith("/api/") and not current_user.is_authenticated:
        return  # not logged in at all: the API answers 401, not a CSRF error
    csrf.protect()


def _failed(response: Response) -> bool:
    return response.status_code != 302


def _username_key() -> str:
    return "user:" + request.form.get("username", "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_USER"], methods=["POST"], deduct_when=_failed,
               key_func=_username_key)
def login() -> ResponseReturnValue:
    """The login form; on success go to ``next`` (a path on this site) or the start page."""
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts().authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            session.clear()  # a fresh session: no fixation
            login_user(SessionUser(user))
            session[SESSION_VERSION] = user.session_version
            accounts().audit(user, "login")
            return redirect(_safe_next(request.args.get("next")))
        accounts().failed_login((form.username.data or "").strip(), request.remote_addr or "")
        flash("Wrong username or password.")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """End the session, and every other session of the user (a form post, so it carries a
    CSRF token)."""
    if current_user.is_authenticated and not g.get("token_auth"):
        accounts().end_sessions(signed_in_user().username)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the start page (no open redirects).

    Refused: anything with a scheme or host, ``//`` (another host), a backslash (browsers
    read ``/\\host`` as ``//host``), and control characters (a header cannot hold them).
    """
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("maps.index")
