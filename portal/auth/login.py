"""Flask-Login wiring and the role check every protected route uses."""

from functools import wraps
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, request
from flask_login import LoginManager, current_user, login_required
from sqlalchemy.orm import joinedload

from portal.auth import sessions
from portal.extensions import db
from portal.models import Notification, Role, SignIn, User, utcnow
from portal.models.people import department_brms

# The statement of every signed-in request, built once: building it anew on each request
# cost about as much as running it.
SESSION_USER = (
    sa.select(
        User,
        Notification.badge_count(User.id, User.inbox_seen_at).scalar_subquery(),
        sa.select(
            sa.func.aggregate_strings(sa.cast(department_brms.c.department_id, sa.String), ",")
        )
        .where(department_brms.c.user_id == User.id)
        .scalar_subquery(),
    )
    .join(SignIn, SignIn.user_id == User.id)
    .options(joinedload(User.department))
    .where(
        User.id == sa.bindparam("user_id"),
        SignIn.id == sa.bindparam("sign_in"),
        SignIn.expires_at > sa.bindparam("now"),
        User.active,
    )
)


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "Please sign in to see that page."
    manager.login_message_category = "info"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The active user of a session ("<id>:<session key>", User.get_id, and the id of
        its sign-in) while both are still theirs: a new key, or the sign-in's deletion, ends
        the session and every copy of its cookie.

        One query per request brings the user, their department, their unread notification
        count (`User.unread_count`, for the navigation bar) and the ids of the departments
        they cover (`User.covered_ids`, for `User.covers`) together."""
        number, _, key = user_id.partition(":")
        sign_in = sessions.current_sign_in_id()
        if not number.isdigit() or len(number) > 18 or not key or sign_in is None:
            return None
        row = db.session.execute(
            SESSION_USER, {"user_id": int(number), "sign_in": sign_in, "now": utcnow()}
        ).first()
        if row is None or not row[0].holds_session(key):
            return None
        user, user.unread_count, covered = row
        user.covered_ids = frozenset(int(i) for i in covered.split(",")) if covered else frozenset()
        return user

    @manager.request_loader
    def load_user_from_remember_cookie(_request) -> User | None:
        return sessions.from_remember_cookie()


def roles_required(*roles: Role):
    """Require a signed-in user with one of `roles` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def safe_next_url(target: str | None) -> str | None:
    """Return `target` only when it is a path on this site (no open redirect)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


def next_url_from_request() -> str | None:
    return safe_next_url(request.args.get("next") or request.form.get("next"))
