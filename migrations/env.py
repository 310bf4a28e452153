import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

from portal.models.base import include_in_migrations

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        # Indexes the models declare for one database only (pg_trgm GIN indexes) are left
        # out of autogenerate elsewhere; their migrations create them on that database only.
        args = {"include_object": include_in_migrations(connection.dialect.name), **conf_args}
        if connection.dialect.name == "sqlite":
            # One transaction for the whole run, so that `check_foreign_keys` can still undo
            # it: SQLite's DDL is transactional (the driver leaves BEGIN to SQLAlchemy, see
            # portal/extensions.py), though Alembic does not assume so.
            args["transactional_ddl"] = True
        context.configure(connection=connection, target_metadata=get_metadata(), **args)

        with sqlite_foreign_keys_off(connection), context.begin_transaction():
            context.run_migrations()
            check_foreign_keys(connection)


@contextmanager
def sqlite_foreign_keys_off(connection):
    """On SQLite, foreign keys are not enforced while migrations run, and are checked after.

    Alembic's batch mode changes a SQLite table by copying it to a new one and dropping the
    old: with foreign keys on, dropping a table that other rows point to fails, so a
    migration that changed `ideas` could not run (or be undone) on a database with ideas.
    The pragma is set outside any transaction (inside one, SQLite ignores it);
    `check_foreign_keys` checks the rows before the migrations commit."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    if driver.execute("PRAGMA foreign_keys").fetchone()[0] != 0:
        # Still on (a transaction was open): dropping a rebuilt table would delete its rows'
        # children, so stop before anything runs.
        raise RuntimeError("Could not turn SQLite's foreign keys off for the migrations.")
    try:
        yield
    finally:
        if connection.in_transaction():  # begun after the migrations' own ended
            connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")
        if driver.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
            connection.invalidate()  # never back to the pool without its foreign keys


def check_foreign_keys(connection):
    """On SQLite, refuse (roll back) migrations that left a row pointing nowhere."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"Rows that point nowhere after the migration: {broken[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
