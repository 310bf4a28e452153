"""Command-line tasks: demo data, users, the job worker and its sweep, backups.

The commands hang on a blueprint without a group, so they read `flask --app wsgi seed-demo`.
"""

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Blueprint, current_app

from portal.extensions import db, writing
from portal.models import Department, Role, User

bp = Blueprint("cli", __name__, cli_group=None)


@bp.cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
def seed_demo(if_empty: bool) -> None:
    """Load demo departments, people, objectives and ideas."""
    from portal.demo import load_demo

    if db.session.scalar(sa.select(sa.func.count(User.id))):
        if if_empty:
            click.echo("Database already has data; demo not loaded.")
            return
        raise click.ClickException("The database is not empty; demo data needs an empty one.")
    summary = load_demo()
    click.echo("Demo data loaded: " + ", ".join(f"{v} {k}" for k, v in summary.items()))


@bp.cli.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="employee")
@click.option("--department", "department_name", required=True, help="Department name.")
@click.option("--name", default=None, help="Full name (default: from the e-mail).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(
    email: str, role: str, department_name: str, name: str | None, password: str
) -> None:
    """Create a user with a role in a department."""
    from portal.auth.service import AccountError, create_user

    department = db.session.scalar(
        sa.select(Department).where(
            sa.func.lower(Department.name) == department_name.strip().lower()
        )
    )
    if department is None:
        known = ", ".join(db.session.scalars(sa.select(Department.name).order_by("name")))
        raise click.ClickException(
            f"No department named '{department_name}'. Known: {known or 'none yet'}."
        )
    try:
        user = create_user(
            email=email,
            name=name or email.split("@")[0].replace(".", " ").title(),
            password=password,
            department=department,
            role=Role(role),
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.value}) in {department.name}.")


@bp.cli.command("run-worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def run_worker_command(burst: bool) -> None:
    """Execute queued scenario runs (needs REDIS_URL)."""
    from portal.portfolio.runs import run_worker

    try:
        run_worker(current_app._get_current_object(), burst=burst)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@bp.cli.command("sweep-runs")
def sweep_runs_command() -> None:
    """Mark failed the runs whose worker or process stopped (safe to run from cron)."""
    from portal.portfolio.runs import sweep

    with writing():
        changed = sweep()
        db.session.commit()
    click.echo(f"{changed} stopped run(s) recorded.")


@bp.cli.command("send-reminders")
def send_reminders_command() -> None:
    """Send the reminders and digests that are due (cron-friendly: nothing goes twice)."""
    from portal.reminders import send_reminders

    with writing():
        sent = send_reminders()
        db.session.commit()
    click.echo(f"Sent: {sent}.")


@bp.cli.command("run-scheduler")
def run_scheduler_command() -> None:
    """Enqueue send-reminders on the RQ queue every REMINDERS_EVERY_SECONDS (needs REDIS_URL
    and a `run-worker`); RQ's cron scheduler keeps one running even with several started."""
    from portal.background import run_scheduler

    try:
        run_scheduler(current_app._get_current_object())
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@bp.cli.command("import-ideas")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--as", "email", required=True, help="E-mail of the admin or portfolio manager importing."
)
def import_ideas_command(path: Path, email: str) -> None:
    """Import ideas from a CSV file: checked first, then all rows or none."""
    from portal.transfer.ideas_csv import ImportRefused, check_file, count_rows, import_file

    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
    if user is None or user.role not in (Role.ADMIN, Role.PORTFOLIO_MANAGER):
        raise click.ClickException(f"'{email}' is not an admin or portfolio manager.")
    total = count_rows(path)
    with click.progressbar(length=total, label="Checking ", file=sys.stderr) as bar:
        result = check_file(path, user, progress=bar.update)
    if not result.ok:
        for problem in result.problems:
            column = f" {problem.column}" if problem.column else ""
            click.echo(f"row {problem.row}{column}: {problem.message}", err=True)
        if result.problem_count > len(result.problems):
            click.echo(f"... and {result.problem_count - len(result.problems)} more.", err=True)
        raise click.ClickException(
            f"{result.problem_count} problem(s) in {result.bad_rows} row(s); nothing was imported."
        )
    try:
        with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
            count = import_file(path, user, progress=bar.update)
    except ImportRefused as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Imported {count} ideas.")


@bp.cli.command("export-data")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_data_command(path: Path) -> None:
    """Write every table to a JSON Lines backup file ('-' for standard output)."""
    from portal.transfer.backup import export_data

    def report(table: str, rows: int) -> None:
        click.echo(f"{table}: {rows}", err=True)

    if str(path) == "-":
        export_data(click.get_text_stream("stdout"), progress=report)
        return
    with path.open("w", encoding="utf-8") as out:
        counts = export_data(out, progress=report)
    click.echo(f"Wrote {sum(counts.values())} rows from {len(counts)} tables to {path}.")


@bp.cli.command("import-data")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_data_command(path: Path) -> None:
    """Load a backup written by export-data into an empty, migrated database."""
    from portal.transfer.backup import BackupError, import_data

    try:
        with path.open(encoding="utf-8") as source:
            counts = import_data(source, progress=lambda t, n: click.echo(f"{t}: {n}", err=True))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Imported {sum(counts.values())} rows into {len(counts)} tables.")
