"""API: portfolio scenarios, starting runs and reading their results (portfolio managers)."""

from flask import url_for
from flask_smorest import Blueprint, abort
from werkzeug.exceptions import HTTPException

from portal.api import scenario_service
from portal.api.auth import authenticate, require_role
from portal.api.errors import ErrorSchema, handle_http_error
from portal.api.schemas import RunSchema, RunSummarySchema, ScenarioCreateSchema, ScenarioSchema
from portal.extensions import db
from portal.models import Role, Run, Scenario

blp = Blueprint(
    "Scenarios",
    __name__,
    url_prefix="/api/v1",
    description="Portfolio scenarios and optimizer runs (portfolio managers).",
)
blp.before_request(authenticate)
blp.register_error_handler(HTTPException, handle_http_error)

SCENARIO = "/scenarios/<int(min=1, max=2147483647):scenario_id>"
FORBIDDEN = "Only portfolio managers work with scenarios."


def manager():
    return require_role(Role.PORTFOLIO_MANAGER)


def get_scenario_or_404(scenario_id: int) -> Scenario:
    manager()
    scenario = db.session.get(Scenario, scenario_id)
    if scenario is None:
        abort(404, message=f"There is no scenario {scenario_id}.")
    return scenario


@blp.route("/scenarios", methods=["GET"])
@blp.response(200, ScenarioSchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
def list_scenarios():
    """Every scenario, newest first"""
    manager()
    return scenario_service.scenarios()


@blp.route("/scenarios", methods=["POST"])
@blp.arguments(ScenarioCreateSchema)
@blp.response(201, ScenarioSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(422, schema=ErrorSchema, description="Invalid fields")
def create_scenario(data):
    """Create a scenario"""
    scenario = scenario_service.create_scenario(manager(), data)
    return scenario, {"Location": url_for("Scenarios.get_scenario", scenario_id=scenario.id)}


@blp.route(SCENARIO, methods=["GET"])
@blp.response(200, ScenarioSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such scenario")
def get_scenario(scenario_id: int):
    """Read a scenario"""
    return get_scenario_or_404(scenario_id)


@blp.route(SCENARIO + "/runs", methods=["GET"])
@blp.response(200, RunSummarySchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such scenario")
def list_runs(scenario_id: int):
    """The runs of a scenario, newest first"""
    return scenario_service.runs(get_scenario_or_404(scenario_id))


@blp.route(SCENARIO + "/runs", methods=["POST"])
@blp.response(202, RunSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such scenario")
@blp.alt_response(409, schema=ErrorSchema, description="The scenario cannot be run")
@blp.alt_response(503, schema=ErrorSchema, description="Runs are not available")
def start_run(scenario_id: int):
    """Start a run

    Freezes the scenario's inputs as an optimizer problem and starts solving it. Poll
    the run until its status is `done` or `failed`.
    """
    scenario = get_scenario_or_404(scenario_id)
    try:
        run = scenario_service.start_run(manager(), scenario)
    except scenario_service.ScenarioError as exc:
        db.session.rollback()
        abort(exc.status_code, message=str(exc))
    return run, {"Location": url_for("Scenarios.get_run", run_id=run.id)}


@blp.route("/runs/<int(min=1, max=2147483647):run_id>", methods=["GET"])
@blp.response(200, RunSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such run")
def get_run(run_id: int):
    """Read a run: its status, frozen problem and result"""
    manager()
    run = db.session.get(Run, run_id)
    if run is None:
        abort(404, message=f"There is no run {run_id}.")
    return run
