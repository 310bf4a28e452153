"""API: an idea's estimate versions; saving a new version with optimistic locking."""

from flask_smorest import Blueprint, abort
from werkzeug.exceptions import HTTPException

from portal.api import estimate_service
from portal.api.auth import authenticate, caller
from portal.api.errors import ErrorSchema, handle_http_error
from portal.api.ideas import IDEA, viewable_idea
from portal.api.schemas import EstimateCreateSchema, EstimateSchema
from portal.extensions import db
from portal.models import Idea

blp = Blueprint(
    "Estimates",
    __name__,
    url_prefix="/api/v1",
    description="Value and cost estimates (BRMs and portfolio managers).",
)
blp.before_request(authenticate)
blp.register_error_handler(HTTPException, handle_http_error)


def readable_idea(idea_id: int) -> Idea:
    idea = viewable_idea(idea_id)
    if not estimate_service.may_read(caller(), idea):
        abort(403, message="Only BRMs and portfolio managers may read estimates.")
    return idea


@blp.route(IDEA + "/estimates", methods=["GET"])
@blp.response(200, EstimateSchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a BRM or portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea")
def list_estimates(idea_id: int):
    """Every estimate version of an idea, newest first"""
    return estimate_service.versions(readable_idea(idea_id))


@blp.route(IDEA + "/estimates/current", methods=["GET"])
@blp.response(200, EstimateSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a BRM or portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea, or not estimated yet")
def current_estimate(idea_id: int):
    """The current estimate of an idea"""
    estimate = estimate_service.current(readable_idea(idea_id))
    if estimate is None:
        abort(404, message=f"IDEA-{idea_id} has no estimate yet.")
    return estimate


@blp.route(IDEA + "/estimates", methods=["POST"])
@blp.arguments(EstimateCreateSchema)
@blp.response(201, EstimateSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a BRM covering the department")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea")
@blp.alt_response(
    409, schema=ErrorSchema, description="Stale `base_version`, or the idea cannot be estimated"
)
@blp.alt_response(422, schema=ErrorSchema, description="Invalid fields")
def create_estimate(data, idea_id: int):
    """Save a new estimate version

    Send the version you started from as `base_version`; if someone saved a newer one
    meanwhile, nothing is saved and you get 409 (code `stale_version`).
    """
    idea = readable_idea(idea_id)
    try:
        return estimate_service.save_new_version(caller(), idea, data, data["base_version"])
    except estimate_service.StaleEstimate as exc:
        db.session.rollback()
        abort(409, message=str(exc), code="stale_version")
    except estimate_service.EstimateError as exc:
        db.session.rollback()
        abort(exc.status_code, message=str(exc), fields=exc.fields)
