"""Every number the dashboards show, as pure functions over the database.

Definitions (each dashboard states them on its page too):
- Estimated value of an idea = strategic value of its current estimate (0..100, see
  `portal.review.valuation`) x the estimate's likely multiplier. Realized value is recorded
  on the same scale. Estimated cost = capex + opex over every period of the current estimate;
  actual cost = the latest record per period, summed.
- Per objective, an idea's value and cost are split by each objective's share of its weighted
  impact (w_o x impact_o / sum of w x impact), so the objective rows add up to the total.
- Flow: days from `submitted_at` to `decided_at` (approved, rejected, duplicate, deferred);
  the decider is who made the last decision transition (else the assignee). Percentiles
  interpolate linearly between ranks (the median of 2, 4 is 3; p90 of 1..10 is 9.1).
- Calibration: value error = realized - estimated (points on the 0..100 scale); cost error =
  (actual - estimated) / estimated. Bias = mean error; spread = sample standard deviation.
"""

import bisect
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import workflow
from portal.extensions import db
from portal.models import (
    ActualCost,
    AuditEvent,
    Department,
    Estimate,
    EstimateCost,
    EstimateImpact,
    Idea,
    IdeaStatus,
    RealizedValue,
    Role,
    Run,
    StrategicObjective,
    Touchpoint,
    User,
)
from portal.models.ideas import idea_reference
from portal.periods import sort_key as period_order
from portal.reports.periods import ALL_TIME, PeriodFilter, month_ends
from portal.review.valuation import (
    NO_OBJECTIVE,
    active_weights,
    in_points,
    objective_shares,
    strategic_value,
)

S = IdeaStatus


@dataclass(frozen=True)
class ReportFilter:
    period: PeriodFilter = ALL_TIME
    department_id: int | None = None
    today: date = field(default_factory=date.today)


