"""Error pages in the site's look (HTML) or JSON for API clients."""

import math
import time
from http import HTTPStatus

from flask import Flask, jsonify, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
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
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _render(code: int, description: str | None, **page):
    message = description or MESSAGES.get(code, "Error")
    if _wants_json():
        # The API's error shape (portal.api.errors): a machine-readable code and a message.
        slug = HTTPStatus(code).phrase.lower().replace(" ", "_") if code in _STATUSES else "error"
        return jsonify(error={"code": slug, "message": message}), code
    return render_template("errors/error.html", code=code, message=message, **page), code


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

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        if app.config.get("PROPAGATE_UNEXPECTED"):
            raise exc
        return _render(500, None)
