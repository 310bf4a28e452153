"""Sign-ins you can end, one device at a time or all at once.

Every sign-in is a `SignIn` row. The session cookie names it (`session["sign_in"]`, beside
Flask-Login's "<user id>:<session key>"), so deleting the row ends that device's session and
every copy of its cookie. "Remember me" adds a cookie `<row id>.<secret>`: the secret is
random per sign-in, only its SHA-256 is stored, and it is replaced by a new one each time it
brings a session back (a stolen copy then stops working once the owner comes back). A
sign-in, and so its remember-me cookie, lasts `REMEMBER_COOKIE_DURATION` (30 days) from its
start or last rotation; the cookie is HttpOnly, SameSite=Lax and Secure in production.

Signing out deletes this device's row; "sign out everywhere", a password change or reset
and deactivation delete every row of the person (`User.end_sessions`).

Bringing a session back from the remember-me cookie is a sign-in, so it writes (the new
secret) even on a GET; if that write fails the person is signed in with the old secret kept.
"""

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.models import Notification, SignIn, User, utcnow

COOKIE = "remember_me"
SESSION_FIELD = "sign_in"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _lifetime():
    return current_app.config["REMEMBER_COOKIE_DURATION"]


def start(user: User, *, remember: bool = False) -> SignIn:
    """Sign `user` in on this device: a fresh session (nothing set before carries over) and,
    with `remember`, a remember-me cookie (caller commits)."""
    db.session.flush()  # a new user gets their id
    row = SignIn(user_id=user.id, expires_at=utcnow() + _lifetime())
    secret = None
    if remember:
        secret = secrets.token_urlsafe(32)
        row.remember_hash = _digest(secret)
    db.session.add(row)
    # Finished sign-ins of this person go with each new one, so the table stays small.
    db.session.execute(
        sa.delete(SignIn).where(SignIn.user_id == user.id, SignIn.expires_at <= utcnow())
    )
    db.session.flush()
    session.clear()
    login_user(user)
    session[SESSION_FIELD] = row.id
    g.remember_cookie = f"{row.id}.{secret}" if secret else ""
    return row


def end_here() -> None:
    """Sign out this device: its sign-in row, session and remember-me cookie (caller
    commits)."""
    number = session.get(SESSION_FIELD)
    if isinstance(number, int):
        db.session.execute(sa.delete(SignIn).where(SignIn.id == number))
    logout_user()
    session.clear()
    g.remember_cookie = ""


def current_sign_in_id() -> int | None:
    number = session.get(SESSION_FIELD)
    return number if isinstance(number, int) else None


def from_remember_cookie() -> User | None:
    """The user a valid remember-me cookie brings back, signed in again with the cookie's
    secret replaced; None (and the cookie deleted) when it is not valid."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    number, _, secret = raw.partition(".")
    row = None
    if number.isdigit() and len(number) <= 18 and secret:
        row = db.session.scalar(
            sa.select(SignIn)
            .join(SignIn.user)
            .where(SignIn.id == int(number), SignIn.expires_at > utcnow(), User.active)
        )
    if (
        row is None
        or row.remember_hash is None
        or not hmac.compare_digest(row.remember_hash, _digest(secret))
    ):
        g.remember_cookie = ""
        return None
    user = row.user
    fresh = secrets.token_urlsafe(32)
    row.remember_hash = _digest(fresh)
    row.expires_at = utcnow() + _lifetime()
    try:
        db.session.commit()
        g.remember_cookie = f"{row.id}.{fresh}"
    except SQLAlchemyError:  # the database refuses writes just now: keep the old secret
        db.session.rollback()
        current_app.logger.warning("remember-me secret of sign-in %s not rotated", number)
        user = db.session.get(User, user.id)
    login_user(user, fresh=False)
    session[SESSION_FIELD] = int(number)
    # What the session loader counts on later requests.
    user.unread_count = db.session.scalar(Notification.badge_count(user.id, user.inbox_seen_at))
    return user


def _set_cookie(response: Response) -> Response:
    value = g.pop("remember_cookie", None)
    if value is None:
        return response
    config = current_app.config
    if value:
        response.set_cookie(
            COOKIE,
            value,
            max_age=int(_lifetime().total_seconds()),
            secure=config["REMEMBER_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    elif COOKIE in request.cookies:
        response.delete_cookie(
            COOKIE, secure=config["REMEMBER_COOKIE_SECURE"], httponly=True, samesite="Lax"
        )
    return response


def register(app: Flask) -> None:
    app.after_request(_set_cookie)


def session_values(user: User) -> dict:
    """What a session cookie of a new sign-in of `user` holds, for test clients and
    benchmarks that sign in without the form (caller commits)."""
    row = SignIn(user_id=user.id, expires_at=utcnow() + _lifetime())
    db.session.add(row)
    db.session.flush()
    return {"_user_id": user.get_id(), "_fresh": True, SESSION_FIELD: row.id}