@dataclass
class Table:
    """One exportable table: what a dashboard shows and its CSV holds."""

    key: str
    title: str
    columns: list[str]
    rows: list[list]


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# ------------------------------------------------------------------ shared pieces


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between ranks."""
    xs = sorted(values)
    if not xs:
        return None
    position = (len(xs) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(xs) - 1)
    return xs[low] + (xs[high] - xs[low]) * (position - low)


def bias_and_spread(errors: list[float]) -> tuple[float | None, float | None]:
    """Mean error and its sample standard deviation (None when too few)."""
    if not errors:
        return None, None
    spread = statistics.stdev(errors) if len(errors) > 1 else None
    return statistics.fmean(errors), spread


def objective_names() -> dict[int, str]:
    return dict(db.session.execute(sa.select(StrategicObjective.id, StrategicObjective.name)).all())


IdeaIds = Iterable[int] | sa.Select


def _for_ideas(column, idea_ids: IdeaIds):
    """SQL: `column` is one of `idea_ids` (ids, or a statement selecting them: cheaper than a
    long list); None when the list is empty (nothing to ask)."""
    if isinstance(idea_ids, sa.Select):
        return column.in_(idea_ids.scalar_subquery())
    ids = list(set(idea_ids))
    return column.in_(ids) if ids else None


@dataclass(frozen=True, slots=True)
class EstimateFigures:
    """What the numbers need of an idea's current estimate, read as plain rows: who wrote
    it, its likely multiplier, its impact per objective and its cost (capex + opex) per
    period."""

    idea_id: int
    author_id: int | None
    value_likely: float
    impacts: dict[int, int]
    costs: dict[str, float]

    @property
    def total_cost(self) -> float:
        return sum(self.costs.values())


def current_estimates(idea_ids: IdeaIds) -> dict[int, EstimateFigures]:
    """The current estimate of each of `idea_ids` that has one (three statements)."""
    chosen = _for_ideas(Estimate.idea_id, idea_ids)
    if chosen is None:
        return {}
    current = sa.select(Estimate.id).where(chosen, Estimate.is_current)
    heads = db.session.execute(
        sa.select(Estimate.id, Estimate.idea_id, Estimate.author_id, Estimate.value_likely)
        .where(chosen, Estimate.is_current)
        .order_by(Estimate.version)
    ).all()
    impacts: dict[int, dict[int, int]] = defaultdict(dict)
    impact = EstimateImpact.__table__.c
    for estimate_id, objective_id, value in db.session.execute(
        sa.select(impact.estimate_id, impact.objective_id, impact.impact).where(
            impact.estimate_id.in_(current.scalar_subquery())
        )
    ):
        impacts[estimate_id][objective_id] = value
    costs: dict[int, dict[str, float]] = defaultdict(dict)
    cost = EstimateCost.__table__.c
    for estimate_id, period, capex, opex in db.session.execute(
        sa.select(cost.estimate_id, cost.period, cost.capex, cost.opex).where(
            cost.estimate_id.in_(current.scalar_subquery())
        )
    ):
        costs[estimate_id][period] = capex + opex
    return {
        idea_id: EstimateFigures(idea_id, author_id, likely, impacts[eid], costs[eid])
        for eid, idea_id, author_id, likely in heads
    }


def estimated_value(estimate: EstimateFigures, weights: dict[int, float]) -> float:
    return in_points(strategic_value(estimate.impacts, weights) * estimate.value_likely)


def cost_profile(estimate: EstimateFigures) -> dict[str, float]:
    return dict(estimate.costs)


def latest_realized(idea_ids: IdeaIds) -> dict[int, RealizedValue]:
    """The most recent measurement per idea (latest `as_of`, then latest recorded)."""
    chosen = _for_ideas(RealizedValue.idea_id, idea_ids)
    if chosen is None:
        return {}
    query = (
        sa.select(RealizedValue)
        .where(chosen)
        .order_by(RealizedValue.as_of, RealizedValue.recorded_at, RealizedValue.id)
    )
    return {r.idea_id: r for r in db.session.scalars(query)}


def actual_costs(idea_ids: IdeaIds) -> dict[int, dict[str, float]]:
    """Actual cost per idea and period: the latest record of each period counts."""
    chosen = _for_ideas(ActualCost.idea_id, idea_ids)
    if chosen is None:
        return {}
    query = (
        sa.select(ActualCost.idea_id, ActualCost.period, ActualCost.capex, ActualCost.opex)
        .where(chosen)
        .order_by(ActualCost.recorded_at, ActualCost.id)
    )
    result: dict[int, dict[str, float]] = defaultdict(dict)
    for idea_id, period, capex, opex in db.session.execute(query):
        result[idea_id][period] = capex + opex
    return dict(result)


def _latest_change(column, idea_id, *condition):
    """SQL, per idea: `column` of its latest status change that meets `condition`."""
    return (
        sa.select(column)
        .where(AuditEvent.idea_id == idea_id, AuditEvent.action == "status_change", *condition)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _department_names() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Department.id, Department.name)).all())


def _scoped(query, filters: ReportFilter):
    if filters.department_id is not None:
        query = query.where(Idea.department_id == filters.department_id)
    return query


# ------------------------------------------------------------------ pipeline


@dataclass
class PipelineReport:
    departments: list[str]
    counts: dict[str, dict[IdeaStatus, int]]
    months: list[str]
    trend: dict[str, dict[IdeaStatus, int]]

    def total(self, status: IdeaStatus) -> int:
        return sum(row.get(status, 0) for row in self.counts.values())

    def tables(self) -> list[Table]:
        states = [s.value for s in workflow.SUBMITTED_ONCE]
        by_dept = Table(
            "by_department",
            "Ideas by state and department",
            ["department", *states, "total"],
            [
                [
                    d,
                    *(self.counts[d].get(s, 0) for s in workflow.SUBMITTED_ONCE),
                    sum(self.counts[d].values()),
                ]
                for d in self.departments
            ],
        )
        trend = Table(
            "trend",
            "Ideas by state at the end of each month",
            ["month", *states, "total"],
            [
                [
                    m,
                    *(self.trend[m].get(s, 0) for s in workflow.SUBMITTED_ONCE),
                    sum(self.trend[m].values()),
                ]
                for m in self.months
            ],
        )
        return [by_dept, trend]


def _in_period(moment, period: PeriodFilter, *, day: bool = False):
    """SQL: `moment` (a datetime column; with `day`, a date) falls in `period`, as
    `PeriodFilter.contains` reads it."""
    bounds = [period.start, period.end]
    if not day:
        bounds = [b and datetime.combine(b, datetime.min.time()) for b in bounds]
    start, end = bounds
    conditions = []
    if start is not None:
        conditions.append(moment >= start)
    if end is not None:
        conditions.append(moment < end)
    return sa.and_(sa.true(), *conditions)


def _status_string(column):
    """A status column or JSON value compared and returned as its plain stored text."""
    return sa.type_coerce(column, sa.String)


def _later(first, second):
    """SQL: the later of two moments (SQLite has no GREATEST)."""
    return sa.case((first > second, first), else_=second)


def _month(moment):
    """SQL: the "YYYY-MM" of a datetime column, the same text on SQLite and PostgreSQL."""
    return sa.func.substr(sa.cast(moment, sa.String), 1, 7)


def month_end_counts(ideas: sa.Select, months: list[str]) -> list[dict[IdeaStatus, int]]:
    """How many of `ideas` (a statement selecting their ids) were in each state at the end
    of each of the ascending `months` ("YYYY-MM"), added up by the database in two grouped
    statements. At a moment (the start of the next month) an idea created before it is in
    the state its latest status change before it led to; with none yet, in the state its
    first change left; with no change at all, in its current state.

    Each idea's history is a run of spans (a, b]: from its creation to its first status
    change in that change's `before` state (in its current state when it has none), then
    from each change to the next in that change's `after` state. A span counts from the end
    of a's month to the end of the month before b's; the database groups the changes by
    their states and those months, and the counts are running sums of the +1/-1 steps.
    """
    if not months:
        return []
    idea = Idea.__table__.c
    chosen = idea.id.in_(ideas.scalar_subquery())
    audit = AuditEvent.__table__.c
    window = {"partition_by": audit.idea_id, "order_by": (audit.created_at, audit.id)}
    changes = (
        sa.select(
            idea.created_at.label("created"),
            _later(audit.created_at, idea.created_at).label("at"),
            sa.func.lead(audit.created_at).over(**window).label("next_at"),
            _status_string(AuditEvent.before["status"].as_string()).label("before"),
            _status_string(AuditEvent.after["status"].as_string()).label("after"),
            (sa.func.row_number().over(**window) == 1).label("first"),
        )
        .join_from(AuditEvent.__table__, Idea.__table__, idea.id == audit.idea_id)
        .where(audit.action == "status_change", chosen)
        .subquery("changes")
    )
    c = changes.c
    end = _month(sa.case((c.next_at.is_not(None), _later(c.next_at, c.created))))
    spans = (
        sa.select(
            c.before,
            c.after,
            c.first,
            _month(c.created).label("created"),
            _month(c.at).label("at"),
            end.label("end"),
        )
        # A span over by the first month's end adds and takes off at the first index: it
        # changes no count, so the database need not group it.
        .where(sa.or_(c.next_at.is_(None), end > months[0]))
        .subquery("spans")
    )
    grouped = tuple(spans.c)

    def index(month: str) -> int:
        """The first of `months` whose end comes after `month` starts."""
        return bisect.bisect_left(months, month)

    steps: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    query = sa.select(*grouped, sa.func.count()).group_by(*grouped)
    for before, after, first, created, at, end, n in db.session.execute(query):
        steps[index(at)][after] += n
        if end is not None:
            steps[index(end)][after] -= n
        if first:
            steps[index(created)][before] += n
            steps[index(at)][before] -= n
    unchanged = (
        sa.select(_status_string(idea.status).label("state"), _month(idea.created_at).label("m"))
        .where(
            chosen,
            ~sa.exists().where(audit.idea_id == idea.id, audit.action == "status_change"),
        )
        .subquery("unchanged")
    )
    unchanged = sa.select(*unchanged.c, sa.func.count()).group_by(*unchanged.c)
    for state, created, n in db.session.execute(unchanged):
        steps[index(created)][state] += n
    counts, running = [], defaultdict(int)
    for k in range(len(months)):
        for state, delta in steps[k].items():
            running[state] += delta
        counts.append({IdeaStatus(state): n for state, n in running.items() if n})
    return counts


def pipeline(filters: ReportFilter) -> PipelineReport:
    """Submitted ideas by state and department (submitted in the period), and the
    state counts at the end of each of the 12 months up to the period's end (both counted by
    the database)."""
    names = _department_names()
    submitted = sa.func.coalesce(Idea.submitted_at, Idea.created_at)
    by_department = _scoped(
        sa.select(Idea.department_id, Idea.status, sa.func.count())
        .where(Idea.status != S.DRAFT, _in_period(submitted, filters.period))
        .group_by(Idea.department_id, Idea.status),
        filters,
    )
    counts: dict[str, dict[IdeaStatus, int]] = defaultdict(dict)
    for department_id, status, n in db.session.execute(by_department):
        counts[names[department_id]][status] = n

    end = filters.today
    if filters.period.end is not None:
        end = min(end, filters.period.end - timedelta(days=1))
    months = month_ends(end)
    at_ends = month_end_counts(_scoped(sa.select(Idea.id), filters), [m for m, _ in months])
    trend = {
        label: {s: n for s, n in row.items() if s != S.DRAFT}
        for (label, _), row in zip(months, at_ends, strict=True)
    }
    return PipelineReport(
        departments=sorted(counts),
        counts={d: counts[d] for d in counts},
        months=[label for label, _ in months],
        trend=trend,
    )


# ------------------------------------------------------------------ flow


@dataclass
class FlowRow:
    group: str
    count: int
    median: float | None
    p90: float | None


@dataclass
class FlowReport:
    overall: FlowRow
    by_department: list[FlowRow]
    by_brm: list[FlowRow]

    def tables(self) -> list[Table]:
        columns = ["group", "name", "decisions", "median_days", "p90_days"]
        rows = [["all", r.group, r.count, _r(r.median), _r(r.p90)] for r in [self.overall]]
        rows += [
            ["department", r.group, r.count, _r(r.median), _r(r.p90)] for r in self.by_department
        ]
        rows += [["brm", r.group, r.count, _r(r.median), _r(r.p90)] for r in self.by_brm]
        return [Table("flow", "Days from submission to decision", columns, rows)]


def _flow_row(group: str, days: list[float]) -> FlowRow:
    return FlowRow(group, len(days), percentile(days, 50), percentile(days, 90))


# A decision whose maker is on record as nobody (a change the system made), told apart from
# an idea with no decision on record (its assignee counts then).
_NOBODY = -1


def flow(filters: ReportFilter) -> FlowReport:
    """Days from submission to decision for ideas decided in the period; the decider is who
    made the idea's latest decision (asked per idea by the database)."""
    decided_states = [s.value for s in workflow.DECIDED]
    decider = _latest_change(
        sa.func.coalesce(AuditEvent.actor_id, _NOBODY),
        Idea.id,
        AuditEvent.after["status"].as_string().in_(decided_states),
    )
    query = _scoped(
        sa.select(
            Idea.department_id,
            Idea.submitted_at,
            Idea.decided_at,
            sa.func.coalesce(decider, Idea.assignee_id),
        ).where(
            Idea.decided_at.is_not(None),
            Idea.submitted_at.is_not(None),
            _in_period(Idea.decided_at, filters.period),
        ),
        filters,
    )
    names = _department_names()
    users = dict(db.session.execute(sa.select(User.id, User.name)).all())
    by_dept: dict[str, list[float]] = defaultdict(list)
    by_brm: dict[str, list[float]] = defaultdict(list)
    everything = []
    for department_id, submitted_at, decided_at, decided_by in db.session.execute(query):
        days = (decided_at - submitted_at).total_seconds() / 86400
        everything.append(days)
        by_dept[names[department_id]].append(days)
        by_brm[users.get(decided_by, "(unknown)")].append(days)
    return FlowReport(
        overall=_flow_row("All decisions", everything),
        by_department=[_flow_row(k, v) for k, v in sorted(by_dept.items())],
        by_brm=[_flow_row(k, v) for k, v in sorted(by_brm.items())],
    )


