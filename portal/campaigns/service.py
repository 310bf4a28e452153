"""Campaigns: who may sponsor and see them, creating and moving them through their states,
the sponsor's updates, what became of their ideas, their notices and their report.

Operations never commit; the request or command does.
"""

import statistics
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import has_request_context, url_for
from sqlalchemy.orm import selectinload

from portal import workflow
from portal.audit import notify, record
from portal.campaigns import rules
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import MAX_ID
from portal.ideas.rules import TEXT_LIMIT
from portal.models import (
    MAX_AMOUNT,
    AuditEvent,
    Campaign,
    CampaignNotice,
    CampaignState,
    CampaignUpdate,
    Comment,
    Department,
    Estimate,
    Follow,
    Idea,
    IdeaStatus,
    NoticeKind,
    Role,
    StrategicObjective,
    User,
    Vote,
    utcnow,
)
from portal.review.valuation import active_weights, strategic_value

# Days before closing when participants hear that the campaign closes soon.
CLOSING_SOON_DAYS = 3
TITLE_LIMIT = 200


class CampaignError(PortalError):
    """A campaign operation refused; the message is for the user."""

    status_code = 409


def today() -> date:
    return utcnow().date()


# A campaign nobody but its sponsor and the reviewers sees yet (`visible_query` alike).
NOT_YET_OPEN = (CampaignState.DRAFT, CampaignState.SCHEDULED)


def state_words(campaign: Campaign, state: CampaignState) -> str:
    """The state as the badge and messages say it: "Scheduled – opens 10 Dec" (the year
    too when it is not this year's), else the state's label."""
    if state != CampaignState.SCHEDULED:
        return state.label
    opens = campaign.opens_on
    day = f"{opens.day} {opens:%b}" + ("" if opens.year == today().year else f" {opens.year}")
    return f"{state.label} – opens {day}"


# ---------------------------------------------------------------- who may


def can_sponsor(user: User) -> bool:
    """Who may create campaigns: department leaders, portfolio managers and admins."""
    return user.is_authenticated and user.role in (Role.LEADER, Role.PORTFOLIO_MANAGER, Role.ADMIN)


def can_manage(user: User, campaign: Campaign) -> bool:
    """Who may edit a campaign, change its state and post updates: its sponsor, or an admin."""
    return can_sponsor(user) and (user.id == campaign.sponsor_id or user.role == Role.ADMIN)


def _departments(user: User, *, led: bool = True) -> set[int]:
    """The departments a campaign may ask the user through: their own, and (`led`) the
    ones they lead."""
    ids = {user.department_id}
    if led and user.role == Role.LEADER:
        ids |= {d.id for d in user.led_departments}
    return ids


def can_see(user: User, campaign: Campaign) -> bool:
    """Reviewers, admins and its sponsor see every campaign; other people see a campaign
    once it has opened, when it asks their department or one they lead."""
    if (
        user.role in (Role.BRM, Role.PORTFOLIO_MANAGER, Role.ADMIN)
        or user.id == campaign.sponsor_id
    ):
        return True
    return campaign.state_on(today()) not in NOT_YET_OPEN and any(
        campaign.targets(d) for d in _departments(user)
    )


def can_report(user: User, campaign: Campaign) -> bool:
    return user.role in (Role.BRM, Role.PORTFOLIO_MANAGER, Role.ADMIN) or can_manage(user, campaign)


def _asks(user: User, *, led: bool = True):
    """SQL: campaigns asking the user's department, or (`led`) one they lead, or everyone."""
    targeted = Campaign.departments.any()
    mine = Campaign.departments.any(Department.id.in_(_departments(user, led=led)))
    return sa.or_(~targeted, mine)


