"""The import whose own transaction wrote a shop's work.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_shops",
        sa.Column("shop_id", sa.Integer(), primary_key=True),
        sa.Column("import_id", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("work_shops")
