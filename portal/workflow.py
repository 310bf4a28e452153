"""The idea state machine: the only place that changes `Idea.status`.

Each transition names the states it leaves from, the state it enters, who may make it,
whether it needs a reason, the words people see and its effects. `apply` checks all of that,
writes the audit event, makes the effects and sends `idea_changed`, on which the submitter
and followers are told. Feature services call `apply`; routes never do status changes
themselves. The groups of states other modules reason about are declared here too.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import selectinload

from portal.audit import department_leader, notify, record, signals, tell_audience
from portal.errors import PortalError
from portal.extensions import db
from portal.models import (
    CampaignState,
    Comment,
    CommentKind,
    Estimate,
    Follow,
    Idea,
    IdeaStatus,
    NoticeKind,
    Role,
    User,
    utcnow,
)

S = IdeaStatus

# ------------------------------------------------------------------ state groups
# Every group of states the portal reasons about, declared once; other modules ask here.
# Tuples where the order is shown to people (lanes, checkboxes), frozensets otherwise.

OPEN = frozenset({S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO, S.ESTIMATED, S.APPROVED, S.DEFERRED})
"""Still open: its submitter may withdraw it (a draft is simply kept or edited)."""

DECIDED = frozenset({S.APPROVED, S.REJECTED, S.DUPLICATE, S.DEFERRED})
"""A reviewer's decision: entering one of these sets the idea's decision date."""

CLOSED = frozenset({S.REJECTED, S.DUPLICATE, S.WITHDRAWN, S.DELIVERED})
"""Closed for good: votes are closed."""

NO_VOTES = CLOSED | {S.DRAFT}
"""Nobody may vote for it (or take a vote back): a draft, not yet shared, or closed for good."""

NOT_MERGEABLE_INTO = frozenset({S.DRAFT, S.DUPLICATE, S.WITHDRAWN, S.REJECTED})
"""An idea in these states cannot take in a duplicate (a rejected one would bury it)."""

ENDORSABLE = OPEN
"""Its department's leader may endorse it (or take the endorsement back) while it is open."""

WAITING_FOR_REVIEW = frozenset({S.SUBMITTED, S.IN_REVIEW})
"""Waiting for a reviewer: submitted or being reviewed."""

WAITING_FOR_ANSWER = frozenset({S.NEEDS_INFO})
"""Waiting for the submitter to answer the reviewer's question."""

WAITING_FOR_DECISION = frozenset({S.ESTIMATED})
"""Estimated, waiting for the reviewer's decision."""

UNDER_REVIEW = WAITING_FOR_REVIEW | WAITING_FOR_ANSWER | WAITING_FOR_DECISION
"""Under review: in a BRM's queue, from submission until the decision."""

WAITS = (WAITING_FOR_REVIEW, WAITING_FOR_ANSWER, WAITING_FOR_DECISION)
"""What an idea under review waits for, one at a time; its wait starts when it comes into
one of these from a state outside it (`Idea.waiting_since`): a claim does not restart the
wait for review, the submitter's answer does."""

ESTIMABLE = frozenset({S.IN_REVIEW, S.NEEDS_INFO, S.ESTIMATED, S.APPROVED, S.DEFERRED, S.SELECTED})
"""Its value and cost may be estimated (after a BRM picked it up, before delivery)."""

APPROVED_OR_PLANNED = frozenset({S.APPROVED, S.SELECTED, S.IN_DELIVERY, S.DEFERRED})
"""Approved as a candidate, selected, being delivered or deferred for later."""

TRENDING = frozenset({S.SUBMITTED, S.IN_REVIEW, S.ESTIMATED, S.APPROVED})
"""Shown among the trending ideas of the home page."""

SCENARIO_CANDIDATES = (S.APPROVED, S.DEFERRED, S.SELECTED)
"""May be a candidate of a portfolio scenario."""

DEFAULT_SCENARIO_CANDIDATES = (S.APPROVED, S.DEFERRED, S.SELECTED)
"""A new scenario's candidates unless its filter says otherwise: its budget is the total, so
the current plan's selections are candidates that may be kept (a scenario whose budget is
what remains after the plan leaves them out; see `BudgetMode`)."""

WAITING_FOR_A_PLAN = frozenset({S.APPROVED, S.DEFERRED})
"""A candidate that is not in the plan: the next portfolio run weighs it again."""

