"""Portfolio scenarios: define, clone, run, retry, compare and adopt.

Runs freeze the problem when they start (`problem.build_problem`) and keep a readable copy
of the scenario's settings, so a run can be reproduced, compared and audited after the
estimates or the scenario change. Retrying a run (failed or not) starts a new run on the
SAME frozen problem: it reproduces the inputs exactly; pressing Run on the scenario again
re-freezes today's data.

Adoption moves the run's selected ideas to `selected` through the workflow. An idea that
is selected now, was a candidate of the adopted run and is not in its selection is
deferred ("not in the adopted plan"); selected ideas the run did not consider are left
alone, so a plan for one department does not undo another's. Ideas whose delivery has
started stay in the plan, with their cost, whatever the run says: a run made before they
started (an older run adopted again) does not leave them out (`underway`), and the adoption
page names what changed since the run was made (`changes_since`).
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from portal import workflow
from portal.audit import record
from portal.errors import PortalError
from portal.extensions import db
from portal.models import (
    AuditEvent,
    BudgetMode,
    Campaign,
    Department,
    Estimate,
    Idea,
    IdeaStatus,
    PoolCapacity,
    ResourcePool,
    Run,
    RunStatus,
    Scenario,
    ScenarioObjective,
    StrategicObjective,
    User,
    utcnow,
)
from portal.portfolio import explanations, outcomes, runs
from portal.portfolio import problem as bridge
from portal.portfolio.forms import SETTING_ANCHORS, FormOptions, _plain  # noqa: F401 -- pages link settings by it
from portal.portfolio.problem import SOLVED
from portal.portfolio.validation import settings_errors

MAX_COMPARE = 5


class PortfolioError(PortalError):
    """An operation that cannot be done as asked (HTTP status in `status_code`)."""

    status_code = 409


class InvalidSettings(PortfolioError):
    """Settings that break the scenario rules; `errors` lists them by setting name."""

    status_code = 400
    # Settings without a form field of their own are shown at this form field.
    FORM_FIELDS = {
        "candidate_filter": "states",
        "department_shares": "shares",
        "theme_min_shares": "themes",
        "theme_max_shares": "themes",
    }

    def __init__(self, errors: dict[str, list[str]]):
        first = next(iter(errors))
        super().__init__(errors[first][0], field=self.FORM_FIELDS.get(first, first))
        self.errors = errors


# ------------------------------------------------------------------ scenarios


def form_options() -> FormOptions:
    def pairs(model, *where):
        query = sa.select(model.id, model.name).where(*where).order_by(model.name)
        return [(i, n) for i, n in db.session.execute(query)]

    return FormOptions(
        departments=pairs(Department),
        objectives=pairs(StrategicObjective, StrategicObjective.active),
        pools=pairs(ResourcePool),
        campaigns=[
            (i, t)
            for i, t in db.session.execute(
                sa.select(Campaign.id, Campaign.title).order_by(Campaign.opens_on.desc())
            )
        ],
    )


def new_scenario_data(options: FormOptions) -> dict:
    """Defaults for a new scenario: the next three years and the pools' own capacities."""
    year = date.today().year + 1
    periods = [str(y) for y in range(year, year + 3)]
    names = dict(options.pools)
    lines = [
        f"{names[c.pool_id]} {c.period}: {_plain(c.capacity)}"
        for c in db.session.scalars(sa.select(PoolCapacity).order_by("pool_id", "period"))
        if c.period in periods and c.pool_id in names
    ]
    return {"periods": ", ".join(periods), "capacity": "\n".join(lines)}


def scenarios() -> list[Scenario]:
    return list(db.session.scalars(sa.select(Scenario).order_by(Scenario.updated_at.desc())))


def _check_refs(settings: dict) -> None:
    wanted = {
        "force_in": settings["force_in"],
        "force_out": settings["force_out"],
        "start_later": [int(k) for k in settings["start_later"] if k != "*"],
    }
    all_ids = {i for ids in wanted.values() for i in ids}
    if not all_ids:
        return
    found = set(db.session.scalars(sa.select(Idea.id).where(Idea.id.in_(all_ids))))
    for name, ids in wanted.items():
        missing = [f"IDEA-{i}" for i in ids if i not in found]
        if missing:
            raise PortfolioError(f"No idea {', '.join(missing)}.", field=name, status_code=400)


