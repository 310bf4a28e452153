"""Column helpers shared by the model modules."""

import enum
from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """Naive UTC now: stored the same on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_type(enum_cls: type[enum.Enum], length: int = 24) -> sa.Enum:
    """A portable enum column storing the member values as VARCHAR."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def postgresql_only(index: sa.Index) -> sa.Index:
    """An index that exists on PostgreSQL only (e.g. a pg_trgm GIN index for text search).

    `create_all` skips it elsewhere; `include_in_migrations` keeps Alembic from asking
    for it on other databases, where its migration does nothing.
    """
    return index.ddl_if(dialect="postgresql")


def include_in_migrations(dialect_name: str):
    """Alembic's `include_object` hook: leave out what the models declare only for
    another database (see `postgresql_only`)."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        if type_ == "index" and not reflected and condition is not None:
            return condition.dialect in (None, dialect_name)
        return True

    return include_object
