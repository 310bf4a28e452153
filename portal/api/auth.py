"""Bearer-token authentication and role checks for the API blueprints.

The API never looks at the session cookie: a browser session cannot drive it, so a
forged cross-site request carries no credentials and CSRF protection is not needed.

A request only reads: when the token was last used is noted after the response, in a
transaction of its own, at most once per `TOKEN_USE_INTERVAL` seconds, and a busy database
only delays that note (it is logged, never an error for the caller). The token and its user
come in one statement; when the token was read as used within the interval, the request
notes nothing and opens no second transaction.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, abort, after_this_request, current_app, g, request

from portal.account.service import hash_token, token_for
from portal.extensions import SAFE_METHODS, db, writing
from portal.models import ApiToken, Role, User, utcnow

log = logging.getLogger(__name__)

# How long the note of a token's use waits for a lock before giving up.
LOCK_WAIT_MS = 200


def authenticate() -> None:
    """`before_request` of every API blueprint: find the token's user or answer 401."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401, description="Send your API token: `Authorization: Bearer <token>`.")
    token = token_for(secret.strip(), writing=request.method not in SAFE_METHODS)
    if token is None:
        abort(401, description="The API token is unknown, revoked, or its user is deactivated.")
    g.api_user = token.user
    last = token.last_used_at
    if last is None or last <= _noted_before(current_app._get_current_object(), utcnow()):
        _note_use_after_response(secret.strip())  # else: used recently, nothing to note


def _noted_before(app: Flask, now: datetime) -> datetime:
    """A token last used before this moment has its use noted again (TOKEN_USE_INTERVAL)."""
    return now - timedelta(seconds=app.config["TOKEN_USE_INTERVAL"])


def _note_use_after_response(secret: str) -> None:
    app = current_app._get_current_object()
    digest = hash_token(secret)

    @after_this_request
    def note(response):
        response.call_on_close(lambda: record_token_use(app, digest))
        return response


def record_token_use(app: Flask, digest: str) -> bool:
    """Set the token's `last_used_at` to now unless it was set less than the interval ago;
    True when it wrote. Runs outside any request, commits its own short transaction, and
    logs (never raises) when the database is busy or down."""
    now = utcnow()
    due = sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= _noted_before(app, now))
    try:
        with app.app_context(), db.engine.connect() as connection:
            with connection.begin():
                if not connection.scalar(
                    sa.select(sa.func.count()).where(ApiToken.token_hash == digest, due)
                ):
                    return False  # used recently: no write, no lock
            # `due` again: of two requests at once, only one writes.
            with _short_lock_wait(connection), writing(), connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'")
                written = connection.execute(
                    sa.update(ApiToken)
                    .where(ApiToken.token_hash == digest, due)
                    .values(last_used_at=now)
                ).rowcount
        return bool(written)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("API token use not recorded (a later call will): %s", exc)
        return False


@contextmanager
def _short_lock_wait(connection: sa.Connection) -> Iterator[None]:
    """On SQLite, wait only LOCK_WAIT_MS for the write lock (instead of the usual seconds);
    PostgreSQL's wait is set inside the transaction."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    usual = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute(f"PRAGMA busy_timeout = {LOCK_WAIT_MS}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(usual)}")


def caller() -> User:
    """The user the token belongs to."""
    return g.api_user


def require_role(*roles: Role) -> User:
    """The caller, when their role is one of `roles`; 403 otherwise."""
    user = caller()
    if user.role not in roles:
        abort(403, description="Your role does not allow this.")
    return user