def visible_query(user: User) -> sa.Select:
    """The campaigns `user` may see, newest opening first."""
    query = sa.select(Campaign).options(selectinload(Campaign.departments))
    if user.role not in (Role.BRM, Role.PORTFOLIO_MANAGER, Role.ADMIN):
        day = today()
        started = sa.and_(Campaign.published_at.is_not(None), Campaign.opens_on <= day)
        query = query.where(sa.or_(Campaign.sponsor_id == user.id, sa.and_(started, _asks(user))))
    return query.order_by(Campaign.opens_on.desc(), Campaign.id.desc())


def visible_campaigns(user: User) -> list[Campaign]:
    return list(db.session.scalars(visible_query(user)))


def open_for(user: User) -> list[Campaign]:
    """The open campaigns asking the user's department: where they may submit ideas."""
    query = (
        sa.select(Campaign)
        .where(Campaign.open_on(today()), _asks(user, led=False))
        .order_by(Campaign.closes_on, Campaign.id)
    )
    return list(db.session.scalars(query))


_OBJECTIVE_CHOICES = (  # (id, name) columns, built once
    sa.select(StrategicObjective.id, StrategicObjective.name)
    .where(StrategicObjective.active)
    .order_by(StrategicObjective.name)
)


def objective_choices() -> list[tuple[int, str]]:
    """(id, name) of the active objectives by name (a form's choices)."""
    return [tuple(row) for row in db.session.execute(_OBJECTIVE_CHOICES)]


# How a filter lists the campaigns: the latest to open first (review.service.queue_choices).
TITLE_ORDER = Campaign.opens_on.desc()


def accepting(campaign_id: int, author: User) -> Campaign:
    """The campaign an idea of `author` may go into now, or a refusal saying why not."""
    campaign = db.session.get(Campaign, campaign_id) if 1 <= campaign_id <= MAX_ID else None
    if (
        campaign is None
        or not campaign.targets(author.department_id)
        or not can_see(author, campaign)
    ):
        raise CampaignError("There is no such campaign for your department.", 400, field="campaign")
    state = campaign.state_on(today())
    if state != CampaignState.OPEN:
        when = {
            CampaignState.DRAFT: "it is not published yet",
            CampaignState.SCHEDULED: f"it opens on {campaign.opens_on:%d %b %Y}",
            CampaignState.CLOSED: f"it closed on {_closed_on(campaign):%d %b %Y}",
            CampaignState.DECIDED: "it is closed and decided",
        }[state]
        raise CampaignError(
            f"The campaign “{campaign.title}” takes no ideas: {when}. "
            "Submit your idea to the open stream instead.",
            409,
            field="campaign",
        )
    return campaign


def _closed_on(campaign: Campaign) -> date:
    if campaign.closed_at is not None:
        return min(campaign.closed_at.date(), campaign.closes_on)
    return campaign.closes_on


# ---------------------------------------------------------------- operations


@dataclass
class CampaignInput:
    title: str
    question: str
    context: str
    opens_on: date | None
    closes_on: date | None
    budget_envelope: float | None = None
    department_ids: list[int] = field(default_factory=list)
    objective_ids: list[int] = field(default_factory=list)
    fields_text: str = ""


