"""Benchmark: CSV import of ideas (check pass + all-or-nothing import), streamed.

    python bench/value.py [--rows 50000] [--database-url postgresql://...]

Each run happens in a fresh process on an empty database (a temporary SQLite file unless
--database-url names one, whose tables are dropped and recreated); the table shows the
time of each pass and the child process's peak resident memory. Target for 50,000 rows:
under 60 s in total and under 500 MB.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS = ["Finance", "Sales", "Operations", "HR", "Legal", "Marketing", "IT", "Logistics"]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["title", "problem", "proposal", "expected_benefit", "department", "objectives",
             "submitted_on", "estimated_cost"]
        )  # fmt: skip
        for n in range(rows):
            writer.writerow(
                [
                    f"Spreadsheet idea number {n}",
                    "Invoices are matched by hand every month; " * 3,
                    "Match them automatically against purchase orders.",
                    "About two days saved a month per clerk.",
                    DEPARTMENTS[n % len(DEPARTMENTS)],
                    "Efficiency; Growth" if n % 3 else "Efficiency",
                    f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
                    str(1000 + (n * 37) % 90000) if n % 2 else "",
                ]
            )


def child(csv_path: str, database_url: str) -> None:
    """Runs in a fresh process: set up an empty database, check, import, report JSON."""
    import sqlalchemy as sa

    sys.path.insert(0, str(ROOT))
    from portal import create_app
    from portal.extensions import db
    from portal.models import Department, Role, StrategicObjective, User
    from portal.transfer.ideas_csv import check_file, import_file

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "MAIL_SERVER": None}
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        departments = [Department(name=n) for n in DEPARTMENTS]
        db.session.add_all(departments)
        db.session.add_all(
            [StrategicObjective(name="Efficiency"), StrategicObjective(name="Growth")]
        )
        admin = User(email="admin@bench.example", name="Admin", role=Role.ADMIN,
                     department=departments[0], password_hash="x")  # fmt: skip
        db.session.add(admin)
        db.session.commit()
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = check_file(Path(csv_path), admin)
        checked = time.perf_counter()
        assert result.ok, result.problems[:5]
        count = import_file(Path(csv_path), admin)
        db.session.commit()
        done = time.perf_counter()
        ideas = db.session.scalar(sa.text("SELECT COUNT(*) FROM ideas"))
        print(
            json.dumps(
                {
                    "rows": result.rows,
                    "imported": count,
                    "in_db": ideas,
                    "check_s": checked - started,
                    "import_s": done - checked,
                    "base_mb": base / 1024,
                    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                }
            )
        )
        db.session.remove()  # end the transaction before dropping the tables
        if db.engine.dialect.name != "sqlite":  # a temporary SQLite file just goes away
            db.drop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "ideas.csv"
        started = time.perf_counter()
        write_csv(csv_path, args.rows)
        generated = time.perf_counter() - started
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        env = {**os.environ, "PORTAL_INSTANCE_PATH": str(Path(tmp) / "instance")}
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(csv_path), url],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode:
            sys.exit(out.stderr)
        m = json.loads(out.stdout.strip().splitlines()[-1])
        size_mb = csv_path.stat().st_size / 2**20
    backend = url.split(":", 1)[0]
    total = m["check_s"] + m["import_s"]
    print(
        f"CSV import benchmark ({backend}, file {size_mb:.1f} MB, generated in {generated:.1f} s)"
    )
    print(f"{'measure':<34}{'value':>12}{'target':>12}")
    print("-" * 58)
    print(f"{'rows checked / imported / in db':<34}{m['rows']:>6}/{m['imported']}/{m['in_db']:<5}")
    print(f"{'check pass (s)':<34}{m['check_s']:>12.1f}")
    print(f"{'import pass (s)':<34}{m['import_s']:>12.1f}")
    print(f"{'total (s)':<34}{total:>12.1f}{'< 60':>12}")
    print(f"{'process memory before import (MB)':<34}{m['base_mb']:>12.0f}")
    print(f"{'peak process memory (MB)':<34}{m['peak_mb']:>12.0f}{'< 500':>12}")


if __name__ == "__main__":
    main()
