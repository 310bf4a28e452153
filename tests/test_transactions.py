"""Operations never commit: the request, the CLI command or the job does."""

import re
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"

# The modules that own a transaction, and why.
COMMITTERS = {
    # Requests: each route commits once after its operation succeeded.
    *(str(p.relative_to(PORTAL)) for p in PORTAL.glob("*/routes.py")),
    # API views are requests too; `auth` records when a token was last used.
    "api/auth.py",
    "api/estimates.py",
    "api/ideas.py",
    "api/scenarios.py",
    # A remember-me cookie that brings a session back is a sign-in: its new secret is
    # committed while the request loads its user, before the view runs.
    "auth/sessions.py",
    "api/campaigns.py",
    # CLI commands.
    "cli.py",
    # Scenario runs are jobs: they commit their progress as they go, and handing a run
    # to its worker commits it (a worker cannot pick up an uncommitted run).
    "portfolio/runs.py",
    # The reminders job, which RQ's cron scheduler enqueues, is a job like a run.
    "worker.py",
    # The demo loader is a command of its own.
    "demo/__init__.py",
}
# Rolling back is the error handler's and the form helper's (and the request teardown's).
ROLLERS_BACK = {
    "errors.py",
    "forms.py",
    # A remember-me secret the database refuses to rotate: the old one is kept.
    "auth/sessions.py",
    # Jobs and commands own their transactions.
    "portfolio/runs.py",
    "demo/__init__.py",
    # The backup import answers a refused row with a BackupError and a clean session.
    "transfer/backup.py",
    # The CSV import is all-or-nothing.
    "transfer/ideas_csv.py",
    # A concurrent save of the same estimate version: the flush fails, the conflict is
    # read afresh.
    "review/estimates.py",
}


def _calls(name: str) -> set[str]:
    pattern = re.compile(rf"\.{name}\(")
    return {
        str(path.relative_to(PORTAL))
        for path in PORTAL.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }


def test_only_requests_commands_and_jobs_commit():
    assert _calls("commit") <= COMMITTERS


def test_routes_do_not_roll_back_themselves():
    assert _calls("rollback") <= ROLLERS_BACK
