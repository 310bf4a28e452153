"""Benchmark: the API's idea list at 100,000 ideas (server time per request, p50/p95).

    python bench/api.py [--ideas 100000] [--pg postgresql://postgres@127.0.0.1:5432/converge_bench_api]

Builds its own databases (a SQLite file in a temporary folder, and the given PostgreSQL
database, created when missing and emptied first), fills them with synthetic ideas, and
calls GET /api/v1/ideas in-process through the Flask test client with a real API token.
The time is the whole request inside the server: auth, parsing, both queries, JSON.
Target: p95 under 100 ms for a filtered page. Matches are counted up to 10,000 ("10,000+").
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.account.service import create_token  # noqa: E402
from portal.config import normalize_database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Department, Idea, IdeaStatus, Role, StrategicObjective, User  # noqa: E402
from portal.models.ideas import idea_objectives  # noqa: E402

WORDS = [
    "invoice",
    "travel",
    "expense",
    "portal",
    "chatbot",
    "report",
    "dashboard",
    "onboarding",
    "payroll",
    "contract",
    "supplier",
    "archive",
    "search",
    "mobile",
    "approval",
    "workflow",
    "customer",
    "ticket",
    "data",
    "cloud",
    "backup",
]
STATUS_WEIGHTS = {
    IdeaStatus.DRAFT: 8,
    IdeaStatus.SUBMITTED: 15,
    IdeaStatus.IN_REVIEW: 12,
    IdeaStatus.NEEDS_INFO: 3,
    IdeaStatus.ESTIMATED: 8,
    IdeaStatus.APPROVED: 10,
    IdeaStatus.SELECTED: 5,
    IdeaStatus.IN_DELIVERY: 4,
    IdeaStatus.DELIVERED: 10,
    IdeaStatus.REJECTED: 15,
    IdeaStatus.DUPLICATE: 3,
    IdeaStatus.WITHDRAWN: 4,
    IdeaStatus.DEFERRED: 3,
}
REPEATS = 60
WARMUP = 5


def build(app, n_ideas: int, seed: int = 7) -> tuple[str, dict]:
    """Fill an empty schema; return an API token and ids the scenarios filter on."""
    rng = random.Random(seed)
    with app.app_context():
        engine = db.engine
        db.metadata.drop_all(engine)
        db.metadata.create_all(engine)
        departments = [Department(name=f"Department {i:02d}") for i in range(20)]
        objectives = [
            StrategicObjective(name=f"Objective {i}", weight=1 + i % 3) for i in range(10)
        ]
        db.session.add_all(departments + objectives)
        db.session.flush()
        users = []
        for i in range(500):
            user = User(
                email=f"user{i}@bench.example",
                name=f"User {i}",
                password_hash="x",
                role=Role.EMPLOYEE,
                department_id=departments[i % 20].id,
            )
            users.append(user)
        db.session.add_all(users)
        db.session.commit()
        statuses = list(STATUS_WEIGHTS)
        weights = list(STATUS_WEIGHTS.values())
        start = datetime(2024, 1, 1)
        rows, links = [], []
        for i in range(1, n_ideas + 1):
            submitter = users[rng.randrange(len(users))]
            status = rng.choices(statuses, weights)[0]
            created = start + timedelta(minutes=15 * i + rng.randrange(10))
            title = " ".join(rng.sample(WORDS, 4)).capitalize()
            rows.append(
                {
                    "id": i,
                    "title": title,
                    "problem": f"Today {title.lower()} takes too long for team {i % 97}.",
                    "proposal": "Automate it with " + " ".join(rng.sample(WORDS, 3)) + ".",
                    "expected_benefit": "Hours saved every week.",
                    "department_id": rng.choice(departments).id,
                    "submitter_id": submitter.id,
                    "status": status.value,
                    "vote_count": int(rng.paretovariate(1.5)) - 1,
                    "created_at": created,
                    "updated_at": created,
                    "submitted_at": None if status == IdeaStatus.DRAFT else created,
                }
            )
            for objective in rng.sample(objectives, rng.randrange(0, 3)):
                links.append({"idea_id": i, "objective_id": objective.id})
        for chunk in range(0, len(rows), 10_000):
            db.session.execute(sa.insert(Idea.__table__), rows[chunk : chunk + 10_000])
        for chunk in range(0, len(links), 20_000):
            db.session.execute(sa.insert(idea_objectives), links[chunk : chunk + 20_000])
        db.session.commit()
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT setval('ideas_id_seq', :n)"), {"n": n_ideas})
                conn.commit()
            # VACUUM as autovacuum would soon: a bulk load leaves the GIN (trigram) indexes
            # new entries in their unsorted pending list, which every search then scans.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        viewer = users[0]
        secret = create_token(viewer, "bench").secret
        db.session.commit()
        return secret, {
            "department": departments[3].id,
            "objective": objectives[2].id,
        }


def scenarios(ids: dict) -> list[tuple[str, str]]:
    d, o = ids["department"], ids["objective"]
    return [
        ("first page, no filter", "/api/v1/ideas"),
        ("status + department", f"/api/v1/ideas?status=approved&department_id={d}"),
        ("department, by votes", f"/api/v1/ideas?department_id={d}&sort=votes"),
        ("objective", f"/api/v1/ideas?objective_id={o}"),
        ("status + objective, page 5", f"/api/v1/ideas?status=submitted&objective_id={o}&page=5"),
        ("text search 'chatbot'", "/api/v1/ideas?q=chatbot"),
        ("search + status, 100/page", "/api/v1/ideas?q=payroll&status=in_review&per_page=100"),
        ("selective search 'team 42.'", "/api/v1/ideas?q=team%2042."),
        ("rare word 'sharepoint'", "/api/v1/ideas?q=sharepoint"),
        ("deep page 2000 (oldest)", "/api/v1/ideas?sort=oldest&page=2000"),
    ]


def measure(app, secret: str, ids: dict) -> list[tuple[str, int, float, float, float]]:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    results = []
    with app.app_context():
        _settle(app, client)
        for label, url in scenarios(ids):
            times = []
            for i in range(WARMUP + REPEATS):
                t0 = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - t0) * 1000
                assert response.status_code == 200, response.get_json()
                if i >= WARMUP:
                    times.append(elapsed)
            body = response.get_json()
            total = f"{body['total']:,}" + ("" if body["total_exact"] else "+")
            times.sort()
            p95 = times[int(0.95 * (len(times) - 1))]
            results.append((label, total, statistics.median(times), p95, times[-1]))
    return results


def _settle(app, client) -> None:
    """The process's first request starts fitting the similar-ideas index in a thread (3 s
    of CPU at 100,000 ideas): wait for it, so that the figures are the steady state's."""
    client.get("/api/v1/ideas")
    builder = app.extensions["converge_similarity"].builder
    if builder is not None:
        builder.join()


