"""Import pages (upload, preview with each row's problems, import all or nothing) and
CSV exports of ideas, estimates and touchpoints."""

import re
import secrets
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from portal.auth.login import roles_required
from portal.extensions import db
from portal.models import Role
from portal.transfer import bp
from portal.transfer.forms import UploadForm
from portal.transfer.ideas_csv import (
    IDEA_COLUMNS,
    OPTIONAL,
    REQUIRED,
    ImportRefused,
    check_file,
    export_estimates,
    export_ideas,
    export_touchpoints,
    import_file,
)

importers = roles_required(Role.ADMIN, Role.PORTFOLIO_MANAGER)
exporters = roles_required(Role.BRM, Role.PORTFOLIO_MANAGER, Role.ADMIN)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
EXPORTS = {"ideas": export_ideas, "estimates": export_estimates, "touchpoints": export_touchpoints}
# Estimates and touchpoints come from the review pages, which only reviewers open; each
# export also scopes its rows to the user with the query of its page (see ideas_csv).
REVIEW_SIDE = {"estimates", "touchpoints"}


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_path(token: str) -> Path:
    """The uploaded file of this user with this token (404 for anything else)."""
    if not TOKEN.match(token):
        abort(404)
    path = _upload_dir() / f"{current_user.id}-{token}.csv"
    if not path.exists():
        abort(
            404,
            description="That upload is gone (already imported or never made). "
            "Upload the file again.",
        )
    return path


def _index_page(form: UploadForm, status: int = 200):
    return (
        render_template(
            "transfer/index.html",
            form=form,
            required=REQUIRED,
            optional=OPTIONAL,
            idea_columns=IDEA_COLUMNS,
        ),
        status,
    )


@bp.route("/")
@exporters
def index():
    return _index_page(UploadForm(formdata=None))


@bp.route("/import", methods=["POST"])
@importers
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    token = secrets.token_urlsafe(24)
    path = _upload_dir() / f"{current_user.id}-{token}.csv"
    form.file.data.save(path)
    return redirect(url_for("transfer.preview", token=token))


@bp.route("/import/<token>")
@importers
def preview(token: str):
    path = _upload_path(token)
    result = check_file(path, current_user)
    return render_template(
        "transfer/preview.html",
        result=result,
        token=token,
        filename=path.name,
    ), (200 if result.ok else 422)


@bp.route("/import/<token>", methods=["POST"])
@importers
def confirm(token: str):
    path = _upload_path(token)
    try:
        count = import_file(path, current_user)
    except ImportRefused as exc:
        result = check_file(path, current_user)
        flash(f"Nothing was imported: {exc}", "danger")
        return render_template("transfer/preview.html", result=result, token=token), 422
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(f"Imported {count} ideas; they are submitted for review.", "success")
    return redirect(url_for("ideas.index", sort="newest"))


@bp.route("/import/<token>/discard", methods=["POST"])
@importers
def discard(token: str):
    _upload_path(token).unlink(missing_ok=True)
    flash("The upload was discarded; nothing was imported.", "info")
    return redirect(url_for("transfer.index"))


@bp.route("/export/<kind>.csv")
@exporters
def export(kind: str):
    if kind not in EXPORTS:
        abort(404)
    if kind in REVIEW_SIDE and not current_user.is_reviewer:
        abort(403, description=f"Only reviewers read {kind}, so only they export them.")
    return Response(
        stream_with_context(EXPORTS[kind](current_user)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=converge-{kind}.csv"},
    )