# ------------------------------------------------------------------ BRM workload


@dataclass
class WorkloadRow:
    brm: str
    departments: str
    open_reviews: int = 0
    unclaimed: int = 0
    overdue: int = 0
    touchpoints: int = 0


@dataclass
class WorkloadReport:
    rows: list[WorkloadRow]
    overdue_days: int
    period: PeriodFilter

    def tables(self) -> list[Table]:
        return [
            Table(
                "workload",
                "BRM workload",
                [
                    "brm",
                    "departments",
                    "open_reviews",
                    "unclaimed_in_departments",
                    "overdue",
                    "touchpoints",
                ],
                [
                    [r.brm, r.departments, r.open_reviews, r.unclaimed, r.overdue, r.touchpoints]
                    for r in self.rows
                ],
            )
        ]


def workload(filters: ReportFilter, overdue_days: int = 14) -> WorkloadReport:
    """Per BRM now: reviews they own (assigned, or started by them when unassigned), submitted
    ideas nobody claimed in departments they cover, how many of both are older than
    `overdue_days` since submission; and touchpoints they held in the period."""
    brms = list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.BRM, User.active)
            .options(selectinload(User.covered_departments))
            .order_by(User.name)
        )
    )
    if filters.department_id is not None:
        brms = [b for b in brms if b.covers(filters.department_id)]
    cutoff = datetime.combine(filters.today, datetime.min.time()) - timedelta(days=overdue_days)
    late = sa.case((Idea.waited_since < cutoff, 1), else_=0)  # the review queue's rule
    # Who owns a review: its assignee; an unassigned one past submission, who started it.
    started_by = _latest_change(
        AuditEvent.actor_id, Idea.id, AuditEvent.after["transition"].as_string() == "start_review"
    )
    owner = sa.case(
        (Idea.status == S.SUBMITTED, Idea.assignee_id),
        else_=sa.func.coalesce(Idea.assignee_id, started_by),
    ).label("owner")
    owned = _scoped(
        sa.select(owner, sa.func.count(), sa.func.sum(late))
        .where(Idea.status.in_(workflow.UNDER_REVIEW))
        .group_by(owner),
        filters,
    )
    reviews = {who: (n, int(overdue or 0)) for who, n, overdue in db.session.execute(owned)}
    unclaimed_query = _scoped(
        sa.select(Idea.department_id, sa.func.count(), sa.func.sum(late))
        .where(Idea.status == S.SUBMITTED, Idea.assignee_id.is_(None))
        .group_by(Idea.department_id),
        filters,
    )
    unclaimed = {d: (n, int(overdue or 0)) for d, n, overdue in db.session.execute(unclaimed_query)}

    tp_query = sa.select(Touchpoint.brm_id, sa.func.count()).where(
        _in_period(Touchpoint.held_on, filters.period, day=True)
    )
    if filters.department_id is not None:
        tp_query = tp_query.where(Touchpoint.department_id == filters.department_id)
    touchpoints = dict(db.session.execute(tp_query.group_by(Touchpoint.brm_id)).all())

    rows = []
    for brm in brms:
        row = WorkloadRow(brm.name, ", ".join(d.name for d in brm.covered_departments))
        row.open_reviews, row.overdue = reviews.get(brm.id, (0, 0))
        for department in brm.covered_departments:
            n, overdue = unclaimed.get(department.id, (0, 0))
            row.unclaimed += n
            row.overdue += overdue
        row.touchpoints = touchpoints.get(brm.id, 0)
        rows.append(row)
    return WorkloadReport(rows, overdue_days, filters.period)