def _check(data: CampaignInput) -> tuple[list[dict], list[Department], list[StrategicObjective]]:
    title = (data.title or "").strip()
    if len(title) < 5:
        raise CampaignError(
            "Give the campaign a title of at least 5 characters.", 400, field="title"
        )
    if len(title) > TITLE_LIMIT:
        raise CampaignError(f"A title has at most {TITLE_LIMIT} characters.", 400, field="title")
    if not (data.question or "").strip():
        raise CampaignError("Ask the campaign's question.", 400, field="question")
    for name in ("question", "context"):
        if len(getattr(data, name) or "") > TEXT_LIMIT:
            raise CampaignError(f"At most {TEXT_LIMIT} characters.", 400, field=name)
    if data.opens_on is None or data.closes_on is None:
        raise CampaignError("Give the opening and closing dates.", 400, field="opens_on")
    if data.closes_on < data.opens_on:
        raise CampaignError(
            "The campaign must close on or after the day it opens.", 400, field="closes_on"
        )
    if data.budget_envelope is not None and not 0 <= data.budget_envelope <= MAX_AMOUNT:
        raise CampaignError(
            f"The envelope is an amount from 0 to {MAX_AMOUNT:,.0f}.", 400, field="budget_envelope"
        )
    fields, problems = rules.parse_fields(data.fields_text)
    if problems:
        raise CampaignError(problems[0], 400, field="fields")
    departments = list(
        db.session.scalars(
            sa.select(Department).where(Department.id.in_(data.department_ids or [-1]))
        )
    )
    if len(departments) != len(set(data.department_ids)):
        raise CampaignError("Choose existing departments.", 400, field="departments")
    objectives = list(
        db.session.scalars(
            sa.select(StrategicObjective).where(
                StrategicObjective.id.in_(data.objective_ids or [-1]), StrategicObjective.active
            )
        )
    )
    if len(objectives) != len(set(data.objective_ids)):
        raise CampaignError("Choose only active strategic objectives.", 400, field="objectives")
    return fields, departments, objectives


def save_campaign(campaign: Campaign | None, data: CampaignInput, actor: User) -> Campaign:
    """Create a draft campaign sponsored by `actor`, or edit one (caller commits)."""
    if campaign is None and not can_sponsor(actor):
        raise CampaignError(
            "Only department leaders, portfolio managers and admins sponsor campaigns.", 403
        )
    if campaign is not None and not can_manage(actor, campaign):
        raise CampaignError("Only the campaign's sponsor or an admin may edit it.", 403)
    fields, departments, objectives = _check(data)
    created = campaign is None
    if campaign is None:
        campaign = Campaign(sponsor=actor)
        db.session.add(campaign)
    elif campaign.fields and fields != campaign.fields and _has_ideas(campaign):
        old = {f["key"] for f in campaign.fields}
        if not old <= {f["key"] for f in fields}:
            raise CampaignError(
                "Ideas already answer the extra fields: add fields, but keep the existing ones.",
                409,
                field="fields",
            )
    campaign.title = data.title.strip()
    campaign.question = data.question.strip()
    campaign.context = (data.context or "").strip()
    campaign.opens_on, campaign.closes_on = data.opens_on, data.closes_on
    campaign.budget_envelope = data.budget_envelope
    campaign.fields = fields
    campaign.departments = departments
    campaign.objectives = objectives
    db.session.flush()
    record(
        actor,
        "campaign_created" if created else "campaign_updated",
        campaign,
        after={"title": campaign.title},
    )
    return campaign


def _has_ideas(campaign: Campaign) -> bool:
    return (
        db.session.scalar(sa.select(Idea.id).where(Idea.campaign_id == campaign.id).limit(1))
        is not None
    )


ACTIONS = {
    "publish": "Publish",
    "unpublish": "Unpublish (back to draft)",
    "close": "Close now",
    "decide": "Record the decision",
}


def available_actions(user: User, campaign: Campaign) -> list[tuple[str, str]]:
    """The state changes `user` may make on the campaign now: (action, label)."""
    if not can_manage(user, campaign):
        return []
    state = campaign.state_on(today())
    names = []
    if campaign.published_at is None:
        names.append("publish")
    if state == CampaignState.SCHEDULED:  # nobody has seen it yet: it may go back
        names.append("unpublish")
    if state == CampaignState.OPEN:
        names.append("close")
    if state == CampaignState.CLOSED:
        names.append("decide")
    return [(n, ACTIONS[n]) for n in names]


