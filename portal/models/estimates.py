"""Estimates (versioned), resource pools, and what delivery later realized."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import periods
from portal.extensions import db
from portal.models.base import enum_type, utcnow
from portal.models.ideas import Idea, StrategicObjective
from portal.models.people import User

IMPACT_LABELS = {0: "None", 1: "Low", 2: "Moderate", 3: "Strong", 4: "Extreme"}

# Amounts (costs, budgets) above this are typing mistakes; it also keeps every sum finite.
MAX_AMOUNT = 1e12
# Periods are defined once, in portal.periods; these names stay for the modules that use them.
PERIOD_HELP = periods.HELP
is_period = periods.is_period


class Confidence(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ResourcePool(db.Model):
    __tablename__ = "resource_pools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    unit: Mapped[str] = mapped_column(sa.String(40), default="FTE")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    capacities: Mapped[list["PoolCapacity"]] = relationship(
        back_populates="pool", cascade="all, delete-orphan", order_by="PoolCapacity.period"
    )


class PoolCapacity(db.Model):
    __tablename__ = "pool_capacities"
    __table_args__ = (
        sa.UniqueConstraint("pool_id", "period"),
        sa.CheckConstraint("capacity >= 0", name="capacity_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.ForeignKey("resource_pools.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(sa.String(20))
    capacity: Mapped[float] = mapped_column(sa.Float)

    pool: Mapped[ResourcePool] = relationship(back_populates="capacities")


class Estimate(db.Model):
    """One version of an idea's estimate; exactly one version per idea is current."""

    __tablename__ = "estimates"
    __table_args__ = (
        sa.UniqueConstraint("idea_id", "version"),
        sa.CheckConstraint("risk >= 0 AND risk <= 1", name="risk_range"),
        sa.CheckConstraint(
            "value_low >= 0 AND value_low <= value_likely AND value_likely <= value_high",
            name="value_range_ordered",
        ),
        sa.CheckConstraint("run_cost_per_year >= 0", name="run_cost_non_negative"),
        sa.CheckConstraint("lifetime_years >= 0", name="lifetime_non_negative"),
        sa.Index("ix_estimates_idea_current", "idea_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The value range as multipliers of the strategic value (1.0 = as scored).
    value_low: Mapped[float] = mapped_column(sa.Float, default=1.0)
    value_likely: Mapped[float] = mapped_column(sa.Float, default=1.0)
    value_high: Mapped[float] = mapped_column(sa.Float, default=1.0)
    risk: Mapped[float] = mapped_column(sa.Float, default=0.0)
    confidence: Mapped[Confidence] = mapped_column(enum_type(Confidence), default=Confidence.MEDIUM)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # Value over time: {period: weight >= 0}, how the value spreads (ramp up, peak, decay);
    # empty = one value, not tied to periods. See portal.lifecycle.
    value_profile: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    # Run cost (opex) per year after go-live, for `lifetime_years`, past any horizon.
    run_cost_per_year: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    lifetime_years: Mapped[int] = mapped_column(default=0, server_default="0")

    idea: Mapped[Idea] = relationship()
    author: Mapped[User] = relationship()
    impacts: Mapped[list["EstimateImpact"]] = relationship(
        back_populates="estimate", cascade="all, delete-orphan"
    )
    costs: Mapped[list["EstimateCost"]] = relationship(
        back_populates="estimate", cascade="all, delete-orphan", order_by="EstimateCost.period"
    )
    efforts: Mapped[list["EstimateEffort"]] = relationship(
        back_populates="estimate", cascade="all, delete-orphan"
    )

    @property
    def total_cost(self) -> float:
        return sum(c.capex + c.opex for c in self.costs)


class EstimateImpact(db.Model):
    __tablename__ = "estimate_impacts"
    # Negative impacts hinder an objective (vendor lock-in, technical debt): -4..4.
    __table_args__ = (sa.CheckConstraint("impact >= -4 AND impact <= 4", name="impact_scale"),)

    estimate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("estimates.id", ondelete="CASCADE"), primary_key=True
    )
    objective_id: Mapped[int] = mapped_column(
        sa.ForeignKey("strategic_objectives.id", ondelete="CASCADE"), primary_key=True
    )
    impact: Mapped[int] = mapped_column(default=0)

    estimate: Mapped[Estimate] = relationship(back_populates="impacts")
    objective: Mapped[StrategicObjective] = relationship()


class EstimateCost(db.Model):
    __tablename__ = "estimate_costs"
    __table_args__ = (
        sa.UniqueConstraint("estimate_id", "period"),
        sa.CheckConstraint("capex >= 0 AND opex >= 0", name="cost_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(sa.ForeignKey("estimates.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(sa.String(20))
    capex: Mapped[float] = mapped_column(sa.Float, default=0.0)
    opex: Mapped[float] = mapped_column(sa.Float, default=0.0)

    estimate: Mapped[Estimate] = relationship(back_populates="costs")


class EstimateEffort(db.Model):
    __tablename__ = "estimate_efforts"
    __table_args__ = (
        sa.UniqueConstraint("estimate_id", "pool_id", "period"),
        sa.CheckConstraint("amount >= 0", name="effort_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(sa.ForeignKey("estimates.id", ondelete="CASCADE"))
    pool_id: Mapped[int] = mapped_column(sa.ForeignKey("resource_pools.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[float] = mapped_column(sa.Float, default=0.0)

    estimate: Mapped[Estimate] = relationship(back_populates="efforts")
    pool: Mapped[ResourcePool] = relationship()


class ActualCost(db.Model):
    """What delivering an idea really cost in a period (latest record per period counts)."""

    __tablename__ = "actual_costs"
    __table_args__ = (sa.CheckConstraint("capex >= 0 AND opex >= 0", name="cost_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(sa.String(20))
    capex: Mapped[float] = mapped_column(sa.Float, default=0.0)
    opex: Mapped[float] = mapped_column(sa.Float, default=0.0)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RealizedValue(db.Model):
    """A measurement of the value an idea delivered, on the estimate's value scale."""

    __tablename__ = "realized_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    value: Mapped[float] = mapped_column(sa.Float)
    as_of: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
