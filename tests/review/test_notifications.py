"""State changes and BRM questions reach the submitter and followers, in-app and by e-mail."""

import email
import email.policy
import os
import socket
import time

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
def extra_config():
    """More configuration for a test of this module (override with parametrize)."""
    return {}


@pytest.fixture
def app_config(request, extra_config):
    if "smtp" in request.fixturenames:
        controller = request.getfixturevalue("smtp")[0]
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port, **extra_config}
    return extra_config


def test_question_and_decision_notify_and_mail(smtp, brm_client, employee, make_user, make_idea):
    _, inbox = smtp
    follower = make_user(email="fan@converge.example")
    quiet = make_user(email="quiet@converge.example")  # follows with the default: a digest
    follower.notice_preferences = {"following": "immediate"}
    idea = make_idea(employee, status=S.IN_REVIEW)
    db.session.add(Follow(idea_id=idea.id, user_id=follower.id))
    db.session.add(Follow(idea_id=idea.id, user_id=quiet.id))
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
    assert recipients == ["erin@converge.example", "fan@converge.example"]  # not quiet@
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


def test_a_rolled_back_change_sends_no_mail(smtp, app, brm, employee, make_idea):
    from portal import workflow

    _, inbox = smtp
    idea = make_idea(employee, status=S.IN_REVIEW)
    with app.test_request_context():
        workflow.apply(idea, "reject", brm, "Out of scope.")
        db.session.flush()
        db.session.rollback()
    assert inbox.messages == []
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    # The next commit does not send what was rolled back either.
    db.session.commit()
    assert inbox.messages == []


def test_mail_goes_only_after_the_commit(smtp, app, brm, employee, make_idea):
    from portal import workflow

    _, inbox = smtp
    idea = make_idea(employee, status=S.IN_REVIEW)
    with app.test_request_context():
        workflow.apply(idea, "reject", brm, "Out of scope.")
        db.session.flush()
        assert inbox.messages == []  # the in-app notification is written, the mail waits
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1
        db.session.commit()
    assert [rcpts for rcpts, _ in inbox.messages] == [["erin@converge.example"]]


def test_a_savepoint_does_not_send_the_mail(smtp, app, brm, employee, make_idea):
    from portal import workflow

    _, inbox = smtp
    idea = make_idea(employee, status=S.IN_REVIEW)
    with app.test_request_context():
        workflow.apply(idea, "reject", brm, "Out of scope.")
        with db.session.begin_nested():
            pass
        assert inbox.messages == []
        db.session.commit()
    assert len(inbox.messages) == 1


@pytest.mark.parametrize("extra_config", [{"PORTAL_BASE_URL": "https://portal.example.org/"}])
def test_links_in_mail_use_the_configured_base_url(smtp, brm_client, employee, make_idea):
    _, inbox = smtp
    idea = make_idea(employee, status=S.IN_REVIEW)
    brm_client.post(f"/ideas/{idea.id}/transition/reject", data={"reason": "Out of scope."})
    body = inbox.messages[0][1]
    assert f"https://portal.example.org/ideas/{idea.id}" in body
    assert "//converge.example" not in body  # the host the request came in on


def _wait_for(inbox, count: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize("extra_config", [{"MAIL_SEND_INLINE": False}])
def test_mail_goes_from_a_background_thread(smtp, brm_client, employee, make_idea):
    _, inbox = smtp
    idea = make_idea(employee, status=S.IN_REVIEW)
    brm_client.post(f"/ideas/{idea.id}/transition/reject", data={"reason": "Out of scope."})
    _wait_for(inbox, 1)
    assert [rcpts for rcpts, _ in inbox.messages] == [["erin@converge.example"]]


REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="PORTAL_TEST_REDIS_URL is not set")
@pytest.mark.parametrize("extra_config", [{"MAIL_SEND_INLINE": False, "REDIS_URL": REDIS_URL}])
def test_mail_goes_through_an_rq_worker(smtp, app, brm_client, employee, make_idea):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from portal import background

    _, inbox = smtp
    connection = Redis.from_url(REDIS_URL)
    queue = Queue(background.QUEUE_NAME, connection=connection)
    queue.empty()
    try:
        idea = make_idea(employee, status=S.IN_REVIEW)
        brm_client.post(f"/ideas/{idea.id}/transition/reject", data={"reason": "Out of scope."})
        assert queue.count == 1 and inbox.messages == []
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert [rcpts for rcpts, _ in inbox.messages] == [["erin@converge.example"]]
        assert "was not taken forward: Out of scope." in inbox.messages[0][1]
    finally:
        queue.empty()


def test_department_leader_is_mailed_of_touchpoints_and_outcomes(
    smtp, brm_client, brm, employee, make_user, make_idea, department
):
    from datetime import date

    from portal.models import Role

    _, inbox = smtp
    leader = make_user(Role.LEADER, email="lead@converge.example")
    department.leader = leader
    db.session.commit()
    brm_client.post(
        f"/review/departments/{department.id}",
        data={"held_on": date.today().isoformat(), "kind": "meeting", "notes": "Plans for 2027."},
    )
    idea = make_idea(employee, status=S.IN_REVIEW, assignee=brm)
    brm_client.post(f"/ideas/{idea.id}/transition/reject", data={"reason": "Out of scope."})
    to_leader = [body for rcpts, body in inbox.messages if "lead@converge.example" in rcpts]
    assert len(to_leader) == 2
    assert "Plans for 2027." in to_leader[0] and "/leader/" in to_leader[0]
    assert "Out of scope." in to_leader[1] and f"/ideas/{idea.id}" in to_leader[1]