COMMITTED = (S.SELECTED, S.IN_DELIVERY, S.DELIVERED)
"""Committed to: selected in the adopted plan, being delivered or delivered (the delivery
board's lanes, in order; a scenario's link to one of them is already satisfied)."""

IN_THE_PLAN = frozenset({S.SELECTED, S.IN_DELIVERY})
"""In the adopted plan and not delivered yet."""

DELIVERY_STARTED = frozenset({S.IN_DELIVERY, S.DELIVERED})
"""Delivery has started: actual costs and realized value may be recorded."""

SUBMITTED_ONCE = tuple(s for s in IdeaStatus if s != S.DRAFT)
"""Every state but draft, in the workflow's order: seen by everyone, counted in reports
and found by the similar-ideas search."""

HIDDEN_FROM_SIMILAR = frozenset({S.DRAFT, S.DUPLICATE})
"""Never suggested as a similar idea (a duplicate's survivor is shown instead)."""

SUBMITTER_SUMMARY = (
    ("Drafts", frozenset({S.DRAFT})),
    ("Under review", UNDER_REVIEW),
    ("Approved or planned", APPROVED_OR_PLANNED),
    ("Delivered", frozenset({S.DELIVERED})),
)
"""The home page's summary of one's own ideas: (label, states) in order."""


class TransitionError(PortalError):
    """The transition is not possible from the idea's state or lacks an input (HTTP 409/400)."""

    status_code = 409


class TransitionForbidden(TransitionError):
    """The user may not make this transition on this idea (HTTP 403)."""

    status_code = 403


def _is_submitter(user: User, idea: Idea) -> bool:
    return user.id == idea.submitter_id


def _is_reviewer(user: User, idea: Idea) -> bool:
    return user.covers(idea.department_id)


def _is_portfolio_manager(user: User, idea: Idea) -> bool:
    return user.role == Role.PORTFOLIO_MANAGER


def _has_current_estimate(idea: Idea) -> str | None:
    """A current estimate that says something (`review.rules.empty_estimate_problem`): the
    estimate page refuses an empty one, but the CSV import may bring one in."""
    # portal.review imports this module: its rules are imported here.
    from portal.review import rules

    current = db.session.scalar(
        sa.select(Estimate)
        .where(Estimate.idea_id == idea.id, Estimate.is_current)
        .options(selectinload(Estimate.impacts), selectinload(Estimate.costs))
    )
    if current is None:
        return "Save an estimate of its value and cost first."
    impacts = {i.objective_id: i.impact for i in current.impacts}
    costs = {c.period: (c.capex, c.opex) for c in current.costs}
    if rules.empty_estimate_problem(impacts, costs):
        return "its estimate has no impact on any objective and no cost; complete it first."
    return None


def _has_survivor(idea: Idea) -> str | None:
    if idea.merged_into_id is None and idea.merged_into is None:
        return "Choose the idea it duplicates (merging is done from the review panel)."
    if idea.merged_into_id == idea.id or idea.merged_into is idea:
        return "An idea cannot be a duplicate of itself."
    return None


def _campaign_takes_ideas(idea: Idea) -> str | None:
    campaign = idea.campaign
    state = campaign.state_on(utcnow().date()) if campaign is not None else None
    if state not in (None, CampaignState.OPEN):
        if state == CampaignState.SCHEDULED:
            return f"its campaign “{campaign.title}” opens on {campaign.opens_on:%d %b %Y}."
        return f"its campaign “{campaign.title}” is {state} and takes no more ideas."
    return None


def _may_submit(idea: Idea) -> str | None:
    """Why the draft cannot be submitted: its campaign takes no more ideas, or its fields."""
    # Imported here: importing the portal.ideas package loads its routes, which import this
    # module back (as portal.review is imported in `_has_current_estimate`).
    from portal.ideas.rules import submit_problems

    return _campaign_takes_ideas(idea) or submit_problems(idea)


def _keep_in_discussion(kind: CommentKind) -> Callable[[Idea, User, str | None], None]:
    """An effect: the reason is also posted to the idea's discussion, as `kind`."""

    def post(idea: Idea, actor: User, reason: str | None) -> None:
        db.session.add(Comment(idea=idea, author=actor, body=reason, kind=kind))

    return post


