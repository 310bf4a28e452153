"""Estimates: every save is a new version; a save based on an old version is refused.

Optimistic locking: the form carries the version it was based on. When the idea's
current version is newer, `save_estimate` raises `EstimateConflict` listing what changed
between the two versions, and nothing is written. Two saves racing on the same base
both pass the check, but the unique (idea_id, version) constraint lets only one commit.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal import workflow
from portal.audit import record, record_many
from portal.extensions import db
from portal.models import (
    Confidence,
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
from portal.review import rules
from portal.review.service import ReviewError
from portal.review.valuation import active_weights, strategic_value

S = IdeaStatus


class EstimateConflict(ReviewError):
    """Someone saved a newer version since the form was opened."""

    def __init__(self, current: Estimate, changes: list[str]):
        super().__init__(
            f"{current.author.name} saved version {current.version} of this estimate while you "
            "were editing. Nothing was saved. Review what changed and save again.",
            409,
        )
        self.current = current
        self.changes = changes


@dataclass
class EstimateInput:
    impacts: dict[int, int]
    value_low: float
    value_likely: float
    value_high: float
    risk: float
    confidence: Confidence
    notes: str
    costs: dict[str, tuple[float, float]]  # period -> (capex, opex)
    efforts: dict[tuple[int, str], float] = field(default_factory=dict)  # (pool, period)
    value_profile: dict[str, float] = field(default_factory=dict)  # period -> weight
    run_cost_per_year: float = 0.0
    lifetime_years: int = 0


def current_estimate(idea: Idea, *, efforts: bool = True) -> Estimate | None:
    """The idea's current estimate with its author, impacts (and their objectives), costs
    and, unless told not to (the idea page shows none), efforts."""
    parts = [
        joinedload(Estimate.author),
        joinedload(Estimate.costs),  # a few periods: joined, not a query of their own
        selectinload(Estimate.impacts).joinedload(EstimateImpact.objective),
    ]
    if efforts:
        parts.append(selectinload(Estimate.efforts))
    query = sa.select(Estimate).where(Estimate.idea_id == idea.id, Estimate.is_current)
    return db.session.execute(query.options(*parts)).unique().scalars().first()


def versions(idea: Idea) -> list[Estimate]:
    """Every version, newest first."""
    return list(
        db.session.scalars(
            sa.select(Estimate)
            .where(Estimate.idea_id == idea.id)
            .options(selectinload(Estimate.impacts), selectinload(Estimate.costs))
            .order_by(Estimate.version.desc())
        )
    )


def snapshot(estimate: Estimate | None) -> dict:
    """A plain description of an estimate version, for diffs and the audit trail."""
    if estimate is None:
        return {}
    return {
        "version": estimate.version,
        "impacts": {str(i.objective_id): i.impact for i in estimate.impacts},
        "value_low": estimate.value_low,
        "value_likely": estimate.value_likely,
        "value_high": estimate.value_high,
        "risk": estimate.risk,
        "confidence": estimate.confidence.value,
        "notes": estimate.notes,
        "costs": {c.period: [c.capex, c.opex] for c in estimate.costs},
        "efforts": {f"{e.pool_id}:{e.period}": e.amount for e in estimate.efforts},
        "value_profile": dict(estimate.value_profile or {}),
        "run_cost_per_year": estimate.run_cost_per_year or 0.0,
        "lifetime_years": estimate.lifetime_years or 0,
    }


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def describe_changes(before: dict, after: dict) -> list[str]:
    """What differs between two snapshots, in words."""
    names = dict(
        db.session.execute(sa.select(StrategicObjective.id, StrategicObjective.name)).all()
    )
    pools = dict(db.session.execute(sa.select(ResourcePool.id, ResourcePool.name)).all())
    changes = []
    labels = {
        "value_low": "Value low",
        "value_likely": "Value likely",
        "value_high": "Value high",
        "risk": "Risk",
        "confidence": "Confidence",
        "run_cost_per_year": "Run cost per year",
        "lifetime_years": "Lifetime (years)",
    }
    for key, label in labels.items():
        if before.get(key) != after.get(key):
            changes.append(f"{label}: {_fmt(before.get(key, '—'))} → {_fmt(after.get(key, '—'))}")
    b_imp, a_imp = before.get("impacts", {}), after.get("impacts", {})
    for oid in sorted(set(b_imp) | set(a_imp), key=lambda k: names.get(int(k), k)):
        old, new = b_imp.get(oid, 0), a_imp.get(oid, 0)
        if old != new:
            changes.append(
                f"Impact on {names.get(int(oid), 'objective ' + oid)}: "
                f"{rules.impact_label(old)} → {rules.impact_label(new)}"
            )
    b_cost, a_cost = before.get("costs", {}), after.get("costs", {})
    for period in sorted(set(b_cost) | set(a_cost)):
        old, new = b_cost.get(period, [0.0, 0.0]), a_cost.get(period, [0.0, 0.0])
        for k, label in ((0, "capex"), (1, "opex")):
            if old[k] != new[k]:
                changes.append(f"Cost {period} {label}: {_fmt(old[k])} → {_fmt(new[k])}")
    b_eff, a_eff = before.get("efforts", {}), after.get("efforts", {})
    for key in sorted(set(b_eff) | set(a_eff)):
        old, new = b_eff.get(key, 0.0), a_eff.get(key, 0.0)
        if old != new:
            pool_id, period = key.split(":", 1)
            changes.append(
                f"Effort {pools.get(int(pool_id), 'pool ' + pool_id)} {period}: "
                f"{_fmt(old)} → {_fmt(new)}"
            )
    b_prof, a_prof = before.get("value_profile") or {}, after.get("value_profile") or {}
    if b_prof != a_prof:
        changes.append(
            f"Value over time: {rules.format_profile(b_prof) or '—'} → "
            f"{rules.format_profile(a_prof) or '—'}"
        )
    if before.get("notes", "") != after.get("notes", ""):
        changes.append("Notes were rewritten: “" + (after.get("notes") or "") + "”")
    return changes


def _validate(data: EstimateInput, *, says_something: bool = True) -> None:
    """Refuse an input that breaks an estimate rule (portal.review.rules); `says_something`
    also refuses one with neither an impact nor a cost."""
    if not 0 <= data.risk <= 1:
        raise ReviewError("Risk is a probability between 0 and 1.", 400, "risk")
    if not 0 <= data.value_low <= data.value_likely <= data.value_high:
        raise ReviewError("The value range must satisfy 0 ≤ low ≤ likely ≤ high.", 400, "value_low")
    for impact in data.impacts.values():
        if problem := rules.impact_problem(impact):
            raise ReviewError(problem, 400, "impacts")
    if problem := rules.run_cost_problem(data.run_cost_per_year, data.lifetime_years):
        raise ReviewError(problem, 400, "run_cost_per_year")
    if problem := rules.profile_problem(data.value_profile):
        raise ReviewError(problem, 400, "value_profile")
    if any(c < 0 or o < 0 for c, o in data.costs.values()):
        raise ReviewError("Costs cannot be negative.", 400, "costs")
    if any(a < 0 for a in data.efforts.values()):
        raise ReviewError("Effort cannot be negative.", 400, "efforts")
    _check_references(data)
    if says_something and (problem := rules.empty_estimate_problem(data.impacts, data.costs)):
        raise ReviewError(problem, 400, "impacts")


def _check_references(data: EstimateInput) -> None:
    """Impacts name active objectives and efforts name pools (never a database error)."""
    wanted = set(data.impacts)
    if wanted:
        found = set(
            db.session.scalars(
                sa.select(StrategicObjective.id).where(
                    StrategicObjective.id.in_(wanted), StrategicObjective.active
                )
            )
        )
        if missing := sorted(wanted - found):
            ids = ", ".join(map(str, missing))
            raise ReviewError(f"No active strategic objective with id {ids}.", 400, "impacts")
    wanted = {pool for pool, _period in data.efforts}
    if wanted:
        found = set(
            db.session.scalars(sa.select(ResourcePool.id).where(ResourcePool.id.in_(wanted)))
        )
        if missing := sorted(wanted - found):
            ids = ", ".join(map(str, missing))
            raise ReviewError(f"No resource pool with id {ids}.", 400, "efforts")


def _version(idea: Idea, version: int, author: User, data: EstimateInput) -> Estimate:
    """A new current version of the idea's estimate (not yet added); zero amounts are left out."""
    return Estimate(
        idea_id=idea.id,
        version=version,
        is_current=True,
        author_id=author.id,
        value_low=data.value_low,
        value_likely=data.value_likely,
        value_high=data.value_high,
        risk=data.risk,
        confidence=data.confidence,
        notes=(data.notes or "").strip(),
        value_profile={p: float(w) for p, w in data.value_profile.items()},
        run_cost_per_year=float(data.run_cost_per_year),
        lifetime_years=int(data.lifetime_years),
        impacts=[EstimateImpact(objective_id=o, impact=v) for o, v in data.impacts.items()],
        costs=[
            EstimateCost(period=p, capex=c, opex=o)
            for p, (c, o) in sorted(data.costs.items())
            if c or o
        ],
        efforts=[
            EstimateEffort(pool_id=pool, period=period, amount=amount)
            for (pool, period), amount in sorted(data.efforts.items())
            if amount
        ],
    )


