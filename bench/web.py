"""Benchmark: the portal's busiest pages under gunicorn with fifty signed-in users.

Builds its own PostgreSQL database (demo data through `flask seed-demo`, then synthetic
ideas), starts `gunicorn -w 4` on the loopback serving the portal with a bare Flask hello
beside it (bench/web_server.py), signs each simulated user in through the real login form
(CSRF and all; API cases use a token), and hammers one page at a time for `--seconds` with
`--users` threads, each a `requests` session that sends its next request as soon as the last
answer arrives. Prints requests per second, p50/p95/p99 in ms, the CPU each request cost the
server (gunicorn's workers and PostgreSQL, from /proc) and the client, and the ratio to bare Flask
measured in the same run. Goals: every page at least 0.25x bare Flask and p95 <= 300 ms.

    python bench/web.py                                   # 50 users, 20 s per page
    python bench/web.py --ideas 20000 --seconds 10 --users 20
    python bench/web.py --reuse --app-root /tmp/before    # same data, another checkout

The client shares the machine with the server, so absolute figures depend on the host;
compare pages with bare Flask, and before with after, within one run or back to back.
"""

import argparse
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from portal import create_app, workflow  # noqa: E402
from portal.config import normalize_database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Department, Idea, IdeaStatus, StrategicObjective, User, utcnow  # noqa: E402
from portal.models.ideas import idea_objectives  # noqa: E402

DEMO_PASSWORD = "converge-demo"
DOMAIN = "converge.example"
WORDS = [
    "invoice",
    "supplier",
    "payroll",
    "travel",
    "expense",
    "chatbot",
    "dashboard",
    "report",
    "onboarding",
    "contract",
    "archive",
    "search",
    "mobile",
    "approval",
    "workflow",
    "customer",
    "ticket",
    "backup",
    "cloud",
    "forecast",
    "budget",
    "warehouse",
    "delivery",
    "route",
    "training",
    "survey",
    "feedback",
    "calendar",
    "booking",
    "signature",
]
SHARES = {  # status of a synthetic idea: weight
    IdeaStatus.SUBMITTED: 25,
    IdeaStatus.IN_REVIEW: 10,
    IdeaStatus.NEEDS_INFO: 3,
    IdeaStatus.ESTIMATED: 8,
    IdeaStatus.APPROVED: 8,
    IdeaStatus.DELIVERED: 5,
    IdeaStatus.REJECTED: 15,
    IdeaStatus.WITHDRAWN: 5,
    IdeaStatus.DEFERRED: 4,
    IdeaStatus.DRAFT: 6,
}


# ------------------------------------------------------------------ data


def _env(url: str, instance: str) -> dict:
    """The environment of the server and of the `flask` commands."""
    return {
        **os.environ,
        "PORTAL_DATABASE_URL": url,
        "PORTAL_INSTANCE_PATH": instance,
        "SECRET_KEY": "bench-web",
        "PORTAL_ENV": "development",
        "PORTAL_MAIL_INLINE": "0",
    }


