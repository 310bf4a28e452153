"""Bearer-token authentication and role checks for the API blueprints.

The API never looks at the session cookie: a browser session cannot drive it, so a
forged cross-site request carries no credentials and CSRF protection is not needed.
"""

from flask import abort, g, request

from portal.account.service import user_for_token
from portal.extensions import db
from portal.models import Role, User

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")  # what a read-only token may send


def authenticate() -> None:
    """`before_request` of every API blueprint: find the token's user or answer 401."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401, description="Send your API token: `Authorization: Bearer <token>`.")
    user = user_for_token(secret.strip(), writing=request.method not in SAFE_METHODS)
    db.session.commit()  # when the token was last used
    if user is None:
        abort(401, description="The API token is unknown, revoked, or its user is deactivated.")
    g.api_user = user


def caller() -> User:
    """The user the token belongs to."""
    return g.api_user


def require_role(*roles: Role) -> User:
    """The caller, when their role is one of `roles`; 403 otherwise."""
    user = caller()
    if user.role not in roles:
        abort(403, description="Your role does not allow this.")
    return user
