"""Logging in: the login form, sessions, bearer tokens, CSRF and login rate limits.

A browser logs in through ``/login`` (a session cookie; every form post carries a CSRF
token). Scripts send ``Authorization: Bearer TOKEN``: such a request is authenticated by
the token alone (the session cookie is ignored), so it needs no CSRF token, and a wrong
token is a 401 even if a session cookie is present. Failed logins are limited per
address and per username (Flask-Limiter, in memory).
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


@login_manager.user_loader
def _load_from_session(user_id: str) -> SessionUser | None:
    if "Authorization" in request.headers:
        return None  # a request with credentials of its own is judged by them alone
    try:
        user = accounts().user(int(user_id))
    except ValueError:
        return None
    return SessionUser(user) if user and user.active else None


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
            accounts().audit(user, "login")
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong username or password.")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """End the session (a form post, so it carries a CSRF token)."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the start page (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("maps.index")
