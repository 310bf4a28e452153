"""Error pages in the site's look (HTML) or JSON for API clients.

Server errors (500, and 503 when the database is full, read-only or unreachable) are
rendered without the database: no signed-in user is looked up and no context processor
runs, so the error page itself cannot fail. Other pages fall back to that rendering when
the full page cannot be drawn.
"""

import math
import time
from http import HTTPStatus

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from portal.extensions import db, limiter

_STATUSES = {status.value for status in HTTPStatus}


class PortalError(Exception):
    """An operation refused for a reason the user can act on.

    The message is for people; `status_code` is the HTTP status the refusal maps to and
    `field` names the form field it is about, if any. Every feature's error derives from
    this; one handler renders those the routes do not show in a form of their own.
    """

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None, field: str | None = None):
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code
        self.field = field


MESSAGES = {
    400: "The request could not be understood.",
    401: "Please sign in first.",
    403: "You do not have permission to do that.",
    404: "There is nothing here.",
    405: "That action is not allowed here.",
    409: "That conflicts with the current state.",
    413: "The upload is too large.",
    429: "Too many attempts. Wait a minute and try again.",
    500: "Something went wrong on our side. It has been logged.",
    503: "The database is not available right now (full, read-only or unreachable). "
    "Nothing was changed; try again in a minute.",
}

# How long a client should wait before trying again when the database is unavailable.
RETRY_AFTER_SECONDS = 30


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _render(code: int, description: str | None, **page):
    message = description or MESSAGES.get(code, "Error")
    if _wants_json():
        # The API's error shape (portal.api.errors): a machine-readable code and a message.
        slug = HTTPStatus(code).phrase.lower().replace(" ", "_") if code in _STATUSES else "error"
        return jsonify(error={"code": slug, "message": message}), code
    if code >= 500:
        return _page_without_database(code, message), code
    try:
        return render_template("errors/error.html", code=code, message=message, **page), code
    except Exception:  # the database went away while the page was drawn
        current_app.logger.exception("error page %s could not be rendered in full", code)
        return _page_without_database(code, message), code


def _page_without_database(code: int, message: str) -> str:
    """The error page in the site's look, drawn without context processors (they look up
    the signed-in user and their unread notifications)."""
    template = current_app.jinja_env.get_template("errors/plain.html")
    return template.render(code=code, message=message)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot serve at all (full disk, read-only file or
    server, refused or dropped connection, no free connection in the pool), rather than
    that a statement was wrong."""
    if isinstance(exc, sa_exc.OperationalError | sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        # PostgreSQL's "cannot execute … in a read-only transaction" (a standby, or
        # default_transaction_read_only) is not an OperationalError.
        return getattr(exc.orig, "sqlstate", None) == "25006"
    return False


def retry_after_seconds() -> int:
    """Seconds until every limit this request broke lets it through again (at least 1)."""
    breached = [lim for lim in limiter.current_limits if lim.breached]
    reset_at = max((lim.reset_at for lim in breached), default=time.time() + 60)
    return max(1, math.ceil(reset_at - time.time()))


def in_words(seconds: int) -> str:
    """A wait as people say it, rounded up: "30 seconds", "1 minute", "2 hours"."""
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        count, unit = seconds, "second"
    elif minutes < 60:
        count, unit = minutes, "minute"
    else:
        count, unit = math.ceil(seconds / 3600), "hour"
    return f"{count} {unit}{'s' if count != 1 else ''}"


def _too_many():
    """The 429 answer: when to come back, in the Retry-After header and in words."""
    wait = retry_after_seconds()
    message = f"Too many attempts. Please wait {in_words(wait)} before trying again."
    response = make_response(_render(429, message, retry_in_words=in_words(wait)))
    response.headers["Retry-After"] = str(wait)
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PortalError)
    def refused(exc: PortalError):
        db.session.rollback()
        return _render(exc.status_code, str(exc))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _render(
            400,
            "The form expired or was not sent by this site "
            f"({exc.description}) Reload the page and try again.",
        )

    @app.errorhandler(RateLimitExceeded)
    def too_many(exc: RateLimitExceeded):
        return _too_many()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        default = exc.__class__.description
        description = exc.description if exc.description != default else None
        return _render(exc.code or 500, description)

    @app.errorhandler(sa_exc.SQLAlchemyError)
    def database_error(exc: sa_exc.SQLAlchemyError):
        if not database_unavailable(exc):
            return unexpected(exc)
        _roll_back_quietly()
        cause = getattr(exc, "orig", None) or exc  # one line per request during an outage
        app.logger.error("database unavailable: %s: %s", type(cause).__name__, cause)
        response, code = _render(503, None)
        response = app.make_response((response, code))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        _roll_back_quietly()
        app.logger.exception("unhandled error")
        if app.config.get("PROPAGATE_UNEXPECTED"):
            raise exc
        return _render(500, None)


def _roll_back_quietly() -> None:
    """End the request's failed transaction; a database that is gone cannot fail the page."""
    try:
        db.session.rollback()
    except Exception:
        current_app.logger.warning("rollback after an error failed", exc_info=True)