# ------------------------------------------------------------------ portfolio


@dataclass
class PlanIdea:
    idea_id: int
    reference: str
    title: str
    department: str
    start: str | None
    value: float | None
    cost: float
    spend: dict[str, float]


@dataclass
class GroupSum:
    name: str
    ideas: int = 0
    value: float = 0.0
    cost: float = 0.0


@dataclass
class PortfolioReport:
    run: Run | None
    ideas: list[PlanIdea]
    by_department: list[GroupSum]
    by_objective: list[GroupSum]
    periods: list[str]
    budget: dict[str, float | None]
    planned: dict[str, float]
    actual: dict[str, float]
    # Ideas of earlier plans still in the plan (selected or in delivery) that this run did
    # not select: not counted here (the plan page adds them up).
    earlier: int = 0

    def tables(self) -> list[Table]:
        def groups(key, title, rows):
            return Table(
                key,
                title,
                ["name", "ideas", "estimated_value", "estimated_cost"],
                [[g.name, g.ideas, _r(g.value), _r(g.cost, 2)] for g in rows],
            )

        return [
            groups("by_department", "Adopted plan by department", self.by_department),
            groups("by_objective", "Adopted plan by objective", self.by_objective),
            Table(
                "spend",
                "Spend against budget per period",
                ["period", "budget", "planned", "actual"],
                [
                    [
                        p,
                        self.budget.get(p),
                        _r(self.planned.get(p, 0.0), 2),
                        _r(self.actual.get(p, 0.0), 2),
                    ]
                    for p in self.periods
                ],
            ),
            Table(
                "ideas",
                "Ideas in the adopted plan",
                ["idea", "title", "department", "start", "estimated_value", "estimated_cost"],
                [
                    [i.reference, i.title, i.department, i.start, _r(i.value), _r(i.cost, 2)]
                    for i in self.ideas
                ],
            ),
        ]


