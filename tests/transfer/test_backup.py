"""Backups: every table out as JSON Lines and back into an empty database, unchanged."""

import io
import json
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    ActualCost,
    ApiToken,
    AuditEvent,
    Campaign,
    CampaignNotice,
    CampaignUpdate,
    Comment,
    CommentKind,
    Department,
    Estimate,
    EstimateCost,
    EstimateEffort,
    EstimateImpact,
    ExplanationPart,
    Follow,
    IdeaLink,
    IdeaStatus,
    LinkKind,
    Notification,
    PlanOutcome,
    PoolCapacity,
    RealizedValue,
    ResourcePool,
    Role,
    Run,
    RunStatus,
    Scenario,
    SentReminder,
    SignIn,
    Touchpoint,
    TouchpointKind,
    Vote,
)
from portal.transfer import backup
from tests.conftest import _empty_tables


@pytest.fixture
def everything(pm, brm, employee, make_idea, make_objective, department, make_user):
    """At least one row in every table, with the awkward cases: a self-reference pointing
    forward, JSON documents, dates, datetimes with microseconds, unicode, NULLs."""
    leader = make_user(Role.LEADER, name="Lee Leader")
    department.leader = leader
    growth = make_objective("Growth", 2.5, description="Grow “revenue” — fast")
    older = make_idea(employee, IdeaStatus.DUPLICATE, objectives=[growth])
    campaign = Campaign(
        title="Paid faster", question="How?", sponsor=pm, opens_on=date(2026, 3, 1),
        closes_on=date(2026, 3, 31), budget_envelope=1e6, departments=[department],
        objectives=[growth], fields=[{"key": "days", "label": "Days", "kind": "number",
                                      "choices": [], "required": True}],
    )  # fmt: skip
    newer = make_idea(
        employee, IdeaStatus.DELIVERED, title="Ünïcode idea ✓", campaign=campaign,
        campaign_answers={"days": 4},
    )  # fmt: skip
    older.merged_into_id = newer.id  # points to a later row
    newer.endorsed_by_id, newer.endorsed_at = leader.id, datetime(2026, 3, 4, 5, 6, 7, 89)
    pool = ResourcePool(name="Engineering", capacities=[PoolCapacity(period="2027", capacity=40)])
    estimate = Estimate(
        idea_id=newer.id,
        author_id=brm.id,
        value_likely=1.2,
        value_high=1.5,
        risk=0.25,
        impacts=[EstimateImpact(objective_id=growth.id, impact=3)],
        costs=[EstimateCost(period="2027", capex=1000.5, opex=20)],
        efforts=[EstimateEffort(pool=pool, period="2027", amount=2.5)],
    )
    scenario = Scenario(
        name="Base",
        owner_id=pm.id,
        periods=["2027", "2028"],
        budget={"2027": 5000.0},
        department_shares={"Finance": {"min": 0.1, "max": None}},
    )
    db.session.add_all([pool, estimate, scenario])
    db.session.flush()
    clone = Scenario(name="Clone", owner_id=pm.id, cloned_from_id=scenario.id)
    run = Run(
        scenario_id=scenario.id,
        number=1,
        status=RunStatus.DONE,
        problem={"periods": ["2027"]},
        result={"selected": [{"id": newer.reference, "start": "2027"}], "spend": {"2027": 1020.5}},
        created_by_id=pm.id,
        adopted_at=datetime(2026, 5, 1, 12, 30, 15, 123456),
        adopted_by_id=pm.id,
    )
    db.session.add_all(
        [
            clone,
            run,
            Vote(idea_id=newer.id, user_id=brm.id),
            Comment(
                idea_id=newer.id,
                author_id=brm.id,
                body="Line one\nline two",
                kind=CommentKind.QUESTION,
            ),
            Follow(idea_id=newer.id, user_id=pm.id),
            IdeaLink(source_id=older.id, target_id=newer.id, kind=LinkKind.DUPLICATE_OF, note=None),
            ActualCost(idea_id=newer.id, period="2027", capex=900, opex=0, recorded_by_id=pm.id),
            RealizedValue(
                idea_id=newer.id, value=61.5, as_of=date(2026, 6, 1), recorded_by_id=pm.id
            ),
            Touchpoint(
                brm=brm,
                department=department,
                held_on=date(2026, 2, 2),
                kind=TouchpointKind.CALL,
                ideas=[newer],
            ),
            AuditEvent(
                actor_id=pm.id,
                action="status_change",
                object_type="ideas",
                object_id=newer.id,
                idea_id=newer.id,
                before={"status": "in_delivery"},
                after={"status": "delivered"},
            ),
            Notification(
                user_id=employee.id, idea_id=newer.id, message="Delivered!", link="/ideas/2"
            ),
            ApiToken(user_id=pm.id, name="cli", prefix="cv_abc", token_hash="f" * 64),
            CampaignUpdate(campaign_id=campaign.id, author_id=pm.id, body="Thanks"),
            CampaignNotice(campaign_id=campaign.id, kind="opened", recipients=3),
            SentReminder(key="digest:weekly:2026-W49", user_id=employee.id),
            SignIn(
                user_id=pm.id,
                expires_at=datetime(2027, 1, 5),
                remember_hash="e" * 64,
                previous_hash="d" * 64,
                rotated_at=datetime(2026, 12, 6),
            ),
        ]
    )
    db.session.flush()
    db.session.add_all(
        [
            PlanOutcome(run_id=run.id, idea_id=newer.id, selected=True, reason="In the X plan."),
            ExplanationPart(
                run_id=run.id,
                number=1,
                status=RunStatus.DONE,
                ids=[newer.reference],
                size=1,
                entries=[{"id": newer.reference, "selected": True, "value_lost": 2.5}],
                computed=1,
                job_id="rq:explain-1",
                started_at=datetime(2026, 5, 1, 12, 0, 0, 654321),
                finished_at=datetime(2026, 5, 1, 12, 0, 3),
                seconds=2.75,
            ),
        ]
    )
    db.session.commit()


