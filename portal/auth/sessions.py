"""Sign-ins you can end, one device at a time or all at once.

Every sign-in is a `SignIn` row. The session cookie names it (`session["sign_in"]`, beside
Flask-Login's "<user id>:<session key>"), so deleting the row ends that device's session and
every copy of its cookie. "Remember me" adds a cookie `<row id>.<secret>`: the secret is
random per sign-in, only its SHA-256 is stored, and it is replaced by a new one each time it
brings a session back (a stolen copy then stops working once the owner comes back). A
sign-in, and so its remember-me cookie, lasts `REMEMBER_COOKIE_DURATION` (30 days) from its
start or last rotation; the cookie is HttpOnly, SameSite=Lax and Secure in production.
The secret a rotation replaced is let in for `REUSE_GRACE` more (a browser's requests sent
together); shown later it can only be a copy, so that sign-in ends at once, for the copy
and the original alike, and the person is told (audit event `remember_me_reused`).

Signing out deletes this device's row; "sign out everywhere", a password change or reset
and deactivation delete every row of the person (`User.end_sessions`).

Bringing a session back from the remember-me cookie is a sign-in, so it writes (the new
secret) even on a GET; if that write fails the person is signed in with the old secret kept.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from portal.audit import notify, record
from portal.extensions import db, writing
from portal.models import Notification, SignIn, User, utcnow

COOKIE = "remember_me"
SESSION_FIELD = "sign_in"
# The cookie of Flask-Login's own remember-me ("<id>|HMAC", valid a year), no longer used:
# deleted wherever it is still seen (Flask-Login looks for REMEMBER_COOKIE_NAME instead,
# which nothing sets, so that the request loader below always decides).
LEGACY_COOKIE = "remember_token"
# A secret's length (token_urlsafe(32) gives 43 characters); longer is not one of ours.
SECRET_MAX = 64
# A secret replaced this recently is still let in, without another rotation: requests a
# browser sent together with the same cookie (tabs reopened at once) all find the person
# signed in, and the browser keeps the newest cookie. Later it can only be a copy.
REUSE_GRACE = timedelta(seconds=30)


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


def _matches(stored: str | None, digest: str) -> bool:
    return stored is not None and hmac.compare_digest(stored, digest)


def from_remember_cookie() -> User | None:
    """The user a valid remember-me cookie brings back, signed in again with the cookie's
    secret replaced; None (and the cookie deleted) when it is not valid. The secret the
    last rotation replaced is still let in for `REUSE_GRACE` (without rotating again); after
    that, showing it ends the sign-in (`_end_reused`)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    with writing():  # a sign-in, which writes even on a GET
        number, _, secret = raw.partition(".")
        row = None
        if number.isdigit() and len(number) <= 18 and secret and len(secret) <= SECRET_MAX:
            row = db.session.scalar(
                sa.select(SignIn)
                .join(SignIn.user)
                .where(SignIn.id == int(number), SignIn.expires_at > utcnow(), User.active)
            )
        if row is not None:
            digest = _digest(secret)
            if _matches(row.remember_hash, digest):
                return _bring_back(row, rotate_from=digest)
            if _matches(row.previous_hash, digest):
                if row.rotated_at is not None and utcnow() - row.rotated_at <= REUSE_GRACE:
                    return _bring_back(row, rotate_from=None)
                _end_reused(row)
        g.remember_cookie = ""
        return None


def _bring_back(row: SignIn, *, rotate_from: str | None) -> User:
    """Sign the person of `row` in on this request; with `rotate_from` (the digest of the
    secret shown) the secret is replaced, unless a request at the same moment did it first
    (that one's cookie is the browser's), or the database refuses the write just now (the
    old secret then stays)."""
    user, number = row.user, row.id
    if rotate_from is not None:
        fresh = secrets.token_urlsafe(32)
        now = utcnow()
        try:
            rotated = db.session.execute(
                sa.update(SignIn)
                .where(SignIn.id == number, SignIn.remember_hash == rotate_from)
                .values(
                    remember_hash=_digest(fresh),
                    previous_hash=rotate_from,
                    rotated_at=now,
                    expires_at=now + _lifetime(),
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
            if rotated:
                g.remember_cookie = f"{number}.{fresh}"
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.warning("remember-me secret of sign-in %s not rotated", number)
        user = db.session.get(User, user.id)
    login_user(user, fresh=False)
    session[SESSION_FIELD] = number
    # What the session loader counts on later requests.
    user.unread_count = db.session.scalar(Notification.badge_count(user.id, user.inbox_seen_at))
    return user


REUSED_NOTICE = (
    "A remember-me cookie of one of your sign-ins was shown again after it had been "
    "replaced, as a copied cookie would be, so that sign-in is ended: sign in again on that "
    "device. If you did not expect this, change your password and sign out everywhere."
)


def _end_reused(row: SignIn) -> None:
    """A replaced remember-me secret came back after the grace: someone holds a copy, and
    either they or the owner hold the current one. End that sign-in (its sessions and
    remember-me cookie, whoever has them), audit it and tell the person."""
    user, number = row.user, row.id
    after = {
        "address": request.remote_addr or "unknown",
        "sign_in": number,
        "replaced_at": row.rotated_at.isoformat(timespec="seconds"),
    }
    try:
        ended = db.session.execute(sa.delete(SignIn).where(SignIn.id == number)).rowcount
        if ended:  # not already ended by a request at the same moment
            record(None, "remember_me_reused", user, after=after)
            notify([user], REUSED_NOTICE, link=url_for("account.profile"))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.error("sign-in %s of a reused remember-me secret not ended", number)
        return
    current_app.logger.warning(
        "replaced remember-me secret of sign-in %s shown from %s: sign-in ended",
        number,
        after["address"],
    )


def _set_cookie(response: Response) -> Response:
    if LEGACY_COOKIE in request.cookies:
        response.delete_cookie(LEGACY_COOKIE)
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
