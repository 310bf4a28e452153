"""Ideas: write, submit, browse, vote, comment, follow."""

from flask import Blueprint

bp = Blueprint("ideas", __name__, url_prefix="/ideas")

from portal.ideas import routes  # noqa: E402,F401
