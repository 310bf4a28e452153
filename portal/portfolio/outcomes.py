"""What an adopted plan means for each of its candidates, in plain words, and who is told.

Adopting a run writes one `PlanOutcome` per candidate (in the plan or not, and why) and
tells each candidate's submitter and followers; a run restricted to a campaign does the same
for the campaign's ideas that were not candidates (`not_weighed`: rejected, still in review…),
so every participant hears what became of their idea. The reason is worded here, once, from the
run's own explanation (`result["explanations"]`, with the parts still being worked out laid
over them: `explanations.known`) and the budget and capacity rows each left-out idea
overflows (`problem.shortfalls`); the idea page shows the stored sentence. A run adopted
before its explanations are all in is worded from what is known (in or out, and the rows it
overflows, never a threshold not yet computed); when they are in, `restate` rewords the
stored sentences (nobody is told twice).
"""

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from portal import workflow
from portal.audit import tell_audiences
from portal.extensions import db
from portal.models import Idea, IdeaStatus, PlanOutcome, ResourcePool, Run
from portal.portfolio import explanations as explaining
from portal.portfolio import problem as bridge
from portal.portfolio.problem import amount


def plan_name(run: Run) -> str:
    """'the FY2027-2029 plan' (or 'the plan “Next year's plan”' when the name says plan)."""
    name = run.scenario.name
    return f"the plan “{name}”" if "plan" in name.lower() else f"the {name} plan"


def _left(left: float) -> str:
    return "none is left" if left <= 1e-9 else f"only {amount(left)} is left"


def _need(row: dict, units: dict[str, str]) -> str:
    """One overflowed row: 'it needs 1.5 FTE of Data & analytics in 2027 and none is left'."""
    if row["kind"] == "budget":
        if row["need"] > row["limit"] + 1e-9:
            return (
                f"on its own it costs {amount(row['need'])} in {row['period']}, more than "
                f"the whole {row['period']} budget of {amount(row['limit'])}"
            )
        return (
            f"it needs {amount(row['need'])} of the {row['period']} budget and {_left(row['left'])}"
        )
    unit = units.get(row["pool"], "")
    quantity = f"{amount(row['need'])} {unit}".strip()
    if row["need"] > row["limit"] + 1e-9:
        return (
            f"on its own it needs {quantity} of {row['pool']} in {row['period']}, more than "
            f"the whole capacity of {amount(row['limit'])}"
        )
    return f"it needs {quantity} of {row['pool']} in {row['period']} and {_left(row['left'])}"


def _refs(refs: list[str]) -> str:
    return refs[0] if len(refs) == 1 else ", ".join(refs[:-1]) + " and " + refs[-1]


def phrase(
    plan: str,
    explanation: dict,
    short: list[dict] | None,
    units: dict[str, str],
    start: str | None = None,
) -> str:
    """The sentence the idea page and the notice show for one candidate of an adopted run.

    `explanation` is the candidate's entry of the run's explanations, `short` the rows it
    overflows (or None), `units` each resource pool's unit, `start` the selected start.
    """
    if explanation.get("selected"):
        return f"In {plan}" + (f", starting in {start}." if start else ".")
    reason = explanation.get("reason")
    related = explanation.get("related") or []
    if reason == "forced_out":
        why = ["the portfolio manager left it out of this scenario on purpose"]
    elif reason == "requires":
        why = [
            f"it requires {_refs(related)}, which {'is' if len(related) == 1 else 'are'} not in it"
        ]
    elif reason == "exclusive":
        why = [f"{_refs(related)} {'is' if len(related) == 1 else 'are'} in it and excludes it"]
    elif reason == "infeasible":
        why = ["no plan that includes it meets the scenario's rules"]
    elif short:
        why = [_need(row, units) for row in short]
    else:
        why = ["other ideas bring more value within the same budgets, capacities and rules"]
    if explanation.get("value_to_enter") is not None and reason == "value":
        why.append(
            f"it would enter with a value of {amount(explanation['value_to_enter'])} or more"
        )
    return f"Not in {plan}: " + "; ".join(why) + "."


def outcomes(run: Run) -> dict[int, tuple[bool, str]]:
    """Idea id -> (in the plan, the sentence) for every candidate of `run`."""
    problem, result = run.problem, run.result or {}
    explanations = {e["id"]: e for e in explaining.known(run, result)}
    out = [e for e in explanations.values() if not e.get("selected")]
    short = bridge.shortfalls(problem, result, out)
    starts = {s["id"]: s.get("start") for s in result.get("selected", [])}
    units = dict(db.session.execute(sa.select(ResourcePool.name, ResourcePool.unit)).all())
    name = plan_name(run)
    found: dict[int, tuple[bool, str]] = {}
    for c in problem.get("candidates", []):
        idea_id = bridge.parse_ref(c["id"])
        if idea_id is None:
            continue
        selected = c["id"] in starts
        entry = explanations.get(c["id"], {"id": c["id"], "selected": selected})
        entry = {**entry, "selected": selected}
        found[idea_id] = (
            selected,
            phrase(name, entry, short.get(c["id"]), units, starts.get(c["id"])),
        )
    return found