def change_state(campaign: Campaign, action: str, actor: User) -> CampaignState:
    """Publish, unpublish before it opens, close early or record the decision (caller
    commits); notices that are due go out at once. A campaign published ahead of its
    opening day is scheduled: it opens by itself on that day (its state follows the date;
    the reminders job sends the "opened" notice)."""
    if not can_manage(actor, campaign):
        raise CampaignError("Only the campaign's sponsor or an admin may do that.", 403)
    if action not in dict(available_actions(actor, campaign)):
        state = campaign.state_on(today()).label.lower()
        raise CampaignError(
            f"“{ACTIONS.get(action, action)}” is not possible while the campaign is {state}."
        )
    before = campaign.state_on(today())
    now = utcnow()
    if action == "publish":
        if campaign.closes_on < today():  # it would close as it opens, with nobody asked
            raise CampaignError(
                f"It closed on {campaign.closes_on:%d %b %Y}, before today: move its closing "
                "date before publishing it.",
                field="closes_on",
            )
        campaign.published_at = now
    elif action == "unpublish":
        campaign.published_at = None
    elif action == "close":
        campaign.closed_at = now
    elif action == "decide":
        campaign.decided_at = now
    after = campaign.state_on(today())
    record(
        actor,
        f"campaign_{action}",
        campaign,
        before={"state": before.value},
        after={"state": after.value},
    )
    send_due_notices(campaign, today())
    return after


def post_update(campaign: Campaign, body: str, actor: User) -> CampaignUpdate:
    """The sponsor's news on the campaign page (caller commits)."""
    if not can_manage(actor, campaign):
        raise CampaignError("Only the campaign's sponsor or an admin may post updates.", 403)
    body = (body or "").strip()
    if not body:
        raise CampaignError("An update cannot be empty.", 400, field="body")
    if len(body) > TEXT_LIMIT:
        raise CampaignError(f"At most {TEXT_LIMIT} characters.", 400, field="body")
    update = CampaignUpdate(campaign_id=campaign.id, author=actor, body=body)
    db.session.add(update)
    record(actor, "campaign_update_posted", campaign)
    return update


# ---------------------------------------------------------------- pages


def ideas_of(campaign: Campaign, viewer: User) -> list[Idea]:
    """The campaign's ideas the viewer may see (others' drafts left out), most votes first."""
    query = (
        sa.select(Idea)
        .where(
            Idea.campaign_id == campaign.id,
            sa.or_(Idea.status != IdeaStatus.DRAFT, Idea.submitter_id == viewer.id),
        )
        .options(selectinload(Idea.department), selectinload(Idea.submitter))
        .order_by(Idea.vote_count.desc(), Idea.id)
    )
    return list(db.session.scalars(query))


def answer_rows(campaign: Campaign, idea: Idea) -> list[tuple[str, object]]:
    """(label, answer) for each extra field the idea answered."""
    answers = idea.campaign_answers or {}
    return [(f["label"], answers[f["key"]]) for f in campaign.fields or [] if f["key"] in answers]


# ---------------------------------------------------------------- notices


def _link(campaign: Campaign) -> str:
    if has_request_context():
        return url_for("campaigns.detail", campaign_id=campaign.id)
    return f"/campaigns/{campaign.id}"


def _targeted_people(campaign: Campaign) -> list[User]:
    """Everyone the campaign asks: the people of its departments and their leaders."""
    query = sa.select(User).where(User.active)
    if campaign.departments:
        ids = [d.id for d in campaign.departments]
        query = query.where(
            sa.or_(User.department_id.in_(ids), User.led_departments.any(Department.id.in_(ids)))
        )
    return list(db.session.scalars(query))


def participants(campaign: Campaign) -> list[User]:
    """Everyone who submitted or follows an idea of the campaign."""
    ideas = sa.select(Idea.id).where(
        Idea.campaign_id == campaign.id, Idea.status != IdeaStatus.DRAFT
    )
    ids = set(db.session.scalars(sa.select(Idea.submitter_id).where(Idea.id.in_(ideas))))
    ids |= set(db.session.scalars(sa.select(Follow.user_id).where(Follow.idea_id.in_(ideas))))
    if not ids:
        return []
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids), User.active)))


