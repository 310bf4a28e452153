"""Portfolio scenarios and their frozen, reproducible runs."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import enum_type, utcnow
from portal.models.people import User


class ScenarioObjective(enum.StrEnum):
    VALUE = "value"
    RISK_ADJUSTED = "risk_adjusted"


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BudgetMode(enum.StrEnum):
    """What a scenario's budget means against the plan adopted so far."""

    TOTAL = "total"  # the whole budget: ideas in the plan are candidates that may be kept
    REMAINING = "remaining"  # what is left after the plan: its ideas stay and are not candidates

    @property
    def label(self) -> str:
        return {
            "total": "Total budget: the ideas selected in the current plan are candidates "
            "that may be kept or dropped",
            "remaining": "Remaining budget: what is left after the current plan; its ideas "
            "stay and are not candidates",
        }[self.value]


class Scenario(db.Model):
    """A portfolio question: periods, budgets, capacities, candidates and constraints.

    Settings that form one document for the optimizer (budgets per period, shares,
    force lists) are JSON; `portal.portfolio.problem` turns them into a problem.
    """

    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    cloned_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("scenarios.id", ondelete="SET NULL")
    )
    periods: Mapped[list] = mapped_column(sa.JSON, default=list)
    budget: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    budget_mode: Mapped[BudgetMode] = mapped_column(
        enum_type(BudgetMode), default=BudgetMode.TOTAL, server_default=BudgetMode.TOTAL.value
    )
    capacity: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    candidate_filter: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    department_shares: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    theme_min_shares: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # {objective id: largest share (0..1) of the selected cost}; absent: no maximum.
    theme_max_shares: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    count_min: Mapped[int | None]
    count_max: Mapped[int | None]
    force_in: Mapped[list] = mapped_column(sa.JSON, default=list)
    force_out: Mapped[list] = mapped_column(sa.JSON, default=list)
    start_later: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    apply_requires: Mapped[bool] = mapped_column(default=True)
    apply_excludes: Mapped[bool] = mapped_column(default=True)
    apply_together: Mapped[bool] = mapped_column(default=True)
    objective: Mapped[ScenarioObjective] = mapped_column(
        enum_type(ScenarioObjective), default=ScenarioObjective.VALUE
    )
    backend: Mapped[str] = mapped_column(sa.String(16), default="cbc")
    time_limit: Mapped[int] = mapped_column(default=60)
    # Per year; value (and run cost) in later years counts less. See portal.lifecycle.
    discount_rate: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    # Years of the selected ideas' run cost counted past the last period (0: not counted).
    tail_years: Mapped[int] = mapped_column(default=0, server_default="0")
    # The budget line for that run cost (total over the tail years); None: only reported.
    tail_budget: Mapped[float | None] = mapped_column(sa.Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship()
    runs: Mapped[list["Run"]] = relationship(
        back_populates="scenario", order_by="Run.number.desc()", cascade="all, delete-orphan"
    )


class Run(db.Model):
    """A scenario's inputs frozen as an optimizer problem, and what the solver answered."""

    __tablename__ = "runs"
    __table_args__ = (sa.UniqueConstraint("scenario_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scenarios.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus), default=RunStatus.QUEUED)
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The frozen problem and the result run to megabytes at 10,000 candidates: loaded only
    # when used (lists of runs and the status poll never need them).
    problem: Mapped[dict] = mapped_column(sa.JSON, deferred=True)
    result: Mapped[dict | None] = mapped_column(sa.JSON, deferred=True)
    # The result's SVG charts, drawn once by the job: {"analysis": state, "svg": {name: svg}}.
    charts: Mapped[dict | None] = mapped_column(sa.JSON, deferred=True)
    result_status: Mapped[str | None] = mapped_column(sa.String(20))
    objective_value: Mapped[float | None] = mapped_column(sa.Float)
    error: Mapped[str | None] = mapped_column(sa.Text)
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    build_seconds: Mapped[float | None] = mapped_column(sa.Float)
    solve_seconds: Mapped[float | None] = mapped_column(sa.Float)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    adopted_at: Mapped[datetime | None] = mapped_column(index=True)
    adopted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    scenario: Mapped[Scenario] = relationship(back_populates="runs")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    adopted_by: Mapped[User | None] = relationship(foreign_keys=[adopted_by_id])


class ExplanationPart(db.Model):
    """One part of a run's per-idea explanations: the candidates one job explains and what
    it found.

    A run's selection is stored first; the explanations (one re-solve per candidate) are
    worked out after, in parts that workers take in parallel. Each part writes only its
    own row, so parts finishing at the same moment lose nothing; the last one to finish
    merges them into the run's result (`merged`, and `entries` cleared).
    """

    __tablename__ = "run_explanation_parts"
    __table_args__ = (sa.UniqueConstraint("run_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"))
    number: Mapped[int]  # the order parts are worked in (most visible candidates first)
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus), default=RunStatus.QUEUED)
    ids: Mapped[list] = mapped_column(sa.JSON, deferred=True)  # the candidates it explains
    size: Mapped[int]  # len(ids), for progress counts without loading them
    entries: Mapped[list | None] = mapped_column(sa.JSON, deferred=True)
    computed: Mapped[int] = mapped_column(default=0)  # entries with the value at stake
    merged: Mapped[bool] = mapped_column(default=False)  # into the run's result
    error: Mapped[str | None] = mapped_column(sa.Text)  # why a failed part's ideas say not computed
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    beat_at: Mapped[datetime | None]  # its job's last sign of life
    finished_at: Mapped[datetime | None]
    seconds: Mapped[float | None] = mapped_column(sa.Float)  # time the job spent on it


class PlanOutcome(db.Model):
    """What adopting a run meant for one of its candidates: in the plan or not, and why.

    Written once at adoption; `reason` is worded by `portal.portfolio.outcomes` from the
    run's own explanation, so the idea page and the notice say the same thing.
    """

    __tablename__ = "plan_outcomes"
    __table_args__ = (sa.UniqueConstraint("run_id", "idea_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    idea_id: Mapped[int] = mapped_column(sa.ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    selected: Mapped[bool]
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[Run] = relationship()
