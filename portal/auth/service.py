"""Account operations: create users, authenticate, change and reset passwords, end sessions."""

import hashlib
import secrets
from functools import cache

import sqlalchemy as sa
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from portal.audit import notify
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
# An invitation to a new account is the same single-use link as a reset (it stops working
# once a password is set), valid for longer: people do not read their mail within an hour.
INVITE_LINK_MAX_AGE = 7 * 24 * 3600
INVITE_SALT = "converge-invitation"
# How long the link that finishes a sign-up works (when e-mail is configured).
SIGNUP_LINK_MAX_AGE = 2 * 24 * 3600
SIGNUP_SALT = "converge-signup"


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
    if not user.email_confirmed:
        raise AccountError(
            "Confirm your e-mail address first: follow the link we sent you when you signed up.",
            401,
        )
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


def _signer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(user: User) -> str:
    # Changes with the password and the session key: a used link, or one older than the
    # last "sign out everywhere", no longer matches.
    material = f"{user.password_hash}|{user.session_key}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def _link_token(user: User, salt: str) -> str:
    return _signer(salt).dumps([user.id, _fingerprint(user)])


def _user_for_link(token: str, salt: str, max_age: int) -> User | None:
    """The active user a valid, unused, unexpired link token names, or None."""
    try:
        user_id, fingerprint = _signer(salt).loads(token, max_age=max_age)
        user = db.session.get(User, int(user_id))
    except (BadSignature, ValueError, TypeError, OverflowError):
        return None
    if user is None or not user.active:
        return None
    if not secrets.compare_digest(_fingerprint(user), str(fingerprint)):
        return None
    return user


def absolute_url(endpoint: str, **values) -> str:
    """A link for an e-mail: on PORTAL_BASE_URL, never on the request's Host header."""
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def reset_link_token(user: User) -> str:
    """A signed token naming `user` that works until it expires or the password changes."""
    return _link_token(user, RESET_SALT)


def user_for_reset_token(token: str) -> User | None:
    """The active user a valid, unused, unexpired reset (or invitation) token names, or None."""
    return _user_for_link(token, RESET_SALT, RESET_LINK_MAX_AGE) or _user_for_link(
        token, INVITE_SALT, INVITE_LINK_MAX_AGE
    )


def mail_configured() -> bool:
    """Whether the portal can send e-mail (MAIL_SERVER is configured)."""
    return "converge_mailer" in current_app.extensions


def send_invitation(user: User, inviter: User) -> str | None:
    """Give `user` a link to choose their password: a reset link that lasts
    INVITE_LINK_MAX_AGE and works once. When the portal can send e-mail the link is mailed
    after commit and None returned; otherwise the link is returned, for the inviter to pass
    on themselves (it is stored nowhere)."""
    link = absolute_url("auth.reset_password_page", token=_link_token(user, INVITE_SALT))
    if not mail_configured():
        return link
    days = INVITE_LINK_MAX_AGE // 86400
    send_after_commit(
        user.email,
        "Converge: your account is ready",
        f"{inviter.name} made you a Converge account ({user.email}) as "
        f"{user.role.label} in {user.department.name}.\n\n"
        f"Choose your password here within {days} days; the link works once:\n{link}\n\n"
        "Then sign in with your e-mail and that password.",
    )
    return None


def request_password_reset(email: str) -> None:
    """Mail a reset link, after commit, when an active account uses `email`; nothing
    otherwise. The caller answers the same either way."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        return
    link = absolute_url("auth.reset_password_page", token=reset_link_token(user))
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
    user.email_confirmed = True  # the link reached the mailbox
    return user


def signup_confirms_by_e_mail() -> bool:
    """Whether sign-up proves the address by e-mail: whenever the portal can send e-mail.

    Without e-mail (a demo, a laptop) there is no way to prove an address, so sign-up
    creates the account at once (`sign_up_without_e_mail`); it answers the same for a taken
    address, whose owner is told in their inbox."""
    return mail_configured()


TAKEN_SIGNUP_NOTICE = (
    "Someone tried to create a Converge account with your e-mail address; nothing was "
    "changed. If it was you, sign in with your password (or ask an administrator to reset "
    "it). If not, you need do nothing."
)


def sign_up_without_e_mail(
    *, email: str, name: str, password: str, department: Department
) -> User | None:
    """Sign-up when the portal cannot send e-mail: the new account, or None when the address
    already has one (caller commits). Both cost the same checks and password hash, and the
    caller answers both alike ("sign in"), so the answer does not tell which addresses have
    accounts; the owner of a taken address finds a notice in their inbox."""
    email = normalize_email(email)
    owner = db.session.scalar(sa.select(User).where(User.email == email))
    if owner is None:
        return create_user(email=email, name=name, password=password, department=department)
    check_password(password, known=(email, name))  # the same refusals as for a new address
    generate_password_hash(password)  # the same time as creating the account
    notify([owner], TAKEN_SIGNUP_NOTICE)
    return None


def start_signup(*, email: str, name: str, password: str, department: Department) -> None:
    """Sign-up when e-mail is configured: the same answer for every address (the caller
    says "check your e-mail"), and what happens is told only to the mailbox (caller
    commits; the letter goes after the commit).

    A new address gets an unconfirmed account and a link that confirms it and signs in.
    An address of an unconfirmed account gets that account re-described (the latest
    sign-up wins until someone proves the mailbox) and a fresh link. An address of a
    confirmed account gets a letter saying so, with a way to reset the password."""
    email = normalize_email(email)
    check_password(password, known=(email, name))
    password_hash = generate_password_hash(password)  # also for a taken address: same timing
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None and user.email_confirmed:
        send_after_commit(
            email,
            "Converge: you already have an account",
            f"Someone (hopefully you) tried to create a Converge account for {email}, "
            "which already has one. Nothing was changed.\n\n"
            f"Sign in: {absolute_url('auth.login')}\n"
            f"Forgot your password? Choose a new one: {absolute_url('auth.forgot_password')}",
        )
        return
    if user is None:
        user = User(email=email, role=Role.EMPLOYEE, email_confirmed=False)
        db.session.add(user)
    user.name = name.strip()
    user.department = department
    user.password_hash = password_hash
    user.end_sessions()
    db.session.flush()
    hours = SIGNUP_LINK_MAX_AGE // 3600
    link = absolute_url("auth.confirm_signup_page", token=_link_token(user, SIGNUP_SALT))
    send_after_commit(
        email,
        "Converge: finish creating your account",
        f"Welcome to Converge, {user.name}. Open this link within {hours} hours to confirm "
        f"your e-mail address and sign in:\n{link}\n\n"
        "If you did not sign up, ignore this e-mail: without the link no account is made.",
    )


def user_for_signup_token(token: str) -> User | None:
    """The unconfirmed user a valid sign-up link names, or None."""
    user = _user_for_link(token, SIGNUP_SALT, SIGNUP_LINK_MAX_AGE)
    return user if user is not None and not user.email_confirmed else None


def confirm_signup(token: str) -> User:
    """Confirm the address of a sign-up link; the caller signs the user in and commits."""
    user = user_for_signup_token(token)
    if user is None:
        raise AccountError(
            "This link has expired or was already used. Sign in, or sign up again.", 400
        )
    user.email_confirmed = True
    user.last_login_at = utcnow()
    return user