@dataclass(frozen=True)
class Transition:
    """One step of the state machine, with what people see and what else it does."""

    name: str
    label: str
    sources: frozenset[IdeaStatus]
    target: IdeaStatus
    may: Callable[[User, Idea], bool]
    who: str
    needs_reason: bool = False
    message: str = "{idea} is now {status}."
    # Whether the reason explains the new state (a rejection's reason does; an answer
    # to the reviewer's question is kept in the discussion and audit trail instead).
    reason_explains_state: bool = True
    # What else must hold before the transition: returns the refusal message, or None.
    requires: Callable[[Idea], str | None] | None = None
    # Made through its own form (e.g. merging needs the surviving idea), not a plain button.
    own_form: bool = False
    # The label of the reason box, after the transition's label ("Reject — reason ...").
    prompt: str = "reason"
    # What the reason box says when it was left empty (`needs_reason`).
    missing_reason: str = "Give the reason first."
    # Asked before a plain button makes the transition, or None.
    confirm: str | None = None
    # What else happens, in the same transaction: called with (idea, actor, reason).
    effects: tuple[Callable[[Idea, User, str | None], None], ...] = ()

    def not_yet(self, idea: Idea) -> str | None:
        """Why it cannot be made on `idea` yet (`requires`): the sentence `check` refuses
        with and the idea page shows beside the disabled button; None when it can."""
        problem = self.requires(idea) if self.requires is not None else None
        return f"'{self.label}' is not possible yet: {problem}" if problem else None


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "submit",
            "Submit",
            frozenset({S.DRAFT}),
            S.SUBMITTED,
            _is_submitter,
            "its submitter",
            message="{idea} was submitted for review.",
            requires=_may_submit,
        ),
        Transition(
            "withdraw",
            "Withdraw",
            OPEN,
            S.WITHDRAWN,
            _is_submitter,
            "its submitter",
            message="{idea} was withdrawn by its submitter.",
            confirm="Withdraw this idea?",
        ),
        Transition(
            "start_review",
            "Start review",
            frozenset({S.SUBMITTED}),
            S.IN_REVIEW,
            _is_reviewer,
            "a BRM covering its department",
            message="{idea} is now being reviewed.",
        ),
        Transition(
            "ask_info",
            "Ask for information",
            frozenset({S.SUBMITTED, S.IN_REVIEW, S.ESTIMATED}),
            S.NEEDS_INFO,
            _is_reviewer,
            "a BRM covering its department",
            needs_reason=True,
            message="The reviewer of {idea} asked: {reason}",
            prompt="your question to the submitter",
            missing_reason="Write your question to the submitter first.",
            effects=(_keep_in_discussion(CommentKind.QUESTION),),
        ),
        Transition(
            "answer",
            "Answer",
            frozenset({S.NEEDS_INFO}),
            S.IN_REVIEW,
            _is_submitter,
            "its submitter",
            needs_reason=True,
            message="The submitter of {idea} answered: {reason}",
            reason_explains_state=False,
            prompt="your answer",
            missing_reason="Write your answer first.",
            effects=(_keep_in_discussion(CommentKind.ANSWER),),
        ),
        Transition(
            "mark_estimated",
            "Mark estimated",
            frozenset({S.IN_REVIEW}),
            S.ESTIMATED,
            _is_reviewer,
            "a BRM covering its department",
            message="{idea} has been estimated.",
            requires=_has_current_estimate,
        ),
        Transition(
            "approve",
            "Approve as candidate",
            frozenset({S.ESTIMATED, S.DEFERRED}),
            S.APPROVED,
            _is_reviewer,
            "a BRM covering its department",
            message="{idea} was approved as a portfolio candidate.",
        ),
        Transition(
            "reject",
            "Reject",
            frozenset({S.SUBMITTED, S.IN_REVIEW, S.ESTIMATED}),
            S.REJECTED,
            _is_reviewer,
            "a BRM covering its department",
            needs_reason=True,
            message="{idea} was not taken forward: {reason}",
            prompt="reason (the submitter reads it)",
            missing_reason="Give the reason for rejecting it first: the submitter reads it.",
        ),
        Transition(
            "mark_duplicate",
            "Mark duplicate",
            UNDER_REVIEW,
            S.DUPLICATE,
            _is_reviewer,
            "a BRM covering its department",
            message="{idea} was merged into {reason}.",
            requires=_has_survivor,
            own_form=True,
        ),
        Transition(
            "defer",
            "Defer (not now)",
            frozenset({S.APPROVED, S.SELECTED}),
            S.DEFERRED,
            _is_reviewer,
            "a BRM covering its department",
            needs_reason=True,
            message="{idea} was deferred: {reason}",
            missing_reason="Say why it is deferred first.",
        ),
        Transition(
            "select",
            "Select",
            frozenset({S.APPROVED, S.DEFERRED}),
            S.SELECTED,
            _is_portfolio_manager,
            "a portfolio manager",
            message="{idea} was selected in the adopted portfolio plan.",
        ),
        Transition(
            "start_delivery",
            "Start delivery",
            frozenset({S.SELECTED}),
            S.IN_DELIVERY,
            _is_reviewer,
            "a BRM or portfolio manager",
            message="Delivery of {idea} has started.",
        ),
        Transition(
            "deliver",
            "Mark delivered",
            frozenset({S.IN_DELIVERY}),
            S.DELIVERED,
            _is_reviewer,
            "a BRM or portfolio manager",
            message="{idea} has been delivered.",
        ),
    ]
}