def _ensure_pg_database(url: str) -> None:
    target = sa.engine.make_url(normalize_database_url(url))
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        )
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--pg", help="PostgreSQL URL of a database for the benchmark's use")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="converge-bench-api-"))
    os.environ.setdefault("PORTAL_INSTANCE_PATH", str(tmp / "instance"))
    targets = [("sqlite", "sqlite:///" + str(tmp / "bench.sqlite"))]
    if args.pg:
        _ensure_pg_database(args.pg)
        targets.append(("postgresql", normalize_database_url(args.pg)))

    rows = []
    for name, url in targets:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
        )
        t0 = time.perf_counter()
        secret, ids = build(app, args.ideas)
        print(f"{name}: built {args.ideas:,} ideas in {time.perf_counter() - t0:.1f} s", flush=True)
        for label, total, p50, p95, worst in measure(app, secret, ids):
            rows.append((name, label, total, p50, p95, worst))
        with app.app_context():
            db.engine.dispose()

    print()
    print(f"GET /api/v1/ideas at {args.ideas:,} ideas, {REPEATS} calls each (server time, ms)")
    header = (
        f"{'database':<11} {'request':<28} {'matches':>8} {'p50':>7} {'p95':>7} {'max':>7}  target"
    )
    print(header)
    print("-" * len(header))
    for name, label, total, p50, p95, worst in rows:
        verdict = "ok" if p95 < 100 else "SLOW"
        print(f"{name:<11} {label:<28} {total:>8} {p50:>7.1f} {p95:>7.1f} {worst:>7.1f}  {verdict}")


if __name__ == "__main__":
    main()
