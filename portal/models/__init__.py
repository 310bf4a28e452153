"""All models, importable from one place (Alembic sees every table through here)."""

from portal.models.audit import AuditEvent, Notification, Touchpoint, TouchpointKind
from portal.models.base import utcnow
from portal.models.estimates import (
    IMPACT_LABELS,
    ActualCost,
    Confidence,
    Estimate,
    EstimateCost,
    EstimateEffort,
    EstimateImpact,
    PoolCapacity,
    RealizedValue,
    ResourcePool,
)
from portal.models.ideas import (
    Comment,
    CommentKind,
    Follow,
    Idea,
    IdeaLink,
    IdeaStatus,
    LinkKind,
    StrategicObjective,
    Vote,
)
from portal.models.people import ApiToken, Department, Role, User
from portal.models.portfolio import Run, RunStatus, Scenario, ScenarioObjective

__all__ = [
    "IMPACT_LABELS",
    "ActualCost",
    "ApiToken",
    "AuditEvent",
    "Comment",
    "CommentKind",
    "Confidence",
    "Department",
    "Estimate",
    "EstimateCost",
    "EstimateEffort",
    "EstimateImpact",
    "Follow",
    "Idea",
    "IdeaLink",
    "IdeaStatus",
    "LinkKind",
    "Notification",
    "PoolCapacity",
    "RealizedValue",
    "ResourcePool",
    "Role",
    "Run",
    "RunStatus",
    "Scenario",
    "ScenarioObjective",
    "StrategicObjective",
    "Touchpoint",
    "TouchpointKind",
    "User",
    "Vote",
    "utcnow",
]