def recreate_database(admin_url: str, name: str) -> str:
    """Drop and create database `name` next to `admin_url`; returns its URL."""
    admin = sa.create_engine(normalize_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return str(sa.engine.make_url(normalize_database_url(admin_url)).set(database=name))


def build(url: str, instance: str, n_ideas: int, app_root: Path, seed: int = 7) -> None:
    """Schema by migration, demo data by `flask seed-demo`, then `n_ideas` synthetic ideas."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    env = _env(url, instance)
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=app_root, env=env, check=True, capture_output=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize_database_url(url)})
    rng = random.Random(seed)
    now = utcnow()
    with app.app_context():
        departments = db.session.scalars(sa.select(Department.id)).all()
        people = db.session.execute(sa.select(User.id, User.department_id)).all()
        objectives = db.session.scalars(sa.select(StrategicObjective.id)).all()
        states, weights = list(SHARES), list(SHARES.values())
        rows = []
        for n in range(n_ideas):
            submitter, department = rng.choice(people)
            status = rng.choices(states, weights)[0]
            created = now - timedelta(days=rng.uniform(0, 365))

            def words(k):
                return " ".join(rng.choice(WORDS) for _ in range(k)).capitalize() + "."

            rows.append(
                {
                    "title": f"{words(6)[:-1]} {n}",
                    "problem": words(40),
                    "proposal": words(30),
                    "expected_benefit": words(12),
                    "department_id": department or rng.choice(departments),
                    "submitter_id": submitter,
                    "status": status,
                    "vote_count": int(rng.expovariate(1 / 4)),
                    "created_at": created,
                    "updated_at": created,
                    "submitted_at": None if status == IdeaStatus.DRAFT else created,
                    "waiting_since": created if status in workflow.UNDER_REVIEW else None,
                }
            )
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(Idea), rows[start : start + 5000])
        db.session.commit()
        first = db.session.scalar(sa.select(sa.func.min(Idea.id)).where(Idea.title.like("% 0")))
        new_ids = db.session.scalars(sa.select(Idea.id).where(Idea.id >= (first or 0))).all()
        links = [
            {"idea_id": i, "objective_id": o}
            for i in new_ids
            for o in rng.sample(objectives, min(len(objectives), rng.randint(0, 2)))
        ]
        for start in range(0, len(links), 5000):
            db.session.execute(idea_objectives.insert(), links[start : start + 5000])
        db.session.commit()
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE" if url.startswith("postgres") else "ANALYZE"))
        db.engine.dispose()


def targets(url: str) -> dict:
    """Ids the cases ask for: visible ideas, a finished run."""
    engine = sa.create_engine(normalize_database_url(url))
    with engine.connect() as conn:
        ideas = conn.scalars(
            sa.text("SELECT id FROM ideas WHERE status <> 'draft' ORDER BY random() LIMIT 200")
        ).all()
        run = conn.scalar(sa.text("SELECT id FROM runs WHERE status = 'done' ORDER BY id LIMIT 1"))
        total = conn.scalar(sa.text("SELECT count(*) FROM ideas"))
    engine.dispose()
    return {"ideas": ideas, "run": run, "total": total}


# ------------------------------------------------------------------ server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, instance: str, app_root: Path, workers: int, log: Path, port: int = 0):
    """gunicorn on the loopback (on `port`, or a free one); returns (process, base URL) once
    it answers."""
    port = port or _free_port()
    env = _env(url, instance) | {"BENCH_APP_ROOT": str(app_root)}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--chdir",
        str(BENCH),
        "--timeout",
        "120",
        "web_server:app",
    ]
    out = log.open("w")
    process = subprocess.Popen(command, env=env, stdout=out, stderr=out, start_new_session=True)
    return process, wait_until_serving(process, port, log, "gunicorn")


def wait_until_serving(process, port: int, log, what: str) -> str:
    """The server's base URL once it answers `/bare/`; stops it and exits when it does not
    within 90 s or dies first."""
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} stopped; see {log}")
        try:
            if requests.get(base + "/bare/", timeout=2).status_code == 200:
                return base
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop_server(process)
    raise SystemExit(f"{what} did not answer within 90 s; see {log}")


def stop_server(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# ------------------------------------------------------------------ clients

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def sign_in(base: str, email: str) -> requests.Session:
    """A session signed in through the login form, as a browser would."""
    session = requests.Session()
    page = session.get(f"{base}/auth/login", timeout=60)
    token = CSRF.search(page.text).group(1)
    answer = session.post(
        f"{base}/auth/login",
        data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed: {answer.status_code}")
    return session


def api_token(url: str, email: str) -> str:
    """A fresh API token of `email`, made as the account page makes one."""
    from portal.account.service import create_token
    from portal.models import ApiToken

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize_database_url(url)})
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        # Earlier runs' tokens go first: a person may hold only so many.
        db.session.execute(
            sa.update(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.name.like("bench %"),
                ApiToken.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        secret = create_token(user, f"bench {time.time():.0f}").secret
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return secret


ROLES = {  # who plays each role: demo people, cycled over the simulated users
    "employee": ["employee", "olivia.brennan", "rahul.mehta", "grace.okafor", "tom.fischer"],
    "brm": ["brm", "brm2"],
    "pm": ["pm"],
}


def cases(ids: dict) -> list[tuple[str, str, callable]]:
    """(name, role, path chooser) of every measured page."""
    ideas = ids["ideas"]
    chosen = [
        ("bare Flask hello", None, lambda r: "/bare/"),
        ("idea list, page 1", "employee", lambda r: "/ideas/"),
        (
            "idea list, pages 1-5 by votes",
            "employee",
            lambda r: f"/ideas/?sort=votes&page={r.randint(1, 5)}",
        ),  # noqa: E501
        ("idea page (employee)", "employee", lambda r: f"/ideas/{r.choice(ideas)}"),
        ("idea page (BRM: similar ideas)", "brm", lambda r: f"/ideas/{r.choice(ideas)}"),
        ("review queue (BRM)", "brm", lambda r: "/review/"),
        ("review queue (PM, by votes)", "pm", lambda r: "/review/?sort=votes"),
        ("API idea list (token)", "api", lambda r: "/api/v1/ideas"),
    ]
    if ids["run"]:
        chosen.append(("run page (PM)", "pm", lambda r: f"/portfolio/runs/{ids['run']}"))
    return chosen


def hammer(base, sessions, choose, seconds: float, seed: int) -> dict:
    """Every session requests in a loop for `seconds`; latencies in ms and status counts."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    latencies, statuses = [], {}

    def user(n, session):
        rng = random.Random(seed * 1000 + n)
        mine, codes = [], {}
        while time.monotonic() < stop:
            path = choose(rng)
            started = time.perf_counter()
            try:
                code = session.get(base + path, allow_redirects=False, timeout=60).status_code
            except requests.RequestException:
                code = "error"
            mine.append((time.perf_counter() - started) * 1000)
            codes[code] = codes.get(code, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    started = time.monotonic()
    with ThreadPoolExecutor(len(sessions)) as pool:
        list(pool.map(user, range(len(sessions)), sessions))
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0

    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) if latencies else 0,
        "p95": pct(0.95),
        "p99": pct(0.99),
        "n": len(latencies),
        "statuses": statuses,
    }


