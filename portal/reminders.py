"""Reminders and digests: the scheduled nudges that keep ideas moving.

`send_reminders` (the `flask --app wsgi send-reminders` command, and RQ's cron scheduler
through `portal.worker.reminders_job`) asks every registered reminder which people must
hear of what now, tells those who have not heard of that occasion yet (in-app always,
e-mail per their preference, as any notice) and records that they did in `SentReminder`;
then it e-mails the daily and weekly digests that are due. Running it twice sends nothing
twice: each occasion has a key, and (key, person) is unique.

To add a reminder, register a function that takes the time now and yields `Reminder`s:

    @reminder("campaign_closing")
    def campaign_closing(now):
        for campaign in ...:
            yield Reminder(f"campaign-closing:{campaign.id}", people, "… closes in 3 days.")
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy.exc import IntegrityError

from portal import workflow
from portal.audit import notify
from portal.campaigns import service as campaigns
from portal.extensions import db
from portal.mail import send_after_commit
from portal.models import (
    Comment,
    CommentKind,
    Department,
    Follow,
    Frequency,
    Idea,
    NoticeKind,
    Notification,
    Role,
    SentReminder,
    User,
    utcnow,
)
from portal.templating import plural


@dataclass
class Reminder:
    """One occasion to remind `users` of: `key` names it (once per person, ever)."""

    key: str
    users: list[User]
    message: str
    idea: Idea | None = None
    kind: NoticeKind = NoticeKind.QUEUE
    link: str | None = None


REMINDERS: dict[str, Callable[[datetime], Iterable[Reminder]]] = {}


def reminder(name: str):
    """Register a function `now -> Iterable[Reminder]` that `send_reminders` calls."""

    def register(find: Callable[[datetime], Iterable[Reminder]]):
        REMINDERS[name] = find
        return find

    return register


@dataclass
class Sent:
    """What one `send_reminders` did: reminders per registered name, digests per frequency."""

    reminders: dict[str, int] = field(default_factory=dict)
    digests: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [f"{n} {name.replace('_', ' ')}" for name, n in self.reminders.items()]
        parts += [f"{n} {freq} digest(s)" for freq, n in self.digests.items()]
        return ", ".join(parts)


def _claim(key: str, user: User) -> bool:
    """Record that `user` hears of `key` now; False when they already did (even when another
    run of the command recorded it a moment ago)."""
    try:
        with db.session.begin_nested():
            db.session.add(SentReminder(key=key, user_id=user.id))
    except IntegrityError:
        return False
    return True


def _already(keys: set[str]) -> set[tuple[str, int]]:
    if not keys:
        return set()
    query = sa.select(SentReminder.key, SentReminder.user_id).where(SentReminder.key.in_(keys))
    return {(k, u) for k, u in db.session.execute(query)}


def send_reminders(now: datetime | None = None) -> Sent:
    """Send every reminder and digest that is due and not sent yet (caller commits)."""
    if not has_request_context():  # links are built as a request would (cron, a job)
        base = current_app.config["PORTAL_BASE_URL"]
        with current_app.test_request_context(base_url=base):
            return send_reminders(now)
    now = now or utcnow()
    sent = Sent()
    for name, find in REMINDERS.items():
        found = list(find(now))
        done = _already({r.key for r in found})
        count = 0
        for r in found:
            fresh = [u for u in r.users if (r.key, u.id) not in done and _claim(r.key, u)]
            if fresh:
                notify(fresh, r.message, idea=r.idea, kind=r.kind, link=r.link)
                count += len(fresh)
        sent.reminders[name] = count
    # Campaigns keep their own record of the notices they sent (opened, closing soon, decided).
    for kind, count in campaigns.send_reminders(now.date()).items():
        sent.reminders[f"campaign_{kind.replace(' ', '_')}"] = count
    if "converge_mailer" in current_app.extensions:
        for frequency in (Frequency.DAILY, Frequency.WEEKLY):
            sent.digests[frequency.value] = _send_digests(frequency, now)
    return sent


# ------------------------------------------------------------------ reminders


def _title(idea: Idea) -> str:
    return f"{idea.reference} “{idea.title}”"


@reminder("overdue_reviews")
def overdue_reviews(now: datetime) -> Iterable[Reminder]:
    """An idea waiting for review or a decision longer than REVIEW_OVERDUE_DAYS: its BRM
    (the assignee, else every BRM covering its department) hears once per such period;
    from twice the limit on, the portfolio managers too."""
    limit = current_app.config["REVIEW_OVERDUE_DAYS"]
    waiting = workflow.WAITING_FOR_REVIEW | workflow.WAITING_FOR_DECISION
    ideas = db.session.scalars(
        sa.select(Idea).where(
            Idea.status.in_(waiting), Idea.waited_since < now - timedelta(days=limit)
        )
    ).all()
    if not ideas:
        return
    managers = db.session.scalars(
        sa.select(User).where(User.role == Role.PORTFOLIO_MANAGER, User.active)
    ).all()
    brms: dict[int, list[User]] = {}
    for idea in ideas:
        days = (now - idea.waited_since).days
        stage = days // limit
        occasion = f"{idea.id}:{idea.waited_since:%Y%m%d%H%M%S}:{stage}"
        if idea.assignee is not None and idea.assignee.active:
            reviewers = [idea.assignee]
        else:
            if idea.department_id not in brms:
                department = db.session.get(Department, idea.department_id)
                brms[idea.department_id] = [u for u in department.brms if u.active]
            reviewers = brms[idea.department_id]
        message = (
            f"{_title(idea)} has waited {days} days for review "
            f"({idea.status.label.lower()}; the limit is {limit} days)."
        )
        yield Reminder(f"overdue-review:{occasion}", reviewers, message, idea)
        if stage >= 2:
            yield Reminder(f"overdue-review-escalated:{occasion}", list(managers), message, idea)


@reminder("unanswered_questions")
def unanswered_questions(now: datetime) -> Iterable[Reminder]:
    """A reviewer's question unanswered for QUESTION_REMINDER_DAYS: its submitter hears
    once per such period."""
    days = current_app.config["QUESTION_REMINDER_DAYS"]
    asked = (
        sa.select(Comment.idea_id, sa.func.max(Comment.created_at).label("asked_at"))
        .where(Comment.kind == CommentKind.QUESTION)
        .group_by(Comment.idea_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Idea, asked.c.asked_at)
        .join(asked, asked.c.idea_id == Idea.id)
        .where(
            Idea.status.in_(workflow.WAITING_FOR_ANSWER),
            asked.c.asked_at < now - timedelta(days=days),
        )
    ).all()
    for idea, asked_at in rows:
        if not idea.submitter.active:
            continue
        waited = (now - asked_at).days
        yield Reminder(
            f"unanswered-question:{idea.id}:{asked_at:%Y%m%d%H%M%S}:{waited // days}",
            [idea.submitter],
            f"The reviewer of {_title(idea)} is waiting for your answer "
            f"(asked {waited} days ago). Answer it on the idea page to move it on.",
            idea,
            kind=NoticeKind.MY_IDEAS,
        )


# ------------------------------------------------------------------- digests


def _period_key(frequency: Frequency, now: datetime) -> str:
    if frequency == Frequency.DAILY:
        return f"digest:daily:{now:%Y-%m-%d}"
    year, week, _ = now.isocalendar()
    return f"digest:weekly:{year}-W{week:02d}"


def _since(user: User, frequency: Frequency, now: datetime) -> datetime:
    last = db.session.scalar(
        sa.select(sa.func.max(SentReminder.sent_at)).where(
            SentReminder.user_id == user.id, SentReminder.key.like(f"digest:{frequency.value}:%")
        )
    )
    return last or now - timedelta(days=1 if frequency == Frequency.DAILY else 7)


def _where_things_stand(user: User, kind: NoticeKind) -> list[str]:
    """The lines of the digest's snapshot for one kind."""
    if kind == NoticeKind.MY_IDEAS:
        ideas = db.session.scalars(
            sa.select(Idea)
            .where(Idea.submitter_id == user.id, Idea.status.in_(workflow.OPEN))
            .order_by(Idea.id)
        ).all()
        return [f"{_title(i)}: {i.status.label.lower()}" for i in ideas]
    if kind == NoticeKind.FOLLOWING:
        ideas = db.session.scalars(
            sa.select(Idea)
            .join(Follow, Follow.idea_id == Idea.id)
            .where(Follow.user_id == user.id, Idea.submitter_id != user.id)
            .order_by(Idea.id)
        ).all()
        return [f"{_title(i)}: {i.status.label.lower()}" for i in ideas]
    if kind == NoticeKind.CAMPAIGNS:
        return [f"“{c.title}”: open until {c.closes_on:%d %b %Y}" for c in campaigns.open_for(user)]
    if user.role not in (Role.BRM, Role.PORTFOLIO_MANAGER):
        return []
    query = sa.select(sa.func.count(Idea.id)).where(Idea.status.in_(workflow.UNDER_REVIEW))
    if user.role == Role.BRM:
        query = query.where(Idea.department_id.in_([d.id for d in user.covered_departments]))
    waiting = db.session.scalar(query) or 0
    limit = current_app.config["REVIEW_OVERDUE_DAYS"]
    overdue = (
        db.session.scalar(query.where(Idea.waited_since < utcnow() - timedelta(days=limit))) or 0
    )
    return [f"{plural(waiting, 'idea')} under review in your queue, {overdue} of them overdue."]


