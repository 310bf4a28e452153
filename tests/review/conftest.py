"""Factories for the review tests: estimates, pools, a second department and its BRM."""

import pytest

from portal.extensions import db
from portal.models import (
    Confidence,
    Estimate,
    EstimateCost,
    EstimateImpact,
    PoolCapacity,
    ResourcePool,
    Role,
)


@pytest.fixture
def make_estimate(app):
    def make(idea, author, impacts=None, version=1, **fields):
        estimate = Estimate(
            idea_id=idea.id,
            version=version,
            is_current=True,
            author_id=author.id,
            confidence=fields.pop("confidence", Confidence.MEDIUM),
            **fields,
        )
        for objective, impact in (impacts or {}).items():
            estimate.impacts.append(EstimateImpact(objective_id=objective.id, impact=impact))
        estimate.costs.append(EstimateCost(period="2027", capex=1000.0, opex=100.0))
        db.session.add(estimate)
        db.session.commit()
        return estimate

    return make


@pytest.fixture
def make_pool(app):
    def make(name="Engineering", unit="FTE", capacity=None):
        pool = ResourcePool(name=name, unit=unit)
        for period, amount in (capacity or {"2027": 10.0}).items():
            pool.capacities.append(PoolCapacity(period=period, capacity=amount))
        db.session.add(pool)
        db.session.commit()
        return pool

    return make


@pytest.fixture
def other_department(make_department):
    return make_department("Logistics", leader_name="Lou Leader")


@pytest.fixture
def other_brm(make_user, other_department):
    return make_user(
        Role.BRM, dept=other_department, name="Olga Other", email="olga@converge.example"
    )