def _saved(estimate: Estimate, weights: dict) -> dict:
    """What the `estimate_saved` audit event says the version is."""
    after = snapshot(estimate)
    after["strategic_value"] = round(strategic_value(estimate, weights), 2)
    after["total_cost"] = estimate.total_cost
    return after


def save_estimate(
    author: User, idea: Idea, data: EstimateInput, base_version: int, *, mark_estimated=False
) -> Estimate:
    """Save a new version based on `base_version` (0 = none yet); the caller commits.

    Raises EstimateConflict when the current version is not `base_version`.
    """
    if not author.covers(idea.department_id):
        raise ReviewError("Only a reviewer covering the idea's department may estimate it.", 403)
    if idea.status not in workflow.ESTIMABLE:
        hint = " Claim it from the queue first." if idea.status == S.SUBMITTED else ""
        raise ReviewError(
            f"An idea that is {idea.status.label.lower()} cannot be estimated.{hint}", 409
        )
    _validate(data)
    current = current_estimate(idea)
    current_version = current.version if current else 0
    if base_version != current_version:
        _raise_conflict(idea, base_version, current)
    before = snapshot(current)
    if current is not None:
        current.is_current = False
    estimate = _version(idea, current_version + 1, author, data)
    db.session.add(estimate)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        _raise_conflict(idea, base_version, current_estimate(idea))
    after = _saved(estimate, active_weights())
    record(author, "estimate_saved", estimate, idea=idea, before=before or None, after=after)
    if mark_estimated and idea.status == S.IN_REVIEW:
        workflow.apply(idea, "mark_estimated", author)
    return estimate


