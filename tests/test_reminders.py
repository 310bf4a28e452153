"""Reminders and digests: overdue reviews, unanswered questions, per-person e-mail
preferences; `send-reminders` sends nothing twice."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.background import QUEUE_NAME, reminders_cron
from portal.extensions import db
from portal.models import (
    Comment,
    CommentKind,
    Follow,
    IdeaStatus,
    Notification,
    Role,
    SentReminder,
    utcnow,
)
from portal.reminders import REMINDERS, send_reminders
from tests.review.test_notifications import Inbox, _free_port  # noqa: F401 -- the SMTP sink

S = IdeaStatus


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def app_config(request):
    config = {"REVIEW_OVERDUE_DAYS": 14, "QUESTION_REMINDER_DAYS": 5}
    if "smtp" in request.fixturenames:
        config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=request.getfixturevalue("smtp")[0].port)
    return config


def _inbox(user) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Notification.message)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


def _run(runner) -> str:
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return result.output


def test_an_overdue_review_reaches_its_brm_then_the_portfolio_managers_once(
    runner, smtp, brm, pm, employee, make_idea
):
    _, mailbox = smtp
    idea = make_idea(employee, status=S.SUBMITTED)
    idea.submitted_at = idea.waiting_since = utcnow() - timedelta(days=15)
    db.session.commit()
    assert "1 overdue reviews" in _run(runner)
    assert "1 overdue reviews" not in _run(runner)  # twice: nothing twice
    assert len(_inbox(brm)) == 1 and "has waited 15 days for review" in _inbox(brm)[0]
    assert _inbox(pm) == []
    assert [to for to, _ in mailbox.messages] == [[brm.email]]

    idea.submitted_at = idea.waiting_since = utcnow() - timedelta(days=30)  # past twice the limit
    db.session.commit()
    _run(runner)
    _run(runner)
    assert len(_inbox(brm)) == 2 and len(_inbox(pm)) == 1
    assert sorted(to[0] for to, _ in mailbox.messages) == sorted([brm.email] * 2 + [pm.email])


def test_a_review_waits_since_it_came_back_to_its_reviewer(runner, brm, employee, make_idea):
    """Submitted 30 days ago, answered yesterday: waiting for review for a day, so not
    overdue (the review queue's rule, Idea.waited_since), in reminders and the workload."""
    from portal.reports import service as reports

    idea = make_idea(employee, status=S.IN_REVIEW, assignee=brm)
    idea.submitted_at = utcnow() - timedelta(days=30)
    idea.waiting_since = utcnow() - timedelta(days=1)
    db.session.commit()
    assert "0 overdue reviews" in _run(runner)
    (row,) = reports.workload(reports.ReportFilter(), overdue_days=14).rows
    assert (row.open_reviews, row.overdue) == (1, 0)
    idea.waiting_since = utcnow() - timedelta(days=15)
    db.session.commit()
    assert "1 overdue reviews" in _run(runner)
    (row,) = reports.workload(reports.ReportFilter(), overdue_days=14).rows
    assert (row.open_reviews, row.overdue) == (1, 1)


def test_the_assignee_is_reminded_instead_of_every_brm(runner, make_user, brm, employee, make_idea):
    other = make_user(Role.BRM)
    idea = make_idea(employee, status=S.IN_REVIEW, assignee=other)
    idea.submitted_at = idea.waiting_since = utcnow() - timedelta(days=20)
    db.session.commit()
    _run(runner)
    assert len(_inbox(other)) == 1 and _inbox(brm) == []


def test_an_unanswered_question_reminds_the_submitter_once(runner, brm, employee, make_idea):
    idea = make_idea(employee, status=S.NEEDS_INFO)
    db.session.add(
        Comment(
            idea=idea,
            author=brm,
            body="Which system?",
            kind=CommentKind.QUESTION,
            created_at=utcnow() - timedelta(days=6),
        )
    )
    fresh = make_idea(employee, status=S.NEEDS_INFO)
    db.session.add(Comment(idea=fresh, author=brm, body="And?", kind=CommentKind.QUESTION))
    db.session.commit()
    _run(runner)
    _run(runner)
    assert _inbox(employee) == [
        f"The reviewer of {idea.reference} “{idea.title}” is waiting for your answer "
        "(asked 6 days ago). Answer it on the idea page to move it on."
    ]


def test_preferences_decide_the_mail_and_the_inbox_gets_everything(
    app, runner, smtp, brm, employee, make_user, make_idea
):
    _, mailbox = smtp
    employee.notice_preferences = {"my_ideas": "off"}
    fan = make_user(email="fan@converge.example", notice_preferences={"following": "weekly"})
    idea = make_idea(employee, status=S.NEEDS_INFO)
    db.session.add(Follow(idea_id=idea.id, user_id=fan.id))
    db.session.add(
        Comment(
            idea=idea,
            author=brm,
            body="?",
            kind=CommentKind.QUESTION,
            created_at=utcnow() - timedelta(days=6),
        )
    )
    db.session.commit()
    with app.test_request_context():
        from portal.audit import tell_audience

        tell_audience(idea, f"{idea.reference} moved on.")
        db.session.commit()
    _run(runner)
    assert len(_inbox(employee)) == 2  # in-app: the change and the reminder
    # No e-mail for the employee (off); the follower's news waits for the weekly digest.
    digests = [(to, body) for to, body in mailbox.messages]
    assert [to for to, _ in digests] == [[fan.email]]
    body = digests[0][1]
    assert "Your weekly Converge digest" in body and f"{idea.reference} moved on." in body
    assert "IDEAS I FOLLOW" in body and "”: needs info" in body
    _run(runner)
    assert len(mailbox.messages) == 1  # this week's digest went already
    keys = db.session.scalars(sa.select(SentReminder.key).where(SentReminder.user_id == fan.id))
    assert [k.split(":")[1] for k in keys] == ["weekly"]


def test_a_digest_with_nothing_to_say_is_not_sent(runner, smtp, employee):
    _, mailbox = smtp
    employee.notice_preferences = {"my_ideas": "daily", "following": "off", "queue": "off"}
    db.session.commit()
    _run(runner)
    assert mailbox.messages == []


def test_the_account_page_saves_the_preferences(employee_client, employee):
    page = employee_client.get("/account/").data.decode()
    assert "E-mail notifications" in page and "Weekly digest" in page
    assert "My review queue and plans" not in page  # an employee has no queue
    assert '<input type="hidden" name="queue" value="immediate">' in page
    response = employee_client.post(
        "/account/notices",
        data={"my_ideas": "daily", "following": "off", "queue": "weekly", "campaigns": "off"},
    )
    assert response.status_code == 302
    db.session.rollback()
    assert employee.notice_preferences == {
        "my_ideas": "daily",
        "following": "off",
        "queue": "weekly",
        "campaigns": "off",
    }
    page = employee_client.get("/account/").data.decode()
    assert '<option selected value="daily">' in page
    refused = employee_client.post(
        "/account/notices", data={"my_ideas": "hourly", "following": "off", "queue": "off"}
    )
    assert refused.status_code == 400 and b"Not a valid choice" in refused.data


def test_rq_cron_enqueues_the_reminders_job(app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/5"
    jobs = reminders_cron(app).get_jobs()
    assert [(j.func_name, j.queue_name, j.interval) for j in jobs] == [
        ("portal.worker.reminders_job", QUEUE_NAME, app.config["REMINDERS_EVERY_SECONDS"])
    ]


def test_the_reminders_job_sends_in_the_app(app, brm, employee, make_idea):
    from portal.worker import reminders_job

    idea = make_idea(employee, status=S.SUBMITTED)
    idea.submitted_at = idea.waiting_since = utcnow() - timedelta(days=15)
    db.session.commit()
    assert "1 overdue reviews" in reminders_job()
    assert "0 overdue reviews" in reminders_job()


def test_other_features_can_add_a_reminder(app, employee):
    from portal.reminders import Reminder, reminder

    @reminder("hello")
    def hello(now):
        yield Reminder("hello:1", [employee], "Hello.")

    try:
        assert send_reminders().reminders["hello"] == 1
        assert send_reminders().reminders["hello"] == 0
    finally:
        REMINDERS.pop("hello")


def test_only_a_signed_in_person_sets_their_own_preferences(client, client_for, make_user):
    response = client.post("/account/notices", data={"my_ideas": "off"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    for role in Role:
        user = make_user(role)
        answer = client_for(user).post(
            "/account/notices",
            data={"my_ideas": "off", "following": "off", "queue": "daily", "campaigns": "off"},
        )
        assert answer.status_code == 302
        db.session.rollback()
        assert user.frequency("queue").value == "daily"


def test_a_daily_digest_goes_once_a_day_with_the_queue_and_its_news(
    app, smtp, brm, employee, make_idea
):
    _, mailbox = smtp
    brm.notice_preferences = {"queue": "daily", "my_ideas": "off", "following": "off"}
    # Nine in the morning two days ago: an hour later is the same day, and the day after is
    # past too, whatever time the test runs at.
    now = utcnow().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=2)
    idea = make_idea(employee, status=S.SUBMITTED)
    idea.submitted_at = idea.waiting_since = now - timedelta(days=15)
    db.session.commit()
    for when in (now, now + timedelta(hours=1)):  # twice the same day: one digest
        send_reminders(when)
        db.session.commit()
    assert [to for to, _ in mailbox.messages] == [[brm.email]]  # no separate reminder letter
    body = mailbox.messages[0][1]
    assert "Your daily Converge digest" in body and "MY REVIEW QUEUE AND PLANS" in body
    assert "has waited 15 days for review" in body  # the reminder, in the digest
    assert "1 idea under review in your queue, 1 of them overdue." in body
    send_reminders(now + timedelta(days=1))
    db.session.commit()
    assert len(mailbox.messages) == 2 and "Your daily Converge digest" in mailbox.messages[1][1]
    assert "has waited 15 days" not in mailbox.messages[1][1]  # told already


def test_reviewers_choose_how_their_queue_reaches_them(client_for, brm, make_user):
    for user in (brm, make_user(Role.LEADER), make_user(Role.PORTFOLIO_MANAGER)):
        page = client_for(user).get("/account/").data.decode()
        assert (
            "My review queue and plans" in page and '<select class="form-select" id="queue"' in page
        )
