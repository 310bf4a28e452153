"""Scenarios and runs through the API (portfolio managers only).

Bridge until the portfolio feature (portal/portfolio/) lands. Runs are made from a
scenario by `portal.portfolio.problem.build_problem(scenario) -> dict` (the frozen
converge.problem/1 document) and started by `portal.jobs.start_run(run)` (RQ or inline);
both are imported lazily so the API works before and after that merge. After the merge,
`create_scenario` and `start_run` should delegate to the portfolio service.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.audit import record
from portal.extensions import db
from portal.models import Role, Run, RunStatus, Scenario, User

SCENARIO_FIELDS = (
    "name",
    "description",
    "periods",
    "budget",
    "capacity",
    "department_shares",
    "theme_min_shares",
    "count_min",
    "count_max",
    "force_in",
    "force_out",
    "apply_requires",
    "apply_excludes",
    "apply_together",
    "objective",
    "backend",
    "time_limit",
)
RUNNER_MODULES = frozenset({"portal.portfolio", "portal.portfolio.problem", "portal.jobs"})


class ScenarioError(ValueError):
    def __init__(self, message: str, status_code: int = 409):
        super().__init__(message)
        self.status_code = status_code


def may_manage(user: User) -> bool:
    """Scenarios belong to portfolio management."""
    return user.role == Role.PORTFOLIO_MANAGER


def scenarios() -> list[Scenario]:
    return list(db.session.scalars(sa.select(Scenario).order_by(Scenario.created_at.desc())))


def create_scenario(owner: User, data: dict) -> Scenario:
    """Save a scenario from validated API input (commits)."""
    scenario = Scenario(owner=owner, **{name: data.get(name) for name in SCENARIO_FIELDS})
    db.session.add(scenario)
    db.session.flush()
    record(owner, "scenario_created", scenario, after={"name": scenario.name})
    db.session.commit()
    return scenario


def runs(scenario: Scenario) -> list[Run]:
    return list(
        db.session.scalars(
            sa.select(Run).where(Run.scenario_id == scenario.id).order_by(Run.number.desc())
        )
    )


def _runner():
    try:
        from portal.jobs import start_run as launch
        from portal.portfolio.problem import build_problem
    except ModuleNotFoundError as exc:
        if exc.name not in RUNNER_MODULES:
            raise
        raise ScenarioError(
            "Scenario runs are not available in this installation yet (no optimizer bridge).",
            503,
        ) from None
    return build_problem, launch


def start_run(actor: User, scenario: Scenario) -> Run:
    """Freeze the scenario into a problem, save it as the next run and start it (commits)."""
    build_problem, launch = _runner()
    try:
        problem = build_problem(scenario)
    except ValueError as exc:
        raise ScenarioError(f"The scenario cannot be run: {exc}", 409) from None
    number = (
        db.session.scalar(sa.select(sa.func.max(Run.number)).where(Run.scenario_id == scenario.id))
        or 0
    ) + 1
    run = Run(
        scenario=scenario,
        number=number,
        status=RunStatus.QUEUED,
        settings={
            "objective": scenario.objective.value,
            "backend": scenario.backend,
            "time_limit": scenario.time_limit,
        },
        problem=problem,
        created_by=actor,
    )
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ScenarioError(
            "Another run of this scenario started at the same moment; retry."
        ) from None
    record(actor, "run_created", run, after={"scenario": scenario.id, "number": number})
    db.session.commit()
    launch(run)
    return run
