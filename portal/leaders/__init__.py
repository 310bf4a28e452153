"""A department leader's page: their departments' pipeline, plan, value and touchpoints."""

from flask import Blueprint

bp = Blueprint("leaders", __name__, url_prefix="/leader")

from portal.leaders import routes  # noqa: E402,F401
