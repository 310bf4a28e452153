"""Benchmark: the report dashboards and their CSV exports at 100,000 ideas with a history.

Builds the review benchmark's data (bench/review.py: 100,000 ideas, 20,000 estimates, a
temporary SQLite file or a PostgreSQL database created and dropped here), then gives every
submitted idea the status changes that led it to its state (about 300,000 audit events),
sets when decided ideas were decided, and records realized value and actual cost for most
delivered ideas. Times in-process requests as a portfolio manager (routing, queries,
drawing, template rendering: the server's time) and prints a table of median and p95
milliseconds. Charts are drawn once per distinct data per process (portal.charts), so the
first request of a dashboard is shown too: that is what the first reader after a change
waits for. Goal: every dashboard and export within 1 s p95 on both databases (analytic
pages over the whole history, not lists: the review queue and API have tighter goals).

    python bench/reports.py                      # SQLite and PostgreSQL, full size
    python bench/reports.py --db sqlite --ideas 20000 --estimates 4000 --repeat 10
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import review  # noqa: E402  (its data, timing and statistics)
from portal import create_app  # noqa: E402
from portal.auth.sessions import session_values  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    ActualCost,
    AuditEvent,
    Estimate,
    Idea,
    IdeaStatus,
    RealizedValue,
    User,
    utcnow,
)

S = IdeaStatus
PG_DB = "converge_bench_reports"
GOAL_MS = 1000

# The transitions that lead a new idea to each state (workflow.py's names).
_REVIEWED = ["submit", "start_review"]
_ESTIMATED = [*_REVIEWED, "mark_estimated"]
_APPROVED = [*_ESTIMATED, "approve"]
PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.WITHDRAWN: ["submit", "withdraw"],
    S.IN_REVIEW: _REVIEWED,
    S.NEEDS_INFO: [*_REVIEWED, "ask_info"],
    S.REJECTED: [*_REVIEWED, "reject"],
    S.DUPLICATE: [*_REVIEWED, "mark_duplicate"],
    S.ESTIMATED: _ESTIMATED,
    S.APPROVED: _APPROVED,
    S.DEFERRED: [*_APPROVED, "defer"],
    S.SELECTED: [*_APPROVED, "select"],
    S.IN_DELIVERY: [*_APPROVED, "select", "start_delivery"],
    S.DELIVERED: [*_APPROVED, "select", "start_delivery", "deliver"],
}
TARGETS = {
    "submit": S.SUBMITTED,
    "withdraw": S.WITHDRAWN,
    "start_review": S.IN_REVIEW,
    "ask_info": S.NEEDS_INFO,
    "reject": S.REJECTED,
    "mark_duplicate": S.DUPLICATE,
    "mark_estimated": S.ESTIMATED,
    "approve": S.APPROVED,
    "defer": S.DEFERRED,
    "select": S.SELECTED,
    "start_delivery": S.IN_DELIVERY,
    "deliver": S.DELIVERED,
}
DECIDED = {S.APPROVED, S.REJECTED, S.DUPLICATE, S.DEFERRED}


def add_history(ids: dict, seed: int = 11) -> dict:
    """Each idea's status changes, decision time, realized value and actual cost."""
    rng = random.Random(seed)
    now = utcnow()
    ideas = db.session.execute(sa.select(Idea.id, Idea.status, Idea.created_at)).all()
    events, decided, realized, actual = [], [], [], []
    estimated = set(db.session.scalars(sa.select(Estimate.idea_id)))
    for idea_id, status, created in ideas:
        steps = PATHS[status]
        if not steps:
            continue
        moment, before = created + timedelta(hours=1), S.DRAFT
        room = (now - moment) / (len(steps) + 1)
        for step in steps:
            after = TARGETS[step]
            events.append(
                {
                    "actor_id": ids["brm"],
                    "action": "status_change",
                    "object_type": "idea",
                    "object_id": idea_id,
                    "idea_id": idea_id,
                    "before": {"status": before.value},
                    "after": {"status": after.value, "transition": step, "reason": None},
                    "created_at": moment,
                }
            )
            if after in DECIDED:
                decided.append({"b_id": idea_id, "decided_at": moment})
            moment, before = moment + room * rng.uniform(0.2, 1.0), after
        if status == S.DELIVERED and idea_id in estimated and rng.random() < 0.8:
            realized.append(
                {
                    "idea_id": idea_id,
                    "value": rng.uniform(0, 80),
                    "as_of": moment.date(),
                    "note": "",
                    "recorded_by_id": ids["pm"],
                    "recorded_at": moment,
                }
            )
            for period in ("2027", "2028"):
                actual.append(
                    {
                        "idea_id": idea_id,
                        "period": period,
                        "capex": rng.uniform(0, 6e5),
                        "opex": 1e4,
                        "recorded_by_id": ids["pm"],
                        "recorded_at": moment,
                    }
                )
    for chunk in review._chunks(events):
        db.session.execute(sa.insert(AuditEvent), chunk)
    table = Idea.__table__
    set_decided = (
        table.update()
        .where(table.c.id == sa.bindparam("b_id"))
        .values(decided_at=sa.bindparam("decided_at"))
    )
    for chunk in review._chunks(decided):
        db.session.execute(set_decided, chunk)
    for chunk in review._chunks(realized):
        db.session.execute(sa.insert(RealizedValue), chunk)
    for chunk in review._chunks(actual):
        db.session.execute(sa.insert(ActualCost), chunk)
    db.session.commit()
    return {"events": len(events), "delivered": len(realized)}


