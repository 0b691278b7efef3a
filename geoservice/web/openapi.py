"""The OpenAPI 3.0 description of the JSON API, generated from the endpoint registry so
it cannot drift from what the app checks."""

from __future__ import annotations

from typing import Any

from geoservice import __version__
from geoservice.models import KINDS
from geoservice.web.registry import Endpoint

_ERROR = {"$ref": "#/components/schemas/Error"}


def _reply(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


_ERRORS = {
    "400": _reply("Unreadable input (e.g. not JSON)"),
    "401": _reply("Not logged in, or an unknown token"),
    "403": _reply("Logged in, but this role or user may not see it"),
    "404": _reply("A named record (e.g. the worker) does not exist"),
    "422": _reply("Input that breaks the rules; `details` names each field or row"),
}


def openapi_document() -> dict[str, Any]:
    """The API description as an OpenAPI 3.0.3 document (a JSON-ready dict)."""
    from geoservice.web.endpoints import ENDPOINTS

    paths: dict[str, Any] = {
        "/api/health": {"get": {"summary": "Whether the service is up (no login needed)", "operationId": "health",
                                "security": [],
                                "responses": {"200": {"description": "Up",
                                                      "content": {"application/json": {"schema": {
                                                          "type": "object",
                                                          "properties": {"status": {"type": "string"},
                                                                         "version": {"type": "string"}}}}}}}}},
        "/api/openapi.json": {"get": {"summary": "This description", "operationId": "openapi",
                                      "responses": {"200": {"description": "OpenAPI 3 document"},
                                                    "401": _ERRORS["401"]}}},
        "/api/import/{kind}": {"post": _import_operation()},
    }
    for e in ENDPOINTS:
        paths.setdefault(f"/api{e.path}", {})[e.method.lower()] = _operation(e)
    return {
        "openapi": "3.0.3",
        "info": {"title": "outreach-planner", "version": __version__,
                 "description": "Outreach and visit planning for community mental-health, homelessness-outreach "
                                "and home-care teams. Client data is health data: each role sees only what it "
                                "may (see the roles in the project's DESIGN.md)."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "API token from `outreach user add`"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                                            "description": "Browser login via /login; form posts need a CSRF token"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "details"],
                                  "properties": {"error": {"type": "string"},
                                                 "details": {"type": "array", "items": {"type": "object"}}}}},
        },
        "security": [{"bearer": []}, {"session": []}],
    }


def _operation(e: Endpoint) -> dict[str, Any]:
    roles = ", ".join(sorted(e.access.roles))
    description = f"Roles: {roles}."
    if e.access.worker_param:
        description += f" A worker may only ask about themselves (`{e.access.worker_param}`)."
    if e.run is None:
        description += f" Not built yet in this version: answers 501 until {e.feature} is added."
    op: dict[str, Any] = {"summary": e.summary, "description": description, "operationId": e.name,
                          "responses": {"200": {"description": "The result",
                                                "content": {"application/json": {"schema": {"type": e.response}}}},
                                        **_ERRORS, "501": _reply("Not built yet in this version")}}
    if e.method == "GET":
        op["parameters"] = [{"name": p.name, "in": "query", "required": p.required, "description": p.description,
                             "schema": {k: v for k, v in p.schema().items() if k != "description"}}
                            for p in e.params]
    else:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False,
            "required": [p.name for p in e.params if p.required] or None,
            "properties": {p.name: p.schema() for p in e.params}}}}}
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        if schema["required"] is None:
            del schema["required"]
    return op


def _import_operation() -> dict[str, Any]:
    file_schema = {"type": "string", "format": "binary"}
    return {
        "summary": "Import records from a CSV, GeoJSON or GeoPackage file (admin only); all rows or none",
        "operationId": "import",
        "parameters": [{"name": "kind", "in": "path", "required": True,
                        "schema": {"type": "string", "enum": list(KINDS)}},
                       {"name": "replace", "in": "query", "required": False,
                        "schema": {"type": "boolean", "default": False}}],
        "requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                               "properties": {"file": file_schema}}},
            "text/csv": {"schema": {"type": "string"}},
            "application/geo+json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "Stored", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"kind": {"type": "string"}, "count": {"type": "integer"},
                                             "file": {"type": "string"}, "replace": {"type": "boolean"},
                                             "notes": {"type": "array", "items": {"type": "string"}}}}}}},
                      **_ERRORS, "413": _reply("The file is too big")},
    }
