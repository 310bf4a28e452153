"""Single sign-on with the company's OpenID provider: its settings, the Authlib client, and
the verified identity a callback carries, every way the exchange can fail turned into one
refusal with a message for people.

The authorization-code flow with PKCE: `/auth/sso` sends the browser to the provider with a
fresh state, nonce and S256 code challenge (Authlib keeps them in the signed session); the
provider sends it back to `/auth/sso/callback`, where Authlib matches and forgets the state,
trades the code and its verifier for tokens, and checks the ID token: signature against the
provider's published keys, issuer, audience, expiry and nonce. Claims are read from the ID
token.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from email_validator import EmailNotValidError, validate_email
from flask import Flask, Response, current_app
from joserfc.errors import ClaimError, JoseError

from portal.config import ConfigError
from portal.errors import PortalError
from portal.models import ROLE_AUTHORITY, Role, role_rank

CLIENT_NAME = "oidc"  # Authlib's registry name (it also reads app.config["OIDC_CLIENT_ID"])
# Seconds the portal waits for the provider (discovery, keys, token) before giving up.
PROVIDER_TIMEOUT = 10
# An ID token longer than this is not kept for the sign-out hint (the session is a cookie).
ID_TOKEN_HINT_MAX = 2000


class SsoError(PortalError):
    """A single sign-on that cannot complete; the message is for the person, `reason` for
    the audit trail, `email`/`subject` name who it was about when the provider said so."""

    status_code = 401

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        *,
        reason: str,
        email: str | None = None,
        subject: str | None = None,
    ):
        super().__init__(message, status_code)
        self.reason = reason
        self.email = email
        self.subject = subject


@dataclass(frozen=True)
class SsoSettings:
    """OIDC_* from the environment, checked once when the app starts."""

    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str
    provider_name: str
    role_claim: str
    role_map: Mapping[str, Role]
    department_claim: str
    covers_claim: str
    manages_roles: bool


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says about the person signing in."""

    issuer: str
    subject: str
    email: str
    name: str
    groups: list[str] = field(default_factory=list)
    department: str | None = None
    covers: list[str] | None = None  # None: the claim was absent
    id_token: str = ""


def parse_role_map(text: str) -> dict[str, Role]:
    """`group=role,group=role` as {group: Role}; a role the portal does not define, or an
    item that is not group=role, stops the app (ConfigError) rather than sign people in
    with less or more than meant."""
    mapping: dict[str, Role] = {}
    known = ", ".join(name for name in ROLE_AUTHORITY if name in Role._value2member_map_)
    for item in (text or "").split(","):
        if not item.strip():
            continue
        group, sep, role = item.rpartition("=")
        group, role = group.strip(), role.strip()
        if not sep or not group:
            raise ConfigError(f"OIDC_ROLE_MAP: {item.strip()!r} is not group=role")
        try:
            mapping[group] = Role(role)
        except ValueError:
            raise ConfigError(
                f"OIDC_ROLE_MAP: {role!r} (for group {group!r}) is not a role; roles: {known}"
            ) from None
    return mapping


def settings_from(config: Mapping) -> SsoSettings | None:
    """The single sign-on settings, None when OIDC_ISSUER is unset; ConfigError when they
    cannot work (or when password sign-in is off without single sign-on to replace it)."""
    issuer = config.get("OIDC_ISSUER")
    if not issuer:
        if not config.get("PASSWORD_LOGIN", True):
            raise ConfigError("PORTAL_PASSWORD_LOGIN=0 needs single sign-on: set OIDC_ISSUER")
        return None
    issuer = issuer.rstrip("/")
    if urlsplit(issuer).scheme not in ("http", "https") or not urlsplit(issuer).hostname:
        raise ConfigError(f"OIDC_ISSUER must be the provider's URL, not {issuer!r}")
    if not config.get("OIDC_CLIENT_ID"):
        raise ConfigError("OIDC_ISSUER is set: OIDC_CLIENT_ID must be set too")
    scopes = " ".join(config.get("OIDC_SCOPES", "openid email profile").split())
    if "openid" not in scopes.split():
        raise ConfigError("OIDC_SCOPES must include openid")
    return SsoSettings(
        issuer=issuer,
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config.get("OIDC_CLIENT_SECRET") or None,
        scopes=scopes,
        provider_name=config.get("OIDC_PROVIDER_NAME") or urlsplit(issuer).netloc,
        role_claim=config.get("OIDC_ROLE_CLAIM") or "groups",
        role_map=parse_role_map(config.get("OIDC_ROLE_MAP", "")),
        department_claim=config.get("OIDC_DEPARTMENT_CLAIM") or "department",
        covers_claim=config.get("OIDC_COVERS_CLAIM") or "covers",
        manages_roles=bool(config.get("OIDC_MANAGE_ROLES", True)),
    )


def init_app(app: Flask) -> None:
    """Check the settings (the app does not start with wrong ones) and register the client."""
    configured = settings_from(app.config)
    app.extensions["converge_sso"] = configured
    if configured is not None:
        client_kwargs = {
            "scope": configured.scopes,
            "code_challenge_method": "S256",
            "default_timeout": PROVIDER_TIMEOUT,
        }
        if configured.client_secret is None:  # a public client: PKCE alone proves it
            client_kwargs["token_endpoint_auth_method"] = "none"
        OAuth(app).register(
            CLIENT_NAME,
            client_id=configured.client_id,
            client_secret=configured.client_secret,
            server_metadata_url=f"{configured.issuer}/.well-known/openid-configuration",
            client_kwargs=client_kwargs,
        )

    @app.context_processor
    def sign_in_choices() -> dict:
        return {
            "sso_provider_name": configured.provider_name if configured else None,
            "password_login": app.config.get("PASSWORD_LOGIN", True),
        }


