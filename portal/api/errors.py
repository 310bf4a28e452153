"""The API's one error shape, used by every response under /api/v1 that is not a success."""

from http import HTTPStatus

import marshmallow as ma
from flask_smorest import Api
from werkzeug.exceptions import HTTPException


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(
        required=True, metadata={"description": "Machine-readable, e.g. `not_found`"}
    )
    message = ma.fields.String(required=True, metadata={"description": "For people"})
    fields = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "On 422: each invalid field and its messages"},
    )
    current_version = ma.fields.Integer(
        metadata={"description": "On 409 `stale_version`: the estimate version now current"}
    )
    changes = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "On 409 `stale_version`: what changed between your version and "
            "the current one"
        },
    )


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetailSchema, required=True)


class ConvergeApi(Api):
    """flask-smorest's Api, documenting our error shape and leaving HTML errors alone."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, *args, **kwargs) -> None:
        self._undocumented: list[tuple] = []
        super().__init__(*args, **kwargs)

    # The OpenAPI document is written when it is first read (the /openapi.json and docs
    # views, `flask openapi`), not while the app is built: documenting every view costs
    # more than building the rest of the app, and most processes never serve the document.
    @property
    def spec(self):
        while self._undocumented:
            blp, name, parameters = self._undocumented.pop(0)
            blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
            self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        """flask-smorest's, with the blueprint's documentation left for `spec` to write."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _register_error_handlers(self):
        # flask-smorest would take over every HTTP error of the whole app (HTML pages
        # included); the API blueprints register `handle_http_error` for themselves, and
        # portal.errors answers JSON for anything else under /api/.
        pass


def error_code(status: int) -> str:
    """`404` -> `not_found`."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def error_body(
    status: int,
    message: str,
    *,
    code: str | None = None,
    fields: dict | None = None,
    extra: dict | None = None,
) -> dict:
    """The error document; `extra` adds documented details (see ErrorDetailSchema)."""
    detail = {"code": code or error_code(status), "message": message}
    if fields:
        detail["fields"] = fields
    detail.update(extra or {})
    return {"error": detail}


def _field_messages(messages: dict) -> dict:
    """webargs groups messages by location ({"json": {...}, "query": {...}}); flatten them."""
    fields: dict = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            fields.update(errors)
        else:
            fields[location] = errors
    return fields


DEFAULT_MESSAGES = {
    401: "Send a valid API token: `Authorization: Bearer <token>`.",
    403: "Your role does not allow this.",
    404: "There is nothing here, or you may not see it.",
    405: "This method is not allowed here.",
    409: "That conflicts with the current state.",
    422: "Some fields are invalid; see `fields`.",
}


def handle_http_error(exc: HTTPException):
    """Every HTTP error raised in an API view, as JSON."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    default = exc.__class__.description
    message = data.get("message") or (exc.description if exc.description != default else None)
    fields = data.get("fields") or (
        _field_messages(data["messages"]) if isinstance(data.get("messages"), dict) else None
    )
    body = error_body(
        status,
        message or DEFAULT_MESSAGES.get(status, HTTPStatus(status).phrase),
        code=data.get("code"),
        fields=fields,
        extra=data.get("extra"),
    )
    headers = dict(data.get("headers") or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="converge"')
    return body, status, headers
