"""Campaign notices through the scheduled reminders command: opened (to the target
departments), closing soon, decided (to participants), each once, as the *Campaigns* kind
of notice, so each person's e-mail preference for it decides what reaches their mailbox."""

from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import NoticeKind, Notification, Role, utcnow
from tests.test_reminders import _inbox, _run, app_config, smtp  # noqa: F401 (fixtures)


def test_opened_reaches_the_target_departments_by_their_preferences(
    runner, smtp, make_user, make_department, department, make_campaign  # noqa: F811
):  # fmt: skip
    _, mailbox = smtp
    eager = make_user(Role.EMPLOYEE, name="Eager", email="eager@converge.example")
    quiet = make_user(
        Role.EMPLOYEE, email="quiet@converge.example", notice_preferences={"campaigns": "off"}
    )
    weekly = make_user(
        Role.EMPLOYEE, email="weekly@converge.example", notice_preferences={"campaigns": "weekly"}
    )
    outsider = make_user(Role.EMPLOYEE, dept=make_department("Legal"))
    campaign = make_campaign(departments=[department], title="Paid faster")

    output = _run(runner)
    assert "campaign opened" in output

    for person in (eager, quiet, weekly):  # everyone asked has it in the inbox
        assert [m for m in _inbox(person) if "Paid faster" in m], person.email
    assert _inbox(outsider) == []
    kinds = set(db.session.scalars(sa.select(Notification.kind)))
    assert kinds == {NoticeKind.CAMPAIGNS.value}
    mail = {to[0]: body for to, body in mailbox.messages}
    assert "Campaign “Paid faster” is open until" in mail["eager@converge.example"]
    assert "quiet@converge.example" not in mail  # campaigns: no e-mail
    digest = mail["weekly@converge.example"]  # campaigns: in the weekly digest
    assert "Your weekly Converge digest" in digest and "CAMPAIGNS" in digest
    assert "Campaign “Paid faster” is open until" in digest
    assert f"“Paid faster”: open until {campaign.closes_on:%d %b %Y}" in digest

    sent = len(mailbox.messages)
    _run(runner)
    assert len(mailbox.messages) == sent  # nothing twice


def test_closing_soon_then_decided(
    runner, pm_client, employee, make_user, make_idea, make_campaign, department
):
    bystander = make_user(Role.EMPLOYEE, dept=department)
    campaign = make_campaign(
        departments=[department], title="Paid faster", closes_on=utcnow().date() + timedelta(2)
    )
    make_idea(employee, campaign=campaign)
    assert "1 campaign closing soon" in _run(runner)
    assert any("closes on" in m for m in _inbox(bystander))

    campaign.closes_on = utcnow().date() - timedelta(days=1)
    db.session.commit()
    assert "campaign" not in _run(runner)  # closed: nothing new is due
    assert pm_client.post(f"/campaigns/{campaign.id}/state/decide").status_code == 302
    db.session.rollback()
    decided = "Campaign “Paid faster” is decided"
    assert any(m.startswith(decided) for m in _inbox(employee))  # took part
    assert not any(m.startswith(decided) for m in _inbox(bystander))  # did not
    assert "campaign decided" not in _run(runner)  # it went out when the sponsor decided


def test_a_campaign_published_ahead_opens_on_its_day(app, employee, make_campaign, department):
    from portal.campaigns import service

    campaign = make_campaign("draft", departments=[department], unpublished=False)
    assert service.send_reminders() == {}  # published, but its day has not come
    assert service.send_reminders(campaign.opens_on) == {"opened": 1}
    db.session.commit()
    assert any("is open until" in m for m in _inbox(employee))
    assert service.send_reminders(campaign.opens_on + timedelta(days=1)) == {}
