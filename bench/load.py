"""Soak test: many users writing at once, then the database checked against every answer.

Builds its own database (demo data through `flask seed-demo`, a few synthetic ideas and one
account per simulated user), serves it on the loopback (gunicorn -w 4 on PostgreSQL, the
threaded development server on SQLite; rate limits off, see bench/web_server.py), and lets
`--users` signed-in people work for `--minutes`: employees vote, comment, follow and submit
ideas on a handful of shared ideas (so their writes collide), portfolio managers save
estimates of the same few ideas at once (optimistic versions: 409 for the loser) and run
scenarios. Every acknowledged write (a 2xx/3xx answer that says it was done) is recorded
with a unique marker; at the end the database must hold each exactly once and intact:

    lost        acknowledged, not in the database (a vote or follow not in its last state)
    duplicated  in the database more than once
    corrupt     in the database but wrong (other idea or author, vote counts off, estimate
                versions with a gap or not one current, two runs with one number)

and no answer may be a 5xx. Prints the counts and exits 1 when any is not 0.

    python bench/load.py --db sqlite                    # 20 users, 1 minute
    python bench/load.py --db postgres --users 50 --minutes 3
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import web  # noqa: E402  (database, data and server helpers)

OPEN = ("submitted", "in_review", "needs_info", "estimated", "approved", "deferred")
ESTIMABLE = ("in_review", "needs_info", "estimated", "approved", "deferred")
ESTIMATORS = 3  # portfolio managers among the users: estimates and runs
EMPLOYEE_ACTIONS = [("vote", 4), ("comment", 3), ("follow", 2), ("submit", 1)]
FORM_INPUT = re.compile(r"<input\b[^>]*>")
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')


# ------------------------------------------------------------------ setup


def add_people(url: str, users: int) -> list[tuple[str, str]]:
    """One account per simulated user: (e-mail, role); the first ESTIMATORS manage the
    portfolio. They share the demo password (its hash is copied from a demo account)."""
    engine = sa.create_engine(web.normalize_database_url(url))
    people = []
    with engine.begin() as conn:
        password = conn.scalar(sa.text("SELECT password_hash FROM users ORDER BY id LIMIT 1"))
        departments = conn.scalars(sa.text("SELECT id FROM departments ORDER BY id")).all()
        for n in range(users):
            role = "portfolio_manager" if n < ESTIMATORS else "employee"
            email = f"load{n}@{web.DOMAIN}"
            conn.execute(
                sa.text(
                    "INSERT INTO users (email, name, password_hash, role, department_id, active, "
                    "created_at) VALUES (:e, :n, :p, :r, :d, :a, CURRENT_TIMESTAMP)"
                ),
                {
                    "e": email,
                    "n": f"Load user {n}",
                    "p": password,
                    "r": role,
                    "d": departments[n % len(departments)],
                    "a": True,
                },
            )
            people.append((email, role))
    engine.dispose()
    return people


def targets(url: str) -> dict:
    """The few ideas everyone works on (collisions are the point), and the scenarios."""
    engine = sa.create_engine(web.normalize_database_url(url))
    with engine.connect() as conn:

        def ids(sql, **params):
            query = sa.text(sql)
            if params:
                query = query.bindparams(sa.bindparam("s", expanding=True))
            return conn.scalars(query, params).all()

        found = {
            "open": ids(
                "SELECT id FROM ideas WHERE status IN :s ORDER BY id LIMIT 12",
                s=OPEN,
            ),
            "estimable": ids(
                "SELECT id FROM ideas WHERE status IN :s ORDER BY id LIMIT 3", s=ESTIMABLE
            ),
            "scenarios": ids("SELECT id FROM scenarios ORDER BY id LIMIT 2"),
            "departments": ids("SELECT id FROM departments ORDER BY id"),
        }
    engine.dispose()
    return found


def start_dev_server(url: str, instance: str, log: Path):
    """The threaded development server (SQLite's case); returns (process, base URL)."""
    port = web._free_port()
    env = web._env(url, instance) | {"BENCH_APP_ROOT": str(web.ROOT)}
    out = log.open("w")
    process = subprocess.Popen(
        [sys.executable, str(web.BENCH / "web_server.py"), str(port)],
        env=env,
        stdout=out,
        stderr=out,
        start_new_session=True,
    )
    return process, web.wait_until_serving(process, port, log, "the development server")


# ------------------------------------------------------------------ the users


class Ledger:
    """What the server acknowledged, and every answer's status."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = Counter()
        self.votes = {}  # (email, idea) -> voted after the last acknowledged toggle
        self.follows = {}  # (email, idea) -> follows after the last acknowledged toggle
        self.unknown = set()  # ("vote"|"follow", email, idea): an answer went missing
        self.comments = []  # (marker, email, idea)
        self.ideas = []  # (marker, email, idea id from the redirect)
        self.estimates = []  # (marker, email, idea, version it was based on)
        self.runs = []  # (run id, scenario)
        self.refused = Counter()  # expected refusals: 409 estimate conflicts, busy scenarios

    def answer(self, kind: str, status) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1


def _form_fields(html: str, form_action: str | None = None) -> dict:
    """Hidden and text inputs of the page's forms (the first value of each name)."""
    fields = {}
    for tag in FORM_INPUT.findall(html):
        attrs = dict(ATTRIBUTE.findall(tag))
        name = attrs.get("name")
        if name and name not in fields and attrs.get("type") not in ("checkbox", "submit"):
            fields[name] = attrs.get("value", "")
    return fields


class Worker:
    """One simulated person: a signed-in session and a loop of actions."""

    def __init__(self, base, email, role, ids, ledger, rng):
        self.base, self.email, self.role = base, email, role
        self.ids, self.ledger, self.rng = ids, ledger, rng
        self.session = web.sign_in(base, email)
        self.session.headers["Referer"] = base + "/"

    def _csrf(self, path: str) -> tuple[str, str]:
        page = self.session.get(self.base + path, timeout=60)
        self.ledger.answer("GET", page.status_code)
        token = web.CSRF.search(page.text)
        return (token.group(1) if token else ""), page.text

    def post(self, kind: str, path: str, data: dict):
        try:
            answer = self.session.post(
                self.base + path, data=data, allow_redirects=False, timeout=60
            )
        except requests.RequestException:
            self.ledger.answer(kind, "no answer")
            return None
        self.ledger.answer(kind, answer.status_code)
        return answer

    def act(self) -> None:
        if self.role == "portfolio_manager":
            if self.rng.random() < 0.92:
                self.estimate()
            else:
                self.run()
            return
        kinds, weights = zip(*EMPLOYEE_ACTIONS, strict=True)
        getattr(self, self.rng.choices(kinds, weights)[0])()

    def _toggle(self, kind: str, store: dict) -> None:
        idea = self.rng.choice(self.ids["open"])
        token, _ = self._csrf(f"/ideas/{idea}")
        answer = self.post(kind, f"/ideas/{idea}/{kind}", {"csrf_token": token})
        key = (self.email, idea)
        with self.ledger.lock:
            if answer is None or answer.status_code >= 500:
                self.ledger.unknown.add((kind, *key))
            elif answer.status_code in (302, 303):
                store[key] = not store.get(key, False)  # load users start with neither

    def vote(self) -> None:
        self._toggle("vote", self.ledger.votes)

    def follow(self) -> None:
        self._toggle("follow", self.ledger.follows)

    def comment(self) -> None:
        idea = self.rng.choice(self.ids["open"])
        token, _ = self._csrf(f"/ideas/{idea}")
        marker = f"load-comment-{uuid.uuid4().hex}"
        answer = self.post(
            "comment", f"/ideas/{idea}/comments", {"csrf_token": token, "body": marker}
        )
        if answer is not None and answer.status_code in (302, 303):
            with self.ledger.lock:
                self.ledger.comments.append((marker, self.email, idea))

    def submit(self) -> None:
        token, _ = self._csrf("/ideas/new")
        marker = f"Load idea {uuid.uuid4().hex}"
        data = {
            "csrf_token": token,
            "title": marker,
            "problem": "Under load, people still have problems worth solving every day.",
            "proposal": "Write them down here and let the portal keep every word of them.",
            "expected_benefit": "Nothing lost, nothing written twice.",
            "department": str(self.rng.choice(self.ids["departments"])),
            "submit_idea": "Submit for review",
        }
        answer = self.post("submit", "/ideas/new", data)
        if answer is not None and answer.status_code in (302, 303):
            found = re.search(r"/ideas/(\d+)", answer.headers.get("Location", ""))
            with self.ledger.lock:
                self.ledger.ideas.append((marker, self.email, int(found.group(1)) if found else 0))

    def estimate(self) -> None:
        idea = self.rng.choice(self.ids["estimable"])
        path = f"/review/ideas/{idea}/estimate"
        _, page = self._csrf(path)
        data = _form_fields(page)
        marker = f"load-estimate-{uuid.uuid4().hex}"
        data.update(
            value_low="0.8",
            value_likely="1.0",
            value_high="1.3",
            risk=f"{self.rng.random() * 0.5:.2f}",
            confidence="medium",
            notes=marker,
            submit="Save estimate",
        )
        data.pop("mark_estimated", None)  # the idea keeps its state: others estimate it too
        for name in re.findall(r'<select[^>]*name="(impact_\d+)"', page):
            data[name] = str(self.rng.randint(0, 4))
        time.sleep(self.rng.random() * 0.2)  # read the form, then save: others may save first
        answer = self.post("estimate", path, data)
        if answer is None:
            return
        if answer.status_code in (302, 303):
            with self.ledger.lock:
                base = int(data.get("base_version") or 0)
                self.ledger.estimates.append((marker, self.email, idea, base))
        elif answer.status_code == 409:
            with self.ledger.lock:
                self.ledger.refused["estimate conflict (409)"] += 1

    def run(self) -> None:
        scenario = self.rng.choice(self.ids["scenarios"])
        token, _ = self._csrf(f"/portfolio/scenarios/{scenario}")
        answer = self.post("run", f"/portfolio/scenarios/{scenario}/run", {"csrf_token": token})
        if answer is None or answer.status_code not in (302, 303):
            return
        found = re.search(r"/portfolio/runs/(\d+)", answer.headers.get("Location", ""))
        with self.ledger.lock:
            if found:
                self.ledger.runs.append((int(found.group(1)), scenario))
            else:
                self.ledger.refused["run refused (scenario busy)"] += 1


# ------------------------------------------------------------------ the check


def check(url: str, ledger: Ledger, shared: list[int]) -> dict:
    """Compare the database with the ledger: lost, duplicated, corrupt (with examples)."""
    engine = sa.create_engine(web.normalize_database_url(url))
    problems = {"lost": [], "duplicated": [], "corrupt": []}
    with engine.connect() as conn:
        user = dict(conn.execute(sa.text("SELECT email, id FROM users")).all())

        def rows(sql, **params):
            return conn.execute(sa.text(sql), params).all()

        for kind, table, store in (
            ("vote", "votes", ledger.votes),
            ("follow", "follows", ledger.follows),
        ):
            present = Counter((r[0], r[1]) for r in rows(f"SELECT user_id, idea_id FROM {table}"))
            for (email, idea), expected in store.items():
                if (kind, email, idea) in ledger.unknown:
                    continue
                n = present[(user[email], idea)]
                if n > 1:
                    problems["duplicated"].append(f"{kind} {email} idea {idea}: {n} rows")
                elif bool(n) != expected:
                    word = "made" if expected else "taken back"
                    problems["lost"].append(f"{kind} {email} idea {idea}: {word}, not stored")
        # The shared ideas only: synthetic ideas are built with a vote count and no votes.
        voted = sa.text(
            "SELECT i.id, i.vote_count, (SELECT count(*) FROM votes v WHERE v.idea_id = i.id) "
            "FROM ideas i WHERE i.id IN :ids"
        ).bindparams(sa.bindparam("ids", expanding=True))
        for idea, stored, counted in conn.execute(voted, {"ids": list(shared)}).all():
            if stored != counted:
                problems["corrupt"].append(f"idea {idea}: vote_count {stored}, {counted} votes")

        comments = defaultdict(list)
        for body, author, idea in rows(
            "SELECT body, author_id, idea_id FROM comments WHERE body LIKE 'load-comment-%'"
        ):
            comments[body].append((author, idea))
        for marker, email, idea in ledger.comments:
            _compare(problems, "comment", marker, comments.get(marker, []), (user[email], idea))

        ideas = defaultdict(list)
        for idea_id, title, submitter, status in rows(
            "SELECT id, title, submitter_id, status FROM ideas WHERE title LIKE 'Load idea %'"
        ):
            ideas[title].append((idea_id, submitter, status))
        for marker, email, idea_id in ledger.ideas:
            _compare(
                problems, "idea", marker, ideas.get(marker, []), (idea_id, user[email], "submitted")
            )

        estimates = defaultdict(list)
        for notes, author, idea, version in rows(
            "SELECT notes, author_id, idea_id, version FROM estimates "
            "WHERE notes LIKE 'load-estimate-%'"
        ):
            estimates[notes].append((author, idea, version))
        for marker, email, idea, base in ledger.estimates:
            expected = (user[email], idea, base + 1)
            _compare(problems, "estimate", marker, estimates.get(marker, []), expected)
        versions = defaultdict(list)
        for idea, version, current in rows(
            "SELECT idea_id, version, is_current FROM estimates ORDER BY idea_id, version"
        ):
            versions[idea].append((version, bool(current)))
        for idea, found in versions.items():
            numbers = [v for v, _ in found]
            current = [v for v, c in found if c]
            if numbers != list(range(1, len(numbers) + 1)) or current != numbers[-1:]:
                problems["corrupt"].append(f"idea {idea}: estimate versions {found}")

        runs = {r[0]: r[1] for r in rows("SELECT id, scenario_id FROM runs")}
        for run_id, scenario in ledger.runs:
            if run_id not in runs:
                problems["lost"].append(f"run {run_id} of scenario {scenario}")
            elif runs[run_id] != scenario:
                problems["corrupt"].append(f"run {run_id}: scenario {runs[run_id]}")
        for scenario, number, n in rows(
            "SELECT scenario_id, number, count(*) FROM runs GROUP BY scenario_id, number "
            "HAVING count(*) > 1"
        ):
            problems["duplicated"].append(f"scenario {scenario} run number {number}: {n} runs")
    engine.dispose()
    return problems


def _compare(problems, kind, marker, found, expected) -> None:
    if not found:
        problems["lost"].append(f"{kind} {marker}")
    elif len(found) > 1:
        problems["duplicated"].append(f"{kind} {marker}: {len(found)} times")
    elif found[0] != expected:
        problems["corrupt"].append(f"{kind} {marker}: {found[0]}, expected {expected}")


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--ideas", type=int, default=200, help="synthetic ideas beside the demo")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (PostgreSQL)")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="web_bench_load", help="PostgreSQL database")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    # Runs solve in the server's background: small analyses keep them from eating the
    # machine the users share (the run's own steps are the same).
    os.environ.setdefault("PORTFOLIO_EXPLAIN_SECONDS", "2")
    os.environ.setdefault("PORTFOLIO_FRONTIER_POINTS", "3")
    os.environ.setdefault("PORTFOLIO_ROBUSTNESS_SAMPLES", "5")
    instance = tempfile.mkdtemp(prefix="bench-load-")
    if args.db == "postgres":
        url = web.recreate_database(args.pg, args.database)
    else:
        url = f"sqlite:///{instance}/load.sqlite"
    started = time.perf_counter()
    web.build(url, instance, args.ideas, web.ROOT)
    people = add_people(url, args.users)
    ids = targets(url)
    print(f"built demo + {args.ideas:,} ideas in {time.perf_counter() - started:.0f} s")
    log = Path(instance) / "server.log"
    if args.db == "postgres":
        process, base = web.start_server(url, instance, web.ROOT, args.workers, log)
        server = f"gunicorn -w {args.workers}, PostgreSQL"
    else:
        process, base = start_dev_server(url, instance, log)
        server = "development server (threaded), SQLite"
    ledger = Ledger()
    errors = Counter()
    try:
        workers = [
            Worker(base, email, role, ids, ledger, random.Random(args.seed * 1000 + n))
            for n, (email, role) in enumerate(people)
        ]
        stop = time.monotonic() + args.minutes * 60

        def loop(worker):
            while time.monotonic() < stop:
                try:
                    worker.act()
                except Exception as exc:  # a client-side surprise: count it, keep going
                    with ledger.lock:
                        errors[type(exc).__name__] += 1

        threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        web.stop_server(process)
    problems = check(url, ledger, ids["open"])

    writes = Counter()
    for (kind, _status), n in ledger.statuses.items():
        writes[kind] += n
    server_errors = sum(
        n for (_, s), n in ledger.statuses.items() if isinstance(s, int) and s >= 500
    )
    print(f"\n{server}, {args.users} users for {args.minutes:g} min ({ids['open'][:3]}... shared)")
    print(f"{'request':<10} {'sent':>6}  answers")
    for kind in sorted(writes):
        answers = ", ".join(
            f"{s}: {n}" for (k, s), n in sorted(ledger.statuses.items(), key=str) if k == kind
        )
        print(f"{kind:<10} {writes[kind]:>6}  {answers}")
    acknowledged = {
        "votes (people x ideas)": len(ledger.votes),
        "follows (people x ideas)": len(ledger.follows),
        "comments": len(ledger.comments),
        "submitted ideas": len(ledger.ideas),
        "estimates": len(ledger.estimates),
        "runs": len(ledger.runs),
    }
    print("acknowledged: " + ", ".join(f"{k} {v}" for k, v in acknowledged.items()))
    if ledger.refused:
        print("refused as designed: " + ", ".join(f"{k} {v}" for k, v in ledger.refused.items()))
    if errors:
        print("client errors: " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    print()
    for name in ("lost", "duplicated", "corrupt"):
        print(f"{name:<11} {len(problems[name])}")
        for example in problems[name][:5]:
            print(f"    {example}")
    print(f"{'5xx':<11} {server_errors}")
    if server_errors:
        print(f"    see {log}")
    failed = server_errors or any(problems.values())
    if not failed:
        shutil.rmtree(instance, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
