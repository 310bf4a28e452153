"""Ideas and what hangs off them: objectives served, votes, comments, followers, links."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import enum_type, postgresql_only, utcnow
from portal.models.people import Department, User


class IdeaStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    NEEDS_INFO = "needs_info"
    ESTIMATED = "estimated"
    APPROVED = "approved"
    SELECTED = "selected"
    IN_DELIVERY = "in_delivery"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"
    DEFERRED = "deferred"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def explanation(self) -> str:
        """What the state means for the person who submitted the idea."""
        return STATUS_EXPLANATIONS[self]


STATUS_EXPLANATIONS = {
    IdeaStatus.DRAFT: "Only you can see it. Submit it when it is ready.",
    IdeaStatus.SUBMITTED: "Waiting for a business relationship manager to pick it up.",
    IdeaStatus.IN_REVIEW: "A business relationship manager is reviewing it.",
    IdeaStatus.NEEDS_INFO: "The reviewer asked a question: answer it to continue the review.",
    IdeaStatus.ESTIMATED: "Value and cost have been estimated; waiting for a decision.",
    IdeaStatus.APPROVED: "Approved as a candidate for the next portfolio.",
    IdeaStatus.SELECTED: "Selected in the adopted portfolio plan.",
    IdeaStatus.IN_DELIVERY: "IT is delivering it.",
    IdeaStatus.DELIVERED: "Delivered.",
    IdeaStatus.REJECTED: "Not taken forward; the reason is shown below.",
    IdeaStatus.DUPLICATE: "Merged into another idea that covers the same need.",
    IdeaStatus.WITHDRAWN: "Withdrawn by its submitter.",
    IdeaStatus.DEFERRED: "Not now: it stays a candidate for later portfolios.",
}


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    QUESTION = "question"
    ANSWER = "answer"


class LinkKind(enum.StrEnum):
    RELATED = "related"
    DUPLICATE_OF = "duplicate_of"
    REQUIRES = "requires"
    EXCLUDES = "excludes"
    TOGETHER_WITH = "together_with"

    @property
    def label(self) -> str:
        return {
            "related": "related to",
            "duplicate_of": "duplicate of",
            "requires": "requires",
            "excludes": "excludes",
            "together_with": "together with",
        }[self.value]


class StrategicObjective(db.Model):
    """A business driver; ideas are valued by their impact on the weighted objectives."""

    __tablename__ = "strategic_objectives"
    __table_args__ = (sa.CheckConstraint("weight >= 0", name="weight_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    weight: Mapped[float] = mapped_column(sa.Float, default=1.0)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


idea_objectives = sa.Table(
    "idea_objectives",
    db.metadata,
    sa.Column("idea_id", sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "objective_id",
        sa.ForeignKey("strategic_objectives.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


def _trigram_index(column: str) -> sa.Index:
    """A pg_trgm GIN index: `ILIKE '%words%'` on the column without reading every row."""
    return postgresql_only(
        sa.Index(
            f"ix_ideas_{column}_trgm",
            column,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )
    )


def idea_reference(idea_id: int) -> str:
    """How people name an idea: IDEA-12."""
    return f"IDEA-{idea_id}"


class Idea(db.Model):
    __tablename__ = "ideas"
    __table_args__ = (
        sa.Index("ix_ideas_status_department", "status", "department_id"),
        sa.Index("ix_ideas_status_submitted_at", "status", "submitted_at"),
        # The review queue's order and "overdue" filter: how long each idea has waited.
        sa.Index("ix_ideas_status_waiting_since", "status", "waiting_since"),
        # Text search (portal.ideas.service.search_query) on PostgreSQL.
        *(_trigram_index(column) for column in ("title", "problem", "proposal")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    problem: Mapped[str] = mapped_column(sa.Text)
    proposal: Mapped[str] = mapped_column(sa.Text)
    expected_benefit: Mapped[str] = mapped_column(sa.Text)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    submitter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Assigned only through portal.workflow; see DESIGN.md section 3.
    status: Mapped[IdeaStatus] = mapped_column(enum_type(IdeaStatus), default=IdeaStatus.DRAFT)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ideas.id"), index=True)
    vote_count: Mapped[int] = mapped_column(default=0, server_default="0", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    # When it came to wait for what it waits for now (review, an answer, a decision: the
    # workflow's groups); set by `workflow.apply`, None when it waits for none of them.
    # Every idea under review has one (the review queue orders and filters by it).
    waiting_since: Mapped[datetime | None]
    # The campaign it answers (None: the open stream) and its answers to the campaign's
    # extra fields, {field key: value} (portal.campaigns.rules).
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    campaign_answers: Mapped[dict | None] = mapped_column(sa.JSON)
    # The department's leader endorsed it (portal.ideas.service.endorse); None otherwise.
    endorsed_at: Mapped[datetime | None] = mapped_column(index=True)
    endorsed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    department: Mapped[Department] = relationship()
    campaign: Mapped["Campaign | None"] = relationship()  # noqa: F821
    submitter: Mapped[User] = relationship(foreign_keys=[submitter_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    endorsed_by: Mapped[User | None] = relationship(foreign_keys=[endorsed_by_id])
    merged_into: Mapped["Idea | None"] = relationship(remote_side=[id])
    objectives: Mapped[list[StrategicObjective]] = relationship(
        secondary=idea_objectives, order_by=StrategicObjective.name
    )
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="idea", order_by="Comment.created_at", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        return idea_reference(self.id)

    @hybrid_property
    def waited_since(self) -> datetime:
        """Since when it has waited (the review queue's age and "overdue", a leader's
        "waiting N days"): `waiting_since`, else its submission, else its creation."""
        return self.waiting_since or self.submitted_at or self.created_at

    @waited_since.inplace.expression
    @classmethod
    def _waited_since(cls) -> sa.ColumnElement[datetime]:
        return sa.func.coalesce(cls.waiting_since, cls.submitted_at, cls.created_at)

    def __repr__(self) -> str:
        return f"<Idea {self.id} {self.status.value}>"


# The trigram indexes need the pg_trgm extension (migration 5c1d2e3f4a5b creates it too).
sa.event.listen(
    Idea.__table__,
    "before_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class Vote(db.Model):
    __tablename__ = "votes"
    __table_args__ = (sa.UniqueConstraint("idea_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[CommentKind] = mapped_column(enum_type(CommentKind), default=CommentKind.COMMENT)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    idea: Mapped[Idea] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class Follow(db.Model):
    __tablename__ = "follows"

    idea_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaLink(db.Model):
    """A typed edge between two ideas; requires/excludes/together feed the optimizer."""

    __tablename__ = "idea_links"
    __table_args__ = (
        sa.UniqueConstraint("source_id", "target_id", "kind", name="uq_idea_links_edge"),
        sa.CheckConstraint("source_id <> target_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[LinkKind] = mapped_column(enum_type(LinkKind))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    source: Mapped[Idea] = relationship(foreign_keys=[source_id])
    target: Mapped[Idea] = relationship(foreign_keys=[target_id])
    created_by: Mapped[User | None] = relationship()
