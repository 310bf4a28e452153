"""Writing the audit trail and telling people what happened.

Telling is a signal: `notify` sends `people_told`; `_write_inbox` (here) puts the message
in each inbox in the same transaction, and `portal.mail` queues the e-mail, which goes out
only after the transaction commits.
"""

from collections.abc import Iterable

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app, url_for

from portal.extensions import db
from portal.models import AuditEvent, Follow, Idea, NoticeKind, Notification, Role, User
from portal.models.people import department_leaders


def record(
    actor: User | None,
    action: str,
    obj,
    *,
    idea: Idea | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Add an audit event for `obj` to the session (the caller commits)."""
    if obj.id is None:
        db.session.flush()
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        idea_id=idea.id if idea else None,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


def record_about_nobody(action: str, object_type: str, *, after: dict) -> AuditEvent:
    """Add an audit event that concerns no stored row, such as a refused single sign-on of
    someone without an account (the caller commits)."""
    event = AuditEvent(actor_id=None, action=action, object_type=object_type, after=after)
    db.session.add(event)
    return event


def record_many(action: str, object_type: str, events: list[tuple]) -> None:
    """Add one audit event per (actor, object id, idea id, after) at once, as `record` adds
    each (the caller commits); for bulk operations, with one statement for the lot."""
    if events:
        db.session.execute(
            sa.insert(AuditEvent),
            [
                {"actor_id": actor.id if actor else None, "action": action,
                 "object_type": object_type, "object_id": object_id, "idea_id": idea_id,
                 "before": None, "after": after}
                for actor, object_id, idea_id, after in events
            ],
        )  # fmt: skip


def idea_audience(idea: Idea, *, exclude: User | None = None) -> list[User]:
    """The submitter and everyone following the idea, without the one who acted."""
    follower_ids = db.session.scalars(
        db.select(Follow.user_id).where(Follow.idea_id == idea.id)
    ).all()
    ids = {idea.submitter_id, *follower_ids}
    if exclude is not None:
        ids.discard(exclude.id)
    if not ids:
        return []
    return list(db.session.scalars(db.select(User).where(User.id.in_(ids), User.active)))


def department_leader(department_id: int, *, exclude: User | None = None) -> list[User]:
    """The department's leader account (an active user with the leader role), as a list of
    none or one, without the one who acted."""
    query = (
        db.select(User)
        .join(department_leaders, department_leaders.c.user_id == User.id)
        .where(
            department_leaders.c.department_id == department_id,
            User.active,
            User.role == Role.LEADER,
        )
    )
    if exclude is not None:
        query = query.where(User.id != exclude.id)
    return list(db.session.scalars(query))


signals = Namespace()

people_told = signals.signal("people-told")
"""Someone must hear of something. Sent by `notify` with the app as sender and keyword
arguments users (list of User), message (str), idea (Idea or None), link (the idea page's
path or None) and kind (a NoticeKind: which e-mail preference applies)."""


def notify(
    users: Iterable[User],
    message: str,
    *,
    idea: Idea | None = None,
    kind: NoticeKind = NoticeKind.MY_IDEAS,
    link: str | None = None,
) -> None:
    """Tell `users` `message` about `idea`: in their inbox, and by e-mail after commit when
    SMTP is configured and their preference for `kind` is immediate (the caller commits).
    `link` (a path) defaults to the idea's page."""
    if link is None and idea is not None:
        link = url_for("ideas.detail", idea_id=idea.id)
    people_told.send(
        current_app._get_current_object(),
        users=list(users),
        message=message,
        idea=idea,
        link=link,
        kind=NoticeKind(kind),
    )


def tell_audience(idea: Idea, message: str, *, exclude: User | None = None) -> None:
    """Tell the idea's submitter (about *my ideas*) and followers (about *ideas I follow*)."""
    tell_audiences([idea], {idea.id: message}, exclude=exclude)


def tell_audiences(
    ideas: list[Idea], messages: dict[int, str], *, exclude: User | None = None
) -> None:
    """`tell_audience` for many ideas with two queries for all of them (caller commits)."""
    if not ideas:
        return
    ids = [i.id for i in ideas]
    follows: dict[int, set[int]] = {}
    for idea_id, user_id in db.session.execute(
        db.select(Follow.idea_id, Follow.user_id).where(Follow.idea_id.in_(ids))
    ):
        follows.setdefault(idea_id, set()).add(user_id)
    wanted = {i.submitter_id for i in ideas} | {u for f in follows.values() for u in f}
    wanted.discard(exclude.id if exclude is not None else None)
    users = {
        u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(wanted), User.active))
    }
    for idea in ideas:
        submitter = users.get(idea.submitter_id)
        if submitter is not None:
            notify([submitter], messages[idea.id], idea=idea, kind=NoticeKind.MY_IDEAS)
        followers = [
            users[u]
            for u in sorted(follows.get(idea.id, ()))
            if u in users and u != idea.submitter_id
        ]
        if followers:
            notify(followers, messages[idea.id], idea=idea, kind=NoticeKind.FOLLOWING)


@people_told.connect
def _write_inbox(
    app, *, users: list[User], message: str, idea: Idea | None, link: str | None, kind: str
):
    """Put the message in each user's inbox, in the caller's transaction."""
    for user in users:
        db.session.add(
            Notification(
                user_id=user.id,
                idea_id=idea.id if idea else None,
                message=message,
                link=link,
                kind=NoticeKind(kind).value,
            )
        )