def digest_body(user: User, frequency: Frequency, now: datetime) -> str | None:
    """The digest's text for `user`, or None when it would say nothing."""
    kinds = [k for k in NoticeKind if user.frequency(k) == frequency]
    if not kinds:
        return None
    since = _since(user, frequency, now)
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    sections = []
    for kind in kinds:
        news = db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.kind == kind.value,
                Notification.created_at > since,
            )
            .order_by(Notification.created_at)
        ).all()
        standing = _where_things_stand(user, kind)
        if not news and not standing:
            continue
        lines = [kind.label.upper()]
        lines += [f"- {n.message}" + (f"\n  {base}{n.link}" if n.link else "") for n in news]
        if standing:
            lines.append("Where things stand:" if news else "No news. Where things stand:")
            lines += [f"  {line}" for line in standing]
        sections.append("\n".join(lines))
    if not sections:
        return None
    account = base + url_for("account.profile")
    return (
        f"Hello {user.name},\n\nYour {frequency.value} Converge digest.\n\n"
        + "\n\n".join(sections)
        + f"\n\nChoose what reaches you by e-mail and how often: {account}\n"
    )


def _send_digests(frequency: Frequency, now: datetime) -> int:
    key = _period_key(frequency, now)
    done = {u for _, u in _already({key})}
    count = 0
    for user in db.session.scalars(sa.select(User).where(User.active).order_by(User.id)):
        if user.id in done:
            continue
        body = digest_body(user, frequency, now)
        if body is None or not _claim(key, user):
            continue
        send_after_commit(user.email, f"Converge: your {frequency.value} digest", body)
        count += 1
    return count
