"""The kept work counted per shop, bucket and courier.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_counts",
        sa.Column("shop_id", sa.Integer(), primary_key=True),
        sa.Column("bucket", sa.String(32), primary_key=True),
        sa.Column("courier", sa.String(32), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    # The next page decides and counts the kept work again (counts start with it).
    op.execute("DELETE FROM work_state")


def downgrade() -> None:
    op.drop_table("work_counts")
