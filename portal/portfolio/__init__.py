"""Portfolio scenarios: define, run, compare, adopt; the current plan."""

from flask import Blueprint

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")

from portal.portfolio import routes  # noqa: E402,F401
