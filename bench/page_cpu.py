"""Benchmark: CPU time per request of the busiest pages, in one process, without a server.

The load test (bench/web.py) needs an idle machine to mean much; the CPU time a request
costs the web process does not depend on the load. This script serves each page of
bench/web.py's cases through the Flask test client against a database built as bench/web.py
builds it (demo data and synthetic ideas; `--reuse` keeps it), signed in as the same demo
people, and prints per page: CPU ms per request (time.process_time, so the database
server's own work is not counted), the database server's CPU ms per request (its backends'
time in /proc, when it runs on this machine), wall ms, SQL statements and response size.
`--profile NAME` prints cProfile's top functions (by CPU time) for the pages whose name
contains NAME.

    python bench/page_cpu.py --database bench_web            # build, then measure
    python bench/page_cpu.py --database bench_web --reuse --profile "idea list"
"""

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import web  # noqa: E402  (data, cases and who plays each role)
from portal import create_app  # noqa: E402
from portal.auth.sessions import session_values  # noqa: E402
from portal.config import normalize_database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import User  # noqa: E402


def signed_in(app, role: str):
    """A test client signed in as the first demo person playing `role`."""
    client = app.test_client()
    email = f"{web.ROLES[role][0]}@{web.DOMAIN}"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        values = session_values(user)
        db.session.commit()
    with client.session_transaction() as session:
        session.update(values)
    return client


def api_client(app, url: str):
    """A test client sending a portfolio manager's API token."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {web.api_token(url, f'pm@{web.DOMAIN}')}"
    return client


def backend_cpu(backends: set) -> float | None:
    """CPU seconds the PostgreSQL backends `backends` (process ids) have used so far; None
    when they are not processes of this machine."""
    total = 0
    for pid in backends:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def measure(client, choose, requests: int, seed: int, statements: list, backends: set) -> dict:
    """CPU and wall ms per request, the database server's CPU ms per request, statements per
    request and bytes of the last answer."""
    rng = random.Random(seed)
    cpu, wall, counts = [], [], []
    size = 0
    server = backend_cpu(backends)
    for _ in range(requests):
        path = choose(rng)
        before = len(statements)
        c0, w0 = time.process_time(), time.perf_counter()
        answer = client.get(path)
        answer.close()  # as a server does: what runs after the response (an API token's note)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        counts.append(len(statements) - before)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code}")
        size = len(answer.data)
    after = backend_cpu(backends)
    return {
        "db": None if server is None or after is None else (after - server) * 1000 / requests,
        "cpu": statistics.median(cpu),
        "cpu_mean": statistics.fmean(cpu),
        "wall": statistics.median(wall),
        "sql": statistics.median(counts),
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=2000, help="synthetic ideas beside the demo")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="web_bench", help="dropped and created here")
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    parser.add_argument("--requests", type=int, default=60, help="per page, after 10 warm-ups")
    parser.add_argument("--only", help="measure only the pages whose name contains this")
    parser.add_argument("--profile", help="cProfile the pages whose name contains this")
    parser.add_argument("--top", type=int, default=35, help="functions the profile lists")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="bench-cpu-")
    if args.reuse:
        url = str(sa.engine.make_url(normalize_database_url(args.pg)).set(database=args.database))
    else:
        url = web.recreate_database(args.pg, args.database)
        web.build(url, instance, args.ideas, web.ROOT)
    ids = web.targets(url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(url),
            "RATELIMIT_ENABLED": False,
            "SIMILARITY_BACKGROUND": False,
        }
    )
    statements: list = []
    backends: set = set()  # the PostgreSQL server processes of the pool's connections
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        sa.event.listen(db.engine, "checkin", lambda c, _r: c and backends.add(c.info.backend_pid))
    clients = {}
    rows = []
    for n, (name, role, choose) in enumerate(web.cases(ids)):
        if role is None or (args.only and args.only not in name):
            continue
        if role not in clients:
            clients[role] = api_client(app, url) if role == "api" else signed_in(app, role)
        client = clients[role]
        measure(
            client, choose, 10, seed=99, statements=statements, backends=backends
        )  # warm caches and indexes
        if args.profile and args.profile in name:
            profile = cProfile.Profile(time.process_time)  # CPU, not waits
            profile.enable()
            result = measure(
                client, choose, args.requests, seed=n, statements=statements, backends=backends
            )
            profile.disable()
            print(f"\n== {name}: top {args.top} by own time, then cumulative")
            stats = pstats.Stats(profile).strip_dirs()
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top)
        result = measure(
            client, choose, args.requests, seed=n, statements=statements, backends=backends
        )
        rows.append((name, result))
    print(
        f"\nin-process test client, PostgreSQL, {ids['total']:,} ideas, "
        f"{args.requests} requests per page (medians)"
    )
    header = (
        f"{'page':<32} {'CPU ms':>7} {'mean':>6} {'DB CPU':>7} {'wall ms':>8} {'SQL':>4} {'KB':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, r in rows:
        print(
            f"{name:<32} {r['cpu']:>7.1f} {r['cpu_mean']:>6.1f} "
            f"{'-' if r['db'] is None else format(r['db'], '.1f'):>7} {r['wall']:>8.1f} "
            f"{r['sql']:>4.0f} {r['bytes'] / 1024:>6.1f}"
        )
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
