"""The audit trail, BRM touchpoints, and each user's notification inbox."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import enum_type, utcnow
from portal.models.ideas import Idea
from portal.models.people import Department, NoticeKind, User


class AuditEvent(db.Model):
    """Who changed what and when; every status change and estimate edit writes one."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    # None when the event concerns no stored row (a refused single sign-on of nobody known).
    object_id: Mapped[int | None]
    idea_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True
    )
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


class TouchpointKind(enum.StrEnum):
    MEETING = "meeting"
    WORKSHOP = "workshop"
    CALL = "call"
    EMAIL = "email"


touchpoint_ideas = sa.Table(
    "touchpoint_ideas",
    db.metadata,
    sa.Column(
        "touchpoint_id", sa.ForeignKey("touchpoints.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("idea_id", sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
)


class Touchpoint(db.Model):
    """A BRM's contact with a department's leader."""

    __tablename__ = "touchpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    brm_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    held_on: Mapped[date]
    kind: Mapped[TouchpointKind] = mapped_column(enum_type(TouchpointKind))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    brm: Mapped[User] = relationship()
    department: Mapped[Department] = relationship()
    ideas: Mapped[list[Idea]] = relationship(secondary=touchpoint_ideas)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    idea_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(300))
    # What it is about (a NoticeKind): decides whether it is e-mailed at once, in a digest
    # or not at all (the person's preferences); the inbox shows every kind.
    kind: Mapped[str] = mapped_column(
        sa.String(20), default=NoticeKind.MY_IDEAS.value, server_default=NoticeKind.MY_IDEAS.value
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]

    idea: Mapped[Idea | None] = relationship()

    @classmethod
    def badge_count(cls, user_id, seen_at) -> sa.Select:
        """SQL: the inbox badge's number: unread notifications that came since the inbox was
        last opened. `user_id` and `seen_at` are values or columns (a correlated subquery)."""
        query = sa.select(sa.func.count(cls.id)).where(
            cls.user_id == user_id, cls.read_at.is_(None)
        )
        if isinstance(seen_at, datetime):
            query = query.where(cls.created_at > seen_at)
        elif seen_at is not None:  # a column
            query = query.where(sa.or_(seen_at.is_(None), cls.created_at > seen_at))
        return query


class SentReminder(db.Model):
    """A reminder or digest that went to one person, so that it never goes twice.

    `key` names the occasion (e.g. `overdue-review:12:2` for the second overdue period of
    idea 12, `digest:weekly:2026-W49`); the unique (key, user) pair is what makes
    `send-reminders` safe to run as often as anyone likes, even twice at once.
    """

    __tablename__ = "sent_reminders"
    __table_args__ = (sa.UniqueConstraint("key", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
