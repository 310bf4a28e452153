"""API: portfolio scenarios, their runs and results, through the portfolio service.

The same rules and roles as the portfolio pages: BRMs and portfolio managers read
scenarios and runs; only portfolio managers save scenarios, clone them and start or retry
runs. Settings are validated by `portal.portfolio.service.save_scenario`, runs are frozen
and started by `start_run` / `retry_run` (inline, on a thread or on an RQ worker, as the
portal is configured), and results are read from the Run.
"""

from flask import url_for
from flask_smorest import Blueprint, abort
from werkzeug.exceptions import HTTPException

from portal.api.auth import authenticate, require_role
from portal.api.errors import ErrorSchema, handle_http_error
from portal.api.schemas import RunSchema, RunSummarySchema, ScenarioSchema, ScenarioSettingsSchema
from portal.extensions import db
from portal.models import Role, Run, Scenario
from portal.portfolio import service
from portal.portfolio.problem import SettingsError
from portal.portfolio.runs import QueueError

blp = Blueprint(
    "Scenarios",
    __name__,
    url_prefix="/api/v1",
    description="Portfolio scenarios and optimizer runs (read: BRMs and portfolio managers; "
    "change and run: portfolio managers).",
)
blp.before_request(authenticate)
blp.register_error_handler(HTTPException, handle_http_error)

SCENARIO = "/scenarios/<id:scenario_id>"
RUN = "/runs/<id:run_id>"
# Exactly the roles of the portfolio pages (portal/portfolio/routes.py).
READERS = (Role.PORTFOLIO_MANAGER, Role.BRM)
PM = Role.PORTFOLIO_MANAGER


def _scenario(scenario_id: int) -> Scenario:
    scenario = db.session.get(Scenario, scenario_id)
    if scenario is None:
        abort(404, message=f"There is no scenario {scenario_id}.")
    return scenario


def _run(run_id: int) -> Run:
    run = db.session.get(Run, run_id)
    if run is None:
        abort(404, message=f"There is no run {run_id}.")
    return run


def _refuse(exc: Exception):
    """Answer a refused portfolio operation; bad settings are 422 naming the setting."""
    if isinstance(exc, service.InvalidSettings):
        abort(422, message=str(exc), fields=exc.errors)
    if isinstance(exc, service.PortfolioError) and exc.status_code == 400:
        abort(422, message=str(exc), fields={exc.field or "_schema": [str(exc)]})
    if isinstance(exc, SettingsError):
        abort(409, message=f"The scenario cannot be run: {exc}")
    abort(exc.status_code, message=str(exc))


def _save(scenario: Scenario | None, data: dict) -> Scenario:
    try:
        saved = service.save_scenario(scenario, data, require_role(PM))
    except service.PortfolioError as exc:
        _refuse(exc)
    db.session.commit()
    return saved


def _located_run(run: Run):
    return run, {"Location": url_for("Scenarios.get_run", run_id=run.id)}


@blp.route("/scenarios", methods=["GET"])
@blp.response(200, ScenarioSchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a BRM or portfolio manager")
def list_scenarios():
    """Every scenario, most recently changed first"""
    require_role(*READERS)
    return service.scenarios()


@blp.route("/scenarios", methods=["POST"])
@blp.arguments(ScenarioSettingsSchema)
@blp.response(201, ScenarioSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(422, schema=ErrorSchema, description="Invalid settings, by setting")
def create_scenario(data):
    """Create a scenario

    The same settings and rules as the scenario form.
    """
    require_role(PM)
    scenario = _save(None, data)
    return scenario, {"Location": url_for("Scenarios.get_scenario", scenario_id=scenario.id)}


@blp.route(SCENARIO, methods=["GET"])
@blp.response(200, ScenarioSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a BRM or portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such scenario")
def get_scenario(scenario_id: int):
    """Read a scenario"""
    require_role(*READERS)
    return _scenario(scenario_id)


@blp.route(SCENARIO, methods=["PUT"])
@blp.arguments(ScenarioSettingsSchema)
@blp.response(200, ScenarioSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such scenario")
@blp.alt_response(422, schema=ErrorSchema, description="Invalid settings, by setting")
def update_scenario(data, scenario_id: int):
    """Change a scenario

    Replaces every setting (a setting left out gets its default). Runs made earlier keep
    the problem they froze.
    """
    require_role(PM)
    return _save(_scenario(scenario_id), data)


@blp.route(SCENARIO + "/clone", methods=["POST"])
@blp.response(201, ScenarioSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such scenario")
def clone_scenario(scenario_id: int):
    """Copy a scenario for a what-if

    The copy is named "Copy of ..." and remembers where it came from (`cloned_from_id`).
    """
    user = require_role(PM)
    copy = service.clone_scenario(_scenario(scenario_id), user)
    db.session.commit()
    return copy, {"Location": url_for("Scenarios.get_scenario", scenario_id=copy.id)}


@blp.route(SCENARIO + "/runs", methods=["GET"])
@blp.response(200, RunSummarySchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a BRM or portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such scenario")
def list_runs(scenario_id: int):
    """The runs of a scenario, newest first"""
    require_role(*READERS)
    return _scenario(scenario_id).runs


@blp.route(SCENARIO + "/runs", methods=["POST"])
@blp.response(202, RunSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such scenario")
@blp.alt_response(409, schema=ErrorSchema, description="The scenario cannot be run")
@blp.alt_response(503, schema=ErrorSchema, description="The run queue is unreachable")
def start_run(scenario_id: int):
    """Start a run

    Freezes the scenario's inputs as an optimizer problem and starts solving it. Poll
    the run until its status is `done` or `failed`.
    """
    user = require_role(PM)
    scenario = _scenario(scenario_id)
    try:
        run = service.start_run(scenario, user)
    except (SettingsError, QueueError) as exc:
        _refuse(exc)
    return _located_run(run)


@blp.route(RUN, methods=["GET"])
@blp.response(200, RunSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a BRM or portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such run")
def get_run(run_id: int):
    """Read a run: its status, frozen problem and result"""
    require_role(*READERS)
    run = _run(run_id)
    return service.RunAsShown(run)  # a run whose job died shows failed, as on the run page


@blp.route(RUN + "/retry", methods=["POST"])
@blp.response(202, RunSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Not a portfolio manager")
@blp.alt_response(404, schema=ErrorSchema, description="No such run")
@blp.alt_response(409, schema=ErrorSchema, description="The run has not finished yet")
@blp.alt_response(503, schema=ErrorSchema, description="The run queue is unreachable")
def retry_run(run_id: int):
    """Run the same frozen problem again

    A new run of the scenario with exactly the inputs the given run froze (rerunning the
    scenario itself re-freezes today's data instead).
    """
    user = require_role(PM)
    try:
        run = service.retry_run(_run(run_id), user)
    except (service.PortfolioError, QueueError) as exc:
        _refuse(exc)
    return _located_run(run)
