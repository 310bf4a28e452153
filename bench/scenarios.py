"""Time from "Run" to the results page for 100 / 1,000 / 10,000 candidate ideas, how soon after
the solve the selection is on the page, and how long the per-idea explanations take after.

Seeds a database with approved ideas and their estimates, then, for each size, posts the
scenario's Run button as a portfolio manager, polls the run's status endpoint until it is
done and loads the results page; then polls until the explanations are all in.

    python bench/scenarios.py [--sizes 100,1000,10000] [--backend cbc] [--repeat N]
                              [--database-url URL] [--explain-seconds S] [--part N]
                              [--redis-url URL --workers N] [--explain-wait S]

Without --redis-url runs go to the web process's background thread (the embedded default),
which works the explanations' parts one after another. With --redis-url and --workers N
the benchmark starts N `flask --app wsgi run-worker` processes on that Redis database (and
stops them at the end): the run is one job and each part of its explanations another.

The frontier and robustness analysis are left out (extra solves). "shown s" is the time
from the end of the solve (`result.portal.solved_at`) to the results page loaded with the
selection and the limits: the goal is 3 s at 10,000. "charts s" is how long after the
results page its charts are there. The second table: the explanations' parts, the ideas
that needed a re-solve, how many got their value at stake (exact or a range), the wall time
from the end of the solve to the last part, and the solver time summed over the parts.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
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
    ExplanationPart,
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
from portal.portfolio import explanations  # noqa: E402

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


def measure(app, pm_id: int, scenario_id: int, explain_wait: float) -> dict:
    """Post Run, poll, load the page, wait for the explanations; call without an app context
    pushed so each request gets its own (and its own session, ended at teardown as in
    production)."""
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
    shown_at = utcnow()
    total = time.perf_counter() - t0
    page_seconds = time.perf_counter() - t_page
    assert (
        page.status_code == 200 and b"data-selected" in page.data and b"data-binding" in page.data
    )
    # The charts are drawn by the job after the results are stored (the page polls and
    # reloads): how long after the page they are there.
    charts = None
    deadline = time.perf_counter() + explain_wait
    while time.perf_counter() < deadline:
        state = client.get(f"/portfolio/runs/{run_id}/status.json").get_json()
        if charts is None and _has_charts(app, run_id):
            charts = time.perf_counter() - t_page - page_seconds
        if state["finished"]:
            break
        time.sleep(0.05)
    with app.app_context():
        run = db.session.get(Run, run_id)
        assert run.status.value == "done", run.error
        solved_at = datetime.fromisoformat(run.result["portal"]["solved_at"])
        row = _row(run, posted, page_seconds, total)
        row.update(charts=charts, shown=(shown_at - solved_at).total_seconds())
        row.update(_explained(run, solved_at, state))
        return row


def _has_charts(app, run_id: int) -> bool:
    with app.app_context():
        return db.session.scalar(sa.select(Run.charts.is_not(None)).where(Run.id == run_id))


def _explained(run: Run, solved_at: datetime, state: dict) -> dict:
    """The explanations' figures: parts, ideas needing a re-solve, values computed (exact
    or a range), wall time from the end of the solve to the last part, solver seconds."""
    parts = db.session.scalars(sa.select(ExplanationPart).where(ExplanationPart.run_id == run.id))
    parts = list(parts)
    entries = explanations.known(run)  # the last part's merge may still be committing
    ended = [p.finished_at for p in parts if p.finished_at is not None]
    close = 0.01 * abs(run.result["objective"])
    return {
        "parts": len(parts),
        "needed": sum(p.size for p in parts),
        "computed": sum(1 for e in entries if e.get("value_lost") is not None),
        "ranges": sum(1 for e in entries if e.get("value_lost_range")),
        # the issue's goal: exact, or a proven range narrower than 1 % of the objective
        "close": sum(
            1
            for e in entries
            if e.get("value_lost") is not None
            or (e.get("value_lost_range") and _width(e["value_lost_range"]) < close)
        ),
        "unfinished": state["explained"]["state"] == "pending",
        "explain_wall": (max(ended) - solved_at).total_seconds() if ended else 0.0,
        "explain_cpu": sum(p.seconds or 0.0 for p in parts),
    }


def _width(bracket: list[float]) -> float:
    return bracket[1] - bracket[0]


def _row(run: Run, posted: float, page_seconds: float, total: float) -> dict:
    solver = run.result["portal"]["solver_wall_seconds"]
    return {
        "status": run.result_status,
        "selected": len(run.result["selected"]),
        "freeze": run.settings["freeze_seconds"],
        "request": posted,
        "solver": solver,
        "job": (run.finished_at - run.started_at).total_seconds() - solver,
        "page": page_seconds,
        "total": total,
        "outside": total - solver,
    }


def start_workers(count: int, env: dict) -> list[subprocess.Popen]:
    """`flask --app wsgi run-worker` × count, on the benchmark's database and Redis."""
    root = Path(__file__).resolve().parent.parent
    flask = str(Path(sys.executable).with_name("flask"))
    return [
        subprocess.Popen(
            [flask, "--app", "wsgi", "run-worker"],
            cwd=root,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--backend", default="cbc", choices=["cbc", "highs"])
    parser.add_argument("--explain-seconds", type=float, default=20.0, help="per part")
    parser.add_argument("--part", type=int, default=5000, help="candidates per part")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (medians)")
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_BENCH_DATABASE_URL"))
    parser.add_argument("--redis-url", help="RQ mode: the Redis database of the queue")
    parser.add_argument("--workers", type=int, default=2, help="RQ workers started")
    parser.add_argument(
        "--explain-wait", type=float, default=900.0, help="longest wait for the explanations"
    )
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="converge-bench-")
    url = (
        normalize_database_url(args.database_url)
        if args.database_url
        else ("sqlite:///" + str(Path(tmp) / "bench.sqlite"))
    )
    os.environ.setdefault("PORTAL_INSTANCE_PATH", tmp)
    settings = {
        "PORTFOLIO_FRONTIER_POINTS": 0,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 0,
        "PORTFOLIO_EXPLAIN_SECONDS": args.explain_seconds,
        "PORTFOLIO_EXPLAIN_PART": args.part,
        "PORTFOLIO_EXPLAIN_MAX_CANDIDATES": 0,
    }
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "REDIS_URL": args.redis_url,
            "RUNS_INLINE": False,
            **settings,
        }
    )
    workers = []
    if args.redis_url:
        from portal.background import job_queue

        job_queue(app).empty()
        env = {k: str(v) for k, v in settings.items()}
        env.update(PORTAL_DATABASE_URL=url, REDIS_URL=args.redis_url, PORTAL_LOG_LEVEL="WARNING")
        workers = start_workers(args.workers, env)
    mode = f"RQ, {args.workers} workers" if args.redis_url else "background thread"
    rng = random.Random(7)
    print(
        f"database: {url.split(':')[0]}  backend: {args.backend}  mode: {mode}  "
        f"explanations: parts of {args.part}, {args.explain_seconds:g} s each  "
        f"median of {args.repeat} run(s) per size  load average: {_load()}"
    )
    header = (
        f"{'ideas':>7} {'status':>8} {'chosen':>6} {'freeze s':>9} {'POST s':>7} "
        f"{'solver s':>9} {'store s':>7} {'page s':>6} {'total s':>8} "
        f"{'outside s':>9} {'shown s':>8} {'charts s':>8}"
    )
    explain_header = (
        f"{'ideas':>7} {'parts':>6} {'needed':>7} {'computed':>9} {'(ranges)':>9} "
        f"{'<1 % off':>9} {'wall s':>8} {'solver s':>9}"
    )
    results = []
    try:
        print(header)
        print("-" * len(header))
        for n in [int(x) for x in args.sizes.split(",")]:
            with app.app_context():
                pm_id, scenario_id = seed(n, rng)
                scenario = db.session.get(Scenario, scenario_id)
                scenario.backend = args.backend
                db.session.commit()
            rows = [measure(app, pm_id, scenario_id, args.explain_wait) for _ in range(args.repeat)]
            r = {
                k: _median([row[k] for row in rows])
                for k in rows[0]
                if k not in ("status", "unfinished", "charts")
            }
            r["status"] = rows[-1]["status"]
            r["unfinished"] = any(row["unfinished"] for row in rows)
            charts = [row["charts"] for row in rows if row["charts"] is not None]
            results.append((n, r))
            print(
                f"{n:>7} {r['status']:>8} {r['selected']:>6} {r['freeze']:>9.3f} "
                f"{r['request']:>7.3f} {r['solver']:>9.3f} "
                f"{r['job']:>7.3f} {r['page']:>6.3f} "
                f"{r['total']:>8.3f} {r['outside']:>9.3f} {r['shown']:>8.3f} "
                + (f"{_median(charts):>8.3f}" if charts else f"{'-':>8}")
            )
        print()
        print(f"explanations ({mode}; load average now: {_load()})")
        print(explain_header)
        print("-" * len(explain_header))
        for n, r in results:
            wall = f"{r['explain_wall']:>8.1f}" + (" (not all in yet)" if r["unfinished"] else "")
            print(
                f"{n:>7} {r['parts']:>6.0f} {r['needed']:>7.0f} {r['computed']:>9.0f} "
                f"{r['ranges']:>9.0f} {r['close']:>9.0f} {wall} {r['explain_cpu']:>9.1f}"
            )
    finally:
        stop_workers(workers)
        with app.app_context():
            db.engine.dispose()


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