def save_scenario(scenario: Scenario | None, settings: dict, user: User) -> Scenario:
    """Create a scenario or update one from the form's settings (caller commits).

    Raises InvalidSettings (400) when the settings break a rule of `validation`.
    """
    if errors := settings_errors(settings):
        raise InvalidSettings(errors)
    _check_refs(settings)
    created = scenario is None
    if scenario is None:
        scenario = Scenario(owner=user)
        db.session.add(scenario)
    for key, value in settings.items():
        setattr(scenario, key, value)
    scenario.updated_at = utcnow()
    db.session.flush()
    record(user, "scenario_created" if created else "scenario_updated", scenario)
    return scenario


def clone_scenario(scenario: Scenario, user: User) -> Scenario:
    """A copy to change for a what-if; it remembers where it came from (caller commits)."""
    copy = Scenario(owner=user, cloned_from_id=scenario.id, name=_copy_name(scenario.name))
    for column in (c.name for c in Scenario.__table__.columns):
        if column not in ("id", "name", "owner_id", "cloned_from_id", "created_at", "updated_at"):
            value = getattr(scenario, column)
            setattr(copy, column, _deep_copy(value))
    db.session.add(copy)
    db.session.flush()
    record(user, "scenario_cloned", copy, after={"from": scenario.id})
    return copy


def _copy_name(name: str) -> str:
    return (name if name.startswith("Copy of ") else f"Copy of {name}")[:120]


def _deep_copy(value):
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


# ----------------------------------------------------------------------- runs


def describe_settings(scenario: Scenario) -> dict[str, str]:
    """The scenario's settings as labelled, readable values (frozen into each run)."""
    names = {
        "dept": dict(db.session.execute(sa.select(Department.id, Department.name)).all()),
        "obj": dict(
            db.session.execute(sa.select(StrategicObjective.id, StrategicObjective.name)).all()
        ),
        "pool": dict(db.session.execute(sa.select(ResourcePool.id, ResourcePool.name)).all()),
    }
    out: dict[str, str] = {"Periods": ", ".join(scenario.periods or [])}
    out["Budget means"] = (
        "what remains after the current plan"
        if scenario.budget_mode == BudgetMode.REMAINING
        else "the total, the current plan's ideas included"
    )
    for p in scenario.periods or []:
        budget = (scenario.budget or {}).get(p)
        out[f"Budget {p}"] = "no limit" if budget is None else _plain(budget)
    for pool_id, per in sorted((scenario.capacity or {}).items()):
        for p, v in per.items():
            out[f"Capacity {names['pool'].get(int(pool_id), pool_id)} {p}"] = _plain(v)
    filters = scenario.candidate_filter or {}
    out["Candidate states"] = ", ".join(
        filters.get("states") or [s.value for s in workflow.DEFAULT_SCENARIO_CANDIDATES]
    )
    out["Candidate departments"] = (
        ", ".join(names["dept"].get(i, str(i)) for i in filters.get("department_ids") or [])
        or "all"
    )
    out["Candidate objectives"] = (
        ", ".join(names["obj"].get(i, str(i)) for i in filters.get("objective_ids") or []) or "all"
    )
    if filters.get("campaign_id"):
        campaign = db.session.get(Campaign, filters["campaign_id"])
        out["Campaign"] = campaign.title if campaign else f"campaign {filters['campaign_id']}"
    for dept_id, share in sorted((scenario.department_shares or {}).items()):
        label = names["dept"].get(int(dept_id), dept_id)
        out[f"Share {label}"] = f"{share.get('min', 0):.0%} to {share.get('max', 1):.0%}"
    lows, highs = scenario.theme_min_shares or {}, scenario.theme_max_shares or {}
    for objective_id in sorted(set(lows) | set(highs)):
        out[f"Theme {names['obj'].get(int(objective_id), objective_id)}"] = (
            f"{lows.get(objective_id, 0):.0%} to {highs.get(objective_id, 1):.0%}"
        )
    if scenario.count_min is not None or scenario.count_max is not None:
        out["Number of ideas"] = (
            f"{scenario.count_min or 0} to "
            f"{'any' if scenario.count_max is None else scenario.count_max}"
        )
    out["Forced in"] = ", ".join(f"IDEA-{i}" for i in scenario.force_in or []) or "none"
    out["Forced out"] = ", ".join(f"IDEA-{i}" for i in scenario.force_out or []) or "none"
    later = dict(scenario.start_later or {})
    everyone = later.pop("*", 0)
    out["Every idea may start later by"] = str(everyone or 0)
    out["Ideas that may start later"] = (
        ", ".join(f"IDEA-{i}: {k}" for i, k in sorted(later.items())) or "none"
    )
    applied = [
        name
        for name, on in (
            ("requires", scenario.apply_requires),
            ("excludes", scenario.apply_excludes),
            ("together", scenario.apply_together),
        )
        if on
    ]
    out["Links applied"] = ", ".join(applied) or "none"
    out["Maximize"] = (
        "value adjusted by risk"
        if scenario.objective == ScenarioObjective.RISK_ADJUSTED
        else "strategic value"
    )
    out["Discount rate"] = f"{(scenario.discount_rate or 0):.1%} a year"
    tail = "not counted"
    if scenario.tail_years:
        limit = scenario.tail_budget
        tail = f"{scenario.tail_years} years, " + (
            "reported only" if limit is None else f"budget line of {_plain(limit)}"
        )
    out["Run cost counted past the horizon"] = tail
    out["Solver"] = f"{scenario.backend}, {scenario.time_limit} s"
    return out


