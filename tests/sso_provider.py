"""A real OpenID provider on loopback for the single sign-on tests (oidc-provider-mock), with
switches that make it misbehave the ways real providers and attackers do.

People and their claims go in through the provider's own HTTP API (PUT /users/<sub>); a
person "signs in" at its authorization endpoint by posting their subject, as its form does.
The switches act inside the provider's Flask app (request hooks), so the portal talks to it
over real HTTP and sees only what a provider would send.
"""

import base64
import json
import os
import time
import warnings
from contextlib import contextmanager
from urllib.parse import urlsplit

import flask
import requests
from authlib.deprecate import AuthlibDeprecationWarning
from joserfc import jwt
from joserfc.jwk import RSAKey

with warnings.catch_warnings():
    # The provider (not the portal) imports Authlib modules Authlib now calls deprecated.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from oidc_provider_mock import run_server_in_thread

# What `misbehave` may hold.
SWITCHES = {
    "down",  # every endpoint answers 503
    "expire_code",  # the token endpoint no longer knows the code (its lifetime passed)
    "bad_signature",  # the ID token's claims are altered after signing
    "wrong_audience",  # the ID token is signed for another application
    "wrong_issuer",  # the ID token says another issuer signed it
    "wrong_nonce",  # the ID token carries another sign-in's nonce (a replayed token)
    "expired_token",  # the ID token expired an hour ago
    "no_logout",  # discovery offers no end_session_endpoint
}
# The switches that re-sign the ID token with the provider's own key after changing claims.
RESIGNED = {
    "wrong_audience": {"aud": "another-application"},
    "wrong_issuer": {"iss": "http://impostor.example"},
    "wrong_nonce": {"nonce": "the-nonce-of-another-sign-in"},
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Provider:
    """The running provider: its issuer, its people, and its misbehaviours."""

    def __init__(self, server):
        self.server = server
        self.issuer = f"http://localhost:{server.server_port}"
        self.misbehave: set[str] = set()
        self.token_requests: list[dict] = []  # each token request's form (code, verifier…)
        server.app.before_request(self._before)
        server.app.after_request(self._after)

    def put_user(self, sub: str, **claims) -> None:
        """Create or replace the person `sub` and their claims at the provider."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def authorize(self, authorize_url: str, sub: str | None = None, *, deny=False) -> str:
        """The person `sub` signs in at the provider (or refuses); the callback the provider
        sends the browser back to, as a path and query on the portal."""
        form = {"action": "deny"} if deny else {"sub": sub}
        response = requests.post(authorize_url, data=form, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:500]
        parts = urlsplit(response.headers["Location"])
        return f"{parts.path}?{parts.query}"

    # ------------------------------------------------------------- misbehaviour hooks

    def _before(self):
        if "down" in self.misbehave:
            return "The provider is down for maintenance.", 503
        if flask.request.path == "/oauth2/token":
            self.token_requests.append(flask.request.form.to_dict())
            if "expire_code" in self.misbehave:
                storage = flask.g.oidc_provider_mock_storage
                storage.remove_authorization_code(flask.request.form.get("code", ""))
        return None

    def _after(self, response):
        if "no_logout" in self.misbehave and flask.request.path.endswith("openid-configuration"):
            body = json.loads(response.get_data())
            body.pop("end_session_endpoint", None)
            response.set_data(json.dumps(body))
            return response
        wanted = self.misbehave & {"bad_signature", "expired_token", *RESIGNED}
        if flask.request.path != "/oauth2/token" or response.status_code != 200 or not wanted:
            return response
        body = json.loads(response.get_data())
        header, payload, signature = body["id_token"].split(".")
        claims = json.loads(_unb64(payload))
        if "bad_signature" in wanted:  # someone changed the claims on the way
            claims["email"] = "mallory@evil.example"
            body["id_token"] = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
        else:  # properly signed by the provider, but not for this portal, sign-in or time
            for switch in wanted & set(RESIGNED):
                claims.update(RESIGNED[switch])
            if "expired_token" in wanted:
                claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
            key = RSAKey.import_key(flask.g.oidc_provider_mock_storage.jwk.as_dict(is_private=True))
            body["id_token"] = jwt.encode(json.loads(_unb64(header)), claims, key)
        response.set_data(json.dumps(body))
        return response


@contextmanager
def running_provider():
    """Start the provider on loopback (PORTAL_TEST_OIDC_PORT, else any free port)."""
    port = int(os.environ.get("PORTAL_TEST_OIDC_PORT", "0"))
    with run_server_in_thread(port=port) as server:
        yield Provider(server)
