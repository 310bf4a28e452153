"""estimates over time: value profile, run cost after go-live and lifetime, negative impacts;
scenario discount rate, run-cost tail years and theme maximum shares

Revision ID: ecf067df8e5b
Revises: a4089ee5e0c6
Create Date: 2026-12-06 23:19:20.229940

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ecf067df8e5b"
down_revision = "a4089ee5e0c6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("estimates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("value_profile", sa.JSON(), server_default="{}", nullable=False)
        )
        batch_op.add_column(
            sa.Column("run_cost_per_year", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("lifetime_years", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint("run_cost_non_negative", "run_cost_per_year >= 0")
        batch_op.create_check_constraint("lifetime_non_negative", "lifetime_years >= 0")

    # Impacts may be negative (-4..4): an idea can hinder an objective.
    with op.batch_alter_table("estimate_impacts", schema=None) as batch_op:
        batch_op.drop_constraint("impact_scale", type_="check")
        batch_op.create_check_constraint("impact_scale", "impact >= -4 AND impact <= 4")

    with op.batch_alter_table("scenarios", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("discount_rate", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("tail_years", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("tail_budget", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("theme_max_shares", sa.JSON(), server_default="{}", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("scenarios", schema=None) as batch_op:
        batch_op.drop_column("theme_max_shares")
        batch_op.drop_column("tail_budget")
        batch_op.drop_column("tail_years")
        batch_op.drop_column("discount_rate")

    op.execute("UPDATE estimate_impacts SET impact = 0 WHERE impact < 0")
    with op.batch_alter_table("estimate_impacts", schema=None) as batch_op:
        batch_op.drop_constraint("impact_scale", type_="check")
        batch_op.create_check_constraint("impact_scale", "impact >= 0 AND impact <= 4")

    with op.batch_alter_table("estimates", schema=None) as batch_op:
        batch_op.drop_constraint("lifetime_non_negative", type_="check")
        batch_op.drop_constraint("run_cost_non_negative", type_="check")
        batch_op.drop_column("lifetime_years")
        batch_op.drop_column("run_cost_per_year")
        batch_op.drop_column("value_profile")
