"""Benchmark: the review queue and similar-ideas lookup at 100,000 ideas / 20,000 estimates.

Builds its own database (a temporary SQLite file; for PostgreSQL the database
converge_bench_review, created and dropped here), fills it with synthetic ideas, then times
in-process requests (routing, queries, template rendering: the server's time) and prints a
table of median and p95 milliseconds.

    python bench/review.py                       # SQLite and PostgreSQL, full size
    python bench/review.py --db sqlite --ideas 20000 --estimates 4000 --repeat 20
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/review.py --db pg
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app, workflow  # noqa: E402
from portal.auth.sessions import session_values  # noqa: E402
from portal.config import normalize_database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Department,
    Estimate,
    EstimateCost,
    EstimateImpact,
    Idea,
    IdeaStatus,
    Role,
    StrategicObjective,
    User,
    utcnow,
)
from portal.models.ideas import idea_objectives  # noqa: E402

S = IdeaStatus
PG_DB = "converge_bench_review"
STATES = [  # (state, share)
    (S.SUBMITTED, 0.25),
    (S.IN_REVIEW, 0.10),
    (S.NEEDS_INFO, 0.03),
    (S.ESTIMATED, 0.08),
    (S.APPROVED, 0.08),
    (S.SELECTED, 0.04),
    (S.IN_DELIVERY, 0.02),
    (S.DELIVERED, 0.05),
    (S.REJECTED, 0.15),
    (S.DUPLICATE, 0.05),
    (S.WITHDRAWN, 0.05),
    (S.DEFERRED, 0.04),
    (S.DRAFT, 0.06),
]
WORDS = [
    "invoice",
    "payment",
    "supplier",
    "customer",
    "order",
    "stock",
    "warehouse",
    "delivery",
    "route",
    "van",
    "truck",
    "report",
    "dashboard",
    "forecast",
    "budget",
    "cash",
    "ledger",
    "audit",
    "compliance",
    "contract",
    "approval",
    "workflow",
    "portal",
    "mobile",
    "app",
    "login",
    "password",
    "access",
    "security",
    "backup",
    "archive",
    "document",
    "scan",
    "signature",
    "email",
    "calendar",
    "meeting",
    "room",
    "booking",
    "travel",
    "expense",
    "receipt",
    "payroll",
    "holiday",
    "training",
    "onboarding",
    "recruitment",
    "candidate",
    "interview",
    "survey",
    "feedback",
    "complaint",
    "ticket",
    "service",
    "desk",
    "chatbot",
    "knowledge",
    "search",
    "website",
    "shop",
    "checkout",
    "price",
    "discount",
    "loyalty",
    "campaign",
    "marketing",
    "lead",
    "sales",
    "quote",
    "pipeline",
    "crm",
    "partner",
    "portal",
    "shipment",
    "tracking",
    "barcode",
    "label",
    "printer",
    "scanner",
    "sensor",
    "machine",
    "maintenance",
    "downtime",
    "energy",
    "meter",
    "emission",
    "waste",
    "recycling",
    "fleet",
    "fuel",
    "inventory",
    "replenishment",
    "planning",
    "schedule",
    "shift",
    "roster",
    "overtime",
    "timesheet",
    "project",
    "portfolio",
    "risk",
    "incident",
    "outage",
    "monitoring",
    "alert",
    "cloud",
    "migration",
    "server",
    "licence",
    "database",
    "integration",
    "api",
    "data",
    "quality",
    "master",
    "duplicate",
    "record",
    "migration",
    "spreadsheet",
    "manual",
    "automate",
    "faster",
    "errors",
    "late",
    "slow",
    "costly",
    "hours",
    "weekly",
    "monthly",
    "daily",
    "customers",
    "staff",
    "clerks",
    "managers",
    "drivers",
    "engineers",
    "nurses",
    "teachers",
    "agents",
    "analysts",
    "auditors",
]
FILLER = [
    "the",
    "a",
    "to",
    "of",
    "and",
    "for",
    "by",
    "with",
    "every",
    "each",
    "our",
    "their",
    "today",
    "instead",
    "so",
]


def _text(rng: random.Random, topic: list[str], n: int) -> str:
    words = []
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            words.append(rng.choice(topic))
        elif r < 0.75:
            words.append(rng.choice(WORDS))
        elif r < 0.85:
            words.append(f"system{rng.randrange(3000)}")  # product names widen the vocabulary
        else:
            words.append(rng.choice(FILLER))
    return " ".join(words).capitalize() + "."


def _chunks(rows, size=5000):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def populate(n_ideas: int, n_estimates: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    now = utcnow()
    departments = [
        Department(name=f"Department {i:02d}", leader_name=f"Leader {i}") for i in range(12)
    ]
    db.session.add_all(departments)
    db.session.flush()
    pw = "pbkdf2:sha256:1$x$0"
    employees = [
        User(
            email=f"e{i}@bench.example",
            name=f"Employee {i}",
            password_hash=pw,
            department=departments[i % 12],
        )
        for i in range(2000)
    ]
    brm = User(
        email="brm@bench.example",
        name="Bench BRM",
        password_hash=pw,
        role=Role.BRM,
        department=departments[0],
    )
    pm = User(
        email="pm@bench.example",
        name="Bench PM",
        password_hash=pw,
        role=Role.PORTFOLIO_MANAGER,
        department=departments[0],
    )
    brm.covered_departments = departments[:2]
    objectives = [
        StrategicObjective(name=f"Objective {i}", weight=rng.uniform(1, 5)) for i in range(10)
    ]
    db.session.add_all([*employees, brm, pm, *objectives])
    db.session.commit()
    emp_ids = [(u.id, u.department_id) for u in employees]
    states = [s for s, _ in STATES]
    weights = [w for _, w in STATES]
    rows = []
    for _ in range(n_ideas):
        topic = rng.sample(WORDS, 6)
        submitter, dept = rng.choice(emp_ids)
        status = rng.choices(states, weights)[0]
        created = now - timedelta(days=rng.uniform(0, 720))
        rows.append(
            {
                "title": _text(rng, topic, 7)[:200],
                "problem": _text(rng, topic, 30),
                "proposal": _text(rng, topic, 25),
                "expected_benefit": _text(rng, topic, 12),
                "department_id": dept,
                "submitter_id": submitter,
                "status": status,
                "vote_count": int(rng.expovariate(1 / 4)),
                "created_at": created,
                "updated_at": created,
                "submitted_at": None if status == S.DRAFT else created + timedelta(hours=1),
                # As workflow.apply dates it (the queue orders by it): here, since submission.
                "waiting_since": created + timedelta(hours=1)
                if status in workflow.UNDER_REVIEW
                else None,
                "assignee_id": brm.id
                if status == S.IN_REVIEW
                and dept in (departments[0].id, departments[1].id)
                and rng.random() < 0.5
                else None,
            }
        )
    for chunk in _chunks(rows):
        db.session.execute(sa.insert(Idea), chunk)
    db.session.commit()
    ids = db.session.execute(sa.select(Idea.id, Idea.status)).all()
    links = [
        {"idea_id": i, "objective_id": o.id}
        for i, _ in ids
        for o in rng.sample(objectives, rng.randint(0, 2))
    ]
    for chunk in _chunks(links):
        db.session.execute(sa.insert(idea_objectives), chunk)
    estimable = [
        i
        for i, s in ids
        if s in (S.ESTIMATED, S.APPROVED, S.SELECTED, S.IN_DELIVERY, S.DELIVERED, S.DEFERRED)
    ]
    chosen = rng.sample(estimable, min(n_estimates, len(estimable)))
    est_rows = [
        {
            "idea_id": i,
            "version": 1,
            "is_current": True,
            "author_id": brm.id,
            "created_at": now,
            "value_low": 0.8,
            "value_likely": 1.0,
            "value_high": 1.3,
            "risk": round(rng.random() * 0.6, 2),
            "confidence": "medium",
            "notes": "",
        }
        for i in chosen
    ]
    for chunk in _chunks(est_rows):
        db.session.execute(sa.insert(Estimate), chunk)
    db.session.commit()
    est_ids = db.session.scalars(sa.select(Estimate.id)).all()
    impacts = [
        {"estimate_id": e, "objective_id": o.id, "impact": rng.randint(0, 4)}
        for e in est_ids
        for o in objectives
    ]
    costs = [
        {"estimate_id": e, "period": p, "capex": rng.uniform(0, 5e5), "opex": 1e4}
        for e in est_ids
        for p in ("2027", "2028")
    ]
    for chunk in _chunks(impacts):
        db.session.execute(sa.insert(EstimateImpact), chunk)
    for chunk in _chunks(costs):
        db.session.execute(sa.insert(EstimateCost), chunk)
    # One idea and its reworded duplicate: the lookup must rank the original first.
    original = Idea(
        title="Automate three-way invoice matching",
        department_id=departments[0].id,
        submitter_id=emp_ids[0][0],
        status=S.SUBMITTED,
        submitted_at=now - timedelta(days=3),
        problem="Accounts payable matches supplier invoices against purchase orders and "
        "goods receipts by hand; many invoices are paid late.",
        proposal="Switch on the ERP matching engine with tolerance rules so clean invoices "
        "post automatically.",
        expected_benefit="Two FTE freed and fewer late-payment fees.",
    )
    reworded = Idea(
        title="Match supplier invoices to purchase orders automatically",
        department_id=departments[1].id,
        submitter_id=emp_ids[1][0],
        status=S.SUBMITTED,
        submitted_at=now - timedelta(days=1),
        problem="Our payables clerks compare every supplier invoice with the purchase order "
        "and the goods receipt manually, so payments slip past their due date.",
        proposal="Use the matching engine in the ERP, with tolerances, to post invoices that "
        "match.",
        expected_benefit="Saves clerical effort and late fees.",
    )
    db.session.add_all([original, reworded])
    db.session.commit()
    analyze()
    return {"brm": brm.id, "pm": pm.id, "original": original.id, "reworded": reworded.id}


def analyze() -> None:
    """Statistics for the planner after a bulk load, as a live database has them."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def _timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _stats(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def run(label: str, url: str, args) -> list[tuple]:
    instance = tempfile.mkdtemp(prefix="bench-review-")
    os.environ["PORTAL_INSTANCE_PATH"] = instance
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "bench.example",
            "MAIL_SERVER": None,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "SIMILARITY_BACKGROUND": args.similarity == "background",
        }
    )
    results = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        ids = populate(args.ideas, args.estimates)
        print(
            f"[{label}] populated {args.ideas:,} ideas, "
            f"{db.session.scalar(sa.select(sa.func.count(Estimate.id))):,} estimates in "
            f"{time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )

        def client_for(user_id):
            client = app.test_client()
            values = session_values(db.session.get(User, user_id))
            db.session.commit()
            with client.session_transaction() as session:
                session.update(values)
            return client

        brm, pm = client_for(ids["brm"]), client_for(ids["pm"])

        def get(client, path):
            def call():
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                db.session.remove()

            return call

        from flask import g

        @app.before_request
        def _forget_user():
            g.pop("_login_user", None)

        # Cold: the first similar-ideas lookup in a process. In the foreground it fits the
        # TF-IDF index itself; in the background it starts the fit and answers at once.
        print(f"[{label}] timing...", file=sys.stderr)
        from portal import similarity

        start = time.perf_counter()
        cold = _timed(get(brm, "/review/similar?text=invoice+matching&exclude=0"), 1)[0]
        index = app.extensions["converge_similarity"]
        index.wait()
        ready = (time.perf_counter() - start) * 1000

        with app.test_request_context():
            reworded = db.session.get(Idea, ids["reworded"])
            top = similarity.similar_to_idea(reworded, limit=3)
            ranked_first = bool(top) and top[0].idea.id == ids["original"]
        cases = [
            ("queue p1, BRM (2 of 12 depts), oldest", get(brm, "/review/")),
            ("queue p1, BRM, most votes", get(brm, "/review/?sort=votes")),
            ("queue p1, BRM, unassigned only", get(brm, "/review/?unassigned=y")),
            ("queue p1, PM (all depts), oldest", get(pm, "/review/")),
            ("queue p1, PM, most votes", get(pm, "/review/?sort=votes")),
            ("queue p1, PM, department", get(pm, "/review/?sort=department")),
            ("queue p40, PM, oldest", get(pm, "/review/?page=40")),
            ("queue p1, PM, overdue only", get(pm, "/review/?overdue=y")),
            (
                "similar ideas JSON (writing)",
                get(brm, "/review/similar?text=supplier+invoices+matched+to+purchase+orders"),
            ),
            ("idea page with similar ideas", get(brm, f"/ideas/{ids['reworded']}")),
        ]
        for name, fn in cases:
            _timed(fn, 3)
            median, p95 = _stats(_timed(fn, args.repeat))
            print(f"[{label}] {name}: median {median:.1f} ms, p95 {p95:.1f} ms", file=sys.stderr)
            results.append((label, name, median, p95, args.repeat))
        how = "starts the fit" if index.background else "fits index"
        results.append((label, f"similar ideas: first lookup ({how})", cold, cold, 1))
        results.append((label, "similar ideas: index ready after", ready, ready, 1))
        if index.background:
            # A refit (after 20 % growth) runs in the thread: lookups meanwhile.
            lookup = get(brm, "/review/similar?text=supplier+invoices+matched+to+purchase+orders")
            with index.lock:
                index.start_fit()
            during = []
            while index.builder.is_alive():
                during += _timed(lookup, 1)
            index.wait()
            if during:
                median, p95 = _stats(during)
                name = f"similar ideas JSON during a refit ({len(during)}x)"
                results.append((label, name, median, p95, len(during)))
        results.append((label, f"reworded duplicate ranked first: {ranked_first}", 0, 0, 0))
        db.session.remove()
        db.engine.dispose()  # the SQLite file or the PG database is removed by the caller
    return results


def on_databases(args, run, prefix: str) -> list:
    """`run(label, url, args)` on the databases `args.db` names: a temporary SQLite file,
    and a PostgreSQL database `args.pg_db` created and dropped here; their results."""
    results = []
    if args.db in ("sqlite", "both"):
        path = Path(tempfile.mkdtemp(prefix=prefix)) / "bench.sqlite"
        results += run("SQLite", f"sqlite:///{path}", args)
        path.unlink(missing_ok=True)
    if args.db in ("pg", "both"):
        admin_url = normalize_database_url(
            os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        )
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {args.pg_db}"))
            conn.execute(sa.text(f"CREATE DATABASE {args.pg_db}"))
        try:
            url = admin_url.rsplit("/", 1)[0] + "/" + args.pg_db
            results += run("PostgreSQL", url, args)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {args.pg_db} WITH (FORCE)"))
            admin.dispose()
    return results


def data_options(parser: argparse.ArgumentParser, repeat: int, pg_db: str = PG_DB) -> None:
    """The options of the benchmarks on this data (`on_databases`): which databases, how
    much data, how many timed repeats."""
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--estimates", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--pg-db", default=pg_db, help="PostgreSQL database, dropped at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_options(parser, repeat=40)
    parser.add_argument(
        "--similarity",
        choices=["background", "foreground"],
        default="background",
        help="fit the similar-ideas index in a thread (production) or in the lookup",
    )
    args = parser.parse_args()
    results = on_databases(args, run, "bench-review-")
    print(
        f"\nReview benchmark: {args.ideas:,} ideas, {args.estimates:,} estimates "
        f"({args.repeat} timed requests each, after 3 warm-ups)"
    )
    print(f"{'database':<11} {'measurement':<46} {'median ms':>10} {'p95 ms':>8}")
    for label, name, median, p95, n in results:
        if n == 0:
            print(f"{label:<11} {name}")
        else:
            print(f"{label:<11} {name:<46} {median:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
