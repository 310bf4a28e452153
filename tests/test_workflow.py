"""The state machine: who may make which transition from which state, and its effects."""

import pytest
import sqlalchemy as sa

from portal import workflow
from portal.extensions import db
from portal.models import AuditEvent, IdeaStatus, Notification, Role

S = IdeaStatus


@pytest.fixture
def actors(employee, brm, pm, make_user, make_department):
    elsewhere = make_department("Elsewhere")
    return {
        "submitter": employee,
        "brm": brm,
        "pm": pm,
        "other_employee": make_user(),
        "other_brm": make_user(Role.BRM, covers=[elsewhere]),
        "admin": make_user(Role.ADMIN),
    }


# (transition, from state, actor, allowed)
CASES = [
    ("submit", S.DRAFT, "submitter", True),
    ("submit", S.DRAFT, "brm", False),
    ("submit", S.DRAFT, "admin", False),
    ("withdraw", S.IN_REVIEW, "submitter", True),
    ("withdraw", S.DEFERRED, "submitter", True),
    ("withdraw", S.APPROVED, "submitter", True),
    ("withdraw", S.IN_REVIEW, "other_employee", False),
    ("withdraw", S.IN_REVIEW, "pm", False),
    ("start_review", S.SUBMITTED, "brm", True),
    ("start_review", S.SUBMITTED, "pm", True),
    ("start_review", S.SUBMITTED, "other_brm", False),
    ("start_review", S.SUBMITTED, "submitter", False),
    ("start_review", S.SUBMITTED, "admin", False),
    ("approve", S.ESTIMATED, "brm", True),
    ("approve", S.ESTIMATED, "other_brm", False),
    ("select", S.APPROVED, "pm", True),
    ("select", S.APPROVED, "brm", False),
    ("deliver", S.IN_DELIVERY, "brm", True),
    ("deliver", S.IN_DELIVERY, "submitter", False),
]


@pytest.mark.parametrize(("name", "state", "who", "allowed"), CASES)
def test_who_may(actors, make_idea, name, state, who, allowed):
    idea = make_idea(actors["submitter"], status=state)
    if allowed:
        workflow.apply(idea, name, actors[who])
        assert idea.status == workflow.TRANSITIONS[name].target
    else:
        with pytest.raises(workflow.TransitionForbidden):
            workflow.apply(idea, name, actors[who])
        assert idea.status == state


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("submit", S.SUBMITTED),
        ("withdraw", S.REJECTED),
        ("withdraw", S.DELIVERED),
        ("withdraw", S.WITHDRAWN),
        ("withdraw", S.DRAFT),
        ("approve", S.SUBMITTED),
        ("select", S.SUBMITTED),
        ("deliver", S.SELECTED),
    ],
)
def test_refused_from_wrong_state(actors, make_idea, name, state):
    idea = make_idea(actors["submitter"], status=state)
    actor = actors["pm"] if name not in ("submit", "withdraw") else actors["submitter"]
    with pytest.raises(workflow.TransitionError, match="not possible"):
        workflow.apply(idea, name, actor)
    assert idea.status == state


def test_reason_required(actors, make_idea):
    idea = make_idea(actors["submitter"], status=S.IN_REVIEW)
    with pytest.raises(workflow.TransitionError, match="needs a reason") as info:
        workflow.apply(idea, "reject", actors["brm"], "   ")
    assert info.value.status_code == 400
    assert idea.status == S.IN_REVIEW


def test_apply_audits_and_notifies(actors, make_idea):
    idea = make_idea(actors["submitter"], status=S.IN_REVIEW)
    workflow.apply(idea, "reject", actors["brm"], "Already covered by the ERP upgrade")
    db.session.commit()
    assert idea.status_reason == "Already covered by the ERP upgrade"
    assert idea.decided_at is not None
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.idea_id == idea.id)).one()
    assert event.before == {"status": "in_review"}
    assert event.after["status"] == "rejected"
    assert event.actor_id == actors["brm"].id
    note = db.session.scalars(sa.select(Notification)).one()
    assert note.user_id == actors["submitter"].id
    assert "Already covered by the ERP upgrade" in note.message


def test_available_lists_only_allowed(actors, make_idea):
    idea = make_idea(actors["submitter"], status=S.SUBMITTED)
    names = {t.name for t in workflow.available(idea, actors["brm"])}
    assert {"start_review", "ask_info", "reject", "mark_duplicate"} <= names
    assert "withdraw" not in names
    assert {t.name for t in workflow.available(idea, actors["submitter"])} == {"withdraw"}
    assert workflow.available(idea, actors["other_brm"]) == []


def test_every_state_is_reachable():
    reachable = {S.DRAFT}
    changed = True
    while changed:
        changed = False
        for t in workflow.TRANSITIONS.values():
            if reachable & t.sources and t.target not in reachable:
                reachable.add(t.target)
                changed = True
    assert reachable == set(IdeaStatus)


def test_status_only_assigned_in_workflow():
    """No module but portal/workflow.py assigns Idea.status (DESIGN.md section 3)."""
    import pathlib
    import re

    root = pathlib.Path(workflow.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "workflow.py"
        and re.search(r"\.status\s*=\s*(IdeaStatus|S)\.", path.read_text())
    ]
    assert offenders == []


def test_an_answer_is_not_shown_as_the_reason(actors, make_idea):
    idea = make_idea(actors["submitter"], status=S.SUBMITTED)
    workflow.apply(idea, "ask_info", actors["brm"], "Which reporting tools?")
    assert idea.status_reason == "Which reporting tools?"
    workflow.apply(idea, "answer", actors["submitter"], "Cognos and Tableau")
    assert idea.status == S.IN_REVIEW and idea.status_reason is None
