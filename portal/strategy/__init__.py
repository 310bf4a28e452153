"""The portfolio manager's strategy: objectives, their weights, resource pools.

Its pages keep their /review/... addresses, where they were first published.
"""

from flask import Blueprint

bp = Blueprint("strategy", __name__, url_prefix="/review")

from portal.strategy import routes  # noqa: E402,F401
