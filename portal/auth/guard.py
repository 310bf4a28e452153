"""Guarding sign-in: limits per account and per address, and the audit trail of attempts.

Only failed attempts count against the limits, so a person who types their password right
is never held back. The account limit follows the e-mail typed, from whatever address;
the address limit follows the client's address (the real one behind trusted proxies, see
PORTAL_PROXY_HOPS). Several windows per limit ("10 per minute; 30 per hour") make a
persistent guesser wait longer and longer.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Response, current_app, request
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address

from portal.audit import record, record_about_nobody
from portal.auth.service import normalize_email
from portal.auth.sso import SsoError
from portal.auth.sso import settings as sso_settings
from portal.extensions import db, limiter
from portal.models import User


def submitted_account() -> str:
    """The limit key of the account being signed in to: the e-mail as typed, normalized."""
    return "account:" + normalize_email(request.form.get("email", ""))[:254]


def account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def failed_sign_in(response: Response) -> bool:
    """Whether the response refused a sign-in (success redirects; 429 is the limit itself)."""
    return response.status_code not in (302, 303, 429)


def _account_user() -> User | None:
    email = normalize_email(request.form.get("email", ""))
    if not email:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def _address() -> str:
    return get_remote_address() or "unknown"


def record_sign_in(user: User, *, via: str = "password") -> None:
    """Audit a successful sign-in, with a password or single sign-on (the caller commits)."""
    after = {"address": _address()}
    if via != "password":
        after["via"] = via
    record(user, "signed_in", user, after=after)


def record_failed_sso(refused: SsoError) -> None:
    """Audit a refused single sign-on (the caller commits): on the account of the identity
    or e-mail the provider named, when there is one, else as an event about nobody."""
    after = {"address": _address(), "reason": refused.reason}
    if refused.email:
        after["email"] = refused.email
    user = None
    if refused.subject:
        after["subject"] = refused.subject
        user = db.session.scalar(
            sa.select(User).where(
                User.sso_issuer == sso_settings().issuer,
                User.sso_subject == refused.subject,
            )
        )
    if user is None and refused.email:
        user = db.session.scalar(sa.select(User).where(User.email == refused.email))
    current_app.logger.info("single sign-on refused from %s: %s", _address(), refused.reason)
    if user is None:
        record_about_nobody("sso_sign_in_failed", "users", after=after)
    else:
        record(None, "sso_sign_in_failed", user, after=after)


def record_failed_sign_in(reason: str) -> None:
    """Audit a refused sign-in to an existing account (the caller commits); attempts on
    e-mails without an account are only logged, having nothing to attach to."""
    user = _account_user()
    if user is None:
        current_app.logger.info("sign-in refused for an unknown e-mail from %s", _address())
        return
    record(None, "sign_in_failed", user, after={"address": _address(), "reason": reason})


def record_lockout(breach: RequestLimit) -> bool:
    """Audit a sign-in lockout once per window and key (its first refused attempt), however
    many workers there are; whether an event was added (the caller commits)."""
    window = type(breach.limit)(1, breach.limit.multiples)  # one mark per breached window
    if not limiter.limiter.hit(window, "sign-in-lockout-audit", breach.key):
        return False
    until = datetime.fromtimestamp(breach.reset_at, UTC).isoformat(timespec="seconds")
    current_app.logger.warning("sign-in locked out (%s) until %s", breach.limit, until)
    user = _account_user()
    if user is None:
        return False
    record(
        None,
        "sign_in_locked_out",
        user,
        after={"address": _address(), "limit": str(breach.limit), "until": until},
    )
    return True
