"""Flask-Login wiring and the role check every protected route uses."""

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import LoginManager, current_user, login_required

from portal.extensions import db
from portal.models import Role, User


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "Please sign in to see that page."
    manager.login_message_category = "info"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The active user of a session or remember-me cookie ("<id>:<session key>",
        User.get_id) while the key is still theirs: a new key ends every older cookie."""
        number, _, key = user_id.partition(":")
        if not number.isdigit() or len(number) > 18 or not key:
            return None
        user = db.session.get(User, int(number))
        if user is None or not user.active or not user.holds_session(key):
            return None
        return user


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
