"""How long an idea under review has waited: the one rule of the review queue (its age,
"overdue" and the overdue filter) and the department leader's page (waiting N days).

An idea under review waits for one thing at a time: review (submitted, in review), an
answer from its submitter (needs info) or a decision (estimated), the workflow's groups.
It waits since it last came to wait for that: its latest status change from a state
outside its current group, else its submission. So a BRM claiming a submitted idea does
not restart its wait for review, while the submitter's answer does: from then on the
idea waits for the reviewer again, and the time it spent with its submitter is not the
reviewer's.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal import workflow
from portal.extensions import db
from portal.models import AuditEvent, Idea

WAITS = (workflow.WAITING_FOR_REVIEW, workflow.WAITING_FOR_ANSWER, workflow.WAITING_FOR_DECISION)


def waiting_since_column() -> sa.ColumnElement[datetime]:
    """SQL, per idea (correlated with `Idea`): when it started waiting for what it waits
    for now."""
    came_from = sa.func.coalesce(AuditEvent.before["status"].as_string(), "")
    came_in = sa.or_(
        *(
            sa.and_(Idea.status.in_(group), came_from.not_in([s.value for s in group]))
            for group in WAITS
        )
    )
    latest = (
        sa.select(sa.func.max(AuditEvent.created_at))
        .where(AuditEvent.idea_id == Idea.id, AuditEvent.action == "status_change", came_in)
        .scalar_subquery()
    )
    return sa.func.coalesce(latest, Idea.submitted_at, Idea.created_at)


@dataclass(frozen=True)
class Wait:
    since: datetime
    days: int  # whole days waited by the time asked


def waits(idea_ids: Iterable[int], now: datetime) -> dict[int, Wait]:
    """{idea id: its wait by `now`} for the given ideas, in one statement."""
    ids = list(idea_ids)
    if not ids:
        return {}
    query = sa.select(Idea.id, waiting_since_column()).where(Idea.id.in_(ids))
    return {
        idea_id: Wait(since, max(0, (now - since).days))
        for idea_id, since in db.session.execute(query)
    }
