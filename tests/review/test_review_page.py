"""The idea page as a reviewer and its submitter use it: one way to start a review, the step
forward first, the question above the answer box, no empty cards, limits said not cut."""

import re

from portal.extensions import db
from portal.models import Idea, IdeaStatus
from portal.models import IdeaStatus as S


def test_an_unheld_idea_offers_claim_not_also_start_review(brm_client, employee, make_idea):
    idea = make_idea(employee, status=S.SUBMITTED)
    html = brm_client.get(f"/ideas/{idea.id}").text
    assert ">Claim<" in html
    assert "Start review" not in html
    brm_client.post(f"/review/ideas/{idea.id}/claim")
    db.session.rollback()
    assert db.session.get(Idea, idea.id).status == S.IN_REVIEW


def test_a_held_submitted_idea_can_still_start_its_review(brm_client, brm, employee, make_idea):
    idea = make_idea(employee, status=S.SUBMITTED, assignee=brm)
    html = brm_client.get(f"/ideas/{idea.id}").text
    assert "Start review" in html and ">Claim<" not in html


def test_approve_is_the_first_and_filled_button(brm_client, brm, employee, make_idea):
    idea = make_idea(employee, status=S.ESTIMATED, assignee=brm)
    html = brm_client.get(f"/ideas/{idea.id}").text
    buttons = re.findall(r'<button[^>]* class="([^"]*)"[^>]*>([^<]+)</button>', html)
    actions = [
        (cls, label) for cls, label in buttons if label in {"Approve as candidate", "Reject"}
    ]
    assert actions[0] == ("btn btn-success", "Approve as candidate")
    reject = dict((label, cls) for cls, label in actions)["Reject"]
    assert "btn-success" not in reject and "btn-sm" in reject


def test_waiting_for_an_answer_shows_no_empty_actions_card(brm_client, employee, make_idea):
    idea = make_idea(employee, status=S.IN_REVIEW)
    brm_client.post(f"/ideas/{idea.id}/transition/ask_info", data={"reason": "Which ERP?"})
    html = brm_client.get(f"/ideas/{idea.id}").text
    assert "data-transitions" not in html
    assert "data-waiting-for-answer" in html and "Which ERP?" in html


def test_the_question_shows_above_the_answer_box(brm_client, employee_client, employee, make_idea):
    idea = make_idea(employee, status=S.IN_REVIEW)
    brm_client.post(f"/ideas/{idea.id}/transition/ask_info", data={"reason": "Which ERP?"})
    html = employee_client.get(f"/ideas/{idea.id}").text
    question = html.index("data-question")
    assert html.index("Which ERP?", question) < html.index('id="reason-answer"')
    assert html.index('id="reason-answer"') < html.index('id="comments"')
    # Answering is the step asked for: withdrawing comes after it, apart.
    assert html.index('id="reason-answer"') < html.index("data-other-steps")
    assert html.index("data-other-steps") < html.index(">Withdraw<")


def test_a_reason_over_the_limit_is_refused_with_the_limit_and_kept(
    brm_client, employee, make_idea
):
    idea = make_idea(employee, status=S.IN_REVIEW)
    text = "Why? " * 1000 + "Why?!"  # 5,005 characters
    response = brm_client.post(f"/ideas/{idea.id}/transition/ask_info", data={"reason": text})
    assert response.status_code == 400
    assert "At most 5,000 characters; this text has 5,005." in response.text
    assert text.strip() in response.text  # kept as typed, not cut
    assert 'maxlength="5000"' not in response.text and 'data-limit="5000"' in response.text
    db.session.rollback()
    assert db.session.get(Idea, idea.id).status == IdeaStatus.IN_REVIEW