def _raise_conflict(idea: Idea, base_version: int, current: Estimate | None):
    base = db.session.scalar(
        sa.select(Estimate).where(Estimate.idea_id == idea.id, Estimate.version == base_version)
    )
    if current is None:  # the base was deleted with its idea's history: cannot happen in use
        raise ReviewError("The estimate you edited no longer exists.", 409)
    changes = describe_changes(snapshot(base), snapshot(current))
    raise EstimateConflict(current, changes)


def save_first_estimates(author: User, entries: list[tuple[Idea, EstimateInput]]) -> None:
    """Version 1 of the estimate of each idea, none of which has one yet (caller commits).

    For bringing estimates in bulk (the CSV import's estimated costs): each input is checked as
    `save_estimate` checks it and each save writes the same `estimate_saved` audit event, with
    a few statements for the lot; the reviewer's claim is not asked for: the ideas have just
    been submitted.
    """
    if not entries:
        return
    for _idea, data in entries:
        # A row's estimate stands for the cost it states, which may be 0 or only a value
        # over time; the ideas come in submitted, never marked estimated, and a reviewer
        # estimates them (where `says_something` holds) before they can be.
        _validate(data, says_something=False)
    ids = [idea.id for idea, _data in entries]
    if db.session.scalar(sa.select(Estimate.id).where(Estimate.idea_id.in_(ids)).limit(1)):
        raise ReviewError("Some of these ideas already have an estimate.", 409)
    # Built as `save_estimate` builds a version (and audited from it), written in bulk.
    drafts = [(idea, _version(idea, 1, author, data)) for idea, data in entries]
    columns = [
        "idea_id", "version", "is_current", "author_id", "value_low", "value_likely",
        "value_high", "risk", "confidence", "notes", "value_profile", "run_cost_per_year",
        "lifetime_years",
    ]  # fmt: skip
    estimate_ids = db.session.scalars(
        sa.insert(Estimate).returning(Estimate.id, sort_by_parameter_order=True),
        [{c: getattr(draft, c) for c in columns} for _idea, draft in drafts],
    ).all()
    parts = {EstimateImpact: [], EstimateCost: [], EstimateEffort: []}
    for estimate_id, (_idea, draft) in zip(estimate_ids, drafts, strict=True):
        parts[EstimateImpact] += [
            {"estimate_id": estimate_id, "objective_id": i.objective_id, "impact": i.impact}
            for i in draft.impacts
        ]
        parts[EstimateCost] += [
            {"estimate_id": estimate_id, "period": c.period, "capex": c.capex, "opex": c.opex}
            for c in draft.costs
        ]
        parts[EstimateEffort] += [
            dict(estimate_id=estimate_id, pool_id=e.pool_id, period=e.period, amount=e.amount)
            for e in draft.efforts
        ]
    for model, rows in parts.items():
        if rows:
            db.session.execute(sa.insert(model.__table__), rows)
    weights = active_weights()
    events = [
        (author, estimate_id, idea.id, _saved(draft, weights))
        for estimate_id, (idea, draft) in zip(estimate_ids, drafts, strict=True)
    ]
    record_many("estimate_saved", Estimate.__tablename__, events)
