"""Campaigns: a sponsor's focused question to chosen departments, with its own idea fields,
dates, budget envelope, updates, and the notices sent about it."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.ideas import StrategicObjective
from portal.models.people import Department, User


class CampaignState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # published, opens on its day by itself
    OPEN = "open"
    CLOSED = "closed"
    DECIDED = "decided"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class FieldKind(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"


campaign_departments = sa.Table(
    "campaign_departments",
    db.metadata,
    sa.Column("campaign_id", sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "department_id", sa.ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    ),
)

campaign_objectives = sa.Table(
    "campaign_objectives",
    db.metadata,
    sa.Column("campaign_id", sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "objective_id",
        sa.ForeignKey("strategic_objectives.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Campaign(db.Model):
    """A question asked to target departments (none: everyone) between two dates.

    The state follows from the sponsor's actions and the dates, in `state_on` (Python) and
    `open_on` (SQL), side by side: unpublished is a draft; published, it is scheduled until
    `opens_on`, then open to `closes_on` included unless the sponsor closed it early; once
    the sponsor records the decision it is decided.
    """

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint("closes_on >= opens_on", name="closes_after_opening"),
        sa.CheckConstraint("budget_envelope IS NULL OR budget_envelope >= 0", name="envelope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    question: Mapped[str] = mapped_column(sa.Text)
    context: Mapped[str] = mapped_column(sa.Text, default="")
    sponsor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    budget_envelope: Mapped[float | None] = mapped_column(sa.Float)
    # Extra idea fields: [{"key", "label", "kind", "choices", "required"}] (campaigns.rules).
    fields: Mapped[list] = mapped_column(sa.JSON, default=list)
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sponsor: Mapped[User] = relationship()
    departments: Mapped[list[Department]] = relationship(
        secondary=campaign_departments, order_by=Department.name
    )
    objectives: Mapped[list[StrategicObjective]] = relationship(
        secondary=campaign_objectives, order_by=StrategicObjective.name
    )
    updates: Mapped[list["CampaignUpdate"]] = relationship(
        order_by="CampaignUpdate.created_at.desc()", cascade="all, delete-orphan"
    )

    def state_on(self, day: date) -> CampaignState:
        if self.decided_at is not None:
            return CampaignState.DECIDED
        if self.published_at is None:
            return CampaignState.DRAFT
        if day < self.opens_on:
            return CampaignState.SCHEDULED
        if self.closed_at is not None or day > self.closes_on:
            return CampaignState.CLOSED
        return CampaignState.OPEN

    @classmethod
    def open_on(cls, day: date):
        """SQL: the campaigns whose `state_on(day)` is open."""
        return sa.and_(
            cls.published_at.is_not(None),
            cls.closed_at.is_(None),
            cls.decided_at.is_(None),
            cls.opens_on <= day,
            cls.closes_on >= day,
        )

    def targets(self, department_id: int) -> bool:
        """Whether people of the department are asked (no target departments: everyone)."""
        return not self.departments or any(d.id == department_id for d in self.departments)

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.title!r}>"


class CampaignUpdate(db.Model):
    """A note the sponsor posts on the campaign page."""

    __tablename__ = "campaign_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()


class CampaignNotice(db.Model):
    """That a campaign's notice of a kind (opened, closing soon, decided) went out: each
    goes out once, however often the reminders command runs."""

    __tablename__ = "campaign_notices"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