# ------------------------------------------------------------------ CPU accounting

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    """Seconds of CPU (user + system) the process has used; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def server_pids(master: int) -> list[int]:
    """gunicorn's workers and every PostgreSQL process on this machine (Linux's /proc;
    none elsewhere, and the CPU columns then read 0)."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        parent = int(stat.rpartition(")")[2].split()[1])
        if parent == master or name == "postgres" or name.startswith("postgres:"):
            pids.append(int(entry.name))
    return pids


def cpu_used(pids: list[int]) -> tuple[float, float]:
    """(server CPU seconds so far: gunicorn's workers and PostgreSQL, this process's own)."""
    return sum(_cpu_of(pid) for pid in pids), time.process_time()


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20, help="per page")
    parser.add_argument("--ideas", type=int, default=2000, help="synthetic ideas beside the demo")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL URL whose server hosts the benchmark database",
    )
    parser.add_argument("--database", default="web_bench", help="dropped and created here")
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="checkout to serve")
    parser.add_argument("--only", help="measure only the pages whose name contains this")
    parser.add_argument("--port", type=int, default=0, help="serve here (default: a free port)")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="bench-web-")
    if args.reuse:
        url = str(sa.engine.make_url(normalize_database_url(args.pg)).set(database=args.database))
    else:
        url = recreate_database(args.pg, args.database)
        started = time.perf_counter()
        build(url, instance, args.ideas, args.app_root)
        print(f"built demo + {args.ideas:,} ideas in {time.perf_counter() - started:.0f} s")
    ids = targets(url)
    log = Path(instance) / "gunicorn.log"
    process, base = start_server(url, instance, args.app_root, args.workers, log, args.port)
    rows = []
    try:
        pool: dict[str, list] = {}

        def sessions_for(role):
            if role is None:
                return [requests.Session() for _ in range(args.users)]
            if role not in pool:
                if role == "api":
                    token = api_token(url, f"pm@{DOMAIN}")
                    made = [requests.Session() for _ in range(args.users)]
                    for session in made:
                        session.headers["Authorization"] = f"Bearer {token}"
                else:
                    people = ROLES[role]
                    with ThreadPoolExecutor(8) as signer:
                        made = list(
                            signer.map(
                                lambda n: sign_in(base, f"{people[n % len(people)]}@{DOMAIN}"),
                                range(args.users),
                            )
                        )
                pool[role] = made
            return pool[role]

        for n, (name, role, choose) in enumerate(cases(ids)):
            if args.only and args.only not in name and role is not None:
                continue
            sessions = sessions_for(role)
            hammer(base, sessions[:4], choose, 1.0, seed=99)  # warm the workers' caches
            pids = server_pids(process.pid)
            server_before, client_before = cpu_used(pids)
            result = hammer(base, sessions, choose, args.seconds, seed=n)
            server_after, client_after = cpu_used(pids)
            count = max(result["n"], 1)
            result["server_ms"] = (server_after - server_before) * 1000 / count
            result["client_ms"] = (client_after - client_before) * 1000 / count
            rows.append((name, result))
            print(f"  {name}: {result['rps']:.1f} req/s, p95 {result['p95']:.0f} ms", flush=True)
    finally:
        stop_server(process)
    bare = rows[0][1]["rps"] or 1
    print()
    print(
        f"gunicorn -w {args.workers}, PostgreSQL, {ids['total']:,} ideas, {args.users} users, "
        f"{args.seconds:g} s per page, served from {args.app_root}"
    )
    header = (
        f"{'page':<32} {'req/s':>7} {'x bare':>7} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'server':>7} {'client':>7} {'requests':>8}  statuses  goal"
    )
    print(header)
    print("-" * len(header))
    for name, r in rows:
        ratio = r["rps"] / bare
        ok = ratio >= 0.25 and r["p95"] <= 300
        codes = ",".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items(), key=str))
        print(
            f"{name:<32} {r['rps']:>7.1f} {ratio:>7.2f} {r['p50']:>6.0f} {r['p95']:>6.0f} "
            f"{r['p99']:>6.0f} {r['server_ms']:>7.2f} {r['client_ms']:>7.2f} {r['n']:>8}  "
            f"{codes}  {'ok' if ok else 'MISSED'}"
        )
    print(
        "server, client: CPU ms per request of gunicorn's workers and PostgreSQL together, and "
        "of this client;\nless noisy than req/s on a shared machine, and what a change to a "
        "page's cost moves."
    )
    shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
