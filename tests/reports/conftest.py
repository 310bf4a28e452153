"""Fixtures for dashboards and delivery: estimates, status history, adopted runs."""

from datetime import datetime

import pytest

from portal.extensions import db
from portal.models import (
    ActualCost,
    AuditEvent,
    Estimate,
    EstimateCost,
    EstimateImpact,
    RealizedValue,
    Run,
    RunStatus,
    Scenario,
)


@pytest.fixture
def make_estimate(app):
    def make(idea, author, impacts=None, costs=None, likely=1.0, version=1):
        estimate = Estimate(
            idea_id=idea.id,
            author_id=author.id,
            version=version,
            is_current=True,
            value_low=min(likely, 1.0) * 0.5,
            value_likely=likely,
            value_high=max(likely, 1.0) * 1.5,
            impacts=[
                EstimateImpact(objective_id=o.id, impact=v) for o, v in (impacts or {}).items()
            ],
            costs=[EstimateCost(period=p, capex=c[0], opex=c[1]) for p, c in (costs or {}).items()],
        )
        db.session.add(estimate)
        db.session.commit()
        return estimate

    return make


@pytest.fixture
def status_event(app):
    """Write a status change into the audit trail as the workflow would have."""

    def make(idea, actor, before, after, at: datetime, transition: str | None = None):
        event = AuditEvent(
            actor_id=actor.id if actor else None,
            action="status_change",
            object_type="ideas",
            object_id=idea.id,
            idea_id=idea.id,
            before={"status": str(before)},
            after={"status": str(after), "transition": transition, "reason": None},
            created_at=at,
        )
        db.session.add(event)
        db.session.commit()
        return event

    return make


@pytest.fixture
def actual_cost(app):
    def make(idea, user, period, capex, opex=0.0, at: datetime | None = None):
        record = ActualCost(
            idea_id=idea.id, period=period, capex=capex, opex=opex, recorded_by_id=user.id
        )
        if at is not None:
            record.recorded_at = at
        db.session.add(record)
        db.session.commit()
        return record

    return make


@pytest.fixture
def realized(app):
    def make(idea, user, value, as_of, note=""):
        record = RealizedValue(
            idea_id=idea.id, value=value, as_of=as_of, note=note, recorded_by_id=user.id
        )
        db.session.add(record)
        db.session.commit()
        return record

    return make


@pytest.fixture
def make_run(app):
    def make(owner, selected, *, periods, budget, adopted_at=None, number=1, name="Plan"):
        scenario = Scenario(name=name, owner_id=owner.id, periods=periods, budget=budget)
        db.session.add(scenario)
        db.session.flush()
        run = Run(
            scenario_id=scenario.id,
            number=number,
            status=RunStatus.DONE,
            problem={"schema": "converge.problem/1", "periods": periods},
            result={
                "status": "optimal",
                "selected": [{"id": f"IDEA-{i.id}", "start": s} for i, s in selected],
                "spend": {},
            },
            created_by_id=owner.id,
            adopted_at=adopted_at,
            adopted_by_id=owner.id if adopted_at else None,
        )
        db.session.add(run)
        db.session.commit()
        return run

    return make
