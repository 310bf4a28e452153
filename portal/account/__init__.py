"""The signed-in user's profile page and personal API tokens."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from portal.account import routes  # noqa: E402,F401