def _next_number(scenario_id: int) -> int:
    """The scenario's next run number, with the scenario's row locked until the caller
    commits, so that two people pressing Run at once get two numbers (PostgreSQL: SELECT …
    FOR UPDATE; SQLite already serialises writing requests with BEGIN IMMEDIATE)."""
    db.session.execute(sa.select(Scenario.id).where(Scenario.id == scenario_id).with_for_update())
    last = db.session.scalar(
        sa.select(sa.func.max(Run.number)).where(Run.scenario_id == scenario_id)
    )
    return (last or 0) + 1


def _gap() -> float:
    from flask import current_app

    return float(current_app.config.get("PORTFOLIO_GAP", 1e-4))


def start_run(scenario: Scenario, user: User) -> Run:
    """Freeze the scenario into a run and hand it to the background (the hand-over commits).

    Raises problem.SettingsError (400) when a setting names something that is not there.
    """
    frozen = bridge.build_problem(scenario)
    settings = {
        "scenario": scenario.name,
        "backend": scenario.backend,
        "time_limit": scenario.time_limit,
        "gap": _gap(),
        "display": describe_settings(scenario),
        "left_out": frozen.left_out,
        "freeze_seconds": round(frozen.seconds, 4),
        "candidates": len(frozen.problem["candidates"]),
        "objective_shares": frozen.objective_shares,
        "budget_mode": scenario.budget_mode.value,
        # Adopting a campaign's run tells its every participant, candidates or not.
        "campaign_id": (scenario.candidate_filter or {}).get("campaign_id"),
    }
    if scenario.budget_mode == BudgetMode.REMAINING:
        # What the plan held when the run froze: its budget is what was left after that.
        settings["plan_costs"] = bridge.plan_costs()
    return _launch(scenario, user, frozen.problem, settings)


def retry_run(run: Run, user: User) -> Run:
    """A new run of the same frozen problem and settings (the hand-over commits)."""
    runs.mark_stale(run)
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise PortfolioError("This run has not finished yet.")
    settings = {k: v for k, v in (run.settings or {}).items() if k != runs.HEARTBEAT}
    return _launch(run.scenario, user, run.problem, {**settings, "retry_of": run.number})


def _launch(scenario: Scenario, user: User, problem: dict, settings: dict) -> Run:
    """Create the run with the scenario's next number and hand it over (commits), after
    recording every run whose job stopped (a start is a write path that touches runs)."""
    runs.sweep()
    run = Run(
        scenario=scenario,
        number=_next_number(scenario.id),
        status=RunStatus.QUEUED,
        problem=problem,
        settings=settings,
        created_by=user,
    )
    db.session.add(run)
    db.session.flush()
    record(user, "run_started", run, after={"scenario": scenario.id, "number": run.number})
    # Handing the run to its worker commits it: a worker cannot pick up an uncommitted run.
    runs.enqueue(run)
    return run


def run_state(run: Run) -> dict:
    """What the run page polls: status, elapsed seconds, whether the analysis is pending,
    how many ideas are explained (`explained`, see `explanations.progress`).

    A run whose job can no longer finish shows as failed with the reason, a finished run
    whose job stopped during the analysis as finished without it (`analysis_error`), and
    a part of its explanations whose job stopped as not computed; this only reads (the
    sweep or a retry records it).
    """
    stale = runs.stale_reason(run)
    status = RunStatus.FAILED if stale else run.status
    end = run.finished_at or utcnow()
    analysis = _analysis_state(run)
    analysis_error = runs.analysis_stopped(run) if analysis == "pending" else None
    if analysis_error:
        analysis = "failed"  # finished without its analysis: the job stopped
    explained = explanations.progress(run)
    return {
        "id": run.id,
        "status": status.value,
        "result_status": run.result_status,
        "elapsed": round((end - run.created_at).total_seconds(), 1),
        "analysis": analysis,
        "analysis_error": analysis_error,
        "explained": explained,
        "finished": status in (RunStatus.DONE, RunStatus.FAILED)
        and analysis != "pending"
        and explained["state"] != "pending",
        "error": stale or run.error,
    }


