"""Getting data in and out: CSV import/export of ideas, and full JSON backups."""

from flask import Blueprint

bp = Blueprint("transfer", __name__, url_prefix="/transfer")

from portal.transfer import routes  # noqa: E402,F401
