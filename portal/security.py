"""Security headers and the proxy in front: what every response tells the browser.

Talisman sends the Content-Security-Policy and its companions. Scripts come only from this
site's files (no inline scripts or event handlers anywhere); styles also allow inline
`style` because the charts are matplotlib SVG embedded in the page (a `<style>` element and
style attributes on every shape) and a few tables size columns with `style="width: …"`.
"""

from flask import Flask, Response, g, request, session
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.auth.sessions import COOKIE as REMEMBER_COOKIE

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": ["'self'", "'unsafe-inline'"],
    # Bootstrap draws its icons (select arrows, close buttons) as data: SVG.
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

PERMISSIONS_POLICY = {
    "camera": "()",
    "microphone": "()",
    "geolocation": "()",
    "payment": "()",
    "usb": "()",
}

# Files anyone may cache: they hold nothing about the person asking.
PUBLIC_ENDPOINTS = {"static", "bootstrap.static", "api.docs_asset"}

talisman = Talisman()


def init_security(app: Flask) -> None:
    """Trust the configured proxies, send the security headers, keep personal pages out of
    caches."""
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    production = app.config.get("PORTAL_ENV") == "production"
    talisman.init_app(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        feature_policy={},
        frame_options="DENY",
        referrer_policy="same-origin",
        force_https=app.config.get("FORCE_HTTPS", False),
        strict_transport_security=production,
        strict_transport_security_include_subdomains=False,
        # The cookie settings stay those of portal.config (Talisman would force Secure).
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=app.config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
    app.after_request(_no_store_when_signed_in)


def _no_store_when_signed_in(response: Response) -> Response:
    """`after_request`: a page for a signed-in person (or an API token) is never stored by
    the browser or a shared cache, so the back button after sign-out shows nothing."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return response
    # Judged from the request's credentials, not by loading the user: this runs on error
    # pages too, when the database may be the thing that failed.
    signed_in = "_user_id" in session or REMEMBER_COOKIE in request.cookies
    if g.get("api_user") is not None or signed_in:
        response.headers["Cache-Control"] = "no-store"
    return response
