"""session key and confirmed e-mail on users; expiry and read-only scope on API tokens

Revision ID: 0f68feba2b0b
Revises: 5c1d2e3f4a5b
Create Date: 2026-12-06 21:18:59

users.session_key is part of every session and remember-me cookie; existing users get ""
(no cookie matches it), so everyone signs in once more after the upgrade. Existing users
count as having confirmed their e-mail address. Existing API tokens keep working: no
expiry date, read and write.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0f68feba2b0b"
down_revision = "5c1d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("read_only", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_key", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("email_confirmed", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed")
        batch_op.drop_column("session_key")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("read_only")
        batch_op.drop_column("expires_at")
