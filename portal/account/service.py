"""Personal API tokens: create (the secret is returned once), list, revoke, authenticate."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from portal.audit import record
from portal.errors import PortalError
from portal.extensions import db
from portal.models import ApiToken, Frequency, NoticeKind, User, utcnow

TOKEN_PREFIX = "cvg_"
MAX_ACTIVE_TOKENS = 20
# The lifetimes offered when a token is made, in days; the second is the default.
TOKEN_LIFETIMES = (30, 90, 180, 365)


class TokenError(PortalError):
    """The token operation is refused; the message is for the user."""

    status_code = 409


class PreferenceError(PortalError):
    """A notice preference that is not one of the choices."""

    status_code = 400


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    """SHA-256 of the secret.

    A slow password hash (scrypt, bcrypt) defends low-entropy secrets chosen by people
    against guessing. These secrets are 256 random bits from `secrets`, so guessing a
    preimage of a fast hash is as hopeless as guessing the token itself; a fast,
    deterministic hash also lets us find the token by an indexed equality lookup instead
    of trying a salted hash against every row.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    user: User, name: str, *, days: int = TOKEN_LIFETIMES[1], read_only: bool = False
) -> NewToken:
    """Make a token for `user` that expires after `days` and, when `read_only`, may only
    read; the secret is in the result and nowhere else (caller commits)."""
    name = name.strip()
    if days not in TOKEN_LIFETIMES:
        raise TokenError("Choose how long the token works: 30, 90, 180 or 365 days.", 400)
    if not name:
        raise TokenError("Give the token a name, e.g. the script that will use it.", 400)
    if len(active_tokens(user)) >= MAX_ACTIVE_TOKENS:
        raise TokenError(
            f"You already have {MAX_ACTIVE_TOKENS} active tokens; revoke one you no longer use."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        created_at=now,
        name=name[:80],
        prefix=secret[:12],
        token_hash=hash_token(secret),
        expires_at=now + timedelta(days=days),
        read_only=read_only,
    )
    db.session.add(token)
    db.session.flush()
    record(
        user,
        "api_token_created",
        token,
        after={
            "name": token.name,
            "prefix": token.prefix,
            "expires": token.expires_at.date().isoformat(),
            "read_only": read_only,
        },
    )
    return NewToken(token=token, secret=secret)


def active_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (caller commits); others' tokens are not found."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise TokenError("There is no such token.", 404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(user, "api_token_revoked", token, before={"name": token.name})
    return token


# The statement of every API request, built once: the token and its user in one query.
TOKEN_AND_USER = (
    sa.select(ApiToken)
    .join(ApiToken.user)
    .options(contains_eager(ApiToken.user))
    .where(
        ApiToken.token_hash == sa.bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        User.active,
    )
)


def token_for(secret: str, *, writing: bool = False) -> ApiToken | None:
    """The unrevoked token `secret` of an active user, its `user` loaded with it, or None.
    Reads only (the API notes when the token was used after its response,
    `portal.api.auth`). An expired token, or a read-only one used to write (`writing`), is
    refused with a TokenError that says so."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(TOKEN_AND_USER, {"digest": hash_token(secret)})
    if token is None:
        return None
    refuse_use(token, writing=writing)
    return token


def refuse_use(token: ApiToken, *, writing: bool) -> None:
    """TokenError when `token` has expired (401) or is read-only and asked to write (403)."""
    if token.expired(utcnow()):
        raise TokenError(
            f"This API token expired on {token.expires_at:%Y-%m-%d}; "
            "make a new one on your profile page.",
            401,
        )
    if writing and token.read_only:
        raise TokenError(
            "This API token is read-only: it cannot create, change or delete anything. "
            "Use a read-write token.",
            403,
        )


def set_notice_preferences(user: User, chosen: dict[str, str]) -> None:
    """Store how often `user` wants e-mail about each kind (caller commits)."""
    preferences = {}
    for kind in NoticeKind:
        value = chosen.get(kind.value)
        if value not in Frequency._value2member_map_:
            raise PreferenceError(f"Choose how often to e-mail “{kind.label}”.", field=kind.value)
        preferences[kind.value] = value
    user.notice_preferences = preferences
    record(user, "notice_preferences_changed", user, after=preferences)