def settings() -> SsoSettings | None:
    return current_app.extensions.get("converge_sso")


def _client():
    return current_app.extensions["authlib.integrations.flask_client"].create_client(CLIENT_NAME)


def _unreachable(exc: Exception) -> SsoError:
    name = settings().provider_name
    return SsoError(
        f"{name} cannot be reached right now, so you are not signed in. "
        "Try again in a few minutes; if it persists, tell your administrator.",
        reason=f"provider unreachable or answering wrongly: {type(exc).__name__}: {exc}"[:300],
    )


def authorization_redirect(redirect_uri: str) -> Response:
    """The redirect to the provider's sign-in, with state, nonce and code challenge kept in
    the session; SsoError when the provider cannot be reached."""
    try:
        return _client().authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        # RuntimeError: discovery answered without an authorization endpoint.
        raise _unreachable(exc) from exc


def identity_from_callback() -> Identity:
    """The identity the provider vouches for in this callback, verified; SsoError otherwise."""
    name = settings().provider_name
    client = _client()
    try:
        token = client.authorize_access_token()
    except MismatchingStateError:
        raise SsoError(
            "This sign-in was not started in this browser, or it was already used. "
            f"Start again with “Sign in with {name}”.",
            400,
            reason="state does not match a sign-in started in this browser",
        ) from None
    except OAuthError as exc:
        raise _provider_refusal(exc, name) from exc
    except ClaimError as exc:
        claim = getattr(exc, "claim", "")
        what = {
            "iss": "it comes from another issuer",
            "aud": "it was issued to another application",
            "azp": "it was issued to another application",
            "exp": "it has expired",
            "nonce": "it was not made for this sign-in",
        }
        raise SsoError(
            f"{name}'s answer could not be trusted ({what.get(claim, 'a claim is wrong')}), "
            "so you are not signed in. Tell your administrator if it persists.",
            reason=f"ID token refused: {exc}",
        ) from exc
    except JoseError as exc:
        raise SsoError(
            f"{name}'s answer could not be verified (its signature does not match the "
            "provider's keys), so you are not signed in. Tell your administrator if it persists.",
            reason=f"ID token refused: {type(exc).__name__}: {exc}",
        ) from exc
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        raise _unreachable(exc) from exc
    claims = token.get("userinfo")
    if not claims:
        raise SsoError(
            f"{name} did not send who you are (no ID token), so you are not signed in.",
            reason="no ID token in the token response",
        )
    return _identity(dict(claims), token.get("id_token", ""))


def _provider_refusal(exc: OAuthError, name: str) -> SsoError:
    reason = f"provider refused: {exc.error}: {exc.description or ''}"[:300]
    if exc.error == "access_denied":
        message = f"{name} did not sign you in (the sign-in was cancelled or refused)."
    elif exc.error == "invalid_grant":
        message = (
            f"The sign-in at {name} expired or was already used. "
            f"Start again with “Sign in with {name}”."
        )
    else:
        message = (
            f"{name} refused the sign-in ({exc.error}). Start again, or tell your administrator."
        )
    return SsoError(message, reason=reason)


def _strings(value) -> list[str]:
    """A claim holding a list of names or one name, as a list of non-empty strings."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def _verified(claims: dict) -> bool:
    # Entra ID sends no email_verified; its xms_edov says the e-mail's domain is verified.
    return any(claims.get(key) in (True, "true") for key in ("email_verified", "xms_edov"))


def _identity(claims: dict, id_token: str) -> Identity:
    sso = settings()
    subject = claims.get("sub")
    raw_email = claims.get("email")
    email = raw_email.strip().lower() if isinstance(raw_email, str) else None
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SsoError(
            f"{sso.provider_name} did not say who you are.", reason="no usable sub claim"
        )
    try:
        email = validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise SsoError(
            f"{sso.provider_name} did not send a usable e-mail address (add the email scope).",
            reason=f"no usable email claim: {raw_email!r:.100}",
            subject=subject,
        ) from None
    if len(email) > 254:
        raise SsoError("The e-mail address is too long.", reason="email too long", subject=subject)
    if not _verified(claims):
        raise SsoError(
            f"{sso.provider_name} has not verified the e-mail address {email}, so it cannot "
            "sign you in here. Verify it there first, or ask your administrator.",
            reason="email not verified",
            email=email,
            subject=subject,
        )
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get(k) for k in ("given_name", "family_name")]
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    department = _strings(claims.get(sso.department_claim))
    covers = claims.get(sso.covers_claim)
    return Identity(
        issuer=sso.issuer,
        subject=subject,
        email=email,
        name=(name or email.split("@")[0]).strip()[:120],
        groups=_strings(claims.get(sso.role_claim)),
        department=department[0] if department else None,
        covers=None if covers is None else _strings(covers),
        id_token=id_token if isinstance(id_token, str) else "",
    )


def role_for(groups: list[str]) -> Role:
    """The role the person's groups map to (OIDC_ROLE_MAP), the highest when several do;
    employee when none does."""
    mapped = [role for group, role in settings().role_map.items() if group in groups]
    return max(mapped, key=role_rank, default=Role.EMPLOYEE)


def logout_url(id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """The provider's RP-initiated logout address when it offers one (end_session_endpoint),
    else None; None too when the provider cannot be asked right now."""
    try:
        client = _client()
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri,
            id_token_hint=id_token if id_token and len(id_token) <= ID_TOKEN_HINT_MAX else None,
            client_id=settings().client_id,
        )["url"]
    except (requests.RequestException, ValueError, RuntimeError):
        return None