def not_weighed(plan: str, idea: Idea) -> str:
    """The sentence for an idea of the run's campaign that was not among its candidates."""
    state = idea.status.label.lower()
    if idea.status in workflow.DELIVERY_STARTED:
        return f"Not weighed in {plan}: it is already {state}."
    if idea.status in workflow.CLOSED:
        why = f": {idea.status_reason.rstrip('.')}" if idea.status_reason else ""
        return f"Not in {plan}: it was {state} before the plan was made{why}."
    return (
        f"Not in {plan}: it was not an approved candidate when the plan was made (it is "
        f"{state}); it can still enter a later plan."
    )


def _campaign_ideas(run: Run, candidates) -> list[Idea]:
    """The submitted ideas of the run's campaign (when its scenario was restricted to one)
    that were not candidates: their people hear what became of them too."""
    campaign_id = (run.settings or {}).get("campaign_id")
    if not campaign_id:
        return []
    return list(
        db.session.scalars(
            sa.select(Idea).where(
                Idea.campaign_id == campaign_id,
                Idea.status != IdeaStatus.DRAFT,
                Idea.id.not_in(candidates),
            )
        )
    )


def record_and_tell(run: Run, actor, skip: set[int] = frozenset()) -> int:
    """Write each candidate's outcome and tell its submitter and followers (caller commits);
    a campaign's run also tells the people of the campaign's other ideas (`not_weighed`).
    The ideas in `skip` (left out by the run, but their delivery has started since: they
    stay in the plan) get no outcome and no notice.

    Returns how many ideas were told about."""
    found = {i: outcome for i, outcome in outcomes(run).items() if i not in skip}
    name = plan_name(run)
    for idea in _campaign_ideas(run, list(found) + list(skip)):
        found[idea.id] = (False, not_weighed(name, idea))
    ideas = list(db.session.scalars(sa.select(Idea).where(Idea.id.in_(found)).order_by(Idea.id)))
    if not ideas:
        return 0
    # Adopting the same run again re-states its outcomes (as they are now).
    db.session.execute(sa.delete(PlanOutcome).where(PlanOutcome.run_id == run.id))
    db.session.execute(
        sa.insert(PlanOutcome),
        [
            {
                "run_id": run.id,
                "idea_id": i.id,
                "selected": found[i.id][0],
                "reason": found[i.id][1],
            }
            for i in ideas
        ],
    )
    messages = {i.id: f"{i.reference} “{i.title}”: {found[i.id][1]}" for i in ideas}
    tell_audiences(ideas, messages, exclude=actor)
    return len(ideas)


def restate(run: Run) -> None:
    """Reword the stored outcomes of an adopted run from its explanations as they are now
    (when the last of them came in after the adoption); nobody is told again (the caller
    commits)."""
    found = outcomes(run)
    for row in db.session.scalars(sa.select(PlanOutcome).where(PlanOutcome.run_id == run.id)):
        if row.idea_id in found:
            row.reason = found[row.idea_id][1]


def latest(idea: Idea) -> PlanOutcome | None:
    """The idea's outcome in the most recently adopted plan that considered it."""
    return db.session.scalar(
        sa.select(PlanOutcome)
        .join(PlanOutcome.run)
        .where(PlanOutcome.idea_id == idea.id)
        .order_by(Run.adopted_at.desc(), PlanOutcome.id.desc())
        .options(contains_eager(PlanOutcome.run))  # the page shows when the run was adopted
        .limit(1)
    )


def latest_of(ideas: list[Idea]) -> dict[int, PlanOutcome]:
    """`latest` for many ideas in one query: idea id -> its outcome in the most recently
    adopted plan that considered it (ideas no plan considered are left out)."""
    found: dict[int, PlanOutcome] = {}
    if not ideas:
        return found
    rows = db.session.scalars(
        sa.select(PlanOutcome)
        .join(Run, Run.id == PlanOutcome.run_id)
        .where(PlanOutcome.idea_id.in_([i.id for i in ideas]))
        .order_by(Run.adopted_at.desc(), PlanOutcome.id.desc())
    )
    for row in rows:
        found.setdefault(row.idea_id, row)
    return found
