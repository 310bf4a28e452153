"""The only bridge between the portal and `optimizer/`: database rows -> optimizer problem.

`build_problem(scenario)` reads the candidates of a scenario straight from the tables (a few
column queries, no ORM objects per idea, so 10,000 candidates stay well under a second) and
returns the `converge.problem/1` document that a run freezes. Everything else here wraps the
optimizer's public functions so no other portal module imports it.
"""

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

import optimizer
from optimizer import SOLVED, amount  # noqa: F401 -- result statuses with a portfolio; compact amounts (1.2M, 45k) for pages
from portal import lifecycle, workflow
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import whole_number
from portal.models import (
    BudgetMode,
    Department,
    Estimate,
    EstimateCost,
    EstimateEffort,
    EstimateImpact,
    Idea,
    IdeaLink,
    IdeaStatus,
    LinkKind,
    ResourcePool,
    Scenario,
    ScenarioObjective,
    StrategicObjective,
)
from portal.models.ideas import idea_objectives
from portal.review.valuation import (
    active_weights,
    in_points,
    objective_shares,
    scorer,
    value_parts,
)

BACKENDS = optimizer.BACKENDS
_REF = re.compile(r"^\s*(?:idea[-\s]?)?(\d+)\s*$", re.IGNORECASE)


class SettingsError(PortalError):
    """The scenario's settings cannot be turned into a problem; `.problems` says why."""

    status_code = 400

    def __init__(self, problems: list[dict]):
        super().__init__("; ".join(p["text"] for p in problems))
        self.problems = problems


def idea_ref(idea_id: int) -> str:
    """The candidate id the optimizer sees for an idea (the idea's public reference)."""
    return f"IDEA-{idea_id}"


def parse_ref(text: str) -> int | None:
    """'IDEA-12', 'idea 12' or '12' -> 12; None when it is not an idea reference."""
    match = _REF.match(text or "")
    return whole_number(match.group(1)) if match else None


@dataclass
class Frozen:
    """What a run freezes: the problem document and what was left out, with why."""

    problem: dict
    left_out: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # candidate id -> {objective name: share of its weighted impact}, for splits by objective
    objective_shares: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0


def _candidate_query(scenario: Scenario) -> sa.Select:
    filters = scenario.candidate_filter or {}
    states = [IdeaStatus(s) for s in filters.get("states") or workflow.DEFAULT_SCENARIO_CANDIDATES]
    if scenario.budget_mode == BudgetMode.REMAINING:  # the plan's ideas stay; not candidates
        states = [s for s in states if s not in workflow.IN_THE_PLAN]
    query = (
        sa.select(
            Idea.id,
            Department.name,
            Estimate.id.label("estimate_id"),
            Estimate.value_low,
            Estimate.value_likely,
            Estimate.value_high,
            Estimate.risk,
            Estimate.value_profile,
            Estimate.run_cost_per_year,
            Estimate.lifetime_years,
        )
        .join(Estimate, sa.and_(Estimate.idea_id == Idea.id, Estimate.is_current))
        .join(Department, Department.id == Idea.department_id)
        .where(Idea.status.in_(states))
    )
    if filters.get("campaign_id"):
        query = query.where(Idea.campaign_id == filters["campaign_id"])
    if filters.get("department_ids"):
        query = query.where(Idea.department_id.in_(filters["department_ids"]))
    if filters.get("objective_ids"):
        serving = sa.select(idea_objectives.c.idea_id).where(
            idea_objectives.c.objective_id.in_(filters["objective_ids"])
        )
        query = query.where(Idea.id.in_(serving))
    return query.order_by(Idea.id, Estimate.version.desc())


