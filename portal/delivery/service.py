"""Recording delivery: status changes through the workflow, actual costs, realized value.

Several records are kept over time: for actual costs the latest record of a period counts,
for realized value the latest measurement (by date) counts; earlier ones stay as history.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from portal import workflow
from portal.audit import record, tell_audience
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import parse_amount
from portal.models import (
    PERIOD_HELP,
    ActualCost,
    Idea,
    IdeaStatus,
    RealizedValue,
    User,
    is_period,
)
from portal.reports import service as numbers
from portal.review.valuation import active_weights

DELIVERY_TRANSITIONS = ("start_delivery", "deliver")


class DeliveryError(PortalError):
    """Refused; the message is for the user, `status_code` maps to HTTP."""


def can_record(user: User, idea: Idea) -> bool:
    """Portfolio managers, and BRMs covering the idea's department."""
    return user.is_authenticated and user.covers(idea.department_id)


def _authorize(user: User, idea: Idea) -> None:
    if not can_record(user, idea):
        raise DeliveryError(
            "Only a portfolio manager or a BRM covering the department records delivery.", 403
        )
    if idea.status not in workflow.DELIVERY_STARTED:
        raise DeliveryError(
            f"Delivery can be recorded once delivery has started; the idea is "
            f"{idea.status.label.lower()}.",
            409,
        )


def change_status(actor: User, idea: Idea, name: str) -> None:
    """Start delivery or mark delivered, through the workflow (caller commits)."""
    if name not in DELIVERY_TRANSITIONS:
        raise DeliveryError(f"'{name}' is not a delivery step.", 404)
    workflow.apply(idea, name, actor)


def _amount(value, label: str, field_name: str) -> float:
    """An actual cost as given (a number, or text as typed: '120k'), read and bounded by the
    portal's one reader of amounts; empty is 0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0.0
    try:
        return parse_amount(value if isinstance(value, str) else repr(float(value)))
    except (TypeError, ValueError) as exc:
        raise DeliveryError(f"{label}: {exc}.", field=field_name) from None


def record_actual_cost(actor: User, idea: Idea, period: str, capex, opex) -> ActualCost:
    """Record what delivery cost in a period; a later record of the period replaces it in
    the totals (caller commits)."""
    _authorize(actor, idea)
    period = (period or "").strip()
    if not is_period(period):
        raise DeliveryError(
            f"The period is {PERIOD_HELP}.",
            field="period",
        )
    capex_amount = _amount(capex, "Capex", "capex")
    opex_amount = _amount(opex, "Opex", "opex")
    cost = ActualCost(
        idea_id=idea.id,
        period=period,
        capex=capex_amount,
        opex=opex_amount,
        recorded_by_id=actor.id,
    )
    db.session.add(cost)
    db.session.flush()
    record(
        actor,
        "actual_cost_recorded",
        cost,
        idea=idea,
        after={"period": period, "capex": capex_amount, "opex": opex_amount},
    )
    return cost


def record_realized_value(
    actor: User, idea: Idea, value, as_of: date | None, note: str, *, today: date | None = None
) -> RealizedValue:
    """Record a measurement of the value delivered, 0..100 like the estimate (caller commits)."""
    _authorize(actor, idea)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DeliveryError("The realized value must be a number.", field="value") from None
    if number != number or not 0 <= number <= 100:
        raise DeliveryError(
            "The realized value is on the estimate's scale: 0 to 100.", field="value"
        )
    today = today or date.today()
    if as_of is None:
        raise DeliveryError("Give the date the value was measured.", field="as_of")
    if as_of > today:
        raise DeliveryError("The measurement date cannot be in the future.", field="as_of")
    note = (note or "").strip()
    if len(note) > 5000:
        raise DeliveryError("The note is too long (5000 characters at most).", field="note")
    measurement = RealizedValue(
        idea_id=idea.id, value=number, as_of=as_of, note=note, recorded_by_id=actor.id
    )
    db.session.add(measurement)
    db.session.flush()
    record(
        actor,
        "realized_value_recorded",
        measurement,
        idea=idea,
        after={"value": number, "as_of": as_of.isoformat(), "note": note},
    )
    tell_audience(
        idea,
        f"{idea.reference} “{idea.title}” delivered value {number:g} (as of {as_of:%d %b %Y}).",
        exclude=actor,
    )
    return measurement


@dataclass
class DeliverySummary:
    idea: Idea
    estimated_value: float | None
    estimated_cost: dict[str, float]
    actual_cost: dict[str, float]
    realized: RealizedValue | None
    cost_records: list[ActualCost] = field(default_factory=list)
    value_records: list[RealizedValue] = field(default_factory=list)
    recorders: dict[int, str] = field(default_factory=dict)

    @property
    def periods(self) -> list[str]:
        return sorted(set(self.estimated_cost) | set(self.actual_cost))

    @property
    def total_estimated_cost(self) -> float:
        return sum(self.estimated_cost.values())

    @property
    def total_actual_cost(self) -> float:
        return sum(self.actual_cost.values())


def summary(idea: Idea, *, records: bool = True) -> DeliverySummary:
    """The idea's delivery in numbers: estimated and actual value and cost; with `records`
    (the delivery page) every cost and value record and who made them, without them (the
    idea page's sidebar) only the latest realized value."""
    estimate = numbers.current_estimates([idea.id]).get(idea.id)
    weights = active_weights() if estimate else {}
    if not records:
        return DeliverySummary(
            idea=idea,
            estimated_value=numbers.estimated_value(estimate, weights) if estimate else None,
            estimated_cost=numbers.cost_profile(estimate) if estimate else {},
            actual_cost=numbers.actual_costs([idea.id]).get(idea.id, {}),
            realized=numbers.latest_realized([idea.id]).get(idea.id),
        )
    costs = list(
        db.session.scalars(
            sa.select(ActualCost)
            .where(ActualCost.idea_id == idea.id)
            .order_by(ActualCost.recorded_at.desc(), ActualCost.id.desc())
        )
    )
    values = list(
        db.session.scalars(
            sa.select(RealizedValue)
            .where(RealizedValue.idea_id == idea.id)
            .order_by(
                RealizedValue.as_of.desc(),
                RealizedValue.recorded_at.desc(),
                RealizedValue.id.desc(),
            )
        )
    )
    ids = {c.recorded_by_id for c in costs} | {v.recorded_by_id for v in values}
    recorders = (
        dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    return DeliverySummary(
        idea=idea,
        estimated_value=numbers.estimated_value(estimate, weights) if estimate else None,
        estimated_cost=numbers.cost_profile(estimate) if estimate else {},
        actual_cost=numbers.actual_costs([idea.id]).get(idea.id, {}),
        realized=values[0] if values else None,
        cost_records=costs,
        value_records=values,
        recorders=recorders,
    )


def board(user: User) -> dict[IdeaStatus, list[Idea]]:
    """Selected, in-delivery and delivered ideas the user may record delivery for."""
    ideas = db.session.scalars(
        sa.select(Idea).where(Idea.status.in_(workflow.COMMITTED)).order_by(Idea.updated_at.desc())
    )
    lanes: dict[IdeaStatus, list[Idea]] = {status: [] for status in workflow.COMMITTED}
    for idea in ideas:
        if can_record(user, idea):
            lanes[idea.status].append(idea)
    return lanes
