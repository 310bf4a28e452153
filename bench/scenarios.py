"""Time from "Run" to the results page for 100 / 1,000 / 10,000 candidate ideas.

Seeds a database with approved ideas and their estimates, then, for each size, posts the
scenario's Run button as a portfolio manager (the embedded background-thread mode), polls
the run's status endpoint until it is done and loads the results page. Prints where the
time went and the share spent outside the optimizer (target: under 1 s at 10,000).

    python bench/scenarios.py [--sizes 100,1000,10000] [--backend cbc] [--repeat N]
                              [--database-url URL]

The frontier and robustness analysis run after the results are stored and are left out
(they are extra solves); the optimizer's per-idea explanations count as solver time.
"charts s" is how long after the results page its charts are there: the job draws them
once, after storing the results, and the page reloads itself when they are.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.auth.sessions import session_values  # noqa: E402
from portal.config import normalize_database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Department,
    Estimate,
    EstimateCost,
    EstimateEffort,
    EstimateImpact,
    Idea,
    IdeaStatus,
    ResourcePool,
    Role,
    Run,
    Scenario,
    StrategicObjective,
    User,
    utcnow,
)
from portal.models.ideas import idea_objectives  # noqa: E402

PERIODS = ["2027", "2028", "2029"]


def seed(n: int, rng: random.Random) -> tuple[int, int]:
    """Fill empty tables with `n` approved ideas and estimates; returns (pm id, scenario id)."""
    db.drop_all()
    db.create_all()
    departments = [Department(name=f"Department {k}") for k in range(8)]
    objectives = [StrategicObjective(name=f"Objective {k}", weight=1 + k) for k in range(4)]
    pool = ResourcePool(name="Engineering")
    db.session.add_all([*departments, *objectives, pool])
    db.session.flush()
    pm = User(
        email="pm@bench.example",
        name="PM",
        role=Role.PORTFOLIO_MANAGER,
        department=departments[0],
        password_hash="x",
    )
    db.session.add(pm)
    db.session.flush()
    now = utcnow()
    db.session.execute(
        sa.insert(Idea),
        [
            {
                "id": i,
                "title": f"Idea {i}",
                "problem": "p",
                "proposal": "p",
                "expected_benefit": "b",
                "department_id": departments[i % 8].id,
                "submitter_id": pm.id,
                "status": IdeaStatus.APPROVED,
                "submitted_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(1, n + 1)
        ],
    )
    db.session.execute(
        sa.insert(Estimate),
        [
            {
                "id": i,
                "idea_id": i,
                "version": 1,
                "is_current": True,
                "author_id": pm.id,
                "value_low": 0.7,
                "value_likely": 1.0,
                "value_high": 1.3,
                "risk": rng.random() * 0.5,
                "created_at": now,
            }
            for i in range(1, n + 1)
        ],
    )
    db.session.execute(
        sa.insert(EstimateImpact),
        [
            {"estimate_id": i, "objective_id": o.id, "impact": rng.randint(0, 4)}
            for i in range(1, n + 1)
            for o in objectives
        ],
    )
    db.session.execute(
        sa.insert(EstimateCost),
        [
            {"estimate_id": i, "period": p, "capex": rng.randint(10, 200) * 1000.0, "opex": 0.0}
            for i in range(1, n + 1)
            for p in PERIODS[: 1 + i % 2]
        ],
    )
    db.session.execute(
        sa.insert(EstimateEffort),
        [
            {
                "estimate_id": i,
                "pool_id": pool.id,
                "period": PERIODS[0],
                "amount": float(rng.randint(1, 5)),
            }
            for i in range(1, n + 1)
        ],
    )
    db.session.execute(
        sa.insert(idea_objectives),
        [{"idea_id": i, "objective_id": objectives[i % 4].id} for i in range(1, n + 1)],
    )
    # Budgets for about a third of the ideas, so the budget binds.
    per_period = n * 105_000 / 3 / 1.5
    scenario = Scenario(
        name=f"Bench {n}",
        owner=pm,
        periods=PERIODS,
        budget={p: per_period for p in PERIODS},
        capacity={str(pool.id): {PERIODS[0]: n * 3 / 3}},
        department_shares={str(departments[0].id): {"min": 0.05, "max": 0.5}},
        start_later={"*": 1},
        time_limit=120,
    )
    db.session.add(scenario)
    db.session.commit()
    return pm.id, scenario.id


def measure(app, pm_id: int, scenario_id: int) -> dict:
    """Post Run, poll, load the page; call without an app context pushed so each request
    gets its own (and its own session, ended at teardown as in production)."""
    client = app.test_client()
    with app.app_context():
        values = session_values(db.session.get(User, pm_id))
        db.session.commit()
    with client.session_transaction() as session:
        session.update(values)
    t0 = time.perf_counter()
    response = client.post(f"/portfolio/scenarios/{scenario_id}/run")
    assert response.status_code == 302, response.status_code
    posted = time.perf_counter() - t0
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    while True:
        state = client.get(f"/portfolio/runs/{run_id}/status.json").get_json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.02)
    t_page = time.perf_counter()
    page = client.get(f"/portfolio/runs/{run_id}")
    total = time.perf_counter() - t0
    page_seconds = time.perf_counter() - t_page
    assert page.status_code == 200
    # The charts are drawn by the job after the results are stored (the page polls and
    # reloads): how long after the page they are there.
    while not client.get(f"/portfolio/runs/{run_id}/status.json").get_json()["finished"]:
        time.sleep(0.02)
    charts = time.perf_counter() - t_page - page_seconds
    with app.app_context():
        run = db.session.get(Run, run_id)
        assert run.status.value == "done", run.error
        return {**_row(run, posted, page_seconds, total), "charts": charts}


def _row(run: Run, posted: float, page_seconds: float, total: float) -> dict:
    solver = run.result["portal"]["solver_wall_seconds"]
    return {
        "status": run.result_status,
        "selected": len(run.result["selected"]),
        "freeze": run.settings["freeze_seconds"],
        "request": posted,
        "solver": solver,
        "explain": run.result["solver"].get("explain_seconds", 0.0),
        "job": (run.finished_at - run.started_at).total_seconds() - solver,
        "page": page_seconds,
        "total": total,
        "outside": total - solver,
    }


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--backend", default="cbc", choices=["cbc", "highs"])
    parser.add_argument("--explain-seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (medians)")
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="converge-bench-")
    url = (
        normalize_database_url(args.database_url)
        if args.database_url
        else ("sqlite:///" + str(Path(tmp) / "bench.sqlite"))
    )
    os.environ.setdefault("PORTAL_INSTANCE_PATH", tmp)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "REDIS_URL": None,
            "RUNS_INLINE": False,
            "PORTFOLIO_FRONTIER_POINTS": 0,
            "PORTFOLIO_ROBUSTNESS_SAMPLES": 0,
            "PORTFOLIO_EXPLAIN_SECONDS": args.explain_seconds,
        }
    )
    rng = random.Random(7)
    print(
        f"database: {url.split(':')[0]}  backend: {args.backend}  mode: background thread  "
        f"explanations capped at {args.explain_seconds:g} s  "
        f"median of {args.repeat} run(s) per size"
    )
    header = (
        f"{'ideas':>7} {'status':>8} {'chosen':>6} {'freeze s':>9} {'POST s':>7} "
        f"{'solver s':>9} {'(explain)':>9} {'store s':>7} {'page s':>6} {'total s':>8} "
        f"{'outside s':>9} {'outside %':>9} {'charts s':>8}"
    )
    print(header)
    print("-" * len(header))
    for n in [int(x) for x in args.sizes.split(",")]:
        with app.app_context():
            pm_id, scenario_id = seed(n, rng)
            scenario = db.session.get(Scenario, scenario_id)
            scenario.backend = args.backend
            db.session.commit()
        rows = [measure(app, pm_id, scenario_id) for _ in range(args.repeat)]
        r = {k: _median([row[k] for row in rows]) for k in rows[0] if k != "status"}
        r["status"] = rows[-1]["status"]
        print(
            f"{n:>7} {r['status']:>8} {r['selected']:>6} {r['freeze']:>9.3f} "
            f"{r['request']:>7.3f} {r['solver']:>9.3f} {r['explain']:>9.3f} "
            f"{r['job']:>7.3f} {r['page']:>6.3f} "
            f"{r['total']:>8.3f} {r['outside']:>9.3f} {100 * r['outside'] / r['total']:>8.1f}% "
            f"{r['charts']:>8.3f}"
        )
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