def _notice_due(campaign: Campaign, day: date) -> list[str]:
    state = campaign.state_on(day)
    due = []
    if state == CampaignState.OPEN:
        due.append("opened")
        if (campaign.closes_on - day).days < CLOSING_SOON_DAYS:
            due.append("closing_soon")
    if state == CampaignState.DECIDED:
        due.append("decided")
    return due


def _audience_and_message(campaign: Campaign, kind: str) -> tuple[list[User], str]:
    title = f"“{campaign.title}”"
    if kind == "opened":
        return _targeted_people(campaign), (
            f"Campaign {title} is open until {campaign.closes_on:%d %b %Y}: {campaign.question}"
        )
    if kind == "closing_soon":
        return _targeted_people(campaign), (
            f"Campaign {title} closes on {campaign.closes_on:%d %b %Y}: "
            "share your idea before then."
        )
    return participants(campaign), (
        f"Campaign {title} is decided: see on its page what became of each idea and why."
    )


def send_due_notices(campaign: Campaign, day: date) -> list[str]:
    """Send the campaign's notices that are due and not yet sent; each kind goes out once
    (recorded in campaign_notices). Returns the kinds sent (caller commits)."""
    sent = set(
        db.session.scalars(
            sa.select(CampaignNotice.kind).where(CampaignNotice.campaign_id == campaign.id)
        )
    )
    done = []
    for kind in _notice_due(campaign, day):
        if kind in sent:
            continue
        users, message = _audience_and_message(campaign, kind)
        users = [u for u in users if u.id != campaign.sponsor_id]
        notify(users, message, link=_link(campaign), kind=NoticeKind.CAMPAIGNS)
        db.session.add(CampaignNotice(campaign_id=campaign.id, kind=kind, recipients=len(users)))
        done.append(kind)
    db.session.flush()
    return done


def send_reminders(day: date | None = None) -> dict[str, int]:
    """Every campaign's due notices (opened, closing soon, decided): what the scheduled
    reminders command calls. Returns how many of each kind went out (caller commits)."""
    day = day or today()
    counts: dict[str, int] = {}
    query = sa.select(Campaign).where(Campaign.published_at.is_not(None), Campaign.opens_on <= day)
    for campaign in db.session.scalars(query):
        for kind in send_due_notices(campaign, day):
            counts[kind] = counts.get(kind, 0) + 1
    return counts


# ---------------------------------------------------------------- report


@dataclass
class DepartmentRow:
    """One department's part in a campaign (or, named "All departments", the whole)."""

    department: str
    people: int = 0
    ideas: int = 0
    votes: int = 0
    comments: int = 0
    reviewed: int = 0
    median_days_to_first_review: float | None = None
    decided: int = 0
    selected: int = 0
    selected_value: float = 0.0

    @property
    def decided_share(self) -> float | None:
        return self.decided / self.ideas if self.ideas else None

    @property
    def decided_percent(self) -> float | None:
        return None if self.decided_share is None else round(100 * self.decided_share, 1)


@dataclass
class CampaignReport:
    rows: list[DepartmentRow]
    total: DepartmentRow


# (CSV header, DepartmentRow attribute): the report's table and its CSV, column by column.
REPORT_COLUMNS = (
    ("Department", "department"),
    ("People", "people"),
    ("Ideas", "ideas"),
    ("Votes", "votes"),
    ("Comments", "comments"),
    ("Reviewed", "reviewed"),
    ("Median days to first review", "median_days_to_first_review"),
    ("Reaching a decision", "decided"),
    ("Reaching a decision (%)", "decided_percent"),
    ("Selected", "selected"),
    ("Value selected", "selected_value"),
)


