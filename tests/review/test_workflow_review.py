"""Review transitions through the pages: allowed and refused, by state and by role."""

import pytest
import sqlalchemy as sa

from portal import workflow
from portal.extensions import db
from portal.models import AuditEvent, Comment, CommentKind, Idea, IdeaStatus, Notification

S = IdeaStatus


def _status(idea_id):
    db.session.rollback()  # see what other connections committed
    return db.session.get(Idea, idea_id).status


@pytest.mark.parametrize(
    ("name", "state", "reason", "target"),
    [
        ("start_review", S.SUBMITTED, "", S.IN_REVIEW),
        ("ask_info", S.IN_REVIEW, "How many invoices a month?", S.NEEDS_INFO),
        ("reject", S.IN_REVIEW, "Already solved by the new ERP.", S.REJECTED),
        ("reject", S.ESTIMATED, "Too costly for its value.", S.REJECTED),
        ("approve", S.ESTIMATED, "", S.APPROVED),
        ("defer", S.APPROVED, "Budget is gone this year.", S.DEFERRED),
        ("approve", S.DEFERRED, "", S.APPROVED),
    ],
)
def test_reviewer_transitions_allowed(brm_client, employee, make_idea, name, state, reason, target):
    idea = make_idea(employee, status=state)
    response = brm_client.post(f"/ideas/{idea.id}/transition/{name}", data={"reason": reason})
    assert response.status_code == 302
    assert _status(idea.id) == target


@pytest.mark.parametrize(
    ("name", "state", "code", "message"),
    [
        ("approve", S.IN_REVIEW, 409, "not possible while the idea is in review"),
        ("reject", S.APPROVED, 409, "not possible while the idea is approved"),
        ("reject", S.IN_REVIEW, 400, "Give the reason for rejecting it first"),
        ("ask_info", S.IN_REVIEW, 400, "Write your question to the submitter first."),
        ("mark_estimated", S.IN_REVIEW, 409, "Save an estimate"),
        ("mark_duplicate", S.IN_REVIEW, 409, "Choose the idea it duplicates"),
        ("defer", S.ESTIMATED, 409, "not possible"),
    ],
)
def test_reviewer_transitions_refused_by_state(
    brm_client, employee, make_idea, name, state, code, message
):
    idea = make_idea(employee, status=state)
    response = brm_client.post(f"/ideas/{idea.id}/transition/{name}", data={"reason": ""})
    assert response.status_code == code
    assert message in response.get_data(as_text=True)
    assert _status(idea.id) == state


@pytest.mark.parametrize("who", ["employee", "other_brm", "admin"])
@pytest.mark.parametrize("name", ["reject", "approve", "ask_info"])
def test_reviewer_transitions_refused_by_role(
    client_for, make_user, employee, other_brm, make_idea, who, name
):
    from portal.models import Role

    actors = {"employee": make_user(), "other_brm": other_brm, "admin": make_user(Role.ADMIN)}
    idea = make_idea(employee, status=S.ESTIMATED)
    response = client_for(actors[who]).post(
        f"/ideas/{idea.id}/transition/{name}", data={"reason": "because"}
    )
    assert response.status_code == 403
    assert _status(idea.id) == S.ESTIMATED


def test_mark_estimated_needs_a_current_estimate(brm, employee, make_idea, make_estimate):
    idea = make_idea(employee, status=S.IN_REVIEW)
    with pytest.raises(workflow.TransitionError, match="Save an estimate"):
        workflow.apply(idea, "mark_estimated", brm)
    make_estimate(idea, brm)
    workflow.apply(idea, "mark_estimated", brm)
    assert idea.status == S.ESTIMATED


def test_a_step_not_possible_yet_is_disabled_with_why(
    brm_client, brm, employee, make_idea, make_estimate
):
    idea = make_idea(employee, status=S.IN_REVIEW)
    page = brm_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    why = "&#39;Mark estimated&#39; is not possible yet: Save an estimate of its value and cost"
    assert why in page and 'data-not-yet="mark_estimated"' in page
    assert f'action="/ideas/{idea.id}/transition/mark_estimated"' not in page
    assert 'disabled aria-describedby="not-yet-mark_estimated">Mark estimated</button>' in page
    make_estimate(idea, brm)
    db.session.commit()
    page = brm_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'action="/ideas/{idea.id}/transition/mark_estimated"' in page and "not-yet" not in page


def test_withdraw_only_by_submitter(employee_client, brm_client, employee, make_idea):
    idea = make_idea(employee, status=S.ESTIMATED)
    assert brm_client.post(f"/ideas/{idea.id}/transition/withdraw").status_code == 403
    assert employee_client.post(f"/ideas/{idea.id}/transition/withdraw").status_code == 302
    assert _status(idea.id) == S.WITHDRAWN


def test_question_and_answer_round_trip(brm_client, employee_client, brm, employee, make_idea):
    idea = make_idea(employee, status=S.IN_REVIEW)
    brm_client.post(
        f"/ideas/{idea.id}/transition/ask_info", data={"reason": "Which teams use the tool?"}
    )
    assert _status(idea.id) == S.NEEDS_INFO
    page = employee_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "The reviewer asks:" in page and "Which teams use the tool?" in page
    inbox = db.session.scalars(
        sa.select(Notification.message).where(Notification.user_id == employee.id)
    ).all()
    assert any("Which teams use the tool?" in m for m in inbox)

    response = employee_client.post(
        f"/ideas/{idea.id}/transition/answer", data={"reason": "Sales and support."}
    )
    assert response.status_code == 302
    assert _status(idea.id) == S.IN_REVIEW
    kinds = db.session.scalars(
        sa.select(Comment.kind).where(Comment.idea_id == idea.id).order_by(Comment.id)
    ).all()
    assert kinds == [CommentKind.QUESTION, CommentKind.ANSWER]
    # back in the queue
    assert f'data-idea="{idea.id}"' in brm_client.get("/review/").get_data(as_text=True)


def test_rejection_reason_shown_to_submitter(brm_client, employee_client, employee, make_idea):
    idea = make_idea(employee, status=S.IN_REVIEW)
    brm_client.post(
        f"/ideas/{idea.id}/transition/reject",
        data={"reason": "The new ERP already does this from March."},
    )
    page = employee_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "The new ERP already does this from March." in page
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.idea_id == idea.id)).all()
    assert events[-1].after["status"] == "rejected"
    assert events[-1].before == {"status": "in_review"}
