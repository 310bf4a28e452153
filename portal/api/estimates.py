"""API: an idea's estimate versions; saving a new version with optimistic locking.

Everything goes through `portal.review.estimates`, the service behind the estimate form:
the same roles (BRMs and portfolio managers read, a reviewer covering the idea's
department writes), the same states, the same conflict check with what changed, the same
audit entry, and the strategic value from `portal.review.valuation`.
"""

from flask_smorest import Blueprint, abort
from werkzeug.exceptions import HTTPException

from portal.api.auth import authenticate, require_role
from portal.api.errors import ErrorSchema, handle_http_error
from portal.api.ideas import IDEA
from portal.api.schemas import EstimateCreateSchema, EstimateSchema
from portal.errors import PortalError
from portal.extensions import db
from portal.models import Estimate, Idea, IdeaStatus, Role
from portal.review import estimates as estimate_service
from portal.review.valuation import (
    active_weights,
    estimate_lifecycle,
    reference_rate,
    strategic_value,
)

blp = Blueprint(
    "Estimates",
    __name__,
    url_prefix="/api/v1",
    description="Value and cost estimates (BRMs and portfolio managers).",
)
blp.before_request(authenticate)
blp.register_error_handler(HTTPException, handle_http_error)

# The roles of the estimate page (portal/review/routes.py).
REVIEWERS = (Role.BRM, Role.PORTFOLIO_MANAGER)


class EstimateView:
    """An estimate with its strategic value and value range under today's weights."""

    def __init__(self, estimate: Estimate, weights: dict[int, float], rate: float = 0.0):
        self._estimate = estimate
        value = strategic_value(estimate, weights)
        self.strategic_value = round(value, 4)
        self.value_range = {
            "low": round(value * estimate.value_low, 4),
            "likely": round(value * estimate.value_likely, 4),
            "high": round(value * estimate.value_high, 4),
        }
        life = estimate_lifecycle(estimate, weights, rate)
        self.tco = round(life.tco, 2)
        self.npv_cost = round(life.present_cost, 2)

    def __getattr__(self, name):
        return getattr(self._estimate, name)


def _views(estimates: list[Estimate]) -> list[EstimateView]:
    weights, rate = active_weights(), reference_rate()[0]
    return [EstimateView(e, weights, rate) for e in estimates]


def readable_idea(idea_id: int) -> Idea:
    """The idea, for a reviewer; drafts are nobody's business but their author's (404)."""
    require_role(*REVIEWERS)
    idea = db.session.get(Idea, idea_id)
    if idea is None or idea.status == IdeaStatus.DRAFT:
        abort(404, message=f"There is no idea IDEA-{idea_id} to estimate.")
    return idea


def _input(data: dict) -> estimate_service.EstimateInput:
    return estimate_service.EstimateInput(
        impacts={i["objective_id"]: i["impact"] for i in data["impacts"]},
        value_low=data["value_low"],
        value_likely=data["value_likely"],
        value_high=data["value_high"],
        risk=data["risk"],
        confidence=data["confidence"],
        notes=data["notes"],
        costs={c["period"]: (c["capex"], c["opex"]) for c in data["costs"]},
        efforts={(e["pool_id"], e["period"]): e["amount"] for e in data["efforts"]},
        value_profile=dict(data["value_profile"]),
        run_cost_per_year=data["run_cost_per_year"],
        lifetime_years=data["lifetime_years"],
    )


@blp.route(IDEA + "/estimates", methods=["GET"])
@blp.response(200, EstimateSchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a BRM or portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea")
def list_estimates(idea_id: int):
    """Every estimate version of an idea, newest first"""
    return _views(estimate_service.versions(readable_idea(idea_id)))


@blp.route(IDEA + "/estimates/current", methods=["GET"])
@blp.response(200, EstimateSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a BRM or portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea, or not estimated yet")
def current_estimate(idea_id: int):
    """The current estimate of an idea"""
    estimate = estimate_service.current_estimate(readable_idea(idea_id))
    if estimate is None:
        abort(404, message=f"IDEA-{idea_id} has no estimate yet.")
    return _views([estimate])[0]


@blp.route(IDEA + "/estimates", methods=["POST"])
@blp.arguments(EstimateCreateSchema)
@blp.response(201, EstimateSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a reviewer covering the department")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea")
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="Stale `base_version` (code `stale_version`, with `current_version` and "
    "`changes`), or the idea cannot be estimated",
)
@blp.alt_response(422, schema=ErrorSchema, description="Invalid fields")
def create_estimate(data, idea_id: int):
    """Save a new estimate version

    Send the version you started from as `base_version`; if someone saved a newer one
    meanwhile, nothing is saved and you get 409 (code `stale_version`) with the version
    now current and what changed since yours.
    """
    idea = readable_idea(idea_id)
    user = require_role(*REVIEWERS)
    if not user.covers(idea.department_id):
        abort(403, message="Only a reviewer covering the idea's department may estimate it.")
    try:
        estimate = estimate_service.save_estimate(
            user,
            idea,
            _input(data),
            data["base_version"],
            mark_estimated=data["mark_estimated"],
        )
    except estimate_service.EstimateConflict as exc:
        abort(
            409,
            message=str(exc),
            code="stale_version",
            extra={"current_version": exc.current.version, "changes": exc.changes},
        )
    except PortalError as exc:
        if exc.status_code == 400:
            field = exc.field or "_schema"
            abort(422, message=str(exc), fields={field: [str(exc)]})
        abort(exc.status_code, message=str(exc))
    db.session.commit()
    return _views([estimate])[0]
