"""Error pages in the site's look (HTML) or JSON for API clients."""

from http import HTTPStatus

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db

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


def _render(code: int, description: str | None):
    message = description or MESSAGES.get(code, "Error")
    if _wants_json():
        # The API's error shape (portal.api.errors): a machine-readable code and a message.
        slug = HTTPStatus(code).phrase.lower().replace(" ", "_") if code in _STATUSES else "error"
        return jsonify(error={"code": slug, "message": message}), code
    return render_template("errors/error.html", code=code, message=message), code


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