def adopted_run() -> Run | None:
    """The adopted plan: the run adopted most recently."""
    query = (
        sa.select(Run)
        .where(Run.adopted_at.is_not(None))
        .order_by(Run.adopted_at.desc(), Run.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def _idea_id(reference) -> int | None:
    text = str(reference)
    text = text[5:] if text.upper().startswith("IDEA-") else text
    return int(text) if text.isdigit() else None


def shifted_spend(
    profile: dict[str, float], periods: list[str], start: str | None
) -> dict[str, float]:
    """The cost profile moved so that its first plan period becomes `start`.

    Periods outside the plan keep their amounts; an amount shifted past the last plan
    period is dropped (the optimizer never chooses such a start).
    """
    order = {p: i for i, p in enumerate(periods)}
    in_plan = sorted((p for p in profile if p in order), key=order.get)
    shift = 0
    if start in order and in_plan:
        shift = order[start] - order[in_plan[0]]
    spend: dict[str, float] = {}
    for period, amount in profile.items():
        if period not in order:
            spend[period] = spend.get(period, 0.0) + amount
            continue
        target = order[period] + shift
        if 0 <= target < len(periods):
            spend[periods[target]] = spend.get(periods[target], 0.0) + amount
    return spend


def portfolio(filters: ReportFilter) -> PortfolioReport:
    """The adopted plan's estimated value and cost by department and objective, and its
    spend per period against the scenario's budget (the period filter keeps ideas starting
    in it and the periods overlapping it)."""
    run = adopted_run()
    if run is None:
        return PortfolioReport(None, [], [], [], [], {}, {}, {})
    result = run.result or {}
    periods = list(run.scenario.periods or (run.problem or {}).get("periods") or [])
    starts = {}
    for item in result.get("selected") or []:
        idea_id = _idea_id(item.get("id") if isinstance(item, dict) else item)
        if idea_id is not None:
            starts[idea_id] = item.get("start") if isinstance(item, dict) else None
    ideas = [
        i for i in db.session.scalars(_scoped(sa.select(Idea).where(Idea.id.in_(starts)), filters))
    ]
    names = _department_names()
    objectives = objective_names()
    weights = active_weights()
    estimates = current_estimates(i.id for i in ideas)
    actual = actual_costs(i.id for i in ideas)

    plan: list[PlanIdea] = []
    by_dept: dict[str, GroupSum] = {}
    by_obj: dict[str, GroupSum] = {}
    planned: dict[str, float] = defaultdict(float)
    actual_spend: dict[str, float] = defaultdict(float)
    for idea in sorted(ideas, key=lambda i: i.id):
        estimate = estimates.get(idea.id)
        profile = cost_profile(estimate) if estimate else {}
        spend = shifted_spend(profile, periods, starts[idea.id])
        start = starts[idea.id] or next((p for p in periods if p in spend), None)
        if filters.period.bounded and not (start and filters.period.overlaps_label(start)):
            continue
        value = estimated_value(estimate, weights) if estimate else None
        cost = sum(profile.values())
        plan.append(
            PlanIdea(
                idea.id,
                idea.reference,
                idea.title,
                names[idea.department_id],
                start,
                value,
                cost,
                spend,
            )
        )
        group = by_dept.setdefault(names[idea.department_id], GroupSum(names[idea.department_id]))
        group.ideas += 1
        group.value += value or 0.0
        group.cost += cost
        shares = objective_shares(estimate.impacts, weights) if estimate else {}
        for oid, share in (shares or {None: 1.0}).items():
            name = objectives[oid] if oid is not None else NO_OBJECTIVE
            group = by_obj.setdefault(name, GroupSum(name))
            group.ideas += 1
            group.value += (value or 0.0) * share
            group.cost += cost * share
        for period, amount in spend.items():
            planned[period] += amount
        for period, amount in actual.get(idea.id, {}).items():
            actual_spend[period] += amount

    budget = run.scenario.budget or {}
    unplanned = (set(planned) | set(actual_spend)) - set(periods)
    all_periods = list(periods) + sorted(unplanned, key=period_order)
    shown = [p for p in all_periods if filters.period.overlaps_label(p)]
    return PortfolioReport(
        run=run,
        ideas=plan,
        by_department=sorted(by_dept.values(), key=lambda g: g.name),
        by_objective=sorted(by_obj.values(), key=lambda g: (g.name == NO_OBJECTIVE, g.name)),
        periods=shown,
        budget={p: (float(budget[p]) if budget.get(p) is not None else None) for p in shown},
        planned={p: planned.get(p, 0.0) for p in shown},
        actual={p: actual_spend.get(p, 0.0) for p in shown},
        earlier=db.session.scalar(
            sa.select(sa.func.count(Idea.id)).where(
                Idea.status.in_(workflow.IN_THE_PLAN), Idea.id.not_in(list(starts))
            )
        )
        or 0,
    )


# ------------------------------------------------------------------ value delivered


@dataclass
class DeliveredIdea:
    idea_id: int
    reference: str
    title: str
    department: str
    estimator: str | None
    delivered_on: date | None
    estimated_value: float | None
    realized_value: float | None
    estimated_cost: float | None
    actual_cost: float | None
    shares: dict[int, float] = field(default_factory=dict)

    @property
    def measured(self) -> bool:
        return self.estimated_value is not None and self.realized_value is not None

    @property
    def costed(self) -> bool:
        return self.estimated_cost is not None and self.actual_cost is not None


@dataclass
class ValueGroup:
    name: str
    delivered: int = 0
    measured: int = 0
    estimated_value: float = 0.0
    realized_value: float = 0.0
    costed: int = 0
    estimated_cost: float = 0.0
    actual_cost: float = 0.0

    def add(self, idea: DeliveredIdea, share: float = 1.0) -> None:
        self.delivered += 1
        if idea.measured:
            self.measured += 1
            self.estimated_value += idea.estimated_value * share
            self.realized_value += idea.realized_value * share
        if idea.costed:
            self.costed += 1
            self.estimated_cost += idea.estimated_cost * share
            self.actual_cost += idea.actual_cost * share


VALUE_COLUMNS = [
    "name",
    "delivered",
    "measured",
    "estimated_value",
    "realized_value",
    "costed",
    "estimated_cost",
    "actual_cost",
]


def _value_row(g: ValueGroup) -> list:
    return [
        g.name,
        g.delivered,
        g.measured,
        _r(g.estimated_value),
        _r(g.realized_value),
        g.costed,
        _r(g.estimated_cost, 2),
        _r(g.actual_cost, 2),
    ]


@dataclass
class ValueReport:
    ideas: list[DeliveredIdea]
    total: ValueGroup
    by_department: list[ValueGroup]
    by_objective: list[ValueGroup]

    def tables(self) -> list[Table]:
        return [
            Table(
                "by_department",
                "Delivered value and cost by department",
                VALUE_COLUMNS,
                [_value_row(g) for g in [*self.by_department, self.total]],
            ),
            Table(
                "by_objective",
                "Delivered value and cost by objective",
                VALUE_COLUMNS,
                [_value_row(g) for g in self.by_objective],
            ),
            Table(
                "ideas",
                "Delivered ideas, the latest first",
                [
                    "idea",
                    "title",
                    "department",
                    "estimator",
                    "delivered_on",
                    "estimated_value",
                    "realized_value",
                    "estimated_cost",
                    "actual_cost",
                ],
                [
                    [
                        i.reference,
                        i.title,
                        i.department,
                        i.estimator,
                        i.delivered_on.isoformat() if i.delivered_on else None,
                        _r(i.estimated_value),
                        _r(i.realized_value),
                        _r(i.estimated_cost, 2),
                        _r(i.actual_cost, 2),
                    ]
                    for i in self.ideas
                ],
            ),
        ]


def delivered_ideas(filters: ReportFilter) -> list[DeliveredIdea]:
    """Delivered ideas (delivered in the period: their latest change to delivered, else their
    last update), the latest delivered first, with their estimates and outcomes."""
    delivered_at = sa.func.coalesce(
        _latest_change(
            AuditEvent.created_at, Idea.id, AuditEvent.after["status"].as_string() == S.DELIVERED
        ),
        Idea.updated_at,
    )
    chosen = _scoped(
        sa.select(Idea.id).where(
            Idea.status == S.DELIVERED, _in_period(delivered_at, filters.period)
        ),
        filters,
    )
    ideas = db.session.execute(
        chosen.add_columns(Idea.title, Idea.department_id, delivered_at.label("at")).order_by(
            sa.desc("at"), Idea.id.desc()
        )
    ).all()
    if not ideas:
        return []
    names = _department_names()
    users = dict(db.session.execute(sa.select(User.id, User.name)).all())
    weights = active_weights()
    estimates = current_estimates(chosen)
    realized = latest_realized(chosen)
    actual = actual_costs(chosen)
    result = []
    for idea_id, title, department_id, when in ideas:
        estimate = estimates.get(idea_id)
        result.append(
            DeliveredIdea(
                idea_id=idea_id,
                reference=idea_reference(idea_id),
                title=title,
                department=names[department_id],
                estimator=users.get(estimate.author_id) if estimate else None,
                delivered_on=when.date(),
                estimated_value=estimated_value(estimate, weights) if estimate else None,
                realized_value=realized[idea_id].value if idea_id in realized else None,
                estimated_cost=estimate.total_cost if estimate else None,
                actual_cost=sum(actual[idea_id].values()) if idea_id in actual else None,
                shares=objective_shares(estimate.impacts, weights) if estimate else {},
            )
        )
    return result


def value_delivered(filters: ReportFilter) -> ValueReport:
    """Realized against estimated value (over measured ideas) and actual against estimated
    cost (over ideas with actual costs), by department and by objective."""
    ideas = delivered_ideas(filters)
    objectives = objective_names()
    total = ValueGroup("All departments")
    by_dept: dict[str, ValueGroup] = {}
    by_obj: dict[str, ValueGroup] = {}
    for idea in ideas:
        total.add(idea)
        by_dept.setdefault(idea.department, ValueGroup(idea.department)).add(idea)
        for oid, share in (idea.shares or {None: 1.0}).items():
            name = objectives[oid] if oid is not None else NO_OBJECTIVE
            by_obj.setdefault(name, ValueGroup(name)).add(idea, share)
    return ValueReport(
        ideas=ideas,
        total=total,
        by_department=sorted(by_dept.values(), key=lambda g: g.name),
        by_objective=sorted(by_obj.values(), key=lambda g: (g.name == NO_OBJECTIVE, g.name)),
    )


# ------------------------------------------------------------------ calibration


@dataclass
class CalibrationRow:
    estimator: str
    value_n: int
    value_bias: float | None
    value_spread: float | None
    cost_n: int
    cost_bias: float | None
    cost_spread: float | None


@dataclass
class CalibrationReport:
    rows: list[CalibrationRow]
    ideas: list[DeliveredIdea]

    def tables(self) -> list[Table]:
        return [
            Table(
                "calibration",
                "Estimate calibration per estimator",
                [
                    "estimator",
                    "value_ideas",
                    "value_bias_points",
                    "value_spread_points",
                    "cost_ideas",
                    "cost_bias_pct",
                    "cost_spread_pct",
                ],
                [
                    [
                        r.estimator,
                        r.value_n,
                        _r(r.value_bias),
                        _r(r.value_spread),
                        r.cost_n,
                        _r(r.cost_bias * 100 if r.cost_bias is not None else None),
                        _r(r.cost_spread * 100 if r.cost_spread is not None else None),
                    ]
                    for r in self.rows
                ],
            )
        ]


def calibration(filters: ReportFilter) -> CalibrationReport:
    """For each author of a current estimate on a delivered idea: value bias/spread in points
    and cost bias/spread as a fraction of the estimate."""
    ideas = [i for i in delivered_ideas(filters) if i.estimator is not None]
    value_errors: dict[str, list[float]] = defaultdict(list)
    cost_errors: dict[str, list[float]] = defaultdict(list)
    for idea in ideas:
        if idea.measured:
            value_errors[idea.estimator].append(idea.realized_value - idea.estimated_value)
        if idea.costed and idea.estimated_cost > 0:
            cost_errors[idea.estimator].append(
                (idea.actual_cost - idea.estimated_cost) / idea.estimated_cost
            )
    rows = []
    for name in sorted({i.estimator for i in ideas}):
        vb, vs = bias_and_spread(value_errors[name])
        cb, cs = bias_and_spread(cost_errors[name])
        rows.append(
            CalibrationRow(name, len(value_errors[name]), vb, vs, len(cost_errors[name]), cb, cs)
        )
    return CalibrationReport(rows, ideas)


# ------------------------------------------------------------------ an employee's own page


@dataclass
class MyIdea:
    idea: Idea
    estimated_value: float | None
    realized_value: float | None


def my_outcomes(user: User) -> list[MyIdea]:
    """The user's own ideas (newest first) with the value estimated and realized."""
    ideas = list(
        db.session.scalars(
            sa.select(Idea).where(Idea.submitter_id == user.id).order_by(Idea.created_at.desc())
        )
    )
    weights = active_weights()
    estimates = current_estimates(i.id for i in ideas)
    realized = latest_realized(i.id for i in ideas)
    return [
        MyIdea(
            idea,
            estimated_value(estimates[idea.id], weights) if idea.id in estimates else None,
            realized[idea.id].value if idea.id in realized else None,
        )
        for idea in ideas
    ]


def years_with_data() -> tuple[int | None, int | None]:
    """The first and last calendar years the filters should offer."""
    first = db.session.scalar(sa.select(sa.func.min(Idea.created_at)))
    years = [first.year] if first else []
    run = adopted_run()
    if run is not None:
        for label in run.scenario.periods or []:
            text = str(label)[:4]
            if text.isdigit():
                years.append(int(text))
    return (min(years), max(years)) if years else (None, None)
