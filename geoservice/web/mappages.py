"""The map pages (``/maps/<name>``, from :data:`geoservice.web.pages.PAGES`) and the
start page, which sends each role to the page it uses most."""

from __future__ import annotations

from typing import Any, cast

from branca.element import Figure
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from markupsafe import Markup

from geoservice.web.app import csp_nonce
from geoservice.web.auth import accounts, signed_in_user
from geoservice.web.pages import PAGES, page
from geoservice.web.params import parse_params
from geoservice.web.registry import Call, PageContent, audit_target, authorize

bp = Blueprint("maps", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The start page: a worker's route for today, the gaps map for outreach, else coverage."""
    user = signed_in_user()
    if user.role == "worker":
        return redirect(url_for("maps.map_page", name="route", worker=user.worker_id))
    return redirect(url_for("maps.map_page", name="gaps" if user.role == "outreach" else "coverage"))


@bp.get("/maps/<name>")
@login_required
def map_page(name: str) -> ResponseReturnValue:
    """One map page, built for the logged-in user's role."""
    try:
        spec = page(name)
    except KeyError:
        abort(404)
    user = signed_in_user()
    values = request.args.to_dict()
    if user.role == "worker" and any(p.kind == "worker" for p in spec.params):
        values.setdefault("worker", user.worker_id or "")  # a worker's own day by default
    args = parse_params(spec.params, values, text=True)
    call = Call(current_app.extensions["outreach_store"], user, args, accounts(), dict(current_app.config))
    authorize(spec.access, call)
    content = spec.build(call)
    if spec.access.client_level:  # client records, or (outreach) aggregates of them
        accounts().audit(user, f"page {name}", target=audit_target(args), records=call.records_shown)
    return render_template("map.html", content=content, map_parts=map_parts(content), page=spec,
                           pages=nav_pages())


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    return {"nav_pages": nav_pages() if current_user.is_authenticated else []}


def nav_pages() -> list[Any]:
    """The map pages the logged-in user may open, for the navigation bar."""
    role = signed_in_user().role
    return [p for p in PAGES if role in p.access.roles]


def map_parts(content: PageContent) -> dict[str, Markup]:
    """The Folium map split into what goes in ``<head>``, the map ``<div>`` and its script,
    so the page can put the map in its own layout; inline scripts get this response's nonce."""
    root = cast(Figure, content.map.get_root())
    root.render()  # lays out the map's children into the figure's header, html and script
    nonce = csp_nonce()
    header = str(root.header.render()).replace("<script>", f'<script nonce="{nonce}">')
    return {"header": Markup(header),  # Folium markup; data escaped by the builders
            "html": Markup(root.html.render()),
            "script": Markup(root.script.render())}
