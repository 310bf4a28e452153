"""State changes and BRM questions reach the submitter and followers, in-app and by e-mail."""

import email
import email.policy
import socket

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from portal.extensions import db
from portal.models import Follow, IdeaStatus, Notification

S = IdeaStatus


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message.get_content()))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def app_config(request):
    if "smtp" in request.fixturenames:
        controller = request.getfixturevalue("smtp")[0]
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port}
    return {}


def test_question_and_decision_notify_and_mail(smtp, brm_client, employee, make_user, make_idea):
    _, inbox = smtp
    follower = make_user(email="fan@converge.example")
    idea = make_idea(employee, status=S.IN_REVIEW)
    db.session.add(Follow(idea_id=idea.id, user_id=follower.id))
    db.session.commit()

    brm_client.post(
        f"/ideas/{idea.id}/transition/ask_info", data={"reason": "Which system do you use today?"}
    )
    brm_client.post(f"/ideas/{idea.id}/transition/reject", data={"reason": "ignored: wrong state"})
    messages = db.session.scalars(
        sa.select(Notification.message).where(Notification.user_id == employee.id)
    ).all()
    assert messages == [
        f"The reviewer of {idea.reference} “{idea.title}” asked: Which system do you use today?"
    ]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == follower.id)
        )
        == 1
    )
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["erin@converge.example", "fan@converge.example"]
    assert "Which system do you use today?" in inbox.messages[0][1]
    assert f"/ideas/{idea.id}" in inbox.messages[0][1]


def test_merge_tells_everyone_by_mail(smtp, brm_client, employee, make_user, make_idea):
    _, inbox = smtp
    other = make_user(email="other@converge.example")
    survivor = make_idea(other, status=S.IN_REVIEW)
    duplicate = make_idea(employee, status=S.SUBMITTED)
    brm_client.post(f"/review/ideas/{duplicate.id}/merge", data={"target": survivor.reference})
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["erin@converge.example", "other@converge.example"]
    assert all("was merged into" in body for _, body in inbox.messages)


def test_no_mail_without_smtp(brm_client, employee, make_idea):
    idea = make_idea(employee, status=S.IN_REVIEW)
    brm_client.post(f"/ideas/{idea.id}/transition/reject", data={"reason": "Out of scope."})
    inbox = brm_client.application.extensions.get("converge_mailer")
    assert inbox is None
    badge = brm_client.get("/").get_data(as_text=True)
    assert "data-unread" not in badge  # the BRM acted; only the submitter is told
    assert db.session.scalar(
        sa.select(Notification.message).where(Notification.user_id == employee.id)
    ).endswith("was not taken forward: Out of scope.")
