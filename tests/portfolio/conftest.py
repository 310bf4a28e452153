"""Portfolio fixtures: pools, estimates, candidate ideas and scenarios."""

import pytest

from portal.extensions import db
from portal.models import (
    Estimate,
    EstimateCost,
    EstimateEffort,
    EstimateImpact,
    IdeaStatus,
    PoolCapacity,
    ResourcePool,
    Role,
    Scenario,
)

PERIODS = ["2027", "2028", "2029"]


@pytest.fixture
def app_config():
    """Runs solve inside the request, with a small frontier and robustness analysis."""
    return {
        "RUNS_INLINE": True,
        "PORTFOLIO_FRONTIER_POINTS": 3,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 4,
        "PORTFOLIO_EXPLAIN_SECONDS": 10,
    }


@pytest.fixture
def make_pool(app):
    def make(name: str = "Engineering", capacities: dict | None = None) -> ResourcePool:
        pool = ResourcePool(name=name, unit="FTE")
        for period, capacity in (capacities or {}).items():
            pool.capacities.append(PoolCapacity(period=period, capacity=capacity))
        db.session.add(pool)
        db.session.commit()
        return pool

    return make


@pytest.fixture
def make_estimate(app):
    """A current estimate: `impacts` {objective: 0..4}, `costs` {period: amount or (capex,
    opex)}, `efforts` {pool: {period: amount}}; earlier versions stop being current."""

    def make(idea, author, *, impacts=None, costs=None, efforts=None, **fields) -> Estimate:
        previous = db.session.scalars(
            db.select(Estimate).where(Estimate.idea_id == idea.id, Estimate.is_current)
        ).all()
        for old in previous:
            old.is_current = False
        estimate = Estimate(
            idea=idea, author=author, version=len(previous) + 1, is_current=True, **fields
        )
        for objective, impact in (impacts or {}).items():
            estimate.impacts.append(EstimateImpact(objective=objective, impact=impact))
        for period, amount in (costs or {}).items():
            capex, opex = amount if isinstance(amount, tuple) else (amount, 0.0)
            estimate.costs.append(EstimateCost(period=period, capex=capex, opex=opex))
        for pool, per in (efforts or {}).items():
            for period, amount in per.items():
                estimate.efforts.append(EstimateEffort(pool=pool, period=period, amount=amount))
        db.session.add(estimate)
        db.session.commit()
        return estimate

    return make


@pytest.fixture
def objective(make_objective):
    return make_objective("Customer", 1.0)


@pytest.fixture
def make_candidate(make_idea, make_estimate, make_user, objective):
    """An approved idea with a current estimate; `impact` on the Customer objective (value =
    25 x impact), `cost` in 2027 unless `costs` is given."""
    author = {}

    def make(
        impact: int = 2,
        cost: float = 100.0,
        *,
        status=IdeaStatus.APPROVED,
        submitter=None,
        costs=None,
        serves=True,
        **estimate_fields,
    ):
        if "brm" not in author:
            author["brm"] = make_user(Role.BRM)
        submitter = submitter or author["brm"]
        idea = make_idea(submitter, status=status)
        if serves:
            idea.objectives = [objective]
        make_estimate(
            idea,
            author["brm"],
            impacts={objective: impact},
            costs=costs if costs is not None else {"2027": cost},
            **estimate_fields,
        )
        return idea

    return make


@pytest.fixture
def make_scenario(app, pm):
    def make(owner=None, **fields) -> Scenario:
        fields.setdefault("name", "Plan 2027")
        fields.setdefault("periods", list(PERIODS))
        fields.setdefault("budget", {"2027": 250.0})
        fields.setdefault("time_limit", 20)
        scenario = Scenario(owner=owner or pm, **fields)
        db.session.add(scenario)
        db.session.commit()
        return scenario

    return make


@pytest.fixture
def search_small_problems(monkeypatch):
    """A test of the explanations' parts on a few ideas: without this they would all be
    explained at once, with the selection, by trying every selection (`verify.tiny`)."""
    from optimizer import verify

    monkeypatch.setattr(verify, "ENUMERATE_AT_MOST", 0)
