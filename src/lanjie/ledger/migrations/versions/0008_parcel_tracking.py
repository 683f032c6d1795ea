"""What 快递100 said about each parcel last.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "parcel_tracking",
        sa.Column("shop_id", sa.Integer(), primary_key=True),
        sa.Column("tracking_no", sa.String(64), primary_key=True),
        sa.Column("asked_at", TIME, nullable=False),
        sa.Column("checked_at", TIME),
        sa.Column("state", sa.String(32)),
        sa.Column("state_name", sa.String(32)),
        sa.Column("route", sa.Text()),
        sa.Column("route_at", TIME),
        sa.Column("error", sa.Text()),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_parcel_tracking_asked_at", "parcel_tracking", ["asked_at"])


def downgrade() -> None:
    op.drop_index("ix_parcel_tracking_asked_at", table_name="parcel_tracking")
    op.drop_table("parcel_tracking")
