"""Delivery: start and finish delivering selected ideas, record what they cost and delivered."""

from flask import Blueprint

bp = Blueprint("delivery", __name__, url_prefix="/delivery")

from portal.delivery import routes  # noqa: E402,F401