class RunAsShown:
    """A run as pages and the API show it: failed with the reason when its job can no longer
    finish (derived, not written; see `run_state`), its result with the explanations as
    known now (`explanations.known`). Other attributes are the run's."""

    def __init__(self, run: Run):
        state = run_state(run)
        self._run = run
        self.status = RunStatus(state["status"])
        self.error = state["error"]

    @property
    def result(self) -> dict | None:
        result = self._run.result
        if not result or "explanations" not in result:
            return result
        return {**result, "explanations": explanations.known(self._run, result)}

    def __getattr__(self, name: str):
        return getattr(self._run, name)


def analysis_state(run_id: int) -> str | None:
    """The state of a run's frontier and robustness analysis (see `runs.analysis_state`)."""
    return runs.analysis_state(run_id)


def _analysis_state(run: Run) -> str | None:
    """`analysis_state`, read from the run's result when it was loaded with the run (the run
    page reads it whole), else from the database without loading it (the status poll)."""
    if "result" in sa.inspect(run).unloaded:
        return analysis_state(run.id)
    return ((run.result or {}).get("analysis") or {}).get("state")


# --------------------------------------------------------------------- adoption


@dataclass
class Adoption:
    """What adopting a run does: ideas selected, kept, deferred, and what blocks it."""

    select: list[Idea] = field(default_factory=list)
    keep: list[Idea] = field(default_factory=list)
    defer: list[Idea] = field(default_factory=list)
    blocked: list[Idea] = field(default_factory=list)
    # Candidates left out that keep their state (told why), and the plan's ideas the run
    # did not weigh (they stay in the plan, untouched).
    left_out: list[Idea] = field(default_factory=list)
    staying: list[Idea] = field(default_factory=list)
    # Candidates the run left out whose delivery has started since: they stay (`underway`).
    underway: list[Idea] = field(default_factory=list)
    # Periods the plan would overcommit: {period, committed, budget, excess}.
    excess: list[dict] = field(default_factory=list)
    # What changed about the run's ideas since it was made (`changes_since`).
    changes: list[dict] = field(default_factory=list)


def selected_ids(run: Run) -> list[int]:
    return [bridge.parse_ref(s["id"]) for s in (run.result or {}).get("selected", [])]


def candidate_ids(run: Run) -> list[int]:
    return [bridge.parse_ref(c["id"]) for c in run.problem.get("candidates", [])]


def adoption(run: Run) -> Adoption:
    """Preview adopting `run` (nothing changes)."""
    if run.status != RunStatus.DONE or run.result_status not in SOLVED:
        raise PortfolioError("Only a run that found a portfolio can be adopted.")
    chosen = set(selected_ids(run))
    plan = Adoption()
    ideas = {i.id: i for i in db.session.scalars(sa.select(Idea).where(Idea.id.in_(chosen)))}
    for idea_id in sorted(chosen):
        idea = ideas.get(idea_id)
        if idea is None:
            continue
        if idea.status in workflow.TRANSITIONS["select"].sources:
            plan.select.append(idea)
        elif idea.status in workflow.COMMITTED:
            plan.keep.append(idea)
        else:
            plan.blocked.append(idea)
    weighed = set(candidate_ids(run))
    considered = weighed - chosen
    if considered:
        for idea in db.session.scalars(
            sa.select(Idea).where(Idea.id.in_(considered)).order_by(Idea.id)
        ):
            if idea.status in _UNDERWAY:
                plan.underway.append(idea)
            elif idea.status == IdeaStatus.SELECTED:
                plan.defer.append(idea)
            else:
                plan.left_out.append(idea)
    plan.staying = list(
        db.session.scalars(
            sa.select(Idea)
            .where(Idea.status.in_(workflow.IN_THE_PLAN), Idea.id.not_in(weighed | chosen))
            .order_by(Idea.id)
        )
    )
    plan.excess = overcommitted(run)
    plan.changes = changes_since(run, weighed, chosen)
    return plan


