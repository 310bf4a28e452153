"""The REST API under /api/v1: token-authenticated JSON, documented by OpenAPI 3.

flask-smorest builds the OpenAPI document from the marshmallow schemas the views use, so
the document cannot drift from the code. Swagger UI is served from the swagger-ui-bundle
package (no CDN).
"""

from flask import Blueprint, Flask, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from portal.api.errors import ConvergeApi
from portal.extensions import csrf
from portal.forms import MAX_ID, IdConverter

# The factory registers this blueprint; registering it wires up the whole API.
bp = Blueprint("api", __name__, url_prefix="/api/v1")

API_DESCRIPTION = """\
The Converge portal as JSON. Authenticate every call with a personal API token, created on
your profile page: `Authorization: Bearer cvg_...`. A token acts as you, with your role.

Errors always look like `{"error": {"code": "not_found", "message": "...", "fields": {...}}}`;
`fields` (on 422) names each invalid field with its messages.
"""


def _configure(app: Flask) -> None:
    defaults = {
        "API_TITLE": "Converge API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        # Relative to /api/v1/docs, so it also works when the portal is mounted under a prefix.
        "OPENAPI_SWAGGER_UI_URL": "docs-assets/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"persistAuthorization": False, "tryItOutEnabled": False},
        "API_SPEC_OPTIONS": {
            "info": {"description": API_DESCRIPTION},
            "servers": [{"url": "/", "description": "This portal"}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A personal API token from your profile page.",
                    }
                }
            },
            "security": [{"bearerAuth": []}],
        },
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)


@bp.record_once
def _register_api(state) -> None:
    from portal.api import campaigns, estimates, ideas, scenarios

    app = state.app
    _configure(app)
    api = ConvergeApi(app)
    # Path ids are <id:...> (portal.forms.IdConverter): document their range.
    api.register_converter(
        IdConverter, lambda _converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    )
    for module in (ideas, estimates, scenarios, campaigns):
        # Token-authenticated and never reading the session cookie: CSRF cannot apply.
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)


@bp.route("/docs-assets/<path:filename>")
def docs_asset(filename: str):
    """Swagger UI's scripts and styles, from the installed swagger-ui-bundle package."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
