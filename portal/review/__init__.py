"""Review of ideas by BRMs: queue, triage, merging, links, estimates, touchpoints."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from portal.review import routes  # noqa: E402,F401
