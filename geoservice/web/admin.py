"""Admin pages: users (add, disable, enable, new token, revoke, set password) and the audit log."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from wtforms import PasswordField, SelectField, StringField  # type: ignore[import-untyped]
from wtforms.validators import DataRequired, Length, Optional  # type: ignore[import-untyped]

from geoservice.errors import UserError
from geoservice.privacy import ROLES
from geoservice.web.accounts import Accounts, add_user
from geoservice.web.auth import Form, accounts, signed_in_user
from geoservice.web.registry import Forbidden

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Allow the view to admins only (403 for everyone else); use after ``login_required``."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if signed_in_user().role != "admin":
            raise Forbidden("only an admin may open this page")
        return view(*args, **kwargs)

    return wrapped


class UserForm(Form):
    """A new user (CSRF-protected)."""

    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    role = SelectField("Role", choices=list(ROLES))
    worker_id = StringField("Worker id (worker role)", validators=[Optional(), Length(max=64)])
    localities = StringField("Locality ids, ;-separated (co-ordinator or manager; empty: all)",
                             validators=[Optional(), Length(max=500)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class ActionForm(Form):
    """A button acting on one user (CSRF-protected)."""


class PasswordForm(Form):
    """A new password for one user (CSRF-protected)."""

    password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])


#: The buttons of a user's row: what each does, in the words of the page.
ACTIONS = {"disable": "disable (ends their sessions)", "enable": "enable",
           "token": "new token (revokes the old)", "revoke": "revoke tokens and sessions"}


@bp.route("/users", methods=["GET", "POST"])
@login_required
@admin_only
def users() -> ResponseReturnValue:
    """The users, and a form to add one (the new token is shown once)."""
    form = UserForm()
    token = ""
    status = 200
    if form.validate_on_submit():
        scope = [s.strip() for s in (form.localities.data or "").split(";") if s.strip()]
        try:
            token = add_user(current_app.config["WORKSPACE"], form.username.data or "", form.role.data or "",
                             form.password.data or "", form.worker_id.data or None, localities=scope or None)
            accounts().audit(signed_in_user(), "add user", target=f"{form.username.data} ({form.role.data})")
        except UserError as e:
            flash(" ".join(str(e).split()))
            status = 400
    elif form.is_submitted():
        status = 400
    return _users_page(form, token=token), status


def _users_page(form: UserForm, **extra: Any) -> str:
    return render_template("users.html", form=form, action=ActionForm(), password_form=PasswordForm(formdata=None),
                           actions=ACTIONS, users=accounts().users(), **extra)


@bp.post("/users/<username>/<action>")
@login_required
@admin_only
def user_action(username: str, action: str) -> ResponseReturnValue:
    """For one user: ``disable`` (ends their sessions), ``enable``, ``token`` (a new API
    token, shown once, replacing every earlier one), ``revoke`` (every token and session
    ends: a lost device) or ``password`` (a new password; their sessions end)."""
    form = PasswordForm() if action == "password" else ActionForm()
    if not form.validate_on_submit():
        flash("The form expired; try again." if action != "password" else "Type the new password; try again.")
        return redirect(url_for("admin.users"))
    book = accounts()
    token = ""
    if action in ("disable", "enable"):
        book.set_active(username, action == "enable")
        flash(f"{username}: {action}d.")
    elif action == "token":
        token = book.replace_token(username)
    elif action == "revoke":
        n = book.revoke_tokens(username)
        flash(f"{username}: {n} API token{'' if n == 1 else 's'} revoked; every login session ended.")
    elif action == "password":
        try:
            book.set_password(username, form.password.data or "")
        except UserError as e:
            flash(str(e))
            return redirect(url_for("admin.users"))
        flash(f"{username}: password changed; every login session ended.")
    else:
        raise Forbidden(f"unknown action {action!r}")
    book.audit(signed_in_user(), f"{action} user", target=username)
    return _users_page(UserForm(formdata=None), token=token, token_for=username)


@bp.get("/audit")
@login_required
@admin_only
def audit() -> ResponseReturnValue:
    """The latest audit rows: who looked at client-level data, what, when."""
    return render_template("audit.html", rows=accounts().audit_log(limit=500))


@bp.cli.command("audit")
@click.option("--limit", default=50, show_default=True, help="rows to show, newest first")
def audit_command(limit: int) -> None:
    """Print the latest audit rows of the app's workspace."""
    book: Accounts = current_app.extensions["outreach_accounts"]
    for row in book.audit_log(limit=limit):
        click.echo(f"{row.at}  {row.username:<16} {row.role:<11} {row.action:<20} {row.target} ({row.records})")
