"""The Flask app factory: configuration, extensions, blueprints, security headers.

Configuration is layered, later layers winning: the defaults in :data:`DEFAULTS`, a
TOML file named by the ``OUTREACH_CONFIG`` environment variable, environment variables
``OUTREACH_<KEY>`` (values parsed as JSON where they can be: ``OUTREACH_K_ANONYMITY=10``),
and the ``config`` mapping given to :func:`create_app` (tests).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, request, send_file
from werkzeug.exceptions import NotFound

from geoservice.store import DEFAULT_WORKSPACE, Store
from geoservice.web.accounts import Accounts

#: Every setting and its default.
DEFAULTS: dict[str, Any] = {
    "WORKSPACE": str(DEFAULT_WORKSPACE),  # the workspace folder the app serves
    "SECRET_KEY": None,  # session signing key; default: one made and kept in <workspace>/app.sqlite
    "K_ANONYMITY": 5,  # fewest clients an aggregate shown to the outreach role may count
    "HEX_SIZE_M": 500,  # hexagon size (centre to corner, metres) of client counts for the outreach role
    "BASEMAP": True,  # draw the workspace's roads under every map
    "TILE_URL": None,  # optional tile server (self-hosted), e.g. https://tiles.example.org/{z}/{x}/{y}.png
    "TILE_ATTRIBUTION": "",
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,  # largest request body (bytes): bigger uploads get 413
    "LOGIN_RATE_LIMIT": "10 per minute",  # failed logins per address
    "LOGIN_RATE_LIMIT_PER_USER": "5 per minute",  # failed logins per username
    "RATELIMIT_ENABLED": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # set true when served over HTTPS
    "SESSION_PROTECTION": "strong",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,  # seconds
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked in auth.check_csrf: session form posts only
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "HSTS": False,  # send Strict-Transport-Security (only behind HTTPS)
    "PROXY_HOPS": 0,  # reverse proxies in front whose X-Forwarded-For/-Proto to trust (login limits by address)
    "SOLVER_TIME_LIMIT": 20,  # seconds a request may give a solver (caseload balancing, site suggestions)
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app for a workspace.

    Parameters
    ----------
    config
        Settings that win over every other layer (see :data:`DEFAULTS`), e.g.
        ``{"WORKSPACE": "/data/team-a", "TESTING": True}``.
    """
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(DEFAULTS)
    path = os.environ.get("OUTREACH_CONFIG")
    if path:
        app.config.from_file(str(Path(path).resolve()), load=tomllib.load, text=False)
    app.config.from_prefixed_env("OUTREACH")
    app.config.from_mapping(config or {})
    app.config.pop("CONFIG", None)  # OUTREACH_CONFIG itself is the file's path, not a setting

    from geoservice.workflow import ensure_workspace

    store = ensure_workspace(app.config["WORKSPACE"])
    accounts = Accounts.of_workspace(store.root)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = accounts.secret_key()
    app.extensions["outreach_store"] = store
    app.extensions["outreach_accounts"] = accounts

    hops = int(app.config["PROXY_HOPS"])
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    _init_extensions(app)
    _register_blueprints(app)
    _add_security_headers(app)
    _add_static_routes(app)
    return app


def workspace_store(app: Flask) -> Store:
    """The workspace an app serves."""
    store: Store = app.extensions["outreach_store"]
    return store


def _init_extensions(app: Flask) -> None:
    from geoservice.web.auth import TokenAwareSessions, check_csrf, csrf, limiter, login_manager

    app.session_interface = TokenAwareSessions()

    login_manager.init_app(app)
    login_manager.session_protection = app.config["SESSION_PROTECTION"]
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(check_csrf)


def _register_blueprints(app: Flask) -> None:
    from geoservice.web import admin, api, auth, errors, imports, mappages, reportpages

    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(mappages.bp)
    app.register_blueprint(reportpages.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(admin.bp)
    errors.register(app)


def csp_nonce() -> str:
    """This response's nonce for inline scripts (Folium writes its map as inline script)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def _add_security_headers(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    tiles = app.config.get("TILE_URL")
    tile_origin = ""
    if tiles:
        parts = urlsplit(str(tiles))
        tile_origin = f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"

    @app.after_request
    def headers(response: Response) -> Response:
        script = f"'self' 'nonce-{csp_nonce()}'" if "csp_nonce" in g else "'self'"
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data:{tile_origin}; connect-src 'self'; font-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if app.config["HSTS"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if not request.path.startswith("/static/") and request.path != "/favicon.ico":
            # pages and replies may hold health data: never keep them in a shared cache or the browser's
            response.headers["Cache-Control"] = "no-store"
        return response


def _add_static_routes(app: Flask) -> None:
    from maps.base import ASSET_FILES, asset_path

    here = Path(__file__).parent

    @app.route("/static/maps/<path:name>")
    def map_asset(name: str) -> Response:
        """The Leaflet and jQuery files map pages load (from the installed packages)."""
        if name not in ASSET_FILES:
            raise NotFound()
        return send_file(asset_path(name), max_age=86400)

    @app.route("/favicon.ico")
    def favicon() -> Response:
        return send_file(here / "static" / "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)
