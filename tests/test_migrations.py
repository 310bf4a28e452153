"""`flask db upgrade` from empty gives exactly the models, on SQLite and PostgreSQL."""

import os

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from portal.config import normalize_database_url
from portal.extensions import db
from portal.models.base import include_in_migrations
from tests.conftest import make_app


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database of the kind the suite runs on."""
    base = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite")
        return
    url = make_url(normalize_database_url(base))
    name = f"{url.database}_migrations"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _differences(connection) -> list:
    # The same hook as migrations/env.py: PostgreSQL-only indexes are not asked for elsewhere.
    opts = {
        "compare_type": True,
        "include_object": include_in_migrations(connection.dialect.name),
    }
    context = MigrationContext.configure(connection, opts=opts)
    return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_models(empty_database_url, tmp_path):
    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert _differences(connection) == []
        flask_migrate.downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_single_migration_head(tmp_path, database_url):
    from alembic.script import ScriptDirectory

    app = make_app(database_url, tmp_path)
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_the_newest_migrations_undo_and_redo_with_data(empty_database_url, tmp_path):
    """Undoing a migration that rebuilds a table others point to (SQLite's batch mode copies
    `ideas` and drops the old one) keeps every row; so does doing it again."""
    app = make_app(empty_database_url, tmp_path)
    counts = "SELECT (SELECT count(*) FROM ideas), (SELECT count(*) FROM votes)"
    with app.app_context():
        flask_migrate.upgrade()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        with db.engine.connect() as connection:
            before = connection.execute(sa.text(counts)).one()
        assert before[0] > 0 and before[1] > 0
        flask_migrate.downgrade(revision="-3")
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text(counts)).one() == before
            assert _differences(connection) == []
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_sqlite_migrations_that_leave_rows_pointing_nowhere_are_undone(
    empty_database_url, tmp_path
):
    """On SQLite the migrations run with foreign keys off (see migrations/env.py), so they
    are checked before they commit: a run that leaves a row pointing nowhere changes
    nothing."""
    if not empty_database_url.startswith("sqlite"):
        pytest.skip("SQLite: PostgreSQL checks every foreign key itself")
    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        flask_migrate.upgrade()
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        with db.engine.connect() as connection:
            driver = connection.connection.driver_connection  # outside any transaction
            driver.execute("PRAGMA foreign_keys=OFF")
            driver.execute("UPDATE votes SET idea_id = 999999 WHERE rowid = 1")  # an orphan
            driver.execute("PRAGMA foreign_keys=ON")
            head = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        with pytest.raises(SystemExit):  # Flask-Migrate reports the RuntimeError and exits
            flask_migrate.downgrade(revision="-1")
        with db.engine.connect() as connection:
            assert (
                connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                == head
            )
            columns = {c["name"] for c in sa.inspect(connection).get_columns("ideas")}
            assert "waiting_since" in columns  # the downgrade's table rebuild was undone
        db.engine.dispose()
