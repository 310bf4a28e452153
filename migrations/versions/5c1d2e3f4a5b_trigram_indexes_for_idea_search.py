"""trigram indexes for idea text search on PostgreSQL

Revision ID: 5c1d2e3f4a5b
Revises: 516329ce8ba9
Create Date: 2026-11-27 08:40:00

The idea list's text search (ILIKE '%words%' on title, problem and proposal) reads every
row without them. pg_trgm GIN indexes exist only on PostgreSQL: on other databases this
migration does nothing, and the models declare the indexes as PostgreSQL-only
(portal.models.base.postgresql_only).
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5c1d2e3f4a5b"
down_revision = "516329ce8ba9"
branch_labels = None
depends_on = None

COLUMNS = ("title", "problem", "proposal")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(
            f"ix_ideas_{column}_trgm",
            "ideas",
            [column],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_ideas_{column}_trgm", table_name="ideas", postgresql_using="gin")
    # The extension stays: other objects may use it, and it is harmless.
