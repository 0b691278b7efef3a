"""The import page (admin): upload a file of one kind; a rejected file lists every problem
by row and field and stores nothing."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField  # type: ignore[import-untyped]

from geoservice.errors import ImportRejected, UserError
from geoservice.io.importer import ImportReport, import_file
from geoservice.models import KINDS
from geoservice.web.admin import admin_only
from geoservice.web.auth import Form, accounts, signed_in_user
from geoservice.web.errors import upload_problem

bp = Blueprint("imports", __name__)


class ImportForm(Form):
    """Kind, file, replace (CSRF-protected)."""

    kind = SelectField("Kind", choices=list(KINDS))
    file = FileField("File (.csv, .geojson, .gpkg)", validators=[FileRequired()])
    replace = BooleanField("Replace the whole layer (default: add or update by id)")


@bp.route("/imports", methods=["GET", "POST"])
@login_required
@admin_only
def import_page() -> ResponseReturnValue:
    """The upload form and the outcome of the last upload."""
    import tempfile
    from pathlib import Path

    from flask import current_app
    from werkzeug.utils import secure_filename

    form = ImportForm()
    report: ImportReport | None = None
    issues: list[dict[str, str]] = []
    error = ""
    status = 200
    if form.validate_on_submit():
        kind, upload = form.kind.data or "", form.file.data
        with tempfile.TemporaryDirectory(prefix="outreach-upload-") as tmp:
            path = Path(tmp) / (secure_filename(upload.filename or "") or f"{kind}.csv")
            upload.save(path)
            try:
                report = import_file(current_app.extensions["outreach_store"], kind, path,
                                     replace=bool(form.replace.data))
            except ImportRejected as e:
                issues, status = [i.as_dict() for i in e.issues], 422
            except UserError as e:
                error, status = upload_problem(e, tmp), 400
        if report is not None:
            accounts().audit(signed_in_user(), f"import {kind}", target="replace" if form.replace.data
                             else "add or update", records=report.count)
    elif form.is_submitted():
        status = 400
    return render_template("import.html", form=form, report=report, issues=issues, error=error), status
