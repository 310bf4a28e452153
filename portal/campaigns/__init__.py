"""Campaigns: a sponsor asks target departments a question; ideas answer it."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

from portal.campaigns import routes  # noqa: E402,F401