def _dump() -> str:
    out = io.StringIO()
    backup.export_data(out)
    return out.getvalue()


def _body(text: str) -> list[str]:
    return text.splitlines()[1:]  # the header line holds the export time


def test_round_trip_gives_the_same_data(everything, app):
    first = _dump()
    counts = {}
    for line in first.splitlines()[1:]:
        item = json.loads(line)
        if isinstance(item, dict):
            current = item["table"]
            counts[current] = 0
        else:
            counts[current] += 1
    empty = [name for name, n in counts.items() if n == 0]
    assert empty == [], f"the fixture should fill every table: {empty}"

    db.session.remove()
    _empty_tables()
    assert backup.is_empty()
    imported = backup.import_data(io.StringIO(first))
    db.session.commit()
    assert imported == counts
    assert _body(_dump()) == _body(first)

    # ids continue after the imported ones (PostgreSQL sequences were moved on)
    department = Department(name="Created after restore")
    db.session.add(department)
    db.session.commit()
    assert department.id > max(
        r[0]
        for r in db.session.execute(sa.select(Department.id).where(Department.id != department.id))
    )
    run = db.session.scalar(sa.select(Run))
    assert run.adopted_at == datetime(2026, 5, 1, 12, 30, 15, 123456)
    assert run.result["selected"][0]["start"] == "2027"
    assert run.scenario.department_shares == {"Finance": {"min": 0.1, "max": None}}


def test_import_refuses_a_database_with_data(everything):
    text = _dump()
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.import_data(io.StringIO(text))


def test_import_refuses_bad_files(app):
    for text, message in [
        ("", "Not a Converge backup"),
        ('{"format": "other"}\n', "Not a Converge backup"),
        ('{"format": "converge.backup/1"}\n{"table": "nope", "columns": []}\n', "unknown table"),
        ('{"format": "converge.backup/1"}\n[1, 2]\n', "outside a table"),
        (
            '{"format": "converge.backup/1"}\n'
            '{"table": "departments", "columns": ["id", "name"]}\n[1]\n',
            "1 values",
        ),
        ('{"format": "converge.backup/1"}\nnot json\n', "not JSON"),
    ]:
        with pytest.raises(backup.BackupError, match=message):
            backup.import_data(io.StringIO(text))
    assert backup.is_empty()


def test_cli_export_and_import(everything, runner, tmp_path):
    path = tmp_path / "backup.jsonl"
    result = runner.invoke(args=["export-data", str(path)])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(args=["import-data", str(path)])
    assert refused.exit_code == 1 and "not empty" in refused.output
    db.session.remove()
    _empty_tables()
    result = runner.invoke(args=["import-data", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 1