CASES = [
    ("pipeline", "/reports/pipeline"),
    ("pipeline, one department", "/reports/pipeline?department={department}"),
    ("pipeline CSV (trend)", "/reports/pipeline.csv?table=trend"),
    ("flow", "/reports/flow"),
    ("workload", "/reports/workload"),
    ("portfolio", "/reports/portfolio"),
    ("value delivered", "/reports/value"),
    ("value CSV (ideas)", "/reports/value.csv?table=ideas"),
    ("calibration", "/reports/calibration"),
    ("my outcomes (the PM's page)", "/reports/me"),
]


def run(label: str, url: str, args) -> list[tuple]:
    os.environ["PORTAL_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-reports-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "bench.example",
            "MAIL_SERVER": None,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
        }
    )
    results = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        ids = review.populate(args.ideas, args.estimates)
        made = add_history(ids)
        review.analyze()
        print(
            f"[{label}] populated {args.ideas:,} ideas, {made['events']:,} status changes, "
            f"{made['delivered']:,} measured deliveries in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
        client = app.test_client()
        values = session_values(db.session.get(User, ids["pm"]))
        department = db.session.get(User, ids["brm"]).department_id
        db.session.commit()
        with client.session_transaction() as session:
            session.update(values)

        from flask import g

        @app.before_request
        def _forget_user():
            g.pop("_login_user", None)

        for name, path in CASES:
            path = path.format(department=department)

            def call(path=path):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                db.session.remove()

            first = review._timed(call, 1)[0]
            median, p95 = review._stats(review._timed(call, args.repeat))
            print(f"[{label}] {name}: first {first:.0f} ms, p95 {p95:.1f} ms", file=sys.stderr)
            results.append((label, name, first, median, p95))
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    review.data_options(parser, repeat=20, pg_db=PG_DB)
    args = parser.parse_args()
    results = review.on_databases(args, run, "bench-reports-")
    print(
        f"\nReports benchmark: {args.ideas:,} ideas, {args.estimates:,} estimates, "
        f"{args.repeat} timed requests each after the first (goal: p95 <= {GOAL_MS} ms)"
    )
    head = f"{'database':<11} {'dashboard':<30} {'first ms':>9} {'median ms':>10} {'p95 ms':>8}"
    print(f"{head}  goal")
    for label, name, first, median, p95 in results:
        goal = "ok" if p95 <= GOAL_MS else "MISSED"
        print(f"{label:<11} {name:<30} {first:>9.0f} {median:>10.1f} {p95:>8.1f}  {goal}")


if __name__ == "__main__":
    main()