# Committed (the workflow's group) beyond what adopting a plan can take back: an adoption
# defers a left-out candidate only from the states `defer` starts from (selected); one whose
# delivery has started stays in the plan whatever a run that left it out says.
_UNDERWAY = frozenset(workflow.COMMITTED) - workflow.TRANSITIONS["defer"].sources


def underway(run: Run) -> set[int]:
    """The run's candidates it did not select that are committed beyond selection now
    (in delivery or delivered): adopting the run leaves them where they are."""
    left = set(candidate_ids(run)) - set(selected_ids(run))
    if not left:
        return set()
    return set(
        db.session.scalars(sa.select(Idea.id).where(Idea.id.in_(left), Idea.status.in_(_UNDERWAY)))
    )


def _replaced(run: Run) -> set[int]:
    """The plan's ideas whose cost adopting `run` replaces by its own spend: the ones it
    selected and the other candidates it takes out of the plan (those `underway` stay)."""
    return (set(candidate_ids(run)) | set(selected_ids(run))) - underway(run)


def changes_since(run: Run, weighed: set[int], chosen: set[int]) -> list[dict]:
    """What changed about the run's ideas (`weighed`, of which it `chosen` some) after it
    was made, or after it was last adopted (its own adoption's steps are not news), that
    the run could not know: a state change that puts an idea it chose out of the committed
    states or one it left out into them ({idea, kind "state", before: the state then}),
    and a new estimate ({idea, kind "estimate"}); in idea order. A chosen idea that was
    selected or whose delivery started since is what the run meant, not news."""
    ideas = weighed | chosen
    if not ideas:
        return []
    since = max(run.created_at, run.adopted_at or run.created_at)
    seen: dict[int, IdeaStatus] = {}
    for idea_id, before in db.session.execute(
        sa.select(AuditEvent.idea_id, AuditEvent.before)
        .where(
            AuditEvent.action == "status_change",
            AuditEvent.idea_id.in_(ideas),
            AuditEvent.created_at > since,
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ):
        seen.setdefault(idea_id, IdeaStatus((before or {}).get("status") or "draft"))
    estimated = set(
        db.session.scalars(
            sa.select(Estimate.idea_id).where(
                Estimate.idea_id.in_(ideas), Estimate.created_at > since
            )
        )
    )
    found = {
        i.id: i
        for i in db.session.scalars(sa.select(Idea).where(Idea.id.in_(set(seen) | estimated)))
    }
    out = []
    for idea_id in sorted(found):
        idea = found[idea_id]
        committed = idea.status in workflow.COMMITTED
        if idea_id in seen and seen[idea_id] != idea.status and committed != (idea_id in chosen):
            out.append(
                {
                    "idea": idea,
                    "kind": "state",
                    "before": seen[idea_id],
                    "chosen": idea_id in chosen,
                }
            )
        if idea_id in estimated:
            out.append({"idea": idea, "kind": "estimate"})
    return out


def earlier_plans(run: Run) -> dict[int, dict]:
    """The ideas of earlier plans that stay in the plan beside `run`, the ones whose cost
    `commitments` counts as "earlier", idea by idea (`problem.plan_profiles`); none beside
    a campaign's run, whose envelope pays only for its own answers."""
    if (run.settings or {}).get("campaign_id"):
        return {}
    return bridge.plan_profiles(exclude=_replaced(run))


def commitments(run: Run) -> list[dict]:
    """What adopting `run` commits per period: {period, run (its spend), earlier (what the
    plan's other ideas cost: those the run did not consider and those whose delivery has
    started since it left them out; they stay in the plan), committed (the two), budget,
    excess}.

    The budget is the run's own when it was a total; when it was what remained after the
    plan, the plan's costs when the run froze are added back. None: no limit that period.
    """
    settings = run.settings or {}
    budget = run.problem.get("budget", {})
    spend = (run.result or {}).get("spend", {})
    # A campaign's budgets are its envelope, for its own answers: the rest of the plan is
    # paid from the organisation's budget, not from the envelope.
    staying = {} if settings.get("campaign_id") else bridge.plan_costs(exclude=_replaced(run))
    frozen_plan = settings.get("plan_costs") or {}
    remaining = settings.get("budget_mode") == BudgetMode.REMAINING.value
    rows = []
    for period in run.problem.get("periods", []):
        own, earlier = spend.get(period, 0.0), staying.get(period, 0.0)
        limit = budget.get(period)
        if limit is not None and remaining:
            limit += frozen_plan.get(period, 0.0)
        committed = own + earlier
        excess = committed - limit if limit is not None and committed > limit + 1e-6 else 0.0
        rows.append(
            {"period": period, "run": own, "earlier": earlier, "committed": committed,
             "budget": limit, "excess": excess}
        )  # fmt: skip
    return rows


def overcommitted(run: Run) -> list[dict]:
    """The periods in which adopting `run` would commit more than its budget allows
    (`commitments` with an excess)."""
    return [row for row in commitments(run) if row["excess"]]


def adopt_run(run: Run, user: User, *, accept_excess: bool = False) -> Adoption:
    """Adopt `run` as the current plan through the workflow (caller commits).

    A plan that overcommits a period is adopted only when `accept_excess` says so."""
    plan = adoption(run)
    if plan.excess and not accept_excess:
        periods = ", ".join(f"{e['period']} by {bridge.amount(e['excess'])}" for e in plan.excess)
        raise PortfolioError(
            f"This plan overcommits {periods}: confirm that you accept it to adopt it.",
            field="accept_excess",
        )
    if plan.blocked:
        refs = ", ".join(f"{i.reference} ({i.status.label.lower()})" for i in plan.blocked)
        raise PortfolioError(
            f"Some selected ideas changed state since this run: {refs}. "
            "Run the scenario again before adopting."
        )
    reason = f"not in the adopted plan ({run.scenario.name}, run {run.number})"
    # Each candidate's people hear once, from `outcomes`, in or out and why, instead of
    # the transitions' own shorter notices.
    for idea in plan.select:
        workflow.apply(idea, "select", user, notify_people=False)
    for idea in plan.defer:
        workflow.apply(idea, "defer", user, reason, notify_people=False)
    # The steps' audit events are stamped when written: written first, they come before the
    # adoption's time, so `changes_since` a later look does not count them as news.
    db.session.flush()
    run.adopted_at = utcnow()
    run.adopted_by = user
    db.session.flush()
    # An idea whose delivery has started stays: no "not in the plan" for it.
    outcomes.record_and_tell(run, user, skip={i.id for i in plan.underway})
    record(
        user,
        "run_adopted",
        run,
        after={
            "excess_accepted": plan.excess,
            "selected": [i.id for i in plan.select],
            "kept": [i.id for i in plan.keep],
            "deferred": [i.id for i in plan.defer],
        },
    )
    return plan


def current_plan() -> Run | None:
    """The most recently adopted run of the whole organisation (a campaign's adopted run
    selects its answers into the plan, but the plan stays the organisation's)."""
    return db.session.scalar(
        sa.select(Run)
        .where(Run.adopted_at.is_not(None), Run.settings["campaign_id"].as_integer().is_(None))
        .order_by(Run.adopted_at.desc())
        .limit(1)
    )


def other_selected(run: Run | None) -> list[Idea]:
    """Ideas selected or in delivery that the current plan's run did not select."""
    chosen = set(selected_ids(run)) if run else set()
    query = sa.select(Idea).where(Idea.status.in_(workflow.IN_THE_PLAN))
    return [i for i in db.session.scalars(query.order_by(Idea.id)) if i.id not in chosen]


def recent_runs(limit: int = 30) -> list[Run]:
    return list(
        db.session.scalars(
            sa.select(Run)
            .where(Run.status == RunStatus.DONE)
            .order_by(Run.created_at.desc(), Run.id.desc())
            .limit(limit)
        )
    )


def runs_to_compare(run_ids: list[int]) -> list[Run]:
    """The runs asked for, in the order given; 2 to 5 finished runs."""
    unique = list(dict.fromkeys(run_ids))
    if not 2 <= len(unique) <= MAX_COMPARE:
        raise PortfolioError(
            f"Choose between 2 and {MAX_COMPARE} runs to compare.", status_code=400
        )
    runs = {r.id: r for r in db.session.scalars(sa.select(Run).where(Run.id.in_(unique)))}
    missing = [i for i in unique if i not in runs]
    if missing:
        raise PortfolioError(f"No run {', '.join(map(str, missing))}.", status_code=404)
    unfinished = [runs[i] for i in unique if runs[i].status != RunStatus.DONE]
    if unfinished:
        raise PortfolioError(
            "Only finished runs can be compared; "
            + ", ".join(f"{r.scenario.name} run {r.number}" for r in unfinished)
            + " is not.",
            status_code=400,
        )
    return [runs[i] for i in unique]
