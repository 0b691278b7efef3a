"""The JSON API (``/api``): health, the OpenAPI description, the registered endpoints of
:mod:`geoservice.web.endpoints`, and imports.

Every call but ``/api/health`` needs a login session or ``Authorization: Bearer TOKEN``.
Input is checked before anything runs; bad input is a 400/422 naming rows and fields,
and nothing is stored.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.utils import secure_filename

from geoservice import __version__
from geoservice.errors import ImportRejected, UserError
from geoservice.io.importer import import_file
from geoservice.models import KINDS
from geoservice.web.auth import accounts, signed_in_user
from geoservice.web.errors import upload_problem
from geoservice.web.openapi import openapi_document
from geoservice.web.params import InvalidInput, Param, parse_params
from geoservice.web.registry import Call, Endpoint, Forbidden, NotBuilt, audit_target, authorize, public_paths

bp = Blueprint("api", __name__)

#: Suffixes of the files an import accepts, by the Content-Type of a raw body.
_BODY_SUFFIX = {"text/csv": ".csv", "text/plain": ".csv", "application/geo+json": ".geojson",
                "application/json": ".geojson", "application/geopackage+sqlite3": ".gpkg"}


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Whether the app and its workspace answer (no login needed; no data)."""
    from geoservice.web.app import workspace_store

    workspace_store(current_app).settings()
    return {"status": "ok", "version": __version__}


@bp.get("/openapi.json")
@login_required
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi_document())


def _view(endpoint: Endpoint) -> Any:
    @login_required
    def view() -> ResponseReturnValue:
        return jsonify(run_endpoint(endpoint, _inputs(endpoint)))

    view.__name__ = endpoint.name
    view.__doc__ = endpoint.summary
    return view


def _inputs(endpoint: Endpoint) -> dict[str, Any]:
    if endpoint.method == "GET":
        return parse_params(endpoint.params, request.args.to_dict(), text=True)
    try:
        body = request.get_json(force=True, silent=True) if request.get_data() else {}
    except RecursionError:  # nested deeper than Python's JSON decoder goes
        body = None
    if body is None:
        raise InvalidInput("the request body is not valid JSON: send a JSON object",
                           [{"field": "", "message": "not JSON"}], status=400)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", [{"field": "", "message": "not an object"}],
                           status=400)
    return parse_params(endpoint.params, body)


def run_endpoint(endpoint: Endpoint, args: dict[str, Any]) -> Any:
    """Check access, run the feature, audit calls on client data (client-level records, or
    aggregates of them for roles without client access), and keep server paths from
    non-admins (:func:`~geoservice.web.registry.public_paths`)."""
    call = Call(current_app.extensions["outreach_store"], signed_in_user(), args, accounts(),
                dict(current_app.config))
    authorize(endpoint.access, call)
    if endpoint.run is None:
        raise NotBuilt(f"{endpoint.feature} is not built yet in this version ({endpoint.method} /api{endpoint.path})")
    result = endpoint.run(call)
    if endpoint.access.client_level:
        call.accounts.audit(call.user, f"api {endpoint.name}", target=audit_target(args),
                            records=call.records_shown)
    return result if call.user.role == "admin" else public_paths(result)


def _register_endpoints() -> None:
    from geoservice.web.endpoints import ENDPOINTS

    for e in ENDPOINTS:
        bp.add_url_rule(e.path, endpoint=e.name, view_func=_view(e), methods=[e.method])


_register_endpoints()


@bp.post("/import/<kind>")
@login_required
def import_records(kind: str) -> ResponseReturnValue:
    """Import a file of ``kind`` (multipart field ``file``, or the file as the request body);
    ``?replace=true`` replaces the layer. Admin only. A rejected file stores nothing (422)."""
    user = signed_in_user()
    if user.role != "admin":
        raise Forbidden("only an admin may import")
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}", [{"field": "kind", "message": f"use one of: {', '.join(KINDS)}"}],
                           status=404)
    replace = parse_params(_REPLACE, {k: v for k, v in request.args.items() if k == "replace"}, text=True)["replace"]
    report = import_upload(kind, replace=replace)
    accounts().audit(user, f"import {kind}", target="replace" if replace else "add or update", records=report.count)
    return {"kind": report.kind, "file": report.file, "count": report.count, "replace": replace,
            "notes": list(report.notes)}


_REPLACE = (Param("replace", "boolean", "replace the whole layer instead of adding or updating by id",
                  default=False),)


def import_upload(kind: str, *, replace: bool) -> Any:
    """Import the uploaded file of this request (see :func:`import_records`)."""
    store = current_app.extensions["outreach_store"]
    upload = request.files.get("file")
    if request.files and upload is None:
        raise InvalidInput("the upload has no field named 'file'", [{"field": "file", "message": "missing"}],
                           status=400)
    with tempfile.TemporaryDirectory(prefix="outreach-upload-") as tmp:
        if upload is not None:
            name = secure_filename(upload.filename or "") or f"{kind}.csv"
            path = Path(tmp) / name
            upload.save(path)
        else:
            ctype = (request.mimetype or "").lower()
            suffix = _BODY_SUFFIX.get(ctype)
            if suffix is None or not request.data:
                raise InvalidInput("send the file as multipart field 'file', or as the body with Content-Type "
                                   "text/csv or application/geo+json", [{"field": "file", "message": "missing"}],
                                   status=400)
            path = Path(tmp) / f"{kind}{suffix}"
            path.write_bytes(request.get_data())
        if path.stat().st_size == 0:
            raise InvalidInput(f"{path.name} is empty", [{"field": "file", "message": "empty file"}], status=400)
        try:
            return import_file(store, kind, path, replace=replace)
        except ImportRejected:
            raise
        except UserError as e:  # an unreadable file: say so without the server's temporary folder
            message = upload_problem(e, tmp)
            raise InvalidInput(message, [{"field": "file", "message": message}], status=400) from None