def report(campaign: Campaign) -> CampaignReport:
    """By department of the people taking part, and for the whole campaign: participation
    (people who submitted, voted or commented; ideas, votes, comments), days from submission
    to the first reviewer's status change, the ideas reaching a decision, and the value of
    what was selected (strategic value × likely multiplier of the current estimates of the
    ideas selected, in delivery or delivered). An idea counts in its submitter's department."""
    ideas = list(
        db.session.scalars(
            sa.select(Idea).where(Idea.campaign_id == campaign.id, Idea.status != IdeaStatus.DRAFT)
        )
    )
    ids = [i.id for i in ideas] or [-1]
    votes = list(db.session.scalars(sa.select(Vote.user_id).where(Vote.idea_id.in_(ids))))
    comments = list(
        db.session.scalars(sa.select(Comment.author_id).where(Comment.idea_id.in_(ids)))
    )
    everyone = {i.submitter_id for i in ideas} | set(votes) | set(comments)
    dept_of = dict(
        db.session.execute(
            sa.select(User.id, User.department_id).where(User.id.in_(everyone or [-1]))
        ).all()
    )
    names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    rows: dict[int, DepartmentRow] = {d.id: DepartmentRow(d.name) for d in campaign.departments}
    people: dict[int, set[int]] = {}
    waits: dict[int | None, list[float]] = {}

    def row(user_id: int) -> DepartmentRow:
        department_id = dept_of[user_id]
        people.setdefault(department_id, set()).add(user_id)
        return rows.setdefault(department_id, DepartmentRow(names.get(department_id, "?")))

    first_actions = dict(
        db.session.execute(
            sa.select(AuditEvent.idea_id, sa.func.min(AuditEvent.created_at))
            .join(Idea, Idea.id == AuditEvent.idea_id)
            .where(
                AuditEvent.idea_id.in_(ids),
                AuditEvent.actor_id != Idea.submitter_id,
                AuditEvent.action == "status_change",
            )
            .group_by(AuditEvent.idea_id)
        ).all()
    )
    chosen = [i for i in ideas if i.status in workflow.COMMITTED]
    values: dict[int, float] = {}
    if chosen:
        weights = active_weights()
        estimates = db.session.scalars(
            sa.select(Estimate).where(
                Estimate.idea_id.in_([i.id for i in chosen]), Estimate.is_current
            )
        )
        values = {e.idea_id: strategic_value(e, weights) * e.value_likely for e in estimates}
    for idea in ideas:
        r = row(idea.submitter_id)
        r.ideas += 1
        first = first_actions.get(idea.id)
        if first is not None and idea.submitted_at is not None:
            wait = max((first - idea.submitted_at).total_seconds() / 86400, 0.0)
            waits.setdefault(dept_of[idea.submitter_id], []).append(wait)
            waits.setdefault(None, []).append(wait)
        if idea.decided_at is not None or idea.status in workflow.COMMITTED:
            r.decided += 1
        if idea.status in workflow.COMMITTED:
            r.selected += 1
            r.selected_value += values.get(idea.id, 0.0)
    for user_id in votes:
        row(user_id).votes += 1
    for user_id in comments:
        row(user_id).comments += 1

    def median(days: list[float] | None) -> float | None:
        return round(statistics.median(days), 1) if days else None

    for department_id, r in rows.items():
        r.people = len(people.get(department_id, ()))
        r.reviewed = len(waits.get(department_id, ()))
        r.median_days_to_first_review = median(waits.get(department_id))
        r.selected_value = round(r.selected_value, 1)
    total = DepartmentRow(
        "All departments",
        people=len(everyone),
        reviewed=len(waits.get(None, ())),
        median_days_to_first_review=median(waits.get(None)),
    )
    for r in rows.values():
        for name in ("ideas", "votes", "comments", "decided", "selected", "selected_value"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    total.selected_value = round(total.selected_value, 1)
    return CampaignReport(
        rows=sorted(rows.values(), key=lambda r: (-r.ideas, -r.people, r.department)), total=total
    )
