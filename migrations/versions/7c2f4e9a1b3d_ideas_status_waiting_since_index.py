"""ideas: every idea under review knows since when it waits; index (status, waiting_since)

The review queue sorts by how long each idea has waited and filters the overdue ones by it.
Ideas whose wait 4b039355f7ca could not date from their history wait since their
submission (as Idea.waited_since already counted them), so the column alone orders the
queue, through the new index.

Revision ID: 7c2f4e9a1b3d
Revises: 4b039355f7ca
Create Date: 2026-12-07 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2f4e9a1b3d'
down_revision = '4b039355f7ca'
branch_labels = None
depends_on = None

# workflow.UNDER_REVIEW, as it stands at this revision.
UNDER_REVIEW = ("submitted", "in_review", "needs_info", "estimated")


def upgrade():
    ideas = sa.table(
        "ideas",
        sa.column("status", sa.String),
        sa.column("waiting_since", sa.DateTime),
        sa.column("submitted_at", sa.DateTime),
        sa.column("created_at", sa.DateTime),
    )
    op.execute(
        ideas.update()
        .where(ideas.c.status.in_(UNDER_REVIEW), ideas.c.waiting_since.is_(None))
        .values(waiting_since=sa.func.coalesce(ideas.c.submitted_at, ideas.c.created_at))
    )
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.create_index(
            'ix_ideas_status_waiting_since', ['status', 'waiting_since'], unique=False
        )


def downgrade():
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.drop_index('ix_ideas_status_waiting_since')
    # The dates filled in stay: Idea.waited_since reads them as it read the submission.