def build_problem(scenario: Scenario) -> Frozen:
    """Turn a scenario and the current estimates into a `converge.problem/1` document.

    Raises SettingsError when a setting names something that is not there (a forced-in idea
    that is not a candidate, a minimum share for a department or theme without candidates).
    """
    t0 = time.perf_counter()
    periods = [str(p) for p in scenario.periods]
    period_set = set(periods)
    frozen = Frozen(problem={})

    rows = db.session.execute(_candidate_query(scenario)).all()
    cands: dict[int, dict] = {}
    estimate_of: dict[int, int] = {}
    for idea_id, dept, estimate_id, low, likely, high, risk, profile, run, life in rows:
        if idea_id in cands:  # two current versions: the query put the newest first
            continue
        cands[idea_id] = {"department": dept, "low": low, "likely": likely, "high": high}
        cands[idea_id].update(risk=risk, profile=profile or {}, run_cost=run, lifetime=life)
        estimate_of[estimate_id] = idea_id
    estimates = _candidate_query(scenario).with_only_columns(Estimate.id).subquery()
    estimate_ids = sa.select(estimates.c.id)

    weights = active_weights()
    objective_names = dict(
        db.session.execute(sa.select(StrategicObjective.id, StrategicObjective.name)).all()
    )
    impacts = _impacts(estimate_ids, estimate_of)

    costs: dict[int, dict[str, float]] = defaultdict(dict)
    outside: dict[int, set[str]] = defaultdict(set)
    for estimate_id, period, capex, opex in db.session.execute(
        sa.select(
            EstimateCost.estimate_id, EstimateCost.period, EstimateCost.capex, EstimateCost.opex
        ).where(EstimateCost.estimate_id.in_(estimate_ids))
    ):
        idea_id = estimate_of.get(estimate_id)
        if idea_id is None or not (capex or opex):
            continue
        if period not in period_set:
            outside[idea_id].add(period)
        else:
            costs[idea_id][period] = round(float(capex) + float(opex), 2)

    pool_names = dict(db.session.execute(sa.select(ResourcePool.id, ResourcePool.name)).all())
    efforts: dict[int, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for estimate_id, pool_id, period, effort in db.session.execute(
        sa.select(
            EstimateEffort.estimate_id,
            EstimateEffort.pool_id,
            EstimateEffort.period,
            EstimateEffort.amount,
        ).where(EstimateEffort.estimate_id.in_(estimate_ids))
    ):
        idea_id = estimate_of.get(estimate_id)
        if idea_id is None or not effort:
            continue
        if period not in period_set:
            outside[idea_id].add(period)
        else:
            efforts[idea_id][pool_names[pool_id]][period] = float(effort)

    themes: dict[int, list[str]] = defaultdict(list)
    candidate_ids = _candidate_query(scenario).with_only_columns(Idea.id).scalar_subquery()
    for idea_id, objective_id in db.session.execute(
        sa.select(idea_objectives.c.idea_id, idea_objectives.c.objective_id).where(
            idea_objectives.c.idea_id.in_(candidate_ids)
        )
    ):
        if idea_id in cands and objective_id in weights:
            themes[idea_id].append(objective_names[objective_id])

    for idea_id, periods_out in outside.items():
        if idea_id in cands:
            del cands[idea_id]
            frozen.left_out.append(
                {
                    "id": idea_ref(idea_id),
                    "reason": "outside",
                    "text": f"its estimate has cost or effort in {', '.join(sorted(periods_out))},"
                    " outside the planning periods",
                }
            )

    links = _links(scenario, cands, frozen)

    risk_adjusted = scenario.objective == ScenarioObjective.RISK_ADJUSTED
    start_later = scenario.start_later or {}
    default_shift = int(start_later.get("*", 0) or 0)
    max_shift = max(len(periods) - 1, 0)
    candidates = []
    value_of = scorer(weights)
    per_year = lifecycle.periods_per_year(periods)
    for idea_id, c in cands.items():
        gain, loss = value_parts(impacts.get(idea_id, {}), value_of)
        keep = (1.0 - float(c["risk"])) if risk_adjusted else 1.0
        gain, loss = gain * keep, loss * keep
        value = gain - loss
        candidate = {"id": idea_ref(idea_id)}
        stream = lifecycle.value_stream(gain * c["likely"], c["profile"])
        if stream:
            # The positive part accrues over time; what negative impacts take is one-off.
            candidate["value_by_period"] = {
                p: in_points(v) for p, v in stream.items() if p in period_set and v > 0
            }
            candidate["value"] = in_points(-loss * c["likely"]) or 0.0
            if not candidate["value_by_period"]:
                del candidate["value_by_period"]
        else:
            candidate["value"] = in_points(value * c["likely"])
            candidate["value_low"] = in_points(value * c["low"])
            candidate["value_high"] = in_points(value * c["high"])
            if value < 0:  # the range of a negative value runs the other way
                candidate["value_low"], candidate["value_high"] = (
                    candidate["value_high"],
                    candidate["value_low"],
                )
        candidate.update(cost=costs.get(idea_id, {}), department=c["department"])
        if loss > 0:
            candidate["negative_impact"] = in_points(loss * c["likely"])
        if c["run_cost"] and c["lifetime"]:
            candidate["run_cost"] = round(float(c["run_cost"]) / per_year, 2)
            candidate["lifetime"] = max(1, round(int(c["lifetime"]) * per_year))
        if idea_id in efforts:
            candidate["effort"] = {pool: dict(per) for pool, per in efforts[idea_id].items()}
        if themes.get(idea_id):
            candidate["themes"] = sorted(themes[idea_id])
        shares = objective_shares(impacts.get(idea_id, {}), weights)
        if shares:
            frozen.objective_shares[candidate["id"]] = {
                objective_names[oid]: round(share, 6) for oid, share in sorted(shares.items())
            }
        shift = min(int(start_later.get(str(idea_id), default_shift) or 0), max_shift)
        if shift > 0:
            candidate["may_start_later_by"] = shift
        candidates.append(candidate)

    problem = {
        "schema": optimizer.PROBLEM_SCHEMA,
        "periods": periods,
        "budget": {p: float(v) for p, v in (scenario.budget or {}).items() if p in period_set},
        "capacity": _capacity(scenario, candidates, pool_names, period_set),
        "candidates": candidates,
        **links,
    }
    problem.update(_forces_and_shares(scenario, cands, candidates, objective_names, frozen))
    if scenario.discount_rate:
        problem["discount_rate"] = round(lifecycle.period_rate(scenario.discount_rate, periods), 8)
    if scenario.tail_years:
        tail: dict = {"years": max(1, round(scenario.tail_years * per_year))}
        if scenario.tail_budget is not None:
            tail["budget"] = float(scenario.tail_budget)
        problem["run_cost_past_horizon"] = tail
    if scenario.count_min is not None or scenario.count_max is not None:
        problem["count"] = {"min": scenario.count_min or 0}
        if scenario.count_max is not None:
            problem["count"]["max"] = scenario.count_max
    frozen.problem = problem
    frozen.seconds = time.perf_counter() - t0
    return frozen


def _capacity(
    scenario: Scenario, candidates: list[dict], pool_names: dict[int, str], period_set: set[str]
) -> dict[str, dict[str, float]]:
    capacity: dict[str, dict[str, float]] = {}
    for pool_id, per in (scenario.capacity or {}).items():
        name = pool_names.get(int(pool_id))
        if name is not None:
            capacity[name] = {p: float(v) for p, v in per.items() if p in period_set}
    # The optimizer wants every pool an effort names; a pool without limits is unbounded.
    for c in candidates:
        for pool in c.get("effort", {}):
            capacity.setdefault(pool, {})
    return capacity


def _links(scenario: Scenario, cands: dict[int, dict], frozen: Frozen) -> dict:
    kinds = []
    if scenario.apply_requires:
        kinds.append(LinkKind.REQUIRES)
    if scenario.apply_excludes:
        kinds.append(LinkKind.EXCLUDES)
    if scenario.apply_together:
        kinds.append(LinkKind.TOGETHER_WITH)
    out: dict[str, list] = {"requires": [], "exclusive": [], "together": []}
    if not kinds or not cands:
        return out
    edges = db.session.execute(
        sa.select(IdeaLink.source_id, IdeaLink.target_id, IdeaLink.kind).where(
            IdeaLink.kind.in_(kinds)
        )
    ).all()
    others = {s for s, t, _ in edges} | {t for s, t, _ in edges}
    status = dict(
        db.session.execute(sa.select(Idea.id, Idea.status).where(Idea.id.in_(others))).all()
        if others
        else []
    )
    drop: dict[int, str] = {}
    seen: set[tuple] = set()
    for source, target, kind in sorted(edges):
        pairs = [(source, target)]
        if kind != LinkKind.REQUIRES:  # symmetric links bind both ends
            pairs.append((target, source))
        for a, b in pairs:
            if a not in cands:
                continue
            committed = status.get(b) in workflow.COMMITTED
            if b in cands:
                key = (kind, *((a, b) if kind == LinkKind.REQUIRES else sorted((a, b))))
                if key in seen:
                    continue
                seen.add(key)
                group = [idea_ref(key[1]), idea_ref(key[2])]
                name = {
                    LinkKind.REQUIRES: "requires",
                    LinkKind.EXCLUDES: "exclusive",
                    LinkKind.TOGETHER_WITH: "together",
                }[kind]
                out[name].append(group)
            elif kind == LinkKind.REQUIRES and not committed:
                drop.setdefault(a, f"it requires {idea_ref(b)}, which is not a candidate")
            elif kind == LinkKind.TOGETHER_WITH and not committed:
                drop.setdefault(a, f"it goes together with {idea_ref(b)}, which is not a candidate")
            elif kind == LinkKind.EXCLUDES and committed:
                drop.setdefault(a, f"it excludes {idea_ref(b)}, which is already in the plan")
    for idea_id, text in drop.items():
        del cands[idea_id]
        frozen.left_out.append({"id": idea_ref(idea_id), "reason": "link", "text": text})
    if drop:  # a dropped idea can no longer appear in a pair
        keep = {idea_ref(i) for i in cands}
        out = {k: [g for g in groups if set(g) <= keep] for k, groups in out.items()}
    return out


def _forces_and_shares(
    scenario: Scenario,
    cands: dict[int, dict],
    candidates: list[dict],
    objective_names: dict[int, str],
    frozen: Frozen,
) -> dict:
    problems: list[dict] = []
    force_in = []
    for idea_id in scenario.force_in or []:
        if idea_id in cands:
            force_in.append(idea_ref(idea_id))
        else:
            problems.append(
                {
                    "setting": "force",
                    "text": f"{idea_ref(idea_id)} is forced in but is not a candidate "
                    "(check its state, its current estimate and the candidate filter).",
                }
            )
    force_out = [idea_ref(i) for i in scenario.force_out or [] if i in cands]
    departments = {c["department"] for c in candidates}
    dept_names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    shares = {}
    for dept_id, share in (scenario.department_shares or {}).items():
        name = dept_names.get(int(dept_id))
        if name is None:
            continue
        lo, hi = share.get("min"), share.get("max")
        entry = {}
        if lo:
            entry["min"] = float(lo)
        if hi is not None and hi < 1:
            entry["max"] = float(hi)
        if not entry:
            continue
        if name not in departments:
            if "min" in entry:
                problems.append(
                    {
                        "setting": "shares",
                        "text": f"{name} must get at least {entry['min']:.0%} of the selected "
                        "cost, but no candidate belongs to it.",
                    }
                )
            continue
        shares[name] = {"min": entry.get("min", 0.0), "max": entry.get("max", 1.0)}
    carried = {t for c in candidates for t in c.get("themes", [])}
    themes: dict[str, dict[str, float]] = {}
    lows, highs = scenario.theme_min_shares or {}, scenario.theme_max_shares or {}
    for objective_id in sorted(set(lows) | set(highs), key=int):
        name = objective_names.get(int(objective_id))
        minimum, maximum = lows.get(objective_id) or 0.0, highs.get(objective_id)
        entry = {"min": float(minimum)} if minimum else {}
        if maximum is not None and maximum < 1:
            entry["max"] = float(maximum)
        if name is None or not entry:
            continue
        if name not in carried:
            if minimum:
                problems.append(
                    {
                        "setting": "themes",
                        "text": f"Theme {name} must get at least {float(minimum):.0%} of the "
                        "selected cost, but no candidate serves it.",
                    }
                )
            continue
        themes[name] = entry
    if problems:
        raise SettingsError(problems)
    out = {
        "force_in": force_in,
        "force_out": force_out,
        "department_share": shares,
        # Minimum-only themes keep the older form, so problems without a maximum read as before.
        "theme_min_share": {t: e["min"] for t, e in themes.items() if set(e) == {"min"}},
    }
    both = {t: e for t, e in themes.items() if "max" in e}
    if both:
        out["theme_share"] = both
    return out


# ------------------------------------------------------------ optimizer calls


def validate(problem: dict) -> list[str]:
    """Schema errors of a frozen problem, by path ([] when valid)."""
    return optimizer.validate(problem)


def solve(problem: dict, *, backend: str, time_limit: float, gap: float) -> dict:
    """Solve a frozen problem without explaining it; returns the `converge.result/1` dict.

    The per-idea explanations (one re-solve per candidate) come after, from `explain`, in
    parts (see `portfolio/explanations.py`), so the selection is shown without waiting.
    """
    return optimizer.solve(problem, backend, float(time_limit), gap, explain=False).to_dict()


def explain(
    problem: dict,
    result: dict,
    ids: list[str] | None,
    *,
    backend: str,
    gap: float,
    time_limit: float,
) -> list[dict]:
    """Explanations of the candidates `ids` (all when None) of a solved result, in problem
    order. With `time_limit` 0 no re-solve starts: the reasons that need none (forced out,
    a required idea missing, an exclusive partner selected) are given, the others come
    back `computed: false`."""
    return optimizer.explain(problem, result, ids, backend=backend, gap=gap, time_limit=time_limit)


def frontier(problem: dict, *, points: int, backend: str, time_limit: float, gap: float) -> dict:
    """The efficient frontier (optimal value as every budget scales together)."""
    return optimizer.frontier(problem, points, backend, time_limit, gap)


def robustness(
    problem: dict, *, samples: int, seed: int, backend: str, time_limit: float, gap: float
) -> dict:
    """How often each candidate is selected when values vary within their ranges."""
    return optimizer.robustness(problem, samples, seed, backend, time_limit, gap)


def write_mps(problem: dict) -> bytes:
    """The frozen problem as an MPS file (the model the solver receives)."""
    return optimizer.model_mps(optimizer.Problem.from_dict(problem))


def limits(problem: dict, result: dict, out: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """A run's limit rows as its page shows them, and why each left-out idea does not fit."""
    return optimizer.limits(problem, result, out)


def shortfalls(problem: dict, result: dict, out: list[dict]) -> dict[str, list[dict]]:
    """For each left-out idea that fits nowhere: the budget and capacity rows it overflows."""
    return optimizer.shortfalls(problem, result, out)


def _in_the_plan(exclude: set[int]) -> list:
    """The ideas in the plan (selected or in delivery) but those in `exclude`."""
    where = [Idea.status.in_(workflow.IN_THE_PLAN)]
    if exclude:
        where.append(Idea.id.not_in(exclude))
    return where


def plan_costs(exclude: set[int] = frozenset()) -> dict[str, float]:
    """What the ideas in the plan (selected or in delivery) cost per period by their current
    estimates, without the ideas in `exclude`."""
    query = (
        sa.select(EstimateCost.period, sa.func.sum(EstimateCost.capex + EstimateCost.opex))
        .join(Estimate, sa.and_(Estimate.id == EstimateCost.estimate_id, Estimate.is_current))
        .join(Idea, Idea.id == Estimate.idea_id)
        .where(*_in_the_plan(exclude))
        .group_by(EstimateCost.period)
    )
    return {period: float(total or 0) for period, total in db.session.execute(query)}


def plan_profiles(exclude: set[int] = frozenset()) -> dict[int, dict]:
    """The ideas `plan_costs` adds up, one by one: idea id -> {"department", "cost" {period:
    amount}, "effort" {pool name: {period: amount}}, "objective_shares" {objective name:
    share of its weighted impact}}, from their current estimates."""
    rows = db.session.execute(
        sa.select(Idea.id, Department.name, Estimate.id)
        .join(Department, Department.id == Idea.department_id)
        .outerjoin(Estimate, sa.and_(Estimate.idea_id == Idea.id, Estimate.is_current))
        .where(*_in_the_plan(exclude))
        .order_by(Idea.id)
    ).all()
    found: dict[int, dict] = {}
    estimate_of: dict[int, int] = {}
    for idea_id, department, estimate_id in rows:
        found[idea_id] = {"department": department, "cost": {}, "effort": {}}
        found[idea_id]["objective_shares"] = {}
        if estimate_id is not None:
            estimate_of[estimate_id] = idea_id
    if not estimate_of:
        return found
    for estimate_id, period, capex, opex in db.session.execute(
        sa.select(
            EstimateCost.estimate_id, EstimateCost.period, EstimateCost.capex, EstimateCost.opex
        ).where(EstimateCost.estimate_id.in_(estimate_of))
    ):
        if capex or opex:
            cost = found[estimate_of[estimate_id]]["cost"]
            cost[period] = cost.get(period, 0.0) + float(capex or 0) + float(opex or 0)
    for estimate_id, pool, period, effort in db.session.execute(
        sa.select(
            EstimateEffort.estimate_id,
            ResourcePool.name,
            EstimateEffort.period,
            EstimateEffort.amount,
        )
        .join(ResourcePool, ResourcePool.id == EstimateEffort.pool_id)
        .where(EstimateEffort.estimate_id.in_(estimate_of))
    ):
        if effort:
            per = found[estimate_of[estimate_id]]["effort"].setdefault(pool, {})
            per[period] = per.get(period, 0.0) + float(effort)
    weights = active_weights()
    names = dict(
        db.session.execute(sa.select(StrategicObjective.id, StrategicObjective.name)).all()
    )
    impacts = _impacts(list(estimate_of), estimate_of)
    for idea_id, per in impacts.items():
        shares = objective_shares(per, weights)
        found[idea_id]["objective_shares"] = {names[o]: share for o, share in shares.items()}
    return found


def _impacts(estimates, estimate_of: dict[int, int]) -> dict[int, dict[int, int]]:
    """{idea id: {objective id: impact}} from the impacts of `estimates` (ids, or a statement
    selecting them), for the ideas `estimate_of` maps them to (estimate id -> idea id)."""
    impacts: dict[int, dict[int, int]] = defaultdict(dict)
    for estimate_id, objective_id, impact in db.session.execute(
        sa.select(
            EstimateImpact.estimate_id, EstimateImpact.objective_id, EstimateImpact.impact
        ).where(EstimateImpact.estimate_id.in_(estimates))
    ):
        if estimate_id in estimate_of:
            impacts[estimate_of[estimate_id]][objective_id] = impact
    return impacts
