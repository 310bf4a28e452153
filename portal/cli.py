"""Command-line tasks: demo data, users, the job worker, backups."""

import click
import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Department, Role, User


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
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

    @app.cli.command("create-user")
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
        if len(password) < 10:
            raise click.ClickException("The password needs at least 10 characters.")
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

    @app.cli.command("run-worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def run_worker_command(burst: bool) -> None:
        """Execute queued scenario runs (needs REDIS_URL)."""
        from portal.jobs import run_worker

        try:
            run_worker(app, burst=burst)
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
