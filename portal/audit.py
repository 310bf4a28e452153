"""Writing the audit trail and telling people what happened."""

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app, url_for

from portal.extensions import db
from portal.models import AuditEvent, Follow, Idea, Notification, User


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


def notify(users: Iterable[User], message: str, *, idea: Idea | None = None) -> None:
    """Put a notification in each user's inbox; e-mail it too when SMTP is configured."""
    link = url_for("ideas.detail", idea_id=idea.id) if idea is not None else None
    recipients = list(users)
    for user in recipients:
        db.session.add(
            Notification(
                user_id=user.id, idea_id=idea.id if idea else None, message=message, link=link
            )
        )
    sender = current_app.extensions.get("converge_mailer")
    if sender is not None and recipients:
        sender.send([u.email for u in recipients], message, link)
