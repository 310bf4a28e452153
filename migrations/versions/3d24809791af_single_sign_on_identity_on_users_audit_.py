"""single sign-on identity on users; audit events about no row

Revision ID: 3d24809791af
Revises: ecf067df8e5b
Create Date: 2026-12-06 23:22:01

users.sso_issuer and users.sso_subject name the person's identity at the OpenID provider
(one account per identity); existing users have none until they sign in with single sign-on.
audit_events.object_id may be empty: a refused single sign-on of nobody known is still audited.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3d24809791af"
down_revision = "ecf067df8e5b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("object_id", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sso_issuer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("sso_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_sso_issuer"), ["sso_issuer", "sso_subject"]
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_sso_issuer"), type_="unique")
        batch_op.drop_column("sso_subject")
        batch_op.drop_column("sso_issuer")

    # Events about no row cannot be kept by the older schema.
    op.execute("DELETE FROM audit_events WHERE object_id IS NULL")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("object_id", existing_type=sa.INTEGER(), nullable=False)
