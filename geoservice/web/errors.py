"""One error handler for the whole app: JSON ``{"error", "details"}`` under ``/api``,
a short HTML page elsewhere, always with the right status code.

User errors (:class:`~geoservice.errors.UserError`) are the user's to fix and say so;
anything else is logged with its traceback (no request data) and reported as a 500
without details, so no internal state or client data reaches the reply.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from geoservice.errors import ImportRejected, NotFoundError, UserError
from geoservice.web.params import InvalidInput
from geoservice.web.registry import Forbidden, NotBuilt


def error_reply(status: int, message: str, details: list[Any] | None = None) -> ResponseReturnValue:
    """The error as JSON (API) or an HTML page, with ``status``."""
    if request.path.startswith("/api/") or request.path == "/api":
        return {"error": message, "details": details or []}, status
    return render_template("error.html", status=status, message=message, details=details or []), status


def upload_problem(error: UserError, folder: str) -> str:
    """The message of an unreadable upload on one line, without the server's temporary
    ``folder`` the upload was saved in (the file is named by its own name)."""
    return " ".join(str(error).replace(folder.rstrip("/") + "/", "").split())


def register(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(InvalidInput)
    def invalid(e: InvalidInput) -> ResponseReturnValue:
        return error_reply(e.status, str(e), e.details)

    @app.errorhandler(ImportRejected)
    def rejected(e: ImportRejected) -> ResponseReturnValue:
        n = len(e.issues)
        return error_reply(422, f"import rejected, nothing stored: {n} problem{'s' if n != 1 else ''}",
                           [i.as_dict() for i in e.issues])

    @app.errorhandler(NotFoundError)
    def not_found(e: NotFoundError) -> ResponseReturnValue:
        return error_reply(404, str(e))

    @app.errorhandler(UserError)
    def user_error(e: UserError) -> ResponseReturnValue:
        message = " ".join(str(e).split())
        if e.field:
            return error_reply(422, message, [{"field": e.field, "message": message}])
        return error_reply(400, message)

    @app.errorhandler(Forbidden)
    def forbidden(e: Forbidden) -> ResponseReturnValue:
        return error_reply(403, str(e))

    @app.errorhandler(NotBuilt)
    def not_built(e: NotBuilt) -> ResponseReturnValue:
        return error_reply(501, str(e))

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError) -> ResponseReturnValue:
        return error_reply(400, f"form expired or not sent from this site ({e.description}); reload and try again")

    @app.errorhandler(RateLimitExceeded)
    def too_many(e: RateLimitExceeded) -> ResponseReturnValue:
        return error_reply(429, "too many failed logins: wait a minute and try again")

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> ResponseReturnValue:
        response = make_response(error_reply(e.code or 500, f"{e.name}: {e.description}" if e.description
                                             else str(e.name)))
        allow = dict(e.get_headers()).get("Allow")
        if allow:  # a 405 says which methods would work
            response.headers["Allow"] = allow
        return response

    @app.errorhandler(Exception)
    def internal(e: Exception) -> ResponseReturnValue:
        app.logger.exception("internal error on %s %s", request.method, request.path)
        return error_reply(500, "internal error: the server could not answer; the details are in its log")
