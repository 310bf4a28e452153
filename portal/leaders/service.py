"""What a department leader sees of their departments, read from the reports, the review
overview and the workflow's state groups (nothing here is counted a second way)."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import workflow
from portal.extensions import db
from portal.models import (
    Comment,
    CommentKind,
    Department,
    Idea,
    IdeaStatus,
    Touchpoint,
    User,
    utcnow,
)
from portal.reports.service import (
    DeliveredIdea,
    ReportFilter,
    ValueGroup,
    current_estimates,
    estimated_value,
    portfolio,
    value_delivered,
)
from portal.review.service import department_overview
from portal.review.valuation import active_weights
from portal.review.waiting import days_waited


@dataclass
class Waiting:
    """An idea under review: what it waits for, with whom, since when."""

    idea: Idea
    waiting_for: str
    with_whom: str
    since: datetime
    days: int


@dataclass
class PlannedIdea:
    """An idea committed to (selected in the adopted plan, in delivery or delivered)."""

    idea: Idea
    start: str | None
    estimated_value: float | None
    estimated_cost: float | None


@dataclass
class OpenQuestion:
    idea: Idea
    question: Comment | None
    days: int


@dataclass
class DepartmentPage:
    department: Department
    counts: dict[IdeaStatus, int]
    waiting: list[Waiting]
    plan: list[PlannedIdea]
    value: ValueGroup
    delivered: list[DeliveredIdea]
    touchpoints: list[Touchpoint]
    questions: list[OpenQuestion]

    def count(self, states) -> int:
        return sum(self.counts.get(s, 0) for s in states)


def _waiting_for(status: IdeaStatus) -> str:
    if status in workflow.WAITING_FOR_ANSWER:
        return "an answer from the submitter"
    if status in workflow.WAITING_FOR_DECISION:
        return "a decision"
    return "review"


def _with_whom(idea: Idea) -> str:
    if idea.status in workflow.WAITING_FOR_ANSWER:
        return idea.submitter.name
    if idea.assignee is not None:
        return idea.assignee.name
    return "nobody: no BRM has claimed it yet"


def pipeline(department: Department, now: datetime) -> list[Waiting]:
    """Ideas under review, the longest waiting first; how long each has waited is the
    review queue's rule (`portal.review.waiting`)."""
    ideas = list(
        db.session.scalars(
            sa.select(Idea)
            .where(Idea.department_id == department.id, Idea.status.in_(workflow.UNDER_REVIEW))
            .options(selectinload(Idea.assignee), selectinload(Idea.submitter))
        )
    )
    rows = [
        Waiting(
            idea,
            _waiting_for(idea.status),
            _with_whom(idea),
            idea.waited_since,
            days_waited(idea.waited_since, now),
        )
        for idea in ideas
    ]
    return sorted(rows, key=lambda w: (w.since, w.idea.id))


def open_questions(waiting: list[Waiting], now: datetime) -> list[OpenQuestion]:
    """The ideas waiting on their submitter's answer, with the reviewer's last question."""
    asked = [w for w in waiting if w.idea.status in workflow.WAITING_FOR_ANSWER]
    latest: dict[int, Comment] = {}
    if asked:
        query = (
            sa.select(Comment)
            .where(
                Comment.idea_id.in_([w.idea.id for w in asked]),
                Comment.kind == CommentKind.QUESTION,
            )
            .options(selectinload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
        )
        latest = {c.idea_id: c for c in db.session.scalars(query)}
    return [OpenQuestion(w.idea, latest.get(w.idea.id), w.days) for w in asked]


def committed(department: Department, filters: ReportFilter) -> list[PlannedIdea]:
    """The department's ideas in the plan's lanes (the delivery board's order), with the
    adopted run's start and the current estimate's value and cost."""
    ideas = list(
        db.session.scalars(
            sa.select(Idea)
            .where(Idea.department_id == department.id, Idea.status.in_(workflow.COMMITTED))
            .order_by(Idea.updated_at.desc(), Idea.id.desc())
        )
    )
    starts = {p.idea_id: p.start for p in portfolio(filters).ideas}
    weights = active_weights()
    estimates = current_estimates(i.id for i in ideas)
    lane = {status: n for n, status in enumerate(workflow.COMMITTED)}
    rows = [
        PlannedIdea(
            idea,
            starts.get(idea.id),
            estimated_value(estimates[idea.id], weights) if idea.id in estimates else None,
            estimates[idea.id].total_cost if idea.id in estimates else None,
        )
        for idea in ideas
    ]
    return sorted(rows, key=lambda r: lane[r.idea.status])


def department_page(department: Department, now: datetime | None = None) -> DepartmentPage:
    """Everything the leader's page shows of one department."""
    now = now or utcnow()
    filters = ReportFilter(department_id=department.id, today=now.date())
    overview = department_overview(department)
    waiting = pipeline(department, now)
    value = value_delivered(filters)
    return DepartmentPage(
        department=department,
        counts=overview.counts,
        waiting=waiting,
        plan=committed(department, filters),
        value=value.total,
        delivered=value.ideas,
        touchpoints=overview.touchpoints,
        questions=open_questions(waiting, now),
    )


def leader_pages(leader: User, now: datetime | None = None) -> list[DepartmentPage]:
    """One page section per department the leader leads, by name."""
    return [department_page(d, now) for d in leader.led_departments]
