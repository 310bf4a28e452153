"""Strategic objectives and their weights, and resource pools (portfolio manager only).

Weights are stored on the objectives alone; estimates keep impacts, so changing a weight
never rewrites an estimate: values are recomputed from the impacts when read.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.audit import record
from portal.extensions import db
from portal.models import (
    PERIOD_HELP,
    PoolCapacity,
    ResourcePool,
    Role,
    StrategicObjective,
    User,
    is_period,
)
from portal.review import rules
from portal.review.service import ReviewError
from portal.strategy import ahp


def _require_pm(user: User) -> None:
    if user.role != Role.PORTFOLIO_MANAGER:
        raise ReviewError("Only a portfolio manager manages objectives and pools.", 403)


def all_objectives() -> list[StrategicObjective]:
    return list(
        db.session.scalars(
            sa.select(StrategicObjective).order_by(
                StrategicObjective.active.desc(), StrategicObjective.name
            )
        )
    )


def active_objectives() -> list[StrategicObjective]:
    return list(
        db.session.scalars(
            sa.select(StrategicObjective)
            .where(StrategicObjective.active)
            .order_by(StrategicObjective.name)
        )
    )


def _unique_name(model, name: str, current_id: int | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ReviewError("A name is required.", 400, "name")
    clash = db.session.scalar(
        sa.select(model.id).where(
            sa.func.lower(model.name) == name.lower(), model.id != (current_id or -1)
        )
    )
    if clash is not None:
        raise ReviewError(f"“{name}” already exists; choose another name.", 409, "name")
    return name


def save_objective(
    user: User, objective: StrategicObjective | None, name: str, description: str, weight: float
) -> StrategicObjective:
    """Create or edit an objective (caller commits)."""
    _require_pm(user)
    if problem := rules.weight_problem(weight):
        raise ReviewError(problem, 400, "weight")
    name = _unique_name(StrategicObjective, name, objective.id if objective else None)
    before = None
    if objective is None:
        objective = StrategicObjective(name=name, description=description or "", weight=weight)
        db.session.add(objective)
        db.session.flush()
        action = "objective_created"
    else:
        before = {
            "name": objective.name,
            "description": objective.description,
            "weight": objective.weight,
        }
        objective.name, objective.description, objective.weight = name, description or "", weight
        action = "objective_updated"
    record(
        user,
        action,
        objective,
        before=before,
        after={"name": name, "description": objective.description, "weight": weight},
    )
    return objective


def set_active(user: User, objective: StrategicObjective, active: bool) -> None:
    """Retire an objective (it stops counting in values) or bring it back."""
    _require_pm(user)
    if objective.active == active:
        return
    objective.active = active
    record(
        user,
        "objective_retired" if not active else "objective_reinstated",
        objective,
        before={"active": not active},
        after={"active": active},
    )


def set_weights(
    user: User, weights: dict[int, float], method: str, detail: dict | None = None
) -> None:
    """Set the weights of several objectives at once (direct entry or AHP)."""
    _require_pm(user)
    objectives = {o.id: o for o in active_objectives()}
    unknown = set(weights) - set(objectives)
    if unknown:
        raise ReviewError("Only active objectives can be weighted.", 400)
    for weight in weights.values():
        if problem := rules.weight_problem(weight):
            raise ReviewError(problem, 400)
    if weights and sum(weights.values()) <= 0:
        raise ReviewError("At least one weight must be above 0.", 400)
    before = {str(i): objectives[i].weight for i in weights}
    for oid, weight in weights.items():
        objectives[oid].weight = float(weight)
    for oid in weights:
        record(
            user,
            "objective_weight",
            objectives[oid],
            before={"weight": before[str(oid)]},
            after={"weight": float(weights[oid]), "method": method, **(detail or {})},
        )


def pairwise_defaults(objectives: list[StrategicObjective]) -> dict[tuple[int, int], float]:
    """Start the comparison from the current weights, rounded to Saaty's scale."""
    out = {}
    for i, a in enumerate(objectives):
        for j in range(i + 1, len(objectives)):
            b = objectives[j]
            ratio = (a.weight or 0.01) / (b.weight or 0.01)
            out[(i, j)] = ahp.nearest_judgement(ratio)
    return out


def apply_ahp(user: User, objectives: list[StrategicObjective], upper: dict) -> ahp.AhpResult:
    """Compute AHP weights from the judgements and store them (caller commits)."""
    result = ahp.weights(ahp.from_upper(len(objectives), upper))
    set_weights(
        user,
        {o.id: round(w, 4) for o, w in zip(objectives, result.weights, strict=True)},
        "ahp",
        {"consistency_ratio": round(result.consistency_ratio, 4)},
    )
    return result


# ------------------------------------------------------------------ resource pools


def all_pools() -> list[ResourcePool]:
    return list(
        db.session.scalars(
            sa.select(ResourcePool)
            .options(selectinload(ResourcePool.capacities))
            .order_by(ResourcePool.name)
        )
    )


def pool_periods() -> list[str]:
    """Every period some pool has a capacity for, in order."""
    return list(db.session.scalars(sa.select(PoolCapacity.period).distinct().order_by("period")))


def save_pool(
    user: User, pool: ResourcePool | None, name: str, unit: str, capacities: dict[str, float]
) -> ResourcePool:
    """Create or edit a pool and its capacity per period (caller commits)."""
    _require_pm(user)
    name = _unique_name(ResourcePool, name, pool.id if pool else None)
    unit = (unit or "").strip()
    if not unit:
        raise ReviewError("Say what the capacity is counted in (e.g. FTE, days).", 400, "unit")
    for period, capacity in capacities.items():
        if not period.strip():
            raise ReviewError("Every capacity needs a period.", 400, "capacities")
        if not is_period(period):
            raise ReviewError(f"'{period}' is not a period: use {PERIOD_HELP}.", 400, "capacities")
        if capacity is None or capacity < 0:
            raise ReviewError(f"The capacity for {period} must be 0 or more.", 400, "capacities")
    before = None
    if pool is None:
        pool = ResourcePool(name=name, unit=unit)
        db.session.add(pool)
    else:
        before = {
            "name": pool.name,
            "unit": pool.unit,
            "capacity": {c.period: c.capacity for c in pool.capacities},
        }
        pool.name, pool.unit = name, unit
    existing = {c.period: c for c in pool.capacities}
    for period, row in existing.items():
        if period not in capacities:
            pool.capacities.remove(row)
    for period, capacity in capacities.items():
        if period in existing:
            existing[period].capacity = capacity
        else:
            pool.capacities.append(PoolCapacity(period=period.strip(), capacity=capacity))
    db.session.flush()
    record(
        user,
        "pool_saved",
        pool,
        before=before,
        after={"name": name, "unit": unit, "capacity": capacities},
    )
    return pool