idea_changed = signals.signal("idea-changed")
"""A transition was made. Sent by `apply` (unless told not to notify people) with the idea
as sender and keyword arguments transition, actor and reason."""


def available(idea: Idea, user: User) -> list[Transition]:
    """The transitions `user` may make on `idea` now, in table order."""
    return [t for t in TRANSITIONS.values() if idea.status in t.sources and t.may(user, idea)]


def check(idea: Idea, name: str, actor: User, reason: str | None = None) -> Transition:
    """Raise unless `actor` may make transition `name` on `idea` with `reason`."""
    try:
        transition = TRANSITIONS[name]
    except KeyError:
        raise TransitionError(f"Unknown action '{name}'.") from None
    if idea.status not in transition.sources:
        raise TransitionError(
            f"'{transition.label}' is not possible while the idea is {idea.status.label.lower()}."
        )
    if not transition.may(actor, idea):
        raise TransitionForbidden(f"Only {transition.who} may '{transition.label.lower()}'.")
    if transition.needs_reason and not (reason or "").strip():
        raise TransitionError(transition.missing_reason, 400, field="reason")
    if problem := transition.not_yet(idea):
        raise TransitionError(problem)
    return transition


def apply(
    idea: Idea, name: str, actor: User, reason: str | None = None, *, notify_people: bool = True
) -> Transition:
    """Make transition `name`: change the status, audit it, make its effects and send
    `idea_changed` (caller commits)."""
    transition = check(idea, name, actor, reason)
    reason = (reason or "").strip() or None
    before = idea.status
    idea.status = transition.target
    idea.status_reason = reason if transition.reason_explains_state else None
    now = utcnow()
    if transition.target == S.SUBMITTED and idea.submitted_at is None:
        idea.submitted_at = now
    if transition.target in DECIDED:
        idea.decided_at = now
    waits_for = next((group for group in WAITS if transition.target in group), None)
    if waits_for is None:
        idea.waiting_since = None
    elif before not in waits_for:
        idea.waiting_since = now
    record(
        actor,
        "status_change",
        idea,
        idea=idea,
        before={"status": before.value},
        after={"status": transition.target.value, "transition": name, "reason": reason},
    )
    for effect in transition.effects:
        effect(idea, actor, reason)
    if notify_people:
        idea_changed.send(idea, transition=transition, actor=actor, reason=reason)
    return transition


@idea_changed.connect
def _tell_people(idea: Idea, *, transition: Transition, actor: User, reason: str | None):
    """The submitter, the followers and the department's leader hear of the transition, in
    the transition's words."""
    message = transition.message.format(
        idea=f"{idea.reference} “{idea.title}”",
        status=transition.target.label.lower(),
        reason=reason or "",
    )
    tell_audience(idea, message, exclude=actor)
    follower_ids = db.session.scalars(sa.select(Follow.user_id).where(Follow.idea_id == idea.id))
    told = {idea.submitter_id, *follower_ids}
    leaders = [u for u in department_leader(idea.department_id, exclude=actor) if u.id not in told]
    notify(leaders, message, idea=idea, kind=NoticeKind.QUEUE)


def init_app(app: Flask) -> None:
    """Templates ask the workflow too (`workflow.UNDER_REVIEW`, a transition's prompt)."""
    app.jinja_env.globals["workflow"] = sys.modules[__name__]
