"""The department leader's home page."""

from flask import render_template
from flask_login import current_user

from portal.auth.login import roles_required
from portal.leaders import bp
from portal.leaders.service import leader_pages
from portal.models import Role


@bp.route("/")
@roles_required(Role.LEADER)
def home():
    return render_template("leaders/home.html", pages=leader_pages(current_user))
