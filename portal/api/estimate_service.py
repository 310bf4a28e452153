"""Estimates through the API: read the versions, save a new one with optimistic locking.

Bridge until the review feature's estimate service (portal/review/) lands: the API routes
call only `may_read`, `may_write`, `versions`, `current` and `save_new_version`; after
the merge these should delegate to that service so the rules live in one place.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.audit import record
from portal.extensions import db
from portal.models import (
    Estimate,
    EstimateCost,
    EstimateEffort,
    EstimateImpact,
    Idea,
    IdeaStatus,
    ResourcePool,
    StrategicObjective,
    User,
)

# An idea is estimated while it is reviewed, and re-estimated while it is a candidate.
ESTIMABLE_STATES = frozenset(
    {
        IdeaStatus.IN_REVIEW,
        IdeaStatus.NEEDS_INFO,
        IdeaStatus.ESTIMATED,
        IdeaStatus.APPROVED,
        IdeaStatus.DEFERRED,
    }
)


class EstimateError(ValueError):
    """The estimate cannot be saved as asked; `fields` names bad inputs (HTTP 422)."""

    def __init__(self, message: str, status_code: int = 409, fields: dict | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.fields = fields


class StaleEstimate(EstimateError):
    """Someone saved a newer version since the caller read it (HTTP 409)."""

    def __init__(self, current: Estimate | None, base_version: int):
        version = current.version if current else 0
        who = f" by {current.author.name}" if current else ""
        super().__init__(
            f"The estimate changed{who} since you read version {base_version}: it is now at "
            f"version {version}. Read it again and re-apply your changes; nothing was saved.",
            409,
        )
        self.current_version = version


def may_read(user: User, idea: Idea) -> bool:
    """BRMs and portfolio managers read estimates; employees and admins do not."""
    return user.is_reviewer


def may_write(user: User, idea: Idea) -> bool:
    """A BRM covering the idea's department, or a portfolio manager."""
    return user.covers(idea.department_id)


def _with_parts(query: sa.Select) -> sa.Select:
    return query.options(
        selectinload(Estimate.impacts).joinedload(EstimateImpact.objective),
        selectinload(Estimate.costs),
        selectinload(Estimate.efforts).joinedload(EstimateEffort.pool),
        selectinload(Estimate.author),
    )


def versions(idea: Idea) -> list[Estimate]:
    """Every version, newest first."""
    return list(
        db.session.scalars(
            _with_parts(
                sa.select(Estimate)
                .where(Estimate.idea_id == idea.id)
                .order_by(Estimate.version.desc())
            )
        )
    )


def current(idea: Idea) -> Estimate | None:
    return db.session.scalar(
        _with_parts(sa.select(Estimate).where(Estimate.idea_id == idea.id, Estimate.is_current))
    )


def _check_references(data: dict) -> None:
    objective_ids = {i["objective_id"] for i in data["impacts"]}
    pool_ids = {e["pool_id"] for e in data["efforts"]}
    fields = {}
    if objective_ids:
        found = set(
            db.session.scalars(
                sa.select(StrategicObjective.id).where(
                    StrategicObjective.id.in_(objective_ids), StrategicObjective.active
                )
            )
        )
        if missing := sorted(objective_ids - found):
            fields["impacts"] = [f"No active strategic objective with id {i}." for i in missing]
    if pool_ids:
        found = set(
            db.session.scalars(sa.select(ResourcePool.id).where(ResourcePool.id.in_(pool_ids)))
        )
        if missing := sorted(pool_ids - found):
            fields["efforts"] = [f"No resource pool with id {i}." for i in missing]
    if fields:
        raise EstimateError("Some references do not exist.", 422, fields)


def save_new_version(author: User, idea: Idea, data: dict, base_version: int) -> Estimate:
    """Save `data` as the idea's next estimate version, when `base_version` is still current.

    No version is ever overwritten: the previous one stays, no longer current. Two
    saves racing from the same base collide on the unique (idea, version) constraint,
    and the loser gets StaleEstimate. Commits.
    """
    if not may_write(author, idea):
        raise EstimateError(
            "Only a BRM covering the idea's department or a portfolio manager may estimate it.",
            403,
        )
    if idea.status not in ESTIMABLE_STATES:
        raise EstimateError(
            f"An idea that is {idea.status.label.lower()} cannot be estimated.", 409
        )
    _check_references(data)
    previous = current(idea)
    if (previous.version if previous else 0) != base_version:
        raise StaleEstimate(previous, base_version)
    if previous is not None:
        previous.is_current = False
    estimate = Estimate(
        idea_id=idea.id,
        version=base_version + 1,
        is_current=True,
        author_id=author.id,
        value_low=data["value_low"],
        value_likely=data["value_likely"],
        value_high=data["value_high"],
        risk=data["risk"],
        confidence=data["confidence"],
        notes=data["notes"],
        impacts=[EstimateImpact(**i) for i in data["impacts"]],
        costs=[EstimateCost(**c) for c in data["costs"]],
        efforts=[EstimateEffort(**e) for e in data["efforts"]],
    )
    db.session.add(estimate)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise StaleEstimate(current(idea), base_version) from None
    record(
        author,
        "estimate_saved",
        estimate,
        idea=idea,
        before={"version": base_version} if base_version else None,
        after={"version": estimate.version, "total_cost": estimate.total_cost},
    )
    db.session.commit()
    return estimate
