"""Account operations: create users, authenticate, change and reset passwords, end sessions."""

import hashlib
import secrets
from functools import cache

import sqlalchemy as sa
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from portal.errors import PortalError
from portal.extensions import db
from portal.mail import send_after_commit
from portal.models import Department, Role, User, utcnow

# How long a password must be: long enough to resist guessing, short enough to hash quickly.
PASSWORD_MIN = 10
PASSWORD_MAX = 128
# zxcvbn's 0–4 guessability score: 3 is "safely unguessable" against an online attack.
PASSWORD_SCORE_MIN = 3
# How long a password-reset link works (it also stops working once used).
RESET_LINK_MAX_AGE = 3600
RESET_SALT = "converge-password-reset"


class AccountError(PortalError):
    """The account cannot be created or used as asked; the message says why."""

    status_code = 409


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str, *, known: tuple[str, ...] = ()) -> None:
    """Refuse (AccountError on `password`) a password outside the allowed length, or one that
    is common or easy to guess (zxcvbn; `known` are the person's name and e-mail)."""
    if len(password or "") < PASSWORD_MIN:
        raise AccountError(
            f"The password needs at least {PASSWORD_MIN} characters.", 400, "password"
        )
    if len(password) > PASSWORD_MAX:
        raise AccountError(
            f"The password may have at most {PASSWORD_MAX} characters.", 400, "password"
        )
    # The first 64 characters decide: zxcvbn's time grows with length, strength does not drop.
    verdict = zxcvbn(password[:64], user_inputs=[k for k in known if k])
    if verdict["score"] < PASSWORD_SCORE_MIN:
        hint = verdict["feedback"]["warning"] or "It is too easy to guess."
        raise AccountError(
            f"Choose a harder password: {hint} A few uncommon words make a strong one.",
            400,
            "password",
        )


def create_user(
    *, email: str, name: str, password: str, department: Department, role: Role = Role.EMPLOYEE
) -> User:
    """Add a user (caller commits); refuses an e-mail already registered or a password
    the rule refuses."""
    email = normalize_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError("An account with this e-mail already exists.", field="email")
    check_password(password, known=(email, name))
    user = User(email=email, name=name.strip(), role=role, department=department)
    user.set_password(password)
    db.session.add(user)
    return user


@cache
def _unknown_user_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User:
    """The user with these credentials, or AccountError with a message safe to show.

    An unknown e-mail costs the same password hash as a known one: the answer's timing
    does not tell which addresses have accounts."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None:
        check_password_hash(_unknown_user_hash(), password)
        raise AccountError("Wrong e-mail or password.", 401)
    if not user.check_password(password):
        raise AccountError("Wrong e-mail or password.", 401)
    if not user.active:
        raise AccountError("This account has been deactivated. Ask an administrator.", 401)
    if not user.session_key:  # first sign-in since session keys exist
        user.end_sessions()
    user.last_login_at = utcnow()
    return user


def end_all_sessions(user: User) -> None:
    """Sign `user` out everywhere: every session and remember-me cookie (caller commits)."""
    user.end_sessions()


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; ends every session of the user,
    this one included: the caller signs this one in again (caller commits)."""
    if not user.check_password(current or ""):
        raise AccountError("The current password is wrong.", 400, "current")
    check_password(new, known=(user.email, user.name))
    user.set_password(new)
    user.end_sessions()


def _reset_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _reset_fingerprint(user: User) -> str:
    # Changes with the password and the session key: a used link, or one older than the
    # last "sign out everywhere", no longer matches.
    material = f"{user.password_hash}|{user.session_key}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def reset_link_token(user: User) -> str:
    """A signed token naming `user` that works until it expires or the password changes."""
    return _reset_signer().dumps([user.id, _reset_fingerprint(user)])


def user_for_reset_token(token: str) -> User | None:
    """The active user a valid, unused, unexpired reset token names, or None."""
    try:
        user_id, fingerprint = _reset_signer().loads(token, max_age=RESET_LINK_MAX_AGE)
        user = db.session.get(User, int(user_id))
    except (BadSignature, ValueError, TypeError, OverflowError):
        return None
    if user is None or not user.active:
        return None
    if not secrets.compare_digest(_reset_fingerprint(user), str(fingerprint)):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link, after commit, when an active account uses `email`; nothing
    otherwise. The caller answers the same either way."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        return
    link = current_app.config["PORTAL_BASE_URL"].rstrip("/") + url_for(
        "auth.reset_password_page", token=reset_link_token(user)
    )
    minutes = RESET_LINK_MAX_AGE // 60
    send_after_commit(
        user.email,
        "Converge: reset your password",
        f"Someone (hopefully you) asked to reset the Converge password of {user.email}.\n\n"
        f"Choose a new password here within {minutes} minutes; the link works once:\n{link}\n\n"
        "If you did not ask, ignore this e-mail: your password stays as it is.",
    )


def reset_password(token: str, new: str) -> User:
    """Set a new password through a reset link; the link is then used up and every session
    ends (caller commits)."""
    user = user_for_reset_token(token)
    if user is None:
        raise AccountError(
            "This reset link has expired or was already used. Ask for a new one.", 400
        )
    check_password(new, known=(user.email, user.name))
    user.set_password(new)
    user.end_sessions()
    return user
